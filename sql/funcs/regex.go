package funcs

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// CompileRegex compiles a POSIX regular expression for ~ and ~* (and the
// regexp_* functions) with Go's RE2 engine, after translating the parts of
// PostgreSQL's ARE syntax that differ:
//
//   - '.' and bracket expressions match newline (PostgreSQL's default is
//     not newline-sensitive), so the pattern is compiled with (?s);
//   - \m, \M and \y become \b, \Y becomes \B, \Z becomes \z;
//   - case-insensitive matching (~*, flag i) adds (?i).
//
// Not supported by RE2, and so a 2201B error here where PostgreSQL would
// accept them: back references (\1 in the pattern), lookahead (?= (?!,
// lookbehind (?<= (?<!, and the ***: / ***= director prefixes. For ~*
// (flag i) the pattern's ASCII letters are rewritten to match both cases
// (foldASCII): under the C collation PostgreSQL folds ASCII letters only.
// RE2 matches
// leftmost-first for alternations where PostgreSQL picks the longest
// match overall, so a few patterns may capture differently.
func CompileRegex(pattern string, caseInsensitive bool) (*regexp.Regexp, error) {
	flags := "s"
	if caseInsensitive {
		flags += "i"
	}
	return compileCached(flags, pattern)
}

type reKey struct{ flags, pattern string }

var reCache struct {
	sync.Mutex
	m map[reKey]*regexp.Regexp
}

const reCacheMax = 256

// compileCached compiles (?flags)pattern, caching compiled expressions so
// that per-row calls with a constant pattern compile once.
func compileCached(flags, pattern string) (*regexp.Regexp, error) {
	k := reKey{flags, pattern}
	reCache.Lock()
	re, ok := reCache.m[k]
	reCache.Unlock()
	if ok {
		return re, nil
	}
	src := translateARE(pattern)
	if strings.Contains(flags, "i") {
		// C collation: only ASCII letters match case-insensitively.
		flags = strings.ReplaceAll(flags, "i", "")
		src = foldASCII(src)
	}
	if flags != "" {
		src = "(?" + flags + ")" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, regexError(err)
	}
	reCache.Lock()
	if reCache.m == nil || len(reCache.m) >= reCacheMax {
		reCache.m = map[reKey]*regexp.Regexp{}
	}
	reCache.m[k] = re
	reCache.Unlock()
	return re, nil
}

