package oltp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
)

// Committer validates transactions and appends them to the log, many per
// record (group commit). It is the only writer of the log.
//
// One goroutine (run) takes commit requests in arrival order, validates each
// against the row state plus every transaction validated before it that is
// not applied yet (pending), and appends the accepted ones as one record.
// While an append is in flight new requests queue up; the next record takes
// them all, so concurrent commits share a JetStream round trip and fsync.
// A second goroutine (acks) waits for the materializer to apply each record
// and only then answers its transactions, so a client that is told "COMMIT"
// reads its own writes.
type Committer struct {
	log    log.Log
	store  *Store
	logger *slog.Logger

	reqs    chan *commitReq
	applied chan appended
	closed  chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	pending map[pendKey]uint64 // written key → batch sequence
	// bigs are the pending writes to one table of transactions that wrote
	// at least bigWrites rows to it: their keys are not copied into
	// pending, the transaction's own row map is looked up instead.
	bigs []bigPending
	// pendTables counts pending keys per table.
	pendTables map[uint32]int
	// pendChanges are catalog changes validated but not applied yet.
	pendChanges []pendChange
	batches     map[uint64][]pendKey
	seq         uint64
	txnID       atomic.Uint64
	// lastOff is the offset of the committer's previous record (acks
	// goroutine only): a record is applied directly only when the store has
	// applied everything up to it.
	lastOff log.Offset

	// MaxBatch bounds the transactions in one record.
	MaxBatch int
	stats    CommitStats
}

// CommitStats counts the committer's work.
type CommitStats struct {
	Records   atomic.Int64
	Txns      atomic.Int64
	Conflicts atomic.Int64
}

type pendKey struct {
	table uint32
	key   string
}

type bigPending struct {
	seq   uint64
	table uint32
	tw    *TableWrites
}

// bigWrites is the number of rows to one table from which a transaction's
// keys stay in its own write set while pending (bulk loads, snapshot chunks).
const bigWrites = 1024

// busy reports whether key k is written by a pending transaction. c.mu is
// held.
func (c *Committer) busy(k pendKey) bool {
	if _, ok := c.pending[k]; ok {
		return true
	}
	for i := range c.bigs {
		if b := &c.bigs[i]; b.table == k.table {
			if _, ok := b.tw.rows[k.key]; ok {
				return true
			}
		}
	}
	return false
}

// tableBusy reports whether a pending transaction wrote to table id. c.mu
// is held.
func (c *Committer) tableBusy(id uint32) bool {
	for i := range c.bigs {
		if c.bigs[i].table == id {
			return true
		}
	}
	return c.pendTables[id] > 0
}

type pendChange struct {
	seq uint64
	id  uint32
	ch  *catalog.Change
}

type commitReq struct {
	w    *Writes
	snap uint64
	ctx  context.Context
	done chan commitResult
}

type commitResult struct {
	off log.Offset
	err error
}

type appended struct {
	off   log.Offset
	seq   uint64
	reqs  []*commitReq
	err   error
	start time.Time
	rec   *log.Record
}

// NewCommitter starts a committer appending to l and waiting for st.
func NewCommitter(l log.Log, st *Store, logger *slog.Logger) *Committer {
	if logger == nil {
		logger = slog.Default()
	}
	c := &Committer{
		log: l, store: st, logger: logger,
		reqs: make(chan *commitReq, 4096), applied: make(chan appended, 64), closed: make(chan struct{}),
		pending: map[pendKey]uint64{}, batches: map[uint64][]pendKey{}, MaxBatch: 2048, pendTables: map[uint32]int{},
	}
	c.wg.Add(2)
	go c.run()
	go c.acks()
	return c
}

// Stats returns the committer's counters.
func (c *Committer) Stats() *CommitStats { return &c.stats }

// Close stops the committer; commits in flight fail.
func (c *Committer) Close() {
	close(c.closed)
	c.wg.Wait()
}

// ErrClosed is returned for commits after Close.
var ErrClosed = pgerr.New(pgerr.AdminShutdown, "terminating connection due to administrator command")

// Commit validates w against everything committed after snap and appends it
// to the log. It returns once the record is durable and applied to the row
// state, with the record's offset.
func (c *Committer) Commit(ctx context.Context, w *Writes, snap log.Offset) (log.Offset, error) {
	if w.Empty() {
		return 0, nil
	}
	r := &commitReq{w: w, snap: uint64(snap), ctx: ctx, done: make(chan commitResult, 1)}
	select {
	case c.reqs <- r:
	case <-c.closed:
		return 0, ErrClosed
	}
	// Once queued, the outcome is decided by the committer: waiting on ctx
	// here could report failure for a transaction that commits.
	select {
	case res := <-r.done:
		return res.off, res.err
	case <-c.closed:
		return 0, ErrClosed
	}
}

