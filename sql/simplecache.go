package sql

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// The simple-query cache. A client of the simple protocol sends the same
// SELECT again and again with other constants in it (pgbench -S -M simple:
// "SELECT abalance FROM pgbench_accounts WHERE aid = 4242;"); parsing and
// binding it each time costs more than running it. So a SELECT's integer
// literals are lifted out of the text ($1, $2, … in their place); the
// resulting template is parsed and bound once, as a prepared statement whose
// parameter types are the literals' own (int4, or int8 when the value does
// not fit), and later queries with the same template execute it with their
// literals as parameter values.
//
// This must never change an answer, so a template is used only when every
// lifted literal is an operand of a comparison or arithmetic operator, of
// IN (…) or of BETWEEN whose other operand reads a column: there a typed
// parameter and a constant of the same type resolve to the same operator
// (PostgreSQL types an integer literal as int4, or int8 when it does not
// fit), and nothing is folded at bind time (1/0 fails when planned, even
// over no rows; $1/$2 would not). A literal anywhere else (the select
// list, LIMIT, ORDER BY 1, a cast, a function argument) or a literal after a
// sign makes the template unusable; that verdict is cached too so the text
// is parsed only once more. Nothing is cached when the text holds a '$', a
// backslash or a block comment, and a bind error on a template falls back to
// the ordinary path, which reports the error with the query's own positions.
// The cache is per session and cleared when a setting changes (search_path
// changes what names mean). UPDATE and DELETE texts are templated the same
// way (pgbench -M simple's "SET abalance = abalance + -1234 WHERE aid = 5"),
// a minus right after an operator is lifted with its literal (the parser
// folds it into a negative constant of that type), and BEGIN / END / COMMIT
// / ROLLBACK texts are parsed once.

// maxSimpleCache bounds the templates kept per session; the cache is
// emptied when it is full.
const maxSimpleCache = 256

type simpleEntry struct {
	st *statement // nil: the template is not usable
}

type simpleCache struct {
	m      map[string]*simpleEntry
	params unsafe.Pointer // the Session.Params map the entries were made under
}

// litStatement is a cached template with its literals: a simple-protocol
// statement without parameters of its own.
type litStatement struct {
	st   *statement
	sql  string
	vals []types.Value
}

func (l *litStatement) SQL() string { return l.sql }

func (l *litStatement) Describe(ctx context.Context) ([]types.Type, []pgwire.Column, error) {
	_, cols, err := l.st.Describe(ctx)
	return nil, cols, err
}

