package sql

import (
	"fmt"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// User-defined functions: CREATE [OR REPLACE] FUNCTION … LANGUAGE sql,
// DROP FUNCTION, ALTER FUNCTION … RENAME TO / OWNER TO / volatility and
// strictness. Each is one catalog change (catalog.Function, create_function
// or drop_function); package sql/plan binds a function's body wherever it is
// called (userfunc.go there).

// polymorphicTypes are PostgreSQL's pseudo-types that make a function
// polymorphic; OmenDB's SQL functions are not (yet).
var polymorphicTypes = map[string]bool{
	"anyelement": true, "anyarray": true, "anynonarray": true, "anyenum": true, "anyrange": true,
	"anymultirange": true, "anycompatible": true, "anycompatiblearray": true, "anycompatiblenonarray": true,
	"anycompatiblerange": true, "anycompatiblemultirange": true, "any": true,
}

// funcType resolves a parameter's or result's type name.
func (s *Session) funcType(b *plan.Binder, tn *pg.TypeName, what string) (types.Type, error) {
	names := nodeNames(tn.Names)
	last := strings.ToLower(names[len(names)-1])
	switch {
	case polymorphicTypes[last]:
		return types.Type{}, pgerr.NotSupported("polymorphic functions (%s %s) are not supported yet", what, last)
	case last == "trigger" || last == "event_trigger":
		return types.Type{}, pgerr.NotSupported("trigger functions are not supported yet")
	case last == "internal" || last == "cstring" || last == "language_handler":
		return types.Type{}, pgerr.New(pgerr.InvalidFunctionDefinition, "SQL functions cannot return type %s", last)
	}
	if tn.PctType {
		return types.Type{}, pgerr.NotSupported("%%TYPE in a function's signature is not supported yet")
	}
	return typeOf(b, tn)
}

// functionOptions are CREATE FUNCTION's options that OmenDB keeps.
type functionOptions struct {
	language   string
	body       []string
	volatility string
	strict     bool
}

func (s *Session) readFunctionOptions(opts []*pg.Node, o *functionOptions) error {
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "language":
			o.language = strings.ToLower(defElemString(d))
		case "as":
			for _, it := range d.Arg.GetList().GetItems() {
				o.body = append(o.body, it.GetString_().GetSval())
			}
		case "volatility":
			o.volatility = map[string]string{"immutable": "i", "stable": "s", "volatile": "v"}[defElemString(d)]
		case "strict":
			o.strict = defElemString(d) == "true"
		case "security":
			if defElemString(d) == "true" {
				return pgerr.NotSupported("SECURITY DEFINER functions are not supported yet")
			}
		case "leakproof", "cost", "rows", "parallel":
			// Planner hints and privileges: nothing changes for OmenDB.
		case "set":
			return pgerr.NotSupported("SET clauses of functions are not supported yet")
		case "window":
			return pgerr.NotSupported("window functions written in SQL are not supported")
		case "support":
			return pgerr.NotSupported("SUPPORT functions are not supported")
		default:
			return pgerr.NotSupported("function option %s is not supported yet", d.Defname)
		}
	}
	return nil
}

