package vexec

import (
	"context"
	"math/bits"

	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/sql/plan"
)

// Join ordering. The binder joins FROM items greedily in the order written
// (the next item is the one with the most equalities to the joined set),
// so a selective dimension written last (TPC-H Q5's region, Q8's region
// and Q9's part) is joined last, after large intermediate results.
//
// reorder takes a maximal tree of inner joins (with filters between them),
// flattens it into a join graph — leaves (anything but an inner join or a
// filter over one: scans, outer/semi/anti joins, aggregates …) and the
// conjuncts of every join key, join condition and filter, in the tree's
// own column numbering — and picks a new tree by dynamic programming over
// connected subsets of leaves (bushy trees, no cross products; at most
// maxReorder leaves). A tree's cost is the rows it hashes (twice: built
// and inserted), probes and produces, with row counts estimated from the
// column store (card.go). Equalities between two sides become hash keys,
// the other conjuncts are evaluated at the lowest join that sees all their
// columns, and a projection on top restores the original column order,
// so the nodes above are unchanged. Outer, semi and anti joins are leaves:
// nothing moves across them. A graph that is not connected (a cross join),
// or a conjunct with a correlated subquery or any function that is not
// immutable, keeps the order written.

const maxReorder = 10

// planStats is the rewriter's statistics cache and join-ordering state.
type planStats struct {
	stats     map[uint32]*tableStats
	scanEst   map[*plan.Scan]float64
	reordered map[*plan.Join]bool
	waited    bool
}

type joinLeaf struct {
	node       plan.Node
	off, width int // columns [off, off+width) of the flattened row
	rows       float64
}

// joinPred is one conjunct over the flattened row; for an equality
// between two disjoint sets of leaves, l and r are its sides (reading
// leaves lset and rset).
type joinPred struct {
	e          plan.Expr
	refs       uint32
	equi       bool
	l, r       plan.Expr
	lset, rset uint32
}

type joinGraph struct {
	leaves []*joinLeaf
	preds  []*joinPred
	width  int
	ok     bool
}

func (g *joinGraph) flatten(n plan.Node, off int) {
	switch x := n.(type) {
	case *plan.Join:
		if x.Kind == plan.InnerJoin {
			lw := len(x.Left.Columns())
			g.flatten(x.Left, off)
			g.flatten(x.Right, off+lw)
			for i := range x.LeftKeys {
				l, r := shiftCols(x.LeftKeys[i], off), shiftCols(x.RightKeys[i], off+lw)
				g.addPred(&plan.Cmp{Op: "=", L: l, R: r})
			}
			for _, c := range conjuncts(x.Cond) {
				g.addPred(shiftCols(c, off))
			}
			return
		}
	case *plan.Filter:
		if j, ok := x.Input.(*plan.Join); ok && j.Kind == plan.InnerJoin {
			g.flatten(x.Input, off)
			for _, c := range conjuncts(x.Cond) {
				g.addPred(shiftCols(c, off))
			}
			return
		}
	}
	g.leaves = append(g.leaves, &joinLeaf{node: n, off: off, width: len(n.Columns())})
}

func (g *joinGraph) addPred(e plan.Expr) {
	if !parallelSafe(e) || hasOuter(e) {
		g.ok = false
	}
	g.preds = append(g.preds, &joinPred{e: e})
}

// leafOf returns the leaf holding flattened column c.
func (g *joinGraph) leafOf(c int) int {
	for i, l := range g.leaves {
		if c >= l.off && c < l.off+l.width {
			return i
		}
	}
	return -1
}

func (g *joinGraph) refs(e plan.Expr) uint32 {
	var set uint32
	plan.Walk(e, func(x plan.Expr) bool {
		if r, ok := x.(*plan.ColRef); ok {
			if i := g.leafOf(r.Idx); i >= 0 {
				set |= 1 << i
			}
		}
		return true
	})
	return set
}

