package sql

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

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
// it through exec.Session.CallPL (plan.FuncBody.PL). Functions with OUT
// parameters, RETURNS TABLE / SETOF (RETURN NEXT, RETURN QUERY), record and
// trigger results fail with 0A000 when created.

// plFunc is a PL/pgSQL function's parsed body.
type plFunc struct {
	datums []map[string]json.RawMessage
	action plNode
}

// plFuncs caches parsed bodies by the catalog's function (a replaced
// function is a new *catalog.Function). Parse trees are read-only.
var plFuncs sync.Map // *catalog.Function → *plFunc

// maxPLDepth bounds PL/pgSQL calls nested in one session (recursion): past
// it a call fails with 54001 instead of exhausting the goroutine's stack.
const maxPLDepth = 200

// plSource is a CREATE FUNCTION statement for f that PostgreSQL's PL/pgSQL
// parser compiles: its parameters (named as declared) and result.
func plSource(f *catalog.Function) string {
	var sb strings.Builder
	sb.WriteString("CREATE FUNCTION omendb_fn(")
	for i, a := range f.Args {
		if i > 0 {
			sb.WriteString(", ")
		}
		if a.Name != "" {
			sb.WriteString(types.QuoteIdent(a.Name) + " ")
		}
		sb.WriteString(types.TypeName(a.Type))
	}
	ret := "void"
	if f.Ret.OID != types.OIDVoid {
		ret = types.TypeName(f.Ret)
	}
	tag := "$omendb_fn$"
	for strings.Contains(f.Body, tag) {
		tag = tag[:len(tag)-1] + "x$"
	}
	sb.WriteString(") RETURNS " + ret + " LANGUAGE plpgsql AS " + tag + f.Body + tag)
	return sb.String()
}

// parsePL parses f's body (cached).
func parsePL(f *catalog.Function) (*plFunc, error) {
	if p, ok := plFuncs.Load(f); ok {
		return p.(*plFunc), nil
	}
	j, err := pg.ParsePlPgSqlToJSON(plSource(f))
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "ERROR: ")
		code := pgerr.SyntaxError
		if strings.HasPrefix(msg, "unrecognized exception condition") {
			code = pgerr.UndefinedObject
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
		return nil, pgerr.New(pgerr.InternalError, "function %s: unexpected PL/pgSQL parse tree: %v", f.Name, err)
	}
	p := &plFunc{datums: fns[0].Fn.Datums, action: fns[0].Fn.Action}
	if len(p.datums) < len(f.Args) {
		return nil, pgerr.New(pgerr.InternalError, "function %s: %d datums for %d parameters", f.Name, len(p.datums), len(f.Args))
	}
	plFuncs.Store(f, p)
	return p, nil
}

// checkPLFunction is CREATE FUNCTION's validation of a PL/pgSQL function:
// the signatures the interpreter runs, and a body that parses and uses
// only statements it runs.
func checkPLFunction(f *catalog.Function) error {
	switch {
	case f.Atomic:
		return pgerr.New(pgerr.InvalidFunctionDefinition, "inline SQL function body only valid for language SQL")
	case len(f.Out) > 0 || f.Table:
		return pgerr.NotSupported("PL/pgSQL functions with OUT parameters or RETURNS TABLE are not supported yet")
	case f.RetSet:
		return pgerr.NotSupported("set-returning PL/pgSQL functions (RETURNS SETOF) are not supported yet")
	case f.Ret.OID == types.OIDRecord:
		return pgerr.NotSupported("PL/pgSQL functions returning record are not supported yet")
	}
	p, err := parsePL(f)
	if err != nil {
		return err
	}
	plFuncs.Delete(f) // the catalog's copy is a new pointer: cached at its first call
	return checkPL(p.action, "PL/pgSQL functions", f.Ret.OID == types.OIDVoid)
}

// CallPL runs PL/pgSQL function f with args (one per parameter, of its
// type) in the session's current transaction (exec.Session).
func (s *Session) CallPL(ctx context.Context, f *catalog.Function, args []types.Value) (types.Value, error) {
	if s.txn == nil {
		return types.Null, pgerr.New(pgerr.InternalError, "PL/pgSQL function %s called outside a transaction", f.Name)
	}
	if s.plDepth >= maxPLDepth {
		return types.Null, pgerr.New(pgerr.StatementTooComplex, "stack depth limit exceeded").
			WithHint("PL/pgSQL functions call each other more than %d deep.", maxPLDepth)
	}
	p, err := parsePL(f)
	if err != nil {
		return types.Null, err
	}
	s.plDepth++
	defer func() { s.plDepth-- }()
	r := &plRun{s: s, fn: f, nparams: len(f.Args)}
	if f.Ret.OID != types.OIDVoid {
		// Without its modifier: PostgreSQL does not apply a declared
		// result's typmod (numeric(10,2), varchar(3)).
		r.retType = types.TypeName(types.Type{OID: f.Ret.OID, Mod: -1})
	}
	for _, d := range p.datums {
		if err := r.declare(d); err != nil {
			return types.Null, err
		}
	}
	for i, a := range f.Args {
		v := r.vars[i]
		v.typ, v.typName, v.val = a.Type, types.TypeName(a.Type), args[i]
		if a.Name == "" {
			v.name = "" // reachable as $n only
		}
	}
	if err := r.initVars(ctx); err != nil {
		return types.Null, err
	}
	err = r.stmt(ctx, p.action)
	switch {
	case err == errPLExit || err == errPLContinue:
		return types.Null, pgerr.New(pgerr.SyntaxError, "EXIT cannot be used outside a loop, unless it has a label")
	case err != nil && err != errPLReturn:
		return types.Null, err
	case f.Ret.OID == types.OIDVoid:
		return types.NewText(""), nil // void's one value, not NULL
	case !r.returned:
		return types.Null, pgerr.New("2F005", "control reached end of function without RETURN")
	}
	return r.ret, nil
}
