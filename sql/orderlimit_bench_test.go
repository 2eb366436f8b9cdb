package sql_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/omendb/omendb/internal/testserver"
)

// BenchmarkOrderLimit reads the first 10 rows of a 1M-row table in a
// descending order over the wire (pgx, prepared, one connection):
// ev(id int primary key, at timestamp — nullable, but none is NULL —, cust
// int = id % 1000, v int) with indexes on (at) and (cust, at DESC). Each
// path read through a key order has a peer that returns the same rows but
// must sort, the ORDER BY being one no index gives:
//
//	path=pk-desc          ORDER BY id DESC LIMIT 10 (the primary key backward)
//	path=pk-desc-sort     ORDER BY id + 0 DESC LIMIT 10 (its peer)
//	path=index-desc       ORDER BY at DESC LIMIT 10 (the (at) index backward:
//	                      DESC NULLS FIRST)
//	path=index-desc-sort  ORDER BY at DESC NULLS LAST LIMIT 10 (its peer: no
//	                      NULLs, same rows)
//	path=eq-desc          WHERE cust = $1 ORDER BY at DESC LIMIT 10 (the
//	                      (cust, at DESC) index forward after its equality)
//	path=eq-desc-sort     … ORDER BY at DESC NULLS LAST LIMIT 10 (its peer:
//	                      the 1000 rows of the customer sorted)
//
// engine=row forces the row store, engine=auto lets the planner choose
// (the sorts then run on the column store, in parallel).
func BenchmarkOrderLimit(b *testing.B) {
	srv := testserver.Start(b)
	ctx := context.Background()
	c := testserver.Connect(b, srv)
	for _, q := range []string{
		`CREATE TABLE ev (id int PRIMARY KEY, at timestamp, cust int, v int)`,
		`INSERT INTO ev SELECT g, timestamp '2026-01-01' + (g::bigint * 7919 % 1000000) * interval '1 second', g % 1000, g % 97 FROM generate_series(0, 999999) g`,
		`CREATE INDEX ev_at ON ev (at)`,
		`CREATE INDEX ev_cust_at ON ev (cust, at DESC)`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	paths := []struct{ name, q string }{
		{"pk-desc", `SELECT min(id), sum(v) FROM (SELECT id, v FROM ev ORDER BY id DESC LIMIT 10) q`},
		{"pk-desc-sort", `SELECT min(id), sum(v) FROM (SELECT id, v FROM ev ORDER BY id + 0 DESC LIMIT 10) q`},
		{"index-desc", `SELECT min(id), sum(v) FROM (SELECT id, v FROM ev ORDER BY at DESC LIMIT 10) q`},
		{"index-desc-sort", `SELECT min(id), sum(v) FROM (SELECT id, v FROM ev ORDER BY at DESC NULLS LAST LIMIT 10) q`},
		{"eq-desc", `SELECT min(id), sum(v) FROM (SELECT id, v FROM ev WHERE cust = $1 ORDER BY at DESC LIMIT 10) q`},
		{"eq-desc-sort", `SELECT min(id), sum(v) FROM (SELECT id, v FROM ev WHERE cust = $1 ORDER BY at DESC NULLS LAST LIMIT 10) q`},
	}
	// Each path and its peer must return the same rows.
	want := map[string][2]int64{}
	for _, engine := range []string{"row", "auto"} {
		if _, err := c.Exec(ctx, "SET omendb.engine = '"+engine+"'"); err != nil {
			b.Fatal(err)
		}
		for _, p := range paths {
			b.Run("path="+p.name+"/engine="+engine, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					var args []any
					cust := int64(i*7) % 1000
					if p.name == "eq-desc" || p.name == "eq-desc-sort" {
						args = append(args, cust)
					}
					var minID, sum int64
					if err := c.QueryRow(ctx, p.q, args...).Scan(&minID, &sum); err != nil {
						b.Fatal(err)
					}
					key := strings.TrimSuffix(p.name, "-sort")
					if args != nil {
						key += "/" + strconv.FormatInt(cust, 10)
					}
					got := [2]int64{minID, sum}
					if w, ok := want[key]; ok && w != got {
						b.Fatalf("%s (engine %s): min(id), sum(v) = %v, want %v as its peer gave", p.name, engine, got, w)
					}
					want[key] = got
				}
			})
		}
	}
}
