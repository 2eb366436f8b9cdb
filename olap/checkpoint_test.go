package olap

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// ckptWorkload generates log entries for two tables: testTable (primary
// key; keys are its encoded primary key, as the SQL layer writes them) and
// a table without one (hidden row ids). Numerics with mixed exponents make
// some sealed columns boxed; the text column is dictionary encoded.
type ckptWorkload struct {
	r      *rand.Rand
	off    uint64
	pk     *catalog.Table
	hidden *catalog.Table
	live   map[string]bool // pk table keys
	hlive  map[string]bool
	nextID int64
}

func newCkptWorkload(seed int64) *ckptWorkload {
	w := &ckptWorkload{r: rand.New(rand.NewSource(seed)), pk: testTable(), live: map[string]bool{}, hlive: map[string]bool{}}
	w.hidden = &catalog.Table{ID: 9, Name: "h", PrimaryKey: -1,
		Columns: []catalog.Column{{Name: "a", Type: types.Int8}, {Name: "b", Type: types.Text}}}
	return w
}

func (w *ckptWorkload) create() log.Entry {
	w.off++
	return log.Entry{Offset: log.Offset(w.off), Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{
		ddl(&catalog.Change{Kind: catalog.CreateTable, Table: w.pk}),
		ddl(&catalog.Change{Kind: catalog.CreateTable, Table: w.hidden}),
	}}}}}
}

func (w *ckptWorkload) next() log.Entry {
	w.off += uint64(1 + w.r.Intn(2))
	var ops []log.Op
	for n := 1 + w.r.Intn(8); n > 0; n-- {
		switch x := w.r.Intn(100); {
		case x < 1:
			ops = append(ops, log.Op{Kind: log.OpTruncate, Table: w.pk.ID})
			w.live = map[string]bool{}
		case x < 15:
			row := randRow(w.r, w.r.Intn(200))
			k := oltp.EncodeKey(w.pk, w.pk.PK(), row)
			if w.live[string(k)] {
				ops = append(ops, log.Op{Kind: log.OpDelete, Table: w.pk.ID, Key: k})
				delete(w.live, string(k))
			}
		case x < 30:
			w.nextID++
			k := oltp.RowIDKey(w.nextID)
			row := []types.Value{{K: types.KindInt, I: w.nextID}, {K: types.KindText, S: fmt.Sprintf("h%d", w.r.Intn(100))}}
			ops = append(ops, log.Op{Kind: log.OpInsert, Table: w.hidden.ID, Key: k, Row: types.EncodeRow(nil, row)})
			w.hlive[string(k)] = true
		case x < 35 && len(w.hlive) > 0:
			for k := range w.hlive {
				ops = append(ops, log.Op{Kind: log.OpDelete, Table: w.hidden.ID, Key: []byte(k)})
				delete(w.hlive, k)
				break
			}
		default:
			row := randRow(w.r, w.r.Intn(200))
			if w.r.Intn(8) == 0 && !row[3].IsNull() {
				row[3] = types.Value{K: types.KindNumeric, N: apd.New(int64(w.r.Intn(1000)), -int32(w.r.Intn(4)))}
			}
			k := oltp.EncodeKey(w.pk, w.pk.PK(), row)
			kind := log.OpInsert
			if w.live[string(k)] {
				kind = log.OpUpdate
			}
			ops = append(ops, log.Op{Kind: kind, Table: w.pk.ID, Key: k, Row: types.EncodeRow(nil, row)})
			w.live[string(k)] = true
		}
	}
	return log.Entry{Offset: log.Offset(w.off), Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}
}

// saveCheckpoint writes every table of a capture into buffers.
func saveCheckpoint(t *testing.T, st *Store) (uint64, [][]byte) {
	t.Helper()
	c := st.Capture()
	defer c.Release()
	var files [][]byte
	for i := range c.Tables() {
		var b bytes.Buffer
		ts, err := c.WriteTable(i, &b)
		if err != nil {
			t.Fatal(err)
		}
		if ts.Bytes != int64(b.Len()) {
			t.Fatalf("WriteTable reports %d bytes, wrote %d", ts.Bytes, b.Len())
		}
		files = append(files, b.Bytes())
	}
	return c.Offset, files
}

func loadCheckpoint(mem memory.Allocator, segRows int, off uint64, files [][]byte) (*Store, error) {
	st := New(mem, segRows)
	for _, f := range files {
		if _, err := st.LoadTable(bytes.NewReader(f), off); err != nil {
			st.Close()
			return nil, err
		}
	}
	st.Loaded(off)
	return st, nil
}