func (l *litStatement) Execute(ctx context.Context, params []types.Value) (pgwire.Result, error) {
	if len(params) > 0 {
		return nil, pgerr.New(pgerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires 0", len(params))
	}
	return l.st.Execute(ctx, l.vals)
}

// prepareCached returns the statement for sql from the simple-query cache,
// filling it on a miss; ok is false when sql is not served by the cache (the
// caller parses it as usual).
func (s *Session) prepareCached(sql string) (pgwire.Statement, bool) {
	c := &s.qcache
	if isTxnText(sql) {
		// BEGIN; / END; (pgbench -M simple): parsed once per text. The
		// parse tree is only read when executed, so statements share it.
		c.reset(s)
		e := c.m[sql]
		if e == nil {
			e = &simpleEntry{st: s.txnStatement(sql)}
			c.m[sql] = e
		}
		if e.st == nil {
			return nil, false
		}
		return &statement{s: s, sql: e.st.sql, raw: e.st.raw}, true
	}
	if !isSelectText(sql) && !isDMLText(sql) {
		return nil, false
	}
	tmpl, vals, key, ok := liftLiterals(sql)
	if !ok {
		return nil, false
	}
	c.reset(s)
	e := c.m[key]
	if e == nil {
		e = &simpleEntry{st: s.templateStatement(tmpl, vals)}
		c.m[key] = e
	}
	if e.st == nil {
		return nil, false
	}
	if err := e.st.bind(); err != nil {
		delete(c.m, key) // e.g. no such table (yet): the ordinary path reports it
		return nil, false
	}
	return &litStatement{st: e.st, sql: sql, vals: vals}, true
}

// reset empties the cache when the session's settings changed or it is full.
func (c *simpleCache) reset(s *Session) {
	if id := reflect.ValueOf(s.Params()).UnsafePointer(); c.m == nil || c.params != id || len(c.m) >= maxSimpleCache {
		c.m, c.params = make(map[string]*simpleEntry), id
	}
}

// txnStatement parses a transaction-control text; nil when it is anything
// else.
func (s *Session) txnStatement(sql string) *statement {
	raws, err := plan.Parse(sql)
	if err != nil || len(raws) != 1 || raws[0].Stmt.GetTransactionStmt() == nil {
		return nil
	}
	return &statement{s: s, sql: strings.TrimRight(strings.TrimSpace(sql), ";"), raw: raws[0].Stmt}
}

// isTxnText reports whether sql is one of the short transaction-control
// texts pgbench and ORMs send: BEGIN, END, COMMIT, ROLLBACK (";" optional).
func isTxnText(sql string) bool {
	if len(sql) > 10 {
		return false
	}
	switch strings.ToUpper(strings.TrimRight(strings.TrimSpace(sql), ";")) {
	case "BEGIN", "END", "COMMIT", "ROLLBACK":
		return true
	}
	return false
}

// templateStatement parses a template; nil when it is not one SELECT,
// UPDATE or DELETE whose parameters all stand where a constant of their
// type means the same.
func (s *Session) templateStatement(tmpl string, vals []types.Value) *statement {
	if _, ext, err := parseExtension(tmpl); ext || err != nil {
		return nil
	}
	raws, err := plan.Parse(tmpl)
	if err != nil || len(raws) != 1 {
		return nil
	}
	switch st := raws[0].Stmt; {
	case st.GetSelectStmt() != nil:
		if st.GetSelectStmt().IntoClause != nil {
			return nil
		}
	case st.GetUpdateStmt() == nil && st.GetDeleteStmt() == nil:
		return nil
	}
	n, safe := 0, true
	safeParams(raws[0].Stmt.ProtoReflect(), &n, &safe)
	if !safe || n != len(vals) {
		return nil
	}
	declared := make([]types.OID, len(vals))
	for i, v := range vals {
		declared[i] = types.OIDInt4
		if v.I != int64(int32(v.I)) {
			declared[i] = types.OIDInt8
		}
	}
	return &statement{s: s, sql: tmpl, raw: raws[0].Stmt, declared: declared}
}

// isSelectText reports whether sql starts with the keyword SELECT.
func isSelectText(sql string) bool {
	sql = strings.TrimLeft(sql, " \t\r\n(")
	return len(sql) > 6 && strings.EqualFold(sql[:6], "select") && !isIdentByte(sql[6])
}

// isDMLText reports whether sql starts with the keyword UPDATE or DELETE
// (pgbench's TPC-B-like "UPDATE pgbench_accounts SET abalance = abalance +
// 1234 WHERE aid = 5678;").
func isDMLText(sql string) bool {
	sql = strings.TrimLeft(sql, " \t\r\n")
	return len(sql) > 6 && (strings.EqualFold(sql[:6], "update") || strings.EqualFold(sql[:6], "delete")) && !isIdentByte(sql[6])
}

func isIdentByte(b byte) bool {
	return b == '_' || b == '$' || b >= 0x80 || (b >= '0' && b <= '9') || (b|0x20 >= 'a' && b|0x20 <= 'z')
}

// liftLiterals replaces sql's integer literals by $1, $2, … and returns the
// template, the literals' values and the cache key (the template and the
// literals' types). ok is false for text the lexer here does not follow.
func liftLiterals(sql string) (tmpl string, vals []types.Value, key string, ok bool) {
	if strings.ContainsAny(sql, "$\\") || strings.Contains(sql, "/*") {
		return "", nil, "", false
	}
	var b strings.Builder
	var kinds []byte
	last := 0        // sql[last:i] is still to be copied
	prev := byte(0)  // the last byte that is not white space
	prevAt := -1     // its position
	prev2 := byte(0) // the one before it, and its position
	prev2At := -1
	for i := 0; i < len(sql); {
		ch := sql[i]
		switch {
		case ch == '\'' || ch == '"':
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == ch {
					if j+1 < len(sql) && sql[j+1] == ch {
						j++ // doubled quote
						continue
					}
					break
				}
			}
			if j >= len(sql) {
				return "", nil, "", false // unterminated: let the parser say so
			}
			i, prev, prevAt, prev2, prev2At = j+1, ch, j, prev, prevAt
			continue
		case ch == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				i = len(sql)
			} else {
				i += j
			}
			continue
		case ch >= '0' && ch <= '9' && (i == 0 || (!isIdentByte(sql[i-1]) && sql[i-1] != '.')):
			j := i
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			from, neg := i, false
			liftable := j == len(sql) || (!isIdentByte(sql[j]) && sql[j] != '.')
			if prev == '-' || prev == '+' {
				switch {
				case operandEnd(sql, prev2, prev2At):
					// A binary operator's right operand ("abalance + 1234").
				case prev == '-' && (prev2 == 0 || strings.IndexByte("+-*/%<>=^|&~!@#(,[", prev2) >= 0):
					// A unary minus after an operator ("abalance + -1234"): the
					// parser folds it into a negative constant of the same
					// type as the lifted negative value.
					from, neg = prevAt, true
				default:
					liftable = false
				}
			}
			if liftable {
				v, err := strconv.ParseInt(sql[i:j], 10, 64)
				if neg {
					v = -v
				}
				if err == nil {
					b.WriteString(sql[last:from])
					vals = append(vals, types.NewInt(v))
					b.WriteByte('$')
					b.WriteString(strconv.Itoa(len(vals)))
					if v == int64(int32(v)) {
						kinds = append(kinds, '4')
					} else {
						kinds = append(kinds, '8')
					}
					last = j
				}
			}
			i, prev, prevAt, prev2, prev2At = j, '0', j-1, prev, prevAt
			continue
		}
		if ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' {
			prev, prevAt, prev2, prev2At = ch, i, prev, prevAt
		}
		i++
	}
	b.WriteString(sql[last:])
	tmpl = b.String()
	return tmpl, vals, tmpl + "\x00" + string(kinds), true
}

