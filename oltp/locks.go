package oltp

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// LockTable holds row write locks, and also shared row locks
// (sharedlocks.go) and table locks (tablelocks.go). A transaction locks a row before it
// updates or deletes it and keeps the lock until it ends (after its commit
// is applied, or at rollback), so a second writer of the row waits for the
// first to finish and then sees its result — PostgreSQL's behaviour under
// READ COMMITTED — instead of failing at commit.
//
// Deadlocks are detected when a transaction starts waiting: if the holder it
// would wait for is (transitively) waiting for it, the newcomer fails with
// 40P01. All state is guarded by mu.
//
// Early lock release: a committing transaction may release its locks once
// the committer has sealed it into a batch (ReleaseEarly), before its record
// is durable. Its writes of the rows it locked are then kept here as pending
// versions until its batch is applied, and the next holder of such a row
// reads that version (Pending) instead of the row store's, and depends on
// the batch (TxnLocks.After): it commits after it or not at all.
type LockTable struct {
	mu    sync.Mutex
	locks map[lockKey]*rowLock
	pend  map[lockKey]pendVersion
	stats LockStats
	// free holds released rowLocks and spare holds the key slices of
	// ended transactions (ReleaseAll), for reuse: taking an uncontended
	// lock then allocates only its key.
	free  []*rowLock
	spare [][]lockKey
	// tables holds table locks (LOCK TABLE, tablelocks.go).
	tables map[uint32]*tableLock
	// adv holds advisory locks (advisory.go).
	adv map[AdvisoryKey]*advLock
	// shared holds shared row locks (FOR SHARE, sharedlocks.go).
	shared map[lockKey]*sharedLock
	// waiting holds the owners waiting for a lock (pg_locks, lockview.go).
	waiting map[*TxnLocks]struct{}
}

// Reuse bounds: enough for every session's transaction in flight.
const (
	maxFreeLocks  = 4096
	maxSpareHelds = 1024
)

// LockStats counts lock acquisitions and the time spent waiting, for the
// benchmarks' statement breakdown (bench pgbench).
type LockStats struct {
	// Locks counts Lock calls, Waits those that had to wait, WaitNs the
	// time they waited.
	Locks, Waits, WaitNs atomic.Int64
	// PendingReads counts rows read as a pending version (early lock
	// release); BatchWaits and BatchWaitNs the statements that then waited
	// for that version's batch to be applied (package sql) and how long.
	PendingReads, BatchWaits, BatchWaitNs atomic.Int64
	// Deadlocks counts waits refused with 40P01 (pg_stat_database).
	Deadlocks atomic.Int64
}

// Stats returns the table's counters.
func (lt *LockTable) Stats() *LockStats { return &lt.stats }

// pendVersion is a locked row's write by a transaction that released the
// lock early: row (nil: deleted), durable and applied with batch.
type pendVersion struct {
	row   []types.Value
	batch *Batch
}

type lockKey struct {
	table uint32
	key   string
}

type rowLock struct {
	owner *TxnLocks
	// released is closed when the lock is released; made by the first
	// waiter (nil: nobody waits), so an uncontended lock makes no channel.
	released chan struct{}
}

// TxnLocks is one transaction's lock state. It belongs to the session's
// goroutine (and to the committer's during CommitWith's Placed callback,
// while the session waits); its fields are read by other waiters under
// LockTable.mu.
type TxnLocks struct {
	held       []lockKey
	waitingFor *TxnLocks
	// peer is the other TxnLocks of the same session (its transactions'
	// and its advisory locks' owner, LockTable.Link): one node of the
	// wait-for graph, so that a cycle through an advisory lock and a row
	// or table lock is a deadlock too. Guarded by LockTable.mu.
	peer *TxnLocks
	// published are the keys whose pending versions ReleaseEarly kept for
	// batch pubBatch; ReleaseAll forgets them.
	published []lockKey
	pubBatch  *Batch
	// after is the newest batch whose pending version the transaction read
	// (ReadPending), and afterKeys that version's batch per key.
	after     *Batch
	afterKeys map[lockKey]*Batch
	// tables are the tables whose locks the transaction holds, and
	// sharedHeld the rows whose shared locks it holds.
	tables     []uint32
	sharedHeld []lockKey
	// advXact, for a session's advisory owner, are the advisory locks its
	// current transaction took with the _xact_ functions (advisory.go).
	advXact []AdvisoryKey
	// wait is the lock the owner waits for while waitingFor is set
	// (pg_locks). Guarded by LockTable.mu.
	wait waitInfo
	// PID is the id of the session the owner belongs to, for pg_locks; set
	// by the session before the owner takes a lock.
	PID int32
}

