package funcs

import (
	"strings"
	"unicode/utf8"

	"github.com/omendb/omendb/pgerr"
)

// NoEscape, passed as the escape of CompileLike, means ESCAPE ” (no escape
// character).
const NoEscape rune = -1

// LikeEscape converts the string of an ESCAPE clause to CompileLike's
// escape argument: ” is NoEscape, one character is itself.
func LikeEscape(s string) (rune, error) {
	switch utf8.RuneCountInString(s) {
	case 0:
		return NoEscape, nil
	case 1:
		r, _ := utf8.DecodeRuneInString(s)
		return r, nil
	}
	return 0, pgerr.New(pgerr.InvalidEscapeSequence, "invalid escape string").
		WithHint("Escape string must be empty or one character.")
}

type likeKind uint8

const (
	likeGeneral  likeKind = iota
	likeExact             // no wildcards
	likePrefix            // lit%
	likeSuffix            // %lit
	likeContains          // %lit%
	likeAll               // % (any string)
)

// likeTok is one pattern element: a literal rune, '_' (any one character)
// or '%' (any string).
type likeTok struct {
	r    rune
	kind byte // 'l' literal, '_' one, '%' any
}

// LikeMatcher is a compiled LIKE/ILIKE pattern. It is immutable and safe for
// concurrent use.
type LikeMatcher struct {
	kind   likeKind
	lit    string
	toks   []likeTok
	ci     bool
	simple bool // toks hold no '_' (match literals byte-wise between %)
}

// CompileLike compiles a LIKE pattern. escape is the escape character
// ('\\' by default, NoEscape for ESCAPE ”); caseInsensitive gives ILIKE,
// which compares lower-cased text and pattern as PostgreSQL does.
//
// A pattern ending with the escape character is an error (22025) here,
// at compile time. PostgreSQL raises it only when matching reaches the end
// of the pattern, so a row that fails to match earlier gives false there.
func CompileLike(pattern string, escape rune, caseInsensitive bool) (*LikeMatcher, error) {
	m := &LikeMatcher{ci: caseInsensitive}
	var toks []likeTok
	for i := 0; i < len(pattern); {
		r, w := utf8.DecodeRuneInString(pattern[i:])
		i += w
		switch {
		case r == escape && escape != NoEscape:
			if i >= len(pattern) {
				return nil, pgerr.New(pgerr.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			r, w = utf8.DecodeRuneInString(pattern[i:])
			i += w
			toks = append(toks, likeTok{r: r, kind: 'l'})
		case r == '%':
			if len(toks) > 0 && toks[len(toks)-1].kind == '%' {
				continue // %% is %
			}
			toks = append(toks, likeTok{kind: '%'})
		case r == '_':
			toks = append(toks, likeTok{kind: '_'})
		default:
			toks = append(toks, likeTok{r: r, kind: 'l'})
		}
	}
	if caseInsensitive {
		for i := range toks {
			if toks[i].kind == 'l' {
				if r := toks[i].r; r >= 'A' && r <= 'Z' {
					toks[i].r = r + ('a' - 'A')
				}
			}
		}
	}
	m.toks = toks
	// Classify fast paths.
	var lit strings.Builder
	nPct, nOne := 0, 0
	for _, tk := range toks {
		switch tk.kind {
		case '%':
			nPct++
		case '_':
			nOne++
		default:
			lit.WriteRune(tk.r)
		}
	}
	m.lit = lit.String()
	m.simple = nOne == 0
	n := len(toks)
	switch {
	case nOne > 0:
		m.kind = likeGeneral
	case nPct == 0:
		m.kind = likeExact
	case n == 1:
		m.kind = likeAll
	case nPct == 1 && toks[n-1].kind == '%':
		m.kind = likePrefix
	case nPct == 1 && toks[0].kind == '%':
		m.kind = likeSuffix
	case nPct == 2 && toks[0].kind == '%' && toks[n-1].kind == '%':
		m.kind = likeContains
	default:
		m.kind = likeGeneral
	}
	return m, nil
}

// Match reports whether s matches the pattern.
func (m *LikeMatcher) Match(s string) bool {
	if m.ci {
		s = lowerC(s)
	}
	switch m.kind {
	case likeExact:
		return s == m.lit
	case likePrefix:
		return strings.HasPrefix(s, m.lit)
	case likeSuffix:
		return strings.HasSuffix(s, m.lit)
	case likeContains:
		return strings.Contains(s, m.lit)
	case likeAll:
		return true
	}
	return likeMatch(m.toks, s)
}

// likeMatch matches toks against s; on a mismatch after a % it retries
// from one character further (backtracking only to the last %, which is
// enough for LIKE and keeps matching O(len(s)·len(toks))).
func likeMatch(toks []likeTok, s string) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(s) || ti < len(toks) {
		if ti < len(toks) {
			tk := toks[ti]
			switch tk.kind {
			case '%':
				starT, starS = ti, si
				ti++
				continue
			case '_':
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			default:
				if si < len(s) {
					r, w := utf8.DecodeRuneInString(s[si:])
					if r == tk.r {
						si += w
						ti++
						continue
					}
				}
			}
		}
		if starT >= 0 && starS < len(s) {
			_, w := utf8.DecodeRuneInString(s[starS:])
			starS += w
			ti, si = starT+1, starS
			continue
		}
		return false
	}
	return true
}
