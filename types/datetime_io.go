package types

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// Time units in microseconds.
const (
	usPerSec  = int64(1000000)
	usPerMin  = 60 * usPerSec
	usPerHour = 60 * usPerMin
	usPerDay  = 24 * usPerHour
)

// Infinity sentinels for dates and timestamps (value.go).
const (
	NegInfinity = math.MinInt64
	PosInfinity = math.MaxInt64
)

// Range limits as PostgreSQL: dates 4713-11-24 BC .. 5874897-12-31 AD,
// timestamps 4713-11-24 BC .. 294276-12-31 23:59:59.999999 AD.
var (
	minDateDays = daysFromCivil(-4713, 11, 24)
	maxDateDays = daysFromCivil(5874897, 12, 31)
	minTSMicros = daysFromCivil(-4713, 11, 24) * usPerDay
	// PostgreSQL's last timestamp (294276-12-31) is 30 years beyond what µs
	// since 1970 can hold in an int64; OmenDB's range ends at MaxInt64-1 µs
	// (294247-01-10 04:00:54.775806).
	maxTSMicros = int64(math.MaxInt64 - 1)
	maxTSDays   = maxTSMicros / usPerDay
)

// daysFromCivil converts a proleptic Gregorian date (astronomical year: 0 = 1
// BC) to days since 1970-01-01.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

