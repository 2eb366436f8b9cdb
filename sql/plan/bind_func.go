package plan

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// sessionFuncs are answered by the session rather than package funcs.
var sessionFuncs = map[string]types.Type{
	"omendb_commit_offset": types.Int8,
	"omendb_offset":        types.Int8,
	"current_setting":      types.Text,
	"set_config":           types.Text,
	"pg_backend_pid":       types.Int4,
	"current_database":     types.Name,
	"current_schema":       types.Name,
	"current_user":         types.Name,
	"session_user":         types.Name,
	"version":              types.Text,
	"pg_is_in_recovery":    types.Bool,
}

func (b *Binder) bindFuncCall(fc *pg.FuncCall, s *scope) (Expr, error) {
	names := nodeName(fc.Funcname)
	name := lower(names[len(names)-1])
	// A user-defined function: named with its schema, or a name no
	// built-in function has (a built-in one of that name is tried first,
	// below, as pg_catalog comes first on PostgreSQL's search path).
	if fs, err := b.userFuncs(names); err != nil {
		return nil, err
	} else if len(fs) > 0 && (len(names) == 2 && names[0] != "pg_catalog" || !builtinFunc(name)) {
		return b.bindUserCall(names, fs, fc, s)
	}
	if len(names) > 2 || (len(names) == 2 && names[0] != "pg_catalog" && !(names[0] == "information_schema" && name == "_pg_expandarray")) {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", strings.Join(names, "."))
	}
	if fc.Over != nil {
		return b.bindWindowCall(name, fc, s)
	}
	if name == "_pg_expandarray" && len(names) == 2 {
		return b.bindExpandArray(fc, s)
	}
	if (name == "unnest" || name == "generate_series" || name == "pg_partition_ancestors") && s.srf != nil {
		return b.bindSelectSRF(name, fc, s)
	}
	if name == "regexp_split_to_table" {
		return b.bindRegexpSplit(fc, s)
	}
	if name == "regexp_matches" {
		return b.bindRegexpMatches(fc, s)
	}
	if name == "generate_subscripts" && s.srf != nil {
		return b.bindSelectSubscripts(fc, s)
	}
	if name == "unnest" || name == "generate_subscripts" {
		return nil, pgerr.NotSupported("set-returning function %s is supported only in FROM and in a select list", name)
	}
	if e, ok, err := b.bindJSONFunc(name, fc, s); ok {
		return e, err
	}
	if fc.AggWithinGroup {
		return b.bindOrderedSet(name, fc, s)
	}
	if len(fc.AggOrder) > 0 && !funcs.IsAggregate(name) {
		return nil, pgerr.New(pgerr.WrongObjectType, "ORDER BY specified, but %s is not an aggregate function", name)
	}
	if funcs.IsAggregate(name) {
		return b.bindAggregate(name, fc, s)
	}
	if fc.AggStar || fc.AggDistinct {
		return nil, pgerr.New(pgerr.WrongObjectType, "%s is not an aggregate function", name)
	}
	args, err := b.bindExprs(fc.Args, s)
	if err != nil {
		return nil, err
	}
	switch name {
	case "nextval", "currval", "setval":
		return b.bindSeqFunc(name, args)
	case "generate_series":
		return nil, pgerr.NotSupported("generate_series is supported only in FROM")
	}
	if t, ok := advisoryFuncs[name]; ok {
		return b.bindAdvisory(name, t, args)
	}
	if t, ok := sessionFuncs[name]; ok {
		for i := range args {
			if isUnknown(args[i].Type()) {
				var err error
				if args[i], err = b.coerce(args[i], types.Text, false); err != nil {
					return nil, err
				}
			}
		}
		return &SessionFunc{Name: name, Args: args, T: t}, nil
	}
	// typename('literal') is a cast: no function takes an unknown argument
	// exactly, and PostgreSQL's func_get_detail then reads a one-argument
	// call of a type's name with an unknown constant as a coercion
	// (text('abc'), inet('10.1.2.3'), cidr('10.1')).
	if len(args) == 1 {
		if c, ok := args[0].(*Const); ok && isUnknown(c.T) {
			if t, err := types.ParseTypeName([]string{name}, nil); err == nil {
				return b.coerce(c, t, true)
			}
		}
	}
	e, err := b.callFunc(name, args)
	if err != nil && pgerr.Code(err) == pgerr.UndefinedFunction && len(args) == 1 {
		// Without a function of that name for the argument, a type's
		// name casts what converts through I/O or without change
		// (inet(textcol), text(x)), as func_get_detail does.
		from := args[0].Type()
		if t, terr := types.ParseTypeName([]string{name}, nil); terr == nil && from.OID != types.OIDRecord &&
			types.CanCast(from, t, true) && (isString(from.OID) || isString(t.OID) || types.KindOfType(from) == types.KindOfType(t)) {
			return b.coerce(args[0], t, true)
		}
	}
	if err != nil && pgerr.Code(err) == pgerr.UndefinedFunction {
		if fs, _ := b.userFuncs(names); len(fs) > 0 {
			return b.bindUserCall(names, fs, fc, s)
		}
	}
	return e, err
}

