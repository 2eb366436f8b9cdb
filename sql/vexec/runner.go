package vexec

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// DefaultWait bounds how long a statement waits for the column store to
// reach its snapshot before it reads the row store instead (auto) or fails
// (omendb.engine = column).
const DefaultWait = 5 * time.Second

// Runner runs queries whose table scans it can serve from the column store.
type Runner struct {
	Store *olap.Store
	Wait  time.Duration
	// Healthy, when set, reports whether the column store's materializer is
	// running; when it is not, statements use the row store.
	Healthy func() bool

	waits waitStats
	// Served counts statements run with column scans; Fallbacks those
	// left to the row store because the column store was behind or broken.
	Served, Fallbacks atomic.Int64
	// SegmentsScanned and SegmentsPruned count segments read and skipped
	// by zone maps.
	SegmentsScanned, SegmentsPruned atomic.Int64
	// VecAggs counts aggregations run on column batches (vecAgg);
	// VecFallbacks those a vectorized operator handed back to the row
	// executor.
	VecAggs, VecFallbacks atomic.Int64
	// VecJoins counts joins run on column batches for the row executor
	// above them (joins under a vectorized aggregate are not counted).
	VecJoins atomic.Int64
	// VecBatches and VecRows count the batches read by vectorized
	// aggregates' pipes and the rows reaching the aggregation; VecNanos
	// their time (fallbacks included).
	VecBatches, VecRows, VecNanos atomic.Int64
	// VecSorts counts sorts and top-Ns run on column batches.
	VecSorts atomic.Int64
	// Decorrelated counts subqueries turned into joins.
	Decorrelated atomic.Int64

	// open caches open segments' column statistics (card.go: openNDV).
	openMu sync.Mutex
	open   map[openKey]openStats
}

// waitStats records how long statements waited for the column store.
type waitStats struct {
	mu      sync.Mutex
	samples []time.Duration // ring of the last 1<<14 waits
	next    int
	total   atomic.Int64
}

func (w *waitStats) add(d time.Duration) {
	w.total.Add(1)
	w.mu.Lock()
	if len(w.samples) < 1<<14 {
		w.samples = append(w.samples, d)
	} else {
		w.samples[w.next] = d
		w.next = (w.next + 1) % len(w.samples)
	}
	w.mu.Unlock()
}

// WaitQuantile returns the q-quantile (0..1) of recent snapshot waits and
// how many statements waited in total.
func (r *Runner) WaitQuantile(q float64) (time.Duration, int64) {
	r.waits.mu.Lock()
	s := append([]time.Duration(nil), r.waits.samples...)
	r.waits.mu.Unlock()
	if len(s) == 0 {
		return 0, 0
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q * float64(len(s)-1))
	return s[i], r.waits.total.Load()
}

// Run implements sql.ColumnRunner: it replaces the plan's table scans by
// column-store scans at snap (waiting until the column store has applied
// snap) and runs the rest with the row executor. ok=false when no scan can
// be served.
func (r *Runner) Run(ctx context.Context, root plan.Node, snap log.Offset, c *exec.Ctx) (exec.Iter, bool, error) {
	force := false
	if c.Env != nil {
		if m, _ := c.Env.Setting("omendb.engine"); m == "column" {
			force = true
		}
	}
	if r.Healthy != nil && !r.Healthy() {
		if force {
			return nil, false, pgerr.New(pgerr.InternalError, "the column store's materializer stopped")
		}
		return nil, false, nil
	}
	rw := &rewriter{r: r, c: c, snap: uint64(snap), force: force, mem: getStmtMem()}
	handed := false
	defer func() {
		if !handed {
			rw.mem.release()
		}
	}()
	newRoot := rw.node(root)
	if rw.replaced == 0 || rw.refuse {
		return nil, false, nil
	}
	rw.pushNeed(newRoot, nil)
	wait := r.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	start := time.Now()
	if r.Store.Applied() < snap {
		wctx, cancel := context.WithTimeout(ctx, wait)
		err := r.Store.WaitApplied(wctx, snap)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			if !force {
				r.Fallbacks.Add(1)
				return nil, false, nil // the row store serves this statement at snap
			}
			return nil, false, pgerr.New(pgerr.QueryCanceled, "the column store did not reach offset %d within %s (applied %d)", uint64(snap), wait, uint64(r.Store.Applied()))
		}
	}
	r.waits.add(time.Since(start))
	// A column store seeded from the row store at R has no history below R
	// (olap.Store.Oldest; checked after the wait, which may have been for
	// the seeding itself): older snapshots read the row store.
	if oldest := r.Store.Oldest(); uint64(snap) < oldest {
		if force {
			return nil, false, tooOldForColumns(c, uint64(snap), oldest)
		}
		r.Fallbacks.Add(1)
		return nil, false, nil
	}
	// Tables must exist in the column store at snap, in a generation it
	// holds (a column store loaded from a checkpoint taken after a rewrite
	// of the table has no segments from before it: olap.Table.SegmentsAt).
	for _, s := range rw.scans {
		t := r.Store.Table(s.n.Table.ID)
		if t == nil {
			if force {
				return nil, false, pgerr.New(pgerr.InternalError, "table %q is missing from the column store", s.n.Table.Name)
			}
			return nil, false, nil
		}
		if !t.Holds(uint64(snap)) {
			if force {
				return nil, false, errNotHeld(s.n.Table, uint64(snap))
			}
			r.Fallbacks.Add(1)
			return nil, false, nil
		}
	}
	r.Decorrelated.Add(int64(rw.decorrelated))
	it, err := exec.Open(c, newRoot)
	if err != nil {
		return nil, false, err
	}
	r.Served.Add(1)
	handed = true
	it = &memIter{Iter: it, mem: rw.mem}
	if c.Stats != nil {
		return &analyzeIter{Iter: it, rw: rw, root: newRoot}, true, nil
	}
	return it, true, nil
}

