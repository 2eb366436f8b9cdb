package olap

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// DefaultSegmentRows is how many rows a segment holds before it is sealed
// when New is given no size (tests lower it to exercise sealing).
var DefaultSegmentRows = 1 << 16

// Store is the column store: per table, sealed Arrow segments and one open
// segment. It is a materializer.Sink.
type Store struct {
	mem         memory.Allocator
	segmentRows int

	mu     sync.RWMutex // guards tables (the map)
	tables map[uint32]*Table

	applyMu sync.Mutex
	// Yield, if set, is called between batches of a record's row
	// operations (opsPerLock) while applying it, with no table lock held;
	// it may block to leave the CPU to more urgent work (the server: the
	// row store's apply of a bulk record, oltp.Store.WaitBulk). Set before
	// the first Apply.
	Yield    func()
	applied  atomic.Uint64
	oldest   atomic.Uint64 // oldest snapshot read correctly (seed.go)
	lastTime atomic.Int64  // unix µs of the last applied record's log time
	waitMu   sync.Mutex
	waitCh   chan struct{} // closed by the next publish if waited (waitMu)
	waited   bool          // a reader took waitCh since it was made (waitMu)

	// Full segments are sealed by a goroutine of their own (sealer, running
	// only while there is work), off the materializer's goroutine; sealWG
	// counts those handed off and not yet published.
	sealMu  sync.Mutex
	sealQ   []sealJob // waiting for the sealer (sealMu)
	sealing bool      // a sealer goroutine runs (sealMu)
	closed  bool      // (sealMu)
	sealWG  sync.WaitGroup
}

// sealJob is a full segment waiting for its Arrow columns.
type sealJob struct {
	t    *Table
	seg  *Segment
	def  *catalog.Table
	rows [][]types.Value
}

// sealQueue is how many full segments may wait for the sealer; when it is
// full the materializer seals the next one itself (back pressure).
const sealQueue = 2

// asyncSealMin is the smallest segment size sealed by the sealer: smaller
// segments (tests' tiny ones) are sealed inline, where a hand-off would
// cost more than it saves and where tests expect every full segment
// sealed once Apply returns. A variable so that tests can seal tiny
// segments asynchronously.
var asyncSealMin = 4096

// Table is one table's column state. Its mutex serializes the writers
// (the apply path, the sealer's publish, Compact, Capture's read); scans
// never take it: they read the published snapshot (Segments) and the
// segments' published views (doc.go, "Concurrency").
type Table struct {
	ID uint32
	mu sync.RWMutex
	// Guarded by mu.
	def  *catalog.Table
	segs []*Segment // the last one is open (unsealed)
	keys keyIndex   // live rows by key (keys.go)
	// dropped: the table's memory was released; a seal finishing later
	// releases its columns instead of publishing them.
	dropped bool
	// retired segments were replaced by Compact; scans that started earlier
	// may still read them, so their Arrow memory is released only by Close
	// or DROP TABLE.
	retired []*Segment
	// since is the offset of the rewrite (catalog.RewriteTable) that began
	// the current generation of segs (0: the table's first); prior is the
	// generation before it, as published then, for scans at snapshots
	// below since (SegmentsAt). Its segments are in retired too.
	since uint64
	prior *Snapshot

	live atomic.Int64
	// slab decodes the rows of records that carry them encoded only
	// (applyRow: a COPY's rows, records read back from the log). Under
	// Store.applyMu.
	slab types.RowSlab
	// spare is the next open segment, allocated ahead by a goroutine of
	// its own (openSeg) so that switching segments costs the apply path
	// no allocation.
	spare atomic.Pointer[Segment]
	// snap is the published def and segment list (publishSegs), replaced
	// whenever either changes: scans read it without the lock.
	snap atomic.Pointer[Snapshot]
}

// newTable returns an empty table of def, published.
func newTable(def *catalog.Table) *Table {
	t := &Table{ID: def.ID, def: def, keys: newKeyIndex(0)}
	t.publishSegs()
	return t
}

