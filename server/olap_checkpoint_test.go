package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/olap"
)

func startTestServer(t *testing.T, data string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out io.Writer = io.Discard
	if os.Getenv("OMENDB_TEST_LOG") != "" {
		out = os.Stderr
	}
	s, err := Start(ctx, Config{Data: data, Listen: "127.0.0.1:0", Unsafe: true, CheckpointInterval: -1,
		Logger: slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(ctx); err != nil {
		s.Close()
		t.Fatal(err)
	}
	// The column store recovers after the row store: wait until it has
	// caught up with it.
	if err := s.OLAP.Store.WaitApplied(ctx, s.Store.Applied()); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s
}

func connect(t *testing.T, s *Server) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://omendb@%s/omendb?sslmode=disable", s.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func exec(t *testing.T, c *pgx.Conn, sqls ...string) {
	t.Helper()
	for _, q := range sqls {
		if _, err := c.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

var olapCkptQueries = []string{
	"SELECT id, a, b, n, d FROM ck ORDER BY id",
	"SELECT a % 7, count(*), sum(n), min(b), max(d) FROM ck GROUP BY a % 7 ORDER BY 1",
	"SELECT count(*), sum(id) FROM ck WHERE n > 10.5 AND b <> 'w3'",
	"SELECT x, y FROM nopk ORDER BY x, y",
	"SELECT count(*) FROM nopk WHERE y LIKE 'h1%'",
}

// answers runs every query with the row engine and the column engine and
// fails unless both agree; it returns the answers and checks that the
// column store served the column-engine statements.
func answers(t *testing.T, s *Server) string {
	t.Helper()
	ctx := context.Background()
	c := connect(t, s)
	defer c.Close(ctx)
	served := s.OLAP.Runner.Served.Load()
	run := func(engine string) string {
		exec(t, c, "SET omendb.engine = '"+engine+"'")
		var b strings.Builder
		for _, q := range olapCkptQueries {
			rows, err := c.Query(ctx, q)
			if err != nil {
				t.Fatalf("%s (%s): %v", q, engine, err)
			}
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&b, vals...)
			}
			if rows.Err() != nil {
				t.Fatalf("%s (%s): %v", q, engine, rows.Err())
			}
			b.WriteString("--\n")
		}
		return b.String()
	}
	row, col := run("row"), run("column")
	if row != col {
		t.Fatalf("column engine differs from the row engine:\nrow:\n%s\ncolumn:\n%s", row, col)
	}
	if d := s.OLAP.Runner.Served.Load() - served; d < int64(len(olapCkptQueries)) {
		t.Fatalf("the column store served %d of %d column statements", d, len(olapCkptQueries))
	}
	return row
}

func writeBatch(t *testing.T, s *Server, round int) {
	t.Helper()
	c := connect(t, s)
	defer c.Close(context.Background())
	lo, hi := round*300+1, round*300+300
	exec(t, c,
		fmt.Sprintf(`INSERT INTO ck SELECT g, g %% 13, 'w' || (g %% 5)::text, (g %% 1000)::numeric / 10, date '2020-01-01' + (g %% 400)
			FROM generate_series(%d, %d) g`, lo, hi),
		fmt.Sprintf("UPDATE ck SET a = a + 100, b = 'upd' WHERE id %% 11 = %d", round),
		fmt.Sprintf("DELETE FROM ck WHERE id %% 17 = %d", round),
		fmt.Sprintf("INSERT INTO nopk SELECT g %% 50, 'h' || g::text FROM generate_series(%d, %d) g", lo, lo+120),
		fmt.Sprintf("DELETE FROM nopk WHERE x = %d", round+3),
	)
}

// TestOLAPCheckpointRestart runs a real server with small segments, writes
// an OLAP checkpoint, writes more, restarts: the column store must load the
// checkpoint, replay the log after it, and answer every query as the row
// store does. Then a second checkpoint is damaged: the restart falls back
// to the older one, with the same answers.
func TestOLAPCheckpointRestart(t *testing.T) {
	defer func(n int) { olap.DefaultSegmentRows = n }(olap.DefaultSegmentRows)
	olap.DefaultSegmentRows = 64
	data := t.TempDir()
	s := startTestServer(t, data)
	c := connect(t, s)
	exec(t, c, "CREATE TABLE ck (id bigint PRIMARY KEY, a int, b text, n numeric(10,2), d date)",
		"CREATE TABLE nopk (x int, y text)")
	c.Close(context.Background())
	writeBatch(t, s, 0)
	writeBatch(t, s, 1)
	if err := s.OLAP.Store.WaitApplied(context.Background(), s.Store.Applied()); err != nil {
		t.Fatal(err)
	}
	m1, err := s.CheckpointOLAP()
	if err != nil || m1 == nil {
		t.Fatalf("OLAP checkpoint: %v, %v", m1, err)
	}
	if len(m1.Files) != 2 || m1.Files[0].Segments < 3 {
		t.Fatalf("checkpoint files %+v: want 2 tables with several segments", m1.Files)
	}
	if got := s.OLAP.neededFrom(); uint64(got) != m1.Offset {
		t.Fatalf("neededFrom %d after the first checkpoint at %d", got, m1.Offset)
	}
	writeBatch(t, s, 2) // replayed after the checkpoint
	want := answers(t, s)
	s.Close()

	s = startTestServer(t, data)
	if s.OLAP.ckptLast != m1.Offset {
		t.Fatalf("restart loaded OLAP checkpoint %d, want %d", s.OLAP.ckptLast, m1.Offset)
	}
	if got := answers(t, s); got != want {
		t.Fatalf("answers after the restart differ:\n%s\nwant:\n%s", got, want)
	}
	writeBatch(t, s, 3)
	if err := s.OLAP.Store.WaitApplied(context.Background(), s.Store.Applied()); err != nil {
		t.Fatal(err)
	}
	m2, err := s.CheckpointOLAP()
	if err != nil || m2 == nil || m2.Offset <= m1.Offset {
		t.Fatalf("second OLAP checkpoint: %v, %v", m2, err)
	}
	if got := s.OLAP.neededFrom(); uint64(got) != m1.Offset {
		t.Fatalf("neededFrom %d with checkpoints at %d and %d: want the older's", got, m1.Offset, m2.Offset)
	}
	want = answers(t, s)
	s.Close()

	// Damage the newest checkpoint's first table file.
	path := filepath.Join(OLAPCheckpointDir(data), m2.Files[0].Name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s = startTestServer(t, data)
	defer s.Close()
	if s.OLAP.ckptLast != m1.Offset {
		t.Fatalf("after damaging checkpoint %d the restart loaded %d, want the older %d", m2.Offset, s.OLAP.ckptLast, m1.Offset)
	}
	if got := answers(t, s); got != want {
		t.Fatalf("answers after falling back to the older checkpoint differ:\n%s\nwant:\n%s", got, want)
	}
}
