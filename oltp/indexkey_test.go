package oltp

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// fakeExprs evaluates the two index expressions these tests use, over
// rows (k int, v text, live bool): "lower(v)" and the predicate "live".
// (Package sql registers the real compiler; oltp's tests cannot import
// it.)
type fakeExprs struct{ where bool }

func (f fakeExprs) Elem(i int, row []types.Value) (types.Value, error) {
	if row[1].IsNull() {
		return types.Null, nil
	}
	if row[1].S == "boom" {
		return types.Null, pgerr.New("22012", "division by zero")
	}
	return types.NewText(strings.ToLower(row[1].S)), nil
}

func (f fakeExprs) ElemType(int) types.Type { return types.Text }

func (f fakeExprs) Holds(row []types.Value) (bool, error) {
	return !f.where || !row[2].IsNull() && row[2].Bool(), nil
}

func useFakeCompiler(t *testing.T) {
	compilerMu.RLock()
	prev := compiler
	compilerMu.RUnlock()
	RegisterIndexCompiler(func(def *catalog.Table, ix *catalog.Index) (IndexExprs, error) {
		for _, e := range ix.Exprs {
			if e != "" && e != "lower(v)" {
				return nil, fmt.Errorf("fake compiler: %q", e)
			}
		}
		if ix.Where != "" && ix.Where != "live" {
			return nil, fmt.Errorf("fake compiler: %q", ix.Where)
		}
		return fakeExprs{where: ix.Where != ""}, nil
	})
	t.Cleanup(func() { RegisterIndexCompiler(prev) })
}

// exprTable is (k int primary key, v text, live bool) with an index on
// lower(v) WHERE live (partial, on an expression), a unique one on
// lower(v) WHERE live, and a plain one on lower(v) for every row.
func exprTable(id uint32) *catalog.Table {
	tb := &catalog.Table{ID: id, Schema: "public", Name: "ex", PrimaryKey: 0, Columns: []catalog.Column{
		{Name: "k", Type: types.Int4, NotNull: true}, {Name: "v", Type: types.Text}, {Name: "live", Type: types.Bool}}}
	tb.Indexes = []catalog.Index{
		{ID: id + 1, Name: "ex_pkey", Columns: []int{0}, Unique: true, Primary: true},
		{ID: id + 2, Name: "ex_live", Columns: []int{-1}, Exprs: []string{"lower(v)"}, Where: "live"},
		{ID: id + 3, Name: "ex_all", Columns: []int{-1, 0}, Exprs: []string{"lower(v)", ""}, Method: "btree"},
	}
	return tb
}

func exRow(k int, v string, live bool) []types.Value {
	vv := types.NewText(v)
	if v == "" {
		vv = types.Null
	}
	return []types.Value{types.NewInt(int64(k)), vv, types.NewBool(live)}
}

// indexed returns the primary keys (as ints) that index ix holds under
// lower(v) = val at the store's newest offset.
func indexed(s *Store, tb *catalog.Table, ix uint32, val string) []int {
	prefix := keycode.Append(nil, types.NewText(val), types.Text)
	var out []int
	s.Table(tb.ID).IndexScan(ix, uint64(s.Applied()), prefix, PrefixEnd(prefix), false, func(_ []byte, row []types.Value) bool {
		out = append(out, int(row[0].I))
		return true
	})
	slices.Sort(out)
	return out
}

