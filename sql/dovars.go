package sql

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgcatalog"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/types"
)

// DO blocks' variables: DECLARE'd scalars (with their declared types and
// defaults), FOUND, FOR loop variables and records. A statement or
// expression that names one is run with the variable as a parameter ($n,
// typed as declared), as PL/pgSQL substitutes variables in SELECT, INSERT,
// UPDATE, DELETE and MERGE (never in utility statements). A name that is
// also a column of a table the statement reads is ambiguous, as under
// PostgreSQL's default plpgsql.variable_conflict = error.

// plVar is one datum.
type plVar struct {
	name    string
	typName string // as declared; "" for a record
	typ     types.Type
	val     types.Value
	dflt    string // the default expression ("" for none)
	isConst bool
	notNull bool
	// A record: its current row's fields.
	rec      bool
	recNull  bool // a NULL row of a known type (a trigger's OLD on INSERT)
	recCols  []string
	recTypes []types.Type
	recVals  []types.Value
	// A row (SELECT … INTO a, b): the datums it assigns.
	row []int
	// A record's field (NEW.col := …): its name and the record's dno.
	field  string
	parent int
}

type plVarDatum struct {
	Refname  string `json:"refname"`
	IsConst  bool   `json:"isconst"`
	NotNull  bool   `json:"notnull"`
	Datatype struct {
		Type struct {
			Typname string `json:"typname"`
		} `json:"PLpgSQL_type"`
	} `json:"datatype"`
	Default *plExpr `json:"default_val"`
	Fields  []struct {
		Varno int `json:"varno"`
	} `json:"fields"`
	Field  string `json:"fieldname"`
	Parent int    `json:"recparentno"`
}

// declare adds datum d (in dno order).
func (r *plRun) declare(d map[string]json.RawMessage) error {
	for k, raw := range d {
		var v plVarDatum
		plDecode(r, raw, &v)
		pv := &plVar{name: strings.ToLower(v.Refname), isConst: v.IsConst, notNull: v.NotNull}
		switch k {
		case "PLpgSQL_var":
			pv.typName = v.Datatype.Type.Typname
			if v.Default != nil {
				pv.dflt = v.Default.Expr.Query
			}
		case "PLpgSQL_rec":
			pv.rec = true
		case "PLpgSQL_row":
			for _, f := range v.Fields {
				pv.row = append(pv.row, f.Varno)
			}
		case "PLpgSQL_recfield":
			pv.name = "" // resolved through its record
			pv.field, pv.parent = strings.ToLower(v.Field), v.Parent
		default:
			return pgerr.NotSupported("%s variables in %s are not supported yet", strings.TrimPrefix(k, "PLpgSQL_"), r.where())
		}
		r.vars = append(r.vars, pv)
	}
	return nil
}

// initVars resolves the declared types and evaluates the defaults, in
// order (a default may name an earlier variable).
func (r *plRun) initVars(ctx context.Context) error {
	for i, v := range r.vars {
		switch {
		case i < r.nparams:
			continue // a function's parameter: its argument
		case v.name == "found" && i == r.nparams:
			v.typ, v.val = types.Bool, types.NewBool(false)
			continue
		case v.name == "sqlstate" || v.name == "sqlerrm":
			v.typ, v.val = types.Text, types.Null
			continue
		case v.rec || v.row != nil || v.name == "":
			continue
		}
		_, t, err := r.typed(ctx, "NULL::"+v.typName)
		if err != nil {
			return err
		}
		v.typ, v.val = t, types.Null
		if v.dflt != "" {
			if err := r.assign(ctx, i, v.dflt); err != nil {
				return err
			}
		} else if v.notNull {
			return pgerr.New(pgerr.NullValueNotAllowed, "variable %q must have a default value, since it's declared NOT NULL", v.name)
		}
	}
	return nil
}

