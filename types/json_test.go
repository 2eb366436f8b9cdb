package types

import (
	"bytes"
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/omendb/omendb/pgerr"
)

// Pairs ordered as PostgreSQL 15 orders them (checked against it in
// sql/logictest/testdata/json.slt): a < b.
var jsonbLess = [][2]string{
	{`[]`, `null`}, {`null`, `""`}, {`"a"`, `1`}, {`1`, `true`}, {`false`, `true`}, {`true`, `[1]`},
	{`1`, `[1]`}, {`[1]`, `[1, 2]`}, {`[3]`, `[1, 2]`}, {`[1, 2]`, `[1, 3]`}, {`[1, 2, 3]`, `{}`},
	{`{"aa": 1}`, `{"b": 1}`}, {`{"a": 2}`, `{"b": 1}`}, {`{"a": 1}`, `{"a": 1, "b": 0}`},
	{`[[1]]`, `[{"a": 1}]`}, {`[1]`, `[[1]]`}, {`"a"`, `"ab"`}, {`"ab"`, `"b"`}, {`-1`, `-0.5`},
	{`0.001`, `0.01`}, {`-100`, `-99.5`}, {`99`, `100`}, {`[null]`, `["a"]`}, {`{"a": null}`, `{"a": false}`},
	{`"a"`, `"a\u0001"`}, {`[]`, `[[]]`}, {`[]`, `{}`}, {`""`, `"\u0001"`},
}

var jsonbEqual = [][2]string{
	{`1.0`, `1`}, {`{"a":1, "b":2}`, `{"b":2,"a":1}`}, {`[1.50]`, `[1.5]`}, {`-0`, `0.00`}, {`1e2`, `100.0`},
	{`{"a": 1, "a": 2}`, `{"a": 2}`},
}

