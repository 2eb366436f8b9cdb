package funcs

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

var (
	dateT = types.Date
	tsT   = types.Timestamp
	tstzT = types.TimestampTZ
	ivT   = types.Interval
)

const (
	usPerSec  = int64(1000000)
	usPerMin  = 60 * usPerSec
	usPerHour = 60 * usPerMin
	usPerDay  = 24 * usPerHour
	// pgEpochUnix is 2000-01-01 in seconds since 1970-01-01.
	pgEpochUnix = int64(946684800)
	// Finite timestamp range: 4714-11-24 BC .. 294277-01-01 (exclusive) in
	// µs since 1970, as PostgreSQL's MIN_TIMESTAMP/END_TIMESTAMP.
	minTimestampUS = int64(-211813488000000000)
	endTimestampUS = int64(math.MaxInt64)
)

func isInfTS(us int64) bool { return us == math.MinInt64 || us == math.MaxInt64 }

// tsTime is a timestamp's wall clock as a UTC time.Time.
func tsTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

// tstzTime is a timestamptz in the session zone.
func tstzTime(us int64, loc *time.Location) time.Time { return time.UnixMicro(us).In(loc) }

// wallUS returns the wall-clock fields of tm as µs since 1970 "UTC".
func wallUS(tm time.Time) int64 {
	y, m, d := tm.Date()
	return time.Date(y, m, d, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), time.UTC).UnixMicro()
}

// localToUTC interprets wall-clock µs in loc as PostgreSQL's
// DetermineTimeZoneOffset does: a time that does not exist (spring-forward
// gap) takes the offset from before the transition, an ambiguous one
// (fall-back overlap) the offset from after it.
func localToUTC(wall int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return wall
	}
	secs := floorDiv64(wall, usPerSec)
	offAt := func(unix int64) int64 {
		_, off := time.Unix(unix, 0).In(loc).Zone()
		return int64(off)
	}
	before, after := offAt(secs-86400), offAt(secs+86400)
	off := before
	if before != after {
		tb, ta := secs-before, secs-after
		okB, okA := offAt(tb) == before, offAt(ta) == after
		switch {
		case okB && !okA:
			off = before
		case okA && !okB:
			off = after
		case tb > ta:
			off = before
		default:
			off = after
		}
	} else if o := offAt(secs - before); o != before {
		// A transition within the day that the ±1 day probe missed.
		off = o
	}
	return wall - off*usPerSec
}

func checkTSRange(us int64) error {
	if us < minTimestampUS || us >= endTimestampUS {
		return pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range")
	}
	return nil
}

// roundPrecision rounds µs to p fractional-second digits (0..6), as
// PostgreSQL's AdjustTimestampForTypmod.
func roundPrecision(us int64, p int) int64 {
	if p >= 6 || p < 0 {
		return us
	}
	scale := int64(math.Pow10(6 - p))
	if us >= 0 {
		return ((us + scale/2) / scale) * scale
	}
	return -(((-us) + scale/2) / scale) * scale
}

func precisionArg(v types.Value, fn string) (int, error) {
	p := int(int32(v.I))
	if p < 0 {
		return 0, pgerr.New(pgerr.InvalidParameterValue, "%s(%d) precision must not be negative", fn, p)
	}
	return min(p, 6), nil
}

