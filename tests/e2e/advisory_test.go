package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testserver"
)

// TestAdvisoryLocks: pg_advisory_lock and friends between two sessions —
// an exclusive lock blocks another session until unlocked, try returns
// false meanwhile, holds stack, shared locks coexist and block exclusive
// ones, _xact_ locks end with the transaction and session locks with the
// session, lock_timeout bounds a wait (55P03) and a cycle of waits fails
// with 40P01.
func TestAdvisoryLocks(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	tryLock := func(q string, want bool) {
		t.Helper()
		var got bool
		if err := b.QueryRow(ctx, q).Scan(&got); err != nil || got != want {
			t.Fatalf("%s: %v, %v; want %v", q, got, err, want)
		}
	}

	exec1(t, a, `SELECT pg_advisory_lock(7)`)
	exec1(t, a, `SELECT pg_advisory_lock(7)`) // stacked
	tryLock(`SELECT pg_try_advisory_lock(7)`, false)
	tryLock(`SELECT pg_try_advisory_lock(0, 7)`, true) // the two-key space is apart
	tryLock(`SELECT pg_advisory_unlock(0, 7)`, true)
	tryLock(`SELECT pg_advisory_unlock(7)`, false) // b holds none

	// b waits for a's lock; one unlock is not enough (two holds).
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, `SELECT pg_advisory_lock(7)`)
		done <- err
	}()
	exec1(t, a, `SELECT pg_advisory_unlock(7)`)
	select {
	case err := <-done:
		t.Fatalf("b got the lock while a still held it once: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	exec1(t, a, `SELECT pg_advisory_unlock(7)`)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b still waits after a's last unlock")
	}
	var ok bool
	if err := a.QueryRow(ctx, `SELECT pg_try_advisory_lock(7)`).Scan(&ok); err != nil || ok {
		t.Fatalf("a's try while b holds: %v, %v; want false", ok, err)
	}
	exec1(t, b, `SELECT pg_advisory_unlock_all()`)

	// Shared holds coexist and block an exclusive one.
	exec1(t, a, `SELECT pg_advisory_lock_shared(9)`)
	tryLock(`SELECT pg_try_advisory_lock_shared(9)`, true)
	exec1(t, a, `SET lock_timeout = '100ms'`)
	if _, err := a.Exec(ctx, `SELECT pg_advisory_lock(9)`); err == nil {
		// a holds shared itself, but b's shared hold conflicts.
		t.Fatal("a's exclusive lock granted while b holds a shared one")
	} else if sqlstate(err) != "55P03" {
		t.Fatalf("lock_timeout: %v, want 55P03", err)
	}
	tryLock(`SELECT pg_advisory_unlock_shared(9)`, true)
	exec1(t, a, `SELECT pg_advisory_lock(9)`) // a alone now: shared and exclusive
	exec1(t, a, `SELECT pg_advisory_unlock_all()`)
	exec1(t, a, `RESET lock_timeout`)

	// _xact_ locks end with the transaction, not with a statement.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `SELECT pg_advisory_xact_lock(11)`)
	tryLock(`SELECT pg_try_advisory_lock(11)`, false)
	exec1(t, a, `SELECT 1`)
	tryLock(`SELECT pg_try_advisory_lock(11)`, false)
	exec1(t, a, `COMMIT`)
	tryLock(`SELECT pg_try_advisory_lock(11)`, true)
	tryLock(`SELECT pg_advisory_unlock(11)`, true)

	// A session's locks go when it ends.
	c := connect(t, url)
	exec1(t, c, `SELECT pg_advisory_lock(13)`)
	tryLock(`SELECT pg_try_advisory_lock(13)`, false)
	c.Close(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got bool
		if err := b.QueryRow(ctx, `SELECT pg_try_advisory_lock(13)`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock of a closed session is still held")
		}
		time.Sleep(20 * time.Millisecond)
	}
	exec1(t, b, `SELECT pg_advisory_unlock_all()`)

	// Two sessions each waiting for the other's lock: one fails with 40P01.
	exec1(t, a, `SELECT pg_advisory_lock(21)`)
	exec1(t, b, `SELECT pg_advisory_lock(22)`)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); _, errs[0] = a.Exec(ctx, `SELECT pg_advisory_lock(22)`) }()
	time.Sleep(100 * time.Millisecond)
	go func() {
		defer wg.Done()
		_, errs[1] = b.Exec(ctx, `SELECT pg_advisory_lock(21)`)
		if errs[1] != nil {
			exec1(t, b, `SELECT pg_advisory_unlock_all()`) // lets a through
		}
	}()
	wg.Wait()
	if sqlstate(errs[1]) != "40P01" || errs[0] != nil {
		t.Fatalf("deadlock: a %v, b %v; want a granted, b 40P01", errs[0], errs[1])
	}
}

