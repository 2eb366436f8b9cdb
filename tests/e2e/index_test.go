package e2e

import (
	"context"
	"testing"

	"github.com/omendb/omendb/internal/testserver"
)

// TestIndexMethods checks that indexes are learned by default, B-trees with
// USING btree, that both answer queries identically, and that their shape
// is readable from SQL (omendb_index_stats).
func TestIndexMethods(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	for _, sql := range []string{
		`CREATE TABLE ix (id bigint PRIMARY KEY, k text, w int)`,
		`INSERT INTO ix SELECT g, 'key' || (g % 5000), g % 97 FROM generate_series(1, 20000) g`,
		`CREATE INDEX ix_k ON ix (k)`,
		`CREATE INDEX ix_w ON ix USING btree (w)`,
	} {
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	kinds := map[string]string{}
	rows, err := c.Query(ctx, `SELECT index_name, kind, keys, segments FROM omendb_index_stats WHERE table_name = 'ix'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, kind string
		var keys, segs int64
		if err := rows.Scan(&name, &kind, &keys, &segs); err != nil {
			t.Fatal(err)
		}
		kinds[name] = kind
		if keys != 20000 {
			t.Errorf("%s: %d keys, want 20000", name, keys)
		}
		if kind == "learned" && segs == 0 {
			t.Errorf("%s: learned index reports no segments", name)
		}
	}
	if kinds["ix_pkey"] != "learned" || kinds["ix_k"] != "learned" || kinds["ix_w"] != "btree" {
		t.Fatalf("index kinds %v: want learned by default and btree for USING btree", kinds)
	}
	// The same answers through each index and through a full scan.
	var viaK, viaW, viaScan int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM ix WHERE k = 'key42'`).Scan(&viaK); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM ix WHERE w = 42`).Scan(&viaW); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM ix WHERE k || '' = 'key42'`).Scan(&viaScan); err != nil {
		t.Fatal(err)
	}
	if viaK != 4 || viaScan != 4 || viaW != 206 {
		t.Fatalf("counts: via learned index %d, via full scan %d (want 4); via btree %d (want 206)", viaK, viaScan, viaW)
	}
}
