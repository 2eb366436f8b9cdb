package exec

import (
	"bytes"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// A scan reads rows from the store in batches, so that a LIMIT stops early
// without reading the whole table: the first of firstBatch rows (a LIMIT
// is often small), each next one four times larger up to scanBatch.
const (
	firstBatch = 64
	scanBatch  = 1024
)

// scanIter reads a table in primary-key order (or an index range in index
// key order), descending when the plan says Reverse, in batches, resuming
// after the last key of the previous batch (Reader.Scan, ScanBackward and
// IndexRange merge the transaction's own writes in key order, so
// resumption by key is exact).
type scanIter struct {
	c         *Ctx
	n         *plan.Scan
	lo, hi    []byte
	index     bool // lo, hi bound index keys: Reader.IndexRange
	rows      [][]types.Value
	i         int
	after     []byte
	started   bool
	exhausted bool
	point     bool // every primary-key column bound: PointReader.Get
	batch     int  // rows the next fill reads
	read      int  // rows read, for the statistics (CountScan); -1 once counted
}

func openScan(c *Ctx, n *plan.Scan) (Iter, error) {
	s := &scanIter{c: c, n: n, index: n.Index != nil, batch: firstBatch}
	lo, hi, empty, err := ScanBounds(c, n)
	if err != nil {
		return nil, err
	}
	s.lo, s.hi, s.exhausted = lo, hi, empty
	s.point = !s.index && n.Range == nil && len(n.KeyEq) > 0 && len(n.KeyEq) == len(n.Table.PK().Columns)
	return s, nil
}

// ScanBounds evaluates a scan's access path into the key range [lo, hi)
// it reads (nil bounds are open): primary keys, or with n.Index set keys
// of that index. empty reports a range no row falls in (a NULL value or
// bound, or lo >= hi).
//
// An equality prefix P (the encoded values of KeyEq or IndexEq) is the
// range [P, PrefixEnd(P)). A range on the next element, of encoding E(v)
// for bound v, narrows it: the element's encodings are self-delimiting and
// ordered, so every key whose element is v starts with P‖E(v), and keys
// with a larger element sort after P‖E(v) and all its extensions. Thus,
// for an ascending element, >= v starts at P‖E(v), > v at
// PrefixEnd(P‖E(v)); <= v ends before PrefixEnd(P‖E(v)), < v before
// P‖E(v). A descending element (an index column declared DESC) encodes
// larger values as smaller keys, so its lower bound ends the range and its
// upper bound starts it, the same way. An open side leaves out the NULLs
// no comparison matches: NULLS LAST ends before P‖TagNull, NULLS FIRST
// starts after P‖TagNullFirst. A row comparison's bound (a *plan.RowExpr:
// (a, b) > (x, y) over the next elements a, b, all in one direction) is
// P‖E(x)‖E(y), the same way: lexicographic order of the values is the
// order of their encodings' concatenation.
func ScanBounds(c *Ctx, n *plan.Scan) (lo, hi []byte, empty bool, err error) {
	var ts []types.Type
	var orders []keycode.Order // nil: every element ASC NULLS LAST (primary keys)
	var eq []plan.Expr
	switch {
	case n.Index != nil:
		if ts, err = IndexKeyTypes(n.Table, n.Index); err != nil {
			return nil, nil, false, err
		}
		orders, eq = oltp.ElementOrders(n.Index), n.IndexEq
	case len(n.KeyEq) > 0 || n.Range != nil:
		ts, eq = columnTypes(n.Table, n.Table.PK().Columns), n.KeyEq
	default:
		return nil, nil, false, nil // the whole table
	}
	order := func(i int) keycode.Order {
		if i < len(orders) {
			return orders[i]
		}
		return 0
	}
	p, null, err := encodeKey(c, ts, orders, eq)
	if err != nil || null {
		return nil, nil, true, err
	}
	r := n.Range
	if r == nil {
		return p, oltp.PrefixEnd(p), false, nil
	}
	// bound encodes a bound after the prefix: one value, or a row
	// comparison's values for the next elements. A row whose value i > 0
	// is NULL bounds by its first i values, exclusive (excl): keys
	// starting with them compare NULL at value i, matching no row.
	bound := func(e plan.Expr) (k []byte, excl, null bool, err error) {
		vals := []plan.Expr{e}
		if row, ok := e.(*plan.RowExpr); ok {
			vals = row.Elems
		}
		k = append([]byte(nil), p...)
		for i, ve := range vals {
			v, err := Eval(c, ve, nil)
			if err != nil {
				return nil, false, true, err
			}
			if v.IsNull() {
				return k, true, i == 0, nil
			}
			j := len(eq) + i
			k = keycode.AppendOrdered(k, v, ts[j], order(j))
		}
		return k, false, false, nil
	}
	o := order(len(eq))
	desc := o&keycode.Desc != 0
	if o&keycode.NullsFirst != 0 {
		lo = oltp.PrefixEnd(append(append([]byte(nil), p...), keycode.TagNullFirst))
		hi = oltp.PrefixEnd(p)
	} else {
		lo = p
		hi = append(append([]byte(nil), p...), keycode.TagNull)
	}
	// from sets the side a bound starts the range at: incl starts at k,
	// else after k and its extensions; until the side it ends it at.
	from := func(k []byte, incl bool) {
		if lo = k; !incl {
			lo = oltp.PrefixEnd(k)
		}
	}
	until := func(k []byte, incl bool) {
		if hi = k; incl {
			hi = oltp.PrefixEnd(k)
		}
	}
	if r.Lo != nil {
		k, excl, null, err := bound(r.Lo)
		if err != nil || null {
			return nil, nil, true, err
		}
		if incl := r.LoIncl && !excl; desc {
			until(k, incl)
		} else {
			from(k, incl)
		}
	}
	if r.Hi != nil {
		k, excl, null, err := bound(r.Hi)
		if err != nil || null {
			return nil, nil, true, err
		}
		if incl := r.HiIncl && !excl; desc {
			from(k, incl)
		} else {
			until(k, incl)
		}
	}
	if len(lo) == 0 {
		lo = nil
	}
	if lo != nil && hi != nil && bytes.Compare(lo, hi) >= 0 {
		return nil, nil, true, nil
	}
	return lo, hi, false, nil
}

// encodeKey builds the encoded key prefix of key elements of types ts
// and orders (nil: ascending) from values exprs. null reports a NULL
// value, which matches no row.
func encodeKey(c *Ctx, ts []types.Type, orders []keycode.Order, exprs []plan.Expr) (key []byte, null bool, err error) {
	for i, e := range exprs {
		v, err := Eval(c, e, nil)
		if err != nil {
			return nil, false, err
		}
		if v.IsNull() {
			return nil, true, nil
		}
		var o keycode.Order
		if i < len(orders) {
			o = orders[i]
		}
		key = keycode.AppendOrdered(key, v, ts[i], o)
	}
	return key, false, nil
}

// columnTypes returns the types columns cols of t are keyed as
// (catalog.Table.KeyType).
func columnTypes(t *catalog.Table, cols []int) []types.Type {
	ts := make([]types.Type, len(cols))
	for i, c := range cols {
		ts[i] = t.KeyType(c)
	}
	return ts
}

// IndexKeyTypes returns the types of ix's key elements: its columns', or
// its expressions' (oltp.IndexKeyTypes).
func IndexKeyTypes(t *catalog.Table, ix *catalog.Index) ([]types.Type, error) {
	if !ix.HasExprs() {
		return columnTypes(t, ix.Columns), nil
	}
	return oltp.IndexKeyTypes(t, ix)
}

func (s *scanIter) fill() error {
	s.rows, s.i = s.rows[:0], 0
	if pr, ok := s.c.Reader.(PointReader); ok && s.point {
		// The whole primary key is bound: at most one row.
		s.exhausted = true
		row, found, err := pr.Get(s.n.Table, s.lo)
		if found {
			s.rows = append(s.rows, s.withKey(s.lo, row))
		}
		return err
	}
	rev := s.n.Reverse
	lo, hi := s.lo, s.hi
	if s.started {
		if rev {
			hi = s.after
		} else {
			lo = s.after
		}
	}
	s.started = true
	// A full batch resumes just after its last key: the primary key, or the
	// index entry (index key ‖ primary key), which is only valid during
	// the call. Ascending, the next batch starts at that key followed by a
	// 0x00 byte; descending, it ends before the key (hi is exclusive).
	// (A new slice: the reader may still hold the bound.)
	batch := s.batch
	s.batch = min(4*batch, scanBatch)
	full := func(last []byte) bool {
		if len(s.rows) < batch {
			return false
		}
		s.after = append(make([]byte, 0, len(last)+1), last...)
		if !rev {
			s.after = append(s.after, 0)
		}
		return true
	}
	var err error
	switch {
	case s.index:
		err = s.c.Reader.IndexRange(s.n.Table, s.n.Index, lo, hi, rev, func(entry, key []byte, row []types.Value) bool {
			s.rows = append(s.rows, s.withKey(key, row))
			return !full(entry)
		})
	case rev:
		err = s.c.Reader.ScanBackward(s.n.Table, lo, hi, func(key []byte, row []types.Value) bool {
			s.rows = append(s.rows, s.withKey(key, row))
			return !full(key)
		})
	default:
		err = s.c.Reader.Scan(s.n.Table, lo, hi, func(key []byte, row []types.Value) bool {
			s.rows = append(s.rows, s.withKey(key, row))
			return !full(key)
		})
	}
	s.exhausted = len(s.rows) < batch
	return err
}

// withKey returns row, followed by its primary key when the scan yields
// keys (plan.Scan.Key). The reader's row is not extended in place: its
// spare capacity may belong to the next row.
func (s *scanIter) withKey(key []byte, row []types.Value) []types.Value {
	if !s.n.Key {
		return row
	}
	n := len(s.n.Cols) - 1 // the table's columns, then the key
	out := make([]types.Value, n+1)
	copy(out, row[:min(len(row), n)])
	for i := len(row); i < n; i++ {
		out[i] = types.Null // a column added after the row was written
	}
	out[n] = types.NewBytes(key)
	return out
}

func (s *scanIter) Next() ([]types.Value, error) {
	for {
		if s.i >= len(s.rows) {
			if s.exhausted {
				return nil, nil
			}
			if err := s.fill(); err != nil {
				return nil, err
			}
			s.read += len(s.rows)
			if len(s.rows) == 0 {
				return nil, nil
			}
		}
		r := s.rows[s.i]
		s.i++
		if err := s.c.cancelled(); err != nil {
			return nil, err
		}
		if s.n.Filter != nil {
			v, err := Eval(s.c, s.n.Filter, r)
			if err != nil {
				return nil, err
			}
			if !isTrue(v) {
				continue
			}
		}
		return r, nil
	}
}

func (s *scanIter) Close() {
	if s.read >= 0 {
		CountScan(s.c, s.n, s.read)
		s.read = -1
	}
}
