package olap_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/bench/tpch/dbgen"
	"github.com/omendb/omendb/bench/tpch/queries"
	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

// loadTPCH creates the eight tables on c and COPYs dbgen's rows at sf into
// them (the .tbl lines with their trailing '|' stripped).
func loadTPCH(ctx context.Context, c *pgx.Conn, sf float64) error {
	for _, tbl := range dbgen.AllTables {
		if _, err := c.Exec(ctx, dbgen.DDL(tbl)); err != nil {
			return fmt.Errorf("%s: %w", dbgen.DDL(tbl), err)
		}
		text, err := dbgen.AppendText(nil, tbl, sf, 0, 1)
		if err != nil {
			return err
		}
		text = bytes.ReplaceAll(text, []byte("|\n"), []byte("\n"))
		tag, err := c.PgConn().CopyFrom(ctx, bytes.NewReader(text), "COPY "+tbl.String()+" FROM STDIN WITH (DELIMITER '|')")
		if err != nil {
			return fmt.Errorf("COPY %s: %w", tbl, err)
		}
		if want := int64(bytes.Count(text, []byte{'\n'})); tag.RowsAffected() != want {
			return fmt.Errorf("COPY %s: %d rows, want %d", tbl, tag.RowsAffected(), want)
		}
	}
	return nil
}

// textRows runs q and returns its rows in text format, one line per row.
func textRows(ctx context.Context, c *pgx.Conn, q string) ([]string, error) {
	rows, err := c.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, err
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
	return out, rows.Err()
}

// TestTPCHAgainstPostgres loads TPC-H SF 0.01 into OmenDB and into a
// throwaway PostgreSQL 15 and demands the same answer for all 22 queries
// (validation parameters and one random set) with omendb.engine = 'column'.
func TestTPCHAgainstPostgres(t *testing.T) {
	const sf = 0.01
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pg := testpg.Start(t, testpg.WithDatabase("tpch"), testpg.WithNoFsync())
	if err := loadTPCH(ctx, pg.Conn(), sf); err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	srv := testserver.Start(t)
	oc, err := pgx.Connect(ctx, testserver.ConnString(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close(context.Background())
	start := time.Now()
	if err := loadTPCH(ctx, oc, sf); err != nil {
		t.Fatalf("OmenDB: %v", err)
	}
	t.Logf("OmenDB load SF %g: %v", sf, time.Since(start).Round(time.Millisecond))
	if _, err := oc.Exec(ctx, "SET omendb.engine = 'column'"); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("random parameter seed %d", seed)
	served := srv.OLAP.Runner.Served.Load()
	for n := 1; n <= queries.NumQueries; n++ {
		for _, p := range []queries.Params{queries.Validation(n), queries.Random(n, seed)} {
			q := p.SQL(sf)
			want, err := textRows(ctx, pg.Conn(), q)
			if err != nil {
				t.Fatalf("Q%d on PostgreSQL: %v", n, err)
			}
			qs := time.Now()
			got, err := textRows(ctx, oc, q)
			if err != nil {
				t.Errorf("Q%d %q on OmenDB: %v", n, p.Values, err)
				continue
			}
			took := time.Since(qs)
			if !strings.Contains(strings.ToLower(q), "order by") {
				sort.Strings(want)
				sort.Strings(got)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("Q%d %q differs from PostgreSQL\nOmenDB (%d rows):\n%s\nPostgreSQL (%d rows):\n%s", n, p.Values,
					len(got), head(got), len(want), head(want))
				continue
			}
			t.Logf("Q%d %v: %d rows equal (%v)", n, p.Values, len(got), took.Round(time.Millisecond))
		}
	}
	if d := srv.OLAP.Runner.Served.Load() - served; d < 2*queries.NumQueries {
		t.Errorf("only %d of %d queries ran on the column store", d, 2*queries.NumQueries)
	}
}

func head(rows []string) string {
	if len(rows) > 12 {
		rows = append(rows[:12:12], "…")
	}
	return strings.Join(rows, "\n")
}
