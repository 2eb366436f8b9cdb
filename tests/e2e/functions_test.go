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

// functionState reads what TestFunctionsSurviveRestart checks after each
// start: calls of every kind of function, the view that calls one, and
// the functions' pg_proc rows with their OIDs and definitions.
func functionState(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, q := range []string{
		`SELECT format('%s %s %s %s', inc(41), inc(NULL), strict_inc(NULL) IS NULL, fa.greet('x'))`,
		`SELECT string_agg(format('%s:%s', item, n), ',' ORDER BY item) FROM stock(1)`,
		`SELECT string_agg(x::text, ',') FROM fa.evens(6) AS x`,
		`SELECT string_agg(format('%s:%s', id, q), ',' ORDER BY id) FROM v_inc`,
		`SELECT string_agg(format('%s/%s/%s/%s', oid, proname, pg_get_function_arguments(oid), provolatile), ',' ORDER BY proname) FROM pg_proc WHERE pronamespace IN ('public'::regnamespace, 'fa'::regnamespace)`,
		`SELECT pg_get_functiondef('fa.greet'::regproc)`,
		`SELECT format('%s %s', pl_twice(21), (SELECT lanname FROM pg_language l JOIN pg_proc p ON p.prolang = l.oid WHERE p.proname = 'pl_twice'))`,
		`SELECT string_agg(format('%s:%s', pg_get_triggerdef(oid), tgenabled), ';' ORDER BY tgname) FROM pg_trigger`,
	} {
		var s string
		if err := c.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		b.WriteString(s + "\n")
	}
	return b.String()
}

// TestFunctionsSurviveRestart: user-defined functions are catalog state —
// create_function and drop_function changes in the log, and part of
// row-store checkpoints — after a restart that replays the log and after
// one that loads a checkpoint, with the same OIDs, and the dependency of a
// view on a function is kept.
func TestFunctionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c := testserver.Connect(t, srv)
	for _, s := range []string{
		`CREATE SCHEMA fa`,
		`CREATE TABLE items (id int PRIMARY KEY, name text, qty int)`,
		`INSERT INTO items VALUES (1, 'apple', 10), (2, 'pear', 0), (3, 'plum', 4)`,
		`CREATE FUNCTION inc(a int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + 1'`,
		`CREATE FUNCTION strict_inc(a int) RETURNS int LANGUAGE sql STRICT RETURN a + 1`,
		`CREATE FUNCTION fa.greet(name text, greeting text DEFAULT 'hello') RETURNS text LANGUAGE sql STABLE AS $$ SELECT greeting || ' ' || name $$`,
		`CREATE FUNCTION stock(minq int) RETURNS TABLE(item text, n int) LANGUAGE sql AS $$ SELECT name, qty FROM items WHERE qty >= minq $$`,
		`CREATE FUNCTION fa.evens(n int) RETURNS SETOF int LANGUAGE sql BEGIN ATOMIC SELECT g FROM generate_series(2, n, 2) AS g; END`,
		`CREATE FUNCTION gone(a int) RETURNS int LANGUAGE sql AS 'SELECT a'`,
		`DROP FUNCTION gone(int)`,
		`CREATE FUNCTION renamed_from() RETURNS int LANGUAGE sql AS 'SELECT 7'`,
		`ALTER FUNCTION renamed_from() RENAME TO renamed`,
		`CREATE OR REPLACE FUNCTION inc(a int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + 1 + 0'`,
		`CREATE VIEW v_inc AS SELECT id, inc(qty) AS q FROM items`,
		`CREATE FUNCTION pl_twice(a int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN a * 2; END $$`,
		`CREATE TABLE trg_t (id int PRIMARY KEY, v int)`,
		`CREATE FUNCTION trg_double() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := NEW.v * 2; RETURN NEW; END $$`,
		`CREATE TRIGGER t_double BEFORE INSERT ON trg_t FOR EACH ROW EXECUTE FUNCTION trg_double()`,
		`CREATE TRIGGER t_off BEFORE INSERT ON trg_t FOR EACH ROW EXECUTE FUNCTION trg_double()`,
		`ALTER TABLE trg_t DISABLE TRIGGER t_off`,
	} {
		exec1(t, c, s)
	}
	state := func() string { return functionState(t, c) }
	// The trigger fires (once: the disabled one does not) after each start.
	fires := func(id int) {
		t.Helper()
		var v int
		if err := c.QueryRow(context.Background(), `INSERT INTO trg_t VALUES ($1, 5) RETURNING v`, id).Scan(&v); err != nil || v != 10 {
			t.Fatalf("insert through the trigger: v = %d, %v; want 10", v, err)
		}
	}
	fires(1)
	want := state()
	for _, s := range []string{"42  t hello x", "apple:10,plum:4", "2,4,6", "1:11,2:1,3:5", "/renamed//v", "CREATE OR REPLACE FUNCTION fa.greet(name text, greeting text DEFAULT 'hello'::text)", "42 plpgsql",
		"CREATE TRIGGER t_double BEFORE INSERT ON public.trg_t FOR EACH ROW EXECUTE FUNCTION trg_double():O;CREATE TRIGGER t_off BEFORE INSERT ON public.trg_t FOR EACH ROW EXECUTE FUNCTION trg_double():D"} {
		if !strings.Contains(want, s) {
			t.Fatalf("before restart: %q lacks %q", want, s)
		}
	}
	if strings.Contains(want, "gone") || strings.Contains(want, "renamed_from") {
		t.Fatalf("before restart: dropped or renamed functions listed: %q", want)
	}
	mustFail := func(q, code string) {
		t.Helper()
		if _, err := c.Exec(context.Background(), q); err == nil || !strings.Contains(err.Error(), code) {
			t.Fatalf("%s: %v, want %s", q, err, code)
		}
	}

	srv.Close()
	if ents, _ := os.ReadDir(server.CheckpointDir(dir)); len(ents) > 0 {
		t.Fatalf("a checkpoint was written: %v", ents)
	}
	srv = testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c = testserver.Connect(t, srv)
	if got := state(); got != want {
		t.Fatalf("after replaying the log:\n%s\nwant:\n%s", got, want)
	}
	fires(2)
	mustFail(`DROP FUNCTION inc(int)`, "2BP01")
	mustFail(`SELECT gone(1)`, "42883")

	if _, err := srv.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	st, _, err := checkpoint.Load(server.CheckpointDir(dir), math.MaxUint64, "learned", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || st == nil {
		t.Fatalf("no checkpoint loaded: %v", err)
	}
	if n := len(st.Catalog().Functions()); n != 8 {
		t.Fatalf("checkpoint catalog has %d functions, want 8", n)
	}
	srv = testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c = testserver.Connect(t, srv)
	if got := state(); got != want {
		t.Fatalf("after loading the checkpoint:\n%s\nwant:\n%s", got, want)
	}
	fires(3)
	mustFail(`DROP FUNCTION inc(int)`, "2BP01")
	exec1(t, c, `DROP FUNCTION inc(int) CASCADE`)
	exec1(t, c, `DROP SCHEMA fa CASCADE`)
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM pg_proc WHERE proname IN ('inc', 'greet', 'evens') OR proname = 'v_inc'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after DROP … CASCADE: %d functions left, %v", n, err)
	}
	mustFail(`SELECT * FROM v_inc`, "42P01")
}
