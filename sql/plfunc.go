package sql

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unsafe"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// PL/pgSQL functions: CREATE FUNCTION … LANGUAGE plpgsql. The body is
// parsed by PostgreSQL's own PL/pgSQL parser when the function is created
// (a syntax error, or a statement the interpreter does not run, fails the
// CREATE) and run by the DO blocks' interpreter (do.go, dovars.go) at every
// call: the parameters are its first datums — by name and as $n — and
// RETURN's value, cast to the declared result type, is the call's value.
// A call runs in the calling statement's transaction; the executor reaches
// it through exec.Session.CallPL (plan.FuncBody.PL), which returns rows:
// one value, the OUT parameters' values, or what RETURN NEXT and RETURN
// QUERY gave a set-returning function. Functions returning trigger run
// from triggers only (trigger.go). RETURN NEXT of a plain variable (the
// parse tree pg_query gives does not say which), RETURN QUERY EXECUTE and
// record results without OUT parameters fail with 0A000.

// plFunc is a PL/pgSQL function's parsed body. memo holds its nodes as
// the interpreter decoded them (plDecode): a call decodes nothing twice.
type plFunc struct {
	datums []map[string]json.RawMessage
	action plNode
	memo   sync.Map // plMemoKey → the decoded value
}

// plMemoKey names one decoding of one node of a parse tree: the node's
// bytes (in the cached tree, never modified) and the type decoded into.
type plMemoKey struct {
	p *byte
	n int
	t reflect.Type
}

// plDecode unmarshals raw, a node of r's parse tree, into out. For a
// function the result is memoized in its plFunc (shared and read-only:
// the interpreter never modifies what it decoded); a DO block's tree is
// decoded as it runs.
func plDecode[T any](r *plRun, raw json.RawMessage, out *T) {
	if r.memo == nil || len(raw) == 0 {
		_ = json.Unmarshal(raw, out)
		return
	}
	key := plMemoKey{p: unsafe.SliceData(raw), n: len(raw), t: reflect.TypeFor[T]()}
	if v, ok := r.memo.Load(key); ok {
		*out = v.(T)
		return
	}
	_ = json.Unmarshal(raw, out)
	r.memo.Store(key, *out)
}

// plFuncs caches parsed bodies by the catalog's function (a replaced
// function is a new *catalog.Function). Parse trees are read-only.
var plFuncs sync.Map // *catalog.Function → *plFunc

// maxPLDepth bounds PL/pgSQL calls nested in one session (recursion): past
// it a call fails with 54001 instead of exhausting the goroutine's stack.
const maxPLDepth = 200

// plSource is a CREATE FUNCTION statement for f that PostgreSQL's PL/pgSQL
// parser compiles: its parameters (named and moded as declared) and result.
func plSource(f *catalog.Function) string {
	var sb strings.Builder
	sb.WriteString("CREATE FUNCTION omendb_fn(")
	var table []string
	n := 0
	for _, p := range f.Params() {
		decl := types.TypeName(p.Type)
		if p.Name != "" {
			decl = types.QuoteIdent(p.Name) + " " + decl
		}
		if p.Mode == 't' {
			table = append(table, decl)
			continue
		}
		if n > 0 {
			sb.WriteString(", ")
		}
		n++
		switch p.Mode {
		case 'o':
			sb.WriteString("OUT ")
		case 'b':
			sb.WriteString("INOUT ")
		}
		sb.WriteString(decl)
	}
	sb.WriteString(")")
	switch {
	case f.Table:
		sb.WriteString(" RETURNS TABLE (" + strings.Join(table, ", ") + ")")
	case len(f.Out) > 0 && f.RetSet:
		sb.WriteString(" RETURNS SETOF " + types.TypeName(f.Ret))
	case len(f.Out) > 0:
	case f.Ret.OID == types.OIDVoid:
		sb.WriteString(" RETURNS void")
	case f.RetSet:
		sb.WriteString(" RETURNS SETOF " + types.TypeName(f.Ret))
	default:
		sb.WriteString(" RETURNS " + types.TypeName(f.Ret))
	}
	tag := "$omendb_fn$"
	for strings.Contains(f.Body, tag) {
		tag = tag[:len(tag)-1] + "x$"
	}
	sb.WriteString(" LANGUAGE plpgsql AS " + tag + f.Body + tag)
	return sb.String()
}