// memIter gives the statement's memory back once its iterator is closed:
// the row executor's operators and the rows they hand out hold copied
// values, never the vecs' arrays.
type memIter struct {
	exec.Iter
	mem *stmtMem
}

func (m *memIter) Close() {
	m.Iter.Close()
	m.mem.release()
	m.mem = nil
}

// tooOldForColumns is the error for a snapshot below the column store's
// oldest point when the column engine is forced: 22023 with omendb.as_of
// set (as the row store's own "older than the oldest point" error), 0A000
// for a transaction that began before the column store was seeded.
func tooOldForColumns(c *exec.Ctx, snap, oldest uint64) error {
	hint := "The column store was seeded from the row store at that offset and holds no older history; SET omendb.engine = auto (or row) reads older points through the row store."
	if c.Env != nil {
		if v, _ := c.Env.Setting("omendb.as_of"); v != "" {
			return pgerr.New(pgerr.InvalidParameterValue, "omendb.as_of %q (offset %d) is older than the oldest point the column store holds: offset %d", v, snap, oldest).WithHint("%s", hint)
		}
	}
	return pgerr.New(pgerr.FeatureNotSupported, "the column store holds no state before offset %d; this statement reads offset %d", oldest, snap).WithHint("%s", hint)
}

// errNotHeld is the error for reading table t at a snapshot before a
// rewrite of it (ALTER COLUMN … TYPE) that the column store no longer
// holds the rows of (it was loaded from a checkpoint taken after it).
func errNotHeld(t *catalog.Table, snap uint64) error {
	return pgerr.New(pgerr.FeatureNotSupported, "the column store holds no state of table %q at offset %d, before its rewrite", t.Name, snap).
		WithHint("SET omendb.engine = auto (or row) reads it through the row store.")
}

// rewriter copies the plan tree, replacing table scans by virtual scans that
// read the column store.
type rewriter struct {
	mem      *stmtMem // arrays that live until the statement ends (scratch.go)
	r        *Runner
	c        *exec.Ctx
	snap     uint64
	force    bool
	replaced int
	refuse   bool
	scans    []*colScan
	ordered  bool // under a LIMIT with no sort in between: scans keep key order
	// decorrelated counts EXISTS subqueries turned into semi/anti joins.
	decorrelated int
	byNode       map[*plan.VirtualScan]*colScan
	aggs         map[*plan.VirtualScan]*vecAgg
	joins        map[*plan.VirtualScan]*plan.Join
	joinRows     map[*plan.VirtualScan]*joinRows
	sorts        map[*plan.VirtualScan]*sortOp
	preps        []*subInX           // IN-subquery sets, shared by the pipes that test them
	narrow       map[*plan.Scan]bool // rowPath decisions
	planStats                        // statistics and join-ordering state (card.go, joinorder.go)
}

// rowOrdered reports whether n, a rewritten presorted Sort's input, still
// yields the row store's key order: projections and filters over a scan
// left to the row store, not a column scan.
func rowOrdered(n plan.Node) bool {
	for {
		switch x := n.(type) {
		case *plan.Project:
			n = x.Input
		case *plan.Filter:
			n = x.Input
		case *plan.Scan:
			return true
		default:
			return false
		}
	}
}

