package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Arrays: ARRAY[…], ARRAY(subquery), subscripts, op ANY/ALL (array) and
// array concatenation. ARRAY[…] over arrays (ARRAY[ARRAY[1,2],[3,4]])
// builds a multidimensional array and subscripts take every index at once
// (funcs.ArrayOfArrays, funcs.ArraySubscript), so that a[i] of a
// two-dimensional array is NULL as in PostgreSQL.

func (b *Binder) bindArrayExpr(a *pg.A_ArrayExpr, s *scope) (Expr, error) {
	elems := make([]Expr, 0, len(a.Elements))
	ts := make([]types.Type, 0, len(a.Elements))
	nested := 0
	for _, n := range a.Elements {
		e, err := b.bindExpr(n, s)
		if err != nil {
			return nil, err
		}
		if n.GetAArrayExpr() != nil || types.IsArrayType(e.Type()) {
			nested++
		}
		elems = append(elems, e)
		ts = append(ts, e.Type())
	}
	if nested > 0 {
		return b.bindArrayOfArrays(elems, ts, nested)
	}
	if len(elems) == 0 {
		return nil, pgerr.New(pgerr.IndeterminateDatatype, "cannot determine type of empty array").
			WithHint("Explicitly cast to the desired type, for example ARRAY[]::integer[].")
	}
	et, err := unify(ts, "ARRAY")
	if err != nil {
		return nil, err
	}
	at, ok := types.ArrayOf(et.WithoutMod())
	if !ok {
		return nil, pgerr.NotSupported("arrays of type %s are not supported", types.TypeName(et))
	}
	for i := range elems {
		if elems[i], err = b.coerce(elems[i], types.ElemType(at), false); err != nil {
			return nil, err
		}
	}
	return b.fold(&ArrayExpr{Elems: elems, T: at})
}

// bindArrayOfArrays binds ARRAY[e1, …] whose elements are arrays (unknown
// literals among them are read as arrays of the others' type).
func (b *Binder) bindArrayOfArrays(elems []Expr, ts []types.Type, nested int) (Expr, error) {
	var known []types.Type
	for _, t := range ts {
		if !isUnknown(t) {
			if !types.IsArrayType(t) {
				return nil, pgerr.New(pgerr.DatatypeMismatch, "cannot determine type of multidimensional array: ARRAY elements mix arrays and %s", types.TypeName(t))
			}
			known = append(known, types.ElemType(t.WithoutMod()))
		}
	}
	if len(known) == 0 {
		return nil, pgerr.New(pgerr.IndeterminateDatatype, "could not find array type for data type unknown[]")
	}
	et, err := unify(known, "ARRAY")
	if err != nil {
		return nil, err
	}
	at, ok := types.ArrayOf(et.WithoutMod())
	if !ok {
		return nil, pgerr.NotSupported("arrays of type %s are not supported", types.TypeName(et))
	}
	for i := range elems {
		if elems[i], err = b.coerce(elems[i], at, false); err != nil {
			return nil, err
		}
	}
	return b.fold(&Func{F: funcs.ArrayOfArrays(at, len(elems)), Args: elems})
}

// bindEmptyArrayCast binds ARRAY[]::t[], the one place an empty
// constructor has a type.
func (b *Binder) bindEmptyArrayCast(tc *pg.TypeCast) (Expr, bool, error) {
	ae := tc.Arg.GetAArrayExpr()
	if ae == nil || len(ae.Elements) != 0 {
		return nil, false, nil
	}
	t, err := b.typeFromName(tc.TypeName)
	if err != nil {
		return nil, true, err
	}
	if !types.IsArrayType(t) {
		return nil, true, pgerr.New(pgerr.IndeterminateDatatype, "cannot determine type of empty array")
	}
	return &Const{V: types.NewArray(nil), T: t}, true, nil
}

