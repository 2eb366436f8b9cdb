package olap

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/types"
)

// TestSealArrayColumn: a sealed segment keeps array values (one- and
// multidimensional, NULLs, empty) in a Binary column and gives them back
// equal, element count and dimensions included.
func TestSealArrayColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	def := &catalog.Table{Columns: []catalog.Column{
		{Name: "id", Type: types.Int4},
		{Name: "a", Type: types.Type{OID: types.OIDInt4Array, Mod: -1}},
	}}
	md, err := types.ParseText(types.Type{OID: types.OIDInt4Array, Mod: -1}, "{{1,2},{3,NULL}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	vals := []types.Value{
		types.NewArray([]types.Value{types.NewInt(1), types.NewInt(2), types.NewInt(3)}),
		types.Null,
		types.NewArray(nil),
		md,
	}
	s := &Segment{}
	for i, v := range vals {
		s.Ins = append(s.Ins, uint64(i+1))
		s.Del = append(s.Del, 0)
		s.rows = append(s.rows, []types.Value{types.NewInt(int64(i)), v})
	}
	s.seal(mem, def)
	col := s.cols[1]
	if _, ok := col.Arr.(*array.Binary); !ok || col.Kind != types.KindArray {
		t.Fatalf("array column sealed as %T kind %d, want Binary of KindArray", col.Arr, col.Kind)
	}
	at := types.Type{OID: types.OIDInt4Array, Mod: -1}
	for i, want := range vals {
		got := col.Value(i)
		if got.IsNull() != want.IsNull() || (!want.IsNull() && (types.Compare(got, want) != 0 || got.ArrayLen() != want.ArrayLen())) {
			t.Errorf("row %d: got %s, want %s", i, types.TextString(got, at, nil), types.TextString(want, at, nil))
		}
	}
	for _, c := range s.cols {
		c.release()
	}
}

// TestCheckpointArrayColumn: sealed array columns survive a checkpoint
// written and loaded back (the Binary column with kind KindArray).
func TestCheckpointArrayColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	lmem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	at := types.Type{OID: types.OIDTextArray, Mod: -1}
	def := &catalog.Table{ID: 11, Name: "arr", PrimaryKey: -1, Columns: []catalog.Column{
		{Name: "id", Type: types.Int8}, {Name: "a", Type: at, Dims: 2},
	}}
	const segRows = 4
	st := New(mem, segRows)
	off := uint64(1)
	if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{
		ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def})}}}}}); err != nil {
		t.Fatal(err)
	}
	lits := []string{`{a,"b c"}`, "{{x,y},{NULL,z}}", "{}", "", `{"{}"}`, "{{1},{2},{3}}"}
	want := map[int64]string{}
	for i, lit := range lits {
		v := types.Null
		if lit != "" {
			var err error
			if v, err = types.ParseText(at, lit, nil); err != nil {
				t.Fatal(err)
			}
		}
		off++
		row := []types.Value{types.NewInt(int64(i)), v}
		if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{
			{Kind: log.OpInsert, Table: def.ID, Key: oltp.RowIDKey(int64(i + 1)), Row: types.EncodeRow(nil, row)}}}}}}); err != nil {
			t.Fatal(err)
		}
		want[int64(i)] = "NULL"
		if lit != "" {
			want[int64(i)] = types.TextString(v, at, nil)
		}
	}
	read := func(st *Store) map[int64]string {
		got := map[int64]string{}
		snap := st.Table(def.ID).Segments()
		for _, seg := range snap.Segs {
			snap.T.Read(func() {
				for i := 0; i < seg.Len(); i++ {
					v := seg.Value(snap.Def, i, 1)
					s := "NULL"
					if !v.IsNull() {
						s = types.TextString(v, at, nil)
					}
					got[seg.Value(snap.Def, i, 0).I] = s
				}
			})
		}
		return got
	}
	if got := read(st); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("before checkpoint: %v, want %v", got, want)
	}
	if !st.Table(def.ID).Segments().Segs[0].Sealed() {
		t.Fatalf("first segment not sealed; the test needs a sealed array column")
	}
	o, files := saveCheckpoint(t, st)
	st2, err := loadCheckpoint(lmem, segRows, o, files)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(st2); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after checkpoint: %v, want %v", got, want)
	}
	st2.Close()
	st.Close()
	mem.AssertSize(t, 0)
	lmem.AssertSize(t, 0)
}
