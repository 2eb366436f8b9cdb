// Package clients drives real PostgreSQL clients against an in-process
// OmenDB: pgx (extended protocol, binary formats), database/sql, psycopg2,
// JDBC, node-postgres and pgbench. A missing client fails its test
// (scripts/client-deps.sh installs them all); nothing is skipped.
package clients

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/server"
)

func pgEnv(srv *server.Server) []string {
	host, port, _ := strings.Cut(srv.Addr(), ":")
	return append(os.Environ(), "PGHOST="+host, "PGPORT="+port, "PGUSER=omendb", "PGDATABASE=omendb", "PGPASSWORD=omendb")
}

func need(t *testing.T, bin string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("%s not installed (run scripts/client-deps.sh): %v", bin, err)
	}
	return p
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// The smoke programs print "ok" on success and their mismatches otherwise.
func expectOK(t *testing.T, out string) {
	t.Helper()
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("client reported:\n%s", out)
	}
}

func TestPsycopg2(t *testing.T) {
	srv := testserver.Start(t)
	py := "/usr/bin/python3" // Debian's python3-psycopg2 lives in the system interpreter
	if _, err := os.Stat(py); err != nil {
		py = need(t, "python3")
	}
	expectOK(t, run(t, "python", pgEnv(srv), py, "smoke.py"))
}

func TestNodePostgres(t *testing.T) {
	srv := testserver.Start(t)
	node := need(t, "node")
	if _, err := os.Stat("node/node_modules/pg"); err != nil {
		t.Fatalf("npm pg not installed in tests/clients/node (run scripts/client-deps.sh): %v", err)
	}
	expectOK(t, run(t, "node", pgEnv(srv), node, "smoke.js"))
}

func TestJDBC(t *testing.T) {
	srv := testserver.Start(t)
	javac, java := need(t, "javac"), need(t, "java")
	jar := "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("JDBC driver missing (libpostgresql-jdbc-java): %v", err)
	}
	classes := t.TempDir()
	run(t, "java", nil, javac, "-d", classes, "Smoke.java")
	url := "jdbc:postgresql://" + srv.Addr() + "/omendb?user=omendb&password=omendb"
	expectOK(t, run(t, "java", nil, java, "-cp", classes+string(filepath.ListSeparator)+jar, "Smoke", url))
}

const goTable = `CREATE TABLE go_smoke (id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real, f8 double precision,
	n numeric(20,6), t text, vc varchar(10), b boolean, by bytea, d date, ts timestamp, tz timestamptz,
	iv interval, u uuid, j jsonb)`

