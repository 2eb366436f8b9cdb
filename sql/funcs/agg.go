package funcs

import (
	"math"
	"sort"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Aggregate is one aggregate function overload.
type Aggregate struct {
	Name string
	// Args are the declared argument types; empty for count(*).
	Args []types.Type
	Ret  types.Type
	// New returns an empty state. States are used by one goroutine at a
	// time; partial states built in parallel are combined with Merge.
	New func() AggState
}

// AggState accumulates one group.
type AggState interface {
	// Step adds one row. Rows whose (first) argument is NULL are skipped,
	// except by count(*), which has no arguments.
	Step(args []types.Value) error
	// Result returns the aggregate of the rows seen so far (NULL for sum,
	// min, avg … of no rows; 0 for count). It does not change the state.
	Result() (types.Value, error)
	// Merge adds other's rows, which must be a state of the same aggregate
	// overload; other must not be used afterwards.
	Merge(other AggState) error
}

func regAgg(name string, args []types.Type, ret types.Type, n func() AggState) {
	for i := range args {
		args[i].Mod = -1
	}
	aggregates[name] = append(aggregates[name], &Aggregate{Name: name, Args: args, Ret: ret, New: n})
}

// ResolveAggregate picks the overload of the aggregate name for arguments of
// argTypes (star: count(*), with no arguments) and returns the types each
// argument must be cast to.
func ResolveAggregate(name string, argTypes []types.Type, star bool) (*Aggregate, []types.Type, error) {
	cands := aggregates[name]
	if star {
		if len(cands) == 0 {
			return nil, nil, pgerr.New(pgerr.UndefinedFunction, "function %s(*) does not exist", name).
				WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
		}
		for _, a := range cands {
			if len(a.Args) == 0 {
				return a, nil, nil
			}
		}
		return nil, nil, pgerr.New(pgerr.WrongObjectType, "%s(*) specified, but %s is not a parameterless aggregate function", name, name)
	}
	if name == "array_agg" {
		return arrayAggregate(argTypes)
	}
	if a, casts, ok := enumMinMax(name, argTypes); ok {
		return a, casts, nil
	}
	if a, casts, ok, err := jsonAggregate(name, argTypes); ok {
		return a, casts, err
	}
	sigs := make([]candidate, 0, len(cands))
	for i, a := range cands {
		if len(a.Args) == len(argTypes) && len(a.Args) > 0 {
			sigs = append(sigs, candidate{idx: i, args: a.Args})
		}
	}
	c, err := selectCandidate(name, argTypes, sigs)
	if err != nil {
		return nil, nil, err
	}
	return cands[c.idx], castTargets(argTypes, c.args), nil
}

// AggregateNames returns the names of every aggregate.
func AggregateNames() []string {
	out := make([]string, 0, len(aggregates))
	for n := range aggregates {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func init() {
	regAgg("count", nil, int8, func() AggState { return &countState{star: true} })
	regAgg("count", t(Any), int8, func() AggState { return &countState{} })

	regAgg("sum", t(int2), int8, func() AggState { return &intSumState{} })
	regAgg("sum", t(int4), int8, func() AggState { return &intSumState{} })
	regAgg("sum", t(int8), numeric, func() AggState { return &numState{kind: aggSum} })
	regAgg("sum", t(numeric), numeric, func() AggState { return &numState{kind: aggSum} })
	regAgg("sum", t(float4), float4, func() AggState { return &floatState{kind: aggSum, f4: true} })
	regAgg("sum", t(float8), float8, func() AggState { return &floatState{kind: aggSum} })
	regAgg("sum", t(types.Interval), types.Interval, func() AggState { return &intervalState{} })

	for _, it := range []types.Type{int2, int4, int8, numeric} {
		regAgg("avg", t(it), numeric, func() AggState { return &numState{kind: aggAvg} })
	}
	for _, ft := range []types.Type{float4, float8} {
		regAgg("avg", t(ft), float8, func() AggState { return &floatState{kind: aggAvg} })
	}
	regAgg("avg", t(types.Interval), types.Interval, func() AggState { return &intervalState{avg: true} })

	stats := map[string]aggKind{
		"stddev": aggStddevSamp, "stddev_samp": aggStddevSamp, "stddev_pop": aggStddevPop,
		"variance": aggVarSamp, "var_samp": aggVarSamp, "var_pop": aggVarPop,
	}
	for name, k := range stats {
		k := k
		for _, it := range []types.Type{int2, int4, int8, numeric} {
			regAgg(name, t(it), numeric, func() AggState { return &numState{kind: k} })
		}
		for _, ft := range []types.Type{float4, float8} {
			regAgg(name, t(ft), float8, func() AggState { return &floatState{kind: k} })
		}
	}

	for _, mt := range []types.Type{int2, int4, int8, float4, float8, numeric, text, bpchar, types.Date,
		{OID: types.OIDTime}, types.Timestamp, types.TimestampTZ, types.Interval, types.OIDType, types.Inet} {
		regAgg("min", t(mt), mt, func() AggState { return &minMaxState{sign: -1} })
		regAgg("max", t(mt), mt, func() AggState { return &minMaxState{sign: 1} })
	}

	regAgg("bool_and", t(boolT), boolT, func() AggState { return &boolState{and: true} })
	regAgg("every", t(boolT), boolT, func() AggState { return &boolState{and: true} })
	regAgg("bool_or", t(boolT), boolT, func() AggState { return &boolState{} })
	for _, it := range []types.Type{int2, int4, int8} {
		regAgg("bit_and", t(it), it, func() AggState { return &bitState{and: true} })
		regAgg("bit_or", t(it), it, func() AggState { return &bitState{} })
	}
	regAgg("string_agg", t(text, text), text, func() AggState { return &stringAggState{} })
	regAgg("string_agg", t(bytea, bytea), bytea, func() AggState { return &stringAggState{bytes: true} })
}

type countState struct {
	star bool
	n    int64
}

func (s *countState) Step(a []types.Value) error {
	if s.star || !a[0].IsNull() {
		s.n++
	}
	return nil
}
func (s *countState) Result() (types.Value, error) { return types.NewInt(s.n), nil }
func (s *countState) Merge(o AggState) error {
	s.n += o.(*countState).n
	return nil
}

// intSumState is sum(int2|int4) → int8.
type intSumState struct {
	n   int64
	sum int64
}

func (s *intSumState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return nil
	}
	return s.add(a[0].I, 1)
}
func (s *intSumState) add(v, n int64) error {
	r := s.sum + v
	if (v > 0 && r < s.sum) || (v < 0 && r > s.sum) {
		return pgerr.New(pgerr.NumericValueOutOfRange, "bigint out of range")
	}
	s.sum, s.n = r, s.n+n
	return nil
}
func (s *intSumState) Result() (types.Value, error) {
	if s.n == 0 {
		return types.Null, nil
	}
	return types.NewInt(s.sum), nil
}
func (s *intSumState) Merge(o AggState) error {
	x := o.(*intSumState)
	if x.n == 0 {
		return nil
	}
	return s.add(x.sum, x.n)
}

type aggKind uint8

const (
	aggSum aggKind = iota
	aggAvg
	aggVarSamp
	aggVarPop
	aggStddevSamp
	aggStddevPop
)

// numState is the exact accumulator of sum/avg/variance over integers and
// numeric: count, sum and (for variance) the sum of squares, all exact.
// NaN inputs make the result NaN.
type numState struct {
	kind  aggKind
	n     int64
	sum   apd.Decimal
	sumSq apd.Decimal
	nan   bool
	pinf  bool
	ninf  bool
}

func valDec(v types.Value) *apd.Decimal {
	if v.K == types.KindNumeric {
		return v.N
	}
	return decInt(v.I)
}

func (s *numState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return nil
	}
	d := valDec(a[0])
	s.n++
	switch d.Form {
	case apd.NaN:
		s.nan = true
		return nil
	case apd.Infinite:
		if d.Negative {
			s.ninf = true
		} else {
			s.pinf = true
		}
		return nil
	}
	if _, err := exact.Add(&s.sum, &s.sum, d); err != nil {
		return numOverflow()
	}
	if s.kind >= aggVarSamp {
		sq := newDec()
		if _, err := exact.Mul(sq, d, d); err != nil {
			return numOverflow()
		}
		if _, err := exact.Add(&s.sumSq, &s.sumSq, sq); err != nil {
			return numOverflow()
		}
	}
	return nil
}

func (s *numState) Merge(o AggState) error {
	x := o.(*numState)
	s.n += x.n
	s.nan = s.nan || x.nan
	s.pinf = s.pinf || x.pinf
	s.ninf = s.ninf || x.ninf
	if _, err := exact.Add(&s.sum, &s.sum, &x.sum); err != nil {
		return numOverflow()
	}
	if _, err := exact.Add(&s.sumSq, &s.sumSq, &x.sumSq); err != nil {
		return numOverflow()
	}
	return nil
}

func (s *numState) Result() (types.Value, error) {
	if s.n == 0 {
		return types.Null, nil
	}
	minN := int64(1)
	if s.kind == aggVarSamp || s.kind == aggStddevSamp {
		minN = 2
	}
	if s.n < minN {
		return types.Null, nil
	}
	special := func() (types.Value, bool) {
		switch {
		case s.nan || (s.pinf && s.ninf):
			return types.NewNumeric(&apd.Decimal{Form: apd.NaN}), true
		case s.kind >= aggVarSamp && (s.pinf || s.ninf):
			return types.NewNumeric(&apd.Decimal{Form: apd.NaN}), true
		case s.pinf:
			return types.NewNumeric(&apd.Decimal{Form: apd.Infinite}), true
		case s.ninf:
			return types.NewNumeric(&apd.Decimal{Form: apd.Infinite, Negative: true}), true
		}
		return types.Null, false
	}
	if v, ok := special(); ok {
		return v, nil
	}
	sum := fixScale(new(apd.Decimal).Set(&s.sum))
	switch s.kind {
	case aggSum:
		return types.NewNumeric(sum), nil
	case aggAvg:
		n := decInt(s.n)
		r, err := numDiv(sum, n, divScale(sum, n))
		if err != nil {
			return types.Null, err
		}
		return types.NewNumeric(r), nil
	}
	// Variance as PostgreSQL's numeric_stddev_internal:
	// (N·Σx² − (Σx)²) / (N·(N−1)) or / N².
	n := decInt(s.n)
	num := newDec()
	a, b := newDec(), newDec()
	_, _ = exact.Mul(a, n, &s.sumSq)
	_, _ = exact.Mul(b, sum, sum)
	_, _ = exact.Sub(num, a, b)
	num = fixScale(num)
	if num.Sign() <= 0 {
		return types.NewNumeric(decInt(0)), nil
	}
	den := newDec()
	if s.kind == aggVarSamp || s.kind == aggStddevSamp {
		_, _ = exact.Mul(den, n, decInt(s.n-1))
	} else {
		_, _ = exact.Mul(den, n, n)
	}
	scale := divScale(num, den)
	r, err := numDiv(num, den, scale)
	if err != nil {
		return types.Null, err
	}
	if s.kind == aggStddevSamp || s.kind == aggStddevPop {
		c := fnCtx(20, int(scale))
		q := newDec()
		if _, err := c.Sqrt(q, r); err != nil {
			return types.Null, numOverflow()
		}
		r = roundTo(q, scale, apd.RoundHalfUp)
	}
	return types.NewNumeric(r), nil
}

// floatState is sum/avg/variance over float4/float8 with PostgreSQL's
// Youngs-Cramer accumulation (float8_accum / float8_combine).
type floatState struct {
	kind       aggKind
	f4         bool // sum(float4): add in single precision
	n, sx, sxx float64
}

func (s *floatState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return nil
	}
	v := a[0].Float()
	if s.kind == aggSum {
		s.n++
		if s.f4 {
			s.sx = float64(float32(s.sx) + float32(v))
			if math.IsInf(s.sx, 0) && !math.IsInf(v, 0) {
				return pgerr.New(pgerr.NumericValueOutOfRange, "value out of range: overflow")
			}
			return nil
		}
		old := s.sx
		s.sx += v
		if math.IsInf(s.sx, 0) && !math.IsInf(v, 0) && !math.IsInf(old, 0) {
			return pgerr.New(pgerr.NumericValueOutOfRange, "value out of range: overflow")
		}
		return nil
	}
	oldN := s.n
	s.n++
	s.sx += v
	if oldN > 0 {
		tmp := v*s.n - s.sx
		s.sxx += tmp * tmp / (s.n * oldN)
		if math.IsInf(s.sx, 0) || math.IsInf(s.sxx, 0) {
			if !math.IsInf(v, 0) && !math.IsInf(s.sx-v, 0) {
				return pgerr.New(pgerr.NumericValueOutOfRange, "value out of range: overflow")
			}
			s.sxx = math.NaN()
		}
	} else if math.IsNaN(v) || math.IsInf(v, 0) {
		s.sxx = math.NaN()
	}
	return nil
}

