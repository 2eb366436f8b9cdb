package oltp

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp/index"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Live is the End offset of a version that has not been superseded
// (Table.Latest reports it for a key's current version).
const Live = ^uint64(0)

// Version is one version of a row. Begin is the offset of the record that
// wrote it; End the offset of the record that replaced or deleted it (live
// while current). A deletion is recorded in the End of the version it ends
// (the chain head of a deleted key keeps its last row).
//
// row is the row encoded in the types row format (docs/row-format.md),
// checked well-formed (types.CheckRow) or encoded by this process before it
// was stored, and immutable from then on: the bytes are the log record's or
// commit block's own (see storedRow), or a slice of a loaded checkpoint
// frame, and nothing ever writes to them again. Readers decode it on every
// access with types.DecodeRowAlias (decodeStored), so the values they get
// alias these bytes.
type Version struct {
	Begin uint64
	end   atomic.Uint64
	row   []byte
	prev  atomic.Pointer[Version]
}

// End returns the offset at which the version stopped being current.
func (v *Version) End() uint64 { return v.end.Load() }

// visible reports whether v is the version a reader at snap sees.
func (v *Version) visible(snap uint64) bool { return v.Begin <= snap && snap < v.end.Load() }

// chain is the version list of one key, newest first.
type chain struct {
	head atomic.Pointer[Version]
	key  []byte // the primary key (encoded), immutable
}

// at returns the version visible at snap, or nil.
func (c *chain) at(snap uint64) *Version {
	for v := c.head.Load(); v != nil; v = v.prev.Load() {
		if v.Begin <= snap {
			if snap < v.end.Load() {
				return v
			}
			return nil
		}
	}
	return nil
}

// handles maps row handles to chains. It grows by whole blocks published
// through an atomic pointer, so readers index it without locks.
type handles struct {
	blocks atomic.Pointer[[]*[blockSize]atomic.Pointer[chain]]
	n      uint64 // next handle; writer only
}

const blockSize = 4096

func (h *handles) get(id uint64) *chain {
	bs := h.blocks.Load()
	if bs == nil || id/blockSize >= uint64(len(*bs)) {
		return nil
	}
	return (*bs)[id/blockSize][id%blockSize].Load()
}

// reserve makes room for n more handles in one allocation (advised for
// huge pages: a checkpoint load fills it right away), so that add does not
// allocate its blocks one by one. Writer only.
func (h *handles) reserve(n int) {
	var cur []*[blockSize]atomic.Pointer[chain]
	if bs := h.blocks.Load(); bs != nil {
		cur = *bs
	}
	need := int((h.n + uint64(n) + blockSize - 1) / blockSize)
	if need <= len(cur) {
		return
	}
	blocks := makeHuge[[blockSize]atomic.Pointer[chain]](need - len(cur))
	grown := make([]*[blockSize]atomic.Pointer[chain], len(cur), need)
	copy(grown, cur)
	for i := range blocks {
		grown = append(grown, &blocks[i])
	}
	h.blocks.Store(&grown)
}

func (h *handles) add(c *chain) uint64 {
	id := h.n
	h.n++
	bs := h.blocks.Load()
	var cur []*[blockSize]atomic.Pointer[chain]
	if bs != nil {
		cur = *bs
	}
	if id/blockSize >= uint64(len(cur)) {
		grown := make([]*[blockSize]atomic.Pointer[chain], len(cur)+1)
		copy(grown, cur)
		grown[len(cur)] = new([blockSize]atomic.Pointer[chain])
		h.blocks.Store(&grown)
		cur = grown
	}
	cur[id/blockSize][id%blockSize].Store(c)
	return id
}

