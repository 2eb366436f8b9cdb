package plan

import (
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// aggCtx collects aggregate calls while binding expressions above an
// Aggregate node.
type aggCtx struct {
	calls []AggCall
	keys  []string // exprKey of each call, to share duplicates
	// groupKeys are the GROUP BY expressions' keys; grouping holds, for
	// each GROUPING(…) call, the positions of its arguments among them.
	groupKeys []string
	grouping  [][]int
	// allowed is false in WHERE / GROUP BY, where aggregates are an error.
	allowed bool
}

func (b *Binder) bindExpr(n *pg.Node, s *scope) (Expr, error) {
	if n == nil {
		return &Const{V: types.Null, T: types.Unknown}, nil
	}
	switch x := n.Node.(type) {
	case *pg.Node_AConst:
		return bindConst(x.AConst)
	case *pg.Node_ColumnRef:
		return b.bindColumnRef(x.ColumnRef, s)
	case *pg.Node_ParamRef:
		num := int(x.ParamRef.Number)
		if num < 1 || num > 65535 {
			return nil, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", num)
		}
		if len(b.fnStack) > 0 {
			return b.bindFuncParam(num, s)
		}
		for len(b.Params) < num {
			b.Params = append(b.Params, types.Unknown)
		}
		return &Param{N: num, T: b.Params[num-1]}, nil
	case *pg.Node_TypeCast:
		return b.bindTypeCast(x.TypeCast, s)
	case *pg.Node_AExpr:
		return b.bindAExpr(x.AExpr, s)
	case *pg.Node_BoolExpr:
		return b.bindBoolExpr(x.BoolExpr, s)
	case *pg.Node_NullTest:
		if elems, ok := rowArgs(x.NullTest.Arg); ok {
			return b.bindRowNullTest(elems, x.NullTest.Nulltesttype == pg.NullTestType_IS_NOT_NULL, s)
		}
		e, err := b.bindExpr(x.NullTest.Arg, s)
		if err != nil {
			return nil, err
		}
		return &IsNull{E: e, Not: x.NullTest.Nulltesttype == pg.NullTestType_IS_NOT_NULL}, nil
	case *pg.Node_BooleanTest:
		e, err := b.bindExpr(x.BooleanTest.Arg, s)
		if err != nil {
			return nil, err
		}
		if e, err = b.coerce(e, types.Bool, false); err != nil {
			return nil, err
		}
		bt := &BoolTest{E: e}
		switch x.BooleanTest.Booltesttype {
		case pg.BoolTestType_IS_TRUE:
			bt.What = "true"
		case pg.BoolTestType_IS_NOT_TRUE:
			bt.What, bt.Not = "true", true
		case pg.BoolTestType_IS_FALSE:
			bt.What = "false"
		case pg.BoolTestType_IS_NOT_FALSE:
			bt.What, bt.Not = "false", true
		case pg.BoolTestType_IS_UNKNOWN:
			bt.What = "unknown"
		default:
			bt.What, bt.Not = "unknown", true
		}
		return bt, nil
	case *pg.Node_GroupingFunc:
		return b.bindGroupingFunc(x.GroupingFunc, s)
	case *pg.Node_FuncCall:
		return b.bindFuncCall(x.FuncCall, s)
	case *pg.Node_CaseExpr:
		return b.bindCase(x.CaseExpr, s)
	case *pg.Node_CoalesceExpr:
		args, t, err := b.bindUnified(x.CoalesceExpr.Args, s, "COALESCE")
		if err != nil {
			return nil, err
		}
		return &Coalesce{Args: args, T: t}, nil
	case *pg.Node_MinMaxExpr:
		name := "GREATEST"
		if x.MinMaxExpr.Op == pg.MinMaxOp_IS_LEAST {
			name = "LEAST"
		}
		args, t, err := b.bindUnified(x.MinMaxExpr.Args, s, name)
		if err != nil {
			return nil, err
		}
		return &MinMax{Args: args, Greatest: name == "GREATEST", T: t}, nil
	case *pg.Node_SubLink:
		return b.bindSubLink(x.SubLink, s)
	case *pg.Node_SqlvalueFunction:
		return b.bindSQLValueFunc(x.SqlvalueFunction)
	case *pg.Node_CollateClause:
		// Only the default collation exists: COLLATE "C"/pg_catalog.default is a no-op.
		return b.bindExpr(x.CollateClause.Arg, s)
	case *pg.Node_RowExpr:
		return b.bindRowExpr(x.RowExpr, s)
	case *pg.Node_AArrayExpr:
		return b.bindArrayExpr(x.AArrayExpr, s)
	case *pg.Node_AIndirection:
		return b.bindIndirection(x.AIndirection, s)
	}
	return nil, pgerr.NotSupported("expression %T is not supported yet", n.Node)
}

func bindConst(c *pg.A_Const) (Expr, error) {
	if c.Isnull {
		return &Const{V: types.Null, T: types.Unknown}, nil
	}
	switch v := c.Val.(type) {
	case *pg.A_Const_Ival:
		return &Const{V: types.NewInt(int64(v.Ival.Ival)), T: types.Int4}, nil
	case *pg.A_Const_Fval:
		s := v.Fval.Fval
		// Integer literals too large for int4 arrive as Fval.
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return &Const{V: types.NewInt(i), T: types.Int8}, nil
		}
		d, _, err := apd.NewFromString(s)
		if err != nil {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", s)
		}
		return &Const{V: types.NewNumeric(d), T: types.Numeric}, nil
	case *pg.A_Const_Boolval:
		return &Const{V: types.NewBool(v.Boolval.Boolval), T: types.Bool}, nil
	case *pg.A_Const_Sval:
		return &Const{V: types.NewText(v.Sval.Sval), T: types.Unknown}, nil
	case *pg.A_Const_Bsval:
		return nil, pgerr.NotSupported("bit string literals are not supported")
	}
	return &Const{V: types.Null, T: types.Unknown}, nil
}