func (s *floatState) Merge(o AggState) error {
	x := o.(*floatState)
	switch {
	case x.n == 0:
		return nil
	case s.n == 0:
		*s = *x
		return nil
	}
	if s.kind == aggSum {
		s.n += x.n
		if s.f4 {
			s.sx = float64(float32(s.sx) + float32(x.sx))
		} else {
			s.sx += x.sx
		}
		return nil
	}
	n := s.n + x.n
	tmp := s.sx/s.n - x.sx/x.n
	s.sxx = s.sxx + x.sxx + s.n*x.n*tmp*tmp/n
	s.sx += x.sx
	s.n = n
	return nil
}

func (s *floatState) Result() (types.Value, error) {
	if s.n == 0 {
		return types.Null, nil
	}
	switch s.kind {
	case aggSum:
		return types.NewFloat(s.sx), nil
	case aggAvg:
		return types.NewFloat(s.sx / s.n), nil
	case aggVarPop:
		return types.NewFloat(s.sxx / s.n), nil
	case aggStddevPop:
		return types.NewFloat(math.Sqrt(s.sxx / s.n)), nil
	}
	if s.n < 2 {
		return types.Null, nil
	}
	if s.kind == aggVarSamp {
		return types.NewFloat(s.sxx / (s.n - 1)), nil
	}
	return types.NewFloat(math.Sqrt(s.sxx / (s.n - 1))), nil
}

