package pgcatalog_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// viewSchema is created on both OmenDB and PostgreSQL 15: a table, a view
// with a WHERE, one with column aliases for all its columns, and a view
// over a view with an alias for its first column only.
var viewSchema = []string{
	`CREATE TABLE vt (a int PRIMARY KEY, b text, c numeric(10,2), d varchar(20) NOT NULL DEFAULT 'x')`,
	`CREATE VIEW v AS SELECT a, b FROM vt WHERE a > 1`,
	`CREATE VIEW v2 (x, y) AS SELECT a, c FROM vt`,
	`CREATE VIEW v3 (z) AS SELECT x, y FROM v2 WHERE y IS NOT NULL`,
}

// viewDescribe are psql commands and catalog queries whose output must be
// byte-identical on both servers. Columns whose values differ on purpose
// are left out: reltype (PostgreSQL gives a view a composite type),
// relfilenode of tables and the view's query text (viewdef).
var viewDescribe = []string{
	`\dv`,
	`\dv+`,
	`\dt`,
	`\d`,
	`\d v`,
	`\d v2`,
	`\d v3`,
	`\d vt`,
	`SELECT c.relname, c.relkind, c.relnamespace::regnamespace, c.relnatts, c.relam, c.relhasindex, c.relpersistence,
	   c.relhasrules, c.relreplident, c.relispopulated, c.relpages, c.reltuples, c.relallvisible, c.relfilenode = 0 AS nofile,
	   c.relchecks, c.relhastriggers, c.relispartition, c.reloftype, pg_catalog.pg_get_userbyid(c.relowner)
	 FROM pg_catalog.pg_class c WHERE c.relname IN ('vt', 'v', 'v2', 'v3') ORDER BY 1`,
	`SELECT c.relname, a.attname, a.atttypid::regtype, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnum, a.attlen,
	   a.atttypmod, a.attbyval, a.attalign, a.attstorage, a.attnotnull, a.atthasdef, a.attidentity, a.attgenerated,
	   a.attisdropped, a.attislocal, a.attinhcount, a.attcollation, a.attndims, a.attstattarget
	 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
	 WHERE c.relname IN ('v', 'v2', 'v3') AND a.attnum > 0 ORDER BY 1, a.attnum`,
	`SELECT schemaname, viewname, viewowner, definition IS NOT NULL, definition LIKE ' SELECT %;'
	   FROM pg_catalog.pg_views WHERE schemaname = 'public' ORDER BY 2`,
	`SELECT v.viewname, c.relname FROM pg_catalog.pg_views v JOIN pg_catalog.pg_class c ON c.relname = v.viewname
	   WHERE v.schemaname = 'public' AND c.relkind = 'v' ORDER BY 1`,
	`SELECT table_catalog, table_schema, table_name, table_type, is_typed, commit_action, is_insertable_into
	   FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 3`,
	`SELECT table_name, column_name, ordinal_position, column_default, is_nullable, data_type, character_maximum_length,
	   character_octet_length, numeric_precision, numeric_precision_radix, numeric_scale, udt_name, dtd_identifier,
	   is_identity, identity_generation, is_generated, is_self_referencing, is_updatable
	 FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 3`,
	`SELECT table_catalog, table_schema, table_name, view_definition IS NOT NULL, check_option, is_trigger_updatable,
	   is_trigger_deletable, is_trigger_insertable_into, is_updatable, is_insertable_into
	 FROM information_schema.views WHERE table_schema = 'public' ORDER BY 3`,
	`SELECT to_regclass('v'), to_regclass('public.V'), to_regclass('"v2"'), to_regclass('nope'), to_regclass('vt_pkey'),
	   to_regclass('pg_class')::oid, to_regclass('pg_catalog.pg_views') IS NOT NULL`,
	`SELECT c.oid = to_regclass('v3')::oid, c.oid::regclass, c.oid::regclass::text FROM pg_catalog.pg_class c WHERE c.relname = 'v3'`,
	`SELECT pg_get_viewdef(c.oid) IS NULL AS tbl, pg_get_viewdef(0) IS NULL AS zero, pg_get_viewdef('vt') IS NULL AS byname
	   FROM pg_catalog.pg_class c WHERE c.relname = 'vt'`,
	`SELECT pg_get_viewdef('nope')`,
	`SELECT s, pg_catalog.pg_size_pretty(s) FROM (VALUES (0::bigint), (10239::bigint), (10240::bigint),
	   (10485247::bigint), (10485248::bigint), (10736893951::bigint), (10736893952::bigint), (10994579406847::bigint),
	   (10994579406848::bigint), (11258449312612351::bigint), (11258449312612352::bigint), (-10240::bigint), (-10485248::bigint)) v(s)`,
}

