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
