package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// LockWait is how LockRows treats a row another transaction holds.
type LockWait int

const (
	// WaitBlock waits for the holder to finish (the default).
	WaitBlock LockWait = iota
	// WaitError fails at once with 55P03 (NOWAIT).
	WaitError
	// WaitSkip leaves the row out (SKIP LOCKED).
	WaitSkip
)

// LockRows is SELECT … FOR UPDATE [NOWAIT | SKIP LOCKED]: it takes the
// write lock of every locked table's row in each row that passes, as the
// row leaves its input (above the sort, below the LIMIT, so only the rows
// returned are locked). Its input's rows are the select list's values
// (Visible of them), the sort's hidden keys, and from Base on the whole row
// the FROM list and WHERE produced, in which every locked table's scan
// placed its columns and its row's key (Scan.Key).
//
// A row that a transaction committed after the statement's snapshot
// changed is locked in its newest version: it replaces the table's
// columns in the base row, which must still pass Where (deleted or failing
// rows are left out), and the select list is evaluated again over it —
// PostgreSQL's READ COMMITTED re-check.
type LockRows struct {
	Input   Node
	Targets []LockTarget
	Wait    LockWait
	Where   Expr   // over the base row (nil: none)
	Exprs   []Expr // the select list, over the base row
	Base    int
}

// LockTarget is one locked table in LockRows' base row: its columns start
// at Off and its row's key is at KeyCol.
type LockTarget struct {
	Table  *catalog.Table
	Off    int
	KeyCol int
	// Shared: FOR SHARE / FOR KEY SHARE (a shared row lock) rather than
	// FOR [NO KEY] UPDATE.
	Shared bool
}

func (n *LockRows) Columns() []Column { return n.Input.Columns() }

// lockSpec is a SELECT's FOR UPDATE clause while it is bound.
type lockSpec struct {
	// strength of the clauses naming each table (and, under "", those
	// with no OF list): 1 shared, 2 exclusive; the strongest wins.
	strength map[string]int
	all      bool            // no OF list: every table in FROM
	rels     map[string]bool // the OF list's names → locked yet
	wait     LockWait
	tables   map[string]*catalog.Table // locked tables by alias
	targets  []LockTarget
	where    Expr
}

// lockKeyName names the hidden key column of a locked table's scan.
const lockKeyName = "........lock.key........"

// bindLockingClause reads FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE /
// FOR KEY SHARE [OF …] [NOWAIT | SKIP LOCKED]. The two UPDATE strengths
// take the row's write lock, the two SHARE ones a shared lock
// (oltp/sharedlocks.go).
func bindLockingClause(sel *pg.SelectStmt) (*lockSpec, error) {
	ls := &lockSpec{rels: map[string]bool{}, tables: map[string]*catalog.Table{}, strength: map[string]int{}}
	for _, n := range sel.LockingClause {
		lc := n.GetLockingClause()
		strength := 2
		switch lc.Strength {
		case pg.LockClauseStrength_LCS_FORUPDATE, pg.LockClauseStrength_LCS_FORNOKEYUPDATE:
		case pg.LockClauseStrength_LCS_FORSHARE, pg.LockClauseStrength_LCS_FORKEYSHARE:
			strength = 1
		default:
			return nil, pgerr.NotSupported("this row locking clause is not supported")
		}
		if len(lc.LockedRels) == 0 {
			ls.strength[""] = max(ls.strength[""], strength)
		}
		for _, r := range lc.LockedRels {
			name := r.GetRangeVar().Relname
			ls.strength[name] = max(ls.strength[name], strength)
		}
		switch lc.WaitPolicy {
		case pg.LockWaitPolicy_LockWaitSkip:
			ls.wait = WaitSkip
		case pg.LockWaitPolicy_LockWaitError:
			if ls.wait != WaitSkip {
				ls.wait = WaitError
			}
		}
		if len(lc.LockedRels) == 0 {
			ls.all = true
		}
		for _, r := range lc.LockedRels {
			ls.rels[r.GetRangeVar().Relname] = false
		}
	}
	return ls, nil
}

