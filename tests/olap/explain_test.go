package olap_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

var actualRe = regexp.MustCompile(`\(actual time=[0-9.]+\.\.[0-9.]+ rows=(\d+) loops=(\d+)\)`)

// explainLines runs EXPLAIN ANALYZE q and returns its lines.
func explainLines(t *testing.T, ctx context.Context, c *pgx.Conn, q string) []string {
	t.Helper()
	rows, err := c.Query(ctx, "EXPLAIN ANALYZE "+q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("EXPLAIN ANALYZE %s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("EXPLAIN ANALYZE %s: %v", q, err)
	}
	return out
}

// findLine returns the index of the first line from `from` on containing
// every part, or fails.
func findLine(t *testing.T, lines []string, from int, parts ...string) int {
	t.Helper()
	for i := from; i < len(lines); i++ {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(lines[i], p)
		}
		if ok {
			return i
		}
	}
	t.Fatalf("no line with %q in:\n%s", parts, strings.Join(lines, "\n"))
	return -1
}

func actualRows(t *testing.T, line string) int {
	t.Helper()
	m := actualRe.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no PostgreSQL-style actual statistics in %q", line)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func depth(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// TestExplainAnalyzeColumn checks EXPLAIN ANALYZE of statements the column
// engine runs: every operator carries PostgreSQL-style actual statistics
// with the right row counts, scans name the column store and report the
// segments zone maps skipped, and vectorized joins show their build side.
func TestExplainAnalyzeColumn(t *testing.T) {
	srv := testserver.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := testserver.Connect(t, srv)
	exec(t, ctx, c, `CREATE TABLE ev (id int PRIMARY KEY, grp int, v int)`)
	exec(t, ctx, c, `CREATE TABLE g (g int PRIMARY KEY, name text)`)
	exec(t, ctx, c, `INSERT INTO g SELECT g, 'n' || g FROM generate_series(0, 6) g`)
	exec(t, ctx, c, `INSERT INTO ev SELECT i, i % 7, i % 100 FROM generate_series(1, 3000) i`)
	exec(t, ctx, c, `SET omendb.engine = 'column'`)

	// A grouped aggregate over a pruned scan, sorted by the row executor.
	lines := explainLines(t, ctx, c, `SELECT grp, count(*) FROM ev WHERE id > 2500 GROUP BY grp ORDER BY grp`)
	i := findLine(t, lines, 0, "Sort")
	if got := actualRows(t, lines[i]); got != 7 {
		t.Errorf("Sort rows = %d, want 7\n%s", got, strings.Join(lines, "\n"))
	}
	i = findLine(t, lines, i, "Vectorized HashAggregate (1 keys, 1 aggregates)")
	if got := actualRows(t, lines[i]); got != 7 {
		t.Errorf("aggregate rows = %d, want 7", got)
	}
	j := findLine(t, lines, i, "Column Scan on ev [column store]")
	if depth(lines[j]) <= depth(lines[i]) {
		t.Errorf("the scan is not below the aggregate:\n%s", strings.Join(lines, "\n"))
	}
	if got := actualRows(t, lines[j]); got != 500 {
		t.Errorf("scan rows = %d, want 500", got)
	}
	k := findLine(t, lines, j, "Segments:", "skipped by zone maps")
	var scanned, skipped int
	if _, err := fmt.Sscanf(strings.TrimSpace(lines[k]), "Segments: %d scanned, %d skipped", &scanned, &skipped); err != nil {
		t.Fatalf("%q: %v", lines[k], err)
	}
	if skipped == 0 || scanned == 0 {
		t.Errorf("zone maps: %d scanned, %d skipped; want both > 0 (3000 rows in 256-row segments, id > 2500)", scanned, skipped)
	}
	findLine(t, lines, j, "Batches:")

	// A vectorized hash join under an aggregate: probe and build rows.
	lines = explainLines(t, ctx, c, `SELECT count(*) FROM ev JOIN g ON ev.grp = g.g WHERE g.name = 'n1'`)
	i = findLine(t, lines, 0, "Vectorized Aggregate (1 aggregates)")
	if got := actualRows(t, lines[i]); got != 1 {
		t.Errorf("aggregate rows = %d, want 1", got)
	}
	i = findLine(t, lines, i, "Vectorized Hash Inner Join (1 keys)")
	if got := actualRows(t, lines[i]); got != 429 { // 3000 ids, i % 7 = 1
		t.Errorf("join rows = %d, want 429\n%s", got, strings.Join(lines, "\n"))
	}
	findLine(t, lines, i, "Build side:")
	h := findLine(t, lines, i, "Hash (actual")
	if got := actualRows(t, lines[h]); got != 1 {
		t.Errorf("hash build rows = %d, want 1\n%s", got, strings.Join(lines, "\n"))
	}
	findLine(t, lines, i, "Column Scan on g [column store]")
	s := findLine(t, lines, i, "Column Scan on ev [column store]")
	if got := actualRows(t, lines[s]); got != 3000 {
		t.Errorf("probe scan rows = %d, want 3000", got)
	}

	// A plan the row executor runs above a column scan.
	lines = explainLines(t, ctx, c, `SELECT DISTINCT v FROM ev WHERE grp = 3`)
	i = findLine(t, lines, 0, "HashDistinct")
	if got := actualRows(t, lines[i]); got != 100 {
		t.Errorf("distinct rows = %d, want 100\n%s", got, strings.Join(lines, "\n"))
	}
	s = findLine(t, lines, i, "Column Scan on ev [column store]")
	if got := actualRows(t, lines[s]); got != 429 { // i % 7 = 3 for i in 1..3000
		t.Errorf("scan rows = %d, want 429\n%s", got, strings.Join(lines, "\n"))
	}

	// A top-N over a pipe, and a full join (unmatched build rows emitted
	// after the probe): ev.grp 0..6 never equals g.g + 5 for g.g > 1.
	lines = explainLines(t, ctx, c, `SELECT id, v FROM ev WHERE grp = 2 ORDER BY v DESC, id LIMIT 5`)
	i = findLine(t, lines, 0, "Vectorized Top-N Sort (2 keys)")
	if got := actualRows(t, lines[i]); got != 5 {
		t.Errorf("top-N rows = %d, want 5\n%s", got, strings.Join(lines, "\n"))
	}
	s = findLine(t, lines, i, "Column Scan on ev [column store] (filtered)")
	if got := actualRows(t, lines[s]); got != 429 {
		t.Errorf("top-N scan rows = %d, want 429\n%s", got, strings.Join(lines, "\n"))
	}
	lines = explainLines(t, ctx, c, `SELECT count(*), count(ev.id), count(g.g) FROM ev FULL JOIN g ON ev.grp = g.g + 5`)
	i = findLine(t, lines, 0, "Vectorized Hash Full Join (1 keys)")
	// grp 5 and 6 match g 0 and 1 (857 rows); g 2..6 are unmatched (5
	// rows); the other 2143 ev rows are unmatched.
	if got := actualRows(t, lines[i]); got != 3005 {
		t.Errorf("full join rows = %d, want 3005\n%s", got, strings.Join(lines, "\n"))
	}

	// The row store: every node carries statistics too.
	exec(t, ctx, c, `SET omendb.engine = 'row'`)
	lines = explainLines(t, ctx, c, `SELECT grp, count(*) FROM ev WHERE id > 2500 GROUP BY grp`)
	i = findLine(t, lines, 0, "HashAggregate")
	if got := actualRows(t, lines[i]); got != 7 {
		t.Errorf("row-store aggregate rows = %d, want 7", got)
	}
	// id > 2500 is a range of the primary key: the scan reads those rows only.
	i = findLine(t, lines, i, "Index Scan using ev_pkey on ev", "row store", "range on primary key column id")
	if got := actualRows(t, lines[i]); got != 500 {
		t.Errorf("row-store scan rows = %d, want 500", got)
	}
}

// TestExplainRowOnlyPlans: EXPLAIN names the row store for plans the
// column runner hands back whole (FOR UPDATE, LATERAL, WITH RECURSIVE),
// where it would otherwise claim a column-store scan.
func TestExplainRowOnlyPlans(t *testing.T) {
	srv := testserver.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := testserver.Connect(t, srv)
	exec(t, ctx, c, `CREATE TABLE ev (id int PRIMARY KEY, grp int, v int)`)
	exec(t, ctx, c, `INSERT INTO ev SELECT i, i % 7, i % 100 FROM generate_series(1, 300) i`)
	for _, q := range []struct{ sql, why string }{
		{`SELECT id FROM ev WHERE grp = 1 ORDER BY id LIMIT 2 FOR UPDATE`, "FOR UPDATE"},
		{`SELECT a.id, l.id FROM ev a, LATERAL (SELECT id FROM ev b WHERE b.grp = a.grp LIMIT 1) l`, "LATERAL"},
		{`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT r.n, ev.v FROM r JOIN ev ON ev.id = r.n`, "RECURSIVE"},
	} {
		rows, err := c.Query(ctx, "EXPLAIN "+q.sql)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var l string
			_ = rows.Scan(&l)
			out = append(out, l)
		}
		text := strings.Join(out, "\n")
		if !strings.Contains(text, "row store: ") || !strings.Contains(text, q.why) || strings.Contains(text, "column store") {
			t.Errorf("EXPLAIN %s:\n%s", q.sql, text)
		}
	}
}
