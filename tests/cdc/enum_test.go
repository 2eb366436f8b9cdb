package cdc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// TestEnumColumnsRefused: OmenDB does not replicate columns of enum types
// (copied as text, their labels would go stale when the source renames a
// value, which writes no row changes). CREATE SOURCE refuses a table with
// one (0A000, naming it); a table that gains one on the source turns to
// error; no stale or wrongly typed value is ever served.
func TestEnumColumnsRefused(t *testing.T) {
	pg := testpg.Start(t)
	src := connect(t, pg.ConnString())
	run(t, src, `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE TABLE feel (id int PRIMARY KEY, m mood)`,
		`CREATE TABLE feels (id int PRIMARY KEY, ms mood[])`,
		`CREATE TABLE plain (id int PRIMARY KEY, v text)`,
		`INSERT INTO plain VALUES (1, 'a')`,
		`CREATE PUBLICATION pub FOR TABLE feel, feels, plain`)
	omen := testserver.Start(t)
	dst := connect(t, testserver.ConnString(omen))
	for _, tables := range []string{"", " FOR TABLES (feels)"} {
		_, err := dst.Exec(context.Background(), "CREATE SOURCE pg1 FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub'"+tables)
		if sqlState(err) != "0A000" || !strings.Contains(err.Error(), "enum type") {
			t.Fatalf("CREATE SOURCE over a table with an enum column%s: %v", tables, err)
		}
	}
	run(t, dst, "CREATE SOURCE pg1 FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub' FOR TABLES (plain)")
	q := "SELECT id, v FROM plain ORDER BY id"
	waitSame(t, src, dst, q, 30*time.Second)
	run(t, src, `ALTER TABLE plain ADD COLUMN m mood DEFAULT 'ok'`, `INSERT INTO plain VALUES (2, 'b', 'happy')`)
	waitFor(t, "plain in error", 30*time.Second, func() (bool, string) {
		rows, err := textRows(dst, "SHOW SOURCE TABLES")
		if err != nil {
			return false, err.Error()
		}
		for _, r := range rows {
			if strings.Contains(r, "| plain | error |") && strings.Contains(r, "enum type") {
				return true, ""
			}
		}
		return false, strings.Join(rows, "\n")
	})
	if rows, err := textRows(dst, `SELECT count(*) FROM pg_attribute WHERE attrelid = 'plain'::regclass AND attname = 'm'`); err != nil || rows[0] != "0" {
		t.Fatalf("the enum column must not have been added: %v %v", rows, err)
	}
}
