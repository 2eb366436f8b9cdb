package plan

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// User-defined SQL functions (catalog.Function, CREATE FUNCTION … LANGUAGE
// sql). A call is not inlined: its body is bound once per statement, as a
// plan of its own whose parameters ($1, or the parameter's name) are outer
// references to a scope holding the arguments — the body's query is bound
// like a correlated subquery whose enclosing row is the argument list. The
// executor evaluates the arguments in the caller's row and runs the body
// with them as that enclosing row (UserCall, FuncScan.User). Column names
// of the body's own FROM items take precedence over parameter names, and
// fn.param names the parameter, as in PostgreSQL.
//
// Every call of one function in a statement shares one FuncBody, which is
// what makes recursion possible: a call met while its function's body is
// being bound refers to the body under construction.

// UserCall calls a user-defined function in an expression. Args are the
// declared parameters' values (defaults filled in, coerced to their types).
type UserCall struct {
	Fn   *catalog.Function
	Args []Expr
	Body *FuncBody
	T    types.Type
	// Set: a set-returning function in a select list, whose value is the
	// array of its rows' values (T is that array type; srf.go expands it).
	Set bool
}

func (e *UserCall) Type() types.Type { return e.T }

// FuncBody is a function's bound body: Pre are the statements before the
// last, run for their effects, Plan is the last, whose rows (the first one,
// unless the function returns a set) are the result. Its columns have the
// declared result types.
type FuncBody struct {
	Pre  []Node
	Plan Node
	// Strict functions return NULL (no rows in FROM) for a NULL argument
	// without running; RetSet ones return every row; Record ones return
	// their row as one record value when called in an expression.
	Strict, RetSet, Record bool
	// Pure: the body reads no relation, sequence or session state — its
	// statements are expressions over the parameters (SELECT a + 1), and
	// the functions it calls are pure — so it can run wherever an
	// expression is evaluated (CHECK constraints, generated columns).
	Pure bool
	// PL is the function when it is written in PL/pgSQL: the executor
	// runs it through the session (exec.Session.CallPL), and Plan is only
	// its result column.
	PL *catalog.Function
	// binding is set while the body is being bound (recursion), checking
	// while Immutable looks into it.
	binding, checking bool
}

// Opaque reports whether a call must be treated like a subquery by the
// planner: it reads relations, or is volatile.
func (e *UserCall) Opaque() bool { return !e.Body.Pure || e.Fn.Vol() == "v" }

// Immutable reports whether the call gives the same result for the same
// arguments, as PostgreSQL decides after inlining a simple function: it is
// declared IMMUTABLE, or its body is a pure expression (one statement, not
// STRICT) calling only immutable functions — so a STABLE function
// computing $1 * 2 may be used in a generated column, as in PostgreSQL.
func (e *UserCall) Immutable() bool {
	if e.Fn.Vol() == "i" {
		return true
	}
	if !e.Body.Pure || len(e.Body.Pre) > 0 || e.Fn.Strict || e.Body.checking {
		return false // a recursive function is not inlined either
	}
	e.Body.checking = true
	defer func() { e.Body.checking = false }()
	im := true
	var visit func(n Node)
	visit = func(n Node) {
		var es []Expr
		switch x := n.(type) {
		case *Project:
			es = x.Exprs
			visit(x.Input)
		case *Filter:
			es = []Expr{x.Cond}
			visit(x.Input)
		case *Values:
			for _, r := range x.Rows {
				es = append(es, r...)
			}
		}
		for _, x := range es {
			// The parameters are the call's arguments, checked on their own.
			x = Transform(x, func(y Expr) (Expr, bool) {
				if r, ok := y.(*OuterRef); ok {
					return &Const{V: types.Null, T: r.T}, true
				}
				return y, false
			})
			if mutable(x) {
				im = false
			}
		}
	}
	visit(e.Body.Plan)
	return im
}

// pureNode reports whether n is made of projections of expressions over
// no relation, whose expressions are pure.
func pureNode(n Node) bool {
	switch x := n.(type) {
	case *One:
		return true
	case *Project:
		return pureExprs(x.Exprs...) && pureNode(x.Input)
	case *Filter:
		return pureExprs(x.Cond) && pureNode(x.Input)
	case *Values:
		for _, r := range x.Rows {
			if !pureExprs(r...) {
				return false
			}
		}
		return true
	}
	return false
}

