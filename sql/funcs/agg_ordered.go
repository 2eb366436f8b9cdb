package funcs

import (
	"math"
	"strconv"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Ordered-set aggregates: percentile_cont, percentile_disc and mode, called
// as f(direct args) WITHIN GROUP (ORDER BY value). The binder (sql/plan)
// rewrites such a call into an ordinary aggregate call whose first argument
// is the ordered value and whose ORDER BY is the WITHIN GROUP's, so the
// executor steps the rows in that order (as for string_agg(x ORDER BY y));
// the states here keep the values and compute the result at the end, as
// PostgreSQL's do. NULL values are skipped.

func init() {
	regAgg("percentile_cont", t(float8, float8), float8, func() AggState { return &percentileState{cont: true} })
	for _, vt := range []types.Type{int2, int4, int8, float4, float8, numeric, text, types.Date,
		types.Timestamp, types.TimestampTZ, types.Interval} {
		regAgg("percentile_disc", t(vt, float8), vt, func() AggState { return &percentileState{} })
		regAgg("mode", t(vt), vt, func() AggState { return &modeState{} })
	}
}

// percentileState collects the values in order; the fraction is the
// second argument (the same for every row).
type percentileState struct {
	cont     bool
	vals     []types.Value
	frac     types.Value
	fracSeen bool
}

func (s *percentileState) Step(args []types.Value) error {
	if !s.fracSeen {
		s.frac, s.fracSeen = args[1], true
	}
	if args[0].IsNull() {
		return nil
	}
	s.vals = append(s.vals, args[0])
	return nil
}

func (s *percentileState) Result() (types.Value, error) {
	if len(s.vals) == 0 || !s.fracSeen || s.frac.IsNull() {
		return types.Null, nil
	}
	p := s.frac.Float()
	if p < 0 || p > 1 || math.IsNaN(p) {
		return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "percentile value %s is not between 0 and 1", strconv.FormatFloat(p, 'g', -1, 64))
	}
	n := len(s.vals)
	if !s.cont {
		// The first value whose position reaches the fraction.
		i := int(math.Ceil(p * float64(n)))
		return s.vals[max(i, 1)-1], nil
	}
	pos := p * float64(n-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	a, b := s.vals[lo].Float(), s.vals[hi].Float()
	if lo == hi {
		return types.NewFloat(a), nil
	}
	return types.NewFloat(a + (b-a)*(pos-float64(lo))), nil
}

// Merge would interleave two ordered runs: ordered-set aggregates are
// stepped by one goroutine in order and never merged.
func (s *percentileState) Merge(other AggState) error {
	return pgerr.New(pgerr.InternalError, "ordered-set aggregate states cannot be merged")
}

// modeState counts runs of equal values (they arrive sorted) and keeps
// the first of the longest.
type modeState struct {
	cur, best       types.Value
	curRun, bestRun int
}

func (s *modeState) Step(args []types.Value) error {
	v := args[0]
	if v.IsNull() {
		return nil
	}
	if s.curRun > 0 && types.Compare(v, s.cur) == 0 {
		s.curRun++
	} else {
		s.cur, s.curRun = v, 1
	}
	if s.curRun > s.bestRun {
		s.best, s.bestRun = s.cur, s.curRun
	}
	return nil
}

func (s *modeState) Result() (types.Value, error) {
	if s.bestRun == 0 {
		return types.Null, nil
	}
	return s.best, nil
}

func (s *modeState) Merge(other AggState) error {
	return pgerr.New(pgerr.InternalError, "ordered-set aggregate states cannot be merged")
}
