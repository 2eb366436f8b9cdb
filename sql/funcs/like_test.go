package funcs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/omendb/omendb/pgerr"
)

type likeCase struct {
	s, pat string
	esc    string // ESCAPE clause; "\\" is the default
	ci     bool
	want   string // "t", "f" or "ERROR code"
}

var likeCases = []likeCase{
	{"hello", "hello", `\`, false, "t"},
	{"hello", "Hello", `\`, false, "f"},
	{"hello", "h%", `\`, false, "t"},
	{"hello", "%lo", `\`, false, "t"},
	{"hello", "%ll%", `\`, false, "t"},
	{"hello", "%xx%", `\`, false, "f"},
	{"hello", "%", `\`, false, "t"},
	{"", "%", `\`, false, "t"},
	{"", "_", `\`, false, "f"},
	{"hello", "h_llo", `\`, false, "t"},
	{"hello", "h__lo", `\`, false, "t"},
	{"hello", "h_lo", `\`, false, "f"},
	{"hello", "_____", `\`, false, "t"},
	{"hello", "______", `\`, false, "f"},
	{"hello", "h%l%o", `\`, false, "t"},
	{"hello", "h%%o", `\`, false, "t"},
	{"hello", "%l_", `\`, false, "t"},
	{"hello", "%l", `\`, false, "f"},
	{"abcabc", "%abc", `\`, false, "t"},
	{"aaab", "%a_b", `\`, false, "t"},
	{"mississippi", "m%iss%ppi", `\`, false, "t"},
	{"mississippi", "%s_s%", `\`, false, "t"},
	{"a%b", `a\%b`, `\`, false, "t"},
	{"axb", `a\%b`, `\`, false, "f"},
	{"a_b", `a\_b`, `\`, false, "t"},
	{"axb", `a\_b`, `\`, false, "f"},
	{`a\b`, `a\\b`, `\`, false, "t"},
	{"a_c", "a#_c", "#", false, "t"},
	{"abc", "a#_c", "#", false, "f"},
	{`a\c`, `a\c`, "", false, "t"},
	{"a%c", "a%c", "", false, "t"},
	{"ab", `a\`, `\`, false, "ERROR 22025"},
	{"x", "ab", "ab", false, "ERROR 22025"},
	{"héllo", "h_llo", `\`, false, "t"},
	{"日本語", "__語", `\`, false, "t"},
	{"日本語", "_語", `\`, false, "f"},
	{"日本語", "%本%", `\`, false, "t"},
	{"HeLLo", "hello", `\`, true, "t"},
	{"HeLLo", "h%O", `\`, true, "t"},
	{"HELLO", "%ll%", `\`, true, "t"},
	{"ÉCOLE", "éc%", `\`, true, "f"},
	{"École", "école", `\`, true, "f"},
	{"Ünïcödé", "ünïcödé", `\`, true, "f"},
	{"ünïCÖdé", "ÜNÏcöDÉ", `\`, true, "f"},
	{"ünïcödé", "ÜNÏCÖDÉ", `\`, true, "f"},
	{"ünïCödé", "ünïcödé", `\`, true, "t"},
	{"naïve CAFÉ", "NAïVE%", `\`, true, "t"},
	{"naïve CAFÉ", "NAÏVE%", `\`, true, "f"},
	{"A_B", `a\_b`, `\`, true, "t"},
}

func runLike(c likeCase) string {
	esc, err := LikeEscape(c.esc)
	if err != nil {
		return "ERROR " + pgerr.Code(err)
	}
	m, err := CompileLike(c.pat, esc, c.ci)
	if err != nil {
		return "ERROR " + pgerr.Code(err)
	}
	if m.Match(c.s) {
		return "t"
	}
	return "f"
}

func TestLike(t *testing.T) {
	for _, c := range likeCases {
		if got := runLike(c); got != c.want {
			t.Errorf("%q LIKE %q ESCAPE %q (ci %v) = %s, want %s", c.s, c.pat, c.esc, c.ci, got, c.want)
		}
	}
	_, err := CompileLike(`abc\`, '\\', false)
	if err == nil || err.Error() != "LIKE pattern must not end with escape character" {
		t.Errorf("trailing escape: %v", err)
	}
}

func TestLikePG(t *testing.T) {
	s := startPG(t)
	for _, c := range likeCases {
		op := "LIKE"
		if c.ci {
			op = "ILIKE"
		}
		q := fmt.Sprintf("SELECT %s %s %s ESCAPE %s", sqlLiteral(c.s), op, sqlLiteral(c.pat), sqlLiteral(c.esc))
		got, err := s.query(q)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(got, "ERROR") {
			got = got[:len("ERROR 22025")]
		}
		if got != c.want {
			t.Errorf("%s: PostgreSQL %s, want %s", q, got, c.want)
		}
	}
}

func BenchmarkLike(b *testing.B) {
	s := strings.Repeat("lorem ipsum dolor sit amet ", 4)
	for _, p := range []string{"lorem%", "%amet ", "%dolor%", "%ip_um%sit%"} {
		m, _ := CompileLike(p, '\\', false)
		b.Run("pattern="+p, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m.Match(s)
			}
		})
	}
}
