package e2e

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// rewriteState is what a rewritten table looks like through one engine:
// the column types, a digest of every row, and an index lookup.
func rewriteState(t *testing.T, ctx context.Context, p *proc, engine string) string {
	t.Helper()
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var types string
	if err := c.QueryRow(ctx, `SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'rw'::regclass AND attnum > 0`).Scan(&types); err != nil {
		t.Fatal(err)
	}
	exec1(t, c, `SET omendb.engine = '`+engine+`'`)
	lines := func(q string) (int, string) {
		rows, err := c.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		h := md5.New()
		n := 0
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(h, s)
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s engine: %v", engine, err)
		}
		return n, hex.EncodeToString(h.Sum(nil))
	}
	n, digest := lines(`SELECT id::text || ':' || v::text || ':' || coalesce(s::text, '-') || ':' || u::text || ':' || pad FROM rw ORDER BY id`)
	_, lookup := lines(`SELECT id::text FROM rw WHERE s::text = '70' OR u::text = '67' ORDER BY id`)
	return fmt.Sprintf("types %s rows %d digest %s lookup %s", types, n, digest, lookup)
}

// checkEngines checks that the row and the column engine both show want.
func checkEngines(t *testing.T, ctx context.Context, p *proc, what, want string) {
	t.Helper()
	for _, engine := range []string{"row", "column"} {
		if got := rewriteState(t, ctx, p, engine); got != want {
			t.Fatalf("%s, %s engine:\n got %s\nwant %s", what, engine, got, want)
		}
	}
}

// createRewriteTable makes table rw of n rows, each with pad bytes of
// padding (a table of many MiB makes the rewrite a chunked log record).
func createRewriteTable(t *testing.T, ctx context.Context, c *pgx.Conn, n, pad int) {
	t.Helper()
	exec1(t, c, `CREATE TABLE rw (id int PRIMARY KEY, v int NOT NULL, s text, u int, pad text)`)
	exec1(t, c, `CREATE INDEX rw_s ON rw (s)`)
	exec1(t, c, fmt.Sprintf(`INSERT INTO rw SELECT g, g * 3, (g %% 100)::text, g, repeat(md5(g::text), %d) FROM generate_series(1, %d) g`, (pad+31)/32, n))
	// Made after the rows: an INSERT checks a new row's unique values
	// against the statement's earlier rows one scan at a time.
	exec1(t, c, `CREATE UNIQUE INDEX rw_u ON rw (u)`)
}

// The rewrite ALTER and the one after the checkpoint.
const (
	rewriteSQL  = `ALTER TABLE rw ALTER COLUMN v TYPE numeric(14,2) USING v / 4.0, ALTER COLUMN s TYPE integer USING s::integer, ALTER COLUMN u TYPE bigint USING u * 2 + 1`
	rewrite2SQL = `ALTER TABLE rw ALTER COLUMN u TYPE text, ALTER COLUMN v TYPE numeric(16,3)`
)

// TestAlterTypeRewriteSurvivesRestart: ALTER COLUMN TYPE rewrites of a
// table come back after SIGKILL and restart — replayed from the log, then
// from a checkpoint taken after the first rewrite with the second replayed
// on top — with the same rows, types and index lookups through the row
// and the column engine.
func TestAlterTypeRewriteSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	p := startServe(t, data)
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	createRewriteTable(t, ctx, c, 3000, 0)
	exec1(t, c, rewriteSQL)
	c.Close(ctx)
	want := rewriteState(t, ctx, p, "row")
	checkEngines(t, ctx, p, "after the rewrite", want)

	p.Kill()
	p = startServe(t, data)
	checkEngines(t, ctx, p, "replayed after SIGKILL", want)

	c, err = pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	exec1(t, c, `CHECKPOINT`)
	exec1(t, c, rewrite2SQL)
	c.Close(ctx)
	want2 := rewriteState(t, ctx, p, "row")
	if want2 == want {
		t.Fatal("the second rewrite changed nothing")
	}
	checkEngines(t, ctx, p, "after the second rewrite", want2)
	p.Kill()
	p = startServe(t, data)
	checkEngines(t, ctx, p, "from the checkpoint, the second rewrite replayed", want2)

	// A checkpoint taken after both rewrites, then a clean restart.
	c, err = pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	exec1(t, c, `CHECKPOINT`)
	c.Close(ctx)
	p.Stop(t)
	p = startServe(t, data)
	checkEngines(t, ctx, p, "from a checkpoint after both rewrites", want2)
	p.Stop(t)
}

