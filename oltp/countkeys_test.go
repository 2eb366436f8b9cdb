package oltp

import (
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/types"
)

// CountKeys counts the primary key's and an index's keys in [lo, hi),
// stopping at limit, and reports an unknown index.
func TestCountKeys(t *testing.T) {
	st := NewStore()
	tbl := &catalog.Table{ID: st.NewID(), Schema: "public", Name: "ck", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "id", Type: types.Int8, NotNull: true}, {Name: "k", Type: types.Int4}}}
	tbl.Indexes = []catalog.Index{{ID: st.NewID(), Name: "ck_pkey", Columns: []int{0}, Unique: true, Primary: true},
		{ID: st.NewID(), Name: "ck_k", Columns: []int{1}}}
	apply := func(off uint64, ops []log.Op) {
		t.Helper()
		if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{ID: off, Ops: ops}}}}); err != nil {
			t.Fatal(err)
		}
	}
	apply(1, []log.Op{{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tbl}).Encode()}})
	w := NewWrites()
	for id := 0; id < 1000; id++ {
		r := []types.Value{types.NewInt(int64(id)), types.NewInt(int64(id / 10))}
		w.Put(tbl.ID, EncodeKey(tbl, tbl.PK(), r), r, false)
	}
	ops, err := w.ops()
	if err != nil {
		t.Fatal(err)
	}
	apply(2, ops)
	key := func(v int64, typ types.Type) []byte { return keycode.Append(nil, types.NewInt(v), typ) }
	pk, k := func(v int64) []byte { return key(v, types.Int8) }, func(v int64) []byte { return key(v, types.Int4) }
	for _, c := range []struct {
		ix     uint32
		lo, hi []byte
		limit  int
		want   int
	}{
		{0, pk(100), pk(200), 1000, 100},
		{0, pk(100), pk(200), 50, 50},
		{0, nil, nil, 5000, 1000},
		{0, pk(990), nil, 5000, 10},
		{0, pk(5), pk(5), 10, 0},
		{tbl.Indexes[1].ID, k(3), k(5), 1000, 20},
		{tbl.Indexes[1].ID, k(3), nil, 100, 100},
		{tbl.Indexes[1].ID, nil, k(1), 1000, 10},
	} {
		n, ok := st.Table(tbl.ID).CountKeys(c.ix, c.lo, c.hi, c.limit)
		if !ok || n != c.want {
			t.Errorf("CountKeys(%d, %x, %x, %d) = %d, %v; want %d", c.ix, c.lo, c.hi, c.limit, n, ok, c.want)
		}
	}
	if _, ok := st.Table(tbl.ID).CountKeys(12345, nil, nil, 10); ok {
		t.Error("CountKeys of an unknown index reports ok")
	}
}
