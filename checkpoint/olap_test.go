package checkpoint

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/types"
)

func applyOLAP(t *testing.T, s *olap.Store, off uint64, ops ...log.Op) {
	t.Helper()
	if err := s.Apply(log.Entry{Offset: log.Offset(off), Time: time.Now(), Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}); err != nil {
		t.Fatal(err)
	}
}

// TestOLAPWriteLoadFallback: WriteOLAP keeps the newest Keep checkpoints
// (paced or not); LoadOLAP takes the newest that verifies and is not ahead
// of the log, logs and skips a damaged manifest or table file, and loads
// nothing when none is left. Arrow memory is checked for leaks.
func TestOLAPWriteLoadFallback(t *testing.T) {
	dir := t.TempDir()
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, nil))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	s := olap.New(mem, 4)
	tb := &catalog.Table{ID: 16384, Schema: "public", Name: "t", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "k", Type: types.Int8, NotNull: true}},
		Indexes: []catalog.Index{{ID: 16385, Name: "t_pkey", Columns: []int{0}, Unique: true, Primary: true}}}
	applyOLAP(t, s, 1, log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tb}).Encode()})
	var ms []*OLAPManifest
	for off := uint64(2); off <= 5; off++ {
		var ops []log.Op
		for k := int64(0); k < 5; k++ {
			ops = append(ops, insert(tb, int64(off)*10+k))
		}
		applyOLAP(t, s, off, ops...)
		m, err := WriteOLAP(dir, s, float64(off%2))
		if err != nil {
			t.Fatal(err)
		}
		if m.Offset != off || len(m.Files) != 1 || m.Files[0].Live != int64(off-1)*5 {
			t.Fatalf("manifest %+v at offset %d", m, off)
		}
		ms = append(ms, m)
	}
	s.Close()
	mem.AssertSize(t, 0)
	names := func() string {
		ents, _ := os.ReadDir(dir)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return strings.Join(out, " ")
	}
	if got, want := names(), "olap-00000000000000000004-0000016384.cols olap-00000000000000000004.manifest olap-00000000000000000005-0000016384.cols olap-00000000000000000005.manifest"; got != want {
		t.Fatalf("directory holds %s, want %s", got, want)
	}
	load := func(maxOff uint64) uint64 {
		t.Helper()
		st := olap.New(mem, 4)
		defer func() { st.Close(); mem.AssertSize(t, 0) }()
		m, err := LoadOLAP(dir, maxOff, st, logger)
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			if st.Applied() != 0 || st.Table(tb.ID) != nil {
				t.Fatal("no checkpoint loaded, but the store is not empty")
			}
			return 0
		}
		if uint64(st.Applied()) != m.Offset || st.Table(tb.ID).Live() != int64(m.Offset-1)*5 {
			t.Fatalf("loaded store at %d with %d live rows for checkpoint %d", st.Applied(), st.Table(tb.ID).Live(), m.Offset)
		}
		return m.Offset
	}
	if got := load(100); got != 5 {
		t.Fatalf("loaded %d, want the newest, 5", got)
	}
	if got := load(4); got != 4 {
		t.Fatalf("with the log ending at 4: loaded %d, want 4", got)
	}
	// Damage the newest table file: the older checkpoint is used.
	path := filepath.Join(dir, ms[3].Files[0].Name)
	b, _ := os.ReadFile(path)
	b[len(b)-3] ^= 1
	os.WriteFile(path, b, 0o644)
	if got := load(100); got != 4 {
		t.Fatalf("after damaging checkpoint 5: loaded %d, want 4", got)
	}
	// Damage the older manifest: nothing is left (whole-log replay).
	mpath := filepath.Join(dir, olapName(4))
	b, _ = os.ReadFile(mpath)
	b[10] ^= 1
	os.WriteFile(mpath, b, 0o644)
	if got := load(100); got != 0 {
		t.Fatalf("with both checkpoints damaged: loaded %d", got)
	}
	for _, want := range []string{"skipping a corrupt checkpoint", "skipping an unreadable manifest", "skipping a checkpoint ahead of the log"} {
		if !strings.Contains(logBuf.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, logBuf.String())
		}
	}
}
