package testpg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/procs"
)

// Options configures a server. The zero value is usable.
type Options struct {
	// Database is the database ConnString points at; it is created unless
	// it is "postgres" (the default).
	Database string
	// NoFsync turns fsync, synchronous_commit and full_page_writes off:
	// much faster, for tests that do not test durability.
	NoFsync bool
	// Config holds extra postgresql.conf lines ("work_mem = '64MB'").
	Config []string
	// BinDir overrides the directory holding initdb and postgres.
	BinDir string
	// StartTimeout bounds a start; default 60 s.
	StartTimeout time.Duration
}

// Option modifies Options for Start.
type Option func(*Options)

// WithDatabase makes the server create and point ConnString at database name.
func WithDatabase(name string) Option { return func(o *Options) { o.Database = name } }

// WithNoFsync turns durability off for speed.
func WithNoFsync() Option { return func(o *Options) { o.NoFsync = true } }

// WithConfig adds postgresql.conf lines.
func WithConfig(lines ...string) Option {
	return func(o *Options) { o.Config = append(o.Config, lines...) }
}

// Server is a running PostgreSQL.
type Server struct {
	opts    Options
	bin     string
	base    string // temp directory holding data/
	dataDir string
	port    int
	cred    *syscall.Credential

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    *os.File
}

// PG is a Server started for a test.
type PG struct {
	*Server
	t testing.TB
}

// Start starts a PostgreSQL server for the test and stops it in t.Cleanup.
// It fails the test (t.Fatal) if the server cannot start.
func Start(t testing.TB, opts ...Option) *PG {
	t.Helper()
	var o Options
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeoutOf(o))
	defer cancel()
	s, err := StartServer(ctx, o)
	if err != nil {
		t.Fatalf("testpg: cannot start PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("testpg: close: %v", err)
		}
	})
	return &PG{Server: s, t: t}
}

// Restart stops the server (fast shutdown) and starts it again on the same
// port and data directory, failing the test on error.
func (p *PG) Restart() {
	p.t.Helper()
	if err := p.Server.Restart(); err != nil {
		p.t.Fatalf("testpg: restart: %v", err)
	}
}

// Conn opens a pgx connection to the server's database, closed in t.Cleanup.
func (p *PG) Conn() *pgx.Conn {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.ConnString())
	if err != nil {
		p.t.Fatalf("testpg: connect: %v", err)
	}
	p.t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func timeoutOf(o Options) time.Duration {
	if o.StartTimeout > 0 {
		return o.StartTimeout
	}
	return 60 * time.Second
}

// StartServer starts a PostgreSQL server; the caller must Close it.
func StartServer(ctx context.Context, o Options) (*Server, error) {
	if o.Database == "" {
		o.Database = "postgres"
	}
	bin, err := findBinDir(o.BinDir)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("testpg: running as root needs the postgres OS user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	tmpl, err := s.template(ctx)
	if err != nil {
		return nil, err
	}
	removeStale()
	s.base, err = os.MkdirTemp("", "omendb-testpg-")
	if err != nil {
		return nil, err
	}
	s.dataDir = filepath.Join(s.base, "data")
	if err := s.chown(s.base); err != nil {
		s.removeAll()
		return nil, err
	}
	// cp -a keeps the ownership and modes of the template.
	if out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", tmpl, s.dataDir).CombinedOutput(); err != nil {
		s.removeAll()
		return nil, fmt.Errorf("testpg: copy template: %v: %s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		s.port, err = freePort()
		if err != nil {
			s.removeAll()
			return nil, err
		}
		if err := s.writeConfig(); err != nil {
			s.removeAll()
			return nil, err
		}
		lastErr = s.start(ctx)
		if lastErr == nil {
			break
		}
		if !strings.Contains(lastErr.Error(), "in use") {
			break
		}
	}
	if lastErr != nil {
		s.removeAll()
		return nil, lastErr
	}
	if o.Database != "postgres" {
		if err := s.createDatabase(ctx, o.Database); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// ConnString returns a postgres:// URL for pgx, lib/pq and psql.
func (s *Server) ConnString() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort(s.Host(), strconv.Itoa(s.port)),
		Path:     "/" + s.opts.Database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// Host is "127.0.0.1".
func (s *Server) Host() string { return "127.0.0.1" }

// SocketDir is the directory holding the unix socket (the data directory).
func (s *Server) SocketDir() string { return s.dataDir }

// DataDir is the cluster's data directory.
func (s *Server) DataDir() string { return s.dataDir }

// Database is the database ConnString points at.
func (s *Server) Database() string { return s.opts.Database }

// Log returns the server log so far (useful in failure messages).
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.base, "postgres.log"))
	return string(b)
}

