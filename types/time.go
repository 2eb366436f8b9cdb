package types

import (
	"strings"

	"github.com/omendb/omendb/pgerr"
)

// time without time zone is a KindInterval value with only its µs part: µs
// since midnight, 0 … 24:00:00 (see doc.go).

// Time is time without time zone.
var Time = Type{OID: OIDTime, Mod: -1}

// NewTime returns a time of day from µs since midnight.
func NewTime(us int64) Value { return NewInterval(0, 0, us) }

// parseTime is time_in: a clock time, optionally with a date (ignored), a
// time zone (ignored) and AM/PM.
func parseTime(s string, mod int32) (Value, error) {
	bad := func() (Value, error) {
		return Null, pgerr.New(pgerr.InvalidDatetimeFormat, "invalid input syntax for type time: \"%s\"", s)
	}
	var us int64
	have, pm, am := false, false, false
	for _, tok := range splitDT(trimSpace(s)) {
		low := strings.ToLower(tok)
		switch {
		case low == "allballs":
			have = true
		case low == "am":
			am = true
		case low == "pm":
			pm = true
		case isDigit(tok[0]) && strings.Contains(tok, ":"):
			if have {
				return bad()
			}
			v, ok := parseClock(tok)
			if !ok {
				return bad()
			}
			if v < 0 || v > usPerDay {
				return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
			}
			us, have = v, true
		case isDigit(tok[0]) && strings.ContainsAny(tok, "-/"):
			// a date part: accepted and ignored
		case tok[0] == '+' || tok[0] == '-':
			if _, ok := parseNumericZone(tok); !ok {
				return bad()
			}
		case isLetter(tok[0]):
			if _, ok := zoneAbbrevs[low]; !ok && !strings.Contains(tok, "/") {
				return bad()
			}
		default:
			return bad()
		}
	}
	if !have {
		return bad()
	}
	if am || pm {
		h := us / usPerHour
		if h < 1 || h > 12 || am && pm {
			return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
		}
		if pm && h != 12 {
			us += 12 * usPerHour
		} else if am && h == 12 {
			us -= 12 * usPerHour
		}
	}
	return NewTime(roundTime(us, mod)), nil
}

// roundTime applies a time(p) typmod (rounding half away from zero; may give
// 24:00:00 as PostgreSQL does).
func roundTime(us int64, mod int32) int64 { return roundTimestamp(us, mod) }
