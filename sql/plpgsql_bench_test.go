package sql_test

import (
	"context"
	"testing"

	"github.com/omendb/omendb/internal/testserver"
)

// BenchmarkPLpgSQL measures the PL/pgSQL interpreter's per-call cost in a
// query (one op: 1,000 calls of a one-line function in one SELECT) and per
// row through a BEFORE INSERT trigger (one op: a 1,000-row INSERT …
// SELECT into a table whose trigger assigns NEW's field). docs/benchmarks.md
// has PostgreSQL's figures for the same shapes; PostgreSQL's PL/pgSQL
// evaluates such simple expressions without its executor.
func BenchmarkPLpgSQL(b *testing.B) {
	srv := testserver.Start(b)
	ctx := context.Background()
	c := testserver.Connect(b, srv)
	for _, s := range []string{
		`CREATE FUNCTION add1(a int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN a + 1; END $$`,
		`CREATE TABLE pt (id int PRIMARY KEY, v int, ts timestamptz)`,
		`CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.ts := '2020-01-01'; RETURN NEW; END $$`,
		`CREATE TRIGGER s BEFORE INSERT ON pt FOR EACH ROW EXECUTE FUNCTION stamp()`,
	} {
		if _, err := c.Exec(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("function-calls=1000", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var sum int64
			if err := c.QueryRow(ctx, `SELECT sum(add1(g)) FROM generate_series(1, 1000) g`).Scan(&sum); err != nil || sum != 501500 {
				b.Fatalf("sum %d, %v", sum, err)
			}
		}
	})
	batch := 0 // across the benchmark's runs: every batch's keys are new
	b.Run("trigger-rows=1000", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			batch++
			tag, err := c.Exec(ctx, `INSERT INTO pt SELECT g, g, NULL FROM generate_series($1::int * 1000 + 1, $1::int * 1000 + 1000) g`, batch)
			if err != nil || tag.RowsAffected() != 1000 {
				b.Fatalf("%v, %v", tag, err)
			}
		}
	})
}