func pureExprs(es ...Expr) bool {
	ok := true
	for _, e := range es {
		Walk(e, func(x Expr) bool {
			switch y := x.(type) {
			case *Subquery, *SeqFunc, *SessionFunc:
				ok = false
			case *UserCall:
				ok = y.Body.binding || y.Body.Pure
			}
			return ok
		})
	}
	return ok
}

// storedCalls refuses calls of functions that are not pure in an
// expression stored with a table (what).
func storedCalls(e Expr, what string) error {
	var err error
	Walk(e, func(x Expr) bool {
		if c, ok := x.(*UserCall); ok && !c.Body.Pure {
			err = pgerr.NotSupported("function %s reads tables or session state: it cannot be used in a %s yet", c.Fn.Name, what)
		}
		return err == nil
	})
	return err
}

// callsUserFunc reports whether e calls a user-defined function.
func callsUserFunc(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		_, found = x.(*UserCall)
		return !found
	})
	return found
}

// fnFrame is the function whose body is being bound.
type fnFrame struct {
	fn     *catalog.Function
	params *scope
}

// voidType is the result type of a function RETURNS void.
var voidType = types.Type{OID: types.OIDVoid, Mod: -1}

// maxFuncBindDepth bounds functions calling functions at bind time (a
// recursive call binds nothing: it shares its body).
const maxFuncBindDepth = 64

// userFuncs returns the overloads a function name resolves to: those of
// the schema named, else of the first schema of the search path that has
// any (PostgreSQL considers every schema of the path; a name is rarely
// overloaded across schemas). A name qualified with pg_catalog has none.
func (b *Binder) userFuncs(names []string) ([]*catalog.Function, error) {
	name := names[len(names)-1]
	switch len(names) {
	case 1:
		for _, p := range b.searchPath() {
			if fs := b.Cat.LookupFunctions(p, name); len(fs) > 0 {
				return fs, nil
			}
		}
		return nil, nil
	case 2:
		if names[0] == "pg_catalog" {
			return nil, nil
		}
		if err := b.missingSchema(names[0]); err != nil {
			return nil, err
		}
		return b.Cat.LookupFunctions(names[0], name), nil
	}
	return nil, pgerr.New(pgerr.SyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(names, "."))
}

// HasUserFuncs reports whether an unqualified or qualified function name
// names user-defined functions.
func (b *Binder) hasUserFuncs(names []string) bool {
	fs, err := b.userFuncs(names)
	return err == nil && len(fs) > 0
}

// callArg is one argument of a call as written: positional, or named
// (name => value).
type callArg struct {
	name string
	e    Expr
}

// bindCallArgs binds a call's arguments, keeping their names.
func (b *Binder) bindCallArgs(ns []*pg.Node, s *scope) ([]callArg, error) {
	out := make([]callArg, 0, len(ns))
	seenNamed := false
	for _, n := range ns {
		if na := n.GetNamedArgExpr(); na != nil {
			e, err := b.bindExpr(na.Arg, s)
			if err != nil {
				return nil, err
			}
			out = append(out, callArg{name: na.Name, e: e})
			seenNamed = true
			continue
		}
		if seenNamed {
			return nil, pgerr.New(pgerr.SyntaxError, "positional argument cannot follow named argument")
		}
		e, err := b.bindExpr(n, s)
		if err != nil {
			return nil, err
		}
		out = append(out, callArg{e: e})
	}
	return out, nil
}

// matchArgs lays a call's arguments out along f's parameters: the Expr for
// each parameter given, nil for one left to its default. ok is false when
// the call does not fit f (too many or too few, a name f lacks).
func matchArgs(f *catalog.Function, args []callArg) ([]Expr, bool) {
	if len(args) > len(f.Args) {
		return nil, false
	}
	out := make([]Expr, len(f.Args))
	for i, a := range args {
		if a.name == "" {
			out[i] = a.e
			continue
		}
		j := -1
		for k, p := range f.Args {
			if p.Name == a.name {
				j = k
			}
		}
		if j < 0 || out[j] != nil {
			return nil, false
		}
		out[j] = a.e
	}
	for i, e := range out {
		if e == nil && f.Args[i].Default == "" {
			return nil, false
		}
	}
	return out, true
}

