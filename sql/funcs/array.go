package funcs

import (
	"strings"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Array functions. PostgreSQL declares most of them over the polymorphic
// anyarray/anyelement pseudo-types; here each is a resolver that checks the
// actual argument types and returns a Func specialised to them (Resolve
// consults polymorphic before the ordinary overloads). Arrays have lower
// bound 1 and up to six dimensions (see package types); functions that
// read elements see them in row-major order.

// polymorphic resolvers, keyed by function name.
var polymorphic = map[string]func(name string, in []types.Type) (*Func, []types.Type, error){}

// polymorphicSigs are the resolvers' declarations as PostgreSQL has them
// (for pg_proc).
var polymorphicSigs = func() map[string][]Signature {
	aa := types.Type{OID: OIDAnyArray, Mod: -1}
	ae := types.Type{OID: OIDAnyElement, Mod: -1}
	sig := func(ret types.Type, strict bool, args ...types.Type) Signature {
		return Signature{Args: args, Ret: ret, Strict: strict, Volatility: Immutable}
	}
	return map[string][]Signature{
		"array_length": {sig(int4, true, aa, int4)}, "array_upper": {sig(int4, true, aa, int4)},
		"array_lower": {sig(int4, true, aa, int4)}, "array_ndims": {sig(int4, true, aa)},
		"cardinality": {sig(int4, true, aa)}, "array_dims": {sig(text, true, aa)},
		"array_to_string": {{Args: []types.Type{aa, text}, Ret: text, Strict: true, Volatility: Stable},
			{Args: []types.Type{aa, text, text}, Ret: text, Volatility: Stable}},
		"array_cat": {sig(aa, false, aa, aa)}, "array_append": {sig(aa, false, aa, ae)},
		"array_prepend": {sig(aa, false, ae, aa)}, "array_position": {sig(int4, false, aa, ae)},
		"arraycontains": {sig(boolT, true, aa, aa)}, "arraycontained": {sig(boolT, true, aa, aa)},
		"arrayoverlap": {sig(boolT, true, aa, aa)},
	}
}()

func noFunc(name string, in []types.Type) error {
	return pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", signature(name, in)).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

// arrayArg checks that in[i] is an array type (an unknown literal cannot
// decide a polymorphic type, as in PostgreSQL).
func arrayArg(name string, in []types.Type, i int) (types.Type, error) {
	t := in[i]
	if t.OID == types.OIDUnknown {
		return t, pgerr.New(pgerr.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
	}
	if !types.IsArrayType(t) {
		return t, noFunc(name, in)
	}
	if t.OID == types.OIDInt2Vector || t.OID == types.OIDOIDVector {
		t, _ = types.ArrayOf(types.ElemType(t)) // binary-coercible to int2[] / oid[]
	}
	return t.WithoutMod(), nil
}

func elems(v types.Value) ([]types.Value, error) { return types.ArrayElems(v, nil) }

// dimFunc registers array_length/array_upper/array_lower(anyarray, int).
func dimFunc(name string, eval func(dims []int, dim int64) types.Value) {
	polymorphic[name] = func(name string, in []types.Type) (*Func, []types.Type, error) {
		if len(in) != 2 {
			return nil, nil, noFunc(name, in)
		}
		at, err := arrayArg(name, in, 0)
		if err != nil {
			return nil, nil, err
		}
		if in[1].OID != types.OIDUnknown && !canCoerce(in[1].OID, types.OIDInt4) {
			return nil, nil, noFunc(name, in)
		}
		args := []types.Type{at, int4}
		// int2vector and oidvector (passed as they are) start at 0.
		base := int64(0)
		if o := in[0].OID; o == types.OIDInt2Vector || o == types.OIDOIDVector {
			args[0], base = in[0], -1
		}
		return &Func{Name: name, Args: args, Ret: int4, Strict: true, Volatility: Immutable,
			Eval: func(_ *Context, a []types.Value) (types.Value, error) {
				dims := types.ArrayDims(a[0])
				if base != 0 {
					dims = []int{a[0].ArrayLen()}
				}
				v := eval(dims, a[1].I)
				if !v.IsNull() && name != "array_length" {
					v.I += base
				}
				return v, nil
			}}, args, nil
	}
}

func init() {
	dimFunc("array_length", func(dims []int, dim int64) types.Value {
		if dim < 1 || dim > int64(len(dims)) {
			return types.Null
		}
		return types.NewInt(int64(dims[dim-1]))
	})
	dimFunc("array_upper", func(dims []int, dim int64) types.Value {
		if dim < 1 || dim > int64(len(dims)) {
			return types.Null
		}
		return types.NewInt(int64(dims[dim-1]))
	})
	dimFunc("array_lower", func(dims []int, dim int64) types.Value {
		if dim < 1 || dim > int64(len(dims)) {
			return types.Null
		}
		return types.NewInt(1)
	})
	polymorphic["array_ndims"] = oneArray(int4, func(v types.Value) types.Value {
		if n := types.ArrayNDims(v); n > 0 {
			return types.NewInt(int64(n))
		}
		return types.Null
	})
	polymorphic["cardinality"] = oneArray(int4, func(v types.Value) types.Value {
		return types.NewInt(int64(types.ArrayCardinality(v)))
	})
	polymorphic["array_dims"] = oneArray(text, func(v types.Value) types.Value {
		if d := types.ArrayDimsText(v); d != "" {
			return types.NewText(d)
		}
		return types.Null
	})

	polymorphic["array_to_string"] = func(name string, in []types.Type) (*Func, []types.Type, error) {
		if len(in) != 2 && len(in) != 3 {
			return nil, nil, noFunc(name, in)
		}
		at, err := arrayArg(name, in, 0)
		if err != nil {
			return nil, nil, err
		}
		args := []types.Type{at, text}
		for _, t := range in[1:] {
			if !canCoerce(t.OID, types.OIDText) {
				return nil, nil, noFunc(name, in)
			}
		}
		if len(in) == 3 {
			args = append(args, text)
		}
		et := types.ElemType(at)
		return &Func{Name: name, Args: args, Ret: text, Strict: len(in) == 2, Volatility: Stable,
			Eval: func(ctx *Context, a []types.Value) (types.Value, error) {
				if a[0].IsNull() || a[1].IsNull() {
					return types.Null, nil
				}
				es, err := elems(a[0])
				if err != nil {
					return types.Null, err
				}
				var b []byte
				first := true
				for _, e := range es {
					if e.IsNull() {
						if len(a) < 3 || a[2].IsNull() {
							continue
						}
						if !first {
							b = append(b, a[1].S...)
						}
						b = append(b, a[2].S...)
						first = false
						continue
					}
					if !first {
						b = append(b, a[1].S...)
					}
					b = types.AppendText(b, e, et, ctx.loc())
					first = false
				}
				return types.NewText(string(b)), nil
			}}, args, nil
	}

	concat := func(name string, in []types.Type) (*Func, []types.Type, error) {
		if len(in) != 2 {
			return nil, nil, noFunc(name, in)
		}
		l, r := in[0], in[1]
		var at types.Type
		var mode int // 0 cat, 1 append, 2 prepend
		switch {
		case types.IsArrayType(l) && (types.IsArrayType(r) || r.OID == types.OIDUnknown) && name != "array_append" && name != "array_prepend":
			at, _ = arrayArg(name, in, 0)
		case types.IsArrayType(r) && l.OID == types.OIDUnknown && name == "array_cat":
			at, _ = arrayArg(name, in, 1)
		case types.IsArrayType(l) && name != "array_prepend" && name != "array_cat":
			at, _ = arrayArg(name, in, 0)
			mode = 1
		case types.IsArrayType(r) && name != "array_append" && name != "array_cat":
			at, _ = arrayArg(name, in, 1)
			mode = 2
		default:
			return nil, nil, noFunc(name, in)
		}
		et := types.ElemType(at)
		args := []types.Type{at, at}
		switch mode {
		case 1:
			args[1] = et
		case 2:
			args[0] = et
		}
		for i := range in {
			if in[i].OID != args[i].OID && in[i].OID != types.OIDUnknown && !canCoerce(in[i].OID, args[i].OID) &&
				!(types.IsArrayType(in[i]) && types.IsArrayType(args[i]) && canCoerce(types.ElemType(in[i]).OID, types.ElemType(args[i]).OID)) {
				return nil, nil, noFunc(name, in)
			}
		}
		return &Func{Name: name, Args: args, Ret: at, Volatility: Immutable,
			Eval: func(_ *Context, a []types.Value) (types.Value, error) {
				if v, ok, err := concatMD(mode, a); ok {
					return v, err
				}
				var out []types.Value
				for i, v := range a {
					isArr := mode == 0 || (mode == 1 && i == 0) || (mode == 2 && i == 1)
					if !isArr {
						out = append(out, v)
						continue
					}
					if v.IsNull() {
						continue
					}
					es, err := elems(v)
					if err != nil {
						return types.Null, err
					}
					out = append(out, es...)
				}
				if mode == 0 && a[0].IsNull() && a[1].IsNull() {
					return types.Null, nil
				}
				if mode == 1 && a[0].IsNull() && len(out) == 0 {
					return types.Null, nil
				}
				return types.NewArray(out), nil
			}}, args, nil
	}
	polymorphic["array_cat"] = concat
	polymorphic["array_append"] = concat
	polymorphic["array_prepend"] = concat

	polymorphic["array_position"] = func(name string, in []types.Type) (*Func, []types.Type, error) {
		args, err := arrayElemArgs(name, in)
		if err != nil {
			return nil, nil, err
		}
		return &Func{Name: name, Args: args, Ret: int4, Volatility: Immutable,
			Eval: func(_ *Context, a []types.Value) (types.Value, error) {
				if a[0].IsNull() {
					return types.Null, nil
				}
				if types.ArrayNDims(a[0]) > 1 {
					return types.Null, pgerr.NotSupported("searching for elements in multidimensional arrays is not supported")
				}
				es, err := elems(a[0])
				if err != nil {
					return types.Null, err
				}
				for i, e := range es {
					if (e.IsNull() && a[1].IsNull()) || (!e.IsNull() && !a[1].IsNull() && types.CompareTyped(e, a[1], args[1]) == 0) {
						return types.NewInt(int64(i + 1)), nil
					}
				}
				return types.Null, nil
			}}, args, nil
	}

	// @> <@ && : containment and overlap, comparing elements with =;
	// NULL elements match nothing.
	for _, n := range []string{"arraycontains", "arraycontained", "arrayoverlap"} {
		polymorphic[n] = func(name string, in []types.Type) (*Func, []types.Type, error) {
			if len(in) != 2 {
				return nil, nil, noFunc(name, in)
			}
			k := 0
			if in[0].OID == types.OIDUnknown {
				k = 1
			}
			at, err := arrayArg(name, in, k)
			if err != nil {
				return nil, nil, err
			}
			for _, t := range in {
				if t.OID != types.OIDUnknown && (!types.IsArrayType(t) || !canCoerce(types.ElemType(t).OID, types.ElemType(at).OID) &&
					!canCoerce(types.ElemType(at).OID, types.ElemType(t).OID)) {
					return nil, nil, noFunc(name, in)
				}
			}
			args := []types.Type{at, at}
			et := types.ElemType(at)
			return &Func{Name: name, Args: args, Ret: boolT, Strict: true, Volatility: Immutable,
				Eval: func(_ *Context, a []types.Value) (types.Value, error) {
					l, err := elems(a[0])
					if err != nil {
						return types.Null, err
					}
					r, err := elems(a[1])
					if err != nil {
						return types.Null, err
					}
					if name == "arraycontained" {
						l, r = r, l
					}
					has := func(xs []types.Value, v types.Value) bool {
						for _, x := range xs {
							if !x.IsNull() && !v.IsNull() && types.CompareTyped(x, v, et) == 0 {
								return true
							}
						}
						return false
					}
					if name == "arrayoverlap" {
						for _, v := range r {
							if has(l, v) {
								return types.NewBool(true), nil
							}
						}
						return types.NewBool(false), nil
					}
					for _, v := range r {
						if !has(l, v) {
							return types.NewBool(false), nil
						}
					}
					return types.NewBool(true), nil
				}}, args, nil
		}
	}

	for _, n := range []string{"string_to_array"} {
		stringToArray := func(_ *Context, a []types.Value) (types.Value, error) {
			if a[0].IsNull() {
				return types.Null, nil
			}
			s := a[0].S
			var parts []string
			switch {
			case s == "":
				parts = nil
			case a[1].IsNull():
				for _, r := range s {
					parts = append(parts, string(r))
				}
			case a[1].S == "":
				parts = []string{s}
			default:
				parts = strings.Split(s, a[1].S)
			}
			out := make([]types.Value, len(parts))
			for i, p := range parts {
				if len(a) == 3 && !a[2].IsNull() && p == a[2].S {
					continue // NULL
				}
				out[i] = types.NewText(p)
			}
			return types.NewArray(out), nil
		}
		ta := types.Type{OID: types.OIDTextArray, Mod: -1}
		register(&Func{Name: n, Args: t(text, text), Ret: ta, Volatility: Immutable, Eval: stringToArray})
		register(&Func{Name: n, Args: t(text, text, text), Ret: ta, Volatility: Immutable, Eval: stringToArray})
	}
	// regexp_split_to_array and friends are not here; nor are slices.

	// array_agg(anyelement): resolved by ResolveAggregate through
	// arrayAggregate; the registration makes IsAggregate true.
	regAgg("array_agg", t(Any), types.Type{OID: types.OIDTextArray}, func() AggState { return &arrayAggState{} })
}

func oneArray(ret types.Type, eval func(v types.Value) types.Value) func(string, []types.Type) (*Func, []types.Type, error) {
	return func(name string, in []types.Type) (*Func, []types.Type, error) {
		if len(in) != 1 {
			return nil, nil, noFunc(name, in)
		}
		at, err := arrayArg(name, in, 0)
		if err != nil {
			return nil, nil, err
		}
		args := []types.Type{at}
		return &Func{Name: name, Args: args, Ret: ret, Strict: true, Volatility: Immutable,
			Eval: func(_ *Context, a []types.Value) (types.Value, error) { return eval(a[0]), nil }}, args, nil
	}
}

func itoa(n int) string { return string(types.AppendText(nil, types.NewInt(int64(n)), int4, nil)) }

// arrayAggregate specialises array_agg to its argument type: anyelement →
// anyarray (an unknown literal is text, as in PostgreSQL).
func arrayAggregate(in []types.Type) (*Aggregate, []types.Type, error) {
	if len(in) != 1 {
		return nil, nil, noFunc("array_agg", in)
	}
	et := in[0].WithoutMod()
	if et.OID == types.OIDUnknown {
		et = text
	}
	if types.IsArrayType(et) && et.OID != types.OIDInt2Vector && et.OID != types.OIDOIDVector {
		// array_agg(anyarray): the arrays stacked along a new first dimension.
		return &Aggregate{Name: "array_agg", Args: []types.Type{et}, Ret: et, New: func() AggState { return &arrayAggArrays{} }},
			[]types.Type{et}, nil
	}
	at, ok := types.ArrayOf(et)
	if !ok {
		return nil, nil, pgerr.NotSupported("array_agg of type %s is not supported", types.TypeName(et))
	}
	return &Aggregate{Name: "array_agg", Args: []types.Type{et}, Ret: at, New: func() AggState { return &arrayAggState{} }},
		[]types.Type{et}, nil
}

// arrayAggState is array_agg: every value, NULLs included, in input order;
// NULL for no rows.
type arrayAggState struct {
	vals []types.Value
	seen bool
}

func (s *arrayAggState) Step(a []types.Value) error {
	s.vals = append(s.vals, a[0])
	s.seen = true
	return nil
}
func (s *arrayAggState) Result() (types.Value, error) {
	if !s.seen {
		return types.Null, nil
	}
	return types.NewArray(s.vals), nil
}
func (s *arrayAggState) Merge(o AggState) error {
	x := o.(*arrayAggState)
	s.vals = append(s.vals, x.vals...)
	s.seen = s.seen || x.seen
	return nil
}

// arrayAggArrays is array_agg(anyarray): every input array, which must be
// non-NULL, non-empty and of one shape, as one sub-array of the result.
type arrayAggArrays struct {
	subs []types.Value
	dims []int
}

func (s *arrayAggArrays) Step(a []types.Value) error {
	if a[0].IsNull() {
		return pgerr.New(pgerr.NullValueNotAllowed, "cannot accumulate null arrays")
	}
	d := types.ArrayDims(a[0])
	if len(d) == 0 {
		return pgerr.New("2202E", "cannot accumulate empty arrays")
	}
	if s.subs == nil {
		if len(d) >= 6 {
			return pgerr.New(pgerr.ProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (6)", len(d)+1)
		}
		s.dims = d
	} else if !equalInts(d, s.dims) {
		return pgerr.New("2202E", "cannot accumulate arrays of different dimensionality")
	}
	s.subs = append(s.subs, a[0])
	return nil
}

func (s *arrayAggArrays) Result() (types.Value, error) {
	if s.subs == nil {
		return types.Null, nil
	}
	return types.NewArray(s.subs), nil
}

func (s *arrayAggArrays) Merge(o AggState) error {
	x := o.(*arrayAggArrays)
	if len(x.subs) == 0 {
		return nil
	}
	if s.subs != nil && !equalInts(x.dims, s.dims) {
		return pgerr.New("2202E", "cannot accumulate arrays of different dimensionality")
	}
	s.subs, s.dims = append(s.subs, x.subs...), x.dims
	return nil
}

// arrayElemArgs resolves the (anyarray, anyelement) arguments of
// array_position and array_remove: the array's type and its element type.
func arrayElemArgs(name string, in []types.Type) ([]types.Type, error) {
	if len(in) != 2 {
		return nil, noFunc(name, in)
	}
	at, err := arrayArg(name, in, 0)
	if err != nil {
		return nil, err
	}
	et := types.ElemType(at)
	if in[1].OID != types.OIDUnknown && !canCoerce(in[1].OID, et.OID) {
		return nil, noFunc(name, in)
	}
	return []types.Type{at, et}, nil
}
