package olap

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// version is the model's view of one row version.
type version struct {
	begin, end uint64 // end 0 = live
	row        []types.Value
}

func testTable() *catalog.Table {
	return &catalog.Table{ID: 7, Name: "t", PrimaryKey: 0,
		Columns: []catalog.Column{
			{Name: "k", Type: types.Int4}, {Name: "g", Type: types.Int8}, {Name: "s", Type: types.Text},
			{Name: "n", Type: types.Type{OID: types.OIDNumeric, Mod: types.NumericTypmod(12, 2)}},
			{Name: "f", Type: types.Float8}, {Name: "d", Type: types.Type{OID: types.OIDDate, Mod: -1}},
		},
		Indexes: []catalog.Index{{ID: 8, Name: "t_pkey", Columns: []int{0}, Unique: true, Primary: true}}}
}

func ddl(ch *catalog.Change) log.Op { return log.Op{Kind: log.OpDDL, Row: ch.Encode()} }

func randRow(r *rand.Rand, k int) []types.Value {
	row := []types.Value{{K: types.KindInt, I: int64(k)}, {K: types.KindInt, I: int64(r.Intn(5))},
		{K: types.KindText, S: fmt.Sprintf("w%d", r.Intn(3))},
		{K: types.KindNumeric, N: apd.New(int64(r.Intn(100000)-50000), -2)},
		{K: types.KindFloat, I: int64(mathFloat(r.Float64()))},
		{K: types.KindDate, I: int64(r.Intn(1000))}}
	for i := 1; i < len(row); i++ {
		if r.Intn(10) == 0 {
			row[i] = types.Null
		}
	}
	return row
}

// TestVisibilityModel applies random inserts, updates, deletes and
// truncates to a column store with small segments and checks, at random
// snapshots, that the visible rows equal a model's (the row store's MVCC
// rule). Memory is checked for leaks.
func TestVisibilityModel(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewSource(seed))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	st := New(mem, 50)
	def := testTable()
	off := uint64(1)
	if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def})}}}}}); err != nil {
		t.Fatal(err)
	}
	model := map[int][]*version{}
	horizon := uint64(0) // snapshots below the compaction horizon are no longer readable
	key := func(k int) []byte { return []byte(fmt.Sprintf("%08d", k)) }
	for step := 0; step < 400; step++ {
		off += uint64(1 + r.Intn(3))
		var ops []log.Op
		for n := 1 + r.Intn(8); n > 0; n-- {
			k := r.Intn(150)
			vs := model[k]
			live := len(vs) > 0 && vs[len(vs)-1].end == 0
			switch x := r.Intn(100); {
			case x < 1:
				ops = append(ops, log.Op{Kind: log.OpTruncate, Table: def.ID})
				for _, vs := range model {
					if v := vs[len(vs)-1]; v.end == 0 {
						v.end = off
					}
				}
			case x < 20 && live:
				ops = append(ops, log.Op{Kind: log.OpDelete, Table: def.ID, Key: key(k)})
				vs[len(vs)-1].end = off
			default:
				row := randRow(r, k)
				kind := log.OpInsert
				if live {
					kind = log.OpUpdate
					vs[len(vs)-1].end = off
				}
				ops = append(ops, log.Op{Kind: kind, Table: def.ID, Key: key(k), Row: types.EncodeRow(nil, row)})
				model[k] = append(model[k], &version{begin: off, row: row})
			}
		}
		// Half the records go through TryApply (the committer's inline
		// path), which must apply exactly as Apply does or not at all.
		e := log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}
		if r.Intn(2) == 0 {
			done, err := st.TryApply(e)
			if err != nil {
				t.Fatal(err)
			}
			if done && st.Applied() != e.Offset {
				t.Fatalf("TryApply applied offset %d but the store is at %d", off, st.Applied())
			}
		}
		if err := st.Apply(e); err != nil {
			t.Fatal(err)
		}
		if step%40 == 0 || step == 399 {
			for i := 0; i < 3; i++ {
				snap := horizon + uint64(r.Int63n(int64(off-horizon))) + 1
				checkSnap(t, st, def, model, snap)
			}
			checkSnap(t, st, def, model, off)
		}
		if step == 200 {
			horizon = off
			if n := st.Table(def.ID).Compact(mem, off); n == 0 {
				t.Log("compaction rewrote no segment")
			}
			checkSnap(t, st, def, model, off)
		}
	}
	tb := st.Table(def.ID)
	sealed, dicts := 0, 0
	for _, s := range tb.Segments().Segs {
		if s.Sealed() {
			sealed++
			for c := range def.Columns {
				col := s.Col(c)
				if col.Zone.Ordered && !col.Zone.Min.IsNull() && types.Compare(col.Zone.Min, col.Zone.Max) > 0 {
					t.Fatalf("zone map min > max in column %d", c)
				}
			}
			if _, ok := s.Col(2).Arr.(*array.Dictionary); ok {
				dicts++
			}
		}
	}
	if dicts == 0 {
		t.Fatal("no dictionary-encoded text column in a sealed segment")
	}
	if sealed == 0 {
		t.Fatal("no sealed segment: the test does not exercise Arrow columns")
	}
	st.Close()
	mem.AssertSize(t, 0)
}