var monthDays = [13]int64{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func daysInMonth(y, m int64) int64 {
	if m == 2 && isLeap(y) {
		return 29
	}
	return monthDays[m]
}

func appendPad(buf []byte, n int64, width int) []byte {
	var tmp [24]byte
	s := strconv.AppendInt(tmp[:0], n, 10)
	for i := len(s); i < width; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// appendYMD appends YYYY-MM-DD for an astronomical year, returning whether
// " BC" must follow.
func appendYMD(buf []byte, days int64) ([]byte, bool) {
	y, m, d := civilFromDays(days)
	bc := false
	if y <= 0 {
		y = 1 - y
		bc = true
	}
	buf = appendPad(buf, y, 4)
	buf = append(buf, '-')
	buf = appendPad(buf, m, 2)
	buf = append(buf, '-')
	buf = appendPad(buf, d, 2)
	return buf, bc
}

func appendDate(buf []byte, days int64) []byte {
	switch days {
	case NegInfinity:
		return append(buf, "-infinity"...)
	case PosInfinity:
		return append(buf, "infinity"...)
	}
	buf, bc := appendYMD(buf, days)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendClock appends HH:MM:SS[.ffffff] (trailing fraction zeros trimmed).
func appendClock(buf []byte, us int64) []byte {
	buf = appendPad(buf, us/usPerHour, 2)
	buf = append(buf, ':')
	buf = appendPad(buf, us/usPerMin%60, 2)
	buf = append(buf, ':')
	return appendSeconds(buf, us%usPerMin)
}

// appendSeconds appends SS[.ffffff] for a non-negative µs count below 60 s
// (or any count: seconds are printed in full).
func appendSeconds(buf []byte, us int64) []byte {
	buf = appendPad(buf, us/usPerSec, 2)
	if f := us % usPerSec; f != 0 {
		buf = append(buf, '.')
		var tmp [6]byte
		for i := 5; i >= 0; i-- {
			tmp[i] = byte('0' + f%10)
			f /= 10
		}
		n := 6
		for n > 0 && tmp[n-1] == '0' {
			n--
		}
		buf = append(buf, tmp[:n]...)
	}
	return buf
}

// zoneOffset returns the UTC offset in seconds of loc at the instant us.
func zoneOffset(us int64, loc *time.Location) int64 {
	if loc == nil || loc == time.UTC {
		return 0
	}
	_, off := time.Unix(floorDiv(us, usPerSec), 0).In(loc).Zone()
	return int64(off)
}

func appendTimestamp(buf []byte, us int64, tz bool, loc *time.Location) []byte {
	switch us {
	case NegInfinity:
		return append(buf, "-infinity"...)
	case PosInfinity:
		return append(buf, "infinity"...)
	}
	var off int64
	if tz {
		off = zoneOffset(us, loc)
		us += off * usPerSec
	}
	days := floorDiv(us, usPerDay)
	buf, bc := appendYMD(buf, days)
	buf = append(buf, ' ')
	buf = appendClock(buf, us-days*usPerDay)
	if tz {
		buf = appendTZOffset(buf, off)
	}
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendTZOffset appends +HH[:MM[:SS]] for an offset east of UTC in seconds.
func appendTZOffset(buf []byte, off int64) []byte {
	if off < 0 {
		buf = append(buf, '-')
		off = -off
	} else {
		buf = append(buf, '+')
	}
	buf = appendPad(buf, off/3600, 2)
	if off%3600 != 0 {
		buf = append(buf, ':')
		buf = appendPad(buf, off/60%60, 2)
		if off%60 != 0 {
			buf = append(buf, ':')
			buf = appendPad(buf, off%60, 2)
		}
	}
	return buf
}

func appendInterval(buf []byte, months, days int32, us int64) []byte {
	isZero, isBefore := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !isZero {
			buf = append(buf, ' ')
		}
		if isBefore && v > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if v != 1 {
			buf = append(buf, 's')
		}
		isBefore = v < 0
		isZero = false
	}
	part(int64(months/12), "year")
	part(int64(months%12), "mon")
	part(int64(days), "day")
	if isZero || us != 0 {
		if !isZero {
			buf = append(buf, ' ')
		}
		if us < 0 {
			buf = append(buf, '-')
		} else if isBefore {
			buf = append(buf, '+')
		}
		u := uint64(us)
		if us < 0 {
			u = uint64(-(us + 1)) + 1
		}
		h := u / uint64(usPerHour)
		rem := u % uint64(usPerHour)
		buf = appendPad(buf, int64(h), 2)
		buf = append(buf, ':')
		buf = appendPad(buf, int64(rem/uint64(usPerMin)), 2)
		buf = append(buf, ':')
		buf = appendSeconds(buf, int64(rem%uint64(usPerMin)))
	}
	return buf
}

// ---- input ----

var monthNames = map[string]int64{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
	"apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
	"aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10,
	"nov": 11, "november": 11, "dec": 12, "december": 12,
}

var weekdayNames = map[string]bool{
	"mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true, "wed": true,
	"wednesday": true, "thu": true, "thur": true, "thurs": true, "thursday": true,
	"fri": true, "friday": true, "sat": true, "saturday": true, "sun": true, "sunday": true,
}

// Time zone abbreviations PostgreSQL's Default set knows (seconds east).
var zoneAbbrevs = map[string]int64{
	"utc": 0, "gmt": 0, "z": 0, "zulu": 0, "ut": 0,
	"est": -5 * 3600, "edt": -4 * 3600, "cst": -6 * 3600, "cdt": -5 * 3600,
	"mst": -7 * 3600, "mdt": -6 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600,
	"akst": -9 * 3600, "akdt": -8 * 3600, "hst": -10 * 3600,
	"cet": 3600, "cest": 7200, "eet": 7200, "eest": 3 * 3600, "wet": 0, "west": 3600,
	"bst": 3600, "msk": 3 * 3600, "jst": 9 * 3600, "kst": 9 * 3600,
	"ist": 7200, "aest": 10 * 3600, "aedt": 11 * 3600, "nzst": 12 * 3600, "nzdt": 13 * 3600,
}

// dtFields is a decoded date/time string.
type dtFields struct {
	y, m, d       int64
	hasDate       bool
	us            int64 // time of day
	hasTime       bool
	hasZone       bool
	zoneOff       int64 // seconds east of UTC
	zoneLoc       *time.Location
	bc            bool
	special       string // "epoch", "infinity", "-infinity", "now", "today", "tomorrow", "yesterday"
	fracTruncated bool
}

type dtErr int

const (
	dtBad dtErr = iota + 1
	dtRange
	dtZone
)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseClock parses H:MM[:SS[.frac]] into µs; hours may exceed 24 only if
// allowBig.
func parseClock(s string) (int64, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	if !allDigits(parts[0]) || len(parts[0]) > 9 {
		return 0, false
	}
	h, _ := strconv.ParseInt(parts[0], 10, 64)
	if !allDigits(parts[1]) || len(parts[1]) > 2 {
		return 0, false
	}
	mi, _ := strconv.ParseInt(parts[1], 10, 64)
	var sec, frac int64
	if len(parts) == 3 {
		ss := parts[2]
		fs := ""
		if k := strings.IndexByte(ss, '.'); k >= 0 {
			ss, fs = ss[:k], ss[k+1:]
			if fs != "" && !allDigits(fs) {
				return 0, false
			}
		}
		if !allDigits(ss) || len(ss) > 2 {
			return 0, false
		}
		sec, _ = strconv.ParseInt(ss, 10, 64)
		frac = parseFracMicros(fs)
	}
	if mi > 59 || sec > 60 {
		return -1, true
	}
	return h*usPerHour + mi*usPerMin + sec*usPerSec + frac, true
}

// parseFracMicros converts decimal fraction digits to µs as PostgreSQL's
// ParseFractionalSecond does: rint(strtod("0.digits") * 1e6), so rounding
// follows double arithmetic (0.3351525 gives 335152).
func parseFracMicros(fs string) int64 {
	if fs == "" {
		return 0
	}
	if len(fs) <= 6 {
		var f int64
		for i := 0; i < 6; i++ {
			f *= 10
			if i < len(fs) {
				f += int64(fs[i] - '0')
			}
		}
		return f
	}
	x, err := strconv.ParseFloat("0."+fs, 64)
	if err != nil {
		return 0
	}
	return int64(math.RoundToEven(x * 1e6))
}

// parseZone parses a numeric offset "+05", "-0800", "+05:30", "+05:30:15".
func parseNumericZone(s string) (int64, bool) {
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	sign := int64(1)
	if s[0] == '-' {
		sign = -1
	}
	body := s[1:]
	var h, m, sec int64
	if strings.Contains(body, ":") {
		p := strings.Split(body, ":")
		if len(p) > 3 {
			return 0, false
		}
		for i, x := range p {
			if !allDigits(x) || len(x) > 2 {
				return 0, false
			}
			n, _ := strconv.ParseInt(x, 10, 64)
			switch i {
			case 0:
				h = n
			case 1:
				m = n
			case 2:
				sec = n
			}
		}
	} else {
		if !allDigits(body) {
			return 0, false
		}
		switch len(body) {
		case 1, 2:
			h, _ = strconv.ParseInt(body, 10, 64)
		case 3, 4:
			n, _ := strconv.ParseInt(body, 10, 64)
			h, m = n/100, n%100
		case 5, 6:
			n, _ := strconv.ParseInt(body, 10, 64)
			h, m, sec = n/10000, n/100%100, n%100
		default:
			return 0, false
		}
	}
	if h > 15 || m > 59 || sec > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60 + sec), true
}

// splitDT splits date/time input into tokens (PostgreSQL's ParseDateTime,
// simplified): runs of digits with '-', '/', '.', ':' separators, words, and
// signed zone offsets.
func splitDT(s string) []string {
	var toks []string
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isSpace(c) || c == ',':
			i++
		case isDigit(c):
			j := i
			for j < len(s) && (isDigit(s[j]) || s[j] == '-' || s[j] == '/' || s[j] == '.' || s[j] == ':') {
				// a '-' after a time part starts a zone
				if s[j] == '-' && strings.IndexByte(s[i:j], ':') >= 0 {
					break
				}
				j++
			}
			// ISO 'T' separator: 2024-01-02T03:04
			toks = append(toks, s[i:j])
			i = j
			if i < len(s) && (s[i] == 'T' || s[i] == 't') && i+1 < len(s) && isDigit(s[i+1]) {
				i++
			}
		case c == '+' || c == '-':
			j := i + 1
			for j < len(s) && (isDigit(s[j]) || s[j] == ':') {
				j++
			}
			if j == i+1 { // "-infinity" or sign before a word
				for j < len(s) && isLetter(s[j]) {
					j++
				}
			}
			toks = append(toks, s[i:j])
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && (isLetter(s[j]) || s[j] == '/' || s[j] == '_' || (j > i && isDigit(s[j])) || (j > i && (s[j] == '+' || s[j] == '-') && strings.IndexByte(s[i:j], '/') >= 0)) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
			if i < len(s) && s[i] == '.' {
				i++
			}
		default:
			toks = append(toks, s[i:i+1])
			i++
		}
	}
	return toks
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// decodeDT decodes date/time input for date, timestamp and timestamptz.
func decodeDT(s string) (dtFields, dtErr) {
	var f dtFields
	toks := splitDT(trimSpace(s))
	if len(toks) == 0 {
		return f, dtBad
	}
	var pendingMonth int64
	monthFirst := false
	var nums []string // bare numbers for textual-month dates
	for ti := 0; ti < len(toks); ti++ {
		tok := toks[ti]
		low := strings.ToLower(tok)
		switch {
		case low == "epoch" || low == "infinity" || low == "+infinity" || low == "-infinity" ||
			low == "now" || low == "today" || low == "tomorrow" || low == "yesterday":
			if f.special != "" && !(f.special == "today" || f.special == "tomorrow" || f.special == "yesterday") {
				return f, dtBad
			}
			if low == "+infinity" {
				low = "infinity"
			}
			f.special = low
		case low == "bc":
			f.bc = true
		case low == "ad":
		case low == "allballs":
			f.hasTime = true
		case low == "t":
		case isDigit(tok[0]) && strings.ContainsAny(tok, ":"):
			if f.hasTime {
				return f, dtBad
			}
			us, ok := parseClock(tok)
			if !ok {
				return f, dtBad
			}
			if us < 0 || us > usPerDay {
				return f, dtRange
			}
			f.us, f.hasTime = us, true
		case isDigit(tok[0]) && strings.ContainsAny(tok, "-/."):
			if f.hasDate {
				return f, dtBad
			}
			sep := "-"
			if strings.Contains(tok, "/") {
				sep = "/"
			} else if !strings.Contains(tok, "-") {
				sep = "."
			}
			p := strings.Split(tok, sep)
			if len(p) != 3 {
				// "2024-01" etc.
				return f, dtBad
			}
			for _, x := range p {
				if !allDigits(x) || len(x) > 9 {
					return f, dtBad
				}
			}
			a, _ := strconv.ParseInt(p[0], 10, 64)
			b, _ := strconv.ParseInt(p[1], 10, 64)
			c, _ := strconv.ParseInt(p[2], 10, 64)
			if len(p[0]) >= 3 || sep == "-" && len(p[0]) > 2 {
				f.y, f.m, f.d = a, b, c // Y-M-D
			} else if sep == "-" && len(p[2]) <= 2 && len(p[0]) <= 2 {
				// ambiguous short form: PostgreSQL MDY reads m-d-y
				f.y, f.m, f.d = twoDigitYear(c, len(p[2])), a, b
			} else {
				f.y, f.m, f.d = twoDigitYear(c, len(p[2])), a, b // MDY
			}
			f.hasDate = true
		case isDigit(tok[0]) && allDigits(tok):
			if !f.hasDate && pendingMonth == 0 && len(nums) == 0 && (len(tok) == 8 || len(tok) == 6 && false) && !f.hasTime {
				n, _ := strconv.ParseInt(tok, 10, 64)
				f.y, f.m, f.d = n/10000, n/100%100, n%100
				f.hasDate = true
				continue
			}
			if f.hasDate && !f.hasTime && (len(tok) == 6 || len(tok) == 4) && len(nums) == 0 {
				n, _ := strconv.ParseInt(tok, 10, 64)
				if len(tok) == 6 {
					f.us = n/10000*usPerHour + n/100%100*usPerMin + n%100*usPerSec
				} else {
					f.us = n/100*usPerHour + n%100*usPerMin
				}
				f.hasTime = true
				continue
			}
			nums = append(nums, tok)
		case tok[0] == '+' || tok[0] == '-':
			off, ok := parseNumericZone(tok)
			if !ok {
				return f, dtBad
			}
			if f.hasZone {
				return f, dtBad
			}
			f.hasZone, f.zoneOff = true, off
		case isLetter(tok[0]):
			if m, ok := monthNames[low]; ok {
				if pendingMonth != 0 {
					return f, dtBad
				}
				pendingMonth = m
				monthFirst = len(nums) == 0
				continue
			}
			if weekdayNames[low] {
				continue
			}
			if off, ok := zoneAbbrevs[low]; ok {
				if f.hasZone {
					return f, dtBad
				}
				f.hasZone, f.zoneOff = true, off
				// "UTC+3" style suffix is not supported
				continue
			}
			if strings.Contains(tok, "/") {
				loc, err := time.LoadLocation(tok)
				if err != nil || f.hasZone {
					return f, dtZone
				}
				f.hasZone, f.zoneLoc = true, loc
				continue
			}
			return f, dtBad
		default:
			return f, dtBad
		}
	}
	if pendingMonth != 0 {
		if f.hasDate || len(nums) != 2 {
			return f, dtBad
		}
		// "Jan 2 2024", "2 Jan 2024", "January 8, 1999"
		a, _ := strconv.ParseInt(nums[0], 10, 64)
		b, _ := strconv.ParseInt(nums[1], 10, 64)
		if len(nums[0]) >= 3 { // year first
			f.y, f.d = a, b
		} else {
			f.d, f.y = a, twoDigitYear(b, len(nums[1]))
		}
		f.m = pendingMonth
		f.hasDate = true
		if !monthFirst && (f.d < 1 || f.d > 31) {
			return f, dtBad // "32 Jan 2024": PostgreSQL cannot place the number
		}
	} else if len(nums) != 0 {
		return f, dtBad
	}
	if f.special != "" {
		switch f.special {
		case "today", "tomorrow", "yesterday":
			if f.hasDate {
				return f, dtBad
			}
		default:
			if f.hasDate || f.hasTime {
				return f, dtBad
			}
		}
		return f, 0
	}
	if !f.hasDate {
		return f, dtBad
	}
	if f.bc {
		if f.y == 0 {
			return f, dtRange
		}
		f.y = 1 - f.y
	} else if f.y == 0 {
		return f, dtRange
	}
	if f.m < 1 || f.m > 12 || f.d < 1 || f.d > daysInMonth(f.y, f.m) {
		return f, dtRange
	}
	return f, 0
}

// twoDigitYear maps 2-digit years as PostgreSQL: 70-99 → 19xx, 00-69 → 20xx.
func twoDigitYear(y int64, digits int) int64 {
	if digits > 2 {
		return y
	}
	if y < 70 {
		return y + 2000
	}
	return y + 1900
}

func nowIn(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Now().In(loc)
}

func dtError(e dtErr, typ, s string) error {
	switch e {
	case dtRange:
		return pgerr.New(pgerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	case dtZone:
		return pgerr.New(pgerr.InvalidParameterValue, "time zone \"%s\" not recognized", s)
	}
	return pgerr.New(pgerr.InvalidDatetimeFormat, "invalid input syntax for type %s: \"%s\"", typ, s)
}

func parseDate(s string, loc *time.Location) (Value, error) {
	f, e := decodeDT(s)
	if e != 0 {
		return Null, dtError(e, "date", s)
	}
	switch f.special {
	case "epoch":
		return NewDate(0), nil
	case "infinity":
		return NewDate(PosInfinity), nil
	case "-infinity":
		return NewDate(NegInfinity), nil
	case "now", "today", "tomorrow", "yesterday":
		n := nowIn(loc)
		d := daysFromCivil(int64(n.Year()), int64(n.Month()), int64(n.Day()))
		if f.special == "tomorrow" {
			d++
		} else if f.special == "yesterday" {
			d--
		}
		return NewDate(d), nil
	}
	d := daysFromCivil(f.y, f.m, f.d)
	if d < minDateDays || d > maxDateDays {
		return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range: \"%s\"", s)
	}
	return NewDate(d), nil
}

// localToUTC converts a local wall-clock µs value in loc to UTC µs, resolving
// DST transitions as PostgreSQL's DetermineTimeZoneOffset: a time in a
// spring-forward gap uses the offset before the transition, an ambiguous
// fall-back time the offset after it (standard time in both cases).
func localToUTC(local int64, loc *time.Location) int64 {
	if loc == nil || loc == time.UTC {
		return local
	}
	const span = 2 * usPerDay
	oE := zoneOffset(local-span, loc)
	oL := zoneOffset(local+span, loc)
	bt := local - oE*usPerSec
	if oE == oL {
		if zoneOffset(bt, loc) == oE {
			return bt
		}
		// two transitions within the window: fall back to a direct guess
		return local - zoneOffset(bt, loc)*usPerSec
	}
	at := local - oL*usPerSec
	bOK := zoneOffset(bt, loc) == oE
	aOK := zoneOffset(at, loc) == oL
	switch {
	case bOK && !aOK:
		return bt
	case aOK && !bOK:
		return at
	case aOK && bOK: // ambiguous (fall back): after
		return at
	}
	return bt // gap (spring forward): before
}

func parseTimestamp(s string, tz bool, mod int32, loc *time.Location) (Value, error) {
	typ := "timestamp"
	if tz {
		typ = "timestamp with time zone"
	}
	f, e := decodeDT(s)
	if e != 0 {
		return Null, dtError(e, typ, s)
	}
	mk := func(us int64) Value {
		if tz {
			return NewTimestampTZ(us)
		}
		return NewTimestamp(us)
	}
	var local int64
	switch f.special {
	case "epoch":
		return mk(0), nil
	case "infinity":
		return mk(PosInfinity), nil
	case "-infinity":
		return mk(NegInfinity), nil
	case "now":
		n := time.Now()
		us := n.UnixMicro()
		if !tz {
			us += zoneOffset(us, loc) * usPerSec
		}
		return mk(roundTimestamp(us, mod)), nil
	case "today", "tomorrow", "yesterday":
		n := nowIn(loc)
		d := daysFromCivil(int64(n.Year()), int64(n.Month()), int64(n.Day()))
		if f.special == "tomorrow" {
			d++
		} else if f.special == "yesterday" {
			d--
		}
		local = d*usPerDay + f.us
	default:
		d := daysFromCivil(f.y, f.m, f.d)
		if d < minDateDays || d >= maxTSDays {
			return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
		}
		local = d*usPerDay + f.us
	}
	local = roundTimestamp(local, mod)
	us := local
	if tz {
		switch {
		case f.zoneLoc != nil:
			us = localToUTC(local, f.zoneLoc)
		case f.hasZone:
			us = local - f.zoneOff*usPerSec
		default:
			us = localToUTC(local, loc)
		}
	}
	if us < minTSMicros || us > maxTSMicros {
		return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
	}
	return mk(us), nil
}

// roundTimestamp applies a timestamp(p) typmod: rounds to p fractional digits
// half away from zero.
func roundTimestamp(us int64, mod int32) int64 {
	if mod < 0 || mod >= 6 || us == NegInfinity || us == PosInfinity {
		return us
	}
	scale := int64(1)
	for i := int32(0); i < 6-mod; i++ {
		scale *= 10
	}
	off := scale / 2
	if us >= 0 {
		return (us + off) / scale * scale
	}
	return -((-us + off) / scale * scale)
}

// ---- interval input ----

var intervalUnits = map[string]string{
	"microsecond": "us", "microseconds": "us", "us": "us", "usec": "us", "usecs": "us", "useconds": "us", "usecond": "us",
	"millisecond": "ms", "milliseconds": "ms", "ms": "ms", "msec": "ms", "msecs": "ms", "mseconds": "ms", "msecond": "ms",
	"second": "s", "seconds": "s", "s": "s", "sec": "s", "secs": "s",
	"minute": "min", "minutes": "min", "m": "min", "min": "min", "mins": "min",
	"hour": "h", "hours": "h", "h": "h", "hr": "h", "hrs": "h",
	"day": "d", "days": "d", "d": "d",
	"week": "w", "weeks": "w", "w": "w",
	"month": "mon", "months": "mon", "mon": "mon", "mons": "mon",
	"year": "y", "years": "y", "y": "y", "yr": "y", "yrs": "y",
	"decade": "dec", "decades": "dec", "dec": "dec", "decs": "dec",
	"century": "c", "centuries": "c", "c": "c", "cent": "c",
	"millennium": "mil", "millennia": "mil", "mil": "mil", "mils": "mil", "millenniums": "mil",
}

type ivAcc struct {
	months, days int64
	usI          int64
	overflow     bool
}

func (a *ivAcc) addUS(f float64) {
	f = math.Round(f)
	if math.IsNaN(f) || f >= 9.2e18 || f <= -9.2e18 {
		a.overflow = true
		return
	}
	r, ok := addNoOverflow(a.usI, int64(f))
	if !ok {
		a.overflow = true
	}
	a.usI = r
}

func (a *ivAcc) addMonths(f float64) {
	if math.IsNaN(f) || f > math.MaxInt32 || f < math.MinInt32 {
		a.overflow = true
		return
	}
	a.months += int64(f)
}

func (a *ivAcc) addMonthsFrac(months float64) {
	whole := math.Trunc(months)
	a.addMonths(whole)
	a.addDaysFrac((months - whole) * 30)
}

func (a *ivAcc) addDaysFrac(days float64) {
	whole := math.Trunc(days)
	if whole > math.MaxInt32 || whole < math.MinInt32 {
		a.overflow = true
		return
	}
	a.days += int64(whole)
	a.addUS((days - whole) * float64(usPerDay))
}

func (a *ivAcc) add(val float64, unit string) {
	switch unit {
	case "us":
		a.addUS(val)
	case "ms":
		a.addUS(val * 1000)
	case "s":
		a.addUS(val * 1e6)
	case "min":
		a.addUS(val * 60e6)
	case "h":
		a.addUS(val * 3600e6)
	case "d":
		a.addDaysFrac(val)
	case "w":
		a.addDaysFrac(val * 7)
	case "mon":
		a.addMonthsFrac(val)
	case "y":
		a.addMonths(math.Round(val * 12))
	case "dec":
		a.addMonths(math.Round(val * 120))
	case "c":
		a.addMonths(math.Round(val * 1200))
	case "mil":
		a.addMonths(math.Round(val * 12000))
	}
}

func parseInterval(s string, mod int32) (Value, error) {
	bad := func() (Value, error) {
		return Null, pgerr.New(pgerr.InvalidDatetimeFormat, "invalid input syntax for type interval: \"%s\"", s)
	}
	t := strings.ToLower(trimSpace(s))
	if t == "" {
		return bad()
	}
	var a ivAcc
	seen := map[string]bool{}
	once := func(units ...string) bool {
		for _, u := range units {
			if seen[u] {
				return false
			}
			seen[u] = true
		}
		return true
	}
	if t[0] == 'p' {
		if !parseISOInterval(t[1:], &a) {
			return bad()
		}
		return finishInterval(s, &a, false)
	}
	t = strings.TrimPrefix(t, "@")
	fields := strings.Fields(t)
	ago := false
	for i := 0; i < len(fields); i++ {
		fld := fields[i]
		if fld == "ago" {
			if i != len(fields)-1 {
				return bad()
			}
			ago = true
			continue
		}
		if strings.Contains(fld, ":") {
			neg := false
			body := fld
			if body[0] == '-' || body[0] == '+' {
				neg = body[0] == '-'
				body = body[1:]
			}
			if body == "" || !isDigit(body[0]) {
				return bad()
			}
			us, ok := parseClock(body)
			if !ok {
				// "1:30" is hh:mm; "1:30.5" is mm:ss.f
				if p := strings.Split(body, ":"); len(p) == 2 && strings.Contains(p[1], ".") {
					m, err1 := strconv.ParseInt(p[0], 10, 64)
					sec, err2 := strconv.ParseFloat(p[1], 64)
					if err1 != nil || err2 != nil {
						return bad()
					}
					us = m*usPerMin + int64(math.Round(sec*1e6))
				} else {
					return bad()
				}
			}
			if us < 0 {
				return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "interval field value out of range: \"%s\"", s)
			}
			if neg {
				us = -us
			}
			if !once("h", "min", "s", "ms", "us") {
				return bad()
			}
			a.addUS(float64(us))
			continue
		}
		// a number, optionally with a unit glued on ("3days") or in the next field
		j := 0
		if j < len(fld) && (fld[j] == '+' || fld[j] == '-') {
			j++
		}
		for j < len(fld) && (isDigit(fld[j]) || fld[j] == '.') {
			j++
		}
		if j == 0 || (j == 1 && (fld[0] == '+' || fld[0] == '-')) {
			return bad()
		}
		val, err := strconv.ParseFloat(fld[:j], 64)
		if err != nil {
			return bad()
		}
		unit := fld[j:]
		if unit == "" {
			if i+1 < len(fields) {
				if u, ok := intervalUnits[fields[i+1]]; ok {
					unit = u
					i++
				}
			}
			if unit == "" {
				unit = "s" // a bare number is seconds
			}
		} else {
			u, ok := intervalUnits[unit]
			if !ok {
				return bad()
			}
			unit = u
		}
		units := []string{unit}
		if unit == "s" && val != math.Trunc(val) {
			units = append(units, "ms", "us") // fractional seconds claim the sub-second fields
		}
		if !once(units...) {
			return bad()
		}
		a.add(val, unit)
	}
	if len(seen) == 0 {
		return bad() // "ago" or "@" alone
	}
	return finishInterval(s, &a, ago)
}

