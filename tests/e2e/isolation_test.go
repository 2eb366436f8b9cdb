package e2e

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testserver"
)

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func exec1(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestReadCommittedWaitsAndRereads: under READ COMMITTED (the default) a
// second writer of a row waits for the first transaction and then updates
// the row as the first left it, as PostgreSQL does.
func TestReadCommittedWaitsAndRereads(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL)`)
	exec1(t, a, `INSERT INTO acct VALUES (1, 100), (2, 100)`)

	exec1(t, a, `BEGIN`)
	exec1(t, a, `UPDATE acct SET bal = bal + 1 WHERE id = 1`)
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, `UPDATE acct SET bal = bal + 10 WHERE id = 1 AND bal >= 100`)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("second writer did not wait for the first transaction: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	exec1(t, a, `COMMIT`)
	if err := <-done; err != nil {
		t.Fatalf("second writer after the first committed: %v", err)
	}
	var bal int
	if err := a.QueryRow(ctx, `SELECT bal FROM acct WHERE id = 1`).Scan(&bal); err != nil || bal != 111 {
		t.Fatalf("balance %d (%v), want 111: the second update must apply to the first one's result", bal, err)
	}

	// A row deleted by the first transaction is skipped by the second.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `DELETE FROM acct WHERE id = 2`)
	go func() {
		_, err := b.Exec(ctx, `UPDATE acct SET bal = 0 WHERE id = 2`)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	exec1(t, a, `COMMIT`)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM acct WHERE id = 2`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("deleted row came back: %d, %v", n, err)
	}
}

// TestRepeatableReadConflict: under REPEATABLE READ the second writer gets
// 40001 once the first commits.
func TestRepeatableReadConflict(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL)`)
	exec1(t, a, `INSERT INTO acct VALUES (1, 100)`)
	exec1(t, b, `BEGIN ISOLATION LEVEL REPEATABLE READ`)
	var bal int
	if err := b.QueryRow(ctx, `SELECT bal FROM acct WHERE id = 1`).Scan(&bal); err != nil {
		t.Fatal(err)
	}
	exec1(t, a, `UPDATE acct SET bal = 200 WHERE id = 1`)
	// The snapshot still shows the old value…
	if err := b.QueryRow(ctx, `SELECT bal FROM acct WHERE id = 1`).Scan(&bal); err != nil || bal != 100 {
		t.Fatalf("repeatable read saw %d (%v), want its snapshot's 100", bal, err)
	}
	// …and writing the changed row is a serialization failure.
	_, err := b.Exec(ctx, `UPDATE acct SET bal = bal + 1 WHERE id = 1`)
	if sqlstate(err) != "40001" {
		t.Fatalf("got %v, want 40001", err)
	}
	exec1(t, b, `ROLLBACK`)
}

// TestDeadlockDetected: two transactions locking two rows in opposite
// orders; one of them gets 40P01 and the other completes.
func TestDeadlockDetected(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE r (id int PRIMARY KEY, v int)`)
	exec1(t, a, `INSERT INTO r VALUES (1, 0), (2, 0)`)
	exec1(t, a, `BEGIN`)
	exec1(t, b, `BEGIN`)
	exec1(t, a, `UPDATE r SET v = 1 WHERE id = 1`)
	exec1(t, b, `UPDATE r SET v = 2 WHERE id = 2`)
	errA := make(chan error, 1)
	go func() {
		_, err := a.Exec(ctx, `UPDATE r SET v = 1 WHERE id = 2`)
		errA <- err
	}()
	time.Sleep(100 * time.Millisecond)
	_, errB := b.Exec(ctx, `UPDATE r SET v = 2 WHERE id = 1`)
	if sqlstate(errB) != "40P01" {
		t.Fatalf("second locker: got %v, want 40P01 deadlock", errB)
	}
	exec1(t, b, `ROLLBACK`)
	if err := <-errA; err != nil {
		t.Fatalf("first transaction after the deadlock victim rolled back: %v", err)
	}
	exec1(t, a, `COMMIT`)
}

