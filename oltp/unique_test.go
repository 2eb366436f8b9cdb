package oltp

import (
	"context"
	"sync"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// uniqueTable creates (k int primary key, v int unique) and returns it.
func (h *harness) uniqueTable() *catalog.Table {
	h.t.Helper()
	st := h.store
	tbl := &catalog.Table{ID: st.NewID(), Schema: "public", Name: "uv", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "k", Type: types.Int4, NotNull: true}, {Name: "v", Type: types.Int4}}}
	tbl.Indexes = []catalog.Index{
		{ID: st.NewID(), Name: "uv_pkey", Columns: []int{0}, Unique: true, Primary: true},
		{ID: st.NewID(), Name: "uv_v_key", Columns: []int{1}, Unique: true},
	}
	w := NewWrites()
	w.DDL(&catalog.Change{Kind: catalog.CreateTable, Table: tbl})
	if _, err := h.c.Commit(context.Background(), w, st.Applied()); err != nil {
		h.t.Fatal(err)
	}
	return tbl
}

func uvRow(k, v int) []types.Value {
	return []types.Value{types.NewInt(int64(k)), types.NewInt(int64(v))}
}

func uvKey(tbl *catalog.Table, k int) []byte { return EncodeKey(tbl, tbl.PK(), uvRow(k, 0)) }

// TestUniqueAcrossConcurrentTransactions: a UNIQUE column's value is
// checked at commit against everything committed after the writer's
// snapshot and against transactions still on their way to the log, not
// only against the writer's snapshot (which is all a statement can see).
func TestUniqueAcrossConcurrentTransactions(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tbl := h.uniqueTable()
	put := func(w *Writes, k, v int, inBase bool) { w.Put(tbl.ID, uvKey(tbl, k), uvRow(k, v), inBase) }

	// Two transactions from one snapshot insert the same value under
	// different keys: the second to commit gets 23505.
	snap := h.store.Applied()
	a, b := NewWrites(), NewWrites()
	put(a, 1, 100, false)
	put(b, 2, 100, false)
	if _, err := h.c.Commit(ctx, a, snap); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Commit(ctx, b, snap); pgerr.Code(err) != pgerr.UniqueViolation {
		t.Fatalf("second insert of v=100: got %v, want 23505", err)
	}

	// Many at once, likely sealed into one record: exactly one wins.
	snap = h.store.Applied()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, dup := 0, 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := NewWrites()
			put(w, 10+i, 200, false)
			_, err := h.c.Commit(ctx, w, snap)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case pgerr.Code(err) == pgerr.UniqueViolation:
				dup++
			default:
				t.Errorf("insert %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || dup != 15 {
		t.Fatalf("16 concurrent inserts of v=200: %d committed, %d got 23505; want 1 and 15", won, dup)
	}

	// A transaction that moves the value off its holder may give it to
	// another row.
	snap = h.store.Applied()
	c := NewWrites()
	put(c, 1, 101, true)
	put(c, 3, 100, false)
	if _, err := h.c.Commit(ctx, c, snap); err != nil {
		t.Fatalf("move v=100 from k=1 to k=3: %v", err)
	}
	// A deleted row's value is free again.
	snap = h.store.Applied()
	d := NewWrites()
	d.Delete(tbl.ID, uvKey(tbl, 3), true)
	if _, err := h.c.Commit(ctx, d, snap); err != nil {
		t.Fatal(err)
	}
	e := NewWrites()
	put(e, 4, 100, false)
	if _, err := h.c.Commit(ctx, e, snap); err != nil {
		t.Fatalf("reuse v=100 after its row was deleted: %v", err)
	}
	// Updating a row without changing its value is no conflict with itself.
	f := NewWrites()
	put(f, 4, 100, true)
	if _, err := h.c.Commit(ctx, f, h.store.Applied()); err != nil {
		t.Fatalf("rewrite k=4 with its own v=100: %v", err)
	}
	// NULLs never conflict.
	g1, g2 := NewWrites(), NewWrites()
	snap = h.store.Applied()
	g1.Put(tbl.ID, uvKey(tbl, 5), []types.Value{types.NewInt(5), types.Null}, false)
	g2.Put(tbl.ID, uvKey(tbl, 6), []types.Value{types.NewInt(6), types.Null}, false)
	if _, err := h.c.Commit(ctx, g1, snap); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Commit(ctx, g2, snap); err != nil {
		t.Fatalf("second NULL: %v", err)
	}

	// The store holds v=100 and v=200 once each.
	tb := h.store.Table(tbl.ID)
	count := map[int64]int{}
	tb.IndexScan(tbl.Indexes[1].ID, uint64(h.store.Applied()), nil, nil, false, func(_ []byte, row []types.Value) bool {
		if !row[1].IsNull() {
			count[row[1].I]++
		}
		return true
	})
	for v, n := range count {
		if n != 1 {
			t.Errorf("v=%d held by %d rows", v, n)
		}
	}
	if count[100] != 1 || count[200] != 1 || count[101] != 1 {
		t.Errorf("values %v, want 100, 101 and 200 once each", count)
	}
}
