package exec

import (
	"context"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Reader reads tables at the statement's snapshot, with the transaction's
// own writes overlaid. The session implements it over the row store.
type Reader interface {
	// Scan calls fn for visible rows with primary key in [lo, hi) (nil =
	// open) in key order, then for rows the transaction wrote that are not
	// in the snapshot. fn returns false to stop.
	Scan(t *catalog.Table, lo, hi []byte, fn func(key []byte, row []types.Value) bool) error
	// ScanBackward is Scan in descending key order (the transaction's
	// rows merged into it as well).
	ScanBackward(t *catalog.Table, lo, hi []byte, fn func(key []byte, row []types.Value) bool) error
	// IndexScan calls fn for visible rows whose index ix columns start with
	// the encoded prefix.
	IndexScan(t *catalog.Table, ix *catalog.Index, prefix []byte, fn func(key []byte, row []types.Value) bool) error
	// IndexRange calls fn for visible rows whose index ix key is in
	// [lo, hi) (nil = open), transaction's own writes included, in order of
	// their index entries (index key ‖ primary key; descending when desc),
	// with the entry: a scan resumes after the last entry it was given.
	// fn returns false to stop.
	IndexRange(t *catalog.Table, ix *catalog.Index, lo, hi []byte, desc bool, fn func(entry, key []byte, row []types.Value) bool) error
}

// PointReader is implemented by Readers that can fetch one row by its whole
// primary key faster than a range Scan (an index Get instead of a cursor).
// The scan uses it when every primary-key column is bound by equality.
type PointReader interface {
	// Get returns the visible row whose whole encoded primary key is key.
	Get(t *catalog.Table, key []byte) (row []types.Value, ok bool, err error)
}

// Session answers session-dependent expressions.
type Session interface {
	SeqFunc(op string, seqID uint32, args []types.Value) (types.Value, error)
	// SessionFunc answers a plan.SessionFunc; ctx is the statement's (a
	// function may wait: pg_advisory_lock).
	SessionFunc(ctx context.Context, name string, args []types.Value) (types.Value, error)
	// CallPL runs a PL/pgSQL function with its arguments (coerced to its
	// input parameters' types) in the statement's transaction and returns
	// its rows (one of one value for a scalar function).
	CallPL(ctx context.Context, fn *catalog.Function, args []types.Value) ([][]types.Value, error)
	// Trigger runs trigger tr of table t for op ("INSERT", "UPDATE",
	// "DELETE") with the row before (old) and after (row) the change, nil
	// where there is none (both nil: a statement trigger). It returns the
	// row the function returned (nil for NULL).
	Trigger(ctx context.Context, t *catalog.Table, tr catalog.Trigger, op string, old, row []types.Value) ([]types.Value, error)
}

// Ctx is one statement execution's state. It belongs to the session's
// goroutine.
type Ctx struct {
	Context context.Context
	Params  []types.Value
	Loc     *time.Location
	Funcs   *funcs.Context
	Reader  Reader
	Session Session
	// Env serves virtual (system) tables.
	Env plan.VirtualEnv
	// Stats, when non-nil, collects per-node row counts and times (EXPLAIN
	// ANALYZE).
	Stats map[plan.Node]*NodeStats

	outer    [][]types.Value
	subCache map[*plan.Subquery][][]types.Value
	cteCache map[int][][]types.Value
	// workTables are the recursive CTEs' rows of their previous round
	// (plan.WorkTable), by CTE id.
	workTables map[int][][]types.Value
	checks     int
	// calls is the depth of user-defined function calls running
	// (userfunc.go).
	calls int
}

// NodeStats is what EXPLAIN ANALYZE shows per operator.
type NodeStats struct {
	Rows  int64
	Loops int64
	Time  time.Duration
	// First is the time until the first row (summed over loops).
	First time.Duration
}

// Iter is an open operator: Next returns the next row or nil at the end.
// Rows returned may be shared with the store or reused by the next call:
// callers that keep a row copy it.
type Iter interface {
	Next() ([]types.Value, error)
	Close()
}

// cancelled checks the statement's context every 1024 calls.
func (c *Ctx) cancelled() error {
	c.checks++
	if c.checks&1023 == 0 && c.Context != nil {
		if err := c.Context.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Open opens n into an iterator. Every operator is wrapped so that a panic
// becomes an internal error and EXPLAIN ANALYZE statistics are kept.
func Open(c *Ctx, n plan.Node) (it Iter, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = pgerr.New(pgerr.InternalError, "internal error opening %T: %v", n, r)
		}
	}()
	it, err = open(c, n)
	if err != nil || c.Stats == nil {
		return it, err
	}
	st := c.Stats[n]
	if st == nil {
		st = &NodeStats{}
		c.Stats[n] = st
	}
	st.Loops++
	return &statIter{in: it, st: st, base: st.Time}, nil
}

type statIter struct {
	in      Iter
	st      *NodeStats
	base    time.Duration // st.Time when this loop started
	started bool
}

func (s *statIter) Next() ([]types.Value, error) {
	t := time.Now()
	r, err := s.in.Next()
	s.st.Time += time.Since(t)
	if !s.started {
		s.started = true
		s.st.First += s.st.Time - s.base
	}
	if r != nil {
		s.st.Rows++
	}
	return r, err
}

func (s *statIter) Close() { s.in.Close() }

func open(c *Ctx, n plan.Node) (Iter, error) {
	switch x := n.(type) {
	case *plan.Scan:
		return openScan(c, x)
	case *plan.One:
		return &sliceIter{rows: [][]types.Value{{}}}, nil
	case *plan.Values:
		rows := make([][]types.Value, 0, len(x.Rows))
		for _, r := range x.Rows {
			out := make([]types.Value, len(r))
			for i, e := range r {
				if e == nil {
					continue
				}
				v, err := Eval(c, e, nil)
				if err != nil {
					return nil, err
				}
				out[i] = v
			}
			rows = append(rows, out)
		}
		return &sliceIter{rows: rows}, nil
	case *plan.Filter:
		in, err := Open(c, x.Input)
		if err != nil {
			return nil, err
		}
		return &filterIter{c: c, in: in, cond: x.Cond}, nil
	case *plan.Project:
		in, err := Open(c, x.Input)
		if err != nil {
			return nil, err
		}
		return &projectIter{c: c, in: in, exprs: x.Exprs}, nil
	case *plan.Join:
		return openJoin(c, x)
	case *plan.Aggregate:
		return openAgg(c, x)
	case *plan.Sort:
		return openSort(c, x)
	case *plan.Limit:
		return openLimit(c, x)
	case *plan.Distinct:
		in, err := Open(c, x.Input)
		if err != nil {
			return nil, err
		}
		if len(x.On) > 0 {
			return newDistinctOn(in, x.Input.Columns(), x.On), nil
		}
		return &distinctIter{in: in, cols: x.Input.Columns(), n: x.N, seen: map[string]struct{}{}}, nil
	case *plan.SetOp:
		return openSetOp(c, x)
	case *plan.FuncScan:
		return openFuncScan(c, x)
	case *plan.Window:
		return openWindow(c, x)
	case *plan.Expand:
		return openExpand(c, x)
	case *plan.VirtualScan:
		if c.Env == nil {
			return nil, pgerr.NotSupported("system tables are not available here")
		}
		rows, err := x.Table.Rows(c.Env)
		if err != nil {
			return nil, err
		}
		return &sliceIter{rows: rows}, nil
	case *plan.LockRows:
		return openLockRows(c, x)
	case *plan.Apply:
		return openApply(c, x)
	case *plan.RecursiveUnion:
		return &recursiveIter{c: c, n: x}, nil
	case *plan.WorkTable:
		return &sliceIter{rows: c.workTables[x.ID]}, nil
	case *plan.ModifyingCTE:
		return nil, pgerr.New(pgerr.InternalError, "data-modifying WITH query %d was not run before its statement", x.ID)
	case *plan.Materialize:
		if ru, ok := x.Input.(*plan.RecursiveUnion); ok {
			// Not cached: each reference runs the recursion itself, as
			// far as it reads (a LIMIT above stops it).
			return Open(c, ru)
		}
		if x.Correlated {
			return Open(c, x.Input) // its rows depend on the outer row
		}
		if rows, ok := c.cteCache[x.ID]; ok {
			return &sliceIter{rows: rows}, nil
		}
		rows, err := collect(c, x.Input, -1)
		if err != nil {
			return nil, err
		}
		if c.cteCache == nil {
			c.cteCache = map[int][][]types.Value{}
		}
		c.cteCache[x.ID] = rows
		return &sliceIter{rows: rows}, nil
	}
	return nil, pgerr.NotSupported("plan node %T cannot be executed", n)
}

// RunModifying runs a statement's data-modifying WITH queries in order,
// each once, and keeps their RETURNING rows as their CTEs' rows for the
// statement (run next with the same Ctx).
func RunModifying(c *Ctx, w Writer, mods []*plan.ModifyingCTE) error {
	for _, m := range mods {
		var res *DMLResult
		var err error
		switch {
		case m.Insert != nil:
			res, err = Insert(c, w, m.Insert)
		case m.Update != nil:
			res, err = Update(c, w, m.Update)
		default:
			res, err = Delete(c, w, m.Delete)
		}
		if err != nil {
			return err
		}
		if c.cteCache == nil {
			c.cteCache = map[int][][]types.Value{}
		}
		c.cteCache[m.ID] = res.Rows
	}
	return nil
}

// collect runs n and returns up to limit rows (all when limit < 0), copied.
func collect(c *Ctx, n plan.Node, limit int) ([][]types.Value, error) {
	it, err := Open(c, n)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var rows [][]types.Value
	for limit < 0 || len(rows) < limit {
		r, err := it.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		rows = append(rows, append([]types.Value(nil), r...))
	}
	return rows, nil
}

// Collect runs n and returns all its rows.
func Collect(c *Ctx, n plan.Node) ([][]types.Value, error) { return collect(c, n, -1) }

type sliceIter struct {
	rows [][]types.Value
	i    int
}

func (s *sliceIter) Next() ([]types.Value, error) {
	if s.i >= len(s.rows) {
		return nil, nil
	}
	s.i++
	return s.rows[s.i-1], nil
}

func (s *sliceIter) Close() {}

type filterIter struct {
	c    *Ctx
	in   Iter
	cond plan.Expr
}

func (f *filterIter) Next() ([]types.Value, error) {
	for {
		r, err := f.in.Next()
		if r == nil || err != nil {
			return nil, err
		}
		if err := f.c.cancelled(); err != nil {
			return nil, err
		}
		v, err := Eval(f.c, f.cond, r)
		if err != nil {
			return nil, err
		}
		if isTrue(v) {
			return r, nil
		}
	}
}

func (f *filterIter) Close() { f.in.Close() }

type projectIter struct {
	c     *Ctx
	in    Iter
	exprs []plan.Expr
}

func (p *projectIter) Next() ([]types.Value, error) {
	r, err := p.in.Next()
	if r == nil || err != nil {
		return nil, err
	}
	out := make([]types.Value, len(p.exprs))
	for i, e := range p.exprs {
		if out[i], err = Eval(p.c, e, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p *projectIter) Close() { p.in.Close() }