// TestConcurrentExplicitIncrements runs pgbench-style transactions (BEGIN;
// UPDATE a hot row; COMMIT) from many connections without client retries:
// under READ COMMITTED none fails and no increment is lost.
func TestConcurrentExplicitIncrements(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	setup := connect(t, url)
	exec1(t, setup, `CREATE TABLE branches (bid int PRIMARY KEY, bbalance int NOT NULL)`)
	exec1(t, setup, `INSERT INTO branches VALUES (1, 0), (2, 0)`)
	const clients, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for i := 0; i < clients; i++ {
		c := connect(t, url)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < each; j++ {
				err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, `UPDATE branches SET bbalance = bbalance + 1 WHERE bid = $1`, 1+(i+j)%2); err != nil {
						return err
					}
					var v int
					return tx.QueryRow(ctx, `SELECT bbalance FROM branches WHERE bid = $1`, 1+(i+j)%2).Scan(&v)
				})
				if err != nil {
					errs <- err
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("transaction failed: %v", err)
	}
	var total int
	if err := setup.QueryRow(ctx, `SELECT sum(bbalance) FROM branches`).Scan(&total); err != nil || total != clients*each {
		t.Fatalf("sum %d (%v), want %d", total, err, clients*each)
	}
}

// TestUpdateFromRechecks: UPDATE … FROM and DELETE … USING lock each target
// row; one a concurrent transaction changed is taken in its newest version
// and must still pass the WHERE with the same joined row — PostgreSQL's
// READ COMMITTED re-check.
func TestUpdateFromRechecks(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL)`)
	exec1(t, a, `CREATE TABLE pay (acct int, amt int)`)
	exec1(t, a, `INSERT INTO acct VALUES (1, 100), (2, 100), (3, 100)`)
	exec1(t, a, `INSERT INTO pay VALUES (1, 5), (2, 7), (3, 9)`)

	// a raises account 1 above the limit b's update checks and pays
	// account 2 (still within it); b waits for both rows, then applies its
	// update to account 2's new balance only.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `UPDATE acct SET bal = 500 WHERE id = 1`)
	exec1(t, a, `UPDATE acct SET bal = bal + 1 WHERE id = 2`)
	done := make(chan error, 1)
	var tag pgconn.CommandTag
	go func() {
		var err error
		tag, err = b.Exec(ctx, `UPDATE acct SET bal = acct.bal + pay.amt FROM pay WHERE pay.acct = acct.id AND acct.bal < 200 AND acct.id < 3`)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("UPDATE … FROM did not wait for the row locks: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	exec1(t, a, `COMMIT`)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != 1 {
		t.Errorf("UPDATE … FROM after the concurrent commit: %s, want UPDATE 1", tag)
	}
	got := map[int]int{}
	rows, _ := a.Query(ctx, `SELECT id, bal FROM acct`)
	for rows.Next() {
		var id, bal int
		_ = rows.Scan(&id, &bal)
		got[id] = bal
	}
	if err := rows.Err(); err != nil || got[1] != 500 || got[2] != 108 || got[3] != 100 {
		t.Fatalf("balances %v (%v), want 1:500 (re-check failed), 2:108 (101 + 7), 3:100", got, err)
	}

	// DELETE … USING skips a row the concurrent transaction deleted.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `DELETE FROM acct WHERE id = 3`)
	go func() {
		var err error
		tag, err = b.Exec(ctx, `DELETE FROM acct USING pay WHERE pay.acct = acct.id AND pay.amt > 6`)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	exec1(t, a, `COMMIT`)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM acct`).Scan(&n); err != nil || n != 1 || tag.RowsAffected() != 1 {
		t.Fatalf("after DELETE … USING (%s): %d rows left (%v), want 1 and DELETE 1", tag, n, err)
	}
}

