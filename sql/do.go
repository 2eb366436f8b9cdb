package sql

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/types"
)

// DO blocks: an anonymous PL/pgSQL block, run in the statement's
// transaction. The block is parsed by PostgreSQL's own PL/pgSQL parser
// (pg_query's ParsePlPgSqlToJSON) and interpreted here, statement by
// statement: SQL statements, IF / ELSIF / ELSE, PERFORM, EXECUTE of a
// string, RAISE (DEBUG … EXCEPTION, with % parameters and USING ERRCODE,
// MESSAGE, DETAIL, HINT), ASSERT, RETURN, nested BEGIN … END blocks and
// EXCEPTION WHEN handlers, which undo the block's work as a subtransaction
// does before the handler runs. That covers what migration tools write
// (`DO $$ BEGIN CREATE TYPE … ; EXCEPTION WHEN duplicate_object THEN null;
// END $$`, `IF NOT EXISTS (…) THEN … END IF`), with declared variables,
// loops, SELECT … INTO, GET DIAGNOSTICS, CASE and FOREACH (dovars.go),
// EXECUTE … INTO … USING and labels (plJump). Cursors and the other
// PL/pgSQL statements fail with 0A000 before anything runs.
// PL/pgSQL functions run on the same interpreter (plfunc.go; plRun.fn).

// doStmt runs DO [LANGUAGE plpgsql] 'body'.
func (s *Session) doStmt(ctx context.Context, ds *pg.DoStmt) (*result, error) {
	var body, lang string
	for _, a := range ds.Args {
		d := a.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "as":
			body = d.Arg.GetString_().GetSval()
		case "language":
			lang = d.Arg.GetString_().GetSval()
		}
	}
	if lang != "" && !strings.EqualFold(lang, "plpgsql") {
		return nil, pgerr.NotSupported("language %q does not support inline code execution", lang)
	}
	const tag = "$omendb_do$"
	if strings.Contains(body, tag) {
		return nil, pgerr.NotSupported("DO block text contains %s", tag)
	}
	fn, err := compilePL("CREATE FUNCTION omendb_do() RETURNS void LANGUAGE plpgsql AS " + tag + body + tag)
	if err != nil {
		return nil, err
	}
	r := &plRun{s: s}
	for _, d := range fn.datums {
		if err := r.declare(d); err != nil {
			return nil, err
		}
	}
	if err := checkPL(fn.action, plCheck{where: "DO blocks", void: true}); err != nil {
		return nil, err
	}
	if err := r.initVars(ctx); err != nil {
		return nil, err
	}
	if err := r.stmt(ctx, fn.action); err != nil && err != errPLReturn {
		if isJump(err) {
			return nil, pgerr.New(pgerr.SyntaxError, "EXIT cannot be used outside a loop, unless it has a label")
		}
		return nil, err
	}
	return &result{tag: "DO"}, nil
}

// plNode is one PL/pgSQL parse-tree node: {"PLpgSQL_stmt_if": {…}}.
type plNode map[string]json.RawMessage

// kind returns the node's type and fields.
func (n plNode) kind() (string, json.RawMessage) {
	for k, v := range n {
		return k, v
	}
	return "", nil
}

type plExpr struct {
	Expr struct {
		Query string `json:"query"`
	} `json:"PLpgSQL_expr"`
}

type plBlock struct {
	Label      string   `json:"label"`
	Body       []plNode `json:"body"`
	Exceptions *struct {
		Block struct {
			List []struct {
				Exc struct {
					Conditions []struct {
						Cond struct {
							Name string `json:"condname"`
						} `json:"PLpgSQL_condition"`
					} `json:"conditions"`
					Action []plNode `json:"action"`
				} `json:"PLpgSQL_exception"`
			} `json:"exc_list"`
		} `json:"PLpgSQL_exception_block"`
	} `json:"exceptions"`
}

type plIf struct {
	Cond   plExpr   `json:"cond"`
	Then   []plNode `json:"then_body"`
	Elsifs []struct {
		E struct {
			Cond  plExpr   `json:"cond"`
			Stmts []plNode `json:"stmts"`
		} `json:"PLpgSQL_if_elsif"`
	} `json:"elsif_list"`
	Else []plNode `json:"else_body"`
}

