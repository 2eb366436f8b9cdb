package sql

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// txnView reads and writes one transaction: the row store at the
// transaction's snapshot with its own writes overlaid.
type txnView struct {
	s *Session
	t *txnState
}

func (s *Session) reader() *txnView { return &txnView{s: s, t: s.txn} }
func (s *Session) writer() *txnView { return &txnView{s: s, t: s.txn} }

func (v *txnView) snap() uint64 { return uint64(v.t.snap) }

// storeTable returns the store's table, or nil when the table was created
// by this transaction (or dropped concurrently).
func (v *txnView) storeTable(t *catalog.Table) *oltp.Table {
	st := v.s.eng.Store.Table(t.ID)
	if st == nil {
		return nil
	}
	return st
}

// fill pads rows written before ADD COLUMN to the table's width.
func fill(t *catalog.Table, row []types.Value, loc interface{}) []types.Value {
	if len(row) >= len(t.Columns) {
		return row
	}
	out := make([]types.Value, len(t.Columns))
	copy(out, row)
	for i := len(row); i < len(t.Columns); i++ {
		c := t.Columns[i]
		if c.Missing != nil && !c.Dropped {
			if val, err := types.ParseText(c.Type, *c.Missing, nil); err == nil {
				out[i] = val
			}
		}
	}
	return out
}

// Scan implements exec.Reader: base rows in [lo, hi) at the snapshot,
// merged in key order with the transaction's pending rows.
func (v *txnView) Scan(t *catalog.Table, lo, hi []byte, fn func(key []byte, row []types.Value) bool) error {
	tw := v.t.writes.Table(t.ID)
	var pend []*oltp.PendingRow
	tw.Rows(func(p *oltp.PendingRow) bool {
		if (lo == nil || bytes.Compare(p.Key, lo) >= 0) && (hi == nil || bytes.Compare(p.Key, hi) < 0) {
			pend = append(pend, p)
		}
		return true
	})
	if len(pend) > 1 {
		sort.Slice(pend, func(i, j int) bool { return bytes.Compare(pend[i].Key, pend[j].Key) < 0 })
	}
	pi := 0
	stop := false
	emitPending := func(upTo []byte) {
		for pi < len(pend) && !stop && (upTo == nil || bytes.Compare(pend[pi].Key, upTo) < 0) {
			p := pend[pi]
			pi++
			if p.Row != nil && !fn(p.Key, fill(t, p.Row, nil)) {
				stop = true
			}
		}
	}
	if st := v.storeTable(t); st != nil && (tw == nil || !tw.Truncated) {
		st.Scan(v.snap(), lo, hi, false, func(key []byte, row []types.Value) bool {
			emitPending(key)
			if stop {
				return false
			}
			if pi < len(pend) && bytes.Equal(pend[pi].Key, key) {
				p := pend[pi]
				pi++
				if p.Row != nil && !fn(p.Key, fill(t, p.Row, nil)) {
					stop = true
				}
				return !stop
			}
			if !fn(key, fill(t, row, nil)) {
				stop = true
			}
			return !stop
		})
	}
	if !stop {
		emitPending(nil)
	}
	return nil
}

// IndexScan implements exec.Reader.
func (v *txnView) IndexScan(t *catalog.Table, ix *catalog.Index, prefix []byte, fn func(key []byte, row []types.Value) bool) error {
	tw := v.t.writes.Table(t.ID)
	stop := false
	if st := v.storeTable(t); st != nil && (tw == nil || !tw.Truncated) {
		ok := st.IndexScan(ix.ID, v.snap(), prefix, oltp.PrefixEnd(prefix), false, func(pk []byte, row []types.Value) bool {
			if _, pending := tw.Lookup(pk); pending {
				return true // the transaction's version is emitted below
			}
			if !fn(pk, fill(t, row, nil)) {
				stop = true
			}
			return !stop
		})
		if !ok {
			// The index was created in this transaction: scan the table.
			return v.Scan(t, nil, nil, func(key []byte, row []types.Value) bool {
				if bytes.HasPrefix(oltp.EncodeKey(t, ix, row), prefix) {
					return fn(key, row)
				}
				return true
			})
		}
	}
	if stop {
		return nil
	}
	tw.Rows(func(p *oltp.PendingRow) bool {
		if p.Row == nil {
			return true
		}
		row := fill(t, p.Row, nil)
		if bytes.HasPrefix(oltp.EncodeKey(t, ix, row), prefix) {
			return fn(p.Key, row)
		}
		return true
	})
	return nil
}

// lookup returns the row with primary key key visible to the transaction.
func (v *txnView) lookup(t *catalog.Table, key []byte) ([]types.Value, bool) {
	tw := v.t.writes.Table(t.ID)
	if p, ok := tw.Lookup(key); ok {
		if p.Row == nil {
			return nil, false
		}
		return fill(t, p.Row, nil), true
	}
	if tw != nil && tw.Truncated {
		return nil, false
	}
	if st := v.storeTable(t); st != nil {
		if row, ok := st.Get(key, v.snap()); ok {
			return fill(t, row, nil), true
		}
	}
	return nil, false
}

// inBase reports whether key is visible in the snapshot (ignoring the
// transaction's own writes).
func (v *txnView) inBase(t *catalog.Table, key []byte) bool {
	st := v.storeTable(t)
	if st == nil {
		return false
	}
	_, ok := st.Get(key, v.snap())
	return ok
}

