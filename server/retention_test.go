package server_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/backup"
	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/server"
)

func retentionConfig(window time.Duration) testserver.Option {
	return func(c *server.Config) {
		c.PITRWindow = window
		c.RetentionInterval = -1 // passes run by the test
		c.CheckpointInterval = -1
	}
}

type retRow struct {
	name   string
	offset int64
	detail string
}

func showRetention(t *testing.T, ctx context.Context, c *pgx.Conn) map[string]retRow {
	t.Helper()
	rows, err := c.Query(ctx, `SHOW omendb.log_retention`, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]retRow{}
	for rows.Next() {
		var r retRow
		if err := rows.Scan(&r.name, &r.offset, &r.detail); err != nil {
			t.Fatal(err)
		}
		out[r.name] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRetentionTrimsBelowFloor: the log is trimmed only below the lowest
// hold (checkpoints, the column store's holder, backup chains, the PITR
// window); reads below the first retained offset fail with ErrTrimmed;
// an incremental backup whose log is gone fails with 55000; a restart
// recovers every acknowledged row from the checkpoint and the retained log.
func TestRetentionTrimsBelowFloor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	data := t.TempDir()
	s := testserver.Start(t, testserver.WithDataDir(data), retentionConfig(-1))
	c, err := pgx.Connect(ctx, testserver.ConnString(s))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows := 0
	insert := func(n int) {
		t.Helper()
		for range n {
			rows++
			if _, err := c.Exec(ctx, `INSERT INTO t VALUES ($1, $2)`, rows, fmt.Sprintf("v%d", rows)); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkpoint := func() log.Offset {
		t.Helper()
		m, err := s.Checkpoint()
		if err != nil || m == nil {
			t.Fatalf("checkpoint: %v, %v", m, err)
		}
		return log.Offset(m.Offset)
	}
	if _, err := c.Exec(ctx, `CREATE TABLE t (id bigint PRIMARY KEY, v text)`); err != nil {
		t.Fatal(err)
	}
	insert(20)
	c1 := checkpoint()
	insert(20)
	c2 := checkpoint()
	insert(20)

	// The column store replays the whole log: nothing is trimmed.
	st, err := s.RetainLog(ctx)
	if err != nil || st.First != 1 || st.Floor != 0 {
		t.Fatalf("retention with the column store holding everything: %+v, %v", st, err)
	}
	// With the column store's need moved up, the floor is the oldest
	// checkpoint: the log keeps every record after it.
	s.HoldLog("olap", func() log.Offset { return c2 + 1 })
	if st, err = s.RetainLog(ctx); err != nil || st.First != c1+1 || st.Floor != c1+1 || st.Holds[0].Name != "checkpoint" {
		t.Fatalf("retention at the oldest checkpoint %d: %+v, %v", c1, st, err)
	}
	if _, err := s.Log.Read(ctx, c1); !errors.Is(err, log.ErrTrimmed) {
		t.Fatalf("reading below the first retained offset: %v, want ErrTrimmed", err)
	}
	if last, err := s.Log.Last(ctx); err != nil || last <= c2 {
		t.Fatalf("Last after trim: %d, %v", last, err)
	}
	sh := showRetention(t, ctx, c)
	if sh["first_offset"].offset != int64(c1+1) || sh["checkpoint"].offset != int64(c1+1) || sh["holder olap"].offset != int64(c2+1) {
		t.Fatalf("SHOW omendb.log_retention: %+v", sh)
	}

	// A backup chain holds the log after its end.
	bdir, bdir2 := filepath.Join(t.TempDir(), "b1"), filepath.Join(t.TempDir(), "b2")
	var to int64
	if err := c.QueryRow(ctx, `BACKUP TO '`+bdir+`'`, pgx.QueryExecModeSimpleProtocol).Scan(new(string), new(int64), &to, new(int64), new(int64)); err != nil {
		t.Fatalf("BACKUP: %v", err)
	}
	backupRows := rows
	insert(20)
	checkpoint()
	insert(5)
	c4 := checkpoint()
	s.HoldLog("olap", func() log.Offset { return c4 + 1 })
	if st, err = s.RetainLog(ctx); err != nil || st.First != log.Offset(to)+1 || !strings.HasPrefix(st.Holds[0].Name, "backup ") {
		t.Fatalf("retention with a backup chain ending at %d: %+v, %v", to, st, err)
	}
	if sh := showRetention(t, ctx, c); sh["backup "+bdir].offset != to+1 {
		t.Fatalf("SHOW omendb.log_retention has no hold for the chain: %+v", sh)
	}
	if _, err := c.Exec(ctx, `BACKUP TO '`+bdir+`' INCREMENTAL`, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("incremental backup with its log held: %v", err)
	}
	// A chain whose log is gone (trimmed directly, bypassing the holds)
	// cannot be continued: 55000, asking for a full backup.
	if _, err := c.Exec(ctx, `BACKUP TO '`+bdir2+`'`, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	insert(3)
	last, _ := s.Log.Last(ctx)
	if _, err := s.Log.Trim(ctx, last-1); err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, `BACKUP TO '`+bdir2+`' INCREMENTAL`, pgx.QueryExecModeSimpleProtocol)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != pgerr.ObjectNotInPrerequisiteState || !strings.Contains(pe.Message, "trimmed") || !strings.Contains(pe.Hint, "full backup") {
		t.Fatalf("incremental backup after its log was trimmed: %v, want 55000 naming the trim", err)
	}

	checkpoint() // the direct trim also passed the checkpoints: recovery needs a new one

	// Restore of the first backup (taken from a trimmed log): to its end
	// works, to a point before its checkpoint fails clearly.
	if _, err := backup.Restore(ctx, bdir, filepath.Join(t.TempDir(), "r0"), backup.Target{Offset: uint64(c1 + 2)}, nil); err == nil || !strings.Contains(err.Error(), "trimmed") {
		t.Fatalf("restore below the backup's first checkpoint: %v, want an error naming the trim", err)
	}
	if _, err := backup.Restore(ctx, bdir, filepath.Join(t.TempDir(), "r0"), backup.Target{Time: time.Now().Add(-time.Hour)}, nil); err == nil || !strings.Contains(err.Error(), "trimmed") {
		t.Fatalf("restore to a time before the backup's log: %v, want an error naming the trim", err)
	}
	res, err := backup.Restore(ctx, bdir, filepath.Join(t.TempDir(), "r1"), backup.Target{Offset: uint64(to)}, nil)
	if err != nil || res.Rows != int64(backupRows) {
		t.Fatalf("restore of a backup of a trimmed log: %+v, %v; want %d rows", res, err, backupRows)
	}

	// Restart: every acknowledged row is back (checkpoint + retained log).
	c.Close(ctx)
	s.Close()
	s = testserver.Start(t, testserver.WithDataDir(data), retentionConfig(time.Hour))
	c, err = pgx.Connect(ctx, testserver.ConnString(s))
	if err != nil {
		t.Fatal(err)
	}
	var n, sum int64
	if _, err := c.Exec(ctx, `SET omendb.engine = 'row'`); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*), sum(id) FROM t`).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != int64(rows) || sum != int64(rows*(rows+1)/2) {
		t.Fatalf("after trim and restart: %d rows (sum %d), want %d", n, sum, rows)
	}
	// With a PITR window, records inside it are kept whatever else allows.
	s.HoldLog("olap", nil)
	first, _ := s.Log.FirstOffset(ctx)
	insert(2)
	if _, err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if st, err = s.RetainLog(ctx); err != nil || st.First != first {
		t.Fatalf("retention inside the PITR window trimmed: %+v, %v", st, err)
	}
	if sh := showRetention(t, ctx, c); sh["pitr window"].offset > int64(first) {
		t.Fatalf("SHOW omendb.log_retention: pitr window hold %+v above the first offset %d", sh["pitr window"], first)
	}
}

// TestCheckpointAheadOfLogRefusesToStart: when the newest checkpoint is
// ahead of the log's last record (the log lost its tail), startup fails
// naming both offsets instead of silently falling back to an older state.
func TestCheckpointAheadOfLogRefusesToStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ahead, behind := t.TempDir(), t.TempDir()
	fill := func(data string, n int) uint64 {
		s := testserver.Start(t, testserver.WithDataDir(data), retentionConfig(-1))
		c, err := pgx.Connect(ctx, testserver.ConnString(s))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `CREATE TABLE t (id bigint PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if _, err := c.Exec(ctx, `INSERT INTO t VALUES ($1)`, i); err != nil {
				t.Fatal(err)
			}
		}
		c.Close(ctx)
		m, err := s.Checkpoint()
		if err != nil || m == nil {
			t.Fatalf("checkpoint: %v", err)
		}
		s.Close()
		return m.Offset
	}
	far := fill(ahead, 30)
	short := fill(behind, 3)
	// The shorter log gets the longer one's checkpoint: as if its tail of
	// records (short, far] had been lost.
	src := server.CheckpointDir(ahead)
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(server.CheckpointDir(behind), e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := server.Start(ctx, server.Config{Data: behind, Listen: "127.0.0.1:0", Unsafe: true})
	if err == nil {
		s.Close()
		t.Fatal("started with a checkpoint ahead of the log")
	}
	for _, want := range []string{fmt.Sprintf("offset %d", far), fmt.Sprintf("ends at offset %d", short), "ahead of the log"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("startup error %q does not say %q", err, want)
		}
	}
}