// parsePL parses f's body (cached).
func parsePL(f *catalog.Function) (*plFunc, error) {
	if p, ok := plFuncs.Load(f); ok {
		return p.(*plFunc), nil
	}
	p, err := compilePL(plSource(f))
	if err != nil {
		return nil, err
	}
	if len(p.datums) < len(f.Params()) {
		return nil, pgerr.New(pgerr.InternalError, "function %s: %d datums for %d parameters", f.Name, len(p.datums), len(f.Params()))
	}
	plFuncs.Store(f, p)
	return p, nil
}

// compilePL parses a CREATE FUNCTION … LANGUAGE plpgsql statement with
// PostgreSQL's PL/pgSQL parser, its errors given PostgreSQL's SQLSTATEs.
func compilePL(source string) (*plFunc, error) {
	j, err := pg.ParsePlPgSqlToJSON(source)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "ERROR: ")
		code := pgerr.SyntaxError
		switch {
		case strings.HasPrefix(msg, "unrecognized exception condition"):
			code = pgerr.UndefinedObject // as plpgsql_recognize_err_condition
		case strings.HasPrefix(msg, "cannot use RETURN"), strings.HasPrefix(msg, "RETURN cannot have a parameter"),
			strings.HasPrefix(msg, "RETURN NEXT cannot have a parameter"), strings.HasPrefix(msg, "RETURN must specify"):
			code = pgerr.DatatypeMismatch // as PostgreSQL's PL/pgSQL compiler reports them
		}
		return nil, pgerr.New(code, "%s", msg)
	}
	var fns []struct {
		Fn struct {
			Datums []map[string]json.RawMessage `json:"datums"`
			Action plNode                       `json:"action"`
		} `json:"PLpgSQL_function"`
	}
	if err := json.Unmarshal([]byte(j), &fns); err != nil || len(fns) != 1 {
		return nil, pgerr.New(pgerr.InternalError, "unexpected PL/pgSQL parse tree: %v", err)
	}
	return &plFunc{datums: fns[0].Fn.Datums, action: fns[0].Fn.Action}, nil
}

// enterPL starts a call of PL/pgSQL function f (a function or a
// trigger's): its parsed body, and the call's end to defer. Calls nested
// past maxPLDepth fail with 54001.
func (s *Session) enterPL(f *catalog.Function) (*plFunc, func(), error) {
	if s.plDepth >= maxPLDepth {
		return nil, nil, pgerr.New(pgerr.StatementTooComplex, "stack depth limit exceeded").
			WithHint("PL/pgSQL functions and triggers call each other more than %d deep.", maxPLDepth)
	}
	p, err := parsePL(f)
	if err != nil {
		return nil, nil, err
	}
	s.plDepth++
	return p, func() { s.plDepth-- }, nil
}

// checkPLFunction is CREATE FUNCTION's validation of a PL/pgSQL function:
// the signatures the interpreter runs, and a body that parses and uses
// only statements it runs.
func checkPLFunction(f *catalog.Function) error {
	switch {
	case f.Atomic:
		return pgerr.New(pgerr.InvalidFunctionDefinition, "inline SQL function body only valid for language SQL")
	case f.Ret.OID == types.OIDRecord && len(f.Out) == 0:
		return pgerr.NotSupported("PL/pgSQL functions returning record are not supported yet")
	}
	p, err := parsePL(f)
	if err != nil {
		return err
	}
	plFuncs.Delete(f) // the catalog's copy is a new pointer: cached at its first call
	return checkPL(p.action, plCheck{where: "PL/pgSQL functions", void: f.Ret.OID == types.OIDVoid || len(f.Out) > 0,
		setof: f.RetSet, out: len(f.Out) > 0})
}

