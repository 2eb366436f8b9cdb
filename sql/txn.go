package sql

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// txnView reads and writes one transaction: the row store at the
// transaction's snapshot with its own writes overlaid.
type txnView struct {
	s     *Session
	t     *txnState
	snap_ uint64 // the statement's snapshot (advanced only by snap)
	// start is the snapshot when the view was made: no row the statement
	// read is older. LockRow decides "unchanged since it was read" against
	// it, never against a snapshot snap advanced to.
	start uint64
}

func (s *Session) reader() *txnView {
	return &txnView{s: s, t: s.txn, snap_: uint64(s.txn.snap), start: uint64(s.txn.snap)}
}

func (s *Session) writer() *txnView {
	return &txnView{s: s, t: s.txn, snap_: uint64(s.txn.snap), start: uint64(s.txn.snap)}
}

// snap returns the statement's snapshot. If the transaction read a not yet
// durable write through a row lock (early lock release, LockRow), reads at
// a snapshot that does not include that write's batch first wait until the
// batch is applied and then read the newest state, so a statement never
// sees part of its predecessor (PostgreSQL's statement would see all of
// it, committed). That includes a batch applied after the statement's
// snapshot was taken (beginStatement) but before its first read: applied
// is not enough, the snapshot must reach the batch's offset. Rows read
// before stay as read: LockRow re-checks them against start.
func (v *txnView) snap() uint64 {
	if b := v.t.locks.After(); b != nil && !v.t.repeatable && (!b.Applied() || b.Offset() > v.snap_) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		err := b.Wait(ctx)
		cancel()
		st := v.s.eng.Locks.Stats()
		st.BatchWaits.Add(1)
		st.BatchWaitNs.Add(int64(time.Since(start)))
		// On error (the batch failed) the transaction cannot commit; it
		// keeps its snapshot.
		if err == nil && v.s.refreshSnapshot() == nil {
			v.snap_ = uint64(v.s.txn.snap)
		}
	}
	return v.snap_
}

// placedFunc returns the committer's Placed callback for t (nil if t holds
// no row locks): once t is sealed into a batch its locks are released and
// its writes of the locked rows are handed to the next holders (early lock
// release, oltp.LockTable.ReleaseEarly).
func (s *Session) placedFunc(t *txnState) func(*oltp.Batch) {
	if !t.locks.Holding() || t.repeatable || !s.eng.EarlyLockRelease {
		return nil
	}
	locks := s.eng.Locks
	return func(b *oltp.Batch) { locks.ReleaseEarly(&t.locks, b, t.writes) }
}

// storeTable returns the store's table, or nil when the table was created
// by this transaction (or dropped concurrently).
func (v *txnView) storeTable(t *catalog.Table) *oltp.Table {
	st := v.s.eng.Store.Table(t.ID)
	if st == nil {
		return nil
	}
	return st
}

// fill pads rows written before ADD COLUMN to the table's width with the
// columns' missing values (oltp.ColValue).
func fill(t *catalog.Table, row []types.Value) []types.Value {
	if len(row) >= len(t.Columns) {
		return row
	}
	out := make([]types.Value, len(t.Columns))
	for i := range out {
		out[i] = oltp.ColValue(t, row, i)
	}
	return out
}

// readKey and readTable record a SERIALIZABLE transaction's reads for the
// committer to validate (oltp/serializable.go).
func (v *txnView) readKey(t *catalog.Table, key []byte) {
	if v.t.serializable {
		v.t.writes.ReadKey(t.ID, key)
	}
}

func (v *txnView) readTable(t *catalog.Table) {
	if v.t.serializable {
		v.t.writes.ReadTable(t.ID)
	}
}

// Scan implements exec.Reader: base rows in [lo, hi) at the snapshot,
// merged in key order with the transaction's pending rows.
func (v *txnView) Scan(t *catalog.Table, lo, hi []byte, fn func(key []byte, row []types.Value) bool) error {
	return v.scan(t, lo, hi, false, fn)
}

// ScanBackward implements exec.Reader: Scan in descending key order.
func (v *txnView) ScanBackward(t *catalog.Table, lo, hi []byte, fn func(key []byte, row []types.Value) bool) error {
	return v.scan(t, lo, hi, true, fn)
}

// before reports whether key a comes before b in a scan's direction.
func before(a, b []byte, desc bool) bool {
	if desc {
		return bytes.Compare(a, b) > 0
	}
	return bytes.Compare(a, b) < 0
}

