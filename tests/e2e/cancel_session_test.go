package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testserver"
)

// TestCancelKeepsSession: a CancelRequest stops the running statement of
// one session (57014), and the same connection then runs statements — in
// the simple and the extended protocol, in and out of a transaction —
// without a stale cancellation reaching them (the session reuses its
// statement context until a cancel fires it). A statement_timeout fires
// and, once reset, does not linger either.
func TestCancelKeepsSession(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	long := `SELECT count(*) FROM generate_series(1, 2000000000)`

	for round := 0; round < 2; round++ {
		done := make(chan error, 1)
		go func() {
			var n int64
			done <- c.QueryRow(ctx, long).Scan(&n)
		}()
		var err error
	wait:
		for {
			select {
			case err = <-done:
				break wait
			case <-time.After(50 * time.Millisecond):
				// Until the statement runs, a cancel finds nothing to stop.
				if cerr := c.PgConn().CancelRequest(ctx); cerr != nil {
					t.Fatalf("cancel request: %v", cerr)
				}
			}
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "57014" {
			t.Fatalf("round %d: long query: %v, want SQLSTATE 57014", round, err)
		}
		for i := 0; i < 3; i++ {
			var n int64
			if err := c.QueryRow(ctx, `SELECT count(*) FROM generate_series(1, 300000)`).Scan(&n); err != nil || n != 300000 {
				t.Fatalf("round %d: query after cancel: %d, %v", round, n, err)
			}
			if _, err := c.Exec(ctx, `SELECT $1::int`, 7); err != nil {
				t.Fatalf("round %d: extended query after cancel: %v", round, err)
			}
		}
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
			t.Fatalf("round %d: in a transaction after cancel: %v", round, err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := c.Exec(ctx, `SET statement_timeout = 100`); err != nil {
		t.Fatal(err)
	}
	var n int64
	err := c.QueryRow(ctx, long).Scan(&n)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("statement_timeout: %v, want SQLSTATE 57014", err)
	}
	if _, err := c.Exec(ctx, `RESET statement_timeout`); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM generate_series(1, 300000)`).Scan(&n); err != nil || n != 300000 {
		t.Fatalf("after statement_timeout: %d, %v", n, err)
	}
}