// intervalState is sum(interval) and avg(interval).
type intervalState struct {
	avg    bool
	n      int64
	months int64
	days   int64
	us     int64
}

func (s *intervalState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return nil
	}
	v := a[0]
	return s.add(int64(v.Months()), int64(v.Days()), v.I, 1)
}

func (s *intervalState) add(m, d, us, n int64) error {
	nm, nd := s.months+m, s.days+d
	nu := s.us + us
	if nm > math.MaxInt32 || nm < math.MinInt32 || nd > math.MaxInt32 || nd < math.MinInt32 ||
		(us > 0 && nu < s.us) || (us < 0 && nu > s.us) {
		return pgerr.New(pgerr.DatetimeFieldOverflow, "interval out of range")
	}
	s.months, s.days, s.us, s.n = nm, nd, nu, s.n+n
	return nil
}

func (s *intervalState) Merge(o AggState) error {
	x := o.(*intervalState)
	if x.n == 0 {
		return nil
	}
	return s.add(x.months, x.days, x.us, x.n)
}

func (s *intervalState) Result() (types.Value, error) {
	if s.n == 0 {
		return types.Null, nil
	}
	if !s.avg {
		return types.NewInterval(int32(s.months), int32(s.days), s.us), nil
	}
	return intervalDiv(int32(s.months), int32(s.days), s.us, float64(s.n))
}

