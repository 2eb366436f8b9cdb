package sql

import (
	"encoding/json"
	"testing"
)

// TestPlanToJSON: EXPLAIN's text lines become PostgreSQL's JSON plan shape:
// nodes nest by their "->" lines, property lines land on the node above,
// scans name their relation, alias and index, ANALYZE figures are numbers,
// and a data-modifying statement's header becomes a ModifyTable root.
func TestPlanToJSON(t *testing.T) {
	lines := []string{
		"Project (actual time=0.001..0.004 rows=9 loops=1)",
		"  ->  Vectorized Hash Inner Join (1 keys) (actual time=0.604..0.604 rows=9 loops=1)",
		"        Build side: left",
		"        ->  Column Scan on t b [column store] (actual time=0.322..0.322 rows=100 loops=1)",
		"              Segments: 1 scanned, 0 skipped by zone maps",
		"        ->  Index Scan using t_pkey on t a [row store: range] (filtered) (actual time=0.079..0.079 rows=9 loops=1)",
	}
	var out []map[string]any
	if err := json.Unmarshal([]byte(planToJSON(lines, true, 1.5, "")), &out); err != nil {
		t.Fatal(err)
	}
	plan := out[0]["Plan"].(map[string]any)
	if plan["Node Type"] != "Project" || plan["Actual Rows"] != 9.0 || out[0]["Execution Time"] != 1.5 {
		t.Fatalf("root %v", out[0])
	}
	join := plan["Plans"].([]any)[0].(map[string]any)
	if join["Node Type"] != "Vectorized Hash Inner Join" || join["Build side"] != "left" {
		t.Fatalf("join %v", join)
	}
	kids := join["Plans"].([]any)
	if len(kids) != 2 {
		t.Fatalf("join children %v", kids)
	}
	cs, is := kids[0].(map[string]any), kids[1].(map[string]any)
	if cs["Relation Name"] != "t" || cs["Alias"] != "b" || cs["Segments"] != "1 scanned, 0 skipped by zone maps" || cs["Actual Rows"] != 100.0 {
		t.Fatalf("column scan %v", cs)
	}
	if is["Node Type"] != "Index Scan" || is["Scan Direction"] != "Forward" || is["Index Name"] != "t_pkey" || is["Alias"] != "a" || is["OmenDB Store"] != "row store: range" {
		t.Fatalf("index scan %v", is)
	}
	if _, ok := cs["Scan Direction"]; ok {
		t.Fatalf("column scan with a direction: %v", cs)
	}

	// A backward index scan is PostgreSQL's Index Scan, Scan Direction
	// Backward.
	out = nil
	if err := json.Unmarshal([]byte(planToJSON([]string{"Index Scan Backward using t_at on t [row store: no usable predicate]"}, false, 0, "")), &out); err != nil {
		t.Fatal(err)
	}
	if bs := out[0]["Plan"].(map[string]any); bs["Node Type"] != "Index Scan" || bs["Scan Direction"] != "Backward" || bs["Index Name"] != "t_at" || bs["Relation Name"] != "t" {
		t.Fatalf("backward index scan %v", bs)
	}

	out = nil
	if err := json.Unmarshal([]byte(planToJSON([]string{"Seq Scan on t [row store]"}, false, 0, "Delete on t")), &out); err != nil {
		t.Fatal(err)
	}
	root := out[0]["Plan"].(map[string]any)
	if root["Node Type"] != "ModifyTable" || root["Operation"] != "Delete" || root["Plans"].([]any)[0].(map[string]any)["Node Type"] != "Seq Scan" {
		t.Fatalf("modify %v", root)
	}
	if _, ok := out[0]["Execution Time"]; ok {
		t.Fatal("no Execution Time without ANALYZE")
	}
}
