package vexec_test

import (
	"context"
	"testing"
)

// TestExtractMatchesRowExecutor runs EXTRACT over dates through the column
// loop (extractX) and the row executor, for every unit the loop handles
// and some it leaves to the row path, over dates that include NULL,
// ±infinity (whose batches fall back) and years before 1 AD.
func TestExtractMatchesRowExecutor(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE dd (id int PRIMARY KEY, d date)`,
		`INSERT INTO dd SELECT i, date '1969-12-25' + (i * 37) % 20000 FROM generate_series(1, 6000) i`,
		`INSERT INTO dd VALUES (7001, NULL), (7002, '0044-03-15 BC'), (7003, '0001-01-01'), (7004, '2000-02-29')`,
		`CREATE TABLE di (id int PRIMARY KEY, d date)`,
		`INSERT INTO di SELECT i, date '2001-01-01' + i FROM generate_series(1, 3000) i`,
		`INSERT INTO di VALUES (9001, 'infinity'), (9002, '-infinity'), (9003, NULL)`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var cases []diffCase
	for _, u := range []string{"year", "month", "day", "quarter", "week", "dow", "isodow", "doy", "isoyear", "decade", "century", "millennium", "epoch", "julian"} {
		cases = append(cases,
			diffCase{sql: "SELECT extract(" + u + " FROM d) AS x, count(*) FROM dd GROUP BY x", vec: true},
			diffCase{sql: "SELECT id, extract(" + u + " FROM d) FROM di WHERE id % 7 = 0 OR id > 9000 ORDER BY id"},
		)
	}
	cases = append(cases,
		diffCase{sql: "SELECT sum(extract(year FROM d) * 100 + extract(month FROM d)) FROM dd", vec: true},
		diffCase{sql: "SELECT extract(YEAR FROM d) AS y, count(*) FROM dd WHERE extract(dow FROM d) IN (0, 6) GROUP BY y", vec: true},
		// Units the loop leaves to the row path.
		diffCase{sql: "SELECT extract(hour FROM d) AS h, count(*) FROM dd GROUP BY h", vec: true},
		diffCase{sql: "SELECT date_part('year', d) AS y, count(*) FROM dd GROUP BY y", vec: true},
	)
	compare(t, srv, c, cases)
}

// TestSubstringMatchesRowExecutor runs substring with constant bounds
// through the column loop (substrX) and the row executor: ASCII and
// multi-byte strings, NULLs, bounds before, across and past the ends,
// FOR 0, the two-argument form, a dictionary-encoded column (left to the
// per-word path) and a negative FOR (22011 on both paths).
func TestSubstringMatchesRowExecutor(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE ss (id int PRIMARY KEY, s text, v varchar(20))`,
		`INSERT INTO ss SELECT i, CASE WHEN i % 11 = 0 THEN NULL WHEN i % 3 = 0 THEN 'ñandú-' || i || '-日本' ELSE 'phone-' || (i * 7919) END, 'v' || i FROM generate_series(1, 6000) i`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var cases []diffCase
	for _, b := range []string{"FROM 1 FOR 2", "FROM 3 FOR 4", "FROM 0 FOR 3", "FROM -2 FOR 5", "FROM 5", "FROM 40 FOR 3", "FROM 2 FOR 0"} {
		cases = append(cases,
			diffCase{sql: "SELECT substring(s " + b + ") AS x, count(*) FROM ss GROUP BY x", vec: true},
			diffCase{sql: "SELECT id, substring(s " + b + ") FROM ss WHERE id % 13 = 0 ORDER BY id"},
		)
	}
	cases = append(cases,
		diffCase{sql: "SELECT substr(s, 3) AS x, count(*) FROM ss GROUP BY x", vec: true},
		diffCase{sql: "SELECT substr(v, 2, 2) AS x, count(*) FROM ss GROUP BY x", vec: true},
		diffCase{sql: "SELECT count(*) FROM ss WHERE substring(s FROM 1 FOR 2) IN ('ph', 'ña')", vec: true},
		diffCase{sql: "SELECT substring(k FROM 1 FOR 1) AS x, count(*) FROM t GROUP BY x", vec: true},
		diffCase{sql: "SELECT count(substring(s FROM 1 FOR -1)) FROM ss"},
	)
	compare(t, srv, c, cases)
}