// Table is one table's row state: the primary index (encoded primary key or
// hidden row id → handle) and its secondary indexes.
type Table struct {
	ID    uint32
	def   atomic.Pointer[catalog.Table]
	pk    index.Index
	sec   atomic.Pointer[[]secIndex]
	rows  handles
	count atomic.Int64 // live rows at the newest applied offset
	// bytes is the stored size of those rows: each one's key and encoded
	// row (pg_relation_size; old versions awaiting reclaim are not counted).
	bytes atomic.Int64
	// nextRowID allocates hidden row ids (tables without a primary key).
	nextRowID atomic.Int64
	// lastWrite is the offset of the last record that changed a row (Reclaim
	// skips tables not written since its previous horizon, so every row
	// operation must set it); schemaAt the offset of the last change to the
	// definition.
	lastWrite atomic.Uint64
	schemaAt  atomic.Uint64
	// scratch holds a row decoded to compute index keys while applying
	// (applyMu is held); the keys are copies, so it is reused.
	scratch []types.Value
	// slab hands out the versions, chains and key bytes put stores (applyMu
	// is held): one allocation per applySlab rows instead of three per row.
	slab applySlab
	// pkMax is the chain of the largest key in pk (nil: pk is empty) when
	// pkMaxKnown. Keys are never removed from pk, so it only grows while
	// pk is the same index; put (applyMu held) advances it, and code that
	// replaces pk clears pkMaxKnown first (put finds the largest key again:
	// one descending scan step). A key beyond it is in no snapshot: put
	// inserts it without a lookup, and writers skip their duplicate checks
	// (BeyondLargestKey). A bulk insert in key order — a COPY of a table
	// loaded by key, rows of a table without a primary key, whose row ids
	// ascend — pays for the index's append, not failed searches.
	pkMax      atomic.Pointer[chain]
	pkMaxKnown atomic.Bool
	// stats are the table's activity counters (stats.go), a cache line
	// away from the fields above.
	_     [64]byte
	stats tableStats
}

// keyIsNew reports whether key is beyond every key in t.pk (so absent),
// finding the largest key first if it is not known. applyMu is held.
func (t *Table) keyIsNew(key []byte) bool {
	if !t.pkMaxKnown.Load() {
		t.findLargestKey()
	}
	return t.BeyondLargestKey(key)
}

// findLargestKey sets pkMax from pk (applyMu is held, or the table is not
// published yet).
func (t *Table) findLargestKey() {
	var last *chain
	t.pk.Scan(nil, true, func(_ []byte, h uint64) bool {
		last = t.rows.get(h)
		return false
	})
	t.pkMax.Store(last)
	t.pkMaxKnown.Store(true)
}

// BeyondLargestKey reports whether key sorts after every key the table
// ever stored, so that no snapshot holds it (for a writer's duplicate
// check; false when that is not known). Safe for concurrent use: a record
// applied at or below a reader's snapshot advanced the largest key before
// the snapshot became readable.
func (t *Table) BeyondLargestKey(key []byte) bool {
	if !t.pkMaxKnown.Load() {
		return false
	}
	m := t.pkMax.Load()
	return m == nil || bytes.Compare(key, m.key) > 0
}

// applySlab allocates versions, chains and key copies for Table.put in
// blocks, so that a bulk insert (a COPY's record: millions of rows in one
// Apply) costs a few allocations per thousand rows, not three per row, and
// gives the collector fewer objects to track. A block stays reachable while
// any of its versions (chains are never dropped) is: versions of one block
// were written by neighbouring records and are reclaimed at about the same
// time. Only Apply (under applyMu) uses it.
type applySlab struct {
	vers   []Version
	chains []chain
	keys   []byte
}

// Block sizes of applySlab: versions and chains per block, key bytes per
// block (a key longer than a quarter of it gets its own allocation).
const (
	slabRows     = 1024
	slabKeyBytes = 32 << 10
)

func (a *applySlab) version() *Version {
	if len(a.vers) == 0 {
		a.vers = make([]Version, slabRows)
	}
	v := &a.vers[0]
	a.vers = a.vers[1:]
	return v
}

func (a *applySlab) chain() *chain {
	if len(a.chains) == 0 {
		a.chains = make([]chain, slabRows)
	}
	c := &a.chains[0]
	a.chains = a.chains[1:]
	return c
}

// key returns an immutable copy of k (capacity capped).
func (a *applySlab) key(k []byte) []byte {
	if len(k) > slabKeyBytes/4 {
		return append([]byte(nil), k...)
	}
	if cap(a.keys)-len(a.keys) < len(k) {
		a.keys = make([]byte, 0, slabKeyBytes)
	}
	n := len(a.keys)
	a.keys = append(a.keys, k...)
	return a.keys[n:len(a.keys):len(a.keys)]
}

