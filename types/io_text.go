package types

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/omendb/omendb/pgerr"
)

const hexDigits = "0123456789abcdef"

// canonicalNaN is the NaN PostgreSQL produces and sends (0x7ff8000000000000).
var canonicalNaN = math.Float64frombits(0x7ff8000000000000)

// ParseText is the type's text input function (PostgreSQL's int4in,
// numeric_in, timestamptz_in, …) including the typmod coercion of t
// (varchar(n) length check, char(n) padding, numeric(p,s) rounding).
// loc is the session TimeZone (nil = UTC).
func ParseText(t Type, s string, loc *time.Location) (Value, error) {
	if t.Enum != nil {
		if t.OID == t.Enum.OID {
			return parseEnumText(t, s)
		}
		return parseArrayText(t, s, loc)
	}
	if t.OID >= firstUserOID {
		return Null, unloadedType(t.OID)
	}
	switch t.OID {
	case OIDBool:
		return parseBool(s)
	case OIDInt2:
		return parseInt(s, 16, "smallint")
	case OIDInt4:
		return parseInt(s, 32, "integer")
	case OIDInt8:
		return parseInt(s, 64, "bigint")
	case OIDOID, OIDRegclass, OIDRegtype, OIDRegproc, OIDRegprocedure, OIDRegnamespace:
		return parseOID(s, t)
	case OIDFloat4:
		return parseFloat(s, 32)
	case OIDFloat8:
		return parseFloat(s, 64)
	case OIDNumeric:
		d, err := ParseNumeric(s)
		if err != nil {
			return Null, err
		}
		d, err = applyNumericTypmod(d, t.Mod)
		if err != nil {
			return Null, err
		}
		return NewNumeric(d), nil
	case OIDText, OIDUnknown:
		if err := checkText(s); err != nil {
			return Null, err
		}
		return NewText(s), nil
	case OIDVarchar, OIDBPChar:
		if err := checkText(s); err != nil {
			return Null, err
		}
		r, err := coerceChar(s, t, false)
		if err != nil {
			return Null, err
		}
		return NewText(r), nil
	case OIDName:
		if err := checkText(s); err != nil {
			return Null, err
		}
		return NewText(truncName(s)), nil
	case OIDChar:
		if s == "" {
			return NewText(""), nil
		}
		return NewText(s[:1]), nil
	case OIDBytea:
		return parseBytea(s)
	case OIDUUID:
		return parseUUID(s)
	case OIDInet, OIDCIDR:
		return ParseInet(s, t.OID == OIDCIDR)
	case OIDJSON:
		if err := validateJSON(s); err != nil {
			return Null, err
		}
		return NewJSON(s), nil
	case OIDJSONPath:
		return ParseJSONPathText(s)
	case OIDJSONB:
		out, err := normalizeJSONB(s)
		if err != nil {
			return Null, err
		}
		return NewJSON(out), nil
	case OIDDate:
		return parseDate(s, loc)
	case OIDTimestamp:
		return parseTimestamp(s, false, t.Mod, loc)
	case OIDTimestampTZ:
		return parseTimestamp(s, true, t.Mod, loc)
	case OIDInterval:
		return parseInterval(s, t.Mod)
	case OIDTime:
		return parseTime(s, t.Mod)
	}
	if IsArray(t.OID) {
		return parseArrayText(t, s, loc)
	}
	if err := checkText(s); err != nil {
		return Null, err
	}
	return NewText(s), nil
}

