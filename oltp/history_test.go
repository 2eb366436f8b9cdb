package oltp

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// timeTravelStore applies records directly (no log) with chosen log times,
// on a store whose clock the test controls.
type timeTravelStore struct {
	t    testing.TB
	st   *Store
	now  time.Time
	off  uint64
	tbl  *catalog.Table
	base time.Time
}

func newTimeTravelStore(t testing.TB, window time.Duration) *timeTravelStore {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	x := &timeTravelStore{t: t, st: NewStore(), now: base, base: base}
	x.st.IndexMethod = "btree"
	x.st.SetTimeTravelWindow(window)
	x.st.hist.clock = func() time.Time { return x.now }
	tbl := &catalog.Table{ID: x.st.NewID(), Schema: "public", Name: "kv", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "k", Type: types.Int4, NotNull: true}, {Name: "v", Type: types.Int4}}}
	tbl.Indexes = []catalog.Index{{ID: x.st.NewID(), Name: "kv_pkey", Columns: []int{0}, Unique: true, Primary: true}}
	x.tbl = tbl
	x.apply(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tbl}).Encode()})
	return x
}

// apply applies one record stored "now" and advances the clock a second.
func (x *timeTravelStore) apply(ops ...log.Op) uint64 {
	x.t.Helper()
	x.off++
	if err := x.st.Apply(log.Entry{Offset: log.Offset(x.off), Time: x.now, Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}); err != nil {
		x.t.Fatal(err)
	}
	x.now = x.now.Add(time.Second)
	return x.off
}

func (x *timeTravelStore) key(k int) []byte {
	return EncodeKey(x.tbl, x.tbl.PK(), []types.Value{types.NewInt(int64(k))})
}

func (x *timeTravelStore) put(k, v int) uint64 {
	return x.apply(log.Op{Kind: log.OpUpdate, Table: x.tbl.ID, Key: x.key(k),
		Row: types.EncodeRow(nil, []types.Value{types.NewInt(int64(k)), types.NewInt(int64(v))})})
}

func (x *timeTravelStore) get(k int, snap uint64) (int, bool) {
	row, ok := x.st.Table(x.tbl.ID).Get(x.key(k), snap)
	if !ok {
		return 0, false
	}
	return int(row[1].I), true
}