// createFunction runs CREATE [OR REPLACE] FUNCTION. The body is bound
// against the catalog holding the new function (so it may call itself),
// as PostgreSQL's check_function_bodies does, and its errors are the
// statement's.
func (s *Session) createFunction(cf *pg.CreateFunctionStmt) (string, error) {
	if cf.IsProcedure {
		return "", pgerr.NotSupported("CREATE PROCEDURE is not supported yet")
	}
	var o functionOptions
	if err := s.readFunctionOptions(cf.Options, &o); err != nil {
		return "", err
	}
	switch {
	case o.language == "" && cf.SqlBody != nil:
		o.language = "sql"
	case o.language == "":
		return "", pgerr.New(pgerr.InvalidFunctionDefinition, "no language specified")
	case o.language == "c" || o.language == "internal" || o.language == "plpython3u" || o.language == "plperl" || o.language == "pltcl":
		return "", pgerr.NotSupported("LANGUAGE %s is not supported: OmenDB runs functions written in LANGUAGE sql and plpgsql", o.language)
	case o.language != "sql" && o.language != "plpgsql":
		return "", pgerr.New(pgerr.UndefinedObject, "language %q does not exist", o.language)
	}
	names := nodeNames(cf.Funcname)
	if len(names) > 2 {
		return "", pgerr.New(pgerr.SyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(names, "."))
	}
	qual := ""
	if len(names) == 2 {
		qual = names[0]
	}
	schema, err := s.newObjectSchema(qual)
	if err != nil {
		return "", err
	}
	f := &catalog.Function{Schema: schema, Name: names[len(names)-1], Owner: s.settings["session_authorization"],
		Volatility: o.volatility, Strict: o.strict}
	if o.language == "plpgsql" {
		f.Language = o.language
	}
	if f.Volatility == "v" {
		f.Volatility = ""
	}
	b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
	if err := s.functionParams(b, cf.Parameters, f); err != nil {
		return "", err
	}
	if err := s.functionResult(b, cf, f); err != nil {
		return "", err
	}
	if err := functionBody(cf, &o, f); err != nil {
		return "", err
	}
	if f.PL() {
		if err := checkPLFunction(f); err != nil {
			return "", err
		}
	}
	tag := "CREATE FUNCTION"
	var old *catalog.Function
	for _, g := range s.txn.cat.LookupFunctions(schema, f.Name) {
		if slices.Equal(g.ArgOIDs(), f.ArgOIDs()) {
			old = g
		}
	}
	switch {
	case old != nil && !cf.Replace:
		return "", pgerr.New(pgerr.DuplicateFunction, "function %q already exists with same argument types", f.Name)
	case old != nil:
		if err := replaceable(old, f); err != nil {
			return "", err
		}
		f.ID, f.Comment = old.ID, old.Comment
	default:
		f.ID = s.eng.Store.NewID()
	}
	ch := &catalog.Change{Kind: catalog.CreateFunction, ID: f.ID, Function: f}
	cat, err := s.txn.cat.Apply(ch)
	if err != nil {
		return "", err
	}
	if err := plan.NewBinder(cat, s, s.loc, nil).ValidateFunction(f); err != nil {
		return "", err
	}
	if err := s.ddl(ch); err != nil {
		return "", err
	}
	return tag, nil
}

// functionParams reads the parameter list into f: input parameters (IN,
// INOUT, with their DEFAULTs) and result columns (OUT, INOUT, TABLE).
func (s *Session) functionParams(b *plan.Binder, params []*pg.Node, f *catalog.Function) error {
	seen := map[string]bool{}
	for _, n := range params {
		p := n.GetFunctionParameter()
		if p == nil {
			continue
		}
		t, err := s.funcType(b, p.ArgType, "argument")
		if err != nil {
			return err
		}
		if t.OID == types.OIDVoid || t.OID == types.OIDRecord {
			return pgerr.New(pgerr.InvalidFunctionDefinition, "SQL functions cannot have arguments of type %s", types.TypeName(t))
		}
		if p.Name != "" {
			if seen[p.Name] {
				return pgerr.New(pgerr.InvalidFunctionDefinition, "parameter name %q used more than once", p.Name)
			}
			seen[p.Name] = true
		}
		arg := catalog.FuncArg{Name: p.Name, Type: t}
		mode, ok := map[pg.FunctionParameterMode]string{pg.FunctionParameterMode_FUNC_PARAM_OUT: "o",
			pg.FunctionParameterMode_FUNC_PARAM_INOUT: "b", pg.FunctionParameterMode_FUNC_PARAM_TABLE: "t"}[p.Mode]
		if !ok {
			mode = "i"
		}
		f.Modes += mode
		switch p.Mode {
		case pg.FunctionParameterMode_FUNC_PARAM_VARIADIC:
			return pgerr.NotSupported("VARIADIC parameters are not supported yet")
		case pg.FunctionParameterMode_FUNC_PARAM_OUT, pg.FunctionParameterMode_FUNC_PARAM_TABLE:
			if p.Defexpr != nil {
				return pgerr.New(pgerr.InvalidFunctionDefinition, "only input parameters can have default values")
			}
			f.Out = append(f.Out, arg)
			f.Table = f.Table || p.Mode == pg.FunctionParameterMode_FUNC_PARAM_TABLE
			continue
		case pg.FunctionParameterMode_FUNC_PARAM_INOUT:
			f.Out = append(f.Out, arg)
		}
		if p.Defexpr != nil {
			text, err := deparseExpr(p.Defexpr)
			if err != nil {
				return err
			}
			arg.Default = text
		} else if len(f.Args) > 0 && f.Args[len(f.Args)-1].Default != "" {
			return pgerr.New(pgerr.InvalidFunctionDefinition, "input parameters after one with a default value must also have defaults")
		}
		f.Args = append(f.Args, arg)
	}
	if strings.Trim(f.Modes, "i") == "" {
		f.Modes = ""
	}
	// The defaults are checked now: their type must fit the parameter.
	for _, a := range f.Args {
		if a.Default == "" {
			continue
		}
		if err := b.CheckFuncDefault(f, a); err != nil {
			return err
		}
	}
	return nil
}