// TestPgx round-trips every type through pgx's extended protocol with
// binary parameters and results.
func TestPgx(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, goTable); err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("x", -(3*3600 + 30*60))
	tz := time.Date(2024, 6, 1, 12, 0, 0, 123456000, loc)
	ts := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)
	d := time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)
	bigN, _ := new(big.Int).SetString("-12345678901234123456", 10)
	num := pgtype.Numeric{Int: bigN, Exp: -6, Valid: true}
	iv := pgtype.Interval{Months: 14, Days: -3, Microseconds: 7200000001, Valid: true}
	u := [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	_, err := c.Exec(ctx, `INSERT INTO go_smoke VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
		1, int16(-32768), int64(-9223372036854775807), float32(1.5), -2.25e-300, num, "héllo wörld ✓ 日本", "ünï",
		true, []byte{0, 1, 255}, d, ts, tz, iv, u, map[string]any{"a": []any{1.0, "x", nil}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO go_smoke (id) VALUES ($1)`, 2); err != nil {
		t.Fatal(err)
	}
	var (
		i2       int16
		i8       int64
		f4       float32
		f8       float64
		n        pgtype.Numeric
		txt, vc  string
		b        bool
		by       []byte
		gd, gts  time.Time
		gtz      time.Time
		giv      pgtype.Interval
		gu       [16]byte
		j        map[string]any
		nullText *string
	)
	err = c.QueryRow(ctx, `SELECT i2, i8, f4, f8, n, t, vc, b, by, d, ts, tz, iv, u, j FROM go_smoke WHERE id = $1`, 1).
		Scan(&i2, &i8, &f4, &f8, &n, &txt, &vc, &b, &by, &gd, &gts, &gtz, &giv, &gu, &j)
	if err != nil {
		t.Fatal(err)
	}
	if i2 != -32768 || i8 != -9223372036854775807 || f4 != 1.5 || f8 != -2.25e-300 || txt != "héllo wörld ✓ 日本" ||
		vc != "ünï" || !b || !bytes.Equal(by, []byte{0, 1, 255}) || !gd.Equal(d) || !gts.Equal(ts) || !gtz.Equal(tz) ||
		giv != iv || gu != u || n.Int.Cmp(num.Int) != 0 || n.Exp != num.Exp || j["a"].([]any)[1] != "x" {
		t.Errorf("round trip mismatch: %v %v %v %v %v %q %q %v %v %v %v %v %v %v %v", i2, i8, f4, f8, n, txt, vc, b, by, gd, gts, gtz, giv, gu, j)
	}
	if err := c.QueryRow(ctx, `SELECT t FROM go_smoke WHERE id = 2`).Scan(&nullText); err != nil || nullText != nil {
		t.Errorf("NULL text: %v %v", nullText, err)
	}
	// Catalog rows in binary format: "char", real, smallint, oid, name.
	var (
		relkind  string
		tuples   float32
		natts    int16
		reloid   uint32
		relname  string
		typeName string
	)
	err = c.QueryRow(ctx, `SELECT c.relkind, c.reltuples, c.relnatts, c.oid, c.relname,
		pg_catalog.format_type(a.atttypid, a.atttypmod)
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
		WHERE c.relname = $1 AND a.attname = $2`, "go_smoke", "n").
		Scan(&relkind, &tuples, &natts, &reloid, &relname, &typeName)
	if err != nil || relkind != "r" || natts != 16 || reloid < 16384 || relname != "go_smoke" || typeName != "numeric(20,6)" {
		t.Errorf("catalog row: %q %v %d %d %q %q, %v", relkind, tuples, natts, reloid, relname, typeName, err)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO go_smoke (id, t) VALUES (3, 'gone')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var cnt int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM go_smoke`).Scan(&cnt); err != nil || cnt != 2 {
		t.Errorf("after rollback: count %d, %v; want 2", cnt, err)
	}
	_, err = c.Exec(ctx, `INSERT INTO go_smoke (id) VALUES ($1)`, 1)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		t.Errorf("duplicate key: %v, want SQLSTATE 23505", err)
	}
}

// TestPgxArrays sends and reads arrays in pgx's binary format: = ANY($1)
// with an int4[] parameter, text[] with quoting and NULLs, and int2vector /
// oid[] catalog columns.
func TestPgxArrays(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, `CREATE TABLE arr_smoke (id int PRIMARY KEY, s text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO arr_smoke VALUES (1, 'a'), (2, NULL), (3, 'c d')`); err != nil {
		t.Fatal(err)
	}
	var ids []int32
	if err := c.QueryRow(ctx, `SELECT array_agg(id ORDER BY id DESC) FROM arr_smoke WHERE id = ANY ($1)`, []int32{1, 3, 9}).Scan(&ids); err != nil ||
		len(ids) != 2 || ids[0] != 3 || ids[1] != 1 {
		t.Errorf("= ANY($1) / array_agg: %v, %v", ids, err)
	}
	var ss []*string
	if err := c.QueryRow(ctx, `SELECT ARRAY(SELECT s FROM arr_smoke ORDER BY id) || $1::text[]`, []string{`q"u,o\te`}).Scan(&ss); err != nil ||
		len(ss) != 4 || *ss[0] != "a" || ss[1] != nil || *ss[2] != "c d" || *ss[3] != `q"u,o\te` {
		t.Errorf("text[] round trip: %v, %v", ss, err)
	}
	var text string
	if err := c.QueryRow(ctx, `SELECT $1::int8[]::text`, []int64{-1, 0}).Scan(&text); err != nil || text != "{-1,0}" {
		t.Errorf("int8[] parameter: %q, %v", text, err)
	}
	var key []int16
	var cls []uint32
	if err := c.QueryRow(ctx, `SELECT indkey::int2[], indclass::oid[] FROM pg_catalog.pg_index WHERE indrelid = 'arr_smoke'::regclass`).Scan(&key, &cls); err != nil ||
		len(key) != 1 || key[0] != 1 || len(cls) != 1 || cls[0] != 1978 {
		t.Errorf("pg_index arrays: %v %v, %v", key, cls, err)
	}
}

// TestPgxArrayColumns stores arrays in array columns: bound binary
// parameters in, binary and text results out (scanned into []int32,
// []string, [][]int32), COPY in text and CSV format, and the catalog's
// column types.
func TestPgxArrayColumns(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, `CREATE TABLE arrcol (id int PRIMARY KEY, tags text[], scores int4[], m float8[][])`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO arrcol VALUES ($1, $2, $3, $4)`, 1, []string{"a", "b c", `q"`}, []int32{-1, 0, 2147483647},
		[][]float64{{1.5, 2}, {3, -4}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO arrcol VALUES (2, '{}', NULL, '{{1},{2}}')`); err != nil {
		t.Fatal(err)
	}
	n, err := c.PgConn().CopyFrom(ctx, strings.NewReader("3\t{x,\"y z\"}\t{7,NULL}\t{{0.5}}\n"), `COPY arrcol FROM STDIN`)
	if err != nil || n.RowsAffected() != 1 {
		t.Fatalf("COPY text: %v, %v", n, err)
	}
	n, err = c.PgConn().CopyFrom(ctx, strings.NewReader("4,\"{\"\"a,b\"\",c}\",\"{1,2}\",\n"), `COPY arrcol FROM STDIN (FORMAT csv)`)
	if err != nil || n.RowsAffected() != 1 {
		t.Fatalf("COPY csv: %v, %v", n, err)
	}
	// pgx's CopyFrom sends COPY … FROM STDIN (FORMAT binary).
	nb, err := c.CopyFrom(ctx, pgx.Identifier{"arrcol"}, []string{"id", "tags", "scores", "m"},
		pgx.CopyFromRows([][]any{{int32(5), []string{"p", ""}, []int32{5, 6}, [][]float64{{1, 2, 3}}}}))
	if err != nil || nb != 1 {
		t.Fatalf("COPY binary: %d, %v", nb, err)
	}
	var bin string
	if err := c.QueryRow(ctx, `SELECT tags::text || scores::text || m::text FROM arrcol WHERE id = 5`).Scan(&bin); err != nil || bin != `{p,""}{5,6}{{1,2,3}}` {
		t.Errorf("COPY binary row: %q, %v", bin, err)
	}
	if _, err := c.Exec(ctx, `DELETE FROM arrcol WHERE id = 5`); err != nil {
		t.Fatal(err)
	}
	type row struct {
		tags   []string
		scores []int32
		m      [][]float64
	}
	want := map[int32]row{
		1: {[]string{"a", "b c", `q"`}, []int32{-1, 0, 2147483647}, [][]float64{{1.5, 2}, {3, -4}}},
		2: {[]string{}, nil, [][]float64{{1}, {2}}},
		3: {[]string{"x", "y z"}, nil, [][]float64{{0.5}}},
		4: {[]string{"a,b", "c"}, []int32{1, 2}, nil},
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		rows, err := c.Query(ctx, `SELECT id, tags, scores, m FROM arrcol WHERE id <> 3 ORDER BY id`, mode)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for rows.Next() {
			var id int32
			var r row
			if err := rows.Scan(&id, &r.tags, &r.scores, &r.m); err != nil {
				t.Fatalf("mode %v: scan: %v", mode, err)
			}
			w := want[id]
			if fmt.Sprint(r.tags) != fmt.Sprint(w.tags) || fmt.Sprint(r.scores) != fmt.Sprint(w.scores) || fmt.Sprint(r.m) != fmt.Sprint(w.m) ||
				(r.m == nil) != (w.m == nil) || (r.scores == nil) != (w.scores == nil) {
				t.Errorf("mode %v: row %d: got %v, want %v", mode, id, r, w)
			}
			got++
		}
		if err := rows.Err(); err != nil || got != 3 {
			t.Errorf("mode %v: %d rows, %v", mode, got, err)
		}
	}
	// Row 3's NULL element needs a pointer slice.
	var s3 []*int32
	if err := c.QueryRow(ctx, `SELECT scores FROM arrcol WHERE id = 3`).Scan(&s3); err != nil || len(s3) != 2 || *s3[0] != 7 || s3[1] != nil {
		t.Errorf("int4[] with NULL: %v, %v", s3, err)
	}
	var ids []int32
	if err := c.QueryRow(ctx, `SELECT array_agg(id ORDER BY id) FROM arrcol WHERE tags && $1`, []string{"b c", "c"}).Scan(&ids); err != nil ||
		fmt.Sprint(ids) != "[1 4]" {
		t.Errorf("tags && $1: %v, %v", ids, err)
	}
	var types_ []string
	if err := c.QueryRow(ctx, `SELECT array_agg(format_type(atttypid, atttypmod) ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'arrcol'::regclass AND attnum > 0`).Scan(&types_); err != nil ||
		fmt.Sprint(types_) != "[integer text[] integer[] double precision[]]" {
		t.Errorf("pg_attribute types: %v, %v", types_, err)
	}
	var buf bytes.Buffer
	if _, err := c.PgConn().CopyTo(ctx, &buf, `COPY arrcol TO STDOUT (FORMAT csv)`); err != nil {
		t.Fatal(err)
	}
	if want := `1,"{a,""b c"",""q\""""}","{-1,0,2147483647}","{{1.5,2},{3,-4}}"
2,{},,"{{1},{2}}"
3,"{x,""y z""}","{7,NULL}",{{0.5}}
4,"{""a,b"",c}","{1,2}",
`; buf.String() != want {
		t.Errorf("COPY TO csv:\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestDatabaseSQL goes through database/sql (pgx's stdlib driver).
func TestDatabaseSQL(t *testing.T) {
	srv := testserver.Start(t)
	db, err := sql.Open("pgx", testserver.ConnString(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(goTable); err != nil {
		t.Fatal(err)
	}
	tz := time.Date(2024, 6, 1, 12, 0, 0, 5000, time.FixedZone("y", 5*3600+1800))
	if _, err := db.Exec(`INSERT INTO go_smoke (id, i8, f8, n, t, b, tz) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		1, int64(-42), 0.1, "-0.000001", "ünicode ✓", false, tz); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO go_smoke (id) VALUES ($1)`, 2); err != nil {
		t.Fatal(err)
	}
	var (
		i8  int64
		f8  float64
		n   string
		txt string
		b   bool
		gtz time.Time
		nul sql.NullString
	)
	if err := db.QueryRow(`SELECT i8, f8, n, t, b, tz FROM go_smoke WHERE id = $1`, 1).Scan(&i8, &f8, &n, &txt, &b, &gtz); err != nil {
		t.Fatal(err)
	}
	if i8 != -42 || f8 != 0.1 || n != "-0.000001" || txt != "ünicode ✓" || b || !gtz.Equal(tz) {
		t.Errorf("round trip: %v %v %v %q %v %v", i8, f8, n, txt, b, gtz)
	}
	if err := db.QueryRow(`SELECT t FROM go_smoke WHERE id = 2`).Scan(&nul); err != nil || nul.Valid {
		t.Errorf("NULL: %v %v", nul, err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO go_smoke (id) VALUES (3)`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var cnt int
	if err := db.QueryRow(`SELECT count(*) FROM go_smoke`).Scan(&cnt); err != nil || cnt != 2 {
		t.Errorf("after rollback: %d %v", cnt, err)
	}
	_, err = db.Exec(`INSERT INTO go_smoke (id) VALUES (1)`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		t.Errorf("duplicate key: %v, want SQLSTATE 23505", err)
	}
}

var failedRE = regexp.MustCompile(`number of failed transactions: (\d+)`)
var processedRE = regexp.MustCompile(`number of transactions actually processed: (\d+)`)

// TestPgbench runs pgbench -i and short select-only runs in each query mode;
// none may fail a transaction.
func TestPgbench(t *testing.T) {
	srv := testserver.Start(t)
	pgbench := need(t, "pgbench")
	env := pgEnv(srv)
	run(t, "", env, pgbench, "-i", "-s", "1", "-q")
	for _, mode := range []string{"simple", "extended", "prepared"} {
		out := run(t, "", env, pgbench, "-S", "-M", mode, "-c", "2", "-j", "2", "-T", "2")
		f, p := failedRE.FindStringSubmatch(out), processedRE.FindStringSubmatch(out)
		if f == nil || p == nil || f[1] != "0" || p[1] == "0" {
			t.Errorf("pgbench -S -M %s:\n%s", mode, out)
		}
	}
	// The TPC-B-like script with concurrent clients: at scale 1 every
	// transaction updates one of a single branch row, so all clients
	// conflict; READ COMMITTED's row locks make them wait, none may fail.
	// After each run, TPC-B's consistency conditions: every committed
	// transaction added the same delta to one account, one teller and one
	// branch and wrote one history row (pgbench empties the history before
	// a run), so each table's sum grew by the history's sum and the
	// history holds one row per transaction pgbench counted — no update
	// lost to a concurrent one (row locks released early, pending
	// versions), none applied twice.
	c := testserver.Connect(t, srv)
	// The sums are read from both stores (the column store applied every
	// update too) and must agree.
	sums := func() (a, tl, b int64) {
		t.Helper()
		var got [2][3]int64
		for i, engine := range []string{"row", "column"} {
			if _, err := c.Exec(context.Background(), `SET omendb.engine = '`+engine+`'`); err != nil {
				t.Fatal(err)
			}
			if err := c.QueryRow(context.Background(), `SELECT (SELECT sum(abalance) FROM pgbench_accounts),
				(SELECT sum(tbalance) FROM pgbench_tellers), (SELECT sum(bbalance) FROM pgbench_branches)`).Scan(&got[i][0], &got[i][1], &got[i][2]); err != nil {
				t.Fatalf("%s store: %v", engine, err)
			}
		}
		if got[0] != got[1] {
			t.Errorf("sums of balances: row store %v, column store %v", got[0], got[1])
		}
		return got[0][0], got[0][1], got[0][2]
	}
	for _, mode := range []string{"simple", "prepared"} {
		a0, t0, b0 := sums()
		out := run(t, "", env, pgbench, "-M", mode, "-c", "4", "-j", "2", "-T", "2")
		f, p := failedRE.FindStringSubmatch(out), processedRE.FindStringSubmatch(out)
		if f == nil || p == nil || f[1] != "0" || p[1] == "0" {
			t.Errorf("pgbench TPC-B-like -M %s, 4 clients:\n%s", mode, out)
			continue
		}
		processed, _ := strconv.ParseInt(p[1], 10, 64)
		a1, t1, b1 := sums()
		var delta, rows int64
		if err := c.QueryRow(context.Background(), `SELECT coalesce(sum(delta), 0), count(*) FROM pgbench_history`).Scan(&delta, &rows); err != nil {
			t.Fatal(err)
		}
		if a1-a0 != delta || t1-t0 != delta || b1-b0 != delta || rows != processed {
			t.Errorf("-M %s, %d transactions: sum(abalance) %+d, sum(tbalance) %+d, sum(bbalance) %+d, history sum(delta) %d in %d rows",
				mode, processed, a1-a0, t1-t0, b1-b0, delta, rows)
		}
	}
}
