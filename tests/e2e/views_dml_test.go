package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testserver"
)

// TestWriteThroughViewConcurrent: an UPDATE through a view that waits for
// a concurrent writer's row lock re-checks the newest version against the
// view's condition (READ COMMITTED), so a row the other transaction moved
// out of the view is left alone; parameters bind to the view's columns.
func TestWriteThroughViewConcurrent(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec1(t, a, `CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL, active boolean NOT NULL DEFAULT true)`)
	exec1(t, a, `INSERT INTO acct VALUES (1, 100, true), (2, 100, true)`)
	exec1(t, a, `CREATE VIEW live AS SELECT id, bal FROM acct WHERE active`)

	// Parameters take the view's column types.
	if tag, err := a.Exec(ctx, `UPDATE live SET bal = bal + $1 WHERE id = $2`, 5, 2); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("prepared update through the view: %v, %v", tag, err)
	}
	if _, err := a.Exec(ctx, `INSERT INTO live (id, bal) VALUES ($1, $2)`, 3, 7); err != nil {
		t.Fatal(err)
	}

	exec1(t, a, `BEGIN`)
	exec1(t, a, `UPDATE acct SET active = false WHERE id = 1`)
	done := make(chan error, 1)
	var n int64
	go func() {
		tag, err := b.Exec(ctx, `UPDATE live SET bal = bal - 50 WHERE id IN (1, 2)`)
		n = tag.RowsAffected()
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("b did not wait for a's row lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	exec1(t, a, `COMMIT`)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("b updated %d rows; want 1 (row 1 left the view while b waited)", n)
	}
	rows, err := a.Query(ctx, `SELECT id, bal, active FROM acct ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type r struct {
		id, bal int
		active  bool
	}
	var got []r
	for rows.Next() {
		var x r
		if err := rows.Scan(&x.id, &x.bal, &x.active); err != nil {
			t.Fatal(err)
		}
		got = append(got, x)
	}
	want := []r{{1, 100, false}, {2, 55, true}, {3, 7, true}}
	if len(got) != len(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("rows %v, want %v", got, want)
		}
	}
}
