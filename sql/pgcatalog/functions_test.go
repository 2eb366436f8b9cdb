package pgcatalog_test

import (
	"fmt"
	"testing"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// TestPsqlDescribeFunctions: psql's \df and \sf show user-defined SQL
// functions as PostgreSQL 15 does (byte for byte): overloads, defaults,
// OUT parameters, SETOF and TABLE results, functions in a user schema.
func TestPsqlDescribeFunctions(t *testing.T) {
	psql := psqlPath(t)
	srv := testserver.Start(t)
	pg := testpg.Start(t, testpg.WithDatabase("omendb"), testpg.WithNoFsync())
	setup(t, pg.ConnString(), []string{`CREATE ROLE omendb SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS LOGIN`})
	pgConn := fmt.Sprintf("postgres://omendb@%s:%d/omendb?sslmode=disable", pg.Host(), pg.Port())
	omenConn := testserver.ConnString(srv)
	schema := []string{
		`CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), qty int)`,
		`CREATE FUNCTION add_one(a int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + 1'`,
		`CREATE FUNCTION add_one(a bigint) RETURNS bigint LANGUAGE sql STRICT AS 'SELECT a + 1'`,
		`CREATE FUNCTION greet(name text, greeting text DEFAULT 'hello', n int DEFAULT 1) RETURNS text LANGUAGE sql STABLE AS $$ SELECT repeat(greeting || ' ' || name, n) $$`,
		`CREATE FUNCTION cheap(maxp numeric) RETURNS SETOF text LANGUAGE sql AS $$ SELECT name FROM items WHERE price <= maxp $$`,
		`CREATE FUNCTION stock(minq int) RETURNS TABLE(item text, n int) LANGUAGE sql AS $$ SELECT name, qty FROM items WHERE qty >= minq $$`,
		`CREATE FUNCTION minmax(OUT lo int, OUT hi int) LANGUAGE sql AS $$ SELECT min(qty), max(qty) FROM items $$`,
		`CREATE FUNCTION "Quoted Name"("my arg" text) RETURNS text LANGUAGE sql AS $$ SELECT $1 $$`,
		`CREATE FUNCTION nothing() RETURNS void LANGUAGE sql AS ''`,
		`CREATE SCHEMA util`,
		`CREATE FUNCTION util.half(x numeric) RETURNS numeric LANGUAGE sql AS 'SELECT x / 2'`,
	}
	setup(t, pgConn, schema)
	setup(t, omenConn, schema)
	for _, cmd := range []string{
		`\df`,
		`\df add_one`,
		`\df util.*`,
		`\df+ greet`,
		`\sf greet`,
		`\sf stock`,
		`\sf minmax`,
		`\sf util.half`,
		`\sf+ cheap`,
		`\sf "Quoted Name"`,
		`SET search_path = util, public` + "\n" + `\df`,
	} {
		want := runPsql(t, psql, pgConn, cmd)
		got := runPsql(t, psql, omenConn, cmd)
		if got != want {
			t.Errorf("%s\n--- OmenDB:\n%s\n--- PostgreSQL 15:\n%s", cmd, got, want)
		}
	}
}
