package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/checkpoint"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/olap"
)

// startSeedServer starts a server on data with checkpoints every ckpt (<0:
// never), no PITR window and retention passes run by the test, and waits
// until the column store has caught up with the row store.
func startSeedServer(t *testing.T, data string, ckpt time.Duration) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out io.Writer = io.Discard
	if os.Getenv("OMENDB_TEST_LOG") != "" {
		out = os.Stderr
	}
	s, err := Start(ctx, Config{Data: data, Listen: "127.0.0.1:0", Unsafe: true, CheckpointInterval: ckpt,
		PITRWindow: -1, RetentionInterval: -1,
		Logger: slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(ctx); err != nil {
		s.Close()
		t.Fatal(err)
	}
	if err := s.OLAP.Store.WaitApplied(ctx, s.Store.Applied()); err != nil {
		s.Close()
		t.Fatalf("the column store did not catch up: %v (materializer: %v)", err, s.OLAP.Mat.Err())
	}
	return s
}

// asOfAnswers runs the queries at omendb.as_of = off with the given engine;
// it returns the answers, or the first error's SQLSTATE.
func asOfAnswers(t *testing.T, s *Server, engine string, off uint64) (string, string) {
	t.Helper()
	ctx := context.Background()
	c := connect(t, s)
	defer c.Close(ctx)
	exec(t, c, "SET omendb.engine = '"+engine+"'")
	var b strings.Builder
	for _, q := range append([]string{fmt.Sprintf("SET omendb.as_of = '%d'", off)}, olapCkptQueries...) {
		rows, err := c.Query(ctx, q)
		if err == nil {
			for rows.Next() {
				vals, _ := rows.Values()
				fmt.Fprintln(&b, vals...)
			}
			err = rows.Err()
		}
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return "", pe.Code
			}
			t.Fatalf("%s (%s, as_of %d): %v", q, engine, off, err)
		}
		b.WriteString("--\n")
	}
	return b.String(), ""
}

// TestOLAPSeedAfterTrim: the column store's checkpoints are lost and the log
// is trimmed below what a replay from offset 1 needs. The restart seeds the
// column store from the row store at R (the row store's offset after its
// own checkpoint and replay), the column engine answers every query as the
// row engine does, also for writes after R; a read as of a point below R
// (still inside the row store's window) is served by the row store with
// omendb.engine = auto and refused with 22023 when the column engine is
// forced. An OLAP checkpoint is written after the seeding (recording R as
// its oldest point), and the next restart loads it instead of seeding.
func TestOLAPSeedAfterTrim(t *testing.T) {
	defer func(n int) { olap.DefaultSegmentRows = n }(olap.DefaultSegmentRows)
	olap.DefaultSegmentRows = 64
	ctx := context.Background()
	data := t.TempDir()
	s := startSeedServer(t, data, -1)
	c := connect(t, s)
	exec(t, c, "CREATE TABLE ck (id bigint PRIMARY KEY, a int, b text, n numeric(10,2), d date)",
		"CREATE TABLE nopk (x int, y text)")
	c.Close(ctx)
	writeBatch(t, s, 0)
	writeBatch(t, s, 1)
	if _, err := s.CheckpointOLAP(); err != nil { // lost below
		t.Fatal(err)
	}
	if _, err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	writeBatch(t, s, 2)
	c2, err := s.Checkpoint()
	if err != nil || c2 == nil {
		t.Fatalf("checkpoint: %v %v", c2, err)
	}
	writeBatch(t, s, 3) // replayed by the row store at the restart: R > c2
	// Trim the log below the newest OLTP checkpoint's predecessor, as far
	// as the checkpoints allow, once the column store no longer holds it.
	s.HoldLog("olap", func() log.Offset { return log.Offset(c2.Offset) + 1 })
	st, err := s.RetainLog(ctx)
	if err != nil || st.First <= 1 {
		t.Fatalf("retention did not trim: %+v, %v", st, err)
	}
	s.Close()
	if err := os.RemoveAll(OLAPCheckpointDir(data)); err != nil {
		t.Fatal(err)
	}

	s = startSeedServer(t, data, time.Hour)
	R := s.OLAP.Store.Oldest()
	if R == 0 || R <= c2.Offset {
		t.Fatalf("column store not seeded after the trim: oldest %d, applied %d, row checkpoint %d", R, s.OLAP.Store.Applied(), c2.Offset)
	}
	writeBatch(t, s, 4) // applied by the materializer on top of the seed
	if err := s.OLAP.Store.WaitApplied(ctx, s.Store.Applied()); err != nil {
		t.Fatal(err)
	}
	want := answers(t, s)

	// Below R, inside the row store's window (it loaded c2 and replayed on).
	below := c2.Offset
	rowAns, code := asOfAnswers(t, s, "row", below)
	if code != "" {
		t.Fatalf("row store as of %d (its checkpoint): %s", below, code)
	}
	fallbacks := s.OLAP.Runner.Fallbacks.Load()
	if got, code := asOfAnswers(t, s, "auto", below); code != "" || got != rowAns {
		t.Fatalf("auto as of %d below the seed %d: %q (code %s), want the row store's\n%s", below, R, got, code, rowAns)
	}
	if s.OLAP.Runner.Fallbacks.Load() == fallbacks {
		t.Fatalf("as of %d below the seed at %d: the column store did not hand the statements to the row store", below, R)
	}
	if _, code := asOfAnswers(t, s, "column", below); code != "22023" {
		t.Fatalf("column engine as of %d below the seed at %d: code %q, want 22023", below, R, code)
	}
	// At R the column store serves.
	rowAt, _ := asOfAnswers(t, s, "row", R)
	if got, code := asOfAnswers(t, s, "column", R); code != "" || got != rowAt {
		t.Fatalf("column engine as of the seed offset %d: %q (%s), want\n%s", R, got, code, rowAt)
	}

	// The checkpoint written after seeding records R.
	var m *checkpoint.OLAPManifest
	for deadline := time.Now().Add(30 * time.Second); m == nil; {
		ms, _ := checkpoint.ListOLAP(OLAPCheckpointDir(data), nil)
		if len(ms) > 0 {
			m = ms[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no OLAP checkpoint was written after seeding")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m.Oldest != R || m.Offset < R {
		t.Fatalf("OLAP checkpoint after seeding: offset %d oldest %d, want oldest %d", m.Offset, m.Oldest, R)
	}
	if got := s.OLAP.neededFrom(); uint64(got) < R {
		t.Fatalf("the column store holds the log from %d, below its seed %d", got, R)
	}
	s.Close()

	s = startSeedServer(t, data, time.Hour)
	defer s.Close()
	s.OLAP.ckptMu.Lock()
	loaded := s.OLAP.ckptLast
	s.OLAP.ckptMu.Unlock()
	if loaded < m.Offset || s.OLAP.Store.Oldest() != R {
		t.Fatalf("second restart: loaded OLAP checkpoint %d (oldest %d), want one at or after %d with oldest %d", loaded, s.OLAP.Store.Oldest(), m.Offset, R)
	}
	if got := answers(t, s); got != want {
		t.Fatalf("answers after the restart from the post-seed checkpoint differ:\n%s\nwant:\n%s", got, want)
	}
	// (The row store now starts from its shutdown checkpoint: below R is
	// also below its own window, refused when the point is set.)
	if _, code := asOfAnswers(t, s, "column", below); code != "22023" {
		t.Fatalf("after loading the post-seed checkpoint, column engine as of %d: code %q, want 22023", below, code)
	}
}