// plCase is CASE [expr] WHEN … THEN … [ELSE …] END CASE: with an expr,
// its value goes into the datum TVarno, which the WHEN conditions compare.
type plCase struct {
	TExpr  *plExpr `json:"t_expr"`
	TVarno int     `json:"t_varno"`
	Whens  []struct {
		W struct {
			Expr  plExpr   `json:"expr"`
			Stmts []plNode `json:"stmts"`
		} `json:"PLpgSQL_case_when"`
	} `json:"case_when_list"`
	HaveElse bool     `json:"have_else"`
	Else     []plNode `json:"else_stmts"`
}

// plForeach is FOREACH var IN ARRAY expr LOOP.
type plForeach struct {
	Label string   `json:"label"`
	Varno int      `json:"varno"`
	Slice int      `json:"slice"`
	Expr  plExpr   `json:"expr"`
	Body  []plNode `json:"body"`
}

// plGetDiag is GET DIAGNOSTICS: each item's kind and target datum.
type plGetDiag struct {
	Items []struct {
		I struct {
			Kind   string `json:"kind"`
			Target int    `json:"target"`
		} `json:"PLpgSQL_diag_item"`
	} `json:"diag_items"`
}

type plRaise struct {
	Level    int      `json:"elog_level"`
	CondName string   `json:"condname"`
	Message  string   `json:"message"`
	Params   []plExpr `json:"params"`
	Options  []struct {
		O struct {
			Type int    `json:"opt_type"`
			Expr plExpr `json:"expr"`
		} `json:"PLpgSQL_raise_option"`
	} `json:"options"`
}

// plCheck is what checkPL checks a body for: where names the code's kind
// in messages ("DO blocks"); void: its RETURN takes no value (a DO block,
// a function returning void); setof: a set-returning function, whose
// RETURN NEXT takes no value when it has OUT parameters (out), and must
// otherwise.
type plCheck struct {
	where            string
	void, setof, out bool
}

// The statements checkPL accepts, with what each may not carry.
var plSupported = map[string]bool{
	"PLpgSQL_stmt_block": true, "PLpgSQL_stmt_if": true, "PLpgSQL_stmt_execsql": true, "PLpgSQL_stmt_perform": true,
	"PLpgSQL_stmt_raise": true, "PLpgSQL_stmt_dynexecute": true, "PLpgSQL_stmt_return": true, "PLpgSQL_stmt_assert": true,
	"PLpgSQL_stmt_assign": true, "PLpgSQL_stmt_fori": true, "PLpgSQL_stmt_fors": true, "PLpgSQL_stmt_while": true,
	"PLpgSQL_stmt_loop": true, "PLpgSQL_stmt_exit": true, "PLpgSQL_stmt_getdiag": true,
	"PLpgSQL_stmt_return_next": true, "PLpgSQL_stmt_return_query": true, "PLpgSQL_stmt_case": true,
	"PLpgSQL_stmt_foreach_a": true,
}