func (v *txnView) scan(t *catalog.Table, lo, hi []byte, desc bool, fn func(key []byte, row []types.Value) bool) error {
	v.readTable(t)
	tw := v.t.writes.Table(t.ID)
	var pend []*oltp.PendingRow
	tw.Rows(func(p *oltp.PendingRow) bool {
		if (lo == nil || bytes.Compare(p.Key, lo) >= 0) && (hi == nil || bytes.Compare(p.Key, hi) < 0) {
			pend = append(pend, p)
		}
		return true
	})
	if len(pend) > 1 {
		sort.Slice(pend, func(i, j int) bool { return before(pend[i].Key, pend[j].Key, desc) })
	}
	pi := 0
	stop := false
	emitPending := func(upTo []byte) {
		for pi < len(pend) && !stop && (upTo == nil || before(pend[pi].Key, upTo, desc)) {
			p := pend[pi]
			pi++
			if !p.Deleted() && !fn(p.Key, fill(t, p.Values())) {
				stop = true
			}
		}
	}
	if st := v.storeTable(t); st != nil && (tw == nil || !tw.Truncated) {
		st.Scan(v.snap(), lo, hi, desc, func(key []byte, row []types.Value) bool {
			emitPending(key)
			if stop {
				return false
			}
			if pi < len(pend) && bytes.Equal(pend[pi].Key, key) {
				p := pend[pi]
				pi++
				if !p.Deleted() && !fn(p.Key, fill(t, p.Values())) {
					stop = true
				}
				return !stop
			}
			if !fn(key, fill(t, row)) {
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

// Get implements exec.PointReader: the transaction's own pending version of
// key if it wrote one, else the row visible at the snapshot.
func (v *txnView) Get(t *catalog.Table, key []byte) ([]types.Value, bool, error) {
	v.readKey(t, key)
	tw := v.t.writes.Table(t.ID)
	if p, ok := tw.Lookup(key); ok {
		if p.Deleted() {
			return nil, false, nil
		}
		return fill(t, p.Values()), true, nil
	}
	st := v.storeTable(t)
	if st == nil || (tw != nil && tw.Truncated) {
		return nil, false, nil
	}
	row, ok := st.Get(key, v.snap())
	if !ok {
		return nil, false, nil
	}
	return fill(t, row), true, nil
}

// IndexScan implements exec.Reader.
func (v *txnView) IndexScan(t *catalog.Table, ix *catalog.Index, prefix []byte, fn func(key []byte, row []types.Value) bool) error {
	v.readTable(t)
	tw := v.t.writes.Table(t.ID)
	stop := false
	if st := v.storeTable(t); st != nil && (tw == nil || !tw.Truncated) {
		ok := st.IndexScan(ix.ID, v.snap(), prefix, oltp.PrefixEnd(prefix), false, func(pk []byte, row []types.Value) bool {
			if _, pending := tw.Lookup(pk); pending {
				return true // the transaction's version is emitted below
			}
			if !fn(pk, fill(t, row)) {
				stop = true
			}
			return !stop
		})
		if !ok {
			// The index was created in this transaction: scan the table.
			return v.Scan(t, nil, nil, func(key []byte, row []types.Value) bool {
				if indexHolds(t, ix, row, prefix) {
					return fn(key, row)
				}
				return true
			})
		}
	}
	if stop {
		return nil
	}
	v.pendingRows(t, ix, tw, prefix, func(key []byte, p *oltp.PendingRow) bool {
		return fn(key, fill(t, p.Values()))
	})
	return nil
}

// TableRows implements exec.KeyCounter: the table's live rows at the
// store's newest applied offset.
func (v *txnView) TableRows(t *catalog.Table) int64 {
	if st := v.storeTable(t); st != nil {
		return st.Count()
	}
	return 0
}

// CountKeys implements exec.KeyCounter over the store's primary key or
// index entries (the transaction's own writes are not counted: such a
// transaction reads through the row store whatever the count).
func (v *txnView) CountKeys(t *catalog.Table, ix *catalog.Index, lo, hi []byte, limit int) (int, bool) {
	st := v.storeTable(t)
	if st == nil {
		return 0, false
	}
	var id uint32 // 0: the primary key
	if ix != nil {
		id = ix.ID
	}
	return st.CountKeys(id, lo, hi, limit)
}

// IndexRange implements exec.Reader: the entries of index ix in [lo, hi)
// at the snapshot, merged in entry order (descending when desc) with the
// entries of the transaction's own rows (which replace the base versions
// of their keys).
func (v *txnView) IndexRange(t *catalog.Table, ix *catalog.Index, lo, hi []byte, desc bool, fn func(entry, key []byte, row []types.Value) bool) error {
	v.readTable(t)
	tw := v.t.writes.Table(t.ID)
	in := func(e []byte) bool {
		return (lo == nil || bytes.Compare(e, lo) >= 0) && (hi == nil || bytes.Compare(e, hi) < 0)
	}
	type entry struct {
		e, key []byte
		row    []types.Value
	}
	var pend []entry
	tw.Rows(func(p *oltp.PendingRow) bool {
		if p.Deleted() {
			return true
		}
		row := fill(t, p.Values())
		// A row whose index expression fails has no entry: its statement
		// failed.
		if k, held, _, err := oltp.IndexKey(t, ix, row); err == nil && held {
			if e := append(k, p.Key...); in(e) {
				pend = append(pend, entry{e, p.Key, row})
			}
		}
		return true
	})
	sort.Slice(pend, func(i, j int) bool { return before(pend[i].e, pend[j].e, desc) })
	pi := 0
	stop := false
	emitPending := func(upTo []byte) {
		for pi < len(pend) && !stop && (upTo == nil || before(pend[pi].e, upTo, desc)) {
			p := pend[pi]
			pi++
			stop = !fn(p.e, p.key, p.row)
		}
	}
	if st := v.storeTable(t); st != nil && (tw == nil || !tw.Truncated) {
		ok := st.IndexRange(ix.ID, v.snap(), lo, hi, desc, func(e, pk []byte, row []types.Value) bool {
			if _, pending := tw.Lookup(pk); pending {
				return true // the transaction's version is among pend, if in range
			}
			if emitPending(e); stop {
				return false
			}
			stop = !fn(e, pk, fill(t, row))
			return !stop
		})
		if !ok {
			// The index was created in this transaction (or is broken):
			// compute the entries of every row the transaction sees.
			var all []entry
			err := v.Scan(t, nil, nil, func(key []byte, row []types.Value) bool {
				if k, held, _, err := oltp.IndexKey(t, ix, row); err == nil && held {
					if e := append(k, key...); in(e) {
						all = append(all, entry{e, key, row})
					}
				}
				return true
			})
			sort.Slice(all, func(i, j int) bool { return before(all[i].e, all[j].e, desc) })
			for _, a := range all {
				if !fn(a.e, a.key, a.row) {
					break
				}
			}
			return err
		}
	}
	emitPending(nil)
	return nil
}

// indexHolds reports whether index ix of t has an entry for row whose key
// starts with prefix. (A row whose index expression fails has none: its
// statement failed.)
func indexHolds(t *catalog.Table, ix *catalog.Index, row []types.Value, prefix []byte) bool {
	k, in, _, err := oltp.IndexKey(t, ix, row)
	return err == nil && in && bytes.HasPrefix(k, prefix)
}

// lookup returns the row with primary key key visible to the transaction.
func (v *txnView) lookup(t *catalog.Table, key []byte) ([]types.Value, bool) {
	v.readKey(t, key)
	tw := v.t.writes.Table(t.ID)
	if p, ok := tw.Lookup(key); ok {
		if p.Deleted() {
			return nil, false
		}
		return fill(t, p.Values()), true
	}
	if tw != nil && tw.Truncated {
		return nil, false
	}
	// A key beyond every key the table ever stored is in no snapshot: a
	// bulk insert in key order checks its keys without a lookup (the
	// write set's own lookup is skipped the same way: TableWrites.Lookup).
	if st := v.storeTable(t); st != nil && !st.BeyondLargestKey(key) {
		if row, ok := st.Get(key, v.snap()); ok {
			return fill(t, row), true
		}
	}
	return nil, false
}

// inBase reports whether key is visible in the snapshot (ignoring the
// transaction's own writes).
func (v *txnView) inBase(t *catalog.Table, key []byte) bool {
	v.readKey(t, key)
	st := v.storeTable(t)
	if st == nil || st.BeyondLargestKey(key) {
		return false
	}
	return st.Visible(key, v.snap())
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
	return exec.RowText(t, row, s.loc)
}

// keyDetail is a duplicate key's error detail, as PostgreSQL writes it:
// the index's key elements (columns, or expressions as pg_get_indexdef
// prints them) and the row's values for them.
func keyDetail(t *catalog.Table, ix *catalog.Index, row []types.Value, s *Session) string {
	k := keyText(t, ix, row, s)
	if k == "" {
		return ""
	}
	return "Key " + k + " already exists."
}

// keyText is "(columns)=(values)" of row's key in index ix, as
// PostgreSQL's errors name it.
func keyText(t *catalog.Table, ix *catalog.Index, row []types.Value, s *Session) string {
	var names, vals []string
	if ix.Plain() {
		for _, c := range ix.Columns {
			names = append(names, funcs.QuoteIdent(t.Columns[c].Name))
			vals = append(vals, types.TextString(oltp.ColValue(t, row, c), t.Columns[c].Type, s.loc))
		}
	} else {
		vs, ts, err := oltp.IndexValues(t, ix, row)
		if err != nil {
			return ""
		}
		for i, c := range ix.Columns {
			if c >= 0 {
				names = append(names, funcs.QuoteIdent(t.Columns[c].Name))
			} else {
				names = append(names, plan.DeparseIndexElem(t, ix, i, true))
			}
			vals = append(vals, types.TextString(vs[i], ts[i], s.loc))
		}
	}
	return fmt.Sprintf("(%s)=(%s)", strings.Join(names, ", "), strings.Join(vals, ", "))
}

// conflict finds a visible row other than self that has row's key in
// unique index ix (none when the key has a NULL, or a partial index does
// not hold row). err is an index expression failing on row.
func (v *txnView) conflict(t *catalog.Table, ix *catalog.Index, row []types.Value, self []byte) ([]byte, []types.Value, bool, error) {
	if ix.Primary {
		for _, c := range ix.Columns {
			if c >= len(row) || row[c].IsNull() {
				return nil, nil, false, nil
			}
		}
		k := oltp.EncodeKey(t, ix, row)
		if bytes.Equal(k, self) {
			return nil, nil, false, nil
		}
		if r, ok := v.lookup(t, k); ok {
			return k, r, true, nil
		}
		return nil, nil, false, nil
	}
	prefix, in, null, err := oltp.IndexKey(t, ix, row)
	if err != nil || !in || null {
		return nil, nil, false, err
	}
	var fk []byte
	var fr []types.Value
	_ = v.IndexScan(t, ix, prefix, func(key []byte, r []types.Value) bool {
		if bytes.Equal(key, self) {
			return true
		}
		fk, fr = append([]byte(nil), key...), r
		return false
	})
	return fk, fr, fk != nil, nil
}

// checkUnique checks row (the row with primary key self, or a new one)
// against t's unique indexes (23505), and computes its keys in the other
// indexes on expressions (checkIndexKeys).
func (v *txnView) checkUnique(t *catalog.Table, row []types.Value, self []byte) error {
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		if !ix.Unique && !ix.Primary {
			continue
		}
		_, _, found, err := v.conflict(t, ix, row, self)
		if err != nil {
			return err
		}
		if found {
			return uniqueViolation(t, ix, row, v.s)
		}
	}
	if hasExprIndexes(t) {
		return v.checkIndexKeys(t, row)
	}
	return nil
}

// uniqueViolation is the error for row duplicating a key of unique index ix.
func uniqueViolation(t *catalog.Table, ix *catalog.Index, row []types.Value, s *Session) error {
	return pgerr.New(pgerr.UniqueViolation, "duplicate key value violates unique constraint %q", ix.Name).
		WithDetail("%s", keyDetail(t, ix, row, s))
}

// Insert implements exec.Writer.
func (v *txnView) Insert(t *catalog.Table, row []types.Value) ([]byte, error) {
	return v.insertEncoded(t, row, nil)
}

// insertEncoded is Insert of a row the caller also encoded (enc, or nil:
// encoded at commit); COPY encodes rows on its parser goroutine.
func (v *txnView) insertEncoded(t *catalog.Table, row []types.Value, enc []byte) ([]byte, error) {
	row, err := v.generate(t, row)
	if err != nil {
		return nil, err
	}
	if err := v.checkNotNull(t, row); err != nil {
		return nil, err
	}
	if err := v.checkRow(t, row); err != nil {
		return nil, err
	}
	if err := v.checkUnique(t, row, nil); err != nil {
		return nil, err
	}
	key, err := v.primaryKey(t, row)
	if err != nil {
		return nil, err
	}
	// A table without a primary key gets a new row id: never in the base
	// (and not looked up, which would wait for a batch the transaction
	// read from: snap).
	inBase := t.PK() != nil && v.inBase(t, key)
	if enc != nil {
		v.t.writes.PutEncoded(t.ID, key, row, enc, inBase)
	} else {
		v.t.writes.Put(t.ID, key, row, inBase)
	}
	if len(t.ForeignKeys) > 0 {
		v.fkWritten(t, key, nil, row)
	}
	return key, nil
}

// MarkSpeculative implements exec.SpeculativeWriter.
func (v *txnView) MarkSpeculative(t *catalog.Table, key []byte) {
	v.t.writes.MarkSpeculative(t.ID, key)
}

// FindConflict implements exec.Writer.
func (v *txnView) FindConflict(t *catalog.Table, ix *catalog.Index, row []types.Value) ([]byte, []types.Value, bool, error) {
	if ix != nil {
		return v.conflict(t, ix, row, nil)
	}
	for i := range t.Indexes {
		if t.Indexes[i].Unique || t.Indexes[i].Primary {
			if k, r, ok, err := v.conflict(t, &t.Indexes[i], row, nil); ok || err != nil {
				return k, r, ok, err
			}
		}
	}
	return nil, nil, false, nil
}

// LockRow implements exec.Writer: it takes the row's write lock (waiting
// for a transaction that holds it) and reports whether the row changed
// after the statement's snapshot. Under READ COMMITTED a changed row is
// returned as now committed (deleted: ok = false) for the statement to
// re-check; under REPEATABLE READ it is a serialization failure.
func (v *txnView) LockRow(ctx context.Context, t *catalog.Table, key []byte) ([]types.Value, bool, bool, error) {
	row, ok, changed, _, err := v.LockRowWait(ctx, t, key, exec.LockBlock, false)
	return row, ok, changed, err
}

// LockRowWait implements exec.RowLocker: LockRow with SELECT … FOR
// UPDATE's wait policy for a row another transaction holds — wait, fail
// (NOWAIT: 55P03) or report it skipped (SKIP LOCKED).
func (v *txnView) LockRowWait(ctx context.Context, t *catalog.Table, key []byte, wait exec.LockWait, shared bool) ([]types.Value, bool, bool, bool, error) {
	v.readKey(t, key)
	if p, ok := v.t.writes.Table(t.ID).Lookup(key); ok {
		// Written earlier in this transaction: nothing else can change it.
		return fill(t, p.Values()), !p.Deleted(), false, false, nil
	}
	st := v.storeTable(t)
	if st == nil {
		row, ok := v.lookup(t, key)
		return row, ok, false, false, nil
	}
	locks := v.s.eng.Locks
	switch {
	case wait == exec.LockBlock && shared:
		timeout, _ := parseDurationSetting(v.s.settings["lock_timeout"])
		if _, err := locks.LockShared(ctx, &v.t.locks, t.ID, key, timeout); err != nil {
			return nil, false, false, false, err
		}
	case wait == exec.LockBlock:
		timeout, _ := parseDurationSetting(v.s.settings["lock_timeout"])
		if _, err := locks.Lock(ctx, &v.t.locks, t.ID, key, timeout); err != nil {
			return nil, false, false, false, err
		}
	default:
		got := false
		if shared {
			got = locks.TryLockShared(&v.t.locks, t.ID, key)
		} else {
			got = locks.TryLock(&v.t.locks, t.ID, key)
		}
		if !got {
			if wait == exec.LockSkip {
				return nil, false, false, true, nil
			}
			return nil, false, false, false, pgerr.New(pgerr.LockNotAvailable, "could not obtain lock on row in relation %q", t.Name)
		}
	}
	row, ok, changed, err := v.lockedRow(t, st, key)
	return row, ok, changed, false, err
}

// lockedRow is LockRow once the row's lock is held.
func (v *txnView) lockedRow(t *catalog.Table, st *oltp.Table, key []byte) ([]types.Value, bool, bool, error) {
	if prow, b, ok := v.s.eng.Locks.Pending(t.ID, key); ok {
		// The previous holder released the lock once its commit had its
		// place in the log, before it was durable: its write is the row's
		// newest version, and this transaction commits after it or not at
		// all (its commit names the batch).
		if v.t.repeatable {
			return nil, false, false, pgerr.New(pgerr.SerializationFailure, "could not serialize access due to concurrent update")
		}
		v.t.locks.ReadPending(t.ID, key, b)
		if prow == nil {
			return nil, false, true, nil
		}
		return fill(t, prow), true, true, nil
	}
	begin, end, ok := st.LatestOffsets(key)
	snap := v.start // the row was read at start or later
	if !ok {
		return nil, false, true, nil
	}
	if begin <= snap && end == oltp.Live {
		// Unchanged since the snapshot: the caller has the row already
		// (exec.Writer.LockRow), so it is not decoded again.
		return nil, true, false, nil
	}
	// Changed: the newest version, decoded. The lock is held, so no
	// version of the row is added meanwhile.
	begin, end, row, ok := st.Latest(key)
	if !ok {
		return nil, false, true, nil
	}
	// The row changed after the snapshot.
	if v.t.repeatable {
		return nil, false, false, pgerr.New(pgerr.SerializationFailure, "could not serialize access due to concurrent update")
	}
	base := begin
	if end != oltp.Live && end > base {
		base = end
	}
	if v.t.lockedBase == nil {
		v.t.lockedBase = map[uint32]map[string]uint64{}
	}
	if v.t.lockedBase[t.ID] == nil {
		v.t.lockedBase[t.ID] = map[string]uint64{}
	}
	v.t.lockedBase[t.ID][string(key)] = base
	if end != oltp.Live {
		return nil, false, true, nil
	}
	return fill(t, row), true, true, nil
}

func (v *txnView) lockedAt(t *catalog.Table, key []byte) uint64 {
	return v.t.lockedBase[t.ID][string(key)]
}

// Update implements exec.Writer.
func (v *txnView) Update(t *catalog.Table, key []byte, old, row []types.Value) ([]byte, error) {
	row, err := v.generate(t, row)
	if err != nil {
		return nil, err
	}
	if err := v.checkNotNull(t, row); err != nil {
		return nil, err
	}
	if err := v.checkRow(t, row); err != nil {
		return nil, err
	}
	newKey := key
	if pk := t.PK(); pk != nil {
		newKey = oltp.EncodeKey(t, pk, row)
	}
	if err := v.checkUnique(t, row, key); err != nil {
		return nil, err
	}
	base := v.lockedAt(t, key)
	if !bytes.Equal(newKey, key) {
		v.t.writes.DeleteAt(t.ID, key, v.inBase(t, key), base)
		v.after(t, key)
		v.t.writes.Put(t.ID, newKey, row, v.inBase(t, newKey))
	} else {
		v.t.writes.PutAt(t.ID, key, row, v.lockedInBase(t, key), base)
		v.after(t, key)
	}
	if err := v.fkUpdated(t, key, newKey, old, row); err != nil {
		return nil, err
	}
	return newKey, nil
}

// fkUpdated runs the foreign-key work of an update of t's row at key (now
// at newKey) from old to row: t as a child, its changed references are
// checked; t as a parent, the changed referenced values are acted on.
func (v *txnView) fkUpdated(t *catalog.Table, key, newKey []byte, old, row []types.Value) error {
	if len(t.ForeignKeys) > 0 {
		v.fkWritten(t, newKey, old, row)
	}
	if len(v.t.cat.ReferencedBy(t.ID)) > 0 {
		if old == nil {
			return pgerr.New(pgerr.InternalError, "update of a referenced row without its old version")
		}
		return v.fkRemoved(t, key, old, row)
	}
	return nil
}

// lockedInBase is inBase for a row LockRow returned: one read as a not yet
// durable version (early lock release) exists once that version's batch is
// applied — the transaction commits after it or not at all — so it is not
// looked up, which would wait for the batch (snap).
func (v *txnView) lockedInBase(t *catalog.Table, key []byte) bool {
	return v.t.locks.PendingBase(t.ID, key) != nil || v.inBase(t, key)
}

// after marks the write of key as based on the not yet durable version
// LockRow read, if it read one.
func (v *txnView) after(t *catalog.Table, key []byte) {
	if b := v.t.locks.PendingBase(t.ID, key); b != nil {
		v.t.writes.After(t.ID, key, b)
	}
}

// Delete implements exec.Writer.
func (v *txnView) Delete(t *catalog.Table, key []byte) error {
	var old []types.Value
	referenced := len(v.t.cat.ReferencedBy(t.ID)) > 0
	if referenced {
		old = v.currentRow(t, key)
	}
	v.t.writes.DeleteAt(t.ID, key, v.lockedInBase(t, key), v.lockedAt(t, key))
	v.after(t, key)
	if referenced {
		return v.fkRemoved(t, key, old, nil)
	}
	return nil
}
