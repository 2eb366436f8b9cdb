package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testserver"
)

// upsert is an ETL-style MERGE with parameters: $1 the key, $2 the value.
const upsert = `MERGE INTO kv USING (VALUES (1)) AS one(x) ON kv.k = $1
WHEN MATCHED AND $2::text IS NULL THEN DELETE
WHEN MATCHED THEN UPDATE SET v = $2, n = kv.n + 1
WHEN NOT MATCHED AND $2::text IS NOT NULL THEN INSERT (k, v) VALUES ($1, $2)`

// TestMergeExtendedProtocol: MERGE prepared with parameters through the
// extended protocol (Parse/Describe/Bind/Execute, the statement cached and
// re-run, and described without a cache), its parameter types inferred
// from the target's columns, its command tag MERGE n.
func TestMergeExtendedProtocol(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := connect(t, testserver.ConnString(srv))
	exec1(t, c, `CREATE TABLE kv (k bigint PRIMARY KEY, v text NOT NULL, n int NOT NULL DEFAULT 0)`)

	sd, err := c.Prepare(ctx, "upsert", upsert)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 2 || sd.ParamOIDs[0] != 20 || sd.ParamOIDs[1] != 25 || len(sd.Fields) != 0 {
		t.Fatalf("described parameters %v, columns %d; want [20 25] (bigint, text) and none", sd.ParamOIDs, len(sd.Fields))
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec} {
		exec1(t, c, `TRUNCATE kv`)
		step := func(k int64, v any, want string) {
			t.Helper()
			tag, err := c.Exec(ctx, upsert, mode, k, v)
			if err != nil {
				t.Fatalf("%v: MERGE (%d, %v): %v", mode, k, v, err)
			}
			if tag.String() != want {
				t.Fatalf("%v: MERGE (%d, %v): tag %q, want %q", mode, k, v, tag, want)
			}
		}
		step(1, "a", "MERGE 1") // inserted
		step(2, "b", "MERGE 1")
		step(1, "A", "MERGE 1") // updated
		step(2, nil, "MERGE 1") // deleted
		step(3, nil, "MERGE 0") // nothing to delete, nothing inserted
		var got string
		if err := c.QueryRow(ctx, `SELECT string_agg(k || ':' || v || ':' || n, ',' ORDER BY k) FROM kv`).Scan(&got); err != nil || got != "1:A:1" {
			t.Fatalf("%v: rows %q (%v), want 1:A:1", mode, got, err)
		}
	}
	// The named prepared statement, too.
	tag, err := c.Exec(ctx, "upsert", int64(7), "seven")
	if err != nil || tag.String() != "MERGE 1" {
		t.Fatalf("prepared upsert: %q, %v", tag, err)
	}
	// A 21000 through the extended protocol leaves the transaction usable
	// after ROLLBACK and changes nothing.
	exec1(t, c, `BEGIN`)
	_, err = c.Exec(ctx, `MERGE INTO kv USING (VALUES ($1::bigint), ($1)) AS s(k) ON kv.k = s.k WHEN MATCHED THEN DELETE`, int64(7))
	if sqlstate(err) != "21000" {
		t.Fatalf("a row matched twice: %v, want 21000", err)
	}
	exec1(t, c, `ROLLBACK`)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM kv WHERE k = $1`, int64(7)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("row 7 after the failed MERGE: %d, %v", n, err)
	}
}

// TestMergeConcurrentReadCommitted: two sessions MERGE the same row. Under
// READ COMMITTED the second waits for the first's row lock, then works on
// the row as the first left it, as PostgreSQL 15 does: the WHEN MATCHED
// clauses are tried again from the first over the newest version; a row
// deleted meanwhile, or changed so that it no longer joins, is handled by
// the WHEN NOT MATCHED clauses. Under REPEATABLE READ the change is a
// serialization failure (40001), as for UPDATE.
func TestMergeConcurrentReadCommitted(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE acct (id int PRIMARY KEY, grp int, bal int NOT NULL)`)
	exec1(t, a, `INSERT INTO acct VALUES (1, 1, 100), (2, 1, 100), (3, 1, 100)`)

	// waitFor runs sql on b while a holds a lock b needs; it must not
	// finish before a commits.
	waitFor := func(sql string) (pgconn.CommandTag, error) {
		t.Helper()
		type out struct {
			tag pgconn.CommandTag
			err error
		}
		done := make(chan out, 1)
		go func() {
			tag, err := b.Exec(ctx, sql)
			done <- out{tag, err}
		}()
		select {
		case o := <-done:
			t.Fatalf("MERGE did not wait for the concurrent transaction: %s, %v", o.tag, o.err)
		case <-time.After(200 * time.Millisecond):
		}
		exec1(t, a, `COMMIT`)
		o := <-done
		return o.tag, o.err
	}
	bal := func(id int) int {
		t.Helper()
		var v int
		if err := a.QueryRow(ctx, `SELECT bal FROM acct WHERE id = $1`, id).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	// Both add to row 1: the second MERGE adds to the first's result.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `MERGE INTO acct USING (VALUES (1, 10)) AS s(id, amt) ON acct.id = s.id WHEN MATCHED THEN UPDATE SET bal = acct.bal + s.amt`)
	tag, err := waitFor(`MERGE INTO acct USING (VALUES (1, 5)) AS s(id, amt) ON acct.id = s.id WHEN MATCHED THEN UPDATE SET bal = acct.bal + s.amt`)
	if err != nil || tag.String() != "MERGE 1" || bal(1) != 115 {
		t.Fatalf("second MERGE: %s, %v; balance %d, want MERGE 1 and 115", tag, err, bal(1))
	}

	// The clauses are tried again over the newest version: a's UPDATE
	// takes row 2 over the limit the first clause checks, so the second
	// clause applies.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `UPDATE acct SET bal = 500 WHERE id = 2`)
	tag, err = waitFor(`MERGE INTO acct USING (VALUES (2)) AS s(id) ON acct.id = s.id
		WHEN MATCHED AND acct.bal < 200 THEN UPDATE SET bal = acct.bal + 1
		WHEN MATCHED THEN UPDATE SET bal = -acct.bal`)
	if err != nil || tag.String() != "MERGE 1" || bal(2) != -500 {
		t.Fatalf("re-checked MERGE: %s, %v; balance %d, want MERGE 1 and -500", tag, err, bal(2))
	}

	// A row deleted meanwhile is no longer matched: WHEN NOT MATCHED
	// inserts it again.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `DELETE FROM acct WHERE id = 3`)
	tag, err = waitFor(`MERGE INTO acct USING (VALUES (3, 1)) AS s(id, grp) ON acct.id = s.id
		WHEN MATCHED THEN UPDATE SET bal = 0
		WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.grp, 7)`)
	if err != nil || tag.String() != "MERGE 1" || bal(3) != 7 {
		t.Fatalf("MERGE of a deleted row: %s, %v; balance %d, want MERGE 1 and 7 (inserted)", tag, err, bal(3))
	}

	// A row changed so that it no longer joins is not matched either; with
	// no WHEN NOT MATCHED clause that applies, nothing happens.
	exec1(t, a, `BEGIN`)
	exec1(t, a, `UPDATE acct SET grp = 2 WHERE id = 1`)
	tag, err = waitFor(`MERGE INTO acct USING (VALUES (1)) AS s(grp) ON acct.grp = s.grp AND acct.id = 1
		WHEN MATCHED THEN DELETE
		WHEN NOT MATCHED AND s.grp = 9 THEN INSERT VALUES (9, 9, 9)`)
	if err != nil || tag.String() != "MERGE 0" || bal(1) != 115 {
		t.Fatalf("MERGE of a row that no longer joins: %s, %v; balance %d, want MERGE 0 and row 1 kept", tag, err, bal(1))
	}

	// REPEATABLE READ: writing a row changed after the snapshot is 40001.
	exec1(t, b, `BEGIN ISOLATION LEVEL REPEATABLE READ`)
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM acct`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	exec1(t, a, `UPDATE acct SET bal = 1 WHERE id = 2`)
	_, err = b.Exec(ctx, `MERGE INTO acct USING (VALUES (2)) AS s(id) ON acct.id = s.id WHEN MATCHED THEN UPDATE SET bal = acct.bal + 1`)
	if sqlstate(err) != "40001" {
		t.Fatalf("REPEATABLE READ MERGE of a changed row: %v, want 40001", err)
	}
	exec1(t, b, `ROLLBACK`)
	// …but a MATCHED row whose clause is DO NOTHING is not written.
	exec1(t, b, `BEGIN ISOLATION LEVEL REPEATABLE READ`)
	if err := b.QueryRow(ctx, `SELECT count(*) FROM acct`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	exec1(t, a, `UPDATE acct SET bal = 2 WHERE id = 2`)
	if tag, err := b.Exec(ctx, `MERGE INTO acct USING (VALUES (2)) AS s(id) ON acct.id = s.id WHEN MATCHED THEN DO NOTHING`); err != nil || tag.String() != "MERGE 0" {
		t.Fatalf("REPEATABLE READ MERGE … DO NOTHING: %s, %v", tag, err)
	}
	exec1(t, b, `COMMIT`)
}

// TestMergeConcurrentIncrements: sessions MERGE-increment the same rows in
// autocommit at once; no increment is lost and none fails.
func TestMergeConcurrentIncrements(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	setup := connect(t, url)
	exec1(t, setup, `CREATE TABLE ctr (id int PRIMARY KEY, n int NOT NULL)`)
	exec1(t, setup, `INSERT INTO ctr VALUES (1, 0), (2, 0)`)
	const sessions, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i := 0; i < sessions; i++ {
		c := connect(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				tag, err := c.Exec(ctx, `MERGE INTO ctr USING (VALUES (1), (2)) AS s(id) ON ctr.id = s.id WHEN MATCHED THEN UPDATE SET n = ctr.n + 1`)
				if err == nil && tag.String() != "MERGE 2" {
					err = fmt.Errorf("tag %q, want MERGE 2", tag)
				}
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
	var n1, n2 int
	if err := setup.QueryRow(ctx, `SELECT (SELECT n FROM ctr WHERE id = 1), (SELECT n FROM ctr WHERE id = 2)`).Scan(&n1, &n2); err != nil || n1 != sessions*each || n2 != sessions*each {
		t.Fatalf("counters %d, %d (%v), want %d each", n1, n2, err, sessions*each)
	}
}