// checkPL refuses, before anything runs, a block with a statement the
// interpreter does not run, and exception conditions PostgreSQL does not
// know.
func checkPL(n plNode, pc plCheck) error {
	where, void := pc.where, pc.void
	k, raw := n.kind()
	if !plSupported[k] {
		return pgerr.NotSupported("%s in %s is not supported yet", plStmtName(k), where)
	}
	var f struct {
		Into   bool           `json:"into"`
		Params []plExpr       `json:"params"`
		Retval *plExpr        `json:"expr"`
		Target map[string]any `json:"target"`
		Label  string         `json:"label"`
		Body   []plNode       `json:"body"` // blocks' and loops'
	}
	_ = json.Unmarshal(raw, &f)
	for _, c := range f.Body {
		if err := checkPL(c, pc); err != nil {
			return err
		}
	}
	switch k {
	case "PLpgSQL_stmt_getdiag":
		var g plGetDiag
		_ = json.Unmarshal(raw, &g)
		for _, it := range g.Items {
			if it.I.Kind != "ROW_COUNT" {
				return pgerr.NotSupported("GET DIAGNOSTICS %s in %s is not supported yet", it.I.Kind, where)
			}
		}
	case "PLpgSQL_stmt_return_next":
		if !pc.setof {
			return pgerr.New(pgerr.SyntaxError, "cannot use RETURN NEXT in a non-SETOF function")
		}
		if f.Retval == nil && !pc.out {
			// PostgreSQL's parser keeps RETURN NEXT variable as the
			// variable's number, which pg_query's tree does not carry.
			return pgerr.NotSupported("RETURN NEXT of a variable in %s is not supported yet: write RETURN NEXT with an expression (variable + 0, ROW(…)), or use OUT parameters", where)
		}
	case "PLpgSQL_stmt_return_query":
		var q struct {
			Dyn *plExpr `json:"dynquery"`
		}
		_ = json.Unmarshal(raw, &q)
		if !pc.setof {
			return pgerr.New(pgerr.SyntaxError, "cannot use RETURN QUERY in a non-SETOF function")
		}
		if q.Dyn != nil {
			return pgerr.NotSupported("RETURN QUERY EXECUTE in %s is not supported yet", where)
		}
	case "PLpgSQL_stmt_return":
		if f.Retval != nil && void {
			return pgerr.New(pgerr.DatatypeMismatch, "RETURN cannot have a parameter in function returning void")
		}
	case "PLpgSQL_stmt_block":
		var b plBlock
		_ = json.Unmarshal(raw, &b)
		if b.Exceptions != nil {
			for _, e := range b.Exceptions.Block.List {
				for _, c := range e.Exc.Conditions {
					if _, ok := conditionCode(c.Cond.Name); !ok {
						return pgerr.New(pgerr.UndefinedObject, "unrecognized exception condition %q", c.Cond.Name)
					}
				}
				for _, c := range e.Exc.Action {
					if err := checkPL(c, pc); err != nil {
						return err
					}
				}
			}
		}
	case "PLpgSQL_stmt_case":
		var c plCase
		_ = json.Unmarshal(raw, &c)
		all := append([]plNode(nil), c.Else...)
		for _, w := range c.Whens {
			all = append(all, w.W.Stmts...)
		}
		for _, n := range all {
			if err := checkPL(n, pc); err != nil {
				return err
			}
		}
	case "PLpgSQL_stmt_foreach_a":
		var fe plForeach
		_ = json.Unmarshal(raw, &fe)
		if fe.Slice > 0 {
			return pgerr.NotSupported("FOREACH … SLICE in %s is not supported yet", where)
		}
	case "PLpgSQL_stmt_if":
		var b plIf
		_ = json.Unmarshal(raw, &b)
		all := append(append([]plNode(nil), b.Then...), b.Else...)
		for _, e := range b.Elsifs {
			all = append(all, e.E.Stmts...)
		}
		for _, c := range all {
			if err := checkPL(c, pc); err != nil {
				return err
			}
		}
	}
	return nil
}

// plStmtName names a PL/pgSQL statement kind for an error message.
func plStmtName(k string) string {
	n := strings.TrimPrefix(k, "PLpgSQL_stmt_")
	names := map[string]string{"assign": "assignment", "fori": "FOR", "fors": "FOR", "forc": "FOR", "foreach_a": "FOREACH",
		"while": "WHILE", "loop": "LOOP", "exit": "EXIT / CONTINUE", "return_next": "RETURN NEXT",
		"return_query": "RETURN QUERY", "getdiag": "GET DIAGNOSTICS", "open": "OPEN", "fetch": "FETCH",
		"close": "CLOSE", "case": "CASE", "call": "CALL", "commit": "COMMIT", "rollback": "ROLLBACK", "dynfors": "FOR … EXECUTE"}
	if v, ok := names[n]; ok {
		return v
	}
	return strings.ToUpper(n)
}

// errPLReturn unwinds RETURN; errPLExit and errPLContinue end or go on
// with the innermost loop.
var (
	errPLReturn         = fmt.Errorf("plpgsql: return")
	errPLExit     error = &plJump{exit: true}
	errPLContinue error = &plJump{}
)

// plJump is EXIT (exit) or CONTINUE, unwinding to the innermost loop, or
// to the enclosing loop or block labelled label.
type plJump struct {
	exit  bool
	label string
}

func (j *plJump) Error() string {
	if j.exit {
		return "plpgsql: exit " + j.label
	}
	return "plpgsql: continue " + j.label
}

// isJump reports whether err is an EXIT or CONTINUE.
func isJump(err error) bool {
	_, ok := err.(*plJump)
	return ok
}

// loopJump is what a loop labelled label does with its body's outcome:
// brk ends the loop, err (non-nil) unwinds further (an error, RETURN, or
// a jump to an outer label); otherwise the loop goes on.
func loopJump(err error, label string) (brk bool, pass error) {
	j, ok := err.(*plJump)
	switch {
	case err == nil:
		return false, nil
	case !ok:
		return false, err
	case j.label != "" && !strings.EqualFold(j.label, label):
		return false, err
	}
	return j.exit, nil
}

