package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// tempTables counts the temporary tables the catalog holds, any session's.
func tempTables(t *testing.T, c *pgx.Conn) int {
	t.Helper()
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM pg_class WHERE relpersistence = 't' AND relkind = 'r'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTempTablesPerSession: a temporary table is its session's alone —
// another session neither sees it nor collides with it — and it is gone
// when its session ends.
func TestTempTablesPerSession(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TEMP TABLE scratch (id int PRIMARY KEY, who text)`)
	exec1(t, a, `INSERT INTO scratch VALUES (1, 'a')`)
	exec1(t, a, `CREATE VIEW scratch_v AS SELECT who FROM scratch`) // temporary: it reads one
	if _, err := b.Exec(ctx, `SELECT * FROM scratch`); sqlstate(err) != "42P01" {
		t.Fatalf("another session reads the temporary table: %v, want 42P01", err)
	}
	exec1(t, b, `CREATE TEMP TABLE scratch (id int PRIMARY KEY, who text)`)
	exec1(t, b, `INSERT INTO scratch VALUES (1, 'b')`)
	var who string
	if err := a.QueryRow(ctx, `SELECT who FROM scratch`).Scan(&who); err != nil || who != "a" {
		t.Fatalf("session a reads %q (%v), want its own row", who, err)
	}
	if n := tempTables(t, b); n != 2 {
		t.Fatalf("%d temporary tables, want 2", n)
	}
	a.Close(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for tempTables(t, b) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the closed session's temporary table is still there")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := b.QueryRow(ctx, `SELECT who FROM scratch`).Scan(&who); err != nil || who != "b" {
		t.Fatalf("session b reads %q (%v), want its own row", who, err)
	}
	var views int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relkind = 'v' AND relpersistence = 't'`).Scan(&views); err != nil || views != 0 {
		t.Fatalf("%d temporary views left (%v): the closed session's view must go with it", views, err)
	}
}

// TestTempTablesGoneAfterCrash: temporary tables of sessions that never
// ended (the server was killed) are dropped once the restarted server has
// recovered; permanent tables are untouched.
func TestTempTablesGoneAfterCrash(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	p := startServe(t, data)
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	exec1(t, c, `CREATE TABLE keep (id int PRIMARY KEY)`)
	exec1(t, c, `INSERT INTO keep VALUES (1)`)
	exec1(t, c, `CREATE TEMP TABLE scratch (id int PRIMARY KEY)`)
	exec1(t, c, `INSERT INTO scratch VALUES (1)`)
	p.Kill()

	p = startServe(t, data)
	c, err = pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for tempTables(t, c) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a temporary table survived the restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM keep`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("keep: %d rows (%v)", n, err)
	}
	// The name is free again in a new session.
	exec1(t, c, `CREATE TEMP TABLE scratch (id int PRIMARY KEY)`)
}

// TestTempTablesInCatalog: what psql's \dt shows — a session sees its own
// temporary table (in its pg_temp_ schema, which pg_namespace lists) and
// not the public table it shadows; another session sees the public one and
// not the temporary one.
func TestTempTablesInCatalog(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE shadow (id int)`)
	exec1(t, a, `CREATE TEMP TABLE shadow (id int)`)
	visible := func(c *pgx.Conn) (string, string) {
		t.Helper()
		var schema, persistence string
		err := c.QueryRow(ctx, `SELECT n.nspname, c.relpersistence::text FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relname = 'shadow' AND pg_catalog.pg_table_is_visible(c.oid)`).Scan(&schema, &persistence)
		if err != nil {
			t.Fatal(err)
		}
		return schema, persistence
	}
	if schema, p := visible(a); !strings.HasPrefix(schema, "pg_temp_") || p != "t" {
		t.Fatalf("the owning session sees %s (%s), want its temporary table", schema, p)
	}
	if schema, p := visible(b); schema != "public" || p != "p" {
		t.Fatalf("another session sees %s (%s), want the public table", schema, p)
	}
}
