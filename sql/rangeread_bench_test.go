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
// $1 LIMIT 10 (a range open above, cut by a LIMIT), path=order-limit
// ORDER BY id LIMIT 10 (no sort: the first 10 rows in key order),
// path=keyset WHERE id > $1 ORDER BY id LIMIT 10 (the next page after
// $1), path=wide WHERE id > $1 with $1 < 1000 (almost every row: the
// column store's in auto mode); engine=row forces the row store,
// engine=auto lets the planner choose.
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
	paths := []struct {
		name, q string
		rows    func(start int) int64 // the count the query returns
	}{
		{"pk", `SELECT count(*), sum(v) FROM big WHERE id BETWEEN $1 AND $1 + 99`, func(int) int64 { return 100 }},
		{"index", `SELECT count(*), sum(v) FROM big WHERE k BETWEEN $1 AND $1 + 9`, func(int) int64 { return 100 }},
		{"index-limit", `SELECT count(*), sum(v) FROM (SELECT v FROM big WHERE k > $1 LIMIT 10) q`, func(int) int64 { return 10 }},
		{"order-limit", `SELECT count(*), sum(v) FROM (SELECT v FROM big ORDER BY id LIMIT 10) q`, func(int) int64 { return 10 }},
		{"keyset", `SELECT count(*), sum(v) FROM (SELECT v FROM big WHERE id > $1 ORDER BY id LIMIT 10) q`, func(int) int64 { return 10 }},
		{"wide", `SELECT count(*), sum(v) FROM big WHERE id > $1`, func(start int) int64 { return int64(999999 - start) }},
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
					var args []any
					switch p.name {
					case "pk", "keyset":
						start *= 10
					case "wide":
						start %= 1000
					}
					if p.name != "order-limit" {
						args = append(args, start)
					}
					var n, sum int64
					if err := c.QueryRow(ctx, p.q, args...).Scan(&n, &sum); err != nil {
						b.Fatal(err)
					}
					if want := p.rows(start); n != want {
						b.Fatalf("%s from %d: %d rows, want %d", p.name, start, n, want)
					}
				}
			})
		}
	}
}
