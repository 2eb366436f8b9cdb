package olap

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/types"
)

// visible returns table id's rows visible at snap, one line each, sorted.
func visible(st *Store, id uint32, snap uint64) []string {
	t := st.Table(id)
	if t == nil {
		return nil
	}
	sn := t.Segments()
	var out []string
	for _, seg := range sn.Segs {
		sel, _ := t.Visible(seg, snap, nil)
		t.Read(func() {
			for _, i := range sel {
				out = append(out, fmt.Sprint(seg.Row(sn.Def, int(i))))
			}
		})
	}
	sort.Strings(out)
	return out
}

// TestSeedMatchesReplay is metamorphic: the same random log (inserts,
// updates, deletes, truncates, an ADD COLUMN, a table without a primary
// key) goes into a row store and a column store built by replay; at a
// random point a second column store is seeded from the row store, then
// both column stores follow the rest of the log. At every snapshot from
// the seeding offset R on the two column stores must hold the same rows;
// the seeded one reports Oldest() = R. Arrow memory is checked for leaks.
func TestSeedMatchesReplay(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewSource(seed))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	row := oltp.NewStore()
	replay := New(mem, 40)
	seeded := New(mem, 40)
	defer func() {
		replay.Close()
		seeded.Close()
		mem.AssertSize(t, 0)
	}()

	def := testTable()
	nopk := &catalog.Table{ID: 9, Name: "h", PrimaryKey: -1,
		Columns: []catalog.Column{{Name: "x", Type: types.Int8}, {Name: "y", Type: types.Text}}}
	off := uint64(0)
	var snaps []uint64
	apply := func(ops ...log.Op) {
		t.Helper()
		off++
		e := log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{ID: off, Ops: ops}}}}
		if err := row.Apply(e); err != nil {
			t.Fatal(err)
		}
		if err := replay.Apply(e); err != nil {
			t.Fatal(err)
		}
		if seeded.Applied() > 0 {
			if err := seeded.Apply(e); err != nil {
				t.Fatal(err)
			}
		}
		snaps = append(snaps, off)
	}
	apply(ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def}))
	apply(ddl(&catalog.Change{Kind: catalog.CreateTable, Table: nopk}))
	pk := def.PK()
	live := map[int][]types.Value{}
	hidden := int64(0)
	var hiddenLive []int64
	step := func(cur *catalog.Table) {
		var ops []log.Op
		for n := 1 + r.Intn(6); n > 0; n-- {
			switch x := r.Intn(100); {
			case x < 1:
				ops = append(ops, log.Op{Kind: log.OpTruncate, Table: cur.ID})
				live = map[int][]types.Value{}
			case x < 15 && len(hiddenLive) > 0:
				i := r.Intn(len(hiddenLive))
				ops = append(ops, log.Op{Kind: log.OpDelete, Table: nopk.ID, Key: oltp.RowIDKey(hiddenLive[i])})
				hiddenLive = append(hiddenLive[:i], hiddenLive[i+1:]...)
			case x < 30:
				hidden++
				hiddenLive = append(hiddenLive, hidden)
				v := []types.Value{types.NewInt(int64(r.Intn(9))), types.NewText(fmt.Sprintf("h%d", r.Intn(4)))}
				ops = append(ops, log.Op{Kind: log.OpInsert, Table: nopk.ID, Key: oltp.RowIDKey(hidden), Row: types.EncodeRow(nil, v)})
			default:
				k := r.Intn(200)
				if _, ok := live[k]; ok && r.Intn(3) == 0 {
					vals := live[k]
					ops = append(ops, log.Op{Kind: log.OpDelete, Table: cur.ID, Key: oltp.EncodeKey(cur, pk, vals)})
					delete(live, k)
					continue
				}
				vals := randRow(r, k)
				if len(cur.Columns) > len(vals) {
					vals = append(vals, types.NewText(fmt.Sprintf("e%d", r.Intn(3))))
				}
				kind := log.OpInsert
				if _, ok := live[k]; ok {
					kind = log.OpUpdate
				}
				live[k] = vals
				ops = append(ops, log.Op{Kind: kind, Table: cur.ID, Key: oltp.EncodeKey(cur, pk, vals), Row: types.EncodeRow(nil, vals)})
			}
		}
		apply(ops...)
	}
	cur := def
	seedAt := 60 + r.Intn(120)
	for i := 0; i < 300; i++ {
		if i == 150 { // rows written before it are short: the column's missing value
			wider := *cur
			wider.Columns = append(append([]catalog.Column(nil), cur.Columns...), catalog.Column{Name: "e", Type: types.Text, Missing: ptr("dflt")})
			cur = &wider
			apply(ddl(&catalog.Change{Kind: catalog.AddColumn, Table: cur}))
		}
		if i == seedAt {
			st, err := seeded.Seed(context.Background(), row)
			if err != nil {
				t.Fatal(err)
			}
			if st.Offset != off || seeded.Applied() != log.Offset(off) || seeded.Oldest() != off || st.Tables != 2 {
				t.Fatalf("seeded %+v: applied %d oldest %d, want offset %d and 2 tables", st, seeded.Applied(), seeded.Oldest(), off)
			}
			var want int64
			for _, id := range []uint32{def.ID, nopk.ID} {
				want += int64(len(visible(replay, id, off)))
			}
			if st.Rows != want {
				t.Fatalf("seeded %d rows, the replayed store has %d at %d", st.Rows, want, off)
			}
		}
		step(cur)
	}
	if replay.Oldest() != 0 {
		t.Fatalf("a replayed store reports Oldest %d", replay.Oldest())
	}
	R := seeded.Oldest()
	checked := 0
	for _, snap := range snaps {
		if snap < R {
			continue
		}
		for _, id := range []uint32{def.ID, nopk.ID} {
			a, b := visible(replay, id, snap), visible(seeded, id, snap)
			if strings.Join(a, "\n") != strings.Join(b, "\n") {
				t.Fatalf("table %d at snapshot %d (seeded at %d): replayed %d rows, seeded %d rows\nreplayed: %v\nseeded:   %v", id, snap, R, len(a), len(b), a, b)
			}
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d snapshots checked", checked)
	}
	// A checkpoint of the seeded store keeps its oldest point.
	c := seeded.Capture()
	defer c.Release()
	if c.Oldest != R {
		t.Fatalf("capture of a seeded store: Oldest %d, want %d", c.Oldest, R)
	}
}

func ptr(s string) *string { return &s }

// TestSeedRefusesNonEmpty: seeding needs a store that applied nothing.
func TestSeedRefusesNonEmpty(t *testing.T) {
	st := New(nil, 0)
	st.Loaded(5)
	if _, err := st.Seed(context.Background(), oltp.NewStore()); err == nil {
		t.Fatal("seeding a store at offset 5 succeeded")
	}
}
