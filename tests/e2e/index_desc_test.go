package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/server"
)

// TestDescIndexSurvivesRestart: DESC and NULLS FIRST/LAST index columns are
// kept by a restart that loads a checkpoint and by one that replays the
// whole log — the definition (pg_get_indexdef, indoption), the key order
// (ORDER BY … LIMIT read from the index, forward and backward, with its
// NULL placement) and a unique DESC index's enforcement — for both index
// structures.
func TestDescIndexSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	srv := testserver.Start(t, testserver.WithDataDir(dir))
	c := testserver.Connect(t, srv)
	exec1(t, c, `CREATE TABLE ev (id int PRIMARY KEY, at int, cust int NOT NULL, tag text)`)
	exec1(t, c, `INSERT INTO ev SELECT g, CASE WHEN g % 9 = 0 THEN NULL ELSE g % 100 END, g % 10, 't' || g FROM generate_series(1, 3000) g`)
	exec1(t, c, `CREATE INDEX ev_at ON ev (at DESC NULLS LAST)`)
	exec1(t, c, `CREATE INDEX ev_cust_at ON ev USING btree (cust, at DESC)`)
	exec1(t, c, `CREATE UNIQUE INDEX ev_tag ON ev (tag DESC)`)
	exec1(t, c, `UPDATE ev SET at = 500 WHERE id = 42`)
	exec1(t, c, `DELETE FROM ev WHERE id = 99`)

	check := func(c *pgx.Conn, when string) {
		t.Helper()
		for q, want := range map[string]string{
			// ev_at forward: at DESC NULLS LAST, ties by id.
			`SELECT id FROM ev ORDER BY at DESC NULLS LAST, id LIMIT 3`: "42,199,299",
			// ev_at backward: at ASC NULLS FIRST, ties by id descending.
			`SELECT id FROM ev ORDER BY at NULLS FIRST, id DESC LIMIT 3`: "2997,2988,2979",
			// ev_cust_at with the equality prefix, both ways.
			`SELECT id FROM ev WHERE cust = 2 ORDER BY at DESC, id LIMIT 3`: "72,162,252",
			`SELECT id FROM ev WHERE cust = 2 ORDER BY at, id DESC LIMIT 3`: "2902,2802,2702",
			// The primary key backward.
			`SELECT id FROM ev WHERE id < 100 ORDER BY id DESC LIMIT 2`: "98,97",
		} {
			rows, err := c.Query(ctx, q)
			if err != nil {
				t.Fatalf("%s: %s: %v", when, q, err)
			}
			var got []string
			for rows.Next() {
				var id int
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprint(id))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != want {
				t.Fatalf("%s: %s gave %v, want %s", when, q, got, want)
			}
			if plan := explain(t, c, q); !strings.Contains(plan, "presorted") || strings.Contains(plan, "column store") {
				t.Fatalf("%s: %s is sorted or not read from the row store's index:\n%s", when, q, plan)
			}
		}
		var defs string
		if err := c.QueryRow(ctx, `SELECT string_agg(pg_get_indexdef(indexrelid) || ' ' || indoption::text, '; ' ORDER BY indexrelid)
			FROM pg_index WHERE indrelid = 'ev'::regclass`).Scan(&defs); err != nil {
			t.Fatal(err)
		}
		want := "CREATE UNIQUE INDEX ev_pkey ON public.ev USING btree (id) 0; " +
			"CREATE INDEX ev_at ON public.ev USING btree (at DESC NULLS LAST) 1; " +
			"CREATE INDEX ev_cust_at ON public.ev USING btree (cust, at DESC) 0 3; " +
			"CREATE UNIQUE INDEX ev_tag ON public.ev USING btree (tag DESC) 3"
		if defs != want {
			t.Fatalf("%s: index definitions\n%s\nwant\n%s", when, defs, want)
		}
		if _, err := c.Exec(ctx, `INSERT INTO ev VALUES (9000, 1, 1, 't7')`); sqlstate(err) != "23505" {
			t.Fatalf("%s: a duplicate tag in the unique DESC index: %v, want 23505", when, err)
		}
	}
	check(c, "before the restart")
	srv.Close()

	srv = testserver.Start(t, testserver.WithDataDir(dir)) // from the checkpoint written at shutdown
	c = testserver.Connect(t, srv)
	check(c, "after a checkpoint load")
	srv.Close()

	// Without checkpoints the whole log is replayed.
	if err := os.RemoveAll(server.CheckpointDir(dir)); err != nil {
		t.Fatal(err)
	}
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	check(c, "after replay")
}

// TestOrderLimitParameter: ORDER BY … LIMIT $1 (a prepared statement's
// parameter, as drivers send keyset pages) reads the index in its order
// through the row store when the parameter asks for few rows, and sorts
// on the column store when it asks for many; the answers agree.
func TestOrderLimitParameter(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	exec1(t, c, `CREATE TABLE ev (id int PRIMARY KEY, at int)`)
	exec1(t, c, `INSERT INTO ev SELECT g, g % 1000 FROM generate_series(1, 20000) g`)
	exec1(t, c, `CREATE INDEX ev_at ON ev (at)`)
	const q = `SELECT id FROM ev WHERE id < $2 ORDER BY id DESC LIMIT $1`
	const qi = `SELECT id FROM ev ORDER BY at DESC, id DESC LIMIT $1`
	// EXPLAIN takes no parameters: the statistics views tell which store
	// read the table — the row store's index scans count idx_tup_read,
	// column scans seq_tup_read.
	stats := func() (idx, seq int64) {
		t.Helper()
		if err := c.QueryRow(ctx, `SELECT sum(idx_tup_read)::int8, (SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'ev')
			FROM pg_stat_user_indexes WHERE relname = 'ev'`).Scan(&idx, &seq); err != nil {
			t.Fatal(err)
		}
		return idx, seq
	}
	for _, r := range []struct {
		q       string
		args    []any
		rowRead bool
	}{
		{q, []any{5, 100}, true},
		{q, []any{15000, 20001}, false},
		{qi, []any{7}, true},
		{qi, []any{20000}, false},
	} {
		idx0, seq0 := stats()
		rows, err := c.Query(ctx, r.q, r.args...)
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
		idx1, seq1 := stats()
		if r.rowRead && (idx1-idx0 == 0 || idx1-idx0 > 64 || seq1 != seq0) || !r.rowRead && (seq1-seq0 < 20000 || idx1 != idx0) {
			t.Fatalf("%s with %v: %d index and %d sequential rows read", r.q, r.args, idx1-idx0, seq1-seq0)
		}
	}
	ids := func(q string, args ...any) []int {
		t.Helper()
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := ids(q, 3, 100); fmt.Sprint(got) != "[99 98 97]" {
		t.Fatalf("pk page: %v", got)
	}
	few, many := ids(qi, 4), ids(qi, 20000)
	if fmt.Sprint(few) != "[19999 18999 17999 16999]" || len(many) != 20000 || fmt.Sprint(many[:4]) != fmt.Sprint(few) {
		t.Fatalf("index pages: few %v, many %d rows starting %v", few, len(many), many[:4])
	}
}