// AppendText appends the type's text output (PostgreSQL's output function). A
// NULL appends nothing.
func AppendText(buf []byte, v Value, t Type, loc *time.Location) []byte {
	switch v.K {
	case KindNull:
		return buf
	case KindBool:
		if v.I != 0 {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case KindInt:
		switch t.OID {
		case OIDRegtype:
			if v.S != "" {
				return append(buf, v.S...) // a user-defined type's name (reg.go)
			}
			return appendRegtype(buf, OID(uint32(v.I)))
		case OIDRegclass, OIDRegproc, OIDRegprocedure, OIDRegnamespace:
			if v.I == 0 {
				return append(buf, '-') // InvalidOid
			}
			if v.S != "" {
				return append(buf, v.S...) // the name (reg.go)
			}
			return strconv.AppendUint(buf, uint64(uint32(v.I)), 10)
		case OIDOID, OIDXid:
			return strconv.AppendUint(buf, uint64(uint32(v.I)), 10)
		case OIDXid8:
			return strconv.AppendUint(buf, uint64(v.I), 10)
		}
		return strconv.AppendInt(buf, v.I, 10)
	case KindFloat:
		if t.OID == OIDFloat4 {
			return AppendFloat(buf, v.Float(), 32)
		}
		return AppendFloat(buf, v.Float(), 64)
	case KindNumeric:
		return appendNumeric(buf, v.N)
	case KindText:
		if IsEnum(t) {
			return append(buf, t.Enum.LabelOf(v)...)
		}
		return append(buf, v.S...)
	case KindBytes:
		buf = append(buf, '\\', 'x')
		for i := 0; i < len(v.S); i++ {
			buf = append(buf, hexDigits[v.S[i]>>4], hexDigits[v.S[i]&15])
		}
		return buf
	case KindUUID:
		return appendUUID(buf, v.S)
	case KindInet:
		return AppendInet(buf, v, t.OID == OIDCIDR)
	case KindJSON:
		return append(buf, v.S...)
	case KindDate:
		return appendDate(buf, v.I)
	case KindTimestamp:
		return appendTimestamp(buf, v.I, false, loc)
	case KindTimestampTZ:
		return appendTimestamp(buf, v.I, true, loc)
	case KindInterval:
		return appendInterval(buf, v.Months(), v.Days(), v.I)
	case KindArray:
		return appendArrayText(buf, v, t, loc)
	}
	return buf
}

// TextString is AppendText into a new string.
func TextString(v Value, t Type, loc *time.Location) string {
	return string(AppendText(nil, v, t, loc))
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func parseBool(s string) (Value, error) {
	t := strings.ToLower(trimSpace(s))
	if t != "" {
		switch t[0] {
		case 't':
			if strings.HasPrefix("true", t) {
				return NewBool(true), nil
			}
		case 'f':
			if strings.HasPrefix("false", t) {
				return NewBool(false), nil
			}
		case 'y':
			if strings.HasPrefix("yes", t) {
				return NewBool(true), nil
			}
		case 'n':
			if strings.HasPrefix("no", t) {
				return NewBool(false), nil
			}
		case 'o':
			if len(t) >= 2 && strings.HasPrefix("on", t) {
				return NewBool(true), nil
			}
			if len(t) >= 2 && strings.HasPrefix("off", t) {
				return NewBool(false), nil
			}
		case '1':
			if t == "1" {
				return NewBool(true), nil
			}
		case '0':
			if t == "0" {
				return NewBool(false), nil
			}
		}
	}
	return Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type boolean: \"%s\"", s)
}

// parseInt implements pg_strtoint16/32/64 (PostgreSQL 15: decimal only).
func parseInt(s string, bits int, name string) (Value, error) {
	t := trimSpace(s)
	i := 0
	neg := false
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		neg = t[i] == '-'
		i++
	}
	if i == len(t) {
		return Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", name, s)
	}
	var u uint64
	overflow := false
	for ; i < len(t); i++ {
		c := t[i]
		if c < '0' || c > '9' {
			return Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", name, s)
		}
		if u > (math.MaxUint64-9)/10 {
			overflow = true
		} else {
			u = u*10 + uint64(c-'0')
		}
	}
	limit := uint64(1) << (bits - 1)
	if overflow || (!neg && u > limit-1) || (neg && u > limit) {
		return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value \"%s\" is out of range for type %s", s, name)
	}
	if neg {
		return NewInt(-int64(u)), nil
	}
	return NewInt(int64(u)), nil
}