// assign evaluates expr and stores it in variable dno, cast to its type
// (PostgreSQL's assignment cast).
func (r *plRun) assign(ctx context.Context, dno int, expr string) error {
	v := r.vars[dno]
	val, _, err := r.typed(ctx, "CAST(("+expr+") AS "+v.typName+")")
	if err != nil {
		return err
	}
	if val.IsNull() && v.notNull {
		return pgerr.New(pgerr.NullValueNotAllowed, "null value cannot be assigned to variable %q declared NOT NULL", v.name)
	}
	v.val = val
	return nil
}

// assignField evaluates expr into field v.field of its record, cast to
// the field's type.
func (r *plRun) assignField(ctx context.Context, v *plVar, expr string) error {
	if v.parent < 0 || v.parent >= len(r.vars) || !r.vars[v.parent].rec {
		return pgerr.NotSupported("assignment to this target in %s is not supported yet", r.where())
	}
	rec := r.vars[v.parent]
	if rec.recCols == nil {
		return pgerr.New("55000", "record %q is not assigned yet", rec.name).
			WithDetail("The tuple structure of a not-yet-assigned record is indeterminate.")
	}
	for j, c := range rec.recCols {
		if c != v.field {
			continue
		}
		val, _, err := r.typed(ctx, "CAST(("+expr+") AS "+types.TypeName(rec.recTypes[j])+")")
		if err != nil {
			return err
		}
		rec.recVals[j], rec.recNull = val, false
		return nil
	}
	return pgerr.New(pgerr.UndefinedColumn, "record %q has no field %q", rec.name, v.field)
}

// setFound sets FOUND.
func (r *plRun) setFound(b bool) {
	if len(r.vars) > r.nparams && r.vars[r.nparams].name == "found" {
		r.vars[r.nparams].val = types.NewBool(b)
	}
}

// where names the code running, for messages.
func (r *plRun) where() string {
	if r.fn != nil {
		return "PL/pgSQL functions"
	}
	return "DO blocks"
}

// lookupVar finds the variable (or record field) a column reference
// names: its value and type.
func (r *plRun) lookupVar(fields []string) (types.Value, types.Type, bool, error) {
	if len(fields) == 0 || len(fields) > 2 {
		return types.Null, types.Type{}, false, nil
	}
	name := strings.ToLower(fields[0])
	for i := len(r.vars) - 1; i >= 0; i-- {
		v := r.vars[i]
		if v.name != name || v.row != nil {
			continue
		}
		if len(fields) == 1 {
			if v.rec {
				return types.Null, types.Type{}, false, pgerr.NotSupported("a whole record in an expression is not supported yet")
			}
			if (name == "sqlstate" || name == "sqlerrm") && len(r.caught) > 0 {
				e := r.caught[len(r.caught)-1]
				return types.NewText(map[bool]string{true: e.Code, false: e.Message}[name == "sqlstate"]), types.Text, true, nil
			}
			return v.val, v.typ, true, nil
		}
		if !v.rec {
			return types.Null, types.Type{}, false, nil
		}
		if v.recCols == nil {
			return types.Null, types.Type{}, false, pgerr.New("55000", "record %q is not assigned yet", v.name).
				WithDetail("The tuple structure of a not-yet-assigned record is indeterminate.")
		}
		for j, c := range v.recCols {
			if c == strings.ToLower(fields[1]) {
				return v.recVals[j], v.recTypes[j], true, nil
			}
		}
		return types.Null, types.Type{}, false, pgerr.New(pgerr.UndefinedColumn, "record %q has no field %q", v.name, fields[1])
	}
	return types.Null, types.Type{}, false, nil
}