// argType is a parameter's or result's type with a user-defined type's
// current definition.
func (b *Binder) argType(t types.Type) (types.Type, error) {
	if t.Enum == nil {
		return t, nil
	}
	ut, ok := b.Cat.TypeByOID(t.OID)
	if !ok {
		return t, pgerr.New(pgerr.UndefinedObject, "type with OID %d does not exist", t.OID)
	}
	return ut, nil
}

// resolveUserCall picks the overload of fs a call fits, as PostgreSQL's
// func_select_candidate does over the given arguments' types, and returns
// it with the argument expressions per parameter (nil: the default).
func (b *Binder) resolveUserCall(display string, fs []*catalog.Function, args []callArg) (*catalog.Function, []Expr, error) {
	in := make([]types.Type, len(args))
	for i, a := range args {
		in[i] = a.e.Type()
	}
	var fits []*catalog.Function
	var laid [][]Expr
	var sigs [][]types.Type
	for _, f := range fs {
		es, ok := matchArgs(f, args)
		if !ok {
			continue
		}
		// Compare the given arguments with their parameters, in the
		// order given.
		sig := make([]types.Type, len(args))
		for i, a := range args {
			j := i
			if a.name != "" {
				for k, p := range f.Args {
					if p.Name == a.name {
						j = k
					}
				}
			}
			sig[i] = f.Args[j].Type.WithoutMod()
		}
		fits = append(fits, f)
		laid = append(laid, es)
		sigs = append(sigs, sig)
	}
	i, err := funcs.Choose(display, in, sigs)
	if err != nil {
		return nil, nil, err
	}
	return fits[i], laid[i], nil
}

// bindUserCallOf binds the arguments of call fc (in s), chooses the
// function of fs (named names) they call and binds the call.
func (b *Binder) bindUserCallOf(names []string, fs []*catalog.Function, fc *pg.FuncCall, s *scope) (*catalog.Function, *UserCall, error) {
	args, err := b.bindCallArgs(fc.Args, s)
	if err != nil {
		return nil, nil, err
	}
	f, es, err := b.resolveUserCall(strings.Join(names, "."), fs, args)
	if err != nil {
		return nil, nil, err
	}
	call, err := b.userCall(f, es)
	return f, call, err
}

// bindUserCall binds a call of a user-defined function in an expression.
func (b *Binder) bindUserCall(names []string, fs []*catalog.Function, fc *pg.FuncCall, s *scope) (Expr, error) {
	if fc.AggStar || fc.AggDistinct || len(fc.AggOrder) > 0 || fc.AggFilter != nil || fc.Over != nil {
		return nil, pgerr.New(pgerr.WrongObjectType, "%s is not an aggregate function", names[len(names)-1])
	}
	f, call, err := b.bindUserCallOf(names, fs, fc, s)
	if err != nil {
		return nil, err
	}
	if f.RetSet {
		if s.srf == nil {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "set-valued function called in context that cannot accept a set")
		}
		// In a select list: the rows' values as one array, expanded
		// in lockstep with the list's other set-returning calls.
		at, ok := types.ArrayOf(call.T)
		if call.Body.Record || !ok {
			return nil, pgerr.NotSupported("set-returning function %s of several columns in a select list is not supported yet: call it in FROM", f.Name)
		}
		et := call.T
		call.Set, call.T = true, at
		return s.srf.add(call, false, et), nil
	}
	return call, nil
}

