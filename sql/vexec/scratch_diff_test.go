package vexec_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// TestScratchReuseMatchesRowExecutor runs, over many batches (segments of
// 512 rows, so workers recycle their batch buffers again and again),
// queries whose results would show a buffer reused too early: join builds
// from filtered and computed columns (collected, so kept beyond their
// batch), sorts and aggregates over arithmetic, CASE and casts, and a
// one-argument expression over unique values (the memo gives up on them),
// and row scans whose residual filter is evaluated on the columns.
func TestScratchReuseMatchesRowExecutor(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	if _, err := c.Exec(ctx, `INSERT INTO t (id, g, k, q, amt) SELECT i, i % 5, 'x' || i, i % 9, i * 0.25 FROM generate_series(3001, 9000) i`); err != nil {
		t.Fatal(err)
	}
	compare(t, srv, c, []diffCase{
		{sql: "SELECT a.id, b.x, b.y FROM t a JOIN (SELECT id, amt * 2 AS x, q + g AS y FROM t WHERE q > 3 AND amt IS NOT NULL) b ON a.g = b.id ORDER BY 1, 2, 3", join: true},
		{sql: "SELECT b.k, count(*), sum(a.amt * b.q) FROM t a JOIN (SELECT g, k, q FROM t WHERE q < 2) b ON a.g = b.g WHERE a.id % 3 = 0 GROUP BY b.k", vec: true},
		{sql: "SELECT substring(id::text from 2 for 2) s, count(*), sum(amt - q) FROM t GROUP BY s", vec: true},
		{sql: "SELECT id, amt * (1 - q), CASE WHEN q > 4 THEN k ELSE 'lo' END FROM t WHERE amt > 10 ORDER BY 2 DESC, 1 LIMIT 40"},
		{sql: "SELECT g, sum(CASE WHEN q % 2 = 0 THEN amt * 3 ELSE amt END), max(d::timestamp), count(DISTINCT k) FROM t GROUP BY g", vec: true},
		// Row scans whose residual filter runs on the columns (scan.go).
		{sql: "SELECT DISTINCT k, q FROM t WHERE k LIKE 'x3%' AND amt * 2 > 1600"},
		{sql: "SELECT count(*), sum(q), min(k) FROM t WHERE id IN (SELECT id FROM t WHERE k LIKE '%7' AND q + 1 > 3)"},
		{sql: "SELECT DISTINCT k FROM t WHERE 10 / (q - 3) > 1"},
		{sql: "SELECT id, k, sum(q) OVER (ORDER BY id) FROM t WHERE k LIKE 'x3%' AND amt * 2 > 1600"},
		{sql: "SELECT id, rank() OVER (ORDER BY id) FROM t WHERE 10 / (q - 3) > 1"},
		// Hash builds whose arrays come from the statement's memory
		// (stmtMem), one statement after another with builds of other
		// sizes and kinds, so each reuses the last one's dirty arrays:
		// integer keys (dense and sparse), string keys, NULLs in the
		// build columns, an outer build side.
		{sql: "SELECT a.id, b.amt, b.k FROM t a JOIN t b ON a.id = b.id + 1 WHERE a.id % 4 = 0 ORDER BY 1", join: true},
		{sql: "SELECT a.id, b.amt, b.k FROM t a JOIN (SELECT id * 1000 AS id, amt, k FROM t WHERE id % 3 <> 0) b ON a.id * 1000 = b.id ORDER BY 1", join: true},
		{sql: "SELECT b.k, count(*), sum(b.amt) FROM t a JOIN (SELECT k, amt, g FROM t WHERE id > 4000) b ON a.k = b.k AND a.g = b.g GROUP BY b.k", vec: true},
		{sql: "SELECT a.id, b.amt FROM t a LEFT JOIN (SELECT id, amt FROM t WHERE id % 2 = 0) b ON a.id = b.id ORDER BY 1", join: true},
		{sql: "SELECT count(*), sum(b.amt), count(b.k) FROM t a FULL JOIN (SELECT id + 7000 AS id, amt, k FROM t WHERE q > 0) b ON a.id = b.id", vec: true},
		// HAVING over thousands of groups: its columns (accumulator
		// states, finished aggregates, NULL sums) and its result come from
		// a scratch (vecAgg.filterHaving).
		{sql: "SELECT g, sum(amt) FROM t GROUP BY g HAVING sum(amt) > 100", vec: true},
		{sql: "SELECT id % 3000 AS m, count(*), sum(q) FROM t GROUP BY m HAVING sum(q) > 5 AND count(*) > 2", vec: true},
		{sql: "SELECT k, min(amt) FROM t GROUP BY k HAVING min(amt) IS NULL OR min(amt) < 50", vec: true},
		{sql: "SELECT id, sum(amt) FROM t GROUP BY id HAVING sum(amt) IS NULL OR sum(amt) < 3", vec: true},
	})
}

// TestStmtMemConcurrentStatements runs join queries from several sessions
// at once, so that statements take and give back their memory (stmtMem)
// while others run: a statement whose memory went back to the pool before
// its iterator was closed would have its build arrays handed to another
// statement and answer wrongly. Each answer is checked against the row
// executor's.
func TestStmtMemConcurrentStatements(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	if _, err := c.Exec(ctx, `INSERT INTO t (id, g, k, q, amt) SELECT i, i % 5, 'x' || i, i % 9, i * 0.25 FROM generate_series(3001, 12000) i`); err != nil {
		t.Fatal(err)
	}
	queries := []string{
		"SELECT a.id, b.amt, b.k FROM t a JOIN t b ON a.id = b.id + 1 WHERE a.id % 4 = 0 ORDER BY 1",
		"SELECT a.id, b.amt FROM t a JOIN (SELECT id * 1000 AS id, amt FROM t WHERE id % 3 <> 0) b ON a.id * 1000 = b.id ORDER BY 1",
		"SELECT b.k, count(*), sum(b.amt) FROM t a JOIN (SELECT k, amt, g FROM t WHERE id > 2000) b ON a.k = b.k AND a.g = b.g GROUP BY b.k ORDER BY 1",
	}
	if _, err := c.Exec(ctx, "SET omendb.engine = 'row'"); err != nil {
		t.Fatal(err)
	}
	want := make([]string, len(queries))
	for i, q := range queries {
		var err error
		if want[i], err = rowsText(ctx, c, q, true); err != nil {
			t.Fatal(err)
		}
	}
	const sessions, rounds = 4, 6
	errs := make(chan error, sessions)
	for s := 0; s < sessions; s++ {
		go func(s int) {
			conn, err := pgx.Connect(ctx, testserver.ConnString(srv))
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "SET omendb.engine = 'column'"); err != nil {
				errs <- err
				return
			}
			for r := 0; r < rounds; r++ {
				i := (s + r) % len(queries)
				got, err := rowsText(ctx, conn, queries[i], true)
				if err != nil {
					errs <- err
					return
				}
				if got != want[i] {
					errs <- fmt.Errorf("session %d round %d: %s: the column engine's answer differs from the row executor's", s, r, queries[i])
					return
				}
			}
			errs <- nil
		}(s)
	}
	for s := 0; s < sessions; s++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
