package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/server"
)

// TestExprIndexSurvivesRestart: a unique partial index on an expression
// keeps answering lookups and enforcing uniqueness after a restart that
// loads a checkpoint, and after one that replays the whole log; rows
// written by COPY, INSERT and UPDATE are all keyed.
func TestExprIndexSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv := testserver.Start(t, testserver.WithDataDir(dir))
	c := testserver.Connect(t, srv)
	exec1(t, c, `CREATE TABLE users (id int PRIMARY KEY, email varchar(80), live boolean NOT NULL DEFAULT true)`)
	exec1(t, c, `INSERT INTO users VALUES (1, 'Ann@X.org', true), (2, 'ann@x.org', false), (3, 'Bob@Y.org', true)`)
	exec1(t, c, `CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE live`)
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id", "email", "live"},
		pgx.CopyFromRows([][]any{{4, "Cy@Z.org", true}, {5, "CY@z.org", false}})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("6\tDee@W.org\tt\n"), `COPY users FROM STDIN`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("8\tEve@V.org\tt\n9\teve@v.ORG\tt\n"), `COPY users FROM STDIN`); sqlstate(err) != "23505" {
		t.Fatalf("COPY of two live eves: %v, want 23505", err)
	}
	if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("8\tEve@V.org\tf\n9\teve@v.ORG\tf\n"), `COPY users FROM STDIN`); err != nil {
		t.Fatalf("COPY of two eves the index does not hold: %v", err)
	}
	exec1(t, c, `UPDATE users SET email = 'Bea@Y.org' WHERE id = 3`)
	check := func(c *pgx.Conn, when string) {
		t.Helper()
		for email, want := range map[string]string{"ann@x.org": "1", "bea@y.org": "3", "bob@y.org": "", "cy@z.org": "4", "dee@w.org": "6"} {
			var got []string
			rows, err := c.Query(ctx, `SELECT id FROM users WHERE lower(email) = $1 AND live`, email)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprint(id))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != want {
				t.Fatalf("%s: live %s is %v, want %q", when, email, got, want)
			}
		}
		if plan := explain(t, c, `SELECT id FROM users WHERE lower(email) = 'cy@z.org' AND live`); !strings.Contains(plan, "Index Scan using users_email") {
			t.Fatalf("%s: the index is not used:\n%s", when, plan)
		}
		if _, err := c.Exec(ctx, `INSERT INTO users VALUES (100, 'ANN@x.org', true)`); sqlstate(err) != "23505" {
			t.Fatalf("%s: a second live ann: %v, want 23505", when, err)
		}
	}
	check(c, "before the restart")
	srv.Close()

	srv = testserver.Start(t, testserver.WithDataDir(dir)) // from the checkpoint written at shutdown
	c = testserver.Connect(t, srv)
	check(c, "after a checkpoint load")
	exec1(t, c, `UPDATE users SET live = false WHERE id = 1`)
	exec1(t, c, `INSERT INTO users VALUES (7, 'ANN@X.ORG', true)`)
	srv.Close()

	// Without checkpoints the whole log is replayed.
	if err := os.RemoveAll(server.CheckpointDir(dir)); err != nil {
		t.Fatal(err)
	}
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	var id int
	if err := c.QueryRow(ctx, `SELECT id FROM users WHERE lower(email) = 'ann@x.org' AND live`).Scan(&id); err != nil || id != 7 {
		t.Fatalf("after replay: live ann is %d, %v; want 7", id, err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO users VALUES (101, 'ann@x.ORG', true)`); sqlstate(err) != "23505" {
		t.Fatalf("after replay: a second live ann: %v, want 23505", err)
	}
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE indexdef = 'CREATE UNIQUE INDEX users_email ON public.users USING btree (lower((email)::text)) WHERE live'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("pg_indexes after replay: %d, %v", n, err)
	}
}

// explain returns EXPLAIN's lines for q as one string.
func explain(t *testing.T, c *pgx.Conn, q string) string {
	t.Helper()
	rows, err := c.Query(context.Background(), "EXPLAIN "+q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// TestExprIndexConcurrentUnique: sessions inserting the same lower(email)
// at once — each in its own transaction, neither seeing the other's row —
// are told apart at commit: exactly one succeeds, the others get 23505.
// Rows the partial index does not hold never conflict.
func TestExprIndexConcurrentUnique(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	exec1(t, c, `CREATE TABLE accounts (id int PRIMARY KEY, email text, live boolean)`)
	exec1(t, c, `CREATE UNIQUE INDEX ON accounts (lower(email)) WHERE live`)

	// Two sessions, both inside a transaction when the other inserts.
	a, b := testserver.Connect(t, srv), testserver.Connect(t, srv)
	exec1(t, a, `BEGIN`)
	exec1(t, b, `BEGIN`)
	exec1(t, a, `INSERT INTO accounts VALUES (1, 'Ann@X.org', true)`)
	exec1(t, b, `INSERT INTO accounts VALUES (2, 'ANN@x.ORG', true)`)
	exec1(t, a, `COMMIT`)
	if _, err := b.Exec(ctx, `COMMIT`); sqlstate(err) != "23505" {
		t.Fatalf("second commit of a live ann: %v, want 23505", err)
	}

	// Many autocommit inserts racing: one winner.
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := testserver.Connect(t, srv)
			defer conn.Close(ctx)
			_, err := conn.Exec(ctx, fmt.Sprintf(`INSERT INTO accounts VALUES (%d, '%s', true)`, 10+i, []string{"bob@y", "BOB@y", "Bob@Y", "bOb@y"}[i%4]))
			mu.Lock()
			codes[sqlstate(err)]++
			mu.Unlock()
			if err != nil && sqlstate(err) != "23505" {
				t.Errorf("insert %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if codes[""] != 1 || codes["23505"] != 7 {
		t.Fatalf("racing inserts of bob: %v; want one success and 7 unique violations", codes)
	}

	// Outside the predicate: no conflict, whatever the timing.
	exec1(t, a, `BEGIN`)
	exec1(t, b, `BEGIN`)
	exec1(t, a, `INSERT INTO accounts VALUES (30, 'cy@z', false)`)
	exec1(t, b, `INSERT INTO accounts VALUES (31, 'CY@z', false)`)
	exec1(t, a, `COMMIT`)
	exec1(t, b, `COMMIT`)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE lower(email) IN ('ann@x.org', 'bob@y', 'cy@z')`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("rows: %d, %v; want 4", n, err)
	}
}
