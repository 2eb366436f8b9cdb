package cdc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// TestBadInput: every way CREATE SOURCE can be wrong gives a clear error
// at once (never a hang), and leaves no slot behind on the source.
func TestBadInput(t *testing.T) {
	pg := testpg.Start(t)
	src := connect(t, pg.ConnString())
	run(t, src, `CREATE TABLE t (id int PRIMARY KEY)`, `CREATE PUBLICATION pub FOR TABLE t`,
		`CREATE ROLE weak LOGIN`, `GRANT SELECT ON t TO weak`,
		`SELECT pg_create_logical_replication_slot('omendb_taken', 'pgoutput')`)
	omen := testserver.Start(t)
	dst := connect(t, testserver.ConnString(omen))
	run(t, dst, `CREATE TABLE clash (id int)`)
	weak := strings.Replace(pg.ConnString(), "postgres@", "weak@", 1)

	cases := []struct {
		name, sql, code, text string
	}{
		{"syntax", `CREATE SOURCE x FROM POSTGRES PUBLICATION 'pub'`, "42601", "syntax error"},
		{"unreachable", `CREATE SOURCE x FROM POSTGRES CONNECTION 'host=127.0.0.1 port=1 user=postgres connect_timeout=2' PUBLICATION 'pub'`, "08001", "could not connect"},
		{"bad conninfo", `CREATE SOURCE x FROM POSTGRES CONNECTION 'port=notaport' PUBLICATION 'pub'`, "22023", "invalid CONNECTION"},
		{"no database", `CREATE SOURCE x FROM POSTGRES CONNECTION ` + lit(strings.Replace(pg.ConnString(), "/postgres?", "/nosuchdb?", 1)) + ` PUBLICATION 'pub'`, "3D000", "nosuchdb"},
		{"missing publication", `CREATE SOURCE x FROM POSTGRES CONNECTION ` + lit(pg.ConnString()) + ` PUBLICATION 'nope'`, "42704", `publication "nope" does not exist`},
		{"table not published", `CREATE SOURCE x FROM POSTGRES CONNECTION ` + lit(pg.ConnString()) + ` PUBLICATION 'pub' FOR TABLES (other)`, "42P01", "not in publication"},
		{"slot in use", `CREATE SOURCE taken FROM POSTGRES CONNECTION ` + lit(pg.ConnString()) + ` PUBLICATION 'pub'`, "42710", "already exists"},
		{"permission denied", `CREATE SOURCE x FROM POSTGRES CONNECTION ` + lit(weak) + ` PUBLICATION 'pub'`, "42501", "replication"},
		{"drop unknown", `DROP SOURCE nope`, "42704", "does not exist"},
	}
	for _, c := range cases {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := dst.Exec(ctx, c.sql)
		cancel()
		if err == nil || sqlState(err) != c.code || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: got %v (%s), want %s containing %q", c.name, err, sqlState(err), c.code, c.text)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("%s took %v", c.name, d)
		}
	}
	// A name clash with an existing OmenDB table is refused and the slot
	// created for it is dropped again.
	run(t, src, `CREATE TABLE clash (id int PRIMARY KEY)`, `CREATE PUBLICATION pub2 FOR TABLE clash`)
	_, err := dst.Exec(context.Background(), `CREATE SOURCE c FROM POSTGRES CONNECTION `+lit(pg.ConnString())+` PUBLICATION 'pub2'`)
	if sqlState(err) != "42P07" {
		t.Errorf("name clash: got %v, want 42P07", err)
	}
	var slots string
	if err := src.QueryRow(context.Background(), `SELECT string_agg(slot_name, ',') FROM pg_replication_slots`).Scan(&slots); err != nil || slots != "omendb_taken" {
		t.Errorf("slots left: %q %v", slots, err)
	}

	// wal_level not logical.
	pgr := testpg.Start(t, testpg.WithConfig("wal_level = replica"))
	srcr := connect(t, pgr.ConnString())
	run(t, srcr, `CREATE TABLE t (id int PRIMARY KEY)`, `CREATE PUBLICATION pub FOR TABLE t`)
	_, err = dst.Exec(context.Background(), `CREATE SOURCE r FROM POSTGRES CONNECTION `+lit(pgr.ConnString())+` PUBLICATION 'pub'`)
	if sqlState(err) != "55000" || !strings.Contains(err.Error(), "wal_level") {
		t.Errorf("wal_level=replica: got %v, want 55000 naming wal_level", err)
	}
	rows, err := textRows(dst, "SHOW SOURCES")
	if err != nil || len(rows) != 0 {
		t.Errorf("SHOW SOURCES after failures: %q %v", rows, err)
	}
}
