package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Set-returning functions in the select list: unnest(anyarray),
// generate_series(…) and information_schema._pg_expandarray(anyarray) (JDBC's
// getPrimaryKeys and getIndexInfo call it). Several calls in one select list
// run in lockstep, as PostgreSQL 10+'s ProjectSet runs them: the row is
// repeated as often as the longest call returns rows and the shorter ones
// give NULL. Each call is an array (generate_series builds its series as
// one, funcs.SeriesArray) read by an Expand node: one call, or several over
// the same argument, read the element column directly; calls over different
// arguments expand the ordinals 1…max and pick their elements by ordinal
// (funcs.SRFOrdinals, funcs.ElemAt), which evaluates each argument once for
// the count and once per element, so volatile arguments are refused there
// (0A000). _pg_expandarray's value is a record (x, n) — the element and its
// subscript — whose fields are read with (f(…)).x / (f(…)).n.

// Expand emits, for every input row and every element of Arr, the input row
// followed by three columns: the (x, n) record, x and n. A NULL or empty
// array emits nothing for that row.
//
// Outer makes it LEFT JOIN LATERAL: Cond (the ON condition, over the output
// row; nil for true) picks the elements, and an input row for which none
// passes is emitted once with the three columns NULL.
//
// Rows expands Arr's top level instead of its elements: the sub-arrays of
// a multidimensional array, for functions whose rows are arrays
// (regexp_matches: types.ArrayRows).
type Expand struct {
	Input Node
	Arr   Expr
	Cols  []Column
	Outer bool
	Cond  Expr
	Rows  bool
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

// srfRef stands for call Idx of the select list's set-returning functions
// until the Expand node is placed.
type srfRef struct {
	T   types.Type
	Idx int
}

// Type implements Expr.
func (e *srfRef) Type() types.Type { return e.T }

// srfCall is one set-returning function call of a select list: its array
// and whether it is _pg_expandarray (whose value is the (x, n) record).
type srfCall struct {
	arr    Expr
	key    string
	record bool
	rows   bool // Expand.Rows: arr's rows are arrays
}

// srfCtx collects the set-returning function calls of a select list.
type srfCtx struct {
	calls []srfCall
}

func (c *srfCtx) add(arr Expr, record bool, t types.Type) Expr {
	c.calls = append(c.calls, srfCall{arr: arr, key: ExprKey(arr), record: record})
	return &srfRef{T: t, Idx: len(c.calls) - 1}
}

// addRows adds a call whose rows are the top level of arr (Expand.Rows),
// each of type t.
func (c *srfCtx) addRows(arr Expr, t types.Type) Expr {
	c.calls = append(c.calls, srfCall{arr: arr, key: ExprKey(arr), rows: true})
	return &srfRef{T: t, Idx: len(c.calls) - 1}
}

// expandRecord is the record type of _pg_expandarray over elements of type
// elem: OmenDB keeps the element type in the typmod, the only record type
// whose fields it knows.
func expandRecord(elem types.Type) types.Type {
	return types.Type{OID: types.OIDRecord, Mod: int32(elem.OID)}
}

// srfArgs binds the arguments of a select-list set-returning function (no
// set-returning function may be nested in them).
func (b *Binder) srfArgs(fc *pg.FuncCall, s *scope) ([]Expr, error) {
	saved := s.srf
	s.srf = nil
	defer func() { s.srf = saved }()
	return b.bindExprs(fc.Args, s)
}

// bindExpandArray binds a _pg_expandarray call of a select list.
func (b *Binder) bindExpandArray(fc *pg.FuncCall, s *scope) (Expr, error) {
	if s.srf == nil {
		return nil, pgerr.NotSupported("set-returning functions are supported only in FROM and in a select list")
	}
	if len(fc.Args) != 1 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function _pg_expandarray with %d arguments does not exist", len(fc.Args))
	}
	args, err := b.srfArgs(fc, s)
	if err != nil {
		return nil, err
	}
	e := args[0]
	t := e.Type()
	if !types.IsArrayType(t) {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function information_schema._pg_expandarray(%s) does not exist", types.TypeName(t))
	}
	return s.srf.add(e, true, expandRecord(types.ElemType(t))), nil
}

