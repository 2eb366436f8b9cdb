package sql

import (
	"context"
	"sort"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// SQL-level prepared statements: PREPARE name [(type, …)] AS statement,
// EXECUTE name [(arg, …)], DEALLOCATE [PREPARE] name | ALL. A prepared
// statement is the same *statement the extended protocol's Parse makes,
// kept in the session (not in a transaction: PREPARE survives ROLLBACK, as
// in PostgreSQL) and listed by pg_prepared_statements. EXECUTE evaluates
// its arguments (constant expressions), coerces them to the parameter
// types and runs the statement as a Bind/Execute would. The protocol's
// named statements live in pgwire and are not visible here: PostgreSQL
// shares one namespace between the two, OmenDB keeps two.

// sqlPrepared is one PREPARE'd statement.
type sqlPrepared struct {
	st   *statement
	text string // the PREPARE statement's text
	at   time.Time
}

// prepareSQL runs PREPARE: the statement is analysed now, so its errors
// are PREPARE's.
func (s *Session) prepareSQL(ps *pg.PrepareStmt, text string) (*result, error) {
	if _, dup := s.sqlPrepared[ps.Name]; dup {
		return nil, pgerr.New(pgerr.DuplicatePreparedStatement, "prepared statement %q already exists", ps.Name)
	}
	b := plan.NewBinder(s.catalog(), s, s.loc, nil)
	var declared []types.OID
	for _, n := range ps.Argtypes {
		tn := n.GetTypeName()
		if tn == nil {
			return nil, pgerr.New(pgerr.SyntaxError, "invalid parameter type in PREPARE")
		}
		t, err := typeOf(b, tn)
		if err != nil {
			return nil, err
		}
		declared = append(declared, t.OID)
	}
	switch ps.Query.Node.(type) {
	case *pg.Node_SelectStmt, *pg.Node_InsertStmt, *pg.Node_UpdateStmt, *pg.Node_DeleteStmt, *pg.Node_MergeStmt:
	default:
		return nil, pgerr.New(pgerr.SyntaxError, "PREPARE takes SELECT, INSERT, UPDATE, DELETE, MERGE or VALUES")
	}
	inner := &statement{s: s, sql: text, raw: ps.Query, declared: declared}
	if err := inner.bind(); err != nil {
		return nil, err
	}
	if s.sqlPrepared == nil {
		s.sqlPrepared = map[string]*sqlPrepared{}
	}
	s.sqlPrepared[ps.Name] = &sqlPrepared{st: inner, text: text, at: time.Now()}
	return &result{tag: "PREPARE"}, nil
}

// executeSQL runs EXECUTE name (args): the prepared statement with the
// arguments as its parameters.
func (s *Session) executeSQL(ctx context.Context, es *pg.ExecuteStmt) (pgwire.Result, error) {
	p, ok := s.sqlPrepared[es.Name]
	if !ok {
		return nil, pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement %q does not exist", es.Name)
	}
	if err := p.st.bind(); err != nil {
		return nil, err
	}
	want := p.st.params
	if len(es.Params) != len(want) {
		return nil, pgerr.New(pgerr.SyntaxError, "wrong number of parameters for prepared statement %q", es.Name).
			WithDetail("Expected %d parameters but got %d.", len(want), len(es.Params))
	}
	vals := make([]types.Value, len(es.Params))
	b := plan.NewBinder(s.catalog(), s, s.loc, nil)
	c := &exec.Ctx{Context: ctx, Loc: s.loc, Funcs: &s.funcCtx, Session: s, Env: s}
	s.funcCtx.Session = sessionState{s}
	for i, n := range es.Params {
		e, err := b.BindExprText(n)
		if err != nil {
			return nil, err
		}
		if plan.HasSubquery(e) {
			return nil, pgerr.NotSupported("subqueries in EXECUTE parameters are not supported")
		}
		v, err := exec.Eval(c, e, nil)
		if err != nil {
			return nil, err
		}
		to := want[i].WithoutMod()
		if v, err = types.Cast(v, e.Type(), to, false, s.loc); err != nil {
			if strings.HasPrefix(pgerr.Code(err), "22") {
				return nil, err // a literal that is no value of the type ('x' for an integer)
			}
			return nil, pgerr.New(pgerr.DatatypeMismatch, "parameter $%d of type %s cannot be coerced to the expected type %s",
				i+1, types.TypeName(e.Type()), types.TypeName(to)).WithHint("You will need to rewrite or cast the expression.")
		}
		vals[i] = v
	}
	return p.st.Execute(ctx, vals)
}

// deallocateSQL runs DEALLOCATE name | ALL. A name that is not a SQL-level
// prepared statement may be a protocol-level one (pgwire's, which a client
// closes with Close): it is accepted, as before SQL PREPARE existed.
func (s *Session) deallocateSQL(ds *pg.DeallocateStmt) (*result, error) {
	if ds.Isall || ds.Name == "" {
		s.sqlPrepared = nil
	} else {
		delete(s.sqlPrepared, ds.Name)
	}
	return &result{tag: "DEALLOCATE"}, nil
}

// PreparedStatements lists the session's SQL-level prepared statements
// (pg_prepared_statements), by name.
func (s *Session) PreparedStatements() []plan.PreparedStatement {
	out := make([]plan.PreparedStatement, 0, len(s.sqlPrepared))
	for name, p := range s.sqlPrepared {
		ps := plan.PreparedStatement{Name: name, Statement: strings.TrimSpace(p.text), At: p.at}
		for _, t := range p.st.params {
			ps.Params = append(ps.Params, t.OID)
		}
		out = append(out, ps)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
