package olap_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// TestInetColumns: inet and cidr columns in sealed (Arrow Binary) and open
// segments answer scans, filters with = and the containment operators,
// ORDER BY, GROUP BY and joins on the column store as on the row store.
func TestInetColumns(t *testing.T) {
	srv := testserver.Start(t)
	c := testserver.Connect(t, srv)
	ctx := context.Background()
	exec(t, ctx, c, `CREATE TABLE hosts (id int PRIMARY KEY, a inet, n cidr)`)
	// 2000 rows: sealed segments of 256 and an open one. Families mixed,
	// mask lengths varied, some NULLs.
	exec(t, ctx, c, `INSERT INTO hosts SELECT g,
		CASE WHEN g % 13 = 0 THEN NULL
			WHEN g % 5 = 0 THEN ('2001:db8:' || to_hex(g % 7) || '::' || to_hex(g) || '/' || (48 + g % 81))::inet
			ELSE ('10.' || (g % 3) || '.' || (g % 256) || '.' || (g / 256) || '/' || (8 + g % 25))::inet END,
		CASE WHEN g % 11 = 0 THEN NULL WHEN g % 4 = 0 THEN ('2001:db8:' || to_hex(g % 9) || '::/48')::cidr
			ELSE ('10.' || (g % 3) || '.' || (g % 17) || '.0/24')::cidr END
		FROM generate_series(1, 2000) g`)
	queries := []string{
		"SELECT id, a, n FROM hosts ORDER BY a, n DESC, id",
		"SELECT id FROM hosts WHERE a = '10.1.4.0/12' ORDER BY id",
		"SELECT id FROM hosts WHERE a << '10.1.0.0/16' ORDER BY id",
		"SELECT id FROM hosts WHERE n >>= '10.2.5.77' ORDER BY id",
		"SELECT id FROM hosts WHERE a <<= n ORDER BY id",
		"SELECT id FROM hosts WHERE a && '2001:db8:3::/48' ORDER BY id",
		"SELECT id FROM hosts WHERE a > '10.2.0.0/16' AND a < '2001:db8:1::' ORDER BY id",
		"SELECT n, count(*), min(a), max(a) FROM hosts GROUP BY n ORDER BY n",
		"SELECT DISTINCT family(a), masklen(n) FROM hosts ORDER BY 1, 2",
		"SELECT a FROM hosts ORDER BY a DESC NULLS LAST LIMIT 25",
		"SELECT count(*) FROM hosts x JOIN hosts y ON x.n = y.n WHERE x.id < 300",
		"SELECT x.id, y.id FROM hosts x JOIN hosts y ON network(x.a) = y.n WHERE x.id < 400 ORDER BY 1, 2",
	}
	var served int64
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, q := range queries {
		var out [2]string
		for i, engine := range []string{"column", "row"} {
			if _, err := tx.Exec(ctx, "SET omendb.engine = '"+engine+"'"); err != nil {
				t.Fatal(err)
			}
			before := srv.OLAP.Runner.Served.Load()
			if out[i], err = query(ctx, tx, q, true); err != nil {
				t.Fatalf("%s (%s): %v", q, engine, err)
			}
			served += srv.OLAP.Runner.Served.Load() - before
		}
		if out[0] != out[1] {
			t.Errorf("%s\ncolumn store:\n%s\nrow store:\n%s", q, out[0], out[1])
		}
		if out[1] == "" {
			t.Errorf("%s: no rows", q)
		}
	}
	if served < int64(len(queries)) {
		t.Errorf("only %d of %d column-mode statements ran on the column store", served, len(queries))
	}
}