// functionResult reads RETURNS type | SETOF type | TABLE (…) into f.
func (s *Session) functionResult(b *plan.Binder, cf *pg.CreateFunctionStmt, f *catalog.Function) error {
	if cf.ReturnType == nil {
		switch len(f.Out) {
		case 0:
			return pgerr.New(pgerr.InvalidFunctionDefinition, "function result type must be specified")
		case 1:
			f.Ret = f.Out[0].Type
		default:
			f.Ret = types.Type{OID: types.OIDRecord, Mod: -1}
		}
		return nil
	}
	if names := nodeNames(cf.ReturnType.Names); f.PL() && strings.EqualFold(names[len(names)-1], "trigger") &&
		(len(names) == 1 || strings.EqualFold(names[0], "pg_catalog")) && !cf.ReturnType.Setof {
		if len(f.Args) > 0 {
			return pgerr.New(pgerr.InvalidFunctionDefinition, "trigger functions cannot have declared arguments").
				WithHint("The arguments of the trigger can be accessed through TG_NARGS and TG_ARGV instead.")
		}
		f.Ret = types.Type{OID: types.OIDTrigger, Mod: -1}
		return nil
	}
	t, err := s.funcType(b, cf.ReturnType, "result")
	if err != nil {
		return err
	}
	f.RetSet = cf.ReturnType.Setof
	f.Ret = t
	switch {
	case len(f.Out) == 1 && !f.Table:
		if f.Ret.OID != f.Out[0].Type.OID {
			return pgerr.New(pgerr.InvalidFunctionDefinition, "function result type must be %s because of OUT parameters", types.TypeName(f.Out[0].Type))
		}
	case len(f.Out) > 0:
		if f.Ret.OID != types.OIDRecord {
			return pgerr.New(pgerr.InvalidFunctionDefinition, "function result type must be record because of OUT parameters")
		}
	case f.Ret.OID == types.OIDRecord:
		return pgerr.NotSupported("functions returning record without OUT parameters are not supported yet")
	}
	return nil
}

// functionBody reads the body: the AS string (kept as written), or the
// SQL-standard BEGIN ATOMIC … END / RETURN expr (kept deparsed).
func functionBody(cf *pg.CreateFunctionStmt, o *functionOptions, f *catalog.Function) error {
	if cf.SqlBody == nil {
		switch len(o.body) {
		case 0:
			return pgerr.New(pgerr.InvalidFunctionDefinition, "no function body specified")
		case 1:
			f.Body = o.body[0]
			return nil
		}
		return pgerr.New(pgerr.InvalidFunctionDefinition, "only one AS item needed for language %q", o.language)
	}
	if len(o.body) > 0 {
		return pgerr.New(pgerr.SyntaxError, "duplicate function body specified")
	}
	f.Atomic = true
	if rs := cf.SqlBody.GetReturnStmt(); rs != nil {
		sel := &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: &pg.SelectStmt{
			TargetList: []*pg.Node{{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: rs.Returnval}}}},
		}}}
		text, err := deparseStmt(sel)
		if err != nil {
			return err
		}
		f.Body, f.Return = text, true
		return nil
	}
	var stmts []string
	for _, outer := range cf.SqlBody.GetList().GetItems() {
		for _, st := range outer.GetList().GetItems() {
			text, err := deparseStmt(st)
			if err != nil {
				return err
			}
			stmts = append(stmts, text+";")
		}
	}
	f.Body = strings.Join(stmts, "\n")
	return nil
}