func (b *Binder) bindColumnRef(cr *pg.ColumnRef, s *scope) (Expr, error) {
	var parts []string
	for _, f := range cr.Fields {
		switch v := f.Node.(type) {
		case *pg.Node_String_:
			parts = append(parts, v.String_.Sval)
		case *pg.Node_AStar:
			return nil, pgerr.New(pgerr.SyntaxError, "* is not allowed here")
		}
	}
	var table, name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		table, name = parts[0], parts[1]
	case 3:
		table, name = parts[1], parts[2]
	default:
		return nil, pgerr.New(pgerr.SyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(parts, "."))
	}
	depth := 0
	for cur := s; cur != nil; cur = cur.parent {
		c, err := cur.resolve(table, name)
		if err != nil {
			if pe, ok := err.(*pgerr.Error); ok && pe.Code == pgerr.UndefinedTable && cur.parent != nil {
				depth++
				continue
			}
			return nil, err
		}
		if c != nil {
			b.noteCol(c)
			if c.expr != nil {
				if depth > 0 {
					return nil, pgerr.NotSupported("computed column %q of a view written through cannot be read in a subquery yet", name)
				}
				return c.expr, nil
			}
			if depth == 0 {
				return &ColRef{Idx: c.idx, T: c.t, Name: c.name}, nil
			}
			for x, d := s, 0; d < depth; x, d = x.parent, d+1 {
				x.correlated = true
			}
			return &OuterRef{Depth: depth, Idx: c.idx, T: c.t}, nil
		}
		depth++
	}
	if table != "" {
		return nil, pgerr.New(pgerr.UndefinedColumn, "column %s.%s does not exist", table, name).WithPosition(cr.Location + 1)
	}
	if e, ok := scalarItemRef(s, name); ok {
		return e, nil
	}
	return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", name).WithPosition(cr.Location + 1)
}

// typeFromName resolves a TypeName node, including serial pseudo-types when
// allowSerial (column definitions).
func (b *Binder) typeFromName(tn *pg.TypeName) (types.Type, error) {
	names := nodeName(tn.Names)
	var mods []int32
	for _, m := range tn.Typmods {
		if c := m.GetAConst(); c != nil {
			if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
				mods = append(mods, iv.Ival.Ival)
				continue
			}
		}
		return types.Type{}, pgerr.New(pgerr.SyntaxError, "type modifiers must be simple constants or identifiers")
	}
	t, err := b.ResolveType(names, mods)
	if err != nil || len(tn.ArrayBounds) == 0 {
		return t, err
	}
	if types.IsArrayType(t) {
		return t, nil // _int4[] is _int4
	}
	at, ok := types.ArrayOf(t)
	if !ok {
		return types.Type{}, pgerr.NotSupported("arrays of type %s are not supported", types.TypeName(t))
	}
	return at, nil
}

