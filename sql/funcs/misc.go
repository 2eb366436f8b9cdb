package funcs

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"math"
	"strings"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

func bytesVal(b []byte) (types.Value, error) { return types.NewBytes(b), nil }

func init() {
	// timezone(zone, ts): AT TIME ZONE.
	imm("timezone", t(text, tsT), tstzT, func(_ *Context, a []types.Value) (types.Value, error) {
		loc, err := LoadZone(a[0].S)
		if err != nil {
			return types.Null, err
		}
		if isInfTS(a[1].I) {
			return types.NewTimestampTZ(a[1].I), nil
		}
		return types.NewTimestampTZ(localToUTC(a[1].I, loc)), nil
	})
	imm("timezone", t(text, tstzT), tsT, func(_ *Context, a []types.Value) (types.Value, error) {
		loc, err := LoadZone(a[0].S)
		if err != nil {
			return types.Null, err
		}
		if isInfTS(a[1].I) {
			return types.NewTimestamp(a[1].I), nil
		}
		return types.NewTimestamp(wallUS(tstzTime(a[1].I, loc))), nil
	})

	// Hashes and encodings.
	for _, h := range []struct {
		name string
		fn   func([]byte) []byte
	}{
		{"sha224", func(b []byte) []byte { s := sha256.Sum224(b); return s[:] }},
		{"sha256", func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
		{"sha384", func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }},
		{"sha512", func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }},
	} {
		fn := h.fn
		imm(h.name, t(bytea), bytea, func(_ *Context, a []types.Value) (types.Value, error) {
			return bytesVal(fn([]byte(a[0].S)))
		})
	}
	imm("encode", t(bytea, text), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return encodeBytes([]byte(a[0].S), a[1].S)
	})
	imm("decode", t(text, text), bytea, func(_ *Context, a []types.Value) (types.Value, error) {
		return decodeBytes(a[0].S, a[1].S)
	})

	// overlay(s placing r from i [for n])
	overlay := func(_ *Context, a []types.Value) (types.Value, error) {
		s, r := []rune(a[0].S), []rune(a[1].S)
		from := int64(int32(a[2].I))
		n := int64(len(r))
		if len(a) > 3 {
			n = int64(int32(a[3].I))
		}
		if from <= 0 {
			return types.Null, pgerr.New("22011", "negative substring length not allowed")
		}
		if n < 0 {
			return types.Null, pgerr.New("22011", "negative substring length not allowed")
		}
		head := substrRunes(string(s), 1, from-1)
		tail := substrRunes(string(s), from+n, -1)
		return txt(head + string(r) + tail)
	}
	imm("overlay", t(text, text, int4), text, overlay)
	imm("overlay", t(text, text, int4, int4), text, overlay)

	// num_nulls / num_nonnulls (VARIADIC "any")
	for _, nonnull := range []bool{false, true} {
		nonnull := nonnull
		name := "num_nulls"
		if nonnull {
			name = "num_nonnulls"
		}
		register(&Func{Name: name, Args: t(Any), Variadic: true, Ret: int4, Volatility: Immutable,
			bind: func(_ []types.Type) evalFn {
				return func(_ *Context, a []types.Value) (types.Value, error) {
					n := 0
					for _, v := range a {
						if v.IsNull() != nonnull {
							n++
						}
					}
					return i64(int64(n))
				}
			}})
	}

	imm("width_bucket", t(float8, float8, float8, int4), int4, func(_ *Context, a []types.Value) (types.Value, error) {
		return widthBucket(a[0].Float(), a[1].Float(), a[2].Float(), int64(int32(a[3].I)))
	})
	imm("factorial", t(int8), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		n := a[0].I
		if n < 0 {
			return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "factorial of a negative number is undefined")
		}
		if n > 32177 {
			return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
		}
		r := decInt(1)
		for i := int64(2); i <= n; i++ {
			_, _ = exact.Mul(r, r, decInt(i))
		}
		return types.NewNumeric(r), nil
	})
	imm("date_bin", t(ivT, tsT, tsT), tsT, func(_ *Context, a []types.Value) (types.Value, error) {
		us, err := dateBin(a[0], a[1].I, a[2].I)
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestamp(us), nil
	})
	imm("date_bin", t(ivT, tstzT, tstzT), tstzT, func(_ *Context, a []types.Value) (types.Value, error) {
		us, err := dateBin(a[0], a[1].I, a[2].I)
		if err != nil {
			return types.Null, err
		}
		return types.NewTimestampTZ(us), nil
	})
}