func deparseStmt(n *pg.Node) (string, error) {
	text, err := pg.Deparse(&pg.ParseResult{Version: parseTreeVersion(), Stmts: []*pg.RawStmt{{Stmt: n}}})
	if err != nil {
		return "", pgerr.New(pgerr.InternalError, "deparse: %v", err)
	}
	return text, nil
}

// replaceable refuses CREATE OR REPLACE changes PostgreSQL refuses: the
// result type, input parameter names, removed defaults.
func replaceable(old, f *catalog.Function) error {
	if old.Ret.OID != f.Ret.OID || old.RetSet != f.RetSet || len(old.Out) != len(f.Out) {
		return pgerr.New(pgerr.InvalidFunctionDefinition, "cannot change return type of existing function").
			WithHint("Use DROP FUNCTION %s first.", old.Signature())
	}
	for i := range old.Out {
		if old.Out[i].Type.OID != f.Out[i].Type.OID || old.Out[i].Name != f.Out[i].Name {
			return pgerr.New(pgerr.InvalidFunctionDefinition, "cannot change return type of existing function").
				WithDetail("Row type defined by OUT parameters is different.").
				WithHint("Use DROP FUNCTION %s first.", old.Signature())
		}
	}
	for i := range old.Args {
		if old.Args[i].Name != "" && old.Args[i].Name != f.Args[i].Name {
			return pgerr.New(pgerr.InvalidFunctionDefinition, "cannot change name of input parameter %q", old.Args[i].Name).
				WithHint("Use DROP FUNCTION %s first.", old.Signature())
		}
	}
	if f.Defaults() < old.Defaults() {
		return pgerr.New(pgerr.InvalidFunctionDefinition, "cannot remove parameter defaults from existing function").
			WithHint("Use DROP FUNCTION %s first.", old.Signature())
	}
	return nil
}

// lookupFunction finds the function an ObjectWithArgs names (DROP, ALTER):
// by its input argument types, or by name alone when no list is given
// (which must then be unique).
func (s *Session) lookupFunction(ow *pg.ObjectWithArgs) (*catalog.Function, error) {
	names := nodeNames(ow.Objname)
	name := names[len(names)-1]
	var cands []*catalog.Function
	switch len(names) {
	case 1:
		for _, p := range s.SearchPath() {
			if cands = s.txn.cat.LookupFunctions(p, name); len(cands) > 0 {
				break
			}
		}
	case 2:
		if !s.txn.cat.SchemaExists(names[0]) {
			return nil, noSchema(names[0])
		}
		cands = s.txn.cat.LookupFunctions(names[0], name)
	default:
		return nil, pgerr.New(pgerr.SyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(names, "."))
	}
	if ow.ArgsUnspecified {
		switch len(cands) {
		case 0:
			return nil, pgerr.New(pgerr.UndefinedFunction, "could not find a function named %q", strings.Join(names, "."))
		case 1:
			return cands[0], nil
		}
		return nil, pgerr.New(pgerr.AmbiguousFunction, "function name %q is not unique", strings.Join(names, ".")).
			WithHint("Specify the argument list to select the function unambiguously.")
	}
	b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
	var oids []types.OID
	var tnames []string
	for _, a := range ow.Objargs {
		tn := a.GetTypeName()
		if tn == nil {
			continue
		}
		t, err := typeOf(b, tn)
		if err != nil {
			return nil, err
		}
		oids = append(oids, t.OID)
		tnames = append(tnames, types.TypeName(t))
	}
	for _, f := range cands {
		if slices.Equal(f.ArgOIDs(), oids) {
			return f, nil
		}
	}
	return nil, pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", strings.Join(names, "."), strings.Join(tnames, ", "))
}

