package funcs

import (
	crand "crypto/rand"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

var (
	int2    = types.Int2
	float4  = types.Float4
	uuidT   = types.UUID
	voidT   = types.Type{OID: types.OIDVoid, Mod: -1}
	errDiv0 = pgerr.New(pgerr.DivisionByZero, "division by zero")
)

func flt(f float64) (types.Value, error) { return types.NewFloat(f), nil }

// checkFloat reports PostgreSQL's float overflow/underflow errors:
// an infinite result from finite inputs, or zero from a non-zero input.
func checkFloat(r float64, inf bool, zeroOK bool) (types.Value, error) {
	if math.IsInf(r, 0) && !inf {
		return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "value out of range: overflow")
	}
	if r == 0 && !zeroOK {
		return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "value out of range: underflow")
	}
	return flt(r)
}

func intRangeErr(t types.Type) error {
	switch t.OID {
	case types.OIDInt2:
		return pgerr.New(pgerr.NumericValueOutOfRange, "smallint out of range")
	case types.OIDInt4:
		return pgerr.New(pgerr.NumericValueOutOfRange, "integer out of range")
	}
	return pgerr.New(pgerr.NumericValueOutOfRange, "bigint out of range")
}

func intMin(t types.Type) int64 {
	switch t.OID {
	case types.OIDInt2:
		return math.MinInt16
	case types.OIDInt4:
		return math.MinInt32
	}
	return math.MinInt64
}

func num(v types.Value) *apd.Decimal { return v.N }

// float4Val rounds f to single precision.
func float4Val(f float64) types.Value { return types.NewFloat(float64(float32(f))) }