// covers reports whether the FROM item named alias is locked.
func (ls *lockSpec) covers(alias string) bool {
	if ls == nil {
		return false
	}
	if _, ok := ls.rels[alias]; ok {
		return true
	}
	return ls.all
}

// lockedItem binds a locked table of the FROM list: its scan yields each
// row's key after its columns, in a hidden column.
func (b *Binder) lockedItem(t *catalog.Table, alias string, a *pg.Alias) (*fromItem, error) {
	cols := tableColumns(t)
	n := len(cols)
	sc := &Scan{Table: t, Alias: alias, Cols: append(cols[:n:n], Column{Name: lockKeyName, T: types.Bytea}), Key: true}
	it := itemFrom(sc, alias, renameCols(sc.Cols, a), t.Columns)
	it.cols[n].hidden = true
	if _, ok := b.locking.rels[alias]; ok {
		b.locking.rels[alias] = true
	}
	b.locking.tables[alias] = t
	return it, nil
}

func hasLockKey(cols []scopeCol) bool {
	for _, c := range cols {
		if c.hidden && c.name == lockKeyName {
			return true
		}
	}
	return false
}

// finishLocking, once the FROM list is bound into s, finds each locked
// table's columns and key in the row, checks that every table named in OF
// is in FROM (42P01), and binds the whole WHERE for the re-check.
func (b *Binder) finishLocking(ls *lockSpec, sel *pg.SelectStmt, s *scope) error {
	for name, found := range ls.rels {
		if !found {
			return pgerr.New(pgerr.UndefinedTable, "relation %q in FOR UPDATE clause not found in FROM clause", name)
		}
	}
	for _, c := range s.cols {
		if c.hidden && c.name == lockKeyName {
			t := ls.tables[c.table]
			if t == nil {
				return pgerr.New(pgerr.InternalError, "locked table %q not found", c.table)
			}
			shared := max(ls.strength[c.table], ls.strength[""]) == 1
			ls.targets = append(ls.targets, LockTarget{Table: t, Off: c.idx - len(t.Columns), KeyCol: c.idx, Shared: shared})
		}
	}
	if sel.WhereClause != nil {
		w, err := b.bindExpr(sel.WhereClause, s)
		if err != nil {
			return err
		}
		if ls.where, err = b.coerceBool(w, "argument of WHERE"); err != nil {
			return err
		}
	}
	return nil
}

// lockingAllowed refuses FOR UPDATE where rows do not come from single
// table rows, with PostgreSQL's SQLSTATE (0A000) and wording.
func lockingAllowed(sel *pg.SelectStmt, hasAgg bool) error {
	switch {
	case len(sel.DistinctClause) > 0:
		return pgerr.NotSupported("FOR UPDATE is not allowed with DISTINCT clause")
	case len(sel.GroupClause) > 0:
		return pgerr.NotSupported("FOR UPDATE is not allowed with GROUP BY clause")
	case sel.HavingClause != nil:
		return pgerr.NotSupported("FOR UPDATE is not allowed with HAVING clause")
	case hasAgg:
		return pgerr.NotSupported("FOR UPDATE is not allowed with aggregate functions")
	case hasWindow(sel.TargetList, sel.SortClause):
		return pgerr.NotSupported("FOR UPDATE is not allowed with window functions")
	}
	return nil
}

// node builds LockRows over in (the projection proj, perhaps sorted): the
// projection also carries the whole base row, from column base on.
func (ls *lockSpec) node(in Node, proj *Project, visible, width int) Node {
	base := len(proj.Exprs)
	for i := 0; i < width; i++ {
		proj.Exprs = append(proj.Exprs, &ColRef{Idx: i, T: proj.Input.Columns()[i].T})
		proj.Cols = append(proj.Cols, Column{Name: "?base?", T: proj.Input.Columns()[i].T})
	}
	return &LockRows{Input: in, Targets: ls.targets, Wait: ls.wait, Where: ls.where, Exprs: proj.Exprs[:visible:visible], Base: base}
}