func parseOID(s string, t Type) (Value, error) {
	x := trimSpace(s)
	name := "oid"
	if t.OID != OIDOID {
		// reg* types accept a numeric OID; names need the catalog.
		name = strings.TrimPrefix(TypeName(t), "pg_catalog.")
	}
	bad := pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", name, s)
	if x == "" {
		return Null, bad
	}
	neg := false
	i := 0
	if x[0] == '-' || x[0] == '+' {
		neg = x[0] == '-'
		i++
	}
	if i == len(x) {
		return Null, bad
	}
	var u uint64
	for ; i < len(x); i++ {
		c := x[i]
		if c < '0' || c > '9' {
			return Null, bad
		}
		u = u*10 + uint64(c-'0')
		if u > math.MaxUint32+1 {
			return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value \"%s\" is out of range for type oid", s)
		}
	}
	if neg {
		if u > 1<<31 {
			return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value \"%s\" is out of range for type oid", s)
		}
		return NewInt(int64(uint32(-int64(u)))), nil
	}
	if u > math.MaxUint32 {
		return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value \"%s\" is out of range for type oid", s)
	}
	return NewInt(int64(u)), nil
}

// parseFloat implements float4in/float8in.
func parseFloat(s string, bits int) (Value, error) {
	name := "double precision"
	if bits == 32 {
		name = "real"
	}
	t := trimSpace(s)
	bad := func() (Value, error) {
		return Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", name, s)
	}
	if t == "" {
		return bad()
	}
	switch strings.ToLower(t) {
	case "nan", "+nan", "-nan":
		return NewFloat(canonicalNaN), nil
	case "infinity", "+infinity", "inf", "+inf":
		return NewFloat(math.Inf(1)), nil
	case "-infinity", "-inf":
		return NewFloat(math.Inf(-1)), nil
	}
	// strtod syntax: [sign] digits [. digits] [e [sign] digits]
	i := 0
	if t[0] == '+' || t[0] == '-' {
		i++
	}
	nd := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
		nd++
	}
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			nd++
		}
	}
	if nd == 0 {
		return bad()
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		j := i + 1
		if j < len(t) && (t[j] == '+' || t[j] == '-') {
			j++
		}
		ne := 0
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
			ne++
		}
		if ne > 0 {
			i = j
		}
	}
	if i != len(t) {
		return bad()
	}
	f, err := strconv.ParseFloat(t, bits)
	if err != nil || math.IsInf(f, 0) || (f == 0 && hasNonZeroDigit(t)) {
		return Null, pgerr.New(pgerr.NumericValueOutOfRange, "\"%s\" is out of range for type %s", t, name)
	}
	return NewFloat(f), nil
}

func hasNonZeroDigit(t string) bool {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == 'e' || c == 'E' {
			return false
		}
		if c >= '1' && c <= '9' {
			return true
		}
	}
	return false
}

// AppendFloat appends PostgreSQL's shortest-round-trip float output
// (float4out/float8out with extra_float_digits > 0, i.e. Ryu): fixed
// notation for decimal exponents -4 ≤ X < 15 (float8) or < 6 (float4),
// otherwise d.ddde±XX. bits is 32 or 64.
func AppendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	var tmp [40]byte
	e := shortestFloat(tmp[:0], f, bits)
	// e is [-]d[.ddd]e±XX
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	k := len(e) - 1
	for e[k] != 'e' {
		k--
	}
	exp, _ := strconv.Atoi(string(e[k+1:]))
	var digs [24]byte
	nd := 0
	for _, c := range e[:k] {
		if c != '.' {
			digs[nd] = c
			nd++
		}
	}
	for nd > 1 && digs[nd-1] == '0' {
		nd--
	}
	d := digs[:nd]
	if neg {
		buf = append(buf, '-')
	}
	maxFixed := 15
	if bits == 32 {
		maxFixed = 6
	}
	if exp < -4 || exp >= maxFixed {
		buf = append(buf, d[0])
		if len(d) > 1 {
			buf = append(buf, '.')
			buf = append(buf, d[1:]...)
		}
		buf = append(buf, 'e')
		if exp < 0 {
			buf = append(buf, '-')
			exp = -exp
		} else {
			buf = append(buf, '+')
		}
		if exp < 10 {
			buf = append(buf, '0')
		}
		return strconv.AppendInt(buf, int64(exp), 10)
	}
	if exp < 0 {
		buf = append(buf, '0', '.')
		for i := 0; i < -exp-1; i++ {
			buf = append(buf, '0')
		}
		return append(buf, d...)
	}
	if len(d) <= exp+1 {
		buf = append(buf, d...)
		for i := len(d); i <= exp; i++ {
			buf = append(buf, '0')
		}
		return buf
	}
	buf = append(buf, d[:exp+1]...)
	buf = append(buf, '.')
	return append(buf, d[exp+1:]...)
}