func startBoth(t *testing.T, stmts []string) (omenConn, pgConn string) {
	t.Helper()
	srv := testserver.Start(t)
	pg := testpg.Start(t, testpg.WithDatabase("omendb"), testpg.WithNoFsync())
	setup(t, pg.ConnString(), []string{`CREATE ROLE omendb SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS LOGIN`})
	pgConn = fmt.Sprintf("postgres://omendb@%s:%d/omendb?sslmode=disable", pg.Host(), pg.Port())
	omenConn = testserver.ConnString(srv)
	setup(t, pgConn, stmts)
	setup(t, omenConn, stmts)
	return omenConn, pgConn
}

// TestViewsDescribeMatchesPostgres checks that psql and catalog queries see
// views as in PostgreSQL 15.
func TestViewsDescribeMatchesPostgres(t *testing.T) {
	psql := psqlPath(t)
	omenConn, pgConn := startBoth(t, viewSchema)
	for _, cmd := range viewDescribe {
		want := runPsql(t, psql, pgConn, cmd)
		got := runPsql(t, psql, omenConn, cmd)
		if got != want {
			t.Errorf("%s\n--- OmenDB:\n%s\n--- PostgreSQL 15:\n%s", cmd, got, want)
		}
	}
	// The lists must show what they are about (and not be empty on both).
	for cmd, want := range map[string][]string{
		`\dv`: {" v    | view", " v2   | view", " v3   | view"},
		`\d`:  {" v    | view", " vt   | table"},
		`\dt`: {" vt   | table"},
	} {
		got := runPsql(t, psql, omenConn, cmd)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: no %q in\n%s", cmd, w, got)
			}
		}
		if cmd == `\dt` && strings.Contains(got, "view") {
			t.Errorf("\\dt lists views:\n%s", got)
		}
	}

	// \d+ of a view ends with "View definition:" and the query: PostgreSQL
	// pretty-prints its deparsed rule, OmenDB prints its stored text.
	for view, def := range map[string]string{
		"v":  " SELECT a, b FROM vt WHERE a > 1;",
		"v2": " SELECT a, c FROM vt;",
		"v3": " SELECT x, y FROM v2 WHERE y IS NOT NULL;",
	} {
		cmd := `\d+ ` + view
		want := runPsql(t, psql, pgConn, cmd)
		got := runPsql(t, psql, omenConn, cmd)
		const marker = "View definition:\n"
		wi, gi := strings.Index(want, marker), strings.Index(got, marker)
		if wi < 0 || gi < 0 {
			t.Errorf("%s: no %q\n--- OmenDB:\n%s\n--- PostgreSQL 15:\n%s", cmd, marker, got, want)
			continue
		}
		if got[:gi] != want[:wi] {
			t.Errorf("%s\n--- OmenDB:\n%s\n--- PostgreSQL 15:\n%s", cmd, got, want)
		}
		if rest := got[gi+len(marker):]; rest != def+"\n\n" {
			t.Errorf("%s: definition %q, want %q", cmd, rest, def+"\n\n")
		}
	}
}

func queryRows(t *testing.T, c *pgx.Conn, q string, args ...any) [][]any {
	t.Helper()
	rows, err := c.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vs, err := rows.Values()
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, vs)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func expectRows(t *testing.T, c *pgx.Conn, q string, want [][]any) {
	t.Helper()
	got := queryRows(t, c, q)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s\n got %v\nwant %v", q, got, want)
	}
}

