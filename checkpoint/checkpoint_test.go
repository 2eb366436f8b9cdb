package checkpoint

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

func apply(t *testing.T, s *oltp.Store, off uint64, ops ...log.Op) {
	t.Helper()
	if err := s.Apply(log.Entry{Offset: log.Offset(off), Time: time.Now(), Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}); err != nil {
		t.Fatal(err)
	}
}

func insert(tb *catalog.Table, k int64) log.Op {
	row := []types.Value{types.NewInt(k)}
	return log.Op{Kind: log.OpInsert, Table: tb.ID, Key: oltp.EncodeKey(tb, tb.PK(), row), Row: types.EncodeRow(nil, row)}
}

// TestWriteLoadFallback: Load picks the newest checkpoint that verifies and
// is not ahead of the log; corrupt ones are logged and skipped; Write keeps
// the newest Keep.
func TestWriteLoadFallback(t *testing.T) {
	dir := t.TempDir()
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, nil))
	s := oltp.NewStore()
	tb := &catalog.Table{ID: 16384, Schema: "public", Name: "t", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "k", Type: types.Int8, NotNull: true}},
		Indexes: []catalog.Index{{ID: 16385, Name: "t_pkey", Columns: []int{0}, Unique: true, Primary: true}}}
	apply(t, s, 1, log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tb}).Encode()})
	var offs []uint64
	for i := 0; i < 3; i++ {
		apply(t, s, uint64(10*(i+1)), insert(tb, int64(i)))
		m, err := Write(dir, s)
		if err != nil {
			t.Fatal(err)
		}
		if m.Offset != uint64(10*(i+1)) || m.Rows != int64(i+1) {
			t.Fatalf("checkpoint %d: %+v", i, m)
		}
		offs = append(offs, m.Offset)
	}
	ms, err := List(dir, nil)
	if err != nil || len(ms) != Keep || ms[0].Offset != 30 || ms[1].Offset != 20 {
		t.Fatalf("after 3 writes: %v %v", ms, err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 2*Keep {
		t.Fatalf("files left: %v", files)
	}
	st, m, err := Load(dir, 30, "", logger)
	if err != nil || m == nil || m.Offset != 30 || st.Applied() != 30 || st.Table(tb.ID).Count() != 3 {
		t.Fatalf("load: %v %+v", err, m)
	}
	// A checkpoint ahead of the log is never used.
	if _, m, _ = Load(dir, 25, "", logger); m == nil || m.Offset != 20 {
		t.Fatalf("load with the log at 25 chose %+v", m)
	}
	if !bytes.Contains(logBuf.Bytes(), []byte("ahead of the log")) {
		t.Fatalf("skipping a checkpoint ahead of the log was not logged:\n%s", logBuf.String())
	}
	// A flipped bit in the newest data file: fall back to the older one.
	data := filepath.Join(dir, name(30, "data"))
	b, _ := os.ReadFile(data)
	b[len(b)/2] ^= 0x10
	os.WriteFile(data, b, 0o644)
	if _, err := Open(dir, ms[0], ""); !errors.Is(err, pgerr.ErrCorrupt) {
		t.Fatalf("open of a corrupt checkpoint: %v", err)
	}
	logBuf.Reset()
	if st, m, _ = Load(dir, 30, "", logger); m == nil || m.Offset != 20 || st.Table(tb.ID).Count() != 2 {
		t.Fatalf("fallback chose %+v", m)
	}
	if !bytes.Contains(logBuf.Bytes(), []byte("skipping a corrupt checkpoint")) || !bytes.Contains(logBuf.Bytes(), []byte(name(30, "data"))) {
		t.Fatalf("the corrupt checkpoint was not reported with its file:\n%s", logBuf.String())
	}
	// A corrupt manifest, and a truncated data file: nothing left → full replay.
	mf := filepath.Join(dir, name(20, "manifest"))
	mb, _ := os.ReadFile(mf)
	mb[5] ^= 1
	os.WriteFile(mf, mb, 0o644)
	logBuf.Reset()
	if st, m, err = Load(dir, 30, "", logger); st != nil || m != nil || err != nil {
		t.Fatalf("with no valid checkpoint: %v %v %v", st, m, err)
	}
	if !bytes.Contains(logBuf.Bytes(), []byte("unreadable manifest")) {
		t.Fatalf("the corrupt manifest was not reported:\n%s", logBuf.String())
	}
	// Truncated data with an intact manifest.
	dir2 := t.TempDir()
	m2, err := Write(dir2, s)
	if err != nil {
		t.Fatal(err)
	}
	os.Truncate(filepath.Join(dir2, m2.Data), m2.Bytes-3)
	if st, _, _ := Load(dir2, 30, "", logger); st != nil {
		t.Fatalf("a truncated checkpoint was loaded")
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{Version: ManifestVersion, Offset: 7, Data: name(7, "data"), Bytes: 10, CRC32C: 0xdeadbeef, Tables: map[string]int64{"16384": 3}}
	b := EncodeManifest(m)
	got, err := DecodeManifest(b)
	if err != nil || got.Offset != 7 || got.CRC32C != 0xdeadbeef || got.Tables["16384"] != 3 {
		t.Fatalf("%+v %v", got, err)
	}
	for i := range b {
		c := append([]byte(nil), b...)
		c[i] ^= 0x01
		if _, err := DecodeManifest(c); err == nil {
			t.Fatalf("flipping byte %d of the manifest went unnoticed", i)
		}
	}
}
