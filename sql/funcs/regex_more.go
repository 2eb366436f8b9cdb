package funcs

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// PostgreSQL 15's regular-expression functions beyond regexp_replace and
// regexp_like: regexp_match, regexp_split_to_array (and, in a select list,
// regexp_split_to_table, sql/plan), regexp_substr, regexp_instr and
// regexp_count with a start position. Positions are in characters, 1-based.
// A search from a start position looks at the whole string (so ^ still
// means the string's start) and takes the matches that begin there or
// later.

// compileFlags compiles pattern under a flags argument that may not hold
// 'g' (the functions here decide for themselves how many matches to take).
func compileFlags(pattern, flagStr, fn string) (*regexp.Regexp, error) {
	flags, _, err := regexFlags(flagStr, false, fn)
	if err != nil {
		return nil, err
	}
	return compileCached(flags, pattern)
}

// pgFindAll returns the matches of re (compiled from pattern) in s as
// PostgreSQL's global matching finds them: the first only unless global.
// It differs from Go's FindAll in one way: after a non-empty match ending
// at e, PostgreSQL accepts an empty match at e, which Go drops as abutting.
// Such a match is found by matching s[e:]; that is exact only for patterns
// without context assertions (^ $ \b \B \A \z), so with them the case
// fails with 0A000 rather than answer differently.
func pgFindAll(re *regexp.Regexp, pattern, s string, global bool) ([][]int, error) {
	if !global {
		if m := re.FindStringSubmatchIndex(s); m != nil {
			return [][]int{m}, nil
		}
		return nil, nil
	}
	goms := re.FindAllStringSubmatchIndex(s, -1)
	var out [][]int
	for i, m := range goms {
		out = append(out, m)
		e := m[1]
		if m[0] == e || (i+1 < len(goms) && goms[i+1][0] == e) {
			continue
		}
		em := re.FindStringSubmatchIndex(s[e:])
		if em == nil || em[0] != 0 || em[1] != 0 {
			continue
		}
		if strings.ContainsAny(pattern, "^$") || strings.Contains(pattern, `\b`) || strings.Contains(pattern, `\B`) ||
			strings.Contains(pattern, `\A`) || strings.Contains(pattern, `\z`) || strings.Contains(pattern, `\Z`) || strings.Contains(pattern, `\m`) || strings.Contains(pattern, `\M`) || strings.Contains(pattern, `\y`) || strings.Contains(pattern, `\Y`) {
			return nil, pgerr.NotSupported("an empty match right after a match of a pattern with anchors or word boundaries is not supported")
		}
		for j := range em {
			if em[j] >= 0 {
				em[j] += e
			}
		}
		out = append(out, em)
	}
	return out, nil
}

// byteOffset converts a 1-based character position to a byte offset of s
// (len(s) when past its end).
func byteOffset(s string, pos int64) int {
	off := 0
	for n := int64(1); n < pos && off < len(s); n++ {
		_, w := utf8.DecodeRuneInString(s[off:])
		off += w
	}
	return off
}

// charPos is the 1-based character position of byte offset off of s.
func charPos(s string, off int) int64 {
	return int64(utf8.RuneCountInString(s[:off])) + 1
}

// matchesFrom returns the non-overlapping matches of re in s that begin at
// byte offset off or later (with their submatch indexes).
func matchesFrom(re *regexp.Regexp, pattern, s string, off int) ([][]int, error) {
	all, err := pgFindAll(re, pattern, s, true)
	if err != nil {
		return nil, err
	}
	for i, m := range all {
		if m[0] >= off {
			return all[i:], nil
		}
	}
	return nil, nil
}

// matchArray is regexp_match's value for match m of s: the groups, or the
// whole match when the pattern has none; an unmatched group is NULL.
func matchArray(s string, m []int) types.Value {
	if len(m) == 2 {
		return types.NewArray([]types.Value{types.NewText(s[m[0]:m[1]])})
	}
	elems := make([]types.Value, 0, len(m)/2-1)
	for g := 1; 2*g < len(m); g++ {
		if m[2*g] < 0 {
			elems = append(elems, types.Null)
		} else {
			elems = append(elems, types.NewText(s[m[2*g]:m[2*g+1]]))
		}
	}
	return types.NewArray(elems)
}

// RegexpSplit splits s at the matches of pattern as PostgreSQL's
// regexp_split_to_array does: a zero-length match at the start or end of
// s, or right after the previous match, does not split.
func RegexpSplit(s, pattern, flagStr, fn string) ([]types.Value, error) {
	re, err := compileFlags(pattern, flagStr, fn)
	if err != nil {
		return nil, err
	}
	var out []types.Value
	prev := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if m[0] >= len(s) || m[1] <= prev {
			continue
		}
		out = append(out, types.NewText(s[prev:m[0]]))
		prev = m[1]
	}
	return append(out, types.NewText(s[prev:])), nil
}

func positiveParam(v types.Value, name string) (int64, error) {
	if v.I < 1 {
		return 0, pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter %q: %d", name, v.I)
	}
	return v.I, nil
}

// optArgs reads the optional integer arguments of regexp_substr,
// regexp_instr and regexp_count at positions idx (start, N); absent ones
// are 1.
func optInt(a []types.Value, i int, name string) (int64, error) {
	if i >= len(a) {
		return 1, nil
	}
	return positiveParam(a[i], name)
}

func optText(a []types.Value, i int) string {
	if i >= len(a) {
		return ""
	}
	return a[i].S
}

