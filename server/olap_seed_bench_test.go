package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/olap"
)

// BenchmarkOLAPRecovery compares the two ways a column store without a
// checkpoint is rebuilt, on the same data in the same run: seeding it from
// the row store (olap.Store.Seed) and replaying the whole log into it (as
// the materializer does). Run it once per size:
//
//	go test -run XXX -bench OLAPRecovery -benchtime 1x ./server/
//
// Table bench_rec (id bigint primary key, a int, b text), loaded with
// INSERT … SELECT generate_series in 20k-row statements.
func BenchmarkOLAPRecovery(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("rows=%dM", n/1_000_000), func(b *testing.B) { benchOLAPRecovery(b, n) })
	}
}

func benchOLAPRecovery(b *testing.B, n int) {
	ctx := context.Background()
	s, err := Start(ctx, Config{Data: b.TempDir(), Listen: "127.0.0.1:0", Unsafe: true, CheckpointInterval: -1,
		RetentionInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://omendb@%s/omendb?sslmode=disable", s.Addr()))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `SET statement_timeout = 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Exec(ctx, `CREATE TABLE bench_rec (id bigint PRIMARY KEY, a int, b text)`); err != nil {
		b.Fatal(err)
	}
	const chunk = 20_000
	for lo := 1; lo <= n; lo += chunk {
		// ON CONFLICT: a statement that timed out on a loaded machine may
		// have committed; it is retried.
		q := fmt.Sprintf(`INSERT INTO bench_rec SELECT g, g %% 1000, 'row-' || g::text FROM generate_series(%d, %d) g ON CONFLICT DO NOTHING`, lo, min(lo+chunk-1, n))
		for try := 1; ; try++ {
			_, err := c.Exec(ctx, q)
			if err == nil {
				break
			}
			if try == 5 {
				b.Fatal(err)
			}
			b.Logf("load: %v; retrying", err)
		}
	}
	last := s.Store.Applied()
	if err := s.OLAP.Store.WaitApplied(ctx, last); err != nil {
		b.Fatal(err)
	}
	settle := func() { runtime.GC(); debug.FreeOSMemory() }
	for i := 0; i < b.N; i++ {
		settle()
		seeded := olap.New(nil, 0)
		start := time.Now()
		st, err := seeded.Seed(ctx, s.Store)
		seed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if st.Rows != int64(n) {
			b.Fatalf("seeded %d rows, want %d", st.Rows, n)
		}
		seeded.Close()
		settle()

		replayed := olap.New(nil, 0)
		start = time.Now()
		it, err := s.Log.Read(ctx, 1)
		if err != nil {
			b.Fatal(err)
		}
		for replayed.Applied() < last {
			e, err := it.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if err := replayed.Apply(e); err != nil {
				b.Fatal(err)
			}
		}
		replay := time.Since(start)
		it.Close()
		if got := replayed.Table(replayed.TableIDs()[0]).Live(); got != int64(n) {
			b.Fatalf("replayed %d rows, want %d", got, n)
		}
		replayed.Close()
		b.ReportMetric(seed.Seconds(), "seed-s")
		b.ReportMetric(replay.Seconds(), "replay-s")
		b.ReportMetric(float64(replay)/float64(seed), "replay/seed")
		b.Logf("rows %d, log records %d: seed %.2fs, replay %.2fs (%.1fx)", n, last, seed.Seconds(), replay.Seconds(), float64(replay)/float64(seed))
	}
}
