package funcs

import (
	"testing"
	"unicode/utf8"

	"github.com/omendb/omendb/types"
)

// Fuzz targets for the parsers of user-supplied patterns and templates:
// none may panic, and errors must carry a SQLSTATE.

func FuzzLike(f *testing.F) {
	for _, c := range likeCases {
		f.Add(c.s, c.pat, c.ci)
	}
	f.Fuzz(func(t *testing.T, s, pat string, ci bool) {
		m, err := CompileLike(pat, '\\', ci)
		if err != nil {
			return
		}
		got := m.Match(s)
		// A pattern without wildcards or escapes matches exactly itself.
		if !ci && utf8.ValidString(pat) && !containsAny(pat, `%_\`) && got != (s == pat) {
			t.Fatalf("%q LIKE %q = %v", s, pat, got)
		}
		if !ci && utf8.ValidString(s) && !containsAny(s, `%_\`) {
			if m2, err := CompileLike(s, '\\', false); err == nil && !m2.Match(s) {
				t.Fatalf("%q does not match itself", s)
			}
		}
	})
}

func containsAny(s, chars string) bool {
	for _, c := range s {
		for _, d := range chars {
			if c == d {
				return true
			}
		}
	}
	return false
}

func fuzzCall(t *testing.T, name string, argTypes []types.Type, args []types.Value) {
	f, _, err := Resolve(name, argTypes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Call(testCtx(), args); err != nil {
		if e, ok := err.(interface{ Error() string }); !ok || e.Error() == "" {
			t.Fatalf("%s: empty error", name)
		}
	}
}

func FuzzTemplates(f *testing.F) {
	f.Add("2020-05-07 13:04:05", "YYYY-MM-DD HH24:MI:SS", "1234.5", "9G999D99S")
	f.Add("12,454.8-", "99G999D9S", "<123>", "999PR")
	f.Add("Tuesday, 05 may 2020", "Day, DD Month YYYY", "1,234-01-01", "Y,YYY-MM-DD")
	f.Fuzz(func(t *testing.T, a, fa, b, fb string) {
		tt := []types.Type{types.Text, types.Text}
		fuzzCall(t, "to_timestamp", tt, []types.Value{types.NewText(a), types.NewText(fa)})
		fuzzCall(t, "to_date", tt, []types.Value{types.NewText(b), types.NewText(fb)})
		fuzzCall(t, "to_number", tt, []types.Value{types.NewText(b), types.NewText(fb)})
		fuzzCall(t, "to_number", tt, []types.Value{types.NewText(a), types.NewText(fa)})
		fuzzCall(t, "format", tt, []types.Value{types.NewText(fa), types.NewText(a)})
		fuzzCall(t, "to_char", []types.Type{types.Timestamp, types.Text}, []types.Value{types.NewTimestamp(1589720645123456), types.NewText(fa)})
		fuzzCall(t, "to_char", []types.Type{types.Float8, types.Text}, []types.Value{types.NewFloat(-1234.5678), types.NewText(fb)})
		fuzzCall(t, "regexp_replace", []types.Type{types.Text, types.Text, types.Text, types.Text},
			[]types.Value{types.NewText(a), types.NewText(fa), types.NewText(b), types.NewText("g")})
	})
}