// TestViewCatalogRows checks OmenDB's own values for views: OIDs are the
// views' IDs, the definition is the stored query, simple views are updatable,
// and the catalogs follow CREATE [OR REPLACE] VIEW, DROP VIEW and
// transactional DDL.
func TestViewCatalogRows(t *testing.T) {
	srv := testserver.Start(t)
	conn := testserver.ConnString(srv)
	setup(t, conn, viewSchema)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)

	oid := func(name string) uint32 {
		t.Helper()
		var o uint32
		if err := c.QueryRow(ctx, `SELECT oid FROM pg_catalog.pg_class WHERE relname = $1`, name).Scan(&o); err != nil {
			t.Fatalf("pg_class %s: %v", name, err)
		}
		return o
	}
	vt, v, v2, v3 := oid("vt"), oid("v"), oid("v2"), oid("v3")
	if v < 16384 || v <= vt || v2 <= v || v3 <= v2 {
		t.Errorf("OIDs vt %d v %d v2 %d v3 %d: want user IDs in creation order", vt, v, v2, v3)
	}
	expectRows(t, c, `SELECT relname, relkind::text, relnamespace, relnatts, relam, relfilenode, reltype, relhasindex, relpersistence::text
	   FROM pg_catalog.pg_class WHERE relname IN ('v', 'v2', 'v3') ORDER BY oid`, [][]any{
		{"v", "v", uint32(2200), int16(2), uint32(0), uint32(0), uint32(0), false, "p"},
		{"v2", "v", uint32(2200), int16(2), uint32(0), uint32(0), uint32(0), false, "p"},
		{"v3", "v", uint32(2200), int16(2), uint32(0), uint32(0), uint32(0), false, "p"},
	})
	expectRows(t, c, fmt.Sprintf(`SELECT attrelid, attname, atttypid, atttypmod, attnum, attnotnull, atthasdef, attidentity::text, attisdropped
	   FROM pg_catalog.pg_attribute WHERE attrelid IN (%d, %d) ORDER BY attrelid, attnum`, v2, v3), [][]any{
		{v2, "x", uint32(23), int32(-1), int16(1), false, false, "", false},
		{v2, "y", uint32(1700), int32(10<<16 | 2 + 4), int16(2), false, false, "", false},
		{v3, "z", uint32(23), int32(-1), int16(1), false, false, "", false},
		{v3, "y", uint32(1700), int32(10<<16 | 2 + 4), int16(2), false, false, "", false},
	})

	// The definition: the stored query framed as PostgreSQL frames it, in
	// every form that asks for it.
	const def = " SELECT a, b FROM vt WHERE a > 1;"
	expectRows(t, c, fmt.Sprintf(`SELECT pg_get_viewdef(%[1]d), pg_get_viewdef(%[1]d::oid, true), pg_get_viewdef(%[1]d::oid, 80),
	   pg_get_viewdef('v'), pg_get_viewdef('public.v', false), pg_get_viewdef(to_regclass('v')::oid)`, v), [][]any{
		{def, def, def, def, def, def},
	})
	expectRows(t, c, `SELECT viewname, viewowner, definition FROM pg_catalog.pg_views WHERE schemaname = 'public' ORDER BY 1`, [][]any{
		{"v", "omendb", def},
		{"v2", "omendb", " SELECT a, c FROM vt;"},
		{"v3", "omendb", " SELECT x, y FROM v2 WHERE y IS NOT NULL;"},
	})
	expectRows(t, c, `SELECT table_name, view_definition, check_option, is_updatable, is_insertable_into, is_trigger_updatable,
	   is_trigger_deletable, is_trigger_insertable_into FROM information_schema.views WHERE table_schema = 'public' ORDER BY 1`, [][]any{
		{"v", def, "NONE", "YES", "YES", "NO", "NO", "NO"},
		{"v2", " SELECT a, c FROM vt;", "NONE", "YES", "YES", "NO", "NO", "NO"},
		{"v3", " SELECT x, y FROM v2 WHERE y IS NOT NULL;", "NONE", "YES", "YES", "NO", "NO", "NO"},
	})
	// The emulated catalog views are views too, without SQL text.
	expectRows(t, c, `SELECT (SELECT count(*) FROM pg_catalog.pg_views WHERE viewname IN ('pg_roles', 'pg_views') AND definition IS NULL),
	   (SELECT count(*) FROM information_schema.views WHERE table_schema = 'information_schema' AND table_name IN ('views', 'tables')),
	   (SELECT count(*) FROM pg_catalog.pg_views v JOIN pg_catalog.pg_class c ON c.relname = v.viewname AND c.relkind <> 'v')`, [][]any{
		{int64(2), int64(2), int64(0)},
	})
	expectRows(t, c, `SELECT table_name, table_type, is_insertable_into FROM information_schema.tables
	   WHERE table_schema = 'public' ORDER BY 1`, [][]any{
		{"v", "VIEW", "YES"}, {"v2", "VIEW", "YES"}, {"v3", "VIEW", "YES"}, {"vt", "BASE TABLE", "YES"},
	})
	expectRows(t, c, `SELECT table_name, column_name, ordinal_position, is_nullable, column_default, data_type, is_updatable
	   FROM information_schema.columns WHERE table_name IN ('v2', 'v3') ORDER BY 1, 3`, [][]any{
		{"v2", "x", int32(1), "YES", nil, "integer", "YES"},
		{"v2", "y", int32(2), "YES", nil, "numeric", "YES"},
		{"v3", "z", int32(1), "YES", nil, "integer", "YES"},
		{"v3", "y", int32(2), "YES", nil, "numeric", "YES"},
	})

	// regclass: a view's OID prints as its name, to_regclass finds it.
	expectRows(t, c, fmt.Sprintf(`SELECT %[1]d::regclass::text, %[1]d::oid::regclass::text, to_regclass('v2')::oid, to_regclass('V2')::text,
	   to_regclass('"V2"') IS NULL, to_regclass('public."v2"')::text, to_regclass('x.y.z') IS NULL`, v2), [][]any{
		{"v2", "v2", v2, "v2", true, "v2", true},
	})

	// CREATE OR REPLACE VIEW may add columns: the catalogs follow.
	setup(t, conn, []string{`CREATE OR REPLACE VIEW v AS SELECT a, b, d FROM vt WHERE a > 2`})
	if got := oid("v"); got != v {
		t.Errorf("CREATE OR REPLACE VIEW changed the OID: %d, was %d", got, v)
	}
	expectRows(t, c, fmt.Sprintf(`SELECT c.relnatts, pg_get_viewdef(c.oid), (SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' ORDER BY attnum)
	   FROM pg_catalog.pg_attribute WHERE attrelid = c.oid) FROM pg_catalog.pg_class c WHERE c.oid = %d`, v), [][]any{
		{int16(3), " SELECT a, b, d FROM vt WHERE a > 2;", "a:integer,b:text,d:character varying(20)"},
	})

	// Transactional DDL: a view created in a transaction is in its catalogs
	// only, and gone after ROLLBACK; DROP VIEW removes every row.
	counts := `SELECT (SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'tv'),
	   (SELECT count(*) FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE c.relname = 'tv'),
	   (SELECT count(*) FROM pg_catalog.pg_views WHERE viewname = 'tv'),
	   (SELECT count(*) FROM information_schema.tables WHERE table_name = 'tv'),
	   (SELECT count(*) FROM information_schema.columns WHERE table_name = 'tv'),
	   (SELECT count(*) FROM information_schema.views WHERE table_name = 'tv'),
	   to_regclass('tv') IS NULL`
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `CREATE VIEW tv AS SELECT a, b, c FROM vt`); err != nil {
		t.Fatal(err)
	}
	var in [][]any
	rows, err := tx.Query(ctx, counts)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vs, _ := rows.Values()
		in = append(in, vs)
	}
	rows.Close()
	if want := [][]any{{int64(1), int64(3), int64(1), int64(1), int64(3), int64(1), false}}; !reflect.DeepEqual(in, want) {
		t.Errorf("inside the transaction: %v, want %v", in, want)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	none := [][]any{{int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), true}}
	expectRows(t, c, counts, none)
	setup(t, conn, []string{`CREATE VIEW tv AS SELECT a FROM vt`, `DROP VIEW tv`})
	expectRows(t, c, counts, none)
}

// TestViewRegclassLiteral: 'name'::regclass resolves a view like a table
// (sql/plan Binder.regclass), back to its name, and converts implicitly to
// oid for pg_get_viewdef.
func TestViewRegclassLiteral(t *testing.T) {
	srv := testserver.Start(t)
	conn := testserver.ConnString(srv)
	setup(t, conn, viewSchema)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	expectRows(t, c, `SELECT 'v'::regclass::text, 'public.v2'::regclass::oid = to_regclass('v2')::oid,
	   'v3'::regclass::oid::regclass::text, (SELECT relkind::text FROM pg_catalog.pg_class WHERE oid = 'v'::regclass)`, [][]any{
		{"v", true, "v3", "v"},
	})
	expectRows(t, c, `SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = 'v2'::regclass AND attnum > 0 ORDER BY attnum`,
		[][]any{{"x"}, {"y"}})
	expectRows(t, c, `SELECT pg_get_viewdef('v'::regclass), pg_get_viewdef('v2'::regclass, true)`,
		[][]any{{" SELECT a, b FROM vt WHERE a > 1;", " SELECT a, c FROM vt;"}})
}
