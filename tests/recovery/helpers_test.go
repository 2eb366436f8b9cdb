// Package recovery holds end-to-end recovery tests: the real omendb binary
// SIGKILLed in a loop with checkpoints on, corrupt checkpoints, backup and
// restore. Helpers follow tests/e2e/crash_test.go's approach.
package recovery

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func omendbBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "omendb-recovery-bin")
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

// proc is a running `omendb serve`.
type proc struct {
	cmd      *exec.Cmd
	pgPort   int
	httpPort int
	log      string
	exited   chan struct{}
}

// startServe starts omendb serve on data with the given environment
// additions and waits until /readyz says ready.
func startServe(t *testing.T, data string, env ...string) *proc {
	t.Helper()
	p := &proc{pgPort: freePort(t), httpPort: freePort(t), exited: make(chan struct{}),
		log: filepath.Join(data, fmt.Sprintf("serve-%d.log", time.Now().UnixNano()))}
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(omendbBinary(t), "serve", "--data", data,
		"--listen", fmt.Sprintf("127.0.0.1:%d", p.pgPort), "--http", fmt.Sprintf("127.0.0.1:%d", p.httpPort))
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); logf.Close(); close(p.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", p.httpPort))
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
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) url() string {
	return fmt.Sprintf("postgres://omendb@127.0.0.1:%d/omendb?sslmode=disable", p.pgPort)
}

func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}

// stop sends SIGTERM (clean shutdown: final checkpoint) and waits.
func (p *proc) stop(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("omendb did not stop within 20s after SIGTERM")
	}
}

// logText returns the server's log so far.
func (p *proc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func (p *proc) logHas(s string) bool { return strings.Contains(p.logText(), s) }

// queryRow runs one single-row query on a fresh connection.
func (p *proc) queryRow(ctx context.Context, q string, dst ...any) error {
	c, err := pgx.Connect(ctx, p.url())
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return c.QueryRow(ctx, q).Scan(dst...)
}