// prepare parses sql and, for SELECT, INSERT, UPDATE, DELETE and MERGE
// (and expressions, SELECT expr), replaces the variables it names with
// parameters; the handler's SQLSTATE and SQLERRM are variables too.
func (r *plRun) prepare(ctx context.Context, sql string) ([]pgwire.Statement, []types.Value, error) {
	if r.fn == nil {
		sts, params, _, err := r.rewrite(ctx, sql)
		return sts, params, err
	}
	// A function's statement is prepared once per session and call depth
	// (a recursive call runs its own copies; plPrepared), then only bound
	// to the variables' current values.
	key := plStmtKey{fn: r.fn, sql: sql, depth: r.s.plDepth}
	if r.trig != nil {
		key.table = r.trig.t // NEW and OLD have its columns' types
	}
	if p, ok := r.s.plStmts[key]; ok {
		params, err := r.bindRefs(p.refs)
		return p.sts, params, err
	}
	sts, params, refs, err := r.rewrite(ctx, sql)
	if err != nil {
		return nil, nil, err
	}
	if r.s.plStmts == nil || len(r.s.plStmts) >= maxPLStmts {
		r.s.plStmts = map[plStmtKey]*plPrepared{}
	}
	r.s.plStmts[key] = &plPrepared{sts: sts, refs: refs}
	return sts, params, nil
}

// plStmtKey names a PL/pgSQL function's prepared statement in its
// session: the function (a replaced one is a new *catalog.Function), the
// statement's text, the call depth it runs at and, for a trigger, the
// table definition it fires for (a changed one is a new *catalog.Table).
type plStmtKey struct {
	fn    *catalog.Function
	table *catalog.Table
	sql   string
	depth int
}

// maxPLStmts bounds a session's prepared PL/pgSQL statements (the cache
// starts over past it).
const maxPLStmts = 4096

// plPrepared is a function's statement as prepare rewrote it: refs says
// where each of its parameters comes from.
type plPrepared struct {
	sts  []pgwire.Statement
	refs []plRef
}

// plRef is one parameter of a rewritten statement: a variable or record
// field (fields), or the function's parameter $param.
type plRef struct {
	fields []string
	param  int
}

// bindRefs reads the parameters' current values.
func (r *plRun) bindRefs(refs []plRef) ([]types.Value, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	params := make([]types.Value, len(refs))
	for i, ref := range refs {
		if ref.fields == nil {
			params[i] = r.vars[ref.param-1].val
			continue
		}
		v, _, found, err := r.lookupVar(ref.fields)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, pgerr.New(pgerr.InternalError, "PL/pgSQL: variable %s vanished", strings.Join(ref.fields, "."))
		}
		params[i] = v
	}
	return params, nil
}

// rewrite parses sql and, for SELECT, INSERT, UPDATE, DELETE and MERGE,
// replaces the variables it names with parameters, returning the prepared
// statements, the parameters' values and where each comes from.
func (r *plRun) rewrite(ctx context.Context, sql string) ([]pgwire.Statement, []types.Value, []plRef, error) {
	tree, err := pg.Parse(sql)
	if err != nil || len(tree.Stmts) != 1 {
		sts, err := r.s.Prepare(ctx, sql, nil) // its own error, or several statements: as they are
		return sts, nil, nil, err
	}
	switch tree.Stmts[0].Stmt.Node.(type) {
	case *pg.Node_SelectStmt, *pg.Node_InsertStmt, *pg.Node_UpdateStmt, *pg.Node_DeleteStmt, *pg.Node_MergeStmt:
	default:
		sts, err := r.s.Prepare(ctx, sql, nil)
		return sts, nil, nil, err
	}
	var refs []plRef
	var params []types.Value
	var oids []types.OID
	var tables []string
	var failed error
	r.refs = r.refs[:0]
	made := map[*pg.ParamRef]bool{} // the $n this walk wrote
	pgcatalog.WalkMessages(tree.ProtoReflect(), func(m protoreflect.Message) {
		if failed != nil {
			return
		}
		if rv, ok := m.Interface().(*pg.RangeVar); ok {
			tables = append(tables, rv.Schemaname+"."+rv.Relname)
		}
		if pr, ok := m.Interface().(*pg.ParamRef); ok && !made[pr] {
			// A function's $n: its n-th parameter.
			if pr.Number < 1 || int(pr.Number) > r.nparams {
				failed = pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", pr.Number)
				return
			}
			v := r.vars[pr.Number-1]
			params, oids = append(params, v.val), append(oids, v.typ.OID)
			refs = append(refs, plRef{param: int(pr.Number)})
			pr.Number = int32(len(params))
			made[pr] = true
			return
		}
		n, ok := m.Interface().(*pg.Node)
		cr := n.GetColumnRef()
		if !ok || cr == nil {
			return
		}
		var fields []string
		for _, f := range cr.Fields {
			fields = append(fields, f.GetString_().GetSval())
		}
		val, t, found, err := r.lookupVar(fields)
		if err != nil || !found {
			failed = err
			return
		}
		// The node becomes $n; the walk goes on below it (a ParamRef).
		params, oids = append(params, val), append(oids, t.OID)
		refs = append(refs, plRef{fields: fields})
		pr := &pg.ParamRef{Number: int32(len(params)), Location: cr.Location}
		made[pr] = true
		n.Node = &pg.Node_ParamRef{ParamRef: pr}
		if len(fields) == 1 {
			r.noteRef(fields[0])
		}
	})
	if failed != nil {
		return nil, nil, nil, failed
	}
	if len(params) == 0 {
		sts, err := r.s.Prepare(ctx, sql, nil)
		return sts, nil, nil, err
	}
	if err := r.ambiguous(tables); err != nil {
		return nil, nil, nil, err
	}
	text, err := pg.Deparse(tree)
	if err != nil {
		return nil, nil, nil, pgerr.New(pgerr.InternalError, "DO: %v", err)
	}
	sts, err := r.s.Prepare(ctx, text, oids)
	return sts, params, refs, err
}

