// Package olap_test holds the column store's differential tests: the same
// queries through the row store and the column store, at one snapshot,
// while writers run.
package olap_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/olap"
)

func TestMain(m *testing.M) {
	olap.DefaultSegmentRows = 256 // seal often: scans mix Arrow segments and the open one
	os.Exit(m.Run())
}

// diffQueries are run with omendb.engine = 'column' and = 'row' inside one
// transaction (one snapshot); ordered says whether row order is significant.
var diffQueries = []struct {
	sql     string
	ordered bool
}{
	{"SELECT count(*), sum(amt), avg(amt), min(d), max(ts), count(distinct grp), min(f), max(f), count(s) FROM acct", true},
	{"SELECT grp, count(*), sum(amt), max(s), min(id) FROM acct WHERE id > 500 GROUP BY grp ORDER BY grp", true},
	{"SELECT count(*), sum(amt) FROM acct WHERE d >= date '2021-01-01' AND d < date '2021-07-01'", true},
	{"SELECT count(*) FROM acct WHERE id >= 1000 AND id < 1500 AND grp <> 3", true},
	{"SELECT g.name, count(*), sum(a.amt) FROM acct a JOIN grp g ON a.grp = g.g GROUP BY g.name ORDER BY g.name", true},
	{"SELECT id, amt FROM acct WHERE amt > 900 ORDER BY id LIMIT 10", true},
	{"SELECT id, grp FROM acct LIMIT 7", true},
	{"SELECT count(*) FROM acct WHERE grp IN (SELECT g FROM grp WHERE name LIKE 'n%1')", true},
	{"SELECT s, count(*) FROM acct GROUP BY s", false},
	{"SELECT id, amt, s, d FROM acct WHERE grp = 2 AND amt < 100", false},
	{"SELECT a.id FROM acct a LEFT JOIN acct b ON b.id = a.id + 1 WHERE b.id IS NULL AND a.id < 3000", false},
	{"WITH t AS (SELECT grp, sum(amt) AS s FROM acct GROUP BY grp) SELECT max(s) - min(s) FROM t", true},
	{"SELECT count(*) FROM acct WHERE id = 42", true},
	// Vectorized sort, top-N, CASE/COALESCE/NULLIF, right and full joins.
	{"SELECT id, amt, s FROM acct ORDER BY amt DESC NULLS LAST, id LIMIT 15", true},
	{"SELECT id, s, d FROM acct WHERE grp = 4 ORDER BY s NULLS FIRST, d DESC, id LIMIT 20 OFFSET 5", true},
	{"SELECT id, d FROM acct WHERE grp = 5 ORDER BY d, id", true},
	{"SELECT id, CASE WHEN amt > 500 THEN 'hi' WHEN amt IS NULL THEN 'null' ELSE s END, COALESCE(s, 'none'), NULLIF(grp, 3) FROM acct WHERE id % 17 = 0 ORDER BY id", true},
	{"SELECT sum(CASE WHEN grp = 1 THEN amt ELSE 0 END), count(CASE WHEN s > 's2' THEN 1 END), sum(COALESCE(grp, 0)) FROM acct", true},
	{"SELECT count(*), count(a.id), count(g.g) FROM acct a FULL JOIN grp g ON a.grp = g.g - 5", true},
	{"SELECT g.name, count(a.id) FROM acct a RIGHT JOIN grp g ON a.grp = g.g AND a.amt > 990 GROUP BY g.name ORDER BY g.name", true},
	{"SELECT a.id, g.name FROM acct a FULL JOIN grp g ON a.grp = g.g + 3 AND a.id % 100 = 0 ORDER BY g.name NULLS FIRST, a.id LIMIT 30", true},
	// ROLLUP / CUBE / GROUPING SETS: one aggregation per set, appended.
	{"SELECT grp, s, count(*), sum(amt), grouping(grp, s) FROM acct GROUP BY ROLLUP (grp, s) ORDER BY grp NULLS LAST, s NULLS LAST", true},
	{"SELECT grp, d > date '2021-01-01' AS late, count(*), max(amt) FROM acct GROUP BY CUBE (grp, 2) ORDER BY 1 NULLS LAST, 2 NULLS LAST", true},
	// A view (its query bound into the statement's plan).
	{"SELECT name, count(*), sum(amt), max(id) FROM rich GROUP BY name ORDER BY name", true},
	{"SELECT r.id, r.amt FROM rich r WHERE r.grp = 3 ORDER BY r.amt DESC, r.id LIMIT 5", true},
	// DISTINCT ON: the first row of each group in the sort's order.
	{"SELECT DISTINCT ON (grp) grp, id, amt FROM acct ORDER BY grp NULLS FIRST, amt DESC NULLS LAST, id", true},
	{"SELECT DISTINCT ON (s) s, d FROM acct WHERE grp < 3 ORDER BY s, d DESC, id LIMIT 12", true},
}

func query(ctx context.Context, tx pgx.Tx, q string, ordered bool) (string, error) {
	rows, err := tx.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var cols []string
		for _, v := range rows.RawValues() {
			if v == nil {
				cols = append(cols, "NULL")
			} else {
				cols = append(cols, string(v))
			}
		}
		out = append(out, strings.Join(cols, "|"))
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if !ordered {
		sort.Strings(out)
	}
	return strings.Join(out, "\n"), nil
}

