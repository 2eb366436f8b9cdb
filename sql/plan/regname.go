package plan

import (
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// reg* values carry the name they print (types.NewRegName): the binder
// resolves it against its catalog snapshot, for literals ('t'::regclass)
// when it binds them and for casts of OIDs (c.oid::regclass) when they run.

// regValue is the regclass/regnamespace/regtype value of oid.
func (b *Binder) regValue(typ types.OID, oid uint32) types.Value {
	if RegName == nil {
		return types.NewInt(int64(oid))
	}
	return types.NewRegName(oid, RegName(b.Cat, b.Env, typ, oid))
}

// regNamer attaches the name to a cast's regclass/regnamespace/regproc
// value.
func (b *Binder) regNamer(typ types.OID) *funcs.Func {
	t := types.Type{OID: typ, Mod: -1}
	cat, env := b.Cat, b.Env
	return &funcs.Func{Name: types.TypeName(t), Args: []types.Type{t}, Ret: t, Strict: true, Volatility: funcs.Stable,
		Eval: func(_ *funcs.Context, a []types.Value) (types.Value, error) {
			if RegName == nil {
				return a[0], nil
			}
			return types.NewRegName(uint32(a[0].I), RegName(cat, env, typ, uint32(a[0].I))), nil
		}}
}

// regclassIn is regclassin for text computed at run time: the relation
// the text names (a number is taken as an OID), resolved in the catalog
// the statement was bound against.
func (b *Binder) regclassIn() *funcs.Func {
	t := types.Type{OID: types.OIDRegclass, Mod: -1}
	rb := &Binder{Cat: b.Cat, Env: b.Env}
	return &funcs.Func{Name: "regclassin", Args: []types.Type{types.Text}, Ret: t, Strict: true, Volatility: funcs.Stable,
		Eval: func(_ *funcs.Context, a []types.Value) (types.Value, error) {
			oid, err := rb.regclassOID(a[0].S)
			if err != nil {
				return types.Null, err
			}
			return rb.regValue(types.OIDRegclass, oid), nil
		}}
}

// isTextual tells the string types whose values regclassin reads.
func isTextual(o types.OID) bool {
	return o == types.OIDText || o == types.OIDVarchar || o == types.OIDBPChar || o == types.OIDName
}