// userCall builds the call of f with es (one per parameter, nil for its
// default), coercing each to its parameter's type.
func (b *Binder) userCall(f *catalog.Function, es []Expr) (*UserCall, error) {
	if f.Ret.OID == types.OIDTrigger {
		return nil, pgerr.NotSupported("trigger functions can only be called as triggers")
	}
	args := make([]Expr, len(f.Args))
	for i, p := range f.Args {
		pt, err := b.argType(p.Type)
		if err != nil {
			return nil, err
		}
		e := es[i]
		if e == nil {
			if e, err = b.bindFuncDefault(f, p); err != nil {
				return nil, err
			}
		}
		if args[i], err = b.coerce(e, pt, false); err != nil {
			return nil, err
		}
	}
	body, err := b.funcBody(f)
	if err != nil {
		return nil, err
	}
	rt, err := b.argType(f.Ret)
	if err != nil {
		return nil, err
	}
	if body.Record {
		cols := body.Plan.Columns()
		fs := make([]types.Type, len(cols))
		for i, c := range cols {
			fs[i] = c.T
		}
		rt = types.RecordOf(fs)
	}
	b.FuncRefs = append(b.FuncRefs, f.ID)
	return &UserCall{Fn: f, Args: args, Body: body, T: rt}, nil
}

// bindFuncDefault binds a parameter's DEFAULT expression (stored SQL text,
// over no row).
func (b *Binder) bindFuncDefault(f *catalog.Function, p catalog.FuncArg) (Expr, error) {
	stmts, err := Parse("SELECT " + p.Default)
	if err != nil || len(stmts) != 1 || stmts[0].Stmt.GetSelectStmt() == nil {
		return nil, pgerr.New(pgerr.DataCorrupted, "function %s: stored default %q does not parse", f.Name, p.Default)
	}
	rt := stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget()
	return b.bindExpr(rt.Val, &scope{})
}

// funcBody returns f's body bound for this statement: shared by every call
// of f in it, so a recursive call finds the body being bound.
func (b *Binder) funcBody(f *catalog.Function) (*FuncBody, error) {
	if fb, ok := b.funcBodies[f.ID]; ok {
		return fb, nil
	}
	if len(b.fnStack) >= maxFuncBindDepth {
		return nil, pgerr.New(pgerr.StatementTooComplex, "stack depth limit exceeded").
			WithHint("functions call functions more than %d deep", maxFuncBindDepth)
	}
	fb := &FuncBody{Strict: f.Strict, RetSet: f.RetSet, Record: len(f.Out) > 1}
	if b.funcBodies == nil {
		b.funcBodies = map[uint32]*FuncBody{}
	}
	b.funcBodies[f.ID] = fb
	fb.binding = true
	err := b.bindFuncBody(f, fb)
	fb.binding = false
	if err != nil {
		delete(b.funcBodies, f.ID)
		return nil, err
	}
	return fb, nil
}

// FuncStatements parses a function's stored body into its statements.
func FuncStatements(f *catalog.Function) ([]*pg.Node, error) {
	res, err := pg.Parse(f.Body)
	if err != nil {
		return nil, syntaxError(err)
	}
	out := make([]*pg.Node, 0, len(res.Stmts))
	for _, st := range res.Stmts {
		out = append(out, st.Stmt)
	}
	return out, nil
}