func (b *Binder) bindTypeCast(tc *pg.TypeCast, s *scope) (Expr, error) {
	if e, ok, err := b.bindEmptyArrayCast(tc); ok {
		return e, err
	}
	t, err := b.typeFromName(tc.TypeName)
	if err != nil {
		return nil, err
	}
	e, err := b.bindExpr(tc.Arg, s)
	if err != nil {
		return nil, err
	}
	if t.OID == types.OIDRecord && e.Type().OID == types.OIDRecord {
		return e, nil // a record keeps its field types
	}
	// 'name'::regclass resolves the relation at bind time.
	if t.OID == types.OIDRegclass {
		if c, ok := e.(*Const); ok && c.V.K == types.KindText {
			return b.regclass(c.V.S)
		}
		if isTextual(e.Type().OID) {
			// A name computed at run time: regclassin when it runs
			// (SQLAlchemy: pg_get_serial_sequence(…)::regclass).
			return &Func{F: b.regclassIn(), Args: []Expr{e}}, nil
		}
	}
	// 'name'::regtype, ::regnamespace and ::regproc likewise (sql/pgcatalog).
	if (t.OID == types.OIDRegtype || t.OID == types.OIDRegnamespace || t.OID == types.OIDRegproc || t.OID == types.OIDRegprocedure) && RegResolve != nil {
		if c, ok := e.(*Const); ok && c.V.K == types.KindText && t.OID == types.OIDRegtype {
			if ut, ok := b.regtypeUser(c.V.S); ok {
				return &Const{V: b.regValue(types.OIDRegtype, uint32(ut.OID)), T: t.WithoutMod()}, nil
			}
		}
		if c, ok := e.(*Const); ok && c.V.K == types.KindText {
			oid, err := RegResolve(b.Cat, t.OID, c.V.S)
			if err != nil {
				return nil, err
			}
			return &Const{V: b.regValue(t.OID, oid), T: t.WithoutMod()}, nil
		}
	}
	if t.OID == types.OIDRegtype && isString(e.Type().OID) && RegResolve != nil {
		// $1::text::regtype (pgx's LoadType): regtypein when it runs.
		return &Func{F: b.regtypeIn(), Args: []Expr{e}}, nil
	}
	if (t.OID == types.OIDRegclass || t.OID == types.OIDRegnamespace || t.OID == types.OIDRegproc || t.OID == types.OIDRegprocedure || t.OID == types.OIDRegtype) && e.Type().OID != t.OID {
		c, err := b.coerce(e, t, true)
		if err != nil {
			return nil, err
		}
		return b.fold(&Func{F: b.regNamer(t.OID), Args: []Expr{c}})
	}
	return b.coerce(e, t, true)
}

func (b *Binder) regclass(name string) (Expr, error) {
	oid, err := b.regclassOID(name)
	if err != nil {
		return nil, err
	}
	return &Const{V: b.regValue(types.OIDRegclass, oid), T: types.Type{OID: types.OIDRegclass, Mod: -1}}, nil
}

// regclassOID is regclassin: the OID of the relation name names.
func (b *Binder) regclassOID(name string) (uint32, error) {
	if oid, err := strconv.ParseUint(strings.TrimSpace(name), 10, 32); err == nil {
		// A number is an OID, taken as given (PostgreSQL's regclassin).
		return uint32(oid), nil
	}
	schema, rel := "", name
	if i := strings.IndexByte(name, '.'); i >= 0 {
		schema, rel = name[:i], name[i+1:]
	}
	rel = strings.Trim(rel, `"`)
	named := schema
	schema = b.schemaOf(schema, rel)
	if t, ok := b.Cat.Lookup(schema, rel); ok {
		return t.ID, nil
	}
	if v, ok := b.Cat.LookupView(schema, rel); ok {
		return v.ID, nil
	}
	if sq, ok := b.Cat.LookupSequence(schema, rel); ok {
		return sq.ID, nil
	}
	if t, i, ok := b.Cat.LookupIndex(schema, rel); ok {
		return t.Indexes[i].ID, nil
	}
	if oid, ok := systemRelOID(rel); ok {
		return oid, nil
	}
	if SystemTables != nil {
		// Any emulated catalog ('pg_constraint'::regclass in
		// pg_description joins).
		sys := named
		if sys == "public" || sys == "pg_temp" {
			sys = ""
		}
		if vt, ok := SystemTables(sys, rel); ok && vt.OID != 0 {
			return vt.OID, nil
		}
	}
	if err := b.missingSchema(named); err != nil {
		return 0, err
	}
	return 0, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", name)
}