func init() {
	txnNow := func(ctx *Context, _ []types.Value) (types.Value, error) {
		return types.NewTimestampTZ(ctx.TxnTime.UnixMicro()), nil
	}
	for _, n := range []string{"now", "current_timestamp", "transaction_timestamp"} {
		stable(n, nil, tstzT, txnNow)
	}
	stable("current_timestamp", t(int4), tstzT, func(ctx *Context, a []types.Value) (types.Value, error) {
		p, err := precisionArg(a[0], "TIMESTAMP")
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestampTZ(roundPrecision(ctx.TxnTime.UnixMicro(), p)), nil
	})
	stable("statement_timestamp", nil, tstzT, func(ctx *Context, _ []types.Value) (types.Value, error) {
		return types.NewTimestampTZ(ctx.StmtTime.UnixMicro()), nil
	})
	volatile("clock_timestamp", nil, tstzT, func(ctx *Context, _ []types.Value) (types.Value, error) {
		return types.NewTimestampTZ(ctx.clock().UnixMicro()), nil
	})
	volatile("timeofday", nil, text, func(ctx *Context, _ []types.Value) (types.Value, error) {
		now := ctx.clock().In(ctx.loc())
		return txt(fmt.Sprintf("%s.%06d %d %s", now.Format("Mon Jan 02 15:04:05"), now.Nanosecond()/1000, now.Year(), now.Format("MST")))
	})
	stable("current_date", nil, dateT, func(ctx *Context, _ []types.Value) (types.Value, error) {
		return types.NewDate(floorDiv64(wallUS(ctx.TxnTime.In(ctx.loc())), usPerDay)), nil
	})
	stable("localtimestamp", nil, tsT, func(ctx *Context, _ []types.Value) (types.Value, error) {
		return types.NewTimestamp(wallUS(ctx.TxnTime.In(ctx.loc()))), nil
	})
	stable("localtimestamp", t(int4), tsT, func(ctx *Context, a []types.Value) (types.Value, error) {
		p, err := precisionArg(a[0], "TIMESTAMP")
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestamp(roundPrecision(wallUS(ctx.TxnTime.In(ctx.loc())), p)), nil
	})

	// date_trunc
	imm("date_trunc", t(text, tsT), tsT, func(_ *Context, a []types.Value) (types.Value, error) {
		us, err := truncTimestamp(a[0].S, a[1].I, nil)
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestamp(us), nil
	})
	stable("date_trunc", t(text, tstzT), tstzT, func(ctx *Context, a []types.Value) (types.Value, error) {
		us, err := truncTimestamp(a[0].S, a[1].I, ctx.loc())
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestampTZ(us), nil
	})
	imm("date_trunc", t(text, tstzT, text), tstzT, func(_ *Context, a []types.Value) (types.Value, error) {
		loc, err := LoadZone(a[2].S)
		if err != nil {
			return types.Null, err
		}
		us, err := truncTimestamp(a[0].S, a[1].I, loc)
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestampTZ(us), nil
	})
	imm("date_trunc", t(text, ivT), ivT, func(_ *Context, a []types.Value) (types.Value, error) {
		return truncInterval(a[0].S, a[1])
	})

	// date_part (float8) and extract (numeric)
	for _, ret := range []types.Type{float8, numeric} {
		name := "date_part"
		asNum := ret.OID == types.OIDNumeric
		if asNum {
			name = "extract"
		}
		imm(name, t(text, tsT), ret, func(_ *Context, a []types.Value) (types.Value, error) {
			return extractTimestamp(a[0].S, a[1].I, nil, asNum, tsT)
		})
		stable(name, t(text, tstzT), ret, func(ctx *Context, a []types.Value) (types.Value, error) {
			return extractTimestamp(a[0].S, a[1].I, ctx.loc(), asNum, tstzT)
		})
		imm(name, t(text, ivT), ret, func(_ *Context, a []types.Value) (types.Value, error) {
			return extractInterval(a[0].S, a[1], asNum)
		})
		imm(name, t(text, dateT), ret, func(_ *Context, a []types.Value) (types.Value, error) {
			return extractDate(a[0].S, a[1].I, asNum)
		})
	}

	imm("make_date", t(int4, int4, int4), dateT, func(_ *Context, a []types.Value) (types.Value, error) {
		d, err := makeDate(int4Arg(a[0]), int4Arg(a[1]), int4Arg(a[2]))
		if err != nil {
			return types.Null, err
		}
		return types.NewDate(d), nil
	})
	imm("make_timestamp", t(int4, int4, int4, int4, int4, float8), tsT, func(_ *Context, a []types.Value) (types.Value, error) {
		us, err := makeTimestamp(a)
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestamp(us), nil
	})
	stable("make_timestamptz", t(int4, int4, int4, int4, int4, float8), tstzT, func(ctx *Context, a []types.Value) (types.Value, error) {
		us, err := makeTimestamp(a)
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestampTZ(localToUTC(us, ctx.loc())), nil
	})
	stable("make_timestamptz", t(int4, int4, int4, int4, int4, float8, text), tstzT, func(ctx *Context, a []types.Value) (types.Value, error) {
		us, err := makeTimestamp(a)
		if err != nil {
			return types.Null, err
		}
		loc, err := LoadZone(a[6].S)
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestampTZ(localToUTC(us, loc)), nil
	})
	// make_interval(years, months, weeks, days, hours, mins int4, secs float8),
	// all defaulting to 0: one overload per number of given arguments.
	miArgs := []types.Type{int4, int4, int4, int4, int4, int4, float8}
	for n := 0; n <= len(miArgs); n++ {
		imm("make_interval", append([]types.Type(nil), miArgs[:n]...), ivT, makeInterval)
	}

	// age
	imm("age", t(tsT, tsT), ivT, func(_ *Context, a []types.Value) (types.Value, error) {
		return age(a[0].I, a[1].I, time.UTC)
	})
	stable("age", t(tstzT, tstzT), ivT, func(ctx *Context, a []types.Value) (types.Value, error) {
		return age(a[0].I, a[1].I, ctx.loc())
	})
	stable("age", t(tsT), ivT, func(ctx *Context, a []types.Value) (types.Value, error) {
		today := floorDiv64(wallUS(ctx.TxnTime.In(ctx.loc())), usPerDay) * usPerDay
		return age(today, a[0].I, time.UTC)
	})
	stable("age", t(tstzT), ivT, func(ctx *Context, a []types.Value) (types.Value, error) {
		today := floorDiv64(wallUS(ctx.TxnTime.In(ctx.loc())), usPerDay) * usPerDay
		return age(localToUTC(today, ctx.loc()), a[0].I, ctx.loc())
	})

	imm("justify_days", t(ivT), ivT, func(_ *Context, a []types.Value) (types.Value, error) {
		return justifyDays(a[0])
	})
	imm("justify_hours", t(ivT), ivT, func(_ *Context, a []types.Value) (types.Value, error) {
		return justifyHours(a[0])
	})
	imm("justify_interval", t(ivT), ivT, func(_ *Context, a []types.Value) (types.Value, error) {
		return justifyInterval(a[0])
	})
	finite := func(_ *Context, a []types.Value) (types.Value, error) {
		return types.NewBool(!isInfTS(a[0].I)), nil
	}
	imm("isfinite", t(dateT), boolT, finite)
	imm("isfinite", t(tsT), boolT, finite)
	stable("isfinite", t(tstzT), boolT, finite)
	imm("isfinite", t(ivT), boolT, func(_ *Context, _ []types.Value) (types.Value, error) { return types.NewBool(true), nil })

	imm("to_timestamp", t(float8), tstzT, func(_ *Context, a []types.Value) (types.Value, error) {
		f := a[0].Float()
		switch {
		case math.IsNaN(f):
			return types.Null, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp cannot be NaN")
		case math.IsInf(f, 1):
			return types.NewTimestampTZ(math.MaxInt64), nil
		case math.IsInf(f, -1):
			return types.NewTimestampTZ(math.MinInt64), nil
		}
		outOfRange := pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", formatFloatG(f))
		if f < float64(minTimestampUS/usPerSec) || f >= float64(endTimestampUS/usPerSec) {
			return types.Null, outOfRange
		}
		us := int64(math.RoundToEven((f-float64(pgEpochUnix))*1e6)) + pgEpochUnix*usPerSec
		if checkTSRange(us) != nil {
			return types.Null, outOfRange
		}
		return types.NewTimestampTZ(us), nil
	})
}

