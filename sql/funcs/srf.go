package funcs

import (
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Set-returning functions in a select list are run by the plan's Expand
// node over an array (see package plan, srf.go); these build the arrays.
// None is in the registry.

// maxSeries is the most elements a select-list generate_series builds
// (PostgreSQL's array size limit; FROM generate_series streams instead).
const maxSeries = 1<<27 - 1

// SeriesArray is generate_series(start, stop [, step]) of type t (step of
// type stepT) as an array: NULL when an argument is NULL, 22023 for a zero
// step; a series that would pass the type's range ends there.
func SeriesArray(t, stepT types.Type, nargs int) *Func {
	args := []types.Type{t, t}
	if nargs == 3 {
		args = append(args, stepT)
	}
	at, _ := types.ArrayOf(t.WithoutMod())
	return &Func{Name: "generate_series", Args: args, Ret: at, Strict: true, Volatility: Immutable,
		Eval: func(ctx *Context, a []types.Value) (types.Value, error) {
			step := types.NewInt(1)
			if len(a) == 3 {
				step = a[2]
			} else if t.OID == types.OIDNumeric {
				step = types.NewNumeric(apd.New(1, 0))
			}
			zero := 0
			if step.K == types.KindInterval {
				if step.I != 0 || step.I2 != 0 {
					zero = 1
					if step.I < 0 || step.Months() < 0 || step.Days() < 0 {
						zero = -1
					}
				}
			} else {
				zero = types.Compare(step, types.NewInt(0))
				if step.K == types.KindNumeric {
					zero = step.N.Sign()
				}
			}
			if zero == 0 {
				return types.Null, pgerr.New(pgerr.InvalidParameterValue, "step size cannot equal zero")
			}
			var out []types.Value
			for cur := a[0]; ; {
				c := types.Compare(cur, a[1])
				if (zero > 0 && c > 0) || (zero < 0 && c < 0) {
					break
				}
				if len(out) == maxSeries {
					return types.Null, pgerr.New(pgerr.ProgramLimitExceeded, "array size exceeds the maximum allowed (%d)", maxSeries)
				}
				out = append(out, cur)
				next, err := types.BinaryOpLoc("+", cur, t, step, stepT, ctx.loc())
				if err != nil {
					break // past the type's range: the series ends, as in PostgreSQL
				}
				cur = next
			}
			return types.NewArray(out), nil
		}}
}

// OneElementArray is ARRAY[x] for x of type t (pg_partition_ancestors of
// a relation that is no partition: the relation itself).
func OneElementArray(t types.Type) *Func {
	at, _ := types.ArrayOf(t)
	return &Func{Name: "array", Args: []types.Type{t}, Ret: at, Strict: true, Volatility: Stable,
		Eval: func(ctx *Context, a []types.Value) (types.Value, error) {
			return types.NewArray([]types.Value{a[0]}), nil
		}}
}

// SRFOrdinals is {1, …, n} for n the largest element count of its array
// arguments (NULL arrays count 0): the rows of several set-returning
// functions run in lockstep.
func SRFOrdinals(nargs int) *Func {
	args := make([]types.Type, nargs)
	for i := range args {
		args[i] = types.Type{OID: OIDAny, Mod: -1}
	}
	ret := types.Type{OID: types.OIDInt4Array, Mod: -1}
	return &Func{Name: "srf_ordinals", Args: args, Ret: ret, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			n := 0
			for _, v := range a {
				if !v.IsNull() {
					n = max(n, types.ArrayCardinality(v))
				}
			}
			out := make([]types.Value, n)
			for i := range out {
				out[i] = types.NewInt(int64(i + 1))
			}
			return types.NewArray(out), nil
		}}
}

// ElemAt is element n (1-based, row-major) of an array of type at, NULL
// past its end: one lockstep set-returning function's value in row n.
func ElemAt(at types.Type) *Func {
	return &Func{Name: "srf_elem", Args: []types.Type{at, int4}, Ret: types.ElemType(at), Strict: true, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			es, err := types.ArrayElems(a[0], nil)
			if err != nil {
				return types.Null, err
			}
			if i := a[1].I; i >= 1 && i <= int64(len(es)) {
				return es[i-1], nil
			}
			return types.Null, nil
		}}
}

// SubscriptsArray is generate_subscripts(array at, dim [, reverse]) as an
// array: the subscripts of dimension dim (Subscripts: from 1, from 0 for
// int2vector and oidvector), descending when reverse is true; none for a
// NULL array or a dimension it does not have.
func SubscriptsArray(at types.Type, nargs int) *Func {
	args := []types.Type{at, int4, boolT}[:nargs]
	return &Func{Name: "generate_subscripts", Args: args, Ret: types.Type{OID: types.OIDInt4Array, Mod: -1}, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			if a[0].IsNull() || a[1].IsNull() {
				return types.NewArray(nil), nil
			}
			out := Subscripts(at, a[0], a[1].I)
			if len(a) > 2 && !a[2].IsNull() && a[2].Bool() {
				slices.Reverse(out)
			}
			return types.NewArray(out), nil
		}}
}
