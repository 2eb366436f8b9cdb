package types

import (
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

// Canonical date/time unit names (PostgreSQL's DecodeUnits, reduced).
var dtUnits = map[string]string{
	"microsecond": "microseconds", "microseconds": "microseconds", "us": "microseconds", "usec": "microseconds", "usecs": "microseconds", "useconds": "microseconds", "usecond": "microseconds",
	"millisecond": "milliseconds", "milliseconds": "milliseconds", "ms": "milliseconds", "msec": "milliseconds", "msecs": "milliseconds", "mseconds": "milliseconds", "msecond": "milliseconds",
	"second": "second", "seconds": "second", "s": "second", "sec": "second", "secs": "second",
	"minute": "minute", "minutes": "minute", "m": "minute", "min": "minute", "mins": "minute",
	"hour": "hour", "hours": "hour", "h": "hour", "hr": "hour", "hrs": "hour",
	"day": "day", "days": "day", "d": "day",
	"week": "week", "weeks": "week", "w": "week",
	"month": "month", "months": "month", "mon": "month", "mons": "month",
	"quarter": "quarter", "qtr": "quarter",
	"year": "year", "years": "year", "y": "year", "yr": "year", "yrs": "year",
	"decade": "decade", "decades": "decade", "dec": "decade", "decs": "decade",
	"century": "century", "centuries": "century", "c": "century", "cent": "century",
	"millennium": "millennium", "millennia": "millennium", "mil": "millennium", "mils": "millennium", "millenniums": "millennium",
	"epoch": "epoch", "dow": "dow", "isodow": "isodow", "doy": "doy", "isoyear": "isoyear",
	"julian": "julian", "j": "julian", "timezone": "timezone", "timezone_h": "timezone_hour", "timezone_hour": "timezone_hour",
	"timezone_m": "timezone_minute", "timezone_minute": "timezone_minute",
}

func unitsTypeName(t Type) string {
	switch t.OID {
	case OIDTimestamp:
		return "timestamp"
	case OIDTimestampTZ:
		return "timestamp with time zone"
	case OIDDate:
		return "date"
	case OIDInterval:
		return "interval"
	case OIDTime:
		return "time"
	}
	return TypeName(t)
}

func unitsNotRecognized(t Type, field string) error {
	return pgerr.New(pgerr.InvalidParameterValue, "%s units \"%s\" not recognized", unitsTypeName(t), field)
}

func unitsNotSupported(t Type, field string) error {
	return pgerr.New(pgerr.FeatureNotSupported, "%s units \"%s\" not supported", unitsTypeName(t), field)
}

// broken-down local time
type tmParts struct {
	y, m, d, h, mi, s, us int64 // y astronomical (0 = 1 BC)
	days                  int64 // days since 1970-01-01
}

func splitMicros(us int64) tmParts {
	days := floorDiv(us, usPerDay)
	tod := us - days*usPerDay
	y, m, d := civilFromDays(days)
	return tmParts{y: y, m: m, d: d, h: tod / usPerHour, mi: tod / usPerMin % 60, s: tod / usPerSec % 60, us: tod % usPerSec, days: days}
}

// DateTrunc is date_trunc(field, v). A date is first converted to
// timestamptz in loc (PostgreSQL's implicit cast); timestamptz truncates in
// loc's local time. Intervals are supported.
func DateTrunc(field string, v Value, t Type, loc *time.Location) (Value, error) {
	low := strings.ToLower(field)
	if t.OID == OIDDate {
		var err error
		if v, err = Cast(v, Date, TimestampTZ, false, loc); err != nil {
			return Null, err
		}
		t = TimestampTZ
	}
	unit, ok := dtUnits[low]
	if t.OID == OIDTime { // date_trunc(text, interval) through the implicit cast
		t = Interval
		if !v.IsNull() {
			v = NewInterval(0, 0, v.I)
		}
	}
	if t.OID == OIDInterval {
		if !ok {
			return Null, unitsNotRecognized(t, low)
		}
		if v.IsNull() {
			return Null, nil
		}
		return intervalTrunc(unit, low, v)
	}
	if t.OID != OIDTimestamp && t.OID != OIDTimestampTZ {
		return Null, pgerr.New(pgerr.UndefinedFunction, "function date_trunc(unknown, %s) does not exist", TypeName(t))
	}
	if v.IsNull() {
		return Null, nil
	}
	if v.I == NegInfinity || v.I == PosInfinity {
		return v, nil // PostgreSQL returns infinities before looking at the unit
	}
	if !ok {
		return Null, unitsNotRecognized(t, low)
	}
	switch unit {
	case "microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter", "year", "decade", "century", "millennium":
	case "timezone", "timezone_hour", "timezone_minute":
		return Null, unitsNotSupported(t, low)
	default:
		// PostgreSQL 15 reports epoch, dow, doy, julian … as unrecognized here
		return Null, unitsNotRecognized(t, low)
	}
	if v.IsNull() {
		return Null, nil
	}
	if v.I == NegInfinity || v.I == PosInfinity {
		return v, nil
	}
	tz := t.OID == OIDTimestampTZ
	us := v.I
	var off int64
	if tz {
		off = zoneOffset(us, loc)
		us += off * usPerSec
	}
	p := splitMicros(us)
	y, m, d := p.y, p.m, p.d
	tod := us - p.days*usPerDay
	redoTZ := true
	switch unit {
	case "millennium":
		if y > 0 {
			y = (y+999)/1000*1000 - 999
		} else {
			y = -((999-(y-1))/1000)*1000 + 1
		}
		m, d, tod = 1, 1, 0
	case "century":
		if y > 0 {
			y = (y+99)/100*100 - 99
		} else {
			y = -((99-(y-1))/100)*100 + 1
		}
		m, d, tod = 1, 1, 0
	case "decade":
		if y > 0 {
			y = y / 10 * 10
		} else {
			y = -((8 - (y - 1)) / 10) * 10
		}
		m, d, tod = 1, 1, 0
	case "year":
		m, d, tod = 1, 1, 0
	case "quarter":
		m, d, tod = 3*((m-1)/3)+1, 1, 0
	case "month":
		d, tod = 1, 0
	case "week":
		isodow := floorMod(p.days+3, 7) // 0 = Monday
		y, m, d = civilFromDays(p.days - isodow)
		tod = 0
	case "day":
		tod = 0
	case "hour":
		tod = tod / usPerHour * usPerHour
		redoTZ = false
	case "minute":
		tod = tod / usPerMin * usPerMin
		redoTZ = false
	case "second":
		tod = tod / usPerSec * usPerSec
		redoTZ = false
	case "milliseconds":
		tod = tod / 1000 * 1000
		redoTZ = false
	case "microseconds":
		redoTZ = false
	}
	day := daysFromCivil(y, m, d)
	if day < minDateDays {
		return Null, errTSRange
	}
	local := day*usPerDay + tod
	if !tz {
		return NewTimestamp(local), nil
	}
	if redoTZ {
		return NewTimestampTZ(localToUTC(local, loc)), nil
	}
	return NewTimestampTZ(local - off*usPerSec), nil
}

// intervalParts is interval2tm: fields truncated toward zero.
func intervalParts(v Value) (years, mons, days, hours, mins, secs, us int64) {
	months := int64(v.Months())
	years, mons = months/12, months%12
	days = int64(v.Days())
	t := v.I
	hours = t / usPerHour
	t -= hours * usPerHour
	mins = t / usPerMin
	t -= mins * usPerMin
	secs = t / usPerSec
	us = t - secs*usPerSec
	return
}

func intervalTrunc(unit, low string, v Value) (Value, error) {
	y, mo, d, h, mi, s, us := intervalParts(v)
	switch unit {
	case "millennium":
		y = y / 1000 * 1000
		mo, d, h, mi, s, us = 0, 0, 0, 0, 0, 0
	case "century":
		y = y / 100 * 100
		mo, d, h, mi, s, us = 0, 0, 0, 0, 0, 0
	case "decade":
		y = y / 10 * 10
		mo, d, h, mi, s, us = 0, 0, 0, 0, 0, 0
	case "year":
		mo, d, h, mi, s, us = 0, 0, 0, 0, 0, 0
	case "quarter":
		mo = 3 * (mo / 3)
		d, h, mi, s, us = 0, 0, 0, 0, 0
	case "month":
		d, h, mi, s, us = 0, 0, 0, 0, 0
	case "day":
		h, mi, s, us = 0, 0, 0, 0
	case "hour":
		mi, s, us = 0, 0, 0
	case "minute":
		s, us = 0, 0
	case "second":
		us = 0
	case "milliseconds":
		us = us / 1000 * 1000
	case "microseconds":
	case "week":
		return Null, pgerr.New(pgerr.FeatureNotSupported, "interval units \"%s\" not supported because months usually have fractional weeks", low)
	case "timezone", "timezone_hour", "timezone_minute":
		return Null, unitsNotSupported(Interval, low)
	default:
		return Null, unitsNotRecognized(Interval, low)
	}
	return NewInterval(int32(y*12+mo), int32(d), h*usPerHour+mi*usPerMin+s*usPerSec+us), nil
}

func numInt(i int64) Value { return NewNumeric(apd.New(i, 0)) }

// numScaled returns x / 10^scale as a numeric with that scale
// (int64_div_fast_to_numeric).
func numScaled(x int64, scale int32) Value { return NewNumeric(apd.New(x, -scale)) }

func isoWeek(days int64) (isoYear, week int64) {
	isodow := floorMod(days+3, 7) // 0 = Monday
	thursday := days - isodow + 3
	y, _, _ := civilFromDays(thursday)
	jan1 := daysFromCivil(y, 1, 1)
	return y, (thursday-jan1)/7 + 1
}

func yearField(y int64) int64 {
	if y > 0 {
		return y
	}
	return y - 1
}

// Extract is EXTRACT(field FROM v) / date_part returning numeric, as
// PostgreSQL 14+ does. timestamptz fields are taken in loc's local time.
func Extract(field string, v Value, t Type, loc *time.Location) (Value, error) {
	low := strings.ToLower(field)
	unit, ok := dtUnits[low]
	if !ok {
		return Null, unitsNotRecognized(t, low)
	}
	switch t.OID {
	case OIDInterval:
		return extractInterval(unit, low, v)
	case OIDTime:
		switch unit {
		case "microseconds", "milliseconds", "second", "minute", "hour", "epoch":
			if v.IsNull() {
				return Null, nil
			}
			return extractInterval(unit, low, v)
		}
		return Null, unitsNotSupported(t, low)
	case OIDDate, OIDTimestamp, OIDTimestampTZ:
	default:
		return Null, pgerr.New(pgerr.UndefinedFunction, "function pg_catalog.extract(unknown, %s) does not exist", TypeName(t))
	}
	isDate := t.OID == OIDDate
	tz := t.OID == OIDTimestampTZ
	if isDate {
		switch unit {
		case "microseconds", "milliseconds", "second", "minute", "hour", "timezone", "timezone_hour", "timezone_minute":
			return Null, unitsNotSupported(t, low)
		}
	}
	if v.IsNull() {
		return Null, nil
	}
	if v.I == NegInfinity || v.I == PosInfinity {
		switch unit {
		case "epoch", "julian", "year", "decade", "century", "millennium", "isoyear":
			return NewNumeric(numericInf(v.I == NegInfinity)), nil
		}
		return Null, nil
	}
	if !tz {
		switch unit {
		case "timezone", "timezone_hour", "timezone_minute":
			return Null, unitsNotSupported(t, low)
		}
	}
	var us int64
	var off int64
	if isDate {
		us = v.I * usPerDay
	} else {
		us = v.I
		if tz {
			off = zoneOffset(us, loc)
			us += off * usPerSec
		}
	}
	p := splitMicros(us)
	switch unit {
	case "microseconds":
		return numInt(p.s*usPerSec + p.us), nil
	case "milliseconds":
		return numScaled(p.s*usPerSec+p.us, 3), nil
	case "second":
		return numScaled(p.s*usPerSec+p.us, 6), nil
	case "minute":
		return numInt(p.mi), nil
	case "hour":
		return numInt(p.h), nil
	case "day":
		return numInt(p.d), nil
	case "month":
		return numInt(p.m), nil
	case "quarter":
		return numInt((p.m-1)/3 + 1), nil
	case "week":
		_, w := isoWeek(p.days)
		return numInt(w), nil
	case "year":
		return numInt(yearField(p.y)), nil
	case "decade":
		if p.y >= 0 {
			return numInt(p.y / 10), nil
		}
		return numInt(-((8 - (p.y - 1)) / 10)), nil
	case "century":
		if p.y > 0 {
			return numInt((p.y + 99) / 100), nil
		}
		return numInt(-((99 - (p.y - 1)) / 100)), nil
	case "millennium":
		if p.y > 0 {
			return numInt((p.y + 999) / 1000), nil
		}
		return numInt(-((999 - (p.y - 1)) / 1000)), nil
	case "dow":
		return numInt(floorMod(p.days+4, 7)), nil
	case "isodow":
		return numInt(floorMod(p.days+3, 7) + 1), nil
	case "doy":
		return numInt(p.days - daysFromCivil(p.y, 1, 1) + 1), nil
	case "isoyear":
		iy, _ := isoWeek(p.days)
		return numInt(yearField(iy)), nil
	case "julian":
		j := p.days + 2440588
		if isDate {
			return numInt(j), nil
		}
		tod := us - p.days*usPerDay
		frac := numericDiv(apd.New(tod, 0), apd.New(usPerDay, 0), selectDivScale(apd.New(tod, 0), apd.New(usPerDay, 0)))
		r := new(apd.Decimal)
		if _, err := exactCtx.Add(r, apd.New(j, 0), frac); err != nil {
			return Null, errTSRange
		}
		return NewNumeric(r), nil
	case "epoch":
		if isDate {
			return numInt(v.I * 86400), nil
		}
		return numScaled(v.I, 6), nil
	case "timezone":
		return numInt(off), nil
	case "timezone_hour":
		return numInt(off / 3600), nil
	case "timezone_minute":
		return numInt(off / 60 % 60), nil
	}
	return Null, unitsNotSupported(t, low)
}

func extractInterval(unit, low string, v Value) (Value, error) {
	if v.IsNull() {
		switch unit {
		case "microseconds", "milliseconds", "second", "minute", "hour", "day", "month", "quarter", "year", "decade", "century", "millennium", "epoch":
			return Null, nil
		}
	}
	y, mo, d, h, mi, s, us := intervalParts(v)
	switch unit {
	case "microseconds":
		return numInt(s*usPerSec + us), nil
	case "milliseconds":
		return numScaled(s*usPerSec+us, 3), nil
	case "second":
		return numScaled(s*usPerSec+us, 6), nil
	case "minute":
		return numInt(mi), nil
	case "hour":
		return numInt(h), nil
	case "day":
		return numInt(d), nil
	case "month":
		return numInt(mo), nil
	case "quarter":
		return numInt(mo/3 + 1), nil
	case "year":
		return numInt(y), nil
	case "decade":
		return numInt(y / 10), nil
	case "century":
		return numInt(y / 100), nil
	case "millennium":
		return numInt(y / 1000), nil
	case "epoch":
		months := int64(v.Months())
		secs := (1461*(months/12) + 120*(months%12) + 4*int64(v.Days())) * 21600
		r := new(apd.Decimal)
		if _, err := exactCtx.Add(r, apd.New(secs, 0), apd.New(v.I, -6)); err != nil {
			return Null, errIVRange
		}
		return NewNumeric(r), nil
	}
	return Null, unitsNotSupported(Interval, low)
}