// systemRelOID gives the OIDs PostgreSQL uses for the system catalogs that
// clients name in ::regclass casts.
func systemRelOID(name string) (uint32, bool) {
	switch strings.TrimPrefix(name, "pg_catalog.") {
	case "pg_class":
		return 1259, true
	case "pg_type":
		return 1247, true
	case "pg_attribute":
		return 1249, true
	case "pg_proc":
		return 1255, true
	case "pg_namespace":
		return 2615, true
	}
	return 0, false
}

func opName(names []*pg.Node) string {
	n := nodeName(names)
	if len(n) == 0 {
		return ""
	}
	return n[len(n)-1]
}

func (b *Binder) bindAExpr(a *pg.A_Expr, s *scope) (Expr, error) {
	op := opName(a.Name)
	if ln, ok := rowArgs(a.Lexpr); ok {
		switch a.Kind {
		case pg.A_Expr_Kind_AEXPR_OP:
			return b.bindRowOperands(op, a, ln, s)
		case pg.A_Expr_Kind_AEXPR_DISTINCT, pg.A_Expr_Kind_AEXPR_NOT_DISTINCT:
			return b.bindRowDistinct(ln, a, a.Kind == pg.A_Expr_Kind_AEXPR_NOT_DISTINCT, s)
		case pg.A_Expr_Kind_AEXPR_IN:
			return b.bindRowIn(ln, a, op == "<>", s)
		}
	}
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_OP:
		if a.Lexpr == nil {
			r, err := b.bindExpr(a.Rexpr, s)
			if err != nil {
				return nil, err
			}
			switch op {
			case "-":
				if c, ok := r.(*Const); ok && !c.V.IsNull() {
					v, err := types.Negate(c.V, c.T)
					if err != nil {
						return nil, err
					}
					return &Const{V: v, T: c.T}, nil
				}
				if isUnknown(r.Type()) {
					if r, err = b.coerce(r, types.Numeric, false); err != nil {
						return nil, err
					}
				}
				return &Neg{E: r}, nil
			case "+":
				return r, nil
			case "~":
				if isInetType(r.Type()) {
					return b.callFunc("inetnot", []Expr{r})
				}
			}
			return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s", op, types.TypeName(r.Type()))
		}
		l, err := b.bindExpr(a.Lexpr, s)
		if err != nil {
			return nil, err
		}
		r, err := b.bindExpr(a.Rexpr, s)
		if err != nil {
			return nil, err
		}
		return b.binaryOp(op, l, r, a.Location)
	case pg.A_Expr_Kind_AEXPR_DISTINCT, pg.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		l, err := b.bindExpr(a.Lexpr, s)
		if err != nil {
			return nil, err
		}
		r, err := b.bindExpr(a.Rexpr, s)
		if err != nil {
			return nil, err
		}
		op := "="
		if a.Kind == pg.A_Expr_Kind_AEXPR_DISTINCT {
			op = "<>"
		}
		return b.comparisonOpts(op, l, r, a.Location, true)
	case pg.A_Expr_Kind_AEXPR_NULLIF:
		l, err := b.bindExpr(a.Lexpr, s)
		if err != nil {
			return nil, err
		}
		r, err := b.bindExpr(a.Rexpr, s)
		if err != nil {
			return nil, err
		}
		t, err := unify([]types.Type{l.Type(), r.Type()}, "NULLIF")
		if err != nil {
			return nil, err
		}
		if l, err = b.coerce(l, t, false); err != nil {
			return nil, err
		}
		if r, err = b.coerce(r, t, false); err != nil {
			return nil, err
		}
		return &NullIf{A: l, B: r}, nil
	case pg.A_Expr_Kind_AEXPR_IN:
		l, err := b.bindExpr(a.Lexpr, s)
		if err != nil {
			return nil, err
		}
		items := a.Rexpr.GetList().GetItems()
		list := make([]Expr, 0, len(items))
		ts := []types.Type{l.Type()}
		for _, it := range items {
			e, err := b.bindExpr(it, s)
			if err != nil {
				return nil, err
			}
			if e.Type().OID == types.OIDRecord && l.Type().OID != types.OIDRecord {
				return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s = record", types.TypeName(l.Type())).WithPosition(a.Location + 1)
			}
			list = append(list, e)
			ts = append(ts, e.Type())
		}
		t, err := unify(ts, "IN")
		if err != nil {
			return nil, err
		}
		if unorderable(t) {
			return nil, noOperator(t, "=", a.Location)
		}
		if l, err = b.coerce(l, t, false); err != nil {
			return nil, err
		}
		for i := range list {
			if list[i], err = b.coerce(list[i], t, false); err != nil {
				return nil, err
			}
		}
		return &InList{E: l, List: list, Not: op == "<>"}, nil
	case pg.A_Expr_Kind_AEXPR_LIKE, pg.A_Expr_Kind_AEXPR_ILIKE:
		return b.bindLike(a, s, op)
	case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN, pg.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		e, err := b.bindExpr(a.Lexpr, s)
		if err != nil {
			return nil, err
		}
		items := a.Rexpr.GetList().GetItems()
		if len(items) != 2 {
			return nil, pgerr.New(pgerr.SyntaxError, "BETWEEN needs two bounds")
		}
		lo, err := b.bindExpr(items[0], s)
		if err != nil {
			return nil, err
		}
		hi, err := b.bindExpr(items[1], s)
		if err != nil {
			return nil, err
		}
		ge, err := b.comparison(">=", e, lo, a.Location)
		if err != nil {
			return nil, err
		}
		le, err := b.comparison("<=", e, hi, a.Location)
		if err != nil {
			return nil, err
		}
		var res Expr = &Logic{Op: "and", Args: []Expr{ge, le}}
		if a.Kind == pg.A_Expr_Kind_AEXPR_BETWEEN_SYM || a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
			ge2, _ := b.comparison(">=", e, hi, a.Location)
			le2, _ := b.comparison("<=", e, lo, a.Location)
			res = &Logic{Op: "or", Args: []Expr{res, &Logic{Op: "and", Args: []Expr{ge2, le2}}}}
		}
		if a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN || a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
			res = &Logic{Op: "not", Args: []Expr{res}}
		}
		return res, nil
	case pg.A_Expr_Kind_AEXPR_OP_ANY, pg.A_Expr_Kind_AEXPR_OP_ALL:
		return b.bindAnyArray(a, s, op)
	case pg.A_Expr_Kind_AEXPR_SIMILAR:
		return nil, pgerr.NotSupported("SIMILAR TO is not supported yet")
	}
	return nil, pgerr.NotSupported("operator kind %s is not supported yet", a.Kind)
}