// operandEnd reports whether the byte c at sql[at] ends an operand (an
// identifier, a number, a quoted name or string, a parenthesis), so that a
// sign after it is a binary operator. The "e" of an exponent (1e-5) does
// not count.
func operandEnd(sql string, c byte, at int) bool {
	switch {
	case c == ')' || c == ']' || c == '\'' || c == '"':
		return true
	case c == 'e' || c == 'E':
		if at > 0 && (sql[at-1] >= '0' && sql[at-1] <= '9' || sql[at-1] == '.') {
			return false
		}
		return true
	}
	return c != 0 && isIdentByte(c) && c != '$'
}

// safeParams walks a parse tree and counts the parameters that are operands
// of a comparison or arithmetic operator, IN or BETWEEN; any other parameter
// clears safe.
func safeParams(m protoreflect.Message, n *int, safe *bool) {
	if !*safe {
		return
	}
	switch x := m.Interface().(type) {
	case *pg.ParamRef:
		*safe = false // reached other than as an allowed operand
		return
	case *pg.A_Expr:
		if !safeOperator(x) {
			break
		}
		// The other operand must read a column: with constants only,
		// PostgreSQL and the binder fold the expression when the statement
		// is planned (1/0 fails even over no rows), a parameter would not.
		operand := func(e, other *pg.Node) {
			if e == nil {
				return
			}
			if e.GetParamRef() != nil {
				if *n++; !readsColumn(other) {
					*safe = false
				}
				return
			}
			if l := e.GetList(); l != nil && x.Kind != pg.A_Expr_Kind_AEXPR_OP {
				for _, it := range l.Items {
					if it.GetParamRef() != nil {
						if *n++; !readsColumn(other) {
							*safe = false
						}
					} else {
						safeParams(it.ProtoReflect(), n, safe)
					}
				}
				return
			}
			safeParams(e.ProtoReflect(), n, safe)
		}
		operand(x.Lexpr, x.Rexpr)
		operand(x.Rexpr, x.Lexpr)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && *safe; i++ {
				safeParams(l.Get(i).Message(), n, safe)
			}
		case fd.Message() != nil && !fd.IsMap():
			safeParams(v.Message(), n, safe)
		}
		return *safe
	})
}

// readsColumn reports whether e refers to a column anywhere in it.
func readsColumn(e *pg.Node) bool {
	return e != nil && plan.AnyNode(e, func(m proto.Message) bool {
		_, ok := m.(*pg.ColumnRef)
		return ok
	})
}

// safeOperator: a parameter operand of e resolves like a constant of its type.
func safeOperator(e *pg.A_Expr) bool {
	switch e.Kind {
	case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		return true
	case pg.A_Expr_Kind_AEXPR_IN:
	case pg.A_Expr_Kind_AEXPR_OP:
		if e.Lexpr == nil {
			return false // prefix operator (-$1)
		}
	default:
		return false
	}
	if len(e.Name) != 1 {
		return false // OPERATOR(schema.op)
	}
	switch e.Name[0].GetString_().GetSval() {
	case "=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%":
		return true
	}
	return false
}
