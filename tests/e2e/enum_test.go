package e2e

import (
	"bytes"
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
	"github.com/omendb/omendb/types"
)

// noCheckpoints makes a server that never writes a row-store checkpoint, so
// that the next start rebuilds everything by replaying the log.
func noCheckpoints(c *server.Config) { c.CheckpointInterval = -1 }

// enumState reads what TestEnumSurvivesRestart checks after each start: the
// rows in the enum's order, an index lookup, the labels and their sort
// orders, and the column types.
func enumState(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, q := range []string{
		`SELECT string_agg(format('%s:%s:%s:%s', id, m, ms, tag), ' ' ORDER BY m, id) FROM feel`,
		`SELECT string_agg(id::text, ',' ORDER BY id) FROM feel WHERE m = 'fine'`,
		`SELECT string_agg(id::text, ',' ORDER BY id) FROM feel WHERE m > 'meh'`,
		`SELECT string_agg(format('%s=%s', enumlabel, enumsortorder), ' ' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'mood'::regtype`,
		`SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'feel'::regclass AND attnum > 0`,
	} {
		var s string
		if err := c.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		b.WriteString(s + "\n")
	}
	return b.String()
}

// TestEnumSurvivesRestart: an enum type is catalog state — create_type and
// alter_type changes in the log, and part of row-store checkpoints. Its
// columns, array columns, index and values (whose stored representations
// never change) come back after a restart that replays the log and after
// one that loads a checkpoint, in the declared order, with renamed labels
// and values added with BEFORE / AFTER where they were put.
func TestEnumSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c := testserver.Connect(t, srv)
	for _, s := range []string{
		`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE TABLE feel (id int PRIMARY KEY, m mood NOT NULL, ms mood[])`,
		`CREATE INDEX feel_m ON feel (m)`,
		`INSERT INTO feel VALUES (1, 'happy', '{sad,happy}'), (2, 'sad', NULL), (3, 'ok', '{ok}')`,
		`ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'`,
		`ALTER TYPE mood ADD VALUE 'ecstatic'`,
		`ALTER TABLE feel ADD COLUMN tag mood DEFAULT 'ecstatic'`,
		`ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'`,
		`INSERT INTO feel VALUES (4, 'meh', '{meh,fine}', 'sad'), (5, 'ecstatic', '{}', DEFAULT)`,
	} {
		exec1(t, c, s)
	}
	want := "2:sad::ecstatic 4:meh:{meh,fine}:sad 3:fine:{fine}:ecstatic 1:happy:{sad,happy}:ecstatic 5:ecstatic:{}:ecstatic\n" +
		"3\n" + "1,3,5\n" +
		"sad=1 meh=1.5 fine=2 happy=3 ecstatic=4\n" +
		"integer,mood,mood[],mood\n"
	if got := enumState(t, c); got != want {
		t.Fatalf("before restart:\n%s\nwant:\n%s", got, want)
	}

	// Restart without any checkpoint: the catalog and the rows are
	// replayed from the log.
	srv.Close()
	if ents, _ := os.ReadDir(server.CheckpointDir(dir)); len(ents) > 0 {
		t.Fatalf("a checkpoint was written: %v", ents)
	}
	srv = testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c = testserver.Connect(t, srv)
	if got := enumState(t, c); got != want {
		t.Fatalf("after replaying the log:\n%s\nwant:\n%s", got, want)
	}
	exec1(t, c, `ALTER TYPE mood ADD VALUE 'calm' AFTER 'meh'`)
	exec1(t, c, `INSERT INTO feel VALUES (6, 'calm', '{calm}', 'calm')`)
	want = strings.Replace(want, "4:meh:{meh,fine}:sad ", "4:meh:{meh,fine}:sad 6:calm:{calm}:calm ", 1)
	want = strings.Replace(want, "1,3,5\n", "1,3,5,6\n", 1)
	want = strings.Replace(want, "meh=1.5 ", "meh=1.5 calm=1.75 ", 1)
	if got := enumState(t, c); got != want {
		t.Fatalf("after ADD VALUE:\n%s\nwant:\n%s", got, want)
	}

	// A checkpoint holds the type: write one, restart from it.
	if _, err := srv.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	// The checkpoint itself holds the type (recovery would fall back to
	// replaying the log from the start if it could not load it).
	st, _, err := checkpoint.Load(server.CheckpointDir(dir), math.MaxUint64, "learned", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || st == nil {
		t.Fatalf("no checkpoint loaded: %v", err)
	}
	e, ok := st.Catalog().LookupEnumType("public", "mood")
	tbl, _ := st.Catalog().Lookup("public", "feel")
	if !ok || len(e.Labels) != 6 || e.Labels[2].Label != "calm" || tbl == nil || !types.IsEnum(tbl.Columns[1].Type) || tbl.Columns[1].Type.Enum.Stub() {
		t.Fatalf("checkpoint catalog: %+v, %+v", e, tbl)
	}
	srv = testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c = testserver.Connect(t, srv)
	if got := enumState(t, c); got != want {
		t.Fatalf("after loading the checkpoint:\n%s\nwant:\n%s", got, want)
	}
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM feel WHERE m < 'fine'`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("count below fine: %d, %v", n, err)
	}
	if _, err := c.Exec(context.Background(), `INSERT INTO feel VALUES (7, 'ok')`); err == nil || !strings.Contains(err.Error(), `invalid input value for enum mood: "ok"`) {
		t.Fatalf("the renamed label must be gone: %v", err)
	}
}

// TestEnumWire: an enum column's RowDescription carries the type's OID;
// values travel as their labels in text and binary format; parameters of
// the type work through pgx's extended protocol, also once pgx has loaded
// the type; COPY in and out carry labels.
func TestEnumWire(t *testing.T) {
	srv := testserver.Start(t)
	c := testserver.Connect(t, srv)
	ctx := context.Background()
	exec1(t, c, `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`)
	exec1(t, c, `CREATE TABLE w (id int PRIMARY KEY, m mood, ms mood[])`)
	var oid, arrOID uint32
	if err := c.QueryRow(ctx, `SELECT oid, typarray FROM pg_type WHERE typname = 'mood'`).Scan(&oid, &arrOID); err != nil {
		t.Fatal(err)
	}
	if oid < 16384 || arrOID < 16384 || oid == arrOID {
		t.Fatalf("OIDs %d, %d", oid, arrOID)
	}

	// Parameters: pgx learns their types from ParameterDescription and
	// sends the labels as text.
	if _, err := c.Exec(ctx, `INSERT INTO w VALUES ($1, $2, $3)`, 1, "happy", "{sad,ok}"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO w VALUES ($1, $2)`, 2, "angry"); err == nil || !strings.Contains(err.Error(), "22P02") {
		t.Fatalf("a label the type lacks: %v", err)
	}
	var id int
	if err := c.QueryRow(ctx, `SELECT id FROM w WHERE m = $1`, "happy").Scan(&id); err != nil || id != 1 {
		t.Fatalf("WHERE m = $1: %d, %v", id, err)
	}
	// The parameter was stored as the value, not as its label's text:
	// it equals the literal's value and sorts after 'ok'.
	var eq, gt, arrEq bool
	if err := c.QueryRow(ctx, `SELECT m = 'happy'::mood, m > 'ok', ms = '{sad,ok}'::mood[] FROM w WHERE id = 1`).Scan(&eq, &gt, &arrEq); err != nil || !eq || !gt || !arrEq {
		t.Fatalf("the value bound from a parameter: = %v, > ok %v, array = %v, %v", eq, gt, arrEq, err)
	}

	for _, format := range []int16{pgx.TextFormatCode, pgx.BinaryFormatCode} {
		rows, err := c.Query(ctx, `SELECT m, ms, m::text FROM w`, pgx.QueryResultFormats{format, format, format})
		if err != nil {
			t.Fatal(err)
		}
		fds := rows.FieldDescriptions()
		if fds[0].DataTypeOID != oid || fds[1].DataTypeOID != arrOID || fds[2].DataTypeOID != 25 || fds[0].DataTypeSize != 4 {
			t.Fatalf("format %d: RowDescription %+v", format, fds)
		}
		if !rows.Next() {
			t.Fatal(rows.Err())
		}
		raw := rows.RawValues()
		if string(raw[0]) != "happy" {
			t.Errorf("format %d: m is %q", format, raw[0])
		}
		if format == pgx.TextFormatCode && string(raw[1]) != "{sad,ok}" {
			t.Errorf("text array %q", raw[1])
		}
		if format == pgx.BinaryFormatCode {
			// array_send: ndim 1, no nulls, element type, then each
			// element's label.
			if be32(raw[1][8:]) != oid || !bytes.Contains(raw[1], []byte("sad")) || !bytes.HasSuffix(raw[1], []byte("ok")) {
				t.Errorf("binary array % x", raw[1])
			}
		}
		rows.Close()
	}

	// pgx's own enum support: LoadType reads pg_type, then scans and
	// encodes labels (binary results).
	dt, err := c.LoadType(ctx, "mood")
	if err != nil {
		t.Fatal(err)
	}
	c.TypeMap().RegisterType(dt)
	adt, err := c.LoadType(ctx, "_mood")
	if err != nil {
		t.Fatal(err)
	}
	c.TypeMap().RegisterType(adt)
	var m string
	var ms []string
	if err := c.QueryRow(ctx, `SELECT m, ms FROM w WHERE m = $1`, "happy").Scan(&m, &ms); err != nil || m != "happy" || strings.Join(ms, ",") != "sad,ok" {
		t.Fatalf("loaded type: %q %q %v", m, ms, err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO w VALUES ($1, $2, $3)`, 3, "sad", []string{"happy", "happy"}); err != nil {
		t.Fatal(err)
	}

	// COPY: labels in, labels out (text format), and binary COPY FROM.
	if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("4\tok\t{ok,sad}\n5\t\\N\t\\N\n"), `COPY w FROM STDIN`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("6\tmeh\t\\N\n"), `COPY w FROM STDIN`); err == nil || !strings.Contains(err.Error(), "22P02") {
		t.Fatalf("COPY of a label the type lacks: %v", err)
	}
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"w"}, []string{"id", "m"}, pgx.CopyFromRows([][]any{{7, "ok"}})); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := c.PgConn().CopyTo(ctx, &out, `COPY (SELECT * FROM w ORDER BY m, id) TO STDOUT`); err != nil {
		t.Fatal(err)
	}
	if want := "3\tsad\t{happy,happy}\n4\tok\t{ok,sad}\n7\tok\t\\N\n1\thappy\t{sad,ok}\n5\t\\N\t\\N\n"; out.String() != want {
		t.Fatalf("COPY TO:\n%s\nwant:\n%s", out.String(), want)
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
