package funcs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/omendb/omendb/types"
)

// Date/time template patterns of to_char, to_date and to_timestamp
// (PostgreSQL's formatting.c "DCH" keywords).

type dchNode struct {
	key    string // keyword; "" for literal text
	lit    string
	fm     bool // FM prefix: no padding
	th     int  // 1: TH suffix (upper), 2: th (lower)
	fx, tm bool
}

var dchKeywords = func() []string {
	k := strings.Fields(`A.D. A.M. AD AM B.C. BC CC DAY DDD DD DY Day Dy D FF1 FF2 FF3 FF4 FF5 FF6 FX
		HH24 HH12 HH IDDD ID IW IYYY IYY IY I J MI MM MONTH MON MS Month Mon OF P.M. PM Q RM SSSSS SSSS SS
		TZH TZM TZ US WW W Y,YYY YYYY YYY YY Y a.d. a.m. ad am b.c. bc cc day ddd dd dy d ff1 ff2 ff3 ff4
		ff5 ff6 fx hh24 hh12 hh iddd id iw iyyy iyy iy i j mi mm month mon ms of p.m. pm q rm sssss ssss
		ss tzh tzm tz us ww w y,yyy yyyy yyy yy y`)
	sort.SliceStable(k, func(i, j int) bool { return len(k[i]) > len(k[j]) })
	return k
}()

