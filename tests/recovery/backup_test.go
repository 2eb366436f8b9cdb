package recovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/backup"
	"github.com/omendb/omendb/pgerr"
)

// readyOffset returns the offset /readyz reports (the store's applied offset).
func readyOffset(t *testing.T, p *proc) uint64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", p.HTTPPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var off uint64
	if _, err := fmt.Sscanf(string(b), "ready at offset %d", &off); err != nil {
		t.Fatalf("readyz said %q", b)
	}
	return off
}

func state(t *testing.T, ctx context.Context, p *proc) string {
	t.Helper()
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT id, v FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d=%s;", id, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type moment struct {
	off   uint64
	at    time.Time
	state string
}

// TestBackupRestorePITR: full backup → more writes → incremental backup →
// restore to the end, to offsets (before and after the full backup's
// checkpoint) and to a timestamp each give exactly the state captured at
// that moment; verify passes, and a flipped bit in a log segment fails it.
func TestBackupRestorePITR(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	ctx := context.Background()
	root := t.TempDir()
	bdir := filepath.Join(root, "backup")
	p := startServe(t, filepath.Join(root, "src"), "OMENDB_CHECKPOINT_INTERVAL=0")
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := c.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE t (id bigint PRIMARY KEY, v text)`)
	var moments []moment
	next := 0
	batch := func() {
		for i := 0; i < 20; i++ {
			switch r := rng.Intn(10); {
			case r < 6 || next == 0:
				next++
				exec(`INSERT INTO t VALUES ($1, $2)`, next, fmt.Sprintf("v%d", rng.Intn(1000)))
			case r < 8:
				exec(`UPDATE t SET v = $1 WHERE id = $2`, fmt.Sprintf("u%d", rng.Intn(1000)), 1+rng.Intn(next))
			default:
				exec(`DELETE FROM t WHERE id = $1`, 1+rng.Intn(next))
			}
		}
		time.Sleep(30 * time.Millisecond)
		moments = append(moments, moment{off: readyOffset(t, p), at: time.Now(), state: state(t, ctx, p)})
		time.Sleep(30 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		batch()
	}
	var kind string
	var to int64
	if err := c.QueryRow(ctx, `BACKUP TO '`+bdir+`'`, pgx.QueryExecModeSimpleProtocol).Scan(&kind, new(int64), &to, new(int64), new(int64)); err != nil {
		t.Fatalf("BACKUP TO: %v", err)
	}
	if kind != "full" || uint64(to) != moments[2].off {
		t.Fatalf("full backup %s to %d, want full to %d", kind, to, moments[2].off)
	}
	if _, err := c.Exec(ctx, `BACKUP TO '`+bdir+`'`); err == nil {
		t.Fatalf("a second full backup into the same directory succeeded")
	}
	for i := 0; i < 3; i++ {
		batch()
	}
	if err := c.QueryRow(ctx, `BACKUP TO '`+bdir+`' INCREMENTAL`, pgx.QueryExecModeSimpleProtocol).Scan(&kind, new(int64), &to, new(int64), new(int64)); err != nil {
		t.Fatalf("BACKUP INCREMENTAL: %v", err)
	}
	if kind != "incremental" || uint64(to) != moments[5].off {
		t.Fatalf("incremental backup %s to %d, want incremental to %d", kind, to, moments[5].off)
	}
	batch() // after the last backup: never restored
	c.Close(ctx)
	p.Kill()

	check := func(name string, tgt backup.Target, want moment) {
		t.Helper()
		data := filepath.Join(root, name)
		res, err := backup.Restore(ctx, bdir, data, tgt, func(s string) { t.Log(s) })
		if err != nil {
			t.Fatalf("%s: restore: %v", name, err)
		}
		if res.Offset != want.off {
			t.Fatalf("%s: restored to offset %d, want %d", name, res.Offset, want.off)
		}
		rp := startServe(t, data, "OMENDB_CHECKPOINT_INTERVAL=0")
		defer rp.Kill()
		if got := state(t, ctx, rp); got != want.state {
			t.Fatalf("%s: state at offset %d:\n%s\nwant\n%s", name, want.off, got, want.state)
		}
		if !rp.LogHas("checkpoint loaded") {
			t.Errorf("%s: the restored directory did not start from its checkpoint", name)
		}
	}
	check("end", backup.Target{}, moments[5])
	check("off1", backup.Target{Offset: moments[0].off}, moments[0]) // before the full checkpoint
	check("off4", backup.Target{Offset: moments[4].off}, moments[4]) // inside the incremental part
	check("time3", backup.Target{Time: moments[3].at}, moments[3])
	if _, err := backup.Restore(ctx, bdir, filepath.Join(root, "bad"), backup.Target{Offset: moments[5].off + 1000}, nil); err == nil {
		t.Fatalf("restore to an offset the backup does not cover succeeded")
	}

	res, err := backup.Verify(ctx, bdir, nil)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	t.Logf("verified: offset %d, %d rows, %d records", res.Offset, res.Rows, res.Records)
	segs, _ := filepath.Glob(filepath.Join(bdir, "log-*.seg"))
	if len(segs) != 2 {
		t.Fatalf("%d log segments, want 2", len(segs))
	}
	b, _ := os.ReadFile(segs[1])
	pos := 32 + rng.Intn(len(b)-32)
	b[pos] ^= 1 << rng.Intn(8)
	os.WriteFile(segs[1], b, 0o644)
	if _, err := backup.Verify(ctx, bdir, nil); err == nil || !errors.Is(err, pgerr.ErrCorrupt) {
		t.Fatalf("verify after flipping byte %d of %s: %v, want a corruption error", pos, segs[1], err)
	} else {
		t.Logf("corruption reported: %v", err)
	}
}
