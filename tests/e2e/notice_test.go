package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// noticeScript raises PostgreSQL's NOTICEs and WARNINGs: DROP … IF EXISTS
// of missing objects, CREATE … IF NOT EXISTS of existing ones, ALTER …
// IF EXISTS, BEGIN inside and COMMIT / ROLLBACK outside a transaction
// block, and client_min_messages hiding them.
var noticeScript = []string{
	`CREATE TABLE nt (a int, CONSTRAINT c1 CHECK (a > 0))`,
	`CREATE SCHEMA nts`,
	`CREATE TYPE ntm AS ENUM ('x')`,
	`CREATE INDEX nti ON nt (a)`,
	`CREATE SEQUENCE nts1`,
	`DROP TABLE IF EXISTS nosuch`,
	`DROP TABLE IF EXISTS nosuchschema.t`,
	`DROP TABLE IF EXISTS nosuch, nt2`,
	`DROP MATERIALIZED VIEW IF EXISTS nosuch`,
	`DROP VIEW IF EXISTS nosuch`,
	`DROP INDEX IF EXISTS nosuch`,
	`DROP SEQUENCE IF EXISTS nosuch`,
	`DROP SCHEMA IF EXISTS nosuch`,
	`DROP TYPE IF EXISTS nosuch`,
	`DROP FUNCTION IF EXISTS nosuchf(int)`,
	`DROP FUNCTION IF EXISTS nosuchf(text, varchar)`,
	`DROP FUNCTION IF EXISTS nosuchf`,
	`DROP FUNCTION IF EXISTS nosuchschema.f(int)`,
	`CREATE TABLE IF NOT EXISTS nt (a int)`,
	`CREATE TABLE IF NOT EXISTS nt AS SELECT 1`,
	`CREATE INDEX IF NOT EXISTS nti ON nt (a)`,
	`CREATE SEQUENCE IF NOT EXISTS nts1`,
	`CREATE SCHEMA IF NOT EXISTS nts`,
	`CREATE EXTENSION IF NOT EXISTS plpgsql`,
	`ALTER TABLE IF EXISTS nosuch ADD COLUMN b int`,
	`ALTER TABLE nt ADD COLUMN IF NOT EXISTS a int`,
	`ALTER TABLE nt DROP COLUMN IF EXISTS zz`,
	`ALTER TABLE nt DROP CONSTRAINT IF EXISTS zz`,
	`ALTER TABLE IF EXISTS nosuch RENAME TO x`,
	`ALTER TABLE IF EXISTS nosuch RENAME CONSTRAINT a TO b`,
	`ALTER TABLE IF EXISTS nosuch SET SCHEMA nts`,
	`ALTER TYPE ntm ADD VALUE IF NOT EXISTS 'x'`,
	`BEGIN`, `BEGIN`, `COMMIT`,
	`COMMIT`,
	`ROLLBACK`,
	`SET client_min_messages = warning`,
	`DROP TABLE IF EXISTS nosuch`,
	`COMMIT`,
	`SET client_min_messages = error`,
	`COMMIT`,
	`RESET client_min_messages`,
	// DO blocks' RAISE: NOTICE, WARNING, INFO, with parameters and USING.
	`DO $$ BEGIN RAISE NOTICE 'n % and %%', 1 + 1; RAISE WARNING 'w' USING ERRCODE = '01000'; RAISE INFO 'i %', NULL; END $$`,
	`DO $$ BEGIN CREATE TYPE ntm AS ENUM ('x'); EXCEPTION WHEN duplicate_object THEN RAISE NOTICE 'caught %', SQLSTATE; END $$`,
	`SET client_min_messages = warning`,
	`DO $$ BEGIN RAISE NOTICE 'hidden'; RAISE INFO 'info is always sent'; RAISE DEBUG 'debug'; END $$`,
	`RESET client_min_messages`,
	`DROP TABLE nt`,
}

// TestNoticesMatchPostgres runs noticeScript on OmenDB and PostgreSQL 15,
// in the extended and the simple protocol, and compares every notice's
// severity, SQLSTATE and message, statement by statement.
func TestNoticesMatchPostgres(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t)
	pg := testpg.Start(t)
	run := func(url string, mode pgx.QueryExecMode) []string {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
			got = append(got, fmt.Sprintf("  %s %s %s", n.Severity, n.Code, n.Message))
		}
		cfg.DefaultQueryExecMode = mode
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var out []string
		for _, s := range noticeScript {
			got = got[:0]
			if _, err := c.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			out = append(out, s)
			out = append(out, got...)
		}
		// Leave both databases as they were for the next mode.
		for _, s := range []string{`DROP SCHEMA nts`, `DROP TYPE ntm`, `DROP SEQUENCE nts1`} {
			if _, err := c.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		return out
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		want := run(pg.ConnString(), mode)
		got := run(testserver.ConnString(srv), mode)
		if w, g := strings.Join(want, "\n"), strings.Join(got, "\n"); w != g {
			t.Errorf("mode %v: notices differ\n--- OmenDB:\n%s\n--- PostgreSQL 15:\n%s", mode, g, w)
		}
		if n := strings.Count(strings.Join(want, "\n"), "  NOTICE"); n < 25 {
			t.Errorf("PostgreSQL raised only %d notices: the script no longer tests what it should", n)
		}
	}
}

// TestDOLoopCancels: a DO loop with an empty body still ends at
// statement_timeout (57014) instead of running on.
func TestDOLoopCancels(t *testing.T) {
	ctx := context.Background()
	c := testserver.Connect(t, testserver.Start(t))
	if _, err := c.Exec(ctx, `SET statement_timeout = '200ms'`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DO $$ BEGIN FOR i IN 1..2000000000 LOOP END LOOP; END $$`,
		`DO $$ BEGIN LOOP END LOOP; END $$`,
	} {
		_, err := c.Exec(ctx, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "57014" {
			t.Errorf("%s: %v, want 57014", q, err)
		}
	}
}