// Link makes a and b one session in deadlock detection: a session's
// transaction and its advisory locks have separate owners, but a wait by
// either is the session's. A session links each new transaction's locks
// once it has used advisory locks.
func (lt *LockTable) Link(a, b *TxnLocks) {
	lt.mu.Lock()
	a.peer, b.peer = b, a
	lt.mu.Unlock()
}

// Holding reports whether the transaction holds any lock.
func (tl *TxnLocks) Holding() bool { return len(tl.held) > 0 }

// After returns the newest batch whose not yet durable write the transaction
// read through a lock (nil if none): it must commit after that batch.
func (tl *TxnLocks) After() *Batch { return tl.after }

// ReadPending records that the transaction read batch b's pending version of
// (table, key).
func (tl *TxnLocks) ReadPending(table uint32, key []byte, b *Batch) {
	if tl.afterKeys == nil {
		tl.afterKeys = map[lockKey]*Batch{}
	}
	tl.afterKeys[lockKey{table, string(key)}] = b
	if tl.after == nil || b.seq > tl.after.seq {
		tl.after = b
	}
}

// PendingBase returns the batch whose pending version of (table, key) the
// transaction read, or nil.
func (tl *TxnLocks) PendingBase(table uint32, key []byte) *Batch {
	if tl.afterKeys == nil {
		return nil
	}
	return tl.afterKeys[lockKey{table, string(key)}]
}

// NewLockTable returns an empty lock table.
func NewLockTable() *LockTable {
	return &LockTable{locks: map[lockKey]*rowLock{}, pend: map[lockKey]pendVersion{}}
}

// Lock acquires the write lock on (table, key) for owner, waiting while
// another transaction holds it. It returns (waited = true) when it had to
// wait, which tells the caller the row may have changed meanwhile. timeout
// (0 = none) bounds the wait (lock_timeout, 55P03).
func (lt *LockTable) Lock(ctx context.Context, owner *TxnLocks, table uint32, key []byte, timeout time.Duration) (waited bool, err error) {
	lt.stats.Locks.Add(1)
	lt.mu.Lock()
	l, ok := lt.locks[lockKey{table, string(key)}] // no allocation
	if !ok && (len(lt.shared) == 0 || lt.shared[lockKey{table, string(key)}] == nil) {
		lt.grantLocked(owner, lockKey{table, string(key)})
		lt.mu.Unlock()
		return false, nil
	}
	if ok && l.owner == owner {
		lt.mu.Unlock()
		return false, nil
	}
	lt.mu.Unlock()
	start := time.Now()
	err = lt.lockWait(ctx, owner, lockKey{table, string(key)}, timeout)
	lt.stats.Waits.Add(1)
	lt.stats.WaitNs.Add(int64(time.Since(start)))
	return true, err
}

// TryLock acquires the write lock on (table, key) for owner if no other
// transaction holds it, without waiting: false means another holds it
// (SELECT … FOR UPDATE NOWAIT / SKIP LOCKED).
func (lt *LockTable) TryLock(owner *TxnLocks, table uint32, key []byte) bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	l, ok := lt.locks[lockKey{table, string(key)}]
	if !ok {
		if h, _ := lt.otherSharer(owner, lockKey{table, string(key)}); h != nil {
			return false
		}
		lt.stats.Locks.Add(1)
		lt.grantLocked(owner, lockKey{table, string(key)})
		return true
	}
	return l.owner == owner
}

