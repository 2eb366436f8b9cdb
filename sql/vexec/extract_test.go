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