func formatFloatG(f float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%g", f), ".0")
}

func floorDiv64(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// LoadZone resolves a time zone name for AT TIME ZONE and the zone
// arguments of date_trunc/make_timestamptz: an IANA name, UTC/GMT/Z, or a
// POSIX-style numeric offset ("+05:30", "-8"), which as in PostgreSQL
// counts hours WEST of Greenwich: timezone('+05:30', t) is UTC−05:30.
func LoadZone(name string) (*time.Location, error) {
	switch strings.ToLower(name) {
	case "utc", "gmt", "z", "zulu", "etc/utc":
		return time.UTC, nil
	}
	if off, ok := parseOffset(name); ok {
		return time.FixedZone(name, -off), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, pgerr.New(pgerr.InvalidParameterValue, "time zone \"%s\" not recognized", name)
	}
	return loc, nil
}

func parseOffset(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		sign, s = -1, s[1:]
	default:
		if s[0] < '0' || s[0] > '9' {
			return 0, false
		}
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, false
	}
	total := 0
	mult := []int{3600, 60, 1}
	for i, p := range parts {
		if p == "" || len(p) > 2 && i > 0 {
			return 0, false
		}
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		total += n * mult[i]
	}
	return sign * total, true
}

// unit normalises a date_trunc/extract unit name as PostgreSQL's
// DecodeUnits/DecodeSpecial (lower-cased, compared on 10 characters).
func unit(s string) string {
	l := strings.ToLower(s)
	k := l
	if len(k) > 10 {
		k = k[:10]
	}
	switch k {
	case "microsecon", "us", "usec", "usecs", "usecond", "useconds":
		return "microseconds"
	case "millisecon", "ms", "msec", "msecs", "msecond", "mseconds":
		return "milliseconds"
	case "s", "sec", "secs", "second", "seconds":
		return "second"
	case "m", "min", "mins", "minute", "minutes":
		return "minute"
	case "h", "hr", "hrs", "hour", "hours":
		return "hour"
	case "d", "day", "days":
		return "day"
	case "w", "week", "weeks":
		return "week"
	case "mon", "mons", "month", "months":
		return "month"
	case "qtr", "quarter":
		return "quarter"
	case "y", "yr", "yrs", "year", "years":
		return "year"
	case "dec", "decs", "decade", "decades":
		return "decade"
	case "c", "cent", "century", "centuries":
		return "century"
	case "mil", "mils", "millennia", "millennium":
		return "millennium"
	case "timezone", "timezone_h", "timezone_m", "epoch", "dow", "doy", "isodow", "isoyear", "julian":
		switch k {
		case "timezone_h":
			return "timezone_hour"
		case "timezone_m":
			return "timezone_minute"
		}
		return k
	case "j", "jd":
		return "julian"
	}
	return ""
}

