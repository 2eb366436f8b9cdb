package plan

import (
	"slices"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/types"
)

// ORDER BY served by a key order. A scan yields rows in the order of its
// access path's keys, the transaction's own writes merged in: the primary
// key's, or with Scan.Index set the index's entries (index key ‖ primary
// key), ascending or — Scan.Reverse — descending. The keys encode each
// element in its declared order (DESC, NULLS FIRST: catalog.Index.Options,
// keycode.AppendOrdered), so reading them backward gives every element
// the opposite order: an ASC NULLS LAST column read backward is DESC NULLS
// FIRST, PostgreSQL's default for DESC. An ORDER BY (through projections
// and filters, which keep the order) needs no sort when its keys, skipping
// elements the path fixes by equality, are the path's next key elements —
// then, after a secondary index's last element, its primary-key columns —
// each in its element's order (forward) or each in the opposite one
// (backward), NULL placement included unless the element cannot be NULL.
// markLimit then sets Sort.Presorted (and Scan.Reverse), and the row
// executor passes the rows on as they come, so a LIMIT above stops the
// scan after its rows.
//
// When the scan's path does not give the order, another index (or the
// primary key) may: its path is taken when the filter fixes at least as
// many of its leading elements by equality as the current path's, or when
// a constant LIMIT of at most FewRows rows reads from it with nothing but
// its path's own comparisons in the filter (it then reads just those
// rows; a LIMIT $1 counts as such, auto mode choosing the store once the
// parameter is known).
//
// With nothing between the LIMIT (and such a sort, or none) and the scan
// that drops rows (projections, a filter made only of the comparisons the
// access path applies), the scan reads at most LIMIT + OFFSET rows:
// Scan.FirstRows, which keeps the scan on the row store in auto mode.