// TestAdvisoryLockMutualExclusion: workers increment a counter in a table
// under an advisory lock (read, then write the value read plus one), in
// autocommit statements; without the lock increments would be lost.
func TestAdvisoryLockMutualExclusion(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	exec1(t, connect(t, url), `CREATE TABLE counter (id int PRIMARY KEY, n int)`)
	exec1(t, connect(t, url), `INSERT INTO counter VALUES (1, 0)`)
	const workers, each = 4, 20
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := connect(t, url)
			for i := 0; i < each; i++ {
				var n int
				if _, err := c.Exec(ctx, `SELECT pg_advisory_lock(1)`); err != nil {
					t.Error(err)
					return
				}
				if err := c.QueryRow(ctx, `SELECT n FROM counter WHERE id = 1`).Scan(&n); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Exec(ctx, `UPDATE counter SET n = $1 WHERE id = 1`, n+1); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Exec(ctx, `SELECT pg_advisory_unlock(1)`); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var n int
	if err := connect(t, url).QueryRow(ctx, `SELECT n FROM counter`).Scan(&n); err != nil || n != workers*each {
		t.Fatalf("counter %d, %v; want %d", n, err, workers*each)
	}
}

// TestAdvisoryRowDeadlock: a cycle of waits through an advisory lock and a
// row lock is a deadlock (40P01) for one of the two sessions, and the
// other goes on, rather than both waiting forever (no lock_timeout is
// set). Each session's transaction and advisory locks are one node of the
// wait-for graph.
func TestAdvisoryRowDeadlock(t *testing.T) {
	for _, order := range []string{"row first", "advisory first"} {
		t.Run(order, func(t *testing.T) {
			srv := testserver.Start(t)
			url := testserver.ConnString(srv)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			a, b := connect(t, url), connect(t, url)
			exec1(t, a, `CREATE TABLE acct (id int PRIMARY KEY, n int)`)
			exec1(t, a, `INSERT INTO acct VALUES (1, 0)`)
			// a holds the row, b holds the advisory lock.
			exec1(t, a, `BEGIN`)
			exec1(t, a, `UPDATE acct SET n = n + 1 WHERE id = 1`)
			exec1(t, b, `SELECT pg_advisory_lock(42)`)
			exec1(t, b, `BEGIN`)
			type outcome struct {
				who string
				err error
			}
			done := make(chan outcome, 2)
			first, second := func() {
				_, err := b.Exec(ctx, `UPDATE acct SET n = n + 10 WHERE id = 1`) // waits for a
				done <- outcome{"b", err}
			}, func() {
				_, err := a.Exec(ctx, `SELECT pg_advisory_lock(42)`) // waits for b
				done <- outcome{"a", err}
			}
			if order == "advisory first" {
				first, second = second, first
			}
			go first()
			time.Sleep(200 * time.Millisecond) // the first wait is in place
			go second()
			var deadlocks int
			for range 2 {
				select {
				case o := <-done:
					if sqlstate(o.err) != "40P01" {
						if o.err != nil {
							t.Fatalf("session %s: %v", o.who, o.err)
						}
						continue
					}
					deadlocks++
					// The victim gives up its transaction and its advisory
					// locks; the other session's wait is then granted.
					victim := a
					if o.who == "b" {
						victim = b
					}
					exec1(t, victim, `ROLLBACK`)
					exec1(t, victim, `SELECT pg_advisory_unlock_all()`)
				case <-ctx.Done():
					t.Fatal("the sessions still wait for each other: the advisory–row cycle was not seen as a deadlock")
				}
			}
			if deadlocks != 1 {
				t.Fatalf("%d deadlock errors, want 1", deadlocks)
			}
		})
	}
}
