package types

import (
	"strconv"

	"github.com/omendb/omendb/pgerr"
)

// Multidimensional arrays are nested KindArray values: an n-dimensional
// array is a KindArray whose elements are the (n-1)-dimensional sub-arrays
// along its first dimension, down to the elements themselves. The nesting
// is always rectangular (every sub-array of one level has the same length;
// constructors check it) and never holds an empty sub-array: an array with
// a zero-length dimension is the empty array, as in PostgreSQL. The row
// encoding is therefore unchanged (tag 19 nests), and a one-dimensional
// array is what it always was.
//
// maxDim is PostgreSQL's MAXDIM.
const maxDim = 6

// codeArraySubscriptError is SQLSTATE 2202E.
const codeArraySubscriptError = "2202E"

// arrayTop decodes the top level of a KindArray value: the elements of a
// one-dimensional array, the sub-arrays of a multidimensional one.
func arrayTop(v Value) []Value {
	e, _ := DecodeRow([]byte(v.S), nil)
	return e
}

// ArrayRows returns the top level of a KindArray value: the elements of
// a one-dimensional array, the sub-arrays (one dimension fewer) of a
// multidimensional one — what a set-returning function whose results are
// arrays (regexp_matches) returns row by row.
func ArrayRows(v Value) []Value { return arrayTop(v) }

// ArrayDims returns the length of each dimension of a KindArray value; nil
// for the empty array (PostgreSQL's zero-dimensional array).
func ArrayDims(v Value) []int {
	var dims []int
	for v.K == KindArray && v.I > 0 {
		dims = append(dims, int(v.I))
		top := arrayTop(v)
		if len(top) == 0 || top[0].K != KindArray {
			break
		}
		v = top[0]
	}
	return dims
}

// ArrayNDims returns the number of dimensions (0 for the empty array).
func ArrayNDims(v Value) int { return len(ArrayDims(v)) }

// ArrayCardinality returns the total number of elements.
func ArrayCardinality(v Value) int {
	n := 1
	dims := ArrayDims(v)
	if len(dims) == 0 {
		return 0
	}
	for _, d := range dims {
		n *= d
	}
	return n
}

// NewArrayDims builds an array of the given dimensions from its elements in
// row-major order; len(elems) must be the product of dims (an empty dims
// or any zero dimension gives the empty array).
func NewArrayDims(elems []Value, dims []int) Value {
	if len(dims) == 0 || len(elems) == 0 {
		return NewArray(nil)
	}
	if len(dims) == 1 {
		return NewArray(elems)
	}
	step := len(elems) / dims[0]
	subs := make([]Value, dims[0])
	for i := range subs {
		subs[i] = NewArrayDims(elems[i*step:(i+1)*step], dims[1:])
	}
	return NewArray(subs)
}

