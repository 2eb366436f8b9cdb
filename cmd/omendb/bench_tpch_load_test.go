package main

import (
	"bytes"
	"testing"

	"github.com/omendb/omendb/bench/tpch/dbgen"
)

// cutTrailingBars gives bytes.ReplaceAll's result, in place.
func TestCutTrailingBars(t *testing.T) {
	for _, in := range []string{"", "a|\n", "a|b|\nc|d|\n", "no bars\n", "x|\ny", "|\n|\n", "a||\n|"} {
		want := bytes.ReplaceAll([]byte(in), []byte("|\n"), []byte("\n"))
		if got := cutTrailingBars([]byte(in)); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q, want %q", in, got, want)
		}
	}
	text, err := dbgen.AppendText(nil, dbgen.AllTables[len(dbgen.AllTables)-3], 0.01, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.ReplaceAll(text, []byte("|\n"), []byte("\n"))
	if got := cutTrailingBars(text); !bytes.Equal(got, want) {
		t.Fatal("dbgen text differs")
	}
}
