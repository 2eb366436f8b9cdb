package oltp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Committer validates transactions and appends them to the log, many per
// record (group commit). It is the only writer of the log.
//
// One goroutine (run) takes commit requests in arrival order, validates each
// against the row state plus every transaction validated before it that is
// not applied yet (pending), and appends the accepted ones as one record.
// While appends are in flight new requests are validated and sealed into
// the next record as they arrive (eager sealing: those that asked release
// their locks at once, CommitOptions.Placed), and it is sent once an append
// slot is free, so concurrent commits share a JetStream round trip and
// fsync, and a hot row's next writer need not wait for the fsync.
// With a log.Pipelined log up to SetMaxInFlight records are in flight: run
// sends record k+1 (log.Pipelined.StartAppend) while k is being stored and
// synced. A second goroutine (acks) waits for each record's append in order,
// applies it to the row store and only then answers its transactions, so a
// client that is told "COMMIT" reads its own writes, and no record is
// answered before the ones sent ahead of it. Having freed an append slot
// that a sealed record waits for, acks yields its P to run, so the next
// record goes to the disk before this one is applied (unless the Ps are
// saturated, procs.Saturated, where the wait batches more per fsync).
// When an append fails, every record sent after it fails too (it may have been validated against the
// failed one's writes; the log refuses to store it after a missing
// predecessor): acks fails the rest of that gen, and run, before it
// validates the next batch, waits until acks has answered everything sent,
// recovers the log writer and waits for the row state to reflect the log
// (recoverPipeline).
type Committer struct {
	log    log.Log
	store  *Store
	logger *slog.Logger

	reqs chan *commitReq
	// eager takes the requests that release locks early (Placed): run
	// seals them while a record is in flight; the others wait in reqs
	// until it is sent (one wakeup for the lot).
	eager   chan *commitReq
	applied chan appended
	closed  chan struct{}
	wg      sync.WaitGroup
	// slots holds a token per append in flight (at most maxInFlight);
	// acks signals freed after it took one out.
	slots chan struct{}
	freed chan struct{}
	// service is the moving average of a record's append time (ns)
	// counted from when the disk could start on it: the later of its
	// send and its predecessor's acknowledgement (acks only writes it).
	service atomic.Int64
	// sealedWaiting is set by run while a sealed record waits for an
	// append slot: acks, having freed one, yields its P to run.
	sealedWaiting atomic.Bool
	// broken is set by acks when a pipelined append failed: run recovers
	// (recoverPipeline) before it validates the next batch.
	broken atomic.Bool
	// gen counts recoveries (run only); a batch carries the gen it was
	// sealed in, and acks fails every batch of a gen after its first
	// failure.
	gen uint64

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
	// pendUnique holds the values of non-primary unique indexes written
	// by pending transactions (the row state does not show them yet), and
	// uniqBatches each batch's entries, dropped with its pending keys.
	pendUnique  map[uniqKey]uniqHolder
	uniqBatches map[uint64][]pendingUnique
	seq         uint64
	txnID       atomic.Uint64
	// lastOff is the offset of the committer's previous record (acks
	// goroutine only): a record is applied directly only when the store has
	// applied everything up to it.
	lastOff log.Offset

	// MaxBatch bounds the transactions in one record.
	MaxBatch int
	// maxInFlight bounds the records being appended at once when the log
	// is a log.Pipelined (SetMaxInFlight).
	maxInFlight atomic.Int32
	// OnDurable, if set (before the first commit), is called on the acks
	// goroutine with every durable record, in offset order, before the
	// row store applies it and its transactions are answered: the column
	// store's materializer takes it from there (materializer.Direct). It
	// must not block.
	OnDurable func(e log.Entry)
	stats     CommitStats
	trace     atomic.Pointer[CommitTrace]
	// refs remembers foreign-key references and removals (references.go).
	refs refState
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

// pendingSeq reports whether key k is written by a pending transaction, and
// the batch sequence of the newest one. c.mu is held.
func (c *Committer) pendingSeq(k pendKey) (uint64, bool) {
	seq, found := c.pending[k]
	for i := range c.bigs {
		if b := &c.bigs[i]; b.table == k.table && (!found || b.seq > seq) {
			if _, ok := b.tw.get(k.key); ok {
				seq, found = b.seq, true
			}
		}
	}
	return seq, found
}

// busy reports whether key k is written by a pending transaction. c.mu is
// held.
func (c *Committer) busy(k pendKey) bool {
	_, ok := c.pendingSeq(k)
	return ok
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
	// refs are the tables a new foreign key of the change references:
	// their rows were checked against it at the transaction's snapshot.
	refs []uint32
}

type commitReq struct {
	w      *Writes
	snap   uint64
	ctx    context.Context
	done   chan commitResult
	after  *Batch
	placed func(*Batch)
	// st are the stage timestamps of a traced commit (SetTrace).
	st *stamps
}

// Batch is one group of transactions the committer sealed into a record.
// Its outcome is decided once: applied (the record is durable and applied to
// the row store) or failed (the append failed; the transactions were told so).
//
// Early lock release: a transaction may release its row locks once it is
// sealed into a batch (CommitOptions.Placed), before the record is durable.
// Its place in the log order is then fixed: every transaction validated
// later goes into a later record, records are stored in order (never one
// without those sealed before it), and a record is acknowledged only after
// the earlier ones. A transaction that read such a not yet durable write
// (through the lock it then took) names the batch in CommitOptions.After:
// it is rejected (40001) if that batch failed — or fails with it, if its
// own record was already sent — so it is never acknowledged unless its
// predecessor is durable.
type Batch struct {
	seq   uint64
	off   atomic.Uint64 // the record's offset; stored before the outcome
	state atomic.Int32  // batchInFlight, batchApplied, batchFailed
	done  chan struct{}
}

const (
	batchInFlight int32 = iota
	batchApplied
	batchFailed
)

func newBatch(seq uint64) *Batch { return &Batch{seq: seq, done: make(chan struct{})} }

func (b *Batch) finish(state int32) {
	if b.state.CompareAndSwap(batchInFlight, state) {
		close(b.done)
	}
}

// Seq returns the batch's position in the committer's order (larger is
// later).
func (b *Batch) Seq() uint64 { return b.seq }

// Offset returns the batch's record's offset once it is known (0 before:
// it is stored before the outcome, so every applied batch has it).
func (b *Batch) Offset() uint64 { return b.off.Load() }

// Applied reports whether the batch's record is durable and applied to the
// row store.
func (b *Batch) Applied() bool { return b.state.Load() == batchApplied }

// Failed reports whether the batch's append failed.
func (b *Batch) Failed() bool { return b.state.Load() == batchFailed }

// Done reports whether the batch's outcome is decided.
func (b *Batch) Done() bool { return b.state.Load() != batchInFlight }

// Wait waits until the batch is applied; it fails if the batch failed or ctx
// ends first.
func (b *Batch) Wait(ctx context.Context) error {
	select {
	case <-b.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if b.Failed() {
		return errPredecessorFailed
	}
	return nil
}

// errEarlierAppendFailed fails a pipelined record that was sent while an
// earlier one was in flight whose append then failed.
var errEarlierAppendFailed = errors.New("an earlier log append failed")

// errPredecessorFailed rejects a transaction that read a write of a batch
// whose append failed.
var errPredecessorFailed = serializationFailure("a failed commit of a transaction whose write it read")

// CommitOptions are CommitWith's options.
type CommitOptions struct {
	// After is the newest batch whose not yet durable writes the
	// transaction read (early lock release): the commit fails with 40001
	// if that batch failed. The transaction's own record always follows
	// the batch's, so it is acknowledged only after the batch is durable;
	// a transaction without writes waits for the batch to be applied.
	After *Batch
	// Placed, if set, is called on the committer's goroutine once the
	// transaction is validated and sealed into batch b, before b is
	// appended: the transaction may then release its locks (publishing its
	// writes for the next lock holders, LockTable.ReleaseEarly). It must be
	// quick and must not call the committer.
	Placed func(b *Batch)
}

type commitResult struct {
	off log.Offset
	err error
}

type appended struct {
	off   log.Offset
	seq   uint64
	batch *Batch // nil unless a transaction asked for it (CommitOptions.Placed)
	reqs  []*commitReq
	err   error
	start time.Time
	rec   *log.Record
	// wait, for a pipelined append, returns off and err (acks calls it,
	// then frees the slot).
	wait log.Pending
	gen  uint64
	// sync, if set, is closed by acks when it reaches it: everything sent
	// before is answered.
	sync chan struct{}
	// sent and published are when the record was handed to the log and
	// when StartAppend returned (traced commits only).
	sent, published int64
}

// NewCommitter starts a committer appending to l and waiting for st.
func NewCommitter(l log.Log, st *Store, logger *slog.Logger) *Committer {
	if logger == nil {
		logger = slog.Default()
	}
	c := &Committer{
		log: l, store: st, logger: logger,
		reqs: make(chan *commitReq, 4096), eager: make(chan *commitReq, 4096), applied: make(chan appended, 64), closed: make(chan struct{}),
		slots: make(chan struct{}, maxSlots), freed: make(chan struct{}, maxSlots),
		pending: map[pendKey]uint64{}, batches: map[uint64][]pendKey{},
		pendUnique: map[uniqKey]uniqHolder{}, uniqBatches: map[uint64][]pendingUnique{}, MaxBatch: 2048, pendTables: map[uint32]int{},
		gen: 1,
	}
	c.maxInFlight.Store(DefaultMaxInFlight)
	c.wg.Add(2)
	go c.run()
	go c.acks()
	return c
}

// DefaultMaxInFlight is SetMaxInFlight's default: one record at a time.
// Two in flight (the next record sent while one is stored and synced) did
// not win on a quiet machine: the held-back second record splits groups
// (19 against 23 transactions per fsync at 64 connections) and the embedded
// server stores one connection's messages in order anyway, so at 1, 8 and
// 64 connections one in flight was as fast or faster in 8 of 9 runs
// (docs/benchmarks.md, "Pipelined appends"). `omendb bench commit
// --in-flight 1,2` compares them.
const DefaultMaxInFlight = 1

// maxSlots bounds SetMaxInFlight.
const maxSlots = 8

// SetMaxInFlight bounds the records being appended at once when the log is
// a log.Pipelined: 1 appends one after another (each record is sent once
// the previous one is acknowledged). Safe at any time; it applies from the
// next record.
func (c *Committer) SetMaxInFlight(n int) {
	c.maxInFlight.Store(int32(min(max(n, 1), maxSlots)))
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
	return c.CommitWith(ctx, w, snap, CommitOptions{})
}

// CommitWith is Commit with early lock release (see Batch and
// CommitOptions).
func (c *Committer) CommitWith(ctx context.Context, w *Writes, snap log.Offset, o CommitOptions) (log.Offset, error) {
	if w.Empty() {
		if o.After != nil {
			// Nothing to append, but the transaction read writes of a
			// batch that is not durable yet: answer after it.
			if err := o.After.Wait(ctx); err != nil {
				return 0, fmt.Errorf("commit: %w", err)
			}
		}
		return 0, nil
	}
	r := &commitReq{w: w, snap: uint64(snap), ctx: ctx, done: make(chan commitResult, 1), after: o.After, placed: o.Placed}
	tr := c.trace.Load()
	if tr != nil {
		r.st = &stamps{stamp()}
	}
	q := c.reqs
	if o.Placed != nil {
		q = c.eager
	}
	select {
	case q <- r:
	case <-c.closed:
		return 0, ErrClosed
	}
	// Once queued, the outcome is decided by the committer: waiting on ctx
	// here could report failure for a transaction that commits.
	select {
	case res := <-r.done:
		if tr != nil && res.err == nil && r.st[StageApply+1] != 0 {
			r.st[StageWake+1] = stamp()
			tr.add(r.st)
		}
		return res.off, res.err
	case <-c.closed:
		return 0, ErrClosed
	}
}

func (c *Committer) run() {
	defer c.wg.Done()
	defer close(c.applied)
	ctx := context.Background()
	pl, pipelined := c.log.(log.Pipelined)
	var lastSend time.Time
	var batch, redo []*commitReq
	var txns []log.Txn
	for {
		batch, txns = batch[:0], txns[:0]
		var first *commitReq
		select {
		case first = <-c.reqs:
		case first = <-c.eager:
		case <-c.closed:
			return
		}
		if c.broken.Load() {
			c.recoverPipeline(pl)
		}
		// Take the append slot before validating: the requests that
		// arrive while the earlier records are in flight join this one.
		if pipelined {
			select {
			case c.slots <- struct{}{}:
			case <-c.closed:
				first.done <- commitResult{err: ErrClosed}
				return
			}
		}
		gen := c.gen // the batch is validated against this gen's pending writes
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
			if r.st != nil {
				r.st[StageQueue+1] = stamp()
			}
			now := time.Now().UnixMicro()
			for _, ops := range parts {
				txns = append(txns, log.Txn{ID: c.txnID.Add(1), CommitTime: now, Ops: ops})
			}
		}
		drain := func() {
			for len(batch) < c.MaxBatch {
				select {
				case r := <-c.eager:
					add(r)
				case r := <-c.reqs:
					add(r)
				default:
					return
				}
			}
		}
		add(first)
		drain()
		c.mu.Unlock()
		// The transactions in batch[:placed] are sealed: their place in
		// the log order is fixed, so those that asked may release their
		// locks (after c.mu: Placed takes LockTable.mu).
		var b *Batch
		placed := 0
		place := func() {
			for _, r := range batch[placed:] {
				if r.placed != nil {
					if b == nil {
						b = newBatch(seq)
					}
					r.placed(b)
				}
			}
			placed = len(batch)
		}
		if pipelined {
			// Eager sealing: while the predecessor is being stored and
			// synced, the transactions that release locks early are
			// validated and sealed into this record as they arrive (with
			// the others queued by then), and it is sent when the
			// predecessor is durable.
			place()
			reqs := c.eager
			c.sealedWaiting.Store(true)
			for len(c.slots) > int(c.maxInFlight.Load()) {
				if len(batch) >= c.MaxBatch {
					reqs = nil
				}
				select {
				case <-c.freed:
				case r := <-reqs:
					c.mu.Lock()
					add(r)
					drain()
					c.mu.Unlock()
					place()
				case <-c.closed:
					c.sealedWaiting.Store(false)
					c.abandon(batch, b)
					return
				}
			}
			c.sealedWaiting.Store(false)
			c.holdBack(lastSend)
			if c.broken.Load() {
				// A predecessor's append failed while this record was
				// sealed but not sent: wait until everything sent is
				// answered, then validate its transactions again in a
				// fresh batch — those that read a failed write (its own
				// pending versions are withdrawn with it) are rejected,
				// the others commit.
				c.recoverPipeline(pl)
			}
			if c.gen != gen && len(batch) > 0 {
				redo = append(redo[:0], batch...)
				batch, txns = batch[:0], txns[:0]
				c.mu.Lock()
				c.forgetLocked(seq)
				if b != nil {
					b.finish(batchFailed)
					b = nil
				}
				c.seq++
				seq = c.seq
				for _, r := range redo {
					add(r)
				}
				c.mu.Unlock()
				clear(redo)
				placed = len(batch) // their locks are released already
			}
			// The requests queued meanwhile join the record.
			c.mu.Lock()
			drain()
			c.mu.Unlock()
		}
		if len(batch) == 0 {
			if pipelined {
				<-c.slots
			}
			continue
		}
		place()
		start := time.Now()
		// The log and the stores share the record, read-only.
		rec := &log.Record{Txns: append([]log.Txn(nil), txns...)}
		reqs := append([]*commitReq(nil), batch...)
		var (
			p   log.Pending
			off log.Offset
			err error
		)
		var sent, published int64
		if tr := c.trace.Load(); tr != nil {
			sent = stamp()
			if st := batch[0].st; st != nil && st[0] < tr.lastAck.Load() {
				tr.addGap(time.Duration(sent - tr.lastAck.Load()))
			}
		}
		if pipelined {
			lastSend = start
			p, err = pl.StartAppend(ctx, rec)
		} else {
			off, err = c.log.Append(ctx, rec)
		}
		if sent != 0 {
			published = stamp()
		}
		if err != nil {
			c.logger.Error("log append failed", "err", err, "txns", len(batch))
			if b != nil {
				// Before the next batch is validated: its transactions
				// that read this batch's writes must fail.
				b.finish(batchFailed)
			}
			if pipelined {
				<-c.slots
			}
			c.applied <- appended{seq: seq, batch: b, reqs: reqs, err: err, gen: c.gen}
			if pipelined {
				c.recoverPipeline(pl)
			} else {
				c.resync()
			}
			continue
		}
		c.applied <- appended{off: off, seq: seq, batch: b, reqs: reqs, start: start, rec: rec, wait: p, gen: c.gen, sent: sent, published: published}
	}
}

// abandon fails a sealed batch that was never sent because the committer
// closed.
func (c *Committer) abandon(batch []*commitReq, b *Batch) {
	if b != nil {
		b.finish(batchFailed)
	}
	for _, r := range batch {
		r.done <- commitResult{err: ErrClosed}
	}
}

// holdBack delays sealing a record while another one, sent at since, is in
// flight, until about three quarters of an append's usual time after it:
// sent then, the record still reaches the log before its predecessor's
// sync ends (the disk never waits for the committer), and the requests that
// arrive meanwhile join it rather than fill a record of their own (each
// record costs a sync). It returns at once if the predecessor finishes
// first.
func (c *Committer) holdBack(since time.Time) {
	if len(c.slots) <= 1 {
		return
	}
	d := time.Until(since.Add(time.Duration(c.service.Load()) * 3 / 4))
	if d < 20*time.Microsecond {
		return
	}
	for drained := false; !drained; {
		select {
		case <-c.freed:
		default:
			drained = true
		}
	}
	if len(c.slots) <= 1 { // finished before the drain
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.freed:
	case <-c.closed:
	}
}

// recoverPipeline makes the committer usable after a failed pipelined
// append: it waits until acks has answered every batch sent so far (those
// after the failure failed with it), recovers the log writer, starts a new
// gen and waits for the row state to reflect the whole log (resync).
func (c *Committer) recoverPipeline(pl log.Pipelined) {
	done := make(chan struct{})
	select {
	case c.applied <- appended{sync: done}:
	case <-c.closed:
		return
	}
	select {
	case <-done:
	case <-c.closed:
		return
	}
	_ = pl.Recover(context.Background()) // nothing in flight: reports the failure acks logged
	c.gen++
	c.broken.Store(false)
	c.resync()
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
	failedGen := uint64(0) // the gen whose append failed (0: none)
	var failedErr error    // and how
	var lastDone time.Time // when the previous pipelined append returned
	for a := range c.applied {
		if a.sync != nil {
			close(a.sync)
			continue
		}
		var acked int64
		if a.wait != nil {
			a.off, a.err = a.wait.Wait()
			now := time.Now()
			if a.sent != 0 {
				acked = stamp()
				if tr := c.trace.Load(); tr != nil {
					tr.lastAck.Store(acked)
				}
			}
			if a.err == nil {
				d := now.Sub(a.start)
				if lastDone.After(a.start) {
					d = now.Sub(lastDone)
				}
				old := c.service.Load()
				c.service.Store(old - old/8 + int64(d)/8)
			}
			lastDone = now
			if a.err == nil && a.gen == failedGen {
				// Sealed before an earlier record of its gen failed: it
				// may have been validated against that record's writes.
				a.err = fmt.Errorf("%w: %w", errEarlierAppendFailed, failedErr)
			}
			if a.err != nil && a.gen != failedGen {
				c.logger.Error("log append failed", "err", a.err, "txns", len(a.reqs))
				failedGen, failedErr = a.gen, a.err
				c.broken.Store(true)
			}
			// The slot is freed once the outcome is known: run, holding
			// a record sealed behind this one, checks broken before it
			// sends it.
			<-c.slots
			select {
			case c.freed <- struct{}{}:
			default:
			}
			if c.sealedWaiting.Load() && !procs.Saturated() {
				// A sealed record waits for this slot, and run was just
				// made runnable on this P: let it send the record now, so
				// the disk starts on it before this record is applied and
				// answered rather than after (TPC-B-like: the next send
				// 0.06 ms sooner, 4 % more TPS on average; docs/
				// benchmarks.md, "Twentieth stop"). Not while
				// the Ps are saturated: there the records that gather
				// meanwhile save fsyncs, which cost CPU.
				runtime.Gosched()
			}
		} else if a.err != nil {
			failedGen, failedErr = a.gen, a.err
		}
		if a.err == nil {
			if a.batch != nil {
				a.batch.off.Store(uint64(a.off))
			}
			c.stats.Records.Add(1)
			c.stats.Txns.Add(int64(len(a.reqs)))
			// The record is durable. The committer is the log's only writer
			// (appends are fenced on the expected last sequence), so every
			// earlier record is applied or being applied: apply this one
			// now rather than wait for the log to deliver it back.
			e := log.Entry{Offset: a.off, Time: time.Now(), Record: a.rec}
			if c.OnDurable != nil {
				c.OnDurable(e)
			}
			if c.store.Applied() < a.off && c.store.Applied() >= c.lastOff {
				if err := c.store.Apply(e); err != nil {
					c.logger.Error("applying own record", "offset", uint64(a.off), "err", err)
				}
			}
			c.lastOff = a.off
			if err := c.store.WaitApplied(context.Background(), a.off); err != nil {
				a.err = err
			}
		}
		c.mu.Lock()
		if a.err == nil {
			c.forgetRefs(a.seq, uint64(a.off))
		}
		c.forgetLocked(a.seq)
		c.mu.Unlock()
		if a.batch != nil {
			// After its keys left pending: a lock holder that finds the
			// batch done reads the row store, and its write, based on
			// this batch's version, must not meet the batch as pending.
			if a.err != nil {
				a.batch.finish(batchFailed)
			} else {
				a.batch.finish(batchApplied)
			}
		}
		var applied int64
		if acked != 0 {
			applied = stamp()
		}
		for _, r := range a.reqs {
			if r.st != nil && applied != 0 {
				r.st[StageSeal+1], r.st[StagePublish+1], r.st[StageDurable+1], r.st[StageApply+1] = a.sent, a.published, acked, applied
			}
			if a.err != nil {
				r.done <- commitResult{err: fmt.Errorf("commit: %w", a.err)}
			} else {
				r.done <- commitResult{off: a.off}
			}
		}
	}
}

// forgetLocked drops batch seq's pending keys, bulk writes and catalog
// changes (applied, failed, or to be validated again). c.mu is held.
func (c *Committer) forgetLocked(seq uint64) {
	for _, k := range c.batches[seq] {
		if c.pending[k] == seq {
			delete(c.pending, k)
			if c.pendTables[k.table]--; c.pendTables[k.table] <= 0 {
				delete(c.pendTables, k.table)
			}
		}
	}
	delete(c.batches, seq)
	for _, u := range c.uniqBatches[seq] {
		if c.pendUnique[u.uniqKey].seq == seq {
			delete(c.pendUnique, u.uniqKey)
		}
	}
	delete(c.uniqBatches, seq)
	bigs := c.bigs[:0]
	for _, b := range c.bigs {
		if b.seq != seq {
			bigs = append(bigs, b)
		}
	}
	clear(c.bigs[len(bigs):])
	c.bigs = bigs
	kept := c.pendChanges[:0]
	for _, pc := range c.pendChanges {
		if pc.seq != seq {
			kept = append(kept, pc)
		}
	}
	c.pendChanges = kept
	c.forgetRefs(seq, 0)
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
	if r.after != nil && r.after.Failed() {
		return nil, errPredecessorFailed
	}
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
			if t := c.store.Table(id); t != nil && ch.Table != nil && ch.Kind != catalog.CreateTable &&
				(t.lastWrite.Load() > snap || c.tableBusy(id)) {
				// A new definition was checked against the rows at snap
				// (CHECK, UNIQUE, PRIMARY KEY): rows written since were not.
				return nil, serializationFailure("concurrent update of table %q", t.Def().Name)
			}
			for _, pc := range c.pendChanges {
				if pc.id == id {
					return nil, serializationFailure("concurrent schema change")
				}
			}
			if ch.Table != nil {
				// A new foreign key was checked against the referenced
				// rows at snap: they must not have changed since.
				var old *catalog.Table
				if t := c.store.Table(id); t != nil {
					old = t.Def()
				}
				for _, ref := range newReferences(old, ch.Table) {
					if rt := c.store.Table(ref); rt != nil && (rt.lastWrite.Load() > snap || c.tableBusy(ref)) {
						return nil, serializationFailure("concurrent update of table %q", rt.Def().Name)
					}
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
	var uniq []pendingUnique
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
		for _, pc := range c.pendChanges {
			// A change validated but not applied yet: the rows were
			// written under the definition before it.
			if (pc.id == id || slices.Contains(pc.refs, id)) && !slices.Contains(w.ddl, pc.ch) {
				return nil, serializationFailure("concurrent change of the definition of table %q", t.Def().Name)
			}
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
		for _, ch := range w.ddl {
			// Rows written after a definition change of the transaction
			// (a rewrite's, an index it created) have the new one.
			if ch.Table != nil && ch.Table.ID == id {
				def = ch.Table
			}
		}
		// Keys of this table are looked up in the pending writes only if
		// there are any, and in the row state only if the table changed
		// after the write's base (lastWrite is stored before a record's
		// rows, and a record's keys stay pending until it is applied).
		checkPending := c.tableBusy(id)
		lastWrite := t.lastWrite.Load()
		uniques := hasSecondaryUnique(def)
		big := len(tw.order) >= bigWrites
		for _, p := range tw.order {
			k := pendingKey(p)
			pk := pendKey{id, k}
			after := p.After
			if after != nil && after.Failed() {
				return nil, errPredecessorFailed
			}
			// superseding: the write is based on the key's newest pending
			// write, read through the lock its writer released early.
			superseding := false
			if checkPending {
				if s, ok := c.pendingSeq(pk); ok {
					if after == nil || s != after.seq {
						if !p.InBase && !p.Deleted() {
							return nil, duplicateKey(def, p)
						}
						return nil, serializationFailure("concurrent update")
					}
					superseding = true
				}
			}
			if !tw.Truncated && !superseding {
				// A write is validated against the version it was based
				// on: its statement's snapshot, or the version re-read
				// after waiting for the row's lock (an applied batch's,
				// when it was read before that batch was durable).
				base := p.Base
				if base == 0 {
					base = snap
				}
				if after != nil {
					base = max(base, after.off.Load())
				}
				if lastWrite > base { // else nothing of the table changed after base
					if v := t.latest(p.Key); v != nil {
						if end := v.End(); v.Begin > base || (end != Live && end > base) {
							if !p.InBase && !p.Deleted() && end == Live {
								return nil, duplicateKey(def, p)
							}
							return nil, serializationFailure("concurrent update")
						}
					}
				}
			}
			if uniques && !p.Deleted() {
				if err := c.checkUnique(t, def, tw, p, &uniq); err != nil {
					return nil, err
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
	if w.refs[refUse] != nil || w.refs[refGone] != nil {
		if err := c.checkRefs(w); err != nil {
			return nil, err
		}
	}
	if w.reads != nil {
		if err := c.checkReads(w, uint64(snap)); err != nil {
			return nil, err
		}
	}
	ops, err := w.txnOps()
	if err != nil {
		return nil, err
	}
	c.addRefs(w, seq)
	for _, k := range keys {
		if _, ok := c.pending[k]; !ok {
			c.pendTables[k.table]++
		}
		c.pending[k] = seq
	}
	c.batches[seq] = append(c.batches[seq], keys...)
	for _, u := range uniq {
		c.pendUnique[u.uniqKey] = uniqHolder{seq: seq, pk: u.pk}
	}
	if len(uniq) > 0 {
		c.uniqBatches[seq] = append(c.uniqBatches[seq], uniq...)
	}
	for _, b := range bigs {
		b.seq = seq
		c.bigs = append(c.bigs, b)
	}
	for _, ch := range w.ddl {
		id := ch.ID
		if ch.Table != nil {
			id = ch.Table.ID
		}
		var refs []uint32
		if ch.Table != nil {
			var old *catalog.Table
			if t := c.store.Table(id); t != nil {
				old = t.Def()
			}
			refs = newReferences(old, ch.Table)
		}
		c.pendChanges = append(c.pendChanges, pendChange{seq: seq, id: id, ch: ch, refs: refs})
	}
	return ops, nil
}

// uniqKey names one value of a table's non-primary unique index.
type uniqKey struct {
	table, index uint32
	val          string
}

// uniqHolder is the pending write holding a uniqKey: its batch and
// primary key.
type uniqHolder struct {
	seq uint64
	pk  string
}

type pendingUnique struct {
	uniqKey
	pk string
}

func hasSecondaryUnique(def *catalog.Table) bool {
	for i := range def.Indexes {
		if ix := &def.Indexes[i]; ix.Unique && !ix.Primary {
			return true
		}
	}
	return false
}

// checkUnique checks the values p gives the table's non-primary unique
// indexes against every other row: the newest applied row state (not the
// transaction's snapshot: a statement already checked that) and the writes
// of pending transactions. A holder the transaction itself deletes or
// gives another value is no conflict. A holder that a pending transaction
// is rewriting may be about to give the value up: that is a serialization
// failure (40001, retried), not a violation. The values are added to out,
// to be recorded as pending with the batch. c.mu is held.
func (c *Committer) checkUnique(t *Table, def *catalog.Table, tw *TableWrites, p *PendingRow, out *[]pendingUnique) error {
	row := p.Row // nil if kept encoded only
	self := pendingKey(p)
	for i := range def.Indexes {
		ix := &def.Indexes[i]
		if !ix.Unique || ix.Primary {
			continue
		}
		if row == nil {
			row = p.Values()
		}
		if err := t.IndexBroken(ix.ID); err != nil {
			return pgerr.New("XX002", "unique index %q cannot be checked: %v", ix.Name, err).
				WithHint("Drop the index and create it again.")
		}
		val, in, null, err := IndexKey(def, ix, row)
		if err != nil {
			return err
		}
		if !in || null {
			continue // not in a partial index, or NULLs: no conflict
		}
		uk := uniqKey{table: def.ID, index: ix.ID, val: string(val)}
		if h, ok := c.pendUnique[uk]; ok && h.pk != self && !movedAway(def, ix, tw, h.pk, val) {
			if s, _ := c.pendingSeq(pendKey{def.ID, h.pk}); s > h.seq {
				return serializationFailure("concurrent update of a row holding a value of %q", ix.Name)
			}
			return speculativeOr(p, uniqueViolation(ix))
		}
		t.IndexScan(ix.ID, Live-1, val, prefixEnd(val), false, func(pk []byte, _ []types.Value) bool {
			holder := string(pk)
			if holder == self || movedAway(def, ix, tw, holder, val) {
				return true
			}
			if c.busy(pendKey{def.ID, holder}) {
				err = serializationFailure("concurrent update of a row holding a value of %q", ix.Name)
			} else {
				err = speculativeOr(p, uniqueViolation(ix))
			}
			return false
		})
		if err != nil {
			return err
		}
		*out = append(*out, pendingUnique{uniqKey: uk, pk: self})
	}
	return nil
}

// movedAway reports whether the transaction's write set deletes the row
// with primary key pk or gives it a value other than val for ix (NULL, or
// none: out of a partial index).
func movedAway(def *catalog.Table, ix *catalog.Index, tw *TableWrites, pk string, val []byte) bool {
	pr, _ := tw.get(pk)
	if pr == nil {
		return tw.Truncated // a truncate removes every row it does not write again
	}
	if pr.Deleted() {
		return true
	}
	k, in, null, err := IndexKey(def, ix, pr.Values())
	return err != nil || !in || null || !bytes.Equal(k, val)
}

func uniqueViolation(ix *catalog.Index) error {
	return pgerr.New(pgerr.UniqueViolation, "duplicate key value violates unique constraint %q", ix.Name)
}

func duplicateKey(def *catalog.Table, p *PendingRow) error {
	name := def.Name + "_pkey"
	if pk := def.PK(); pk != nil {
		name = pk.Name
	}
	return speculativeOr(p, pgerr.New(pgerr.UniqueViolation, "duplicate key value violates unique constraint %q", name))
}

// speculativeOr returns err for p's duplicate key, unless p was inserted
// by INSERT … ON CONFLICT after finding no conflict at its snapshot: a
// concurrent commit made the key taken since, which the statement would
// have handled had it seen it — a serialization failure (40001; an
// autocommit statement is re-run and then does nothing or updates), never
// a unique violation the statement promised not to raise.
func speculativeOr(p *PendingRow, err error) error {
	if p.Speculative {
		return serializationFailure("a concurrent insert of the same key (INSERT … ON CONFLICT)")
	}
	return err
}

// IsConflict reports whether err is a serialization failure.
func IsConflict(err error) bool {
	var pe *pgerr.Error
	return errors.As(err, &pe) && pe.Code == pgerr.SerializationFailure
}