// secIndex is one secondary index of a table: its definition, compiled
// for the table's current definition (expressions, predicate), and its
// entries.
type secIndex struct {
	def catalog.Index
	ci  *compiledIndex
	idx index.Index
	// broken is why the index misses rows (nil: it has them all): its
	// expressions did not compile, or failed on a row being applied. Every
	// writer computed the keys of what it wrote, so only a broken
	// invariant (an expression that changed meaning between versions of
	// OmenDB, say) gets here; rather than stop applying the log, the row is
	// stored, the index stops answering (IndexScan reports false, so
	// readers scan the table) and unique checks through it fail (XX002)
	// until it is dropped.
	broken error
}

// entry returns si's entry key for row (the index key followed by the
// primary key pk), or ok = false when row has no entry (a partial index
// whose predicate is not true for it).
func (si *secIndex) entry(def *catalog.Table, row []types.Value, pk []byte) ([]byte, bool, error) {
	if si.broken != nil {
		return nil, false, si.broken
	}
	k, in, _, err := si.ci.key(nil, def, row)
	if err != nil || !in {
		return nil, false, err
	}
	return append(k, pk...), true, nil
}

// breakIndex marks secondary index id of t broken by err (applyMu is
// held, or the table is not published yet).
func (t *Table) breakIndex(id uint32, err error) {
	secs := append([]secIndex(nil), *t.sec.Load()...)
	for i := range secs {
		if secs[i].def.ID == id && secs[i].broken == nil {
			secs[i].broken = fmt.Errorf("index %q: %w", secs[i].def.Name, err)
		}
	}
	t.sec.Store(&secs)
}

// IndexBroken returns why secondary index id of t misses rows, or nil
// (secIndex.broken).
func (t *Table) IndexBroken(id uint32) error {
	for _, si := range *t.sec.Load() {
		if si.def.ID == id {
			return si.broken
		}
	}
	return nil
}

// secIndexes returns the secondary indexes of def: those of old kept
// (same ID: their entries stay) and compiled anew for def, others empty.
func (s *Store) secIndexes(def *catalog.Table, old []secIndex) ([]secIndex, error) {
	var secs []secIndex
	for i := range def.Indexes {
		if i == def.PrimaryKey {
			continue
		}
		ix := def.Indexes[i]
		si := secIndex{def: ix}
		var err error
		if si.ci, err = compileIndex(def, &def.Indexes[i]); err != nil {
			si.broken = err
		}
		for _, o := range old {
			if o.def.ID == ix.ID {
				si.idx = o.idx
				if si.broken == nil {
					si.broken = o.broken
				}
			}
		}
		if si.idx == nil {
			if si.idx, err = s.newIndex(ix.Method); err != nil {
				return nil, err
			}
		}
		secs = append(secs, si)
	}
	return secs, nil
}

// Def returns the table's current definition.
func (t *Table) Def() *catalog.Table { return t.def.Load() }

// Store is the OLTP row state. One goroutine (the materializer) applies log
// records with Apply; any number of readers read at snapshots concurrently.
type Store struct {
	mu      sync.RWMutex // guards tables (the map, not the tables' contents)
	tables  map[uint32]*Table
	applied atomic.Uint64
	cat     atomic.Pointer[catalog.Catalog]

	// bulkMu is held for writing while Apply applies a bulk record (at
	// least BulkOps row operations: a COPY, a snapshot chunk), which the
	// committer does before it answers the writer: WaitBulk lets work
	// that can wait (the column store's apply) leave it the CPU.
	bulkMu sync.RWMutex

	waitMu sync.Mutex
	waitCh chan struct{} // closed and replaced whenever applied advances

	// seqs holds sequence positions: the last value handed out.
	seqMu sync.Mutex
	seqs  map[uint32]int64

	// ids allocates object IDs (tables, indexes, sequences) to sessions.
	ids atomic.Uint32
	// applyMu serialises Apply: the materializer (replay, records of other
	// writers) and the committer (its own records, right after they are
	// durable) both apply, one at a time, in offset order.
	applyMu sync.Mutex
	// catAt is the offset of the last applied catalog change.
	catAt   atomic.Uint64
	horizon horizon
	hist    history // time-travel window: (offset, time) samples and past catalogs (history.go)
	// IndexMethod is the structure used for indexes whose definition does not
	// name one ("learned" unless the server flag says otherwise).
	IndexMethod string
	reclaimed   atomic.Int64
	metaMu      sync.Mutex
	meta        map[string][]byte
}