func (b *Binder) bindLike(a *pg.A_Expr, s *scope, op string) (Expr, error) {
	e, err := b.bindExpr(a.Lexpr, s)
	if err != nil {
		return nil, err
	}
	if e, err = b.coerceString(e); err != nil {
		return nil, err
	}
	lk := &Like{E: e, Escape: '\\', CI: a.Kind == pg.A_Expr_Kind_AEXPR_ILIKE, Not: strings.HasPrefix(op, "!")}
	patNode := a.Rexpr
	// LIKE … ESCAPE 'x' arrives as like_escape(pattern, 'x').
	if fc := patNode.GetFuncCall(); fc != nil && len(fc.Funcname) > 0 && opName(fc.Funcname) == "like_escape" && len(fc.Args) == 2 {
		patNode = fc.Args[0]
		esc, err := b.bindExpr(fc.Args[1], s)
		if err != nil {
			return nil, err
		}
		c, ok := esc.(*Const)
		if !ok || c.V.K != types.KindText {
			return nil, pgerr.NotSupported("a non-constant LIKE escape is not supported")
		}
		r, err := funcs.LikeEscape(c.V.S)
		if err != nil {
			return nil, err
		}
		lk.Escape = r
	}
	p, err := b.bindExpr(patNode, s)
	if err != nil {
		return nil, err
	}
	if p, err = b.coerceString(p); err != nil {
		return nil, err
	}
	lk.Pattern = p
	if c, ok := p.(*Const); ok && !c.V.IsNull() {
		if lk.M, err = funcs.CompileLike(c.V.S, lk.Escape, lk.CI); err != nil {
			return nil, err
		}
	}
	return lk, nil
}