// plRun is one DO block's or PL/pgSQL function call's execution.
type plRun struct {
	s *Session
	// fn is the function called (nil: a DO block); its first nparams
	// datums are its parameters. retType is its result type's name; ret
	// the value RETURN gave, returned whether one ran.
	fn       *catalog.Function
	params   []catalog.Param // fn's, declared order
	nparams  int
	retType  string
	ret      types.Value
	returned bool
	// rows are a set-returning function's result so far.
	rows [][]types.Value
	// trig is set while a trigger function runs (trigger.go): RETURN
	// gives a row.
	trig *plTrigger
	// memo is the function's decoded nodes (plDecode; nil for a DO
	// block).
	memo *sync.Map
	// caught is the error the innermost running handler caught: its
	// SQLSTATE and SQLERRM (nil outside handlers).
	caught []*pgerr.Error
	// vars are the datums by dno (dovars.go); refs the variables the
	// statement being prepared names; rowCount the last statement's rows
	// (GET DIAGNOSTICS … ROW_COUNT).
	vars     []*plVar
	refs     []string
	rowCount int64
}

func (r *plRun) stmts(ctx context.Context, ns []plNode) error {
	for _, n := range ns {
		if err := r.stmt(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func (r *plRun) stmt(ctx context.Context, n plNode) error {
	if err := ctx.Err(); err != nil {
		return pgerr.New("57014", "canceling statement due to user request")
	}
	k, raw := n.kind()
	switch k {
	case "PLpgSQL_stmt_block":
		var b plBlock
		plDecode(r, raw, &b)
		err := r.block(ctx, &b)
		if j, ok := err.(*plJump); ok && j.exit && b.Label != "" && strings.EqualFold(j.label, b.Label) {
			return nil // EXIT label leaves the labelled block
		}
		return err
	case "PLpgSQL_stmt_if":
		var b plIf
		plDecode(r, raw, &b)
		ok, err := r.cond(ctx, b.Cond.Expr.Query)
		if err != nil || ok {
			if err != nil {
				return err
			}
			return r.stmts(ctx, b.Then)
		}
		for _, e := range b.Elsifs {
			ok, err := r.cond(ctx, e.E.Cond.Expr.Query)
			if err != nil {
				return err
			}
			if ok {
				return r.stmts(ctx, e.E.Stmts)
			}
		}
		return r.stmts(ctx, b.Else)
	case "PLpgSQL_stmt_execsql":
		var f struct {
			SQL    plExpr                     `json:"sqlstmt"`
			Into   bool                       `json:"into"`
			Strict bool                       `json:"strict"`
			Target map[string]json.RawMessage `json:"target"`
		}
		plDecode(r, raw, &f)
		if f.Into {
			return r.selectInto(ctx, f.SQL.Expr.Query, f.Target, f.Strict)
		}
		return r.exec(ctx, f.SQL.Expr.Query, false)
	case "PLpgSQL_stmt_assign":
		var f struct {
			Varno int    `json:"varno"`
			Expr  plExpr `json:"expr"`
		}
		plDecode(r, raw, &f)
		q := f.Expr.Expr.Query
		if i := strings.Index(q, ":="); i >= 0 {
			q = q[i+2:]
		} else if i := strings.IndexByte(q, '='); i >= 0 {
			q = q[i+1:]
		}
		if f.Varno >= 0 && f.Varno < len(r.vars) && r.vars[f.Varno].field != "" {
			return r.assignField(ctx, r.vars[f.Varno], q)
		}
		if f.Varno < 0 || f.Varno >= len(r.vars) || r.vars[f.Varno].typName == "" {
			return pgerr.NotSupported("assignment to this target in %s is not supported yet", r.where())
		}
		if r.vars[f.Varno].isConst {
			return pgerr.New("22005", "variable %q is declared CONSTANT", r.vars[f.Varno].name)
		}
		return r.assign(ctx, f.Varno, q)
	case "PLpgSQL_stmt_case":
		var c plCase
		plDecode(r, raw, &c)
		return r.caseStmt(ctx, &c)
	case "PLpgSQL_stmt_foreach_a":
		var fe plForeach
		plDecode(r, raw, &fe)
		return r.foreach(ctx, &fe)
	case "PLpgSQL_stmt_fori":
		return r.fori(ctx, raw)
	case "PLpgSQL_stmt_fors":
		return r.fors(ctx, raw)
	case "PLpgSQL_stmt_while", "PLpgSQL_stmt_loop":
		var f struct {
			Label string   `json:"label"`
			Cond  *plExpr  `json:"cond"`
			Body  []plNode `json:"body"`
		}
		plDecode(r, raw, &f)
		for {
			if f.Cond != nil {
				ok, err := r.cond(ctx, f.Cond.Expr.Query)
				if err != nil {
					return err
				}
				if !ok {
					return nil
				}
			}
			if err := ctx.Err(); err != nil {
				return pgerr.New("57014", "canceling statement due to user request")
			}
			if brk, err := loopJump(r.stmts(ctx, f.Body), f.Label); err != nil || brk {
				return err
			}
		}
	case "PLpgSQL_stmt_exit":
		var f struct {
			IsExit bool    `json:"is_exit"`
			Label  string  `json:"label"`
			Cond   *plExpr `json:"cond"`
		}
		plDecode(r, raw, &f)
		if f.Cond != nil {
			ok, err := r.cond(ctx, f.Cond.Expr.Query)
			if err != nil || !ok {
				return err
			}
		}
		if f.Label != "" {
			return &plJump{exit: f.IsExit, label: f.Label}
		}
		if f.IsExit {
			return errPLExit
		}
		return errPLContinue
	case "PLpgSQL_stmt_getdiag":
		var f plGetDiag
		plDecode(r, raw, &f)
		for _, it := range f.Items {
			if it.I.Target < 0 || it.I.Target >= len(r.vars) || r.vars[it.I.Target].typName == "" {
				return pgerr.NotSupported("this GET DIAGNOSTICS target in %s is not supported yet", r.where())
			}
			if err := r.assign(ctx, it.I.Target, strconv.FormatInt(r.rowCount, 10)); err != nil {
				return err
			}
		}
		return nil
	case "PLpgSQL_stmt_perform":
		var f struct {
			Expr plExpr `json:"expr"`
		}
		plDecode(r, raw, &f)
		return r.exec(ctx, f.Expr.Expr.Query, true)
	case "PLpgSQL_stmt_dynexecute":
		var f struct {
			Query  plExpr                     `json:"query"`
			Into   bool                       `json:"into"`
			Strict bool                       `json:"strict"`
			Target map[string]json.RawMessage `json:"target"`
			Params []plExpr                   `json:"params"`
		}
		plDecode(r, raw, &f)
		q, ok, err := r.textOf(ctx, f.Query.Expr.Query)
		if err != nil {
			return err
		}
		if !ok {
			return pgerr.New(pgerr.NullValueNotAllowed, "query string argument of EXECUTE is null")
		}
		return r.dynExecute(ctx, q, f.Params, f.Into, f.Strict, f.Target)
	case "PLpgSQL_stmt_raise":
		var f plRaise
		plDecode(r, raw, &f)
		return r.raise(ctx, &f)
	case "PLpgSQL_stmt_assert":
		var f struct {
			Cond    plExpr  `json:"cond"`
			Message *plExpr `json:"message"`
		}
		plDecode(r, raw, &f)
		ok, err := r.cond(ctx, f.Cond.Expr.Query)
		if err != nil || ok {
			return err
		}
		msg := "assertion failed"
		if f.Message != nil {
			m, _, err := r.textOf(ctx, f.Message.Expr.Query)
			if err != nil {
				return err
			}
			msg = m
		}
		return pgerr.New("P0004", "%s", msg)
	case "PLpgSQL_stmt_return_next":
		var f struct {
			Expr *plExpr `json:"expr"`
		}
		plDecode(r, raw, &f)
		return r.returnNext(ctx, f.Expr)
	case "PLpgSQL_stmt_return_query":
		var f struct {
			Query plExpr `json:"query"`
		}
		plDecode(r, raw, &f)
		return r.returnQuery(ctx, f.Query.Expr.Query)
	case "PLpgSQL_stmt_return":
		if r.fn != nil {
			var f struct {
				Line int     `json:"lineno"`
				Expr *plExpr `json:"expr"`
			}
			plDecode(r, raw, &f)
			if f.Line == 0 && f.Expr == nil {
				// The parser's dummy RETURN closing the body: control
				// reached the end of the function.
				return errPLReturn
			}
			if r.trig != nil && f.Expr != nil {
				return r.returnRow(f.Expr.Expr.Query)
			}
			if f.Expr != nil {
				v, err := r.value(ctx, "CAST(("+f.Expr.Expr.Query+") AS "+r.retType+")")
				if err != nil {
					return err
				}
				r.ret = v
			}
			r.returned = true
		}
		return errPLReturn
	}
	return pgerr.NotSupported("%s in %s is not supported yet", plStmtName(k), r.where())
}

// block runs BEGIN … [EXCEPTION …] END. With handlers, the block runs as a
// subtransaction: an error a handler catches undoes the block's writes and
// DDL before the handler runs.
func (r *plRun) block(ctx context.Context, b *plBlock) error {
	if b.Exceptions == nil {
		return r.stmts(ctx, b.Body)
	}
	s := r.s
	t := s.txn
	sp := savepoint{sp: t.writes.Save(), cat: t.cat, fk: len(t.fk.queue)}
	err := r.stmts(ctx, b.Body)
	if err == nil || err == errPLReturn || isJump(err) {
		return err // control flow, not an error a handler catches
	}
	code := pgerr.FromError(err).Code
	for _, e := range b.Exceptions.Block.List {
		for _, c := range e.Exc.Conditions {
			if want, _ := conditionCode(c.Cond.Name); conditionMatches(want, code) {
				t.writes.Restore(sp.sp)
				t.cat = sp.cat
				t.fk.queue = t.fk.queue[:min(sp.fk, len(t.fk.queue))]
				s.failed = false
				r.caught = append(r.caught, pgerr.FromError(err))
				defer func() { r.caught = r.caught[:len(r.caught)-1] }()
				return r.stmts(ctx, e.Exc.Action)
			}
		}
	}
	return err
}

// exec runs SQL text (one or more statements) in the block's transaction;
// discard: its rows are thrown away (PERFORM, EXECUTE), else a statement
// that returns rows fails as in PostgreSQL.
func (r *plRun) exec(ctx context.Context, sql string, discard bool) error {
	sts, params, err := r.prepare(ctx, sql)
	if err != nil {
		return err
	}
	for _, st := range sts {
		if x, ok := st.(*statement); ok {
			switch n := x.raw.Node.(type) {
			case *pg.Node_TransactionStmt:
				return pgerr.NotSupported("transaction control in %s is not supported yet", r.where())
			case *pg.Node_SelectStmt:
				if !discard && n.SelectStmt.IntoClause == nil {
					return pgerr.New(pgerr.SyntaxError, "query has no destination for result data").
						WithHint("If you want to discard the results of a SELECT, use PERFORM instead.")
				}
			}
		}
		res, err := st.Execute(ctx, params)
		if err != nil {
			return err
		}
		_, rows, err := drain(ctx, res, 0)
		if err != nil {
			return err
		}
		r.rowCount = rows
		r.setFound(rows > 0)
	}
	return nil
}

// selectInto runs SELECT … INTO target (or INSERT … RETURNING … INTO):
// the first row is stored (STRICT: exactly one, else P0002 / P0003), no
// row stores NULLs; FOUND tells whether there was one.
func (r *plRun) selectInto(ctx context.Context, sql string, target map[string]json.RawMessage, strict bool) error {
	cols, typs, rows, err := r.query(ctx, sql)
	if err != nil {
		return err
	}
	r.setFound(len(rows) > 0)
	return r.into(ctx, target, strict, cols, typs, rows)
}

// dynExecute is EXECUTE query [INTO [STRICT] target] [USING expr, …]: the
// query string runs as it is — PL/pgSQL variables are not substituted in
// it — with the USING values as its $1, $2 …; INTO takes its first row
// (STRICT: its only one). FOUND is left as it was, as PostgreSQL leaves it.
func (r *plRun) dynExecute(ctx context.Context, q string, using []plExpr, into, strict bool, target map[string]json.RawMessage) error {
	params := make([]types.Value, len(using))
	oids := make([]types.OID, len(using))
	for i, e := range using {
		v, t, err := r.typed(ctx, e.Expr.Query)
		if err != nil {
			return err
		}
		params[i], oids[i] = v, t.OID
	}
	sts, err := r.s.Prepare(ctx, q, oids)
	if err != nil {
		return err
	}
	if len(sts) != 1 {
		return pgerr.NotSupported("EXECUTE of %d statements in one string is not supported yet", len(sts))
	}
	if x, ok := sts[0].(*statement); ok && x.raw != nil {
		if _, ok := x.raw.Node.(*pg.Node_TransactionStmt); ok {
			return pgerr.NotSupported("transaction control in %s is not supported yet", r.where())
		}
	}
	res, err := sts[0].Execute(ctx, params)
	if err != nil {
		return err
	}
	var cols []string
	var typs []types.Type
	for _, c := range res.Columns() {
		cols, typs = append(cols, strings.ToLower(c.Name)), append(typs, c.Type)
	}
	keep := 0
	if into {
		keep = 2 // STRICT tells one row from more
	}
	rows, n, err := drain(ctx, res, keep)
	if err != nil {
		return err
	}
	r.rowCount = n
	if !into {
		return nil
	}
	if len(cols) == 0 {
		return pgerr.New(pgerr.SyntaxError, "EXECUTE … INTO of a statement that returns no rows")
	}
	return r.into(ctx, target, strict, cols, typs, rows)
}

// drain reads res to its end and closes it: its first keep rows (copied)
// and its row count (a command's from its tag: INSERT 0 3).
func drain(ctx context.Context, res pgwire.Result, keep int) ([][]types.Value, int64, error) {
	var rows [][]types.Value
	n := int64(0)
	for {
		row, err := res.Next(ctx)
		if err != nil {
			res.Close()
			return nil, 0, err
		}
		if row == nil {
			break
		}
		n++
		if len(rows) < keep {
			rows = append(rows, append([]types.Value(nil), row...))
		}
	}
	tag := res.Tag()
	if err := res.Close(); err != nil {
		return nil, 0, err
	}
	if !strings.HasPrefix(tag, "SELECT") {
		n = rowsAffected(tag)
	}
	return rows, n, nil
}

// into stores the first of rows (NULLs without one) into an INTO target;
// strict requires exactly one row (P0002, P0003).
func (r *plRun) into(ctx context.Context, target map[string]json.RawMessage, strict bool, cols []string, typs []types.Type, rows [][]types.Value) error {
	var t *plVar
	for k, raw := range target {
		var v plVarDatum
		plDecode(r, raw, &v)
		switch k {
		case "PLpgSQL_row":
			t = &plVar{}
			for _, f := range v.Fields {
				t.row = append(t.row, f.Varno)
			}
		case "PLpgSQL_rec":
			if i := r.varIndex(v.Refname); i >= 0 && r.vars[i].rec {
				t = r.vars[i]
			}
		}
	}
	if t == nil {
		return pgerr.NotSupported("this INTO target in %s is not supported yet", r.where())
	}
	if strict && len(rows) != 1 {
		if len(rows) == 0 {
			return pgerr.New("P0002", "query returned no rows")
		}
		return pgerr.New("P0003", "query returned more than one row").
			WithHint("Make sure the query returns a single row, or use LIMIT 1.")
	}
	var row []types.Value
	if len(rows) > 0 {
		row = rows[0]
	}
	return r.store(ctx, t, cols, typs, row)
}

// textOf evaluates a PL/pgSQL expression to text (NULL as <NULL>, as RAISE
// prints it); ok is false for NULL.
func (r *plRun) textOf(ctx context.Context, expr string) (string, bool, error) {
	v, t, err := r.typed(ctx, expr)
	if err != nil || v.IsNull() {
		return "<NULL>", false, err
	}
	return types.TextString(v, t, r.s.loc), true, nil
}

// value evaluates a PL/pgSQL expression: SELECT expr, one value.
func (r *plRun) value(ctx context.Context, expr string) (types.Value, error) {
	v, _, err := r.typed(ctx, expr)
	return v, err
}

// typed evaluates a PL/pgSQL expression to its value and type.
func (r *plRun) typed(ctx context.Context, expr string) (types.Value, types.Type, error) {
	sts, params, err := r.prepare(ctx, "SELECT "+expr)
	if err != nil {
		return types.Null, types.Type{}, err
	}
	return firstValue(ctx, sts, params, expr)
}

// firstValue runs a one-statement, one-column query and returns its one
// value (none: NULL; more than one row: 21000).
func firstValue(ctx context.Context, sts []pgwire.Statement, params []types.Value, expr string) (types.Value, types.Type, error) {
	if len(sts) != 1 {
		return types.Null, types.Type{}, pgerr.New(pgerr.SyntaxError, "query %q is not a single expression", expr)
	}
	res, err := sts[0].Execute(ctx, params)
	if err != nil {
		return types.Null, types.Type{}, err
	}
	defer res.Close()
	cols := res.Columns()
	if len(cols) != 1 {
		return types.Null, types.Type{}, pgerr.New(pgerr.SyntaxError, "query %q returned %d columns", expr, len(cols))
	}
	row, err := res.Next(ctx)
	if err != nil || row == nil {
		return types.Null, cols[0].Type, err
	}
	v := row[0]
	if more, err := res.Next(ctx); err != nil || more != nil {
		if err != nil {
			return types.Null, types.Type{}, err
		}
		return types.Null, types.Type{}, pgerr.New("21000", "query %q returned more than one row", expr)
	}
	return v, cols[0].Type, nil
}

// cond evaluates a boolean condition (NULL is false).
func (r *plRun) cond(ctx context.Context, expr string) (bool, error) {
	v, err := r.value(ctx, expr)
	if err != nil {
		return false, err
	}
	if v.IsNull() {
		return false, nil
	}
	if v.K != types.KindBool {
		return false, pgerr.New(pgerr.DatatypeMismatch, "query %q does not return a boolean", expr)
	}
	return v.Bool(), nil
}

// raise runs RAISE: a message below ERROR goes to the client (INFO always,
// the others by client_min_messages); EXCEPTION fails with P0001 or the
// USING ERRCODE / condition given.
func (r *plRun) raise(ctx context.Context, f *plRaise) error {
	args := make([]string, len(f.Params))
	for i, p := range f.Params {
		a, _, err := r.textOf(ctx, p.Expr.Query)
		if err != nil {
			return err
		}
		args[i] = a
	}
	var msg strings.Builder
	next := 0
	for i := 0; i < len(f.Message); i++ {
		c := f.Message[i]
		if c == '%' {
			if i+1 < len(f.Message) && f.Message[i+1] == '%' {
				msg.WriteByte('%')
				i++
				continue
			}
			if next < len(args) {
				msg.WriteString(args[next])
				next++
			}
			continue
		}
		msg.WriteByte(c)
	}
	code, text, detail, hint := "", msg.String(), "", ""
	if f.CondName != "" {
		c, ok := conditionCode(f.CondName)
		if !ok {
			return pgerr.New(pgerr.UndefinedObject, "unrecognized exception condition %q", f.CondName)
		}
		code, text = c, f.CondName
	}
	for _, o := range f.Options {
		s, _, err := r.textOf(ctx, o.O.Expr.Expr.Query)
		if err != nil {
			return err
		}
		switch o.O.Type {
		case 0: // ERRCODE
			if c, ok := conditionCode(s); ok {
				code = c
			} else {
				code = s
			}
		case 1: // MESSAGE
			text = s
		case 2: // DETAIL
			detail = s
		case 3: // HINT
			hint = s
		}
	}
	switch {
	case f.Level >= 21: // EXCEPTION
		if code == "" {
			code = "P0001"
		}
		e := pgerr.New(code, "%s", text)
		if detail != "" {
			e = e.WithDetail("%s", detail)
		}
		if hint != "" {
			e = e.WithHint("%s", hint)
		}
		return e
	case f.Level == 17: // INFO: always sent
		r.s.notices = append(r.s.notices, &pgerr.Error{Severity: "INFO", Code: orCode(code, "00000"), Message: text, Detail: detail, Hint: hint})
	case f.Level >= 18:
		sev := map[bool]string{true: "WARNING", false: "NOTICE"}[f.Level >= 19]
		r.s.raise(sev, orCode(code, map[bool]string{true: "01000", false: "00000"}[f.Level >= 19]), "%s", text)
		if n := len(r.s.notices); n > 0 && r.s.notices[n-1].Message == text {
			r.s.notices[n-1].Detail, r.s.notices[n-1].Hint = detail, hint
		}
	case f.Level == 15: // LOG: the server's log only
	default: // DEBUG
		r.s.raise("DEBUG", orCode(code, "00000"), "%s", text)
	}
	return nil
}

func orCode(code, def string) string {
	if code == "" {
		return def
	}
	return code
}
