package e2e

import (
	"context"
	"testing"

	"github.com/omendb/omendb/internal/testserver"
)

// TestUnnestBulkWrite: the bulk-write idiom with array parameters —
// INSERT … SELECT * FROM unnest($1::int[], $2::text[]) and UPDATE … FROM
// unnest(…) — over the extended protocol with binary arrays.
func TestUnnestBulkWrite(t *testing.T) {
	srv := testserver.Start(t)
	c := testserver.Connect(t, srv)
	ctx := context.Background()
	exec1(t, c, `CREATE TABLE kv (k int PRIMARY KEY, v text)`)
	ks := make([]int32, 1000)
	vs := make([]string, 1000)
	for i := range ks {
		ks[i], vs[i] = int32(i), "v"
	}
	tag, err := c.Exec(ctx, `INSERT INTO kv SELECT * FROM unnest($1::int[], $2::text[])`, ks, vs)
	if err != nil || tag.RowsAffected() != 1000 {
		t.Fatalf("bulk insert: %v, %v", tag, err)
	}
	tag, err = c.Exec(ctx, `UPDATE kv SET v = u.v FROM unnest($1::int[], $2::text[]) AS u(k, v) WHERE kv.k = u.k`, []int32{5, 7}, []string{"five", "seven"})
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("bulk update: %v, %v", tag, err)
	}
	var n int
	var joined string
	if err := c.QueryRow(ctx, `SELECT count(*), string_agg(v, ',' ORDER BY k) FILTER (WHERE v <> 'v') FROM kv`).Scan(&n, &joined); err != nil || n != 1000 || joined != "five,seven" {
		t.Fatalf("count %d, changed %q, %v", n, joined, err)
	}
}
