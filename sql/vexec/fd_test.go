package vexec_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestGroupByFunctionalDependencies checks the GROUP BY key reduction
// (fd.go): where a key is a function of the others (a primary key and
// columns of its row, also through inner equi-joins on another table's
// primary key), the aggregation hashes fewer keys — and still gives the
// row executor's answer; where it is not (outer joins, columns that are
// not a key, half a composite key, a self-join), nothing is dropped.
func TestGroupByFunctionalDependencies(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	for _, s := range []string{
		`CREATE TABLE nat (nk int PRIMARY KEY, nname text)`,
		`INSERT INTO nat SELECT i, 'nation' || i FROM generate_series(0, 9) i`,
		`CREATE TABLE cust (id int PRIMARY KEY, name text, nat int, bal numeric(10,2), note text)`,
		// nat 10 has no nation row; every 7th note is NULL; a few customers have no orders.
		`INSERT INTO cust SELECT i, 'cust' || i, i % 11, i * 1.5, CASE WHEN i % 7 = 0 THEN NULL ELSE 'note ' || (i % 4) END FROM generate_series(1, 700) i`,
		`CREATE TABLE ord (ok int PRIMARY KEY, cid int, d date, total numeric(12,2))`,
		`INSERT INTO ord SELECT i, i % 650 + 1, date '2021-01-01' + i % 90, i * 0.25 FROM generate_series(1, 4000) i`,
		`CREATE TABLE pair (a int, b int, v text, PRIMARY KEY (a, b))`,
		`INSERT INTO pair SELECT i % 40, i / 40, 'v' || (i % 13) FROM generate_series(0, 1999) i`,
	} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	cases := []struct {
		sql    string
		hashed int // keys hashed after the reduction; 0: no reduction
	}{
		// Q10's shape: the customer's key determines its columns, and the
		// nation's through c.nat = n.nk.
		{`SELECT c.id, c.name, c.bal, n.nname, c.note, count(*), sum(o.total) FROM cust c, ord o, nat n
			WHERE o.cid = c.id AND c.nat = n.nk AND o.d < date '2021-02-15'
			GROUP BY c.id, c.name, c.bal, n.nname, c.note ORDER BY sum(o.total) DESC, c.id LIMIT 20`, 1},
		// Q18's and Q3's: the order's key determines the order and, through
		// o.cid = c.id, its customer; the keys written in another order.
		{`SELECT c.name, c.id, o.ok, o.d, o.total, count(*) FROM cust c JOIN ord o ON c.id = o.cid
			GROUP BY c.name, c.id, o.ok, o.d, o.total`, 1},
		{`SELECT o.ok, o.d, o.total, count(*) FROM ord o JOIN cust c ON c.id = o.cid WHERE c.note = 'note 1'
			GROUP BY o.ok, o.d, o.total`, 1},
		// The same key twice.
		{`SELECT id, id, name, count(*) FROM cust GROUP BY id, id, name`, 1},
		// A whole composite key determines the rest; half of it does not.
		{`SELECT a, b, v, count(*) FROM pair GROUP BY a, b, v`, 2},
		{`SELECT a, v, count(*) FROM pair GROUP BY a, v`, 0},
		// Not a key: nothing is dropped.
		{`SELECT nat, name, count(*) FROM cust GROUP BY nat, name`, 0},
		// An outer join: customers of nat 10 have no nation, and the
		// NULL-extended rows break c.nat = n.nk.
		{`SELECT n.nk, c.nat, n.nname, count(*) FROM cust c LEFT JOIN nat n ON c.nat = n.nk GROUP BY n.nk, c.nat, n.nname`, 0},
		// A self-join on a non-key column: c1's key does not determine c2.
		{`SELECT c1.id, c2.name, count(*) FROM cust c1 JOIN cust c2 ON c1.nat = c2.nat WHERE c1.id < 40
			GROUP BY c1.id, c2.name`, 0},
		// HAVING over a dependent key.
		{`SELECT c.id, c.name, c.note, sum(o.total) FROM cust c JOIN ord o ON o.cid = c.id
			GROUP BY c.id, c.name, c.note HAVING c.note = 'note 2' AND sum(o.total) > 1000`, 1},
	}
	for _, tc := range cases {
		if _, err := c.Exec(ctx, "SET omendb.engine = 'column'"); err != nil {
			t.Fatal(err)
		}
		plan := explainText(t, c, tc.sql)
		reduced := strings.Contains(plan, "hashed: the others are functions of them")
		switch {
		case tc.hashed == 0 && reduced:
			t.Errorf("%s: keys dropped, want none:\n%s", tc.sql, plan)
		case tc.hashed > 0 && !strings.Contains(plan, " keys, "+strconv.Itoa(tc.hashed)+" hashed"):
			t.Errorf("%s: want %d keys hashed:\n%s", tc.sql, tc.hashed, plan)
		}
	}
	var cs []diffCase
	for _, tc := range cases {
		cs = append(cs, diffCase{sql: tc.sql, vec: true})
	}
	compare(t, srv, c, cs)
}

// explainText returns the EXPLAIN ANALYZE of q (run on its path) as one string.
func explainText(t *testing.T, c *pgx.Conn, q string) string {
	t.Helper()
	rows, err := c.Query(context.Background(), "EXPLAIN ANALYZE "+q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