// NewStore returns an empty store at offset 0.
func NewStore() *Store {
	s := &Store{tables: map[uint32]*Table{}, waitCh: make(chan struct{}), seqs: map[uint32]int64{}, meta: map[string][]byte{}}
	s.cat.Store(catalog.New())
	return s
}

// Catalog returns the newest applied catalog.
func (s *Store) Catalog() *catalog.Catalog { return s.cat.Load() }

// Applied returns the offset of the last applied record.
func (s *Store) Applied() log.Offset { return log.Offset(s.applied.Load()) }

// WaitApplied blocks until the store has applied offset off or ctx ends.
func (s *Store) WaitApplied(ctx context.Context, off log.Offset) error {
	for {
		s.waitMu.Lock()
		ch := s.waitCh
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

func (s *Store) setApplied(off uint64) {
	s.applied.Store(off)
	s.waitMu.Lock()
	close(s.waitCh)
	s.waitCh = make(chan struct{})
	s.waitMu.Unlock()
}

// Table returns the row state of table id, or nil.
func (s *Store) Table(id uint32) *Table {
	s.mu.RLock()
	t := s.tables[id]
	s.mu.RUnlock()
	return t
}

// Meta returns the newest value of a metadata key written with OpMeta.
func (s *Store) Meta(key string) []byte {
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	return s.meta[key]
}

// NextVal advances sequence seq and returns its new value; ok is false
// when the sequence is exhausted (past its bound without CYCLE), and it is
// then left as it was.
func (s *Store) NextVal(seq *catalog.Sequence) (v int64, ok bool) {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	cur, used := s.seqs[seq.ID]
	if v, ok = seq.Next(cur, used); ok {
		s.seqs[seq.ID] = v
	}
	return v, ok
}

// SetVal records that sequence id has handed out v (replay of a commit that
// used it, or setval()).
func (s *Store) SetVal(seqID uint32, v int64, raise bool) {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	if cur, ok := s.seqs[seqID]; !raise || !ok || v > cur {
		s.seqs[seqID] = v
	}
}

// CurrVal returns the last value handed out by a sequence.
func (s *Store) CurrVal(seqID uint32) (int64, bool) {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	v, ok := s.seqs[seqID]
	return v, ok
}

// NewID allocates an object ID for a table, index or sequence.
func (s *Store) NewID() uint32 {
	for {
		old := s.ids.Load()
		next := max(old, catalog.FirstUserID-1) + 1
		if s.ids.CompareAndSwap(old, next) {
			return next
		}
	}
}

// NewRowID returns a fresh hidden row id for a table without a primary key.
func (t *Table) NewRowID() int64 { return t.nextRowID.Add(1) }

// RowIDKey encodes a hidden row id (always positive) as a primary key: 8
// bytes big-endian, which orders like the ids.
func RowIDKey(id int64) []byte { return BE64(uint64(id)) }

// Count returns the number of live rows at the newest applied offset.
func (t *Table) Count() int64 { return t.count.Load() }

// Bytes returns the stored size of the live rows at the newest applied
// offset: each row's key and encoded row, without old versions awaiting
// reclaim and without the indexes (IndexBytes).
func (t *Table) Bytes() int64 { return t.bytes.Load() }

// IndexBytes returns the memory of the table's primary index (or row-id
// index) and of its secondary indexes, as the indexes report it
// (index.Stats.Bytes).
func (t *Table) IndexBytes() (primary, secondary int64) {
	primary = t.pk.Stats().Bytes
	for _, si := range *t.sec.Load() {
		secondary += si.idx.Stats().Bytes
	}
	return primary, secondary
}

// IndexBytesOf returns the memory of the table's index with catalog id
// id (its primary key's included).
func (t *Table) IndexBytesOf(id uint32) (int64, bool) {
	if pk := t.def.Load().PK(); pk != nil && pk.ID == id {
		return t.pk.Stats().Bytes, true
	}
	for _, si := range *t.sec.Load() {
		if si.def.ID == id {
			return si.idx.Stats().Bytes, true
		}
	}
	return 0, false
}

func (s *Store) newIndex(method string) (index.Index, error) {
	if method == "" {
		method = s.IndexMethod
	}
	return index.New(method)
}

// newPKIndex makes t's primary index. A learned one stores no keys: it reads
// them from the chains (index.KeySource), which is safe because a chain is
// never removed from t.rows nor its key changed while t exists (Reclaim
// trims versions only), and a chain is added before its handle is indexed.
func (s *Store) newPKIndex(t *Table, method string) (index.Index, error) {
	if method == "" {
		method = s.IndexMethod
	}
	return index.NewWithKeySource(method, func(h uint64) []byte { return t.rows.get(h).key })
}

// Apply applies one log entry. Entries at or below the applied offset are
// skipped: the committer applies its own records as soon as they are
// durable, and the materializer then meets them again in the log.
func (s *Store) Apply(e log.Entry) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	off := uint64(e.Offset)
	if off <= s.applied.Load() {
		return nil // already applied
	}
	n := 0
	for i := range e.Record.Txns {
		n += len(e.Record.Txns[i].Ops)
	}
	if n >= BulkOps {
		s.bulkMu.Lock()
		defer s.bulkMu.Unlock()
	}
	for ti := range e.Record.Txns {
		txn := &e.Record.Txns[ti]
		for oi := range txn.Ops {
			if err := s.applyOp(off, &txn.Ops[oi]); err != nil {
				return fmt.Errorf("apply offset %d txn %d op %d: %w", off, txn.ID, oi, err)
			}
		}
	}
	s.setApplied(off)
	s.noteApplied(off, e.Time)
	return nil
}

// BulkOps is the size (row operations) from which a record is a bulk
// record for WaitBulk.
const BulkOps = 100_000

// WaitBulk returns once no bulk record is being applied (at once if none
// is). For work that yields to the commit path: a bulk record's writer is
// answered only once the row store has applied it.
func (s *Store) WaitBulk() {
	s.bulkMu.RLock()
	s.bulkMu.RUnlock() // nothing to do inside: waiting for the writer is the point
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
		return s.applyMeta(op)
	}
	t := s.Table(op.Table)
	if t == nil {
		return fmt.Errorf("table %d does not exist: %w", op.Table, pgerr.ErrCorrupt)
	}
	t.lastWrite.Store(off)
	switch op.Kind {
	case log.OpInsert, log.OpUpdate:
		// The committer's own records carry their rows decoded (op.Vals,
		// encoded by it into op.Row); rows read back from the log are
		// checked once here, so that every stored row decodes.
		if op.Vals == nil {
			if err := types.CheckRow(op.Row); err != nil {
				return err
			}
		}
		t.put(off, op.Key, storedRow(op.Row), op.Vals)
		if op.Kind == log.OpInsert {
			t.stats.Inserted.Add(1)
		} else {
			t.stats.Updated.Add(1)
		}
	case log.OpDelete:
		t.delete(off, op.Key)
		t.stats.Deleted.Add(1)
	case log.OpTruncate:
		t.truncate(off)
	default:
		return fmt.Errorf("op kind %d: %w", op.Kind, log.ErrUnknownFormat)
	}
	return nil
}

