package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testproc"
	"github.com/omendb/omendb/log"
)

// TestCorruptRecordStopsRecovery: a log record that fails its checksum
// stops recovery with an error naming its offset — the server stays up but
// not ready, and refuses queries — instead of skipping it silently.
func TestCorruptRecordStopsRecovery(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	p := startServe(t, data)
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`CREATE TABLE k (id int PRIMARY KEY)`, `INSERT INTO k SELECT g FROM generate_series(1, 10) g`} {
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	c.Close(ctx)
	p.Kill()

	// A record whose bytes are garbage: checksum failure.
	off, err := log.InjectRaw(ctx, log.Options{Dir: data}, []byte("OL\x01\x01\x00\x00\x00\x00\x00\x04garbage!"))
	if err != nil {
		t.Fatalf("inject: %v", err)
	}

	srv := testproc.StartNoWait(t, data, nil)
	httpPort, pgPort := srv.HTTPPort, srv.PGPort
	logPath := srv.LogPath
	var body string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", httpPort))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				t.Fatalf("server became ready despite a corrupt record at offset %d", off)
			}
			body = string(b)
			if strings.Contains(body, "failed") {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(body, fmt.Sprintf("offset %d", off)) {
		logged, _ := os.ReadFile(logPath)
		t.Fatalf("/readyz does not name the corrupt offset %d: %q\nlog:\n%s", off, body, logged)
	}
	// Health is still reported (the process runs) and queries are refused.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", httpPort))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz: %v", err)
	}
	resp.Body.Close()
	qc, err := pgx.Connect(ctx, fmt.Sprintf("postgres://omendb@127.0.0.1:%d/omendb?sslmode=disable&connect_timeout=10", pgPort))
	if err == nil {
		qc.Close(ctx)
		t.Fatal("a session was accepted while recovery had failed")
	}
	if code := sqlstate(err); code != "57P03" {
		t.Fatalf("connection error %v, want 57P03", err)
	}
}
