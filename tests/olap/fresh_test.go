package olap_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// TestFreshness measures, per commit, the time from the client's
// acknowledgement to the column store having applied the commit's offset
// (the row store applies it before acknowledging, so its applied offset
// right after the acknowledgement covers the commit), and checks that a
// column scan then sees the row.
func TestFreshness(t *testing.T) {
	srv := testserver.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testserver.ConnString(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "CREATE TABLE fresh (id int PRIMARY KEY, v text)"); err != nil {
		t.Fatal(err)
	}
	const n = 300
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		if _, err := c.Exec(ctx, fmt.Sprintf("INSERT INTO fresh VALUES (%d, 'x')", i)); err != nil {
			t.Fatal(err)
		}
		acked := time.Now()
		target := srv.Store.Applied()
		if err := srv.OLAP.Store.WaitApplied(ctx, target); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(acked))
	}
	if _, err := c.Exec(ctx, "SET omendb.engine = 'column'"); err != nil {
		t.Fatal(err)
	}
	var cnt int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM fresh").Scan(&cnt); err != nil || cnt != n {
		t.Fatalf("column scan after %d commits: count %d, err %v", n, cnt, err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p99 := lat[n/2], lat[n*99/100]
	t.Logf("commit ack → column store applied: p50 %v, p99 %v, max %v (%d commits, one client)", p50, p99, lat[n-1], n)
	// The committer hands its records to the column store's materializer
	// (server wiring of oltp.Committer.OnDurable): with one client and no
	// scans, most are applied on that path, before the log delivers them.
	st := srv.OLAP.Mat.Stats()
	t.Logf("column store: %d records applied inline, %d by the feeder, %d from the log", st.Inline.Load(), st.Direct.Load(), st.Followed.Load())
	if st.Inline.Load()+st.Direct.Load() == 0 {
		t.Fatal("no record reached the column store through the committer's hand-over")
	}
	if p99 > time.Second {
		t.Fatalf("p99 freshness %v exceeds 1 s", p99)
	}
}
