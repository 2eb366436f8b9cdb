package server_test

import (
	"context"
	"testing"

	"github.com/omendb/omendb/checkpoint"
	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/server"
)

// TestCheckpointStatement: the CHECKPOINT command writes a checkpoint of
// everything committed before it (a restart then replays nothing older),
// and pg_stat_bgwriter counts it as requested.
func TestCheckpointStatement(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	s := testserver.Start(t, testserver.WithDataDir(data))
	c := testserver.Connect(t, s)
	var before int64
	if err := c.QueryRow(ctx, `SELECT checkpoints_req FROM pg_stat_bgwriter`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`CREATE TABLE ck (id int PRIMARY KEY)`, `INSERT INTO ck SELECT g FROM generate_series(1, 1000) g`, `CHECKPOINT`} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	applied := uint64(s.Store.Applied())
	ms, err := checkpoint.List(server.CheckpointDir(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	newest := uint64(0)
	for _, m := range ms {
		newest = max(newest, m.Offset)
	}
	if newest < applied {
		t.Fatalf("after CHECKPOINT the newest checkpoint is at offset %d, the row store has applied %d", newest, applied)
	}
	var after int64
	if err := c.QueryRow(ctx, `SELECT checkpoints_req FROM pg_stat_bgwriter`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before+1 {
		t.Fatalf("checkpoints_req %d → %d, want one more", before, after)
	}
}