// TestAlterTypeRewriteChunkedCrash: the rewrite of a table larger than one
// log message (a chunked record) is atomic under SIGKILL at any moment:
// after the restart the table has the old types with the old rows or the
// new types with the new rows, never a mix, and an acknowledged rewrite is
// always there.
func TestAlterTypeRewriteChunkedCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a large table several times")
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	data := t.TempDir()
	ctx := context.Background()
	p := startServe(t, data)
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	// 40,000 rows of ~300 bytes: about 12 MiB, over the 8 MiB message.
	createRewriteTable(t, ctx, c, 40000, 288)
	c.Close(ctx)
	before := rewriteState(t, ctx, p, "row")

	// Find the new state once on a copy of the table, then crash a
	// rewrite at random moments: the result is one of the two states.
	var after string
	for round := 0; round < 6; round++ {
		c, err := pgx.Connect(ctx, p.URL())
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := c.Exec(ctx, rewriteSQL); done <- err }()
		acked := false
		if round == 0 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			acked = true
		} else {
			select {
			case err := <-done:
				acked = err == nil
			case <-time.After(time.Duration(rng.Intn(6000)) * time.Millisecond):
			}
		}
		p.Kill()
		if !acked {
			select {
			case err := <-done:
				acked = err == nil
			default:
			}
		}
		p = startServe(t, data)
		got := rewriteState(t, ctx, p, "row")
		switch {
		case round == 0:
			after = got
			if after == before {
				t.Fatal("the rewrite changed nothing")
			}
		case got == after:
		case got == before && !acked:
		default:
			t.Fatalf("round %d (acknowledged %v): after the restart\n %s\nwant the state before\n %s\nor after\n %s", round, acked, got, before, after)
		}
		t.Logf("round %d: acknowledged %v, rewritten %v", round, acked, got == after)
		checkEngines(t, ctx, p, fmt.Sprintf("round %d", round), got)
		if got == after {
			// Back to the old types for the next round.
			c, err := pgx.Connect(ctx, p.URL())
			if err != nil {
				t.Fatal(err)
			}
			exec1(t, c, `ALTER TABLE rw ALTER COLUMN v TYPE int USING (v * 4)::int, ALTER COLUMN s TYPE text, ALTER COLUMN u TYPE int USING (u - 1) / 2`)
			c.Close(ctx)
			if st := rewriteState(t, ctx, p, "row"); st != before {
				t.Fatalf("round %d: the way back gave\n %s\nwant\n %s", round, st, before)
			}
		}
	}
	p.Stop(t)
}

// TestAlterTypeRewriteConcurrency: a rewrite takes ACCESS EXCLUSIVE, so it
// waits for a LOCK TABLE holder and then rewrites what that one committed;
// writers that take no table lock conflict with it at commit (40001) —
// whichever commits second fails, and nothing of it is applied.
func TestAlterTypeRewriteConcurrency(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE cc (id int PRIMARY KEY, v text)`)
	exec1(t, a, `INSERT INTO cc VALUES (1, '10'), (2, '20')`)
	types := func() string {
		t.Helper()
		var s string
		if err := a.QueryRow(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'cc'::regclass AND attname = 'v'`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// A LOCK TABLE holder: the rewrite waits, then includes its row.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `LOCK TABLE cc IN ROW EXCLUSIVE MODE`)
	exec1(t, a, `INSERT INTO cc VALUES (3, '30')`)
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, `ALTER TABLE cc ALTER COLUMN v TYPE integer USING v::integer`)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the rewrite did not wait for the lock holder (err %v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	exec1(t, a, `COMMIT`)
	if err := <-done; err != nil {
		t.Fatalf("rewrite after the lock holder: %v", err)
	}
	var sum int
	if err := a.QueryRow(ctx, `SELECT sum(v) FROM cc`).Scan(&sum); err != nil || sum != 60 || types() != "integer" {
		t.Fatalf("after the rewrite: sum %d (%v), type %s; want 60, integer", sum, err, types())
	}

	// A writer whose transaction began before the rewrite fails at commit.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `INSERT INTO cc VALUES (4, 40)`)
	exec1(t, b, `ALTER TABLE cc ALTER COLUMN v TYPE text`)
	if _, err := a.Exec(ctx, `COMMIT`); sqlstate(err) != "40001" {
		t.Fatalf("COMMIT of a write to the rewritten table: %v, want 40001", err)
	}
	// A rewrite whose transaction began before a write fails at commit.
	exec1(t, b, `BEGIN`)
	exec1(t, b, `ALTER TABLE cc ALTER COLUMN v TYPE numeric USING v::numeric`)
	exec1(t, a, `INSERT INTO cc VALUES (5, 'fifty')`)
	if _, err := b.Exec(ctx, `COMMIT`); sqlstate(err) != "40001" {
		t.Fatalf("COMMIT of a rewrite after a concurrent write: %v, want 40001", err)
	}
	var n int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM cc WHERE v = 'fifty'`).Scan(&n); err != nil || n != 1 || types() != "text" {
		t.Fatalf("after the failed rewrite: %d rows of 'fifty' (%v), type %s; want 1, text", n, err, types())
	}
}