func checkSnap(t *testing.T, st *Store, def *catalog.Table, model map[int][]*version, snap uint64) {
	t.Helper()
	var want []string
	for _, vs := range model {
		for _, v := range vs {
			if v.begin <= snap && (v.end == 0 || v.end > snap) {
				want = append(want, rowString(v.row))
			}
		}
	}
	tb := st.Table(def.ID)
	var got []string
	for _, seg := range tb.Segments().Segs {
		sel, _ := tb.Visible(seg, snap, nil)
		tb.Read(func() {
			for _, i := range sel {
				got = append(got, rowString(seg.Row(def, int(i))))
			}
		})
	}
	sort.Strings(want)
	sort.Strings(got)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Fatalf("snapshot %d: column store has %d rows, model %d\n got %v\nwant %v", snap, len(got), len(want), got, want)
	}
}

func rowString(row []types.Value) string {
	s := ""
	for i, v := range row {
		t := []types.Type{types.Int4, types.Int8, types.Text, types.Numeric, types.Float8, {OID: types.OIDDate, Mod: -1}}[i]
		if v.IsNull() {
			s += "NULL|"
		} else {
			s += types.TextString(v, t, nil) + "|"
		}
	}
	return s
}

func mathFloat(f float64) uint64 { return math.Float64bits(f) }

// TestTryApply: TryApply applies a record of row operations at once, also
// while a scan runs, and changes nothing (returning false) when it would
// have to wait for another writer's lock or the record holds anything but
// row operations.
func TestTryApply(t *testing.T) {
	st := New(nil, 0)
	defer st.Close()
	def := testTable()
	rec := func(ops ...log.Op) *log.Record { return &log.Record{Txns: []log.Txn{{Ops: ops}}} }
	if err := st.Apply(log.Entry{Offset: 1, Record: rec(ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def}))}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	ins := func(k int) log.Op {
		return log.Op{Kind: log.OpInsert, Table: def.ID, Key: []byte(fmt.Sprint(k)), Vals: randRow(r, k)}
	}
	if ok, err := st.TryApply(log.Entry{Offset: 2, Record: rec(ins(1), ins(2))}); !ok || err != nil || st.Applied() != 2 {
		t.Fatalf("TryApply: %v, %v, applied %d; want it applied at 2", ok, err, st.Applied())
	}
	tb := st.Table(def.ID)
	// A scan in progress takes no lock: TryApply does not wait for it, and
	// the scan's snapshot still sees what it saw.
	inScan, release, scanned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var during []int32
	go func() {
		defer close(scanned)
		tb.Read(func() {
			close(inScan)
			<-release
			during, _ = tb.Visible(tb.Segments().Segs[0], 2, nil)
		})
	}()
	<-inScan
	if ok, err := st.TryApply(log.Entry{Offset: 3, Record: rec(ins(3))}); !ok || err != nil || st.Applied() != 3 {
		t.Fatalf("TryApply during a scan: %v, %v, applied %d; want it applied at 3", ok, err, st.Applied())
	}
	close(release)
	<-scanned
	if len(during) != 2 {
		t.Fatalf("a scan at 2 saw %d rows, want 2", len(during))
	}
	// A writer holding the table's lock (a seal being published, a
	// checkpoint's capture): TryApply changes nothing.
	tb.mu.Lock()
	if ok, err := st.TryApply(log.Entry{Offset: 4, Record: rec(ins(4))}); ok || err != nil || st.Applied() != 3 {
		t.Fatalf("TryApply with the table locked: %v, %v, applied %d; want nothing applied", ok, err, st.Applied())
	}
	tb.mu.Unlock()
	// DDL and truncates are left to Apply.
	if ok, _ := st.TryApply(log.Entry{Offset: 4, Record: rec(ins(4), log.Op{Kind: log.OpTruncate, Table: def.ID})}); ok {
		t.Fatal("TryApply applied a truncate")
	}
	big := make([]log.Op, TryApplyMaxOps+1)
	for i := range big {
		big[i] = ins(10 + i)
	}
	if ok, _ := st.TryApply(log.Entry{Offset: 4, Record: rec(big...)}); ok {
		t.Fatal("TryApply applied a record over TryApplyMaxOps")
	}
	if ok, err := st.TryApply(log.Entry{Offset: 4, Record: rec(ins(4))}); !ok || err != nil {
		t.Fatalf("TryApply after the scan: %v, %v", ok, err)
	}
	if n := tb.Live(); n != 4 || st.Applied() != 4 {
		t.Fatalf("%d live rows at offset %d, want 4 at 4", n, st.Applied())
	}
	// Already applied: nothing to do.
	if ok, err := st.TryApply(log.Entry{Offset: 4, Record: rec(ins(5))}); ok || err != nil || tb.Live() != 4 {
		t.Fatalf("TryApply of an applied offset: %v, %v, %d live rows", ok, err, tb.Live())
	}
	// A record that would fill the open segment past its size (a seal, a
	// new segment) is left to Apply.
	small := New(nil, 4)
	defer small.Close()
	if err := small.Apply(log.Entry{Offset: 1, Record: rec(ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def}))}); err != nil {
		t.Fatal(err)
	}
	if ok, err := small.TryApply(log.Entry{Offset: 2, Record: rec(ins(1), ins(2), ins(3))}); !ok || err != nil {
		t.Fatalf("TryApply into an empty table: %v, %v", ok, err)
	}
	if ok, _ := small.TryApply(log.Entry{Offset: 3, Record: rec(ins(4), ins(5))}); ok {
		t.Fatal("TryApply filled a segment past its size")
	}
	if err := small.Apply(log.Entry{Offset: 3, Record: rec(ins(4), ins(5))}); err != nil || small.Table(def.ID).Live() != 5 {
		t.Fatalf("Apply after TryApply refused: %v, %d live rows", err, small.Table(def.ID).Live())
	}
}