// reorder returns the inner-join tree rooted at j in the order of least
// estimated cost (under a projection restoring j's columns), or nil to
// keep j as written.
func (w *rewriter) reorder(j *plan.Join) plan.Node {
	g := &joinGraph{ok: true}
	g.flatten(j, 0)
	n := len(g.leaves)
	if !g.ok || n < 3 || n > maxReorder {
		return nil
	}
	g.width = len(j.Columns())
	all := uint32(1)<<n - 1
	// Conjuncts over one leaf filter it; an OR over several also filters
	// each leaf by what it implies for that leaf (Q7, Q19).
	var preds []*joinPred
	for _, p := range g.preds {
		p.refs = g.refs(p.e)
		if p.refs == 0 {
			p.refs = all
		}
		if bits.OnesCount32(p.refs) == 1 {
			lf := g.leaves[bits.TrailingZeros32(p.refs)]
			c := shiftCols(p.e, -lf.off)
			if hasSubquery(c) {
				lf.node = &plan.Filter{Input: lf.node, Cond: c}
			} else {
				lf.node = addFilter(lf.node, c)
			}
			continue
		}
		for i, lf := range g.leaves {
			if p.refs&(1<<i) != 0 {
				if d := implied(p.e, lf.off, lf.off+lf.width); d != nil {
					lf.node = addFilter(lf.node, shiftCols(d, -lf.off))
				}
			}
		}
		if cmp, ok := p.e.(*plan.Cmp); ok && cmp.Op == "=" && !cmp.Distinct && !hasSubquery(p.e) {
			ls, rs := g.refs(cmp.L), g.refs(cmp.R)
			if ls != 0 && rs != 0 && ls&rs == 0 {
				p.equi, p.l, p.r, p.lset, p.rset = true, cmp.L, cmp.R, ls, rs
			}
		}
		preds = append(preds, p)
	}
	g.preds = preds
	w.statsReady()
	for _, lf := range g.leaves {
		lf.rows = w.card(lf.node)
	}
	type best struct {
		cost, rows float64
		left       uint32 // the probe (larger) side; 0 for a leaf
	}
	dp := make([]*best, all+1)
	for i, lf := range g.leaves {
		dp[1<<i] = &best{rows: lf.rows}
	}
	for s := uint32(1); s <= all; s++ {
		if bits.OnesCount32(s) < 2 {
			continue
		}
		low := s & -s
		for s1 := (s - 1) & s; s1 > 0; s1 = (s1 - 1) & s {
			if s1&low == 0 {
				continue // each split once
			}
			s2 := s ^ s1
			b1, b2 := dp[s1], dp[s2]
			if b1 == nil || b2 == nil || !g.connected(s1, s2) {
				continue
			}
			rows := w.splitRows(g, s1, s2, b1.rows, b2.rows)
			probe, build := b1.rows, b2.rows
			left := s1
			if build > probe {
				probe, build, left = build, probe, s2
			}
			cost := b1.cost + b2.cost + probe + 2*build + rows
			if cur := dp[s]; cur == nil || cost < cur.cost {
				dp[s] = &best{cost: cost, rows: rows, left: left}
			}
		}
	}
	if dp[all] == nil {
		return nil // not connected: a cross join keeps the order written
	}
	if w.reordered == nil {
		w.reordered = map[*plan.Join]bool{}
	}
	var build func(s uint32) (plan.Node, []int)
	build = func(s uint32) (plan.Node, []int) {
		b := dp[s]
		if b.left == 0 {
			lf := g.leaves[bits.TrailingZeros32(s)]
			layout := make([]int, lf.width)
			for i := range layout {
				layout[i] = lf.off + i
			}
			return lf.node, layout
		}
		ls, rs := b.left, s^b.left
		ln, ll := build(ls)
		rn, rl := build(rs)
		layout := append(append([]int(nil), ll...), rl...)
		jn := &plan.Join{Kind: plan.InnerJoin, Left: ln, Right: rn,
			Cols: append(append([]plan.Column(nil), ln.Columns()...), rn.Columns()...)}
		var residual []plan.Expr
		for _, p := range g.preds {
			if p.refs&s != p.refs || p.refs&ls == p.refs || p.refs&rs == p.refs {
				continue // not new at this join
			}
			switch {
			case p.equi && p.lset&ls == p.lset && p.rset&rs == p.rset:
				jn.LeftKeys = append(jn.LeftKeys, remap(p.l, ll))
				jn.RightKeys = append(jn.RightKeys, remap(p.r, rl))
			case p.equi && p.rset&ls == p.rset && p.lset&rs == p.lset:
				jn.LeftKeys = append(jn.LeftKeys, remap(p.r, ll))
				jn.RightKeys = append(jn.RightKeys, remap(p.l, rl))
			default:
				residual = append(residual, remap(p.e, layout))
			}
		}
		jn.Cond = and(residual)
		w.reordered[jn] = true
		return jn, layout
	}
	root, layout := build(all)
	identity := true
	pos := make([]int, g.width)
	for i, c := range layout {
		pos[c] = i
		identity = identity && c == i
	}
	if identity {
		return root
	}
	cols := j.Columns()
	p := &plan.Project{Input: root, Cols: cols}
	for i := range cols {
		p.Exprs = append(p.Exprs, &plan.ColRef{Idx: pos[i], T: cols[i].T, Name: cols[i].Name})
	}
	return p
}