// TestOnConflictRacesInsert: writers insert the same keys at once with ON
// CONFLICT DO NOTHING / DO UPDATE in autocommit. PostgreSQL never raises a
// unique violation for the arbiter here; OmenDB's check runs at each
// statement's snapshot, so a key taken by a concurrent commit fails the
// commit as a serialization failure, and the statement is re-run — no
// client sees 23505 (or any error), and every key ends up once.
func TestOnConflictRacesInsert(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	exec1(t, connect(t, url), `CREATE TABLE oc (k int PRIMARY KEY, n int, u int UNIQUE)`)
	const writers, keys = 6, 200
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := connect(t, url)
			for k := 0; k < keys; k++ {
				q := `INSERT INTO oc VALUES ($1, 1, $1) ON CONFLICT DO NOTHING`
				if w%2 == 1 {
					q = `INSERT INTO oc VALUES ($1, 1, $1) ON CONFLICT (k) DO UPDATE SET n = oc.n + 1`
				}
				if _, err := c.Exec(ctx, q, k); err != nil {
					errs <- fmt.Errorf("writer %d, key %d: %w", w, k, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Each key: one insert, and one increment from every DO UPDATE writer
	// that came after it (all three, or the two others).
	var n, lo, hi int
	if err := connect(t, url).QueryRow(ctx, `SELECT count(*), min(n), max(n) FROM oc`).Scan(&n, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if n != keys || lo < writers/2 || hi > 1+writers/2 {
		t.Fatalf("%d rows with n in [%d, %d], want %d rows in [%d, %d]", n, lo, hi, keys, writers/2, 1+writers/2)
	}
}

// TestSerializableWriteSkew: the anomaly snapshot isolation allows and
// SERIALIZABLE must not. Two doctors are on call; each of two transactions
// checks that someone else is on call and takes itself off. Under
// REPEATABLE READ both commit (nobody is left on call); under SERIALIZABLE
// the second commit fails with 40001.
func TestSerializableWriteSkew(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE doctors (id int PRIMARY KEY, on_call bool NOT NULL)`)
	for _, level := range []string{"REPEATABLE READ", "SERIALIZABLE"} {
		exec1(t, a, `UPDATE doctors SET on_call = true`)
		exec1(t, a, `INSERT INTO doctors VALUES (1, true), (2, true) ON CONFLICT (id) DO UPDATE SET on_call = true`)
		for i, c := range []*pgx.Conn{a, b} {
			exec1(t, c, `BEGIN ISOLATION LEVEL `+level)
			var n int
			if err := c.QueryRow(ctx, `SELECT count(*) FROM doctors WHERE on_call`).Scan(&n); err != nil || n != 2 {
				t.Fatalf("%s: %d on call (%v), want 2", level, n, err)
			}
			exec1(t, c, fmt.Sprintf(`UPDATE doctors SET on_call = false WHERE id = %d`, i+1))
		}
		exec1(t, a, `COMMIT`)
		_, err := b.Exec(ctx, `COMMIT`)
		switch level {
		case "REPEATABLE READ":
			if err != nil {
				t.Fatalf("REPEATABLE READ: the second commit failed: %v (snapshot isolation allows the skew)", err)
			}
		default:
			if sqlstate(err) != "40001" {
				t.Fatalf("SERIALIZABLE: the second commit: %v, want 40001", err)
			}
		}
	}
	var level string
	exec1(t, a, `BEGIN ISOLATION LEVEL SERIALIZABLE`)
	if err := a.QueryRow(ctx, `SHOW transaction_isolation`).Scan(&level); err != nil || level != "serializable" {
		t.Fatalf("SHOW transaction_isolation: %q (%v)", level, err)
	}
	exec1(t, a, `COMMIT`)
}

// TestSerializableReads: what a serializable transaction read decides its
// commit — a key it read and another commit changed fails it, a key it did
// not read does not, a scanned table that gained a row does (a phantom).
func TestSerializableReads(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE kv (k int PRIMARY KEY, v int)`)
	exec1(t, a, `CREATE TABLE log (id int PRIMARY KEY, note text)`)
	exec1(t, a, `INSERT INTO kv VALUES (1, 10), (2, 20)`)
	read := func(c *pgx.Conn, q string) {
		t.Helper()
		var v int
		if err := c.QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, read, other string
		want              string
	}{
		{"key read, same key changed", `SELECT v FROM kv WHERE k = 1`, `UPDATE kv SET v = 11 WHERE k = 1`, "40001"},
		{"key read, other key changed", `SELECT v FROM kv WHERE k = 1`, `UPDATE kv SET v = 21 WHERE k = 2`, ""},
		{"missing key read, then inserted", `SELECT count(*) FROM kv WHERE k = 3`, `INSERT INTO kv VALUES (3, 30)`, "40001"},
		{"scan, row inserted (phantom)", `SELECT count(*) FROM kv WHERE v > 100`, `INSERT INTO kv VALUES (4, 400)`, "40001"},
		{"scan of another table", `SELECT count(*) FROM log`, `UPDATE kv SET v = 12 WHERE k = 1`, ""},
	}
	for i, tc := range cases {
		exec1(t, a, `BEGIN ISOLATION LEVEL SERIALIZABLE`)
		read(a, tc.read)
		exec1(t, b, tc.other)
		exec1(t, a, fmt.Sprintf(`INSERT INTO log VALUES (%d, 'x')`, i))
		_, err := a.Exec(ctx, `COMMIT`)
		if sqlstate(err) != tc.want {
			t.Errorf("%s: COMMIT: %v, want SQLSTATE %q", tc.name, err, tc.want)
		}
	}
	// Read-only serializable transactions always commit.
	exec1(t, a, `BEGIN ISOLATION LEVEL SERIALIZABLE`)
	read(a, `SELECT sum(v) FROM kv`)
	exec1(t, b, `UPDATE kv SET v = v + 1`)
	exec1(t, a, `COMMIT`)
	// SET default_transaction_isolation applies to autocommit statements too.
	exec1(t, a, `SET default_transaction_isolation = 'serializable'`)
	exec1(t, a, `UPDATE kv SET v = v + 1 WHERE k = 1`)
}

// TestSerializableInvariantUnderLoad: workers keep at least one doctor on
// call — each takes one off only after counting more than one — with
// retries on 40001. Under SERIALIZABLE the invariant holds whatever
// interleaves; snapshot isolation would break it (TestSerializableWriteSkew).
func TestSerializableInvariantUnderLoad(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	setup := connect(t, url)
	exec1(t, setup, `CREATE TABLE doctors (id int PRIMARY KEY, on_call bool NOT NULL)`)
	exec1(t, setup, `INSERT INTO doctors SELECT g, true FROM generate_series(1, 6) g`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := connect(t, url)
			for i := 0; i < 60; i++ {
				err := func() error {
					tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
					if err != nil {
						return err
					}
					defer tx.Rollback(ctx)
					if w == 0 && i%3 == 0 {
						// Someone comes back on call.
						if _, err := tx.Exec(ctx, `UPDATE doctors SET on_call = true WHERE id = $1`, 1+i%6); err != nil {
							return err
						}
						return tx.Commit(ctx)
					}
					var n int
					if err := tx.QueryRow(ctx, `SELECT count(*) FROM doctors WHERE on_call`).Scan(&n); err != nil {
						return err
					}
					if n > 1 {
						if _, err := tx.Exec(ctx, `UPDATE doctors SET on_call = false WHERE id = (SELECT min(id) FROM doctors WHERE on_call AND id % 6 = $1 % 6)`, w+i); err != nil {
							return err
						}
					}
					return tx.Commit(ctx)
				}()
				mu.Lock()
				outcomes[sqlstate(err)]++
				mu.Unlock()
				if err != nil && sqlstate(err) != "40001" {
					t.Error(err)
					return
				}
				var n int
				if err := c.QueryRow(ctx, `SELECT count(*) FROM doctors WHERE on_call`).Scan(&n); err != nil || n < 1 {
					t.Errorf("%d doctors on call (%v): the invariant broke", n, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	t.Logf("outcomes by SQLSTATE (\"\" = committed): %v", outcomes)
	if outcomes["40001"] == 0 {
		t.Errorf("no transaction was refused: the workload did not race")
	}
}

// TestLockTableSerializesLockers: the "LOCK TABLE; read the maximum;
// insert the next one" pattern. Lockers wait for each other, and each
// reads what the previous one committed, so the numbers come out distinct
// and dense — under READ COMMITTED and under REPEATABLE READ (whose
// snapshot is taken after the lock, as PostgreSQL's first query takes it).
func TestLockTableSerializesLockers(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	exec1(t, connect(t, url), `CREATE TABLE tickets (n int, who int)`)
	const workers, each = 4, 15
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := connect(t, url)
			for i := 0; i < each; i++ {
				begin := `BEGIN`
				if w%2 == 1 {
					begin = `BEGIN ISOLATION LEVEL REPEATABLE READ`
				}
				for _, q := range []string{begin, `LOCK TABLE tickets IN EXCLUSIVE MODE`,
					`INSERT INTO tickets SELECT coalesce(max(n), 0) + 1, $1 FROM tickets`, `COMMIT`} {
					var err error
					if q == `INSERT INTO tickets SELECT coalesce(max(n), 0) + 1, $1 FROM tickets` {
						_, err = c.Exec(ctx, q, w)
					} else {
						_, err = c.Exec(ctx, q)
					}
					if err != nil {
						t.Errorf("worker %d: %s: %v", w, q, err)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	var n, distinct, max int
	if err := connect(t, url).QueryRow(ctx, `SELECT count(*), count(DISTINCT n), max(n) FROM tickets`).Scan(&n, &distinct, &max); err != nil {
		t.Fatal(err)
	}
	if n != workers*each || distinct != n || max != n {
		t.Fatalf("%d tickets, %d distinct numbers, max %d: want %d of each", n, distinct, max, workers*each)
	}
}

// TestLockTableModes: modes conflict as PostgreSQL's do (two SHARE locks
// coexist, SHARE and EXCLUSIVE do not), NOWAIT fails with 55P03, a cycle
// of waits with 40P01, lock_timeout with 55P03, and locks go at ROLLBACK.
func TestLockTableModes(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE l1 (id int)`)
	exec1(t, a, `CREATE TABLE l2 (id int)`)
	exec1(t, a, `BEGIN`)
	exec1(t, a, `LOCK TABLE l1 IN SHARE MODE`)
	exec1(t, b, `BEGIN`)
	exec1(t, b, `LOCK TABLE l1 IN SHARE MODE`) // compatible
	if _, err := b.Exec(ctx, `LOCK TABLE l2, l1 IN EXCLUSIVE MODE NOWAIT`); sqlstate(err) != "55P03" {
		t.Fatalf("EXCLUSIVE NOWAIT over another's SHARE: %v, want 55P03", err)
	}
	exec1(t, b, `ROLLBACK`)
	exec1(t, b, `BEGIN`)
	exec1(t, b, `SET lock_timeout = '50ms'`)
	if _, err := b.Exec(ctx, `LOCK TABLE l1`); sqlstate(err) != "55P03" { // ACCESS EXCLUSIVE
		t.Fatalf("lock_timeout: %v, want 55P03", err)
	}
	exec1(t, b, `ROLLBACK`)
	exec1(t, b, `RESET lock_timeout`)
	// A cycle: a holds l1 and waits for l2, b holds l2 and asks for l1.
	exec1(t, b, `BEGIN`)
	exec1(t, b, `LOCK TABLE l2 IN EXCLUSIVE MODE`)
	errA := make(chan error, 1)
	go func() { _, err := a.Exec(ctx, `LOCK TABLE l2 IN EXCLUSIVE MODE`); errA <- err }()
	time.Sleep(100 * time.Millisecond)
	_, errB := b.Exec(ctx, `LOCK TABLE l1 IN EXCLUSIVE MODE`)
	if sqlstate(errB) != "40P01" {
		t.Fatalf("closing a cycle of lock waits: %v, want 40P01", errB)
	}
	exec1(t, b, `ROLLBACK`) // releases l2: a gets it
	if err := <-errA; err != nil {
		t.Fatalf("a, once b rolled back: %v", err)
	}
	exec1(t, a, `COMMIT`)
	if n := srv.Engine.Locks.TablesHeld(); n != 0 {
		t.Fatalf("%d tables still locked after every transaction ended", n)
	}
	if _, err := a.Exec(ctx, `LOCK TABLE l1`); sqlstate(err) != "25P01" {
		t.Fatalf("LOCK outside a transaction block: %v, want 25P01", err)
	}
}