func unitNotRecognized(u string, typ types.Type) error {
	return pgerr.New(pgerr.InvalidParameterValue, "unit \"%s\" not recognized for type %s", strings.ToLower(u), typeName(typ.OID))
}

func unitNotSupported(u string, typ types.Type) *pgerr.Error {
	return pgerr.New(pgerr.FeatureNotSupported, "unit \"%s\" not supported for type %s", strings.ToLower(u), typeName(typ.OID))
}

// truncTimestamp truncates a timestamp (loc nil) or a timestamptz (in loc).
func truncTimestamp(u string, us int64, loc *time.Location) (int64, error) {
	typ := tsT
	if loc != nil {
		typ = tstzT
	}
	un := unit(u)
	switch un {
	case "microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter", "year", "decade", "century", "millennium":
	case "timezone", "timezone_hour", "timezone_minute":
		return 0, unitNotSupported(u, typ)
	default: // unknown, or not a DecodeUnits unit (epoch, dow, doy, …)
		return 0, unitNotRecognized(u, typ)
	}
	if isInfTS(us) {
		return us, nil
	}
	wall := us
	if loc != nil {
		wall = wallUS(tstzTime(us, loc))
	}
	var r int64
	small := map[string]int64{"microseconds": 1, "milliseconds": 1000, "second": usPerSec, "minute": usPerMin, "hour": usPerHour}
	if s, ok := small[un]; ok {
		// Sub-day units keep the original zone offset.
		return us - (wall - floorDiv64(wall, s)*s), nil
	}
	tm := tsTime(wall)
	y, m, d := tm.Date()
	switch un {
	case "day":
	case "week":
		wd := (int(tm.Weekday()) + 6) % 7 // Monday = 0
		d -= wd
	case "month":
		d = 1
	case "quarter":
		m = time.Month(3*((int(m)-1)/3) + 1)
		d = 1
	case "year":
		m, d = 1, 1
	case "decade":
		if y > 0 {
			y = (y / 10) * 10
		} else {
			y = -((8 - (y - 1)) / 10) * 10
		}
		m, d = 1, 1
	case "century":
		if y > 0 {
			y = ((y+99)/100)*100 - 99
		} else {
			y = -((99-(y-1))/100)*100 + 1
		}
		m, d = 1, 1
	case "millennium":
		if y > 0 {
			y = ((y+999)/1000)*1000 - 999
		} else {
			y = -((999-(y-1))/1000)*1000 + 1
		}
		m, d = 1, 1
	}
	r = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).UnixMicro()
	if loc != nil {
		r = localToUTC(r, loc)
	}
	if err := checkTSRange(r); err != nil {
		return 0, err
	}
	return r, nil
}

// ivFields splits an interval as PostgreSQL's interval2tm.
type ivFields struct {
	year, mon, mday, hour, min, sec, fsec int64
}

func splitInterval(v types.Value) ivFields {
	var f ivFields
	months := int64(v.Months())
	f.year, f.mon = months/12, months%12
	f.mday = int64(v.Days())
	t := v.I
	f.hour = t / usPerHour
	t -= f.hour * usPerHour
	f.min = t / usPerMin
	t -= f.min * usPerMin
	f.sec = t / usPerSec
	f.fsec = t - f.sec*usPerSec
	return f
}