func encodeBytes(b []byte, format string) (types.Value, error) {
	switch strings.ToLower(format) {
	case "hex":
		return txt(hex.EncodeToString(b))
	case "base64":
		s := base64.StdEncoding.EncodeToString(b)
		// PostgreSQL breaks base64 output into lines of 76 characters.
		var out strings.Builder
		for len(s) > 76 {
			out.WriteString(s[:76])
			out.WriteByte('\n')
			s = s[76:]
		}
		out.WriteString(s)
		return txt(out.String())
	case "escape":
		var out strings.Builder
		for _, c := range b {
			switch {
			case c == '\\':
				out.WriteString(`\\`)
			case c == 0 || c >= 0x80:
				out.WriteString(`\` + string([]byte{'0' + c>>6, '0' + (c>>3)&7, '0' + c&7}))
			default:
				out.WriteByte(c)
			}
		}
		return txt(out.String())
	}
	return types.Null, pgerr.New(pgerr.InvalidParameterValue, "unrecognized encoding: \"%s\"", format)
}

func decodeBytes(s, format string) (types.Value, error) {
	switch strings.ToLower(format) {
	case "hex":
		var out []byte
		for i := 0; i < len(s); {
			if isSpaceC(s[i]) {
				i++
				continue
			}
			if i+1 >= len(s) {
				return types.Null, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			b, err := hex.DecodeString(s[i : i+2])
			if err != nil {
				bad := s[i]
				if _, e := hex.DecodeString(string([]byte{s[i], '0'})); e == nil {
					bad = s[i+1]
				}
				return types.Null, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal digit: \"%c\"", bad)
			}
			out = append(out, b...)
			i += 2
		}
		return bytesVal(out)
	case "base64":
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, s)
		b, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			if b2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "=")); err2 == nil && len(clean)%4 != 1 {
				return bytesVal(b2)
			}
			return types.Null, pgerr.New(pgerr.InvalidParameterValue, "invalid base64 end sequence").
				WithHint("Input data is missing padding, is truncated, or is otherwise corrupted.")
		}
		return bytesVal(b)
	case "escape":
		var out []byte
		for i := 0; i < len(s); i++ {
			if s[i] != '\\' {
				out = append(out, s[i])
				continue
			}
			switch {
			case i+1 < len(s) && s[i+1] == '\\':
				out = append(out, '\\')
				i++
			case i+3 < len(s) && isOct(s[i+1]) && isOct(s[i+2]) && isOct(s[i+3]) && s[i+1] <= '3':
				out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
				i += 3
			default:
				return types.Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s", "bytea")
			}
		}
		return bytesVal(out)
	}
	return types.Null, pgerr.New(pgerr.InvalidParameterValue, "unrecognized encoding: \"%s\"", format)
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }

func widthBucket(op, lo, hi float64, n int64) (types.Value, error) {
	if n <= 0 {
		return types.Null, pgerr.New("2201G", "count must be greater than zero")
	}
	if math.IsNaN(op) || math.IsNaN(lo) || math.IsNaN(hi) {
		return types.Null, pgerr.New("2201G", "operand, lower bound, and upper bound cannot be NaN")
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return types.Null, pgerr.New("2201G", "lower and upper bounds must be finite")
	}
	var r int64
	switch {
	case lo < hi:
		switch {
		case op < lo:
			r = 0
		case op >= hi:
			r = n + 1
		default:
			r = int64(float64(n)*((op-lo)/(hi-lo))) + 1
			if r > n {
				r = n
			}
		}
	case lo > hi:
		switch {
		case op > lo:
			r = 0
		case op <= hi:
			r = n + 1
		default:
			r = int64(float64(n)*((lo-op)/(lo-hi))) + 1
			if r > n {
				r = n
			}
		}
	default:
		return types.Null, pgerr.New("2201G", "lower bound cannot equal upper bound")
	}
	if r > math.MaxInt32 {
		return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "integer out of range")
	}
	return i64(r)
}

// dateBin is date_bin(stride, source, origin).
func dateBin(stride types.Value, src, origin int64) (int64, error) {
	if isInfTS(src) {
		return src, nil
	}
	if isInfTS(origin) {
		return 0, pgerr.New(pgerr.DatetimeFieldOverflow, "origin out of range")
	}
	if stride.Months() != 0 {
		return 0, pgerr.New(pgerr.FeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
	}
	st := int64(stride.Days())*usPerDay + stride.I
	if st <= 0 {
		return 0, pgerr.New(pgerr.DatetimeFieldOverflow, "stride must be greater than zero")
	}
	diff := src - origin
	d := diff - diff%st
	if diff < 0 && diff%st != 0 {
		d -= st
	}
	return origin + d, nil
}

// pg_typeof(any) returns the argument's type as regtype, decided when the
// call is resolved: an untyped literal (or NULL) is "unknown", as in
// PostgreSQL; the type modifier is not part of the answer.
func init() {
	regtype := types.Type{OID: types.OIDRegtype, Mod: -1}
	polymorphicSigs["pg_typeof"] = []Signature{{Args: []types.Type{Any}, Ret: regtype, Volatility: Stable}}
	polymorphic["pg_typeof"] = func(name string, in []types.Type) (*Func, []types.Type, error) {
		if len(in) != 1 {
			return nil, nil, noFunc(name, in)
		}
		typ := types.NewInt(int64(in[0].OID))
		if in[0].Enum != nil {
			typ = types.NewRegName(uint32(in[0].OID), types.TypeName(in[0]))
		}
		arg := in[0]
		if arg.OID == types.OIDUnknown {
			arg = types.Text // evaluated (and ignored) as text
		}
		return &Func{Name: name, Args: []types.Type{arg}, Ret: regtype, Volatility: Stable,
			Eval: func(*Context, []types.Value) (types.Value, error) { return typ, nil }}, []types.Type{arg}, nil
	}
}
