package sql

import (
	"fmt"
	"testing"

	"github.com/omendb/omendb/types"
)

// TestISODateMatchesParseText checks COPY's date fast path against the
// input function it stands in for: every day of 1599–2401 and the years'
// edges up to 9999 give the same value, and every string it declines
// (invalid days, months, year 0, other forms) is left to ParseText.
func TestISODateMatchesParseText(t *testing.T) {
	check := func(s string) {
		t.Helper()
		d, ok := isoDate([]byte(s))
		v, err := types.ParseText(types.Date, s, nil)
		if ok && (err != nil || v.K != types.KindDate || v.I != d) {
			t.Fatalf("%q: fast path %d, ParseText %v (%v)", s, d, v, err)
		}
		if !ok && err == nil && len(s) == 10 && s[4] == '-' && s[7] == '-' && s[0] != '0' {
			t.Fatalf("%q: fast path declined a date ParseText reads as %v", s, v)
		}
	}
	for y := 1599; y <= 2401; y++ {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= 31; d++ {
				check(fmt.Sprintf("%04d-%02d-%02d", y, m, d))
			}
		}
	}
	for _, y := range []int{1, 2, 4, 99, 100, 400, 1000, 1582, 4000, 9999} {
		for _, md := range []string{"01-01", "02-28", "02-29", "03-01", "12-31"} {
			check(fmt.Sprintf("%04d-%s", y, md))
		}
	}
	for _, s := range []string{"0000-01-01", "2024-00-10", "2024-13-01", "2024-04-31", "2023-02-29", "2024-1-010", "20240-1-01", "2024/01/01", "+024-01-01", "2024-01-0a", "2024-01-00"} {
		if _, ok := isoDate([]byte(s)); ok {
			t.Fatalf("%q: fast path accepted it", s)
		}
		check(s)
	}
}

// TestFixedNumericMatchesParseText checks COPY's numeric(p,s) fast path
// against numeric_in with the typmod: wherever it answers, the value and
// its row encoding equal ParseText's; what it declines ParseText handles.
func TestFixedNumericMatchesParseText(t *testing.T) {
	mods := [][2]int32{{15, 2}, {12, 2}, {5, 0}, {18, 4}, {4, 4}, {10, 3}, {3, 1}}
	inputs := []string{"0", "0.00", "-0", "-0.00", "1", "1.", ".5", "-.5", "5.5", "17", "17.00", "901.00", "-901.99",
		"0.01", "0.05", "0.10", "99999999999.99", "999999999999.99", "9999999999999.99", "1234567890123.45",
		"123456789012345678", "1.234", "1.2345", "12345", "-12345", "99.9", "100.0", "0.9999", "1e3", " 1.00", "1.00 ",
		"+1.00", "1,00", "", "-", ".", "NaN", "1.0.0", "00017.50", "-00", "999999999999999999", "9999999999999999999"}
	for i := 0; i < 2000; i++ {
		inputs = append(inputs, fmt.Sprintf("%d.%02d", i*7919%100000, i%100), fmt.Sprintf("-%d.%d", i*31, i%10))
	}
	for _, pm := range mods {
		typ := types.Type{OID: types.OIDNumeric, Mod: types.NumericTypmod(pm[0], pm[1])}
		for _, s := range inputs {
			d, ok := fixedNumeric([]byte(s), pm[0], pm[1])
			if !ok {
				continue
			}
			v, err := types.ParseText(typ, s, nil)
			if err != nil {
				t.Fatalf("numeric(%d,%d) %q: fast path %v, ParseText error %v", pm[0], pm[1], s, d, err)
			}
			got, want := types.EncodeRow(nil, []types.Value{types.NewNumeric(d)}), types.EncodeRow(nil, []types.Value{v})
			if string(got) != string(want) || d.Exponent != v.N.Exponent || d.Negative != v.N.Negative || d.Coeff.Cmp(&v.N.Coeff) != 0 {
				t.Fatalf("numeric(%d,%d) %q: fast path %v (%x), ParseText %v (%x)", pm[0], pm[1], s, d, got, v.N, want)
			}
		}
	}
	// The common dbgen forms take the fast path.
	for _, s := range []string{"901.00", "-12.50", "17", "0.04"} {
		if _, ok := fixedNumeric([]byte(s), 15, 2); !ok {
			t.Fatalf("%q declined", s)
		}
	}
}
