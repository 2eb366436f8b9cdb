package e2e

import (
	"context"
	"testing"

	"github.com/omendb/omendb/internal/testserver"
)

// TestViewsSurviveRestart: a view is a catalog change in the log, so it is
// back after a restart — rebuilt by replaying the log, and loaded from a
// checkpoint — reading the table's rows at the time of the query.
func TestViewsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv := testserver.Start(t, testserver.WithDataDir(dir))
	c := testserver.Connect(t, srv)
	exec1(t, c, `CREATE TABLE t (id int PRIMARY KEY, v int)`)
	exec1(t, c, `INSERT INTO t SELECT g, g * 10 FROM generate_series(1, 100) g`)
	exec1(t, c, `CREATE VIEW big (id, v) AS SELECT id, v FROM t WHERE v > 500`)
	exec1(t, c, `CREATE VIEW bigsum AS SELECT count(*) AS n, sum(v) AS s FROM big`)
	want := func(stage string, srvc func() (int64, int64, error), n, s int64) {
		t.Helper()
		gn, gs, err := srvc()
		if err != nil || gn != n || gs != s {
			t.Fatalf("%s: bigsum = (%d, %d), %v; want (%d, %d)", stage, gn, gs, err, n, s)
		}
	}
	read := func() (int64, int64, error) {
		var n, s int64
		err := c.QueryRow(ctx, `SELECT n, s FROM bigsum`).Scan(&n, &s)
		return n, s, err
	}
	want("before restart", read, 50, 37750)
	exec1(t, c, `CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM t`)
	mv := func(stage string, want int64) {
		t.Helper()
		var n int64
		if err := c.QueryRow(ctx, `SELECT n FROM mv`).Scan(&n); err != nil || n != want {
			t.Fatalf("%s: materialized view n = %d (%v), want %d", stage, n, err, want)
		}
	}

	// Restart: the catalog comes back from the final checkpoint.
	srv.Close()
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	want("after a checkpoint load", read, 50, 37750)
	exec1(t, c, `INSERT INTO t VALUES (101, 1010)`)
	mv("after a restart, before REFRESH", 100)
	exec1(t, c, `REFRESH MATERIALIZED VIEW mv`)
	mv("after REFRESH", 101)
	exec1(t, c, `CREATE OR REPLACE VIEW big (id, v) AS SELECT id, v FROM t WHERE v > 900`)
	want("after the replace", read, 11, 10560)

	// Restart without a checkpoint after the replace: it is replayed from
	// the log on top of the checkpoint's catalog.
	if _, err := srv.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	exec1(t, c, `DROP VIEW bigsum`)
	exec1(t, c, `CREATE VIEW bigsum AS SELECT count(*) AS n, max(v)::bigint AS s FROM big`)
	srv.Close()
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	want("after replaying the log", read, 11, 1010)
}
