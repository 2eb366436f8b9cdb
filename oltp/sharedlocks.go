package oltp

import (
	"context"
	"time"
)

// Shared row locks (SELECT … FOR SHARE / FOR KEY SHARE).
//
// A shared lock on a row is held by any number of transactions at once and
// excludes the row's write lock: a writer (UPDATE, DELETE, FOR UPDATE)
// waits until every other sharer has ended, and a sharer waits while
// another transaction holds the write lock. Shared locks are released when
// their transaction ends (ReleaseAll), never early: a sharer writes nothing
// for a successor to read. FOR KEY SHARE takes the same lock as FOR SHARE,
// so it also keeps non-key updates of the row waiting (PostgreSQL lets
// those through): stricter, never weaker.

// sharedLock is a row's shared holders and a channel closed when one of
// them releases.
type sharedLock struct {
	holders  map[*TxnLocks]struct{}
	released chan struct{}
}

// LockShared takes the shared lock on (table, key) for owner, waiting while
// another transaction holds the row's write lock (timeout bounds the wait,
// 0 = none). waited reports that it had to wait.
func (lt *LockTable) LockShared(ctx context.Context, owner *TxnLocks, table uint32, key []byte, timeout time.Duration) (waited bool, err error) {
	deadline, stop := lockDeadline(timeout)
	defer stop()
	k := lockKey{table, string(key)}
	for {
		lt.mu.Lock()
		l, held := lt.locks[k]
		if !held || l.owner == owner {
			lt.grantSharedLocked(owner, k)
			lt.mu.Unlock()
			return waited, nil
		}
		if waitsFor(l.owner, owner) {
			lt.mu.Unlock()
			return waited, lt.deadlock("row")
		}
		lt.waitLocked(owner, l.owner, waitInfo{kind: LockRow, table: k.table, mode: "RowShareLock"})
		if l.released == nil {
			l.released = make(chan struct{})
		}
		ch := l.released
		lt.mu.Unlock()
		waited = true
		if err := lt.awaitRelease(ctx, owner, ch, deadline); err != nil {
			return waited, err
		}
		lt.clearWait(owner)
	}
}

// TryLockShared takes the shared lock on (table, key) if no other
// transaction holds the row's write lock (FOR SHARE NOWAIT / SKIP LOCKED).
func (lt *LockTable) TryLockShared(owner *TxnLocks, table uint32, key []byte) bool {
	k := lockKey{table, string(key)}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if l, held := lt.locks[k]; held && l.owner != owner {
		return false
	}
	lt.grantSharedLocked(owner, k)
	return true
}

// grantSharedLocked adds owner to k's sharers. lt.mu is held.
func (lt *LockTable) grantSharedLocked(owner *TxnLocks, k lockKey) {
	if lt.shared == nil {
		lt.shared = map[lockKey]*sharedLock{}
	}
	sl := lt.shared[k]
	if sl == nil {
		sl = &sharedLock{holders: map[*TxnLocks]struct{}{}}
		lt.shared[k] = sl
	}
	if _, ok := sl.holders[owner]; !ok {
		sl.holders[owner] = struct{}{}
		owner.sharedHeld = append(owner.sharedHeld, k)
	}
	lt.unwaitLocked(owner)
}

// otherSharer returns a transaction other than owner that holds k's shared
// lock, or nil. lt.mu is held.
func (lt *LockTable) otherSharer(owner *TxnLocks, k lockKey) (*TxnLocks, chan struct{}) {
	if len(lt.shared) == 0 {
		return nil, nil
	}
	sl := lt.shared[k]
	if sl == nil {
		return nil, nil
	}
	for h := range sl.holders {
		if h != owner {
			if sl.released == nil {
				sl.released = make(chan struct{})
			}
			return h, sl.released
		}
	}
	return nil, nil
}

// releaseSharedLocked releases owner's shared locks. lt.mu is held.
func (lt *LockTable) releaseSharedLocked(owner *TxnLocks) {
	for _, k := range owner.sharedHeld {
		sl := lt.shared[k]
		if sl == nil {
			continue
		}
		delete(sl.holders, owner)
		if sl.released != nil {
			close(sl.released)
			sl.released = nil
		}
		if len(sl.holders) == 0 {
			delete(lt.shared, k)
		}
	}
	clear(owner.sharedHeld)
	owner.sharedHeld = owner.sharedHeld[:0]
}
