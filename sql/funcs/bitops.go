package funcs

import "github.com/omendb/omendb/types"

// Bitwise integer operators as PostgreSQL's functions int2and, int4or,
// int8xor …; the planner binds a & b, a | b and a # b to them.
func init() {
	for _, it := range []types.Type{types.Int2, int4, int8} {
		p := map[types.OID]string{types.OIDInt2: "int2", types.OIDInt4: "int4", types.OIDInt8: "int8"}[it.OID]
		imm(p+"and", t(it, it), it, func(_ *Context, a []types.Value) (types.Value, error) { return types.NewInt(a[0].I & a[1].I), nil })
		imm(p+"or", t(it, it), it, func(_ *Context, a []types.Value) (types.Value, error) { return types.NewInt(a[0].I | a[1].I), nil })
		imm(p+"xor", t(it, it), it, func(_ *Context, a []types.Value) (types.Value, error) { return types.NewInt(a[0].I ^ a[1].I), nil })
	}
}
