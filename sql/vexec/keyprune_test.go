package vexec_test

import (
	"context"
	"testing"
)

// TestJoinKeyPruning: an inner or semi join probed by a column the driving
// table is stored in order of skips the segments whose zone map holds none
// of the build keys (t.id: 3,000 rows in segments of 512, dead versions of
// updated rows among them), with the row executor's answers.
func TestJoinKeyPruning(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE few (id int PRIMARY KEY, w int)`,
		`INSERT INTO few VALUES (3, 1), (11, 2), (2900, 3), (2901, 4), (5000, 5)`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	run := srv.OLAP.Runner
	before := run.SegmentsPruned.Load()
	compare(t, srv, c, []diffCase{
		{sql: "SELECT count(*), sum(t.amt), sum(f.w) FROM t JOIN few f ON f.id = t.id", vec: true},
		{sql: "SELECT t.k, count(*) FROM t WHERE EXISTS (SELECT 1 FROM few f WHERE f.id = t.id AND f.w > 1) GROUP BY t.k", vec: true, dec: true},
		{sql: "SELECT count(*) FROM t JOIN few f ON f.id = t.id WHERE f.w > 10", vec: true},
		// Not pruned: an anti join needs every segment.
		{sql: "SELECT count(*) FROM t WHERE NOT EXISTS (SELECT 1 FROM few f WHERE f.id = t.id)", vec: true, dec: true},
		{sql: "SELECT count(*), sum(t.q) FROM t LEFT JOIN few f ON f.id = t.id WHERE f.w IS NULL", vec: true},
		// One integer group key with a small range (zone maps): groups
		// found by array index, keys outside the range by hash.
		{sql: "SELECT t.q, count(*), sum(t.amt) FROM t GROUP BY t.q", vec: true},
		{sql: "SELECT t.id, count(*), min(t.k) FROM t WHERE t.id % 7 = 1 GROUP BY t.id", vec: true},
		{sql: "SELECT f.id, count(t.id) FROM few f LEFT JOIN t ON t.id = f.id GROUP BY f.id", vec: true},
	})
	if run.SegmentsPruned.Load() == before {
		t.Error("no segment was skipped by the join keys")
	}
}
