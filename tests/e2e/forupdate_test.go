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