func (c *Committer) run() {
	defer c.wg.Done()
	defer close(c.applied)
	ctx := context.Background()
	var batch []*commitReq
	var txns []log.Txn
	for {
		batch, txns = batch[:0], txns[:0]
		var first *commitReq
		select {
		case first = <-c.reqs:
		case <-c.closed:
			return
		}
		c.mu.Lock()
		c.seq++
		seq := c.seq
		add := func(r *commitReq) {
			parts, err := c.validate(r, seq)
			if err != nil {
				c.stats.Conflicts.Add(1)
				r.done <- commitResult{err: err}
				return
			}
			batch = append(batch, r)
			now := time.Now().UnixMicro()
			for _, ops := range parts {
				txns = append(txns, log.Txn{ID: c.txnID.Add(1), CommitTime: now, Ops: ops})
			}
		}
		add(first)
	drain:
		for len(batch) < c.MaxBatch {
			select {
			case r := <-c.reqs:
				add(r)
			default:
				break drain
			}
		}
		c.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		start := time.Now()
		off, err := c.log.Append(ctx, &log.Record{Txns: append([]log.Txn(nil), txns...)})
		if err != nil {
			c.logger.Error("log append failed", "err", err, "txns", len(batch))
			c.applied <- appended{seq: seq, reqs: append([]*commitReq(nil), batch...), err: err}
			c.resync()
			continue
		}
		c.stats.Records.Add(1)
		c.stats.Txns.Add(int64(len(batch)))
		c.applied <- appended{off: off, seq: seq, reqs: append([]*commitReq(nil), batch...), start: start,
			rec: &log.Record{Txns: append([]log.Txn(nil), txns...)}}
	}
}