func truncInterval(u string, v types.Value) (types.Value, error) {
	un := unit(u)
	f := splitInterval(v)
	switch un {
	case "millennium":
		f = ivFields{year: (f.year / 1000) * 1000}
	case "century":
		f = ivFields{year: (f.year / 100) * 100}
	case "decade":
		f = ivFields{year: (f.year / 10) * 10}
	case "year":
		f = ivFields{year: f.year}
	case "quarter":
		f = ivFields{year: f.year, mon: 3 * (f.mon / 3)}
	case "month":
		f = ivFields{year: f.year, mon: f.mon}
	case "day":
		f = ivFields{year: f.year, mon: f.mon, mday: f.mday}
	case "hour":
		f.min, f.sec, f.fsec = 0, 0, 0
	case "minute":
		f.sec, f.fsec = 0, 0
	case "second":
		f.fsec = 0
	case "milliseconds":
		f.fsec = (f.fsec / 1000) * 1000
	case "microseconds":
	case "week":
		return types.Null, unitNotSupported(u, ivT).WithDetail("Months usually have fractional weeks.")
	case "timezone", "timezone_hour", "timezone_minute":
		return types.Null, unitNotSupported(u, ivT)
	default:
		return types.Null, unitNotRecognized(u, ivT)
	}
	us := ((f.hour*60+f.min)*60+f.sec)*usPerSec + f.fsec
	return types.NewInterval(int32(f.year*12+f.mon), int32(f.mday), us), nil
}

// numScaled returns i / 10^scale as a numeric with that display scale.
func numScaled(i int64, scale int32) types.Value {
	return types.NewNumeric(apd.New(i, -scale))
}

func partResult(asNum bool, i int64) (types.Value, error) {
	if asNum {
		return types.NewNumeric(decInt(i)), nil
	}
	return flt(float64(i))
}

func infPart(un string, neg bool, asNum bool) (types.Value, error) {
	switch un {
	case "epoch", "year", "decade", "century", "millennium", "julian", "isoyear":
		if asNum {
			return types.NewNumeric(&apd.Decimal{Form: apd.Infinite, Negative: neg}), nil
		}
		return flt(math.Inf(map[bool]int{true: -1, false: 1}[neg]))
	}
	return types.Null, nil
}

// dateParts returns the date-derived fields of the wall clock tm.
func datePart(un string, tm time.Time) (int64, bool) {
	y := int64(tm.Year())
	switch un {
	case "day":
		return int64(tm.Day()), true
	case "month":
		return int64(tm.Month()), true
	case "quarter":
		return (int64(tm.Month())-1)/3 + 1, true
	case "week":
		_, w := tm.ISOWeek()
		return int64(w), true
	case "year":
		if y > 0 {
			return y, true
		}
		return y - 1, true
	case "decade":
		if y >= 0 {
			return y / 10, true
		}
		return -((8 - (y - 1)) / 10), true
	case "century":
		if y > 0 {
			return (y + 99) / 100, true
		}
		return -((99 - (y - 1)) / 100), true
	case "millennium":
		if y > 0 {
			return (y + 999) / 1000, true
		}
		return -((999 - (y - 1)) / 1000), true
	case "dow":
		return int64(tm.Weekday()), true
	case "isodow":
		d := int64(tm.Weekday())
		if d == 0 {
			d = 7
		}
		return d, true
	case "doy":
		return int64(tm.YearDay()), true
	case "isoyear":
		iy, _ := tm.ISOWeek()
		if iy <= 0 {
			return int64(iy) - 1, true
		}
		return int64(iy), true
	}
	return 0, false
}

// julianDay is the Julian day number of tm's date.
func julianDay(tm time.Time) int64 {
	days := floorDiv64(time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC).Unix(), 86400)
	return days + 2440588
}

