package answers

import (
	"bufio"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
)

// Set is one query's expected result.
type Set struct {
	Columns []string   // names from the header line, trimmed
	Rows    [][]string // values, trimmed
}

// File is the name of query n's answer in an answer-set directory.
func File(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("q%d.out", n))
}

// Read parses an answer file.
func Read(path string) (Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return Set{}, fmt.Errorf("answers: %w", err)
	}
	defer f.Close()
	var s Set
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		cells := strings.Split(text, "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if s.Columns == nil {
			s.Columns = cells
			continue
		}
		if len(cells) != len(s.Columns) {
			return Set{}, fmt.Errorf("answers: %s:%d: %d values for %d columns", path, line, len(cells), len(s.Columns))
		}
		s.Rows = append(s.Rows, cells)
	}
	if err := sc.Err(); err != nil {
		return Set{}, fmt.Errorf("answers: %s: %w", path, err)
	}
	if s.Columns == nil {
		return Set{}, fmt.Errorf("answers: %s: empty file", path)
	}
	return s, nil
}

// ratioQueries are the queries whose answer-set value is a ratio the
// reference implementation computed with less precision than exact
// arithmetic: Q17's avg_yearly (sum / 7.0) is 348406.02 in the answer set,
// 348406.05 exactly (and in PostgreSQL 15).
var ratioQueries = map[int]bool{17: true}

// CheckQuery is Check for TPC-H query n: the queries whose answer is a
// ratio computed with less precision (ratioQueries) have their fractional
// values compared by the specification's rule for ratios instead,
// 0.99·v ≤ round(r, 2) ≤ 1.01·v.
func CheckQuery(n int, want Set, got [][]string) error {
	if ratioQueries[n] {
		return check(want, got, ratioEqual)
	}
	return Check(want, got)
}

// Check compares got (rows of text values; "" may stand for NULL, which no
// TPC-H answer contains) with the expected set and returns an error naming
// the first difference, or nil.
func Check(want Set, got [][]string) error {
	return check(want, got, cellEqual)
}

func check(want Set, got [][]string, equal func(got, want string) bool) error {
	if len(got) != len(want.Rows) {
		return fmt.Errorf("%d rows, want %d", len(got), len(want.Rows))
	}
	for i, row := range got {
		w := want.Rows[i]
		if len(row) != len(w) {
			return fmt.Errorf("row %d: %d columns, want %d", i+1, len(row), len(w))
		}
		for j := range row {
			if !equal(strings.TrimSpace(row[j]), w[j]) {
				return fmt.Errorf("row %d, column %d (%s): got %q, want %q", i+1, j+1, want.Columns[j], row[j], w[j])
			}
		}
	}
	return nil
}

// cellEqual applies the comparison rules of the package comment.
func cellEqual(got, want string) bool {
	if got == want {
		return true
	}
	dot := strings.IndexByte(want, '.')
	if dot < 0 {
		return false // text, date or integer: exact
	}
	w, ok := new(big.Rat).SetString(want)
	if !ok {
		return false
	}
	g, ok := new(big.Rat).SetString(got)
	if !ok {
		return false
	}
	decimals := len(want) - dot - 1
	unit := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))
	diff := new(big.Rat).Sub(round(g, decimals), w)
	return diff.Abs(diff).Cmp(unit) <= 0
}

// ratioEqual is the specification's rule for ratios: a value the answer
// writes with a fractional part must, rounded to two decimals, be within 1%
// of it; other cells exactly as cellEqual.
func ratioEqual(got, want string) bool {
	if !strings.Contains(want, ".") {
		return cellEqual(got, want)
	}
	w, ok := new(big.Rat).SetString(want)
	if !ok {
		return false
	}
	g, ok := new(big.Rat).SetString(got)
	if !ok {
		return false
	}
	diff := new(big.Rat).Sub(round(g, 2), w)
	tol := new(big.Rat).Mul(new(big.Rat).Abs(w), big.NewRat(1, 100))
	return diff.Abs(diff).Cmp(tol) <= 0
}

// round rounds r half away from zero to d decimals.
func round(r *big.Rat, d int) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// |m|*2 >= den → away from zero.
	m2 := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	if m2.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, scale)
}