func init() {
	for _, it := range []types.Type{int2, int4, int8} {
		it := it
		imm("abs", t(it), it, func(_ *Context, a []types.Value) (types.Value, error) {
			if a[0].I == intMin(it) {
				return types.Null, intRangeErr(it)
			}
			if a[0].I < 0 {
				return i64(-a[0].I)
			}
			return a[0], nil
		})
		imm("mod", t(it, it), it, func(_ *Context, a []types.Value) (types.Value, error) {
			if a[1].I == 0 {
				return types.Null, errDiv0
			}
			if a[1].I == -1 {
				return i64(0)
			}
			return i64(a[0].I % a[1].I)
		})
		imm("gcd", t(it, it), it, func(_ *Context, a []types.Value) (types.Value, error) {
			g := gcd(a[0].I, a[1].I)
			if g == intMin(it) {
				return types.Null, intRangeErr(it)
			}
			return i64(g)
		})
		imm("lcm", t(it, it), it, func(_ *Context, a []types.Value) (types.Value, error) {
			x, y := a[0].I, a[1].I
			if x == 0 || y == 0 {
				return i64(0)
			}
			g := gcd(x, y)
			q := x / g
			r := q * y
			if r/y != q || r < intMin(it) || r > -(intMin(it)+1) || r == math.MinInt64 {
				return types.Null, intRangeErr(it)
			}
			if r < 0 {
				r = -r
			}
			return i64(r)
		})
	}
	imm("abs", t(float4), float4, func(_ *Context, a []types.Value) (types.Value, error) { return flt(math.Abs(a[0].Float())) })
	imm("abs", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) { return flt(math.Abs(a[0].Float())) })
	imm("abs", t(numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		return numVal(newDec().Abs(num(a[0]))), nil
	})

	// Rounding.
	imm("round", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) { return flt(math.RoundToEven(a[0].Float())) })
	imm("round", t(numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		return numVal(roundTo(num(a[0]), 0, apd.RoundHalfUp)), nil
	})
	imm("round", t(numeric, int4), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		return numVal(roundTo(num(a[0]), clampResultScale(a[1].I), apd.RoundHalfUp)), nil
	})
	imm("trunc", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) { return flt(math.Trunc(a[0].Float())) })
	imm("trunc", t(numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		return numVal(roundTo(num(a[0]), 0, apd.RoundDown)), nil
	})
	imm("trunc", t(numeric, int4), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		return numVal(roundTo(num(a[0]), clampResultScale(a[1].I), apd.RoundDown)), nil
	})
	for _, n := range []string{"ceil", "ceiling"} {
		imm(n, t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) { return flt(math.Ceil(a[0].Float())) })
		imm(n, t(numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
			return numVal(roundTo(num(a[0]), 0, apd.RoundCeiling)), nil
		})
	}
	imm("floor", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) { return flt(math.Floor(a[0].Float())) })
	imm("floor", t(numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		return numVal(roundTo(num(a[0]), 0, apd.RoundFloor)), nil
	})
	imm("sign", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) {
		f := a[0].Float()
		switch {
		case f > 0:
			return flt(1)
		case f < 0:
			return flt(-1)
		}
		return flt(0)
	})
	imm("sign", t(numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		d := num(a[0])
		if d.Form == apd.NaN {
			return a[0], nil
		}
		return numVal(decInt(int64(d.Sign()))), nil
	})
	imm("scale", t(numeric), int4, func(_ *Context, a []types.Value) (types.Value, error) {
		if num(a[0]).Form != apd.Finite {
			return types.Null, nil
		}
		return i64(int64(dscale(num(a[0]))))
	})
	imm("min_scale", t(numeric), int4, func(_ *Context, a []types.Value) (types.Value, error) {
		if num(a[0]).Form != apd.Finite {
			return types.Null, nil
		}
		r, _ := newDec().Reduce(num(a[0]))
		return i64(int64(dscale(r)))
	})
	imm("trim_scale", t(numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		if num(a[0]).Form != apd.Finite {
			return a[0], nil
		}
		r, _ := newDec().Reduce(num(a[0]))
		return numVal(r), nil
	})

	// Roots, powers, logarithms.
	imm("sqrt", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) {
		f := a[0].Float()
		if f < 0 {
			return types.Null, pgerr.New("2201F", "cannot take square root of a negative number")
		}
		return flt(math.Sqrt(f))
	})
	imm("sqrt", t(numeric), numeric, numFn(numSqrt))
	imm("cbrt", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) { return flt(cbrt(a[0].Float())) })
	imm("exp", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) {
		f := a[0].Float()
		return checkFloat(preciseExp(f), math.IsInf(f, 1), math.IsInf(f, -1) || math.IsNaN(f))
	})
	imm("exp", t(numeric), numeric, numFn(numExp))
	floatLog := func(fn func(float64) float64) evalFn {
		return func(_ *Context, a []types.Value) (types.Value, error) {
			f := a[0].Float()
			if f == 0 {
				return types.Null, pgerr.New("2201E", "cannot take logarithm of zero")
			}
			if f < 0 {
				return types.Null, pgerr.New("2201E", "cannot take logarithm of a negative number")
			}
			return flt(fn(f))
		}
	}
	imm("ln", t(float8), float8, floatLog(math.Log))
	imm("ln", t(numeric), numeric, numFn(numLn))
	for _, n := range []string{"log", "log10"} {
		imm(n, t(float8), float8, floatLog(log10))
		imm(n, t(numeric), numeric, numFn(func(x *apd.Decimal) (*apd.Decimal, error) { return numLog(decInt(10), x) }))
	}
	imm("log", t(numeric, numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		r, err := numLog(num(a[0]), num(a[1]))
		if err != nil {
			return types.Null, err
		}
		return numVal(r), nil
	})
	for _, n := range []string{"power", "pow"} {
		imm(n, t(float8, float8), float8, func(_ *Context, a []types.Value) (types.Value, error) { return floatPow(a[0].Float(), a[1].Float()) })
		imm(n, t(numeric, numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
			r, err := numPower(num(a[0]), num(a[1]))
			if err != nil {
				return types.Null, err
			}
			return numVal(r), nil
		})
	}
	imm("mod", t(numeric, numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		x, y := num(a[0]), num(a[1])
		if y.IsZero() {
			return types.Null, errDiv0
		}
		if x.Form != apd.Finite || y.Form != apd.Finite {
			return types.Null, pgerr.NotSupported("mod() of non-finite numeric values is not supported")
		}
		r := newDec()
		c := *exact
		if _, err := c.Rem(r, x, y); err != nil {
			return types.Null, numOverflow()
		}
		if r.IsZero() {
			r.Negative = false
		}
		return numVal(r), nil
	})
	imm("div", t(numeric, numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		x, y := num(a[0]), num(a[1])
		if y.IsZero() {
			return types.Null, errDiv0
		}
		if x.Form != apd.Finite || y.Form != apd.Finite {
			return types.Null, pgerr.NotSupported("div() of non-finite numeric values is not supported")
		}
		r := newDec()
		c := *exact
		if _, err := c.QuoInteger(r, x, y); err != nil {
			return types.Null, numOverflow()
		}
		if r.IsZero() {
			r.Negative = false
		}
		return numVal(r), nil
	})
	imm("gcd", t(numeric, numeric), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		x, y := newDec().Abs(num(a[0])), newDec().Abs(num(a[1]))
		for !y.IsZero() {
			r := newDec()
			_, _ = exact.Rem(r, x, y)
			x, y = y, r
		}
		s := max(dscale(num(a[0])), dscale(num(a[1])))
		return numVal(roundTo(x, s, apd.RoundHalfUp)), nil
	})

	// Trigonometry and constants.
	imm("pi", nil, float8, func(_ *Context, _ []types.Value) (types.Value, error) { return flt(math.Pi) })
	imm("degrees", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) { return flt(a[0].Float() / (math.Pi / 180)) })
	imm("radians", t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) { return flt(a[0].Float() * (math.Pi / 180)) })
	trig := func(name string, fn func(float64) float64, lo, hi float64) {
		imm(name, t(float8), float8, func(_ *Context, a []types.Value) (types.Value, error) {
			f := a[0].Float()
			if math.IsNaN(f) {
				return flt(f)
			}
			if f < lo || f > hi {
				return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "input is out of range")
			}
			return flt(fn(f))
		})
	}
	inf := math.Inf(1)
	trig("sin", sinCR, -math.MaxFloat64, math.MaxFloat64)
	trig("cos", cosCR, -math.MaxFloat64, math.MaxFloat64)
	trig("tan", tanCR, -math.MaxFloat64, math.MaxFloat64)
	trig("cot", cotCR, -math.MaxFloat64, math.MaxFloat64)
	trig("asin", asinCR, -1, 1)
	trig("acos", acosCR, -1, 1)
	trig("atan", atanCR, -inf, inf)
	imm("atan2", t(float8, float8), float8, func(_ *Context, a []types.Value) (types.Value, error) {
		return flt(atan2CR(a[0].Float(), a[1].Float()))
	})

	// Random numbers.
	volatile("random", nil, float8, func(ctx *Context, _ []types.Value) (types.Value, error) {
		return flt(ctx.rand().Float64())
	})
	volatile("setseed", t(float8), voidT, func(ctx *Context, a []types.Value) (types.Value, error) {
		f := a[0].Float()
		if f < -1 || f > 1 || math.IsNaN(f) {
			return types.Null, pgerr.New(pgerr.InvalidParameterValue, "setseed parameter %s is out of allowed range [-1,1]", strconv.FormatFloat(f, 'g', -1, 64))
		}
		ctx.rand().Seed(f)
		return types.Null, nil
	})
	volatile("gen_random_uuid", nil, uuidT, func(_ *Context, _ []types.Value) (types.Value, error) {
		var u [16]byte
		_, _ = crand.Read(u[:])
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		return types.NewUUID(u), nil
	})
}

