package funcs

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Enum support functions (enum_first, enum_last, enum_range) and min/max
// over enum types. Their results depend on the enum's labels, which the
// resolved argument type carries (types.Enum): each call is bound to the
// definition of the catalog it was planned against.

// OIDAnyEnum is PostgreSQL's anyenum pseudo-type, for Signature only.
const OIDAnyEnum types.OID = 3500

// enumArg returns the enum type that decides a call's polymorphic type:
// the first argument of an enum type; unknown literals (NULL) take it.
func enumArg(name string, in []types.Type) (types.Type, error) {
	var et types.Type
	for _, t := range in {
		switch {
		case types.IsEnum(t):
			if et.Enum != nil && et.OID != t.OID {
				return et, noFunc(name, in)
			}
			et = t.WithoutMod()
		case t.OID != types.OIDUnknown:
			return et, noFunc(name, in)
		}
	}
	if et.Enum == nil {
		return et, pgerr.New(pgerr.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
	}
	return et, nil
}

func init() {
	ae := types.Type{OID: OIDAnyEnum, Mod: -1}
	aa := types.Type{OID: OIDAnyArray, Mod: -1}
	sig := func(ret types.Type, args ...types.Type) Signature {
		return Signature{Args: args, Ret: ret, Volatility: Stable}
	}
	polymorphicSigs["enum_first"] = []Signature{sig(ae, ae)}
	polymorphicSigs["enum_last"] = []Signature{sig(ae, ae)}
	polymorphicSigs["enum_range"] = []Signature{sig(aa, ae), sig(aa, ae, ae)}
	firstLast := func(last bool) func(string, []types.Type) (*Func, []types.Type, error) {
		return func(name string, in []types.Type) (*Func, []types.Type, error) {
			if len(in) != 1 {
				return nil, nil, noFunc(name, in)
			}
			et, err := enumArg(name, in)
			if err != nil {
				return nil, nil, err
			}
			e := et.Enum
			return &Func{Name: name, Args: []types.Type{et}, Ret: et, Volatility: Stable,
				Eval: func(*Context, []types.Value) (types.Value, error) {
					if len(e.Labels) == 0 {
						return types.Null, pgerr.New("55000", "enum %s contains no values", e.Name)
					}
					i := 0
					if last {
						i = len(e.Labels) - 1
					}
					if err := e.CheckSafe(i); err != nil {
						return types.Null, err
					}
					return types.NewText(e.Labels[i].Rep), nil
				}}, []types.Type{et}, nil
		}
	}
	polymorphic["enum_first"] = firstLast(false)
	polymorphic["enum_last"] = firstLast(true)
	polymorphic["enum_range"] = func(name string, in []types.Type) (*Func, []types.Type, error) {
		if len(in) != 1 && len(in) != 2 {
			return nil, nil, noFunc(name, in)
		}
		et, err := enumArg(name, in)
		if err != nil {
			return nil, nil, err
		}
		e := et.Enum
		at, _ := types.ArrayOf(et)
		args := []types.Type{et, et}[:len(in)]
		return &Func{Name: name, Args: args, Ret: at, Volatility: Stable,
			Eval: func(_ *Context, a []types.Value) (types.Value, error) {
				lo, hi := 0, len(e.Labels)-1
				if len(a) == 2 {
					// enum_range(lower, upper): NULL is open-ended.
					if !a[0].IsNull() {
						lo = e.Position(a[0])
					}
					if !a[1].IsNull() {
						hi = e.Position(a[1])
					}
					if lo < 0 || hi < 0 {
						return types.Null, pgerr.New(pgerr.InternalError, "invalid internal value for enum %s", e.Name)
					}
				}
				var out []types.Value
				for i := lo; i <= hi; i++ {
					if err := e.CheckSafe(i); err != nil {
						return types.Null, err
					}
					out = append(out, types.NewText(e.Labels[i].Rep))
				}
				return types.NewArray(out), nil
			}}, args, nil
	}
}

// enumMinMax is min(anyenum) / max(anyenum).
func enumMinMax(name string, argTypes []types.Type) (*Aggregate, []types.Type, bool) {
	if (name != "min" && name != "max") || len(argTypes) != 1 || !types.IsEnum(argTypes[0]) {
		return nil, nil, false
	}
	et := argTypes[0].WithoutMod()
	sign := -1
	if name == "max" {
		sign = 1
	}
	return &Aggregate{Name: name, Args: []types.Type{et}, Ret: et, New: func() AggState { return &minMaxState{sign: sign} }},
		[]types.Type{et}, true
}
