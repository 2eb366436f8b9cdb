package pgcatalog_test

import (
	"fmt"
	"testing"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// TestPsqlDescribeEnums: psql's \dT, \dT+ and \d show enum types and the
// columns of them as PostgreSQL 15 does (byte for byte).
func TestPsqlDescribeEnums(t *testing.T) {
	psql := psqlPath(t)
	srv := testserver.Start(t)
	pg := testpg.Start(t, testpg.WithDatabase("omendb"), testpg.WithNoFsync())
	setup(t, pg.ConnString(), []string{`CREATE ROLE omendb SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS LOGIN`})
	pgConn := fmt.Sprintf("postgres://omendb@%s:%d/omendb?sslmode=disable", pg.Host(), pg.Port())
	omenConn := testserver.ConnString(srv)
	enumSchema := []string{
		`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'`,
		`CREATE TYPE "Traffic Light" AS ENUM ('red', 'amber', 'green')`,
		`CREATE TYPE nothing AS ENUM ()`,
		`COMMENT ON TYPE mood IS 'how one feels'`,
		`CREATE TABLE moods (id int PRIMARY KEY, m mood NOT NULL DEFAULT 'ok', ms mood[], light "Traffic Light")`,
		`CREATE INDEX moods_m ON moods (m)`,
	}
	setup(t, pgConn, enumSchema)
	setup(t, omenConn, enumSchema)
	for _, cmd := range []string{
		`\dT`,
		`\dT+`,
		`\dT mood`,
		`\dT+ "Traffic Light"`,
		`\d moods`,
		`\d+ moods`,
		`\d moods_m`,
		`SELECT table_name, column_name, data_type, udt_schema, udt_name, column_default FROM information_schema.columns
		   WHERE table_schema = 'public' ORDER BY 1, ordinal_position`,
		`SELECT t.typname, t.typtype, t.typcategory, t.typlen, t.typbyval, t.typalign, t.typstorage, t.typdelim, t.typelem <> 0 AS has_elem,
		   format_type(t.oid, NULL), t.oid::regtype, pg_catalog.pg_type_is_visible(t.oid)
		   FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public'
		   AND t.typname NOT IN ('moods', '_moods') ORDER BY 1`, // tables have no row types in OmenDB
		`SELECT e.enumlabel, e.enumsortorder, e.enumtypid::regtype FROM pg_catalog.pg_enum e ORDER BY e.enumtypid::regtype::text, e.enumsortorder`,
		"INSERT INTO moods VALUES (1, 'happy', '{sad,meh}', 'amber'), (2, DEFAULT, NULL, NULL)\n" +
			`SELECT * FROM moods ORDER BY m`,
		"\\copy moods from stdin\n3\tmeh\t{ok}\tgreen\n\\.\n\\copy (SELECT * FROM moods ORDER BY m DESC) to stdout with csv",
	} {
		want := runPsql(t, psql, pgConn, cmd)
		got := runPsql(t, psql, omenConn, cmd)
		if got != want {
			t.Errorf("%s\n--- OmenDB:\n%s\n--- PostgreSQL 15:\n%s", cmd, got, want)
		}
	}
}
