package sql_test

import (
	"context"
	"testing"

	"github.com/omendb/omendb/internal/testserver"
)

// BenchmarkRangeRead reads 100 rows of a 1M-row table by a key range over
// the wire (pgx, prepared, one connection): big(id int primary key, k int
// = id / 10 with an index, v int = id % 1000). path=pk is WHERE id
// BETWEEN $1 AND $1 + 99, path=index WHERE k BETWEEN $1 AND $1 + 9 (the
// same 100 rows through the secondary index), path=index-limit WHERE k >
// $1 LIMIT 10 (a range open above, cut by a LIMIT); engine=row forces the
// row store, engine=auto lets the planner choose (the column store for
// a scan without a key path).
func BenchmarkRangeRead(b *testing.B) {
	srv := testserver.Start(b)
	ctx := context.Background()
	c := testserver.Connect(b, srv)
	for _, q := range []string{
		`CREATE TABLE big (id int PRIMARY KEY, k int, v int)`,
		`INSERT INTO big SELECT g, g / 10, g % 1000 FROM generate_series(0, 999999) g`,
		`CREATE INDEX big_k ON big (k)`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	paths := []struct{ name, q string }{
		{"pk", `SELECT count(*), sum(v) FROM big WHERE id BETWEEN $1 AND $1 + 99`},
		{"index", `SELECT count(*), sum(v) FROM big WHERE k BETWEEN $1 AND $1 + 9`},
		{"index-limit", `SELECT count(*), sum(v) FROM (SELECT v FROM big WHERE k > $1 LIMIT 10) q`},
	}
	for _, engine := range []string{"row", "auto"} {
		if _, err := c.Exec(ctx, "SET omendb.engine = '"+engine+"'"); err != nil {
			b.Fatal(err)
		}
		for _, p := range paths {
			b.Run("path="+p.name+"/engine="+engine, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					start := (i * 7919) % 99000 // a different range each time
					if p.name == "pk" {
						start *= 10
					}
					var n, sum int64
					if err := c.QueryRow(ctx, p.q, start).Scan(&n, &sum); err != nil {
						b.Fatal(err)
					}
					if want := int64(100); p.name == "index-limit" && n != 10 || p.name != "index-limit" && n != want {
						b.Fatalf("%s from %d: %d rows", p.name, start, n)
					}
				}
			})
		}
	}
}
