package funcs

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// to_date and to_timestamp(text, text): parsing with a template, following
// PostgreSQL's DCH_from_char and do_to_timestamp (non-"standard" mode).

// tmfc collects the fields read from the input.
type tmfc struct {
	hh, mi, ss, ssss, ms, us, ff    int
	year, yysz, cc, bc, pm, clock12 int
	mm, dd, ddd, d, w, ww, j        int
	tzsign, tzh, tzm                int
	isoWeek                         bool
}

// fmtNode is one element of a parsed template for input.
type fmtNode struct {
	dch  dchNode
	kind byte // 'a' action, 's' space, 'p' separator, 'c' other character
	ch   string
}

func isSeparatorChar(c byte) bool {
	return c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9')
}

func isSpaceC(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// parseDCHInput splits a template into actions and single characters.
func parseDCHInput(f string) []fmtNode {
	var out []fmtNode
	for _, n := range parseDCH(f) {
		if n.key != "" {
			out = append(out, fmtNode{dch: n, kind: 'a'})
			continue
		}
		for _, r := range n.lit {
			s := string(r)
			switch {
			case len(s) == 1 && isSpaceC(s[0]):
				out = append(out, fmtNode{kind: 's', ch: s})
			case len(s) == 1 && isSeparatorChar(s[0]):
				out = append(out, fmtNode{kind: 'p', ch: s})
			default:
				out = append(out, fmtNode{kind: 'c', ch: s})
			}
		}
	}
	return out
}

var digitKeys = map[string]bool{}

func init() {
	for _, k := range strings.Fields("CC DDD DD D FF1 FF2 FF3 FF4 FF5 FF6 HH24 HH12 HH IDDD ID IW IYYY IYY IY I J MI MM MS SSSSS SSSS SS TZH TZM US WW W Y,YYY YYYY YYY YY Y") {
		digitKeys[k] = true
	}
}

func keyLen(k string) int {
	switch k {
	case "HH24", "HH12":
		return 2
	case "SSSSS":
		return 5
	}
	return len(k)
}

type dateParser struct {
	nodes []fmtNode
	idx   int
	s     string
	pos   int
	out   tmfc
}

func dtFormatErr(format string, args ...any) *pgerr.Error {
	return pgerr.New(pgerr.InvalidDatetimeFormat, format, args...)
}

func (p *dateParser) isNextSeparator() bool {
	n := p.nodes[p.idx]
	if n.kind == 'a' && n.dch.th != 0 {
		return true
	}
	if p.idx+1 >= len(p.nodes) {
		return true
	}
	next := p.nodes[p.idx+1]
	if next.kind == 'a' {
		return !digitKeys[strings.ToUpper(next.dch.key)]
	}
	return !(len(next.ch) == 1 && next.ch[0] >= '0' && next.ch[0] <= '9')
}

// setInt stores a field, rejecting a conflicting earlier value.
func setInt(dest *int, v int, key string) error {
	if *dest != 0 && *dest != v {
		return dtFormatErr("conflicting values for \"%s\" field in formatting string", key).
			WithDetail("This value contradicts a previous setting for the same field type.")
	}
	*dest = v
	return nil
}

// strtol parses an optionally signed decimal integer after optional spaces.
func strtol(s string) (int64, int, bool) {
	i := 0
	for i < len(s) && isSpaceC(s[i]) {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == j {
		return 0, 0, false
	}
	v, err := strconv.ParseInt(s[i:k], 10, 64)
	if err != nil {
		v = math.MaxInt64
		if s[i] == '-' {
			v = math.MinInt64
		}
	}
	return v, k, true
}

// parseIntLen is from_char_parse_int_len; it returns the characters used.
func (p *dateParser) parseIntLen(dest *int, n int, key string, fm bool) (int, error) {
	init := p.pos
	for p.pos < len(p.s) && isSpaceC(p.s[p.pos]) {
		p.pos++
	}
	rest := p.s[p.pos:]
	cp := rest
	if len(cp) > n {
		cp = cp[:n]
	}
	var v int64
	if fm || p.isNextSeparator() {
		r, used, ok := strtol(p.s[init:])
		if ok {
			v = r
			p.pos = init + used
		} else {
			p.pos = init
		}
	} else {
		if len(cp) < n {
			return 0, dtFormatErr("source string too short for \"%s\" formatting field", key).
				WithDetail("Field requires %d characters, but only %d remain.", n, len(cp)).
				WithHint(`If your source string is not fixed-width, try using the "FM" modifier.`)
		}
		r, used, ok := strtol(cp)
		if ok && used < n {
			return 0, dtFormatErr("invalid value \"%s\" for \"%s\"", cp, key).
				WithDetail("Field requires %d characters, but only %d could be parsed.", n, used).
				WithHint(`If your source string is not fixed-width, try using the "FM" modifier.`)
		}
		if ok {
			v = r
			p.pos += used
		}
	}
	if p.pos == init {
		return 0, dtFormatErr("invalid value \"%s\" for \"%s\"", cp, key).WithDetail("Value must be an integer.")
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, pgerr.New(pgerr.DatetimeFieldOverflow, "value for \"%s\" in source string is out of range", key).
			WithDetail("Value must be in the range %d to %d.", math.MinInt32, math.MaxInt32)
	}
	if dest != nil {
		if err := setInt(dest, int(v), key); err != nil {
			return 0, err
		}
	}
	return p.pos - init, nil
}

// seqSearch matches one of words (case-insensitively) at the input.
func (p *dateParser) seqSearch(words []string, key string) (int, error) {
	rest := p.s[p.pos:]
	for i, w := range words {
		if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) {
			p.pos += len(w)
			return i, nil
		}
	}
	word := rest
	if i := strings.IndexFunc(word, func(r rune) bool { return r == ' ' }); i >= 0 {
		word = word[:i]
	}
	return 0, dtFormatErr("invalid value \"%s\" for \"%s\"", word, key).
		WithDetail("The given value did not match any of the allowed values for this field.")
}

func (p *dateParser) skipTH(th int) {
	if th != 0 && p.pos+2 <= len(p.s) {
		p.pos += 2
	}
}

func (p *dateParser) run() error {
	extra := 0
	for p.idx = 0; p.idx < len(p.nodes) && p.pos < len(p.s); p.idx++ {
		n := p.nodes[p.idx]
		if n.kind == 'a' || p.idx == 0 {
			for p.pos < len(p.s) && isSpaceC(p.s[p.pos]) {
				p.pos++
				extra++
			}
		}
		switch n.kind {
		case 's', 'p':
			extra--
			if p.pos < len(p.s) && (isSpaceC(p.s[p.pos]) || isSeparatorChar(p.s[p.pos])) {
				p.pos++
				extra++
			}
			continue
		case 'c':
			if extra > 0 {
				extra--
			} else {
				p.pos += len(string([]rune(p.s[p.pos:])[:1]))
			}
			continue
		}
		k := n.dch.key
		uk := strings.ToUpper(k)
		fm := n.dch.fm
		o := &p.out
		var err error
		switch uk {
		case "FX":
		case "A.M.", "P.M.":
			var v int
			if v, err = p.seqSearch([]string{"a.m.", "p.m."}, k); err == nil {
				o.pm = v % 2
				o.clock12 = 1
			}
		case "AM", "PM":
			var v int
			if v, err = p.seqSearch([]string{"am", "pm"}, k); err == nil {
				o.pm = v % 2
				o.clock12 = 1
			}
		case "HH", "HH12":
			_, err = p.parseIntLen(&o.hh, 2, k, fm)
			o.clock12 = 1
			p.skipTH(n.dch.th)
		case "HH24":
			_, err = p.parseIntLen(&o.hh, 2, k, fm)
			p.skipTH(n.dch.th)
		case "MI":
			_, err = p.parseIntLen(&o.mi, 2, k, fm)
			p.skipTH(n.dch.th)
		case "SS":
			_, err = p.parseIntLen(&o.ss, 2, k, fm)
			p.skipTH(n.dch.th)
		case "MS":
			var l int
			if l, err = p.parseIntLen(&o.ms, 3, k, fm); err == nil {
				switch l { // "25" is .25 s, "025" is .025 s
				case 1:
					o.ms *= 100
				case 2:
					o.ms *= 10
				}
			}
			p.skipTH(n.dch.th)
		case "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "US":
			width := 6
			if uk != "US" {
				o.ff = int(uk[2] - '0')
				width = o.ff
			}
			var l int
			if l, err = p.parseIntLen(&o.us, width, k, fm); err == nil {
				for i := l; i < 6; i++ {
					o.us *= 10
				}
			}
			p.skipTH(n.dch.th)
		case "SSSS", "SSSSS":
			_, err = p.parseIntLen(&o.ssss, keyLen(uk), k, fm)
			p.skipTH(n.dch.th)
		case "TZ", "OF":
			return pgerr.New(pgerr.FeatureNotSupported, "formatting field \"%s\" is only supported in to_char", k)
		case "TZH":
			if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-' || p.s[p.pos] == ' ') {
				o.tzsign = 1
				if p.s[p.pos] == '-' {
					o.tzsign = -1
				}
				p.pos++
			} else if extra > 0 && p.pos > 0 && p.s[p.pos-1] == '-' {
				o.tzsign = -1
			} else {
				o.tzsign = 1
			}
			_, err = p.parseIntLen(&o.tzh, 2, k, fm)
		case "TZM":
			if o.tzsign == 0 {
				o.tzsign = 1
			}
			_, err = p.parseIntLen(&o.tzm, 2, k, fm)
		case "A.D.", "B.C.":
			var v int
			if v, err = p.seqSearch([]string{"a.d.", "b.c."}, k); err == nil {
				err = setInt(&o.bc, v%2, k)
			}
		case "AD", "BC":
			var v int
			if v, err = p.seqSearch([]string{"ad", "bc"}, k); err == nil {
				err = setInt(&o.bc, v%2, k)
			}
		case "MONTH":
			var v int
			if v, err = p.seqSearch(monthsFull, k); err == nil {
				err = setInt(&o.mm, v+1, k)
			}
		case "MON":
			abbr := make([]string, 12)
			for i, m := range monthsFull {
				abbr[i] = m[:3]
			}
			var v int
			if v, err = p.seqSearch(abbr, k); err == nil {
				err = setInt(&o.mm, v+1, k)
			}
		case "MM":
			_, err = p.parseIntLen(&o.mm, 2, k, fm)
			p.skipTH(n.dch.th)
		case "DAY", "DY":
			words := daysFull
			if uk == "DY" {
				words = make([]string, 7)
				for i, d := range daysFull {
					words[i] = d[:3]
				}
			}
			var v int
			if v, err = p.seqSearch(words, k); err == nil {
				err = setInt(&o.d, v+1, k)
			}
		case "DDD":
			_, err = p.parseIntLen(&o.ddd, 3, k, fm)
			p.skipTH(n.dch.th)
		case "IDDD":
			_, err = p.parseIntLen(&o.ddd, 3, k, fm)
			o.isoWeek = true
			p.skipTH(n.dch.th)
		case "DD":
			_, err = p.parseIntLen(&o.dd, 2, k, fm)
			p.skipTH(n.dch.th)
		case "D":
			_, err = p.parseIntLen(&o.d, 1, k, fm)
			p.skipTH(n.dch.th)
		case "ID":
			if _, err = p.parseIntLen(&o.d, 1, k, fm); err == nil {
				if o.d++; o.d > 7 {
					o.d = 1
				}
			}
			o.isoWeek = true
			p.skipTH(n.dch.th)
		case "WW", "IW":
			_, err = p.parseIntLen(&o.ww, 2, k, fm)
			if uk == "IW" {
				o.isoWeek = true
			}
			p.skipTH(n.dch.th)
		case "Q":
			var q int
			_, err = p.parseIntLen(&q, 1, k, fm)
			p.skipTH(n.dch.th)
		case "CC":
			_, err = p.parseIntLen(&o.cc, 2, k, fm)
			p.skipTH(n.dch.th)
		case "Y,YYY":
			rest := p.s[p.pos:]
			mil, u1, ok1 := strtol(rest)
			if !ok1 || u1 >= len(rest) || rest[u1] != ',' || u1+4 > len(rest) {
				return dtFormatErr("invalid input string for \"Y,YYY\"")
			}
			yrs, err2 := strconv.Atoi(rest[u1+1 : u1+4])
			if err2 != nil {
				return dtFormatErr("invalid input string for \"Y,YYY\"")
			}
			err = setInt(&o.year, int(mil)*1000+yrs, k)
			o.yysz = 4
			p.pos += u1 + 4
		case "YYYY", "IYYY":
			_, err = p.parseIntLen(&o.year, 4, k, fm)
			o.yysz = 4
			if uk == "IYYY" {
				o.isoWeek = true
			}
			p.skipTH(n.dch.th)
		case "YYY", "IYY", "YY", "IY", "Y", "I":
			w := len(uk)
			var l int
			if l, err = p.parseIntLen(&o.year, w, k, fm); err == nil && l < 4 {
				o.year = adjustYear2020(o.year)
			}
			o.yysz = w
			p.skipTH(n.dch.th)
		case "RM":
			upper := []string{"XII", "XI", "X", "IX", "VIII", "VII", "VI", "V", "IV", "III", "II", "I"}
			var v int
			if v, err = p.seqSearch(upper, k); err == nil {
				err = setInt(&o.mm, 12-v, k)
			}
		case "W":
			_, err = p.parseIntLen(&o.w, 1, k, fm)
			p.skipTH(n.dch.th)
		case "J":
			_, err = p.parseIntLen(&o.j, 1, k, fm)
			p.skipTH(n.dch.th)
		}
		if err != nil {
			return err
		}
		extra = 0
		for p.pos < len(p.s) && isSpaceC(p.s[p.pos]) {
			p.pos++
			extra++
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func adjustYear2020(y int) int {
	switch {
	case y < 70:
		return y + 2000
	case y < 100:
		return y + 1900
	case y < 520:
		return y + 2000
	case y < 1000:
		return y + 1000
	}
	return y
}

// parsedTime is do_to_timestamp's result: wall-clock fields, fraction, and
// an explicit zone offset (seconds east) when TZH/TZM were given.
type parsedTime struct {
	year, mon, mday, hour, min, sec int
	us                              int64
	hasTZ                           bool
	tzOff                           int
}

func toTimestampFields(input, format string) (parsedTime, error) {
	p := &dateParser{nodes: parseDCHInput(format), s: input}
	if err := p.run(); err != nil {
		return parsedTime{}, err
	}
	o := p.out
	tm := parsedTime{mon: 1, mday: 1}
	outOfRange := func() error {
		return pgerr.New(pgerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", input)
	}
	if o.ssss != 0 {
		x := o.ssss
		tm.hour, x = x/3600, x%3600
		tm.min, tm.sec = x/60, x%60
	}
	if o.ss != 0 {
		tm.sec = o.ss
	}
	if o.mi != 0 {
		tm.min = o.mi
	}
	if o.hh != 0 {
		tm.hour = o.hh
	}
	if o.clock12 != 0 {
		if tm.hour < 1 || tm.hour > 12 {
			return tm, pgerr.New(pgerr.InvalidDatetimeFormat, "hour \"%d\" is invalid for the 12-hour clock", tm.hour).
				WithHint("Use the 24-hour clock, or give an hour between 1 and 12.")
		}
		if o.pm != 0 && tm.hour < 12 {
			tm.hour += 12
		} else if o.pm == 0 && tm.hour == 12 {
			tm.hour = 0
		}
	}
	dateSet := false
	switch {
	case o.year != 0:
		if o.cc != 0 && o.yysz <= 2 {
			cc := o.cc
			if o.bc != 0 {
				cc = -cc
			}
			tm.year = o.year % 100
			if tm.year != 0 {
				if cc >= 0 {
					tm.year += (cc - 1) * 100
				} else {
					tm.year = (cc+1)*100 - tm.year + 1
				}
			} else {
				tm.year = cc*100 + boolInt(cc < 0)
			}
		} else {
			tm.year = o.year
			if o.bc != 0 {
				tm.year = -tm.year
			}
			if tm.year < 0 {
				tm.year++
			}
		}
		dateSet = true
	case o.cc != 0:
		cc := o.cc
		if o.bc != 0 {
			cc = -cc
		}
		if cc >= 0 {
			tm.year = (cc-1)*100 + 1
		} else {
			tm.year = cc*100 + 1
		}
		dateSet = true
	}
	if o.j != 0 {
		d := time.Unix((int64(o.j)-2440588)*86400, 0).UTC()
		tm.year, tm.mon, tm.mday = d.Year(), int(d.Month()), d.Day()
		dateSet = true
	}
	ddd := o.ddd
	if o.ww != 0 {
		if o.isoWeek {
			// ISO week date: Monday of week 1 is the Monday on or before Jan 4.
			jan4 := time.Date(tm.year, 1, 4, 0, 0, 0, 0, time.UTC)
			monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
			dow := 1 // Monday
			if o.d != 0 {
				dow = (o.d+5)%7 + 1 // Sunday=1 numbering back to ISO
			}
			d := monday.AddDate(0, 0, (o.ww-1)*7+dow-1)
			tm.year, tm.mon, tm.mday = d.Year(), int(d.Month()), d.Day()
			dateSet = true
		} else {
			ddd = (o.ww-1)*7 + 1
		}
	}
	dd := o.dd
	if o.w != 0 {
		dd = (o.w-1)*7 + 1
	}
	if dd != 0 {
		tm.mday = dd
		dateSet = true
	}
	if o.mm != 0 {
		tm.mon = o.mm
		dateSet = true
	}
	if ddd != 0 && (tm.mon <= 1 || tm.mday <= 1) {
		if tm.year == 0 && o.bc == 0 {
			return tm, dtFormatErr("cannot calculate day of year without year information")
		}
		if o.isoWeek {
			jan4 := time.Date(tm.year, 1, 4, 0, 0, 0, 0, time.UTC)
			monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
			d := monday.AddDate(0, 0, ddd-1)
			tm.year, tm.mon, tm.mday = d.Year(), int(d.Month()), d.Day()
		} else {
			d := time.Date(tm.year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, ddd-1)
			if tm.mon <= 1 {
				tm.mon = int(d.Month())
			}
			if tm.mday <= 1 {
				tm.mday = d.Day()
			}
		}
		dateSet = true
	}
	tm.us = int64(o.ms)*1000 + int64(o.us)
	if dateSet {
		if tm.mon < 1 || tm.mon > 12 || tm.mday < 1 || tm.mday > daysIn(tm.year, tm.mon) {
			return tm, outOfRange()
		}
	}
	if tm.hour < 0 || tm.hour >= 24 || tm.min < 0 || tm.min >= 60 || tm.sec < 0 || tm.sec >= 60 || tm.us < 0 || tm.us >= 1000000 {
		return tm, outOfRange()
	}
	if o.tzsign != 0 {
		tm.hasTZ = true
		tm.tzOff = (o.tzh*3600 + o.tzm*60) * o.tzsign
	}
	return tm, nil
}

func init() {
	stable("to_timestamp", t(text, text), tstzT, func(ctx *Context, a []types.Value) (types.Value, error) {
		tm, err := toTimestampFields(a[0].S, a[1].S)
		if err != nil {
			return types.Null, err
		}
		wall := time.Date(tm.year, time.Month(tm.mon), tm.mday, tm.hour, tm.min, tm.sec, int(tm.us)*1000, time.UTC).UnixMicro()
		var us int64
		if tm.hasTZ {
			us = wall - int64(tm.tzOff)*usPerSec
		} else {
			us = localToUTC(wall, ctx.loc())
		}
		if err := checkTSRange(us); err != nil {
			return types.Null, err
		}
		return types.NewTimestampTZ(us), nil
	})
	stable("to_date", t(text, text), dateT, func(_ *Context, a []types.Value) (types.Value, error) {
		tm, err := toTimestampFields(a[0].S, a[1].S)
		if err != nil {
			return types.Null, err
		}
		days := floorDiv64(time.Date(tm.year, time.Month(tm.mon), tm.mday, 0, 0, 0, 0, time.UTC).Unix(), 86400)
		if days < -2440588 || days > 2145031948 {
			return types.Null, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range: \"%s\"", a[0].S)
		}
		return types.NewDate(days), nil
	})
}
