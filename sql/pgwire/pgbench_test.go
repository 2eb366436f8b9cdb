package pgwire

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestPgbench measures the wire layer alone with pgbench (64 clients, a
// one-row SELECT against the test engine) in each protocol mode. It is a
// measurement, not a check: run it with PGWIRE_PGBENCH=1 -v.
func TestPgbench(t *testing.T) {
	if os.Getenv("PGWIRE_PGBENCH") == "" {
		t.Skip("set PGWIRE_PGBENCH=1 to run pgbench")
	}
	needTextIO(t)
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		t.Skip("pgbench not installed")
	}
	_, _, addr := startServer(t, Config{})
	host, port, _ := net.SplitHostPort(addr)
	script := filepath.Join(t.TempDir(), "select.sql")
	if err := os.WriteFile(script, []byte("select 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tpsRE := regexp.MustCompile(`tps = ([0-9.]+)`)
	for _, mode := range []string{"simple", "extended", "prepared"} {
		cmd := exec.Command(pgbench, "-n", "-h", host, "-p", port, "-U", "bench", "-c", "64", "-j", "2",
			"-T", "5", "-M", mode, "-f", script, "db")
		cmd.Env = append(os.Environ(), "PGSSLMODE=disable")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("pgbench -M %s: %v\n%s", mode, err, out.String())
		}
		m := tpsRE.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no tps in pgbench output:\n%s", out.String())
		}
		t.Logf("pgbench -M %s -c 64: %s tps", mode, m[1])
		fmt.Fprintln(os.Stderr, out.String())
	}
}