// TestTimeTravelWindowKeepsVersions: with a window, Reclaim keeps every
// version that ended inside it, so every snapshot in the window reads what
// it read when it was current; older snapshots are refused by PinAt, never
// read wrong.
func TestTimeTravelWindowKeepsVersions(t *testing.T) {
	x := newTimeTravelStore(t, 10*time.Second)
	want := map[uint64]int{} // snapshot → value of key 1
	for v := 1; v <= 30; v++ {
		want[x.put(1, v)] = v
		if v%5 == 0 {
			x.st.Reclaim()
		}
	}
	x.st.Reclaim()
	oldest := x.st.Oldest()
	// The floor is the last record stored at least the window ago (record
	// o was stored at base + (o-1)s).
	if wantFloor := uint64(x.now.Add(-10*time.Second).Sub(x.base)/time.Second) + 1; oldest != wantFloor {
		t.Fatalf("floor %d, want %d", oldest, wantFloor)
	}
	for snap, v := range want {
		unpin, err := x.st.PinAt(snap)
		if snap < oldest {
			if !errors.Is(err, ErrTooOld) {
				t.Fatalf("PinAt(%d) below the floor %d: %v", snap, oldest, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("PinAt(%d) (floor %d): %v", snap, oldest, err)
		}
		if got, ok := x.get(1, snap); !ok || got != v {
			t.Fatalf("at %d: got %d,%v want %d", snap, got, ok, v)
		}
		unpin()
	}
	// Without a window the same history is reclaimed down to the newest.
	x.st.SetTimeTravelWindow(0)
	if n := x.st.Reclaim(); n == 0 {
		t.Fatal("Reclaim without a window dropped nothing")
	}
	if _, err := x.st.PinAt(oldest); !errors.Is(err, ErrTooOld) {
		t.Fatalf("PinAt(%d) after reclaiming everything: %v", oldest, err)
	}
	if got, ok := x.get(1, x.off); !ok || got != 30 {
		t.Fatalf("newest: %d %v", got, ok)
	}
}

// TestTimeTravelPinHoldsHorizon: a reader pinned in the past holds Reclaim
// back even when the window has passed it.
func TestTimeTravelPinHoldsHorizon(t *testing.T) {
	x := newTimeTravelStore(t, time.Second)
	s1 := x.put(1, 1)
	unpin, err := x.st.PinAt(s1)
	if err != nil {
		t.Fatal(err)
	}
	for v := 2; v <= 10; v++ {
		x.put(1, v)
	}
	x.st.Reclaim()
	if got, ok := x.get(1, s1); !ok || got != 1 {
		t.Fatalf("pinned snapshot lost its version: %d %v", got, ok)
	}
	unpin()
	x.now = x.now.Add(time.Second) // Reclaim with a window runs at most once per window/256
	x.st.Reclaim()
	if _, err := x.st.PinAt(s1); !errors.Is(err, ErrTooOld) {
		t.Fatalf("after unpin and reclaim: %v", err)
	}
	// The latest pin is always readable.
	snap, unpin := x.st.PinLatest()
	defer unpin()
	if snap != x.off {
		t.Fatalf("PinLatest = %d, want %d", snap, x.off)
	}
}

// TestCatalogAt: the catalog a past snapshot binds against.
func TestCatalogAt(t *testing.T) {
	x := newTimeTravelStore(t, time.Hour)
	created := x.off
	s1 := x.put(1, 1)
	def := *x.tbl
	def.Columns = append(append([]catalog.Column(nil), def.Columns...), catalog.Column{Name: "w", Type: types.Text})
	altered := x.apply(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.AddColumn, Table: &def}).Encode()})
	if c, ok := x.st.CatalogAt(0); !ok || len(c.Tables()) != 0 {
		t.Fatalf("before the first DDL: %v %v", c, ok)
	}
	for _, snap := range []uint64{created, s1} {
		c, ok := x.st.CatalogAt(snap)
		if !ok {
			t.Fatalf("CatalogAt(%d) not kept", snap)
		}
		if tb, _ := c.Table(x.tbl.ID); tb == nil || len(tb.Columns) != 2 {
			t.Fatalf("CatalogAt(%d): %+v", snap, tb)
		}
	}
	if c, _ := x.st.CatalogAt(altered); c != x.st.Catalog() {
		t.Fatal("CatalogAt(newest) is not the current catalog")
	}
	// A checkpoint-loaded store has no history before its offset.
	x.st.startHistoryAt(altered)
	if _, ok := x.st.CatalogAt(s1); ok {
		t.Fatal("CatalogAt before the floor answered")
	}
	if _, err := x.st.PinAt(s1); !errors.Is(err, ErrTooOld) {
		t.Fatalf("PinAt before the loaded checkpoint: %v", err)
	}
}

