package funcs

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Set-returning JSON functions. Like generate_series in a select list
// (srf.go), each is run by the plan's Expand node over an array: these
// Funcs build the array of the rows. They are not in the scalar registry;
// ResolveJSONSetFunc finds them.

var jsonSetFuncs = map[string][]*Func{}

// jsonEachNames are the set-returning JSON functions whose rows are
// (key, value) records; they are not supported yet.
var jsonEachNames = map[string]bool{"json_each": true, "json_each_text": true, "jsonb_each": true, "jsonb_each_text": true}

// IsJSONSetFunc reports whether name is a set-returning JSON function
// (json_array_elements, jsonb_object_keys, jsonb_each, …).
func IsJSONSetFunc(name string) bool { return jsonSetFuncs[name] != nil || jsonEachNames[name] }

// IsJSONEachFunc reports whether name is json_each, json_each_text,
// jsonb_each or jsonb_each_text (rows of two columns: JSONEachArrays).
func IsJSONEachFunc(name string) bool { return jsonEachNames[name] }

// ResolveJSONSetFunc resolves the set-returning JSON function name for
// arguments of argTypes: a Func returning the array of its rows, the types
// to cast the arguments to, and the type of a row.
func ResolveJSONSetFunc(name string, argTypes []types.Type) (*Func, []types.Type, types.Type, error) {
	if jsonEachNames[name] {
		return nil, nil, types.Type{}, pgerr.NotSupported("%s is not supported yet", name)
	}
	cands := jsonSetFuncs[name]
	sigs := make([]candidate, 0, len(cands))
	for i, f := range cands {
		if len(f.Args) == len(argTypes) {
			sigs = append(sigs, candidate{idx: i, args: f.Args})
		}
	}
	c, err := selectCandidate(name, argTypes, sigs)
	if err != nil {
		return nil, nil, types.Type{}, err
	}
	f := cands[c.idx]
	return f, castTargets(argTypes, c.args), types.ElemType(f.Ret), nil
}

func regSetFunc(name string, arg, elem types.Type, eval evalFn) {
	at, _ := types.ArrayOf(elem)
	jsonSetFuncs[name] = append(jsonSetFuncs[name], &Func{Name: name, Args: []types.Type{arg}, Ret: at, Strict: true, Volatility: Immutable, Eval: eval})
}

func init() {
	arrayElements := func(name string, jsonb, asText bool) evalFn {
		return func(_ *Context, a []types.Value) (types.Value, error) {
			var n *types.JSONNode
			var err error
			if jsonb {
				n, err = parseB(a[0])
			} else {
				n, err = parseJ(a[0])
			}
			if err != nil {
				return types.Null, err
			}
			switch {
			case n.Kind == types.JSONArray:
			case jsonb && n.Kind == types.JSONObject:
				return types.Null, invalidParam("cannot extract elements from an object")
			case jsonb:
				return types.Null, invalidParam("cannot extract elements from a scalar")
			case n.Kind == types.JSONObject:
				return types.Null, invalidParam("cannot call %s on a non-array", name)
			default:
				return types.Null, invalidParam("cannot call %s on a scalar", name)
			}
			out := make([]types.Value, len(n.Vals))
			for i, e := range n.Vals {
				switch {
				case asText && jsonb:
					out[i] = jsonbAsText(e)
				case asText:
					out[i] = jsonAsText(e)
				case jsonb:
					out[i] = jsonbVal(e)
				default:
					out[i] = types.NewJSON(e.Raw)
				}
			}
			return types.NewArray(out), nil
		}
	}
	regSetFunc("jsonb_array_elements", jsonbT, jsonbT, arrayElements("jsonb_array_elements", true, false))
	regSetFunc("jsonb_array_elements_text", jsonbT, text, arrayElements("jsonb_array_elements_text", true, true))
	regSetFunc("json_array_elements", jsonT, jsonT, arrayElements("json_array_elements", false, false))
	regSetFunc("json_array_elements_text", jsonT, text, arrayElements("json_array_elements_text", false, true))

	objectKeys := func(name string, jsonb bool) evalFn {
		return func(_ *Context, a []types.Value) (types.Value, error) {
			var n *types.JSONNode
			var err error
			if jsonb {
				n, err = parseB(a[0])
			} else {
				n, err = parseJ(a[0])
			}
			if err != nil {
				return types.Null, err
			}
			switch n.Kind {
			case types.JSONObject:
			case types.JSONArray:
				return types.Null, invalidParam("cannot call %s on an array", name)
			default:
				return types.Null, invalidParam("cannot call %s on a scalar", name)
			}
			out := make([]types.Value, len(n.Keys))
			for i, k := range n.Keys {
				out[i] = types.NewText(k)
			}
			return types.NewArray(out), nil
		}
	}
	regSetFunc("jsonb_object_keys", jsonbT, text, objectKeys("jsonb_object_keys", true))
	regSetFunc("json_object_keys", jsonT, text, objectKeys("json_object_keys", false))
}

// JSONEachArrays resolves json_each, json_each_text, jsonb_each or
// jsonb_each_text for arguments of argTypes as two array builders of the
// same length: the keys (text[]) and the values (json[], jsonb[] or
// text[]), with the type to cast the argument to and the value type.
// Their rows are (keys[i], values[i]).
func JSONEachArrays(name string, argTypes []types.Type) (keys, vals *Func, casts []types.Type, valueT types.Type, err error) {
	if !jsonEachNames[name] || len(argTypes) != 1 {
		return nil, nil, nil, types.Type{}, noFunc(name, argTypes)
	}
	jsonb := name == "jsonb_each" || name == "jsonb_each_text"
	asText := name == "json_each_text" || name == "jsonb_each_text"
	arg := jsonT
	if jsonb {
		arg = jsonbT
	}
	c, err := selectCandidate(name, argTypes, []candidate{{args: []types.Type{arg}}})
	if err != nil {
		return nil, nil, nil, types.Type{}, err
	}
	valueT = arg
	if asText {
		valueT = text
	}
	object := func(a types.Value) (*types.JSONNode, error) {
		var n *types.JSONNode
		var err error
		if jsonb {
			n, err = parseB(a)
		} else {
			n, err = parseJ(a)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case n.Kind == types.JSONObject:
			return n, nil
		case jsonb:
			return nil, invalidParam("cannot call %s on a non-object", name)
		case n.Kind == types.JSONArray:
			return nil, invalidParam("cannot deconstruct an array as an object")
		}
		return nil, invalidParam("cannot deconstruct a scalar")
	}
	ta, _ := types.ArrayOf(text)
	va, _ := types.ArrayOf(valueT)
	keys = &Func{Name: name, Args: []types.Type{arg}, Ret: ta, Strict: true, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			n, err := object(a[0])
			if err != nil {
				return types.Null, err
			}
			out := make([]types.Value, len(n.Keys))
			for i, k := range n.Keys {
				out[i] = types.NewText(k)
			}
			return types.NewArray(out), nil
		}}
	vals = &Func{Name: name, Args: []types.Type{arg}, Ret: va, Strict: true, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			n, err := object(a[0])
			if err != nil {
				return types.Null, err
			}
			out := make([]types.Value, len(n.Vals))
			for i, v := range n.Vals {
				switch {
				case asText && jsonb:
					out[i] = jsonbAsText(v)
				case asText:
					out[i] = jsonAsText(v)
				case jsonb:
					out[i] = jsonbVal(v)
				default:
					out[i] = types.NewJSON(v.Raw)
				}
			}
			return types.NewArray(out), nil
		}}
	return keys, vals, castTargets(argTypes, c.args), valueT, nil
}
