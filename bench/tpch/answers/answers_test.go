package answers

import (
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omendb/omendb/bench/tpch/refdata"
)

// answerDir locates the SF 1 answer set (package refdata); a missing
// directory fails: the reference data is required.
func answerDir(t *testing.T) string {
	t.Helper()
	d, err := refdata.Dir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(d, "answers-sf1")
}

// rowCounts are the answer set's row counts at SF 1 (the specification's
// Appendix C sizes: Q2 100, Q3 10, Q10 20, Q16 18,314 …).
var rowCounts = map[int]int{1: 4, 2: 100, 3: 10, 4: 5, 5: 5, 6: 1, 7: 4, 8: 2, 9: 175, 10: 20,
	11: 1048, 12: 2, 13: 42, 14: 1, 15: 1, 16: 18314, 17: 1, 18: 57, 19: 1, 20: 186, 21: 100, 22: 7}

func TestReadAll(t *testing.T) {
	dir := answerDir(t)
	for n := 1; n <= 22; n++ {
		s, err := Read(File(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Rows) != rowCounts[n] {
			t.Errorf("q%d: %d rows, want %d", n, len(s.Rows), rowCounts[n])
		}
		// Each answer equals itself, and a copy padded as psql pads.
		if err := Check(s, s.Rows); err != nil {
			t.Errorf("q%d against itself: %v", n, err)
		}
	}
	s, err := Read(File(dir, 1))
	if err != nil {
		t.Fatal(err)
	}
	if s.Columns[2] != "sum_qty" || s.Rows[0][0] != "A" || s.Rows[0][9] != "1478493" {
		t.Fatalf("q1 parsed as %q / %q", s.Columns, s.Rows[0])
	}
}

func TestCheckRules(t *testing.T) {
	want := Set{Columns: []string{"name", "n", "sum", "avg"}, Rows: [][]string{{"A", "1478493", "56586554400.73", "25.52"}}}
	ok := [][]string{
		{"A", "1478493", "56586554400.73", "25.52"},
		{" A ", "1478493", "56586554400.7300", "25.5220058"}, // padded, more decimals
		{"A", "1478493", "56586554400.735", "25.515"},        // half away from zero: .74, .52
		{"A", "1478493", "56586554400.74", "25.53"},          // a cent of slack
	}
	for _, r := range ok {
		if err := Check(want, [][]string{r}); err != nil {
			t.Errorf("%q: %v", r, err)
		}
	}
	bad := [][]string{
		{"B", "1478493", "56586554400.73", "25.52"},    // text differs
		{"A", "1478494", "56586554400.73", "25.52"},    // count differs by one
		{"A", "1478493.0", "56586554400.73", "25.52"},  // integer written as decimal
		{"A", "1478493", "56586554400.75", "25.52"},    // two cents off
		{"A", "1478493", "56586554400.73", "25.5451"},  // rounds to .55
		{"A", "1478493", "56586554400.73", "not a nu"}, // not a number
		{"A", "1478493", "56586554400.73"},             // column missing
	}
	for _, r := range bad {
		if err := Check(want, [][]string{r}); err == nil {
			t.Errorf("%q: accepted", r)
		}
	}
	if err := Check(want, nil); err == nil || !strings.Contains(err.Error(), "0 rows") {
		t.Errorf("missing row: %v", err)
	}
}

func TestRound(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1.005", "1.01"}, {"-1.005", "-1.01"}, {"1.0049", "1"}, {"2.5", "2.5"}, {"-0.004", "0"},
	} {
		r, _ := new(big.Rat).SetString(c.in)
		w, _ := new(big.Rat).SetString(c.want)
		if got := round(r, 2); got.Cmp(w) != 0 {
			t.Errorf("round(%s) = %s, want %s", c.in, got.FloatString(3), c.want)
		}
	}
}

func TestCheckQueryRatio(t *testing.T) {
	want := Set{Columns: []string{"avg_yearly"}, Rows: [][]string{{"348406.02"}}}
	exact := [][]string{{"348406.0542857142857143"}}
	if err := Check(want, exact); err == nil {
		t.Fatal("strict check accepted three cents off")
	}
	if err := CheckQuery(17, want, exact); err != nil {
		t.Fatalf("Q17 within 1%%: %v", err)
	}
	if err := CheckQuery(17, want, [][]string{{"352000.00"}}); err == nil {
		t.Fatal("Q17 accepted a value 1.03% off")
	}
	if err := CheckQuery(6, want, exact); err == nil {
		t.Fatal("Q6 is not a ratio query but got the 1% tolerance")
	}
}