func extractTimestamp(u string, us int64, loc *time.Location, asNum bool, typ types.Type) (types.Value, error) {
	un := unit(u)
	if un == "" {
		return types.Null, unitNotRecognized(u, typ)
	}
	if loc == nil && strings.HasPrefix(un, "timezone") {
		return types.Null, unitNotSupported(u, typ)
	}
	if isInfTS(us) {
		return infPart(un, us == math.MinInt64, asNum)
	}
	var tm time.Time
	if loc != nil {
		tm = tstzTime(us, loc)
	} else {
		tm = tsTime(us)
	}
	secUS := int64(tm.Second())*usPerSec + int64(tm.Nanosecond()/1000)
	switch un {
	case "microseconds":
		return partResult(asNum, secUS)
	case "milliseconds":
		if asNum {
			return numScaled(secUS, 3), nil
		}
		return flt(float64(tm.Second())*1000 + float64(tm.Nanosecond()/1000)/1000.0)
	case "second":
		if asNum {
			return numScaled(secUS, 6), nil
		}
		return flt(float64(tm.Second()) + float64(tm.Nanosecond()/1000)/1000000.0)
	case "minute":
		return partResult(asNum, int64(tm.Minute()))
	case "hour":
		return partResult(asNum, int64(tm.Hour()))
	case "epoch":
		if asNum {
			return numScaled(us, 6), nil
		}
		// PostgreSQL computes (ts - 2000-01-01) / 1e6 + epoch offset.
		return flt(float64(us-pgEpochUnix*usPerSec)/1000000.0 + float64(pgEpochUnix))
	case "julian":
		jd := julianDay(tm)
		dayUS := int64(((tm.Hour()*60+tm.Minute())*60+tm.Second()))*usPerSec + int64(tm.Nanosecond()/1000)
		if asNum {
			a := decInt(dayUS)
			b := decInt(usPerDay)
			q, err := numDiv(a, b, divScale(a, b))
			if err != nil {
				return types.Null, err
			}
			r := newDec()
			_, _ = exact.Add(r, decInt(jd), q)
			return types.NewNumeric(r), nil
		}
		return flt(float64(jd) + (float64((tm.Hour()*60+tm.Minute())*60+tm.Second())+float64(tm.Nanosecond()/1000)/1000000.0)/86400)
	case "timezone", "timezone_hour", "timezone_minute":
		_, off := tm.Zone()
		switch un {
		case "timezone_hour":
			off /= 3600
		case "timezone_minute":
			off = (off / 60) % 60
		}
		return partResult(asNum, int64(off))
	}
	if v, ok := datePart(un, tm); ok {
		return partResult(asNum, v)
	}
	return types.Null, unitNotSupported(u, typ)
}

func extractDate(u string, days int64, asNum bool) (types.Value, error) {
	un := unit(u)
	if un == "" {
		return types.Null, unitNotRecognized(u, dateT)
	}
	if !asNum {
		// date_part(text, date) is date_part(text, date::timestamp).
		if isInfTS(days) {
			return extractTimestamp(u, days, nil, false, tsT)
		}
		return extractTimestamp(u, days*usPerDay, nil, false, tsT)
	}
	if isInfTS(days) {
		switch un {
		case "microseconds", "milliseconds", "second", "minute", "hour", "timezone", "timezone_hour", "timezone_minute":
			return types.Null, unitNotSupported(u, dateT)
		}
		return infPart(un, days == math.MinInt64, true)
	}
	tm := tsTime(days * usPerDay)
	switch un {
	case "epoch":
		return types.NewNumeric(decInt(days * 86400)), nil
	case "julian":
		return types.NewNumeric(decInt(julianDay(tm))), nil
	}
	if v, ok := datePart(un, tm); ok {
		return partResult(true, v)
	}
	return types.Null, unitNotSupported(u, dateT)
}

// DatePartOfDays returns, for a unit extract(unit FROM date) and
// date_part(unit, date) answer with an integer, the function from a finite
// date (days since 1970-01-01) to that integer — what extractDate computes
// one value at a time — for the column executor's loops; ok is false for
// other units (fractional, time-of-day or unknown ones), which keep the
// row path. Infinite dates are the caller's to keep off it.
func DatePartOfDays(u string) (part func(days int64) int64, ok bool) {
	un := unit(u)
	switch un {
	case "epoch":
		return func(days int64) int64 { return days * 86400 }, true
	case "julian":
		return func(days int64) int64 { return julianDay(tsTime(days * usPerDay)) }, true
	case "day", "month", "quarter", "week", "year", "decade", "century", "millennium", "dow", "isodow", "doy", "isoyear":
		if _, ok := datePart(un, tsTime(0)); !ok {
			return nil, false
		}
		return func(days int64) int64 {
			v, _ := datePart(un, tsTime(days*usPerDay))
			return v
		}, true
	}
	return nil, false
}