func finishInterval(s string, a *ivAcc, ago bool) (Value, error) {
	if a.overflow {
		return Null, pgerr.New("22015", "interval field value out of range: \"%s\"", s)
	}
	if ago {
		a.months, a.days, a.usI = -a.months, -a.days, -a.usI
	}
	if a.months > math.MaxInt32 || a.months < math.MinInt32 || a.days > math.MaxInt32 || a.days < math.MinInt32 {
		return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "interval field value out of range: \"%s\"", s)
	}
	return NewInterval(int32(a.months), int32(a.days), a.usI), nil
}

// parseISOInterval parses the part after 'P' of an ISO 8601 duration.
func parseISOInterval(t string, a *ivAcc) bool {
	if t == "" {
		return false
	}
	timePart := false
	for len(t) > 0 {
		if t[0] == 't' {
			if timePart {
				return false
			}
			timePart = true
			t = t[1:]
			if t == "" {
				return false
			}
			continue
		}
		j := 0
		if t[j] == '-' || t[j] == '+' {
			j++
		}
		for j < len(t) && (isDigit(t[j]) || t[j] == '.') {
			j++
		}
		if j == 0 || j >= len(t) {
			return false
		}
		val, err := strconv.ParseFloat(t[:j], 64)
		if err != nil {
			return false
		}
		u := t[j]
		t = t[j+1:]
		switch {
		case !timePart && u == 'y':
			a.add(val, "y")
		case !timePart && u == 'm':
			a.add(val, "mon")
		case !timePart && u == 'w':
			a.add(val, "w")
		case !timePart && u == 'd':
			a.add(val, "d")
		case timePart && u == 'h':
			a.add(val, "h")
		case timePart && u == 'm':
			a.add(val, "min")
		case timePart && u == 's':
			a.add(val, "s")
		default:
			return false
		}
	}
	return true
}