// grantLocked gives the free lock k to owner. lt.mu is held.
func (lt *LockTable) grantLocked(owner *TxnLocks, k lockKey) {
	var l *rowLock
	if n := len(lt.free); n > 0 {
		l = lt.free[n-1]
		lt.free = lt.free[:n-1]
	} else {
		l = &rowLock{}
	}
	l.owner = owner
	lt.locks[k] = l
	if owner.held == nil {
		if n := len(lt.spare); n > 0 {
			owner.held = lt.spare[n-1]
			lt.spare = lt.spare[:n-1]
		}
	}
	owner.held = append(owner.held, k)
}

// lockWait is Lock's slow path: k is (or was) held by another transaction.
func (lt *LockTable) lockWait(ctx context.Context, owner *TxnLocks, k lockKey, timeout time.Duration) error {
	deadline, stop := lockDeadline(timeout)
	defer stop()
	for {
		lt.mu.Lock()
		l, ok := lt.locks[k]
		if !ok {
			h, ch := lt.otherSharer(owner, k)
			if h == nil {
				lt.grantLocked(owner, k)
				lt.mu.Unlock()
				return nil
			}
			// Shared by others (FOR SHARE): wait for them to end.
			if waitsFor(h, owner) {
				lt.mu.Unlock()
				return lt.deadlock("row")
			}
			lt.waitLocked(owner, h, waitInfo{kind: LockRow, table: k.table, mode: "ExclusiveLock"})
			lt.mu.Unlock()
			if err := lt.awaitRelease(ctx, owner, ch, deadline); err != nil {
				return err
			}
			lt.clearWait(owner)
			continue
		}
		if l.owner == owner {
			lt.mu.Unlock()
			return nil
		}
		if waitsFor(l.owner, owner) {
			lt.mu.Unlock()
			return lt.deadlock("row")
		}
		lt.waitLocked(owner, l.owner, waitInfo{kind: LockRow, table: k.table, mode: "ExclusiveLock"})
		if l.released == nil {
			l.released = make(chan struct{})
		}
		ch := l.released
		lt.mu.Unlock()
		if err := lt.awaitRelease(ctx, owner, ch, deadline); err != nil {
			return err
		}
		lt.clearWait(owner)
	}
}

// waitsFor reports whether holder is, through the chain of transactions
// each waits for, waiting for owner (so owner waiting for holder closes a
// cycle). lt.mu is held.
func waitsFor(holder, owner *TxnLocks) bool {
	// Nodes are sessions (owner and its peer); a session waits through
	// whichever of its owners is waiting. Cycles that do not pass owner
	// cannot exist (each was refused as it formed); the bound is a guard.
	for h, steps := holder, 0; h != nil && steps < 1<<20; steps++ {
		if h == owner || (owner.peer != nil && h == owner.peer) {
			return true
		}
		next := h.waitingFor
		if next == nil && h.peer != nil {
			next = h.peer.waitingFor
		}
		h = next
	}
	return false
}

// deadlock is the error of a wait that would close a cycle (40P01),
// counted in LockStats.Deadlocks.
func (lt *LockTable) deadlock(kind string) error {
	lt.stats.Deadlocks.Add(1)
	return pgerr.New("40P01", "deadlock detected").
		WithDetail("Process waits for a %s lock held by a transaction that waits for this one.", kind).
		WithHint("See server log for query details.")
}

// lockDeadline returns a channel that fires after timeout (nil — never —
// for 0) and the function that stops its timer.
func lockDeadline(timeout time.Duration) (<-chan time.Time, func()) {
	if timeout <= 0 {
		return nil, func() {}
	}
	t := time.NewTimer(timeout)
	return t.C, func() { t.Stop() }
}

// awaitRelease waits until ch is closed (a holder released), ctx ends or
// the lock timeout passes (55P03).
func (lt *LockTable) awaitRelease(ctx context.Context, owner *TxnLocks, ch <-chan struct{}, deadline <-chan time.Time) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		lt.clearWait(owner)
		return ctx.Err()
	case <-deadline:
		lt.clearWait(owner)
		return pgerr.New(pgerr.LockNotAvailable, "canceling statement due to lock timeout")
	}
}

