package exec

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// scanBatch is how many rows a scan reads from the store per call, so that
// a LIMIT stops early without reading the whole table.
const scanBatch = 1024

// scanIter reads a table in primary-key order in batches, resuming after
// the last key of the previous batch (Reader.Scan merges the transaction's
// own writes in key order, so resumption by key is exact).
type scanIter struct {
	c         *Ctx
	n         *plan.Scan
	lo, hi    []byte
	prefix    []byte // secondary index scans
	rows      [][]types.Value
	i         int
	after     []byte
	started   bool
	exhausted bool
	point     bool // every primary-key column bound: PointReader.Get
}

func openScan(c *Ctx, n *plan.Scan) (Iter, error) {
	s := &scanIter{c: c, n: n}
	switch {
	case len(n.KeyEq) > 0:
		k, null, err := encodeKey(c, columnTypes(n.Table, n.Table.PK().Columns), n.KeyEq)
		if err != nil {
			return nil, err
		}
		s.exhausted = null
		s.lo, s.hi = k, oltp.PrefixEnd(k)
		s.point = len(n.KeyEq) == len(n.Table.PK().Columns)
	case n.Index != nil:
		ts, err := IndexKeyTypes(n.Table, n.Index)
		if err != nil {
			return nil, err
		}
		k, null, err := encodeKey(c, ts, n.IndexEq)
		if err != nil {
			return nil, err
		}
		s.exhausted = null
		s.prefix = k
	}
	return s, nil
}

// encodeKey builds the encoded key prefix of key elements of types ts
// from values exprs. null reports a NULL value, which matches no row.
func encodeKey(c *Ctx, ts []types.Type, exprs []plan.Expr) (key []byte, null bool, err error) {
	for i, e := range exprs {
		v, err := Eval(c, e, nil)
		if err != nil {
			return nil, false, err
		}
		if v.IsNull() {
			return nil, true, nil
		}
		key = keycode.Append(key, v, ts[i])
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
	if s.prefix != nil {
		// Index lookups are short: read them whole.
		s.exhausted = true
		return s.c.Reader.IndexScan(s.n.Table, s.n.Index, s.prefix, func(key []byte, row []types.Value) bool {
			s.rows = append(s.rows, s.withKey(key, row))
			return true
		})
	}
	lo := s.lo
	if s.started {
		lo = s.after
	}
	s.started = true
	var last []byte
	err := s.c.Reader.Scan(s.n.Table, lo, s.hi, func(key []byte, row []types.Value) bool {
		s.rows = append(s.rows, s.withKey(key, row))
		last = key
		return len(s.rows) < scanBatch
	})
	if len(s.rows) < scanBatch {
		s.exhausted = true
	} else {
		s.after = append(append(s.after[:0], last...), 0)
	}
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

func (s *scanIter) Close() {}
