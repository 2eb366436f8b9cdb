package cdc

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/omendb/omendb/internal/testpg"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func omendbBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "omendb-cdc-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "omendb")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/omendb/omendb/cmd/omendb").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a running `omendb serve` with durable commits.
type proc struct {
	cmd    *exec.Cmd
	pgPort int
	log    string
	exited chan struct{}
}

func startServe(t *testing.T, data string) *proc {
	t.Helper()
	httpPort := freePort(t)
	p := &proc{pgPort: freePort(t), log: filepath.Join(data, fmt.Sprintf("serve-%d.log", time.Now().UnixNano())), exited: make(chan struct{})}
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(omendbBinary(t), "serve", "--data", data, "--listen", fmt.Sprintf("127.0.0.1:%d", p.pgPort),
		"--http", fmt.Sprintf("127.0.0.1:%d", httpPort), "--log-level", "warn")
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); logf.Close(); close(p.exited) }()
	t.Cleanup(p.kill)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", httpPort))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(p.log)
			t.Fatalf("omendb not ready after 60s; log:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) url() string {
	return fmt.Sprintf("postgres://omendb@127.0.0.1:%d/omendb?sslmode=disable", p.pgPort)
}

func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// writer runs small source transactions until stopped: inserts and updates
// on a keyed table, appends to a table without a key. It returns how many
// transactions committed; a failed transaction is retried by the caller's
// next round only after PostgreSQL is back.
type writer struct {
	conn *pgx.Conn
	rng  *rand.Rand
	next int
}

func (w *writer) txn(ctx context.Context) error {
	tx, err := w.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	id := w.next
	for i := 0; i < 3; i++ {
		if _, err := tx.Exec(ctx, "INSERT INTO kv VALUES ($1, $2, 'ins')", id*3+i, w.rng.Int63n(1000)); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, "UPDATE kv SET v = v + 1, note = 'upd' WHERE k = $1", w.rng.Intn(id*3+3)); err != nil {
		return err
	}
	if id%5 == 0 {
		if _, err := tx.Exec(ctx, "DELETE FROM kv WHERE k = $1", w.rng.Intn(id*3+3)); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, "INSERT INTO events VALUES ($1, now())", id); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	w.next++
	return nil
}

func (w *writer) run(ctx context.Context, d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) && ctx.Err() == nil {
		if err := w.txn(ctx); err != nil {
			return
		}
	}
}

// TestCrashResume SIGKILLs omendb during the snapshot and during streaming,
// and restarts PostgreSQL mid-stream; after each, the OmenDB tables must
// equal the source's: nothing lost, nothing duplicated.
func TestCrashResume(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	ctx := context.Background()
	pg := testpg.Start(t)
	src := connect(t, pg.ConnString())
	run(t, src,
		`CREATE TABLE big (id int PRIMARY KEY, pad text)`,
		`INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 70000) g`,
		`ANALYZE big`,
		`CREATE TABLE kv (k int PRIMARY KEY, v bigint, note text)`,
		`CREATE TABLE events (id int, at timestamptz)`, `ALTER TABLE events REPLICA IDENTITY FULL`,
		`CREATE PUBLICATION pub FOR TABLE big, kv, events`)
	data := t.TempDir()
	start := time.Now()
	p := startServe(t, data)
	dst := connect(t, p.url())
	run(t, dst, "CREATE SOURCE s FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub'")

	// Kill during the snapshot: some chunks of big are done, not all.
	waitFor(t, "snapshot in progress", 60*time.Second, func() (bool, string) {
		rows, err := textRows(dst, "SELECT chunks_done, chunks_total FROM omendb_source_tables WHERE name = 'big'")
		if err != nil || len(rows) != 1 {
			return false, fmt.Sprint(rows, err)
		}
		f := strings.Split(rows[0], " | ")
		done, _ := strconv.Atoi(f[0])
		total, _ := strconv.Atoi(f[1])
		return done >= 1 && done < total, rows[0]
	})
	// Changes while the snapshot runs (keyed table: converges by upsert).
	run(t, src, `UPDATE big SET pad = 'changed' WHERE id % 1000 = 0`, `DELETE FROM big WHERE id % 997 = 0`)
	p.kill()
	p = startServe(t, data)
	dst = connect(t, p.url())
	waitSame(t, src, dst, "SELECT count(*), sum(id), sum(length(pad)) FROM big", 120*time.Second)
	t.Logf("snapshot resumed and complete at %v", time.Since(start))
	if os.Getenv("CDC_DEBUG") != "" {
		b, _ := os.ReadFile(p.log)
		t.Logf("log:\n%s", b)
	}

	// Kill during streaming, with a writer running.
	w := &writer{conn: connect(t, pg.ConnString()), rng: rand.New(rand.NewSource(seed))}
	for round := 0; round < 2; round++ {
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); w.run(wctx, 2*time.Second) }()
		time.Sleep(time.Duration(300+w.rng.Intn(1500)) * time.Millisecond)
		p.kill()
		<-done
		cancel()
		p = startServe(t, data)
		dst = connect(t, p.url())
		waitSame(t, src, dst, "SELECT k, v, note FROM kv ORDER BY k", 60*time.Second)
		waitSame(t, src, dst, "SELECT count(*), count(DISTINCT id) FROM events", 60*time.Second)
	}

	t.Logf("streaming kills done at %v", time.Since(start))
	// PostgreSQL restarted mid-stream.
	w.run(ctx, time.Second)
	pg.Restart()
	w.conn = connect(t, pg.ConnString())
	src = connect(t, pg.ConnString())
	w.run(ctx, 2*time.Second)
	waitSame(t, src, dst, "SELECT k, v, note FROM kv ORDER BY k", 60*time.Second)
	waitSame(t, src, dst, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM events", 60*time.Second)
	waitSame(t, src, dst, "SELECT count(*), sum(id), sum(length(pad)) FROM big", 60*time.Second)
	t.Logf("%d source transactions streamed", w.next)
}