// markLimit marks s (the ORDER BY, or nil) presorted when its input yields
// rows in the order of its keys (choosing the scan's path and direction
// for it), and records on the scan under lim (the LIMIT, or nil) how many
// rows lim reads from it.
func markLimit(s *Sort, lim *Limit) {
	var in Node
	if s != nil {
		if !presort(s, lim) {
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
	if n, ok := limitRows(lim); ok {
		sc.FirstRows = n
	} else if paramLimit(lim) {
		sc.FirstRowsLimit = lim
	}
}

// paramLimit reports whether lim's count (and offset, if any) are values
// fixed for the statement but not constants: parameters (LIMIT $1).
func paramLimit(lim *Limit) bool {
	return lim.Count != nil && isValueExpr(lim.Count) && (lim.Offset == nil || isValueExpr(lim.Offset))
}

// limitRows returns LIMIT + OFFSET when both are constants (or OFFSET is
// absent) and the sum is positive and sane.
func limitRows(lim *Limit) (int64, bool) {
	n, ok := constCount(lim.Count)
	off, okOff := constCount(lim.Offset)
	if lim.Offset == nil {
		off, okOff = 0, true
	}
	if ok && okOff && n+off > 0 && n+off < 1<<40 {
		return n + off, true
	}
	return 0, false
}

// presort reports whether the scan under s can yield rows in s's order,
// setting its direction — and, where another index serves the order
// better, its path — so that it does.
func presort(s *Sort, lim *Limit) bool {
	sc, keys, filtered, ok := sortScan(s.Input, s.Keys)
	if !ok {
		return false
	}
	if rev, ok := pathOrder(sc, keys); ok {
		sc.Reverse = rev
		return true
	}
	// A parameter LIMIT counts as few: where it is not, auto mode reads
	// the column store (exec.FirstRows), whose scans ignore the path.
	few := false
	if lim != nil && !filtered {
		n, ok := limitRows(lim)
		few = ok && n <= FewRows || !ok && paramLimit(lim)
	}
	return reroute(sc, keys, few)
}

// sortScan follows sort keys down n's projections and filters to a scan,
// returning the keys as expressions over the scan's row; filtered
// reports a filter on the way.
func sortScan(n Node, keys []SortKey) (sc *Scan, out []SortKey, filtered, ok bool) {
	out = slices.Clone(keys)
	for {
		switch x := n.(type) {
		case *Project:
			for i := range out {
				out[i].E = Transform(out[i].E, func(e Expr) (Expr, bool) {
					if r, ok := e.(*ColRef); ok {
						return x.Exprs[r.Idx], true
					}
					return e, false
				})
			}
			n = x.Input
		case *Filter:
			filtered = true
			n = x.Input
		case *Scan:
			return x, out, filtered, x.Table != nil && !x.Key
		default:
			return nil, nil, false, false
		}
	}
}

// pathOrder reports whether sc's path yields rows in the order of keys
// (expressions over its row), forward or — rev — backward.
func pathOrder(sc *Scan, keys []SortKey) (rev, ok bool) {
	t := sc.Table
	var elems []Expr
	var orders []int16
	eqLen := 0
	if sc.Index != nil {
		for i := range sc.Index.Columns {
			elems = append(elems, sc.IndexElem(i))
			orders = append(orders, sc.Index.Order(i))
		}
		eqLen = len(sc.IndexEq)
	} else {
		eqLen = len(sc.KeyEq)
	}
	// The primary key: the path's own keys, or those a secondary index's
	// entries end with (a hidden row id orders nothing a query can name).
	if pk := t.PK(); pk != nil && t.PrimaryKey >= 0 {
		for _, c := range pk.Columns {
			elems = append(elems, &ColRef{Idx: c, T: t.Columns[c].Type, Name: t.Columns[c].Name})
			orders = append(orders, 0)
		}
	} else if sc.Index == nil {
		return false, false
	}
	notNull := func(i int) bool {
		if r, ok := elems[i].(*ColRef); ok {
			if t.Columns[r.Idx].NotNull || sc.Index == nil || i >= len(sc.Index.Columns) {
				return true // a NOT NULL column, or a primary-key column
			}
		}
		// A range on the element matches no NULL.
		return sc.Range != nil && i == eqLen
	}
	pos, dir := eqLen, 0 // dir: 0 none yet, 1 forward, -1 backward
	for _, k := range keys {
		key := ExprKey(k.E)
		if pos < len(elems) && ExprKey(elems[pos]) == key {
			if !keyOrderType(k.E.Type()) {
				return false, false
			}
			d := elemDirection(orders[pos], k, notNull(pos))
			if d == 0 || dir != 0 && d != dir {
				return false, false
			}
			dir = d
			pos++
			continue
		}
		// A key the path fixes by equality, or one already ordered by,
		// orders nothing further.
		if slices.ContainsFunc(elems[:pos], func(e Expr) bool { return ExprKey(e) == key }) {
			continue
		}
		return false, false
	}
	return dir < 0, true
}

// elemDirection returns 1 when sort key k orders as a key element of
// order o read forward, -1 when read backward, 0 when neither: both
// directions must agree, and the NULL placements too unless the element
// holds no NULL.
func elemDirection(o int16, k SortKey, notNull bool) int {
	desc := o&catalog.IndexDesc != 0
	nullsFirst := o&catalog.IndexNullsFirst != 0
	switch {
	case k.Desc == desc && (notNull || k.NullsFirst == nullsFirst):
		return 1
	case k.Desc != desc && (notNull || k.NullsFirst != nullsFirst):
		return -1
	}
	return 0
}

// keyOrderType reports whether ORDER BY over values of t is their key
// encoding's order: the types whose comparisons the encoding orders
// (rangeKeyType), but bpchar.
func keyOrderType(t types.Type) bool {
	return rangeKeyType(t) && t.OID != types.OIDBPChar
}

// reroute gives sc the path of another index (or the primary key) that
// yields rows in the order of keys, when one does and it reads no more
// rows than sc's path: its equalities include every one of sc's path (and
// there are some), or — few: a small constant LIMIT reads
// from the scan through nothing that drops rows — the filter holds only
// the comparisons its path applies (the scan reads the LIMIT's rows and
// stops). Among several, the longest equality prefix wins.
func reroute(sc *Scan, keys []SortKey, few bool) bool {
	ac := collectConds(sc.Filter)
	cur := append(slices.Clone(sc.KeyEq), sc.IndexEq...)
	var best *Scan
	for i := range sc.Table.Indexes {
		ix := &sc.Table.Indexes[i]
		elems, vals, kr, ok := ac.pathOn(sc.Table, ix)
		if !ok {
			continue
		}
		try := *sc
		try.setPath(ix, elems, vals, kr)
		rev, ok := pathOrder(&try, keys)
		if !ok {
			continue
		}
		if !(len(vals) > 0 && fixesAll(vals, cur) || few && pathFilter(&try)) {
			continue
		}
		if best == nil || len(vals) > len(best.KeyEq)+len(best.IndexEq) {
			try.Reverse = rev
			best = &try
		}
	}
	if best == nil {
		return false
	}
	if !best.KeyEquality() && best.Range == nil {
		best.Reason = "no usable predicate"
	}
	best.Reason += "; in the ORDER BY's order"
	*sc = *best
	return true
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

// pathConjunct reports whether c is one of the comparisons sc's path was
// built from: an equality giving a KeyEq or IndexEq value, or the bound of
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
		for _, v := range append(slices.Clone(sc.KeyEq), sc.IndexEq...) {
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

// fixesAll reports whether vals (a path's equality values) hold each of
// cur's (another path's, built from the same conditions).
func fixesAll(vals, cur []Expr) bool {
	for _, v := range cur {
		if !slices.Contains(vals, v) {
			return false
		}
	}
	return true
}

// PresortedBy names the key order a presorted sort's input comes in, for
// EXPLAIN: "primary key order" or "index order".
func PresortedBy(s *Sort) string {
	if sc, _, _, ok := sortScan(s.Input, nil); ok && sc.Index != nil {
		return "index order"
	}
	return "primary key order"
}