func (v *txnView) primaryKey(t *catalog.Table, row []types.Value) ([]byte, error) {
	pk := t.PK()
	if pk == nil {
		st := v.storeTable(t)
		var id int64
		if st != nil {
			id = st.NewRowID()
		} else {
			if v.t.rowIDs == nil {
				v.t.rowIDs = map[uint32]int64{}
			}
			v.t.rowIDs[t.ID]++
			id = v.t.rowIDs[t.ID]
		}
		return oltp.RowIDKey(id), nil
	}
	return oltp.EncodeKey(t, pk, row), nil
}

func (v *txnView) checkNotNull(t *catalog.Table, row []types.Value) error {
	for i, c := range t.Columns {
		if c.Dropped || !c.NotNull {
			continue
		}
		if i >= len(row) || row[i].IsNull() {
			return pgerr.New(pgerr.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, t.Name).
				WithDetail("Failing row contains %s.", rowText(t, row, v.s))
		}
	}
	return nil
}

func rowText(t *catalog.Table, row []types.Value, s *Session) string {
	var parts []string
	for i, c := range t.Columns {
		if c.Dropped {
			continue
		}
		if i >= len(row) || row[i].IsNull() {
			parts = append(parts, "null")
			continue
		}
		parts = append(parts, types.TextString(row[i], c.Type, s.loc))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func keyDetail(t *catalog.Table, ix *catalog.Index, row []types.Value, s *Session) string {
	var names, vals []string
	for _, c := range ix.Columns {
		names = append(names, t.Columns[c].Name)
		vals = append(vals, types.TextString(row[c], t.Columns[c].Type, s.loc))
	}
	return fmt.Sprintf("Key (%s)=(%s) already exists.", strings.Join(names, ", "), strings.Join(vals, ", "))
}

// conflict finds a visible row other than self that has row's values in the
// columns of unique index ix.
func (v *txnView) conflict(t *catalog.Table, ix *catalog.Index, row []types.Value, self []byte) ([]byte, []types.Value, bool) {
	for _, c := range ix.Columns {
		if c >= len(row) || row[c].IsNull() {
			return nil, nil, false
		}
	}
	if ix.Primary {
		k := oltp.EncodeKey(t, ix, row)
		if bytes.Equal(k, self) {
			return nil, nil, false
		}
		if r, ok := v.lookup(t, k); ok {
			return k, r, true
		}
		return nil, nil, false
	}
	prefix := oltp.EncodeKey(t, ix, row)
	var fk []byte
	var fr []types.Value
	_ = v.IndexScan(t, ix, prefix, func(key []byte, r []types.Value) bool {
		if bytes.Equal(key, self) {
			return true
		}
		fk, fr = append([]byte(nil), key...), r
		return false
	})
	return fk, fr, fk != nil
}

func (v *txnView) checkUnique(t *catalog.Table, row []types.Value, self []byte) error {
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		if !ix.Unique && !ix.Primary {
			continue
		}
		if _, _, found := v.conflict(t, ix, row, self); found {
			return pgerr.New(pgerr.UniqueViolation, "duplicate key value violates unique constraint %q", ix.Name).
				WithDetail("%s", keyDetail(t, ix, row, v.s))
		}
	}
	return nil
}

// Insert implements exec.Writer.
func (v *txnView) Insert(t *catalog.Table, row []types.Value) ([]byte, error) {
	if err := v.checkNotNull(t, row); err != nil {
		return nil, err
	}
	if err := v.checkUnique(t, row, nil); err != nil {
		return nil, err
	}
	key, err := v.primaryKey(t, row)
	if err != nil {
		return nil, err
	}
	v.t.writes.Put(t.ID, key, row, v.inBase(t, key))
	return key, nil
}

// FindConflict implements exec.Writer.
func (v *txnView) FindConflict(t *catalog.Table, ix *catalog.Index, row []types.Value) ([]byte, []types.Value, bool, error) {
	if ix != nil {
		k, r, ok := v.conflict(t, ix, row, nil)
		return k, r, ok, nil
	}
	for i := range t.Indexes {
		if t.Indexes[i].Unique || t.Indexes[i].Primary {
			if k, r, ok := v.conflict(t, &t.Indexes[i], row, nil); ok {
				return k, r, true, nil
			}
		}
	}
	return nil, nil, false, nil
}

// Update implements exec.Writer.
func (v *txnView) Update(t *catalog.Table, key []byte, old, row []types.Value) ([]byte, error) {
	if err := v.checkNotNull(t, row); err != nil {
		return nil, err
	}
	newKey := key
	if pk := t.PK(); pk != nil {
		newKey = oltp.EncodeKey(t, pk, row)
	}
	if err := v.checkUnique(t, row, key); err != nil {
		return nil, err
	}
	if !bytes.Equal(newKey, key) {
		v.t.writes.Delete(t.ID, key, v.inBase(t, key))
		v.t.writes.Put(t.ID, newKey, row, v.inBase(t, newKey))
		return newKey, nil
	}
	v.t.writes.Put(t.ID, key, row, v.inBase(t, key))
	return key, nil
}

// Delete implements exec.Writer.
func (v *txnView) Delete(t *catalog.Table, key []byte) error {
	v.t.writes.Delete(t.ID, key, v.inBase(t, key))
	return nil
}
