package funcs

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

var (
	text    = types.Text
	int4    = types.Int4
	int8    = types.Int8
	boolT   = types.Bool
	bytea   = types.Bytea
	bpchar  = types.BPChar
	numeric = types.Numeric
	float8  = types.Float8
)

func txt(s string) (types.Value, error) { return types.NewText(s), nil }
func i64(i int64) (types.Value, error)  { return types.NewInt(i), nil }

// int4Arg is an int4 argument as int (always within int32).
func int4Arg(v types.Value) int { return int(int32(v.I)) }

func init() {
	charLen := func(_ *Context, a []types.Value) (types.Value, error) {
		return i64(int64(utf8.RuneCountInString(a[0].S)))
	}
	bpLen := func(_ *Context, a []types.Value) (types.Value, error) {
		return i64(int64(utf8.RuneCountInString(strings.TrimRight(a[0].S, " "))))
	}
	byteLen := func(_ *Context, a []types.Value) (types.Value, error) { return i64(int64(len(a[0].S))) }
	octets := func(_ *Context, a []types.Value) (types.Value, error) { return i64(int64(len(a[0].S))) }
	bits := func(_ *Context, a []types.Value) (types.Value, error) { return i64(8 * int64(len(a[0].S))) }
	for _, n := range []string{"length", "char_length", "character_length"} {
		imm(n, t(text), int4, charLen)
		imm(n, t(bpchar), int4, bpLen)
	}
	imm("length", t(bytea), int4, byteLen)
	imm("octet_length", t(text), int4, octets)
	imm("octet_length", t(bpchar), int4, octets)
	imm("octet_length", t(bytea), int4, octets)
	imm("bit_length", t(text), int4, bits)
	imm("bit_length", t(bytea), int4, bits)

	imm("lower", t(text), text, func(_ *Context, a []types.Value) (types.Value, error) { return txt(lowerC(a[0].S)) })
	imm("upper", t(text), text, func(_ *Context, a []types.Value) (types.Value, error) { return txt(upperC(a[0].S)) })
	imm("initcap", t(text), text, func(_ *Context, a []types.Value) (types.Value, error) { return txt(initcap(a[0].S)) })

	sub2 := func(_ *Context, a []types.Value) (types.Value, error) {
		return txt(substrRunes(a[0].S, int64(int4Arg(a[1])), -1))
	}
	sub3 := func(_ *Context, a []types.Value) (types.Value, error) {
		n := int64(int4Arg(a[2]))
		if n < 0 {
			return types.Null, pgerr.New("22011", "negative substring length not allowed")
		}
		return txt(substrRunes(a[0].S, int64(int4Arg(a[1])), n))
	}
	bsub2 := func(_ *Context, a []types.Value) (types.Value, error) {
		return types.NewBytes([]byte(substrBytes(a[0].S, int64(int4Arg(a[1])), -1))), nil
	}
	bsub3 := func(_ *Context, a []types.Value) (types.Value, error) {
		n := int64(int4Arg(a[2]))
		if n < 0 {
			return types.Null, pgerr.New("22011", "negative substring length not allowed")
		}
		return types.NewBytes([]byte(substrBytes(a[0].S, int64(int4Arg(a[1])), n))), nil
	}
	for _, n := range []string{"substr", "substring"} {
		imm(n, t(text, int4), text, sub2)
		imm(n, t(text, int4, int4), text, sub3)
		imm(n, t(bytea, int4), bytea, bsub2)
		imm(n, t(bytea, int4, int4), bytea, bsub3)
	}
	pos := func(_ *Context, a []types.Value) (types.Value, error) {
		i := strings.Index(a[0].S, a[1].S)
		if i < 0 {
			return i64(0)
		}
		return i64(int64(utf8.RuneCountInString(a[0].S[:i])) + 1)
	}
	imm("position", t(text, text), int4, pos)
	imm("strpos", t(text, text), int4, pos)
	imm("position", t(bytea, bytea), int4, func(_ *Context, a []types.Value) (types.Value, error) {
		return i64(int64(strings.Index(a[0].S, a[1].S) + 1))
	})

	imm("left", t(text, int4), text, func(_ *Context, a []types.Value) (types.Value, error) {
		r := []rune(a[0].S)
		n := int4Arg(a[1])
		if n < 0 {
			n = max(len(r)+n, 0)
		}
		return txt(string(r[:min(n, len(r))]))
	})
	imm("right", t(text, int4), text, func(_ *Context, a []types.Value) (types.Value, error) {
		r := []rune(a[0].S)
		n := int4Arg(a[1])
		if n < 0 {
			n = max(len(r)+n, 0)
		}
		n = min(n, len(r))
		return txt(string(r[len(r)-n:]))
	})
	pad := func(left bool) evalFn {
		return func(_ *Context, a []types.Value) (types.Value, error) {
			fill := " "
			if len(a) > 2 {
				fill = a[2].S
			}
			return padString(a[0].S, int4Arg(a[1]), fill, left)
		}
	}
	imm("lpad", t(text, int4), text, pad(true))
	imm("lpad", t(text, int4, text), text, pad(true))
	imm("rpad", t(text, int4), text, pad(false))
	imm("rpad", t(text, int4, text), text, pad(false))

	trim := func(l, r bool) evalFn {
		return func(_ *Context, a []types.Value) (types.Value, error) {
			set := " "
			if len(a) > 1 {
				set = a[1].S
			}
			s := a[0].S
			if l {
				s = strings.TrimLeft(s, set)
			}
			if r {
				s = strings.TrimRight(s, set)
			}
			return txt(s)
		}
	}
	btrimBytes := func(l, r bool) evalFn {
		return func(_ *Context, a []types.Value) (types.Value, error) {
			s, set := a[0].S, a[1].S
			in := func(c byte) bool { return strings.IndexByte(set, c) >= 0 }
			i, j := 0, len(s)
			for l && i < j && in(s[i]) {
				i++
			}
			for r && j > i && in(s[j-1]) {
				j--
			}
			return types.NewBytes([]byte(s[i:j])), nil
		}
	}
	imm("btrim", t(text), text, trim(true, true))
	imm("btrim", t(text, text), text, trim(true, true))
	imm("ltrim", t(text), text, trim(true, false))
	imm("ltrim", t(text, text), text, trim(true, false))
	imm("rtrim", t(text), text, trim(false, true))
	imm("rtrim", t(text, text), text, trim(false, true))
	imm("btrim", t(bytea, bytea), bytea, btrimBytes(true, true))
	imm("ltrim", t(bytea, bytea), bytea, btrimBytes(true, false))
	imm("rtrim", t(bytea, bytea), bytea, btrimBytes(false, true))

	imm("replace", t(text, text, text), text, func(_ *Context, a []types.Value) (types.Value, error) {
		if a[1].S == "" {
			return a[0], nil
		}
		return txt(strings.ReplaceAll(a[0].S, a[1].S, a[2].S))
	})
	imm("translate", t(text, text, text), text, func(_ *Context, a []types.Value) (types.Value, error) {
		from, to := []rune(a[1].S), []rune(a[2].S)
		var b strings.Builder
		for _, c := range a[0].S {
			i := -1
			for k, f := range from {
				if f == c {
					i = k
					break
				}
			}
			switch {
			case i < 0:
				b.WriteRune(c)
			case i < len(to):
				b.WriteRune(to[i])
			}
		}
		return txt(b.String())
	})
	imm("repeat", t(text, int4), text, func(_ *Context, a []types.Value) (types.Value, error) {
		n := int4Arg(a[1])
		if n <= 0 {
			return txt("")
		}
		if int64(n)*int64(len(a[0].S)) > 1<<30-1 {
			return types.Null, pgerr.New(pgerr.ProgramLimitExceeded, "requested length too large")
		}
		return txt(strings.Repeat(a[0].S, n))
	})
	imm("reverse", t(text), text, func(_ *Context, a []types.Value) (types.Value, error) {
		r := []rune(a[0].S)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return txt(string(r))
	})
	imm("split_part", t(text, text, int4), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return splitPart(a[0].S, a[1].S, int4Arg(a[2]))
	})
	imm("starts_with", t(text, text), boolT, func(_ *Context, a []types.Value) (types.Value, error) {
		return types.NewBool(strings.HasPrefix(a[0].S, a[1].S)), nil
	})
	imm("ascii", t(text), int4, func(_ *Context, a []types.Value) (types.Value, error) {
		if a[0].S == "" {
			return i64(0)
		}
		r, _ := utf8.DecodeRuneInString(a[0].S)
		return i64(int64(r))
	})
	imm("chr", t(int4), text, func(_ *Context, a []types.Value) (types.Value, error) {
		c := int64(int32(a[0].I))
		switch {
		case c < 0:
			return types.Null, pgerr.New(pgerr.InvalidParameterValue, "character number must be positive")
		case c == 0:
			return types.Null, pgerr.New(pgerr.ProgramLimitExceeded, "null character not permitted")
		case c > unicode.MaxRune:
			return types.Null, pgerr.New(pgerr.ProgramLimitExceeded, "requested character too large for encoding: %d", c)
		case c >= 0xD800 && c <= 0xDFFF:
			return types.Null, pgerr.New(pgerr.ProgramLimitExceeded, "requested character not valid for encoding: %d", c)
		}
		return txt(string(rune(c)))
	})
	md5f := func(_ *Context, a []types.Value) (types.Value, error) {
		s := md5.Sum([]byte(a[0].S))
		return txt(hex.EncodeToString(s[:]))
	}
	imm("md5", t(text), text, md5f)
	imm("md5", t(bytea), text, md5f)
	imm("to_hex", t(int4), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return txt(strconv.FormatUint(uint64(uint32(a[0].I)), 16))
	})
	imm("to_hex", t(int8), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return txt(strconv.FormatUint(uint64(a[0].I), 16))
	})
}

