// Package cdc holds end-to-end tests of PostgreSQL CDC (ingest/pgcdc)
// against a real PostgreSQL 15 started by internal/testpg.
package cdc

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func connect(t *testing.T, conninfo string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, conninfo)
	if err != nil {
		t.Fatalf("connect %s: %v", conninfo, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	if _, err := c.Exec(ctx, "SET TimeZone = 'UTC'"); err != nil {
		t.Fatalf("SET TimeZone: %v", err)
	}
	return c
}

func run(t *testing.T, c *pgx.Conn, sqls ...string) {
	t.Helper()
	for _, q := range sqls {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		_, err := c.Exec(ctx, q)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// textRows runs q with the simple protocol and returns every value as the
// server prints it ("NULL" for NULL).
func textRows(c *pgx.Conn, q string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := c.PgConn().Exec(ctx, q).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range res {
		if r.Err != nil {
			return nil, r.Err
		}
		for _, row := range r.Rows {
			var b strings.Builder
			for i, v := range row {
				if i > 0 {
					b.WriteString(" | ")
				}
				if v == nil {
					b.WriteString("NULL")
				} else {
					b.Write(v)
				}
			}
			out = append(out, b.String())
		}
	}
	return out, nil
}

// waitSame waits until q returns the same rows on both servers and fails
// the test with the first difference otherwise.
func waitSame(t *testing.T, src, dst *pgx.Conn, q string, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var a, b []string
	var errA, errB error
	for {
		a, errA = textRows(src, q)
		b, errB = textRows(dst, q)
		if errA == nil && errB == nil && equal(a, b) {
			return a
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if errA != nil || errB != nil {
		t.Fatalf("%s: source error %v, OmenDB error %v", q, errA, errB)
	}
	t.Fatalf("%s: rows differ: source %d rows, OmenDB %d rows; first difference: %s", q, len(a), len(b), firstDiff(a, b))
	return nil
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("row %d: source %q, OmenDB %q", i, trunc(x), trunc(y))
		}
	}
	return "none"
}

func trunc(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func sqlState(err error) string {
	if pe, ok := err.(*pgconn.PgError); ok {
		return pe.Code
	}
	return ""
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func waitFor(t *testing.T, what string, timeout time.Duration, f func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, s := f()
		if ok {
			return
		}
		last = s
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s (last: %s)", what, last)
}