func init() {
	textArr := types.Type{OID: types.OIDTextArray, Mod: -1}
	match := func(_ *Context, a []types.Value) (types.Value, error) {
		re, err := compileFlags(a[1].S, optText(a, 2), "regexp_match")
		if err != nil {
			return types.Null, err
		}
		m := re.FindStringSubmatchIndex(a[0].S)
		if m == nil {
			return types.Null, nil
		}
		return matchArray(a[0].S, m), nil
	}
	imm("regexp_match", t(text, text), textArr, match)
	imm("regexp_match", t(text, text, text), textArr, match)

	// _omendb_regexp_matches is regexp_matches's rows as one array of
	// arrays (every match has as many groups, so it is a rectangular
	// two-dimensional array): the binder expands it row by row.
	matches := func(_ *Context, a []types.Value) (types.Value, error) {
		flags, global, err := regexFlags(optText(a, 2), true, "regexp_matches")
		if err != nil {
			return types.Null, err
		}
		re, err := compileCached(flags, a[1].S)
		if err != nil {
			return types.Null, err
		}
		ms, err := pgFindAll(re, a[1].S, a[0].S, global)
		if err != nil {
			return types.Null, err
		}
		rows := make([]types.Value, 0, len(ms))
		for _, m := range ms {
			rows = append(rows, matchArray(a[0].S, m))
		}
		return types.NewArray(rows), nil
	}
	imm("_omendb_regexp_matches", t(text, text), textArr, matches)
	imm("_omendb_regexp_matches", t(text, text, text), textArr, matches)

	split := func(_ *Context, a []types.Value) (types.Value, error) {
		parts, err := RegexpSplit(a[0].S, a[1].S, optText(a, 2), "regexp_split_to_array")
		if err != nil {
			return types.Null, err
		}
		return types.NewArray(parts), nil
	}
	imm("regexp_split_to_array", t(text, text), textArr, split)
	imm("regexp_split_to_array", t(text, text, text), textArr, split)

	// regexp_count(string, pattern [, start [, flags]])
	count := func(_ *Context, a []types.Value) (types.Value, error) {
		start, err := optInt(a, 2, "start")
		if err != nil {
			return types.Null, err
		}
		re, err := compileFlags(a[1].S, optText(a, 3), "regexp_count")
		if err != nil {
			return types.Null, err
		}
		ms, err := matchesFrom(re, a[1].S, a[0].S, byteOffset(a[0].S, start))
		if err != nil {
			return types.Null, err
		}
		return i64(int64(len(ms)))
	}
	imm("regexp_count", t(text, text), int4, count)
	imm("regexp_count", t(text, text, int4), int4, count)
	imm("regexp_count", t(text, text, int4, text), int4, count)

	// nth finds the N'th match at or after start and checks subexpr.
	nth := func(a []types.Value, startAt, nAt, flagsAt, subAt int, fn string) (m []int, sub int, err error) {
		start, err := optInt(a, startAt, "start")
		if err != nil {
			return nil, 0, err
		}
		n, err := optInt(a, nAt, "n")
		if err != nil {
			return nil, 0, err
		}
		if subAt < len(a) {
			if a[subAt].I < 0 {
				return nil, 0, pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter %q: %d", "subexpr", a[subAt].I)
			}
			sub = int(a[subAt].I)
		}
		re, err := compileFlags(a[1].S, optText(a, flagsAt), fn)
		if err != nil {
			return nil, 0, err
		}
		ms, err := matchesFrom(re, a[1].S, a[0].S, byteOffset(a[0].S, start))
		if err != nil {
			return nil, 0, err
		}
		if int64(len(ms)) < n {
			return nil, sub, nil
		}
		m = ms[n-1]
		if 2*sub+1 >= len(m) || m[2*sub] < 0 {
			return nil, sub, nil // no such subexpression, or it did not match
		}
		return m, sub, nil
	}
	// regexp_substr(string, pattern [, start [, N [, flags [, subexpr]]]])
	substr := func(_ *Context, a []types.Value) (types.Value, error) {
		m, sub, err := nth(a, 2, 3, 4, 5, "regexp_substr")
		if err != nil || m == nil {
			return types.Null, err
		}
		return types.NewText(a[0].S[m[2*sub]:m[2*sub+1]]), nil
	}
	imm("regexp_substr", t(text, text), text, substr)
	imm("regexp_substr", t(text, text, int4), text, substr)
	imm("regexp_substr", t(text, text, int4, int4), text, substr)
	imm("regexp_substr", t(text, text, int4, int4, text), text, substr)
	imm("regexp_substr", t(text, text, int4, int4, text, int4), text, substr)
	// regexp_instr(string, pattern [, start [, N [, endoption [, flags [, subexpr]]]]])
	instr := func(_ *Context, a []types.Value) (types.Value, error) {
		end := int64(0)
		if len(a) > 4 {
			end = a[4].I
			if end != 0 && end != 1 {
				return types.Null, pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter %q: %d", "endoption", end)
			}
		}
		m, sub, err := nth(a, 2, 3, 5, 6, "regexp_instr")
		if err != nil {
			return types.Null, err
		}
		if m == nil {
			return i64(0)
		}
		return i64(charPos(a[0].S, m[2*sub+int(end)]))
	}
	imm("regexp_instr", t(text, text), int4, instr)
	imm("regexp_instr", t(text, text, int4), int4, instr)
	imm("regexp_instr", t(text, text, int4, int4), int4, instr)
	imm("regexp_instr", t(text, text, int4, int4, int4), int4, instr)
	imm("regexp_instr", t(text, text, int4, int4, int4, text), int4, instr)
	imm("regexp_instr", t(text, text, int4, int4, int4, text, int4), int4, instr)
}