// TestTryApplySegmentSwitch: a record that fills the open segment is
// applied inline when a spare segment is ready (allocated ahead, off the
// apply path) and the sealer takes the full one; without a spare it is
// left to Apply.
func TestTryApplySegmentSwitch(t *testing.T) {
	saved := asyncSealMin
	asyncSealMin = 1
	defer func() { asyncSealMin = saved }()
	st := New(nil, 8)
	defer st.Close()
	def := testTable()
	rec := func(ops ...log.Op) *log.Record { return &log.Record{Txns: []log.Txn{{Ops: ops}}} }
	if err := st.Apply(log.Entry{Offset: 1, Record: rec(ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def}))}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	k := 0
	ins := func(n int) *log.Record {
		var ops []log.Op
		for range n {
			k++
			ops = append(ops, log.Op{Kind: log.OpInsert, Table: def.ID, Key: []byte(fmt.Sprint(k)), Vals: randRow(r, k)})
		}
		return rec(ops...)
	}
	// Rows 1-8 fill the first segment, row 9 opens the second (and a spare
	// is allocated for the third).
	if err := st.Apply(log.Entry{Offset: 2, Record: ins(9)}); err != nil {
		t.Fatal(err)
	}
	tb := st.Table(def.ID)
	for tb.spare.Load() == nil {
		runtime.Gosched()
	}
	if err := st.Apply(log.Entry{Offset: 3, Record: ins(2)}); err != nil {
		t.Fatal(err)
	}
	// 3 + 6 rows > 8: the record crosses into the spare.
	if ok, err := st.TryApply(log.Entry{Offset: 4, Record: ins(6)}); !ok || err != nil {
		t.Fatalf("TryApply across a segment with a spare ready: %v, %v", ok, err)
	}
	st.waitSeals()
	segs := tb.Segments().Segs
	if len(segs) != 3 || !segs[0].Sealed() || !segs[1].Sealed() || segs[2].Sealed() || segs[2].Len() != 1 {
		t.Fatalf("%d segments after 17 rows in segments of 8, want 2 sealed and 1 open with 1 row", len(segs))
	}
	if got := len(visible(st, def.ID, 4)); got != 17 {
		t.Fatalf("%d rows visible at 4, want 17", got)
	}
	// No spare ready (the third segment's spare is taken away): left to
	// Apply.
	for tb.spare.Load() == nil {
		runtime.Gosched()
	}
	tb.spare.Store(nil)
	if ok, err := st.TryApply(log.Entry{Offset: 5, Record: ins(8)}); ok || err != nil || st.Applied() != 4 {
		t.Fatalf("TryApply across a segment without a spare: %v, %v, applied %d", ok, err, st.Applied())
	}
}