// CallPL runs PL/pgSQL function f with args (one per input parameter, of
// its type) in the session's current transaction (exec.Session): its rows —
// one row of one value for a scalar function, one of its OUT parameters'
// values, or every row RETURN NEXT and RETURN QUERY gave a set-returning
// one.
func (s *Session) CallPL(ctx context.Context, f *catalog.Function, args []types.Value) ([][]types.Value, error) {
	if s.txn == nil {
		return nil, pgerr.New(pgerr.InternalError, "PL/pgSQL function %s called outside a transaction", f.Name)
	}
	p, end, err := s.enterPL(f)
	if err != nil {
		return nil, err
	}
	defer end()
	params := f.Params()
	r := &plRun{s: s, fn: f, params: params, nparams: len(params), memo: &p.memo}
	if f.Ret.OID != types.OIDVoid && len(f.Out) == 0 {
		// Without its modifier: PostgreSQL does not apply a declared
		// result's typmod (numeric(10,2), varchar(3)).
		r.retType = types.TypeName(types.Type{OID: f.Ret.OID, Mod: -1})
	}
	for _, d := range p.datums {
		if err := r.declare(d); err != nil {
			return nil, err
		}
	}
	in := 0
	for i, pa := range params {
		v := r.vars[i]
		v.typ, v.typName, v.val = pa.Type, types.TypeName(pa.Type), types.Null
		if pa.Mode == 'i' || pa.Mode == 'b' {
			v.val = args[in]
			in++
		}
		if pa.Name == "" {
			v.name = "" // reachable as $n only
		}
	}
	if err := r.initVars(ctx); err != nil {
		return nil, err
	}
	err = r.stmt(ctx, p.action)
	switch {
	case isJump(err):
		return nil, pgerr.New(pgerr.SyntaxError, "EXIT cannot be used outside a loop, unless it has a label")
	case err != nil && err != errPLReturn:
		return nil, err
	case f.RetSet:
		return r.rows, nil
	case len(f.Out) > 0:
		return [][]types.Value{r.outRow()}, nil
	case f.Ret.OID == types.OIDVoid:
		return [][]types.Value{{types.NewText("")}}, nil // void's one value, not NULL
	case !r.returned:
		return nil, pgerr.New("2F005", "control reached end of function without RETURN")
	}
	return [][]types.Value{{r.ret}}, nil
}

// outRow is the current values of a function's OUT parameters.
func (r *plRun) outRow() []types.Value {
	var row []types.Value
	for i, pa := range r.params {
		if pa.Mode != 'i' {
			row = append(row, r.vars[i].val)
		}
	}
	return row
}

// returnNext is RETURN NEXT [expr]: a row of a set-returning function's
// result.
func (r *plRun) returnNext(ctx context.Context, expr *plExpr) error {
	if expr == nil {
		r.rows = append(r.rows, r.outRow())
		return nil
	}
	v, err := r.value(ctx, "CAST(("+expr.Expr.Query+") AS "+types.TypeName(types.Type{OID: r.fn.Ret.OID, Mod: -1})+")")
	if err != nil {
		return err
	}
	r.rows = append(r.rows, []types.Value{v})
	return nil
}

// returnQuery is RETURN QUERY query: its rows join the result, each value
// cast to its result column's type.
func (r *plRun) returnQuery(ctx context.Context, query string) error {
	_, typs, rows, err := r.query(ctx, query)
	if err != nil {
		return err
	}
	want := []types.Type{{OID: r.fn.Ret.OID, Mod: -1}}
	if len(r.fn.Out) > 0 {
		want = want[:0]
		for _, o := range r.fn.Out {
			want = append(want, o.Type)
		}
	}
	if len(typs) != len(want) {
		return pgerr.New(pgerr.DatatypeMismatch, "structure of query does not match function result type").
			WithDetail("Number of returned columns (%d) does not match expected column count (%d).", len(typs), len(want))
	}
	for _, row := range rows {
		for i, v := range row {
			if typs[i].OID == want[i].OID || v.IsNull() {
				continue
			}
			if !types.CanCast(typs[i], want[i], false) {
				return pgerr.New(pgerr.DatatypeMismatch, "structure of query does not match function result type").
					WithDetail("Returned type %s does not match expected type %s in column %d.", types.TypeName(typs[i]), types.TypeName(want[i]), i+1)
			}
			if row[i], err = types.Cast(v, typs[i], want[i], false, r.s.loc); err != nil {
				return err
			}
		}
		r.rows = append(r.rows, row)
	}
	r.setFound(len(rows) > 0)
	return nil
}