// TestExprIndexMaintenance: random inserts, updates (which change a row's
// expression value and whether the partial index holds it) and deletes,
// applied as log records; after each, each index holds exactly the rows
// the model says — in the store that applied them and in one loaded from a
// checkpoint of it. Index maintenance on any write path that is removed
// (an update not re-keyed, a partial index holding rows its predicate
// refuses) fails it.
func TestExprIndexMaintenance(t *testing.T) {
	useFakeCompiler(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	m := &ckptModel{}
	st := NewStore()
	tb := exprTable(16384)
	applyAll(t, m.entry(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tb}).Encode()}), st)
	type mrow struct {
		v    string
		live bool
	}
	model := map[int]mrow{}
	vals := []string{"a", "A", "b", "B", "c", ""}
	check := func(s *Store, what string) {
		t.Helper()
		for _, val := range []string{"a", "b", "c"} {
			var live, all []int
			for k, r := range model {
				if strings.ToLower(r.v) == val {
					all = append(all, k)
					if r.live {
						live = append(live, k)
					}
				}
			}
			slices.Sort(live)
			slices.Sort(all)
			if got := indexed(s, tb, tb.Indexes[1].ID, val); !slices.Equal(got, live) {
				t.Fatalf("%s: ex_live holds %v under %q, want %v", what, got, val, live)
			}
			if got := indexed(s, tb, tb.Indexes[2].ID, val); !slices.Equal(got, all) {
				t.Fatalf("%s: ex_all holds %v under %q, want %v", what, got, val, all)
			}
		}
	}
	for i := 0; i < 300; i++ {
		var ops []log.Op
		for j := 0; j < 1+rng.Intn(4); j++ {
			k := rng.Intn(20)
			key := EncodeKey(tb, tb.PK(), exRow(k, "", false))
			if rng.Intn(4) == 0 {
				ops = append(ops, log.Op{Kind: log.OpDelete, Table: tb.ID, Key: key})
				delete(model, k)
				continue
			}
			r := mrow{v: vals[rng.Intn(len(vals))], live: rng.Intn(2) == 0}
			kind := log.OpInsert
			if _, ok := model[k]; ok {
				kind = log.OpUpdate
			}
			ops = append(ops, log.Op{Kind: kind, Table: tb.ID, Key: key, Row: types.EncodeRow(nil, exRow(k, r.v, r.live))})
			model[k] = r
		}
		applyAll(t, m.entry(ops...), st)
		check(st, fmt.Sprintf("record %d", i))
	}
	var buf bytes.Buffer
	if _, err := st.WriteCheckpoint(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := LoadCheckpoint(bytes.NewReader(buf.Bytes()), "learned")
	if err != nil {
		t.Fatal(err)
	}
	check(loaded, "loaded from a checkpoint")

	// An index created over existing rows holds the same.
	nt := tb.Clone()
	nt.Indexes = append(nt.Indexes, catalog.Index{ID: 16400, Name: "ex_live2", Columns: []int{-1}, Exprs: []string{"lower(v)"}, Where: "live"})
	applyAll(t, m.entry(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateIndex, Table: nt, Index: 3}).Encode()}), st)
	for _, val := range []string{"a", "b", "c"} {
		if a, b := indexed(st, nt, 16400, val), indexed(st, nt, tb.Indexes[1].ID, val); !slices.Equal(a, b) {
			t.Fatalf("index created later holds %v under %q, the maintained one %v", a, val, b)
		}
	}

	// A row an expression fails on (a broken invariant: its writer
	// computed the keys) is stored, and breaks the indexes it fails in
	// rather than the apply: they stop answering.
	bad := log.Op{Kind: log.OpInsert, Table: tb.ID, Key: EncodeKey(tb, tb.PK(), exRow(99, "", false)), Row: types.EncodeRow(nil, exRow(99, "boom", true))}
	applyAll(t, m.entry(bad), st)
	if _, ok := st.Table(tb.ID).Get(bad.Key, Live-1); !ok {
		t.Fatal("the row was not stored")
	}
	for _, id := range []uint32{tb.Indexes[1].ID, tb.Indexes[2].ID} {
		if err := st.Table(tb.ID).IndexBroken(id); err == nil || !strings.Contains(err.Error(), "division by zero") {
			t.Fatalf("index %d after a failing row: %v", id, err)
		}
		if st.Table(tb.ID).IndexScan(id, uint64(st.Applied()), nil, nil, false, func([]byte, []types.Value) bool { return true }) {
			t.Fatalf("broken index %d still answers", id)
		}
	}
	var b2 bytes.Buffer
	if _, err := st.WriteCheckpoint(&b2); err != nil {
		t.Fatal(err)
	}
	loaded, _, err = LoadCheckpoint(bytes.NewReader(b2.Bytes()), "learned")
	if err != nil {
		t.Fatalf("a checkpoint with a row an index expression fails on does not load: %v", err)
	}
	if loaded.Table(tb.ID).IndexBroken(tb.Indexes[1].ID) == nil {
		t.Fatal("loaded: the index is not broken")
	}
}

// TestExprIndexUnique: the committer checks a unique index on an
// expression with a predicate against concurrent transactions — the same
// lower(v) twice among live rows is 23505, among rows the predicate
// refuses no conflict, NULL never.
func TestExprIndexUnique(t *testing.T) {
	useFakeCompiler(t)
	h := newHarness(t)
	ctx := context.Background()
	tb := exprTable(h.store.NewID())
	tb.Indexes[1].Unique = true
	for range tb.Indexes {
		h.store.NewID()
	}
	w := NewWrites()
	w.DDL(&catalog.Change{Kind: catalog.CreateTable, Table: tb})
	if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
		t.Fatal(err)
	}
	put := func(w *Writes, k int, v string, live bool) {
		row := exRow(k, v, live)
		w.Put(tb.ID, EncodeKey(tb, tb.PK(), row), row, false)
	}
	snap := h.store.Applied()
	a, b := NewWrites(), NewWrites()
	put(a, 1, "Ann", true)
	put(b, 2, "ANN", true)
	if _, err := h.c.Commit(ctx, a, snap); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Commit(ctx, b, snap); pgerr.Code(err) != pgerr.UniqueViolation {
		t.Fatalf("second live ann: %v, want 23505", err)
	}
	snap = h.store.Applied()
	for i, c := range []struct {
		v    string
		live bool
	}{{"ann", false}, {"aNN", false}, {"", true}, {"", true}} {
		w := NewWrites()
		put(w, 10+i, c.v, c.live)
		if _, err := h.c.Commit(ctx, w, snap); err != nil {
			t.Fatalf("row %d (%q, live %v): %v", i, c.v, c.live, err)
		}
	}
	// Moving the holder out of the index frees the value.
	w = NewWrites()
	w.PutAt(tb.ID, EncodeKey(tb, tb.PK(), exRow(1, "", false)), exRow(1, "Ann", false), true, 0)
	put(w, 20, "ann", true)
	if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
		t.Fatalf("holder deactivated and a new live ann in one transaction: %v", err)
	}
}