// preciseCtx computes exp and log10 to 30 digits so that the float64
// result is the correctly rounded one, as glibc's (which PostgreSQL calls)
// almost always is; math.Exp and math.Log10 are off by one bit for about
// a tenth of all inputs.
var preciseCtx = apd.BaseContext.WithPrecision(34)

// roundFloat converts a decimal to the nearest float64.
func roundFloat(d *apd.Decimal) (float64, bool) {
	f, err := strconv.ParseFloat(d.Text('e'), 64)
	return f, err == nil || math.IsInf(f, 0)
}

// exactDec is f's binary value to 40 significant digits (apd's SetFloat64
// takes the shortest decimal, which is not precise enough here).
func exactDec(f float64) *apd.Decimal {
	d, _, _ := apd.NewFromString(new(big.Float).SetFloat64(f).Text('e', 40))
	return d
}

func preciseExp(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) || f > 710 || f < -746 || f == 0 {
		return math.Exp(f)
	}
	x, r := exactDec(f), newDec()
	if _, err := preciseCtx.Exp(r, x); err != nil {
		return math.Exp(f)
	}
	if v, ok := roundFloat(r); ok {
		return v
	}
	return math.Exp(f)
}

// log10 is the base-10 logarithm computed as fdlibm's (and glibc's)
// __ieee754_log10: split x = 2^k·m with m in [1, 2) (or [0.5, 1) when
// k < 0), then k·log10(2) in two parts plus log(m)/ln(10). PostgreSQL
// calls glibc's log10, which is not correctly rounded; this reproduces it.
func log10(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
		return math.Log10(x)
	}
	const (
		ivln10    = 4.34294481903251816668e-01
		log10_2hi = 3.01029995663611771306e-01
		log10_2lo = 3.69423907715893078616e-13
	)
	bits := math.Float64bits(x)
	k := 0
	if bits>>52 == 0 { // subnormal
		x *= 1 << 54
		k -= 54
		bits = math.Float64bits(x)
	}
	hx := int64(bits >> 32)
	k += int(hx>>20) - 1023
	i := 0
	if k < 0 {
		i = 1
	}
	hx = (hx & 0x000fffff) | int64(0x3ff-i)<<20
	y := float64(k + i)
	m := math.Float64frombits(uint64(hx)<<32 | bits&0xffffffff)
	z := y*log10_2lo + ivln10*math.Log(m)
	return z + y*log10_2hi
}

