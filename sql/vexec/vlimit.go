package vexec

import (
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// planKeyLimit runs LIMIT [OFFSET] without ORDER BY over one table scan
// (under filters and projections) as a vectorized top-N by the table's
// primary key: the rows are the ones the row executor returns (its scans
// under a LIMIT keep primary-key order), and each worker skips the sealed
// segments whose zone map puts every key after the worst row it already
// keeps, so on a table loaded in key order the scan stops after the first
// segments. Projections are 1:1, so they run above the top-N on the few
// rows kept. Returns nil when the input has another shape or the key is
// not one of the kinds whose comparison is the key encoding's order.
func (w *rewriter) planKeyLimit(x *plan.Limit) plan.Node {
	var projs []*plan.Project
	in := x.Input
	for {
		p, ok := in.(*plan.Project)
		if !ok {
			break
		}
		projs = append(projs, p)
		in = p.Input
	}
	sc := in
	for {
		f, ok := sc.(*plan.Filter)
		if !ok {
			break
		}
		sc = f.Input
	}
	scan, ok := sc.(*plan.Scan)
	if !ok || scan.KeyEquality() || w.rowPath(scan) || len(scan.Cols) != len(scan.Table.Columns) {
		return nil
	}
	pk := scan.Table.PK()
	if pk == nil || len(pk.Columns) == 0 {
		return nil
	}
	var keys []plan.SortKey
	for _, c := range pk.Columns {
		t := scan.Table.Columns[c].Type
		switch types.KindOfType(t) {
		case types.KindInt, types.KindDate, types.KindTimestamp, types.KindTimestampTZ:
		case types.KindText:
			if t.OID == types.OIDBPChar {
				return nil
			}
		default:
			return nil
		}
		keys = append(keys, plan.SortKey{E: &plan.ColRef{Idx: c, T: t}})
	}
	rin := w.under(in, false)
	if _, ok := rin.(*plan.Sort); ok {
		return nil
	}
	s := &plan.Sort{Input: rin, Keys: keys}
	lim := &plan.Limit{Input: s, Count: x.Count, Offset: x.Offset}
	op := w.planSort(s, lim)
	if op == nil {
		return nil
	}
	op.zoned, op.zoneCol = true, pk.Columns[0]
	out := w.sortScan(op, rin.Columns())
	for i := len(projs) - 1; i >= 0; i-- {
		y := *projs[i]
		y.Input = out
		y.Exprs = make([]plan.Expr, len(projs[i].Exprs))
		for j, e := range projs[i].Exprs {
			y.Exprs[j] = w.subqueries(e)
		}
		out = &y
	}
	return out
}

// skipSegment reports whether worker wi's top-N (sink s) already keeps its
// full count of rows and segment seg's zone map puts every first sort key
// after the worst of them (op.zoneCol, ascending): no row of seg can be
// kept.
func (op *sortOp) skipSegment(s *sortSink, t *olap.Table, seg *olap.Segment) bool {
	if s.keep == 0 {
		return true
	}
	if s.keep < 0 || int64(len(s.rows)) < s.keep {
		return false
	}
	worst := s.rows[0].keys[0]
	skip := false
	t.Read(func() {
		if !seg.Sealed() {
			return
		}
		col := seg.Col(op.zoneCol)
		if col == nil {
			return
		}
		z := col.Zone
		if !z.Ordered || z.Min.IsNull() || z.Min.K != worst.K || worst.IsNull() {
			return
		}
		skip = types.Compare(z.Min, worst) > 0
	})
	return skip
}