// noteRef records a variable name substituted into the statement being
// prepared (ambiguous checks them against its tables' columns).
func (r *plRun) noteRef(name string) { r.refs = append(r.refs, strings.ToLower(name)) }

// ambiguous fails, as PostgreSQL does, when a variable the statement
// names is also a column of one of its tables.
func (r *plRun) ambiguous(tables []string) error {
	cat := r.s.catalog()
	for _, q := range tables {
		schema, name, _ := strings.Cut(q, ".")
		if schema == "" {
			schema = cat.ResolvePath(r.s.tempSchema, r.s.SearchPath(), "", name)
		}
		t, ok := cat.Lookup(schema, name)
		if !ok {
			continue
		}
		for _, v := range r.refs {
			if t.ColumnIndex(v) >= 0 {
				return pgerr.New("42702", "column reference %q is ambiguous", v).
					WithDetail("It could refer to either a PL/pgSQL variable or a table column.")
			}
		}
	}
	return nil
}

// caseStmt runs CASE: the first WHEN whose condition holds, else ELSE,
// else 20000 (case not found).
func (r *plRun) caseStmt(ctx context.Context, c *plCase) error {
	if c.TExpr != nil {
		if c.TVarno < 0 || c.TVarno >= len(r.vars) {
			return pgerr.New(pgerr.InternalError, "PL/pgSQL: bad CASE variable")
		}
		v, t, err := r.typed(ctx, c.TExpr.Expr.Query)
		if err != nil {
			return err
		}
		cv := r.vars[c.TVarno]
		cv.val, cv.typ, cv.typName = v, t, types.TypeName(t)
	}
	for _, w := range c.Whens {
		ok, err := r.cond(ctx, w.W.Expr.Expr.Query)
		if err != nil {
			return err
		}
		if ok {
			return r.stmts(ctx, w.W.Stmts)
		}
	}
	if c.HaveElse {
		return r.stmts(ctx, c.Else)
	}
	return pgerr.New("20000", "case not found").WithHint("CASE statement is missing ELSE part.")
}

