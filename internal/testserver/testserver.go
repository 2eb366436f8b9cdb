// Package testserver starts an in-process OmenDB (embedded JetStream in a
// temporary directory, pgwire on a random loopback port) for tests.
package testserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/server"
)

// Option adjusts the server configuration.
type Option func(*server.Config)

// Durable makes commits fsync as in production (tests default to the unsafe
// mode: a test process crash is not a power loss).
func Durable() Option { return func(c *server.Config) { c.Unsafe = false } }

// WithDataDir uses dir instead of a fresh temporary directory (restarts).
func WithDataDir(dir string) Option { return func(c *server.Config) { c.Data = dir } }

// WithIndex selects the default index structure.
func WithIndex(m string) Option { return func(c *server.Config) { c.IndexMethod = m } }

// Start starts OmenDB and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *server.Server {
	t.Helper()
	cfg := server.Config{Data: t.TempDir(), Listen: "127.0.0.1:0", HTTP: "127.0.0.1:0", Unsafe: true, IndexMethod: "learned"}
	var out io.Writer = io.Discard
	if os.Getenv("OMENDB_TEST_LOG") != "" {
		out = os.Stderr
	}
	cfg.Logger = slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := server.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("starting OmenDB: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.WaitReady(ctx); err != nil {
		t.Fatalf("OmenDB recovery: %v", err)
	}
	return s
}

// ConnString returns a pgx/libpq URL for s.
func ConnString(s *server.Server) string {
	return fmt.Sprintf("postgres://omendb@%s/omendb?sslmode=disable", s.Addr())
}

// Connect opens a pgx connection to s, closed when the test ends.
func Connect(t testing.TB, s *server.Server) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), ConnString(s))
	if err != nil {
		t.Fatalf("connecting to OmenDB: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}
