package dbgen

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omendb/omendb/types"
)

// TestWriteFiles writes SF 0.01 with the parallel writer and checks every
// file against dbgen's md5 sums and line counts.
func TestWriteFiles(t *testing.T) {
	ref := readRef(t, filepath.Join(sharedDir(t), "dbgen-2.14-sf001.md5"))
	dir := t.TempDir()
	st, err := WriteFiles(context.Background(), Options{SF: 0.01, Dir: dir, Parallel: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tables) != 8 {
		t.Fatalf("%d tables written", len(st.Tables))
	}
	for _, ts := range st.Tables {
		b, err := os.ReadFile(ts.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(b)
		if got, want := hex.EncodeToString(sum[:]), ref[ts.Table].md5; got != want {
			t.Errorf("%s: md5 %s, dbgen's %s", ts.Table, got, want)
		}
		if ts.Rows != ref[ts.Table].lines || ts.Bytes != int64(len(b)) {
			t.Errorf("%s: stats %d rows %d bytes, want %d rows %d bytes", ts.Table, ts.Rows, ts.Bytes, ref[ts.Table].lines, len(b))
		}
	}
}

// TestDeferredComments checks the path WriteFiles takes while the text pool
// is still being built: comments reserved as fixups and filled in later must
// give the same bytes as formatting with the pool at hand.
func TestDeferredComments(t *testing.T) {
	s, err := newScaling(0.01)
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range AllTables {
		want, err := AppendText(nil, tbl, 0.01, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		c := newCursor(tbl, s, 0, s.units(tbl))
		got := c.appendText(nil, 1<<40) // c.w.pool is nil: every comment deferred
		if len(c.w.fix) == 0 {
			t.Fatalf("%s: no fixups recorded", tbl)
		}
		c.w.fill(got)
		if string(got) != string(want) {
			t.Errorf("%s: deferred comments differ", tbl)
		}
	}
}

// TestPairDeferred checks generating part+partsupp and orders+lineitem in
// one pass, with comments deferred, against the single-table text.
func TestPairDeferred(t *testing.T) {
	s, err := newScaling(0.01)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]Table{{Part, PartSupp}, {Orders, LineItem}} {
		wantA, _ := AppendText(nil, p[0], 0.01, 0, 1)
		wantB, _ := AppendText(nil, p[1], 0.01, 0, 1)
		c := newCursor(p[0], s, 0, s.units(p[0]))
		c.setPair()
		a, b := c.appendPair(nil, nil, 1<<40)
		c.w.fill(a)
		c.w2.fill(b)
		if string(a) != string(wantA) || string(b) != string(wantB) {
			t.Errorf("%s+%s in one pass differ from separate passes", p[0], p[1])
		}
	}
}

// TestWriteFilesSubset writes single tables (lineitem without orders,
// partsupp without part: the unpaired paths) and checks them.
func TestWriteFilesSubset(t *testing.T) {
	ref := readRef(t, filepath.Join(sharedDir(t), "dbgen-2.14-sf001.md5"))
	dir := t.TempDir()
	var progress bytes.Buffer
	st, err := WriteFiles(context.Background(), Options{SF: 0.01, Dir: dir, Parallel: 2,
		Tables: []Table{LineItem, PartSupp, Region}, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tables) != 3 {
		t.Fatalf("%d tables written", len(st.Tables))
	}
	for _, ts := range st.Tables {
		b, err := os.ReadFile(ts.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(b)
		if got, want := hex.EncodeToString(sum[:]), ref[ts.Table].md5; got != want {
			t.Errorf("%s: md5 %s, dbgen's %s", ts.Table, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "orders.tbl")); err == nil {
		t.Error("orders.tbl written though not asked for")
	}
	if !strings.Contains(progress.String(), "3 tables") {
		t.Errorf("no final progress summary: %q", progress.String())
	}
}

// TestWriteFilesErrors checks that failures are reported, not swallowed.
func TestWriteFilesErrors(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteFiles(context.Background(), Options{SF: 0.01, Dir: f}); err == nil {
		t.Error("writing into a regular file as directory succeeded")
	}
	if _, err := WriteFiles(context.Background(), Options{SF: 2.5, Dir: t.TempDir()}); err == nil {
		t.Error("SF 2.5 accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteFiles(ctx, Options{SF: 0.01, Dir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v, want context.Canceled", err)
	}
	stop := errors.New("stop")
	n := 0
	err := Generate(Orders, 0.01, 0, 1, SinkFunc(func(Table, []types.Value) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	}))
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("Generate after sink error: err %v after %d rows", err, n)
	}
	if _, err := AppendText(nil, Part, 0.01, 3, 3); err == nil {
		t.Error("part 3 of 3 accepted")
	}
	if _, err := AppendText(nil, Region+1, 0.01, 0, 1); err == nil {
		t.Error("table 8 accepted by AppendText")
	}
	if err := Generate(Region+1, 0.01, 0, 1, SinkFunc(func(Table, []types.Value) error { return nil })); err == nil {
		t.Error("table 8 accepted by Generate")
	}
	if _, err := WriteFiles(context.Background(), Options{SF: 0.01, Dir: t.TempDir(), Tables: []Table{Region + 1}}); err == nil {
		t.Error("table 8 accepted by WriteFiles")
	}
}
