package cdc

import (
	"strings"
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testpg"
)

// TestSourceSchemas: a source's tables and enum types in a schema other
// than public land in a schema of that name, which CREATE SOURCE creates
// as a namespace like any other (pg_namespace, the relations'
// relnamespace, psql's \dn and \dt), and which DROP SOURCE drops again —
// unless the user made something of their own in it.
func TestSourceSchemas(t *testing.T) {
	pg := testpg.Start(t)
	src := connect(t, pg.ConnString())
	run(t, src, `CREATE SCHEMA sales`, `CREATE SCHEMA hr`,
		`CREATE TYPE sales.state AS ENUM ('open', 'paid')`,
		`CREATE TABLE sales.orders (id int PRIMARY KEY, s sales.state, amount numeric(10,2))`,
		`INSERT INTO sales.orders VALUES (1, 'open', 9.50), (2, 'paid', 12.00)`,
		`CREATE TABLE hr.staff (id int PRIMARY KEY, name text)`,
		`INSERT INTO hr.staff VALUES (1, 'ann')`,
		`CREATE TABLE plain (id int PRIMARY KEY)`,
		`CREATE PUBLICATION pub FOR TABLE sales.orders, hr.staff, plain`)
	p := startServe(t, t.TempDir())
	dst := connect(t, p.URL())
	run(t, dst, "CREATE SOURCE pg1 FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub'")

	rels := `SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname IN ('sales', 'hr') ORDER BY 1, 2`
	waitSame(t, src, dst, "SELECT id, s, amount FROM sales.orders ORDER BY id", 30*time.Second)
	waitSame(t, src, dst, rels, 5*time.Second)
	waitSame(t, src, dst, "SELECT nspname FROM pg_namespace WHERE nspname IN ('sales', 'hr') ORDER BY 1", 5*time.Second)
	waitSame(t, src, dst, `SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typname = 'state'`, 5*time.Second)

	// A view of the user's own in hr keeps hr when the source goes.
	run(t, dst, `CREATE VIEW hr.names AS SELECT 'x'::text AS name`, `DROP SOURCE pg1`)
	rows, err := textRows(dst, "SELECT nspname FROM pg_namespace WHERE nspname IN ('sales', 'hr') ORDER BY 1")
	if err != nil || strings.Join(rows, ",") != "hr" {
		t.Fatalf("schemas after DROP SOURCE: %v, %v; want hr alone", rows, err)
	}
	if rows, err := textRows(dst, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'sales'"); err != nil || rows[0] != "0" {
		t.Fatalf("relations left in sales: %v, %v", rows, err)
	}
}
