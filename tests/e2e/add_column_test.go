package e2e

import (
	"context"
	"testing"

	"github.com/omendb/omendb/internal/testserver"
)

// TestAddSerialColumnSurvivesRestart: the values ALTER TABLE ADD COLUMN
// gives existing rows of a serial column (and the sequence's position)
// come back after a restart (log replay, then a checkpoint), and new rows continue the sequence.
func TestAddSerialColumnSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.WithDataDir(dir))
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	exec1(t, c, `CREATE TABLE items (name text PRIMARY KEY)`)
	exec1(t, c, `INSERT INTO items SELECT 'item' || g FROM generate_series(1, 50) g`)
	exec1(t, c, `ALTER TABLE items ADD COLUMN id serial NOT NULL`)
	check := func(want int) {
		t.Helper()
		var n, distinct, lo, hi int
		if err := c.QueryRow(ctx, `SELECT count(*), count(DISTINCT id), min(id), max(id) FROM items`).Scan(&n, &distinct, &lo, &hi); err != nil {
			t.Fatal(err)
		}
		if n != want || distinct != want || lo != 1 || hi != want {
			t.Fatalf("rows %d, distinct ids %d, ids %d..%d; want %d distinct ids 1..%d", n, distinct, lo, hi, want, want)
		}
	}
	check(50)
	srv.Close()
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	check(50)
	exec1(t, c, `INSERT INTO items (name) VALUES ('new')`)
	check(51)
	// And from a checkpoint.
	exec1(t, c, `CHECKPOINT`)
	srv.Close()
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	check(51)
}