// Meta keys written by OmenDB itself.
const (
	MetaSeqPrefix   = "seq:"   // seq:<id> → 8-byte big-endian last value
	MetaRowIDPrefix = "rowid:" // rowid:<table> → 8-byte big-endian max hidden row id
)

func (s *Store) applyMeta(op *log.Op) error {
	k := string(op.Key)
	switch {
	case len(k) > len(MetaSeqPrefix) && k[:len(MetaSeqPrefix)] == MetaSeqPrefix:
		var id uint32
		if _, err := fmt.Sscanf(k[len(MetaSeqPrefix):], "%d", &id); err != nil || len(op.Row) != 8 {
			return fmt.Errorf("bad sequence meta %q: %w", k, pgerr.ErrCorrupt)
		}
		s.SetVal(id, int64(be64(op.Row)), true)
		return nil
	}
	s.metaMu.Lock()
	s.meta[k] = append([]byte(nil), op.Row...)
	s.metaMu.Unlock()
	return nil
}

func be64(b []byte) uint64 {
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// BE64 encodes v big-endian (for OpMeta payloads).
func BE64(v uint64) []byte {
	return []byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

func (s *Store) applyDDL(off uint64, ch *catalog.Change) error {
	cat, err := s.cat.Load().Apply(ch)
	if err != nil {
		return err
	}
	switch ch.Kind {
	case catalog.CreateTable:
		t := &Table{ID: ch.Table.ID}
		t.def.Store(ch.Table)
		pkMethod := ""
		if pk := ch.Table.PK(); pk != nil {
			pkMethod = pk.Method
		}
		if t.pk, err = s.newPKIndex(t, pkMethod); err != nil {
			return err
		}
		t.pkMaxKnown.Store(true) // empty: every key is beyond
		secs, err := s.secIndexes(ch.Table, nil)
		if err != nil {
			return err
		}
		t.sec.Store(&secs)
		s.mu.Lock()
		s.tables[t.ID] = t
		s.mu.Unlock()
	case catalog.DropTable:
		s.mu.Lock()
		delete(s.tables, ch.ID)
		s.mu.Unlock()
	case catalog.SetPrimaryKey:
		t := s.Table(ch.Table.ID)
		if t == nil {
			return fmt.Errorf("table %d missing: %w", ch.Table.ID, pgerr.ErrCorrupt)
		}
		if err := s.rekey(off, t, ch.Table); err != nil {
			return err
		}
	case catalog.CreateIndex:
		t := s.Table(ch.Table.ID)
		if t == nil {
			return fmt.Errorf("table %d missing: %w", ch.Table.ID, pgerr.ErrCorrupt)
		}
		secs, err := s.secIndexes(ch.Table, *t.sec.Load())
		if err != nil {
			return err
		}
		var si *secIndex
		for i := range secs {
			if secs[i].def.ID == ch.Table.Indexes[ch.Index].ID {
				si = &secs[i]
			}
		}
		if si == nil {
			return fmt.Errorf("create_index of table %d names no secondary index: %w", ch.Table.ID, pgerr.ErrCorrupt)
		}
		// Every version gets its entry (older snapshots may read through
		// the index). An expression failing on a version that is no longer
		// live cannot be reported to anyone — CREATE INDEX checked the live
		// rows — and leaves that version out; failing on a live one breaks
		// the index (secIndex.broken).
		t.forEachChain(func(h uint64, c *chain) {
			head := c.head.Load()
			for v := head; v != nil && si.broken == nil; v = v.prev.Load() {
				if v.row != nil {
					t.scratch = decodeStored(v.row, t.scratch)
					k, ok, err := si.entry(ch.Table, t.scratch, c.key)
					if err != nil && v == head && v.end.Load() == Live {
						si.broken = fmt.Errorf("index %q: %w", si.def.Name, err)
					}
					if ok {
						si.idx.Put(k, h)
					}
				}
			}
		})
		t.def.Store(ch.Table)
		t.sec.Store(&secs)
	case catalog.DropIndex:
		if s.Table(ch.Table.ID) == nil {
			return fmt.Errorf("table %d missing: %w", ch.Table.ID, pgerr.ErrCorrupt)
		}
		// The index goes with the new definition's secondary indexes
		// (below).
	}
	if ch.Table != nil {
		if t := s.Table(ch.Table.ID); t != nil {
			if ch.Kind != catalog.CreateTable && ch.Kind != catalog.CreateIndex {
				// The indexes keep their entries and are compiled for the
				// new definition (a renamed column, a dropped index).
				secs, err := s.secIndexes(ch.Table, *t.sec.Load())
				if err != nil {
					return err
				}
				t.sec.Store(&secs)
			}
			t.def.Store(ch.Table)
			t.schemaAt.Store(off)
		}
		// A new foreign key changes what writes to the tables it
		// references must check: transactions that wrote them under the
		// old catalog conflict (the committer's schemaAt check).
		old, _ := s.cat.Load().Table(ch.Table.ID)
		for _, ref := range newReferences(old, ch.Table) {
			if rt := s.Table(ref); rt != nil {
				rt.schemaAt.Store(off)
			}
		}
	}
	s.cat.Store(cat)
	s.catAt.Store(off)
	s.noteCatalog(off, cat)
	for cur := s.ids.Load(); cat.MaxID > cur && !s.ids.CompareAndSwap(cur, cat.MaxID); cur = s.ids.Load() {
	}
	return nil
}

// rekey rebuilds a table's primary index after ADD PRIMARY KEY: rows keyed by
// hidden row ids are re-keyed by their primary key columns. Older snapshots
// keep reading correct rows because chains are moved, not copied.
func (s *Store) rekey(off uint64, t *Table, def *catalog.Table) error {
	pk := def.PK()
	idx, err := s.newPKIndex(t, pk.Method)
	if err != nil {
		return err
	}
	var dup error
	var size int64
	t.forEachChain(func(h uint64, c *chain) {
		v := c.head.Load()
		if v == nil || v.end.Load() != Live {
			return
		}
		t.scratch = decodeStored(v.row, t.scratch)
		k := EncodeKey(def, pk, t.scratch)
		size += int64(len(k) + len(v.row))
		if _, ok := idx.Get(k); ok && dup == nil {
			dup = pgerr.New(pgerr.UniqueViolation, "could not create unique index %q", pk.Name)
		}
		nc := &chain{key: k}
		nc.head.Store(v)
		idx.Put(k, t.rows.add(nc))
	})
	if dup != nil {
		return dup
	}
	t.pkMaxKnown.Store(false)
	t.pk = idx
	t.bytes.Store(size)
	return nil
}

// EncodeKey encodes the columns of ix taken from row: the key of a
// primary key, or of any index without expressions or a predicate
// (catalog.Index.Plain; IndexKey computes every index's key).
func EncodeKey(def *catalog.Table, ix *catalog.Index, row []types.Value) []byte {
	var k []byte
	for i, c := range ix.Columns {
		k = keycode.AppendOrdered(k, ColValue(def, row, c), def.KeyType(c), keycode.Order(ix.Order(i)))
	}
	return k
}

// ColValue returns column c of a stored row; rows written before an ADD
// COLUMN are shorter and read the column's missing value (or NULL).
func ColValue(def *catalog.Table, row []types.Value, c int) types.Value {
	if c < len(row) {
		return row[c]
	}
	if c < len(def.Columns) {
		if v, ok := def.Columns[c].MissingValue(); ok {
			return v
		}
	}
	return types.Null
}

func (t *Table) forEachChain(fn func(h uint64, c *chain)) {
	t.pk.Scan(nil, false, func(_ []byte, h uint64) bool {
		if c := t.rows.get(h); c != nil {
			fn(h, c)
		}
		return true
	})
}

// put installs row (encoded, immutable from now on) as the newest version
// of key at offset off. vals is row decoded, or nil: it is decoded here if
// a secondary index needs it. An index expression failing on the row (a
// broken invariant: the writer's statement computed the keys) breaks that
// index (secIndex.broken) rather than the apply.
func (t *Table) put(off uint64, key []byte, row []byte, vals []types.Value) {
	def := t.def.Load()
	secs := *t.sec.Load()
	if len(secs) > 0 && vals == nil {
		t.scratch = decodeStored(row, t.scratch)
		vals = t.scratch
	}
	var keysBuf [4][]byte
	secKeys := keysBuf[:0]
	for i := range secs {
		var k []byte
		if secs[i].broken == nil {
			var in bool
			var err error
			if k, in, _, err = secs[i].ci.key(nil, def, vals); err != nil {
				t.breakIndex(secs[i].def.ID, err)
			}
			if !in {
				k = nil // no entry: a partial index's predicate is not true
			}
		}
		secKeys = append(secKeys, k)
	}
	v := t.slab.version()
	v.Begin, v.row = off, row
	v.end.Store(Live)
	var h uint64
	var c *chain
	beyond := t.keyIsNew(key)
	if !beyond {
		var ok bool
		if h, ok = t.pk.Get(key); ok {
			c = t.rows.get(h)
		}
	}
	if c == nil {
		c = t.slab.chain()
		c.key = t.slab.key(key)
		c.head.Store(v)
		h = t.rows.add(c)
		if a, ok := t.pk.(index.Appender); beyond && ok {
			a.Append(c.key, h)
		} else {
			t.pk.Put(c.key, h)
		}
		if beyond {
			t.pkMax.Store(c)
		}
		t.count.Add(1)
		t.bytes.Add(int64(len(key) + len(row)))
	} else {
		old := c.head.Load()
		if old != nil && old.end.Load() == Live {
			old.end.Store(off)
			t.bytes.Add(int64(len(row) - len(old.row)))
		} else {
			t.count.Add(1)
			t.bytes.Add(int64(len(c.key) + len(row)))
		}
		v.prev.Store(old)
		c.head.Store(v)
	}
	if def.PK() == nil && len(key) == 8 {
		id := int64(be64(key))
		for cur := t.nextRowID.Load(); id > cur && !t.nextRowID.CompareAndSwap(cur, id); cur = t.nextRowID.Load() {
		}
	}
	for i, si := range secs {
		if secKeys[i] != nil {
			si.idx.Put(append(secKeys[i], c.key...), h)
		}
	}
}

// copyStoredRows makes storedRow copy each row into an allocation of its
// own instead of keeping the bytes where the writer put them (measured in
// docs/benchmarks.md, "Row store memory"; a variable only so that
// BenchmarkRowStoreHeap can compare both).
var copyStoredRows = false

// storedRow returns the bytes a Version keeps for an encoded row taken from
// a log operation. The log never reuses a record's buffers and the
// committer encodes every commit into fresh blocks, so the bytes are
// retained as they are (capacity capped): a bulk write keeps its 256 KiB
// encode blocks, a replayed record its message buffer, shared by the rows
// in it until the last of them is reclaimed.
func storedRow(b []byte) []byte {
	if copyStoredRows {
		return append(make([]byte, 0, len(b)), b...)
	}
	return b[:len(b):len(b)]
}

// decodeStored decodes a stored row into dst[:0] (types.DecodeRowAlias:
// strings alias the stored bytes, which are immutable). Stored rows were
// checked or encoded by this process, so an error is a broken invariant,
// not bad input.
func decodeStored(b []byte, dst []types.Value) []types.Value {
	row, err := types.DecodeRowAlias(b, dst)
	if err != nil {
		panic(fmt.Sprintf("oltp: a stored row does not decode (it was checked when stored): %v", err))
	}
	return row
}

// rowSlab decodes the rows a scan hands out (types.RowSlab: values and
// numerics cut from shared blocks, strings aliasing the stored bytes).
type rowSlab struct{ types.RowSlab }

func (s *rowSlab) decode(b []byte) []types.Value {
	row, err := s.Decode(b)
	if err != nil {
		panic(fmt.Sprintf("oltp: a stored row does not decode (it was checked when stored): %v", err))
	}
	return row
}

// delete ends the visible version of key at offset off.
func (t *Table) delete(off uint64, key []byte) {
	h, ok := t.pk.Get(key)
	if !ok {
		return
	}
	c := t.rows.get(h)
	if c == nil {
		return
	}
	if v := c.head.Load(); v != nil && v.end.Load() == Live {
		v.end.Store(off)
		t.count.Add(-1)
		t.bytes.Add(-int64(len(c.key) + len(v.row)))
	}
}

// truncate ends every live version at offset off.
func (t *Table) truncate(off uint64) {
	t.forEachChain(func(_ uint64, c *chain) {
		if v := c.head.Load(); v != nil && v.end.Load() == Live {
			v.end.Store(off)
		}
	})
	t.count.Store(0)
	t.bytes.Store(0)
}

// IndexStat is one index's shape, for omendb_index_stats.
type IndexStat struct {
	Table, Index string
	Primary      bool
	Stats        index.Stats
}

// IndexStats reports every index of every table (primary indexes of
// tables without a primary key are listed as "<table>_rowid").
func (s *Store) IndexStats() []IndexStat {
	s.mu.RLock()
	tables := make([]*Table, 0, len(s.tables))
	for _, t := range s.tables {
		tables = append(tables, t)
	}
	s.mu.RUnlock()
	var out []IndexStat
	for _, t := range tables {
		def := t.Def()
		name := def.Name + "_rowid"
		if pk := def.PK(); pk != nil {
			name = pk.Name
		}
		out = append(out, IndexStat{Table: def.Name, Index: name, Primary: true, Stats: t.pk.Stats()})
		for _, si := range *t.sec.Load() {
			out = append(out, IndexStat{Table: def.Name, Index: si.def.Name, Stats: si.idx.Stats()})
		}
	}
	return out
}
