package sql

import (
	"context"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Point reads: a query that reads one row by its whole primary key and
// returns some of its columns (SELECT abalance FROM pgbench_accounts WHERE
// aid = $1) is what pgbench -S and most OLTP reads send, again and again.
// Executed in autocommit it needs no transaction: its plan is reduced once,
// when bound, to a pointPlan, and each execution pins the applied offset,
// encodes the key, reads the row into reused storage, projects it and
// unpins — no transaction state, iterator tree, executor context or row
// slice is allocated, and the result object is the session's own. Inside
// an explicit transaction (pgbench's TPC-B reads the balance it just
// updated) the same plan reads the transaction's own write of the key if
// it made one, else the row at the statement's snapshot, refreshed as for
// any statement (execPointTxn). Everything else (an implicit transaction
// left open by a portal; omendb.as_of; omendb.engine = column;
// omendb.point_plans = off) takes the ordinary path, which gives the same
// answer.

// pointPlan is a bound query reduced to a point read.
type pointPlan struct {
	table  *catalog.Table
	keyEq  []plan.Expr // one per primary-key column, evaluated without a row
	keyT   []types.Type
	filter plan.Expr // nil: none
	proj   []int     // the table column of each result column
}

// pointPlanOf returns the point read q is, or nil: q must be a Project of
// plain columns (or a bare scan) over a scan that fixes the whole primary
// key with parameters, constants and operators on them, filtered (if at
// all) by expressions of the same kinds and the row's columns.
func pointPlanOf(bound any) *pointPlan {
	q, ok := bound.(*plan.Query)
	if !ok || q == nil || len(q.Modifying) > 0 {
		return nil
	}
	root := q.Root
	var proj []int
	if p, ok := root.(*plan.Project); ok {
		for _, e := range p.Exprs {
			c, ok := e.(*plan.ColRef)
			if !ok {
				return nil
			}
			proj = append(proj, c.Idx)
		}
		root = p.Input
	}
	sc, ok := root.(*plan.Scan)
	if !ok || sc.Index != nil || sc.Table == nil || sc.Table.PK() == nil {
		return nil
	}
	pk := sc.Table.PK().Columns
	if len(sc.KeyEq) == 0 || len(sc.KeyEq) != len(pk) || len(sc.Cols) != len(sc.Table.Columns) {
		return nil
	}
	if proj == nil { // SELECT * without a Project: the whole row
		for i := range sc.Table.Columns {
			proj = append(proj, i)
		}
	}
	for _, c := range proj {
		if c < 0 || c >= len(sc.Table.Columns) {
			return nil
		}
	}
	keyT, ok := pointKeyTypes(sc.Table, sc.KeyEq, sc.Filter)
	if !ok {
		return nil
	}
	return &pointPlan{table: sc.Table, keyEq: sc.KeyEq, keyT: keyT, filter: sc.Filter, proj: proj}
}

// pointKeyTypes reports whether a point plan can evaluate keyEq (one
// expression per primary-key column of t) without a row and rowExprs
// (nil entries allowed) over the row, both from parameters, constants,
// casts and operators only — a subquery or function call takes the
// ordinary path — and returns the key columns' types.
func pointKeyTypes(t *catalog.Table, keyEq []plan.Expr, rowExprs ...plan.Expr) ([]types.Type, bool) {
	simple := true
	check := func(rowOK bool) func(plan.Expr) bool {
		return func(e plan.Expr) bool {
			switch e.(type) {
			case *plan.Param, *plan.Const, *plan.Cast, *plan.BinOp, *plan.Neg, *plan.Cmp, *plan.Logic, *plan.IsNull:
			case *plan.ColRef:
				simple = simple && rowOK
			default:
				simple = false
			}
			return simple
		}
	}
	pk := t.PK().Columns
	keyT := make([]types.Type, 0, len(keyEq))
	for i, e := range keyEq {
		plan.Walk(e, check(false))
		keyT = append(keyT, t.KeyType(pk[i]))
	}
	for _, e := range rowExprs {
		plan.Walk(e, check(true))
	}
	return keyT, simple
}

// pointResult is a point read's result. The session keeps one and hands it
// out again once closed; rows and key are its reused storage.
type pointResult struct {
	cols  []pgwire.Column
	row   []types.Value // the stored row, decoded
	out   []types.Value // the result row
	key   []byte
	found bool // a row matched
	sent  bool // Next returned it
	open  bool // handed out and not closed
}

func (r *pointResult) Columns() []pgwire.Column { return r.cols }

func (r *pointResult) Next(context.Context) ([]types.Value, error) {
	if !r.found || r.sent {
		return nil, nil
	}
	r.sent = true
	return r.out, nil
}

func (r *pointResult) Tag() string {
	if r.found {
		return "SELECT 1"
	}
	return "SELECT 0"
}

func (r *pointResult) Copy() pgwire.Copy { return nil }

func (r *pointResult) Close() error {
	r.open = false
	return nil
}

// execPoint runs st as a point read if it is one and the session is in
// autocommit or an explicit transaction block (not failed: Execute checks)
// with nothing that needs the ordinary path; ok is false otherwise
// (nothing was done).
func (s *Session) execPoint(ctx context.Context, st *statement, params []types.Value) (res pgwire.Result, ok bool, err error) {
	if st.point == nil || st.raw == nil || (s.txn != nil && !s.txn.explicit) {
		return nil, false, nil
	}
	if s.settings["omendb.as_of"] != "" || s.settings["omendb.engine"] == "column" || s.settings["omendb.point_plans"] == "off" {
		return nil, false, nil
	}
	if s.txn != nil {
		res, ok, err = s.execPointTxn(ctx, st, params)
		if err != nil {
			s.failed = true // as any failed statement of a transaction block
		}
		return res, ok, err
	}
	if err := s.waitMinOffset(); err != nil {
		return nil, true, err
	}
	store := s.eng.Store
	// Pin first, then bind against the catalog (as startTxn does): the
	// snapshot is not older than the catalog the plan was checked against.
	snap := store.PinApplied()
	defer store.Unpin(snap)
	if err := st.bind(); err != nil {
		return nil, true, err
	}
	pp := st.point
	if pp == nil {
		return nil, false, nil // rebound to something else: the ordinary path
	}
	res, ok, err = s.pointRead(ctx, pp, st, params, func(key []byte, buf *[]types.Value) (row []types.Value, found bool) {
		if t := store.Table(pp.table.ID); t != nil {
			*buf, found = t.GetInto(key, snap, *buf)
			countPoint(t, pp.table, found)
		}
		return *buf, found
	})
	s.eng.stats.countXact(err == nil) // an autocommit transaction of its own
	return res, ok, err
}

// execPointTxn is execPoint inside an explicit transaction: the
// statement's snapshot is refreshed as for any statement (READ COMMITTED;
// beginStatement), and the row is the transaction's own write of the key
// if it made one, else the row visible at the snapshot — read as
// txnView.Get reads it, after waiting for a batch the transaction read a
// pending write of (txnView.snap).
func (s *Session) execPointTxn(ctx context.Context, st *statement, params []types.Value) (pgwire.Result, bool, error) {
	if err := s.refreshSnapshot(); err != nil {
		return nil, true, err
	}
	s.funcCtx.StmtTime = time.Now()
	if err := st.bind(); err != nil {
		return nil, true, err
	}
	pp := st.point
	if pp == nil {
		return nil, false, nil // rebound to something else: the ordinary path
	}
	v := txnView{s: s, t: s.txn, snap_: uint64(s.txn.snap), start: uint64(s.txn.snap)}
	s.txn.queried = true
	return s.pointRead(ctx, pp, st, params, func(key []byte, buf *[]types.Value) (row []types.Value, found bool) {
		v.readKey(pp.table, key)
		tw := v.t.writes.Table(pp.table.ID)
		if p, ok := tw.Lookup(key); ok {
			return p.Values(), !p.Deleted() // the transaction's own write
		}
		if tw != nil && tw.Truncated {
			return nil, false
		}
		if t := s.eng.Store.Table(pp.table.ID); t != nil {
			*buf, found = t.GetInto(key, v.snap(), *buf)
			countPoint(t, pp.table, found)
		}
		return *buf, found
	})
}

// pointRead evaluates pp's key, reads the row with get (buf: the result's
// reusable row storage), filters and projects it into the session's point
// result.
func (s *Session) pointRead(ctx context.Context, pp *pointPlan, st *statement, params []types.Value, get func(key []byte, buf *[]types.Value) ([]types.Value, bool)) (pgwire.Result, bool, error) {
	r := &s.pointRes
	if r.open {
		r = &pointResult{} // an earlier one is still open (a suspended portal)
	}
	r.cols, r.found, r.sent = st.cols, false, false
	c := &s.pointCtx
	s.funcCtx.Session = sessionState{s}
	*c = exec.Ctx{Context: ctx, Params: params, Loc: s.loc, Funcs: &s.funcCtx, Session: s, Env: s}
	key := r.key[:0]
	null := false
	for i, e := range pp.keyEq {
		v, err := exec.Eval(c, e, nil)
		if err != nil {
			return nil, true, err
		}
		if v.IsNull() {
			null = true // matches no row
			break
		}
		key = keycode.Append(key, v, pp.keyT[i])
	}
	r.key = key
	var row []types.Value
	if !null {
		row, r.found = get(key, &r.row)
	}
	if r.found {
		if len(row) < len(pp.table.Columns) {
			row = fill(pp.table, row) // stored before ADD COLUMN
		}
		if pp.filter != nil {
			v, err := exec.Eval(c, pp.filter, row)
			if err != nil {
				return nil, true, err
			}
			r.found = !v.IsNull() && v.Bool()
		}
		out := r.out[:0]
		for _, i := range pp.proj {
			out = append(out, oltp.ColValue(pp.table, row, i))
		}
		r.out = out
	}
	*c = exec.Ctx{} // keep nothing of this statement reachable
	r.open = true
	return r, true, nil
}
