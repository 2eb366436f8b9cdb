package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/omendb/omendb/internal/testserver"
)

const allTypesDDL = `CREATE TABLE alltypes (
	id int PRIMARY KEY,
	b boolean, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
	n numeric(12,3), t text, vc varchar(10), c char(4), d date, ts timestamp,
	tz timestamptz, iv interval, by bytea, u uuid, j jsonb)`

type allRow struct {
	id int32
	b  pgtype.Bool
	i2 pgtype.Int2
	i4 pgtype.Int4
	i8 pgtype.Int8
	f4 pgtype.Float4
	f8 pgtype.Float8
	n  pgtype.Numeric
	t  pgtype.Text
	vc pgtype.Text
	c  pgtype.Text
	d  pgtype.Date
	ts pgtype.Timestamp
	tz pgtype.Timestamptz
	iv pgtype.Interval
	by []byte
	u  pgtype.UUID
	j  map[string]any
}

func sampleRows() []allRow {
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	return []allRow{
		{
			id: 1, b: pgtype.Bool{Bool: true, Valid: true}, i2: pgtype.Int2{Int16: -32768, Valid: true},
			i4: pgtype.Int4{Int32: 2147483647, Valid: true}, i8: pgtype.Int8{Int64: -9223372036854775808, Valid: true},
			f4: pgtype.Float4{Float32: 1.5, Valid: true}, f8: pgtype.Float8{Float64: -2.25e-10, Valid: true},
			n: pgtype.Numeric{Int: big.NewInt(-123456789), Exp: -3, Valid: true},
			t: pgtype.Text{String: "héllo, 世界 \"quoted\"\n", Valid: true}, vc: pgtype.Text{String: "short", Valid: true},
			c: pgtype.Text{String: "ab  ", Valid: true}, d: pgtype.Date{Time: time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), Valid: true},
			ts: pgtype.Timestamp{Time: ts, Valid: true}, tz: pgtype.Timestamptz{Time: ts.Add(-5 * time.Hour), Valid: true},
			iv: pgtype.Interval{Months: 14, Days: -3, Microseconds: 3723000001, Valid: true},
			by: []byte{0, 1, 2, 255}, u: pgtype.UUID{Bytes: [16]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, Valid: true},
			j: map[string]any{"a": float64(1), "b": []any{"x", nil}},
		},
		{id: 2}, // every other column NULL
	}
}

func insertAll(t *testing.T, ctx context.Context, c *pgx.Conn, rows []allRow, mode pgx.QueryExecMode) {
	t.Helper()
	for _, r := range rows {
		var j any
		if r.j != nil {
			j = r.j
			if mode == pgx.QueryExecModeSimpleProtocol {
				b, _ := json.Marshal(r.j)
				j = string(b)
			}
		}
		_, err := c.Exec(ctx, `INSERT INTO alltypes VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`, mode,
			r.id, r.b, r.i2, r.i4, r.i8, r.f4, r.f8, r.n, r.t, r.vc, r.c, r.d, r.ts, r.tz, r.iv, r.by, r.u, j)
		if err != nil {
			t.Fatalf("insert %d (%v): %v", r.id, mode, err)
		}
	}
}

