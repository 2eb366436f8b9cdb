package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// TestTriggersCopyAndExtendedProtocol: rows written by COPY FROM (text and
// binary) and by prepared statements with bound parameters — the paths
// that do not go through a bound INSERT plan or take OmenDB's point paths —
// go through the table's triggers as INSERT's do: a BEFORE ROW trigger
// changes or skips each row, AFTER ROW triggers see every row once the
// statement's rows are written, statement triggers run once.
func TestTriggersCopyAndExtendedProtocol(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	c := testserver.Connect(t, srv)
	for _, s := range []string{
		`CREATE TABLE tc (id int PRIMARY KEY, name text, stamped boolean DEFAULT false)`,
		`CREATE TABLE tc_log (what text, n bigint)`,
		`CREATE FUNCTION tc_before() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN
		   IF NEW.name = 'skip' THEN RETURN NULL; END IF;
		   NEW.name := upper(NEW.name);
		   NEW.stamped := true;
		   RETURN NEW;
		 END $$`,
		`CREATE FUNCTION tc_after() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN
		   INSERT INTO tc_log SELECT 'row ' || NEW.id, count(*) FROM tc;
		   RETURN NULL;
		 END $$`,
		`CREATE FUNCTION tc_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN INSERT INTO tc_log VALUES (TG_WHEN || ' ' || TG_OP, NULL); RETURN NULL; END $$`,
		`CREATE TRIGGER b BEFORE INSERT OR UPDATE ON tc FOR EACH ROW EXECUTE FUNCTION tc_before()`,
		`CREATE TRIGGER a AFTER INSERT ON tc FOR EACH ROW EXECUTE FUNCTION tc_after()`,
		`CREATE TRIGGER s1 BEFORE INSERT ON tc EXECUTE FUNCTION tc_stmt()`,
		`CREATE TRIGGER s2 AFTER INSERT ON tc EXECUTE FUNCTION tc_stmt()`,
	} {
		exec1(t, c, s)
	}
	tag, err := c.PgConn().CopyFrom(ctx, strings.NewReader("1\tapple\n2\tskip\n3\tpear\n"), `COPY tc (id, name) FROM STDIN`)
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("text COPY: %v, %v; want COPY 2 (one row skipped by the trigger)", tag, err)
	}
	n, err := c.CopyFrom(ctx, pgx.Identifier{"tc"}, []string{"id", "name"}, pgx.CopyFromRows([][]any{{4, "fig"}, {5, "skip"}}))
	if err != nil || n != 1 {
		t.Fatalf("binary COPY: %d, %v; want 1", n, err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO tc (id, name) VALUES ($1, $2)`, 6, "kiwi"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `UPDATE tc SET name = $1 WHERE id = $2`, "plum", 3); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, `SELECT id, name, stamped FROM tc ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var id int
		var name string
		var st bool
		err := r.Scan(&id, &name, &st)
		return strings.Join([]string{itoa(int64(id)), name, map[bool]string{true: "t", false: "f"}[st]}, ":"), err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "1:APPLE:t 3:PLUM:t 4:FIG:t 6:KIWI:t"; strings.Join(got, " ") != want {
		t.Fatalf("rows %v, want %s", got, want)
	}
	rows, err = c.Query(ctx, `SELECT what || ':' || coalesce(n::text, '-') FROM tc_log`)
	if err != nil {
		t.Fatal(err)
	}
	log, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	// Each statement: BEFORE INSERT, its rows' AFTER triggers (which see
	// all of the statement's rows), AFTER INSERT.
	want := "BEFORE INSERT:- row 1:2 row 3:2 AFTER INSERT:- BEFORE INSERT:- row 4:3 AFTER INSERT:- BEFORE INSERT:- row 6:4 AFTER INSERT:-"
	if strings.Join(log, " ") != want {
		t.Fatalf("trigger log:\n%s\nwant:\n%s", strings.Join(log, " "), want)
	}
}