func translateARE(p string) string {
	if !strings.Contains(p, `\`) {
		return p
	}
	var b strings.Builder
	inBracket := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '[' && !inBracket:
			inBracket = true
		case c == ']' && inBracket:
			inBracket = false
		case c == '\\' && i+1 < len(p) && !inBracket:
			switch p[i+1] {
			case 'm', 'M', 'y':
				b.WriteString(`\b`)
				i++
				continue
			case 'Y':
				b.WriteString(`\B`)
				i++
				continue
			case 'Z':
				b.WriteString(`\z`)
				i++
				continue
			}
			b.WriteByte(c)
			b.WriteByte(p[i+1])
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// foldASCII rewrites a pattern so that its ASCII letters match either case
// (x → [xX], and inside brackets a → aA, a-f → a-fA-F), leaving non-ASCII
// letters case-sensitive, as PostgreSQL's case-insensitive matching under
// the C collation.
func foldASCII(p string) string {
	other := func(c byte) byte {
		switch {
		case c >= 'a' && c <= 'z':
			return c - 'a' + 'A'
		case c >= 'A' && c <= 'Z':
			return c - 'A' + 'a'
		}
		return 0
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			b.WriteByte(p[i+1])
			i++
		case c == '[':
			// Copy the bracket expression, adding the other case of letters.
			j := i + 1
			b.WriteByte('[')
			if j < len(p) && p[j] == '^' {
				b.WriteByte('^')
				j++
			}
			first := true
			var extra []byte
			start := b.Len()
			for ; j < len(p) && (p[j] != ']' || first); j++ {
				first = false
				switch {
				case p[j] == '[' && j+1 < len(p) && (p[j+1] == ':' || p[j+1] == '=' || p[j+1] == '.'):
					end := strings.Index(p[j+2:], string(p[j+1])+"]")
					if end < 0 {
						b.WriteString(p[j:])
						j = len(p)
						continue
					}
					class := p[j : j+2+end+2]
					if class == "[:lower:]" || class == "[:upper:]" {
						class = "[:alpha:]" // either case matches, as in PostgreSQL
					}
					b.WriteString(class)
					j += 2 + end + 1
				case p[j] == '\\' && j+1 < len(p):
					b.WriteString(p[j : j+2])
					j++
				case j+2 < len(p) && p[j+1] == '-' && p[j+2] != ']' && other(p[j]) != 0 && other(p[j+2]) != 0 &&
					(p[j] >= 'a') == (p[j+2] >= 'a'):
					b.WriteString(p[j : j+3])
					extra = append(extra, other(p[j]), '-', other(p[j+2]))
					j += 2
				default:
					b.WriteByte(p[j])
					if o := other(p[j]); o != 0 {
						extra = append(extra, o)
					}
				}
			}
			// Put the added letters before a trailing '-', which must stay last.
			content := b.String()[start:]
			if len(extra) > 0 && len(content) > 1 && strings.HasSuffix(content, "-") {
				all := b.String()
				b.Reset()
				b.WriteString(all[:len(all)-1])
				b.Write(extra)
				b.WriteByte('-')
			} else {
				b.Write(extra)
			}
			if j < len(p) {
				b.WriteByte(']')
			}
			i = j
		case other(c) != 0:
			b.WriteByte('[')
			b.WriteByte(c)
			b.WriteByte(other(c))
			b.WriteByte(']')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func regexError(err error) error {
	msg := err.Error()
	if e, ok := err.(*syntax.Error); ok {
		switch e.Code {
		case syntax.ErrMissingParen, syntax.ErrUnexpectedParen:
			msg = "parentheses () not balanced"
		case syntax.ErrMissingBracket:
			msg = "brackets [] not balanced"
		case syntax.ErrMissingRepeatArgument, syntax.ErrInvalidRepeatOp:
			msg = "quantifier operand invalid"
		case syntax.ErrInvalidRepeatSize:
			msg = "invalid repetition count(s)"
		case syntax.ErrInvalidEscape:
			msg = `invalid escape \ sequence`
		case syntax.ErrInvalidCharRange:
			msg = "invalid character range"
		case syntax.ErrTrailingBackslash:
			msg = `invalid escape \ sequence`
		case syntax.ErrInvalidPerlOp:
			msg = "quantifier operand invalid"
		default:
			msg = string(e.Code)
		}
	}
	return pgerr.New("2201B", "invalid regular expression: %s", msg)
}

// regexFlags parses the flags argument of regexp_replace & co: g (global,
// only where allowed), i/c (case), n (newline-sensitive), s (default), x
// (expanded: whitespace and #-comments ignored — not supported by RE2, so
// rejected with 0A000).
func regexFlags(f string, allowG bool, fn string) (flags string, global bool, err error) {
	ci, newline := false, false
	for _, c := range f {
		switch c {
		case 'g':
			if !allowG {
				return "", false, pgerr.New(pgerr.InvalidParameterValue, "%s() does not support the \"global\" option", fn)
			}
			global = true
		case 'i':
			ci = true
		case 'c':
			ci = false
		case 'n', 'm':
			newline = true
		case 's':
			newline = false
		case 'p', 'w':
			newline = true // partial newline-sensitivity, approximated
		case 'x':
			return "", false, pgerr.NotSupported("regular expression option \"x\" is not supported")
		case 'b', 'e', 'q', 't':
			return "", false, pgerr.NotSupported("regular expression option %q is not supported", c)
		default:
			return "", false, pgerr.New(pgerr.InvalidParameterValue, "invalid regular expression option: \"%c\"", c)
		}
	}
	if newline {
		flags = "m"
	} else {
		flags = "s"
	}
	if ci {
		flags += "i"
	}
	return flags, global, nil
}

// expandReplacement builds PostgreSQL's regexp_replace replacement: \1–\9
// are capture groups, \& the whole match, \\ a backslash.
func expandReplacement(dst []byte, repl, src string, m []int) []byte {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '\\' || i+1 >= len(repl) {
			dst = append(dst, c)
			continue
		}
		n := repl[i+1]
		switch {
		case n >= '1' && n <= '9':
			g := int(n - '0')
			if 2*g+1 < len(m) && m[2*g] >= 0 {
				dst = append(dst, src[m[2*g]:m[2*g+1]]...)
			}
			i++
		case n == '&':
			dst = append(dst, src[m[0]:m[1]]...)
			i++
		case n == '\\':
			dst = append(dst, '\\')
			i++
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func regexpReplace(src, pattern, repl, flagStr string) (types.Value, error) {
	flags, global, err := regexFlags(flagStr, true, "regexp_replace")
	if err != nil {
		return types.Null, err
	}
	re, err := compileCached(flags, pattern)
	if err != nil {
		return types.Null, err
	}
	ms, err := pgFindAll(re, pattern, src, global)
	if err != nil {
		return types.Null, err
	}
	var out []byte
	last := 0
	for _, m := range ms {
		out = append(out, src[last:m[0]]...)
		out = expandReplacement(out, repl, src, m)
		last = m[1]
	}
	if out == nil {
		return types.NewText(src), nil
	}
	out = append(out, src[last:]...)
	return types.NewText(string(out)), nil
}

// SimilarToRegex translates a SIMILAR TO pattern to an anchored regular
// expression, as PostgreSQL's similar_to_escape: % → .*, _ → ., the escape
// character quotes the next one, other regex metacharacters keep their
// meaning, and '.' is literal.
func SimilarToRegex(pattern string, escape rune) (string, error) {
	var b strings.Builder
	b.WriteString("^(?:")
	inBracket := false
	for i := 0; i < len(pattern); {
		r, w := utf8.DecodeRuneInString(pattern[i:])
		i += w
		switch {
		case r == escape && escape != NoEscape:
			if i >= len(pattern) {
				return "", pgerr.New(pgerr.InvalidEscapeSequence, "invalid escape string").
					WithHint("Escape string must be empty or one character.")
			}
			r, w = utf8.DecodeRuneInString(pattern[i:])
			i += w
			b.WriteString(regexp.QuoteMeta(string(r)))
		case inBracket:
			if r == ']' {
				inBracket = false
			}
			if r == '\\' {
				b.WriteString(`\\`)
			} else {
				b.WriteRune(r)
			}
		case r == '[':
			inBracket = true
			b.WriteRune(r)
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteByte('.')
		case r == '.' || r == '^' || r == '$' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(")$")
	return b.String(), nil
}

// CompileSimilar compiles a SIMILAR TO pattern (escape as in CompileLike).
func CompileSimilar(pattern string, escape rune) (*regexp.Regexp, error) {
	src, err := SimilarToRegex(pattern, escape)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile("(?s)" + src)
	if err != nil {
		return nil, regexError(err)
	}
	return re, nil
}

func init() {
	imm("regexp_replace", t(text, text, text), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return regexpReplace(a[0].S, a[1].S, a[2].S, "")
	})
	imm("regexp_replace", t(text, text, text, text), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return regexpReplace(a[0].S, a[1].S, a[2].S, a[3].S)
	})
	like := func(_ *Context, a []types.Value) (types.Value, error) {
		f := ""
		if len(a) > 2 {
			f = a[2].S
		}
		flags, _, err := regexFlags(f, false, "regexp_like")
		if err != nil {
			return types.Null, err
		}
		re, err := compileCached(flags, a[1].S)
		if err != nil {
			return types.Null, err
		}
		return types.NewBool(re.MatchString(a[0].S)), nil
	}
	imm("regexp_like", t(text, text), boolT, like)
	imm("regexp_like", t(text, text, text), boolT, like)
	// substring(string from pattern): the first parenthesised group's match
	// if the pattern has one, else the whole match; NULL without a match.
	imm("substring", t(text, text), text, func(_ *Context, a []types.Value) (types.Value, error) {
		re, err := compileCached("s", a[1].S)
		if err != nil {
			return types.Null, err
		}
		m := re.FindStringSubmatchIndex(a[0].S)
		if m == nil {
			return types.Null, nil
		}
		if len(m) > 2 {
			if m[2] < 0 {
				return types.Null, nil
			}
			return types.NewText(a[0].S[m[2]:m[3]]), nil
		}
		return types.NewText(a[0].S[m[0]:m[1]]), nil
	})
}
