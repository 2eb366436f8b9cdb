package sql

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/pgerr"
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
// END $$`, `IF NOT EXISTS (…) THEN … END IF`). Declared variables, loops,
// SELECT … INTO and the other PL/pgSQL statements fail with 0A000 before
// anything runs.

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
	j, err := pg.ParsePlPgSqlToJSON("CREATE FUNCTION omendb_do() RETURNS void LANGUAGE plpgsql AS " + tag + body + tag)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "ERROR: ")
		code := pgerr.SyntaxError
		if strings.HasPrefix(msg, "unrecognized exception condition") {
			code = pgerr.UndefinedObject // as PostgreSQL's plpgsql_recognize_err_condition
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
		return nil, pgerr.New(pgerr.InternalError, "DO: unexpected PL/pgSQL parse tree: %v", err)
	}
	fn := fns[0].Fn
	for _, d := range fn.Datums {
		var v struct {
			Refname string `json:"refname"`
		}
		raw, isVar := d["PLpgSQL_var"]
		if isVar {
			_ = json.Unmarshal(raw, &v)
		}
		if !isVar || v.Refname != "found" && v.Refname != "sqlstate" && v.Refname != "sqlerrm" {
			return nil, pgerr.NotSupported("variables in DO blocks are not supported yet")
		}
	}
	if err := checkPL(fn.Action); err != nil {
		return nil, err
	}
	r := &plRun{s: s}
	if err := r.stmt(ctx, fn.Action); err != nil && err != errPLReturn {
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

// The statements checkPL accepts, with what each may not carry.
var plSupported = map[string]bool{
	"PLpgSQL_stmt_block": true, "PLpgSQL_stmt_if": true, "PLpgSQL_stmt_execsql": true, "PLpgSQL_stmt_perform": true,
	"PLpgSQL_stmt_raise": true, "PLpgSQL_stmt_dynexecute": true, "PLpgSQL_stmt_return": true, "PLpgSQL_stmt_assert": true,
}

// checkPL refuses, before anything runs, a block with a statement the
// interpreter does not run, and exception conditions PostgreSQL does not
// know.
func checkPL(n plNode) error {
	k, raw := n.kind()
	if !plSupported[k] {
		return pgerr.NotSupported("%s in DO blocks is not supported yet", plStmtName(k))
	}
	var f struct {
		Into   bool           `json:"into"`
		Params []plExpr       `json:"params"`
		Retval *plExpr        `json:"expr"`
		Strict bool           `json:"strict"`
		Target map[string]any `json:"target"`
	}
	_ = json.Unmarshal(raw, &f)
	switch k {
	case "PLpgSQL_stmt_execsql", "PLpgSQL_stmt_dynexecute":
		if f.Into || f.Target != nil || k == "PLpgSQL_stmt_dynexecute" && len(f.Params) > 0 {
			return pgerr.NotSupported("INTO and USING in DO blocks are not supported yet")
		}
	case "PLpgSQL_stmt_return":
		if f.Retval != nil {
			return pgerr.New(pgerr.DatatypeMismatch, "RETURN cannot have a parameter in function returning void")
		}
	case "PLpgSQL_stmt_block":
		var b plBlock
		_ = json.Unmarshal(raw, &b)
		for _, c := range b.Body {
			if err := checkPL(c); err != nil {
				return err
			}
		}
		if b.Exceptions != nil {
			for _, e := range b.Exceptions.Block.List {
				for _, c := range e.Exc.Conditions {
					if _, ok := conditionCode(c.Cond.Name); !ok {
						return pgerr.New(pgerr.UndefinedObject, "unrecognized exception condition %q", c.Cond.Name)
					}
				}
				for _, c := range e.Exc.Action {
					if err := checkPL(c); err != nil {
						return err
					}
				}
			}
		}
	case "PLpgSQL_stmt_if":
		var b plIf
		_ = json.Unmarshal(raw, &b)
		all := append(append([]plNode(nil), b.Then...), b.Else...)
		for _, e := range b.Elsifs {
			all = append(all, e.E.Stmts...)
		}
		for _, c := range all {
			if err := checkPL(c); err != nil {
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

// errPLReturn unwinds RETURN.
var errPLReturn = fmt.Errorf("plpgsql: return")

// plRun is one DO block's execution.
type plRun struct {
	s *Session
	// caught is the error the innermost running handler caught: its
	// SQLSTATE and SQLERRM (nil outside handlers).
	caught []*pgerr.Error
}

// substitute replaces the special variables SQLSTATE and SQLERRM of the
// running handler in sql (a statement or SELECT expr) by their values.
func (r *plRun) substitute(sql string) (string, error) {
	if len(r.caught) == 0 {
		return sql, nil
	}
	low := strings.ToLower(sql)
	if !strings.Contains(low, "sqlstate") && !strings.Contains(low, "sqlerrm") {
		return sql, nil
	}
	tree, err := pg.Parse(sql)
	if err != nil {
		return sql, nil // the statement's own parse reports it
	}
	e := r.caught[len(r.caught)-1]
	changed := false
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if n, ok := m.Interface().(*pg.Node); ok {
			if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
				val := ""
				switch strings.ToLower(cr.Fields[0].GetString_().GetSval()) {
				case "sqlstate":
					val = e.Code
				case "sqlerrm":
					val = e.Message
				default:
					goto recurse
				}
				n.Node = &pg.Node_AConst{AConst: &pg.A_Const{Val: &pg.A_Const_Sval{Sval: &pg.String{Sval: val}}}}
				changed = true
				return
			}
		}
	recurse:
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	walk(tree.ProtoReflect())
	if !changed {
		return sql, nil
	}
	return pg.Deparse(tree)
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
		_ = json.Unmarshal(raw, &b)
		return r.block(ctx, &b)
	case "PLpgSQL_stmt_if":
		var b plIf
		_ = json.Unmarshal(raw, &b)
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
			SQL plExpr `json:"sqlstmt"`
		}
		_ = json.Unmarshal(raw, &f)
		return r.exec(ctx, f.SQL.Expr.Query, false)
	case "PLpgSQL_stmt_perform":
		var f struct {
			Expr plExpr `json:"expr"`
		}
		_ = json.Unmarshal(raw, &f)
		return r.exec(ctx, f.Expr.Expr.Query, true)
	case "PLpgSQL_stmt_dynexecute":
		var f struct {
			Query plExpr `json:"query"`
		}
		_ = json.Unmarshal(raw, &f)
		q, ok, err := r.textOf(ctx, f.Query.Expr.Query)
		if err != nil {
			return err
		}
		if !ok {
			return pgerr.New(pgerr.NullValueNotAllowed, "query string argument of EXECUTE is null")
		}
		return r.exec(ctx, q, true)
	case "PLpgSQL_stmt_raise":
		var f plRaise
		_ = json.Unmarshal(raw, &f)
		return r.raise(ctx, &f)
	case "PLpgSQL_stmt_assert":
		var f struct {
			Cond    plExpr  `json:"cond"`
			Message *plExpr `json:"message"`
		}
		_ = json.Unmarshal(raw, &f)
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
	case "PLpgSQL_stmt_return":
		return errPLReturn
	}
	return pgerr.NotSupported("%s in DO blocks is not supported yet", plStmtName(k))
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
	if err == nil || err == errPLReturn {
		return err
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
	s := r.s
	sql, err := r.substitute(sql)
	if err != nil {
		return err
	}
	sts, err := s.Prepare(ctx, sql, nil)
	if err != nil {
		return err
	}
	for _, st := range sts {
		if x, ok := st.(*statement); ok {
			switch x.raw.Node.(type) {
			case *pg.Node_TransactionStmt:
				return pgerr.NotSupported("transaction control in DO blocks is not supported yet")
			case *pg.Node_SelectStmt:
				if !discard && x.raw.Node.(*pg.Node_SelectStmt).SelectStmt.IntoClause == nil {
					return pgerr.New(pgerr.SyntaxError, "query has no destination for result data").
						WithHint("If you want to discard the results of a SELECT, use PERFORM instead.")
				}
			}
		}
		res, err := st.Execute(ctx, nil)
		if err != nil {
			return err
		}
		for {
			row, err := res.Next(ctx)
			if err != nil {
				res.Close()
				return err
			}
			if row == nil {
				break
			}
		}
		if err := res.Close(); err != nil {
			return err
		}
	}
	return nil
}

// value evaluates a PL/pgSQL expression to text (NULL as <NULL>, as RAISE
// prints it).
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
	q, err := r.substitute("SELECT " + expr)
	if err != nil {
		return types.Null, types.Type{}, err
	}
	sts, err := r.s.Prepare(ctx, q, nil)
	if err != nil {
		return types.Null, types.Type{}, err
	}
	if len(sts) != 1 {
		return types.Null, types.Type{}, pgerr.New(pgerr.SyntaxError, "query %q returned more than one row", expr)
	}
	res, err := sts[0].Execute(ctx, nil)
	if err != nil {
		return types.Null, types.Type{}, err
	}
	defer res.Close()
	cols := res.Columns()
	row, err := res.Next(ctx)
	if err != nil || row == nil {
		return types.Null, types.Type{}, err
	}
	if len(row) != 1 || len(cols) != 1 {
		return types.Null, types.Type{}, pgerr.New(pgerr.SyntaxError, "query %q returned %d columns", expr, len(row))
	}
	v := row[0]
	if more, err := res.Next(ctx); err != nil || more != nil {
		if err != nil {
			return types.Null, types.Type{}, err
		}
		return types.Null, types.Type{}, pgerr.New("21000", "query %q returned more than one row", expr)
	}
	return types.Value(v), cols[0].Type, nil
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