func exec(t *testing.T, ctx context.Context, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestDifferentialConcurrent runs random writers and, concurrently, readers
// that run every query through both stores inside one transaction: the
// column store at the statement's offset must equal the row store at the
// same offset.
func TestDifferentialConcurrent(t *testing.T) {
	srv := testserver.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	connect := func() *pgx.Conn {
		c, err := pgx.Connect(ctx, testserver.ConnString(srv))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	admin := connect()
	exec(t, ctx, admin, `CREATE TABLE acct (id int PRIMARY KEY, grp int, amt numeric(12,2), f float8, s text, d date, ts timestamp)`)
	exec(t, ctx, admin, `CREATE TABLE grp (g int PRIMARY KEY, name text)`)
	exec(t, ctx, admin, `INSERT INTO grp SELECT g, 'n' || g FROM generate_series(0, 11) g`)
	exec(t, ctx, admin, `INSERT INTO acct SELECT g, g % 7, (g * 37 % 100000) / 100.0, g / 3.0,
		CASE WHEN g % 11 = 0 THEN NULL ELSE 's' || (g % 5) END, date '2020-01-01' + g % 900,
		timestamp '2020-01-01 00:00:00' + (g || ' minutes')::interval FROM generate_series(1, 3000) g`)

	exec(t, ctx, admin, `CREATE VIEW rich AS SELECT a.id, a.grp, a.amt, g.name FROM acct a JOIN grp g ON g.g = a.grp WHERE a.amt > 500`)

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	var writersDone atomic.Bool
	var wg sync.WaitGroup
	var commits atomic.Int64
	errs := make(chan error, 16)
	for w := 0; w < 3; w++ {
		wc := connect()
		r := rand.New(rand.NewSource(seed + int64(w)))
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			next := 100000 * (w + 1)
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) {
				tx, err := wc.Begin(ctx)
				if err != nil {
					errs <- err
					return
				}
				for n := 1 + r.Intn(4); n > 0; n-- {
					var sql string
					switch x := r.Intn(10); {
					case x < 4:
						next++
						sql = fmt.Sprintf(`INSERT INTO acct VALUES (%d, %d, %d.%02d, %g, 's%d', date '2020-01-01' + %d, timestamp '2021-03-04 05:06:07')`,
							next, r.Intn(7), r.Intn(1000), r.Intn(100), r.Float64()*100, r.Intn(6), r.Intn(900))
					case x < 7:
						sql = fmt.Sprintf(`UPDATE acct SET amt = amt + 1.25, grp = %d WHERE id = %d`, r.Intn(7), 1+r.Intn(3000))
					case x < 9:
						sql = fmt.Sprintf(`DELETE FROM acct WHERE id = %d`, 1+r.Intn(3000))
					default:
						sql = fmt.Sprintf(`DELETE FROM acct WHERE grp = %d AND amt < %d`, r.Intn(7), r.Intn(20))
					}
					if _, err := tx.Exec(ctx, sql); err != nil {
						break // conflicts abort the transaction; roll back below
					}
				}
				if err := tx.Commit(ctx); err == nil {
					commits.Add(1)
				}
			}
		}(w)
	}
	var checked atomic.Int64
	for rd := 0; rd < 2; rd++ {
		rc := connect()
		wg.Add(1)
		go func(rd int) {
			defer wg.Done()
			for i := 0; ; i++ {
				last := writersDone.Load()
				if err := compareOnce(ctx, rc, &checked); err != nil {
					errs <- fmt.Errorf("reader %d: %w", rd, err)
					return
				}
				if last {
					return
				}
			}
		}(rd)
	}
	go func() { time.Sleep(3 * time.Second); writersDone.Store(true) }()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := compareOnce(ctx, admin, &checked); err != nil {
		t.Fatal(err)
	}
	run := srv.OLAP.Runner
	p50, n := run.WaitQuantile(0.5)
	p99, _ := run.WaitQuantile(0.99)
	t.Logf("%d commits; %d query pairs equal; column statements %d (fallbacks %d); snapshot wait p50 %v p99 %v over %d",
		commits.Load(), checked.Load(), run.Served.Load(), run.Fallbacks.Load(), p50, p99, n)
	t.Logf("segments scanned %d, pruned by zone maps %d", run.SegmentsScanned.Load(), run.SegmentsPruned.Load())
	if run.SegmentsPruned.Load() == 0 {
		t.Fatal("no segment was pruned: zone maps are not used")
	}
	if commits.Load() < 10 {
		t.Fatalf("only %d commits: the writers did not exercise the store", commits.Load())
	}
	if run.Served.Load() < checked.Load() {
		t.Fatalf("only %d of %d column-mode statements ran on the column store", run.Served.Load(), checked.Load())
	}
}

// compareOnce runs every query through both stores in one transaction.
func compareOnce(ctx context.Context, c *pgx.Conn, checked *atomic.Int64) error {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, q := range diffQueries {
		if _, err := tx.Exec(ctx, "SET omendb.engine = 'column'"); err != nil {
			return err
		}
		col, err := query(ctx, tx, q.sql, q.ordered)
		if err != nil {
			return fmt.Errorf("column: %s: %w", q.sql, err)
		}
		if _, err := tx.Exec(ctx, "SET omendb.engine = 'row'"); err != nil {
			return err
		}
		row, err := query(ctx, tx, q.sql, q.ordered)
		if err != nil {
			return fmt.Errorf("row: %s: %w", q.sql, err)
		}
		if col != row {
			return fmt.Errorf("%s\ncolumn store:\n%s\nrow store:\n%s", q.sql, col, row)
		}
		checked.Add(1)
	}
	return tx.Commit(ctx)
}