// foreach runs FOREACH var IN ARRAY expr LOOP: the body once per element
// (a multidimensional array's in storage order), each cast to the
// variable's type.
func (r *plRun) foreach(ctx context.Context, f *plForeach) error {
	arr, at, err := r.typed(ctx, f.Expr.Expr.Query)
	if err != nil {
		return err
	}
	if arr.IsNull() {
		return pgerr.New(pgerr.NullValueNotAllowed, "FOREACH expression must not be null")
	}
	if !types.IsArrayType(at) {
		return pgerr.New(pgerr.DatatypeMismatch, "FOREACH expression must yield an array, not type %s", types.TypeName(at))
	}
	if f.Varno < 0 || f.Varno >= len(r.vars) || r.vars[f.Varno].typName == "" {
		return pgerr.NotSupported("this FOREACH target in %s is not supported yet", r.where())
	}
	elems, err := types.ArrayElems(arr, nil)
	if err != nil {
		return err
	}
	et := types.ElemType(at)
	v := r.vars[f.Varno]
	for _, e := range elems {
		if err := ctx.Err(); err != nil {
			return pgerr.New("57014", "canceling statement due to user request")
		}
		val := e
		if !e.IsNull() && et.OID != v.typ.OID {
			if val, err = types.Cast(e, et, v.typ, false, r.s.loc); err != nil {
				return err
			}
		}
		v.val = val
		if brk, err := loopJump(r.stmts(ctx, f.Body), f.Label); err != nil {
			return err
		} else if brk {
			break
		}
	}
	return nil
}

// fori runs FOR i IN [REVERSE] lower .. upper [BY step] LOOP.
func (r *plRun) fori(ctx context.Context, raw json.RawMessage) error {
	var f struct {
		Var struct {
			V struct {
				Refname string `json:"refname"`
			} `json:"PLpgSQL_var"`
		} `json:"var"`
		Lower   plExpr   `json:"lower"`
		Upper   plExpr   `json:"upper"`
		Step    *plExpr  `json:"step"`
		Reverse bool     `json:"reverse"`
		Label   string   `json:"label"`
		Body    []plNode `json:"body"`
	}
	plDecode(r, raw, &f)
	bound := func(what, e string) (int64, error) {
		v, err := r.value(ctx, "CAST(("+e+") AS integer)")
		if err != nil {
			return 0, err
		}
		if v.IsNull() {
			return 0, pgerr.New(pgerr.NullValueNotAllowed, "%s of FOR loop cannot be null", what)
		}
		return v.I, nil
	}
	lo, err := bound("lower bound", f.Lower.Expr.Query)
	if err != nil {
		return err
	}
	hi, err := bound("upper bound", f.Upper.Expr.Query)
	if err != nil {
		return err
	}
	step := int64(1)
	if f.Step != nil {
		if step, err = bound("BY value", f.Step.Expr.Query); err != nil {
			return err
		}
		if step <= 0 {
			return pgerr.New(pgerr.InvalidParameterValue, "BY value of FOR loop must be greater than zero")
		}
	}
	v := r.loopVar(f.Var.V.Refname, types.Int4)
	found := false
	for i := lo; f.Reverse && i >= hi || !f.Reverse && i <= hi; {
		if err := ctx.Err(); err != nil { // an empty body never reaches stmt's check
			return pgerr.New("57014", "canceling statement due to user request")
		}
		found = true
		v.val = types.NewInt(i)
		if brk, err := loopJump(r.stmts(ctx, f.Body), f.Label); err != nil {
			return err
		} else if brk {
			break
		}
		if f.Reverse {
			i -= step
		} else {
			i += step
		}
	}
	r.setFound(found)
	return nil
}

// loopVar is the integer FOR loop's variable: the datum the loop declares
// (the innermost of its name).
func (r *plRun) loopVar(name string, t types.Type) *plVar {
	i := r.varIndex(name)
	if i < 0 || r.vars[i].rec {
		v := &plVar{name: strings.ToLower(name)}
		r.vars = append(r.vars, v)
		i = len(r.vars) - 1
	}
	r.vars[i].typ, r.vars[i].typName = t, "integer"
	return r.vars[i]
}

