package dbgen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/omendb/omendb/bench/tpch/dbgen/internal/distsfile"
)

// TestDistsGenerated checks that the compiled-in distributions are what
// dists.dss gives: dists_gen.go must equal gendists' output for the shared
// file (run `go generate ./bench/tpch/dbgen` if this fails).
func TestDistsGenerated(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sharedDir(t), "dists.dss"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := distsfile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := distsfile.Render(d, "dbgen")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("dists_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("dists_gen.go is stale: run go generate ./bench/tpch/dbgen")
	}
	// Spot checks of read_dist semantics.
	if n := len(dists["nations"].members); n != 25 {
		t.Errorf("%d nations", n)
	}
	if w := dists["nations"].members[4]; w.text != "EGYPT" || w.weight != 4 {
		t.Errorf("nation 4 = %+v, want EGYPT with region 4 (cumulative weight)", w)
	}
	if d := dists["grammar"]; d.max != 11 {
		t.Errorf("grammar total weight %d, want 11", d.max)
	}
}