// intervalDiv is PostgreSQL's interval_div: months and days are divided
// separately and their fractions cascade down (30-day months).
func intervalDiv(months, days int32, us int64, f float64) (types.Value, error) {
	if f == 0 {
		return types.Null, errDiv0
	}
	tsround := func(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }
	rm := int32(float64(months) / f)
	rd := int32(float64(days) / f)
	monthRemDays := tsround((float64(months)/f - float64(rm)) * 30)
	secRem := tsround((float64(days)/f - float64(rd) + monthRemDays - float64(int32(monthRemDays))) * 86400)
	if math.Abs(secRem) >= 86400 {
		rd += int32(secRem / 86400)
		secRem -= float64(int32(secRem/86400)) * 86400
	}
	rd += int32(monthRemDays)
	t := math.RoundToEven(float64(us)/f + secRem*1e6)
	return types.NewInterval(rm, rd, int64(t)), nil
}

// minMaxState keeps the least (sign −1) or greatest (sign +1) value. Of
// equal values the later one wins, as in PostgreSQL's int4larger &co
// (visible for numerics of different display scale: max(1.50, 1.5) = 1.5).
type minMaxState struct {
	sign int
	v    types.Value
}

func (s *minMaxState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return nil
	}
	if s.v.IsNull() || types.Compare(a[0], s.v)*s.sign >= 0 {
		s.v = a[0]
	}
	return nil
}
func (s *minMaxState) Result() (types.Value, error) { return s.v, nil }
func (s *minMaxState) Merge(o AggState) error       { return s.Step([]types.Value{o.(*minMaxState).v}) }

