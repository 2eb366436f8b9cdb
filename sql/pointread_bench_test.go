package sql_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// BenchmarkPointSelect is pgbench -S's statement over the wire (pgx, one
// connection, client and server in this process): a primary-key point read
// with a bound parameter (protocol=prepared) and with its key in the text
// (protocol=simple, served by the simple-query cache). allocs/op counts
// both sides.
func BenchmarkPointSelect(b *testing.B) {
	srv := testserver.Start(b)
	ctx := context.Background()
	c := testserver.Connect(b, srv)
	if _, err := c.Exec(ctx, `CREATE TABLE acc (aid int PRIMARY KEY, bid int, abalance int, filler char(84))`); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO acc SELECT g, 1, g % 1000, '' FROM generate_series(1, 10000) g`); err != nil {
		b.Fatal(err)
	}
	const q = "SELECT abalance FROM acc WHERE aid = "
	for _, mode := range []string{"prepared", "simple"} {
		b.Run("protocol="+mode, func(b *testing.B) {
			b.ReportAllocs()
			var bal int32
			for i := 0; i < b.N; i++ {
				aid := i%10000 + 1
				var err error
				if mode == "prepared" {
					err = c.QueryRow(ctx, q+"$1", aid).Scan(&bal)
				} else {
					err = c.QueryRow(ctx, fmt.Sprintf("%s%d", q, aid), pgx.QueryExecModeSimpleProtocol).Scan(&bal)
				}
				if err != nil {
					b.Fatal(err)
				}
				if int(bal) != aid%1000 {
					b.Fatalf("aid %d: abalance %d", aid, bal)
				}
			}
		})
	}
}
