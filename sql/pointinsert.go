package sql

import (
	"context"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Point inserts: INSERT INTO t [(cols)] VALUES ($1, …) — one row of
// parameters, constants and expressions on them (pgbench's history INSERT
// with CURRENT_TIMESTAMP, bench commit's prepared insert) — is reduced once,
// when bound, to a pointInsert, and run without the executor: no iterator,
// row set, DML result or executor context is made. It takes exec.Insert's
// steps in the same order — the row built from the VALUES entries and the
// columns' defaults, the GENERATED ALWAYS check — and txnView.Insert's
// checks (NOT NULL, then every unique index in the table's order, 23502 /
// 23505 with the same messages), with the primary key encoded once and
// looked up once: its conflict check and the write's "in the base" flag
// come from the same read. It runs inside the ordinary statement frame
// (beginStatement, autocommit commit and retry), in explicit and implicit
// transactions alike; omendb.point_plans = off sends it through
// exec.Insert.

// pointInsert is a bound INSERT reduced to a point insert.
type pointInsert struct {
	table    *catalog.Table
	target   []int       // the table column of each VALUES entry
	vals     []plan.Expr // the VALUES row; nil entry: DEFAULT
	defaults []plan.Expr // per table column; nil: NULL
	override plan.Overriding
}

// pointInsertOf returns the point insert bound is, or nil: an INSERT of one
// VALUES row without ON CONFLICT or RETURNING whose entries and the
// table's defaults are built from parameters, constants, operators and
// functions only (no subquery or column reference).
func pointInsertOf(bound any) *pointInsert {
	n, ok := bound.(*plan.Insert)
	if !ok || n == nil || n.OnConflict != nil || len(n.Returning) > 0 || n.Table == nil || len(n.Modifying) > 0 || len(n.ViewChecks) > 0 || n.Table.HasGenerated() || n.Table.HasTriggers(catalog.TriggerInsert) {
		return nil
	}
	v, ok := n.Source.(*plan.Values)
	if !ok || len(v.Rows) != 1 || len(v.Rows[0]) != len(n.Target) || len(n.Defaults) != len(n.Table.Columns) {
		return nil
	}
	simple := true
	check := func(e plan.Expr) bool {
		switch e.(type) {
		case *plan.Param, *plan.Const, *plan.Cast, *plan.BinOp, *plan.Neg, *plan.Cmp, *plan.Logic, *plan.IsNull,
			*plan.BoolTest, *plan.Func, *plan.Case, *plan.Coalesce, *plan.NullIf, *plan.SeqFunc, *plan.SessionFunc:
		default:
			simple = false
		}
		return simple
	}
	for _, e := range v.Rows[0] {
		plan.Walk(e, check)
	}
	for _, e := range n.Defaults {
		plan.Walk(e, check)
	}
	if !simple {
		return nil
	}
	for _, c := range n.Target {
		if c < 0 || c >= len(n.Table.Columns) {
			return nil
		}
	}
	return &pointInsert{table: n.Table, target: n.Target, vals: v.Rows[0], defaults: n.Defaults, override: n.Override}
}

// runPointInsert runs st's point insert in the open transaction (begun by
// beginStatement, as for exec.Insert).
func (s *Session) runPointInsert(ctx context.Context, st *statement, params []types.Value) (*result, error) {
	pi := st.pointIns
	t := pi.table
	c := &s.pointCtx
	s.funcCtx.Session = sessionState{s}
	*c = exec.Ctx{Context: ctx, Params: params, Loc: s.loc, Funcs: &s.funcCtx, Session: s, Env: s}
	defer func() { *c = exec.Ctx{} }() // keep nothing of this statement reachable
	// exec.Insert: the VALUES entries (Values), then per column the
	// GENERATED ALWAYS check or the default.
	row := make([]types.Value, len(t.Columns))
	var givenBuf [16]bool
	var given []bool
	if len(t.Columns) <= len(givenBuf) {
		given = givenBuf[:len(t.Columns)]
	} else {
		given = make([]bool, len(t.Columns))
	}
	for i, e := range pi.vals {
		if e == nil {
			continue // DEFAULT
		}
		v, err := exec.Eval(c, e, nil)
		if err != nil {
			return nil, err
		}
		row[pi.target[i]] = v
		given[pi.target[i]] = true
	}
	if err := exec.FillDefaults(c, t, pi.defaults, row, given, pi.override); err != nil {
		return nil, err
	}
	v := txnView{s: s, t: s.txn, snap_: uint64(s.txn.snap), start: uint64(s.txn.snap)}
	if err := v.insertPoint(t, row); err != nil {
		return nil, err
	}
	return &result{tag: "INSERT 0 1"}, nil
}

// insertPoint is txnView.Insert (insertEncoded) with the primary key
// encoded and read once: the same checks in the same order with the same
// errors, and the same write.
func (v *txnView) insertPoint(t *catalog.Table, row []types.Value) error {
	pk := t.PK()
	if pk == nil {
		_, err := v.insertEncoded(t, row, nil)
		return err
	}
	if err := v.checkNotNull(t, row); err != nil {
		return err
	}
	if err := v.checkRow(t, row); err != nil {
		return err
	}
	key := oltp.EncodeKey(t, pk, row)
	// inBase: visible at the snapshot, whatever the transaction did to it
	// (txnView.inBase).
	inBase := false
	v.readKey(t, key)
	if st := v.storeTable(t); st != nil {
		inBase = st.Visible(key, v.snap())
	}
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		switch {
		case ix.Primary:
			if hasNull(ix, row) {
				continue // NULLs never conflict (txnView.conflict)
			}
			// txnView.lookup: the transaction's own state of the key, else
			// the snapshot's (none after its TRUNCATE).
			tw := v.t.writes.Table(t.ID)
			dup := false
			if p, ok := tw.Lookup(key); ok {
				dup = !p.Deleted()
			} else {
				dup = inBase && (tw == nil || !tw.Truncated)
			}
			if dup {
				return uniqueViolation(t, ix, row, v.s)
			}
		case ix.Unique:
			_, _, found, err := v.conflict(t, ix, row, nil)
			if err != nil {
				return err
			}
			if found {
				return uniqueViolation(t, ix, row, v.s)
			}
		}
	}
	if hasExprIndexes(t) {
		if err := v.checkIndexKeys(t, row); err != nil {
			return err
		}
	}
	v.t.writes.Put(t.ID, key, row, inBase)
	if len(t.ForeignKeys) > 0 {
		v.fkWritten(t, key, nil, row)
	}
	return nil
}

// hasNull reports whether row has a NULL in a column of ix.
func hasNull(ix *catalog.Index, row []types.Value) bool {
	for _, c := range ix.Columns {
		if c >= len(row) || row[c].IsNull() {
			return true
		}
	}
	return false
}
