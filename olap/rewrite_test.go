package olap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/types"
)

// visibleRows renders the rows of the generation SegmentsAt(snap) finds,
// read under that generation's definition, as a scan at snap sees them.
func visibleRows(t *testing.T, tb *Table, snap uint64) string {
	t.Helper()
	g, ok := tb.SegmentsAt(snap)
	if !ok {
		return "not held"
	}
	var out []string
	for _, seg := range g.Segs {
		sel, _ := tb.Visible(seg, snap, nil)
		for _, i := range sel {
			row := make([]types.Value, len(g.Def.Columns))
			seg.RowInto(g.Def, int(i), row, nil)
			var vs []string
			for c, v := range row {
				vs = append(vs, types.TextString(v, g.Def.Columns[c].Type, nil))
			}
			out = append(out, strings.Join(vs, "|"))
		}
	}
	return types.TypeName(g.Def.Columns[1].Type) + ": " + strings.Join(out, " ")
}

// TestRewriteGenerations: a rewrite_table record (the change, a truncate,
// every row anew) starts a new generation of segments; scans at earlier
// snapshots read the old one under the old definition, sealed or open,
// and a checkpoint taken after it holds only the new one and refuses
// (Holds) the snapshots before it.
func TestRewriteGenerations(t *testing.T) {
	def := &catalog.Table{ID: 3, Name: "r", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "k", Type: types.Int4}, {Name: "v", Type: types.Int4}},
		Indexes: []catalog.Index{{ID: 4, Name: "r_pkey", Columns: []int{0}, Unique: true, Primary: true}}}
	st := New(nil, 4) // segments of 4 rows: the old generation has sealed and open ones
	defer st.Close()
	key := func(k int) []byte {
		return oltp.EncodeKey(def, def.PK(), []types.Value{{K: types.KindInt, I: int64(k)}})
	}
	apply := func(off uint64, ops ...log.Op) {
		t.Helper()
		if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{ID: off, Ops: ops}}}}); err != nil {
			t.Fatal(err)
		}
	}
	apply(1, ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def}))
	var ins []log.Op
	for k := 1; k <= 6; k++ {
		row := []types.Value{{K: types.KindInt, I: int64(k)}, {K: types.KindInt, I: int64(k * 10)}}
		ins = append(ins, log.Op{Kind: log.OpInsert, Table: def.ID, Key: key(k), Row: types.EncodeRow(nil, row), Vals: row})
	}
	apply(2, ins...)
	// v int → text: the rewrite's record.
	nd := def.Clone()
	nd.Columns[1].Type = types.Text
	ops := []log.Op{ddl(&catalog.Change{Kind: catalog.RewriteTable, Table: nd}), {Kind: log.OpTruncate, Table: def.ID}}
	for k := 1; k <= 6; k++ {
		row := []types.Value{{K: types.KindInt, I: int64(k)}, {K: types.KindText, S: fmt.Sprintf("v%d", k)}}
		ops = append(ops, log.Op{Kind: log.OpInsert, Table: def.ID, Key: key(k), Row: types.EncodeRow(nil, row), Vals: row})
	}
	apply(3, ops...)
	st.waitSeals()
	tb := st.Table(def.ID)
	old, now := visibleRows(t, tb, 2), visibleRows(t, tb, 3)
	if want := "integer: 1|10 2|20 3|30 4|40 5|50 6|60"; old != want {
		t.Errorf("at offset 2: %s, want %s", old, want)
	}
	if want := "text: 1|v1 2|v2 3|v3 4|v4 5|v5 6|v6"; now != want {
		t.Errorf("at offset 3: %s, want %s", now, want)
	}
	if got := len(tb.Segments().Segs); got != 2 {
		t.Errorf("the new generation has %d segments, want 2", got)
	}
	// Another record after the rewrite lands in the new generation.
	row := []types.Value{{K: types.KindInt, I: 7}, {K: types.KindText, S: "v7"}}
	apply(4, log.Op{Kind: log.OpInsert, Table: def.ID, Key: key(7), Row: types.EncodeRow(nil, row), Vals: row})

	off, files := saveCheckpoint(t, st)
	ld, err := loadCheckpoint(nil, 4, off, files)
	if err != nil {
		t.Fatal(err)
	}
	defer ld.Close()
	lt := ld.Table(def.ID)
	if lt.Holds(2) || !lt.Holds(3) {
		t.Errorf("loaded: holds offset 2 %v, offset 3 %v; want false, true", lt.Holds(2), lt.Holds(3))
	}
	if got, want := visibleRows(t, lt, 4), "text: 1|v1 2|v2 3|v3 4|v4 5|v5 6|v6 7|v7"; got != want {
		t.Errorf("loaded, at offset 4: %s, want %s", got, want)
	}
}