// bindIndirection binds a[i] (subscripts), a[i:j] (slices) and
// (record).field on an expression; consecutive subscripts are one array
// reference a[i][j], and when one of them is a slice all are (a[2][1:2] is
// a[1:2][1:2]), as in PostgreSQL.
func (b *Binder) bindIndirection(ind *pg.A_Indirection, s *scope) (Expr, error) {
	e, err := b.bindExpr(ind.Arg, s)
	if err != nil {
		return nil, err
	}
	if ai := ind.Indirection[0].GetAIndices(); e.Type().OID == types.OIDName && len(ind.Indirection) == 1 && ai != nil && !ai.IsSlice {
		// name is a fixed array of bytes in PostgreSQL: name[i] is its
		// byte i as "char", from 0 (pg_dump: typname[0] = '_').
		i, err := b.bindSubscript(ai.Uidx, s)
		if err != nil {
			return nil, err
		}
		return b.fold(&Func{F: funcs.NameSubscript(), Args: []Expr{e, i}})
	}
	var run []*pg.A_Indices
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		var err error
		e, err = b.arrayRef(e, run, s)
		run = nil
		return err
	}
	for _, n := range ind.Indirection {
		if f := n.GetString_(); f != nil {
			if err := flush(); err != nil {
				return nil, err
			}
			if e, err = bindFieldSelect(e, f.Sval); err != nil {
				return nil, err
			}
			continue
		}
		ai := n.GetAIndices()
		if ai == nil {
			return nil, pgerr.NotSupported("this indirection is not supported yet")
		}
		if t := e.Type(); !types.IsArrayType(t) {
			return nil, pgerr.New(pgerr.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", types.TypeName(t))
		}
		run = append(run, ai)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return e, nil
}

// arrayRef binds arr[…][…]: an element, or a slice when any index is one.
func (b *Binder) arrayRef(arr Expr, run []*pg.A_Indices, s *scope) (Expr, error) {
	if len(run) > 6 {
		return nil, pgerr.New(pgerr.ProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (6)", len(run))
	}
	slice := false
	for _, ai := range run {
		slice = slice || ai.IsSlice
	}
	args := []Expr{arr}
	if !slice {
		for _, ai := range run {
			i, err := b.bindSubscript(ai.Uidx, s)
			if err != nil {
				return nil, err
			}
			args = append(args, i)
		}
		return b.fold(&Func{F: funcs.ArraySubscript(arr.Type(), len(run)), Args: args})
	}
	hasLo := make([]bool, len(run))
	hasHi := make([]bool, len(run))
	for d, ai := range run {
		lo, hi := ai.Lidx, ai.Uidx
		if !ai.IsSlice {
			lo = nil // a[n] among slices is a[1:n]
			hasLo[d] = false
		}
		if lo != nil {
			i, err := b.bindSubscript(lo, s)
			if err != nil {
				return nil, err
			}
			args, hasLo[d] = append(args, i), true
		}
		if hi != nil {
			i, err := b.bindSubscript(hi, s)
			if err != nil {
				return nil, err
			}
			args, hasHi[d] = append(args, i), true
		}
	}
	return b.fold(&Func{F: funcs.ArraySlice(arr.Type(), hasLo, hasHi), Args: args})
}

// bindSubscript binds one array subscript (an integer).
func (b *Binder) bindSubscript(n *pg.Node, s *scope) (Expr, error) {
	idx, err := b.bindExpr(n, s)
	if err != nil {
		return nil, err
	}
	if idx, err = b.coerce(idx, types.Int4, false); err != nil {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "array subscript must have type integer")
	}
	return idx, nil
}

// bindAnyArray binds l op ANY (r) / l op ALL (r) where r is an array.
func (b *Binder) bindAnyArray(a *pg.A_Expr, s *scope, op string) (Expr, error) {
	all := a.Kind == pg.A_Expr_Kind_AEXPR_OP_ALL
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
	default:
		return nil, pgerr.NotSupported("%s ANY/ALL (array) is not supported yet", op)
	}
	if op == "!=" {
		op = "<>"
	}
	l, err := b.bindExpr(a.Lexpr, s)
	if err != nil {
		return nil, err
	}
	r, err := b.bindExpr(a.Rexpr, s)
	if err != nil {
		return nil, err
	}
	rt := r.Type()
	if isUnknown(rt) {
		lt := l.Type()
		if isUnknown(lt) {
			lt = types.Text
		}
		at, ok := types.ArrayOf(lt.WithoutMod())
		if !ok {
			return nil, pgerr.NotSupported("arrays of type %s are not supported", types.TypeName(lt))
		}
		if r, err = b.coerce(r, at, false); err != nil {
			return nil, err
		}
		rt = at
	}
	if !types.IsArrayType(rt) {
		return nil, pgerr.New(pgerr.WrongObjectType, "op ANY/ALL (array) requires array on right side").WithPosition(a.Location + 1)
	}
	et := types.ElemType(rt)
	lt := l.Type()
	switch {
	case isUnknown(lt):
		if l, err = b.coerce(l, et.WithoutMod(), false); err != nil {
			return nil, err
		}
	case numRank(lt.OID) > 0 && numRank(et.OID) > 0, lt.OID == et.OID:
		// compare as they are
	case oidFamily(lt.OID) && oidFamily(et.OID):
	default:
		t, err := unify([]types.Type{lt, et}, "comparison")
		if err != nil {
			return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", types.TypeName(lt), op, types.TypeName(et)).
				WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.").WithPosition(a.Location + 1)
		}
		if l, err = b.coerce(l, t, false); err != nil {
			return nil, err
		}
		if t.OID != et.OID {
			at, ok := types.ArrayOf(t.WithoutMod())
			if !ok {
				return nil, pgerr.NotSupported("arrays of type %s are not supported", types.TypeName(t))
			}
			if r, err = b.coerce(r, at, false); err != nil {
				return nil, err
			}
		}
	}
	if unorderable(l.Type()) {
		return nil, noOperator(l.Type(), op, a.Location)
	}
	return b.fold(&AnyArray{E: l, Arr: r, Op: op, All: all})
}

