package funcs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/omendb/omendb/pgerr"
)

type reCase struct {
	s, pat string
	op     string // ~ ~* !~ !~* or SIMILAR
	want   string // t, f or ERROR code
}

var reCases = []reCase{
	{"hello", "^h.*o$", "~", "t"},
	{"hello", "^H", "~", "f"},
	{"hello", "^H", "~*", "t"},
	{"hello", "^H", "!~", "t"},
	{"hello", "^H", "!~*", "f"},
	{"a\nb", "a.b", "~", "t"},
	{"a\nb", "^b", "~", "f"},
	{"a\nb", "a$", "~", "f"},
	{"foo bar", `\mbar`, "~", "t"},
	{"foobar", `\ybar`, "~", "f"},
	{"foo", `o\M`, "~", "t"},
	{"abc123", `[[:digit:]]+`, "~", "t"},
	{"abc", `[[:digit:]]`, "~", "f"},
	{"abc", `\d`, "~", "f"},
	{"a1", `\d$`, "~", "t"},
	{"aaa", "a{2,3}", "~", "t"},
	{"ÉCOLE", "école", "~*", "f"},
	{"ÉCOLE", "ÉCOLE", "~*", "t"},
	{"Hello World", "^hello [w-z]ORLD$", "~*", "t"},
	{"HELLO", "[^a-z]", "~*", "f"},
	{"HELLO1", "[^a-z]", "~*", "t"},
	{"Abc", "[[:lower:]]bc", "~*", "t"},
	{"ABC", `\w+`, "~*", "t"},
	{"x-Y", "[x-][-y]", "~*", "t"},
	{"É", "^[[:alpha:]]$", "~", "f"},
	{"é1", `^\w\d$`, "~", "f"},
	{"ÀB", "^.b$", "~*", "t"},
	{"abc", "(", "~", "ERROR 2201B"},
	{"abc", "[a", "~", "ERROR 2201B"},
	{"abc", "*", "~", "ERROR 2201B"},
	{"abc", "a(b|c)+", "SIMILAR", "t"},
	{"abc", "a%", "SIMILAR", "t"},
	{"abc", "b", "SIMILAR", "f"},
	{"abc", "_b_", "SIMILAR", "t"},
	{"a.c", "a.c", "SIMILAR", "t"},
	{"abc", "a.c", "SIMILAR", "f"},
	{"ab", "(a|b)*", "SIMILAR", "t"},
	{"a%", `a\%`, "SIMILAR", "t"},
	{"ab", `a\%`, "SIMILAR", "f"},
	{"xyz", "[x-z]{3}", "SIMILAR", "t"},
	{"a\nb", "a_b", "SIMILAR", "t"},
	{"^a", "^a", "SIMILAR", "t"},
}

func runRegexCase(c reCase) string {
	if c.op == "SIMILAR" {
		re, err := CompileSimilar(c.pat, '\\')
		if err != nil {
			return "ERROR " + pgerr.Code(err)
		}
		return map[bool]string{true: "t", false: "f"}[re.MatchString(c.s)]
	}
	re, err := CompileRegex(c.pat, strings.HasSuffix(c.op, "*"))
	if err != nil {
		return "ERROR " + pgerr.Code(err)
	}
	m := re.MatchString(c.s)
	if strings.HasPrefix(c.op, "!") {
		m = !m
	}
	return map[bool]string{true: "t", false: "f"}[m]
}

func TestRegex(t *testing.T) {
	for _, c := range reCases {
		if got := runRegexCase(c); got != c.want {
			t.Errorf("%q %s %q = %s, want %s", c.s, c.op, c.pat, got, c.want)
		}
	}
	_, err := CompileRegex("(", false)
	if err == nil || err.Error() != "invalid regular expression: parentheses () not balanced" {
		t.Errorf("bad pattern error: %v", err)
	}
}

func TestRegexPG(t *testing.T) {
	s := startPG(t)
	for _, c := range reCases {
		op := c.op
		if op == "SIMILAR" {
			op = "SIMILAR TO"
		}
		q := fmt.Sprintf("SELECT E%s %s %s", sqlLiteral(strings.ReplaceAll(strings.ReplaceAll(c.s, `\`, `\\`), "\n", `\n`)), op, sqlLiteral(c.pat))
		got, err := s.query(q)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(got, "ERROR") {
			got = got[:len("ERROR 2201B")]
		}
		if got != c.want {
			t.Errorf("%s: PostgreSQL %s, want %s", q, got, c.want)
		}
	}
}
