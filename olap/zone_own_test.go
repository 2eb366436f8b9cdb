package olap

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// TestSealedColumnsOwnTheirValues: rows that arrive encoded only are
// decoded with their strings aliasing the record's bytes (Table.applyRow);
// what a sealed segment keeps as values — zone maps, boxed columns —
// outlives the open rows and must be copies. The test overwrites the
// record's bytes after sealing (which the server never does) to catch any
// value that still aliases them.
func TestSealedColumnsOwnTheirValues(t *testing.T) {
	st := New(nil, 8) // below asyncSealMin: sealed on the apply path
	def := testTable()
	if err := st.Apply(log.Entry{Offset: 1, Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def})}}}}}); err != nil {
		t.Fatal(err)
	}
	// All rows' encodings in one buffer, as a COPY's parse block holds them.
	var buf []byte
	var ends []int
	for k := 0; k < 9; k++ {
		s := types.NewText(fmt.Sprintf("word-%02d", k))
		if k == 3 {
			s = types.NewInt(3) // mixed kinds: the column is kept boxed
		}
		row := []types.Value{types.NewInt(int64(k)), types.NewInt(int64(k)), s,
			{K: types.KindNumeric, N: apd.New(int64(100+k), -2)}, types.Null, types.Null}
		buf = types.EncodeRow(buf, row)
		ends = append(ends, len(buf))
	}
	var ops []log.Op
	start := 0
	for k, end := range ends {
		ops = append(ops, log.Op{Kind: log.OpInsert, Table: def.ID, Key: []byte(fmt.Sprintf("%08d", k)), Row: buf[start:end:end]})
		start = end
	}
	if err := st.Apply(log.Entry{Offset: 2, Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}); err != nil {
		t.Fatal(err)
	}
	seg := st.Table(def.ID).segs[0]
	if !seg.sealed {
		t.Fatal("the first segment (8 rows) was not sealed")
	}
	for i := range buf {
		buf[i] = 0xff
	}
	text, num := seg.cols[2], seg.cols[3]
	if len(text.Boxed) != 8 {
		t.Fatalf("text column with an integer in it: %d boxed values, want 8", len(text.Boxed))
	}
	for k, v := range text.Boxed {
		if want := fmt.Sprintf("word-%02d", k); k != 3 && v.S != want {
			t.Fatalf("boxed value %d reads %q after the record's bytes changed, want %q", k, v.S, want)
		}
	}
	if z := num.Zone; !z.Ordered || z.Min.N.String() != "1.00" || z.Max.N.String() != "1.07" {
		t.Fatalf("numeric zone map %v..%v, want 1.00..1.07", z.Min.N, z.Max.N)
	}
}
