package cdc

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testproc"
)

// The real-binary helpers live in internal/testproc.
type proc = testproc.Proc

func omendbBinary(t *testing.T) string { return testproc.Binary(t) }

func freePort(t *testing.T) int { return testproc.FreePort(t) }

func startServe(t *testing.T, data string) *proc {
	return testproc.Start(t, data, nil, "--log-level", "warn")
}

// writer runs small source transactions until stopped: inserts and updates
// on a keyed table, appends to a table without a key. It returns how many
// transactions committed; a failed transaction is retried by the caller's
// next round only after PostgreSQL is back.
type writer struct {
	conn *pgx.Conn
	rng  *rand.Rand
	next int
}

func (w *writer) txn(ctx context.Context) error {
	tx, err := w.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	id := w.next
	for i := 0; i < 3; i++ {
		if _, err := tx.Exec(ctx, "INSERT INTO kv VALUES ($1, $2, 'ins')", id*3+i, w.rng.Int63n(1000)); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, "UPDATE kv SET v = v + 1, note = 'upd' WHERE k = $1", w.rng.Intn(id*3+3)); err != nil {
		return err
	}
	if id%5 == 0 {
		if _, err := tx.Exec(ctx, "DELETE FROM kv WHERE k = $1", w.rng.Intn(id*3+3)); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, "INSERT INTO events VALUES ($1, now())", id); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	w.next++
	return nil
}

func (w *writer) run(ctx context.Context, d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) && ctx.Err() == nil {
		if err := w.txn(ctx); err != nil {
			return
		}
	}
}

// TestCrashResume SIGKILLs omendb during the snapshot and during streaming,
// and restarts PostgreSQL mid-stream; after each, the OmenDB tables must
// equal the source's: nothing lost, nothing duplicated.
func TestCrashResume(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	ctx := context.Background()
	pg := testpg.Start(t)
	src := connect(t, pg.ConnString())
	run(t, src,
		`CREATE TABLE big (id int PRIMARY KEY, pad text)`,
		// 13 chunks of ~20k rows: the snapshot lasts long enough (about
		// a second at this machine's 276k rows/s) for a 100 ms poll to
		// see it part done; with 4 chunks it sometimes ended unseen.
		`INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 250000) g`,
		`ANALYZE big`,
		`CREATE TABLE kv (k int PRIMARY KEY, v bigint, note text)`,
		`CREATE TABLE events (id int, at timestamptz)`, `ALTER TABLE events REPLICA IDENTITY FULL`,
		`CREATE PUBLICATION pub FOR TABLE big, kv, events`)
	data := t.TempDir()
	start := time.Now()
	p := startServe(t, data)
	dst := connect(t, p.URL())
	run(t, dst, "CREATE SOURCE s FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub'")

	// Kill during the snapshot: some chunks of big are done, not all.
	waitFor(t, "snapshot in progress", 60*time.Second, func() (bool, string) {
		rows, err := textRows(dst, "SELECT chunks_done, chunks_total FROM omendb_source_tables WHERE name = 'big'")
		if err != nil || len(rows) != 1 {
			return false, fmt.Sprint(rows, err)
		}
		f := strings.Split(rows[0], " | ")
		done, _ := strconv.Atoi(f[0])
		total, _ := strconv.Atoi(f[1])
		return done >= 1 && done < total, rows[0]
	})
	// Changes while the snapshot runs (keyed table: converges by upsert).
	run(t, src, `UPDATE big SET pad = 'changed' WHERE id % 1000 = 0`, `DELETE FROM big WHERE id % 997 = 0`)
	p.Kill()
	p = startServe(t, data)
	dst = connect(t, p.URL())
	waitSame(t, src, dst, "SELECT count(*), sum(id), sum(length(pad)) FROM big", 120*time.Second)
	t.Logf("snapshot resumed and complete at %v", time.Since(start))
	if os.Getenv("CDC_DEBUG") != "" {
		b, _ := os.ReadFile(p.LogPath)
		t.Logf("log:\n%s", b)
	}

	// Kill during streaming, with a writer running.
	w := &writer{conn: connect(t, pg.ConnString()), rng: rand.New(rand.NewSource(seed))}
	for round := 0; round < 2; round++ {
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); w.run(wctx, 2*time.Second) }()
		time.Sleep(time.Duration(300+w.rng.Intn(1500)) * time.Millisecond)
		p.Kill()
		<-done
		cancel()
		p = startServe(t, data)
		dst = connect(t, p.URL())
		waitSame(t, src, dst, "SELECT k, v, note FROM kv ORDER BY k", 60*time.Second)
		waitSame(t, src, dst, "SELECT count(*), count(DISTINCT id) FROM events", 60*time.Second)
	}

	t.Logf("streaming kills done at %v", time.Since(start))
	// PostgreSQL restarted mid-stream.
	w.run(ctx, time.Second)
	pg.Restart()
	w.conn = connect(t, pg.ConnString())
	src = connect(t, pg.ConnString())
	w.run(ctx, 2*time.Second)
	waitSame(t, src, dst, "SELECT k, v, note FROM kv ORDER BY k", 60*time.Second)
	waitSame(t, src, dst, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM events", 60*time.Second)
	waitSame(t, src, dst, "SELECT count(*), sum(id), sum(length(pad)) FROM big", 60*time.Second)
	t.Logf("%d source transactions streamed", w.next)
}