// arrayConcat binds || when either side is an array: array_cat,
// array_append or array_prepend.
func (b *Binder) arrayConcat(l, r Expr) (Expr, bool, error) {
	lt, rt := l.Type(), r.Type()
	if !types.IsArrayType(lt) && !types.IsArrayType(rt) {
		return nil, false, nil
	}
	name := "array_cat"
	switch {
	case types.IsArrayType(lt) && types.IsArrayType(rt):
	case types.IsArrayType(lt) && isUnknown(rt):
		// 'literal' is read as an array, as PostgreSQL's operator resolution does
	case types.IsArrayType(lt):
		name = "array_append"
	case isUnknown(lt):
	default:
		name = "array_prepend"
	}
	e, err := b.callFunc(name, []Expr{l, r})
	return e, true, err
}

// bindArrayFuncScan binds the array set-returning functions in FROM:
// unnest(anyarray) (one column, the elements), generate_subscripts(anyarray,
// int) (the valid subscripts of a dimension) and
// information_schema._pg_expandarray(anyarray) (columns x, the element, and
// n, its subscript).
func (b *Binder) bindArrayFuncScan(name string, args []Expr, alias *pg.Alias, ordinality bool) (*fromItem, error) {
	sig := func() error {
		ts := make([]string, len(args))
		for i, a := range args {
			ts[i] = types.TypeName(a.Type())
		}
		return pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", name, joinComma(ts)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	want := 1
	if name == "generate_subscripts" {
		want = 2
	}
	if name == "unnest" && len(args) > 1 {
		// unnest(a, b, …): the arrays side by side, one column each, the
		// shorter ones padded with NULL (the bulk-write idiom
		// SELECT * FROM unnest($1::int[], $2::text[])).
		var cols []Column
		for _, a := range args {
			at := a.Type()
			if isUnknown(at) {
				return nil, pgerr.New(pgerr.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
			}
			if !types.IsArrayType(at) {
				return nil, sig()
			}
			cols = append(cols, Column{Name: "unnest", T: types.ElemType(at)})
		}
		fs := &FuncScan{Name: name, Args: args, Cols: cols}
		return funcScanItem(fs, alias, ordinality), nil
	}
	if len(args) != want {
		return nil, sig()
	}
	at := args[0].Type()
	if isUnknown(at) {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
	}
	if !types.IsArrayType(at) {
		return nil, sig()
	}
	var cols []Column
	switch name {
	case "unnest":
		cols = []Column{{Name: "unnest", T: types.ElemType(at)}}
	case "generate_subscripts":
		var err error
		if args[1], err = b.coerce(args[1], types.Int4, false); err != nil {
			return nil, err
		}
		cols = []Column{{Name: "generate_subscripts", T: types.Int4}}
	default:
		cols = []Column{{Name: "x", T: types.ElemType(at)}, {Name: "n", T: types.Int4}}
	}
	fs := &FuncScan{Name: name, Args: args, Cols: cols}
	return funcScanItem(fs, alias, ordinality), nil
}

// funcScanItem is the FROM item of a set-returning function: WITH
// ORDINALITY adds a bigint column "ordinality" numbering its rows from 1;
// an alias names the item and, for a function of one column, that column;
// the alias's column names rename the columns in order.
func funcScanItem(fs *FuncScan, alias *pg.Alias, ordinality bool) *fromItem {
	single := len(fs.Cols) == 1
	if ordinality {
		fs.Ordinality = true
		fs.Cols = append(fs.Cols, Column{Name: "ordinality", T: types.Int8})
	}
	aliasName := fs.Name
	if alias != nil {
		aliasName = alias.Aliasname
		if single {
			fs.Cols[0].Name = aliasName
		}
		for i, cn := range nodeName(alias.Colnames) {
			if i < len(fs.Cols) {
				fs.Cols[i].Name = cn
			}
		}
	}
	return itemFrom(fs, aliasName, fs.Cols, nil)
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
