package exec

import (
	"context"
	"strings"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Writer buffers a transaction's writes. The session implements it over the
// transaction's write set; constraint checks (NOT NULL, primary key and
// unique) happen here, at statement time, against the snapshot plus the
// transaction's own writes. The committer re-validates at commit.
type Writer interface {
	// Insert adds a full physical row and returns its primary key.
	Insert(t *catalog.Table, row []types.Value) ([]byte, error)
	// FindConflict returns the visible row that conflicts with row on unique
	// index ix (any unique index when ix is nil).
	FindConflict(t *catalog.Table, ix *catalog.Index, row []types.Value) (key []byte, existing []types.Value, found bool, err error)
	// Update replaces the row with primary key key by row (re-keying it if
	// the primary key changed) and returns the row's key afterwards.
	Update(t *catalog.Table, key []byte, old, row []types.Value) ([]byte, error)
	// Delete removes the row with primary key key.
	Delete(t *catalog.Table, key []byte) error
	// LockRow takes the row's write lock before it is updated or deleted.
	// changed reports that the row was changed by a transaction that
	// committed after the statement's snapshot: row is then its newest
	// committed version (ok = false if it was deleted), which the statement
	// must re-check (PostgreSQL's READ COMMITTED re-evaluation). An
	// unchanged row is not returned again (row may be nil): the caller has it.
	LockRow(ctx context.Context, t *catalog.Table, key []byte) (row []types.Value, ok, changed bool, err error)
}

// SpeculativeWriter is a Writer that can mark a row inserted by INSERT …
// ON CONFLICT: its key, free at the statement's snapshot, may be taken by a
// concurrent commit, which must then fail the commit as a serialization
// failure (re-run, it takes the ON CONFLICT branch), not as 23505.
type SpeculativeWriter interface {
	MarkSpeculative(t *catalog.Table, key []byte)
}

// DMLResult is what an INSERT / UPDATE / DELETE did.
type DMLResult struct {
	Count int64
	Rows  [][]types.Value // RETURNING rows
}

// checkViews evaluates the WITH CHECK OPTION conditions of the views a
// statement writes through on a row it wrote: one not true (false or NULL:
// the row would not be visible through the view) fails with 44000.
func checkViews(c *Ctx, checks []plan.ViewCheck, t *catalog.Table, row []types.Value) error {
	for _, vc := range checks {
		v, err := Eval(c, vc.Cond, row)
		if err != nil {
			return err
		}
		if !isTrue(v) {
			return pgerr.New(pgerr.WithCheckOptionViolation, "new row violates check option for view %q", vc.View).
				WithDetail("Failing row contains %s.", RowText(t, row, c.Loc))
		}
	}
	return nil
}

// RowText is a row of t as PostgreSQL's error details show it: "(1, abc,
// null)", dropped columns left out.
func RowText(t *catalog.Table, row []types.Value, loc *time.Location) string {
	var parts []string
	for i, c := range t.Columns {
		if c.Dropped {
			continue
		}
		if i >= len(row) || row[i].IsNull() {
			parts = append(parts, "null")
			continue
		}
		parts = append(parts, types.TextString(row[i], c.Type, loc))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Insert executes an INSERT plan.
func Insert(c *Ctx, w Writer, n *plan.Insert) (*DMLResult, error) {
	res := &DMLResult{}
	src, err := Open(c, n.Source)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	t := n.Table
	// A VALUES entry of DEFAULT arrives as a nil expression; Values leaves
	// its slot as the zero Value, so track which targets were given.
	var valueRows [][]plan.Expr
	if v, ok := n.Source.(*plan.Values); ok {
		valueRows = v.Rows
	}
	touched := map[string]bool{}
	if err := StatementTriggers(c, t, true, catalog.TriggerInsert, nil); err != nil {
		return nil, err
	}
	var ocSet []int // ON CONFLICT DO UPDATE's SET columns (UPDATE OF triggers)
	if oc := n.OnConflict; oc != nil && !oc.Nothing {
		ocSet = setCols(oc.Set)
		if err := StatementTriggers(c, t, true, catalog.TriggerUpdate, ocSet); err != nil {
			return nil, err
		}
	}
	var after AfterRows
	for ri := 0; ; ri++ {
		r, err := src.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		if err := c.cancelled(); err != nil {
			return nil, err
		}
		row := make([]types.Value, len(t.Columns))
		given := make([]bool, len(t.Columns))
		for i, col := range n.Target {
			if valueRows != nil && ri < len(valueRows) && valueRows[ri][i] == nil {
				continue
			}
			row[col] = r[i]
			given[col] = true
		}
		if err := FillDefaults(c, t, n.Defaults, row, given, n.Override); err != nil {
			return nil, err
		}
		if row, err = BeforeRow(c, t, catalog.TriggerInsert, nil, nil, row); err != nil {
			return nil, err
		} else if row == nil {
			continue
		}
		key := []byte(nil)
		if oc := n.OnConflict; oc != nil {
			var ck []byte
			var existing []types.Value
			var found bool
			if len(oc.Arbiters) == 0 {
				ck, existing, found, err = w.FindConflict(t, nil, row)
			}
			for _, ix := range oc.Arbiters {
				if ck, existing, found, err = w.FindConflict(t, ix, row); found || err != nil {
					break
				}
			}
			if err != nil {
				return nil, err
			}
			if found && !oc.Nothing {
				cur, ok, changed, err := w.LockRow(c.Context, t, ck)
				if err != nil {
					return nil, err
				}
				if changed {
					existing, found = cur, ok
				}
			}
			if found {
				if oc.Nothing {
					continue
				}
				if touched[string(ck)] {
					return nil, pgerr.New(pgerr.CardinalityViolation, "ON CONFLICT DO UPDATE command cannot affect row a second time").
						WithHint("Ensure that no rows proposed for insertion within the same command have duplicate constrained values.")
				}
				both := append(append(make([]types.Value, 0, 2*len(row)), existing...), row...)
				if oc.Where != nil {
					v, err := Eval(c, oc.Where, both)
					if err != nil {
						return nil, err
					}
					if !isTrue(v) {
						continue
					}
				}
				updated := append([]types.Value(nil), existing...)
				for _, s := range oc.Set {
					if updated[s.Col], err = Eval(c, s.E, both); err != nil {
						return nil, err
					}
				}
				if updated, err = BeforeRow(c, t, catalog.TriggerUpdate, ocSet, existing, updated); err != nil {
					return nil, err
				} else if updated == nil {
					continue
				}
				nk, err := w.Update(t, ck, existing, updated)
				if err != nil {
					return nil, err
				}
				after.Add(t, catalog.TriggerUpdate, ocSet, existing, updated)
				if err := checkViews(c, n.ViewChecks, t, updated); err != nil {
					return nil, err
				}
				touched[string(nk)] = true
				res.Count++
				if err := returning(c, res, n.Returning, updated); err != nil {
					return nil, err
				}
				continue
			}
		}
		if key, err = w.Insert(t, row); err != nil {
			return nil, err
		}
		after.Add(t, catalog.TriggerInsert, nil, nil, row)
		if err := checkViews(c, n.ViewChecks, t, row); err != nil {
			return nil, err
		}
		if n.OnConflict != nil {
			touched[string(key)] = true
			if sw, ok := w.(SpeculativeWriter); ok {
				sw.MarkSpeculative(t, key)
			}
		}
		res.Count++
		if err := returning(c, res, n.Returning, row); err != nil {
			return nil, err
		}
	}
	if err := after.Fire(c); err != nil {
		return nil, err
	}
	if oc := n.OnConflict; oc != nil && !oc.Nothing {
		if err := StatementTriggers(c, t, false, catalog.TriggerUpdate, ocSet); err != nil {
			return nil, err
		}
	}
	if err := StatementTriggers(c, t, false, catalog.TriggerInsert, nil); err != nil {
		return nil, err
	}
	return res, nil
}

func returning(c *Ctx, res *DMLResult, exprs []plan.Expr, row []types.Value) error {
	if len(exprs) == 0 {
		return nil
	}
	out := make([]types.Value, len(exprs))
	for i, e := range exprs {
		v, err := Eval(c, e, row)
		if err != nil {
			return err
		}
		out[i] = v
	}
	res.Rows = append(res.Rows, out)
	return nil
}

type keyedRow struct {
	key []byte
	row []types.Value
}

// targetRows collects the rows an UPDATE or DELETE affects before changing
// any (so a statement never sees its own changes).
func targetRows(c *Ctx, sc *plan.Scan) ([]keyedRow, error) {
	var out []keyedRow
	var ferr error
	read := 0
	defer func() { CountScan(c, sc, read) }()
	visit := func(key []byte, row []types.Value) bool {
		read++
		if err := c.cancelled(); err != nil {
			ferr = err
			return false
		}
		if sc.Filter != nil {
			v, err := Eval(c, sc.Filter, row)
			if err != nil {
				ferr = err
				return false
			}
			if !isTrue(v) {
				return true
			}
		}
		out = append(out, keyedRow{key: append([]byte(nil), key...), row: row})
		return true
	}
	lo, hi, empty, err := ScanBounds(c, sc)
	if err != nil || empty {
		return nil, err
	}
	switch {
	case sc.Index != nil:
		err = c.Reader.IndexRange(sc.Table, sc.Index, lo, hi, false, func(_, key []byte, row []types.Value) bool {
			return visit(key, row)
		})
	case sc.Range == nil && len(sc.KeyEq) > 0 && len(sc.KeyEq) == len(sc.Table.PK().Columns):
		if pr, ok := c.Reader.(PointReader); ok {
			// The whole primary key is bound (UPDATE … WHERE pk = $1): one
			// index Get, not a range scan. lo is ours: no copy.
			row, found, e := pr.Get(sc.Table, lo)
			if e != nil || !found {
				return nil, e
			}
			visit(nil, row)
			if len(out) == 1 {
				out[0].key = lo
			}
			return out, ferr
		}
		fallthrough
	default:
		err = c.Reader.Scan(sc.Table, lo, hi, visit)
	}
	if err != nil {
		return nil, err
	}
	return out, ferr
}

// lockAndRecheck locks a target row; if it changed since the snapshot, the
// newest version replaces it and must still pass the statement's filter.
func lockAndRecheck(c *Ctx, w Writer, sc *plan.Scan, kr keyedRow) ([]types.Value, bool, error) {
	row, ok, changed, err := w.LockRow(c.Context, sc.Table, kr.key)
	if err != nil {
		return nil, false, err
	}
	if !changed {
		return kr.row, false, nil
	}
	if !ok {
		return nil, true, nil // deleted meanwhile
	}
	if sc.Filter != nil {
		v, err := Eval(c, sc.Filter, row)
		if err != nil {
			return nil, false, err
		}
		if !isTrue(v) {
			return nil, true, nil
		}
	}
	return row, false, nil
}

// joinedTarget is a target row of UPDATE … FROM / DELETE … USING: its key
// and the joined row it is written with (plan.TargetJoin's layout).
type joinedTarget struct {
	key []byte
	row []types.Value
}

// joinTargets runs tj's join to the end before anything is written (the
// statement must not see its own writes) and returns each target row once,
// with the first joined row it met.
func joinTargets(c *Ctx, tj *plan.TargetJoin) ([]joinedTarget, error) {
	it, err := Open(c, tj.Source)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []joinedTarget
	seen := map[string]bool{}
	for {
		r, err := it.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			return out, nil
		}
		k := r[tj.KeyCol].S
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, joinedTarget{key: []byte(k), row: append([]types.Value(nil), r...)})
	}
}

// lockJoined locks a joined target row. If a transaction that committed
// after the snapshot changed it, its newest version takes the target's
// place in the joined row, which must still pass the WHERE (PostgreSQL
// re-checks the same join row); skip reports a row deleted or no longer
// passing.
func lockJoined(c *Ctx, w Writer, t *catalog.Table, tj *plan.TargetJoin, jt joinedTarget) (row []types.Value, skip bool, err error) {
	cur, ok, changed, err := w.LockRow(c.Context, t, jt.key)
	if err != nil || !changed {
		return jt.row, false, err
	}
	if !ok {
		return nil, true, nil
	}
	row, pass, err := withNewest(c, tj, append([]types.Value(nil), jt.row...), cur)
	if err != nil || !pass {
		return nil, err == nil, err
	}
	return row, false, nil
}

// withNewest puts cur, the newest version of a joined row's target row,
// in the place of its target columns in r (in place) and reports whether
// the row still passes tj.Where.
func withNewest(c *Ctx, tj *plan.TargetJoin, r, cur []types.Value) ([]types.Value, bool, error) {
	for i := 0; i < tj.KeyCol; i++ {
		r[i] = types.Null
		if i < len(cur) {
			r[i] = cur[i]
		}
	}
	if tj.Where == nil {
		return r, true, nil
	}
	v, err := Eval(c, tj.Where, r)
	if err != nil {
		return nil, false, err
	}
	return r, isTrue(v), nil
}

// eachJoined locks each target row of tj in turn (lockJoined) and calls
// write with the joined row for those still to be written.
func eachJoined(c *Ctx, w Writer, t *catalog.Table, tj *plan.TargetJoin, write func(jt joinedTarget, row []types.Value) error) error {
	targets, err := joinTargets(c, tj)
	if err != nil {
		return err
	}
	for _, jt := range targets {
		row, skip, err := lockJoined(c, w, t, tj, jt)
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		if err := write(jt, row); err != nil {
			return err
		}
	}
	return nil
}

// updateJoin executes UPDATE … FROM.
func updateJoin(c *Ctx, w Writer, n *plan.Update) (*DMLResult, error) {
	tj, t := n.Join, n.Scan.Table
	res := &DMLResult{}
	set := setCols(n.Set)
	if err := StatementTriggers(c, t, true, catalog.TriggerUpdate, set); err != nil {
		return nil, err
	}
	var after AfterRows
	err := eachJoined(c, w, t, tj, func(jt joinedTarget, row []types.Value) error {
		old := row[:tj.KeyCol:tj.KeyCol]
		updated := append([]types.Value(nil), old...)
		var err error
		for _, s := range n.Set {
			if updated[s.Col], err = Eval(c, s.E, row); err != nil {
				return err
			}
		}
		if updated, err = BeforeRow(c, t, catalog.TriggerUpdate, set, old, updated); err != nil || updated == nil {
			return err
		}
		if _, err := w.Update(t, jt.key, old, updated); err != nil {
			return err
		}
		after.Add(t, catalog.TriggerUpdate, set, old, updated)
		if err := checkViews(c, n.ViewChecks, t, updated); err != nil {
			return err
		}
		res.Count++
		if len(n.Returning) == 0 {
			return nil
		}
		// RETURNING sees the new target row and the joined rows.
		ret := append([]types.Value(nil), row...)
		copy(ret, updated)
		return returning(c, res, n.Returning, ret)
	})
	if err == nil {
		err = after.Fire(c)
	}
	if err == nil {
		err = StatementTriggers(c, t, false, catalog.TriggerUpdate, set)
	}
	return res, err
}

// deleteJoin executes DELETE … USING.
func deleteJoin(c *Ctx, w Writer, n *plan.Delete) (*DMLResult, error) {
	res := &DMLResult{}
	t := n.Scan.Table
	if err := StatementTriggers(c, t, true, catalog.TriggerDelete, nil); err != nil {
		return nil, err
	}
	var after AfterRows
	err := eachJoined(c, w, t, n.Join, func(jt joinedTarget, row []types.Value) error {
		old := row[:n.Join.KeyCol:n.Join.KeyCol]
		if keep, err := BeforeRow(c, t, catalog.TriggerDelete, nil, old, nil); err != nil || keep == nil {
			return err
		}
		if err := w.Delete(t, jt.key); err != nil {
			return err
		}
		after.Add(t, catalog.TriggerDelete, nil, old, nil)
		res.Count++
		return returning(c, res, n.Returning, row)
	})
	if err == nil {
		err = after.Fire(c)
	}
	if err == nil {
		err = StatementTriggers(c, t, false, catalog.TriggerDelete, nil)
	}
	return res, err
}

// Update executes an UPDATE plan.
func Update(c *Ctx, w Writer, n *plan.Update) (*DMLResult, error) {
	if n.Join != nil {
		return updateJoin(c, w, n)
	}
	t := n.Scan.Table
	set := setCols(n.Set)
	if err := StatementTriggers(c, t, true, catalog.TriggerUpdate, set); err != nil {
		return nil, err
	}
	rows, err := targetRows(c, n.Scan)
	if err != nil {
		return nil, err
	}
	res := &DMLResult{}
	var after AfterRows
	for _, kr := range rows {
		var skip bool
		if kr.row, skip, err = lockAndRecheck(c, w, n.Scan, kr); err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		updated := append([]types.Value(nil), kr.row...)
		for len(updated) < len(n.Scan.Table.Columns) {
			updated = append(updated, types.Null)
		}
		for _, s := range n.Set {
			if updated[s.Col], err = Eval(c, s.E, kr.row); err != nil {
				return nil, err
			}
		}
		if updated, err = BeforeRow(c, t, catalog.TriggerUpdate, set, kr.row, updated); err != nil {
			return nil, err
		} else if updated == nil {
			continue
		}
		if _, err := w.Update(t, kr.key, kr.row, updated); err != nil {
			return nil, err
		}
		after.Add(t, catalog.TriggerUpdate, set, kr.row, updated)
		if err := checkViews(c, n.ViewChecks, t, updated); err != nil {
			return nil, err
		}
		res.Count++
		if err := returning(c, res, n.Returning, updated); err != nil {
			return nil, err
		}
	}
	if err := after.Fire(c); err != nil {
		return nil, err
	}
	if err := StatementTriggers(c, t, false, catalog.TriggerUpdate, set); err != nil {
		return nil, err
	}
	return res, nil
}

// Delete executes a DELETE plan.
func Delete(c *Ctx, w Writer, n *plan.Delete) (*DMLResult, error) {
	if n.Join != nil {
		return deleteJoin(c, w, n)
	}
	t := n.Scan.Table
	if err := StatementTriggers(c, t, true, catalog.TriggerDelete, nil); err != nil {
		return nil, err
	}
	rows, err := targetRows(c, n.Scan)
	if err != nil {
		return nil, err
	}
	res := &DMLResult{}
	var after AfterRows
	for _, kr := range rows {
		var skip bool
		if kr.row, skip, err = lockAndRecheck(c, w, n.Scan, kr); err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		if keep, err := BeforeRow(c, t, catalog.TriggerDelete, nil, kr.row, nil); err != nil {
			return nil, err
		} else if keep == nil {
			continue
		}
		if err := w.Delete(t, kr.key); err != nil {
			return nil, err
		}
		after.Add(t, catalog.TriggerDelete, nil, kr.row, nil)
		res.Count++
		if err := returning(c, res, n.Returning, kr.row); err != nil {
			return nil, err
		}
	}
	if err := after.Fire(c); err != nil {
		return nil, err
	}
	if err := StatementTriggers(c, t, false, catalog.TriggerDelete, nil); err != nil {
		return nil, err
	}
	return res, nil
}

// FillDefaults completes an INSERT's row: a column the statement did not
// give (given[i] false) gets its default (defaults[i], bound; NULL if nil).
// A value given for an identity column is, as PostgreSQL does, refused for
// a GENERATED ALWAYS one (428C9) unless OVERRIDING SYSTEM VALUE, and
// replaced by the default under OVERRIDING USER VALUE.
func FillDefaults(c *Ctx, t *catalog.Table, defaults []plan.Expr, row []types.Value, given []bool, override plan.Overriding) error {
	for i, col := range t.Columns {
		if given[i] && col.Identity != "" && override == plan.OverridingUser {
			given[i] = false
		}
		if given[i] && col.Identity == "a" && override != plan.OverridingSystem {
			return pgerr.New("428C9", "cannot insert a non-DEFAULT value into column %q", col.Name).
				WithDetail("Column %q is an identity column defined as GENERATED ALWAYS.", col.Name).
				WithHint("Use OVERRIDING SYSTEM VALUE to override.")
		}
		if given[i] || col.Dropped {
			continue
		}
		if d := defaults[i]; d != nil {
			v, err := Eval(c, d, nil)
			if err != nil {
				return err
			}
			row[i] = v
		}
	}
	return nil
}

// LockWait is how SELECT … FOR UPDATE treats a row another transaction
// holds: wait for it, fail at once (NOWAIT), or leave the row out (SKIP
// LOCKED).
type LockWait int

const (
	LockBlock LockWait = iota
	LockNoWait
	LockSkip
)

// RowLocker locks rows for SELECT … FOR UPDATE / FOR SHARE; the session's
// reader implements it. LockRowWait is Writer.LockRow with a wait policy
// and, when shared, a shared lock (FOR SHARE) instead of the write lock;
// skipped reports a row left out under LockSkip.
type RowLocker interface {
	LockRowWait(ctx context.Context, t *catalog.Table, key []byte, wait LockWait, shared bool) (row []types.Value, ok, changed, skipped bool, err error)
}

// setCols are the columns an UPDATE's SET list assigns (UPDATE OF triggers).
func setCols(set []plan.SetClause) []int {
	cols := make([]int, len(set))
	for i, s := range set {
		cols[i] = s.Col
	}
	return cols
}
