package oltp

import "time"

// What pg_locks shows: every lock held and every lock awaited right now.

// LockKind is the kind of a listed lock.
type LockKind uint8

// Lock kinds, as pg_locks' locktype names them.
const (
	LockRow      LockKind = iota + 1 // "tuple": a row's write or shared lock
	LockRelation                     // "relation": a table lock (LOCK TABLE)
	LockAdvisory                     // "advisory"
)

// waitInfo is the lock a TxnLocks waits for while waitingFor is set.
type waitInfo struct {
	kind  LockKind
	table uint32
	adv   AdvisoryKey
	mode  string
	since time.Time
}

// waitLocked records that owner starts waiting for holder on the lock w
// describes. lt.mu is held.
func (lt *LockTable) waitLocked(owner, holder *TxnLocks, w waitInfo) {
	owner.waitingFor = holder
	w.since = time.Now()
	owner.wait = w
	if lt.waiting == nil {
		lt.waiting = map[*TxnLocks]struct{}{}
	}
	lt.waiting[owner] = struct{}{}
}

// unwaitLocked records that owner waits no more. lt.mu is held.
func (lt *LockTable) unwaitLocked(owner *TxnLocks) {
	owner.waitingFor = nil
	if len(lt.waiting) > 0 {
		delete(lt.waiting, owner)
	}
}

func advModeName(shared bool) string {
	if shared {
		return "ShareLock"
	}
	return "ExclusiveLock"
}

// LockInfo is one lock held or awaited.
type LockInfo struct {
	Kind     LockKind
	Table    uint32      // LockRow, LockRelation
	Advisory AdvisoryKey // LockAdvisory
	// Mode is PostgreSQL's name of the lock mode: a row write lock is an
	// ExclusiveLock (as PostgreSQL's tuple lock of an UPDATE), a shared
	// row lock a RowShareLock (FOR SHARE), a table lock its LOCK TABLE
	// mode, an advisory lock ExclusiveLock or ShareLock.
	Mode    string
	Owner   *TxnLocks
	Granted bool
	// WaitStart is when the wait began (zero for a granted lock).
	WaitStart time.Time
}

// TableLockModeNames are PostgreSQL's names of the table lock modes.
var TableLockModeNames = [9]string{
	AccessShare: "AccessShareLock", RowShare: "RowShareLock", RowExclusive: "RowExclusiveLock",
	ShareUpdateExclusive: "ShareUpdateExclusiveLock", Share: "ShareLock",
	ShareRowExclusive: "ShareRowExclusiveLock", Exclusive: "ExclusiveLock", AccessExclusive: "AccessExclusiveLock",
}

// Locks lists the locks held and awaited: one entry per holder and mode,
// and one per waiter (Granted false). The order is unspecified.
func (lt *LockTable) Locks() []LockInfo {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	var out []LockInfo
	for k, l := range lt.locks {
		out = append(out, LockInfo{Kind: LockRow, Table: k.table, Mode: "ExclusiveLock", Owner: l.owner, Granted: true})
	}
	for k, sl := range lt.shared {
		for h := range sl.holders {
			out = append(out, LockInfo{Kind: LockRow, Table: k.table, Mode: "RowShareLock", Owner: h, Granted: true})
		}
	}
	for id, tl := range lt.tables {
		for h, modes := range tl.holders {
			for m := AccessShare; m <= AccessExclusive; m++ {
				if modes&(1<<m) != 0 {
					out = append(out, LockInfo{Kind: LockRelation, Table: id, Mode: TableLockModeNames[m], Owner: h, Granted: true})
				}
			}
		}
	}
	for key, al := range lt.adv {
		for h, hold := range al.holders {
			if hold.excl[0]+hold.excl[1] > 0 {
				out = append(out, LockInfo{Kind: LockAdvisory, Advisory: key, Mode: "ExclusiveLock", Owner: h, Granted: true})
			}
			if hold.shared[0]+hold.shared[1] > 0 {
				out = append(out, LockInfo{Kind: LockAdvisory, Advisory: key, Mode: "ShareLock", Owner: h, Granted: true})
			}
		}
	}
	for o := range lt.waiting {
		w := o.wait
		out = append(out, LockInfo{Kind: w.kind, Table: w.table, Advisory: w.adv, Mode: w.mode, Owner: o, WaitStart: w.since})
	}
	return out
}
