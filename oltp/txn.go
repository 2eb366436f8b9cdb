package oltp

import (
	"bytes"
	"fmt"
	"sort"
	"unsafe"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// Writes is a transaction's buffered write set: the catalog changes it made,
// and per table the final state of every key it wrote. Reads in the
// transaction overlay it on the snapshot (read-your-writes); Commit turns it
// into log operations. A Writes belongs to one session goroutine.
type Writes struct {
	// Base is the offset new pending rows are based on (the current
	// statement's snapshot); the session sets it at each statement.
	Base   uint64
	ddl    []*catalog.Change
	tables map[uint32]*TableWrites
	seqs   map[uint32]int64
	n      int // number of buffered row writes
	meta   []log.Op
	// journal, when on (Split), records every row write in order and
	// cuts it into transactions: see Split.
	journal  bool
	jops     []log.Op
	jvals    [][]types.Value // row of each jops entry (nil for deletes, truncates, meta)
	segments []int           // end index in jops of every closed transaction
	// refs are the referenced rows the transaction references and removes,
	// per refKind, each with its snapshot (references.go).
	refs [2]map[pendKey]uint64
	// reads is what a SERIALIZABLE transaction read (serializable.go).
	reads *readSet
}

// Split ends one transaction of a write set that is committed as several
// log transactions — in one record, validated together as one unit — e.g.
// one per replicated source transaction, each with its own meta marker.
// The first call switches the write set to journal mode: from then on
// every write is also recorded in order (an update of a row inserted by an
// earlier part is an update, a delete of it a delete), and at commit the
// parts become consecutive log transactions instead of one transaction of
// final states. Call it before the first write of the second part (and
// after the first part's writes, which must then be made after a first
// Split at the very start). Writes with savepoints cannot use it.
func (w *Writes) Split() {
	if !w.journal {
		if !w.Empty() {
			panic("oltp: Writes.Split after the first write")
		}
		w.journal = true
		return
	}
	w.segments = append(w.segments, len(w.jops))
}

// record journals one write (journal mode).
func (w *Writes) record(kind log.OpKind, id uint32, key []byte, row []types.Value) {
	w.jops = append(w.jops, log.Op{Kind: kind, Table: id, Key: key})
	w.jvals = append(w.jvals, row)
}

// SetMeta appends an OpMeta operation (key → val; the store keeps the newest
// value per key) to the transaction. Ingest uses it to commit a source
// position atomically with the rows it covers.
func (w *Writes) SetMeta(key string, val []byte) {
	op := log.Op{Kind: log.OpMeta, Key: []byte(key), Row: append([]byte(nil), val...)}
	if w.journal {
		w.jops = append(w.jops, op)
		w.jvals = append(w.jvals, nil)
		return
	}
	w.meta = append(w.meta, op)
}

// TableWrites is a transaction's writes to one table.
type TableWrites struct {
	// Truncated: the transaction truncated the table; rows visible in the
	// snapshot are gone for it.
	Truncated bool
	// order holds every pending row once, in first-write order (commit
	// walks this). Its first asc rows have strictly increasing keys and are
	// found by binary search; the others by key in rows. A bulk insert in
	// key order (COPY of a table sorted by its primary key, a CDC
	// snapshot) thus builds no map at all: hashing millions of keys into
	// it cost a COPY of TPC-H's lineitem seven seconds of CPU, and the GC
	// walked it while it lived.
	order []*PendingRow
	asc   int
	rows  map[string]*PendingRow // the rows of order[asc:] (nil until one is added)
	hint  int                    // size for rows when it is made (Reserve)
	slab  []PendingRow           // PendingRows are allocated from here: 2, 4, … then slabSize at a time
	// maxKey is the largest key written (nil: none): a key beyond it is
	// looked up nowhere (a bulk insert in key order: AfterLargest).
	maxKey []byte
	// rewrites counts writes that replaced a pending row's values in place
	// and truncations (Rewrites): what an index kept over the pending rows
	// cannot follow by reading the rows added since.
	rewrites uint64
}

// Len is the number of pending rows (writes of distinct keys, deletions
// included), in write order: RowsFrom(i) reads those from the i-th on.
func (tw *TableWrites) Len() int {
	if tw == nil {
		return 0
	}
	return len(tw.order)
}

// RowsFrom calls fn for each pending row from the i-th in write order.
func (tw *TableWrites) RowsFrom(i int, fn func(p *PendingRow) bool) {
	if tw == nil {
		return
	}
	for _, p := range tw.order[min(i, len(tw.order)):] {
		if !fn(p) {
			return
		}
	}
}

// Rewrites counts the in-place replacements of pending rows' values and
// the truncations so far: while it stays the same, the rows RowsFrom(i)
// read once keep their values (a deletion only marks a row Deleted).
func (tw *TableWrites) Rewrites() uint64 {
	if tw == nil {
		return 0
	}
	return tw.rewrites
}

// get returns the pending row of key.
func (tw *TableWrites) get(key string) (*PendingRow, bool) {
	if p, ok := tw.rows[key]; ok {
		return p, true
	}
	if tw.asc == 0 || key > pendingKey(tw.order[tw.asc-1]) {
		return nil, false
	}
	i := sort.Search(tw.asc, func(i int) bool { return pendingKey(tw.order[i]) >= key })
	if i < tw.asc && pendingKey(tw.order[i]) == key {
		return tw.order[i], true
	}
	return nil, false
}

// AfterLargest reports whether key sorts after every key the transaction
// wrote to the table (so it holds no write of it).
func (tw *TableWrites) AfterLargest(key []byte) bool {
	return tw == nil || tw.maxKey == nil || bytes.Compare(key, tw.maxKey) > 0
}

// add records p, a write of a key not in rows, under k.
func (tw *TableWrites) add(k string, p *PendingRow) {
	after := tw.AfterLargest(p.Key)
	if after && tw.asc == len(tw.order) {
		tw.asc++ // still in key order: no map entry
	} else {
		if tw.rows == nil {
			tw.rows = make(map[string]*PendingRow, tw.hint)
		}
		tw.rows[k] = p
	}
	tw.order = append(tw.order, p)
	if after {
		tw.maxKey = p.Key
	}
}

const slabSize = 256

// newPending returns a zeroed PendingRow from the table's slab. Slabs
// start small and double up to slabSize: most transactions write a row or
// two per table (a 256-row slab cost TPC-B's four-table transaction 80 KB
// of zeroing), bulk writers soon reach full slabs.
func (tw *TableWrites) newPending() *PendingRow {
	if len(tw.slab) == cap(tw.slab) {
		tw.slab = make([]PendingRow, 0, min(max(2*cap(tw.slab), 2), slabSize))
	}
	tw.slab = tw.slab[:len(tw.slab)+1]
	return &tw.slab[len(tw.slab)-1]
}

// pendingKey returns p's key as the string the write set's map holds it
// under (aliasing p.Key, which nothing modifies: see ownKey).
func pendingKey(p *PendingRow) string {
	if len(p.Key) == 0 {
		return ""
	}
	return unsafe.String(&p.Key[0], len(p.Key))
}

// ownKey copies key once for both the map key and PendingRow.Key (which
// nothing modifies).
func ownKey(key []byte) (string, []byte) {
	if len(key) == 0 {
		return "", []byte{}
	}
	b := append([]byte(nil), key...)
	return unsafe.String(&b[0], len(b)), b
}

// Reserve sizes the writes to table id for n more rows: for bulk writers
// (snapshot chunks, COPY) that know how many rows they will put.
func (w *Writes) Reserve(id uint32, n int) {
	tw := w.table(id)
	if len(tw.order) == 0 && n > 0 {
		tw.hint = n // the map is made only if the keys come out of order
		tw.order = make([]*PendingRow, 0, n)
	}
}

// PendingRow is the transaction's final state of one key.
//
// Read the row with Values and test for a delete with Deleted, never
// through Row alone: a row written with PutEncoded is kept encoded only
// (Row nil, Enc set).
type PendingRow struct {
	Key []byte
	// Row is the row decoded; nil for a delete — and for a row kept
	// encoded only (Enc set, see PutEncoded).
	Row []types.Value
	// Enc is the row encoded (types.EncodeRow) by the writer ahead of the
	// commit (COPY encodes on its parser goroutine), or nil: the commit
	// encodes Row. Immutable once set; cleared when the row is replaced.
	Enc []byte
	// InBase: the key was visible in the transaction's snapshot (so the
	// write is an update or delete rather than an insert).
	InBase bool
	// Base is the offset the write was based on: the snapshot of the
	// statement that first wrote the key, or — for a row locked after it
	// changed — the offset of the version that was then re-read. Commit
	// fails if the key changed after Base.
	Base uint64
	// After, when set, is the batch whose not yet durable write of the key
	// the transaction re-read after taking the row's lock (early lock
	// release): the write is based on that version instead of Base's.
	After *Batch
	// Speculative: inserted by INSERT … ON CONFLICT, which found no
	// conflicting row at its snapshot (MarkSpeculative). A key taken by a
	// concurrent commit is then a serialization failure, not 23505.
	Speculative bool
}

// MarkSpeculative marks the pending row of key in table id as inserted by
// INSERT … ON CONFLICT (PendingRow.Speculative).
func (w *Writes) MarkSpeculative(id uint32, key []byte) {
	if p, ok := w.tables[id].Lookup(key); ok {
		p.Speculative = true
	}
}

// Deleted reports whether the pending state of the key is a delete.
func (p *PendingRow) Deleted() bool { return p.Row == nil && p.Enc == nil }

// Values returns the row (nil for a delete), decoding it for a row kept
// encoded only (strings alias Enc, which is immutable). The decoded row
// is not kept: callers that read it often should hold on to it.
func (p *PendingRow) Values() []types.Value {
	if p.Row != nil || p.Enc == nil {
		return p.Row
	}
	row, err := types.DecodeRowAlias(p.Enc, nil)
	if err != nil {
		// The writer encoded it (types.EncodeRow): a broken invariant,
		// not bad input.
		panic(fmt.Sprintf("oltp: a pending row does not decode: %v", err))
	}
	return row
}

// NewWrites returns an empty write set.
func NewWrites() *Writes { return &Writes{tables: map[uint32]*TableWrites{}} }

// Empty reports whether the transaction wrote nothing.
func (w *Writes) Empty() bool {
	return len(w.ddl) == 0 && w.n == 0 && len(w.seqs) == 0 && len(w.meta) == 0 && len(w.jops) == 0 && !w.anyTruncate()
}

func (w *Writes) anyTruncate() bool {
	for _, t := range w.tables {
		if t.Truncated {
			return true
		}
	}
	return false
}

// Len is the number of buffered row writes.
func (w *Writes) Len() int { return w.n }

// DDL appends a catalog change.
func (w *Writes) DDL(ch *catalog.Change) {
	w.ddl = append(w.ddl, ch)
	if ch.Kind == catalog.DropTable {
		delete(w.tables, ch.ID)
	}
}

// HasDDL reports whether the transaction changed the catalog.
func (w *Writes) HasDDL() bool { return len(w.ddl) > 0 }

// Changes returns the transaction's catalog changes in order.
func (w *Writes) Changes() []*catalog.Change { return w.ddl }

// Table returns the writes to table id, or nil.
func (w *Writes) Table(id uint32) *TableWrites { return w.tables[id] }

func (w *Writes) table(id uint32) *TableWrites {
	tw := w.tables[id]
	if tw == nil {
		tw = &TableWrites{}
		w.tables[id] = tw
	}
	return tw
}

// Put records row as the new state of key in table id. inBase says whether
// the key was visible in the snapshot before this transaction first wrote it.
func (w *Writes) Put(id uint32, key []byte, row []types.Value, inBase bool) {
	w.put(id, key, row, inBase)
}

// PutEncoded is Put for a row the caller already encoded (enc =
// types.EncodeRow(nil, row), immutable from now on): the commit logs enc
// instead of encoding row again, and the write set keeps only enc (the
// PendingRow's Row is nil; Values decodes it), so a bulk writer (COPY)
// holds its rows' compact encoding rather than their decoded values until
// the commit — and the stores decode what they need when they apply it.
// The caller may reuse row once PutEncoded returns. In journal mode
// (Split) the row is kept decoded as by Put.
func (w *Writes) PutEncoded(id uint32, key []byte, row []types.Value, enc []byte, inBase bool) {
	if w.journal {
		w.put(id, key, row, inBase).Enc = enc
		return
	}
	w.put(id, key, nil, inBase).Enc = enc
}

func (w *Writes) put(id uint32, key []byte, row []types.Value, inBase bool) *PendingRow {
	tw := w.table(id)
	if p, ok := tw.lookupUnlessAfter(key); ok {
		if w.journal {
			kind := log.OpInsert
			if !p.Deleted() {
				kind = log.OpUpdate
			}
			w.record(kind, id, p.Key, row)
		}
		p.Row, p.Enc = row, nil
		tw.rewrites++
		return p
	}
	k, kb := ownKey(key)
	p := tw.newPending()
	*p = PendingRow{Key: kb, Row: row, InBase: inBase && !tw.Truncated, Base: w.Base}
	if w.journal {
		kind := log.OpInsert
		if p.InBase {
			kind = log.OpUpdate
		}
		w.record(kind, id, kb, row)
	}
	tw.add(k, p)
	w.n++
	return p
}

// PutAt is Put for a row whose write is based on the committed version at
// offset base (a row re-read after waiting for its lock).
func (w *Writes) PutAt(id uint32, key []byte, row []types.Value, inBase bool, base uint64) {
	w.Put(id, key, row, inBase)
	if p, ok := w.tables[id].get(string(key)); ok && base > p.Base {
		p.Base = base
	}
}

// After records that the transaction's write of key in table id is based on
// batch b's not yet durable write of it (see PendingRow.After).
func (w *Writes) After(id uint32, key []byte, b *Batch) {
	if tw := w.tables[id]; tw != nil {
		if p, ok := tw.get(string(key)); ok {
			p.After = b
		}
	}
}

// DeleteAt is Delete based on the committed version at offset base.
func (w *Writes) DeleteAt(id uint32, key []byte, inBase bool, base uint64) {
	w.Delete(id, key, inBase)
	if p, ok := w.tables[id].get(string(key)); ok && base > p.Base {
		p.Base = base
	}
}

// Delete records the deletion of key in table id.
func (w *Writes) Delete(id uint32, key []byte, inBase bool) {
	tw := w.table(id)
	if p, ok := tw.get(string(key)); ok {
		if w.journal && !p.Deleted() {
			w.record(log.OpDelete, id, p.Key, nil)
		}
		p.Row, p.Enc = nil, nil
		return
	}
	k, kb := ownKey(key)
	p := tw.newPending()
	*p = PendingRow{Key: kb, InBase: inBase && !tw.Truncated, Base: w.Base}
	if w.journal && p.InBase {
		w.record(log.OpDelete, id, kb, nil)
	}
	tw.add(k, p)
	w.n++
}

// Truncate records TRUNCATE of table id: earlier writes to it are dropped.
func (w *Writes) Truncate(id uint32) {
	tw := w.table(id)
	if w.journal {
		w.record(log.OpTruncate, id, nil, nil)
	}
	w.n -= len(tw.order)
	tw.Truncated = true
	tw.rewrites++
	tw.rows = nil
	tw.order = nil
	tw.asc = 0
	tw.maxKey = nil
}

// UseSequence records that the transaction drew v from sequence id, so the
// commit record carries the sequence's position for replay.
func (w *Writes) UseSequence(id uint32, v int64) {
	if w.seqs == nil {
		w.seqs = map[uint32]int64{}
	}
	if cur, ok := w.seqs[id]; !ok || v > cur {
		w.seqs[id] = v
	}
}

// Lookup returns the transaction's pending state of key in table id.
func (tw *TableWrites) Lookup(key []byte) (*PendingRow, bool) {
	if tw == nil {
		return nil, false
	}
	return tw.lookupUnlessAfter(key)
}

// lookupUnlessAfter is the map lookup of key, skipped for a key beyond
// every key in it.
func (tw *TableWrites) lookupUnlessAfter(key []byte) (*PendingRow, bool) {
	if tw.AfterLargest(key) {
		return nil, false
	}
	return tw.get(string(key))
}

// Rows calls fn for each pending row in write order.
func (tw *TableWrites) Rows(fn func(p *PendingRow) bool) {
	if tw == nil {
		return
	}
	for _, p := range tw.order {
		if !fn(p) {
			return
		}
	}
}

// Savepoint captures the write set for ROLLBACK TO SAVEPOINT.
type Savepoint struct {
	ddl    int
	tables map[uint32]*TableWrites
	seqs   map[uint32]int64
	n      int
}

// Save returns a savepoint of the current write set (a deep copy of its
// table states; cheap for small transactions, proportional to the writes).
func (w *Writes) Save() *Savepoint {
	sp := &Savepoint{ddl: len(w.ddl), tables: map[uint32]*TableWrites{}, n: w.n}
	for id, tw := range w.tables {
		c := &TableWrites{Truncated: tw.Truncated, order: make([]*PendingRow, len(tw.order)), asc: tw.asc, maxKey: tw.maxKey}
		if len(tw.rows) > 0 {
			c.rows = make(map[string]*PendingRow, len(tw.rows))
		}
		cps := make([]PendingRow, len(tw.order))
		for i, p := range tw.order {
			cps[i] = *p
			c.order[i] = &cps[i]
			if i >= tw.asc {
				c.rows[pendingKey(p)] = &cps[i]
			}
		}
		sp.tables[id] = c
	}
	if w.seqs != nil {
		sp.seqs = map[uint32]int64{}
		for k, v := range w.seqs {
			sp.seqs[k] = v
		}
	}
	return sp
}

// Restore rolls the write set back to sp (sequence draws stay: sequences are
// not transactional in PostgreSQL either).
func (w *Writes) Restore(sp *Savepoint) {
	w.ddl = w.ddl[:sp.ddl]
	w.tables = sp.tables
	w.n = sp.n
	// keep w.seqs: values handed out stay handed out
}

// rowBlock is the largest block ops encodes rows into.
const rowBlock = 256 << 10

// rowSpace returns buf if it has room for a row of about per bytes, else a
// new block sized for the rowsLeft rows still to encode (at most rowBlock):
// a one-row commit allocates about one row, a bulk write set one allocation
// per rowBlock bytes. A row larger than the room left makes EncodeRow grow
// the block; slices already cut from the old one stay valid.
func rowSpace(buf []byte, per, rowsLeft int) []byte {
	if cap(buf)-len(buf) >= per {
		return buf
	}
	return make([]byte, 0, min(rowBlock, max(per*rowsLeft+per/4, per)))
}

// txnOps builds the operations of the write set's log transactions: one
// (ops) unless Split cut it into several (journalOps).
func (w *Writes) txnOps() ([][]log.Op, error) {
	if w.journal {
		return w.journalOps(), nil
	}
	ops, err := w.ops()
	if err != nil {
		return nil, err
	}
	return [][]log.Op{ops}, nil
}

// journalOps is txnOps in journal mode: the journal cut at every Split,
// catalog changes and sequence positions with the first part.
func (w *Writes) journalOps() [][]log.Op {
	var buf []byte
	per := 64 // encoded size of the largest row so far
	for i := range w.jops {
		op := &w.jops[i]
		if row := w.jvals[i]; row != nil {
			buf = rowSpace(buf, per, len(w.jops)-i)
			start := len(buf)
			buf = types.EncodeRow(buf, row)
			per = max(per, len(buf)-start)
			op.Row, op.Vals = buf[start:len(buf):len(buf)], row
		}
	}
	var head []log.Op
	for _, ch := range w.ddl {
		head = append(head, log.Op{Kind: log.OpDDL, Row: ch.Encode()})
	}
	head = append(head, w.seqOps()...)
	head = append(head, w.meta...)
	var out [][]log.Op
	from := 0
	for _, end := range append(w.segments, len(w.jops)) {
		part := w.jops[from:end:end]
		if len(out) == 0 && len(head) > 0 {
			part = append(head, part...)
		}
		if len(part) > 0 {
			out = append(out, part)
		}
		from = end
	}
	return out
}

func (w *Writes) seqOps() []log.Op {
	seqIDs := make([]uint32, 0, len(w.seqs))
	for id := range w.seqs {
		seqIDs = append(seqIDs, id)
	}
	sort.Slice(seqIDs, func(i, j int) bool { return seqIDs[i] < seqIDs[j] })
	var ops []log.Op
	for _, id := range seqIDs {
		ops = append(ops, log.Op{Kind: log.OpMeta, Key: []byte(fmt.Sprintf("%s%d", MetaSeqPrefix, id)), Row: BE64(uint64(w.seqs[id]))})
	}
	return ops
}

// ops builds the log operations: catalog changes first (in order), then per
// table a truncate and the row writes in write order, then sequence positions.
func (w *Writes) ops() ([]log.Op, error) {
	ops := make([]log.Op, 0, len(w.ddl)+w.n+len(w.seqs)+len(w.meta))
	for _, ch := range w.ddl {
		ops = append(ops, log.Op{Kind: log.OpDDL, Row: ch.Encode()})
	}
	ids := make([]uint32, 0, len(w.tables))
	for id := range w.tables {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	// Rows are encoded back to back into shared blocks (one allocation per
	// rowBlock bytes, not one per row); each op's Row is its own
	// capacity-capped slice of a block.
	var buf []byte
	per, left := 64, w.n // largest encoded row so far; rows not yet encoded
	for _, id := range ids {
		tw := w.tables[id]
		if tw.Truncated {
			ops = append(ops, log.Op{Kind: log.OpTruncate, Table: id})
		}
		for _, p := range tw.order {
			switch {
			case p.Deleted() && p.InBase:
				ops = append(ops, log.Op{Kind: log.OpDelete, Table: id, Key: p.Key})
			case p.Deleted():
				// inserted and deleted in the transaction: nothing to write
			case p.Enc != nil:
				kind := log.OpInsert
				if p.InBase {
					kind = log.OpUpdate
				}
				left--
				// Vals nil for a row kept encoded only: the stores decode it.
				ops = append(ops, log.Op{Kind: kind, Table: id, Key: p.Key, Row: p.Enc, Vals: p.Row})
			default:
				kind := log.OpInsert
				if p.InBase {
					kind = log.OpUpdate
				}
				buf = rowSpace(buf, per, max(left, 1))
				start := len(buf)
				buf = types.EncodeRow(buf, p.Row)
				per = max(per, len(buf)-start)
				left--
				ops = append(ops, log.Op{Kind: kind, Table: id, Key: p.Key, Row: buf[start:len(buf):len(buf)], Vals: p.Row})
			}
		}
	}
	ops = append(ops, w.seqOps()...)
	ops = append(ops, w.meta...)
	return ops, nil
}