func mustJSONB(t testing.TB, s string) *JSONNode {
	t.Helper()
	n, err := ParseJSONB(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return n
}

func TestCompareJSONB(t *testing.T) {
	for _, p := range jsonbLess {
		a, b := mustJSONB(t, p[0]), mustJSONB(t, p[1])
		if c := CompareJSONB(a, b); c != -1 {
			t.Errorf("CompareJSONB(%s, %s) = %d, want -1", p[0], p[1], c)
		}
		if c := CompareJSONB(b, a); c != 1 {
			t.Errorf("CompareJSONB(%s, %s) = %d, want 1", p[1], p[0], c)
		}
		ka, kb := AppendJSONBKey(nil, p[0]), AppendJSONBKey(nil, p[1])
		if bytes.Compare(ka, kb) != -1 {
			t.Errorf("key(%s) = %x ≥ key(%s) = %x", p[0], ka, p[1], kb)
		}
	}
	for _, p := range jsonbEqual {
		x, err := normalizeJSONB(p[0])
		if err != nil {
			t.Fatal(err)
		}
		y, err := normalizeJSONB(p[1])
		if err != nil {
			t.Fatal(err)
		}
		a, b := NewJSON(x), NewJSON(y)
		if Compare(a, b) != 0 || !Equal(a, b) {
			t.Errorf("%s and %s should be equal", p[0], p[1])
		}
		if Hash(a) != Hash(b) {
			t.Errorf("%s and %s hash differently", p[0], p[1])
		}
		if !bytes.Equal(AppendJSONBKey(nil, x), AppendJSONBKey(nil, y)) {
			t.Errorf("%s and %s have different keys", p[0], p[1])
		}
	}
}

// randJSON builds a random JSON text with few distinct values, so that
// equal and nearly equal values meet.
func randJSON(r *rand.Rand, depth int) string {
	switch k := r.Intn(9); {
	case k == 0:
		return "null"
	case k == 1:
		return []string{"true", "false"}[r.Intn(2)]
	case k == 2:
		return []string{`""`, `"a"`, `"ab"`, `"b"`, `"\u0001"`, `"é"`}[r.Intn(6)]
	case k == 3:
		return []string{"0", "-0.0", "1", "1.0", "1.50", "1.5", "-1", "-1.25", "10", "1e1", "0.01", "-100", "12345678901234567890"}[r.Intn(13)]
	case k <= 5 && depth < 3:
		n := r.Intn(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = randJSON(r, depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case depth < 3:
		n := r.Intn(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"%s": %s`, []string{"a", "b", "aa", "", "c"}[r.Intn(5)], randJSON(r, depth+1))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return "2"
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// TestJSONBKeyAndHash: the binary key orders as CompareJSONB, and values
// that compare equal hash equally.
func TestJSONBKeyAndHash(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	vals := make([]string, 400)
	for i := range vals {
		s, err := normalizeJSONB(randJSON(r, 0))
		if err != nil {
			t.Fatal(err)
		}
		vals[i] = s
	}
	for i, a := range vals {
		for _, b := range vals[i:] {
			c := CompareJSONB(mustJSONB(t, a), mustJSONB(t, b))
			if k := bytes.Compare(AppendJSONBKey(nil, a), AppendJSONBKey(nil, b)); k != sign(c) {
				t.Fatalf("%s vs %s: CompareJSONB %d, keys %d", a, b, c, k)
			}
			if Compare(NewJSON(a), NewJSON(b)) != c {
				t.Fatalf("%s vs %s: Compare disagrees with CompareJSONB", a, b)
			}
			if c == 0 && Hash(NewJSON(a)) != Hash(NewJSON(b)) {
				t.Fatalf("%s = %s but hashes differ", a, b)
			}
		}
	}
}

func TestParseJSONText(t *testing.T) {
	n, err := ParseJSONText(` {"a" : [1,  2.50, {"b":"x\ny"}], "a": 1e3 } `)
	if err != nil {
		t.Fatal(err)
	}
	if n.Raw != `{"a" : [1,  2.50, {"b":"x\ny"}], "a": 1e3 }` {
		t.Errorf("root raw %q", n.Raw)
	}
	if len(n.Keys) != 2 || n.Vals[0].Raw != `[1,  2.50, {"b":"x\ny"}]` || n.Vals[0].Vals[1].Raw != "2.50" {
		t.Errorf("raw spans wrong: %+v", n)
	}
	if n.Lookup("a").Raw != "1e3" {
		t.Errorf("Lookup should find the last duplicate, got %q", n.Lookup("a").Raw)
	}
	if s := n.Vals[0].Vals[2].Vals[0].Str; s != "x\ny" {
		t.Errorf("decoded string %q", s)
	}
}

// FuzzJSON: no input panics the JSON parsers; validation (json input) and
// the tree parsers agree on what is JSON (trees refuse \u0000 only);
// accepted input prints jsonb text that is a fixed point and orders equal
// to itself; the json tree keeps every value's source text.
// Seeds: testdata/fuzz/FuzzJSON.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"b": 2, "a": [1, 2.50, {"c": null}], "a": true}`, `[]`, ` "x\u00e9\ud83d\ude00" `,
		`-0.0e+5`, `[[[[]]]]`, `{"": {"": ""}}`, `"\u0000"`, `[1,]`, `{"a" 1}`, `1e400`} {
		f.Add(s)
	}
	hugeExp := regexp.MustCompile(`[eE][+-]?0*[0-9]{4,}`)
	f.Fuzz(func(t *testing.T, s string) {
		verr := validateJSON(s)
		if hugeExp.MatchString(s) {
			return // numbers of thousands of digits: slow to print, as in PostgreSQL
		}
		b, berr := ParseJSONB(s)
		j, jerr := ParseJSONText(s)
		// The json tree does not parse numbers: jsonb may refuse one
		// (22003) the tree accepts; otherwise they agree.
		if (berr == nil) != (jerr == nil) && !(jerr == nil && pgerr.Code(berr) == pgerr.NumericValueOutOfRange) {
			t.Fatalf("%q: jsonb %v, json tree %v", s, berr, jerr)
		}
		if verr != nil {
			if berr == nil {
				t.Fatalf("%q: invalid json (%v) parses as jsonb", s, verr)
			}
			return
		}
		if berr != nil {
			if pgerr.Code(berr) != "22P05" && pgerr.Code(berr) != pgerr.InvalidTextRepresentation && pgerr.Code(berr) != pgerr.NumericValueOutOfRange {
				t.Fatalf("%q: valid json refused as jsonb: %v", s, berr)
			}
			return
		}
		out := b.JSONBText()
		b2, err := ParseJSONB(out)
		if err != nil {
			t.Fatalf("%q printed %q which does not parse: %v", s, out, err)
		}
		if out2 := b2.JSONBText(); out2 != out {
			t.Fatalf("%q printed %q then %q", s, out, out2)
		}
		if CompareJSONB(b, b2) != 0 || !bytes.Equal(AppendJSONBKey(nil, out), AppendJSONBKey(nil, out)) {
			t.Fatalf("%q: not equal to itself", s)
		}
		if j.Raw != strings.Trim(s, " \t\n\r") {
			t.Fatalf("%q: root span %q", s, j.Raw)
		}
		jb, err := j.Normalize()
		if err != nil {
			t.Fatalf("%q: Normalize: %v", s, err)
		}
		if jb.JSONBText() != out {
			t.Fatalf("%q: json tree normalises to %q, jsonb is %q", s, jb.JSONBText(), out)
		}
	})
}