// fors runs FOR target IN query LOOP: the rows are read first, then the
// body runs once per row.
func (r *plRun) fors(ctx context.Context, raw json.RawMessage) error {
	var f struct {
		Var   map[string]json.RawMessage `json:"var"`
		Query plExpr                     `json:"query"`
		Label string                     `json:"label"`
		Body  []plNode                   `json:"body"`
	}
	plDecode(r, raw, &f)
	cols, typs, rows, err := r.query(ctx, f.Query.Expr.Query)
	if err != nil {
		return err
	}
	var v plVarDatum
	var target *plVar
	for k, raw := range f.Var {
		plDecode(r, raw, &v)
		switch k {
		case "PLpgSQL_rec":
			for i := len(r.vars) - 1; i >= 0; i-- {
				if r.vars[i].rec && r.vars[i].name == strings.ToLower(v.Refname) {
					target = r.vars[i]
					break
				}
			}
		case "PLpgSQL_row":
			target = &plVar{}
			for _, fl := range v.Fields {
				target.row = append(target.row, fl.Varno)
			}
		case "PLpgSQL_var":
			target = &plVar{row: []int{r.varIndex(v.Refname)}}
		}
	}
	if target == nil {
		return pgerr.NotSupported("this FOR loop target in %s is not supported yet", r.where())
	}
	for _, row := range rows {
		if err := r.store(ctx, target, cols, typs, row); err != nil {
			return err
		}
		if brk, err := loopJump(r.stmts(ctx, f.Body), f.Label); err != nil {
			return err
		} else if brk {
			break
		}
	}
	r.setFound(len(rows) > 0)
	return nil
}

// varIndex is the dno of the innermost variable named name (-1: none).
func (r *plRun) varIndex(name string) int {
	name = strings.ToLower(name)
	for i := len(r.vars) - 1; i >= 0; i-- {
		if r.vars[i].name == name {
			return i
		}
	}
	return -1
}

// store puts a row into a record or a row of variables (SELECT … INTO,
// FOR … IN query); a nil row stores NULLs.
func (r *plRun) store(ctx context.Context, target *plVar, cols []string, typs []types.Type, row []types.Value) error {
	if target.rec {
		target.recCols, target.recTypes, target.recNull = cols, typs, false
		target.recVals = make([]types.Value, len(cols))
		for i := range cols {
			target.recVals[i] = types.Null
			if row != nil {
				target.recVals[i] = row[i]
			}
		}
		return nil
	}
	for i, dno := range target.row {
		if dno < 0 || dno >= len(r.vars) {
			return pgerr.New(pgerr.InternalError, "DO: bad INTO target")
		}
		v := r.vars[dno]
		if row == nil || i >= len(row) || row[i].IsNull() {
			v.val = types.Null
			continue
		}
		// Cast to the variable's type, as an assignment does.
		val, _, err := r.typedParams(ctx, "SELECT CAST($1 AS "+v.typName+")", []types.Value{row[i]}, []types.OID{typs[i].OID})
		if err != nil {
			return err
		}
		v.val = val
	}
	return nil
}

// query runs a row-returning statement and returns all of its rows.
func (r *plRun) query(ctx context.Context, sql string) ([]string, []types.Type, [][]types.Value, error) {
	sts, params, err := r.prepare(ctx, sql)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(sts) != 1 {
		return nil, nil, nil, pgerr.New(pgerr.SyntaxError, "query %q is not a single statement", sql)
	}
	res, err := sts[0].Execute(ctx, params)
	if err != nil {
		return nil, nil, nil, err
	}
	defer res.Close()
	var cols []string
	var typs []types.Type
	for _, c := range res.Columns() {
		cols, typs = append(cols, strings.ToLower(c.Name)), append(typs, c.Type)
	}
	var rows [][]types.Value
	for {
		row, err := res.Next(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		if row == nil {
			break
		}
		rows = append(rows, append([]types.Value(nil), row...))
	}
	r.rowCount = int64(len(rows))
	return cols, typs, rows, nil
}

// typedParams evaluates sql (one value) with explicit parameters.
func (r *plRun) typedParams(ctx context.Context, sql string, params []types.Value, oids []types.OID) (types.Value, types.Type, error) {
	sts, err := r.s.Prepare(ctx, sql, oids)
	if err != nil {
		return types.Null, types.Type{}, err
	}
	return firstValue(ctx, sts, params, sql)
}

// rowsAffected reads a command tag's row count ("UPDATE 3", "INSERT 0 2").
func rowsAffected(tag string) int64 {
	f := strings.Fields(tag)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
	return n
}
