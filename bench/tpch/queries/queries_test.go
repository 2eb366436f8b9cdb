package queries

import (
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var placeholder = regexp.MustCompile(`:[0-9]`)

func TestValidationSQL(t *testing.T) {
	for n := 1; n <= NumQueries; n++ {
		p := Validation(n)
		sql := p.SQL(1)
		if placeholder.MatchString(sql) {
			t.Errorf("Q%d: unsubstituted parameter in\n%s", n, sql)
		}
		if strings.Contains(sql, "--") {
			t.Errorf("Q%d: comment left in SQL", n)
		}
		for _, v := range p.Values {
			if !strings.Contains(sql, v) {
				t.Errorf("Q%d: value %q missing from SQL", n, v)
			}
		}
		if !strings.HasPrefix(strings.TrimSpace(sql), "select") && !strings.HasPrefix(strings.TrimSpace(sql), "with") {
			t.Errorf("Q%d: does not start with select/with", n)
		}
	}
	// Q11's fraction scales with SF.
	if s := Validation(11).SQL(10); !strings.Contains(s, "0.0000100000") {
		t.Errorf("Q11 at SF 10 lacks FRACTION 0.00001:\n%s", s)
	}
	if s := Validation(1).SQL(1); !strings.Contains(s, "interval '90 days'") {
		t.Errorf("Q1 DELTA not substituted: %s", s)
	}
	if s := Validation(16).SQL(1); !strings.Contains(s, "in (49, 14, 23, 45, 19, 3, 36, 9)") {
		t.Errorf("Q16 sizes wrong (:10 vs :1 substitution order?): %s", s)
	}
}

func TestRandomDeterministic(t *testing.T) {
	for n := 1; n <= NumQueries; n++ {
		a, b := Random(n, 42), Random(n, 42)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("Q%d: seed 42 gave %v then %v", n, a.Values, b.Values)
		}
		if len(a.Values) != len(Validation(n).Values) {
			t.Errorf("Q%d: %d random values, %d validation values", n, len(a.Values), len(Validation(n).Values))
		}
	}
	// Different seeds must not all give the same parameters.
	same := 0
	for n := 1; n <= NumQueries; n++ {
		if reflect.DeepEqual(Random(n, 1).Values, Random(n, 2).Values) {
			same++
		}
	}
	if same > 5 {
		t.Errorf("%d of 22 queries ignore the seed", same)
	}
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

func date(t *testing.T, s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return d
}

// TestRandomRanges draws many parameter sets and checks each against the
// specification's rule for it.
func TestRandomRanges(t *testing.T) {
	in := func(v string, list []string) bool { return slices.Contains(list, v) }
	inRange := func(n, lo, hi int) bool { return n >= lo && n <= hi }
	month := func(d time.Time, from, to string) bool {
		return d.Day() == 1 && !d.Before(date(t, from)) && !d.After(date(t, to))
	}
	jan1 := func(d time.Time) bool { return d.Month() == 1 && d.Day() == 1 && inRange(d.Year(), 1993, 1997) }
	brand := regexp.MustCompile(`^Brand#[1-5][1-5]$`)
	for seed := uint64(0); seed < 300; seed++ {
		for n := 1; n <= NumQueries; n++ {
			v := Random(n, seed).Values
			ok := true
			switch n {
			case 1:
				ok = inRange(atoi(t, v[0]), 60, 120)
			case 2:
				ok = inRange(atoi(t, v[0]), 1, 50) && in(v[1], typeLastSyllables) && in(v[2], regions)
			case 3:
				d := date(t, v[1])
				ok = in(v[0], segments) && d.Year() == 1995 && d.Month() == 3
			case 4, 15:
				ok = month(date(t, v[0]), "1993-01-01", "1997-10-01")
			case 5:
				ok = in(v[0], regions) && jan1(date(t, v[1]))
			case 6:
				d, q := atoi(t, strings.TrimPrefix(v[1], "0.")), atoi(t, v[2])
				ok = jan1(date(t, v[0])) && inRange(d, 2, 9) && inRange(q, 24, 25)
			case 7:
				ok = in(v[0], nations) && in(v[1], nations) && v[0] != v[1]
			case 8:
				i := slices.Index(nations, v[0])
				ok = i >= 0 && v[1] == regions[nationRegion[i]] && in(v[2], partTypes)
			case 9:
				ok = in(v[0], colors)
			case 10:
				ok = month(date(t, v[0]), "1993-02-01", "1995-01-01")
			case 11:
				ok = in(v[0], nations) && v[1] == "0.0001"
			case 12:
				ok = in(v[0], shipModes) && in(v[1], shipModes) && v[0] != v[1] && jan1(date(t, v[2]))
			case 13:
				ok = in(v[0], q13Words1) && in(v[1], q13Words2)
			case 14:
				ok = month(date(t, v[0]), "1993-01-01", "1997-12-01")
			case 16:
				ok = brand.MatchString(v[0]) && strings.Count(v[1], " ") == 1
				seen := map[string]bool{}
				for _, s := range v[2:] {
					ok = ok && inRange(atoi(t, s), 1, 50) && !seen[s]
					seen[s] = true
				}
				ok = ok && len(v) == 10
			case 17:
				ok = brand.MatchString(v[0]) && in(v[1], containers)
			case 18:
				ok = inRange(atoi(t, v[0]), 312, 315)
			case 19:
				ok = brand.MatchString(v[0]) && brand.MatchString(v[1]) && brand.MatchString(v[2]) &&
					inRange(atoi(t, v[3]), 1, 10) && inRange(atoi(t, v[4]), 10, 20) && inRange(atoi(t, v[5]), 20, 30)
			case 20:
				ok = in(v[0], colors) && jan1(date(t, v[1])) && in(v[2], nations)
			case 21:
				ok = in(v[0], nations)
			case 22:
				seen := map[string]bool{}
				for _, s := range v {
					ok = ok && inRange(atoi(t, s), 10, 34) && !seen[s]
					seen[s] = true
				}
				ok = ok && len(v) == 7
			}
			if !ok {
				t.Fatalf("seed %d Q%d: parameters %q break the specification's rule", seed, n, v)
			}
		}
	}
}
