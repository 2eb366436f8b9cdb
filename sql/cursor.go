package sql

import (
	"context"
	"sort"
	"strconv"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// SQL cursors: DECLARE … CURSOR, FETCH, MOVE and CLOSE, as psycopg2's
// named cursors, SQLAlchemy's stream_results and psql's FETCH_COUNT use
// them. A cursor's query runs when it is declared, at that statement's
// snapshot, and its rows are kept (materialized) in the session, so every
// direction works (NEXT, PRIOR, FIRST, LAST, ABSOLUTE, RELATIVE, FORWARD
// and BACKWARD n or ALL; NO SCROLL refuses backward moves as PostgreSQL
// does). A cursor ends with its transaction unless declared WITH HOLD
// (then it ends at CLOSE or with the session; a WITH HOLD cursor declared
// in a transaction that rolls back goes too).

// Cursor option bits of DeclareCursorStmt.options (PostgreSQL's
// CURSOR_OPT_*).
const (
	cursorBinary   = 0x1
	cursorNoScroll = 0x4
	cursorHold     = 0x20
)

type cursor struct {
	name, sql string
	cols      []pgwire.Column
	rows      [][]types.Value
	pos       int // 0: before the first row; len(rows)+1: after the last
	hold      bool
	noScroll  bool
	binary    bool
	lxid      uint32 // the transaction that declared it
	created   time.Time
}

// declareCursor runs DECLARE name CURSOR FOR query.
func (s *Session) declareCursor(ctx context.Context, d *pg.DeclareCursorStmt, text string) (*result, error) {
	hold := d.Options&cursorHold != 0
	if !hold && (s.txn == nil || !s.txn.explicit) {
		return nil, pgerr.New(pgerr.NoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	}
	if _, ok := s.cursors[d.Portalname]; ok {
		return nil, pgerr.New("42P03", "cursor %q already exists", d.Portalname)
	}
	if d.Query.GetSelectStmt() == nil {
		return nil, pgerr.New(pgerr.SyntaxError, "DECLARE CURSOR must be a SELECT query")
	}
	query, err := pg.Deparse(&pg.ParseResult{Version: parseTreeVersion(), Stmts: []*pg.RawStmt{{Stmt: d.Query}}})
	if err != nil {
		return nil, pgerr.New(pgerr.InternalError, "DECLARE CURSOR: %v", err)
	}
	sts, err := s.Prepare(ctx, query, nil)
	if err != nil {
		return nil, err
	}
	if len(sts) != 1 {
		return nil, pgerr.New(pgerr.SyntaxError, "DECLARE CURSOR must be a single SELECT query")
	}
	res, err := sts[0].Execute(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	c := &cursor{name: d.Portalname, sql: text, cols: res.Columns(), hold: hold, noScroll: d.Options&cursorNoScroll != 0,
		binary: d.Options&cursorBinary != 0, lxid: s.lxid.Load(), created: time.Now()}
	for {
		row, err := res.Next(ctx)
		if err != nil {
			return nil, err
		}
		if row == nil {
			break
		}
		c.rows = append(c.rows, append([]types.Value(nil), row...))
	}
	if err := res.Close(); err != nil {
		return nil, err
	}
	if s.cursors == nil {
		s.cursors = map[string]*cursor{}
	}
	s.cursors[c.name] = c
	return &result{tag: "DECLARE CURSOR"}, nil
}

// fetchCursor runs FETCH (and MOVE: the same moves, no rows).
func (s *Session) fetchCursor(f *pg.FetchStmt) (*result, error) {
	c, ok := s.cursors[f.Portalname]
	if !ok {
		return nil, pgerr.New("34000", "cursor %q does not exist", f.Portalname)
	}
	n := len(c.rows)
	verb := "FETCH"
	if f.Ismove {
		verb = "MOVE"
	}
	var out [][]types.Value
	take := func(p int) { // move onto position p, fetching its row if it has one
		c.pos = p
		if p >= 1 && p <= n && !f.Ismove {
			out = append(out, c.rows[p-1])
		}
	}
	count := 0
	backwardOK := func() error {
		if c.noScroll {
			return pgerr.New("55000", "cursor can only scan forward").WithHint("Declare it with SCROLL option to enable backward scan.")
		}
		return nil
	}
	how := f.HowMany
	switch f.Direction {
	case pg.FetchDirection_FETCH_FORWARD, pg.FetchDirection_FETCH_BACKWARD:
		step := 1
		if f.Direction == pg.FetchDirection_FETCH_BACKWARD {
			if err := backwardOK(); err != nil {
				return nil, err
			}
			step = -1
		}
		if how == 0 { // FETCH FORWARD 0: the current row again
			if c.pos >= 1 && c.pos <= n {
				take(c.pos)
				count = 1
			}
			break
		}
		for i := int64(0); i < how; i++ {
			p := c.pos + step
			if p < 1 || p > n {
				c.pos = max(0, min(p, n+1))
				break
			}
			take(p)
			count++
		}
	case pg.FetchDirection_FETCH_ABSOLUTE, pg.FetchDirection_FETCH_RELATIVE:
		p := int(how)
		if f.Direction == pg.FetchDirection_FETCH_RELATIVE {
			p = c.pos + int(how)
		} else if how < 0 {
			p = n + 1 + int(how)
		}
		if p < c.pos || f.Direction == pg.FetchDirection_FETCH_ABSOLUTE && how <= 0 {
			if err := backwardOK(); err != nil {
				return nil, err
			}
		}
		if p < 1 || p > n {
			c.pos = max(0, min(p, n+1))
			break
		}
		take(p)
		count = 1
	}
	r := &result{tag: verb + " " + strconv.Itoa(count)}
	if !f.Ismove {
		r.cols, r.rows = c.cols, out
	}
	return r, nil
}

// closeCursor runs CLOSE name | ALL.
func (s *Session) closeCursor(cp *pg.ClosePortalStmt) (*result, error) {
	if cp.Portalname == "" {
		s.cursors = nil
		return &result{tag: "CLOSE CURSOR ALL"}, nil
	}
	if _, ok := s.cursors[cp.Portalname]; !ok {
		return nil, pgerr.New("34000", "cursor %q does not exist", cp.Portalname)
	}
	delete(s.cursors, cp.Portalname)
	return &result{tag: "CLOSE CURSOR"}, nil
}

// endCursors drops, at the end of the transaction lxid, the cursors that
// end with it: those not WITH HOLD, and on rollback those it declared.
func (s *Session) endCursors(lxid uint32, committed bool) {
	for name, c := range s.cursors {
		if !c.hold || !committed && c.lxid == lxid {
			delete(s.cursors, name)
		}
	}
}

// Cursors lists the session's open cursors (pg_cursors), by name.
func (s *Session) Cursors() []plan.Cursor {
	out := make([]plan.Cursor, 0, len(s.cursors))
	for _, c := range s.cursors {
		out = append(out, plan.Cursor{Name: c.name, Statement: c.sql, Holdable: c.hold, Binary: c.binary,
			Scrollable: !c.noScroll, Created: c.created})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
