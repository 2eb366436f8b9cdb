package sql_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/omendb/omendb/internal/testserver"
)

// BenchmarkInsertSelectUnique inserts n rows with one INSERT … SELECT into
// a table with a secondary UNIQUE column (unique=yes) and into the same
// table without it (unique=no, the peer): each row's unique check must
// find the rows the statement wrote before it, which the transaction's
// index of its pending rows (pendingindex.go) does in O(log n) — the gap
// between the two stays a constant factor as n grows, not a factor of n.
func BenchmarkInsertSelectUnique(b *testing.B) {
	srv := testserver.Start(b)
	ctx := context.Background()
	c := testserver.Connect(b, srv)
	for _, n := range []int{2000, 20000} {
		for _, unique := range []bool{false, true} {
			name := fmt.Sprintf("rows=%d/unique=%v", n, map[bool]string{false: "no", true: "yes"}[unique])
			b.Run(name, func(b *testing.B) {
				ddl := `CREATE TABLE bu (id int PRIMARY KEY, u int)`
				if unique {
					ddl = `CREATE TABLE bu (id int PRIMARY KEY, u int UNIQUE)`
				}
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					for _, q := range []string{`DROP TABLE IF EXISTS bu`, ddl} {
						if _, err := c.Exec(ctx, q); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
					tag, err := c.Exec(ctx, `INSERT INTO bu SELECT g, g FROM generate_series(1, $1::int) g`, n)
					if err != nil || tag.RowsAffected() != int64(n) {
						b.Fatalf("insert: %v, %s", err, tag)
					}
				}
			})
		}
	}
}