// rowPath reports whether scan x stays on the row store (unless the column
// engine is forced): its access path fixes a key prefix by equality, or is
// a key range that holds few rows (exec.NarrowRange, decided once per
// statement).
func (w *rewriter) rowPath(x *plan.Scan) bool {
	if w.force {
		return false
	}
	if x.KeyEquality() || exec.FewFirstRows(w.c, x) {
		return true // a few rows read in key order under a LIMIT (plan/order.go)
	}
	if x.Range == nil {
		return false
	}
	narrow, ok := w.narrow[x]
	if !ok {
		narrow = exec.NarrowRange(w.c, x)
		if w.narrow == nil {
			w.narrow = map[*plan.Scan]bool{}
		}
		w.narrow[x] = narrow
	}
	return narrow
}

func (w *rewriter) under(n plan.Node, ordered bool) plan.Node {
	old := w.ordered
	w.ordered = ordered
	defer func() { w.ordered = old }()
	return w.node(n)
}

func (w *rewriter) node(n plan.Node) plan.Node {
	switch x := n.(type) {
	case *plan.Scan:
		var plain, exists []plan.Expr
		for _, c := range conjuncts(x.Filter) {
			if isExists(c) {
				exists = append(exists, c)
			} else {
				plain = append(plain, c)
			}
		}
		if len(exists) > 0 {
			base := *x
			base.Filter = and(plain)
			in, rest := w.decorrelate(&base, and(exists))
			if in != plan.Node(&base) {
				out := w.node(in)
				if rest != nil {
					out = &plan.Filter{Input: out, Cond: rest}
				}
				return out
			}
		}
		if x.Filter != nil {
			if f := w.subqueries(x.Filter); f != x.Filter {
				y := *x
				y.Filter = f
				x = &y
			}
		}
		if w.rowPath(x) {
			return x // the OLTP index path is better for selective key predicates
		}
		if w.r.Store.Table(x.Table.ID) == nil && !w.force {
			return x
		}
		s := &colScan{r: w.r, c: w.c, mem: w.mem, n: x, snap: w.snap, ordered: w.ordered}
		w.scans = append(w.scans, s)
		w.replaced++
		vt := &plan.VirtualTable{Name: x.Table.Name, OID: x.Table.ID, Cols: x.Cols, Rows: s.rows}
		vs := &plan.VirtualScan{Table: vt, Cols: x.Cols}
		if w.byNode == nil {
			w.byNode = map[*plan.VirtualScan]*colScan{}
		}
		w.byNode[vs] = s
		return vs
	case *plan.Filter:
		in, cond := w.decorrelate(x.Input, x.Cond)
		in, cond = pushDown(in, cond)
		if cond == nil {
			return w.node(in)
		}
		out := w.node(in)
		if vs, ok := out.(*plan.VirtualScan); ok {
			// HAVING over a vectorized aggregate: evaluated on the
			// groups' states (TPC-H Q18 keeps 57 of 1.5M groups).
			if va := w.aggs[vs]; va != nil && va.having == nil && va.setHaving(w, cond) {
				return vs
			}
		}
		return &plan.Filter{Input: out, Cond: w.subqueries(cond)}
	case *plan.Project:
		y := *x
		y.Input = w.node(x.Input)
		y.Exprs = make([]plan.Expr, len(x.Exprs))
		for i, e := range x.Exprs {
			y.Exprs[i] = w.subqueries(e)
		}
		return &y
	case *plan.Join:
		y := *x
		if x.Kind == plan.InnerJoin && x.Cond != nil {
			// Correlated scalar subqueries in an inner join's condition
			// are decorrelated above the join.
			var keep, lift []plan.Expr
			for _, c := range conjuncts(x.Cond) {
				if corrScalar(c) != nil {
					lift = append(lift, c)
				} else {
					keep = append(keep, c)
				}
			}
			if len(lift) > 0 {
				y.Cond = and(keep)
				return w.node(&plan.Filter{Input: &y, Cond: and(lift)})
			}
		}
		if x.Kind == plan.InnerJoin && !w.reordered[x] {
			if n := w.reorder(x); n != nil {
				return w.node(n) // joins in the order of least estimated cost (joinorder.go)
			}
		}
		if x.Kind == plan.InnerJoin && x.Cond != nil && !w.reordered[x] {
			// An OR in the condition filters each side by what it
			// implies for that side (TPC-H Q7, Q19; reorder did it for
			// the joins it built).
			lw, width := len(x.Left.Columns()), len(x.Cols)
			var left, right []plan.Expr
			for _, c := range conjuncts(x.Cond) {
				if d := implied(c, 0, lw); d != nil {
					left = append(left, d)
				}
				if d := implied(c, lw, width); d != nil {
					right = append(right, shiftCols(d, -lw))
				}
			}
			if len(left) > 0 {
				y.Left = addFilter(y.Left, and(left))
			}
			if len(right) > 0 {
				y.Right = addFilter(y.Right, and(right))
			}
		}
		y.Cond = w.subqueries(x.Cond)
		if x.Kind == plan.InnerJoin && len(x.LeftKeys) == 0 && x.Cond != nil {
			y.LeftKeys, y.RightKeys = orKeys(&y)
		}
		y.Left = w.node(y.Left)
		y.Right = w.node(y.Right)
		if !w.ordered {
			if p := w.planPipe(&y, nil); p != nil {
				jr := &joinRows{rw: w, p: p, fallback: &y}
				vt := &plan.VirtualTable{Name: "vectorized join", Cols: y.Cols, Rows: jr.rows}
				vs := &plan.VirtualScan{Table: vt, Cols: y.Cols}
				if w.joins == nil {
					w.joins = map[*plan.VirtualScan]*plan.Join{}
					w.joinRows = map[*plan.VirtualScan]*joinRows{}
				}
				w.joins[vs], w.joinRows[vs] = &y, jr
				return vs
			}
		}
		return &y
	case *plan.Aggregate:
		y := *x
		y.Input = w.under(x.Input, false)
		if va := w.planVecAgg(&y); va != nil {
			vt := &plan.VirtualTable{Name: "vectorized aggregate", Cols: y.Cols, Rows: va.rows}
			vs := &plan.VirtualScan{Table: vt, Cols: y.Cols}
			if w.aggs == nil {
				w.aggs = map[*plan.VirtualScan]*vecAgg{}
			}
			w.aggs[vs] = va
			return vs
		}
		return &y
	case *plan.Sort:
		y := *x
		y.Input = w.under(x.Input, false)
		y.Presorted = x.Presorted && rowOrdered(y.Input)
		if op := w.planSort(&y, nil); op != nil {
			return w.sortScan(op, y.Columns())
		}
		return &y
	case *plan.Limit:
		y := *x
		if s, ok := x.Input.(*plan.Sort); ok {
			// ORDER BY … LIMIT: a top-N over a pipe keeps n rows per worker.
			ys := *s
			ys.Input = w.under(s.Input, false)
			ys.Presorted = s.Presorted && rowOrdered(ys.Input)
			y.Input = &ys
			if op := w.planSort(&ys, &y); op != nil {
				return w.sortScan(op, y.Columns())
			}
			return &y
		}
		if n := w.planKeyLimit(x); n != nil {
			return n // a top-N by primary key (vlimit.go)
		}
		y.Input = w.under(x.Input, true)
		return &y
	case *plan.Distinct:
		y := *x
		y.Input = w.under(x.Input, false)
		return &y
	case *plan.Window:
		// The row executor's window operator sorts its input itself.
		y := *x
		y.Input = w.under(x.Input, false)
		return &y
	case *plan.Expand:
		y := *x
		y.Input = w.under(x.Input, false)
		return &y
	case *plan.SetOp:
		y := *x
		y.Left = w.node(x.Left)
		y.Right = w.node(x.Right)
		return &y
	case *plan.Materialize:
		// CTEs are cached by ID; keep the node identity semantics by copying
		// with the same ID (every reference is rewritten the same way).
		y := *x
		y.Input = w.node(x.Input)
		return &y
	case *plan.Values, *plan.One, *plan.FuncScan, *plan.VirtualScan:
		return n
	}
	// Unknown node: leave the whole query to the row executor.
	w.refuse = true
	return n
}

var errStop = errors.New("stop")

// compile-time check that rows has the VirtualTable signature.
var _ func(plan.VirtualEnv) ([][]types.Value, error) = (*colScan)(nil).rows

// sortScan is the node reading a sortOp's rows.
func (w *rewriter) sortScan(op *sortOp, cols []plan.Column) plan.Node {
	name := "vectorized sort"
	if op.limited {
		name = "vectorized top-N"
	}
	vt := &plan.VirtualTable{Name: name, Cols: cols, Rows: op.rows}
	vs := &plan.VirtualScan{Table: vt, Cols: cols}
	if w.sorts == nil {
		w.sorts = map[*plan.VirtualScan]*sortOp{}
	}
	w.sorts[vs] = op
	return vs
}