// bindFuncBody binds f's statements into fb: each a query (SELECT,
// VALUES); the last one's columns checked against, and coerced to, the
// declared result.
func (b *Binder) bindFuncBody(f *catalog.Function, fb *FuncBody) error {
	if f.PL() {
		t := voidType
		if f.Ret.OID != types.OIDVoid && len(f.Out) == 0 {
			var err error
			if t, err = b.argType(f.Ret); err != nil {
				return err
			}
		}
		fb.PL = f
		p := &Project{Input: &One{}}
		if len(f.Out) == 0 {
			p.Exprs, p.Cols = []Expr{&Const{V: types.Null, T: t}}, []Column{{Name: f.Name, T: t}}
		}
		for _, o := range f.Out {
			ot, err := b.argType(o.Type)
			if err != nil {
				return err
			}
			p.Exprs, p.Cols = append(p.Exprs, &Const{V: types.Null, T: ot}), append(p.Cols, Column{Name: o.Name, T: ot})
		}
		fb.Plan = p
		return nil
	}
	stmts, err := FuncStatements(f)
	if err != nil {
		return err
	}
	ps := &scope{}
	cols := make([]Column, len(f.Args))
	for i, p := range f.Args {
		t, err := b.argType(p.Type)
		if err != nil {
			return err
		}
		cols[i] = Column{Name: p.Name, T: t}
	}
	ps.add(f.Name, cols, nil)
	for i := range ps.cols {
		if ps.cols[i].name == "" {
			ps.cols[i].hidden = true // reachable as $n only
		}
	}
	saved := *b
	b.ctes, b.locking, b.topWith = nil, nil, nil
	b.fnStack = append(b.fnStack, &fnFrame{fn: f, params: ps})
	defer func() {
		b.ctes, b.locking, b.topWith, b.Refs, b.FuncRefs, b.ColRefs = saved.ctes, saved.locking, saved.topWith, saved.Refs, saved.FuncRefs, saved.ColRefs
		b.Locking, b.modifying = saved.Locking, saved.modifying
		b.fnStack = b.fnStack[:len(b.fnStack)-1]
	}()
	var nodes []Node
	for _, st := range stmts {
		sel := st.GetSelectStmt()
		if sel == nil {
			switch st.Node.(type) {
			case *pg.Node_InsertStmt, *pg.Node_UpdateStmt, *pg.Node_DeleteStmt, *pg.Node_MergeStmt:
				return pgerr.NotSupported("SQL functions that modify data (%s) are not supported yet", stmtName(st))
			}
			return pgerr.NotSupported("%s is not supported in a SQL function yet", stmtName(st))
		}
		n, err := b.bindSelect(sel, &scope{parent: ps})
		if err != nil {
			return err
		}
		if b.Locking {
			return pgerr.NotSupported("FOR UPDATE in a SQL function is not supported yet")
		}
		nodes = append(nodes, n)
	}
	return b.finishFuncBody(f, fb, nodes)
}

func stmtName(n *pg.Node) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(fmt.Sprintf("%T", n.Node), "*pg_query.Node_"), "*pg_query."), "Stmt")
}

// finishFuncBody checks the last statement's columns against f's declared
// result, as PostgreSQL's check_sql_fn_retval does (42P13), and projects
// them to the declared types (assignment casts).
func (b *Binder) finishFuncBody(f *catalog.Function, fb *FuncBody, nodes []Node) error {
	ret := types.TypeName(f.Ret)
	if len(f.Out) > 1 || f.Table {
		ret = "record"
	}
	mismatch := func(detail string, args ...any) error {
		return pgerr.New(pgerr.InvalidFunctionDefinition, "return type mismatch in function declared to return %s", ret).
			WithDetail(detail, args...)
	}
	if f.Ret.OID == types.OIDVoid {
		fb.Pre = nodes
		fb.Plan = &Project{Input: &One{}, Exprs: []Expr{&Const{V: types.Null, T: voidType}}, Cols: []Column{{Name: f.Name, T: voidType}}}
		return nil
	}
	if len(nodes) == 0 {
		return mismatch("Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING.")
	}
	last := nodes[len(nodes)-1]
	fb.Pre = nodes[:len(nodes)-1]
	want := []Column{{Name: f.Name, T: f.Ret}}
	if len(f.Out) > 0 {
		want = want[:0]
		for _, o := range f.Out {
			want = append(want, Column{Name: o.Name, T: o.Type})
		}
	}
	have := last.Columns()
	if len(have) > len(want) {
		return mismatch("Final statement returns too many columns.")
	}
	if len(have) < len(want) {
		return mismatch("Final statement returns too few columns.")
	}
	p := &Project{Input: last}
	for i, w := range want {
		wt, err := b.argType(w.T)
		if err != nil {
			return err
		}
		var e Expr = &ColRef{Idx: i, T: have[i].T, Name: have[i].Name}
		from := have[i].T
		if !isUnknown(from) && from.OID != wt.OID && !types.CanCast(from, wt, false) {
			if len(want) == 1 {
				return mismatch("Actual return type is %s.", types.TypeName(from))
			}
			return mismatch("Final statement returns %s instead of %s at column %d.", types.TypeName(from), types.TypeName(wt), i+1)
		}
		if e, err = b.coerce(e, wt, false); err != nil {
			return err
		}
		p.Exprs = append(p.Exprs, e)
		p.Cols = append(p.Cols, Column{Name: w.Name, T: wt})
	}
	fb.Plan = p
	fb.Pure = pureNode(p)
	for _, n := range fb.Pre {
		fb.Pure = fb.Pure && pureNode(n)
	}
	return nil
}

