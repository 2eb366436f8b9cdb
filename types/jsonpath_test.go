package types

import "testing"

// TestJSONPathCanonical: a path's canonical text parses to the same
// canonical text, and the binary format round-trips.
func TestJSONPathCanonical(t *testing.T) {
	for _, s := range []string{"$", "strict $.a[*] ? (@.b > 1 && @.c like_regex \"x\" flag \"iq\")", "$.**{2 to last}.type()",
		"-$.a + 2 * $x", "$ ? (exists (@.a) || !(@ starts with \"q\"))", "$[1 to last, 0]", `$."\u00e9\n"`, "(1 + 2).size()"} {
		v, err := ParseJSONPathText(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		v2, err := ParseJSONPathText(v.S)
		if err != nil || v2.S != v.S {
			t.Fatalf("%s: canonical %q reparsed as %q (%v)", s, v.S, v2.S, err)
		}
		jp := Type{OID: OIDJSONPath, Mod: -1}
		b, err := AppendBinary(nil, v, jp)
		if err != nil || b[0] != 1 {
			t.Fatalf("%s: binary %v %v", s, b, err)
		}
		if v3, err := ParseBinary(jp, b); err != nil || v3.S != v.S {
			t.Fatalf("%s: binary round trip %q %v", s, v3.S, err)
		}
	}
}

// FuzzParseJSONPath: no input crashes the parser, and what parses prints
// a canonical text that parses to itself.
func FuzzParseJSONPath(f *testing.F) {
	for _, s := range []string{"$", "$.a[*] ? (@ > 1)", "strict $.**{1 to last}", "$x + -1e3", `$."a\"b"`, "exists($)", "$[last - 1 to 2]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseJSONPathText(s)
		if err != nil {
			return
		}
		v2, err := ParseJSONPathText(v.S)
		if err != nil || v2.S != v.S {
			t.Fatalf("%q: canonical %q reparsed as %q (%v)", s, v.S, v2.S, err)
		}
	})
}
