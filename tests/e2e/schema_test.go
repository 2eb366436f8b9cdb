package e2e

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/checkpoint"
	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/server"
)

// schemaState reads what TestSchemasSurviveRestart checks after each
// start: the user schemas with their OIDs, the relations and types in
// them, rows read through qualified names and through search_path.
func schemaState(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, q := range []string{
		`SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname LIKE 'sch%'`,
		`SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind, ',' ORDER BY n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'sch%'`,
		`SELECT string_agg(n.nspname || '.' || t.typname, ',' ORDER BY t.typname) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname LIKE 'sch%' AND t.typtype = 'e'`,
		`SELECT string_agg(format('%s:%s:%s', id, c, v), ' ' ORDER BY id) FROM scha.t`,
		`SELECT string_agg(id::text, ',' ORDER BY id) FROM schb.t`,
		`SELECT string_agg(id::text, ',' ORDER BY id) FROM scha.v`,
		`SELECT nextval('scha.seq')::text`,
		`SET search_path TO schb, scha`,
		`SELECT string_agg(id::text, ',' ORDER BY id) FROM t`,
		`RESET search_path`,
	} {
		if strings.HasPrefix(q, "SET") || strings.HasPrefix(q, "RESET") {
			exec1(t, c, q)
			continue
		}
		var s string
		if err := c.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		b.WriteString(s + "\n")
	}
	return b.String()
}

// TestSchemasSurviveRestart: user schemas are catalog state —
// create_schema and drop_schema changes in the log, and part of row-store
// checkpoints — and so are the objects in them, after a restart that
// replays the log and after one that loads a checkpoint.
func TestSchemasSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c := testserver.Connect(t, srv)
	for _, s := range []string{
		`CREATE SCHEMA scha`,
		`CREATE SCHEMA schb`,
		`CREATE SCHEMA schgone`,
		`CREATE TYPE scha.color AS ENUM ('red', 'blue')`,
		`CREATE TABLE scha.t (id int PRIMARY KEY, c scha.color, v text)`,
		`CREATE INDEX t_v ON scha.t (v)`,
		`CREATE TABLE schb.t (id int PRIMARY KEY, a_id int REFERENCES scha.t (id))`,
		`CREATE SEQUENCE scha.seq`,
		`CREATE VIEW scha.v AS SELECT id FROM scha.t WHERE c = 'red'`,
		`INSERT INTO scha.t VALUES (1, 'red', 'x'), (2, 'blue', 'y')`,
		`INSERT INTO schb.t VALUES (7, 1)`,
		`CREATE TABLE schgone.t (a int)`,
		`DROP SCHEMA schgone CASCADE`,
	} {
		exec1(t, c, s)
	}
	// COPY into a table of a user schema.
	if n, err := c.CopyFrom(context.Background(), pgx.Identifier{"schb", "t"}, []string{"id", "a_id"}, pgx.CopyFromRows([][]any{{int32(8), int32(2)}})); err != nil || n != 1 {
		t.Fatalf("COPY schb.t: %d, %v", n, err)
	}
	want := "scha,schb\n" +
		"scha.seq:S,scha.t:r,scha.t_pkey:i,scha.t_v:i,scha.v:v,schb.t:r,schb.t_pkey:i\n" +
		"scha.color\n" + "1:red:x 2:blue:y\n" + "7,8\n" + "1\n" + "1\n" + "7,8\n"
	if got := schemaState(t, c); got != want {
		t.Fatalf("before restart:\n%s\nwant:\n%s", got, want)
	}
	next := func(w string, n int) string {
		return strings.Replace(w, "\n1\n7,8\n", "\n"+string(rune('0'+n))+"\n7,8\n", 1)
	}

	srv.Close()
	if ents, _ := os.ReadDir(server.CheckpointDir(dir)); len(ents) > 0 {
		t.Fatalf("a checkpoint was written: %v", ents)
	}
	srv = testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c = testserver.Connect(t, srv)
	if got := schemaState(t, c); got != next(want, 2) {
		t.Fatalf("after replaying the log:\n%s\nwant:\n%s", got, next(want, 2))
	}
	exec1(t, c, `CREATE SCHEMA schgone`) // dropped before the restart
	exec1(t, c, `DROP SCHEMA schgone`)

	if _, err := srv.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	st, _, err := checkpoint.Load(server.CheckpointDir(dir), math.MaxUint64, "learned", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || st == nil {
		t.Fatalf("no checkpoint loaded: %v", err)
	}
	if sc, ok := st.Catalog().LookupSchema("scha"); !ok || sc.ID == 0 || len(st.Catalog().Schemas()) != 2 {
		t.Fatalf("checkpoint catalog schemas: %+v", st.Catalog().Schemas())
	}
	srv = testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c = testserver.Connect(t, srv)
	if got := schemaState(t, c); got != next(want, 3) {
		t.Fatalf("after loading the checkpoint:\n%s\nwant:\n%s", got, next(want, 3))
	}
	exec1(t, c, `DROP SCHEMA scha, schb CASCADE`)
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'sch%'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("schemas after DROP: %d, %v", n, err)
	}
}