func clampResultScale(s int64) int32 {
	s = max(min(int64(int32(s)), 2000), -2000)
	return int32(s)
}

func numFn(fn func(*apd.Decimal) (*apd.Decimal, error)) evalFn {
	return func(_ *Context, a []types.Value) (types.Value, error) {
		r, err := fn(num(a[0]))
		if err != nil {
			return types.Null, err
		}
		return numVal(r), nil
	}
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a < 0 && a != math.MinInt64 {
		a = -a
	}
	return a
}

func floatPow(x, y float64) (types.Value, error) {
	if x == 0 && y < 0 {
		return types.Null, pgerr.New("2201F", "zero raised to a negative power is undefined")
	}
	if x < 0 && y != math.Trunc(y) && !math.IsInf(y, 0) {
		return types.Null, pgerr.New("2201F", "a negative number raised to a non-integer power yields a complex result")
	}
	if math.IsNaN(x) {
		if y == 0 {
			return flt(1)
		}
		return flt(x)
	}
	if math.IsNaN(y) {
		if x == 1 {
			return flt(1)
		}
		return flt(y)
	}
	r := powCR(x, y)
	return checkFloat(r, math.IsInf(x, 0) || math.IsInf(y, 0), x == 0 || math.IsInf(x, 0) || math.IsInf(y, 0))
}

// RandState is a session's random() generator. It is not safe for
// concurrent use except through the process-wide default.
type RandState struct {
	mu  sync.Mutex
	pcg *rand.PCG
	r   *rand.Rand
}

// NewRandState returns a generator seeded from the operating system.
func NewRandState() *RandState {
	var b [16]byte
	_, _ = crand.Read(b[:])
	s1 := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	s2 := uint64(b[8]) | uint64(b[9])<<8 | uint64(b[10])<<16 | uint64(b[11])<<24 | uint64(b[12])<<32 | uint64(b[13])<<40 | uint64(b[14])<<48 | uint64(b[15])<<56
	p := rand.NewPCG(s1, s2)
	return &RandState{pcg: p, r: rand.New(p)}
}

// Float64 returns a number in [0, 1).
func (r *RandState) Float64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Float64()
}

// Seed reseeds the generator from a setseed() argument in [-1, 1]: the same
// seed gives the same sequence.
func (r *RandState) Seed(f float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := uint64(int64(f * math.MaxInt32))
	r.pcg.Seed(s, s^0x9e3779b97f4a7c15)
}

var globalRand = NewRandState()

func (c *Context) rand() *RandState {
	if c != nil && c.Rand != nil {
		return c.Rand
	}
	return globalRand
}

// formatG15 formats f with 15 significant digits, as PostgreSQL's
// float8-to-numeric conversion does.
func formatG15(f float64) string {
	return strconv.FormatFloat(f, 'g', 15, 64)
}

// cbrt is the cube root as glibc's cbrt computes it (PostgreSQL calls the C
// library): a polynomial first guess refined by one Halley step, which is
// not always correctly rounded (cbrt(27) = 3.0000000000000004), unlike
// math.Cbrt.
func cbrt(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return x + x
	}
	const c2 = 1.2599210498948731648 // 2^(1/3)
	const c4 = 1.5874010519681994748 // 2^(2/3)
	factor := [5]float64{1 / c4, 1 / c2, 1, c2, c4}
	xm, xe := math.Frexp(math.Abs(x))
	u := 0.354895765043919860 + ((1.50819193781584896 + ((-2.11499494167371287 + ((2.44693122563534430 +
		((-1.83469277483613086 + (0.784932344976639262-0.145263899385486377*xm)*xm) * xm)) * xm)) * xm)) * xm)
	t2 := u * u * u
	ym := u * (t2 + 2*xm) / (2*t2 + xm) * factor[2+xe%3]
	if x < 0 {
		ym = -ym
	}
	return math.Ldexp(ym, xe/3)
}