// tableState renders everything a table holds that a scan or a later
// record can observe, as of snapshot snap: per segment its sealed state,
// rows (offsets with deletes after snap shown as live, and values), zone
// maps of sealed segments; then the live keys and their rows.
func tableState(tb *Table, snap uint64, zones bool) string {
	tb.mu.RLock()
	defer tb.mu.RUnlock()
	var b bytes.Buffer
	fmt.Fprintf(&b, "table %d def %s\n", tb.ID, tb.def.Name)
	for si, seg := range tb.segs {
		n := 0
		for n < len(seg.Ins) && seg.Ins[n] <= snap {
			n++
		}
		if n == 0 {
			continue
		}
		fmt.Fprintf(&b, "seg %d rows %d\n", si, n)
		if zones && seg.sealed {
			for c, col := range seg.cols {
				fmt.Fprintf(&b, " col %d kind %d exp %d boxed %v arr %T zone %v %v %d %v\n", c, col.Kind, col.Exp, col.Boxed != nil, col.Arr,
					col.Zone.Min, col.Zone.Max, col.Zone.Nulls, col.Zone.Ordered)
			}
		}
		for i := 0; i < n; i++ {
			del := seg.Del[i]
			if del > snap {
				del = 0
			}
			fmt.Fprintf(&b, " %d %d %v\n", seg.Ins[i], del, seg.Row(tb.def, i))
		}
	}
	return b.String()
}

func keyState(tb *Table) map[string]string {
	tb.mu.RLock()
	defer tb.mu.RUnlock()
	out := map[string]string{}
	tb.keys.each(func(r rowRef) rowRef {
		out[string(r.key())] = fmt.Sprint(r.seg.Ins[r.i], r.seg.Row(tb.def, int(r.i)))
		return r
	})
	return out
}

