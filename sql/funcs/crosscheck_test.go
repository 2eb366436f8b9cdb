package funcs

import (
	"testing"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// TestAgreesWithTypesDatetime checks that date_trunc and extract here
// agree with types.DateTrunc and types.Extract (the same operations that
// package offers to the rest of OmenDB) on every testdata case: equal
// values, and errors with the same SQLSTATE. (Messages differ: this package
// uses PostgreSQL 15's "unit \"x\" not recognized for type …" texts.)
func TestAgreesWithTypesDatetime(t *testing.T) {
	cases, _ := loadCases(t, "testdata/scalar.txt")
	n := 0
	for _, c := range cases {
		if (c.name != "date_trunc" && c.name != "extract") || len(c.args) != 2 || c.args[1].null ||
			c.args[1].typ == types.Unknown {
			continue
		}
		if knownDatetimeDiffs[c.call] {
			t.Logf("line %d: %s: known difference from types", c.line, c.call)
			continue
		}
		ctx := caseCtx(c)
		argT := c.args[1].typ
		v, err := types.ParseText(argT, c.args[1].lit, ctx.Loc)
		if err != nil {
			t.Fatalf("line %d: %v", c.line, err)
		}
		mine, _ := evalCase(c)
		var r types.Value
		retT := types.Numeric
		if c.name == "date_trunc" {
			r, err = types.DateTrunc(c.args[0].lit, v, argT, ctx.Loc)
			retT = argT
			if argT.OID == types.OIDDate {
				retT = types.TimestampTZ
			}
		} else {
			r, err = types.Extract(c.args[0].lit, v, argT, ctx.Loc)
		}
		n++
		if err != nil {
			if len(mine) < 11 || mine[:5] != "ERROR" || mine[6:11] != pgerr.Code(err) {
				t.Errorf("line %d: %s: types says %v, funcs %s", c.line, c.call, err, mine)
			}
			continue
		}
		theirs := "NULL"
		if !r.IsNull() {
			theirs = string(types.AppendText(nil, r, retT, ctx.Loc))
		}
		if theirs != mine {
			t.Errorf("line %d: %s: types %q, funcs %q", c.line, c.call, theirs, mine)
		}
	}
	if n < 20 {
		t.Fatalf("only %d cases compared", n)
	}
}

// knownDatetimeDiffs are cases where types disagrees with PostgreSQL 15
// (and this package): PostgreSQL compares unit names on their first 10
// characters only.
var knownDatetimeDiffs = map[string]bool{
	"date_trunc(text:microsecondsxyz; timestamp:2020-05-17 01:02:03.5)": true,
}

func TestAgeOneArgument(t *testing.T) {
	ctx := testCtx() // transaction time 2024-02-29 13:14:15.123456 UTC
	f, _, err := Resolve("age", []types.Type{types.Timestamp})
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := types.ParseText(types.Timestamp, "2000-01-15 06:00", nil)
	v, err := f.Call(ctx, []types.Value{ts})
	if err != nil {
		t.Fatal(err)
	}
	// age(ts) = age(current_date, ts): midnight of 2024-02-29.
	if got := string(types.AppendText(nil, v, types.Interval, nil)); got != "24 years 1 mon 13 days 18:00:00" {
		t.Errorf("age('2000-01-15 06:00') = %s", got)
	}
	if f.Volatility != Stable {
		t.Errorf("age(timestamp) volatility %v", f.Volatility)
	}
}