type boolState struct {
	and  bool
	seen bool
	v    bool
}

func (s *boolState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return nil
	}
	b := a[0].Bool()
	if !s.seen {
		s.seen, s.v = true, b
	} else if s.and {
		s.v = s.v && b
	} else {
		s.v = s.v || b
	}
	return nil
}
func (s *boolState) Result() (types.Value, error) {
	if !s.seen {
		return types.Null, nil
	}
	return types.NewBool(s.v), nil
}
func (s *boolState) Merge(o AggState) error {
	x := o.(*boolState)
	if !x.seen {
		return nil
	}
	return s.Step([]types.Value{types.NewBool(x.v)})
}

type bitState struct {
	and  bool
	seen bool
	v    int64
}

func (s *bitState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return nil
	}
	switch {
	case !s.seen:
		s.seen, s.v = true, a[0].I
	case s.and:
		s.v &= a[0].I
	default:
		s.v |= a[0].I
	}
	return nil
}
func (s *bitState) Result() (types.Value, error) {
	if !s.seen {
		return types.Null, nil
	}
	return types.NewInt(s.v), nil
}
func (s *bitState) Merge(o AggState) error {
	x := o.(*bitState)
	if !x.seen {
		return nil
	}
	return s.Step([]types.Value{types.NewInt(x.v)})
}

// stringAggState is string_agg(value, delimiter): each value after the
// first is preceded by its own row's delimiter (NULL delimiter = empty). As
// PostgreSQL's string_agg_combine, the state keeps the first value's
// delimiter too, so that a merged state can put it back between the parts.
type stringAggState struct {
	bytes bool
	seen  bool
	skip  int // length of the leading delimiter, cut from the result
	b     strings.Builder
}

func (s *stringAggState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return nil
	}
	d := ""
	if !a[1].IsNull() {
		d = a[1].S
	}
	if !s.seen {
		s.skip = len(d)
	}
	s.seen = true
	s.b.WriteString(d)
	s.b.WriteString(a[0].S)
	return nil
}

func (s *stringAggState) Result() (types.Value, error) {
	if !s.seen {
		return types.Null, nil
	}
	r := s.b.String()[s.skip:]
	if s.bytes {
		return types.NewBytes([]byte(r)), nil
	}
	return types.NewText(r), nil
}

func (s *stringAggState) Merge(o AggState) error {
	x := o.(*stringAggState)
	if !x.seen {
		return nil
	}
	if !s.seen {
		s.seen, s.skip = true, x.skip
	}
	s.b.WriteString(x.b.String())
	return nil
}
