package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testserver"
)

// TestPgLocksWaiter: while one session holds a row's lock and another
// waits for it, pg_locks shows the holder's lock granted and the waiter's
// not, with its wait start; the waiter's row goes once it has the lock.
// The same for a table lock and an advisory lock.
func TestPgLocksWaiter(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b, watch := connect(t, url), connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE lk (id int PRIMARY KEY, n int)`)
	exec1(t, a, `INSERT INTO lk VALUES (1, 0)`)
	var pidA, pidB int32
	if err := a.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pidA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pidB); err != nil {
		t.Fatal(err)
	}

	type lockRow struct {
		pid     int32
		kind    string
		mode    string
		granted bool
		waiting bool // waitstart is not NULL
	}
	locks := func(where string) []lockRow {
		t.Helper()
		rows, err := watch.Query(ctx, `SELECT pid, locktype, mode, granted, waitstart IS NOT NULL FROM pg_locks WHERE `+where+` ORDER BY granted DESC, pid`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []lockRow
		for rows.Next() {
			var r lockRow
			if err := rows.Scan(&r.pid, &r.kind, &r.mode, &r.granted, &r.waiting); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// waitFor polls pg_locks until it shows want.
	waitFor := func(where string, want []lockRow) {
		t.Helper()
		var got []lockRow
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			got = locks(where)
			if fmt.Sprint(got) == fmt.Sprint(want) {
				return
			}
		}
		t.Fatalf("pg_locks WHERE %s: %v, want %v", where, got, want)
	}
	// blocked runs sql on b in the background, waiting for a.
	blocked := func(sql string) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := b.Exec(ctx, sql)
			done <- err
		}()
		return done
	}
	finish := func(done chan error) {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("b still waits after a ended")
		}
	}

	// A row lock.
	rowLocks := `relation = 'lk'::regclass`
	exec1(t, a, `BEGIN`)
	exec1(t, a, `UPDATE lk SET n = n + 1 WHERE id = 1`)
	done := blocked(`UPDATE lk SET n = n + 10 WHERE id = 1`)
	waitFor(rowLocks, []lockRow{
		{pidA, "tuple", "ExclusiveLock", true, false},
		{pidB, "tuple", "ExclusiveLock", false, true},
	})
	exec1(t, a, `COMMIT`)
	finish(done)
	waitFor(rowLocks, nil) // b's autocommit update ended too
	var n int
	if err := watch.QueryRow(ctx, `SELECT n FROM lk WHERE id = 1`).Scan(&n); err != nil || n != 11 {
		t.Fatalf("n = %d, %v; want 11", n, err)
	}

	// A table lock.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `LOCK TABLE lk IN EXCLUSIVE MODE`)
	exec1(t, b, `BEGIN`)
	done = blocked(`LOCK TABLE lk IN SHARE MODE`)
	waitFor(rowLocks, []lockRow{
		{pidA, "relation", "ExclusiveLock", true, false},
		{pidB, "relation", "ShareLock", false, true},
	})
	exec1(t, a, `COMMIT`)
	finish(done)
	waitFor(rowLocks, []lockRow{{pidB, "relation", "ShareLock", true, false}})
	exec1(t, b, `COMMIT`)

	// An advisory lock.
	adv := `locktype = 'advisory' AND objid = 42`
	exec1(t, a, `SELECT pg_advisory_lock(42)`)
	done = blocked(`SELECT pg_advisory_lock_shared(42)`)
	waitFor(adv, []lockRow{
		{pidA, "advisory", "ExclusiveLock", true, false},
		{pidB, "advisory", "ShareLock", false, true},
	})
	exec1(t, a, `SELECT pg_advisory_unlock(42)`)
	finish(done)
	waitFor(adv, []lockRow{{pidB, "advisory", "ShareLock", true, false}})
	exec1(t, b, `SELECT pg_advisory_unlock_all()`)
	waitFor(adv, nil)
}

// TestPgStatCounters: pg_stat_user_tables counts the rows the row store
// applied and pg_stat_database the commits and rollbacks, deadlocks and
// backends.
func TestPgStatCounters(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE pc (id int PRIMARY KEY, v text)`)
	exec1(t, a, `INSERT INTO pc VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
	exec1(t, a, `UPDATE pc SET v = 'x' WHERE id = 1`)
	exec1(t, a, `DELETE FROM pc WHERE id = 2`)
	var ins, upd, del, live int64
	if err := a.QueryRow(ctx, `SELECT n_tup_ins, n_tup_upd, n_tup_del, n_live_tup FROM pg_stat_user_tables WHERE relname = 'pc'`).Scan(&ins, &upd, &del, &live); err != nil {
		t.Fatal(err)
	}
	if ins != 3 || upd != 1 || del != 1 || live != 2 {
		t.Fatalf("ins %d upd %d del %d live %d; want 3 1 1 2", ins, upd, del, live)
	}

	dbStats := func() (commits, rollbacks, deadlocks int64, backends int32) {
		t.Helper()
		if err := b.QueryRow(ctx, `SELECT xact_commit, xact_rollback, deadlocks, numbackends FROM pg_stat_database WHERE datname = current_database()`).
			Scan(&commits, &rollbacks, &deadlocks, &backends); err != nil {
			t.Fatal(err)
		}
		return
	}
	c0, r0, d0, n0 := dbStats()
	if n0 != 2 {
		t.Fatalf("numbackends %d, want 2", n0)
	}
	exec1(t, a, `BEGIN`)
	exec1(t, a, `INSERT INTO pc VALUES (9, 'z')`)
	exec1(t, a, `ROLLBACK`)
	exec1(t, a, `BEGIN`)
	exec1(t, a, `INSERT INTO pc VALUES (9, 'z')`)
	exec1(t, a, `COMMIT`)
	c1, r1, _, _ := dbStats()
	// b's own statement (the query of dbStats) commits too.
	if c1-c0 != 2 || r1-r0 != 1 {
		t.Fatalf("commits +%d rollbacks +%d; want +2 +1", c1-c0, r1-r0)
	}

	// A deadlock: a waits for b, then b for a.
	exec1(t, a, `INSERT INTO pc VALUES (20, 'p'), (21, 'q')`)
	exec1(t, a, `BEGIN`)
	exec1(t, b, `BEGIN`)
	exec1(t, a, `UPDATE pc SET v = 'a' WHERE id = 20`)
	exec1(t, b, `UPDATE pc SET v = 'b' WHERE id = 21`)
	done := make(chan error, 1)
	go func() {
		_, err := a.Exec(ctx, `UPDATE pc SET v = 'a' WHERE id = 21`)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	_, errB := b.Exec(ctx, `UPDATE pc SET v = 'b' WHERE id = 20`)
	if errB != nil {
		exec1(t, b, `ROLLBACK`)
	} else {
		exec1(t, b, `COMMIT`)
	}
	errA := <-done
	if errA != nil {
		exec1(t, a, `ROLLBACK`)
	} else {
		exec1(t, a, `COMMIT`)
	}
	if errA == nil && errB == nil {
		t.Fatal("no deadlock detected")
	}
	_, _, d2, _ := dbStats()
	if d2-d0 != 1 {
		t.Fatalf("deadlocks +%d, want +1", d2-d0)
	}
}
