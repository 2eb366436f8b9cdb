package oltp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// bulkTable is the CDC benchmark's snapshot table: (id bigint primary key,
// n int, amount numeric(12,2), label text, at timestamptz).
func bulkTable(st *Store) *catalog.Table {
	tbl := &catalog.Table{ID: st.NewID(), Schema: "public", Name: "snap", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "id", Type: types.Int8, NotNull: true}, {Name: "n", Type: types.Int4},
			{Name: "amount", Type: types.Type{OID: types.OIDNumeric, Mod: types.NumericTypmod(12, 2)}}, {Name: "label", Type: types.Text}, {Name: "at", Type: types.TimestampTZ}}}
	tbl.Indexes = []catalog.Index{{ID: st.NewID(), Name: "snap_pkey", Columns: []int{0}, Unique: true, Primary: true}}
	return tbl
}

func bulkRow(tbl *catalog.Table, i int64) []types.Value {
	row := make([]types.Value, 5)
	row[0] = types.NewInt(i)
	row[1] = types.NewInt(i % 1000)
	amt, _ := types.ParseText(tbl.Columns[2].Type, fmt.Sprintf("%d.%02d", (i%100000)/100, i%100), nil)
	row[2] = amt
	row[3] = types.NewText(fmt.Sprintf("%032x", i*2654435761))
	at, _ := types.ParseText(tbl.Columns[4].Type, "2026-01-01 00:00:00+00", nil)
	row[4] = at
	return row
}

// BenchmarkBulkCommit commits insert-only batches (a CDC snapshot chunk, a
// COPY) through the committer with the real log and reports rows/s.
func BenchmarkBulkCommit(b *testing.B) {
	for _, batch := range []int{20000, 100000} {
		b.Run(fmt.Sprintf("rows=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			l, err := log.Open(ctx, log.Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			st := NewStore()
			st.IndexMethod = "learned"
			c := NewCommitter(l, st, nil)
			defer c.Close()
			tbl := bulkTable(st)
			w := NewWrites()
			w.DDL(&catalog.Change{Kind: catalog.CreateTable, Table: tbl})
			if _, err := c.Commit(ctx, w, st.Applied()); err != nil {
				b.Fatal(err)
			}
			// Rows are prepared up front: the benchmark measures the commit.
			rows := make([][]types.Value, batch)
			for i := range rows {
				rows[i] = bulkRow(tbl, int64(i))
			}
			b.ResetTimer()
			var build, commit time.Duration
			next := int64(0)
			for n := 0; n < b.N; n++ {
				t0 := time.Now()
				w := NewWrites()
				for i := range rows {
					rows[i][0] = types.NewInt(next)
					next++
					w.Put(tbl.ID, EncodeKey(tbl, tbl.PK(), rows[i]), rows[i], false)
				}
				t1 := time.Now()
				if _, err := c.Commit(ctx, w, st.Applied()); err != nil {
					b.Fatal(err)
				}
				build += t1.Sub(t0)
				commit += time.Since(t1)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(build.Milliseconds())/float64(b.N), "build-ms/op")
			b.ReportMetric(float64(commit.Milliseconds())/float64(b.N), "commit-ms/op")
		})
	}
}
