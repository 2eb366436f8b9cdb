package catalog

import (
	"math"

	"github.com/omendb/omendb/types"
)

// DataType is the sequence's data type: smallint, integer or bigint (the
// default, and the type of sequences created before the type was kept).
func (s *Sequence) DataType() types.OID {
	if s.Type == 0 {
		return types.OIDInt8
	}
	return s.Type
}

// Bounds are the sequence's smallest and largest values: MINVALUE and
// MAXVALUE, else PostgreSQL's defaults for its type and direction (1 up to
// the type's maximum ascending, the type's minimum up to -1 descending).
func (s *Sequence) Bounds() (lo, hi int64) {
	tlo, thi := TypeRange(s.DataType())
	if s.Inc > 0 {
		lo, hi = 1, thi
	} else {
		lo, hi = tlo, -1
	}
	if s.MinValue != nil {
		lo = *s.MinValue
	}
	if s.MaxValue != nil {
		hi = *s.MaxValue
	}
	return lo, hi
}

// CacheSize is CACHE (1 when not given). OmenDB hands out values one at a
// time whatever it says; it is kept so the catalog (and a dump) shows it.
func (s *Sequence) CacheSize() int64 {
	if s.Cache <= 0 {
		return 1
	}
	return s.Cache
}

// TypeRange is the range of a sequence data type.
func TypeRange(t types.OID) (lo, hi int64) {
	switch t {
	case types.OIDInt2:
		return math.MinInt16, math.MaxInt16
	case types.OIDInt4:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// Next is the value after cur (the last value handed out; ok false when
// none was) and whether there is one: past a bound the sequence is
// exhausted unless it cycles, when it starts again at the other bound.
func (s *Sequence) Next(cur int64, ok bool) (int64, bool) {
	if !ok {
		return s.Start, true
	}
	lo, hi := s.Bounds()
	next := cur + s.Inc
	overflow := s.Inc > 0 && next < cur || s.Inc < 0 && next > cur
	switch {
	case s.Inc > 0 && (overflow || next > hi):
		if !s.Cycle {
			return 0, false
		}
		return lo, true
	case s.Inc < 0 && (overflow || next < lo):
		if !s.Cycle {
			return 0, false
		}
		return hi, true
	}
	return next, true
}
