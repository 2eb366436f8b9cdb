package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestUnixSocket connects through the server's Unix-domain socket as
// libpq clients do (host = the directory, port = the TCP port): pgx with
// a transaction, and psql -h DIR. Closing the server removes the socket.
func TestUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "sock") // short: a socket path is at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Start(ctx, Config{Data: t.TempDir(), Listen: "127.0.0.1:0", SocketDir: dir, Unsafe: true, CheckpointInterval: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	port := s.ln.Addr().(*net.TCPAddr).Port
	if want := filepath.Join(dir, fmt.Sprintf(".s.PGSQL.%d", port)); s.SocketPath() != want {
		t.Fatalf("socket at %q, want %q", s.SocketPath(), want)
	}
	fi, err := os.Stat(s.SocketPath())
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o777 {
		t.Fatalf("socket file: %v %v", fi, err)
	}
	c, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=omendb dbname=omendb", dir, port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{
		"CREATE TABLE t (id int PRIMARY KEY, v text)",
		"BEGIN",
		"INSERT INTO t VALUES (1, 'one'), (2, 'two')",
		"COMMIT",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int
	var v string
	if err := c.QueryRow(ctx, "SELECT count(*), max(v) FROM t").Scan(&n, &v); err != nil || n != 2 || v != "two" {
		t.Fatalf("count %d, max %q, err %v", n, v, err)
	}
	psql, err := osexec.LookPath("psql")
	if err != nil {
		t.Fatalf("psql not installed (scripts/client-deps.sh installs postgresql-client-15): %v", err)
	}
	out, err := osexec.CommandContext(ctx, psql, "-X", "-A", "-t", "-h", dir, "-p", fmt.Sprint(port), "-U", "omendb", "-d", "omendb",
		"-c", "SELECT v FROM t WHERE id = 1").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "one" {
		t.Fatalf("psql -h %s: %q, %v", dir, out, err)
	}
	path := s.SocketPath()
	s.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("socket file left after Close: %v", err)
	}
}

// TestListenUnixStale checks the cases a socket path can be in at start:
// a socket no server accepts on any more (a crashed server's) is replaced,
// while a live server's socket and a file that is not a socket are errors.
func TestListenUnixStale(t *testing.T) {
	dir, err := os.MkdirTemp("", "sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := socketPath(dir, 6001)
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false) // as a SIGKILLed server leaves it
	stale.Close()
	ln, got, err := listenUnix(dir, 6001)
	if err != nil || got != path {
		t.Fatalf("over a stale socket: %q, %v", got, err)
	}
	if _, _, err := listenUnix(dir, 6001); err == nil || !strings.Contains(err.Error(), "another server") {
		t.Fatalf("over a live socket: %v", err)
	}
	ln.Close()
	if err := os.WriteFile(socketPath(dir, 6002), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := listenUnix(dir, 6002); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("over a regular file: %v", err)
	}
}
