package olap

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/types"
)

// snapTable is the CDC benchmark's table (bench cdc): id bigint primary
// key, n int, amount numeric(12,2), label text (md5), at timestamptz.
func snapTable() *catalog.Table {
	return &catalog.Table{ID: 9, Name: "snap", PrimaryKey: 0,
		Columns: []catalog.Column{
			{Name: "id", Type: types.Int8}, {Name: "n", Type: types.Int4},
			{Name: "amount", Type: types.Type{OID: types.OIDNumeric, Mod: types.NumericTypmod(12, 2)}},
			{Name: "label", Type: types.Text}, {Name: "at", Type: types.Type{OID: types.OIDTimestampTZ, Mod: -1}},
		},
		Indexes: []catalog.Index{{ID: 10, Name: "snap_pkey", Columns: []int{0}, Unique: true, Primary: true}}}
}

// bulkRecords builds n records of per inserted rows each, as the committer
// hands them to the column store (rows decoded in Op.Vals).
func bulkRecords(def *catalog.Table, n, per int) []log.Entry {
	var es []log.Entry
	g := int64(0)
	for r := 0; r < n; r++ {
		ops := make([]log.Op, per)
		for i := range ops {
			g++
			sum := md5.Sum([]byte(fmt.Sprint(g)))
			row := []types.Value{{K: types.KindInt, I: g}, {K: types.KindInt, I: g % 1000},
				{K: types.KindNumeric, N: apd.New(g%100000, -2)},
				{K: types.KindText, S: hex.EncodeToString(sum[:])},
				{K: types.KindTimestampTZ, I: 1_700_000_000_000_000 + g*1_000_000}}
			ops[i] = log.Op{Kind: log.OpInsert, Table: def.ID, Key: keycode.Append(nil, row[0], types.Int8), Vals: row}
		}
		es = append(es, log.Entry{Offset: log.Offset(r + 2), Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}})
	}
	return es
}

// BenchmarkApplyBulk applies snapshot-chunk-sized records (20,000 inserted
// rows each) to an empty table: the column store's share of a CDC snapshot
// or a COPY.
func BenchmarkApplyBulk(b *testing.B) {
	def := snapTable()
	const recs, per = 10, 20_000
	es := bulkRecords(def, recs, per)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := New(nil, 0)
		if err := st.Apply(log.Entry{Offset: 1, Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def})}}}}}); err != nil {
			b.Fatal(err)
		}
		for _, e := range es {
			if err := st.Apply(e); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()
	}
	b.ReportMetric(float64(recs*per)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