// TestCheckpointRoundTrip writes a checkpoint while the store keeps
// applying, loads it, and checks that the loaded store holds exactly the
// original's state at the checkpoint's offset (every segment's offsets,
// values, zone maps and representation; the key map; visibility at several
// snapshots), then applies the records after the offset to the loaded store
// and demands the same final state as the original. Arrow memory of both
// stores is checked for leaks.
func TestCheckpointRoundTrip(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	lmem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	const segRows = 40
	st := New(mem, segRows)
	w := newCkptWorkload(seed)
	if err := st.Apply(w.create()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if err := st.Apply(w.next()); err != nil {
			t.Fatal(err)
		}
	}
	st.Table(w.pk.ID).Compact(mem, w.off/2)
	for i := 0; i < 50; i++ {
		if err := st.Apply(w.next()); err != nil {
			t.Fatal(err)
		}
	}
	off, files := saveCheckpoint(t, st)
	var want []string
	wantKeys := []map[string]string{keyState(st.Table(w.pk.ID)), keyState(st.Table(w.hidden.ID))}
	for _, id := range []uint32{w.pk.ID, w.hidden.ID} {
		want = append(want, tableState(st.Table(id), off, true))
	}
	// The original goes on; the loaded store must match it at off.
	var later []log.Entry
	for i := 0; i < 200; i++ {
		e := w.next()
		later = append(later, e)
		if err := st.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	ld, err := loadCheckpoint(lmem, segRows, off, files)
	if err != nil {
		t.Fatal(err)
	}
	if ld.Applied() != log.Offset(off) {
		t.Fatalf("loaded store at %d, want %d", ld.Applied(), off)
	}
	for i, id := range []uint32{w.pk.ID, w.hidden.ID} {
		if got := tableState(ld.Table(id), off, true); got != want[i] {
			t.Fatalf("table %d after load:\n%s\nwant:\n%s", id, got, want[i])
		}
		if got := keyState(ld.Table(id)); fmt.Sprint(got) != fmt.Sprint(wantKeys[i]) {
			t.Fatalf("table %d keys after load: %d keys, want %d", id, len(got), len(wantKeys[i]))
		}
		for _, snap := range []uint64{1, off / 3, off / 2, off - 1, off} {
			if got, w := tableState(ld.Table(id), snap, false), tableState(st.Table(id), snap, false); got != w {
				t.Fatalf("table %d at snapshot %d:\n%s\nwant:\n%s", id, snap, got, w)
			}
		}
	}
	sealed, dicts, boxed := 0, 0, 0
	for _, seg := range ld.Table(w.pk.ID).Segments().Segs {
		if seg.Sealed() {
			sealed++
			if _, ok := seg.Col(2).Arr.(*array.Dictionary); ok {
				dicts++
			}
			if seg.Col(3).Boxed != nil {
				boxed++
			}
		}
	}
	if sealed == 0 || dicts == 0 || boxed == 0 {
		t.Fatalf("loaded %d sealed segments, %d dictionary columns, %d boxed columns: the test exercises too little", sealed, dicts, boxed)
	}
	// Catching up from the checkpoint reaches the same state.
	for _, e := range later {
		if err := ld.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []uint32{w.pk.ID, w.hidden.ID} {
		if got, w := tableState(ld.Table(id), w.off, false), tableState(st.Table(id), w.off, false); got != w {
			t.Fatalf("table %d after catching up:\n%s\nwant:\n%s", id, got, w)
		}
		if got, w := keyState(ld.Table(id)), keyState(st.Table(id)); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("table %d keys after catching up differ", id)
		}
	}
	st.Close()
	ld.Close()
	mem.AssertSize(t, 0)
	lmem.AssertSize(t, 0)
}

// TestCheckpointCorrupt flips bytes, truncates and appends to a table file:
// every damaged file is refused with an error wrapping pgerr.ErrCorrupt,
// and no Arrow memory is left behind.
func TestCheckpointCorrupt(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	st := New(mem, 30)
	w := newCkptWorkload(1)
	if err := st.Apply(w.create()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if err := st.Apply(w.next()); err != nil {
			t.Fatal(err)
		}
	}
	off, files := saveCheckpoint(t, st)
	st.Close()
	f := files[0]
	r := rand.New(rand.NewSource(2))
	damaged := [][]byte{f[:len(f)-1], f[:len(f)/2], f[:olapHeaderLen], append(append([]byte(nil), f...), 0)}
	for i := 0; i < 20; i++ {
		d := append([]byte(nil), f...)
		d[r.Intn(len(d))] ^= byte(1 + r.Intn(255))
		damaged = append(damaged, d)
	}
	lmem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	for i, d := range damaged {
		_, err := loadCheckpoint(lmem, 30, off, [][]byte{d})
		if err == nil || !errors.Is(err, pgerr.ErrCorrupt) || !errors.Is(err, ErrCheckpointCorrupt) {
			t.Fatalf("damaged file %d: err %v, want a corruption error", i, err)
		}
		lmem.AssertSize(t, 0)
	}
	// A file for another offset is refused too.
	if _, err := loadCheckpoint(lmem, 30, off+1, [][]byte{f}); err == nil {
		t.Fatal("a table file of another offset was loaded")
	}
	ld, err := loadCheckpoint(lmem, 30, off, files)
	if err != nil {
		t.Fatalf("undamaged files: %v", err)
	}
	ld.Close()
	lmem.AssertSize(t, 0)
}

// BenchmarkCheckpoint writes and loads a column-store checkpoint of rows=N
// rows of (id bigint primary key, a int, b text), the shape of
// `omendb bench recovery`.
func BenchmarkCheckpoint(b *testing.B) {
	for _, n := range []int{1_000_000} {
		def := &catalog.Table{ID: 16384, Schema: "public", Name: "bench", PrimaryKey: 0,
			Columns: []catalog.Column{{Name: "id", Type: types.Int8, NotNull: true}, {Name: "a", Type: types.Int4}, {Name: "b", Type: types.Text}},
			Indexes: []catalog.Index{{ID: 16385, Name: "bench_pkey", Columns: []int{0}, Unique: true, Primary: true}}}
		st := New(nil, 0)
		if err := st.Apply(log.Entry{Offset: 1, Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def})}}}}}); err != nil {
			b.Fatal(err)
		}
		off := uint64(1)
		for lo := 0; lo < n; lo += 10000 {
			var ops []log.Op
			for i := lo; i < lo+10000 && i < n; i++ {
				row := []types.Value{types.NewInt(int64(i)), types.NewInt(int64(i % 1000)), types.NewText(fmt.Sprintf("row %d", i))}
				ops = append(ops, log.Op{Kind: log.OpInsert, Table: def.ID, Key: oltp.EncodeKey(def, def.PK(), row), Row: types.EncodeRow(nil, row)})
			}
			off++
			if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}); err != nil {
				b.Fatal(err)
			}
		}
		var buf bytes.Buffer
		b.Run(fmt.Sprintf("op=write/rows=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				buf.Reset()
				c := st.Capture()
				if _, err := c.WriteTable(0, &buf); err != nil {
					b.Fatal(err)
				}
				c.Release()
			}
			b.SetBytes(int64(buf.Len()))
		})
		b.Run(fmt.Sprintf("op=load/rows=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ld := New(nil, 0)
				if _, err := ld.LoadTable(bytes.NewReader(buf.Bytes()), off); err != nil {
					b.Fatal(err)
				}
				ld.Close()
			}
			b.SetBytes(int64(buf.Len()))
		})
		st.Close()
	}
}