// shortestFloat appends the shortest decimal (in 'e' format) that
// PostgreSQL's Ryu (built without STRICTLY_SHORTEST, so both rounding
// boundaries are exclusive) prints for f. That is Go's shortest
// representation unless it lies exactly on a boundary halfway to a
// neighbouring float, which Go accepts for even mantissas; then the next
// longer correctly rounded form is used.
func shortestFloat(buf []byte, f float64, bits int) []byte {
	s := strconv.AppendFloat(buf, f, 'e', -1, bits)
	// Below these magnitudes a halfway point needs more digits than any
	// shortest form has, so it cannot be chosen.
	limit := float64(1 << 51)
	maxDigits := 17
	if bits == 32 {
		limit = 1 << 22
		maxDigits = 9
	}
	if math.Abs(f) < limit || !atMidpoint(s, f, bits) {
		return s
	}
	nd := 0
	for _, c := range s {
		if c == 'e' {
			break
		}
		if c >= '0' && c <= '9' {
			nd++
		}
	}
	for p := nd; p <= maxDigits; p++ {
		c := strconv.AppendFloat(buf[:0], f, 'e', p-1, bits)
		if back, err := strconv.ParseFloat(string(c), bits); err == nil && back == f && !atMidpoint(c, f, bits) {
			return c
		}
	}
	return strconv.AppendFloat(buf[:0], f, 'e', -1, bits)
}

// atMidpoint reports whether decimal s is exactly halfway between f and a
// neighbouring float.
func atMidpoint(s []byte, f float64, bits int) bool {
	d, ok := new(big.Float).SetPrec(2100).SetString(string(s))
	if !ok {
		return false
	}
	for _, dir := range [2]float64{math.Inf(1), math.Inf(-1)} {
		var nb float64
		if bits == 32 {
			nb = float64(math.Nextafter32(float32(f), float32(dir)))
		} else {
			nb = math.Nextafter(f, dir)
		}
		if math.IsInf(nb, 0) {
			continue
		}
		mid := new(big.Float).SetPrec(2100).SetFloat64(f)
		mid.Add(mid, new(big.Float).SetPrec(2100).SetFloat64(nb))
		mid.Quo(mid, big.NewFloat(2))
		if d.Cmp(mid) == 0 {
			return true
		}
	}
	return false
}

