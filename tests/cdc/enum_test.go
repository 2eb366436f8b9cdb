package cdc

import (
	"context"
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testpg"
)

// TestEnumColumns: a column of an enum type (or of an array of one)
// replicates into a read-only mirror of the type, whose values sort in the
// declared order; the mirror follows ADD VALUE (BEFORE / AFTER) and RENAME
// VALUE on the source — a rename that writes no row included — and a table
// that gains a column of a new enum type on the source gets a mirror of
// that type too, through a restart of OmenDB. Arrays of built-in types keep
// their array types. DROP SOURCE drops the mirrors.
func TestEnumColumns(t *testing.T) {
	pg := testpg.Start(t)
	src := connect(t, pg.ConnString())
	run(t, src, `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE TABLE feel (id int PRIMARY KEY, m mood, note text)`,
		`INSERT INTO feel VALUES (1, 'happy', 'a'), (2, 'sad', 'b'), (3, NULL, 'c'), (4, 'ok', 'd')`,
		`CREATE TABLE feels (id int PRIMARY KEY, ms mood[], tags text[], ns int[], ts timestamptz[], grid int[][])`,
		`INSERT INTO feels VALUES (1, '{happy,sad}', '{"a b",NULL,"c,d"}', '{3,1,2}', '{"2024-01-02 03:04:05+00"}', '{{1,2},{3,4}}'),
			(2, '{}', '{}', NULL, NULL, NULL), (3, NULL, '{x}', '{-1}', '{}', '{{5}}')`,
		`CREATE TABLE plain (id int PRIMARY KEY, v text)`,
		`INSERT INTO plain VALUES (1, 'a')`,
		`CREATE PUBLICATION pub FOR TABLE feel, feels, plain`)
	data := t.TempDir()
	p := startServe(t, data)
	dst := connect(t, p.URL())
	run(t, dst, "CREATE SOURCE pg1 FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub'")

	// Arrays keep their types: element access, ANY, unnest in enum order.
	arrays := "SELECT id, ms, tags, ns, ts, grid, ms[1], 'c,d' = ANY(tags), ns[2], array_length(grid, 2), pg_typeof(ms)::text, pg_typeof(ns)::text FROM feels ORDER BY id"
	unnested := "SELECT u, count(*) FROM feels, unnest(ms) u GROUP BY u ORDER BY u"
	waitSame(t, src, dst, arrays, 30*time.Second)
	waitSame(t, src, dst, unnested, 5*time.Second)
	run(t, src, `INSERT INTO feels VALUES (4, '{ok,happy,ok}', '{q}', '{7,8}', NULL, '{{9,9},{8,8}}')`,
		`UPDATE feels SET ms = array_append(ms, 'ok'), ns = ns || 4 WHERE id = 1`)
	waitSame(t, src, dst, arrays, 30*time.Second)

	// Declared order, not text order: sad < ok < happy.
	byMood := "SELECT m, id FROM feel ORDER BY m NULLS FIRST, id"
	above := "SELECT id FROM feel WHERE m > 'sad' ORDER BY id"
	labels := "SELECT e.enumlabel, e.enumsortorder FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'mood' ORDER BY e.enumsortorder"
	waitSame(t, src, dst, byMood, 30*time.Second)
	waitSame(t, src, dst, above, 5*time.Second)
	waitSame(t, src, dst, labels, 5*time.Second)
	if rows, err := textRows(dst, "SELECT pg_typeof(m)::text FROM feel LIMIT 1"); err != nil || rows[0] != "mood" {
		t.Fatalf("the column's type must be the mirror enum type mood: %v %v", rows, err)
	}
	// The mirror is read-only.
	for _, q := range []string{`ALTER TYPE mood ADD VALUE 'x'`, `ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'`, `DROP TYPE mood CASCADE`} {
		if _, err := dst.Exec(context.Background(), q); sqlState(err) != "25006" {
			t.Fatalf("%s on the mirror: %v, want 25006", q, err)
		}
	}

	// New labels, at the end and between others, used at once.
	run(t, src, `ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'`, `ALTER TYPE mood ADD VALUE 'ecstatic'`,
		`ALTER TYPE mood ADD VALUE 'blue' AFTER 'sad'`,
		`INSERT INTO feel VALUES (5, 'meh', 'e'), (6, 'ecstatic', 'f'), (7, 'blue', 'g')`, `UPDATE feel SET m = 'meh' WHERE id = 2`)
	waitSame(t, src, dst, byMood, 30*time.Second)
	waitSame(t, src, dst, labels, 5*time.Second)
	waitSame(t, src, dst, above, 5*time.Second)
	// A new label inside an array, first seen in a streamed row.
	run(t, src, `ALTER TYPE mood ADD VALUE 'calm' AFTER 'ok'`, `INSERT INTO feels VALUES (5, '{calm,sad}', NULL, NULL, NULL, NULL)`)
	waitSame(t, src, dst, unnested, 30*time.Second)

	// A rename writes no row: the poll of the source's types brings it.
	run(t, src, `ALTER TYPE mood RENAME VALUE 'happy' TO 'glad'`)
	waitSame(t, src, dst, byMood, 30*time.Second)
	// A rename and a row that uses the new label in one go.
	run(t, src, `ALTER TYPE mood RENAME VALUE 'glad' TO 'joyful'`, `INSERT INTO feel VALUES (8, 'joyful', 'h')`)
	waitSame(t, src, dst, byMood, 30*time.Second)
	waitSame(t, src, dst, labels, 5*time.Second)
	waitSame(t, src, dst, arrays, 5*time.Second)

	// A column of a new enum type added on the source, with a default.
	run(t, src, `CREATE TYPE size AS ENUM ('s', 'm', 'l')`,
		`ALTER TABLE plain ADD COLUMN sz size DEFAULT 'm'`, `INSERT INTO plain VALUES (2, 'b', 'l'), (3, 'c', 's')`)
	bySize := "SELECT id, v, sz FROM plain ORDER BY sz, id"
	waitSame(t, src, dst, bySize, 30*time.Second)

	// Through a restart: the mirrors and their label maps are in the log.
	p.Kill()
	p = startServe(t, data)
	dst = connect(t, p.URL())
	run(t, src, `ALTER TYPE size ADD VALUE 'xl'`, `ALTER TYPE mood RENAME VALUE 'sad' TO 'down'`,
		`INSERT INTO plain VALUES (4, 'd', 'xl')`, `INSERT INTO feel VALUES (9, 'down', 'i')`)
	waitSame(t, src, dst, bySize, 60*time.Second)
	waitSame(t, src, dst, byMood, 30*time.Second)
	waitSame(t, src, dst, labels, 5*time.Second)
	waitSame(t, src, dst, arrays, 5*time.Second)

	// DROP SOURCE takes the mirrors with its tables.
	run(t, dst, "DROP SOURCE pg1")
	if rows, err := textRows(dst, "SELECT count(*) FROM pg_type WHERE typname IN ('mood', 'size', '_mood', '_size')"); err != nil || rows[0] != "0" {
		t.Fatalf("the mirror types must be dropped with the source: %v %v", rows, err)
	}
}
