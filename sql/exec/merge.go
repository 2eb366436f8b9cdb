package exec

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Merge executes a MERGE plan. The join of target and source runs to the
// end first (the statement must not see its own writes); then each joined
// row, in join order, takes the first WHEN clause of its kind whose
// condition holds:
//
//   - matched (a target row): UPDATE or DELETE lock the target row, as
//     UPDATE and DELETE do. If a transaction that committed after the
//     snapshot changed it, its newest version takes its place in the
//     joined row; if that still passes the ON condition the WHEN MATCHED
//     clauses are tried again from the first, else (or if it was deleted)
//     the row is handled as not matched — PostgreSQL 15's READ COMMITTED
//     rule. Under REPEATABLE READ the change is a serialization failure
//     (Writer.LockRow). A target row that this statement already updated
//     or deleted fails with 21000.
//   - not matched: INSERT builds the row from its values and the table's
//     defaults.
//
// DO NOTHING, or no clause whose condition holds, leaves the row be. The
// count is of the rows inserted, updated and deleted.
func Merge(c *Ctx, w Writer, n *plan.Merge) (*DMLResult, error) {
	// Statement triggers fire for every action the MERGE names, whether
	// or not it runs (PostgreSQL's ExecBSMergeTriggers order).
	events, set := mergeEvents(n)
	for _, ev := range []int{catalog.TriggerInsert, catalog.TriggerUpdate, catalog.TriggerDelete} {
		if events&ev != 0 {
			if err := StatementTriggers(c, n.Table, true, ev, set); err != nil {
				return nil, err
			}
		}
	}
	rows, err := Collect(c, n.Join.Source)
	if err != nil {
		return nil, err
	}
	m := &merger{c: c, w: w, n: n, touched: map[string]bool{}, res: &DMLResult{}}
	for _, r := range rows {
		if err := c.cancelled(); err != nil {
			return nil, err
		}
		if err := m.row(r); err != nil {
			return nil, err
		}
	}
	if err := m.after.Fire(c); err != nil {
		return nil, err
	}
	for _, ev := range []int{catalog.TriggerDelete, catalog.TriggerUpdate, catalog.TriggerInsert} { // ExecASMergeTriggers'
		if events&ev != 0 {
			if err := StatementTriggers(c, n.Table, false, ev, set); err != nil {
				return nil, err
			}
		}
	}
	return m.res, nil
}

// mergeEvents are the trigger events of the actions n names, and the
// columns its UPDATE actions set.
func mergeEvents(n *plan.Merge) (events int, set []int) {
	for _, as := range [][]plan.MergeAction{n.Matched, n.NotMatched} {
		for _, a := range as {
			switch a.Kind {
			case plan.MergeInsert:
				events |= catalog.TriggerInsert
			case plan.MergeUpdate:
				events |= catalog.TriggerUpdate
				set = append(set, setCols(a.Set)...)
			case plan.MergeDelete:
				events |= catalog.TriggerDelete
			}
		}
	}
	return events, set
}

// merger is one execution of a MERGE.
type merger struct {
	c       *Ctx
	w       Writer
	n       *plan.Merge
	touched map[string]bool // keys of the target rows updated or deleted
	res     *DMLResult
	after   AfterRows
}

// row handles one joined row (Collect's copy: it may be changed).
func (m *merger) row(r []types.Value) error {
	kc := m.n.Join.KeyCol
	if !r[kc].IsNull() {
		done, err := m.matched(r)
		if done || err != nil {
			return err
		}
		// No longer matched: the source row alone.
		for i := 0; i <= kc; i++ {
			r[i] = types.Null
		}
	}
	a, err := m.choose(m.n.NotMatched, r)
	if err != nil || a == nil || a.Kind != plan.MergeInsert {
		return err
	}
	t := m.n.Table
	row := make([]types.Value, len(t.Columns))
	given := make([]bool, len(t.Columns))
	for i, col := range a.Target {
		if a.Values[i] == nil {
			continue // DEFAULT
		}
		if row[col], err = Eval(m.c, a.Values[i], r); err != nil {
			return err
		}
		given[col] = true
	}
	if err := FillDefaults(m.c, t, a.Defaults, row, given, a.Override); err != nil {
		return err
	}
	if row, err = BeforeRow(m.c, t, catalog.TriggerInsert, nil, nil, row); err != nil || row == nil {
		return err
	}
	if _, err := m.w.Insert(t, row); err != nil {
		return err
	}
	m.after.Add(t, catalog.TriggerInsert, nil, nil, row)
	m.res.Count++
	return nil
}

// matched runs the WHEN MATCHED clauses for joined row r. done is false
// when the target row turned out to be deleted or changed so that it no
// longer joins: the caller then runs the WHEN NOT MATCHED clauses.
func (m *merger) matched(r []types.Value) (done bool, err error) {
	t, kc := m.n.Table, m.n.Join.KeyCol
	key := []byte(r[kc].S)
	locked := false
	for {
		a, err := m.choose(m.n.Matched, r)
		if err != nil || a == nil || a.Kind == plan.MergeNothing {
			return true, err
		}
		if m.touched[string(key)] {
			return true, pgerr.New(pgerr.CardinalityViolation, "MERGE command cannot affect row a second time").
				WithHint("Ensure that not more than one source row matches any one target row.")
		}
		if !locked {
			locked = true
			cur, ok, changed, err := m.w.LockRow(m.c.Context, t, key)
			if err != nil {
				return true, err
			}
			if changed {
				if !ok {
					return false, nil // deleted meanwhile
				}
				var pass bool
				if r, pass, err = withNewest(m.c, m.n.Join, r, cur); err != nil || !pass {
					return err != nil, err
				}
				continue // the clauses again, over the newest version
			}
		}
		old := r[:kc:kc]
		switch a.Kind {
		case plan.MergeUpdate:
			updated := append([]types.Value(nil), old...)
			for _, s := range a.Set {
				if updated[s.Col], err = Eval(m.c, s.E, r); err != nil {
					return true, err
				}
			}
			set := setCols(a.Set)
			if updated, err = BeforeRow(m.c, t, catalog.TriggerUpdate, set, old, updated); err != nil || updated == nil {
				return true, err
			}
			if _, err := m.w.Update(t, key, old, updated); err != nil {
				return true, err
			}
			m.after.Add(t, catalog.TriggerUpdate, set, old, updated)
		case plan.MergeDelete:
			if keep, err := BeforeRow(m.c, t, catalog.TriggerDelete, nil, old, nil); err != nil || keep == nil {
				return true, err
			}
			if err := m.w.Delete(t, key); err != nil {
				return true, err
			}
			m.after.Add(t, catalog.TriggerDelete, nil, old, nil)
		}
		m.touched[string(key)] = true
		m.res.Count++
		return true, nil
	}
}

// choose returns the first of the clauses whose condition holds for row
// r, or nil.
func (m *merger) choose(clauses []plan.MergeAction, r []types.Value) (*plan.MergeAction, error) {
	for i := range clauses {
		a := &clauses[i]
		if a.Cond == nil {
			return a, nil
		}
		v, err := Eval(m.c, a.Cond, r)
		if err != nil {
			return nil, err
		}
		if isTrue(v) {
			return a, nil
		}
	}
	return nil, nil
}