func extractInterval(u string, v types.Value, asNum bool) (types.Value, error) {
	un := unit(u)
	if un == "" {
		return types.Null, unitNotRecognized(u, ivT)
	}
	f := splitInterval(v)
	secUS := f.sec*usPerSec + f.fsec
	switch un {
	case "microseconds":
		return partResult(asNum, secUS)
	case "milliseconds":
		if asNum {
			return numScaled(secUS, 3), nil
		}
		return flt(float64(f.sec)*1000 + float64(f.fsec)/1000.0)
	case "second":
		if asNum {
			return numScaled(secUS, 6), nil
		}
		return flt(float64(f.sec) + float64(f.fsec)/1000000.0)
	case "minute":
		return partResult(asNum, f.min)
	case "hour":
		return partResult(asNum, f.hour)
	case "day":
		return partResult(asNum, f.mday)
	case "month":
		return partResult(asNum, f.mon)
	case "quarter":
		return partResult(asNum, f.mon/3+1)
	case "year":
		return partResult(asNum, f.year)
	case "decade":
		return partResult(asNum, f.year/10)
	case "century":
		return partResult(asNum, f.year/100)
	case "millennium":
		return partResult(asNum, f.year/1000)
	case "epoch":
		m := int64(v.Months())
		if asNum {
			secs := (1461*(m/12) + 120*(m%12) + 4*int64(v.Days())) * (86400 / 4)
			us := v.I + secs*usPerSec
			return numScaled(us, 6), nil
		}
		r := float64(v.I) / 1000000.0
		r += (365.25 * 86400) * float64(m/12)
		r += (30.0 * 86400) * float64(m%12)
		r += 86400.0 * float64(v.Days())
		return flt(r)
	}
	return types.Null, unitNotSupported(u, ivT)
}