// dropFunctions runs DROP FUNCTION [IF EXISTS] name[(argtypes)], …
// [CASCADE | RESTRICT]: CASCADE drops the views that call them first.
func (s *Session) dropFunctions(d *pg.DropStmt) (string, error) {
	if d.RemoveType == pg.ObjectType_OBJECT_PROCEDURE || d.RemoveType == pg.ObjectType_OBJECT_ROUTINE {
		if !d.MissingOk {
			return "", pgerr.NotSupported("procedures are not supported yet")
		}
	}
	cascade := d.Behavior == pg.DropBehavior_DROP_CASCADE
	for _, obj := range d.Objects {
		ow := obj.GetObjectWithArgs()
		if ow == nil {
			continue
		}
		f, err := s.lookupFunction(ow)
		if err != nil {
			if d.MissingOk && (pgerr.Code(err) == pgerr.UndefinedFunction || pgerr.Code(err) == pgerr.InvalidSchemaName || pgerr.Code(err) == pgerr.UndefinedObject) {
				s.skipMissingFunction(ow, pgerr.Code(err))
				continue
			}
			return "", err
		}
		if err := s.dropFunction(f, cascade); err != nil {
			return "", err
		}
	}
	return "DROP FUNCTION", nil
}

// storedUsers names the column defaults, generation expressions and
// CHECK constraints that call a function named as f (any overload), as
// PostgreSQL's DETAIL names them.
func (s *Session) storedUsers(f *catalog.Function) []string {
	var out []string
	for _, t := range s.txn.cat.Tables() {
		for _, c := range t.Columns {
			if c.Dropped {
				continue
			}
			if c.Default != "" && plan.CallsFunction(c.Default, f.Schema, f.Name) {
				out = append(out, fmt.Sprintf("default value for column %s of table %s depends on function %s", c.Name, t.Name, f.Signature()))
			}
			if c.Generated != "" && plan.CallsFunction(c.Generated, f.Schema, f.Name) {
				out = append(out, fmt.Sprintf("column %s of table %s depends on function %s", c.Name, t.Name, f.Signature()))
			}
		}
		for _, ch := range t.Checks {
			if plan.CallsFunction(ch.Expr, f.Schema, f.Name) {
				out = append(out, fmt.Sprintf("constraint %s on table %s depends on function %s", ch.Name, t.Name, f.Signature()))
			}
		}
	}
	return out
}