func (b *Binder) coerceString(e Expr) (Expr, error) {
	t := e.Type()
	if isString(t.OID) {
		return e, nil
	}
	if isUnknown(t) {
		return b.coerce(e, types.Text, false)
	}
	return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s ~~ text", types.TypeName(t)).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

// binaryOp binds a binary operator: comparison, arithmetic, concatenation,
// regex match.
// bindExprs binds each of ns in scope s (a call's arguments).
func (b *Binder) bindExprs(ns []*pg.Node, s *scope) ([]Expr, error) {
	out := make([]Expr, 0, len(ns))
	for _, n := range ns {
		e, err := b.bindExpr(n, s)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (b *Binder) binaryOp(op string, l, r Expr, loc int32) (Expr, error) {
	if e, ok, err := b.jsonOperator(op, l, r); ok {
		return e, err
	}
	if e, ok, err := b.inetOperator(op, l, r); ok {
		return e, err
	}
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		if op == "!=" {
			op = "<>"
		}
		return b.comparison(op, l, r, loc)
	case "||":
		if e, ok, err := b.arrayConcat(l, r); ok {
			return e, err
		}
		var err error
		if isUnknown(l.Type()) || !isString(l.Type().OID) {
			if l, err = b.coerce(l, types.Text, !isUnknown(l.Type())); err != nil {
				return nil, err
			}
		}
		if isUnknown(r.Type()) || !isString(r.Type().OID) {
			if r, err = b.coerce(r, types.Text, !isUnknown(r.Type())); err != nil {
				return nil, err
			}
		}
		return b.fold(&BinOp{Op: "||", L: l, R: r, T: types.Text})
	case "~", "~*", "!~", "!~*":
		l, err := b.coerceString(l)
		if err != nil {
			return nil, err
		}
		r, err := b.coerceString(r)
		if err != nil {
			return nil, err
		}
		re := &Regex{E: l, Pattern: r, CI: strings.Contains(op, "*"), Not: strings.HasPrefix(op, "!")}
		if c, ok := r.(*Const); ok && !c.V.IsNull() {
			if re.Re, err = funcs.CompileRegex(c.V.S, re.CI); err != nil {
				return nil, err
			}
		}
		return re, nil
	case "^":
		f, casts, err := funcs.Resolve("power", []types.Type{l.Type(), r.Type()})
		if err != nil {
			return nil, err
		}
		if l, err = b.coerce(l, casts[0], false); err != nil {
			return nil, err
		}
		if r, err = b.coerce(r, casts[1], false); err != nil {
			return nil, err
		}
		return b.fold(&Func{F: f, Args: []Expr{l, r}})
	case "@>", "<@", "&&":
		fn := map[string]string{"@>": "arraycontains", "<@": "arraycontained", "&&": "arrayoverlap"}[op]
		if !types.IsArrayType(l.Type()) && !types.IsArrayType(r.Type()) {
			return nil, pgerr.NotSupported("operator %s is supported only on arrays", op)
		}
		return b.callFunc(fn, []Expr{l, r})
	case "&", "|", "#":
		t, err := unify([]types.Type{l.Type(), r.Type()}, "bitwise operator")
		if err != nil || numRank(t.OID) == 0 || numRank(t.OID) > 3 || t.OID == types.OIDOID {
			return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", types.TypeName(l.Type()), op, types.TypeName(r.Type()))
		}
		if isUnknown(l.Type()) && isUnknown(r.Type()) {
			t = types.Int4
		}
		fn := map[string]string{"&": "and", "|": "or", "#": "xor"}[op]
		prefix := map[types.OID]string{types.OIDInt2: "int2", types.OIDInt4: "int4", types.OIDInt8: "int8"}[t.OID]
		return b.callFunc(prefix+fn, []Expr{l, r})
	case "~~", "!~~", "~~*", "!~~*":
		return nil, pgerr.NotSupported("operator %s is not supported yet", op)
	case "+", "-", "*", "/", "%":
		lt, rt := l.Type(), r.Type()
		var err error
		// Unknown literals take the other side's type, as PostgreSQL does.
		if isUnknown(lt) && !isUnknown(rt) {
			if l, err = b.coerce(l, unknownPeer(rt, op), false); err != nil {
				return nil, err
			}
		} else if isUnknown(rt) && !isUnknown(lt) {
			if r, err = b.coerce(r, unknownPeer(lt, op), false); err != nil {
				return nil, err
			}
		} else if isUnknown(lt) && isUnknown(rt) {
			return nil, pgerr.New(pgerr.UndefinedFunction, "operator is not unique: unknown %s unknown", op)
		}
		t, err := types.BinaryOpType(op, l.Type(), r.Type())
		if err != nil {
			return nil, err
		}
		return b.fold(&BinOp{Op: op, L: l, R: r, T: t})
	}
	return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", types.TypeName(l.Type()), op, types.TypeName(r.Type()))
}

// unknownPeer is the type an unknown literal takes opposite a typed operand:
// the operand's own type, except that date/timestamp arithmetic pairs with
// integers or intervals.
func unknownPeer(t types.Type, op string) types.Type {
	switch t.OID {
	case types.OIDDate:
		if op == "-" {
			return types.Int4 // date - 'n' reads n as days; date - date needs an explicit date
		}
		return types.Int4
	case types.OIDTimestamp, types.OIDTimestampTZ:
		return types.Interval
	}
	return t.WithoutMod()
}

func oidFamily(o types.OID) bool {
	return o == types.OIDOID || o == types.OIDRegclass || o == types.OIDRegtype || o == types.OIDRegproc || o == types.OIDRegprocedure || o == types.OIDRegnamespace
}

// comparison binds l op r, casting both sides to a common type.
func (b *Binder) comparison(op string, l, r Expr, loc int32) (Expr, error) {
	return b.comparisonOpts(op, l, r, loc, false)
}

// comparisonOpts binds a comparison; distinct makes it NULL-safe
// (IS [NOT] DISTINCT FROM).
func (b *Binder) comparisonOpts(op string, l, r Expr, loc int32, distinct bool) (Expr, error) {
	l, r, err := b.comparable(op, l, r, loc)
	if err != nil {
		return nil, err
	}
	return b.fold(&Cmp{Op: op, L: l, R: r, Distinct: distinct})
}

// comparable casts l and r to the common type op compares them in.
func (b *Binder) comparable(op string, l, r Expr, loc int32) (Expr, Expr, error) {
	lt, rt := l.Type(), r.Type()
	if err := jsonComparison(op, lt, rt); err != nil {
		return nil, nil, err
	}
	if lt.OID == types.OIDRecord || rt.OID == types.OIDRecord {
		// Row constructors compare field by field (bind_row.go); record
		// values otherwise do not compare yet.
		return nil, nil, pgerr.NotSupported("comparing values of type record is not supported yet")
	}
	var t types.Type
	switch {
	case isUnknown(lt) && isUnknown(rt):
		t = types.Text
	case isUnknown(lt):
		t = rt.WithoutMod()
	case isUnknown(rt):
		t = lt.WithoutMod()
	case oidFamily(lt.OID) && oidFamily(rt.OID):
		t = types.OIDType // reg* types are binary-coercible to oid and compare as oid
	default:
		var err error
		t, err = unify([]types.Type{lt, rt}, "comparison")
		if err != nil {
			return nil, nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", types.TypeName(lt), op, types.TypeName(rt)).
				WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.").WithPosition(loc + 1)
		}
	}
	var err error
	// Numbers of different kinds compare exactly without casting.
	if !(numRank(lt.OID) > 0 && numRank(rt.OID) > 0) {
		if l, err = b.coerce(l, t, false); err != nil {
			return nil, nil, err
		}
		if r, err = b.coerce(r, t, false); err != nil {
			return nil, nil, err
		}
	}
	return l, r, nil
}

func (b *Binder) bindBoolExpr(be *pg.BoolExpr, s *scope) (Expr, error) {
	args := make([]Expr, 0, len(be.Args))
	for _, a := range be.Args {
		e, err := b.bindExpr(a, s)
		if err != nil {
			return nil, err
		}
		if e, err = b.coerceBool(e, "argument of "+strings.ToUpper(strings.TrimSuffix(strings.ToLower(be.Boolop.String()), "_expr"))); err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	switch be.Boolop {
	case pg.BoolExprType_AND_EXPR:
		return &Logic{Op: "and", Args: args}, nil
	case pg.BoolExprType_OR_EXPR:
		return &Logic{Op: "or", Args: args}, nil
	}
	return &Logic{Op: "not", Args: args}, nil
}

// coerceBool requires a boolean (WHERE, HAVING, ON, AND/OR/NOT arguments).
func (b *Binder) coerceBool(e Expr, ctx string) (Expr, error) {
	t := e.Type()
	if t.OID == types.OIDBool {
		return e, nil
	}
	if isUnknown(t) {
		return b.coerce(e, types.Bool, false)
	}
	return nil, pgerr.New(pgerr.DatatypeMismatch, "%s must be type boolean, not type %s", ctx, types.TypeName(t))
}

func (b *Binder) bindUnified(nodes []*pg.Node, s *scope, ctx string) ([]Expr, types.Type, error) {
	args := make([]Expr, 0, len(nodes))
	ts := make([]types.Type, 0, len(nodes))
	for _, n := range nodes {
		e, err := b.bindExpr(n, s)
		if err != nil {
			return nil, types.Type{}, err
		}
		args = append(args, e)
		ts = append(ts, e.Type())
	}
	t, err := unify(ts, ctx)
	if err != nil {
		return nil, t, err
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], t, false); err != nil {
			return nil, t, err
		}
	}
	return args, t, nil
}

func (b *Binder) bindCase(c *pg.CaseExpr, s *scope) (Expr, error) {
	ce := &Case{}
	var operand Expr
	var err error
	if c.Arg != nil {
		if operand, err = b.bindExpr(c.Arg, s); err != nil {
			return nil, err
		}
		ce.Operand = operand
	}
	var results []Expr
	var ts []types.Type
	for _, w := range c.Args {
		cw := w.GetCaseWhen()
		var cond Expr
		if operand != nil {
			v, err := b.bindExpr(cw.Expr, s)
			if err != nil {
				return nil, err
			}
			if cond, err = b.comparison("=", operand, v, cw.Location); err != nil {
				return nil, err
			}
		} else {
			if cond, err = b.bindExpr(cw.Expr, s); err != nil {
				return nil, err
			}
			if cond, err = b.coerceBool(cond, "argument of CASE/WHEN"); err != nil {
				return nil, err
			}
		}
		r, err := b.bindExpr(cw.Result, s)
		if err != nil {
			return nil, err
		}
		ce.Whens = append(ce.Whens, When{Cond: cond})
		results = append(results, r)
		ts = append(ts, r.Type())
	}
	if c.Defresult != nil {
		if ce.Else, err = b.bindExpr(c.Defresult, s); err != nil {
			return nil, err
		}
		ts = append(ts, ce.Else.Type())
	}
	if ce.T, err = unify(ts, "CASE"); err != nil {
		return nil, err
	}
	for i := range ce.Whens {
		if ce.Whens[i].Result, err = b.coerce(results[i], ce.T, false); err != nil {
			return nil, err
		}
	}
	if ce.Else != nil {
		if ce.Else, err = b.coerce(ce.Else, ce.T, false); err != nil {
			return nil, err
		}
	}
	return ce, nil
}

func (b *Binder) bindSQLValueFunc(f *pg.SQLValueFunction) (Expr, error) {
	name := ""
	switch f.Op {
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		name = "current_date"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		name = "now"
	case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		name = "localtimestamp"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg.SQLValueFunctionOp_SVFOP_USER, pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE, pg.SQLValueFunctionOp_SVFOP_SESSION_USER:
		return &SessionFunc{Name: "current_user", T: types.Name}, nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		return &SessionFunc{Name: "current_database", T: types.Name}, nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return &SessionFunc{Name: "current_schema", T: types.Name}, nil
	default:
		return nil, pgerr.NotSupported("%s is not supported yet", f.Op)
	}
	fn, _, err := funcs.Resolve(name, nil)
	if err != nil {
		return nil, err
	}
	return &Func{F: fn}, nil
}

// fold evaluates expressions whose inputs are all constants at bind time.
func (b *Binder) fold(e Expr) (Expr, error) {
	if !allConst(e) {
		return e, nil
	}
	v, err := FoldConst(e, b.Loc)
	if err != nil {
		return nil, err
	}
	return &Const{V: v, T: e.Type()}, nil
}

func allConst(e Expr) bool {
	ok := true
	Walk(e, func(x Expr) bool {
		switch f := x.(type) {
		case *Const:
		case *BinOp, *Cmp, *Cast, *Neg, *Logic, *ArrayExpr, *Subscript, *AnyArray, *RowCmp:
		case *Func:
			if f.F.Volatility != funcs.Immutable {
				ok = false
			}
		default:
			ok = false
		}
		return ok
	})
	return ok
}

// FoldConst evaluates a constant expression; set by package exec (which owns
// evaluation) to avoid an import cycle.
var FoldConst func(e Expr, loc *time.Location) (types.Value, error)
