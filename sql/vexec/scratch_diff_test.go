package vexec_test

import (
	"context"
	"testing"
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
	})
}
