package vexec_test

import "testing"

// TestVecSortMatchesRowExecutor runs ORDER BY, top-N, LIMIT/OFFSET, CASE,
// COALESCE and right and full joins through the column engine and the row
// executor over the same data (NULLs, ties broken by the last key, char(n)
// keys, dead rows in sealed segments) and demands the same rows in the
// same order.
func TestVecSortMatchesRowExecutor(t *testing.T) {
	srv, c := setup(t)
	run := srv.OLAP.Runner
	before := run.VecSorts.Load()
	cases := []diffCase{
		{sql: "SELECT id, g, amt FROM t ORDER BY g NULLS FIRST, amt DESC, id LIMIT 25"},
		{sql: "SELECT id, k FROM t WHERE id > 100 ORDER BY k DESC NULLS LAST, id LIMIT 10 OFFSET 7"},
		{sql: "SELECT id, c, d FROM t ORDER BY c, d DESC, id LIMIT 12"},
		{sql: "SELECT id, amt FROM t WHERE g = 3 ORDER BY amt, id"},
		{sql: "SELECT id FROM t ORDER BY f DESC, id OFFSET 2990"},
		{sql: "SELECT id FROM t ORDER BY id LIMIT 0"},
		{sql: "SELECT id, CASE WHEN g IS NULL THEN 'none' WHEN amt > 500 THEN 'hi' ELSE k END AS x FROM t ORDER BY x NULLS FIRST, id LIMIT 40"},
		{sql: "SELECT id, COALESCE(k, c, 'zz'), NULLIF(g, 3) FROM t WHERE id % 9 = 0 ORDER BY id"},
		{sql: "SELECT sum(CASE WHEN g = 1 THEN amt ELSE 0 END), count(CASE WHEN k > 'k2' THEN 1 END), sum(COALESCE(g, 100)) FROM t", vec: true},
		// CASE evaluates a branch only for the rows that take it.
		{sql: "SELECT sum(CASE WHEN q = 0 THEN 0 ELSE 100 / q END) FROM t", vec: true},
		{sql: "SELECT t.id, e.id FROM t RIGHT JOIN e ON e.g = t.g AND t.id < 3 ORDER BY e.id, t.id"},
		{sql: "SELECT a.id, b.id FROM t a FULL JOIN t b ON a.id = b.id + 2990 ORDER BY a.id NULLS FIRST, b.id LIMIT 20"},
		{sql: "SELECT count(*), count(a.id), count(b.id) FROM t a FULL JOIN t b ON a.id = b.id + 1500 AND a.g = b.g", vec: true},
		{sql: "SELECT a.g, count(b.id) FROM t a RIGHT JOIN t b ON a.id = b.id * 2 GROUP BY a.g ORDER BY a.g"},
		// Two integer keys: packed into one int64 (ids and g fit), or
		// encoded (q is negative for some rows).
		{sql: "SELECT count(*), sum(b.q) FROM t a JOIN t b ON a.g = b.g AND a.id = b.id - 7", vec: true},
		{sql: "SELECT count(*), sum(b.id) FROM t a JOIN t b ON a.g = b.g AND a.q = b.q WHERE a.id < 300", vec: true},
		{sql: "SELECT count(*) FROM t a JOIN t b ON a.g = b.g AND a.q = b.id WHERE b.id < 40", vec: true},
	}
	compare(t, srv, c, cases)
	// Nine statements sort a pipe (a scan, or a full join) in vexec.
	if got := run.VecSorts.Load() - before; got < 9 {
		t.Errorf("%d vectorized sorts ran, want at least 9", got)
	}
}