// builtinFunc reports whether name is a built-in function's: scalar,
// aggregate, or answered by the session.
func builtinFunc(name string) bool {
	_, session := sessionFuncs[name]
	_, advisory := advisoryFuncs[name]
	switch name {
	case "nextval", "currval", "setval", "unnest", "generate_series", "generate_subscripts", "regexp_split_to_table", "regexp_matches":
		return true
	}
	return session || advisory || funcs.Exists(name) || funcs.IsAggregate(name) || funcs.IsJSONSetFunc(name)
}

// callFunc resolves the scalar function name for bound args, casts them to
// the chosen overload's types and folds constant calls.
func (b *Binder) callFunc(name string, args []Expr) (Expr, error) {
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	f, casts, err := funcs.Resolve(name, ts)
	if err != nil {
		return nil, err
	}
	for i := range args {
		if i < len(casts) && casts[i].OID != 0 && casts[i].OID != funcs.OIDAny {
			if c, ok := args[i].(*Const); ok && casts[i].OID == types.OIDRegclass && c.V.K == types.KindText && isUnknown(c.T) {
				// A relation named by a literal: pg_relation_size('t').
				if args[i], err = b.regclass(c.V.S); err != nil {
					return nil, err
				}
				continue
			}
			if args[i], err = b.coerce(args[i], casts[i], false); err != nil {
				return nil, err
			}
		}
	}
	return b.fold(&Func{F: f, Args: args})
}

func (b *Binder) bindSeqFunc(name string, args []Expr) (Expr, error) {
	if len(args) == 0 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s() does not exist", name)
	}
	c, ok := args[0].(*Const)
	if !ok || (c.V.K != types.KindText && c.V.K != types.KindInt) {
		return nil, pgerr.NotSupported("%s needs a constant sequence name", name)
	}
	var seqID uint32
	seqName := c.V.S
	if c.V.K == types.KindInt {
		seqID = uint32(c.V.I)
	} else {
		schema, rel := "", strings.Trim(seqName, `"`)
		if i := strings.IndexByte(rel, '.'); i >= 0 {
			schema, rel = rel[:i], rel[i+1:]
		}
		sq, ok := b.Cat.LookupSequence(b.schemaOf(schema, rel), rel)
		if !ok {
			if err := b.missingSchema(schema); err != nil {
				return nil, err
			}
			return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", seqName)
		}
		seqID = sq.ID
	}
	rest := args[1:]
	if name == "setval" && len(rest) > 2 || name != "setval" && len(rest) > 0 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	for i := range rest {
		want := types.Int8
		if i == 1 {
			want = types.Bool // setval(seq, value, is_called)
		}
		var err error
		if rest[i], err = b.coerce(rest[i], want, false); err != nil {
			return nil, err
		}
	}
	return &SeqFunc{Op: name, SeqID: seqID, Name: seqName, Args: rest}, nil
}

