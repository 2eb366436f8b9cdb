package testpg

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestStartQueryRestart(t *testing.T) {
	begin := time.Now()
	pg := Start(t, WithDatabase("omen_test"), WithNoFsync(), WithConfig("work_mem = '8MB'"))
	t.Logf("started in %v at %s", time.Since(begin), pg.ConnString())
	if !strings.HasPrefix(pg.ConnString(), "postgres://postgres@127.0.0.1:") || pg.Port() == 0 || pg.Host() != "127.0.0.1" {
		t.Fatalf("bad address: %s %d %s", pg.ConnString(), pg.Port(), pg.Host())
	}
	ctx := context.Background()
	c := pg.Conn()
	var db, wal, fsync, work, ver string
	if err := c.QueryRow(ctx, "SELECT current_database(), current_setting('wal_level'), current_setting('fsync'), current_setting('work_mem'), current_setting('server_version_num')").
		Scan(&db, &wal, &fsync, &work, &ver); err != nil {
		t.Fatal(err)
	}
	if db != "omen_test" || wal != "logical" || fsync != "off" || work != "8MB" || !strings.HasPrefix(ver, "15") {
		t.Fatalf("got db=%s wal=%s fsync=%s work_mem=%s version=%s", db, wal, fsync, work, ver)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}
	// The unix socket lives in the data directory.
	if _, err := os.Stat(filepath.Join(pg.SocketDir(), ".s.PGSQL."+itoa(pg.Port()))); err != nil {
		t.Fatalf("no unix socket: %v", err)
	}
	// psql accepts the same URL.
	out, err := exec.Command("psql", pg.ConnString(), "-XAtc", "SELECT count(*) FROM t").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "2" {
		t.Fatalf("psql %s: %v: %s", pg.ConnString(), err, out)
	}
	port := pg.Port()
	pg.Restart()
	if pg.Port() != port {
		t.Fatalf("port changed across restart")
	}
	c2, err := pgx.Connect(ctx, pg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	var n int
	if err := c2.QueryRow(ctx, "SELECT sum(a) FROM t").Scan(&n); err != nil || n != 3 {
		t.Fatalf("after restart: n=%d err=%v", n, err)
	}
	// Close removes the directory and stops the server.
	dir := pg.DataDir()
	if err := pg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("data dir not removed: %v", err)
	}
	ctx2, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if c3, err := pgx.Connect(ctx2, pg.ConnString()); err == nil {
		c3.Close(ctx)
		t.Fatal("server still accepts connections after Close")
	}
}

func TestStartServerDefaultsFsyncOn(t *testing.T) {
	s, err := StartServer(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := pgx.Connect(context.Background(), s.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var fsync, db, slots string
	if err := c.QueryRow(context.Background(), "SELECT current_setting('fsync'), current_database(), current_setting('max_replication_slots')").Scan(&fsync, &db, &slots); err != nil {
		t.Fatal(err)
	}
	if fsync != "on" || db != "postgres" || slots != "10" {
		t.Fatalf("fsync=%s db=%s slots=%s", fsync, db, slots)
	}
}

func TestFindBinDirIsPostgres15(t *testing.T) {
	dir, err := findBinDir(t.TempDir()) // an empty override falls through to the machine's
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), " 15.") {
		t.Fatalf("%s/postgres is not PostgreSQL 15: %s", dir, out)
	}
}

func itoa(i int) string {
	var b []byte
	if i == 0 {
		return "0"
	}
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}

// fatalTB records Fatalf instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fatalTB) Helper() {}

// A server that cannot start fails the test (never skips) and leaves no
// directory behind. It runs in a temporary directory of its own, so that
// servers other packages' tests start at the same time do not count.
func TestStartFailsTheTest(t *testing.T) {
	tmp, err := os.MkdirTemp("", "testpg-private-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o1777); err != nil { // the postgres user writes here
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	ft := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(ft, WithNoFsync(), WithConfig("shared_buffers = 'not a size'"))
	}()
	<-done
	if !strings.Contains(ft.msg, "cannot start PostgreSQL") || !strings.Contains(ft.msg, "shared_buffers") {
		t.Fatalf("Start did not fail with the server's reason: %q", ft.msg)
	}
	// Only the initdb template (a cache kept on purpose) may remain.
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	for _, d := range left {
		if !strings.HasPrefix(filepath.Base(d), "omendb-testpg-template-") {
			t.Fatalf("leaked directories: %v", left)
		}
	}
}
