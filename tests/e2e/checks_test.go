package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// TestCheckConstraintsCopyAndRestart: COPY and bound parameters meet CHECK
// constraints like INSERT does (23514, the whole COPY refused), and the
// constraints are back after a restart (they are part of the table's
// definition in the log and the checkpoint).
func TestCheckConstraintsCopyAndRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv := testserver.Start(t, testserver.WithDataDir(dir))
	c := testserver.Connect(t, srv)
	exec1(t, c, `CREATE TABLE m (id int PRIMARY KEY, qty int CHECK (qty > 0), note text CHECK (length(note) < 5))`)
	_, err := c.PgConn().CopyFrom(ctx, strings.NewReader("1\t5\tok\n2\t-1\tbad\n"), `COPY m FROM STDIN`)
	if sqlstate(err) != "23514" {
		t.Fatalf("COPY with a violating row: %v, want 23514", err)
	}
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"m"}, []string{"id", "qty", "note"}, pgx.CopyFromRows([][]any{{3, 1, "toolong"}})); sqlstate(err) != "23514" {
		t.Fatalf("binary COPY with a violating row: %v, want 23514", err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO m VALUES ($1, $2, $3)`, 4, 0, "x"); sqlstate(err) != "23514" {
		t.Fatalf("prepared INSERT with a violating row: %v", err)
	}
	exec1(t, c, `INSERT INTO m VALUES (5, 2, NULL)`)
	if _, err := c.Exec(ctx, `UPDATE m SET qty = $1 WHERE id = $2`, -3, 5); sqlstate(err) != "23514" {
		t.Fatalf("point UPDATE to a violating row: %v", err)
	}
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM m`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows (%v), want 1: a violating row was stored", n, err)
	}

	srv.Close()
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, `INSERT INTO m VALUES (6, -1, NULL)`); sqlstate(err) != "23514" {
		t.Fatalf("after a restart: %v, want 23514", err)
	}
}

// TestAddCheckRacesInsert: ADD CONSTRAINT … CHECK validates the rows at its
// snapshot; a row committed after that snapshot was not validated, so the
// ALTER's commit fails (40001) rather than leave a violating row behind.
func TestAddCheckRacesInsert(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE r (id int PRIMARY KEY, v int)`)
	exec1(t, a, `INSERT INTO r VALUES (1, 5)`)
	exec1(t, a, `BEGIN`)
	exec1(t, a, `ALTER TABLE r ADD CONSTRAINT pos CHECK (v > 0)`)
	exec1(t, b, `INSERT INTO r VALUES (2, -7)`)
	if _, err := a.Exec(ctx, `COMMIT`); sqlstate(err) != "40001" {
		t.Fatalf("COMMIT of ADD CHECK after a concurrent insert: %v, want 40001", err)
	}
	if _, err := b.Exec(ctx, `INSERT INTO r VALUES (3, -1)`); err != nil {
		t.Fatalf("the constraint must not exist: %v", err)
	}
}
