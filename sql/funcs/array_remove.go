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
		if len(in) != 2 {
			return nil, nil, noFunc(name, in)
		}
		at, err := arrayArg(name, in, 0)
		if err != nil {
			return nil, nil, err
		}
		et := types.ElemType(at)
		if in[1].OID != types.OIDUnknown && !canCoerce(in[1].OID, et.OID) {
			return nil, nil, noFunc(name, in)
		}
		args := []types.Type{at, et}
		return &Func{Name: name, Args: args, Ret: at, Volatility: Immutable,
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
					same := e.IsNull() && a[1].IsNull() || !e.IsNull() && !a[1].IsNull() && types.CompareTyped(e, a[1], et) == 0
					if !same {
						out = append(out, e)
					}
				}
				return types.NewArray(out), nil
			}}, args, nil
	}
}
