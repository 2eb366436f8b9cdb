package oltp

import (
	"context"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// Table locks (LOCK TABLE).
//
// A transaction takes a table lock in one of PostgreSQL's eight modes and
// keeps it until it ends (ReleaseAll: after its commit is applied, so the
// next holder's snapshot shows it — table locks are never released early).
// Modes conflict as PostgreSQL's do (TableLockConflicts). Only LOCK TABLE
// takes them: OmenDB's reads and writes do not take the implicit table
// locks PostgreSQL's do, so a lock orders the transactions that lock the
// table explicitly — the "LOCK TABLE …; read; write" pattern — while other
// writers still meet them at commit validation.

// Table lock modes, numbered as PostgreSQL's lockmode.h (1..8).
const (
	AccessShare          = 1
	RowShare             = 2
	RowExclusive         = 3
	ShareUpdateExclusive = 4
	Share                = 5
	ShareRowExclusive    = 6
	Exclusive            = 7
	AccessExclusive      = 8
)

// tableLockConflicts[m] is the set (bit i: mode i) of modes mode m
// conflicts with.
var tableLockConflicts = [9]uint16{
	AccessShare:          1 << AccessExclusive,
	RowShare:             1<<Exclusive | 1<<AccessExclusive,
	RowExclusive:         1<<Share | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	ShareUpdateExclusive: 1<<ShareUpdateExclusive | 1<<Share | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	Share:                1<<RowExclusive | 1<<ShareUpdateExclusive | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	ShareRowExclusive:    1<<RowExclusive | 1<<ShareUpdateExclusive | 1<<Share | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	Exclusive:            1<<RowShare | 1<<RowExclusive | 1<<ShareUpdateExclusive | 1<<Share | 1<<ShareRowExclusive | 1<<Exclusive | 1<<AccessExclusive,
	AccessExclusive:      0x1FE,
}

// TableLockConflicts reports whether modes a and b conflict.
func TableLockConflicts(a, b int) bool { return tableLockConflicts[a]&(1<<b) != 0 }

// tableLock is a table's lock state: the modes each holder holds (a bit
// set), and a channel closed when a holder releases.
type tableLock struct {
	holders  map[*TxnLocks]uint16
	released chan struct{}
}

// LockTableMode takes table's lock in mode for owner, waiting while another
// transaction holds a conflicting mode (nowait: fail with 55P03 instead).
// A wait that would close a cycle fails with 40P01; timeout (0 = none)
// bounds it (lock_timeout).
func (lt *LockTable) LockTableMode(ctx context.Context, owner *TxnLocks, table uint32, mode int, nowait bool, timeout time.Duration) error {
	if mode < AccessShare || mode > AccessExclusive {
		return pgerr.New(pgerr.InternalError, "table lock mode %d", mode)
	}
	deadline, stop := lockDeadline(timeout)
	defer stop()
	for {
		lt.mu.Lock()
		if lt.tables == nil {
			lt.tables = map[uint32]*tableLock{}
		}
		tl := lt.tables[table]
		if tl == nil {
			tl = &tableLock{holders: map[*TxnLocks]uint16{}}
			lt.tables[table] = tl
		}
		var blocker *TxnLocks
		for h, modes := range tl.holders {
			if h != owner && modes&tableLockConflicts[mode] != 0 {
				blocker = h
				break
			}
		}
		if blocker == nil {
			if tl.holders[owner] == 0 {
				owner.tables = append(owner.tables, table)
			}
			tl.holders[owner] |= 1 << mode
			lt.unwaitLocked(owner)
			lt.mu.Unlock()
			return nil
		}
		if nowait {
			lt.mu.Unlock()
			return pgerr.New(pgerr.LockNotAvailable, "could not obtain lock on relation")
		}
		if waitsFor(blocker, owner) {
			lt.unwaitLocked(owner)
			lt.mu.Unlock()
			return lt.deadlock("table")
		}
		lt.waitLocked(owner, blocker, waitInfo{kind: LockRelation, table: table, mode: TableLockModeNames[mode]})
		if tl.released == nil {
			tl.released = make(chan struct{})
		}
		ch := tl.released
		lt.mu.Unlock()
		if err := lt.awaitRelease(ctx, owner, ch, deadline); err != nil {
			return err
		}
	}
}

// releaseTablesLocked releases owner's table locks. lt.mu is held.
func (lt *LockTable) releaseTablesLocked(owner *TxnLocks) {
	for _, id := range owner.tables {
		tl := lt.tables[id]
		if tl == nil {
			continue
		}
		delete(tl.holders, owner)
		if tl.released != nil {
			close(tl.released)
			tl.released = nil
		}
		if len(tl.holders) == 0 {
			delete(lt.tables, id)
		}
	}
	owner.tables = owner.tables[:0]
}

// TablesHeld returns how many tables have locks held (for tests).
func (lt *LockTable) TablesHeld() int {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return len(lt.tables)
}
