package vexec

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
)

// opStats counts one vectorized operator's output for EXPLAIN ANALYZE:
// rows and batches, and the wall time from its pipe's start to its first
// and to its last output batch (PostgreSQL's "actual time=first..last").
// Workers update it concurrently.
type opStats struct {
	rows, batches atomic.Int64
	first, last   atomic.Int64 // ns since the pipe started; first 0 = none yet
}

func (o *opStats) add(n int, t0 time.Time) {
	at := int64(time.Since(t0))
	if at <= 0 {
		at = 1
	}
	o.rows.Add(int64(n))
	o.batches.Add(1)
	for {
		f := o.first.Load()
		if (f != 0 && f <= at) || o.first.CompareAndSwap(f, at) {
			break
		}
	}
	for {
		l := o.last.Load()
		if l >= at || o.last.CompareAndSwap(l, at) {
			break
		}
	}
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

func actual(first, last time.Duration, rows, loops int64) string {
	return fmt.Sprintf(" (actual time=%.3f..%.3f rows=%d loops=%d)", ms(int64(first)), ms(int64(last)), rows, loops)
}

// analyzeIter is the iterator Run returns when the statement collects
// statistics (EXPLAIN ANALYZE): once drained, Analyzed prints the plan the
// column engine ran.
type analyzeIter struct {
	exec.Iter
	rw   *rewriter
	root plan.Node
}

// Analyzed returns EXPLAIN ANALYZE's lines for the plan that ran: the row
// executor's operators with their statistics, and the vectorized ones
// (column scans, filters, projections, hash joins and aggregations run
// over column batches) with rows, batches, time, the store each scan read
// and the segments zone maps skipped. Call it after the iterator is
// drained.
func (a *analyzeIter) Analyzed() []string {
	e := &explainer{rw: a.rw, stats: a.rw.c.Stats}
	e.node(a.root, 0)
	return e.lines
}

type explainer struct {
	rw    *rewriter
	stats map[plan.Node]*exec.NodeStats
	lines []string
}

func (e *explainer) line(depth int, text string, details ...string) {
	indent := strings.Repeat("  ", depth)
	prefix := ""
	if depth > 0 {
		prefix = "->  "
	}
	e.lines = append(e.lines, indent+prefix+text)
	for _, d := range details {
		if d != "" {
			e.lines = append(e.lines, indent+strings.Repeat(" ", len(prefix)+2)+d)
		}
	}
}

// rowStats renders the row executor's statistics for n (per loop, as
// PostgreSQL does).
func (e *explainer) rowStats(n plan.Node) string {
	st := e.stats[n]
	if st == nil || st.Loops == 0 {
		return " (never executed)"
	}
	l := st.Loops
	return actual(st.First/time.Duration(l), st.Time/time.Duration(l), st.Rows/l, l)
}

func rowStore(sc *plan.Scan) string { return "row store: " + sc.Reason }

func (e *explainer) node(n plan.Node, depth int) {
	if vs, ok := n.(*plan.VirtualScan); ok {
		if s := e.rw.byNode[vs]; s != nil {
			e.colScan(s, vs, depth)
			return
		}
		if va := e.rw.aggs[vs]; va != nil {
			e.vecAgg(va, vs, depth)
			return
		}
		if op := e.rw.sorts[vs]; op != nil {
			e.sortOp(op, vs, depth)
			return
		}
		if jr := e.rw.joinRows[vs]; jr != nil {
			if jr.fellBack {
				e.line(depth, "Vectorized Join"+e.rowStats(vs), "Fell back to the row executor")
				e.node(jr.fallback, depth+1)
				return
			}
			e.pipe(jr.p, len(jr.p.steps), depth)
			return
		}
	}
	e.line(depth, plan.Describe(n, rowStore)+e.rowStats(n))
	for _, c := range plan.Children(n) {
		e.node(c, depth+1)
	}
}

func scanName(s *colScan) string {
	name := "Column Scan on " + s.n.Table.Name
	if s.n.Alias != "" && s.n.Alias != s.n.Table.Name {
		name += " " + s.n.Alias
	}
	name += " [column store]"
	if s.n.Filter != nil {
		name += " (filtered)"
	}
	return name
}

func (e *explainer) colScan(s *colScan, vs *plan.VirtualScan, depth int) {
	e.line(depth, scanName(s)+e.rowStats(vs),
		fmt.Sprintf("Snapshot: log offset %d", s.snap),
		fmt.Sprintf("Segments: %d scanned, %d skipped by zone maps", s.SegsTotal-s.SegsPruned, s.SegsPruned))
}

func (e *explainer) vecAgg(va *vecAgg, vs *plan.VirtualScan, depth int) {
	a := va.agg
	name := fmt.Sprintf("Vectorized Aggregate (%d aggregates)", len(a.Aggs))
	if len(a.GroupBy) > 0 {
		name = fmt.Sprintf("Vectorized HashAggregate (%d keys, %d aggregates)", len(a.GroupBy), len(a.Aggs))
		if len(va.deps) > 0 {
			name = fmt.Sprintf("Vectorized HashAggregate (%d keys, %d hashed: the others are functions of them; %d aggregates)", len(a.GroupBy), len(va.keys), len(a.Aggs))
		}
	}
	loops := int64(0)
	if va.done {
		loops = 1
	}
	stats := actual(va.took, va.took, int64(len(va.cache)), loops)
	if va.fellBack {
		e.line(depth, name+stats, "Fell back to the row executor")
		for _, c := range plan.Children(va.fallback) {
			e.node(c, depth+1)
		}
		return
	}
	having := ""
	if va.having != nil {
		having = fmt.Sprintf("HAVING on the groups' states: %d of %d groups kept", va.kept, va.groups)
	}
	e.line(depth, name+stats, fmt.Sprintf("Workers: %d", va.p.workers), having)
	e.pipe(va.p, len(va.p.steps), depth+1)
}

// pipe prints the first k steps of p (the k-th on top) over its scan.
func (e *explainer) pipe(p *pipe, k int, depth int) {
	stat := func(o *opStats) string {
		return actual(time.Duration(o.first.Load()), time.Duration(o.last.Load()), o.rows.Load(), int64(p.loops))
	}
	if k == 0 {
		e.line(depth, scanName(p.s)+stat(&p.scanSt),
			fmt.Sprintf("Snapshot: log offset %d", p.s.snap),
			fmt.Sprintf("Segments: %d scanned, %d skipped by zone maps", p.segs, p.pruned),
			fmt.Sprintf("Batches: %d", p.scanSt.batches.Load()))
		return
	}
	var st *opStats
	if k-1 < len(p.stepSt) {
		st = p.stepSt[k-1]
	} else {
		st = &opStats{}
	}
	batches := fmt.Sprintf("Batches: %d", st.batches.Load())
	switch x := p.steps[k-1].(type) {
	case *filterStep:
		e.line(depth, "Vectorized Filter"+stat(st), batches)
		e.pipe(p, k-1, depth+1)
	case *projectStep:
		e.line(depth, "Vectorized Project"+stat(st), batches)
		e.pipe(p, k-1, depth+1)
	case *probeStep:
		build := "right"
		if !x.probeLeft {
			build = "left"
		}
		e.line(depth, fmt.Sprintf("Vectorized Hash %s Join (%d keys)", x.kind, len(x.keys))+stat(st),
			batches, "Build side: "+build)
		e.pipe(p, k-1, depth+1)
		hb := x.hb
		loops := int64(0)
		if hb.built {
			loops = 1
		}
		e.line(depth+1, "Hash"+actual(hb.took, hb.took, int64(hb.n), loops))
		if hb.pipe != nil {
			e.pipe(hb.pipe, len(hb.pipe.steps), depth+2)
		} else {
			e.node(hb.node, depth+2)
		}
	default:
		e.line(depth, fmt.Sprintf("Vectorized %T", x)+stat(st), batches)
		e.pipe(p, k-1, depth+1)
	}
}

func (e *explainer) sortOp(op *sortOp, vs *plan.VirtualScan, depth int) {
	name := fmt.Sprintf("Vectorized Sort (%d keys)", len(op.sk))
	if op.limited {
		name = fmt.Sprintf("Vectorized Top-N Sort (%d keys)", len(op.sk))
	}
	loops := int64(0)
	if op.done {
		loops = 1
	}
	stats := actual(op.took, op.took, int64(len(op.cache)), loops)
	if op.fellBack {
		e.line(depth, name+stats, "Fell back to the row executor")
		e.node(op.fallback, depth+1)
		return
	}
	e.line(depth, name+stats, fmt.Sprintf("Workers: %d", op.p.workers))
	e.pipe(op.p, len(op.p.steps), depth+1)
}
