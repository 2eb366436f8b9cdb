package funcs

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Multidimensional arrays: the functions the binder calls for subscripts,
// subscripted assignment and ARRAY[…] over arrays. They are not in the
// registry (PostgreSQL has no SQL-callable names for them).

// ArraySubscript is a[i1]…[in] for an array of type at: the element at
// the subscripts, NULL when one is NULL or out of range or when n is not
// the array's dimension count. int2vector and oidvector subscripts start
// at 0.
func ArraySubscript(at types.Type, n int) *Func {
	args := make([]types.Type, n+1)
	args[0] = at
	for i := 1; i <= n; i++ {
		args[i] = int4
	}
	base := int64(0)
	if at.OID == types.OIDInt2Vector || at.OID == types.OIDOIDVector {
		base = 1
	}
	return &Func{Name: "array_subscript", Args: args, Ret: types.ElemType(at), Strict: true, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			idx := make([]int64, n)
			for i := range idx {
				idx[i] = a[i+1].I + base
			}
			return types.ArrayAt(a[0], idx), nil
		}}
}

// ArrayAssign is a[i1]…[in] := x (UPDATE … SET a[i] = x, INSERT INTO t
// (a[i])): the array with that element replaced. A NULL subscript fails
// with 22004 as in PostgreSQL.
func ArrayAssign(at types.Type, n int) *Func {
	args := make([]types.Type, n+2)
	args[0] = at
	for i := 1; i <= n; i++ {
		args[i] = int4
	}
	args[n+1] = types.ElemType(at)
	return &Func{Name: "array_assign", Args: args, Ret: at, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			idx := make([]int64, n)
			for i := range idx {
				if a[i+1].IsNull() {
					return types.Null, pgerr.New(pgerr.NullValueNotAllowed, "array subscript in assignment must not be null")
				}
				idx[i] = a[i+1].I
			}
			return types.ArraySet(a[0], idx, a[n+1])
		}}
}

// ArrayOfArrays is ARRAY[a1, …, an] whose elements are arrays of type at:
// an array with one more dimension (2202E unless the sub-arrays' dimensions
// match).
func ArrayOfArrays(at types.Type, n int) *Func {
	args := make([]types.Type, n)
	for i := range args {
		args[i] = at
	}
	return &Func{Name: "array", Args: args, Ret: at, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			return types.NewArrayOfArrays(a)
		}}
}

// concatMD is array_cat / array_append / array_prepend when an operand is
// multidimensional (ok=false otherwise): arrays of equal dimension count
// join along the first dimension when their other dimensions match; an
// array of one dimension fewer joins as one more row.
func concatMD(mode int, a []types.Value) (types.Value, bool, error) {
	var dl, dr []int
	if mode != 2 {
		dl = types.ArrayDims(a[0])
	}
	if mode != 1 {
		dr = types.ArrayDims(a[1])
	}
	if len(dl) < 2 && len(dr) < 2 {
		return types.Null, false, nil
	}
	if mode != 0 {
		return types.Null, true, pgerr.New(pgerr.DataException, "argument must be empty or one-dimensional array")
	}
	l, r := a[0], a[1]
	switch {
	case l.IsNull() || len(dl) == 0:
		return r, true, nil
	case r.IsNull() || len(dr) == 0:
		return l, true, nil
	}
	top := func(v types.Value) []types.Value {
		es, _ := types.ArrayTop(v)
		return es
	}
	incompatible := pgerr.New("2202E", "cannot concatenate incompatible arrays")
	switch {
	case len(dl) == len(dr):
		if !equalInts(dl[1:], dr[1:]) {
			return types.Null, true, incompatible.WithDetail("Arrays with differing element dimensions are not compatible for concatenation.")
		}
		return types.NewArray(append(top(l), top(r)...)), true, nil
	case len(dl) == len(dr)+1:
		if !equalInts(dl[1:], dr) {
			return types.Null, true, incompatible.WithDetail("Arrays with differing dimensions are not compatible for concatenation.")
		}
		return types.NewArray(append(top(l), r)), true, nil
	case len(dr) == len(dl)+1:
		if !equalInts(dr[1:], dl) {
			return types.Null, true, incompatible.WithDetail("Arrays with differing dimensions are not compatible for concatenation.")
		}
		return types.NewArray(append([]types.Value{l}, top(r)...)), true, nil
	}
	return types.Null, true, incompatible.WithDetail("Arrays of %d and %d dimensions are not compatible for concatenation.", len(dl), len(dr))
}

func equalInts(a, b []int) bool {
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

// ArraySlice is a[lo:hi]… for an array of type at: per dimension the
// arguments after the array hold its lower bound when hasLo and its upper
// bound when hasHi (a missing bound is the dimension's end). A NULL bound
// gives NULL.
func ArraySlice(at types.Type, hasLo, hasHi []bool) *Func {
	args := []types.Type{at}
	for d := range hasLo {
		if hasLo[d] {
			args = append(args, int4)
		}
		if hasHi[d] {
			args = append(args, int4)
		}
	}
	n := len(hasLo)
	return &Func{Name: "array_slice", Args: args, Ret: at, Strict: true, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			lo, hi := make([]int64, n), make([]int64, n)
			k := 1
			for d := 0; d < n; d++ {
				if hasLo[d] {
					lo[d], k = a[k].I, k+1
				}
				if hasHi[d] {
					hi[d], k = a[k].I, k+1
				}
			}
			return types.ArraySlice(a[0], lo, hi, hasLo, hasHi), nil
		}}
}

// ArraySliceAssign is a[lo:hi] := src for arrays of type at
// (types.ArraySetSlice); args are the array, lo if hasLo, hi if hasHi, then
// src (of type at).
func ArraySliceAssign(at types.Type, hasLo, hasHi bool) *Func {
	args := []types.Type{at}
	if hasLo {
		args = append(args, int4)
	}
	if hasHi {
		args = append(args, int4)
	}
	args = append(args, at)
	return &Func{Name: "array_assign_slice", Args: args, Ret: at, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			var lo, hi int64
			k := 1
			if hasLo {
				if a[k].IsNull() {
					return types.Null, pgerr.New(pgerr.NullValueNotAllowed, "array subscript in assignment must not be null")
				}
				lo, k = a[k].I, k+1
			}
			if hasHi {
				if a[k].IsNull() {
					return types.Null, pgerr.New(pgerr.NullValueNotAllowed, "array subscript in assignment must not be null")
				}
				hi, k = a[k].I, k+1
			}
			return types.ArraySetSlice(a[0], lo, hi, hasLo, hasHi, a[k])
		}}
}
