package pgcatalog_test

import (
	"fmt"
	"testing"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// schemaDDL builds user schemas holding tables, views, indexes, sequences
// and enum types, one table name in two schemas.
var schemaDDL = []string{
	`CREATE SCHEMA s1`,
	`CREATE SCHEMA "Odd Schema"`,
	`CREATE TYPE s1.color AS ENUM ('red', 'green')`,
	`CREATE TABLE s1.t (id serial PRIMARY KEY, v text NOT NULL DEFAULT 'x', c s1.color)`,
	`CREATE INDEX t_v_idx ON s1.t (v)`,
	`CREATE TABLE t (id int PRIMARY KEY)`,
	`CREATE TABLE "Odd Schema".u (id int PRIMARY KEY, t_id int REFERENCES s1.t (id))`,
	`CREATE VIEW s1.tv AS SELECT id, v FROM s1.t`,
	`CREATE SEQUENCE s1.seq`,
}

// schemaDescribe are psql commands whose output must equal PostgreSQL
// 15's, under the default search path and others.
var schemaDescribe = []string{
	`\dn`,
	`\dn+`,
	`\dT s1.*`,
	"SET search_path TO s1, public;\n\\dT",
	`\dt`,
	`\dt s1.*`,
	`\d s1.t`,
	`\d s1.tv`,
	`\di s1.*`,
	`\ds s1.*`,
	`\d "Odd Schema".u`,
	`\dt "Odd Schema".*`,
	"SET search_path TO s1, public;\n\\dt",
	"SET search_path TO s1, public;\n\\d t",
	"SET search_path TO public, s1;\n\\dv",
	`SELECT c.relname, n.nspname, pg_table_is_visible(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	   WHERE n.nspname IN ('public', 's1', 'Odd Schema') ORDER BY 2, 1`,
	"SET search_path TO s1, public;\n" + `SELECT c.relname, n.nspname, pg_table_is_visible(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	   WHERE n.nspname IN ('public', 's1', 'Odd Schema') ORDER BY 2, 1`,
	`SELECT schema_name, schema_owner FROM information_schema.schemata WHERE schema_name IN ('s1', 'Odd Schema', 'public') ORDER BY 1`,
	`SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema IN ('s1', 'Odd Schema') ORDER BY 1, 2`,
	`SELECT table_schema, table_name, column_name, column_default FROM information_schema.columns WHERE table_schema IN ('s1', 'Odd Schema') ORDER BY 1, 2, 3`,
	`SELECT t.typname, n.nspname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 's1' AND t.typtype = 'e' OR t.typcategory = 'A' AND t.typelem IN (SELECT oid FROM pg_type WHERE typtype = 'e') ORDER BY 1`,
	`SELECT nspname, pg_get_userbyid(nspowner), nspacl FROM pg_namespace WHERE nspname IN ('s1', 'Odd Schema') ORDER BY 1`,
}

// TestPsqlSchemasMatchPostgres: psql's \dn, \dt and \d of objects in user
// schemas print what PostgreSQL 15 prints, as do the catalog rows behind
// them.
func TestPsqlSchemasMatchPostgres(t *testing.T) {
	psql := psqlPath(t)
	srv := testserver.Start(t)
	pg := testpg.Start(t, testpg.WithDatabase("omendb"), testpg.WithNoFsync())
	setup(t, pg.ConnString(), []string{`CREATE ROLE omendb SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS LOGIN`})
	pgConn := fmt.Sprintf("postgres://omendb@%s:%d/omendb?sslmode=disable", pg.Host(), pg.Port())
	omenConn := testserver.ConnString(srv)
	setup(t, pgConn, schemaDDL)
	setup(t, omenConn, schemaDDL)
	for _, cmd := range schemaDescribe {
		want := runPsql(t, psql, pgConn, cmd)
		got := runPsql(t, psql, omenConn, cmd)
		if got != want {
			t.Errorf("%s\n--- OmenDB:\n%s\n--- PostgreSQL 15:\n%s", cmd, got, want)
		}
	}
}
