package funcs

import (
	"math"
	"strconv"
	"strings"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// JSON functions and operators, as PostgreSQL 15's jsonfuncs.c, json.c and
// jsonb.c answer them. Values are json/jsonb text (package types): each
// call parses its arguments into types.JSONNode trees, and jsonb results
// are printed normalised. json results that are part of the input (->,
// #>, json_array_elements …) are the input's text verbatim, as PostgreSQL
// copies them.
//
// Operators are functions under PostgreSQL's own names (jsonb_object_field
// for ->, jsonb_contains for @>, …; callable by those names as in
// PostgreSQL), found for an operator by ResolveOperator.

var (
	jsonT   = types.JSON
	jsonbT  = types.JSONB
	textArr = types.Type{OID: types.OIDTextArray, Mod: -1}
)

func parseB(v types.Value) (*types.JSONNode, error) { return types.ParseJSONB(v.S) }
func parseJ(v types.Value) (*types.JSONNode, error) { return types.ParseJSONText(v.S) }

func jsonbVal(n *types.JSONNode) types.Value { return types.NewJSON(n.JSONBText()) }

// jsonbAsText is ->> of a jsonb value (JsonbValueAsText): strings
// unquoted, null as SQL NULL, anything else as its jsonb text.
func jsonbAsText(n *types.JSONNode) types.Value {
	switch n.Kind {
	case types.JSONNull:
		return types.Null
	case types.JSONString:
		return types.NewText(n.Str)
	}
	return types.NewText(n.JSONBText())
}

// jsonAsText is ->> of a json value: strings de-escaped, null as SQL
// NULL, anything else as written.
func jsonAsText(n *types.JSONNode) types.Value {
	switch n.Kind {
	case types.JSONNull:
		return types.Null
	case types.JSONString:
		return types.NewText(n.Str)
	}
	return types.NewText(n.Raw)
}

func invalidParam(format string, args ...any) *pgerr.Error {
	return pgerr.New(pgerr.InvalidParameterValue, format, args...)
}

// strtoint is PostgreSQL's strtoint(s, &end, 10) with the whole string
// consumed: leading white space and a sign allowed, int32 range.
func strtoint(s string) (int, bool) {
	t := strings.TrimLeft(s, " \t\n\r\v\f")
	if t == "" {
		return 0, false
	}
	i, err := strconv.ParseInt(t, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(i), true
}

// textElems returns the elements of a text[] argument (NULL elements as
// NULL values) and whether any is NULL.
func textElems(v types.Value) ([]types.Value, bool, error) {
	es, err := types.ArrayElems(v, nil)
	if err != nil {
		return nil, false, err
	}
	hasNull := false
	for _, e := range es {
		hasNull = hasNull || e.IsNull()
	}
	return es, hasNull, nil
}

// arrayElemsOf is the elements of a jsonb array, a raw scalar counting as a
// one-element array (JB_ROOT_IS_ARRAY holds for it); nil for an object.
func arrayElemsOf(n *types.JSONNode) ([]*types.JSONNode, bool) {
	switch n.Kind {
	case types.JSONArray:
		return n.Vals, true
	case types.JSONObject:
		return nil, false
	}
	return []*types.JSONNode{n}, true
}

// index resolves a possibly negative index into n elements.
func index(i int64, n int) (int, bool) {
	if i < 0 {
		if -i > int64(n) {
			return 0, false
		}
		i += int64(n)
	}
	if i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// jsonbGetPath is jsonb_get_element: #> and #>> on jsonb.
func jsonbGetPath(root *types.JSONNode, path []types.Value, asText bool) types.Value {
	if len(path) == 0 {
		if asText {
			return jsonbAsText(root)
		}
		return jsonbVal(root)
	}
	cur := root
	for _, p := range path {
		switch cur.Kind {
		case types.JSONObject:
			cur = cur.Lookup(p.S)
		case types.JSONArray:
			i, ok := strtoint(p.S)
			if !ok || i == math.MinInt32 {
				return types.Null
			}
			j, ok := index(int64(i), len(cur.Vals))
			if !ok {
				return types.Null
			}
			cur = cur.Vals[j]
		default:
			return types.Null // extraction from a scalar
		}
		if cur == nil {
			return types.Null
		}
	}
	if asText {
		return jsonbAsText(cur)
	}
	return jsonbVal(cur)
}

// jsonGet walks a json tree along path: every object member whose key
// matches is followed (a json object may repeat keys) and the last value
// found wins, as PostgreSQL's streaming get_worker finds it. idx[i] is the
// path element as an array index (math.MinInt32 when it is none).
func jsonGet(n *types.JSONNode, keys []string, idx []int, level int) *types.JSONNode {
	if level == len(keys) {
		return n
	}
	var res *types.JSONNode
	switch n.Kind {
	case types.JSONObject:
		for i, k := range n.Keys {
			if k == keys[level] {
				if r := jsonGet(n.Vals[i], keys, idx, level+1); r != nil {
					res = r
				}
			}
		}
	case types.JSONArray:
		if idx[level] != math.MinInt32 {
			if j, ok := index(int64(idx[level]), len(n.Vals)); ok {
				res = jsonGet(n.Vals[j], keys, idx, level+1)
			}
		}
	}
	return res
}

// jsonGetPath is json_extract_path(_text) (#>, #>>) on json text s.
func jsonGetPath(s string, path []types.Value, asText bool) (types.Value, error) {
	root, err := types.ParseJSONText(s)
	if err != nil {
		return types.Null, err
	}
	if len(path) == 0 {
		// The whole value; a scalar keeps the white space before it (the
		// parser's token spans start there, PostgreSQL's quirk).
		if root.Kind == types.JSONObject || root.Kind == types.JSONArray {
			if asText {
				return types.NewText(root.Raw), nil
			}
			return types.NewJSON(root.Raw), nil
		}
		if asText && (root.Kind == types.JSONString || root.Kind == types.JSONNull) {
			return jsonAsText(root), nil
		}
		end := strings.LastIndex(s, root.Raw) + len(root.Raw)
		if asText {
			return types.NewText(s[:end]), nil
		}
		return types.NewJSON(s[:end]), nil
	}
	keys := make([]string, len(path))
	idx := make([]int, len(path))
	for i, p := range path {
		keys[i] = p.S
		idx[i] = math.MinInt32
		if p.S != "" {
			if n, ok := strtoint(p.S); ok {
				idx[i] = n
			}
		}
	}
	r := jsonGet(root, keys, idx, 0)
	switch {
	case r == nil:
		return types.Null, nil
	case asText:
		return jsonAsText(r), nil
	}
	return types.NewJSON(r.Raw), nil
}

func jsonTypeof(n *types.JSONNode) types.Value { return types.NewText(n.Kind.String()) }

// jsonRaw is a json node as a json value: its input text.
func jsonRaw(n *types.JSONNode) types.Value { return types.NewJSON(n.Raw) }

func init() {
	// -> and ->>: each lookup (nil: no value) registered twice, the node as
	// json / jsonb and (name_text) as text.
	accessor := func(name string, in, key types.Type, get func([]types.Value) (*types.JSONNode, error),
		val, asText func(*types.JSONNode) types.Value) {
		for _, f := range []struct {
			suffix string
			ret    types.Type
			out    func(*types.JSONNode) types.Value
		}{{"", in, val}, {"_text", text, asText}} {
			out := f.out
			imm(name+f.suffix, t(in, key), f.ret, func(_ *Context, a []types.Value) (types.Value, error) {
				v, err := get(a)
				if v == nil || err != nil {
					return types.Null, err
				}
				return out(v), nil
			})
		}
	}
	field := func(parse func(types.Value) (*types.JSONNode, error)) func([]types.Value) (*types.JSONNode, error) {
		return func(a []types.Value) (*types.JSONNode, error) {
			n, err := parse(a[0])
			if err != nil {
				return nil, err
			}
			return n.Lookup(a[1].S), nil
		}
	}
	accessor("jsonb_object_field", jsonbT, text, field(parseB), jsonbVal, jsonbAsText)
	accessor("json_object_field", jsonT, text, field(parseJ), jsonRaw, jsonAsText)
	accessor("jsonb_array_element", jsonbT, int4, func(a []types.Value) (*types.JSONNode, error) {
		n, err := parseB(a[0])
		if err != nil {
			return nil, err
		}
		es, ok := arrayElemsOf(n)
		if !ok {
			return nil, nil
		}
		if j, ok := index(a[1].I, len(es)); ok {
			return es[j], nil
		}
		return nil, nil
	}, jsonbVal, jsonbAsText)
	accessor("json_array_element", jsonT, int4, func(a []types.Value) (*types.JSONNode, error) {
		n, err := parseJ(a[0])
		if err != nil || n.Kind != types.JSONArray {
			return nil, err
		}
		if j, ok := index(a[1].I, len(n.Vals)); ok {
			return n.Vals[j], nil
		}
		return nil, nil
	}, jsonRaw, jsonAsText)

	// #>, #>> and the variadic functions behind them.
	for _, asText := range []bool{false, true} {
		asText := asText
		suffix, ret, jret := "", jsonbT, jsonT
		if asText {
			suffix, ret, jret = "_text", text, text
		}
		jsonbPath := func(_ *Context, a []types.Value) (types.Value, error) {
			path := a[1:]
			if len(a) == 2 && a[1].K == types.KindArray {
				es, hasNull, err := textElems(a[1])
				if err != nil || hasNull {
					return types.Null, err
				}
				path = es
			}
			for _, p := range path {
				if p.IsNull() {
					return types.Null, nil
				}
			}
			n, err := parseB(a[0])
			if err != nil {
				return types.Null, err
			}
			return jsonbGetPath(n, path, asText), nil
		}
		jsonPath := func(_ *Context, a []types.Value) (types.Value, error) {
			path := a[1:]
			if len(a) == 2 && a[1].K == types.KindArray {
				es, hasNull, err := textElems(a[1])
				if err != nil || hasNull {
					return types.Null, err
				}
				path = es
			}
			for _, p := range path {
				if p.IsNull() {
					return types.Null, nil
				}
			}
			return jsonGetPath(a[0].S, path, asText)
		}
		// The variadic forms take the path elements one by one; NULL
		// elements give NULL (they are not strict).
		register(&Func{Name: "jsonb_extract_path" + suffix, Args: t(jsonbT, text), Variadic: true, Ret: ret,
			Volatility: Immutable, Eval: nullFirst(jsonbPath)})
		register(&Func{Name: "json_extract_path" + suffix, Args: t(jsonT, text), Variadic: true, Ret: jret,
			Volatility: Immutable, Eval: nullFirst(jsonPath)})
		op := "#>"
		if asText {
			op = "#>>"
		}
		regOp(op, &Func{Name: "jsonb_extract_path" + suffix, Args: t(jsonbT, textArr), Ret: ret, Strict: true,
			Volatility: Immutable, Eval: jsonbPath})
		regOp(op, &Func{Name: "json_extract_path" + suffix, Args: t(jsonT, textArr), Ret: jret, Strict: true,
			Volatility: Immutable, Eval: jsonPath})
	}
	for _, n := range []string{"jsonb_object_field", "jsonb_array_element", "json_object_field", "json_array_element"} {
		regOp("->", scalars[n][0])
		regOp("->>", scalars[n+"_text"][0])
	}

	imm("jsonb_typeof", t(jsonbT), text, func(_ *Context, a []types.Value) (types.Value, error) {
		n, err := parseB(a[0])
		if err != nil {
			return types.Null, err
		}
		return jsonTypeof(n), nil
	})
	imm("json_typeof", t(jsonT), text, func(_ *Context, a []types.Value) (types.Value, error) {
		n, err := parseJ(a[0])
		if err != nil {
			return types.Null, err
		}
		return jsonTypeof(n), nil
	})
	arrayLength := func(parse func(types.Value) (*types.JSONNode, error)) evalFn {
		return func(_ *Context, a []types.Value) (types.Value, error) {
			n, err := parse(a[0])
			if err != nil {
				return types.Null, err
			}
			switch n.Kind {
			case types.JSONArray:
				return types.NewInt(int64(len(n.Vals))), nil
			case types.JSONObject:
				return types.Null, invalidParam("cannot get array length of a non-array")
			}
			return types.Null, invalidParam("cannot get array length of a scalar")
		}
	}
	imm("jsonb_array_length", t(jsonbT), int4, arrayLength(parseB))
	imm("json_array_length", t(jsonT), int4, arrayLength(parseJ))

	imm("jsonb_strip_nulls", t(jsonbT), jsonbT, func(_ *Context, a []types.Value) (types.Value, error) {
		n, err := parseB(a[0])
		if err != nil {
			return types.Null, err
		}
		return jsonbVal(stripNulls(n)), nil
	})
	imm("json_strip_nulls", t(jsonT), jsonT, func(_ *Context, a []types.Value) (types.Value, error) {
		n, err := parseJ(a[0])
		if err != nil {
			return types.Null, err
		}
		return types.NewJSON(string(appendStrippedJSON(nil, n))), nil
	})
	imm("jsonb_pretty", t(jsonbT), text, func(_ *Context, a []types.Value) (types.Value, error) {
		n, err := parseB(a[0])
		if err != nil {
			return types.Null, err
		}
		return types.NewText(string(appendPretty(nil, n))), nil
	})

	// jsonb_set(target, path, new_value [, create_if_missing = true]) and
	// jsonb_insert(target, path, new_value [, insert_after = false]).
	set := func(_ *Context, a []types.Value) (types.Value, error) {
		create := len(a) < 4 || a[3].Bool()
		op := pathReplace
		if create {
			op = pathCreate
		}
		return jsonbSetPath(a[0], a[1], a[2], op, "cannot set path in scalar", !create)
	}
	imm("jsonb_set", t(jsonbT, textArr, jsonbT), jsonbT, set)
	imm("jsonb_set", t(jsonbT, textArr, jsonbT, boolT), jsonbT, set)
	insert := func(_ *Context, a []types.Value) (types.Value, error) {
		op := pathInsertBefore
		if len(a) == 4 && a[3].Bool() {
			op = pathInsertAfter
		}
		return jsonbSetPath(a[0], a[1], a[2], op, "cannot set path in scalar", false)
	}
	imm("jsonb_insert", t(jsonbT, textArr, jsonbT), jsonbT, insert)
	imm("jsonb_insert", t(jsonbT, textArr, jsonbT, boolT), jsonbT, insert)

	// Operators of jsonb only.
	regOp("@>", imm("jsonb_contains", t(jsonbT, jsonbT), boolT, func(_ *Context, a []types.Value) (types.Value, error) {
		return containsOp(a[0], a[1])
	}))
	regOp("<@", imm("jsonb_contained", t(jsonbT, jsonbT), boolT, func(_ *Context, a []types.Value) (types.Value, error) {
		return containsOp(a[1], a[0])
	}))
	regOp("?", imm("jsonb_exists", t(jsonbT, text), boolT, func(_ *Context, a []types.Value) (types.Value, error) {
		n, err := parseB(a[0])
		if err != nil {
			return types.Null, err
		}
		return types.NewBool(hasKey(n, a[1].S)), nil
	}))
	exists := func(all bool) evalFn {
		return func(_ *Context, a []types.Value) (types.Value, error) {
			n, err := parseB(a[0])
			if err != nil {
				return types.Null, err
			}
			keys, _, err := textElems(a[1])
			if err != nil {
				return types.Null, err
			}
			for _, k := range keys {
				if k.IsNull() {
					continue
				}
				if hasKey(n, k.S) != all {
					return types.NewBool(!all), nil
				}
			}
			return types.NewBool(all), nil
		}
	}
	regOp("?|", imm("jsonb_exists_any", t(jsonbT, textArr), boolT, exists(false)))
	regOp("?&", imm("jsonb_exists_all", t(jsonbT, textArr), boolT, exists(true)))
	regOp("||", imm("jsonb_concat", t(jsonbT, jsonbT), jsonbT, func(_ *Context, a []types.Value) (types.Value, error) {
		x, err := parseB(a[0])
		if err != nil {
			return types.Null, err
		}
		y, err := parseB(a[1])
		if err != nil {
			return types.Null, err
		}
		return jsonbConcat(x, y, a[0], a[1]), nil
	}))
	regOp("-", imm("jsonb_delete", t(jsonbT, text), jsonbT, func(_ *Context, a []types.Value) (types.Value, error) {
		return jsonbDeleteKeys(a[0], []types.Value{a[1]})
	}))
	regOp("-", imm("jsonb_delete", t(jsonbT, textArr), jsonbT, func(_ *Context, a []types.Value) (types.Value, error) {
		if types.ArrayNDims(a[1]) > 1 {
			return types.Null, pgerr.New("2202E", "wrong number of array subscripts")
		}
		keys, _, err := textElems(a[1])
		if err != nil {
			return types.Null, err
		}
		return jsonbDeleteKeys(a[0], keys)
	}))
	regOp("-", imm("jsonb_delete", t(jsonbT, int4), jsonbT, func(_ *Context, a []types.Value) (types.Value, error) {
		n, err := parseB(a[0])
		if err != nil {
			return types.Null, err
		}
		switch n.Kind {
		case types.JSONObject:
			return types.Null, invalidParam("cannot delete from object using integer index")
		case types.JSONArray:
		default:
			return types.Null, invalidParam("cannot delete from scalar")
		}
		cnt := int64(len(n.Vals))
		if cnt == 0 {
			return a[0], nil
		}
		idx := a[1].I
		if idx < 0 {
			if -idx > cnt {
				idx = cnt
			} else {
				idx += cnt
			}
		}
		if idx >= cnt {
			return a[0], nil
		}
		out := &types.JSONNode{Kind: types.JSONArray, Vals: make([]*types.JSONNode, 0, cnt-1)}
		out.Vals = append(append(out.Vals, n.Vals[:idx]...), n.Vals[idx+1:]...)
		return jsonbVal(out), nil
	}))
	regOp("#-", imm("jsonb_delete_path", t(jsonbT, textArr), jsonbT, func(_ *Context, a []types.Value) (types.Value, error) {
		return jsonbSetPath(a[0], a[1], types.Null, pathDelete, "cannot delete path in scalar", true)
	}))
}

// nullFirst makes a non-strict function return NULL for a NULL first
// argument.
func nullFirst(f evalFn) evalFn {
	return func(ctx *Context, a []types.Value) (types.Value, error) {
		if a[0].IsNull() {
			return types.Null, nil
		}
		return f(ctx, a)
	}
}

// hasKey is jsonb ?: a key of an object, or a string element of an array
// (or the string a raw scalar is).
func hasKey(n *types.JSONNode, key string) bool {
	if n.Kind == types.JSONObject {
		return n.Lookup(key) != nil
	}
	es, _ := arrayElemsOf(n)
	for _, e := range es {
		if e.Kind == types.JSONString && e.Str == key {
			return true
		}
	}
	return false
}

func containsOp(val, tmpl types.Value) (types.Value, error) {
	a, err := parseB(val)
	if err != nil {
		return types.Null, err
	}
	b, err := parseB(tmpl)
	if err != nil {
		return types.Null, err
	}
	if (a.Kind == types.JSONObject) != (b.Kind == types.JSONObject) {
		return types.NewBool(false), nil
	}
	return types.NewBool(deepContains(a, b, true)), nil
}

func isContainer(n *types.JSONNode) bool {
	return n.Kind == types.JSONArray || n.Kind == types.JSONObject
}

// equalScalar is equalsJsonbScalarValue.
func equalScalar(a, b *types.JSONNode) bool {
	if a.Kind != b.Kind {
		return false
	}
	return types.CompareJSONB(a, b) == 0
}

// deepContains is JsonbDeepContains: whether a contains b. At the top
// level scalars are raw-scalar pseudo-arrays: a raw scalar contains only a
// raw scalar, an array may contain one.
func deepContains(a, b *types.JSONNode, top bool) bool {
	if a.Kind == types.JSONObject || b.Kind == types.JSONObject {
		if a.Kind != b.Kind {
			return false
		}
		if len(a.Keys) < len(b.Keys) {
			return false
		}
		for i, k := range b.Keys {
			av, bv := a.Lookup(k), b.Vals[i]
			if av == nil {
				return false
			}
			switch {
			case isContainer(av) && isContainer(bv):
				if !deepContains(av, bv, false) {
					return false
				}
			case isContainer(av) || isContainer(bv):
				return false
			case !equalScalar(av, bv):
				return false
			}
		}
		return true
	}
	aRaw, bRaw := a.Kind != types.JSONArray, b.Kind != types.JSONArray
	if !top && (aRaw || bRaw) {
		return false
	}
	if aRaw && !bRaw {
		return false
	}
	ae, _ := arrayElemsOf(a)
	be, _ := arrayElemsOf(b)
	for _, x := range be {
		found := false
		for _, y := range ae {
			if isContainer(x) {
				found = isContainer(y) && deepContains(y, x, false)
			} else {
				found = !isContainer(y) && equalScalar(y, x)
			}
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// jsonbConcat is jsonb || jsonb.
func jsonbConcat(x, y *types.JSONNode, xv, yv types.Value) types.Value {
	xo, yo := x.Kind == types.JSONObject, y.Kind == types.JSONObject
	xs, ys := !xo && x.Kind != types.JSONArray, !yo && y.Kind != types.JSONArray
	count := func(n *types.JSONNode) int {
		if n.Kind == types.JSONObject || n.Kind == types.JSONArray {
			return len(n.Vals)
		}
		return 1
	}
	if xo == yo {
		if count(x) == 0 && !ys {
			return yv
		}
		if count(y) == 0 && !xs {
			return xv
		}
	}
	if xo && yo {
		keys := append(append([]string(nil), x.Keys...), y.Keys...)
		vals := append(append([]*types.JSONNode(nil), x.Vals...), y.Vals...)
		return jsonbVal(types.NewJSONObject(keys, vals))
	}
	var elems []*types.JSONNode
	for _, n := range []*types.JSONNode{x, y} {
		if n.Kind == types.JSONArray {
			elems = append(elems, n.Vals...)
		} else {
			elems = append(elems, n)
		}
	}
	return jsonbVal(&types.JSONNode{Kind: types.JSONArray, Vals: elems})
}

// jsonbDeleteKeys is jsonb - text and jsonb - text[]: removes the keys of
// an object, or the equal string elements of an array (top level only).
func jsonbDeleteKeys(v types.Value, keys []types.Value) (types.Value, error) {
	n, err := parseB(v)
	if err != nil {
		return types.Null, err
	}
	if n.Kind != types.JSONObject && n.Kind != types.JSONArray {
		return types.Null, invalidParam("cannot delete from scalar")
	}
	if len(n.Vals) == 0 || len(keys) == 0 {
		return v, nil
	}
	del := func(s string) bool {
		for _, k := range keys {
			if !k.IsNull() && k.S == s {
				return true
			}
		}
		return false
	}
	out := &types.JSONNode{Kind: n.Kind}
	for i, e := range n.Vals {
		if n.Kind == types.JSONObject {
			if del(n.Keys[i]) {
				continue
			}
			out.Keys = append(out.Keys, n.Keys[i])
		} else if e.Kind == types.JSONString && del(e.Str) {
			continue
		}
		out.Vals = append(out.Vals, e)
	}
	return jsonbVal(out), nil
}

// setPath operations (PostgreSQL's JB_PATH_*).
const (
	pathCreate       = 0x01
	pathDelete       = 0x02
	pathReplace      = 0x04
	pathInsertBefore = 0x08
	pathInsertAfter  = 0x10
	pathCreateOrIns  = pathInsertBefore | pathInsertAfter | pathCreate
)

// jsonbSetPath runs setPath for jsonb_set, jsonb_insert and #-. emptyAsIs
// returns an empty container unchanged (jsonb_set without create, #-).
func jsonbSetPath(target, pathV, newV types.Value, op int, scalarMsg string, emptyAsIs bool) (types.Value, error) {
	if types.ArrayNDims(pathV) > 1 {
		return types.Null, pgerr.New("2202E", "wrong number of array subscripts")
	}
	n, err := parseB(target)
	if err != nil {
		return types.Null, err
	}
	if n.Kind != types.JSONObject && n.Kind != types.JSONArray {
		return types.Null, invalidParam("%s", scalarMsg)
	}
	if emptyAsIs && len(n.Vals) == 0 {
		return target, nil
	}
	path, _, err := textElems(pathV)
	if err != nil {
		return types.Null, err
	}
	if len(path) == 0 {
		return target, nil
	}
	var nv *types.JSONNode
	if op&pathDelete == 0 {
		if nv, err = parseB(newV); err != nil {
			return types.Null, err
		}
	}
	res, err := setPath(n, path, 0, nv, op)
	if err != nil {
		return types.Null, err
	}
	return jsonbVal(res), nil
}

func setPath(n *types.JSONNode, path []types.Value, level int, nv *types.JSONNode, op int) (*types.JSONNode, error) {
	if path[level].IsNull() {
		return nil, pgerr.New(pgerr.NullValueNotAllowed, "path element at position %d is null", level+1)
	}
	switch n.Kind {
	case types.JSONObject:
		return setPathObject(n, path, level, nv, op)
	case types.JSONArray:
		return setPathArray(n, path, level, nv, op)
	}
	return n, nil
}

func setPathObject(n *types.JSONNode, path []types.Value, level int, nv *types.JSONNode, op int) (*types.JSONNode, error) {
	key := path[level].S
	last := level == len(path)-1
	var keys []string
	var vals []*types.JSONNode
	if len(n.Keys) == 0 && op&pathCreateOrIns != 0 && last {
		keys, vals = append(keys, key), append(vals, nv)
	}
	done := false
	for i, k := range n.Keys {
		if !done && k == key {
			done = true
			if last {
				if op&(pathInsertBefore|pathInsertAfter) != 0 {
					return nil, invalidParam("cannot replace existing key").
						WithHint("Try using the function jsonb_set to replace key value.")
				}
				if op&pathDelete == 0 {
					keys, vals = append(keys, k), append(vals, nv)
				}
				continue
			}
			v, err := setPath(n.Vals[i], path, level+1, nv, op)
			if err != nil {
				return nil, err
			}
			keys, vals = append(keys, k), append(vals, v)
			continue
		}
		if op&pathCreateOrIns != 0 && !done && last && i == len(n.Keys)-1 {
			keys, vals = append(keys, key), append(vals, nv)
		}
		keys, vals = append(keys, k), append(vals, n.Vals[i])
	}
	return types.NewJSONObject(keys, vals), nil
}

func setPathArray(n *types.JSONNode, path []types.Value, level int, nv *types.JSONNode, op int) (*types.JSONNode, error) {
	nelems := len(n.Vals)
	last := level == len(path)-1
	idx, ok := strtoint(path[level].S)
	if !ok {
		return nil, pgerr.New(pgerr.InvalidTextRepresentation, "path element at position %d is not an integer: \"%s\"", level+1, path[level].S)
	}
	if idx < 0 {
		if -idx > nelems {
			idx = math.MinInt32
		} else {
			idx += nelems
		}
	}
	if idx > 0 && idx > nelems {
		idx = nelems
	}
	out := &types.JSONNode{Kind: types.JSONArray}
	done := false
	if (idx == math.MinInt32 || nelems == 0) && last && op&pathCreateOrIns != 0 {
		out.Vals = append(out.Vals, nv)
		done = true
	}
	for i, e := range n.Vals {
		if i != idx {
			out.Vals = append(out.Vals, e)
			continue
		}
		done = true
		if !last {
			v, err := setPath(e, path, level+1, nv, op)
			if err != nil {
				return nil, err
			}
			out.Vals = append(out.Vals, v)
			continue
		}
		if op&(pathInsertBefore|pathCreate) != 0 {
			out.Vals = append(out.Vals, nv)
		}
		if op&(pathInsertAfter|pathInsertBefore) != 0 {
			out.Vals = append(out.Vals, e)
		}
		if op&(pathInsertAfter|pathReplace) != 0 {
			out.Vals = append(out.Vals, nv)
		}
	}
	if op&pathCreateOrIns != 0 && !done && last {
		out.Vals = append(out.Vals, nv)
	}
	return out, nil
}

// stripNulls is jsonb_strip_nulls: object members whose value is null
// are removed, at every level; array elements stay.
func stripNulls(n *types.JSONNode) *types.JSONNode {
	switch n.Kind {
	case types.JSONObject:
		out := &types.JSONNode{Kind: types.JSONObject}
		for i, v := range n.Vals {
			if v.Kind == types.JSONNull {
				continue
			}
			out.Keys = append(out.Keys, n.Keys[i])
			out.Vals = append(out.Vals, stripNulls(v))
		}
		return out
	case types.JSONArray:
		out := &types.JSONNode{Kind: types.JSONArray, Vals: make([]*types.JSONNode, len(n.Vals))}
		for i, v := range n.Vals {
			out.Vals[i] = stripNulls(v)
		}
		return out
	}
	return n
}

// appendStrippedJSON is json_strip_nulls: the json re-serialised without
// white space, strings and keys re-escaped, numbers as written, object
// members whose value is null left out.
func appendStrippedJSON(buf []byte, n *types.JSONNode) []byte {
	switch n.Kind {
	case types.JSONObject:
		buf = append(buf, '{')
		first := true
		for i, v := range n.Vals {
			if v.Kind == types.JSONNull {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = types.AppendJSONString(buf, n.Keys[i])
			buf = append(buf, ':')
			buf = appendStrippedJSON(buf, v)
		}
		return append(buf, '}')
	case types.JSONArray:
		buf = append(buf, '[')
		for i, v := range n.Vals {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendStrippedJSON(buf, v)
		}
		return append(buf, ']')
	case types.JSONString:
		return types.AppendJSONString(buf, n.Str)
	}
	return append(buf, n.Raw...)
}

// appendPretty is jsonb_pretty (JsonbToCStringIndent): four spaces per
// level, "," ending lines, an empty container as "{\n}" / "[\n]".
func appendPretty(buf []byte, n *types.JSONNode) []byte {
	if !isContainer(n) {
		return n.AppendJSONB(buf)
	}
	return prettyContainer(buf, n, 0, false)
}

func indent(buf []byte, level int) []byte {
	buf = append(buf, '\n')
	for i := 0; i < level*4; i++ {
		buf = append(buf, ' ')
	}
	return buf
}

// prettyContainer prints container n opened at level; afterKey means it
// is an object member's value (no line break before its bracket).
func prettyContainer(buf []byte, n *types.JSONNode, level int, afterKey bool) []byte {
	open, close := byte('['), byte(']')
	if n.Kind == types.JSONObject {
		open, close = '{', '}'
	}
	if level > 0 && !afterKey {
		buf = indent(buf, level)
	}
	buf = append(buf, open)
	for i, v := range n.Vals {
		if i > 0 {
			buf = append(buf, ',')
		}
		if n.Kind == types.JSONObject {
			buf = indent(buf, level+1)
			buf = types.AppendJSONString(buf, n.Keys[i])
			buf = append(buf, ": "...)
			if isContainer(v) {
				buf = prettyContainer(buf, v, level+1, true)
			} else {
				buf = v.AppendJSONB(buf)
			}
			continue
		}
		if isContainer(v) {
			buf = prettyContainer(buf, v, level+1, false)
		} else {
			buf = indent(buf, level+1)
			buf = v.AppendJSONB(buf)
		}
	}
	buf = indent(buf, level)
	return append(buf, close)
}
