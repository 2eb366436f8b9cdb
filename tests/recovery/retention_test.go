package recovery

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testproc"
)

// retentionRows reads SHOW omendb.log_retention as name → offset.
func retentionRows(t *testing.T, ctx context.Context, c *pgx.Conn) map[string]int64 {
	t.Helper()
	rows, err := c.Query(ctx, `SHOW omendb.log_retention`, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for rows.Next() {
		var name, detail string
		var off int64
		if err := rows.Scan(&name, &off, &detail); err != nil {
			t.Fatal(err)
		}
		out[name] = off
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRetentionEndToEnd: a real omendb with --pitr-window 0 checkpoints
// and trims its log as it runs; a backup chain keeps the log it needs
// (its incremental backup works after trims); after SIGKILL the restarted
// server has every acknowledged row, through the row and the column store.
func TestRetentionEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	data := t.TempDir()
	bdir := filepath.Join(t.TempDir(), "backup")
	env := []string{"OMENDB_CHECKPOINT_INTERVAL=100ms", "OMENDB_RETENTION_INTERVAL=100ms"}
	p := testprocStart(t, data, env, "--pitr-window", "0")
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `CREATE TABLE t (id bigint PRIMARY KEY, v text)`); err != nil {
		t.Fatal(err)
	}
	n := 0
	insert := func(k int) {
		t.Helper()
		for range k {
			n++
			if _, err := c.Exec(ctx, `INSERT INTO t VALUES ($1, $2)`, n, fmt.Sprintf("v%d", n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	insert(50)
	var to int64
	if err := c.QueryRow(ctx, `BACKUP TO '`+bdir+`'`, pgx.QueryExecModeSimpleProtocol).Scan(new(string), new(int64), &to, new(int64), new(int64)); err != nil {
		t.Fatal(err)
	}
	// Keep writing until retention has trimmed up to the backup chain.
	deadline := time.Now().Add(60 * time.Second)
	for {
		insert(10)
		r := retentionRows(t, ctx, c)
		if r["first_offset"] == to+1 {
			if r["backup "+bdir] != to+1 {
				t.Fatalf("trimmed to the chain's end, but SHOW has no hold for it: %v", r)
			}
			break
		}
		if r["first_offset"] > to+1 {
			t.Fatalf("retention trimmed past the backup chain (ends at %d): %v", to, r)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log was not trimmed within 60s: %v", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := c.Exec(ctx, `BACKUP TO '`+bdir+`' INCREMENTAL`, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("incremental backup after trims: %v", err)
	}
	insert(10)
	p.Kill()

	p = testprocStart(t, data, env, "--pitr-window", "0")
	c2, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	for _, engine := range []string{"row", "column"} {
		if _, err := c2.Exec(ctx, `SET omendb.engine = '`+engine+`'`); err != nil {
			t.Fatal(err)
		}
		var cnt, sum int64
		if err := c2.QueryRow(ctx, `SELECT count(*), sum(id) FROM t`).Scan(&cnt, &sum); err != nil {
			t.Fatalf("%s store after trims and SIGKILL: %v", engine, err)
		}
		if cnt != int64(n) || sum != int64(n*(n+1)/2) {
			t.Fatalf("%s store after trims and SIGKILL: %d rows (sum %d), want %d", engine, cnt, sum, n)
		}
	}
}

func testprocStart(t *testing.T, data string, env []string, args ...string) *proc {
	return testproc.Start(t, data, env, args...)
}