// OmenDB's collation is C (as the differential-test PostgreSQL, initdb
// --locale=C): lower, upper, initcap and ILIKE change the case of ASCII
// letters only, and initcap's words are runs of ASCII letters and digits.

// lowerC lower-cases the ASCII letters of s.
func lowerC(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// upperC upper-cases the ASCII letters of s.
func upperC(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

func isAlnumC(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// initcap upper-cases the first letter of each run of ASCII alphanumerics
// and lower-cases the rest.
func initcap(s string) string {
	b := []byte(s)
	inWord := false
	for i, c := range b {
		switch {
		case inWord && c >= 'A' && c <= 'Z':
			b[i] = c + ('a' - 'A')
		case !inWord && c >= 'a' && c <= 'z':
			b[i] = c - ('a' - 'A')
		}
		inWord = isAlnumC(c)
	}
	return string(b)
}

// substrRange maps PostgreSQL's 1-based start and length (n < 0: to the end)
// to a half-open range [from, to) clamped to [0, size].
func substrRange(start, n int64, size int) (int, int) {
	from := start - 1
	var to int64
	if n < 0 {
		to = int64(size)
	} else {
		to = from + n
		if to < from { // overflow
			to = int64(size)
		}
	}
	from = max(from, 0)
	to = min(to, int64(size))
	if from >= to {
		return 0, 0
	}
	return int(from), int(to)
}

// Substring is substring(s FROM start FOR n) on text, counted in
// characters (n < 0: to the end); a negative FOR is the caller's to reject
// (22011), as substring's own evaluation does. The column executor's loop
// uses it.
func Substring(s string, start, n int64) string { return substrRunes(s, start, n) }

func substrRunes(s string, start, n int64) string {
	if isASCII(s) {
		f, t := substrRange(start, n, len(s))
		return s[f:t]
	}
	r := []rune(s)
	f, t := substrRange(start, n, len(r))
	return string(r[f:t])
}

func substrBytes(s string, start, n int64) string {
	f, t := substrRange(start, n, len(s))
	return s[f:t]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func padString(s string, n int, fill string, left bool) (types.Value, error) {
	if n <= 0 {
		return txt("")
	}
	if n > 1<<28 {
		return types.Null, pgerr.New(pgerr.ProgramLimitExceeded, "requested length too large")
	}
	r := []rune(s)
	if len(r) >= n || fill == "" {
		return txt(string(r[:min(n, len(r))]))
	}
	f := []rune(fill)
	padding := make([]rune, 0, n-len(r))
	for i := 0; len(padding) < n-len(r); i++ {
		padding = append(padding, f[i%len(f)])
	}
	if left {
		return txt(string(padding) + s)
	}
	return txt(s + string(padding))
}

func splitPart(s, delim string, field int) (types.Value, error) {
	if field == 0 {
		return types.Null, pgerr.New(pgerr.InvalidParameterValue, "field position must not be zero")
	}
	if s == "" {
		return txt("")
	}
	var parts []string
	if delim == "" {
		parts = []string{s}
	} else {
		parts = strings.Split(s, delim)
	}
	if field < 0 {
		field = len(parts) + field + 1
		if field <= 0 {
			return txt("")
		}
	}
	if field > len(parts) {
		return txt("")
	}
	return txt(parts[field-1])
}
