package recovery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/pgerr"
)

// mountTmpfs mounts a small tmpfs (the tests run as root) and unmounts it
// when the test ends.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mounting a %s tmpfs on %s (this test needs root): %v: %s", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillUp writes a ballast file until the filesystem is full (ENOSPC).
func fillUp(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "ballast")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	for len(buf) >= 512 {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			buf = buf[:len(buf)/2]
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	t.Logf("ballast written: %d bytes free", st.Bavail*uint64(st.Bsize))
	return path
}

// TestDiskFull: a real omendb serve on a 64 MiB tmpfs. With the disk full
// (a ballast file), commits fail with 53100 while the connection and the
// server survive and reads still work; checkpoints fail without harm; once
// the ballast is removed writes succeed again on the same connection; after
// a restart every acknowledged row is there and no failed one is.
func TestDiskFull(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	data := mountTmpfs(t, "64m")
	p := startServe(t, data, "OMENDB_CHECKPOINT_INTERVAL=200ms")
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `CREATE TABLE t (id bigint PRIMARY KEY, v text)`); err != nil {
		t.Fatal(err)
	}
	acked, failed := map[int]bool{}, map[int]bool{}
	next := 0
	insert := func() error {
		next++
		_, err := c.Exec(ctx, `INSERT INTO t VALUES ($1, $2)`, next, fmt.Sprintf("row %d", next))
		if err == nil {
			acked[next] = true
		} else {
			failed[next] = true
		}
		return err
	}
	for range 50 {
		if err := insert(); err != nil {
			t.Fatal(err)
		}
	}

	ballast := fillUp(t, data)
	time.Sleep(500 * time.Millisecond) // a checkpoint attempt or two meet the full disk
	for i := range 5 {
		err := insert()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != pgerr.DiskFull {
			t.Fatalf("insert %d on a full disk: %v, want SQLSTATE 53100", i, err)
		}
		if i == 0 {
			t.Logf("on a full disk: %s (%s) — %s", pe.Message, pe.Code, pe.Detail)
		}
	}
	// A transaction block fails at COMMIT the same way.
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next++
	failed[next] = true
	if _, err := tx.Exec(ctx, `INSERT INTO t VALUES ($1, 'in a block')`, next); err != nil {
		t.Fatal(err)
	}
	var pe *pgconn.PgError
	if err := tx.Commit(ctx); !errors.As(err, &pe) || pe.Code != pgerr.DiskFull {
		t.Fatalf("COMMIT on a full disk: %v, want 53100", err)
	}
	// The connection and the server survive; reads work.
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != len(acked) {
		t.Fatalf("count on a full disk: %d, %v; want %d", n, err, len(acked))
	}

	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", p.HTTPPort)); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/readyz on a full disk: %v %v, want 200 (the server stays up)", resp, err)
	} else {
		resp.Body.Close()
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := insert(); err != nil {
			t.Fatalf("insert after freeing space: %v", err)
		}
	}
	p.Stop(t)

	p = startServe(t, data)
	c2, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	rows, err := c2.Query(ctx, `SELECT id FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]bool{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id := range acked {
		if !got[id] {
			t.Errorf("acknowledged row %d lost", id)
		}
	}
	for id := range failed {
		if got[id] {
			t.Errorf("row %d whose commit failed is present", id)
		}
	}
	if len(got) != len(acked) {
		t.Errorf("%d rows after restart, %d acknowledged", len(got), len(acked))
	}
}