func readAll(t *testing.T, ctx context.Context, c *pgx.Conn, mode pgx.QueryExecMode) []allRow {
	t.Helper()
	rows, err := c.Query(ctx, `SELECT * FROM alltypes WHERE id >= $1 ORDER BY id`, mode, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []allRow
	for rows.Next() {
		var r allRow
		if err := rows.Scan(&r.id, &r.b, &r.i2, &r.i4, &r.i8, &r.f4, &r.f8, &r.n, &r.t, &r.vc, &r.c, &r.d, &r.ts, &r.tz, &r.iv, &r.by, &r.u, &r.j); err != nil {
			t.Fatalf("scan (%v): %v", mode, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func compareRows(t *testing.T, what string, got, want []allRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		check := func(name string, ok bool) {
			if !ok {
				t.Errorf("%s row %d column %s: got %+v", what, w.id, name, g)
			}
		}
		check("b", g.b == w.b)
		check("i2", g.i2 == w.i2)
		check("i4", g.i4 == w.i4)
		check("i8", g.i8 == w.i8)
		check("f4", g.f4 == w.f4)
		check("f8", g.f8 == w.f8)
		if w.n.Valid {
			gv, _ := g.n.Value()
			wv, _ := w.n.Value()
			check("n", gv == wv)
		} else {
			check("n", !g.n.Valid)
		}
		check("t", g.t == w.t)
		check("vc", g.vc == w.vc)
		check("c", g.c == w.c)
		check("d", g.d.Valid == w.d.Valid && g.d.Time.Equal(w.d.Time))
		check("ts", g.ts.Valid == w.ts.Valid && g.ts.Time.Equal(w.ts.Time))
		check("tz", g.tz.Valid == w.tz.Valid && g.tz.Time.Equal(w.tz.Time))
		check("iv", g.iv == w.iv)
		check("by", string(g.by) == string(w.by) && (g.by == nil) == (w.by == nil))
		check("u", g.u == w.u)
		check("j", (g.j == nil) == (w.j == nil) && (w.j == nil || g.j["a"] == w.j["a"]))
	}
}

// TestProtocolTypes writes and reads every supported type with pgx in the
// extended protocol (binary formats) and the simple protocol (text), and
// checks the values round-trip exactly.
func TestProtocolTypes(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, allTypesDDL); err != nil {
		t.Fatal(err)
	}
	want := sampleRows()
	insertAll(t, ctx, c, want, pgx.QueryExecModeCacheStatement)
	compareRows(t, "extended/binary", readAll(t, ctx, c, pgx.QueryExecModeCacheStatement), want)
	compareRows(t, "simple/text", readAll(t, ctx, c, pgx.QueryExecModeSimpleProtocol), want)

	if _, err := c.Exec(ctx, `DELETE FROM alltypes`); err != nil {
		t.Fatal(err)
	}
	insertAll(t, ctx, c, want, pgx.QueryExecModeSimpleProtocol)
	compareRows(t, "written in text", readAll(t, ctx, c, pgx.QueryExecModeCacheStatement), want)
}

// TestProtocolErrorsAndTransactions checks SQLSTATEs, rollback and that the
// connection survives errors in both protocols.
func TestProtocolErrorsAndTransactions(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	mustExec := func(sql string, args ...any) {
		t.Helper()
		if _, err := c.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	code := func(err error) string {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return pe.Code
		}
		return ""
	}
	mustExec(`CREATE TABLE acct (id int PRIMARY KEY, bal numeric(10,2) NOT NULL)`)
	mustExec(`INSERT INTO acct VALUES ($1, $2), ($3, $4)`, 1, "100.00", 2, "0")
	for _, tc := range []struct {
		sql  string
		args []any
		code string
	}{
		{`INSERT INTO acct VALUES ($1, $2)`, []any{1, "5"}, "23505"},
		{`INSERT INTO acct VALUES ($1, NULL)`, []any{3}, "23502"},
		{`SELECT * FROM nope`, nil, "42P01"},
		{`SELECT 1/0`, nil, "22012"},
		{`SELECT $1::int`, []any{"x"}, "22P02"},
		{`SELEKT`, nil, "42601"},
		{`CREATE TABLE f (a int) PARTITION BY RANGE (a)`, nil, "0A000"},
		// One parameter in two places: its type comes from the first
		// (the second reference was bound before it was known).
		{`INSERT INTO acct VALUES ($1, $1)`, []any{5}, ""},
		{`UPDATE acct SET bal = $1 + 1 WHERE id = $1`, []any{5}, ""},
		// A parameter as a whole column of INSERT … SELECT takes the
		// target column's type.
		{`INSERT INTO acct SELECT $1, $2`, []any{6, "1.50"}, ""},
		{`CREATE TABLE f (a int REFERENCES acct(id))`, nil, ""},
		{`INSERT INTO f VALUES ($1)`, []any{3}, "23503"},
	} {
		_, err := c.Exec(ctx, tc.sql, tc.args...)
		if code(err) != tc.code {
			t.Errorf("%s: got %v, want SQLSTATE %s", tc.sql, err, tc.code)
		}
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE acct SET bal = bal - 30 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var bal string
	if err := c.QueryRow(ctx, `SELECT bal::text FROM acct WHERE id = 1`).Scan(&bal); err != nil || bal != "100.00" {
		t.Fatalf("after rollback: %q, %v", bal, err)
	}
	// Read-your-writes across connections via the commit offset token.
	c2 := testserver.Connect(t, srv)
	mustExec(`UPDATE acct SET bal = 42 WHERE id = 2`)
	var off int64
	if err := c.QueryRow(ctx, `SELECT omendb_commit_offset()`).Scan(&off); err != nil || off <= 0 {
		t.Fatalf("omendb_commit_offset: %d, %v", off, err)
	}
	if _, err := c2.Exec(ctx, `SET omendb.min_offset = `+itoa(off)); err != nil {
		t.Fatal(err)
	}
	if err := c2.QueryRow(ctx, `SELECT bal::text FROM acct WHERE id = 2`).Scan(&bal); err != nil || bal != "42.00" {
		t.Fatalf("other connection after min_offset: %q, %v", bal, err)
	}
}

func itoa(v int64) string { return big.NewInt(v).String() }

// TestProtocolCopy loads rows with COPY FROM in binary (pgx.CopyFrom) and
// reads them back with COPY TO in text and CSV.
func TestProtocolCopy(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, `CREATE TABLE cp (id bigint PRIMARY KEY, name text, amount numeric(10,2))`); err != nil {
		t.Fatal(err)
	}
	var src [][]any
	for i := 0; i < 5000; i++ {
		name := any("n" + itoa(int64(i)))
		if i%7 == 0 {
			name = nil
		}
		src = append(src, []any{int64(i), name, pgtype.Numeric{Int: big.NewInt(int64(i * 3)), Exp: -2, Valid: true}})
	}
	n, err := c.CopyFrom(ctx, pgx.Identifier{"cp"}, []string{"id", "name", "amount"}, pgx.CopyFromRows(src))
	if err != nil || n != 5000 {
		t.Fatalf("CopyFrom: %d, %v", n, err)
	}
	var cnt int64
	var sum string
	if err := c.QueryRow(ctx, `SELECT count(*), sum(amount)::text FROM cp WHERE name IS NOT NULL`).Scan(&cnt, &sum); err != nil {
		t.Fatal(err)
	}
	if cnt != 5000-715 || sum == "" {
		t.Fatalf("after COPY: count %d sum %s", cnt, sum)
	}
	var buf strings.Builder
	if _, err := c.PgConn().CopyTo(ctx, &buf, `COPY (SELECT id, name, amount FROM cp WHERE id < 3 ORDER BY id) TO STDOUT`); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "0\t\\N\t0.00\n1\tn1\t0.03\n2\tn2\t0.06\n"; got != want {
		t.Fatalf("COPY TO text:\n%q\nwant\n%q", got, want)
	}
	buf.Reset()
	if _, err := c.PgConn().CopyTo(ctx, &buf, `COPY (SELECT id, name FROM cp WHERE id IN (1, 7)) TO STDOUT WITH (FORMAT csv, HEADER)`); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "id,name\n1,n1\n7,\n" {
		t.Fatalf("COPY TO csv: %q", got)
	}
	// A malformed row fails the whole COPY and loads nothing.
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("100000\tx\t1.00\n100001\ty\tnot-a-number\n"), `COPY cp FROM STDIN`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22P02" {
		t.Fatalf("bad COPY row: %v", err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM cp WHERE id >= 100000`).Scan(&cnt); err != nil || cnt != 0 {
		t.Fatalf("after failed COPY: %d rows of it were kept, %v", cnt, err)
	}
}

// TestPsql drives the real psql client.
func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatalf("psql not installed (make deps installs postgresql-client-15): %v", err)
	}
	srv := testserver.Start(t)
	run := func(input string) string {
		t.Helper()
		cmd := exec.Command(psql, "-X", "-q", "-v", "ON_ERROR_STOP=0", "-v", "VERBOSITY=verbose", testserver.ConnString(srv))
		cmd.Stdin = strings.NewReader(input)
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	out := run(`CREATE TABLE p (id int PRIMARY KEY, name text);
INSERT INTO p VALUES (1, 'one'), (2, NULL);
\pset null '<null>'
SELECT id, name FROM p ORDER BY id;
SELECT 1/0;
\copy p FROM STDIN
3	three
4	\N
\.
SELECT count(*) AS n FROM p;
`)
	for _, want := range []string{
		" id |  name",
		"  1 | one",
		"  2 | <null>",
		"ERROR:  22012: division by zero",
		"(1 row)",
		" n \n---\n 4\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("psql output lacks %q:\n%s", want, out)
		}
	}
}

// TestCancelRequest cancels a long-running statement from the client
// (pgx sends a CancelRequest on a new connection when the context ends);
// the statement fails with 57014 and the connection keeps working.
func TestCancelRequest(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	var n int64
	err := c.QueryRow(qctx, `SELECT count(*) FROM generate_series(1, 2000000000)`).Scan(&n)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		// pgx may close the connection instead of waiting for the server's
		// answer; then check the server stopped working on it.
		if err == nil {
			t.Fatalf("query finished (%d) instead of being cancelled", n)
		}
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("cancel took %v", time.Since(start))
	}
	c2 := testserver.Connect(t, srv)
	if err := c2.QueryRow(ctx, `SELECT 1`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("server unusable after cancel: %v", err)
	}
}