func parseDCH(f string) []dchNode {
	var out []dchNode
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, dchNode{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(f); {
		var n dchNode
		j := i
		for {
			switch {
			case strings.HasPrefix(f[j:], "FM") || strings.HasPrefix(f[j:], "fm"):
				n.fm = true
				j += 2
				continue
			case strings.HasPrefix(f[j:], "TM") || strings.HasPrefix(f[j:], "tm"):
				n.tm = true
				j += 2
				continue
			}
			break
		}
		key := ""
		for _, k := range dchKeywords {
			if strings.HasPrefix(f[j:], k) {
				key = k
				break
			}
		}
		if key != "" {
			flush()
			n.key = key
			j += len(key)
			switch {
			case strings.HasPrefix(f[j:], "TH"):
				n.th = 1
				j += 2
			case strings.HasPrefix(f[j:], "th"):
				n.th = 2
				j += 2
			}
			if strings.HasPrefix(f[j:], "SP") || strings.HasPrefix(f[j:], "sp") {
				j += 2
			}
			out = append(out, n)
			i = j
			continue
		}
		// Not a keyword: literal text (prefixes without a keyword are text).
		c := f[i]
		switch {
		case c == '"':
			i++
			for i < len(f) && f[i] != '"' {
				if f[i] == '\\' && i+1 < len(f) {
					i++
				}
				lit.WriteByte(f[i])
				i++
			}
			i++
		case c == '\\' && i+1 < len(f) && f[i+1] == '"':
			lit.WriteByte('"')
			i += 2
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return out
}

// dtFields are the broken-down fields to_char prints.
type dtFields struct {
	year, mon, mday, hour, min, sec int64
	us                              int64
	wday                            int64 // 0 = Sunday
	yday                            int64
	gmtoff                          int64
	tzn                             string
	isoYear, isoWeek                int64
	julian                          int64
	interval                        bool
}

func fieldsOf(tm time.Time, hasTZ bool) dtFields {
	y, w := tm.ISOWeek()
	f := dtFields{
		year: int64(tm.Year()), mon: int64(tm.Month()), mday: int64(tm.Day()),
		hour: int64(tm.Hour()), min: int64(tm.Minute()), sec: int64(tm.Second()),
		us: int64(tm.Nanosecond() / 1000), wday: int64(tm.Weekday()), yday: int64(tm.YearDay()),
		isoYear: int64(y), isoWeek: int64(w), julian: julianDay(tm),
	}
	if hasTZ {
		name, off := tm.Zone()
		f.gmtoff = int64(off)
		f.tzn = name
		if len(name) > 0 && (name[0] == '+' || name[0] == '-') {
			f.tzn = name
		}
	}
	return f
}

var (
	monthsFull = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	daysFull   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	rmMonths   = []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}
)

func numTH(s string, upper bool) string {
	if s == "" {
		return s
	}
	last := s[len(s)-1]
	suf := "th"
	if last >= '0' && last <= '9' {
		tens := len(s) >= 2 && s[len(s)-2] == '1'
		if !tens {
			switch last {
			case '1':
				suf = "st"
			case '2':
				suf = "nd"
			case '3':
				suf = "rd"
			}
		}
	}
	if upper {
		suf = strings.ToUpper(suf)
	}
	return s + suf
}

func padInt(v int64, width int, fm bool) string {
	if fm {
		width = 0
	} else if v < 0 {
		width++
	}
	return fmt.Sprintf("%0*d", width, v)
}

func padStr(s string, fm bool) string {
	if fm {
		return s
	}
	return fmt.Sprintf("%-9s", s)
}

func caseLike(key, s string) string {
	switch {
	case key == strings.ToUpper(key):
		return strings.ToUpper(s)
	case key == strings.ToLower(key):
		return strings.ToLower(s)
	}
	return s
}

// toChar formats broken-down time fields with a template.
func toChar(f dtFields, format string) string {
	var b strings.Builder
	adjYear := func(y int64) int64 {
		if !f.interval && y <= 0 {
			return -(y - 1)
		}
		return y
	}
	for _, n := range parseDCH(format) {
		if n.key == "" {
			b.WriteString(n.lit)
			continue
		}
		var s string
		numeric := true
		k := strings.ToUpper(n.key)
		switch k {
		case "A.D.", "B.C.", "AD", "BC":
			numeric = false
			era := "AD"
			if f.year <= 0 {
				era = "BC"
			}
			if strings.Contains(k, ".") {
				era = era[:1] + "." + era[1:] + "."
			}
			s = caseLike(n.key, era)
		case "A.M.", "P.M.", "AM", "PM":
			numeric = false
			m := "AM"
			if f.hour%24 >= 12 {
				m = "PM"
			}
			if strings.Contains(k, ".") {
				m = m[:1] + "." + m[1:] + "."
			}
			s = caseLike(n.key, m)
		case "HH", "HH12":
			h := f.hour % 12
			if h == 0 {
				h = 12
			}
			s = padInt(h, 2, n.fm)
		case "HH24":
			s = padInt(f.hour, 2, n.fm)
		case "MI":
			s = padInt(f.min, 2, n.fm)
		case "SS":
			s = padInt(f.sec, 2, n.fm)
		case "MS":
			s = fmt.Sprintf("%03d", f.us/1000)
		case "US":
			s = fmt.Sprintf("%06d", f.us)
		case "FF1", "FF2", "FF3", "FF4", "FF5", "FF6":
			d := int(k[2] - '0')
			div := int64(1)
			for i := d; i < 6; i++ {
				div *= 10
			}
			s = fmt.Sprintf("%0*d", d, f.us/div)
		case "SSSS", "SSSSS":
			s = strconv.FormatInt(f.hour*3600+f.min*60+f.sec, 10)
		case "TZ":
			numeric = false
			if n.key == "tz" {
				s = strings.ToLower(f.tzn)
			} else {
				s = strings.ToUpper(f.tzn)
			}
		case "TZH":
			sign := byte('+')
			if f.gmtoff < 0 {
				sign = '-'
			}
			s = fmt.Sprintf("%c%02d", sign, abs64(f.gmtoff)/3600)
		case "TZM":
			s = fmt.Sprintf("%02d", (abs64(f.gmtoff)%3600)/60)
		case "OF":
			sign := byte('+')
			if f.gmtoff < 0 {
				sign = '-'
			}
			w := 2
			if n.fm {
				w = 0
			}
			s = fmt.Sprintf("%c%0*d", sign, w, abs64(f.gmtoff)/3600)
			if abs64(f.gmtoff)%3600 != 0 {
				s += fmt.Sprintf(":%02d", (abs64(f.gmtoff)%3600)/60)
			}
		case "Y,YYY":
			y := adjYear(f.year)
			s = fmt.Sprintf("%d,%03d", y/1000, y%1000)
		case "YYYY", "IYYY":
			y := f.year
			if k == "IYYY" {
				y = f.isoYear
			}
			y = adjYear(y)
			if y <= 9999 && y >= -9998 {
				s = padInt(y, 4, n.fm)
			} else {
				s = strconv.FormatInt(y, 10)
			}
		case "YYY", "YY", "Y", "IYY", "IY", "I":
			y := f.year
			if k[0] == 'I' {
				y = f.isoYear
			}
			w := strings.Count(k, "Y") + strings.Count(k, "I")
			y = adjYear(y)
			full := padInt(y, w, n.fm)
			if len(full) > w {
				full = full[len(full)-w:]
			}
			s = full
		case "CC":
			var c int64
			if f.interval {
				c = f.year / 100
			} else if f.year > 0 {
				c = (f.year-1)/100 + 1
			} else {
				c = f.year/100 - 1
			}
			if c <= 99 && c >= -99 {
				s = padInt(c, 2, n.fm)
			} else {
				s = strconv.FormatInt(c, 10)
			}
		case "MONTH", "MON":
			numeric = false
			if f.mon == 0 {
				continue
			}
			name := monthsFull[f.mon-1]
			if k == "MON" {
				name = name[:3]
				s = caseLike(n.key, name)
			} else {
				s = padStr(caseLike(n.key, name), n.fm)
			}
		case "MM":
			s = padInt(f.mon, 2, n.fm)
		case "DAY", "DY":
			numeric = false
			name := daysFull[f.wday]
			if k == "DY" {
				s = caseLike(n.key, name[:3])
			} else {
				s = padStr(caseLike(n.key, name), n.fm)
			}
		case "DDD":
			s = padInt(f.yday, 3, n.fm)
		case "IDDD":
			s = padInt((f.isoWeek-1)*7+isoDow(f.wday), 3, n.fm)
		case "DD":
			s = padInt(f.mday, 2, n.fm)
		case "D":
			s = strconv.FormatInt(f.wday+1, 10)
		case "ID":
			s = strconv.FormatInt(isoDow(f.wday), 10)
		case "WW":
			s = padInt((f.yday-1)/7+1, 2, n.fm)
		case "IW":
			s = padInt(f.isoWeek, 2, n.fm)
		case "Q":
			if f.mon == 0 {
				continue
			}
			s = strconv.FormatInt((f.mon-1)/3+1, 10)
		case "W":
			s = strconv.FormatInt((f.mday-1)/7+1, 10)
		case "J":
			s = strconv.FormatInt(f.julian, 10)
		case "RM":
			numeric = false
			if f.mon == 0 {
				continue
			}
			s = rmMonths[f.mon-1]
			if n.key == "rm" {
				s = strings.ToLower(s)
			}
			if !n.fm {
				s = fmt.Sprintf("%-4s", s)
			}
		case "FX":
			continue
		}
		if n.th != 0 && numeric {
			s = numTH(s, n.th == 1)
		}
		b.WriteString(s)
	}
	return b.String()
}

func isoDow(wday int64) int64 {
	if wday == 0 {
		return 7
	}
	return wday
}

func abs64(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

func intervalFields(v types.Value) dtFields {
	iv := splitInterval(v)
	return dtFields{
		year: iv.year, mon: iv.mon, mday: iv.mday, hour: iv.hour, min: iv.min, sec: iv.sec, us: iv.fsec,
		yday: (iv.year*12+iv.mon)*30 + iv.mday, interval: true,
	}
}

func init() {
	imm("to_char", t(tsT, text), text, func(_ *Context, a []types.Value) (types.Value, error) {
		if isInfTS(a[0].I) || a[1].S == "" {
			return types.Null, nil
		}
		return txt(toChar(fieldsOf(tsTime(a[0].I), false), a[1].S))
	})
	stable("to_char", t(tstzT, text), text, func(ctx *Context, a []types.Value) (types.Value, error) {
		if isInfTS(a[0].I) || a[1].S == "" {
			return types.Null, nil
		}
		return txt(toChar(fieldsOf(tstzTime(a[0].I, ctx.loc()), true), a[1].S))
	})
	imm("to_char", t(ivT, text), text, func(_ *Context, a []types.Value) (types.Value, error) {
		if a[1].S == "" {
			return types.Null, nil
		}
		return txt(toChar(intervalFields(a[0]), a[1].S))
	})
}