// checkText rejects what PostgreSQL's UTF8 server encoding rejects.
func checkText(s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == 0 {
				return pgerr.New(pgerr.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x00")
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return pgerr.New(pgerr.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x%02x", c)
		}
		i += n
	}
	return nil
}

// charLen returns the character length of s (UTF-8).
func charLen(s string) int { return utf8.RuneCountInString(s) }

// coerceChar applies a varchar(n)/char(n) typmod. explicit selects the
// explicit-cast behaviour (truncate) over the input/assignment one (error
// unless only spaces are cut).
func coerceChar(s string, t Type, explicit bool) (string, error) {
	if t.Mod < 4 {
		return s, nil
	}
	n := int(t.Mod - 4)
	l := charLen(s)
	if l > n {
		// byte offset of the n-th character
		off := 0
		for c := 0; c < n; c++ {
			_, sz := utf8.DecodeRuneInString(s[off:])
			off += sz
		}
		if !explicit {
			for i := off; i < len(s); i++ {
				if s[i] != ' ' {
					name := "character varying"
					if t.OID == OIDBPChar {
						name = "character"
					}
					return "", pgerr.New(pgerr.StringDataRightTruncation, "value too long for type %s(%d)", name, n)
				}
			}
		}
		s = s[:off]
		l = n
	}
	if t.OID == OIDBPChar && l < n {
		s += strings.Repeat(" ", n-l)
	}
	return s, nil
}

// truncName cuts a name to NAMEDATALEN-1 (63) bytes at a character boundary.
func truncName(s string) string {
	if len(s) <= 63 {
		return s
	}
	n := 63
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func parseBytea(s string) (Value, error) {
	if len(s) >= 2 && s[0] == '\\' && s[1] == 'x' {
		out := make([]byte, 0, (len(s)-2)/2)
		for i := 2; i < len(s); {
			c := s[i]
			if isSpace(c) {
				i++
				continue
			}
			hi, ok := unhex(c)
			if !ok {
				return Null, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal digit: \"%s\"", string(c))
			}
			if i+1 >= len(s) {
				return Null, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			lo, ok := unhex(s[i+1])
			if !ok {
				if isSpace(s[i+1]) {
					return Null, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
				}
				return Null, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal digit: \"%s\"", string(s[i+1]))
			}
			out = append(out, hi<<4|lo)
			i += 2
		}
		return NewBytes(out), nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			out = append(out, '\\')
			i += 2
			continue
		}
		if i+3 < len(s) && isOct03(s[i+1]) && isOct(s[i+2]) && isOct(s[i+3]) {
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 4
			continue
		}
		return Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type bytea")
	}
	return NewBytes(out), nil
}

func isOct(c byte) bool   { return c >= '0' && c <= '7' }
func isOct03(c byte) bool { return c >= '0' && c <= '3' }

func parseUUID(s string) (Value, error) {
	bad := pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type uuid: \"%s\"", s)
	t := s
	braces := false
	if len(t) > 0 && t[0] == '{' {
		braces = true
		t = t[1:]
	}
	var out [16]byte
	n := 0
	i := 0
	for n < 32 {
		if i+1 >= len(t) {
			return Null, bad
		}
		hi, ok1 := unhex(t[i])
		lo, ok2 := unhex(t[i+1])
		if !ok1 || !ok2 {
			return Null, bad
		}
		out[n/2] = hi<<4 | lo
		n += 2
		i += 2
		// a hyphen may follow any group of four hex digits
		if n%4 == 0 && n < 32 && i < len(t) && t[i] == '-' {
			i++
		}
	}
	if braces {
		if i >= len(t) || t[i] != '}' {
			return Null, bad
		}
		i++
	}
	if i != len(t) {
		return Null, bad
	}
	return NewUUID(out), nil
}

func appendUUID(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf = append(buf, '-')
		}
		buf = append(buf, hexDigits[s[i]>>4], hexDigits[s[i]&15])
	}
	return buf
}

// appendRegtype is regtypeout: the type's name as format_type(oid, NULL)
// prints it, "-" for 0, the number for a type OmenDB does not know.
func appendRegtype(buf []byte, o OID) []byte {
	switch o {
	case 0:
		return append(buf, '-')
	case OIDBPChar:
		return append(buf, "character"...)
	}
	if !knownOID(o) && !IsArray(o) && o != OIDInt2Vector && o != OIDOIDVector && o != OIDVoid && o != OIDRecord && o != OIDXid && o != OIDXid8 && pseudoTypes[o] == "" {
		return strconv.AppendUint(buf, uint64(o), 10)
	}
	name := TypeName(Type{OID: o, Mod: -1})
	if IsArray(o) && ElemType(Type{OID: o, Mod: -1}).OID == OIDBPChar {
		name = "character[]"
	}
	return append(buf, name...)
}
