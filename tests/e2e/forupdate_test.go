package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// TestSelectForUpdate: SELECT … FOR UPDATE locks the rows it returns until
// the transaction ends — a second locker waits, then re-checks the newest
// version (READ COMMITTED); NOWAIT fails with 55P03; SKIP LOCKED passes
// over locked rows; rows a LIMIT does not return stay unlocked.
func TestSelectForUpdate(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE jobs (id int PRIMARY KEY, state text NOT NULL)`)
	exec1(t, a, `INSERT INTO jobs VALUES (1, 'ready'), (2, 'ready'), (3, 'ready')`)

	// A queue consumer takes the first ready job; a second one skips it.
	exec1(t, a, `BEGIN`)
	var ida, idb int
	if err := a.QueryRow(ctx, `SELECT id FROM jobs WHERE state = 'ready' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`).Scan(&ida); err != nil || ida != 1 {
		t.Fatalf("first consumer: job %d, %v; want 1", ida, err)
	}
	exec1(t, b, `BEGIN`)
	if err := b.QueryRow(ctx, `SELECT id FROM jobs WHERE state = 'ready' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`).Scan(&idb); err != nil || idb != 2 {
		t.Fatalf("second consumer: job %d, %v; want 2 (job 1 is locked)", idb, err)
	}
	// The LIMIT locked only job 1 for a: job 3 is free, job 1 is not.
	if _, err := b.Exec(ctx, `SELECT id FROM jobs WHERE id = 3 FOR UPDATE NOWAIT`); err != nil {
		t.Fatalf("job 3 should be unlocked: %v", err)
	}
	exec1(t, b, `SAVEPOINT s`)
	_, err := b.Exec(ctx, `SELECT id FROM jobs WHERE id = 1 FOR UPDATE NOWAIT`)
	if sqlstate(err) != "55P03" {
		t.Fatalf("NOWAIT on a locked row: %v, want 55P03", err)
	}
	exec1(t, b, `ROLLBACK TO SAVEPOINT s`)
	exec1(t, b, `COMMIT`)

	// A waiting locker sees the holder's committed change: job 1 is no
	// longer ready when a commits, so b's locking read returns nothing.
	done := make(chan error, 1)
	var n int
	go func() {
		rows, err := b.Query(ctx, `SELECT id FROM jobs WHERE id = 1 AND state = 'ready' FOR UPDATE`)
		if err == nil {
			for rows.Next() {
				n++
			}
			err = rows.Err()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("FOR UPDATE did not wait for the holder: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	exec1(t, a, `UPDATE jobs SET state = 'running' WHERE id = 1`)
	exec1(t, a, `COMMIT`)
	if err := <-done; err != nil || n != 0 {
		t.Fatalf("after the holder committed: %d rows, %v; want 0 (the newest version is not ready)", n, err)
	}
}

// TestForUpdateNoLostUpdates: concurrent read-modify-write transactions that
// read with FOR UPDATE never lose an increment.
func TestForUpdateNoLostUpdates(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	setup := connect(t, url)
	exec1(t, setup, `CREATE TABLE counter (id int PRIMARY KEY, v int NOT NULL)`)
	exec1(t, setup, `INSERT INTO counter VALUES (1, 0)`)
	const workers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		c := connect(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
					var v int
					if err := tx.QueryRow(ctx, `SELECT v FROM counter WHERE id = 1 FOR UPDATE`).Scan(&v); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `UPDATE counter SET v = $1 WHERE id = 1`, v+1)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var v int
	if err := setup.QueryRow(ctx, `SELECT v FROM counter WHERE id = 1`).Scan(&v); err != nil || v != workers*each {
		t.Fatalf("counter %d (%v), want %d: an increment was lost", v, err, workers*each)
	}
}

// TestForShare: FOR SHARE and FOR KEY SHARE take a shared row lock —
// sharers do not wait for each other, writers wait for every sharer (and
// sharers for a writer), NOWAIT and SKIP LOCKED apply, a sharer may
// upgrade once alone, and two sharers that both try to write deadlock
// (40P01) rather than hang.
func TestForShare(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	a, b, c := connect(t, url), connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE r (id int PRIMARY KEY, v int)`)
	exec1(t, a, `INSERT INTO r VALUES (1, 10), (2, 20)`)
	count := func(conn *pgx.Conn, q string) (int, error) {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			return 0, err
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		return n, rows.Err()
	}

	exec1(t, a, `BEGIN`)
	if n, err := count(a, `SELECT * FROM r WHERE id = 1 FOR SHARE`); err != nil || n != 1 {
		t.Fatalf("a FOR SHARE: %d rows, %v", n, err)
	}
	exec1(t, b, `BEGIN`)
	if n, err := count(b, `SELECT * FROM r WHERE id = 1 FOR KEY SHARE NOWAIT`); err != nil || n != 1 {
		t.Fatalf("b shares the row too: %d rows, %v", n, err)
	}
	exec1(t, c, `SET lock_timeout = '100ms'`)
	if _, err := c.Exec(ctx, `UPDATE r SET v = 11 WHERE id = 1`); sqlstate(err) != "55P03" {
		t.Fatalf("a writer while two share the row: %v, want 55P03 (it waits)", err)
	}
	if _, err := c.Exec(ctx, `UPDATE r SET v = 21 WHERE id = 2`); err != nil {
		t.Fatalf("another row is free: %v", err)
	}
	if _, err := count(b, `SELECT * FROM r WHERE id = 1 FOR UPDATE NOWAIT`); sqlstate(err) != "55P03" {
		t.Fatalf("b upgrading while a shares: %v, want 55P03", err)
	}
	exec1(t, b, `ROLLBACK`)
	exec1(t, b, `BEGIN`)
	exec1(t, b, `SELECT * FROM r WHERE id = 1 FOR SHARE`)
	// A writer waits for the sharers and then proceeds.
	done := make(chan error, 1)
	exec1(t, c, `RESET lock_timeout`)
	go func() { _, err := c.Exec(ctx, `UPDATE r SET v = v + 1 WHERE id = 1`); done <- err }()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the writer did not wait for the sharers: %v", err)
	default:
	}
	exec1(t, a, `COMMIT`)
	exec1(t, b, `COMMIT`)
	if err := <-done; err != nil {
		t.Fatalf("the writer after the sharers ended: %v", err)
	}
	// A sharer waits for a writer; NOWAIT fails, SKIP LOCKED skips.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `UPDATE r SET v = 0 WHERE id = 1`)
	if _, err := count(b, `SELECT * FROM r WHERE id = 1 FOR SHARE NOWAIT`); sqlstate(err) != "55P03" {
		t.Fatalf("FOR SHARE NOWAIT over a writer: %v, want 55P03", err)
	}
	if n, err := count(b, `SELECT * FROM r FOR KEY SHARE SKIP LOCKED`); err != nil || n != 1 {
		t.Fatalf("FOR KEY SHARE SKIP LOCKED: %d rows (%v), want the one unlocked row", n, err)
	}
	exec1(t, a, `ROLLBACK`)
	// Two sharers that both write: one of them is the deadlock victim.
	exec1(t, a, `BEGIN`)
	exec1(t, b, `BEGIN`)
	exec1(t, a, `SELECT * FROM r WHERE id = 1 FOR SHARE`)
	exec1(t, b, `SELECT * FROM r WHERE id = 1 FOR SHARE`)
	go func() { _, err := a.Exec(ctx, `UPDATE r SET v = 100 WHERE id = 1`); done <- err }()
	time.Sleep(100 * time.Millisecond)
	if _, err := b.Exec(ctx, `UPDATE r SET v = 200 WHERE id = 1`); sqlstate(err) != "40P01" {
		t.Fatalf("the second sharer's write: %v, want 40P01", err)
	}
	exec1(t, b, `ROLLBACK`)
	if err := <-done; err != nil {
		t.Fatalf("the first sharer's write once the other rolled back: %v", err)
	}
	exec1(t, a, `COMMIT`)
	var v int
	if err := c.QueryRow(ctx, `SELECT v FROM r WHERE id = 1`).Scan(&v); err != nil || v != 100 {
		t.Fatalf("v = %d (%v), want 100", v, err)
	}
}
