package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// TestGeneratedColumnsCopy: COPY FROM leaves generated columns out of its
// default column list and computes them for each row (binary COPY, as
// pgx's CopyFrom sends it); they survive a restart as stored values.
func TestGeneratedColumnsCopy(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.WithDataDir(dir))
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	exec1(t, c, `CREATE TABLE line (id int PRIMARY KEY, price int, qty int, total int GENERATED ALWAYS AS (price * qty) STORED)`)
	rows := [][]any{{1, 3, 4}, {2, 5, 0}, {3, nil, 2}}
	n, err := c.CopyFrom(ctx, pgx.Identifier{"line"}, []string{"id", "price", "qty"}, pgx.CopyFromRows(rows))
	if err != nil || n != 3 {
		t.Fatalf("copy: %d, %v", n, err)
	}
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"line"}, []string{"id", "total"}, pgx.CopyFromRows([][]any{{9, 1}})); sqlstate(err) != "42P10" {
		t.Fatalf("COPY naming a generated column: %v, want 42P10", err)
	}
	check := func(c *pgx.Conn) {
		t.Helper()
		var sum, nulls int
		if err := c.QueryRow(ctx, `SELECT sum(total), count(*) FILTER (WHERE total IS NULL) FROM line`).Scan(&sum, &nulls); err != nil {
			t.Fatal(err)
		}
		if sum != 12 || nulls != 1 {
			t.Fatalf("sum(total) %d, NULL totals %d; want 12 and 1", sum, nulls)
		}
	}
	// Text COPY without a column list: the generated column is not in it.
	if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("4\t0\t9\n"), `COPY line FROM STDIN`); err != nil {
		t.Fatal(err)
	}
	check(c)
	srv.Close()
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	check(c)
	// Writes after the restart compute it too.
	exec1(t, c, `UPDATE line SET qty = 1 WHERE id = 4`)
	var total int
	if err := c.QueryRow(ctx, `SELECT total FROM line WHERE id = 4`).Scan(&total); err != nil || total != 0 {
		t.Fatalf("total after update: %d, %v", total, err)
	}
}
