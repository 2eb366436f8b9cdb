package pgcatalog_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// schema is created on both OmenDB and PostgreSQL 15 before psql's
// describe commands run against each.
var schema = []string{
	`CREATE TABLE accounts (
		id serial PRIMARY KEY,
		name varchar(40) NOT NULL DEFAULT 'anon',
		balance numeric(12,2),
		email text UNIQUE,
		created timestamptz,
		flag boolean NOT NULL,
		small smallint,
		big bigint
	)`,
	`CREATE INDEX accounts_name_balance_idx ON accounts (name, balance)`,
	`CREATE TABLE items (sku bigint PRIMARY KEY, title text, price double precision, added date)`,
	`CREATE INDEX items_title_idx ON items (title)`,
	// Key elements in each order: \d prints DESC, NULLS FIRST / LAST.
	`CREATE INDEX items_added_price_idx ON items (added DESC, price NULLS FIRST)`,
	`CREATE UNIQUE INDEX items_title_sku_idx ON items (title DESC NULLS LAST, sku)`,
	`CREATE TABLE pairs (a integer NOT NULL, b integer NOT NULL, note char(3), PRIMARY KEY (a, b))`,
	`CREATE TABLE tagged (id int PRIMARY KEY, tags text[] NOT NULL DEFAULT '{}', scores int4[], m float8[][],
		v varchar(5)[], n numeric(6,2)[], ts timestamptz[])`,
	// Foreign keys: \d prints them on both sides ("Foreign-key
	// constraints", "Referenced by").
	`CREATE TABLE orders (id int PRIMARY KEY, account int NOT NULL REFERENCES accounts ON DELETE CASCADE,
		email text REFERENCES accounts (email) ON UPDATE CASCADE ON DELETE SET NULL,
		a int, b int, parent int REFERENCES orders DEFERRABLE INITIALLY DEFERRED,
		CONSTRAINT orders_pair FOREIGN KEY (a, b) REFERENCES pairs MATCH FULL)`,
	`ALTER TABLE orders ADD CONSTRAINT orders_sku FOREIGN KEY (b) REFERENCES accounts NOT VALID`,
	// Every action, quoted names, a two-column self-reference, a
	// referenced unique constraint, cross-width integer keys.
	`CREATE TABLE "Ship To" ("Zone" smallint, "Code" varchar(8), label text, PRIMARY KEY ("Zone", "Code"), UNIQUE (label))`,
	`CREATE TABLE tree (id int, ver int, pid int, pver int, zone int, code text, label text DEFAULT 'x',
		PRIMARY KEY (id, ver),
		FOREIGN KEY (pid, pver) REFERENCES tree ON UPDATE SET NULL ON DELETE RESTRICT,
		CONSTRAINT "Tree Ship" FOREIGN KEY (zone, code) REFERENCES "Ship To" ON UPDATE CASCADE DEFERRABLE,
		FOREIGN KEY (label) REFERENCES "Ship To" (label) ON DELETE SET DEFAULT INITIALLY DEFERRED)`,
	`ALTER TABLE tree ADD CONSTRAINT tree_acct FOREIGN KEY (zone) REFERENCES accounts ON UPDATE RESTRICT ON DELETE NO ACTION NOT VALID`,
	// Indexes on expressions and partial indexes: \d prints them as
	// pg_get_indexdef(oid, 0, true) does, PostgreSQL's coercions shown.
	`CREATE TABLE users (id int PRIMARY KEY, email varchar(80), name text, active boolean, n int,
		deleted_at timestamptz, a int, b int, price numeric(8,2))`,
	`CREATE UNIQUE INDEX users_lower_email ON users (lower(email)) WHERE active`,
	`CREATE INDEX ON users ((a + b), a) WHERE deleted_at IS NULL AND n > 0`,
	`CREATE UNIQUE INDEX ON users (name) WHERE n > -1 AND NOT active`,
	`CREATE INDEX ON users (upper(name), (email::text)) WHERE price > 0 OR name = 'x'`,
	`CREATE INDEX ON users (lower(name))`,
	`CREATE INDEX ON users (lower(name))`,
	`CREATE UNIQUE INDEX ON users (n)`,
	// Sequences with options, an identity column and a CHECK constraint
	// (\d prints them from pg_sequence, pg_depend and relchecks).
	`CREATE SEQUENCE psql_seq AS integer START 10 INCREMENT 2 MAXVALUE 100 CYCLE`,
	`CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY (START WITH 3) PRIMARY KEY, q int CHECK (q > 0))`,
	// ALTER COLUMN TYPE that rewrites the table: \d shows the new types
	// and the rebuilt indexes.
	`CREATE TABLE retyped (id int PRIMARY KEY, code text, amt numeric(10,2), tag varchar(10) UNIQUE, n int NOT NULL)`,
	`CREATE INDEX retyped_code_idx ON retyped (code)`,
	`INSERT INTO retyped VALUES (1, '10', 1.5, 'a', 1), (2, '20', 2.25, 'b', 2)`,
	`ALTER TABLE retyped ALTER COLUMN code TYPE integer USING code::integer, ALTER COLUMN amt TYPE numeric(12,4),
		ALTER COLUMN id TYPE bigint, ALTER COLUMN tag TYPE text, ALTER COLUMN n TYPE boolean USING n > 1`,
	`CREATE SCHEMA trg`,
	`CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.added := current_date; RETURN NEW; END $$`,
	`CREATE FUNCTION trg.note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
	`CREATE TRIGGER items_stamp BEFORE INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION stamp()`,
	`CREATE TRIGGER items_note AFTER UPDATE OR DELETE OR INSERT ON items FOR EACH ROW EXECUTE FUNCTION trg.note('a', 'it''s')`,
	`CREATE TRIGGER items_stmt AFTER DELETE ON items EXECUTE PROCEDURE stamp()`,
	`CREATE TRIGGER items_off BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION stamp()`,
	`ALTER TABLE items DISABLE TRIGGER items_off`,
}

// describe are psql commands (and catalog queries clients send) whose
// output must be identical on both servers.
var describe = []string{
	// Listings with no pattern: only the session's visible objects
	// (pg_table_is_visible keeps information_schema out), and the
	// catalogs of objects OmenDB has none of, listed empty.
	`\dp`,
	`\z`,
	`\dv`,
	`\dm`,
	`\dE`,
	`\dc`,
	`\do`,
	`\dO`,
	`\dd`,
	`\drds`,
	`\dx`,
	`\dT`,
	`\dD`,
	`\df`,
	`\dy`,
	`\dRp`,
	`\dRs`,
	`\dx+`,
	`\d items`,
	`\df+ stamp`,
	`SELECT tgname, tgtype, tgenabled, tgnargs, tgfoid::regproc, pg_get_triggerdef(oid), pg_get_triggerdef(oid, true)
	   FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`,
	`SELECT l.lanname, l.lanplcallfoid::regprocedure, l.laninline::regprocedure, l.lanvalidator::regprocedure,
	   obj_description(l.oid, 'pg_language') FROM pg_catalog.pg_language l ORDER BY 1`,
	`\dfn`,
	`\dft`,
	`\dfa`,
	`\dP`,
	`\dP+`,
	`SELECT amname, obj_description(oid, 'pg_am') FROM pg_catalog.pg_am WHERE amname IN ('btree', 'hash', 'heap') ORDER BY 1`,
	`SELECT 'trigger'::regtype, 'pg_catalog.internal'::regtype::oid, format_type(2279, NULL), 3838::regtype, 2280::regtype::text`,
	`SELECT * FROM pg_catalog.pg_partition_tree('accounts')`,
	`SELECT pg_size_pretty(1.5::numeric), pg_size_pretty(10239.5::numeric), pg_size_pretty(20479.5 * 1024::numeric),
	   pg_size_pretty(123456789012345678901234567890::numeric), pg_size_pretty(-12345::numeric), pg_size_pretty(-10240::numeric),
	   pg_size_pretty(sum(x)), pg_size_pretty(10485248::bigint), pg_size_pretty('NaN'::numeric)
	 FROM (VALUES (1::bigint), (20000)) v(x)`,
	`SELECT l.lanname, d.description FROM pg_catalog.pg_language l
	   LEFT JOIN pg_catalog.pg_description d ON d.classoid = l.tableoid AND d.objoid = l.oid AND d.objsubid = 0
	 WHERE l.lanname IN ('plpgsql', 'sql', 'internal') ORDER BY 1`,
	`SELECT e.extname, obj_description(e.oid, 'pg_extension'), obj_description(l.oid, 'pg_language')
	   FROM pg_catalog.pg_extension e, pg_catalog.pg_language l WHERE l.lanname = e.extname`,
	`SELECT spcname, pg_catalog.pg_tablespace_location(oid) FROM pg_catalog.pg_tablespace ORDER BY 1`,
	`SELECT pg_catalog.getdatabaseencoding(), pg_table_is_visible('information_schema.tables'::regclass),
	   pg_table_is_visible('pg_catalog.pg_class'::regclass)`,
	`SET search_path = information_schema, public
SELECT pg_table_is_visible('information_schema.tables'::regclass), 'tables'::regclass::text`,
	`\ds`,
	`\d psql_seq`,
	`\d accounts_id_seq`,
	`\d ident`,
	`\d ident_id_seq`,
	`\dn+`,
	`\dt`,
	`\di`,
	`\dn`,
	`\d accounts_pkey`,
	`\d pairs_pkey`,
	`\d items_title_idx`,
	`\d items_added_price_idx`,
	`SELECT indexrelid::regclass, indoption, pg_get_indexdef(indexrelid, 0, true), pg_get_indexdef(indexrelid, 1, false)
	   FROM pg_index WHERE indrelid = 'items'::regclass ORDER BY indexrelid::regclass::text`,
	`\d accounts_email_key`,
	`\d accounts`,
	`\d accounts_name_balance_idx`,
	`\d items`,
	`\d pairs`,
	`\du omendb`,
	`\d tagged`,
	`\d orders`,
	`\d pairs`,
	`\d tree`,
	`\d "Ship To"`,
	`\d+ tree`,
	`\d accounts`,
	`\d users`,
	`\d users_lower_email`,
	`\d users_expr_a_idx`,
	`\d retyped`,
	`\d retyped_code_idx`,
	`\d users_upper_email_idx`,
	`\di users*`,
	`SELECT indexrelid::regclass, indkey, indexprs IS NOT NULL, indpred IS NOT NULL, pg_get_indexdef(indexrelid),
	        pg_get_indexdef(indexrelid, 1, true), pg_get_indexdef(indexrelid, 2, false)
	   FROM pg_index WHERE indrelid = 'users'::regclass ORDER BY indexrelid`,
	`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'users' ORDER BY 1`,
	`SELECT conname, contype FROM pg_constraint WHERE conrelid = 'users'::regclass ORDER BY 1`,
	`SELECT constraint_name, unique_constraint_name, match_option, update_rule, delete_rule
	   FROM information_schema.referential_constraints ORDER BY 1`,
	`SELECT constraint_name, table_name, column_name, ordinal_position, position_in_unique_constraint
	   FROM information_schema.key_column_usage WHERE constraint_name LIKE 'orders%' ORDER BY 1, 4`,
	`SELECT constraint_name, constraint_type, is_deferrable, initially_deferred FROM information_schema.table_constraints
	   WHERE table_name = 'orders' AND constraint_type <> 'CHECK' ORDER BY 1`,
	`SELECT conname, contype, condeferrable, condeferred, convalidated, conrelid::regclass, confrelid::regclass,
	        confupdtype, confdeltype, confmatchtype, conkey, confkey, conindid::regclass, pg_get_constraintdef(oid, true)
	   FROM pg_catalog.pg_constraint WHERE contype = 'f' ORDER BY conname`,
	`SELECT conname, conpfeqop, conppeqop, conffeqop, confdelsetcols, conexclop, conparentid, conislocal, coninhcount, connoinherit
	   FROM pg_catalog.pg_constraint WHERE conrelid IN ('tree'::regclass, 'orders'::regclass, '"Ship To"'::regclass) ORDER BY conname`,
	`SELECT * FROM information_schema.constraint_column_usage WHERE table_schema = 'public' ORDER BY constraint_name, column_name`,
	`SELECT * FROM information_schema.constraint_table_usage WHERE table_schema = 'public' ORDER BY constraint_name`,
	`\dp tagged`,
	`SELECT relname, relacl, array_to_string(relacl, ',') FROM pg_catalog.pg_class WHERE relname IN ('tagged', 'items') ORDER BY 1`,
	`SELECT 'tagged'::regclass, 'tagged_pkey'::regclass::text, c.oid::regclass, 'public'::regnamespace, 0::regclass
	   FROM pg_catalog.pg_class c WHERE c.relname = 'items'`,
	"INSERT INTO tagged VALUES (1, '{a,\"b c\",NULL}', ARRAY[1,2], '{{1.5,2},{3,4}}', '{x}', '{1.5}', '{\"2024-01-02 03:04:05+00\"}')\n" +
		`SELECT *, m[2][1], array_dims(m), cardinality(m) FROM tagged`,
	`SELECT a.attname, a.atttypid, a.atttypid::regtype, format_type(a.atttypid, a.atttypmod), a.attndims
	   FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'tagged'::regclass AND a.attnum > 0 ORDER BY a.attnum`,
	`SELECT indkey, indclass, indcollation, indoption, indkey[0] AS first, array_length(indkey::int2[], 1) AS n
	   FROM pg_catalog.pg_index WHERE indrelid IN ('accounts'::regclass, 'pairs'::regclass) ORDER BY (SELECT relname FROM pg_catalog.pg_class WHERE oid = indexrelid)`,
	`SELECT conname, conkey, confkey, array_to_string(conkey, ',') FROM pg_catalog.pg_constraint
	   WHERE conrelid IN ('accounts'::regclass, 'pairs'::regclass) AND contype IN ('p', 'u') ORDER BY 1`,
	`SELECT c.relname, c.reloptions, r.rolconfig FROM pg_catalog.pg_class c, pg_catalog.pg_roles r
	   WHERE c.relname = 'items' AND r.rolname = current_user`,
	`SELECT 1::int2::text, CASE WHEN true THEN 1 END::text, ARRAY[1, 2], (ARRAY[1, 2])[2], ARRAY(SELECT 1), 1 = ANY (ARRAY[1]),
	   '{a,"b c"}'::text[], '1 2'::int2vector, row_number() OVER ()`,
	`SELECT a.attname, a.atttypid::regtype, a.atttypid::regtype::text, 0::regtype, 1042::regtype, 1009::regtype, 22::regtype
	   FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'accounts'::regclass AND a.attnum > 0 ORDER BY a.attnum`,
	`SELECT proname, pronargs, prorettype, proargtypes, provolatile, proisstrict FROM pg_catalog.pg_proc
	   WHERE proname IN ('abs', 'array_length', 'array_to_string', 'concat', 'now', 'cardinality') ORDER BY 1, proargtypes::text`,
	`SELECT a.attname FROM pg_catalog.pg_attribute a, pg_catalog.pg_index i
	   WHERE i.indrelid = 'pairs'::regclass AND a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) ORDER BY 1`,
	`SELECT relkind FROM pg_catalog.pg_class WHERE oid = 'accounts'::pg_catalog.regclass`,
	`SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef, a.attnum
	   FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'accounts'::regclass AND a.attnum > 0 ORDER BY a.attnum`,
	`SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d
	   WHERE d.adrelid = 'accounts'::regclass ORDER BY d.adnum`,
	`SELECT c2.relname, i.indisprimary, i.indisunique, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
	   pg_catalog.pg_get_constraintdef(con.oid, true), contype
	 FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
	   LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
	 WHERE c.relname IN ('accounts', 'items', 'pairs') AND c.oid = i.indrelid AND i.indexrelid = c2.oid
	 ORDER BY c2.relname`,
	`SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 2`,
	`SELECT table_name, column_name, ordinal_position, column_default, is_nullable, data_type,
	   character_maximum_length, numeric_precision, numeric_scale, datetime_precision, udt_name
	 FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 3`,
	`SELECT constraint_name, table_name, constraint_type FROM information_schema.table_constraints
	   WHERE table_schema = 'public' AND constraint_type <> 'CHECK' ORDER BY 1`,
	`SELECT table_name, count(*) FROM information_schema.table_constraints
	   WHERE table_schema = 'public' AND constraint_type = 'CHECK' AND constraint_name LIKE '%_not_null' GROUP BY 1 ORDER BY 1`,
	`SELECT constraint_name, table_name, column_name, ordinal_position FROM information_schema.key_column_usage
	   WHERE table_schema = 'public' ORDER BY 1, 4`,
	`SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('public', 'pg_catalog', 'information_schema') ORDER BY 1`,
	`SELECT t.typname, t.typlen, t.typcategory, n.nspname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
	   WHERE t.oid IN (16, 20, 21, 23, 25, 700, 701, 1043, 1082, 1114, 1184, 1700, 2950, 3802) ORDER BY t.oid`,
	`SELECT pg_catalog.pg_get_userbyid(c.relowner), pg_catalog.pg_table_is_visible(c.oid), has_table_privilege(c.oid, 'SELECT'),
	   obj_description(c.oid, 'pg_class') FROM pg_catalog.pg_class c WHERE c.relname = 'items'`,
	`SELECT 'pg_type'::regclass = 1247::oid AS is_pg_type, 'pg_class'::regclass = 1259::oid AS is_pg_class`,
	`SELECT 'integer'::regtype::oid AS a, 'pg_catalog.varchar'::regtype::oid AS b, 'text[]'::regtype::oid AS c,
	   'public'::regnamespace::oid AS d, 'pg_catalog'::regnamespace::oid AS e`,
	`SELECT typname FROM pg_catalog.pg_type WHERE oid = 'bigint'::regtype`,
	`SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN ('standard_conforming_strings', 'integer_datetimes', 'max_index_keys', 'block_size') ORDER BY 1`,
	`SELECT rolname, rolsuper, rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = current_user`,
	`SELECT usename, usesuper FROM pg_catalog.pg_user WHERE usename = current_user`,
	`SELECT datname, pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database WHERE datname = current_database()`,
	`SELECT amname FROM pg_catalog.pg_am WHERE oid = 403`,
	`SELECT collname FROM pg_catalog.pg_collation WHERE oid = 100`,
	`SELECT count(*) FROM pg_catalog.pg_inherits WHERE inhparent = 'items'::regclass`,
	`SELECT count(*) FROM pg_catalog.pg_description WHERE objoid = 'items'::regclass`,
	`SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.~) '^(items)$' COLLATE pg_catalog.default`,
	"\\copy pairs from stdin\n1\t2\tabc\n3\t4\t\\N\n\\.\n\\copy (SELECT a, b, note FROM pairs ORDER BY a) to stdout with csv\nSELECT * FROM pairs ORDER BY a",
	`\x on
SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'pairs'`,
}

func psqlPath(t *testing.T) string {
	p, err := exec.LookPath("psql")
	if err != nil {
		t.Fatalf("psql not installed (scripts/client-deps.sh installs postgresql-client-15): %v", err)
	}
	return p
}

func runPsql(t *testing.T, psql, conn, input string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, psql, "-X", "-q", "-P", "pager=off", conn)
	cmd.Stdin = strings.NewReader(input + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", input, err, out)
	}
	return string(out)
}

func setup(t *testing.T, conn string, stmts []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, s := range stmts {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestPsqlDescribeMatchesPostgres runs psql's describe commands and the
// catalog queries clients send against OmenDB and PostgreSQL 15 with the
// same schema and demands byte-identical output.
func TestPsqlDescribeMatchesPostgres(t *testing.T) {
	psql := psqlPath(t)
	srv := testserver.Start(t)
	pg := testpg.Start(t, testpg.WithDatabase("omendb"), testpg.WithNoFsync())
	// Connect to PostgreSQL as a superuser named like OmenDB's user, with
	// the attributes OmenDB's one role has, so that owners and \du print
	// the same.
	setup(t, pg.ConnString(), []string{`CREATE ROLE omendb SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS LOGIN`})
	pgConn := fmt.Sprintf("postgres://omendb@%s:%d/omendb?sslmode=disable", pg.Host(), pg.Port())
	omenConn := testserver.ConnString(srv)
	setup(t, pgConn, schema)
	setup(t, omenConn, schema)
	for _, cmd := range describe {
		want := runPsql(t, psql, pgConn, cmd)
		got := runPsql(t, psql, omenConn, cmd)
		if got != want {
			t.Errorf("%s\n--- OmenDB:\n%s\n--- PostgreSQL 15:\n%s", cmd, got, want)
		}
	}
	// Plain \du: PostgreSQL also lists its bootstrap superuser, OmenDB has
	// only its one role; the only normalisation is comparing with
	// PostgreSQL's \du restricted to that role.
	if got, want := runPsql(t, psql, omenConn, `\du`), runPsql(t, psql, pgConn, `\du omendb`); got != want {
		t.Errorf("\\du\n--- OmenDB:\n%s\n--- PostgreSQL 15 (\\du omendb):\n%s", got, want)
	}
}

// TestUnsupportedFailsLoudly pins what does not work yet: catalogs that are
// not emulated fail with 0A000, never print a wrong answer.
func TestUnsupportedFailsLoudly(t *testing.T) {
	srv := testserver.Start(t)
	conn := testserver.ConnString(srv)
	setup(t, conn, schema)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{`SELECT * FROM pg_catalog.pg_stat_replication`, `SELECT * FROM information_schema.column_domain_usage`} {
		_, err := c.Exec(ctx, q)
		if code := sqlstate(err); code != "0A000" {
			t.Errorf("%s: SQLSTATE %q (%v), want 0A000", q, code, err)
		}
	}
}

func sqlstate(err error) string {
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		return pe.SQLState()
	}
	return ""
}