// Restart stops the server with a fast shutdown and starts it again on the
// same port and data directory.
func (s *Server) Restart() error {
	if err := s.stop(syscall.SIGINT, 60*time.Second); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeoutOf(s.opts))
	defer cancel()
	return s.start(ctx)
}

// Close stops the server immediately (SIGQUIT, like pg_ctl -m immediate) and
// removes its directory. It is safe to call twice.
func (s *Server) Close() error {
	err := s.stop(syscall.SIGQUIT, 30*time.Second)
	if rerr := s.removeAll(); err == nil {
		err = rerr
	}
	return err
}

func (s *Server) removeAll() error {
	if s.base == "" {
		return nil
	}
	err := os.RemoveAll(s.base)
	s.base = ""
	return err
}

func (s *Server) stop(sig syscall.Signal, timeout time.Duration) error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
	}
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
	return nil
}

func (s *Server) start(ctx context.Context) error {
	logf, err := os.OpenFile(filepath.Join(s.base, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", s.dataDir)
	cmd.Dir = s.base
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	// Remove a stale pid file left by an immediate shutdown.
	// StartProcess: PostgreSQL must not inherit the timer slack that
	// internal/procs gives an OmenDB server's threads in this process.
	if err := procs.StartProcess(cmd); err != nil {
		logf.Close()
		return fmt.Errorf("testpg: start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited, s.log = cmd, exited, logf
	s.mu.Unlock()

	pidFile := filepath.Join(s.dataDir, "postmaster.pid")
	tick := time.NewTicker(15 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			logf.Close()
			s.log = nil
			return fmt.Errorf("testpg: postgres exited during start: %s", lastLines(s.Log(), 15))
		case <-ctx.Done():
			_ = s.stop(syscall.SIGQUIT, 10*time.Second)
			return fmt.Errorf("testpg: postgres did not become ready: %w: %s", ctx.Err(), lastLines(s.Log(), 15))
		case <-tick.C:
		}
		b, err := os.ReadFile(pidFile)
		if err != nil {
			continue
		}
		// Line 8 of postmaster.pid is the postmaster status (PostgreSQL 10+).
		lines := strings.Split(string(b), "\n")
		if len(lines) >= 8 && strings.TrimSpace(lines[7]) == "ready" &&
			strings.TrimSpace(lines[0]) == strconv.Itoa(cmd.Process.Pid) {
			return nil
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *Server) writeConfig() error {
	fsync := "on"
	if s.opts.NoFsync {
		fsync = "off"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "\n# written by internal/testpg\n")
	fmt.Fprintf(&b, "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n", s.port, s.dataDir)
	fmt.Fprintf(&b, "wal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\n")
	fmt.Fprintf(&b, "fsync = %s\n", fsync)
	if s.opts.NoFsync {
		b.WriteString("synchronous_commit = off\nfull_page_writes = off\n")
	}
	b.WriteString("shared_buffers = '64MB'\nmax_connections = 100\ndynamic_shared_memory_type = posix\n")
	b.WriteString("timezone = 'UTC'\nlog_timezone = 'UTC'\ndatestyle = 'iso, mdy'\nlc_messages = 'C'\n")
	b.WriteString("logging_collector = off\nlog_min_messages = warning\n")
	for _, l := range s.opts.Config {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	// postgresql.auto.conf is read last and overrides postgresql.conf; it is
	// rewritten on each (re)configuration so a retry on another port works.
	p := filepath.Join(s.dataDir, "postgresql.auto.conf")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		return err
	}
	return s.chown(p)
}

func (s *Server) chown(path string) error {
	if s.cred == nil {
		return nil
	}
	return os.Chown(path, int(s.cred.Uid), int(s.cred.Gid))
}

func (s *Server) createDatabase(ctx context.Context, name string) error {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"),
		Host: net.JoinHostPort(s.Host(), strconv.Itoa(s.port)), Path: "/postgres", RawQuery: "sslmode=disable"}
	c, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("testpg: connect: %w", err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" STRATEGY = FILE_COPY"); err != nil {
		return fmt.Errorf("testpg: create database %q: %w", name, err)
	}
	return nil
}

// removeStale deletes server directories left behind by test processes that
// were killed before Close: older than an hour and with no live postmaster.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "omendb-testpg-*"))
	for _, d := range dirs {
		base := filepath.Base(d)
		if strings.HasPrefix(base, "omendb-testpg-template-") || strings.HasPrefix(base, "omendb-testpg-initdb-") {
			continue
		}
		st, err := os.Stat(d)
		if err != nil || time.Since(st.ModTime()) < time.Hour {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			pid := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
			if _, err := os.Stat("/proc/" + pid); err == nil {
				continue // still running
			}
		}
		_ = os.RemoveAll(d)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// findBinDir locates the PostgreSQL server binaries.
func findBinDir(override string) (string, error) {
	var cands []string
	if override != "" {
		cands = append(cands, override)
	}
	if env := os.Getenv("OMENDB_PG_BINDIR"); env != "" {
		cands = append(cands, env)
	}
	// PostgreSQL 15 is the reference; pg_config (Debian's wrapper picks the
	// newest installed major) and other versions are fallbacks.
	cands = append(cands, "/usr/lib/postgresql/15/bin")
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		cands = append(cands, strings.TrimSpace(string(out)))
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(m) > 0 {
		sort.Sort(sort.Reverse(sort.StringSlice(m))) // newest major first (lexical is fine for 1x)
		cands = append(cands, m...)
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		cands = append(cands, filepath.Dir(p))
	}
	for _, d := range cands {
		if isExec(filepath.Join(d, "postgres")) && isExec(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", errors.New("testpg: no PostgreSQL server binaries (initdb, postgres) found; install the Debian packages postgresql-15 and postgresql-client-15, or set OMENDB_PG_BINDIR")
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

var (
	tmplMu   sync.Mutex
	tmplDirs = map[string]string{} // bin dir → template dir, per process
)

// template returns a directory holding a freshly initdb'd cluster, created
// once per machine, binaries and user (keyed by their hash) and shared by
// copying.
func (s *Server) template(ctx context.Context) (string, error) {
	tmplMu.Lock()
	defer tmplMu.Unlock()
	if d, ok := tmplDirs[s.bin]; ok {
		if _, err := os.Stat(filepath.Join(d, "PG_VERSION")); err == nil {
			return d, nil
		}
	}
	ver, err := exec.Command(filepath.Join(s.bin, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("testpg: %s/postgres --version: %w", s.bin, err)
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d|v2", s.bin, ver, os.Geteuid())))
	dir := filepath.Join(os.TempDir(), "omendb-testpg-template-"+hex.EncodeToString(h[:6]))
	if st, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil && !st.IsDir() {
		tmplDirs[s.bin] = dir
		return dir, nil
	}
	tmp, err := os.MkdirTemp("", "omendb-testpg-initdb-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := s.chown(tmp); err != nil {
		return "", err
	}
	data := filepath.Join(tmp, "data")
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
		"--wal-segsize=1") // 1 MB WAL segments keep the template small to copy
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("testpg: initdb: %v: %s", err, lastLines(string(out), 20))
	}
	// Another process may have won the race; either copy is fine.
	if err := os.Rename(data, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "PG_VERSION")); serr != nil {
			return "", fmt.Errorf("testpg: install template: %w", err)
		}
	}
	tmplDirs[s.bin] = dir
	return dir, nil
}
