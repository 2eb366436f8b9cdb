package vexec_test

import (
	"context"
	"strings"
	"testing"
)

// TestKeyLimitMatchesRowExecutor runs LIMIT [OFFSET] without ORDER BY
// through the column engine — a top-N by primary key that skips segments
// by zone map — and the row executor over the same data (updated rows
// moved to later segments, deleted ones), and demands the same rows; the
// plain LIMIT must read fewer segments than the table has.
func TestKeyLimitMatchesRowExecutor(t *testing.T) {
	srv, c := setup(t)
	run := srv.OLAP.Runner
	ctx := context.Background()
	sorts := run.VecSorts.Load()
	scanned, pruned := run.SegmentsScanned.Load(), run.SegmentsPruned.Load()
	compare(t, srv, c, []diffCase{{sql: "SELECT id, g, amt FROM t LIMIT 7"}})
	if got := run.VecSorts.Load() - sorts; got != 1 {
		t.Errorf("LIMIT 7: %d vectorized top-Ns ran, want 1", got)
	}
	read, skipped := run.SegmentsScanned.Load()-scanned, run.SegmentsPruned.Load()-pruned
	if skipped == 0 {
		t.Errorf("LIMIT 7: %d segments read, %d skipped: the scan did not stop early", read, skipped)
	}
	var ids []int
	rows, err := c.Query(ctx, "SELECT id FROM t LIMIT 5")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	// Ids 1..5 exist (97 is the first deleted); id 1 was updated, so its
	// live version sits in a later segment than ids 2..5.
	if len(ids) != 5 || ids[0] != 1 || ids[4] != 5 {
		t.Errorf("SELECT id FROM t LIMIT 5 = %v, want [1 2 3 4 5]", ids)
	}
	sorts = run.VecSorts.Load()
	compare(t, srv, c, []diffCase{
		{sql: "SELECT id, k, amt FROM t WHERE g = 3 LIMIT 10 OFFSET 4"},
		{sql: "SELECT id * 2, upper(k) FROM t WHERE amt > 100 LIMIT 12"},
		{sql: "SELECT id FROM t WHERE id > 2500 LIMIT 3"},
		{sql: "SELECT id FROM t LIMIT 0"},
		{sql: "SELECT id, g FROM t OFFSET 2980"},
		{sql: "SELECT g FROM t WHERE id % 11 = 0 LIMIT 4"},
		{sql: "SELECT id FROM t LIMIT -1"},
		{sql: "SELECT id FROM e LIMIT 3"},
	})
	if got := run.VecSorts.Load() - sorts; got < 7 {
		t.Errorf("%d vectorized top-Ns ran, want at least 7", got)
	}
}

// TestHavingOnGroupStates checks HAVING evaluated on a vectorized
// aggregate's states against the row executor: sums and counts compared
// with constants, keys, NULL sums, and conditions it leaves to the row
// executor.
func TestHavingOnGroupStates(t *testing.T) {
	srv, c := setup(t)
	compare(t, srv, c, []diffCase{
		{sql: "SELECT id / 3, sum(amt) FROM t GROUP BY id / 3 HAVING sum(amt) > 1500", vec: true},
		{sql: "SELECT q FROM t GROUP BY q HAVING sum(amt) > 2000 AND count(*) >= 60", vec: true},
		{sql: "SELECT g, count(*) FROM t GROUP BY g HAVING g IS NULL OR sum(q) * 2 < 500", vec: true},
		{sql: "SELECT k, sum(amt) FROM t GROUP BY k HAVING sum(amt) IS NULL OR sum(amt) - 1 > 1.005", vec: true},
		{sql: "SELECT g, sum(big) FROM t GROUP BY g HAVING sum(big) > 9000000000000000000", vec: true},
		{sql: "SELECT g, avg(amt) FROM t GROUP BY g HAVING avg(amt) > 480", vec: true},
		{sql: "SELECT g FROM e GROUP BY g HAVING count(*) > 0", vec: true},
		{sql: "SELECT count(*) FROM t WHERE id IN (SELECT id / 2 FROM t GROUP BY id / 2 HAVING sum(q) > 60)", vec: true},
		{sql: "SELECT g, sum(amt) FROM t GROUP BY g HAVING sum(amt)::text LIKE '%5'", vec: true},
	})
	// The HAVING ran on the states: EXPLAIN ANALYZE says how many groups
	// it kept.
	if _, err := c.Exec(context.Background(), "SET omendb.engine = 'column'"); err != nil {
		t.Fatal(err)
	}
	if text := explainText(t, c, "SELECT q FROM t GROUP BY q HAVING sum(amt) > 2000 AND count(*) >= 60"); !strings.Contains(text, "HAVING on the groups' states") || strings.Contains(text, "Filter") {
		t.Errorf("HAVING not evaluated on the aggregate's states:\n%s", text)
	}
}
