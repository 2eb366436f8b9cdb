package vexec_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/server"
)

// starSchema creates a fact table and three dimensions: dim3's filter
// (kind = 'k1') keeps one row in ten, dim1 and dim2 are unfiltered.
func starSchema(t *testing.T) (*server.Server, *pgx.Conn) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, testserver.ConnString(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	for _, s := range []string{
		`CREATE TABLE fact (id int PRIMARY KEY, d1 int, d2 int, d3 int, v int)`,
		`INSERT INTO fact SELECT i, i % 50, i % 20, CASE WHEN i % 31 = 0 THEN NULL ELSE i % 10 END, i % 7 FROM generate_series(1, 4000) i`,
		`CREATE TABLE dim1 (id int PRIMARY KEY, name text)`,
		`INSERT INTO dim1 SELECT i, 'n' || i FROM generate_series(0, 49) i`,
		`CREATE TABLE dim2 (id int PRIMARY KEY, region int)`,
		`INSERT INTO dim2 SELECT i, i % 4 FROM generate_series(0, 19) i`,
		`CREATE TABLE dim3 (id int PRIMARY KEY, kind text)`,
		`INSERT INTO dim3 SELECT i, 'k' || i FROM generate_series(0, 9) i`,
	} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return srv, c
}

// TestJoinOrderPlan checks that a selective dimension written last in
// FROM is joined first (its hash table is the one the fact scan probes
// first), and that the answer is the row engine's.
func TestJoinOrderPlan(t *testing.T) {
	_, c := starSchema(t)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "SET omendb.engine = 'column'"); err != nil {
		t.Fatal(err)
	}
	q := `SELECT dim2.region, count(*), sum(v) FROM fact, dim1, dim2, dim3
		WHERE fact.d1 = dim1.id AND fact.d2 = dim2.id AND fact.d3 = dim3.id AND dim3.kind = 'k1'
		GROUP BY dim2.region ORDER BY 1`
	plan, err := rowsText(ctx, c, "EXPLAIN ANALYZE "+q, true)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(plan, "\n")
	fact := -1
	for i, l := range lines {
		if strings.Contains(l, "Column Scan on fact") {
			fact = i
		}
	}
	if fact < 0 {
		t.Fatalf("no column scan of fact:\n%s", plan)
	}
	// The fact scan's sibling is the first hash table it probes.
	first := ""
	for _, l := range lines[fact+1:] {
		if strings.Contains(l, "Column Scan on") {
			first = l
			break
		}
	}
	if !strings.Contains(first, "dim3") {
		t.Errorf("the fact scan probes %q first, want dim3:\n%s", strings.TrimSpace(first), plan)
	}
	col, err := rowsText(ctx, c, q, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "SET omendb.engine = 'row'"); err != nil {
		t.Fatal(err)
	}
	row, err := rowsText(ctx, c, q, true)
	if err != nil {
		t.Fatal(err)
	}
	if col != row || col == "" {
		t.Errorf("column:\n%s\nrow:\n%s", col, row)
	}
}

// TestJoinOrderShapes compares join-order-sensitive shapes on the column
// and row engines: outer joins among inner ones, NULL-rejecting filters,
// non-equi conditions, cross joins, ORs over several tables, and
// decorrelated aggregates reduced to the outer rows' keys.
func TestJoinOrderShapes(t *testing.T) {
	srv, c := starSchema(t)
	compare(t, srv, c, []diffCase{
		{sql: `SELECT count(*), sum(v) FROM fact, dim1, dim2, dim3 WHERE d1 = dim1.id AND d2 = dim2.id AND d3 = dim3.id AND dim2.region = 1`},
		{sql: `SELECT f.id, dim1.name, dim3.kind FROM fact f JOIN dim1 ON f.d1 = dim1.id LEFT JOIN dim3 ON f.d3 = dim3.id AND dim3.kind < 'k3' JOIN dim2 ON f.d2 = dim2.id WHERE dim2.region = 2 AND f.id < 300`},
		{sql: `SELECT f.id, dim3.kind FROM fact f JOIN dim1 ON f.d1 = dim1.id LEFT JOIN dim3 ON f.d3 = dim3.id JOIN dim2 ON f.d2 = dim2.id WHERE dim3.kind = 'k2' AND dim2.region = 0`},
		{sql: `SELECT f.id FROM fact f JOIN dim1 ON f.d1 = dim1.id LEFT JOIN dim3 ON f.d3 = dim3.id JOIN dim2 ON f.d2 = dim2.id WHERE dim3.id IS NULL AND f.id < 500`},
		{sql: `SELECT count(*) FROM dim2 JOIN (fact f LEFT JOIN dim3 ON f.d3 = dim3.id) ON f.d2 = dim2.id JOIN dim1 ON dim1.id = f.d1 AND dim3.kind IS NOT NULL`},
		{sql: `SELECT count(*), sum(f.v) FROM fact f, dim1, dim2, dim3 WHERE f.d1 = dim1.id AND f.d2 = dim2.id AND f.d3 = dim3.id AND f.v < dim2.region + dim3.id`},
		{sql: `SELECT count(*) FROM fact f, dim2, dim3 WHERE f.d2 = dim2.id AND dim3.id < 3 AND f.id < 100`},
		{sql: `SELECT count(*) FROM fact f CROSS JOIN dim3 JOIN dim2 ON dim2.id = f.d2 JOIN dim1 ON dim1.id = f.d1 WHERE dim3.kind = 'k4' AND f.id < 1000`},
		{sql: `SELECT dim1.name, dim3.kind, count(*) FROM fact f, dim1, dim3, dim2 WHERE f.d1 = dim1.id AND f.d3 = dim3.id AND f.d2 = dim2.id
			AND ((dim1.name = 'n1' AND dim3.kind = 'k1') OR (dim1.name = 'n11' AND dim3.kind = 'k9')) GROUP BY 1, 2`},
		{sql: `SELECT count(*) FROM fact f, fact g, dim1 WHERE f.id = g.id + 1 AND f.d1 = dim1.id AND dim1.name = 'n7' AND g.d2 = f.d2`},
		{sql: `SELECT f.id, f.v FROM fact f, dim3 WHERE f.d3 = dim3.id AND dim3.kind = 'k3' AND f.v > (SELECT avg(g.v) FROM fact g WHERE g.d1 = f.d1 AND g.d3 = dim3.id)`, dec: true},
		{sql: `SELECT dim1.id, dim1.name FROM dim1, dim2 WHERE dim1.id = dim2.id AND dim2.region = 3 AND 2 < (SELECT min(f.v) FROM fact f, dim3 WHERE f.d1 = dim1.id AND f.d3 = dim3.id AND dim3.kind <> 'k0')`, dec: true},
		{sql: `SELECT count(*) FROM fact f WHERE f.d3 IN (1, 2) AND f.v >= (SELECT max(g.v) FROM fact g WHERE g.d3 = f.d3 AND g.d1 = f.d1)`, dec: true},
		{sql: `SELECT count(*) FROM dim1 WHERE dim1.id < 5 AND EXISTS (SELECT 1 FROM fact f WHERE f.d1 = dim1.id AND f.v = 3)`, dec: true},
	})
}