// NewArrayOfArrays is ARRAY[a1, a2, …] over arrays: a new first dimension
// over sub-arrays of equal dimensions (2202E otherwise). NULL and empty
// sub-arrays give the empty array when all are so and 2202E when mixed
// with others, as PostgreSQL's ExecEvalArrayExpr does.
func NewArrayOfArrays(subs []Value) (Value, error) {
	mismatch := pgerr.New(codeArraySubscriptError, "multidimensional arrays must have array expressions with matching dimensions")
	var dims []int
	empty := false
	for _, s := range subs {
		d := ArrayDims(s)
		if s.IsNull() || len(d) == 0 {
			empty = true
			continue
		}
		if dims == nil {
			dims = d
		} else if !sameDims(d, dims) {
			return Null, mismatch
		}
	}
	if dims == nil {
		return NewArray(nil), nil
	}
	if empty {
		return Null, mismatch
	}
	if len(dims)+1 > maxDim {
		return Null, pgerr.New(pgerr.ProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (%d)", len(dims)+1, maxDim)
	}
	return NewArray(subs), nil
}

func sameDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ArrayAt is a[i1][i2]…: the element at the given 1-based subscripts, NULL
// when their number is not the array's dimension count or one is out of
// range (PostgreSQL's array_ref).
func ArrayAt(v Value, idx []int64) Value {
	for n, i := range idx {
		if v.K != KindArray || i < 1 || i > v.I {
			return Null
		}
		e := arrayTop(v)[i-1]
		if n == len(idx)-1 {
			if e.K == KindArray {
				return Null // fewer subscripts than dimensions
			}
			return e
		}
		v = e
	}
	return Null
}

// ArraySet is a[i1]…[in] := x (PostgreSQL's array_set_element) for arrays
// with lower bound 1: a one-dimensional array (or NULL or empty) grows to
// reach subscript i, padding with NULLs; a multidimensional one must be
// assigned within its bounds. Subscripts that would move a lower bound
// away from 1 fail with 0A000.
func ArraySet(v Value, idx []int64, x Value) (Value, error) {
	dims := ArrayDims(v)
	if v.IsNull() || len(dims) == 0 {
		if len(idx) != 1 {
			return Null, pgerr.NotSupported("assignment to an element of an empty multidimensional array is not supported")
		}
		if idx[0] != 1 {
			return Null, pgerr.NotSupported("arrays with a lower bound other than 1 are not supported")
		}
		return NewArray([]Value{x}), nil
	}
	if len(idx) != len(dims) {
		return Null, pgerr.New(codeArraySubscriptError, "wrong number of array subscripts")
	}
	if len(dims) == 1 {
		i := idx[0]
		if i < 1 {
			return Null, pgerr.NotSupported("arrays with a lower bound other than 1 are not supported")
		}
		if i > 1<<27 {
			return Null, pgerr.New(pgerr.ProgramLimitExceeded, "array size exceeds the maximum allowed (134217727)")
		}
		elems := arrayTop(v)
		for int64(len(elems)) < i {
			elems = append(elems, Null)
		}
		elems[i-1] = x
		return NewArray(elems), nil
	}
	for n, i := range idx {
		if i < 1 || i > int64(dims[n]) {
			return Null, pgerr.New(codeArraySubscriptError, "array subscript out of range")
		}
	}
	var set func(v Value, idx []int64) Value
	set = func(v Value, idx []int64) Value {
		top := arrayTop(v)
		if len(idx) == 1 {
			top[idx[0]-1] = x
		} else {
			top[idx[0]-1] = set(top[idx[0]-1], idx[1:])
		}
		return NewArray(top)
	}
	return set(v, idx), nil
}

// appendArrayDims is array_dims: "[1:2][1:3]".
func appendArrayDims(buf []byte, dims []int) []byte {
	for _, d := range dims {
		buf = append(buf, "[1:"...)
		buf = strconv.AppendInt(buf, int64(d), 10)
		buf = append(buf, ']')
	}
	return buf
}

// ArrayDimsText is array_dims(a); "" for the empty array (NULL in SQL).
func ArrayDimsText(v Value) string { return string(appendArrayDims(nil, ArrayDims(v))) }

// mapLeaves returns v with f applied to every element, keeping the shape.
func mapLeaves(v Value, f func(Value) (Value, error)) (Value, error) {
	top := arrayTop(v)
	for i, e := range top {
		var err error
		if e.K == KindArray {
			top[i], err = mapLeaves(e, f)
		} else {
			top[i], err = f(e)
		}
		if err != nil {
			return Null, err
		}
	}
	return NewArray(top), nil
}

// flattenInto appends the elements of v in row-major order.
func flattenInto(dst []Value, v Value) []Value {
	for _, e := range arrayTop(v) {
		if e.K == KindArray {
			dst = flattenInto(dst, e)
		} else {
			dst = append(dst, e)
		}
	}
	return dst
}

// ArrayTop decodes the top level of a KindArray value: the elements of a
// one-dimensional array, the sub-arrays of a multidimensional one.
func ArrayTop(v Value) ([]Value, error) {
	if v.K != KindArray {
		return nil, pgerr.New(pgerr.InternalError, "value of kind %d is not an array", v.K)
	}
	return DecodeRow([]byte(v.S), nil)
}

// ArraySlice is a[lo1:hi1]…[lon:hin] (PostgreSQL's array_get_slice for
// lower bound 1): each range is clipped to its dimension; a missing bound
// (has false) is the dimension's end; the result starts at 1 in every
// dimension; ranges that select nothing, or more ranges than the array has
// dimensions, give the empty array. Fewer ranges than dimensions take the
// remaining dimensions whole.
func ArraySlice(v Value, lo, hi []int64, hasLo, hasHi []bool) Value {
	dims := ArrayDims(v)
	if len(dims) == 0 || len(lo) > len(dims) {
		return NewArray(nil)
	}
	from := make([]int, len(dims))
	to := make([]int, len(dims))
	for d := range dims {
		from[d], to[d] = 1, dims[d]
		if d < len(lo) {
			if hasLo[d] && lo[d] > 1 {
				from[d] = int(min(lo[d], int64(dims[d])+1))
			}
			if hasHi[d] && hi[d] < int64(dims[d]) {
				to[d] = int(max(hi[d], 0))
			}
		}
		if from[d] > to[d] {
			return NewArray(nil)
		}
	}
	var cut func(v Value, d int) Value
	cut = func(v Value, d int) Value {
		top := arrayTop(v)[from[d]-1 : to[d]]
		out := make([]Value, len(top))
		for i, e := range top {
			if d+1 < len(dims) {
				out[i] = cut(e, d+1)
			} else {
				out[i] = e
			}
		}
		return NewArray(out)
	}
	return cut(v, 0)
}

// ArraySetSlice is a[lo:hi] := src for a one-dimensional array with lower
// bound 1 (PostgreSQL's array_set_slice): hasLo/hasHi false take the
// array's own bounds; the slice may extend the array upwards (padding with
// NULLs); src must hold at least hi-lo+1 elements (its first ones are
// used). A NULL src leaves the array unchanged (NULL becomes empty), as in
// PostgreSQL. Slices of multidimensional arrays and slices that would move
// the lower bound away from 1 fail with 0A000.
func ArraySetSlice(v Value, lo, hi int64, hasLo, hasHi bool, src Value) (Value, error) {
	dims := ArrayDims(v)
	empty := v.IsNull() || len(dims) == 0
	if src.IsNull() {
		if v.IsNull() {
			return NewArray(nil), nil
		}
		return v, nil
	}
	if len(dims) > 1 {
		return Null, pgerr.NotSupported("assignment to a slice of a multidimensional array is not supported")
	}
	if empty {
		if !hasLo || !hasHi {
			return Null, pgerr.New(codeArraySubscriptError, "array slice subscript must provide both boundaries").
				WithDetail("When assigning to a slice of an empty array value, slice boundaries must be fully specified.")
		}
	} else {
		if !hasLo {
			lo = 1
		}
		if !hasHi {
			hi = int64(dims[0])
		}
	}
	if lo > hi {
		return Null, pgerr.New(codeArraySubscriptError, "upper bound cannot be less than lower bound")
	}
	if lo < 1 || (empty && lo != 1) {
		return Null, pgerr.NotSupported("arrays with a lower bound other than 1 are not supported")
	}
	if hi > 1<<27 {
		return Null, pgerr.New(pgerr.ProgramLimitExceeded, "array size exceeds the maximum allowed (134217727)")
	}
	var from []Value
	if ArrayNDims(src) > 1 {
		from = flattenInto(nil, src)
	} else {
		from = arrayTop(src)
	}
	n := hi - lo + 1
	if int64(len(from)) < n {
		return Null, pgerr.New(codeArraySubscriptError, "source array too small")
	}
	var elems []Value
	if !empty {
		elems = arrayTop(v)
	}
	for int64(len(elems)) < hi {
		elems = append(elems, Null)
	}
	copy(elems[lo-1:hi], from[:n])
	return NewArray(elems), nil
}
