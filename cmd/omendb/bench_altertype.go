package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/server"
)

func init() { benchCommands["altertype"] = runBenchAlterType }

// alterTypeSteps are the ALTER TABLE statements `omendb bench altertype`
// times, in order, on the same table: migration tools' common changes.
var alterTypeSteps = []struct{ name, sql string }{
	{"int → bigint", `ALTER TABLE at ALTER COLUMN n TYPE bigint`},
	{"int → numeric(14,2)", `ALTER TABLE at ALTER COLUMN q TYPE numeric(14,2)`},
	{"text → int USING", `ALTER TABLE at ALTER COLUMN s TYPE integer USING s::integer`},
	{"numeric(10,2) → (12,4)", `ALTER TABLE at ALTER COLUMN amt TYPE numeric(12,4)`},
	{"pk int → text", `ALTER TABLE at ALTER COLUMN id TYPE text`},
}

// runBenchAlterType is `omendb bench altertype`: a table of --rows rows
// (id int PRIMARY KEY, n int, q int, s text, amt numeric(10,2), pad text)
// is loaded into an in-process OmenDB and into a throwaway PostgreSQL 15
// (fsync on), then each of alterTypeSteps runs on both, timed from the
// client: PostgreSQL rewrites the table (and its index) for all but
// varchar-like changes; OmenDB changes the catalog alone where every value
// keeps its encoding (int → bigint) and rewrites the table — one logged,
// chunked record of every row — otherwise.
func runBenchAlterType(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench altertype", flag.ContinueOnError)
	rows := fs.Int("rows", 1_000_000, "rows in the table")
	noPG := fs.Bool("no-postgres", false, "skip the PostgreSQL peer")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of OmenDB's ALTER statements to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	type result struct {
		load  time.Duration
		steps []time.Duration
	}
	run := func(url string, omendb bool) (result, error) {
		var r result
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return r, err
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `CREATE TABLE at (id int PRIMARY KEY, n int NOT NULL, q int, s text, amt numeric(10,2), pad text)`); err != nil {
			return r, err
		}
		start := time.Now()
		load := fmt.Sprintf(`INSERT INTO at SELECT g, g %% 1000, g, (g %% 977)::text, (g %% 100000) / 100.0, md5(g::text) FROM generate_series(1, %d) g`, *rows)
		if _, err := c.Exec(ctx, load); err != nil {
			return r, fmt.Errorf("load: %w", err)
		}
		r.load = time.Since(start)
		stopProfile := func() {}
		if omendb {
			if stopProfile, err = startCPUProfile(*cpuprofile); err != nil {
				return r, err
			}
		}
		defer stopProfile()
		for _, st := range alterTypeSteps {
			start := time.Now()
			if _, err := c.Exec(ctx, st.sql); err != nil {
				return r, fmt.Errorf("%s: %w", st.name, err)
			}
			r.steps = append(r.steps, time.Since(start))
		}
		var n int64
		if err := c.QueryRow(ctx, `SELECT count(*) FROM at WHERE s > 500`).Scan(&n); err != nil {
			return r, err
		}
		return r, nil
	}

	fmt.Fprintf(os.Stderr, "bench altertype: %d rows into OmenDB\n", *rows)
	_, url, stop, err := startThrowawayServer(ctx, "altertype", server.Config{})
	if err != nil {
		return err
	}
	omen, err := run(url, true)
	stop()
	if err != nil {
		return fmt.Errorf("omendb: %w", err)
	}
	var pgr *result
	if !*noPG {
		fmt.Fprintln(os.Stderr, "bench altertype: starting PostgreSQL 15 (fsync on)")
		pg, err := testpg.StartServer(ctx, testpg.Options{Database: "bench", Config: []string{"shared_buffers = 256MB", "max_wal_size = 4GB"}})
		if err != nil {
			return fmt.Errorf("starting PostgreSQL: %w", err)
		}
		r, err := run(pg.ConnString(), false)
		pg.Close()
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		pgr = &r
	}

	fmt.Printf("ALTER TABLE … ALTER COLUMN … TYPE on %d rows (%s/%s, %d CPUs, %s, %s)\n",
		*rows, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"))
	fmt.Printf("%-26s %12s %12s %8s\n", "step", "omendb", "postgres", "ratio")
	line := func(name string, o time.Duration, p *time.Duration) {
		if p == nil {
			fmt.Printf("%-26s %11.3fs %12s %8s\n", name, o.Seconds(), "-", "-")
			return
		}
		fmt.Printf("%-26s %11.3fs %11.3fs %7.2fx\n", name, o.Seconds(), p.Seconds(), o.Seconds()/p.Seconds())
	}
	var pl *time.Duration
	if pgr != nil {
		pl = &pgr.load
	}
	line("load (INSERT … SELECT)", omen.load, pl)
	for i, st := range alterTypeSteps {
		var p *time.Duration
		if pgr != nil {
			p = &pgr.steps[i]
		}
		line(st.name, omen.steps[i], p)
	}
	fmt.Println("ratio: OmenDB's time / PostgreSQL's (below 1: OmenDB faster)")
	return nil
}
