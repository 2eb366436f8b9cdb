package oltp

import (
	"context"
	"time"
)

// Advisory locks (pg_advisory_lock and friends).
//
// An advisory lock is a lock on a number the application chooses, taken
// exclusive or shared, held by a session until it unlocks it (or the
// session ends) or by a transaction until it ends (the _xact_ functions).
// As in PostgreSQL, the owner is the session, for both scopes: a TxnLocks
// the session keeps for advisory locks alone (its transactions' own
// TxnLocks come and go), so a session never waits for itself and holds
// stack (each lock call needs its own unlock); ReleaseAdvisoryXact ends
// the transaction-level ones. A wait that would close a cycle of advisory
// waits fails with 40P01 (waitsFor), and so does a cycle through row or
// table locks: the session links its two owners (Link), so the wait-for
// graph's nodes are sessions. Nothing of this is logged: advisory locks
// live in memory and end with the process.

// AdvisoryKey names an advisory lock. PostgreSQL keeps the one-bigint
// form (Two false, Lo the key) and the two-integer form (Two true, Hi and
// Lo) apart: pg_advisory_lock(1) and pg_advisory_lock(0, 1) differ.
type AdvisoryKey struct {
	Hi, Lo int64
	Two    bool
}

// advHold counts one owner's holds of one advisory lock, per scope
// (0: session, 1: transaction).
type advHold struct {
	excl, shared [2]int
}

func (h *advHold) total() int { return h.excl[0] + h.excl[1] + h.shared[0] + h.shared[1] }

// advLock is an advisory lock's state; released is closed (and cleared)
// when a hold is released, waking its waiters.
type advLock struct {
	holders  map[*TxnLocks]*advHold
	released chan struct{}
}

// advScope is a hold's scope index.
func advScope(xact bool) int {
	if xact {
		return 1
	}
	return 0
}

// LockAdvisory takes advisory lock key for owner, shared or exclusive, for
// the session or (xact) for the current transaction. It waits while
// another session holds a conflicting mode (exclusive conflicts with
// everything, shared with exclusive) unless try, which returns false at
// once instead. Waits fail with 40P01 when they would close a cycle and
// 55P03 after timeout (lock_timeout; 0 = none).
func (lt *LockTable) LockAdvisory(ctx context.Context, owner *TxnLocks, key AdvisoryKey, shared, xact, try bool, timeout time.Duration) (bool, error) {
	deadline, stop := lockDeadline(timeout)
	defer stop()
	sc := advScope(xact)
	for {
		lt.mu.Lock()
		if lt.adv == nil {
			lt.adv = map[AdvisoryKey]*advLock{}
		}
		al := lt.adv[key]
		if al == nil {
			al = &advLock{holders: map[*TxnLocks]*advHold{}}
			lt.adv[key] = al
		}
		var blocker *TxnLocks
		for h, hold := range al.holders {
			if h == owner {
				continue
			}
			if hold.excl[0]+hold.excl[1] > 0 || (!shared && hold.total() > 0) {
				blocker = h
				break
			}
		}
		if blocker == nil {
			hold := al.holders[owner]
			if hold == nil {
				hold = &advHold{}
				al.holders[owner] = hold
			}
			if shared {
				hold.shared[sc]++
			} else {
				hold.excl[sc]++
			}
			if xact {
				owner.advXact = append(owner.advXact, key)
			}
			lt.unwaitLocked(owner)
			lt.mu.Unlock()
			return true, nil
		}
		if len(al.holders) == 0 {
			delete(lt.adv, key)
		}
		if try {
			lt.mu.Unlock()
			return false, nil
		}
		if waitsFor(blocker, owner) {
			lt.unwaitLocked(owner)
			lt.mu.Unlock()
			return false, lt.deadlock("advisory")
		}
		lt.waitLocked(owner, blocker, waitInfo{kind: LockAdvisory, adv: key, mode: advModeName(shared)})
		if al.released == nil {
			al.released = make(chan struct{})
		}
		ch := al.released
		lt.mu.Unlock()
		if err := lt.awaitRelease(ctx, owner, ch, deadline); err != nil {
			return false, err
		}
	}
}

// UnlockAdvisory releases one session-level hold of key by owner (shared
// or exclusive). False: owner holds none (PostgreSQL then warns).
func (lt *LockTable) UnlockAdvisory(owner *TxnLocks, key AdvisoryKey, shared bool) bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	al := lt.adv[key]
	if al == nil {
		return false
	}
	hold := al.holders[owner]
	if hold == nil {
		return false
	}
	n := &hold.excl[0]
	if shared {
		n = &hold.shared[0]
	}
	if *n == 0 {
		return false
	}
	*n--
	lt.advReleasedLocked(key, al, owner, hold)
	return true
}

// UnlockAllAdvisory releases owner's session-level advisory locks
// (pg_advisory_unlock_all, and the session's end).
func (lt *LockTable) UnlockAllAdvisory(owner *TxnLocks) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	for key, al := range lt.adv {
		if hold := al.holders[owner]; hold != nil && hold.excl[0]+hold.shared[0] > 0 {
			hold.excl[0], hold.shared[0] = 0, 0
			lt.advReleasedLocked(key, al, owner, hold)
		}
	}
}

// ReleaseAdvisoryXact releases owner's transaction-level advisory locks:
// the session's transaction ended.
func (lt *LockTable) ReleaseAdvisoryXact(owner *TxnLocks) {
	if len(owner.advXact) == 0 {
		return
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	for _, key := range owner.advXact {
		al := lt.adv[key]
		if al == nil {
			continue
		}
		if hold := al.holders[owner]; hold != nil && hold.excl[1]+hold.shared[1] > 0 {
			hold.excl[1], hold.shared[1] = 0, 0
			lt.advReleasedLocked(key, al, owner, hold)
		}
	}
	owner.advXact = owner.advXact[:0]
}

// advReleasedLocked wakes key's waiters after owner's hold shrank, and
// forgets empty holds and locks. lt.mu is held.
func (lt *LockTable) advReleasedLocked(key AdvisoryKey, al *advLock, owner *TxnLocks, hold *advHold) {
	if hold.total() == 0 {
		delete(al.holders, owner)
	}
	if al.released != nil {
		close(al.released)
		al.released = nil
	}
	if len(al.holders) == 0 {
		delete(lt.adv, key)
	}
}

// AdvisoryLock is one advisory lock hold, as pg_locks lists it.
type AdvisoryLock struct {
	Key       AdvisoryKey
	Owner     *TxnLocks
	Exclusive bool
}

// AdvisoryHeld lists the advisory locks held (one entry per owner and
// mode), for pg_locks and tests.
func (lt *LockTable) AdvisoryHeld() []AdvisoryLock {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	var out []AdvisoryLock
	for key, al := range lt.adv {
		for h, hold := range al.holders {
			if hold.excl[0]+hold.excl[1] > 0 {
				out = append(out, AdvisoryLock{Key: key, Owner: h, Exclusive: true})
			}
			if hold.shared[0]+hold.shared[1] > 0 {
				out = append(out, AdvisoryLock{Key: key, Owner: h})
			}
		}
	}
	return out
}
