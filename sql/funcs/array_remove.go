package funcs

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// array_remove(anyarray, anyelement): the array without the elements equal
// to the value (NULL removes the NULLs), as PostgreSQL's; pg_dump calls it
// on reloptions.
func init() {
	aa := types.Type{OID: OIDAnyArray, Mod: -1}
	ae := types.Type{OID: OIDAnyElement, Mod: -1}
	polymorphicSigs["array_remove"] = []Signature{{Args: []types.Type{aa, ae}, Ret: aa, Volatility: Immutable}}
	polymorphic["array_remove"] = func(name string, in []types.Type) (*Func, []types.Type, error) {
		args, err := arrayElemArgs(name, in)
		if err != nil {
			return nil, nil, err
		}
		return &Func{Name: name, Args: args, Ret: args[0], Volatility: Immutable,
			Eval: func(_ *Context, a []types.Value) (types.Value, error) {
				if a[0].IsNull() {
					return types.Null, nil
				}
				if types.ArrayNDims(a[0]) > 1 {
					return types.Null, pgerr.NotSupported("removing elements from multidimensional arrays is not supported")
				}
				es, err := elems(a[0])
				if err != nil {
					return types.Null, err
				}
				out := make([]types.Value, 0, len(es))
				for _, e := range es {
					same := e.IsNull() && a[1].IsNull() || !e.IsNull() && !a[1].IsNull() && types.CompareTyped(e, a[1], args[1]) == 0
					if !same {
						out = append(out, e)
					}
				}
				return types.NewArray(out), nil
			}}, args, nil
	}
}