// statsReady waits (bounded by the runner's Wait) until the column store
// has applied the statement's snapshot, so that row counts and samples
// include the statement's data; Run waits for it anyway before reading.
func (w *rewriter) statsReady() {
	if w.waited || uint64(w.r.Store.Applied()) >= w.snap {
		return
	}
	w.waited = true
	wait := w.r.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	ctx := w.c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	_ = w.r.Store.WaitApplied(wctx, log.Offset(w.snap)) // on timeout Run decides
}

// connected reports whether an equality joins leaf sets a and b.
func (g *joinGraph) connected(a, b uint32) bool {
	for _, p := range g.preds {
		if p.equi && (p.lset&a == p.lset && p.rset&b == p.rset || p.lset&b == p.lset && p.rset&a == p.rset) {
			return true
		}
	}
	return false
}

// splitRows estimates the rows of joining leaf sets a and b (estimated at
// ra and rb rows) on the conjuncts that become evaluable.
func (w *rewriter) splitRows(g *joinGraph, a, b uint32, ra, rb float64) float64 {
	s := a | b
	var ak, bk []plan.Expr
	others := 0
	for _, p := range g.preds {
		if p.refs&s != p.refs || p.refs&a == p.refs || p.refs&b == p.refs {
			continue
		}
		switch {
		case p.equi && p.lset&a == p.lset && p.rset&b == p.rset:
			ak, bk = append(ak, p.l), append(bk, p.r)
		case p.equi && p.rset&a == p.rset && p.lset&b == p.lset:
			ak, bk = append(ak, p.r), append(bk, p.l)
		default:
			others++
		}
	}
	sel := w.keySel(g.origin(w), g.origin(w), ak, bk, ra, rb)
	for i := 0; i < others; i++ {
		sel /= 3
	}
	return max(1, ra*rb*sel)
}

// origin resolves a flattened column to the table column it copies.
func (g *joinGraph) origin(w *rewriter) resolver {
	return func(c int) (*plan.Scan, int) {
		i := g.leafOf(c)
		if i < 0 {
			return nil, 0
		}
		return w.origin(g.leaves[i].node, c-g.leaves[i].off)
	}
}

// remap rewrites e's flattened column numbers to positions in layout.
func remap(e plan.Expr, layout []int) plan.Expr {
	pos := map[int]int{}
	for i, c := range layout {
		pos[c] = i
	}
	return plan.Transform(e, func(x plan.Expr) (plan.Expr, bool) {
		if r, ok := x.(*plan.ColRef); ok {
			y := *r
			y.Idx = pos[r.Idx]
			return &y, true
		}
		return nil, false
	})
}
