package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// TestForeignKeyErrorsMatchPostgres runs the same statements on OmenDB and
// on PostgreSQL 15 and compares each error's SQLSTATE, message and detail
// (the logic tests compare only SQLSTATEs).
func TestForeignKeyErrorsMatchPostgres(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	omen := testserver.Connect(t, srv)
	pgc := testpg.Start(t).Conn()
	stmts := []string{
		`CREATE TABLE p (id int PRIMARY KEY, code text UNIQUE)`,
		`CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p ON UPDATE RESTRICT, a int, b int)`,
		`CREATE TABLE pair (a int, b int, PRIMARY KEY (a, b))`,
		`ALTER TABLE c ADD CONSTRAINT c_pair FOREIGN KEY (a, b) REFERENCES pair MATCH FULL`,
		`INSERT INTO p VALUES (1, 'x'), (2, 'y')`,
		`INSERT INTO pair VALUES (1, 2)`,
		`INSERT INTO c VALUES (1, 1, 1, 2)`,
		`INSERT INTO c VALUES (2, 3, NULL, NULL)`,
		`INSERT INTO c VALUES (3, 1, 1, NULL)`,
		`INSERT INTO c VALUES (4, 1, 5, 6)`,
		`UPDATE c SET pid = 9`,
		`DELETE FROM p WHERE id = 1`,
		`UPDATE p SET id = 10 WHERE id = 1`,
		`DELETE FROM pair`,
		`TRUNCATE p`,
		`DROP TABLE p`,
		`CREATE TABLE bad1 (x text REFERENCES p)`,
		`CREATE TABLE bad2 (x int REFERENCES p (code))`,
		`CREATE TABLE bad3 (x int, y int, FOREIGN KEY (x, y) REFERENCES p)`,
		`CREATE TABLE bad4 (x int REFERENCES c (a))`,
		`CREATE TABLE bad5 (x int, FOREIGN KEY (z) REFERENCES p)`,
		`ALTER TABLE c ADD CONSTRAINT c_pid_fkey FOREIGN KEY (a) REFERENCES p`,
		`INSERT INTO c VALUES (5, NULL, NULL, NULL)`,
		`ALTER TABLE c ADD CONSTRAINT a_ref FOREIGN KEY (id) REFERENCES p`,
	}
	for _, q := range stmts {
		_, oe := omen.Exec(ctx, q)
		_, pe := pgc.Exec(ctx, q)
		if got, want := errText(oe), errText(pe); got != want {
			t.Errorf("%s\n OmenDB:     %s\n PostgreSQL: %s", q, got, want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	s := pe.Code + " " + pe.Message
	if pe.Detail != "" {
		s += " | " + pe.Detail
	}
	return s
}

// TestForeignKeyConcurrentCommits: two transactions that cannot see each
// other — one inserts a row referencing a parent, the other deletes the
// parent — would each pass its own check; the later commit must fail
// (40001) in either order, and no orphan may remain.
func TestForeignKeyConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE p (id int PRIMARY KEY)`)
	exec1(t, a, `CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p)`)
	exec1(t, a, `INSERT INTO p VALUES (1), (2)`)

	// The child first: its commit stands, the parent's delete fails.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `DELETE FROM p WHERE id = 1`)
	exec1(t, b, `INSERT INTO c VALUES (10, 1)`) // autocommit: sees p 1
	if _, err := a.Exec(ctx, `COMMIT`); sqlstate(err) != "40001" {
		t.Fatalf("deleting a parent a concurrent commit references: %v, want 40001", err)
	}
	// The parent first: the child's commit fails.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `INSERT INTO c VALUES (11, 2)`)
	exec1(t, b, `DELETE FROM p WHERE id = 2`) // sees no child of 2
	if _, err := a.Exec(ctx, `COMMIT`); sqlstate(err) != "40001" {
		t.Fatalf("referencing a parent a concurrent commit deleted: %v, want 40001", err)
	}
	// An update of the parent's other columns does not conflict.
	exec1(t, a, `ALTER TABLE p ADD COLUMN v int`)
	exec1(t, a, `BEGIN`)
	exec1(t, a, `INSERT INTO c VALUES (12, 1)`)
	exec1(t, b, `UPDATE p SET v = 5 WHERE id = 1`)
	exec1(t, a, `COMMIT`)
	if n := orphans(t, a); n != 0 {
		t.Fatalf("%d orphans", n)
	}
}

// TestForeignKeyNoOrphansUnderLoad: writers insert children of random
// parents while others delete random parents (NO ACTION) and others cascade;
// whatever commits, no child may reference a missing parent.
func TestForeignKeyNoOrphansUnderLoad(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	setup := connect(t, url)
	exec1(t, setup, `CREATE TABLE p (id int PRIMARY KEY)`)
	exec1(t, setup, `CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p)`)
	exec1(t, setup, `CREATE TABLE g (id int PRIMARY KEY, pid int REFERENCES p ON DELETE CASCADE)`)
	const parents = 400
	exec1(t, setup, fmt.Sprintf(`INSERT INTO p SELECT g FROM generate_series(1, %d) g`, parents))
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed := map[string]int{}
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := connect(t, url)
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; i < 300; i++ {
				var q string
				switch w % 3 {
				case 0:
					if r.IntN(4) == 0 {
						q = fmt.Sprintf(`INSERT INTO g VALUES (%d, %d)`, w*100000+i, 1+r.IntN(parents))
					} else {
						q = fmt.Sprintf(`INSERT INTO c VALUES (%d, %d)`, w*100000+i, 1+r.IntN(parents))
					}
				case 1:
					q = fmt.Sprintf(`DELETE FROM p WHERE id = %d`, 1+r.IntN(parents))
				default:
					q = fmt.Sprintf(`INSERT INTO p VALUES (%d) ON CONFLICT DO NOTHING`, 1+r.IntN(parents))
				}
				// Explicit transactions, so a conflict is reported rather
				// than retried.
				tx, err := c.Begin(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				_, err = tx.Exec(ctx, q)
				if err == nil {
					// A second round trip widens the window in which the
					// other writers commit (what the committer must catch).
					_, err = tx.Exec(ctx, `SELECT count(*) FROM p`)
				}
				if err == nil {
					err = tx.Commit(ctx)
				} else {
					_ = tx.Rollback(ctx)
				}
				mu.Lock()
				committed[sqlstate(err)]++
				mu.Unlock()
				if err != nil && sqlstate(err) != "23503" && sqlstate(err) != "40001" {
					t.Errorf("%s: %v", q, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	t.Logf("outcomes by SQLSTATE (\"\" = committed): %v", committed)
	if committed[""] == 0 || committed["23503"] == 0 {
		t.Fatalf("the workload did not exercise both outcomes: %v", committed)
	}
	if n := orphans(t, setup); n != 0 {
		t.Fatalf("%d children reference missing parents", n)
	}
}

func orphans(t *testing.T, c *pgx.Conn) int {
	t.Helper()
	var n int
	err := c.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM c WHERE pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM p WHERE p.id = c.pid))
		+ COALESCE((SELECT count(*) FROM g WHERE NOT EXISTS (SELECT 1 FROM p WHERE p.id = g.pid)), 0)`).Scan(&n)
	if err != nil {
		// A table g may not exist in this test.
		err = c.QueryRow(context.Background(), `SELECT count(*) FROM c WHERE pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM p WHERE p.id = c.pid)`).Scan(&n)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestForeignKeysSurviveRestart: the constraints are part of the tables'
// definitions in the log and in checkpoints; after a restart (checkpoint,
// then replay) they are enforced, and a copy with a violating row is
// refused as a whole.
func TestForeignKeysSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv := testserver.Start(t, testserver.WithDataDir(dir))
	c := testserver.Connect(t, srv)
	exec1(t, c, `CREATE TABLE p (id int PRIMARY KEY)`)
	exec1(t, c, `CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p ON DELETE CASCADE)`)
	exec1(t, c, `INSERT INTO p VALUES (1), (2)`)
	exec1(t, c, `CHECKPOINT`)
	exec1(t, c, `CREATE TABLE d (id int PRIMARY KEY, cid int REFERENCES c DEFERRABLE INITIALLY DEFERRED)`)
	srv.Close()

	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, `INSERT INTO c VALUES (1, 3)`); sqlstate(err) != "23503" {
		t.Fatalf("after a restart, a missing parent: %v, want 23503", err)
	}
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"c"}, []string{"id", "pid"}, pgx.CopyFromRows([][]any{{1, 1}, {2, 9}})); sqlstate(err) != "23503" {
		t.Fatalf("COPY with a missing parent: %v, want 23503", err)
	}
	exec1(t, c, `INSERT INTO c VALUES (1, 1), (2, 2)`)
	exec1(t, c, `BEGIN`)
	exec1(t, c, `INSERT INTO d VALUES (1, 7)`) // deferred: fails at COMMIT
	if _, err := c.Exec(ctx, `COMMIT`); sqlstate(err) != "23503" {
		t.Fatalf("deferred check at COMMIT after a restart: %v, want 23503", err)
	}
	exec1(t, c, `DELETE FROM p WHERE id = 1`)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM c`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("after ON DELETE CASCADE: %d rows (%v), want 1", n, err)
	}
}
