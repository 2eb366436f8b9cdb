package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testserver"
)

// TestListenNotify: notifications reach listening sessions when the
// sending transaction commits — to a client waiting idle (pgx's
// WaitForNotification) and to the sender itself — never from a rolled-back
// one; duplicates in one transaction fold; LISTEN takes effect at commit;
// UNLISTEN stops delivery.
func TestListenNotify(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	wait := func(c *pgx.Conn, d time.Duration) *pgconn.Notification {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		n, err := c.WaitForNotification(wctx)
		if err != nil {
			return nil
		}
		return n
	}
	exec1(t, a, `LISTEN jobs`)
	exec1(t, b, `NOTIFY jobs, 'first'`)
	n := wait(a, 5*time.Second)
	if n == nil || n.Channel != "jobs" || n.Payload != "first" || n.PID != b.PgConn().PID() {
		t.Fatalf("a got %+v; want jobs/first from pid %d", n, b.PgConn().PID())
	}

	exec1(t, b, `BEGIN`)
	exec1(t, b, `NOTIFY jobs, 'rolled back'`)
	if n := wait(a, 200*time.Millisecond); n != nil {
		t.Fatalf("a got %+v before b committed", n)
	}
	exec1(t, b, `ROLLBACK`)
	if n := wait(a, 200*time.Millisecond); n != nil {
		t.Fatalf("a got %+v from a rolled-back transaction", n)
	}

	exec1(t, b, `BEGIN`)
	exec1(t, b, `NOTIFY jobs, 'x'`)
	exec1(t, b, `SELECT pg_notify('jobs', 'x')`) // folds with the first
	exec1(t, b, `SELECT pg_notify('jobs', 'y')`)
	exec1(t, b, `COMMIT`)
	var got []string
	for {
		n := wait(a, 300*time.Millisecond)
		if n == nil {
			break
		}
		got = append(got, n.Payload)
	}
	if len(got) != 2 || got[0] != "x" || got[1] != "y" {
		t.Fatalf("a got %v; want [x y]", got)
	}

	// LISTEN in a rolled-back transaction does not listen.
	exec1(t, b, `BEGIN`)
	exec1(t, b, `LISTEN other`)
	exec1(t, b, `ROLLBACK`)
	exec1(t, a, `NOTIFY other, 'nobody'`)
	if n := wait(b, 200*time.Millisecond); n != nil {
		t.Fatalf("b got %+v without listening", n)
	}
	// The sender hears itself when it listens.
	exec1(t, b, `LISTEN other`)
	exec1(t, b, `NOTIFY other, 'self'`)
	if n := wait(b, 5*time.Second); n == nil || n.Payload != "self" {
		t.Fatalf("b's own notification: %+v", n)
	}

	exec1(t, a, `UNLISTEN *`)
	exec1(t, b, `NOTIFY jobs, 'after unlisten'`)
	if n := wait(a, 200*time.Millisecond); n != nil {
		t.Fatalf("a got %+v after UNLISTEN *", n)
	}

	if _, err := b.Exec(ctx, `SELECT pg_notify('', 'x')`); sqlstate(err) != "22023" {
		t.Fatalf("empty channel: %v, want 22023", err)
	}
	long := make([]byte, 8000)
	for i := range long {
		long[i] = 'z'
	}
	if _, err := b.Exec(ctx, `SELECT pg_notify('jobs', $1)`, string(long)); sqlstate(err) != "22023" {
		t.Fatalf("8000-byte payload: %v, want 22023", err)
	}
}
