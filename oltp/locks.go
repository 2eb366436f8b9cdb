package oltp

import (
	"context"
	"sync"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// LockTable holds row write locks. A transaction locks a row before it
// updates or deletes it and keeps the lock until it ends (after its commit
// is applied, or at rollback), so a second writer of the row waits for the
// first to finish and then sees its result — PostgreSQL's behaviour under
// READ COMMITTED — instead of failing at commit.
//
// Deadlocks are detected when a transaction starts waiting: if the holder it
// would wait for is (transitively) waiting for it, the newcomer fails with
// 40P01. All state is guarded by mu.
type LockTable struct {
	mu    sync.Mutex
	locks map[lockKey]*rowLock
}

type lockKey struct {
	table uint32
	key   string
}

type rowLock struct {
	owner    *TxnLocks
	released chan struct{}
}

// TxnLocks is one transaction's lock state. It belongs to the session's
// goroutine; its fields are read by other waiters under LockTable.mu.
type TxnLocks struct {
	held       []lockKey
	waitingFor *TxnLocks
}

// NewLockTable returns an empty lock table.
func NewLockTable() *LockTable { return &LockTable{locks: map[lockKey]*rowLock{}} }

// Lock acquires the write lock on (table, key) for owner, waiting while
// another transaction holds it. It returns (waited = true) when it had to
// wait, which tells the caller the row may have changed meanwhile. timeout
// (0 = none) bounds the wait (lock_timeout, 55P03).
func (lt *LockTable) Lock(ctx context.Context, owner *TxnLocks, table uint32, key []byte, timeout time.Duration) (waited bool, err error) {
	k := lockKey{table, string(key)}
	var deadline <-chan time.Time
	for {
		lt.mu.Lock()
		l, ok := lt.locks[k]
		if !ok {
			lt.locks[k] = &rowLock{owner: owner, released: make(chan struct{})}
			owner.held = append(owner.held, k)
			lt.mu.Unlock()
			return waited, nil
		}
		if l.owner == owner {
			lt.mu.Unlock()
			return waited, nil
		}
		for h := l.owner; h != nil; h = h.waitingFor {
			if h == owner {
				lt.mu.Unlock()
				return waited, pgerr.New("40P01", "deadlock detected").
					WithDetail("Process waits for a row lock held by a transaction that waits for this one.").
					WithHint("See server log for query details.")
			}
		}
		owner.waitingFor = l.owner
		ch := l.released
		lt.mu.Unlock()
		waited = true
		if timeout > 0 && deadline == nil {
			t := time.NewTimer(timeout)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-ch:
		case <-ctx.Done():
			lt.clearWait(owner)
			return waited, ctx.Err()
		case <-deadline:
			lt.clearWait(owner)
			return waited, pgerr.New("55P03", "canceling statement due to lock timeout")
		}
		lt.clearWait(owner)
	}
}

func (lt *LockTable) clearWait(owner *TxnLocks) {
	lt.mu.Lock()
	owner.waitingFor = nil
	lt.mu.Unlock()
}

// ReleaseAll releases every lock owner holds and wakes their waiters.
func (lt *LockTable) ReleaseAll(owner *TxnLocks) {
	if owner == nil || len(owner.held) == 0 {
		return
	}
	lt.mu.Lock()
	for _, k := range owner.held {
		if l, ok := lt.locks[k]; ok && l.owner == owner {
			delete(lt.locks, k)
			close(l.released)
		}
	}
	owner.held = owner.held[:0]
	lt.mu.Unlock()
}

// Held returns how many row locks the table holds (for tests and stats).
func (lt *LockTable) Held() int {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return len(lt.locks)
}
