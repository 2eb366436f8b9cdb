package funcs

import "github.com/omendb/omendb/types"

// Subscripts are the valid subscripts of dimension dim of array v of type
// at (generate_subscripts): arrays start at 1, int2vector and oidvector at
// 0 (SQLAlchemy numbers pg_index.indkey's columns with them). A dimension
// the array does not have has none.
func Subscripts(at types.Type, v types.Value, dim int64) []types.Value {
	dims := types.ArrayDims(v)
	base := int64(1)
	if at.OID == types.OIDInt2Vector || at.OID == types.OIDOIDVector {
		dims, base = []int{v.ArrayLen()}, 0
	}
	if dim < 1 || dim > int64(len(dims)) {
		return nil
	}
	out := make([]types.Value, dims[dim-1])
	for i := range out {
		out[i] = types.NewInt(base + int64(i))
	}
	return out
}

// nameLen is NAMEDATALEN, the bytes a name value holds.
const nameLen = 64

// NameSubscript is name[i]: PostgreSQL stores a name as a fixed array of
// NAMEDATALEN bytes, subscripted from 0 (pg_dump tests typname[0] = '_').
// A byte past the name's end is "char" 0, which prints as an empty string;
// a subscript outside the array gives NULL.
func NameSubscript() *Func {
	char := types.Type{OID: types.OIDChar, Mod: -1}
	return &Func{Name: "name_subscript", Args: []types.Type{{OID: types.OIDName, Mod: -1}, int4}, Ret: char, Strict: true, Volatility: Immutable,
		Eval: func(_ *Context, a []types.Value) (types.Value, error) {
			s, i := a[0].S, a[1].I
			switch {
			case i < 0 || i >= nameLen:
				return types.Null, nil
			case i < int64(len(s)):
				return types.NewText(s[i : i+1]), nil
			}
			return types.NewText(""), nil
		}}
}