// TestTimeTravelModel runs random writes to two tables (puts, deletes,
// truncates), random pins and Reclaims under a moving clock, and checks
// every snapshot the store still accepts against a model of the state at
// each offset: a point is either refused (below the floor) or read exactly,
// and every point inside the window or pinned is accepted.
func TestTimeTravelModel(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	const window = 20 * time.Second
	x := newTimeTravelStore(t, window)
	second := &catalog.Table{ID: x.st.NewID(), Schema: "public", Name: "kv2", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "k", Type: types.Int4, NotNull: true}, {Name: "v", Type: types.Int4}}}
	second.Indexes = []catalog.Index{{ID: x.st.NewID(), Name: "kv2_pkey", Columns: []int{0}, Unique: true, Primary: true}}
	x.apply(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: second}).Encode()})
	tables := []*catalog.Table{x.tbl, second}
	key := func(tb *catalog.Table, k int) []byte {
		return EncodeKey(tb, tb.PK(), []types.Value{types.NewInt(int64(k))})
	}
	type state [2]map[int]int
	cur := state{{}, {}}
	model := map[uint64]state{x.off: cur} // offset → state after it
	stored := map[uint64]time.Time{}
	pins := map[uint64]func(){}
	for i := 0; i < 400; i++ {
		ti := rng.Intn(2)
		if rng.Intn(4) == 0 {
			ti = 0 // the first table is hot, the second mostly static
		}
		tb := tables[ti]
		next := state{map[int]int{}, map[int]int{}}
		for j := range cur {
			for k, v := range cur[j] {
				next[j][k] = v
			}
		}
		k := rng.Intn(8)
		var op log.Op
		switch r := rng.Intn(20); {
		case r == 0:
			op = log.Op{Kind: log.OpTruncate, Table: tb.ID}
			next[ti] = map[int]int{}
		case r < 6:
			op = log.Op{Kind: log.OpDelete, Table: tb.ID, Key: key(tb, k)}
			delete(next[ti], k)
		default:
			v := rng.Intn(1000)
			op = log.Op{Kind: log.OpUpdate, Table: tb.ID, Key: key(tb, k),
				Row: types.EncodeRow(nil, []types.Value{types.NewInt(int64(k)), types.NewInt(int64(v))})}
			next[ti][k] = v
		}
		stored[x.off+1] = x.now
		off := x.apply(op)
		cur = next
		model[off] = cur
		x.now = x.now.Add(time.Duration(rng.Intn(500)) * time.Millisecond)
		switch rng.Intn(10) {
		case 0: // pin a random point the store still holds
			snap := uint64(rng.Intn(int(off))) + 1
			if unpin, err := x.st.PinAt(snap); err == nil {
				if old := pins[snap]; old != nil {
					old()
				}
				pins[snap] = unpin
			}
		case 1:
			for snap, unpin := range pins {
				unpin()
				delete(pins, snap)
				break
			}
		case 2, 3:
			x.st.Reclaim()
		}
	}
	floor := x.st.Oldest()
	cutoff := x.now.Add(-window)
	t.Logf("offsets 1..%d, floor %d, %d versions reclaimed, %d pins", x.off, floor, x.st.reclaimed.Load(), len(pins))
	for off, want := range model {
		unpin, err := x.st.PinAt(off)
		inWindow := stored[off+1].After(cutoff) // the state at off was current until off+1 was stored
		_, pinned := pins[off]
		if err != nil {
			if off >= floor || inWindow || pinned {
				t.Fatalf("PinAt(%d) refused (floor %d, in window %v, pinned %v): %v", off, floor, inWindow, pinned, err)
			}
			continue
		}
		for ti, tb := range tables {
			st := x.st.Table(tb.ID)
			for k := 0; k < 8; k++ {
				row, ok := st.Get(key(tb, k), off)
				wv, wok := want[ti][k]
				if ok != wok || (ok && int(row[1].I) != wv) {
					t.Fatalf("seed %d: table %d key %d at %d (floor %d): got %v %v, want %d %v", seed, ti, k, off, floor, row, ok, wv, wok)
				}
			}
			n := 0
			st.Scan(off, nil, nil, false, func([]byte, []types.Value) bool { n++; return true })
			if n != len(want[ti]) {
				t.Fatalf("seed %d: table %d at %d: scan saw %d rows, want %d", seed, ti, off, n, len(want[ti]))
			}
		}
		unpin()
	}
}

// BenchmarkReclaim: the cost of one Reclaim after one applied update, on a
// table of 100k rows next to a static table of 100k rows. With a window
// the walk is throttled (once per window/256); without one it walks the
// written table only.
func BenchmarkReclaim(b *testing.B) {
	for _, w := range []time.Duration{0, time.Hour} {
		b.Run(fmt.Sprintf("window=%s/rows=100k", w), func(b *testing.B) {
			x := newTimeTravelStore(b, w)
			static := &catalog.Table{ID: x.st.NewID(), Schema: "public", Name: "static", PrimaryKey: 0,
				Columns: []catalog.Column{{Name: "k", Type: types.Int4, NotNull: true}, {Name: "v", Type: types.Int4}}}
			static.Indexes = []catalog.Index{{ID: x.st.NewID(), Name: "static_pkey", Columns: []int{0}, Unique: true, Primary: true}}
			x.apply(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: static}).Encode()})
			var ops []log.Op
			for _, tb := range []*catalog.Table{x.tbl, static} {
				for k := 0; k < 100_000; k++ {
					ops = append(ops, log.Op{Kind: log.OpInsert, Table: tb.ID, Key: EncodeKey(tb, tb.PK(), []types.Value{types.NewInt(int64(k))}),
						Row: types.EncodeRow(nil, []types.Value{types.NewInt(int64(k)), types.NewInt(0)})})
				}
			}
			x.apply(ops...)
			x.st.Reclaim()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x.put(i%100_000, i)
				x.st.Reclaim()
			}
		})
	}
}
