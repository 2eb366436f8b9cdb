package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Set-returning functions in the select list. Only
// information_schema._pg_expandarray(anyarray) is supported there (JDBC's
// getPrimaryKeys and getIndexInfo call it): every call in one select list
// must have the same argument, and they all advance together, as
// PostgreSQL's ProjectSet does. Its value is a record (x, n) — the element
// and its subscript — whose fields are read with (f(…)).x / (f(…)).n.

// Expand emits, for every input row and every element of Arr, the input row
// followed by three columns: the (x, n) record, x and n. A NULL or empty
// array emits nothing for that row.
type Expand struct {
	Input Node
	Arr   Expr
	Cols  []Column
}

// Columns implements Node.
func (n *Expand) Columns() []Column { return n.Cols }

// FieldSelect reads field Idx (0-based) of a record value.
type FieldSelect struct {
	E   Expr
	Idx int
	T   types.Type
}

// Type implements Expr.
func (e *FieldSelect) Type() types.Type { return e.T }

// srfRef stands for the record of the select list's _pg_expandarray call
// until the Expand node is placed.
type srfRef struct{ T types.Type }

// Type implements Expr.
func (e *srfRef) Type() types.Type { return e.T }

// srfCtx collects the argument of _pg_expandarray calls of a select list.
type srfCtx struct {
	arr Expr
	key string
}

// expandRecord is the record type of _pg_expandarray over elements of type
// elem: OmenDB keeps the element type in the typmod, the only record type
// whose fields it knows.
func expandRecord(elem types.Type) types.Type {
	return types.Type{OID: types.OIDRecord, Mod: int32(elem.OID)}
}

// bindExpandArray binds a _pg_expandarray call of a select list.
func (b *Binder) bindExpandArray(fc *pg.FuncCall, s *scope) (Expr, error) {
	if s.srf == nil {
		return nil, pgerr.NotSupported("set-returning functions are supported only in FROM and in a select list")
	}
	if len(fc.Args) != 1 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function _pg_expandarray with %d arguments does not exist", len(fc.Args))
	}
	e, err := b.bindExpr(fc.Args[0], s)
	if err != nil {
		return nil, err
	}
	t := e.Type()
	if !types.IsArray(t.OID) {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function information_schema._pg_expandarray(%s) does not exist", types.TypeName(t))
	}
	k := ExprKey(e)
	if s.srf.arr != nil && s.srf.key != k {
		return nil, pgerr.NotSupported("set-returning functions with different arguments in one select list are not supported")
	}
	s.srf.arr, s.srf.key = e, k
	return &srfRef{T: expandRecord(types.ElemType(t))}, nil
}

// bindFieldSelect binds (e).field on a record.
func bindFieldSelect(e Expr, field string) (Expr, error) {
	t := e.Type()
	if t.OID != types.OIDRecord || t.Mod <= 0 {
		return nil, pgerr.NotSupported("field selection on type %s is not supported", types.TypeName(t))
	}
	switch field {
	case "x":
		return &FieldSelect{E: e, Idx: 0, T: types.Type{OID: types.OID(t.Mod), Mod: -1}}, nil
	case "n":
		return &FieldSelect{E: e, Idx: 1, T: types.Int4}, nil
	}
	return nil, pgerr.New(pgerr.UndefinedColumn, "column %q not found in data type record", field)
}

// placeExpand puts an Expand node over input and rewrites the srfRefs of
// exprs into its record column.
func placeExpand(input Node, arr Expr, exprs ...[]Expr) Node {
	in := input.Columns()
	rt := expandRecord(types.ElemType(arr.Type()))
	cols := append(append([]Column(nil), in...),
		Column{Name: "_pg_expandarray", T: rt},
		Column{Name: "x", T: types.ElemType(types.Type{OID: arr.Type().OID, Mod: -1})},
		Column{Name: "n", T: types.Int4})
	base := len(in)
	for _, es := range exprs {
		for i := range es {
			es[i] = Transform(es[i], func(x Expr) (Expr, bool) {
				if r, ok := x.(*srfRef); ok {
					return &ColRef{Idx: base, T: r.T}, true
				}
				return x, false
			})
		}
	}
	return &Expand{Input: input, Arr: arr, Cols: cols}
}