// resync waits after a failed append until the row state reflects the whole
// log: the failed record may or may not have been stored, and validation must
// see it if it was.
func (c *Committer) resync() {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		last, err := c.log.Last(ctx)
		if err == nil {
			err = c.store.WaitApplied(ctx, last)
		}
		cancel()
		if err == nil {
			return
		}
		select {
		case <-c.closed:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Committer) acks() {
	defer c.wg.Done()
	for a := range c.applied {
		if a.err == nil {
			// The record is durable. The committer is the log's only writer
			// (appends are fenced on the expected last sequence), so every
			// earlier record is applied or being applied: apply this one
			// now rather than wait for the log to deliver it back.
			if c.store.Applied() < a.off && c.store.Applied() >= c.lastOff {
				if err := c.store.Apply(log.Entry{Offset: a.off, Time: time.Now(), Record: a.rec}); err != nil {
					c.logger.Error("applying own record", "offset", uint64(a.off), "err", err)
				}
			}
			c.lastOff = a.off
			if err := c.store.WaitApplied(context.Background(), a.off); err != nil {
				a.err = err
			}
		}
		c.mu.Lock()
		for _, k := range c.batches[a.seq] {
			if c.pending[k] == a.seq {
				delete(c.pending, k)
				if c.pendTables[k.table]--; c.pendTables[k.table] <= 0 {
					delete(c.pendTables, k.table)
				}
			}
		}
		delete(c.batches, a.seq)
		bigs := c.bigs[:0]
		for _, b := range c.bigs {
			if b.seq != a.seq {
				bigs = append(bigs, b)
			}
		}
		clear(c.bigs[len(bigs):])
		c.bigs = bigs
		kept := c.pendChanges[:0]
		for _, pc := range c.pendChanges {
			if pc.seq != a.seq {
				kept = append(kept, pc)
			}
		}
		c.pendChanges = kept
		c.mu.Unlock()
		for _, r := range a.reqs {
			if a.err != nil {
				r.done <- commitResult{err: fmt.Errorf("commit: %w", a.err)}
			} else {
				r.done <- commitResult{off: a.off}
			}
		}
	}
}

func serializationFailure(format string, args ...any) error {
	return pgerr.New(pgerr.SerializationFailure, "could not serialize access due to "+format, args...)
}

// validate checks r against the newest row state and the pending batches,
// then records its keys as pending in batch seq. It returns the operations
// of r's log transactions (one, or one per part of a Split write set).
// c.mu is held.
func (c *Committer) validate(r *commitReq, seq uint64) ([][]log.Op, error) {
	w, snap := r.w, r.snap
	if w.HasDDL() {
		// Changes carry whole definitions, so two transactions changing the
		// same object conflict; unrelated DDL commits side by side.
		cat := c.store.Catalog()
		for _, pc := range c.pendChanges {
			if next, err := cat.Apply(pc.ch); err == nil {
				cat = next
			}
		}
		for _, ch := range w.ddl {
			id := ch.ID
			if ch.Table != nil {
				id = ch.Table.ID
			}
			if t := c.store.Table(id); t != nil && t.schemaAt.Load() > snap {
				return nil, serializationFailure("concurrent change of the definition of %q", t.Def().Name)
			}
			for _, pc := range c.pendChanges {
				if pc.id == id {
					return nil, serializationFailure("concurrent schema change")
				}
			}
			var err error
			if cat, err = cat.Apply(ch); err != nil {
				return nil, err
			}
		}
	}
	keys := make([]pendKey, 0, min(w.n, bigWrites))
	var bigs []bigPending
	for id, tw := range w.tables {
		t := c.store.Table(id)
		created := false
		for _, ch := range w.ddl {
			if ch.Kind == catalog.CreateTable && ch.Table.ID == id {
				created = true
			}
		}
		if t == nil {
			if !created {
				return nil, serializationFailure("concurrent drop of table %d", id)
			}
			continue
		}
		if t.schemaAt.Load() > snap {
			return nil, serializationFailure("concurrent change of the definition of table %q", t.Def().Name)
		}
		if tw.Truncated || w.HasDDL() {
			if t.lastWrite.Load() > snap {
				return nil, serializationFailure("concurrent update of table %q", t.Def().Name)
			}
			if c.tableBusy(id) {
				return nil, serializationFailure("concurrent update of table %q", t.Def().Name)
			}
		}
		def := t.Def()
		// Keys of this table are looked up in the pending writes only if
		// there are any, and in the row state only if the table changed
		// after the write's base (lastWrite is stored before a record's
		// rows, and a record's keys stay pending until it is applied).
		checkPending := c.tableBusy(id)
		lastWrite := t.lastWrite.Load()
		big := len(tw.order) >= bigWrites
		for _, k := range tw.order {
			p := tw.rows[k]
			pk := pendKey{id, k}
			if checkPending && c.busy(pk) {
				if !p.InBase && p.Row != nil {
					return nil, duplicateKey(def, p)
				}
				return nil, serializationFailure("concurrent update")
			}
			if !tw.Truncated {
				// A write is validated against the version it was based
				// on: its statement's snapshot, or the version re-read
				// after waiting for the row's lock.
				base := p.Base
				if base == 0 {
					base = snap
				}
				if lastWrite > base { // else nothing of the table changed after base
					if v := t.latest(p.Key); v != nil {
						if end := v.End(); v.Begin > base || (end != Live && end > base) {
							if !p.InBase && p.Row != nil && end == Live {
								return nil, duplicateKey(def, p)
							}
							return nil, serializationFailure("concurrent update")
						}
					}
				}
			}
			if p.Row != nil {
				for i := range def.Indexes {
					ix := &def.Indexes[i]
					if ix.Unique && !ix.Primary && t.UniqueConflict(ix, p.Row, p.Key, Live) {
						return nil, pgerr.New(pgerr.UniqueViolation, "duplicate key value violates unique constraint %q", ix.Name)
					}
				}
			}
			if !big {
				keys = append(keys, pk)
			}
		}
		if big {
			bigs = append(bigs, bigPending{table: id, tw: tw})
		}
	}
	ops, err := w.txnOps()
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		c.pending[k] = seq
		c.pendTables[k.table]++
	}
	c.batches[seq] = append(c.batches[seq], keys...)
	for _, b := range bigs {
		b.seq = seq
		c.bigs = append(c.bigs, b)
	}
	for _, ch := range w.ddl {
		id := ch.ID
		if ch.Table != nil {
			id = ch.Table.ID
		}
		c.pendChanges = append(c.pendChanges, pendChange{seq: seq, id: id, ch: ch})
	}
	return ops, nil
}

func duplicateKey(def *catalog.Table, p *PendingRow) error {
	name := def.Name + "_pkey"
	if pk := def.PK(); pk != nil {
		name = pk.Name
	}
	return pgerr.New(pgerr.UniqueViolation, "duplicate key value violates unique constraint %q", name)
}

// IsConflict reports whether err is a serialization failure.
func IsConflict(err error) bool {
	var pe *pgerr.Error
	return errors.As(err, &pe) && pe.Code == pgerr.SerializationFailure
}