// TestKeylessSnapshotResume SIGKILLs omendb in the middle of the snapshot of
// a table without a key (REPLICA IDENTITY FULL, many identical rows) while
// the source inserts, updates and deletes rows of it; after the restart the
// table must hold exactly the source's multiset of rows: a resumed chunk
// neither adds to what the interrupted copy left nor meets a streamed
// change it already shows.
func TestKeylessSnapshotResume(t *testing.T) {
	pg := testpg.Start(t)
	src := connect(t, pg.ConnString())
	run(t, src,
		`CREATE TABLE bag (a int, b text)`, `ALTER TABLE bag REPLICA IDENTITY FULL`,
		`INSERT INTO bag SELECT g % 5000, 'v' || (g % 7) FROM generate_series(1, 300000) g`,
		`ANALYZE bag`,
		`CREATE PUBLICATION pub FOR TABLE bag`)
	const multiset = `SELECT a, b, count(*) FROM bag GROUP BY a, b ORDER BY a, b`
	data := t.TempDir()
	p := startServe(t, data)
	dst := connect(t, p.URL())
	run(t, dst, "CREATE SOURCE s FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub'")
	waitFor(t, "snapshot in progress", 60*time.Second, func() (bool, string) {
		rows, err := textRows(dst, "SELECT chunks_done, chunks_total FROM omendb_source_tables WHERE name = 'bag'")
		if err != nil || len(rows) != 1 {
			return false, fmt.Sprint(rows, err)
		}
		f := strings.Split(rows[0], " | ")
		done, _ := strconv.Atoi(f[0])
		total, _ := strconv.Atoi(f[1])
		return done >= 1 && done < total, rows[0]
	})
	// Changes after the slot's consistent point, touching every chunk and
	// appending to the open-ended last one.
	run(t, src,
		`INSERT INTO bag SELECT g % 5000, 'v' || (g % 7) FROM generate_series(1, 5000) g`,
		`UPDATE bag SET b = 'upd' WHERE a % 97 = 0`,
		`DELETE FROM bag WHERE a % 89 = 0`)
	p.Kill()
	p = startServe(t, data)
	dst = connect(t, p.URL())
	run(t, src, `INSERT INTO bag VALUES (1, 'v1'), (1, 'v1'), (NULL, NULL)`, `DELETE FROM bag WHERE a = 2`)
	got := waitSame(t, src, dst, multiset, 120*time.Second)
	if len(got) < 1000 {
		t.Fatalf("only %d distinct rows compared", len(got))
	}
	waitFor(t, "snapshot done", 30*time.Second, func() (bool, string) {
		rows, err := textRows(dst, "SELECT state, chunks_done = chunks_total FROM omendb_source_tables WHERE name = 'bag'")
		return err == nil && len(rows) == 1 && rows[0] == "streaming | t", fmt.Sprint(rows, err)
	})
	// Streaming goes on exactly after the restart (updates and deletes of
	// duplicate rows touch one row each on both sides).
	run(t, src,
		`UPDATE bag SET b = 'again' WHERE ctid = (SELECT min(ctid) FROM bag WHERE a = 3)`,
		`DELETE FROM bag WHERE ctid = (SELECT min(ctid) FROM bag WHERE a = 4)`,
		`INSERT INTO bag VALUES (4, 'v4')`)
	waitSame(t, src, dst, multiset, 60*time.Second)
	waitSame(t, src, dst, `SELECT count(*) FROM bag`, 10*time.Second)
}