// bindSelectSRF binds unnest(anyarray) or generate_series(…) in a select
// list.
func (b *Binder) bindSelectSRF(name string, fc *pg.FuncCall, s *scope) (Expr, error) {
	args, err := b.srfArgs(fc, s)
	if err != nil {
		return nil, err
	}
	if name == "pg_partition_ancestors" {
		// No table is partitioned: a relation's only "ancestor" is
		// itself (psql's \d asks for the tables a key may reference).
		if len(args) != 1 {
			return nil, pgerr.New(pgerr.UndefinedFunction, "function pg_partition_ancestors with %d arguments does not exist", len(args))
		}
		rc := types.Type{OID: types.OIDRegclass, Mod: -1}
		arg, err := b.coerce(args[0], rc, false)
		if err != nil {
			return nil, err
		}
		return s.srf.add(&Func{F: funcs.OneElementArray(rc), Args: []Expr{arg}}, false, rc), nil
	}
	if name == "generate_series" {
		ts := make([]types.Type, len(args))
		for i, a := range args {
			ts[i] = a.Type()
		}
		args, t, err := b.seriesArgs(args, ts)
		if err != nil {
			return nil, err
		}
		stepT := t
		if len(args) == 3 {
			stepT = args[2].Type()
		}
		arr := &Func{F: funcs.SeriesArray(t, stepT, len(args)), Args: args}
		return s.srf.add(arr, false, t), nil
	}
	if len(args) != 1 {
		return nil, pgerr.NotSupported("unnest with several arguments is supported only in FROM")
	}
	at := args[0].Type()
	if isUnknown(at) {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function unnest(unknown) is not unique").
			WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
	}
	if !types.IsArrayType(at) {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function unnest(%s) does not exist", types.TypeName(at)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	return s.srf.add(args[0], false, types.ElemType(at)), nil
}

// bindSelectSubscripts binds generate_subscripts(anyarray, int [, bool])
// in a select list.
func (b *Binder) bindSelectSubscripts(fc *pg.FuncCall, s *scope) (Expr, error) {
	args, err := b.srfArgs(fc, s)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 || len(args) > 3 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function generate_subscripts with %d arguments does not exist", len(args))
	}
	at := args[0].Type()
	if isUnknown(at) {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
	}
	if !types.IsArrayType(at) {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function generate_subscripts(%s) does not exist", types.TypeName(at)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	if args[1], err = b.coerce(args[1], types.Int4, false); err != nil {
		return nil, err
	}
	if len(args) == 3 {
		if args[2], err = b.coerce(args[2], types.Bool, false); err != nil {
			return nil, err
		}
	}
	return s.srf.add(&Func{F: funcs.SubscriptsArray(at, len(args)), Args: args}, false, types.Int4), nil
}

