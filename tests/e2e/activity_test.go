package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/internal/testserver"
)

// TestStatActivity: the pid a client gets at startup is pg_backend_pid()
// and its pg_stat_activity row; the row shows the running statement and
// the state between statements; pg_cancel_backend cancels another
// session's statement (57014) and pg_terminate_backend ends its
// connection (FATAL 57P01), as on PostgreSQL.
func TestStatActivity(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	var pid uint32
	if err := b.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if pid != b.PgConn().PID() {
		t.Fatalf("pg_backend_pid() %d, BackendKeyData pid %d", pid, b.PgConn().PID())
	}
	exec1(t, b, `SET application_name = 'worker-b'`)
	exec1(t, b, `BEGIN`)
	exec1(t, b, `SELECT 42`)
	var state, app, query string
	var xactStart *time.Time
	row := a.QueryRow(ctx, `SELECT state, application_name, query, xact_start FROM pg_stat_activity WHERE pid = $1`, int32(pid))
	if err := row.Scan(&state, &app, &query, &xactStart); err != nil {
		t.Fatal(err)
	}
	if state != "idle in transaction" || app != "worker-b" || query != "SELECT 42" || xactStart == nil {
		t.Fatalf("b's row: state %q, app %q, query %q, xact_start %v", state, app, query, xactStart)
	}
	exec1(t, b, `COMMIT`)
	var n int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid = pg_backend_pid()`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("a's own row while it runs: %d, %v; want 1 active", n, err)
	}

	// Cancel a running statement: b waits for a row lock a holds.
	exec1(t, a, `CREATE TABLE k (id int PRIMARY KEY, v int)`)
	exec1(t, a, `INSERT INTO k VALUES (1, 0)`)
	exec1(t, a, `BEGIN`)
	exec1(t, a, `UPDATE k SET v = 1 WHERE id = 1`)
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, `UPDATE k SET v = 2 WHERE id = 1`)
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var q string
		if err := a.QueryRow(ctx, `SELECT query FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`, int32(pid)).Scan(&q); err == nil && q == `UPDATE k SET v = 2 WHERE id = 1` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b's waiting UPDATE never showed as active")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var ok bool
	if err := a.QueryRow(ctx, `SELECT pg_cancel_backend($1)`, int32(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_cancel_backend: %v, %v", ok, err)
	}
	if err := <-done; sqlstate(err) != "57014" {
		t.Fatalf("b's cancelled UPDATE: %v, want 57014", err)
	}
	exec1(t, a, `COMMIT`)

	// Terminate: b's connection ends; others go on.
	if err := a.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend: %v, %v", ok, err)
	}
	_, err := b.Exec(ctx, `SELECT 1`)
	if err == nil {
		t.Fatal("b still works after pg_terminate_backend")
	}
	if s := sqlstate(err); s != "57P01" {
		t.Fatalf("b after terminate: %v (sqlstate %q), want FATAL 57P01", err, s)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		if err := a.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, int32(pid)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminated session is still listed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := a.QueryRow(ctx, `SELECT pg_terminate_backend(999999), pg_cancel_backend(999999)`).Scan(&ok, new(bool)); err != nil || ok {
		t.Fatalf("unknown pid: %v, %v; want false", ok, err)
	}
}

// A session told to end runs nothing more, even a command already in its
// buffer: here pg_terminate_backend on itself, pipelined with a second
// query in one write. PostgreSQL checks for a pending termination after
// every command it reads; so does OmenDB, at each ReadyForQuery boundary.
func TestTerminateSkipsBufferedCommand(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	cfg, err := pgconn.ParseConfig(testserver.ConnString(srv))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := pc.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Conn.Close()
	_ = hc.Conn.SetDeadline(time.Now().Add(10 * time.Second))
	fe := hc.Frontend
	fe.Send(&pgproto3.Query{String: `SELECT pg_terminate_backend(pg_backend_pid())`})
	fe.Send(&pgproto3.Query{String: `SELECT 'second'`})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	var fatal string
	for {
		m, err := fe.Receive()
		if err != nil {
			break // the server closed the connection
		}
		switch m := m.(type) {
		case *pgproto3.DataRow:
			if len(m.Values) == 1 && string(m.Values[0]) == "second" {
				t.Fatal("the command after pg_terminate_backend ran")
			}
		case *pgproto3.ErrorResponse:
			fatal = m.Severity + " " + m.Code
		}
	}
	if fatal != "FATAL 57P01" {
		t.Fatalf("last error %q, want FATAL 57P01", fatal)
	}
}