// publishSegs publishes t.def and t.segs to scans (the writer's side: mu
// held, or t not yet shared). The slice is clipped: later appends by the
// writer never write into what a reader holds.
func (t *Table) publishSegs() {
	t.snap.Store(&Snapshot{T: t, Def: t.def, Segs: slices.Clip(t.segs), Since: t.since, Prior: t.prior})
}

type rowRef struct {
	seg *Segment
	i   int32
}

// New returns an empty column store at offset 0. mem allocates the Arrow
// columns (memory.DefaultAllocator when nil); segmentRows <= 0 uses
// DefaultSegmentRows.
func New(mem memory.Allocator, segmentRows int) *Store {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if segmentRows <= 0 {
		segmentRows = DefaultSegmentRows
	}
	return &Store{mem: mem, segmentRows: segmentRows, tables: map[uint32]*Table{}, waitCh: make(chan struct{})}
}

// Applied returns the offset of the last applied record.
func (s *Store) Applied() log.Offset { return log.Offset(s.applied.Load()) }

// Lag returns how long ago the last applied record was stored in the log.
func (s *Store) Lag() time.Duration {
	t := s.lastTime.Load()
	if t == 0 {
		return 0
	}
	return time.Since(time.UnixMicro(t))
}

// WaitApplied blocks until the store has applied offset off or ctx ends.
func (s *Store) WaitApplied(ctx context.Context, off log.Offset) error {
	for {
		s.waitMu.Lock()
		ch := s.waitCh
		s.waited = true
		s.waitMu.Unlock()
		if s.applied.Load() >= uint64(off) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Table returns table id's column state, or nil.
func (s *Store) Table(id uint32) *Table {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tables[id]
}

// Close releases every segment's memory.
func (s *Store) Close() {
	s.sealMu.Lock()
	s.closed = true
	s.sealMu.Unlock()
	s.sealWG.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tables {
		t.releaseAll()
		delete(s.tables, id)
	}
}

// Apply applies one log entry (materializer.Sink). Entries at or below the
// applied offset are skipped.
func (s *Store) Apply(e log.Entry) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	return s.apply(e)
}

// opsPerLock bounds how many consecutive row operations on one table are
// applied under one hold of its lock (scans wait for it).
const opsPerLock = 4096

func (s *Store) apply(e log.Entry) error {
	off := uint64(e.Offset)
	if off <= s.applied.Load() {
		return nil
	}
	// Consecutive row operations on one table share a lookup of the table
	// and a hold of its lock.
	var cur *Table
	held := 0
	unlock := func() {
		if cur != nil {
			cur.mu.Unlock()
			cur, held = nil, 0
		}
	}
	defer unlock()
	for ti := range e.Record.Txns {
		txn := &e.Record.Txns[ti]
		for oi := range txn.Ops {
			op := &txn.Ops[oi]
			var err error
			switch op.Kind {
			case log.OpInsert, log.OpUpdate, log.OpDelete:
				if cur == nil || cur.ID != op.Table || held >= opsPerLock {
					yield := held >= opsPerLock && s.Yield != nil
					unlock()
					if yield {
						s.Yield()
					}
					if cur = s.Table(op.Table); cur == nil {
						return fmt.Errorf("olap: apply offset %d txn %d op %d: table %d does not exist: %w", off, txn.ID, oi, op.Table, pgerr.ErrCorrupt)
					}
					cur.mu.Lock()
				}
				held++
				err = cur.applyRow(s, off, op)
			default:
				unlock()
				err = s.applyOp(off, op)
			}
			if err != nil {
				return fmt.Errorf("olap: apply offset %d txn %d op %d: %w", off, txn.ID, oi, err)
			}
		}
	}
	unlock()
	s.publish(off, e.Time)
	return nil
}

// publish makes off the applied offset and wakes the readers waiting for
// it. applyMu is held. The channel is replaced only when a reader took it
// (most records have none): a reader that takes it after this publish's
// look at waited sees the new offset, stored before.
func (s *Store) publish(off uint64, at time.Time) {
	s.applied.Store(off)
	s.lastTime.Store(at.UnixMicro())
	s.waitMu.Lock()
	if s.waited {
		close(s.waitCh)
		s.waitCh, s.waited = make(chan struct{}), false
	}
	s.waitMu.Unlock()
}

// TryApplyMaxOps is the largest record TryApply takes: a larger one costs
// its caller (the committer's acknowledgement) more than a hand-off to
// the materializer's goroutine.
const TryApplyMaxOps = 256

// TryApply applies e, the record right after the applied offset, only if it
// can without waiting: no other writer holds a lock it needs (the apply
// path, a seal being published, a checkpoint's capture; scans hold none),
// it has at most TryApplyMaxOps operations and all are row operations
// (inserts, updates, deletes), and the open segments of its tables have
// room for its rows — or, for a record that fills one, a spare segment is
// ready and the sealer takes the full one (no allocation, no seal on the
// caller's time). Otherwise it changes nothing and returns false: the
// caller hands e to Apply on another goroutine. The committer's
// acknowledgement path calls it (materializer.Materializer.Direct), so
// that a commit's rows reach the column store before the commit is
// acknowledged.
func (s *Store) TryApply(e log.Entry) (bool, error) {
	n := 0
	for ti := range e.Record.Txns {
		for oi := range e.Record.Txns[ti].Ops {
			switch e.Record.Txns[ti].Ops[oi].Kind {
			case log.OpInsert, log.OpUpdate, log.OpDelete:
			default:
				return false, nil
			}
			n++
		}
	}
	if n > TryApplyMaxOps || !s.applyMu.TryLock() {
		return false, nil
	}
	defer s.applyMu.Unlock()
	off := uint64(e.Offset)
	if off <= s.applied.Load() {
		return false, nil
	}
	// Lock every table the record writes (usually one) or none.
	var locked []*Table
	unlock := func() {
		for _, t := range locked {
			t.mu.Unlock()
		}
	}
	table := func(id uint32) *Table {
		for _, t := range locked {
			if t.ID == id {
				return t
			}
		}
		return nil
	}
	for ti := range e.Record.Txns {
		for oi := range e.Record.Txns[ti].Ops {
			id := e.Record.Txns[ti].Ops[oi].Table
			if table(id) != nil {
				continue
			}
			t := s.Table(id)
			if t == nil || !t.mu.TryLock() {
				unlock() // a missing table: Apply reports it
				return false, nil
			}
			locked = append(locked, t)
		}
	}
	// A full open segment is sealed and replaced by a new one: only when
	// that costs the caller no allocation (a spare segment is ready) and
	// no seal (the sealer takes it). n bounds the rows the record appends
	// per table.
	seals := 0
	for _, t := range locked {
		if k := len(t.segs); k > 0 && (t.segs[k-1].sealed || len(t.segs[k-1].Ins)+n > s.segmentRows) {
			if seals++; n > s.segmentRows || t.spare.Load() == nil || !s.sealerHasRoom(seals) {
				unlock()
				return false, nil
			}
		}
	}
	for ti := range e.Record.Txns {
		txn := &e.Record.Txns[ti]
		for oi := range txn.Ops {
			op := &txn.Ops[oi]
			if err := table(op.Table).applyRow(s, off, op); err != nil {
				unlock()
				return false, fmt.Errorf("olap: apply offset %d txn %d op %d: %w", off, txn.ID, oi, err)
			}
		}
	}
	unlock()
	s.publish(off, e.Time)
	return true, nil
}

func (s *Store) applyOp(off uint64, op *log.Op) error {
	switch op.Kind {
	case log.OpDDL:
		ch, err := catalog.DecodeChange(op.Row)
		if err != nil {
			return err
		}
		return s.applyDDL(off, ch)
	case log.OpMeta:
		return nil
	}
	t := s.Table(op.Table)
	if t == nil {
		return fmt.Errorf("table %d does not exist: %w", op.Table, pgerr.ErrCorrupt)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch op.Kind {
	case log.OpInsert, log.OpUpdate, log.OpDelete:
		return t.applyRow(s, off, op)
	case log.OpTruncate:
		t.keys.each(func(r rowRef) rowRef {
			t.end(r, off)
			return r
		})
		t.keys = newKeyIndex(0)
	default:
		return fmt.Errorf("op kind %d: %w", op.Kind, log.ErrUnknownFormat)
	}
	return nil
}

// applyRow applies an insert, update or delete; t.mu is held.
func (t *Table) applyRow(s *Store, off uint64, op *log.Op) error {
	if op.Kind == log.OpDelete {
		t.del(off, op.Key)
		return nil
	}
	row := op.Vals // fed by the committer: already decoded
	if row == nil {
		// A record's row bytes are never modified once applied (the
		// committer's encode blocks, a COPY's parse blocks, a log
		// message's buffer: package oltp's row memory), so the values may
		// alias them, as the row store's own readers' do: no copy of each
		// string, and values and numerics cut from shared blocks rather
		// than allocated row by row. The open segment keeps them until it
		// is sealed; sealing copies them into Arrow buffers, and zone maps
		// keep copies of their own (Column.zone).
		var err error
		if row, err = t.slab.Decode(op.Row); err != nil {
			return err
		}
	}
	t.put(s, off, op.Key, row)
	return nil
}

func (s *Store) applyDDL(off uint64, ch *catalog.Change) error {
	switch ch.Kind {
	case catalog.CreateTable:
		t := newTable(ch.Table)
		s.mu.Lock()
		s.tables[t.ID] = t
		s.mu.Unlock()
		return nil
	case catalog.DropTable:
		s.mu.Lock()
		t := s.tables[ch.ID]
		delete(s.tables, ch.ID)
		s.mu.Unlock()
		if t != nil {
			t.mu.Lock()
			t.releaseAll()
			t.mu.Unlock()
		}
		return nil
	}
	if ch.Table == nil {
		return nil
	}
	t := s.Table(ch.Table.ID)
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ch.Kind == catalog.RewriteTable {
		t.newGeneration(off)
	}
	if ch.Kind == catalog.SetPrimaryKey {
		// Rows were keyed by hidden row ids; re-key live rows by their
		// primary key, as the row store does. Every segment gets a new key
		// arena (the old ones may be aliased by a checkpoint capture).
		pk := ch.Table.PK()
		keys := newKeyIndex(t.keys.len())
		for _, seg := range t.segs {
			kbuf, kend := make([]byte, 0, len(seg.kbuf)), make([]uint32, 0, len(seg.kend))
			for i := range seg.Ins {
				if seg.Del[i] == 0 {
					kbuf = append(kbuf, oltp.EncodeKey(ch.Table, pk, seg.Row(t.def, i))...)
				}
				kend = append(kend, uint32(len(kbuf)))
			}
			seg.kbuf, seg.kend = kbuf, kend
			for i := range seg.Ins {
				if seg.Del[i] == 0 {
					keys.put(seg.key(i), rowRef{seg: seg, i: int32(i)})
				}
			}
		}
		t.keys = keys
	}
	t.def = ch.Table
	t.publishSegs()
	return nil
}

// newGeneration starts the generation of a rewrite at offset off (t.mu
// held): the record goes on with a truncate ending every row and the rows
// anew, in the new definition. Those go to new segments; the old ones stay
// as they are, with the definition their columns were built under, for
// scans at snapshots before off (SegmentsAt) — no scan ever reads a
// segment under a definition it was not written in. A full segment still
// waiting for the sealer is sealed under the definition it was handed over
// with; the open one stays open.
func (t *Table) newGeneration(off uint64) {
	t.prior = &Snapshot{T: t, Def: t.def, Segs: slices.Clip(t.segs), Since: t.since, Prior: t.prior}
	t.retired = append(t.retired, t.segs...)
	t.segs = nil
	t.since = off
}

// put appends row as the newest version of key, ending the previous one.
func (t *Table) put(s *Store, off uint64, key []byte, row []types.Value) {
	seg := t.openSeg(s)
	seg.Ins = append(seg.Ins, off)
	seg.Del = append(seg.Del, 0)
	seg.rows = append(seg.rows, row)
	seg.appendKey(key)
	seg.publish()
	if old, ok := t.keys.put(key, rowRef{seg: seg, i: int32(len(seg.Ins) - 1)}); ok {
		t.end(old, off)
	}
	t.live.Add(1)
}

func (t *Table) del(off uint64, key []byte) {
	if old, ok := t.keys.del(key); ok {
		t.end(old, off)
	}
}

// end sets the delete offset of row r (published: readers load it
// atomically).
func (t *Table) end(r rowRef, off uint64) {
	if r.seg.Del[r.i] == 0 {
		atomic.StoreUint64(&r.seg.Del[r.i], off)
		r.seg.deleted++
		t.live.Add(-1)
	}
}

// openSeg returns the open segment, sealing a full one first.
func (t *Table) openSeg(s *Store) *Segment {
	if n := len(t.segs); n > 0 {
		last := t.segs[n-1]
		if !last.sealed && len(last.Ins) < s.segmentRows {
			return last
		}
		if !last.sealed {
			s.sealLater(t, last)
		}
	}
	// Sized for a full segment: appends never copy the slices. Later
	// segments only: a table's first one may stay small.
	var seg *Segment
	if len(t.segs) == 0 {
		seg = newSegment(0, 0)
	} else {
		// Keys of the next segment are likely as long as the last one's.
		kcap := len(t.segs[len(t.segs)-1].kbuf)
		kcap += kcap / 8
		if seg = t.spare.Swap(nil); seg == nil {
			seg = newSegment(s.segmentRows, kcap)
		}
		if s.segmentRows >= asyncSealMin {
			// The next one is allocated (and zeroed) off the apply path,
			// so that the record that fills this one can be applied
			// inline too (TryApply).
			go func() { t.spare.Store(newSegment(s.segmentRows, kcap)) }()
		}
	}
	seg.publish()
	t.segs = append(t.segs, seg)
	t.publishSegs()
	return seg
}

// newSegment returns an empty segment with room for n rows and kcap bytes
// of keys.
func newSegment(n, kcap int) *Segment {
	return &Segment{Ins: make([]uint64, 0, n), Del: make([]uint64, 0, n), rows: make([][]types.Value, 0, n),
		kend: make([]uint32, 0, n), kbuf: make([]byte, 0, kcap)}
}

// sealLater hands the full segment seg to the sealer goroutine: it builds
// the Arrow columns without the table's lock (the rows of a full segment
// no longer change; scans read them as an open segment meanwhile) and
// publishes them under it. t.mu is held. When the sealer is behind (or the
// store closed), seg is sealed here and now.
func (s *Store) sealLater(t *Table, seg *Segment) {
	if s.segmentRows < asyncSealMin {
		seg.seal(s.mem, t.def)
		return
	}
	s.sealMu.Lock()
	if s.closed || len(s.sealQ) >= sealQueue {
		s.sealMu.Unlock()
		seg.seal(s.mem, t.def)
		return
	}
	s.sealWG.Add(1)
	s.sealQ = append(s.sealQ, sealJob{t: t, seg: seg, def: t.def, rows: seg.rows})
	if !s.sealing {
		s.sealing = true
		go s.sealer()
	}
	s.sealMu.Unlock()
}

// sealerHasRoom reports whether the next k full segments would go to the
// sealer rather than be sealed inline. applyMu is held (only the apply
// path queues seals).
func (s *Store) sealerHasRoom(k int) bool {
	if s.segmentRows < asyncSealMin {
		return false
	}
	s.sealMu.Lock()
	defer s.sealMu.Unlock()
	return !s.closed && len(s.sealQ)+k <= sealQueue
}

// sealer seals the queued segments in order and exits when the queue is
// empty (an idle store keeps no goroutine).
func (s *Store) sealer() {
	for {
		s.sealMu.Lock()
		if len(s.sealQ) == 0 {
			s.sealing = false
			s.sealMu.Unlock()
			return
		}
		j := s.sealQ[0]
		s.sealQ = s.sealQ[1:]
		s.sealMu.Unlock()
		built := &Segment{rows: j.rows}
		built.seal(s.mem, j.def)
		j.t.mu.Lock()
		if j.t.dropped || j.seg.sealed {
			built.release()
		} else {
			j.seg.cols, j.seg.rows, j.seg.sealed = built.cols, nil, true
			j.seg.publish()
		}
		j.t.mu.Unlock()
		s.sealWG.Done()
	}
}

// waitSeals waits until every segment handed to the sealer is published.
func (s *Store) waitSeals() { s.sealWG.Wait() }

func (t *Table) releaseAll() {
	t.dropped = true
	for _, seg := range t.segs {
		seg.release()
	}
	for _, seg := range t.retired {
		seg.release()
	}
	t.segs, t.retired, t.prior = nil, nil, nil
	t.keys = keyIndex{}
	t.publishSegs()
}

// Compact rewrites sealed segments in which at least half the rows were
// deleted before horizon (no snapshot at or above horizon can see them),
// dropping those rows. Readers that started before keep their segments.
func (t *Table) Compact(mem memory.Allocator, horizon uint64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	segs := slices.Clone(t.segs) // readers hold the published list
	for si, seg := range t.segs {
		if !seg.sealed || seg.deleted*2 < len(seg.Ins) {
			continue
		}
		ns := &Segment{}
		for i := range seg.Ins {
			if seg.Del[i] != 0 && seg.Del[i] <= horizon {
				continue
			}
			ns.Ins = append(ns.Ins, seg.Ins[i])
			ns.Del = append(ns.Del, seg.Del[i])
			ns.rows = append(ns.rows, seg.Row(t.def, i))
			ns.appendKey(seg.key(i))
			if seg.Del[i] != 0 {
				ns.deleted++
			}
		}
		if len(ns.Ins) == len(seg.Ins) {
			continue
		}
		remap := map[int32]int32{}
		j := int32(0)
		for i := range seg.Ins {
			if seg.Del[i] != 0 && seg.Del[i] <= horizon {
				continue
			}
			remap[int32(i)] = j
			j++
		}
		ns.seal(mem, t.def)
		t.keys.each(func(r rowRef) rowRef {
			if r.seg == seg {
				return rowRef{seg: ns, i: remap[r.i]}
			}
			return r
		})
		segs[si] = ns
		t.retired = append(t.retired, seg)
		n++
	}
	if n > 0 {
		t.segs = segs
		t.publishSegs()
	}
	return n
}

// Snapshot is a consistent view of a table's segments for one scan.
type Snapshot struct {
	T    *Table
	Def  *catalog.Table
	Segs []*Segment
	// Since is the offset from which these segments hold the table: the
	// rewrite that began them (0: from its creation). Snapshots below it
	// read Prior, the generation before the rewrite (nil when this store
	// does not hold it: loaded from a checkpoint taken after the rewrite).
	Since uint64
	Prior *Snapshot
}

// SegmentsAt returns the generation of the table's segments that holds
// its rows at snapshot snap (Segments for any snapshot since the last
// rewrite), and false when the store no longer holds that generation: the
// caller must read the row store instead.
func (t *Table) SegmentsAt(snap uint64) (Snapshot, bool) {
	p := t.snap.Load()
	if p == nil {
		return Snapshot{T: t}, true
	}
	for p.Since > snap {
		if p.Prior == nil {
			return Snapshot{T: t}, false
		}
		p = p.Prior
	}
	return *p, true
}

// Holds reports whether SegmentsAt(snap) finds the table's rows at snap.
func (t *Table) Holds(snap uint64) bool {
	_, ok := t.SegmentsAt(snap)
	return ok
}

// Segments returns the table's published segment list (the open segment
// last) and definition, without locking; the caller must not modify Segs.
func (t *Table) Segments() Snapshot {
	if p := t.snap.Load(); p != nil {
		return *p
	}
	return Snapshot{T: t}
}

// Live returns the number of live rows at the newest applied offset.
func (t *Table) Live() int64 { return t.live.Load() }

// Visible appends to sel the positions of segment seg's rows visible at
// snap, without locking (the writer appends and ends rows meanwhile; a
// snapshot at or below the applied offset sees none of that). It also
// returns the row count looked at (the open segment grows while we read).
func (t *Table) Visible(seg *Segment, snap uint64, sel []int32) ([]int32, int) {
	return seg.visible(snap, sel)
}

// Read runs fn. Scans read segments without locking (their views are
// published atomically); Read remains so that callers that bracket their
// reads of a segment need not change.
func (t *Table) Read(fn func()) { fn() }
