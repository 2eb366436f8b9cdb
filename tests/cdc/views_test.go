package cdc

import (
	"strings"
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// A view in OmenDB over a mirrored table, when the source drops a column:
// CDC cannot refuse the change, so a view that read the column must fail
// when read (55000) — never return the columns after it under the
// dropped one's name, as a SELECT * expanded before an ADD COLUMN would
// — while a view that does not read it keeps working.
func TestSourceDropColumnUnderViews(t *testing.T) {
	pg := testpg.Start(t)
	src := connect(t, pg.ConnString())
	run(t, src,
		`CREATE TABLE shifty (id int PRIMARY KEY, a int, b int)`,
		`INSERT INTO shifty VALUES (1, 10, 20)`,
		`CREATE PUBLICATION pub FOR TABLE shifty`)
	omen := testserver.Start(t)
	dst := connect(t, testserver.ConnString(omen))
	run(t, dst, "CREATE SOURCE pg1 FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub'")
	waitSame(t, src, dst, "SELECT id, a, b FROM shifty ORDER BY id", 30*time.Second)
	run(t, dst,
		`CREATE VIEW shifty_star AS SELECT * FROM shifty`,
		`CREATE VIEW shifty_b AS SELECT id, b FROM shifty`)

	run(t, src, `ALTER TABLE shifty ADD COLUMN c int DEFAULT 30`, `INSERT INTO shifty VALUES (2, 11, 21, 31)`)
	waitSame(t, src, dst, "SELECT id, a, b, c FROM shifty ORDER BY id", 30*time.Second)
	run(t, src, `ALTER TABLE shifty DROP COLUMN a`, `INSERT INTO shifty VALUES (3, 22, 32)`)
	waitSame(t, src, dst, "SELECT id, b, c FROM shifty ORDER BY id", 30*time.Second)

	rows, err := textRows(dst, "SELECT * FROM shifty_star ORDER BY id")
	if sqlState(err) != "55000" {
		t.Fatalf("shifty_star after the source dropped a: %v %q, want 55000", err, rows)
	}
	rows, err = textRows(dst, "SELECT * FROM shifty_b ORDER BY id")
	if err != nil || strings.Join(rows, ";") != "1 | 20;2 | 21;3 | 22" {
		t.Fatalf("shifty_b: %v %q", err, rows)
	}
}