// dropFunction drops f, and with cascade the views calling it first. A
// function that column defaults, generation expressions or CHECK
// constraints call is not dropped (2BP01; with CASCADE, which would drop
// them, 0A000).
func (s *Session) dropFunction(f *catalog.Function, cascade bool) error {
	if trs := triggersUsing(s.txn.cat, f.ID); len(trs) > 0 {
		if !cascade {
			for i := range trs {
				trs[i] += " depends on function " + f.Signature()
			}
			return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop function %s because other objects depend on it", f.Signature()).
				WithDetail("%s", strings.Join(trs, "\n")).WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
		if err := s.dropTriggersUsing(f.ID); err != nil {
			return err
		}
	}
	if users := s.storedUsers(f); len(users) > 0 {
		if cascade {
			return pgerr.NotSupported("dropping function %s with the defaults and constraints that call it is not supported yet", f.Signature()).
				WithDetail("%s", strings.Join(users, "\n"))
		}
		return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop function %s because other objects depend on it", f.Signature()).
			WithDetail("%s", strings.Join(users, "\n")).WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	if cascade {
		for _, v := range s.txn.cat.FunctionDependents(f.ID) {
			if err := s.dropDependents(v.ID, true); err != nil {
				return err
			}
			if _, ok := s.txn.cat.View(v.ID); !ok {
				continue
			}
			if err := s.ddl(&catalog.Change{Kind: catalog.DropView, ID: v.ID}); err != nil {
				return err
			}
		}
	}
	return s.ddl(&catalog.Change{Kind: catalog.DropFunction, ID: f.ID})
}

// renameFunction runs ALTER FUNCTION name[(argtypes)] RENAME TO new.
func (s *Session) renameFunction(rs *pg.RenameStmt) (string, error) {
	f, err := s.lookupFunction(rs.Object.GetObjectWithArgs())
	if err != nil {
		if rs.MissingOk && pgerr.Code(err) == pgerr.UndefinedFunction {
			return "ALTER FUNCTION", nil
		}
		return "", err
	}
	for _, g := range s.txn.cat.LookupFunctions(f.Schema, rs.Newname) {
		if slices.Equal(g.ArgOIDs(), f.ArgOIDs()) {
			nf := *g
			nf.Name = rs.Newname
			return "", pgerr.New(pgerr.DuplicateFunction, "function %s already exists in schema %q", nf.Signature(), f.Schema)
		}
	}
	if deps := s.txn.cat.FunctionDependents(f.ID); len(deps) > 0 {
		// Views keep their query as text, which names the function.
		return "", pgerr.NotSupported("renaming function %s, which view %s calls, is not supported yet", f.Signature(), deps[0].Name)
	}
	if users := s.storedUsers(f); len(users) > 0 {
		// So do defaults, generation expressions and CHECK constraints.
		return "", pgerr.NotSupported("renaming function %s is not supported yet: %s", f.Signature(), users[0])
	}
	nf := f.Clone()
	nf.Name = rs.Newname
	if err := s.ddl(&catalog.Change{Kind: catalog.CreateFunction, ID: nf.ID, Function: nf}); err != nil {
		return "", err
	}
	return "ALTER FUNCTION", nil
}

// alterFunctionOwner runs ALTER FUNCTION … OWNER TO role: OmenDB has one
// role, the session user, which already owns every function.
func (s *Session) alterFunctionOwner(as *pg.AlterOwnerStmt) (string, error) {
	f, err := s.lookupFunction(as.Object.GetObjectWithArgs())
	if err != nil {
		return "", err
	}
	owner := s.settings["session_authorization"]
	if r := as.Newowner; r != nil && r.Roletype == pg.RoleSpecType_ROLESPEC_CSTRING && r.Rolename != owner {
		return "", pgerr.New(pgerr.UndefinedObject, "role %q does not exist", r.Rolename)
	}
	if f.Owner == owner {
		return "ALTER FUNCTION", nil
	}
	nf := f.Clone()
	nf.Owner = owner
	return "ALTER FUNCTION", s.ddl(&catalog.Change{Kind: catalog.CreateFunction, ID: nf.ID, Function: nf})
}

// alterFunction runs ALTER FUNCTION … IMMUTABLE | STABLE | VOLATILE |
// [NOT] STRICT | CALLED ON NULL INPUT (and accepts the planner hints).
func (s *Session) alterFunction(af *pg.AlterFunctionStmt) (string, error) {
	if af.Objtype != pg.ObjectType_OBJECT_FUNCTION {
		return "", pgerr.NotSupported("procedures are not supported yet")
	}
	f, err := s.lookupFunction(af.Func)
	if err != nil {
		return "", err
	}
	o := functionOptions{volatility: f.Vol(), strict: f.Strict}
	if err := s.readFunctionOptions(af.Actions, &o); err != nil {
		return "", err
	}
	nf := f.Clone()
	nf.Volatility, nf.Strict = o.volatility, o.strict
	if nf.Volatility == "v" {
		nf.Volatility = ""
	}
	return "ALTER FUNCTION", s.ddl(&catalog.Change{Kind: catalog.CreateFunction, ID: nf.ID, Function: nf})
}

// functionObjects names schema's functions as DROP SCHEMA's DETAIL does.
func (s *Session) functionObjects(schema string) []string {
	var out []string
	for _, f := range s.txn.cat.Functions() {
		if f.Schema == schema {
			out = append(out, fmt.Sprintf("function %s.%s", schema, f.Signature()))
		}
	}
	return out
}