func (b *Binder) bindAggregate(name string, fc *pg.FuncCall, s *scope) (Expr, error) {
	if s.agg == nil || !s.agg.allowed {
		if s.agg != nil {
			return nil, pgerr.New(pgerr.GroupingError, "aggregate functions are not allowed in this context")
		}
		return nil, pgerr.New(pgerr.GroupingError, "aggregate functions are not allowed in WHERE")
	}
	// Arguments are bound over the aggregation's input, where nested
	// aggregates are not allowed.
	saved, savedWin := s.agg, s.win
	s.agg = &aggCtx{allowed: false}
	s.win = &winCtx{inAgg: true} // aggregate arguments cannot call window functions
	defer func() { s.agg, s.win = saved, savedWin }()
	var args []Expr
	var ts []types.Type
	for _, a := range fc.Args {
		e, err := b.bindExpr(a, s)
		if err != nil {
			if pe, ok := err.(*pgerr.Error); ok && pe.Code == pgerr.GroupingError {
				return nil, pgerr.New(pgerr.GroupingError, "aggregate function calls cannot be nested")
			}
			return nil, err
		}
		args = append(args, e)
		ts = append(ts, e.Type())
	}
	agg, casts, err := funcs.ResolveAggregate(name, ts, fc.AggStar)
	if err != nil {
		return nil, err
	}
	for i := range args {
		if i < len(casts) && casts[i].OID != 0 && casts[i].OID != funcs.OIDAny {
			if args[i], err = b.coerce(args[i], casts[i], false); err != nil {
				return nil, err
			}
		}
	}
	if fc.AggDistinct {
		for _, a := range args {
			if err := needEquality(a.Type()); err != nil {
				return nil, err
			}
		}
	}
	call := AggCall{Agg: agg, Args: args, Distinct: fc.AggDistinct, Star: fc.AggStar, Name: name}
	if len(fc.AggOrder) > 0 {
		var err error
		if call.Order, err = b.bindSortKeys(fc.AggOrder, s); err != nil {
			return nil, err
		}
		if fc.AggDistinct {
			// The distinct values are sorted by the ORDER BY, so it may
			// only name arguments (as PostgreSQL requires).
			for _, k := range call.Order {
				found := false
				for _, a := range args {
					found = found || ExprKey(a) == ExprKey(k.E)
				}
				if !found {
					return nil, pgerr.New("42P10", "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
				}
			}
		}
	}
	if fc.AggFilter != nil {
		f, err := b.bindExpr(fc.AggFilter, s)
		if err != nil {
			return nil, err
		}
		if call.Filter, err = b.coerceBool(f, "argument of FILTER"); err != nil {
			return nil, err
		}
	}
	key := aggKey(&call)
	for i, k := range saved.keys {
		if k == key {
			return &AggRef{Idx: i, T: agg.Ret}, nil
		}
	}
	saved.calls = append(saved.calls, call)
	saved.keys = append(saved.keys, key)
	return &AggRef{Idx: len(saved.calls) - 1, T: agg.Ret}, nil
}

func aggKey(c *AggCall) string {
	var sb strings.Builder
	sb.WriteString(c.Name)
	if c.Distinct {
		sb.WriteString(" distinct")
	}
	if c.Star {
		sb.WriteString("*")
	}
	for _, a := range c.Args {
		sb.WriteString("|")
		sb.WriteString(ExprKey(a))
	}
	if c.Filter != nil {
		sb.WriteString(" filter ")
		sb.WriteString(ExprKey(c.Filter))
	}
	for _, o := range c.Order {
		fmt.Fprintf(&sb, " order %v%v %s", o.Desc, o.NullsFirst, ExprKey(o.E))
	}
	return sb.String()
}

func (b *Binder) bindSubLink(sl *pg.SubLink, s *scope) (Expr, error) {
	if ln, ok := rowArgs(sl.Testexpr); ok && (sl.SubLinkType == pg.SubLinkType_ANY_SUBLINK || sl.SubLinkType == pg.SubLinkType_ALL_SUBLINK) {
		if len(ln) != 1 {
			op := opName(sl.OperName)
			if op == "" {
				op = "="
			}
			return b.bindRowSubLink(op, ln, sl, sl.SubLinkType, s)
		}
		sl = proto.Clone(sl).(*pg.SubLink)
		sl.Testexpr = ln[0] // ROW(a) IN (…) is a IN (…)
	}
	sel := sl.Subselect.GetSelectStmt()
	if sel == nil {
		return nil, pgerr.NotSupported("this subquery form is not supported yet")
	}
	inner := &scope{parent: s}
	node, err := b.bindSelect(sel, inner)
	if err != nil {
		return nil, err
	}
	cols := node.Columns()
	sq := &Subquery{Plan: node, Correlated: inner.correlated}
	switch sl.SubLinkType {
	case pg.SubLinkType_EXPR_SUBLINK:
		if len(cols) != 1 {
			return nil, pgerr.New(pgerr.SyntaxError, "subquery must return only one column")
		}
		sq.Kind, sq.T = SubScalar, cols[0].T
		return sq, nil
	case pg.SubLinkType_EXISTS_SUBLINK:
		sq.Kind, sq.T = SubExists, types.Bool
		return sq, nil
	case pg.SubLinkType_ARRAY_SUBLINK:
		if len(cols) != 1 {
			return nil, pgerr.New(pgerr.SyntaxError, "subquery must return only one column")
		}
		et := cols[0].T
		if isUnknown(et) {
			et = types.Text
		}
		at, ok := types.ArrayOf(et)
		if !ok {
			if types.IsArrayType(et) {
				return nil, pgerr.NotSupported("multidimensional arrays are not supported")
			}
			return nil, pgerr.NotSupported("arrays of type %s are not supported", types.TypeName(et))
		}
		sq.Kind, sq.T = SubArray, at
		return sq, nil
	case pg.SubLinkType_ANY_SUBLINK, pg.SubLinkType_ALL_SUBLINK:
		if len(cols) != 1 {
			return nil, pgerr.New(pgerr.SyntaxError, "subquery has too many columns")
		}
		l, err := b.bindExpr(sl.Testexpr, s)
		if err != nil {
			return nil, err
		}
		op := opName(sl.OperName)
		if op == "" {
			op = "="
		}
		t, err := unify([]types.Type{l.Type(), cols[0].T}, "IN")
		if err != nil {
			return nil, err
		}
		if unorderable(t) {
			return nil, noOperator(t, op, sl.Location)
		}
		if numRank(l.Type().OID) == 0 || numRank(cols[0].T.OID) == 0 {
			if l, err = b.coerce(l, t, false); err != nil {
				return nil, err
			}
			if !isUnknown(cols[0].T) && cols[0].T.OID != t.OID && !(types.IsRegOID(cols[0].T.OID) && types.IsRegOID(t.OID)) {
				return nil, pgerr.NotSupported("IN subquery comparing %s with %s", types.TypeName(l.Type()), types.TypeName(cols[0].T))
			}
		}
		sq.E, sq.Op, sq.T = l, op, types.Bool
		switch {
		case sl.SubLinkType == pg.SubLinkType_ALL_SUBLINK:
			sq.Kind = SubAll
		case op == "=":
			sq.Kind = SubIn
		default:
			sq.Kind = SubAny
		}
		return sq, nil
	}
	return nil, pgerr.NotSupported("subquery type %s is not supported yet", sl.SubLinkType)
}

// bindSortKeys binds the ORDER BY list of an aggregate or a window
// definition: expressions over the scope (no output-column names or
// ordinals, unlike a query's ORDER BY), unknown-typed ones sorted as text.
func (b *Binder) bindSortKeys(order []*pg.Node, s *scope) ([]SortKey, error) {
	var keys []SortKey
	for _, o := range order {
		sb := o.GetSortBy()
		if sb.SortbyDir == pg.SortByDir_SORTBY_USING {
			return nil, pgerr.NotSupported("ORDER BY … USING is not supported yet")
		}
		e, err := b.bindExpr(sb.Node, s)
		if err != nil {
			return nil, err
		}
		if isUnknown(e.Type()) {
			if e, err = b.coerce(e, types.Text, false); err != nil {
				return nil, err
			}
		}
		if err := needOrdering(e.Type()); err != nil {
			return nil, err
		}
		desc := sb.SortbyDir == pg.SortByDir_SORTBY_DESC
		keys = append(keys, SortKey{E: e, Desc: desc, NullsFirst: nullsFirst(sb, desc)})
	}
	return keys, nil
}

// bindOrderedSet binds an ordered-set aggregate, f(direct args) WITHIN
// GROUP (ORDER BY value): percentile_cont, percentile_disc and mode
// (funcs/agg_ordered.go) become the aggregate f(value, direct args …)
// stepped in the WITHIN GROUP's order.
func (b *Binder) bindOrderedSet(name string, fc *pg.FuncCall, s *scope) (Expr, error) {
	switch name {
	case "percentile_cont", "percentile_disc", "mode":
	default:
		return nil, pgerr.NotSupported("ordered-set aggregate %s is not supported yet", name)
	}
	if len(fc.AggOrder) != 1 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s with %d ordering columns does not exist", name, len(fc.AggOrder))
	}
	if fc.Over != nil || fc.AggDistinct {
		return nil, pgerr.New(pgerr.WrongObjectType, "OVER or DISTINCT is not supported for ordered-set aggregate %s", name)
	}
	g := proto.Clone(fc).(*pg.FuncCall)
	g.AggWithinGroup = false
	g.Args = append([]*pg.Node{fc.AggOrder[0].GetSortBy().Node}, fc.Args...)
	return b.bindAggregate(name, g, s)
}