// TestCheckpointEmptySegment: compaction can leave a sealed segment with no
// rows; it round-trips like any other.
func TestCheckpointEmptySegment(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	st := New(mem, 4)
	w := newCkptWorkload(3)
	if err := st.Apply(w.create()); err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	var ops []log.Op
	for k := 0; k < 8; k++ {
		row := randRow(w.r, k)
		keys = append(keys, oltp.EncodeKey(w.pk, w.pk.PK(), row))
		ops = append(ops, log.Op{Kind: log.OpInsert, Table: w.pk.ID, Key: keys[k], Row: types.EncodeRow(nil, row)})
	}
	if err := st.Apply(log.Entry{Offset: 2, Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}); err != nil {
		t.Fatal(err)
	}
	ops = nil
	for _, k := range keys[:4] { // the whole first (sealed) segment
		ops = append(ops, log.Op{Kind: log.OpDelete, Table: w.pk.ID, Key: k})
	}
	if err := st.Apply(log.Entry{Offset: 3, Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}); err != nil {
		t.Fatal(err)
	}
	if n := st.Table(w.pk.ID).Compact(mem, 3); n != 1 || st.Table(w.pk.ID).Segments().Segs[0].Len() != 0 {
		t.Fatalf("compaction rewrote %d segments; the first has %d rows, want 1 and 0", n, st.Table(w.pk.ID).Segments().Segs[0].Len())
	}
	off, files := saveCheckpoint(t, st)
	lmem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	ld, err := loadCheckpoint(lmem, 4, off, files)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tableState(ld.Table(w.pk.ID), off, true), tableState(st.Table(w.pk.ID), off, true); got != want {
		t.Fatalf("after load:\n%s\nwant:\n%s", got, want)
	}
	if got, want := keyState(ld.Table(w.pk.ID)), keyState(st.Table(w.pk.ID)); fmt.Sprint(got) != fmt.Sprint(want) || len(got) != 4 {
		t.Fatalf("keys after load: %v, want %v", got, want)
	}
	st.Close()
	ld.Close()
	mem.AssertSize(t, 0)
	lmem.AssertSize(t, 0)
}

// TestCaptureWhileApplying: records applied after a capture took its
// references — ending, updating and truncating captured rows, sealing
// captured open segments — do not reach the checkpoint: the loaded store
// equals the original at the capture's offset. Once with the records
// applied between the capture's two steps (deterministic), once with them
// applied by another goroutine during Capture and WriteTable (for -race).
func TestCaptureWhileApplying(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	for _, concurrent := range []bool{false, true} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		lmem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		st := New(mem, 40)
		w := newCkptWorkload(seed)
		if err := st.Apply(w.create()); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 300; i++ {
			if err := st.Apply(w.next()); err != nil {
				t.Fatal(err)
			}
		}
		later := make([]log.Entry, 200)
		for i := range later {
			later[i] = w.next()
		}
		applyLater := func() error {
			for _, e := range later {
				if err := st.Apply(e); err != nil {
					return err
				}
			}
			return nil
		}
		var c *Capture
		done := make(chan error, 1)
		if concurrent {
			go func() { done <- applyLater() }()
			c = st.Capture()
		} else {
			c = st.captureLocked()
			done <- applyLater()
			c.copyDels()
		}
		var files [][]byte
		for i := range c.Tables() {
			var b bytes.Buffer
			if _, err := c.WriteTable(i, &b); err != nil {
				t.Fatal(err)
			}
			files = append(files, b.Bytes())
		}
		off := c.Offset
		c.Release()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		ld, err := loadCheckpoint(lmem, 40, off, files)
		if err != nil {
			t.Fatalf("concurrent %v: %v", concurrent, err)
		}
		for _, id := range []uint32{w.pk.ID, w.hidden.ID} {
			if got, want := tableState(ld.Table(id), off, false), tableState(st.Table(id), off, false); got != want {
				t.Fatalf("concurrent %v: table %d at the capture's offset %d:\n%s\nwant:\n%s", concurrent, id, off, got, want)
			}
		}
		if !concurrent && st.Applied() == log.Offset(off) {
			t.Fatal("nothing applied after the capture")
		}
		st.Close()
		ld.Close()
		mem.AssertSize(t, 0)
		lmem.AssertSize(t, 0)
	}
}
