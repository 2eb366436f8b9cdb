package sql

import (
	"context"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Point updates: UPDATE t SET c = c + $1 WHERE pk = $2 — pgbench's TPC-B
// sends three per transaction — changes at most one row, found by its
// whole primary key, and leaves every key alone. Such a statement is
// reduced once, when bound, to a pointUpdate, and run without the
// executor: key encoded into the session's buffer, the row read (the
// transaction's own write first), locked and re-checked, the new row built
// and put into the write set — the very steps of exec.Update and
// txnView.Update, in the same order and with the same READ COMMITTED /
// REPEATABLE READ behaviour (LockRow), minus what cannot apply: the
// uniqueness check (no column of a unique index or the primary key is
// assigned, so no key changes) and the generic target-row collection.
// It runs inside the ordinary statement frame (beginStatement, autocommit
// commit and retry), in explicit and implicit transactions alike.

// pointUpdate is a bound UPDATE reduced to a point update.
type pointUpdate struct {
	table  *catalog.Table
	keyEq  []plan.Expr // one per primary-key column, evaluated without a row
	keyT   []types.Type
	filter plan.Expr // nil: none
	set    []plan.SetClause
}

// pointUpdateOf returns the point update bound is, or nil: an UPDATE
// without RETURNING whose scan fixes the whole primary key with
// parameters, constants and operators on them, whose filter and SET
// expressions are of the same kinds plus the row's columns, and that
// assigns no column of the primary key or of a unique index.
func pointUpdateOf(bound any) *pointUpdate {
	u, ok := bound.(*plan.Update)
	if !ok || u == nil || len(u.Returning) > 0 || u.Scan == nil || u.Join != nil || len(u.Modifying) > 0 || len(u.ViewChecks) > 0 {
		return nil
	}
	sc := u.Scan
	if sc.Index != nil || sc.Table == nil || sc.Table.PK() == nil || sc.Table.HasGenerated() || sc.Table.HasTriggers(catalog.TriggerUpdate) {
		return nil
	}
	if hasExprIndexes(sc.Table) {
		// Any column may feed an index expression or predicate, whose
		// keys txnView.Update computes and checks.
		return nil
	}
	t := sc.Table
	pk := t.PK().Columns
	if len(sc.KeyEq) == 0 || len(sc.KeyEq) != len(pk) {
		return nil
	}
	for _, s := range u.Set {
		if s.Col < 0 || s.Col >= len(t.Columns) {
			return nil
		}
		for i := range t.Indexes {
			ix := &t.Indexes[i]
			if !ix.Primary && !ix.Unique {
				continue
			}
			for _, c := range ix.Columns {
				if c == s.Col {
					return nil // the key or a unique value may change
				}
			}
		}
	}
	rowExprs := []plan.Expr{sc.Filter}
	for _, s := range u.Set {
		rowExprs = append(rowExprs, s.E)
	}
	keyT, ok := pointKeyTypes(t, sc.KeyEq, rowExprs...)
	if !ok {
		return nil
	}
	return &pointUpdate{table: t, keyEq: sc.KeyEq, keyT: keyT, filter: sc.Filter, set: u.Set}
}

// runPointUpdate runs st's point update in the open transaction (begun by
// beginStatement, as for exec.Update).
func (s *Session) runPointUpdate(ctx context.Context, st *statement, params []types.Value) (*result, error) {
	pu := st.pointUpd
	t := pu.table
	v := txnView{s: s, t: s.txn, snap_: uint64(s.txn.snap), start: uint64(s.txn.snap)}
	c := &s.pointCtx
	s.funcCtx.Session = sessionState{s}
	*c = exec.Ctx{Context: ctx, Params: params, Loc: s.loc, Funcs: &s.funcCtx, Session: s, Env: s}
	defer func() { *c = exec.Ctx{} }() // keep nothing of this statement reachable
	key := s.updKey[:0]
	for i, e := range pu.keyEq {
		kv, err := exec.Eval(c, e, nil)
		if err != nil {
			return nil, err
		}
		if kv.IsNull() {
			return &result{tag: "UPDATE 0"}, nil // matches no row
		}
		key = keycode.Append(key, kv, pu.keyT[i])
	}
	s.updKey = key
	// The row as the statement's snapshot (and the transaction's own
	// writes) has it: exec.targetRows.
	row, found, inStore := v.getInto(t, key, &s.updRow)
	if !found {
		return &result{tag: "UPDATE 0"}, nil
	}
	if ok, err := pointFilter(c, pu.filter, row); err != nil || !ok {
		return &result{tag: "UPDATE 0"}, err
	}
	// Lock it; a row changed meanwhile is re-read and re-checked
	// (exec.lockAndRecheck).
	locked, ok, changed, err := v.LockRow(ctx, t, key)
	if err != nil {
		return nil, err
	}
	if changed {
		if !ok {
			return &result{tag: "UPDATE 0"}, nil // deleted meanwhile
		}
		if ok, err := pointFilter(c, pu.filter, locked); err != nil || !ok {
			return &result{tag: "UPDATE 0"}, err
		}
		row = locked
	}
	updated := make([]types.Value, len(t.Columns))
	copy(updated, row)
	for i := len(row); i < len(updated); i++ {
		updated[i] = types.Null
	}
	for _, sc := range pu.set {
		if updated[sc.Col], err = exec.Eval(c, sc.E, row); err != nil {
			return nil, err
		}
	}
	// txnView.Update with the key unchanged and no unique value assigned.
	if err := v.checkNotNull(t, updated); err != nil {
		return nil, err
	}
	if err := v.checkRow(t, updated); err != nil {
		return nil, err
	}
	// A row read from the store at the snapshot is in the base (inBase:
	// visible at v.snap(), the snapshot getInto read at — it moves only
	// after a pending read, and getInto already waited for an earlier
	// one; LockRow's of this key makes PendingBase true anyway), so
	// lockedInBase is true without looking the key up again.
	inBase := inStore || v.lockedInBase(t, key)
	v.t.writes.PutAt(t.ID, key, updated, inBase, v.lockedAt(t, key))
	v.after(t, key)
	if err := v.fkUpdated(t, key, key, row, updated); err != nil {
		return nil, err
	}
	return &result{tag: "UPDATE 1"}, nil
}

// getInto is txnView.Get decoding a row of the store into *buf's storage
// (the point update copies what it keeps). inStore: the row was read from
// the store at v.snap(), not from the transaction's own writes.
func (v *txnView) getInto(t *catalog.Table, key []byte, buf *[]types.Value) (row []types.Value, found, inStore bool) {
	v.readKey(t, key)
	tw := v.t.writes.Table(t.ID)
	if p, ok := tw.Lookup(key); ok {
		if p.Deleted() {
			return nil, false, false
		}
		return fill(t, p.Values()), true, false
	}
	st := v.storeTable(t)
	if st == nil || (tw != nil && tw.Truncated) {
		return nil, false, false
	}
	row, ok := st.GetInto(key, v.snap(), *buf)
	countPoint(st, t, ok)
	*buf = row
	if !ok {
		return nil, false, false
	}
	return fill(t, row), true, true
}

// pointFilter evaluates a point plan's filter on row (nil: no filter).
func pointFilter(c *exec.Ctx, filter plan.Expr, row []types.Value) (bool, error) {
	if filter == nil {
		return true, nil
	}
	v, err := exec.Eval(c, filter, row)
	if err != nil {
		return false, err
	}
	return !v.IsNull() && v.Bool(), nil // exec's isTrue
}
