package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/server"
)

// point is the state captured right after one commit.
type point struct {
	what   string
	off    int64
	at     string // now() after the commit, as text (UTC)
	rows   string // the table's contents
	agg    string // count, sum, max
	others string // contents of a table nobody changes after the start
}

func ttQuery(t *testing.T, c *pgx.Conn, sql string) (string, error) {
	t.Helper()
	rows, err := c.Query(context.Background(), sql)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", err
		}
		fmt.Fprintln(&b, vals...)
	}
	return b.String(), rows.Err()
}

func ttMust(t *testing.T, c *pgx.Conn, sql string) string {
	t.Helper()
	s, err := ttQuery(t, c, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

const (
	ttRows   = `SELECT id, owner, bal FROM acct ORDER BY id`
	ttAgg    = `SELECT count(*), sum(bal), max(owner) FROM acct`
	ttOthers = `SELECT k, v FROM keep ORDER BY k`
)

// TestTimeTravel: SET omendb.as_of to the offset or the time of every
// captured commit reads exactly what was committed then, on the row store
// and on the column store; writes are refused; RESET returns to the
// present; schema changes after the point fail with 0A000.
func TestTimeTravel(t *testing.T) {
	srv := testserver.Start(t)
	url := testserver.ConnString(srv)
	c := connect(t, url)
	exec1(t, c, `CREATE TABLE keep (k int PRIMARY KEY, v text)`)
	exec1(t, c, `INSERT INTO keep VALUES (1, 'one'), (2, 'two')`)
	exec1(t, c, `CREATE TABLE acct (id int PRIMARY KEY, owner text, bal int)`)
	var points []point
	step := func(what string, stmts ...string) {
		t.Helper()
		for _, s := range stmts {
			exec1(t, c, s)
		}
		p := point{what: what, rows: ttMust(t, c, ttRows), agg: ttMust(t, c, ttAgg), others: ttMust(t, c, ttOthers)}
		if err := c.QueryRow(context.Background(), `SELECT omendb_commit_offset()`).Scan(&p.off); err != nil || p.off <= 0 {
			t.Fatalf("omendb_commit_offset after %s: %d %v", what, p.off, err)
		}
		if err := c.QueryRow(context.Background(), `SELECT now()::text`).Scan(&p.at); err != nil {
			t.Fatal(err)
		}
		points = append(points, p)
		time.Sleep(2 * time.Millisecond) // the next record is stored strictly later than p.at
	}
	step("empty table")
	step("insert", `INSERT INTO acct VALUES (1, 'ann', 100), (2, 'bob', 50), (3, 'cid', 10)`)
	step("update", `UPDATE acct SET bal = bal + 5 WHERE id <> 2`)
	step("transaction", `BEGIN`, `UPDATE acct SET owner = 'bo' WHERE id = 2`, `DELETE FROM acct WHERE id = 3`, `INSERT INTO acct VALUES (4, 'dee', 7)`, `COMMIT`)
	step("delete", `DELETE FROM acct WHERE bal > 100`)
	step("truncate", `TRUNCATE acct`)
	step("refill", `INSERT INTO acct SELECT g, 'o' || g, g * 10 FROM generate_series(1, 50) g`)
	present := points[len(points)-1]

	ctx := context.Background()
	check := func(label string, p point) {
		t.Helper()
		if got := ttMust(t, c, ttRows); got != p.rows {
			t.Fatalf("%s: rows at %q (offset %d):\n%s\nwant\n%s", label, p.what, p.off, got, p.rows)
		}
		if got := ttMust(t, c, ttAgg); got != p.agg {
			t.Fatalf("%s: aggregates at %q: %s, want %s", label, p.what, got, p.agg)
		}
		if got := ttMust(t, c, ttOthers); got != p.others {
			t.Fatalf("%s: other table at %q: %s, want %s", label, p.what, got, p.others)
		}
	}
	for _, engine := range []string{"row", "column"} {
		exec1(t, c, `SET omendb.engine = '`+engine+`'`)
		for _, p := range points {
			exec1(t, c, fmt.Sprintf(`SET omendb.as_of = '%d'`, p.off))
			check(engine+" offset", p)
			var snap int64
			if err := c.QueryRow(ctx, `SELECT omendb_offset() FROM keep LIMIT 1`).Scan(&snap); err != nil || snap != p.off {
				t.Fatalf("omendb_offset() under as_of %d = %d, %v", p.off, snap, err)
			}
			exec1(t, c, `SET omendb.as_of = '`+p.at+`'`)
			check(engine+" time "+p.at, p)
			if err := c.QueryRow(ctx, `SELECT omendb_offset() FROM keep LIMIT 1`).Scan(&snap); err != nil || snap != p.off {
				t.Fatalf("as_of %s maps to offset %d (%v), want %d", p.at, snap, err, p.off)
			}
		}
		exec1(t, c, `RESET omendb.as_of`)
		check(engine+" after RESET", present)
	}
	exec1(t, c, `SET omendb.engine = auto`)

	// SHOW, writes refused, explicit transactions read at the point.
	old := points[2]
	exec1(t, c, fmt.Sprintf(`SET omendb.as_of = %d`, old.off))
	if got := ttMust(t, c, `SHOW omendb.as_of`); strings.TrimSpace(got) != fmt.Sprint(old.off) {
		t.Fatalf("SHOW omendb.as_of = %q", got)
	}
	for _, w := range []string{
		`INSERT INTO acct VALUES (99, 'x', 1)`, `UPDATE acct SET bal = 0`, `DELETE FROM acct`,
		`TRUNCATE acct`, `CREATE TABLE nope (a int)`, `ALTER TABLE acct ADD COLUMN z int`,
	} {
		if _, err := c.Exec(ctx, w); sqlstate(err) != "25006" {
			t.Fatalf("%s under as_of: %v, want 25006", w, err)
		}
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("explicit transaction", old)
	exec1(t, c, `SET omendb.as_of = `+fmt.Sprint(points[4].off))
	check("explicit transaction after SET", points[4])
	exec1(t, c, `RESET omendb.as_of`)
	check("explicit transaction after RESET", present)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, reset := range []string{`SET omendb.as_of = DEFAULT`, `SET omendb.as_of = ''`} {
		exec1(t, c, fmt.Sprintf(`SET omendb.as_of = %d`, old.off))
		check("before "+reset, old)
		exec1(t, c, reset)
		check(reset, present)
	}
	exec1(t, c, `INSERT INTO acct VALUES (1000, 'now', 1)`) // writes work again
	exec1(t, c, `DELETE FROM acct WHERE id = 1000`)

	// Bad values.
	for _, v := range []string{`'abc'`, `'-1'`, `'999999999'`, `'2999-01-01 00:00:00+00'`} {
		if _, err := c.Exec(ctx, `SET omendb.as_of = `+v); sqlstate(err) != "22023" {
			t.Fatalf("SET omendb.as_of = %s: %v, want 22023", v, err)
		}
	}
	check("after failed SETs", present)

	// Schema changes after the point: reading the changed table fails
	// clearly; unchanged tables still read.
	before := points[len(points)-1]
	// Index changes do not change what rows read: the table stays readable.
	exec1(t, c, `CREATE INDEX acct_owner ON acct (owner)`)
	exec1(t, c, fmt.Sprintf(`SET omendb.as_of = %d`, before.off))
	if got := ttMust(t, c, `SELECT id FROM acct WHERE owner = 'o7'`); strings.TrimSpace(got) != "7" {
		t.Fatalf("index lookup at the point after CREATE INDEX: %q", got)
	}
	check("after CREATE INDEX", before)
	exec1(t, c, `RESET omendb.as_of`)
	exec1(t, c, `ALTER TABLE acct ADD COLUMN note text`)
	exec1(t, c, `CREATE TABLE later (a int)`)
	exec1(t, c, `DROP TABLE keep`)
	exec1(t, c, fmt.Sprintf(`SET omendb.as_of = %d`, before.off))
	for _, q := range []string{ttRows, `SELECT * FROM later`, ttOthers, `SELECT count(*) FROM acct a JOIN keep k ON k.k = a.id`} {
		_, err := ttQuery(t, c, q)
		if sqlstate(err) != "0A000" || !strings.Contains(err.Error(), "after the as_of point") {
			t.Fatalf("%s after a schema change: %v, want 0A000", q, err)
		}
	}
	if got := ttMust(t, c, `SELECT 1`); strings.TrimSpace(got) != "1" {
		t.Fatalf("a statement without tables under as_of: %q", got)
	}
	exec1(t, c, `RESET omendb.as_of`)
}

// TestTimeTravelWindow: points older than the time-travel window are
// refused with an error naming the oldest reachable offset, never read
// wrong; points inside it still read.
func TestTimeTravelWindow(t *testing.T) {
	srv := testserver.Start(t, func(c *server.Config) { c.TimeTravelWindow = 200 * time.Millisecond })
	c := connect(t, testserver.ConnString(srv))
	ctx := context.Background()
	exec1(t, c, `CREATE TABLE w (id int PRIMARY KEY, v int)`)
	exec1(t, c, `INSERT INTO w VALUES (1, 1)`)
	var first int64
	var firstAt string
	if err := c.QueryRow(ctx, `SELECT omendb_commit_offset(), now()::text`).Scan(&first, &firstAt); err != nil {
		t.Fatal(err)
	}
	// The store samples (offset, time) at most once per window/1024 of log
	// time, keeping history back to the newest sample older than the
	// window. Tests run without fsync, so commits can be closer together
	// than that: pause so that a later sample exists.
	time.Sleep(5 * time.Millisecond)
	for i := 2; i <= 5; i++ {
		exec1(t, c, fmt.Sprintf(`UPDATE w SET v = %d`, i))
	}
	time.Sleep(300 * time.Millisecond)
	exec1(t, c, `UPDATE w SET v = 6`)
	var recent int64
	if err := c.QueryRow(ctx, `SELECT omendb_commit_offset()`).Scan(&recent); err != nil {
		t.Fatal(err)
	}
	srv.Store.Reclaim() // the materializer calls it every 1024 records
	oldest := srv.Store.Oldest()
	if oldest <= uint64(first) {
		t.Fatalf("Reclaim did not move past the window: oldest %d, first %d", oldest, first)
	}
	for _, v := range []string{fmt.Sprint(first), firstAt} {
		_, err := c.Exec(ctx, `SET omendb.as_of = '`+v+`'`)
		if sqlstate(err) != "22023" || !strings.Contains(err.Error(), fmt.Sprintf("offset %d", oldest)) {
			t.Fatalf("SET omendb.as_of = %s older than the window: %v, want 22023 naming offset %d", v, err, oldest)
		}
	}
	exec1(t, c, fmt.Sprintf(`SET omendb.as_of = %d`, recent))
	if got := ttMust(t, c, `SELECT v FROM w`); strings.TrimSpace(got) != "6" {
		t.Fatalf("inside the window: %q", got)
	}
	// A point set while it was reachable and reclaimed since fails at the
	// next statement instead of reading a later version.
	exec1(t, c, `RESET omendb.as_of`)
	var mid int64
	exec1(t, c, `UPDATE w SET v = 7`)
	if err := c.QueryRow(ctx, `SELECT omendb_commit_offset()`).Scan(&mid); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // v = 8 gets its own sample (see above)
	exec1(t, c, `UPDATE w SET v = 8`)
	exec1(t, c, fmt.Sprintf(`SET omendb.as_of = %d`, mid))
	if got := ttMust(t, c, `SELECT v FROM w`); strings.TrimSpace(got) != "7" {
		t.Fatalf("at %d: %q", mid, got)
	}
	time.Sleep(300 * time.Millisecond)
	c2 := connect(t, testserver.ConnString(srv))
	exec1(t, c2, `UPDATE w SET v = 9`)
	srv.Store.Reclaim()
	if _, err := ttQuery(t, c, `SELECT v FROM w`); sqlstate(err) != "22023" {
		t.Fatalf("reading a point reclaimed since SET: %v, want 22023", err)
	}
	exec1(t, c, `RESET omendb.as_of`) // works although the point is gone
	if got := ttMust(t, c, `SELECT v FROM w`); strings.TrimSpace(got) != "9" {
		t.Fatalf("after RESET: %q", got)
	}
	if _, err := c.Exec(ctx, `SET omendb.min_offset = 'soon'`); sqlstate(err) != "22023" {
		t.Fatalf("SET omendb.min_offset = 'soon': %v, want 22023", err)
	}
}

// TestTimeTravelAfterRestart: a server that starts from a checkpoint holds
// no versions before it; points before it are refused, not read wrong.
func TestTimeTravelAfterRestart(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.WithDataDir(dir))
	c := connect(t, testserver.ConnString(srv))
	ctx := context.Background()
	exec1(t, c, `CREATE TABLE r (id int PRIMARY KEY, v int)`)
	exec1(t, c, `INSERT INTO r VALUES (1, 1)`)
	var early, last int64
	if err := c.QueryRow(ctx, `SELECT omendb_commit_offset()`).Scan(&early); err != nil {
		t.Fatal(err)
	}
	exec1(t, c, `UPDATE r SET v = 2`)
	if err := c.QueryRow(ctx, `SELECT omendb_commit_offset()`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	srv.Close() // writes a final checkpoint at the last offset
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	if got := srv.Store.Oldest(); got != uint64(last) {
		t.Fatalf("after loading the checkpoint the oldest point is %d, want %d", got, last)
	}
	c = connect(t, testserver.ConnString(srv))
	if _, err := c.Exec(ctx, fmt.Sprintf(`SET omendb.as_of = %d`, early)); sqlstate(err) != "22023" || !strings.Contains(err.Error(), fmt.Sprintf("offset %d", last)) {
		t.Fatalf("as_of before the checkpoint: %v, want 22023 naming offset %d", err, last)
	}
	exec1(t, c, fmt.Sprintf(`SET omendb.as_of = %d`, last))
	if got := ttMust(t, c, `SELECT v FROM r`); strings.TrimSpace(got) != "2" {
		t.Fatalf("at the checkpoint's offset: %q", got)
	}
}
