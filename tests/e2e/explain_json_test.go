package e2e

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// TestExplainJSON: EXPLAIN (ANALYZE, FORMAT JSON) returns one json value
// (type OID 114) in PostgreSQL's shape, as plan-drawing tools read it:
// [{"Plan": {"Node Type": …, "Plans": […]}, "Execution Time": …}], with the
// scan's relation and its actual row count.
func TestExplainJSON(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, testserver.ConnString(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{`CREATE TABLE ej (id int PRIMARY KEY, g int)`,
		`INSERT INTO ej SELECT i, i % 3 FROM generate_series(1, 300) i`} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := c.Query(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) SELECT g, count(*) FROM ej WHERE id <= 30 GROUP BY g`)
	if err != nil {
		t.Fatal(err)
	}
	if oid := rows.FieldDescriptions()[0].DataTypeOID; oid != 114 {
		t.Fatalf("QUERY PLAN type %d, want json (114)", oid)
	}
	var docs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, s)
	}
	if rows.Err() != nil || len(docs) != 1 {
		t.Fatalf("rows %v %v", docs, rows.Err())
	}
	var out []map[string]any
	if err := json.Unmarshal([]byte(docs[0]), &out); err != nil {
		t.Fatalf("%v:\n%s", err, docs[0])
	}
	if _, ok := out[0]["Execution Time"].(float64); !ok {
		t.Fatalf("no Execution Time:\n%s", docs[0])
	}
	// Find the scan of ej: it read the 30 rows of the key range.
	var find func(n map[string]any) map[string]any
	find = func(n map[string]any) map[string]any {
		if n["Relation Name"] == "ej" {
			return n
		}
		kids, _ := n["Plans"].([]any)
		for _, k := range kids {
			if f := find(k.(map[string]any)); f != nil {
				return f
			}
		}
		return nil
	}
	scan := find(out[0]["Plan"].(map[string]any))
	if scan == nil || scan["Actual Rows"] != 30.0 {
		t.Fatalf("scan of ej with 30 actual rows not found:\n%s", docs[0])
	}
}