// bindFieldSelect binds (e).field on a record: a user-defined function's
// with OUT parameters ((f(x)).col), or unnest's (x, n).
func bindFieldSelect(e Expr, field string) (Expr, error) {
	if uc, ok := e.(*UserCall); ok && uc.Body.Record && !uc.Set {
		for i, o := range uc.Fn.Out {
			if o.Name == field {
				return &FieldSelect{E: e, Idx: i, T: uc.Body.Plan.Columns()[i].T}, nil
			}
		}
		return nil, pgerr.New(pgerr.UndefinedColumn, "column %q not found in data type record", field)
	}
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

// placeSRFs puts an Expand node for the select list's set-returning
// functions over input and rewrites the srfRefs of exprs into its columns.
func placeSRFs(input Node, srf *srfCtx, exprs ...[]Expr) (Node, error) {
	in := input.Columns()
	base := len(in)
	calls := srf.calls
	same := true
	for _, c := range calls[1:] {
		same = same && c.key == calls[0].key
	}
	arr := calls[0].arr
	var ref func(r *srfRef) Expr
	if same {
		ref = func(r *srfRef) Expr {
			if calls[r.Idx].record {
				return &ColRef{Idx: base, T: r.T}
			}
			return &ColRef{Idx: base + 1, T: r.T}
		}
	} else {
		arrs := make([]Expr, len(calls))
		for i, c := range calls {
			if c.record {
				return nil, pgerr.NotSupported("_pg_expandarray with other set-returning functions over different arguments is not supported")
			}
			if c.rows {
				return nil, pgerr.NotSupported("regexp_matches with other set-returning functions over different arguments is not supported")
			}
			volatile := false
			Walk(c.arr, func(x Expr) bool {
				if f, ok := x.(*Func); ok && f.F.Volatility == funcs.Volatile {
					volatile = true
				}
				_, sub := x.(*Subquery)
				volatile = volatile || sub
				return true
			})
			if volatile {
				return nil, pgerr.NotSupported("set-returning functions over different volatile arguments in one select list are not supported")
			}
			arrs[i] = c.arr
		}
		arr = &Func{F: funcs.SRFOrdinals(len(arrs)), Args: arrs}
		ref = func(r *srfRef) Expr {
			a := calls[r.Idx].arr
			return &Func{F: funcs.ElemAt(a.Type()), Args: []Expr{a, &ColRef{Idx: base + 2, T: types.Int4}}}
		}
	}
	rt := expandRecord(types.ElemType(arr.Type()))
	cols := append(append([]Column(nil), in...),
		Column{Name: "_pg_expandarray", T: rt},
		Column{Name: "x", T: types.ElemType(arr.Type().WithoutMod())},
		Column{Name: "n", T: types.Int4})
	for _, es := range exprs {
		for i := range es {
			es[i] = Transform(es[i], func(x Expr) (Expr, bool) {
				if r, ok := x.(*srfRef); ok {
					return ref(r), true
				}
				return x, false
			})
		}
	}
	return &Expand{Input: input, Arr: arr, Cols: cols, Rows: same && calls[0].rows}, nil
}

// seriesArgs resolves generate_series's arguments (FROM and select list):
// the series type and the arguments coerced to it (the step of a date/time
// series to interval).
func (b *Binder) seriesArgs(args []Expr, ts []types.Type) ([]Expr, types.Type, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, types.Type{}, pgerr.New(pgerr.UndefinedFunction, "function generate_series with %d arguments does not exist", len(args))
	}
	t, err := unify(ts[:2], "generate_series")
	if err != nil {
		return nil, t, err
	}
	if isUnknown(ts[0]) && isUnknown(ts[1]) || t.OID == types.OIDInt2 {
		t = types.Int4
	}
	switch {
	case numRank(t.OID) > 0:
		if t.OID != types.OIDNumeric && t.OID != types.OIDInt8 {
			t = map[bool]types.Type{true: types.Int4, false: types.Int8}[t.OID == types.OIDInt4]
			if numRank(t.OID) >= 5 {
				t = types.Numeric
			}
		}
		for i := range args {
			if args[i], err = b.coerce(args[i], t, false); err != nil {
				return nil, t, err
			}
		}
	case dtRank(t.OID) > 0:
		if t.OID == types.OIDDate {
			t = types.TimestampTZ
		}
		for i := 0; i < 2; i++ {
			if args[i], err = b.coerce(args[i], t, false); err != nil {
				return nil, t, err
			}
		}
		if len(args) != 3 {
			return nil, t, pgerr.New(pgerr.UndefinedFunction, "function generate_series(%s, %s) does not exist", types.TypeName(t), types.TypeName(t))
		}
		if args[2], err = b.coerce(args[2], types.Interval, false); err != nil {
			return nil, t, err
		}
	default:
		return nil, t, pgerr.New(pgerr.UndefinedFunction, "function generate_series(%s) does not exist", types.TypeName(t))
	}
	return args, t, nil
}

// lateralFn is a set-returning function in FROM whose arguments read
// earlier FROM items (FROM t, unnest(t.a)): PostgreSQL's implicit LATERAL.
// It becomes an Expand node over the join of those items, so the items
// before it are joined in FROM order (no reordering across it).
type lateralFn struct {
	arr  Expr
	cols []Column // the Expand's record, x and n columns, named
	rows bool     // Expand.Rows
}