func (lt *LockTable) clearWait(owner *TxnLocks) {
	lt.mu.Lock()
	lt.unwaitLocked(owner)
	lt.mu.Unlock()
}

// ReleaseAll releases every lock owner holds and wakes their waiters. It
// also forgets the pending versions owner published (ReleaseEarly): call it
// once the transaction's commit returned (its batch applied, or failed).
func (lt *LockTable) ReleaseAll(owner *TxnLocks) {
	if owner == nil {
		return
	}
	owner.after, owner.afterKeys = nil, nil
	if len(owner.held) == 0 && len(owner.published) == 0 && len(owner.tables) == 0 && len(owner.sharedHeld) == 0 {
		return
	}
	lt.mu.Lock()
	lt.releaseLocked(owner)
	if len(owner.sharedHeld) > 0 {
		lt.releaseSharedLocked(owner)
	}
	if len(owner.tables) > 0 {
		lt.releaseTablesLocked(owner)
	}
	for _, k := range owner.published {
		if pv, ok := lt.pend[k]; ok && pv.batch == owner.pubBatch {
			delete(lt.pend, k)
		}
	}
	owner.published, owner.pubBatch = owner.published[:0], nil
	if cap(owner.held) > 0 && len(lt.spare) < maxSpareHelds {
		// The transaction has ended: its key slice serves the next one.
		lt.spare = append(lt.spare, owner.held[:0])
		owner.held = nil
	}
	lt.mu.Unlock()
}

func (lt *LockTable) releaseLocked(owner *TxnLocks) {
	for _, k := range owner.held {
		if l, ok := lt.locks[k]; ok && l.owner == owner {
			delete(lt.locks, k)
			if l.released != nil {
				close(l.released) // waiters hold the channel, not l
			}
			if len(lt.free) < maxFreeLocks {
				*l = rowLock{}
				lt.free = append(lt.free, l)
			}
		}
	}
	clear(owner.held) // the keys' strings are not kept alive by a spare slice
	owner.held = owner.held[:0]
}

// ReleaseEarly releases owner's locks once its commit is sealed into batch b
// (CommitOptions.Placed). The transaction's writes w of the rows it locked
// become their pending versions until ReleaseAll, read by the next holder
// through Pending. w must not change afterwards.
func (lt *LockTable) ReleaseEarly(owner *TxnLocks, b *Batch, w *Writes) {
	lt.mu.Lock()
	for _, k := range owner.held {
		tw := w.tables[k.table]
		if tw == nil {
			continue
		}
		if p, ok := tw.get(k.key); ok {
			// Values: a row kept encoded only (PutEncoded) is no delete.
			lt.pend[k] = pendVersion{row: p.Values(), batch: b}
			owner.published = append(owner.published, k)
		}
	}
	owner.pubBatch = b
	lt.releaseLocked(owner)
	lt.mu.Unlock()
}

// Pending returns the newest pending version of (table, key) whose batch is
// not applied yet (row nil: deleted), for the holder of the row's lock.
func (lt *LockTable) Pending(table uint32, key []byte) (row []types.Value, b *Batch, ok bool) {
	lt.mu.Lock()
	pv, ok := lt.pend[lockKey{table, string(key)}]
	lt.mu.Unlock()
	if !ok || pv.batch.Done() {
		// Applied: the row store has it. Failed: the row store is the
		// truth, and a write based on it is rejected at commit anyway.
		return nil, nil, false
	}
	lt.stats.PendingReads.Add(1)
	return pv.row, pv.batch, true
}

// PendingVersions returns how many pending versions the table keeps (for
// tests).
func (lt *LockTable) PendingVersions() int {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return len(lt.pend)
}

// Held returns how many row locks the table holds (for tests and stats).
func (lt *LockTable) Held() int {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return len(lt.locks)
}