func makeDate(y, m, d int) (int64, error) {
	bad := func() error {
		return pgerr.New(pgerr.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	if y == 0 || m < 1 || m > 12 || d < 1 {
		return 0, bad()
	}
	yy := y
	if y < 0 {
		yy = y + 1 // 1 BC is year 0
	}
	tm := time.Date(yy, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if tm.Day() != d {
		return 0, bad()
	}
	days := floorDiv64(tm.Unix(), 86400)
	// PostgreSQL's date range: 4714-11-24 BC .. 5874897-12-31.
	if days < -2440588 || days > 2145031948 {
		return 0, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range: \"%d-%02d-%02d\"", y, m, d)
	}
	return days, nil
}

func makeTimestamp(a []types.Value) (int64, error) {
	y, m, d := int4Arg(a[0]), int4Arg(a[1]), int4Arg(a[2])
	h, mi := int4Arg(a[3]), int4Arg(a[4])
	sec := a[5].Float()
	days, err := makeDate(y, m, d)
	if err != nil {
		return 0, err
	}
	secUS := int64(math.RoundToEven(sec * 1e6))
	if h < 0 || h > 24 || mi < 0 || mi >= 60 || math.IsNaN(sec) || secUS < 0 || secUS > 60*usPerSec ||
		(int64(h)*60+int64(mi))*usPerMin+secUS > usPerDay {
		return 0, pgerr.New(pgerr.DatetimeFieldOverflow, "time field value out of range: %d:%02d:%s", h, mi, fmtSec(sec))
	}
	us := days*usPerDay + int64(h)*usPerHour + int64(mi)*usPerMin + secUS
	if err := checkTSRange(us); err != nil {
		return 0, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range: %d-%02d-%02d %d:%02d:%s", y, m, d, h, mi, fmtSec(sec))
	}
	return us, nil
}

// fmtSec formats seconds as C's %02g.
func fmtSec(s float64) string {
	r := formatFloatG(s)
	if len(r) < 2 {
		r = "0" + r
	}
	return r
}

func makeInterval(_ *Context, a []types.Value) (types.Value, error) {
	get := func(i int) int64 {
		if i < len(a) {
			return int64(int32(a[i].I))
		}
		return 0
	}
	secs := 0.0
	if len(a) > 6 {
		secs = a[6].Float()
	}
	if math.IsNaN(secs) || math.IsInf(secs, 0) {
		return types.Null, pgerr.New(pgerr.DatetimeFieldOverflow, "interval out of range")
	}
	months := get(0)*12 + get(1)
	days := get(2)*7 + get(3)
	us := int64(math.RoundToEven(secs*1e6)) + get(4)*usPerHour + get(5)*usPerMin
	if months > math.MaxInt32 || months < math.MinInt32 || days > math.MaxInt32 || days < math.MinInt32 {
		return types.Null, pgerr.New(pgerr.DatetimeFieldOverflow, "interval out of range")
	}
	return types.NewInterval(int32(months), int32(days), us), nil
}

// age is PostgreSQL's timestamp_age: a field-wise difference with borrows,
// in the days of the month the borrow comes from.
func age(us1, us2 int64, loc *time.Location) (types.Value, error) {
	if isInfTS(us1) || isInfTS(us2) {
		return types.Null, pgerr.New(pgerr.DatetimeFieldOverflow, "cannot subtract infinite timestamps")
	}
	t1, t2 := time.UnixMicro(us1).In(loc), time.UnixMicro(us2).In(loc)
	type tmf struct{ y, mon, d, h, mi, s, fs int64 }
	get := func(tm time.Time) tmf {
		return tmf{int64(tm.Year()), int64(tm.Month()), int64(tm.Day()), int64(tm.Hour()), int64(tm.Minute()), int64(tm.Second()), int64(tm.Nanosecond() / 1000)}
	}
	a, b := get(t1), get(t2)
	r := tmf{a.y - b.y, a.mon - b.mon, a.d - b.d, a.h - b.h, a.mi - b.mi, a.s - b.s, a.fs - b.fs}
	neg := us1 < us2
	flip := func() {
		r = tmf{-r.y, -r.mon, -r.d, -r.h, -r.mi, -r.s, -r.fs}
	}
	if neg {
		flip()
	}
	for r.fs < 0 {
		r.fs += usPerSec
		r.s--
	}
	for r.s < 0 {
		r.s += 60
		r.mi--
	}
	for r.mi < 0 {
		r.mi += 60
		r.h--
	}
	for r.h < 0 {
		r.h += 24
		r.d--
	}
	for r.d < 0 {
		src := b
		if neg {
			src = a
		}
		r.d += int64(daysIn(int(src.y), int(src.mon)))
		r.mon--
	}
	for r.mon < 0 {
		r.mon += 12
		r.y--
	}
	if neg {
		flip()
	}
	months := r.y*12 + r.mon
	if months > math.MaxInt32 || months < math.MinInt32 {
		return types.Null, pgerr.New(pgerr.DatetimeFieldOverflow, "interval out of range")
	}
	us := ((r.h*60+r.mi)*60+r.s)*usPerSec + r.fs
	return types.NewInterval(int32(months), int32(r.d), us), nil
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func ivOverflow() error { return pgerr.New(pgerr.DatetimeFieldOverflow, "interval out of range") }

func addI32(a, b int64) (int64, error) {
	r := a + b
	if r > math.MaxInt32 || r < math.MinInt32 {
		return 0, ivOverflow()
	}
	return r, nil
}

func justifyDays(v types.Value) (types.Value, error) {
	m, d, us := int64(v.Months()), int64(v.Days()), v.I
	whole := d / 30
	d -= whole * 30
	m, err := addI32(m, whole)
	if err != nil {
		return types.Null, err
	}
	if m > 0 && d < 0 {
		d += 30
		m--
	} else if m < 0 && d > 0 {
		d -= 30
		m++
	}
	return types.NewInterval(int32(m), int32(d), us), nil
}

func justifyHours(v types.Value) (types.Value, error) {
	m, d, us := int64(v.Months()), int64(v.Days()), v.I
	whole := us / usPerDay
	us -= whole * usPerDay
	d, err := addI32(d, whole)
	if err != nil {
		return types.Null, err
	}
	if d > 0 && us < 0 {
		us += usPerDay
		d--
	} else if d < 0 && us > 0 {
		us -= usPerDay
		d++
	}
	return types.NewInterval(int32(m), int32(d), us), nil
}

func justifyInterval(v types.Value) (types.Value, error) {
	m, d, us := int64(v.Months()), int64(v.Days()), v.I
	var err error
	if (d > 0 && us > 0) || (d < 0 && us < 0) {
		whole := d / 30
		d -= whole * 30
		if m, err = addI32(m, whole); err != nil {
			return types.Null, err
		}
	}
	whole := us / usPerDay
	us -= whole * usPerDay
	if d, err = addI32(d, whole); err != nil {
		return types.Null, err
	}
	wm := d / 30
	d -= wm * 30
	if m, err = addI32(m, wm); err != nil {
		return types.Null, err
	}
	if m > 0 && (d < 0 || (d == 0 && us < 0)) {
		d += 30
		m--
	} else if m < 0 && (d > 0 || (d == 0 && us > 0)) {
		d -= 30
		m++
	}
	if d > 0 && us < 0 {
		us += usPerDay
		d--
	} else if d < 0 && us > 0 {
		us -= usPerDay
		d++
	}
	return types.NewInterval(int32(m), int32(d), us), nil
}
