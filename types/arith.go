package types

import (
	"math"
	"math/big"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

func noOperator(op string, l, r Type) error {
	return pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", TypeName(l), op, TypeName(r)).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

func intRank(o OID) int {
	switch o {
	case OIDInt2:
		return 1
	case OIDInt4:
		return 2
	case OIDInt8:
		return 3
	}
	return 0
}

func bare(o OID) Type { return Type{OID: o, Mod: -1} }

// BinaryOpType returns the result type of l op r for op in + - * / % with
// PostgreSQL's operator resolution (unknown-typed literals take the other
// side's type), or 42883 if no operator exists.
func BinaryOpType(op string, l, r Type) (Type, error) {
	if l.OID == OIDUnknown && r.OID == OIDUnknown {
		return Unknown, pgerr.New(pgerr.AmbiguousFunction, "operator is not unique: unknown %s unknown", op).
			WithHint("Could not choose a best candidate operator. You might need to add explicit type casts.")
	}
	if (l.OID == OIDUnknown && r.OID == OIDDate && op == "+") || (r.OID == OIDUnknown && l.OID == OIDDate && (op == "+" || op == "-")) {
		// date + unknown matches date + integer, date + interval, date + time …
		return Unknown, pgerr.New(pgerr.AmbiguousFunction, "operator is not unique: %s %s %s", TypeName(l), op, TypeName(r)).
			WithHint("Could not choose a best candidate operator. You might need to add explicit type casts.")
	}
	if l.OID == OIDUnknown {
		l = unknownPeer(op, r)
	}
	if r.OID == OIDUnknown {
		r = unknownPeer(op, l)
	}
	lo, ro := l.OID, r.OID
	switch op {
	case "+", "-", "*", "/", "%":
	default:
		return Unknown, noOperator(op, l, r)
	}
	switch {
	case isIntOID(lo) && isIntOID(ro):
		if intRank(lo) >= intRank(ro) {
			return bare(lo), nil
		}
		return bare(ro), nil
	case isNumOID(lo) && isNumOID(ro):
		if isFloatOID(lo) || isFloatOID(ro) {
			if op == "%" {
				return Unknown, noOperator(op, l, r)
			}
			if lo == OIDFloat4 && ro == OIDFloat4 {
				return Float4, nil
			}
			return Float8, nil
		}
		return Numeric, nil
	}
	switch {
	case op == "+" && (lo == OIDTime && ro == OIDInterval || lo == OIDInterval && ro == OIDTime):
		return Time, nil
	case op == "-" && lo == OIDTime && ro == OIDInterval:
		return Time, nil
	case op == "-" && lo == OIDTime && ro == OIDTime:
		return Interval, nil
	case op == "+" && (lo == OIDDate && ro == OIDTime || lo == OIDTime && ro == OIDDate):
		return Timestamp, nil
	}
	// Otherwise time takes part through its implicit cast to interval.
	if lo == OIDTime {
		l, lo = Interval, OIDInterval
	}
	if ro == OIDTime {
		r, ro = Interval, OIDInterval
	}
	switch op {
	case "+":
		switch {
		case lo == OIDDate && (ro == OIDInt4 || ro == OIDInt2), ro == OIDDate && (lo == OIDInt4 || lo == OIDInt2):
			return Date, nil
		case lo == OIDDate && ro == OIDInterval, lo == OIDInterval && ro == OIDDate:
			return Timestamp, nil
		case (lo == OIDTimestamp || lo == OIDTimestampTZ) && ro == OIDInterval:
			return bare(lo), nil
		case lo == OIDInterval && (ro == OIDTimestamp || ro == OIDTimestampTZ):
			return bare(ro), nil
		case lo == OIDInterval && ro == OIDInterval:
			return Interval, nil
		}
	case "-":
		switch {
		case lo == OIDDate && (ro == OIDInt4 || ro == OIDInt2):
			return Date, nil
		case lo == OIDDate && ro == OIDDate:
			return Int4, nil
		case lo == OIDDate && ro == OIDInterval:
			return Timestamp, nil
		case (lo == OIDTimestamp || lo == OIDTimestampTZ) && ro == OIDInterval:
			return bare(lo), nil
		case lo == OIDInterval && ro == OIDInterval:
			return Interval, nil
		case isDTOID(lo) && isDTOID(ro):
			return Interval, nil
		}
	case "*":
		if (lo == OIDInterval && isNumOID(ro)) || (isNumOID(lo) && ro == OIDInterval) {
			return Interval, nil
		}
	case "/":
		if lo == OIDInterval && isNumOID(ro) {
			return Interval, nil
		}
	}
	return Unknown, noOperator(op, l, r)
}

// unknownPeer is the type an unknown literal takes opposite t.
func unknownPeer(op string, t Type) Type {
	switch {
	case (t.OID == OIDTimestamp || t.OID == OIDTimestampTZ) && (op == "+"):
		return Interval
	case t.OID == OIDInterval && (op == "*" || op == "/"):
		return Float8
	case t.OID == OIDTime && op == "+":
		return Interval
	}
	return bare(t.OID)
}

var (
	errDivZero   = pgerr.New(pgerr.DivisionByZero, "division by zero")
	errTSRange   = pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range")
	errIVRange   = pgerr.New(pgerr.DatetimeFieldOverflow, "interval out of range")
	errDateRange = pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range")
)

// BinaryOp evaluates l op r (op in + - * / %). NULL operands give NULL.
// Values typed unknown are parsed as the type they take. timestamptz ±
// interval works in UTC; use BinaryOpLoc to apply the session TimeZone.
func BinaryOp(op string, l Value, lt Type, r Value, rt Type) (Value, error) {
	return BinaryOpLoc(op, l, lt, r, rt, nil)
}

// BinaryOpLoc is BinaryOp with the session TimeZone loc, which timestamptz ±
// interval uses for its month and day parts (as PostgreSQL does), and which
// unknown literals are parsed in.
func BinaryOpLoc(op string, l Value, lt Type, r Value, rt Type, loc *time.Location) (Value, error) {
	res, err := BinaryOpType(op, lt, rt)
	if err != nil {
		return Null, err
	}
	if l.IsNull() || r.IsNull() {
		return Null, nil
	}
	if lt.OID == OIDUnknown {
		lt = unknownPeer(op, rt)
		if l, err = ParseText(lt, l.S, loc); err != nil {
			return Null, err
		}
	}
	if rt.OID == OIDUnknown {
		rt = unknownPeer(op, lt)
		if r, err = ParseText(rt, r.S, loc); err != nil {
			return Null, err
		}
	}
	lo, ro := lt.OID, rt.OID
	if res.OID != OIDTime && !(lo == OIDTime && ro == OIDTime) && lo != OIDDate && ro != OIDDate {
		if lo == OIDTime {
			lo = OIDInterval
		}
		if ro == OIDTime {
			ro = OIDInterval
		}
	}
	switch {
	case isIntOID(lo) && isIntOID(ro):
		return intOp(op, l.I, r.I, res.OID)
	case isNumOID(lo) && isNumOID(ro):
		if res.OID == OIDNumeric {
			return numericOp(op, toDecimal(l), toDecimal(r))
		}
		lf, rf := numberAsFloat(l), numberAsFloat(r)
		return floatOp(op, lf, rf, res.OID == OIDFloat4)
	}
	switch {
	case res.OID == OIDTime: // time ± interval wraps around midnight
		t, iv := l.I, r.I
		if lo == OIDInterval {
			t, iv = r.I, l.I
		}
		if op == "-" {
			iv = -iv
		}
		return NewTime(floorMod(t+floorMod(iv, usPerDay), usPerDay)), nil
	case lo == OIDTime && ro == OIDTime:
		return NewInterval(0, 0, l.I-r.I), nil
	case lo == OIDDate && ro == OIDTime, lo == OIDTime && ro == OIDDate:
		d, t := l.I, r.I
		if lo == OIDTime {
			d, t = r.I, l.I
		}
		if d == NegInfinity || d == PosInfinity {
			return NewTimestamp(d), nil
		}
		if d >= maxTSDays || d < minDateDays {
			return Null, errTSRange
		}
		return NewTimestamp(d*usPerDay + t), nil
	case lo == OIDDate && isIntOID(ro):
		n := r.I
		if op == "-" {
			n = -n
		}
		return dateAddDays(l.I, n)
	case isIntOID(lo) && ro == OIDDate:
		return dateAddDays(r.I, l.I)
	case lo == OIDDate && ro == OIDDate:
		if l.I == NegInfinity || l.I == PosInfinity || r.I == NegInfinity || r.I == PosInfinity {
			return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "cannot subtract infinite dates")
		}
		return NewInt(l.I - r.I), nil
	case lo == OIDInterval && ro == OIDInterval:
		return intervalAddSub(l, r, op == "-")
	case lo == OIDInterval && isNumOID(ro):
		f := numberAsFloat(r)
		if op == "/" {
			return intervalDiv(l, f)
		}
		return intervalMul(l, f)
	case isNumOID(lo) && ro == OIDInterval:
		return intervalMul(r, numberAsFloat(l))
	case isDTOID(lo) && ro == OIDInterval:
		iv := r
		if op == "-" {
			var err error
			if iv, err = Negate(r, Interval); err != nil {
				return Null, err
			}
		}
		return timestampAddInterval(l, iv, res.OID == OIDTimestampTZ, loc)
	case lo == OIDInterval && isDTOID(ro):
		return timestampAddInterval(r, l, res.OID == OIDTimestampTZ, loc)
	case isDTOID(lo) && isDTOID(ro):
		a, b := timeMicros(l), timeMicros(r)
		if lo == OIDTimestampTZ || ro == OIDTimestampTZ {
			// the side without a zone is read in the session zone
			if lo != OIDTimestampTZ && a != NegInfinity && a != PosInfinity {
				a = localToUTC(a, loc)
			}
			if ro != OIDTimestampTZ && b != NegInfinity && b != PosInfinity {
				b = localToUTC(b, loc)
			}
		}
		return timestampDiff(a, b)
	}
	return Null, noOperator(op, lt, rt)
}

func numberAsFloat(v Value) float64 {
	switch v.K {
	case KindInt:
		return float64(v.I)
	case KindFloat:
		return v.Float()
	case KindNumeric:
		x, _ := castNumber(v, OIDNumeric, Float8)
		if x.K == KindFloat {
			return x.Float()
		}
		if v.N.Negative {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	return math.NaN()
}

func intOp(op string, a, b int64, res OID) (Value, error) {
	lo, hi, name := intRange(res)
	// The error is built only when it is returned: an integer operation
	// (SET abalance = abalance + $1) must not format one each time.
	oor := func() error { return pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", name) }
	var c int64
	switch op {
	case "+":
		c = a + b
		if (c > a) != (b > 0) {
			return Null, oor()
		}
	case "-":
		c = a - b
		if (c < a) != (b > 0) {
			return Null, oor()
		}
	case "*":
		if a != 0 && b != 0 {
			hiP, loP := mul64(a, b)
			if !loP {
				return Null, oor()
			}
			c = hiP
		}
	case "/":
		if b == 0 {
			return Null, errDivZero
		}
		if b == -1 {
			if a == lo {
				return Null, oor()
			}
			c = -a
		} else {
			c = a / b
		}
	case "%":
		if b == 0 {
			return Null, errDivZero
		}
		if b == -1 {
			c = 0
		} else {
			c = a % b
		}
	}
	if c < lo || c > hi {
		return Null, oor()
	}
	return NewInt(c), nil
}

// mul64 returns a*b and whether it did not overflow.
func mul64(a, b int64) (int64, bool) {
	c := a * b
	if a == -1 && b == math.MinInt64 || b == -1 && a == math.MinInt64 {
		return c, false
	}
	return c, c/b == a
}

func floatOp(op string, a, b float64, f4 bool) (Value, error) {
	if f4 {
		a, b = float64(float32(a)), float64(float32(b))
	}
	var c float64
	switch op {
	case "+":
		c = a + b
	case "-":
		c = a - b
	case "*":
		c = a * b
	case "/":
		if b == 0 {
			return Null, errDivZero
		}
		c = a / b
	default:
		return Null, noOperator(op, Float8, Float8)
	}
	if f4 {
		c = float64(float32(c))
	}
	if math.IsInf(c, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
		return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value out of range: overflow")
	}
	if c == 0 && (op == "*" && a != 0 && b != 0 || op == "/" && a != 0 && !math.IsInf(b, 0)) {
		return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value out of range: underflow")
	}
	return NewFloat(c), nil
}

var exactCtx = apd.Context{Precision: 0, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Traps: apd.DefaultTraps}

func newNumericNaN() *apd.Decimal { return &apd.Decimal{Form: apd.NaN} }
func numericInf(neg bool) *apd.Decimal {
	return &apd.Decimal{Form: apd.Infinite, Negative: neg}
}

func numericOp(op string, a, b *apd.Decimal) (Value, error) {
	if numericIsNaN(a) || numericIsNaN(b) {
		if (op == "/" || op == "%") && b.Form == apd.Finite && b.Coeff.Sign() == 0 {
			return Null, errDivZero
		}
		return NewNumeric(newNumericNaN()), nil
	}
	aInf, bInf := a.Form == apd.Infinite, b.Form == apd.Infinite
	if aInf || bInf {
		return numericInfOp(op, a, b)
	}
	r := new(apd.Decimal)
	switch op {
	case "+":
		if _, err := exactCtx.Add(r, a, b); err != nil {
			return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
		}
	case "-":
		if _, err := exactCtx.Sub(r, a, b); err != nil {
			return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
		}
	case "*":
		if _, err := exactCtx.Mul(r, a, b); err != nil {
			return Null, pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
		}
		// numeric_mul rounds a product whose scale exceeds NUMERIC_DSCALE_MAX.
		if NumericScale(r) > numericDScaleMax {
			r = roundScale(r, numericDScaleMax)
		}
	case "/":
		if b.Coeff.Sign() == 0 {
			return Null, errDivZero
		}
		return NewNumeric(numericDiv(a, b, selectDivScale(a, b))), nil
	case "%":
		if b.Coeff.Sign() == 0 {
			return Null, errDivZero
		}
		r = numericMod(a, b)
	}
	return NewNumeric(normNumeric(r)), nil
}

func numericInfOp(op string, a, b *apd.Decimal) (Value, error) {
	aInf, bInf := a.Form == apd.Infinite, b.Form == apd.Infinite
	sign := func(d *apd.Decimal) int {
		if d.Form == apd.Infinite {
			if d.Negative {
				return -1
			}
			return 1
		}
		return d.Sign()
	}
	switch op {
	case "+":
		if aInf && bInf && a.Negative != b.Negative {
			return NewNumeric(newNumericNaN()), nil
		}
		if aInf {
			return NewNumeric(numericInf(a.Negative)), nil
		}
		return NewNumeric(numericInf(b.Negative)), nil
	case "-":
		if aInf && bInf && a.Negative == b.Negative {
			return NewNumeric(newNumericNaN()), nil
		}
		if aInf {
			return NewNumeric(numericInf(a.Negative)), nil
		}
		return NewNumeric(numericInf(!b.Negative)), nil
	case "*":
		s := sign(a) * sign(b)
		if s == 0 {
			return NewNumeric(newNumericNaN()), nil
		}
		return NewNumeric(numericInf(s < 0)), nil
	case "/":
		if !bInf && b.Coeff.Sign() == 0 {
			return Null, errDivZero
		}
		if aInf && bInf {
			return NewNumeric(newNumericNaN()), nil
		}
		if bInf {
			return NewNumeric(apd.New(0, 0)), nil
		}
		return NewNumeric(numericInf(sign(a)*sign(b) < 0)), nil
	case "%":
		if !bInf && b.Coeff.Sign() == 0 {
			return Null, errDivZero
		}
		if aInf {
			return NewNumeric(newNumericNaN()), nil
		}
		return NewNumeric(new(apd.Decimal).Set(a)), nil
	}
	return Null, noOperator(op, Numeric, Numeric)
}

// selectDivScale is numeric.c's select_div_scale.
func selectDivScale(a, b *apd.Decimal) int32 {
	da, wa := numericDigits(a)
	db, wb := numericDigits(b)
	var fa, fb int16
	if len(da) > 0 {
		fa = da[0]
	} else {
		wa = 0
	}
	if len(db) > 0 {
		fb = db[0]
	} else {
		wb = 0
	}
	qweight := wa - wb
	if fa <= fb {
		qweight--
	}
	rscale := int32(numericMinSigDigits - qweight*4)
	rscale = max(rscale, NumericScale(a), NumericScale(b), 0)
	return min(rscale, numericMaxDisplayScale)
}

// numericDiv returns a/b rounded half away from zero to scale digits.
func numericDiv(a, b *apd.Decimal, scale int32) *apd.Decimal {
	// a/b × 10^scale = ca × 10^(ea+scale-eb) / cb
	k := int64(a.Exponent) + int64(scale) - int64(b.Exponent)
	num := new(big.Int).Set(a.Coeff.MathBigInt())
	den := new(big.Int).Set(b.Coeff.MathBigInt())
	ten := big.NewInt(10)
	if k >= 0 {
		num.Mul(num, new(big.Int).Exp(ten, big.NewInt(k), nil))
	} else {
		den.Mul(den, new(big.Int).Exp(ten, big.NewInt(-k), nil))
	}
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	rem.Lsh(rem, 1)
	if rem.CmpAbs(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	r := &apd.Decimal{Exponent: -scale, Negative: a.Negative != b.Negative}
	r.Coeff.SetMathBigInt(q)
	return normNumeric(r)
}

// numericMod is mod_var: a - trunc(a/b)*b, with the scale of the larger.
func numericMod(a, b *apd.Decimal) *apd.Decimal {
	e := min(a.Exponent, b.Exponent)
	x := new(big.Int).Set(a.Coeff.MathBigInt())
	y := new(big.Int).Set(b.Coeff.MathBigInt())
	ten := big.NewInt(10)
	x.Mul(x, new(big.Int).Exp(ten, big.NewInt(int64(a.Exponent-e)), nil))
	y.Mul(y, new(big.Int).Exp(ten, big.NewInt(int64(b.Exponent-e)), nil))
	x.Rem(x, y)
	r := &apd.Decimal{Exponent: e, Negative: a.Negative}
	r.Coeff.SetMathBigInt(x)
	return normNumeric(r)
}

// Negate returns -v (unary minus) for numbers and intervals.
func Negate(v Value, t Type) (Value, error) {
	if v.IsNull() {
		return Null, nil
	}
	switch v.K {
	case KindInt:
		if isRegOID(t.OID) {
			break
		}
		lo, _, name := intRange(t.OID)
		if v.I == lo {
			return Null, pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", name)
		}
		return NewInt(-v.I), nil
	case KindFloat:
		return NewFloat(-v.Float()), nil
	case KindNumeric:
		d := new(apd.Decimal).Set(v.N)
		if !numericIsNaN(d) {
			d.Negative = !d.Negative
		}
		return NewNumeric(normNumeric(d)), nil
	case KindInterval:
		m, d := v.Months(), v.Days()
		if m == math.MinInt32 || d == math.MinInt32 || v.I == math.MinInt64 {
			return Null, errIVRange
		}
		return NewInterval(-m, -d, -v.I), nil
	}
	return Null, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: - %s", TypeName(t)).
		WithHint("No operator matches the given name and argument type. You might need to add an explicit type cast.")
}

func dateAddDays(d, n int64) (Value, error) {
	if d == NegInfinity || d == PosInfinity {
		return NewDate(d), nil
	}
	r := d + n
	if r < minDateDays || r > maxDateDays {
		return Null, errDateRange
	}
	return NewDate(r), nil
}

func intervalAddSub(a, b Value, sub bool) (Value, error) {
	m2, d2, u2 := int64(b.Months()), int64(b.Days()), b.I
	if sub {
		m2, d2 = -m2, -d2
		if u2 == math.MinInt64 {
			return Null, errIVRange
		}
		u2 = -u2
	}
	m := int64(a.Months()) + m2
	d := int64(a.Days()) + d2
	u, ok := addNoOverflow(a.I, u2)
	if !ok || m > math.MaxInt32 || m < math.MinInt32 || d > math.MaxInt32 || d < math.MinInt32 {
		return Null, errIVRange
	}
	return NewInterval(int32(m), int32(d), u), nil
}

func tsround(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }

func fitsInt32(f float64) bool {
	return !math.IsNaN(f) && f >= math.MinInt32 && f < -float64(math.MinInt32)
}

// intervalMul is interval_mul (PostgreSQL 15).
func intervalMul(v Value, factor float64) (Value, error) {
	om, od := float64(v.Months()), float64(v.Days())
	rm := om * factor
	if !fitsInt32(rm) {
		return Null, errIVRange
	}
	rd := od * factor
	if !fitsInt32(rd) {
		return Null, errIVRange
	}
	month := int32(rm)
	day := int32(rd)
	monthRemDays := tsround((om*factor - float64(month)) * 30)
	secRem := tsround((od*factor - float64(day) + monthRemDays - float64(int32(monthRemDays))) * 86400)
	if math.Abs(secRem) >= 86400 {
		day += int32(secRem / 86400)
		secRem -= float64(int32(secRem/86400)) * 86400
	}
	day += int32(monthRemDays)
	t := math.RoundToEven(float64(v.I)*factor + secRem*1e6)
	if math.IsNaN(t) || t < math.MinInt64 || t >= math.MaxInt64 {
		return Null, errIVRange
	}
	return NewInterval(month, day, int64(t)), nil
}

// intervalDiv is interval_div (PostgreSQL 15).
func intervalDiv(v Value, factor float64) (Value, error) {
	if factor == 0 {
		return Null, errDivZero
	}
	om, od := float64(v.Months()), float64(v.Days())
	rm, rd := om/factor, od/factor
	if !fitsInt32(rm) || !fitsInt32(rd) {
		return Null, errIVRange
	}
	month, day := int32(rm), int32(rd)
	monthRemDays := tsround((om/factor - float64(month)) * 30)
	secRem := tsround((od/factor - float64(day) + monthRemDays - float64(int32(monthRemDays))) * 86400)
	if math.Abs(secRem) >= 86400 {
		day += int32(secRem / 86400)
		secRem -= float64(int32(secRem/86400)) * 86400
	}
	day += int32(monthRemDays)
	t := math.RoundToEven(float64(v.I)/factor + secRem*1e6)
	if math.IsNaN(t) || t < math.MinInt64 || t >= math.MaxInt64 {
		return Null, errIVRange
	}
	return NewInterval(month, day, int64(t)), nil
}

// timestampDiff is timestamp_mi: the µs difference, then justify_hours.
func timestampDiff(a, b int64) (Value, error) {
	if a == NegInfinity || a == PosInfinity || b == NegInfinity || b == PosInfinity {
		return Null, pgerr.New(pgerr.DatetimeFieldOverflow, "cannot subtract infinite timestamps")
	}
	d, ok := addNoOverflow(a, -b)
	if !ok || b == math.MinInt64 {
		return Null, errIVRange
	}
	days := d / usPerDay
	us := d - days*usPerDay
	if days > 0 && us < 0 {
		us += usPerDay
		days--
	} else if days < 0 && us > 0 {
		us -= usPerDay
		days++
	}
	return NewInterval(0, int32(days), us), nil
}

// addMonthsDays adds months (clamping the day to the month's end) and then
// days to a local µs timestamp.
func addMonthsDays(local int64, months, days int32) (int64, bool) {
	day := floorDiv(local, usPerDay)
	tod := local - day*usPerDay
	if months != 0 {
		y, m, d := civilFromDays(day)
		mm := y*12 + (m - 1) + int64(months)
		y, m = floorDiv(mm, 12), floorMod(mm, 12)+1
		if dim := daysInMonth(y, m); d > dim {
			d = dim
		}
		day = daysFromCivil(y, m, d)
	}
	day += int64(days)
	if day < minDateDays || day >= maxTSDays {
		return 0, false
	}
	return day*usPerDay + tod, true
}

// timestampAddInterval adds an interval to a date, timestamp or timestamptz
// value. For timestamptz the month and day parts are applied in loc's local
// time, as PostgreSQL does with the session TimeZone.
func timestampAddInterval(ts, iv Value, tz bool, loc *time.Location) (Value, error) {
	us := timeMicros(ts)
	mk := func(x int64) Value {
		if tz {
			return NewTimestampTZ(x)
		}
		return NewTimestamp(x)
	}
	if us == NegInfinity || us == PosInfinity {
		return mk(us), nil
	}
	if iv.Months() != 0 || iv.Days() != 0 {
		var ok bool
		if tz && ts.K == KindTimestampTZ {
			local := us + zoneOffset(us, loc)*usPerSec
			if local, ok = addMonthsDays(local, iv.Months(), iv.Days()); !ok {
				return Null, errTSRange
			}
			us = localToUTC(local, loc)
		} else if us, ok = addMonthsDays(us, iv.Months(), iv.Days()); !ok {
			return Null, errTSRange
		}
	}
	r, ok := addNoOverflow(us, iv.I)
	if !ok || r < minTSMicros || r > maxTSMicros {
		return Null, errTSRange
	}
	return mk(r), nil
}
