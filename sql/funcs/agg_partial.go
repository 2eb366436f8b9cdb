package funcs

import (
	"github.com/cockroachdb/apd/v3"
)

// NewPartial returns a state of aggregate a as if it had stepped n rows
// with a non-NULL argument whose exact sum is sum (ignored by count). It
// serves vectorized executors that accumulate counts and sums themselves
// and must finish exactly like Step/Result would: count, count(*), and sum
// and avg over integers and numeric. ok is false for any other aggregate,
// and for a sum(int2|int4) whose sum does not fit a bigint (the row path
// reports that error).
func NewPartial(a *Aggregate, n int64, sum *apd.Decimal) (AggState, bool) {
	st := a.New()
	switch s := st.(type) {
	case *countState:
		s.n = n
		return s, true
	case *intSumState:
		if n == 0 {
			return s, true
		}
		if sum.Form != apd.Finite || sum.Exponent != 0 {
			return nil, false
		}
		v, err := sum.Int64()
		if err != nil {
			return nil, false
		}
		s.n, s.sum = n, v
		return s, true
	case *numState:
		if s.kind != aggSum && s.kind != aggAvg {
			return nil, false
		}
		s.n = n
		if n > 0 {
			s.sum.Set(sum)
		}
		return s, true
	}
	return nil, false
}

// IsMinMax reports whether a is min or max, whose Step keeps the later of
// two equal values.
func IsMinMax(a *Aggregate) bool {
	_, ok := a.New().(*minMaxState)
	return ok
}