// bindFuncParam binds $n inside a function body: the n-th argument, an
// outer reference to the parameters' scope.
func (b *Binder) bindFuncParam(num int, s *scope) (Expr, error) {
	fr := b.fnStack[len(b.fnStack)-1]
	if num > len(fr.fn.Args) {
		return nil, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", num)
	}
	depth := 0
	for cur := s; cur != fr.params; cur = cur.parent {
		if cur == nil {
			return nil, pgerr.New(pgerr.InternalError, "function parameter $%d bound outside its function", num)
		}
		cur.correlated = true
		depth++
	}
	return &OuterRef{Depth: depth, Idx: num - 1, T: fr.params.cols[num-1].t}, nil
}

// ValidateFunction binds f's body against the binder's catalog (which
// holds f), as check_function_bodies does at CREATE FUNCTION: unknown
// tables and columns, and a result that does not match the declared one,
// fail the statement.
func (b *Binder) ValidateFunction(f *catalog.Function) error {
	fb := &FuncBody{}
	if b.funcBodies == nil {
		b.funcBodies = map[uint32]*FuncBody{}
	}
	b.funcBodies[f.ID] = fb
	return b.bindFuncBody(f, fb)
}

// BindUserFuncScan binds a call of a user-defined function in FROM: its
// rows (every row of a set-returning function, one row otherwise).
func (b *Binder) bindUserFuncScan(names []string, fs []*catalog.Function, fc *pg.FuncCall, argScope *scope, alias *pg.Alias, ordinality bool) (*fromItem, error) {
	f, call, err := b.bindUserCallOf(names, fs, fc, argScope)
	if err != nil {
		return nil, err
	}
	var cols []Column
	if len(f.Out) > 0 {
		for _, c := range call.Body.Plan.Columns() {
			cols = append(cols, c)
		}
	} else {
		cols = []Column{{Name: f.Name, T: call.Body.Plan.Columns()[0].T}}
	}
	if f.Ret.OID == types.OIDVoid {
		cols = []Column{{Name: f.Name, T: voidType}}
	}
	fsn := &FuncScan{Name: f.Name, Args: call.Args, Cols: cols, User: call}
	return funcScanItem(fsn, alias, ordinality), nil
}

// CheckFuncDefault binds a parameter's DEFAULT as CREATE FUNCTION does: an
// expression over no row whose type converts to the parameter's implicitly
// (42804).
func (b *Binder) CheckFuncDefault(f *catalog.Function, p catalog.FuncArg) error {
	e, err := b.bindFuncDefault(f, p)
	if err != nil {
		return err
	}
	if containsSubquery(e) {
		return pgerr.New(pgerr.FeatureNotSupported, "cannot use subquery in DEFAULT expression")
	}
	from := e.Type()
	if !isUnknown(from) && from.OID != p.Type.OID && !funcs.CanImplicit(from, p.Type) {
		return pgerr.New(pgerr.DatatypeMismatch, "argument of DEFAULT must be type %s, not type %s", types.TypeName(p.Type), types.TypeName(from))
	}
	_, err = b.coerce(e, p.Type, false)
	return err
}

func containsSubquery(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if _, ok := x.(*Subquery); ok {
			found = true
		}
		return !found
	})
	return found
}

// CallsFunction reports whether the stored expression text (a default, a
// CHECK constraint, a generation expression) calls a function named name,
// unqualified or qualified with schema: what DROP FUNCTION must not leave
// dangling. Any overload of the name counts.
func CallsFunction(text, schema, name string) bool {
	stmts, err := Parse("SELECT " + text)
	if err != nil || len(stmts) != 1 {
		return false
	}
	found := false
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if fc, ok := m.Interface().(*pg.FuncCall); ok {
			names := nodeName(fc.Funcname)
			if names[len(names)-1] == name && (len(names) == 1 || names[0] == schema) {
				found = true
			}
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return !found
		})
	}
	walk(stmts[0].Stmt.ProtoReflect())
	return found
}
