package funcs

import (
	"strings"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Turning SQL values into JSON (PostgreSQL's datum_to_json and
// datum_to_jsonb): to_json/to_jsonb, array_to_json, the json(b)_build_*
// functions and the json(b)_agg / json(b)_object_agg aggregates.

// jsonCategory is PostgreSQL's JsonTypeCategory of a SQL type.
type jsonCategory uint8

const (
	jcOther jsonCategory = iota
	jcBool
	jcNumeric
	jcDate
	jcTimestamp
	jcTimestampTZ
	jcJSON
	jcJSONB
	jcArray
	jcComposite
)

func jsonCategoryOf(t types.Type) jsonCategory {
	switch t.OID {
	case types.OIDBool:
		return jcBool
	case types.OIDInt2, types.OIDInt4, types.OIDInt8, types.OIDFloat4, types.OIDFloat8, types.OIDNumeric:
		return jcNumeric
	case types.OIDDate:
		return jcDate
	case types.OIDTimestamp:
		return jcTimestamp
	case types.OIDTimestampTZ:
		return jcTimestampTZ
	case types.OIDJSON:
		return jcJSON
	case types.OIDJSONB:
		return jcJSONB
	case types.OIDRecord:
		return jcComposite
	}
	if types.IsArrayType(t) && t.OID != types.OIDInt2Vector && t.OID != types.OIDOIDVector {
		return jcArray
	}
	return jcOther
}

// errKeyNotScalar is the error for an object key of an array, composite or
// json type.
func errKeyNotScalar() error {
	return invalidParam("key value must be scalar, not array, composite, or json")
}

func checkJSONKey(t types.Type, jsonb bool) error {
	switch jsonCategoryOf(t) {
	case jcArray, jcComposite, jcJSON:
		return errKeyNotScalar()
	case jcJSONB:
		return errKeyNotScalar() // jsonb is "json" to json.c too
	}
	return nil
}

// xsdDateTime is JsonEncodeDateTime: dates as ISO, timestamps with a "T"
// between date and time and the zone as ±HH:MM.
func xsdDateTime(ctx *Context, v types.Value, t types.Type) string {
	s := string(types.AppendText(nil, v, t, ctx.loc()))
	if t.OID == types.OIDDate {
		return s
	}
	sp := strings.IndexByte(s, ' ')
	if sp < 0 {
		return s // infinity
	}
	bc := strings.HasSuffix(s, " BC")
	if bc {
		s = s[:len(s)-3]
	}
	s = s[:sp] + "T" + s[sp+1:]
	if t.OID == types.OIDTimestampTZ {
		if z := strings.LastIndexAny(s[sp:], "+-") + sp; z > sp && !strings.Contains(s[z:], ":") {
			s += ":00"
		}
	}
	if bc {
		s += " BC"
	}
	return s
}

// validJSONNumber is IsValidJsonNumber: whether s is a JSON number.
func validJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// appendToJSON is datum_to_json: v of type t as json text; key makes it an
// object key (always a string; the caller checks the category).
func appendToJSON(ctx *Context, buf []byte, v types.Value, t types.Type, key bool) ([]byte, error) {
	if v.IsNull() {
		return append(buf, "null"...), nil
	}
	switch jsonCategoryOf(t) {
	case jcArray:
		return appendArrayJSON(ctx, buf, v, t, ",")
	case jcComposite:
		if v.K == types.KindJSON {
			return append(buf, v.S...), nil // a row rendered by RowJSON
		}
		return buf, pgerr.NotSupported("converting a record to json is not supported yet")
	case jcBool:
		s := "false"
		if v.Bool() {
			s = "true"
		}
		if key {
			return types.AppendJSONString(buf, s), nil
		}
		return append(buf, s...), nil
	case jcNumeric:
		s := textOut(ctx, v, t)
		if !key && validJSONNumber(s) {
			return append(buf, s...), nil
		}
		return types.AppendJSONString(buf, s), nil
	case jcDate, jcTimestamp, jcTimestampTZ:
		return types.AppendJSONString(buf, xsdDateTime(ctx, v, t)), nil
	case jcJSON, jcJSONB:
		return append(buf, v.S...), nil
	}
	return types.AppendJSONString(buf, textOut(ctx, v, t)), nil
}

// appendArrayJSON is array_to_json: nested arrays per dimension, elements
// separated by sep at the top dimension and "," below it.
func appendArrayJSON(ctx *Context, buf []byte, v types.Value, t types.Type, sep string) ([]byte, error) {
	top, err := types.ArrayTop(v)
	if err != nil {
		return buf, err
	}
	et := types.ElemType(t)
	buf = append(buf, '[')
	for i, e := range top {
		if i > 0 {
			buf = append(buf, sep...)
		}
		if e.K == types.KindArray && jsonCategoryOf(et) != jcArray {
			buf, err = appendArrayJSON(ctx, buf, e, t, ",") // a sub-array of a multidimensional array
		} else {
			buf, err = appendToJSON(ctx, buf, e, et, false)
		}
		if err != nil {
			return buf, err
		}
	}
	return append(buf, ']'), nil
}

// toJSONB is datum_to_jsonb: v of type t as a jsonb tree; key makes it an
// object key (a string).
func toJSONB(ctx *Context, v types.Value, t types.Type, key bool) (*types.JSONNode, error) {
	if v.IsNull() {
		return &types.JSONNode{Kind: types.JSONNull}, nil
	}
	str := func(s string) (*types.JSONNode, error) { return &types.JSONNode{Kind: types.JSONString, Str: s}, nil }
	switch jsonCategoryOf(t) {
	case jcArray:
		return arrayToJSONB(ctx, v, t)
	case jcComposite:
		if v.K == types.KindJSON {
			return types.ParseJSONB(v.S) // a row rendered by RowJSON
		}
		return nil, pgerr.NotSupported("converting a record to jsonb is not supported yet")
	case jcBool:
		if key {
			return str(map[bool]string{true: "true", false: "false"}[v.Bool()])
		}
		return &types.JSONNode{Kind: types.JSONBool, Bool: v.Bool()}, nil
	case jcNumeric:
		s := textOut(ctx, v, t)
		if key || strings.ContainsAny(s, "Nn") {
			return str(s)
		}
		d, err := types.ParseNumeric(s)
		if err != nil {
			return nil, err
		}
		return &types.JSONNode{Kind: types.JSONNumber, Num: d}, nil
	case jcDate, jcTimestamp, jcTimestampTZ:
		return str(xsdDateTime(ctx, v, t))
	case jcJSON, jcJSONB:
		return types.ParseJSONB(v.S)
	}
	return str(textOut(ctx, v, t))
}

func arrayToJSONB(ctx *Context, v types.Value, t types.Type) (*types.JSONNode, error) {
	top, err := types.ArrayTop(v)
	if err != nil {
		return nil, err
	}
	et := types.ElemType(t)
	out := &types.JSONNode{Kind: types.JSONArray, Vals: make([]*types.JSONNode, len(top))}
	for i, e := range top {
		var n *types.JSONNode
		if e.K == types.KindArray && jsonCategoryOf(et) != jcArray {
			n, err = arrayToJSONB(ctx, e, t)
		} else {
			n, err = toJSONB(ctx, e, et, false)
		}
		if err != nil {
			return nil, err
		}
		out.Vals[i] = n
	}
	return out, nil
}

// polymorphicArg checks the type of an anyelement argument.
func polymorphicArg(t types.Type) error {
	if t.OID == types.OIDUnknown {
		return pgerr.New(pgerr.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
	}
	return nil
}

func init() {
	ae := types.Type{OID: OIDAnyElement, Mod: -1}
	aa := types.Type{OID: OIDAnyArray, Mod: -1}
	stableSig := func(ret types.Type, args ...types.Type) Signature {
		return Signature{Args: args, Ret: ret, Strict: true, Volatility: Stable}
	}
	polymorphicSigs["to_json"] = []Signature{stableSig(jsonT, ae)}
	polymorphicSigs["to_jsonb"] = []Signature{stableSig(jsonbT, ae)}
	polymorphicSigs["array_to_json"] = []Signature{stableSig(jsonT, aa), stableSig(jsonT, aa, boolT)}
	polymorphic["to_json"] = func(name string, in []types.Type) (*Func, []types.Type, error) {
		if len(in) != 1 {
			return nil, nil, noFunc(name, in)
		}
		if err := polymorphicArg(in[0]); err != nil {
			return nil, nil, err
		}
		at := in[0].WithoutMod()
		return &Func{Name: name, Args: []types.Type{at}, Ret: jsonT, Strict: true, Volatility: Stable,
			Eval: func(ctx *Context, a []types.Value) (types.Value, error) {
				b, err := appendToJSON(ctx, nil, a[0], at, false)
				if err != nil {
					return types.Null, err
				}
				return types.NewJSON(string(b)), nil
			}}, []types.Type{at}, nil
	}
	polymorphic["to_jsonb"] = func(name string, in []types.Type) (*Func, []types.Type, error) {
		if len(in) != 1 {
			return nil, nil, noFunc(name, in)
		}
		if err := polymorphicArg(in[0]); err != nil {
			return nil, nil, err
		}
		at := in[0].WithoutMod()
		return &Func{Name: name, Args: []types.Type{at}, Ret: jsonbT, Strict: true, Volatility: Stable,
			Eval: func(ctx *Context, a []types.Value) (types.Value, error) {
				n, err := toJSONB(ctx, a[0], at, false)
				if err != nil {
					return types.Null, err
				}
				return jsonbVal(n), nil
			}}, []types.Type{at}, nil
	}
	polymorphic["array_to_json"] = func(name string, in []types.Type) (*Func, []types.Type, error) {
		if len(in) != 1 && len(in) != 2 {
			return nil, nil, noFunc(name, in)
		}
		at, err := arrayArg(name, in, 0)
		if err != nil {
			return nil, nil, err
		}
		args := []types.Type{at}
		if len(in) == 2 {
			if !canCoerce(in[1].OID, types.OIDBool) {
				return nil, nil, noFunc(name, in)
			}
			args = append(args, boolT)
		}
		return &Func{Name: name, Args: args, Ret: jsonT, Strict: true, Volatility: Stable,
			Eval: func(ctx *Context, a []types.Value) (types.Value, error) {
				sep := ","
				if len(a) == 2 && a[1].Bool() {
					sep = ",\n "
				}
				b, err := appendArrayJSON(ctx, nil, a[0], at, sep)
				if err != nil {
					return types.Null, err
				}
				return types.NewJSON(string(b)), nil
			}}, args, nil
	}

	// json_build_object / jsonb_build_object / json_build_array /
	// jsonb_build_array (VARIADIC "any", not strict).
	evenArgs := func(name string, n int) error {
		if n%2 != 0 {
			return invalidParam("argument list must have even number of elements").
				WithHint("The arguments of %s() must consist of alternating keys and values.", name)
		}
		return nil
	}
	register(&Func{Name: "json_build_object", Args: t(Any), Variadic: true, Ret: jsonT, Volatility: Stable,
		bind: func(ts []types.Type) evalFn {
			return func(ctx *Context, a []types.Value) (types.Value, error) {
				if err := evenArgs("json_build_object", len(a)); err != nil {
					return types.Null, err
				}
				buf := []byte{'{'}
				var err error
				for i := 0; i < len(a); i += 2 {
					if i > 0 {
						buf = append(buf, ", "...)
					}
					if a[i].IsNull() {
						return types.Null, invalidParam("argument %d cannot be null", i+1).
							WithHint("Object keys should be text.")
					}
					if err := checkJSONKey(ts[i], false); err != nil {
						return types.Null, err
					}
					if buf, err = appendToJSON(ctx, buf, a[i], ts[i], true); err != nil {
						return types.Null, err
					}
					buf = append(buf, " : "...)
					if buf, err = appendToJSON(ctx, buf, a[i+1], ts[i+1], false); err != nil {
						return types.Null, err
					}
				}
				return types.NewJSON(string(append(buf, '}'))), nil
			}
		}})
	register(&Func{Name: "json_build_object", Ret: jsonT, Volatility: Stable,
		Eval: func(*Context, []types.Value) (types.Value, error) { return types.NewJSON("{}"), nil }})
	register(&Func{Name: "jsonb_build_object", Args: t(Any), Variadic: true, Ret: jsonbT, Volatility: Stable,
		bind: func(ts []types.Type) evalFn {
			return func(ctx *Context, a []types.Value) (types.Value, error) {
				if err := evenArgs("jsonb_build_object", len(a)); err != nil {
					return types.Null, err
				}
				keys := make([]string, 0, len(a)/2)
				vals := make([]*types.JSONNode, 0, len(a)/2)
				for i := 0; i < len(a); i += 2 {
					if a[i].IsNull() {
						return types.Null, invalidParam("argument %d: key must not be null", i+1)
					}
					if err := checkJSONKey(ts[i], true); err != nil {
						return types.Null, err
					}
					k, err := toJSONB(ctx, a[i], ts[i], true)
					if err != nil {
						return types.Null, err
					}
					v, err := toJSONB(ctx, a[i+1], ts[i+1], false)
					if err != nil {
						return types.Null, err
					}
					keys, vals = append(keys, k.Str), append(vals, v)
				}
				return jsonbVal(types.NewJSONObject(keys, vals)), nil
			}
		}})
	register(&Func{Name: "jsonb_build_object", Ret: jsonbT, Volatility: Stable,
		Eval: func(*Context, []types.Value) (types.Value, error) { return types.NewJSON("{}"), nil }})
	register(&Func{Name: "json_build_array", Args: t(Any), Variadic: true, Ret: jsonT, Volatility: Stable,
		bind: func(ts []types.Type) evalFn {
			return func(ctx *Context, a []types.Value) (types.Value, error) {
				buf := []byte{'['}
				var err error
				for i, v := range a {
					if i > 0 {
						buf = append(buf, ", "...)
					}
					if buf, err = appendToJSON(ctx, buf, v, ts[i], false); err != nil {
						return types.Null, err
					}
				}
				return types.NewJSON(string(append(buf, ']'))), nil
			}
		}})
	register(&Func{Name: "json_build_array", Ret: jsonT, Volatility: Stable,
		Eval: func(*Context, []types.Value) (types.Value, error) { return types.NewJSON("[]"), nil }})
	register(&Func{Name: "jsonb_build_array", Args: t(Any), Variadic: true, Ret: jsonbT, Volatility: Stable,
		bind: func(ts []types.Type) evalFn {
			return func(ctx *Context, a []types.Value) (types.Value, error) {
				out := &types.JSONNode{Kind: types.JSONArray, Vals: make([]*types.JSONNode, len(a))}
				for i, v := range a {
					n, err := toJSONB(ctx, v, ts[i], false)
					if err != nil {
						return types.Null, err
					}
					out.Vals[i] = n
				}
				return jsonbVal(out), nil
			}
		}})
	register(&Func{Name: "jsonb_build_array", Ret: jsonbT, Volatility: Stable,
		Eval: func(*Context, []types.Value) (types.Value, error) { return types.NewJSON("[]"), nil }})

	// Aggregates: resolved by jsonAggregate (ResolveAggregate); the
	// registrations make IsAggregate true.
	for _, n := range []string{"json_agg", "jsonb_agg"} {
		regAgg(n, t(Any), jsonT, func() AggState { return nil })
	}
	for _, n := range []string{"json_object_agg", "jsonb_object_agg"} {
		regAgg(n, t(Any, Any), jsonT, func() AggState { return nil })
	}
}

// jsonAggregate specialises json_agg(anyelement), jsonb_agg(anyelement),
// json_object_agg("any", "any") and jsonb_object_agg("any", "any") to
// their argument types; ok is false for other names.
func jsonAggregate(name string, in []types.Type) (*Aggregate, []types.Type, bool, error) {
	switch name {
	case "json_agg", "jsonb_agg":
		if len(in) != 1 {
			return nil, nil, true, noFunc(name, in)
		}
		if err := polymorphicArg(in[0]); err != nil {
			return nil, nil, true, err
		}
		at := in[0].WithoutMod()
		args := []types.Type{at}
		if name == "json_agg" {
			return &Aggregate{Name: name, Args: args, Ret: jsonT, New: func() AggState { return &jsonAggState{t: at} }}, args, true, nil
		}
		return &Aggregate{Name: name, Args: args, Ret: jsonbT, New: func() AggState { return &jsonbAggState{t: at} }}, args, true, nil
	case "json_object_agg", "jsonb_object_agg":
		if len(in) != 2 {
			return nil, nil, true, noFunc(name, in)
		}
		args := castTargets(in, []types.Type{Any, Any})
		if name == "json_object_agg" {
			return &Aggregate{Name: name, Args: args, Ret: jsonT, New: func() AggState { return &jsonObjectAggState{kt: args[0], vt: args[1]} }}, args, true, nil
		}
		return &Aggregate{Name: name, Args: args, Ret: jsonbT, New: func() AggState { return &jsonbObjectAggState{kt: args[0], vt: args[1]} }}, args, true, nil
	}
	return nil, nil, false, nil
}

// aggContext is the context aggregates print values in: they have none of
// their own, so UTC (timestamptz values in a session zone other than UTC
// would print differently; jsonAggState refuses them).
var aggContext = &Context{}

// jsonAggState is json_agg: the elements' json text joined by ", " (and a
// line break before each array element after the first, as PostgreSQL
// does); NULL for no rows.
type jsonAggState struct {
	t     types.Type
	elems []string
}

func aggTZ(t types.Type) error {
	if t.OID == types.OIDTimestampTZ || (types.IsArrayType(t) && types.ElemType(t).OID == types.OIDTimestampTZ) {
		return pgerr.NotSupported("json aggregates of timestamp with time zone are not supported yet")
	}
	return nil
}

func (s *jsonAggState) Step(a []types.Value) error {
	if err := aggTZ(s.t); err != nil {
		return err
	}
	b, err := appendToJSON(aggContext, nil, a[0], s.t, false)
	if err != nil {
		return err
	}
	s.elems = append(s.elems, string(b))
	return nil
}

func (s *jsonAggState) Result() (types.Value, error) {
	if s.elems == nil {
		return types.Null, nil
	}
	var b strings.Builder
	b.WriteByte('[')
	structured := jsonCategoryOf(s.t) == jcArray || jsonCategoryOf(s.t) == jcComposite
	for i, e := range s.elems {
		if i > 0 {
			b.WriteString(", ")
			if structured && e != "null" {
				b.WriteString("\n ")
			}
		}
		b.WriteString(e)
	}
	b.WriteByte(']')
	return types.NewJSON(b.String()), nil
}

func (s *jsonAggState) Merge(o AggState) error {
	s.elems = append(s.elems, o.(*jsonAggState).elems...)
	return nil
}

// jsonbAggState is jsonb_agg.
type jsonbAggState struct {
	t     types.Type
	elems []*types.JSONNode
}

func (s *jsonbAggState) Step(a []types.Value) error {
	if err := aggTZ(s.t); err != nil {
		return err
	}
	n, err := toJSONB(aggContext, a[0], s.t, false)
	if err != nil {
		return err
	}
	s.elems = append(s.elems, n)
	return nil
}

func (s *jsonbAggState) Result() (types.Value, error) {
	if s.elems == nil {
		return types.Null, nil
	}
	return jsonbVal(&types.JSONNode{Kind: types.JSONArray, Vals: s.elems}), nil
}

func (s *jsonbAggState) Merge(o AggState) error {
	s.elems = append(s.elems, o.(*jsonbAggState).elems...)
	return nil
}

// jsonObjectAggState is json_object_agg: "{ k : v, … }" with every pair
// kept (duplicates too); NULL for no rows.
type jsonObjectAggState struct {
	kt, vt types.Type
	pairs  []string
}

func (s *jsonObjectAggState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return invalidParam("field name must not be null")
	}
	if err := checkJSONKey(s.kt, false); err != nil {
		return err
	}
	if err := aggTZ(s.kt); err != nil {
		return err
	}
	if err := aggTZ(s.vt); err != nil {
		return err
	}
	b, err := appendToJSON(aggContext, nil, a[0], s.kt, true)
	if err != nil {
		return err
	}
	b = append(b, " : "...)
	if b, err = appendToJSON(aggContext, b, a[1], s.vt, false); err != nil {
		return err
	}
	s.pairs = append(s.pairs, string(b))
	return nil
}

func (s *jsonObjectAggState) Result() (types.Value, error) {
	if s.pairs == nil {
		return types.Null, nil
	}
	return types.NewJSON("{ " + strings.Join(s.pairs, ", ") + " }"), nil
}

func (s *jsonObjectAggState) Merge(o AggState) error {
	s.pairs = append(s.pairs, o.(*jsonObjectAggState).pairs...)
	return nil
}

// jsonbObjectAggState is jsonb_object_agg: the last value of a repeated
// key wins.
type jsonbObjectAggState struct {
	kt, vt types.Type
	keys   []string
	vals   []*types.JSONNode
	seen   bool
}

func (s *jsonbObjectAggState) Step(a []types.Value) error {
	if a[0].IsNull() {
		return invalidParam("field name must not be null")
	}
	if err := checkJSONKey(s.kt, true); err != nil {
		return err
	}
	if err := aggTZ(s.kt); err != nil {
		return err
	}
	if err := aggTZ(s.vt); err != nil {
		return err
	}
	k, err := toJSONB(aggContext, a[0], s.kt, true)
	if err != nil {
		return err
	}
	v, err := toJSONB(aggContext, a[1], s.vt, false)
	if err != nil {
		return err
	}
	s.keys, s.vals, s.seen = append(s.keys, k.Str), append(s.vals, v), true
	return nil
}

func (s *jsonbObjectAggState) Result() (types.Value, error) {
	if !s.seen {
		return types.Null, nil
	}
	return jsonbVal(types.NewJSONObject(append([]string(nil), s.keys...), append([]*types.JSONNode(nil), s.vals...))), nil
}

func (s *jsonbObjectAggState) Merge(o AggState) error {
	x := o.(*jsonbObjectAggState)
	s.keys, s.vals, s.seen = append(s.keys, x.keys...), append(s.vals, x.vals...), s.seen || x.seen
	return nil
}

// RecordType is the type of a whole-row value handed to a JSON function
// (to_json(t), json_agg(t) …): its value is the row already rendered as
// row_to_json renders it (a KindJSON value), which the JSON functions take
// as a composite.
var RecordType = types.Type{OID: types.OIDRecord, Mod: -1}

// RowJSON is row_to_json over the columns of a row, named names and of
// types ts: its arguments are the line-feeds flag (row_to_json's pretty)
// and the columns; the result, of type RecordType, is {"a":1,"b":"x"}
// (",\n " between the fields when pretty).
func RowJSON(names []string, ts []types.Type) *Func {
	args := append([]types.Type{boolT}, ts...)
	return &Func{Name: "row_to_json", Args: args, Ret: RecordType, Volatility: Stable,
		Eval: func(ctx *Context, a []types.Value) (types.Value, error) {
			sep := ","
			if !a[0].IsNull() && a[0].Bool() {
				sep = ",\n "
			}
			buf := []byte{'{'}
			var err error
			for i, n := range names {
				if i > 0 {
					buf = append(buf, sep...)
				}
				buf = types.AppendJSONString(buf, n)
				buf = append(buf, ':')
				if buf, err = appendToJSON(ctx, buf, a[i+1], ts[i], false); err != nil {
					return types.Null, err
				}
			}
			return types.NewJSON(string(append(buf, '}'))), nil
		}}
}