// bindLateralFunc binds unnest(anyarray), generate_series(…) or
// _pg_expandarray(anyarray) in FROM over the columns of earlier items.
//
// WITH ORDINALITY exposes the Expand's n column, the element's position, as
// bigint "ordinality" (the alias's second column name renames it).
func (b *Binder) bindLateralFunc(name string, fc *pg.FuncCall, alias *pg.Alias, ordinality bool, from *scope) (*fromItem, error) {
	args, err := b.bindExprs(fc.Args, from)
	if err != nil {
		return nil, err
	}
	var arr Expr
	var et types.Type
	rows := false
	xName, nName := name, "........n"
	switch name {
	case "unnest", "_pg_expandarray":
		if len(args) != 1 || !types.IsArrayType(args[0].Type()) {
			return nil, pgerr.NotSupported("%s over other FROM items takes one array", name)
		}
		arr, et = args[0], types.ElemType(args[0].Type())
		if name == "_pg_expandarray" {
			xName, nName = "x", "n"
		}
	case "generate_series":
		ts := make([]types.Type, len(args))
		for i, a := range args {
			ts[i] = a.Type()
		}
		var err error
		if args, et, err = b.seriesArgs(args, ts); err != nil {
			return nil, err
		}
		stepT := et
		if len(args) == 3 {
			stepT = args[2].Type()
		}
		arr = &Func{F: funcs.SeriesArray(et, stepT, len(args)), Args: args}
	case "regexp_split_to_table":
		var err error
		if arr, err = b.splitArray(args); err != nil {
			return nil, err
		}
		et = types.Text
	case "regexp_matches":
		var err error
		if arr, err = b.matchesArray(args); err != nil {
			return nil, err
		}
		et = types.Type{OID: types.OIDTextArray, Mod: -1}
		rows = true
	default:
		return nil, pgerr.NotSupported("%s over other FROM items (LATERAL) is not supported yet", name)
	}
	nType := types.Int4
	if ordinality {
		nName, nType = "ordinality", types.Int8
	}
	aliasName := name
	if alias != nil {
		aliasName = alias.Aliasname
		if name != "_pg_expandarray" {
			xName = aliasName
		}
		for i, cn := range nodeName(alias.Colnames) {
			switch {
			case i == 0:
				xName = cn
			case i == 1 && (name == "_pg_expandarray" || ordinality):
				nName = cn
			}
		}
	}
	cols := []Column{
		{Name: "........record", T: expandRecord(et)},
		{Name: xName, T: et},
		{Name: nName, T: nType},
	}
	it := itemFrom(nil, aliasName, cols, nil)
	it.lateral = &lateralFn{arr: arr, cols: cols, rows: rows}
	return it, nil
}

// placeLateral joins the items bound so far (cross joins in FROM order; the
// WHERE clause's conditions are placed above) and puts the lateral
// function's Expand over them: one item spanning the scope row so far plus
// the function's columns.
func placeLateral(items []*fromItem, fn *fromItem, s *scope) *fromItem {
	lf := fn.lateral
	cur := crossJoin(items)
	exp := &Expand{Input: cur, Arr: lf.arr, Cols: append(append([]Column(nil), cur.Columns()...), lf.cols...), Rows: lf.rows}
	return mergeLateral(items, exp, fn.cols, len(lf.cols), s)
}

// mergeLateral is the FROM item that replaces items once a lateral item
// (its columns cols, width wide) is placed over them as node: the items'
// columns, then the lateral ones, which are also added to the statement's
// scope s.
func mergeLateral(items []*fromItem, node Node, cols []scopeCol, width int, s *scope) *fromItem {
	base := s.width
	merged := &fromItem{node: node, width: base + width}
	for _, it := range items {
		for _, c := range it.cols {
			c.idx += it.off
			merged.cols = append(merged.cols, c)
		}
	}
	for _, c := range cols {
		c.idx += base
		merged.cols = append(merged.cols, c)
		s.cols = append(s.cols, c)
	}
	s.width += width
	return merged
}

// crossJoin joins FROM items in order (one row of no columns if none): the
// row layout a lateral function or subquery over them was bound against.
func crossJoin(items []*fromItem) Node {
	var cur Node
	for _, it := range items {
		if cur == nil {
			cur = it.node
			continue
		}
		cur = &Join{Kind: InnerJoin, Left: cur, Right: it.node,
			Cols: append(append([]Column(nil), cur.Columns()...), it.node.Columns()...)}
	}
	if cur == nil {
		cur = &Values{Rows: [][]Expr{{}}}
	}
	return cur
}
