// Package testproc runs the real omendb binary for end-to-end tests: it
// builds it once per test binary, starts `omendb serve` on free loopback
// ports with its log in the data directory, waits for /readyz, and kills
// the process when the test ends.
package testproc

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

// Main runs a test binary's tests and then removes the omendb binary Binary
// built for them (about 50 MB per test binary run). A package whose tests
// call Binary or Start uses it as its TestMain: os.Exit(testproc.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	return code
}

// Binary builds cmd/omendb once and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "omendb-test-bin")
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

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Proc is a running `omendb serve`.
type Proc struct {
	Cmd      *exec.Cmd
	PGPort   int
	HTTPPort int
	LogPath  string
	exited   chan struct{}
}

// Start runs `omendb serve --data data` with extra environment variables
// and arguments, and waits until /readyz reports ready (60 s at most).
func Start(t testing.TB, data string, env []string, args ...string) *Proc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p := StartNoWait(t, data, env, args...)
		if p.waitReady(t, 60*time.Second) {
			return p
		}
		// Exited after it seemed to listen: a port was another process's.
		p.Kill()
		if attempt < 5 && p.LogHas("address already in use") {
			continue
		}
		t.Fatalf("omendb exited before it was ready; log:\n%s", p.LogText())
	}
}

// waitReady waits until /readyz reports ready and the server is still
// running with its pgwire port open (false if it exited first).
func (p *Proc) waitReady(t testing.TB, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.exited:
			return false
		default:
		}
		if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", p.HTTPPort)); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && p.pgListening() {
				return true
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("omendb not ready after %v; log:\n%s", timeout, p.LogText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pgListening reports whether this process is running and its pgwire
// port accepts connections (an HTTP answer alone may come from another
// process that took the port).
func (p *Proc) pgListening() bool {
	select {
	case <-p.exited:
		return false
	default:
	}
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p.PGPort), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// StartNoWait starts `omendb serve` and returns once it listens (/healthz
// answers), without waiting for recovery. A free port
// can be taken by another process between FreePort and the server binding
// it; then the server is started again on fresh ports.
func StartNoWait(t testing.TB, data string, env []string, args ...string) *Proc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p := launch(t, data, env, args...)
		if p.waitListening(30 * time.Second) {
			return p
		}
		p.Kill()
		if attempt < 5 && p.LogHas("address already in use") {
			continue
		}
		t.Fatalf("omendb did not start listening; log:\n%s", p.LogText())
	}
}

func launch(t testing.TB, data string, env []string, args ...string) *Proc {
	t.Helper()
	p := &Proc{PGPort: FreePort(t), HTTPPort: FreePort(t), exited: make(chan struct{}),
		LogPath: filepath.Join(data, fmt.Sprintf("serve-%d.log", time.Now().UnixNano()))}
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(p.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	argv := append([]string{"serve", "--data", data, "--listen", fmt.Sprintf("127.0.0.1:%d", p.PGPort),
		"--http", fmt.Sprintf("127.0.0.1:%d", p.HTTPPort)}, args...)
	p.Cmd = exec.Command(Binary(t), argv...)
	p.Cmd.Env = append(os.Environ(), env...)
	p.Cmd.Stdout, p.Cmd.Stderr = logf, logf
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.Cmd.Wait(); logf.Close(); close(p.exited) }()
	t.Cleanup(p.Kill)
	return p
}

// waitListening waits until /healthz answers 200, or the process exits or
// the timeout passes (false).
func (p *Proc) waitListening(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return false
		default:
		}
		if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", p.HTTPPort)); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// URL is the pgx/libpq connection string.
func (p *Proc) URL() string {
	return fmt.Sprintf("postgres://omendb@127.0.0.1:%d/omendb?sslmode=disable", p.PGPort)
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Kill sends SIGKILL and waits (10 s at most) for the process to exit.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}

// Stop sends SIGTERM (a clean shutdown) and waits for the process to exit.
func (p *Proc) Stop(t testing.TB) {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("omendb did not stop within 20s after SIGTERM")
	}
}

// LogText returns the server's log so far.
func (p *Proc) LogText() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// LogHas reports whether the server's log contains s.
func (p *Proc) LogHas(s string) bool { return strings.Contains(p.LogText(), s) }

// QueryRow runs one single-row query on a fresh connection.
func (p *Proc) QueryRow(ctx context.Context, q string, dst ...any) error {
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return c.QueryRow(ctx, q).Scan(dst...)
}
