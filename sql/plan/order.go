package plan

import (
	"slices"

	"github.com/omendb/omendb/types"
)

// Scans without a secondary-index path yield rows in primary-key order (the
// row store's key order, the transaction's own writes merged into it). An
// ORDER BY that is a prefix of the primary key's columns, ascending, over
// such a scan (through projections and filters, which keep the order) needs
// no sort: markLimit sets Sort.Presorted, and the row executor passes the
// rows on as they come, so a LIMIT above stops the scan after its rows.
// With nothing between the LIMIT (and such a sort, or none) and the scan
// that drops rows (projections, a filter made only of the comparisons the
// access path applies), the scan reads at most LIMIT + OFFSET rows:
// Scan.FirstRows, which keeps the scan on the row store in auto mode.

// markLimit marks s (the ORDER BY, or nil) presorted when its input yields
// rows in the order of its keys, and records on the scan under lim (the
// LIMIT, or nil) how many rows lim reads from it.
func markLimit(s *Sort, lim *Limit) {
	var in Node
	if s != nil {
		if _, ok := scanOrder(s.Input, s.Keys); !ok {
			return
		}
		s.Presorted = true
		in = s.Input
	} else if lim != nil {
		in = lim.Input
	}
	if lim == nil {
		return
	}
	for {
		p, ok := in.(*Project)
		if !ok {
			break
		}
		in = p.Input
	}
	sc, ok := in.(*Scan)
	if !ok || sc.FirstRows != 0 || !pathFilter(sc) {
		return
	}
	n, ok := constCount(lim.Count)
	off, okOff := constCount(lim.Offset)
	if lim.Offset == nil {
		off, okOff = 0, true
	}
	if ok && okOff && n+off > 0 && n+off < 1<<40 {
		sc.FirstRows = n + off
	}
}

// scanOrder follows keys down n's projections and filters to a scan in
// primary-key order whose key begins with the keys' columns, ascending, and
// returns that scan. The columns' types must sort as their key encoding
// orders (bpchar and collations aside: the types the column runner's key
// top-N accepts).
func scanOrder(n Node, keys []SortKey) (*Scan, bool) {
	cols := make([]int, len(keys))
	for i, k := range keys {
		r, ok := k.E.(*ColRef)
		if !ok || k.Desc {
			return nil, false
		}
		cols[i] = r.Idx
	}
	for {
		switch x := n.(type) {
		case *Project:
			for i, c := range cols {
				r, ok := x.Exprs[c].(*ColRef)
				if !ok {
					return nil, false
				}
				cols[i] = r.Idx
			}
			n = x.Input
		case *Filter:
			n = x.Input
		case *Scan:
			pk := x.Table.PK()
			if x.Index != nil || pk == nil || len(cols) > len(pk.Columns) || x.Table.PrimaryKey < 0 {
				return nil, false
			}
			for i, c := range cols {
				if c != pk.Columns[i] || !keyOrdered(x.Table.KeyType(c)) || x.Table.KeyType(c).OID != x.Table.Columns[c].Type.OID {
					return nil, false
				}
			}
			return x, true
		default:
			return nil, false
		}
	}
}

// keyOrdered reports whether values of t sort as their key encoding does.
func keyOrdered(t types.Type) bool {
	switch types.KindOfType(t) {
	case types.KindInt, types.KindDate, types.KindTimestamp, types.KindTimestampTZ:
		return t.Enum == nil
	case types.KindText:
		return t.OID != types.OIDBPChar && t.Enum == nil
	}
	return false
}

// pathFilter reports whether sc's filter holds nothing but the
// comparisons its access path applies (it drops no row the path reads).
func pathFilter(sc *Scan) bool {
	if sc.Filter == nil {
		return true
	}
	for _, c := range splitAnd(sc.Filter) {
		if !pathConjunct(sc, c) {
			return false
		}
	}
	return true
}

// pathConjunct reports whether c is one of the comparisons sc's primary-key
// path was built from: an equality giving a KeyEq value, or the bound of
// its Range (the very value expressions the path holds).
func pathConjunct(sc *Scan, c Expr) bool {
	if rc, ok := c.(*RowCmp); ok && sc.Range != nil {
		// A row comparison whose values are the path's RowExpr bound.
		for _, b := range []Expr{sc.Range.Lo, sc.Range.Hi} {
			if row, ok := b.(*RowExpr); ok && (slices.Equal(row.Elems, rc.R) || slices.Equal(row.Elems, rc.L)) {
				return true
			}
		}
		return false
	}
	cmp, ok := c.(*Cmp)
	if !ok || cmp.Distinct {
		return false
	}
	holds := func(v Expr) bool { return v != nil && (cmp.L == v || cmp.R == v) }
	if cmp.Op == "=" {
		for _, v := range sc.KeyEq {
			if holds(v) {
				return true
			}
		}
		return false
	}
	return sc.Range != nil && (holds(sc.Range.Lo) || holds(sc.Range.Hi))
}

// constCount returns the value of a constant LIMIT or OFFSET.
func constCount(e Expr) (int64, bool) {
	c, ok := e.(*Const)
	if !ok || c.V.IsNull() || c.V.I < 0 {
		return 0, false
	}
	return c.V.I, true
}
