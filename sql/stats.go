package sql

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Statistics for the monitoring views (pg_stat_user_tables,
// pg_stat_database, pg_locks …, package sql/pgcatalog), transaction ids
// (txid_current) and pg_stat_reset.
//
// Per table, the row store counts applied inserts, updates and deletes
// and the executor's scans (oltp/stats.go); here the engine counts
// transactions (a commit, or a rollback: ROLLBACK, a failed transaction,
// a session closed inside one) and sessions, and each session its time
// active and idle in a transaction. None of it is persisted: counters
// start from zero when the server starts.

// engineStats are the database-wide counters.
type engineStats struct {
	commits, rollbacks, sessions atomic.Int64
	// Times of the sessions that ended (ns); open sessions report their own.
	sessionNs, activeNs, idleXactNs atomic.Int64
	// reset is when pg_stat_reset last ran (unix µs; 0: never).
	reset atomic.Int64
	// xid is the last transaction id handed out (nextXid).
	xid atomic.Int64
}

func (st *engineStats) countXact(committed bool) {
	if committed {
		st.commits.Add(1)
	} else {
		st.rollbacks.Add(1)
	}
}

// Scanned implements exec.ScanCounter.
func (v *txnView) Scanned(t *catalog.Table, ix *catalog.Index, rows int) {
	st := v.s.eng.Store.Table(t.ID)
	if st == nil {
		return // created by this transaction
	}
	if ix == nil {
		ts := st.Stats()
		ts.SeqScans.Add(1)
		ts.SeqRead.Add(int64(rows))
		return
	}
	u := st.IndexUse(ix.ID)
	u.Scans.Add(1)
	u.Read.Add(int64(rows))
}

// countPoint counts a point read or update of def by its whole primary key
// as a scan of the primary key's index.
func countPoint(t *oltp.Table, def *catalog.Table, found bool) {
	pk := def.PK()
	if pk == nil {
		return
	}
	u := t.IndexUse(pk.ID)
	u.Scans.Add(1)
	if found {
		u.Read.Add(1)
	}
}

// TableActivity implements plan.VirtualEnv.
func (s *Session) TableActivity(id uint32) (*oltp.TableStats, int64, bool) {
	t := s.eng.Store.Table(id)
	if t == nil {
		return nil, 0, false
	}
	return t.Stats(), t.Count(), true
}

// IndexActivity implements plan.VirtualEnv.
func (s *Session) IndexActivity(table, ix uint32) *oltp.IndexUse {
	t := s.eng.Store.Table(table)
	if t == nil {
		return nil
	}
	return t.IndexUse(ix)
}

// sessions returns the open sessions.
func (e *Engine) openSessions() []*Session {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Session, 0, len(e.sessions))
	for _, x := range e.sessions {
		out = append(out, x)
	}
	return out
}

// sessionTimes returns how long the session has been connected, active
// and idle in a transaction, as of now. s.mu is held.
func (s *Session) sessionTimes(now time.Time) (session, active, idleXact time.Duration) {
	a := &s.act
	active, idleXact = a.active, a.idleXact
	switch a.state {
	case "active":
		active += now.Sub(a.queryStart)
	case "idle in transaction", "idle in transaction (aborted)":
		idleXact += now.Sub(a.stateChange)
	}
	return now.Sub(a.backendStart), active, idleXact
}

// noteClose adds the closing session's times to the engine's.
func (s *Session) noteClose() {
	s.mu.Lock()
	session, active, idle := s.sessionTimes(time.Now())
	s.mu.Unlock()
	st := &s.eng.stats
	st.sessionNs.Add(int64(session))
	st.activeNs.Add(int64(active))
	st.idleXactNs.Add(int64(idle))
}

// DatabaseActivity implements plan.VirtualEnv.
func (s *Session) DatabaseActivity() plan.DatabaseActivity {
	e := s.eng
	st := &e.stats
	d := plan.DatabaseActivity{
		Commits: st.commits.Load(), Rollbacks: st.rollbacks.Load(), Sessions: st.sessions.Load(),
		Deadlocks:   e.Locks.Stats().Deadlocks.Load(),
		SessionTime: time.Duration(st.sessionNs.Load()), ActiveTime: time.Duration(st.activeNs.Load()),
		IdleInXact: time.Duration(st.idleXactNs.Load()),
	}
	reset := time.Time{}
	if us := st.reset.Load(); us != 0 {
		reset = time.UnixMicro(us)
		d.StatsReset = reset
	}
	now := time.Now()
	for _, x := range e.openSessions() {
		d.Backends++
		x.mu.Lock()
		session, active, idle := x.sessionTimes(now)
		if x.act.backendStart.Before(reset) {
			session = now.Sub(reset) // counted from the reset
		}
		x.mu.Unlock()
		d.SessionTime += session
		d.ActiveTime += active
		d.IdleInXact += idle
	}
	return d
}

// statReset answers pg_stat_reset(): every counter of the database to
// zero, stats_reset now.
func (s *Session) statReset() {
	e := s.eng
	e.Store.ResetStats()
	st := &e.stats
	for _, c := range []*atomic.Int64{&st.commits, &st.rollbacks, &st.sessions, &st.sessionNs, &st.activeNs, &st.idleXactNs} {
		c.Store(0)
	}
	e.Locks.Stats().Deadlocks.Store(0)
	for _, x := range e.openSessions() {
		x.mu.Lock()
		x.act.active, x.act.idleXact = 0, 0
		x.mu.Unlock()
	}
	st.reset.Store(time.Now().UnixMicro())
}

// Locks implements plan.VirtualEnv: the lock table's locks, with the
// owning session and its transaction (virtualtransaction "pid/n", n
// numbering the session's transactions).
func (s *Session) Locks() []plan.Lock {
	infos := s.eng.Locks.Locks()
	lxid := map[int32]uint32{}
	for _, x := range s.eng.openSessions() {
		lxid[x.pid] = x.lxid.Load()
	}
	out := make([]plan.Lock, 0, len(infos))
	for _, li := range infos {
		pid := li.Owner.PID
		l := plan.Lock{Relation: li.Table, VirtualXact: fmt.Sprintf("%d/%d", pid, lxid[pid]), PID: pid,
			Mode: li.Mode, Granted: li.Granted, WaitStart: li.WaitStart}
		switch li.Kind {
		case oltp.LockRow:
			l.Kind = "tuple"
		case oltp.LockRelation:
			l.Kind = "relation"
		case oltp.LockAdvisory:
			l.Kind = "advisory"
			k := li.Advisory
			if k.Two {
				l.ClassID, l.ObjID, l.ObjSubID = uint32(k.Hi), uint32(k.Lo), 2
			} else {
				l.ClassID, l.ObjID, l.ObjSubID = uint32(uint64(k.Lo)>>32), uint32(k.Lo), 1
			}
		}
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.PID != b.PID:
			return a.PID < b.PID
		case a.Granted != b.Granted:
			return a.Granted
		case a.Kind != b.Kind:
			return a.Kind < b.Kind
		case a.Relation != b.Relation:
			return a.Relation < b.Relation
		case a.ClassID != b.ClassID:
			return a.ClassID < b.ClassID
		case a.ObjID != b.ObjID:
			return a.ObjID < b.ObjID
		}
		return a.Mode < b.Mode
	})
	return out
}

// Transaction ids (txid_current, pg_current_xact_id). OmenDB has no
// transaction ids of its own — a commit's identity is its log offset,
// known only once it is durable — so a transaction is given one when it
// first asks: the wall clock in microseconds since 1970, raised above the
// previous id handed out (nextXid). Ids are thus stable within a
// transaction, increase from one transaction to the next in the order they
// were assigned, and do not go backwards across a restart (the clock has
// moved on) unless the system clock is set back further than the restart
// took. A transaction that wrote has an id as far as
// txid_current_if_assigned is concerned, as in PostgreSQL, where writing
// assigns one.

// nextXid returns a new transaction id.
func (e *Engine) nextXid() int64 {
	now := time.Now().UnixMicro()
	for {
		last := e.stats.xid.Load()
		x := max(last+1, now)
		if e.stats.xid.CompareAndSwap(last, x) {
			return x
		}
	}
}

// xactID answers txid_current() and pg_current_xact_id() (assign), and
// their _if_assigned forms: NULL for a transaction that has neither asked
// for an id nor written.
func (s *Session) xactID(name string, args []types.Value, assign bool) (types.Value, error) {
	if len(args) != 0 {
		return types.Null, pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", name)
	}
	t := s.txn
	if t == nil {
		if !assign {
			return types.Null, nil
		}
		return types.NewInt(s.eng.nextXid()), nil
	}
	if t.xid == 0 && (assign || !t.writes.Empty()) {
		t.xid = s.eng.nextXid()
	}
	if t.xid == 0 {
		return types.Null, nil
	}
	return types.NewInt(t.xid), nil
}

// statsFunc answers the functions of this file; ok false: name is not one.
func (s *Session) statsFunc(_ context.Context, name string, args []types.Value) (v types.Value, ok bool, err error) {
	switch name {
	case "txid_current", "pg_current_xact_id":
		v, err = s.xactID(name, args, true)
	case "txid_current_if_assigned", "pg_current_xact_id_if_assigned":
		v, err = s.xactID(name, args, false)
	case "txid_current_snapshot", "pg_current_snapshot":
		err = pgerr.NotSupported("%s is not supported", name)
	case "pg_stat_reset":
		s.statReset()
		v = types.NewText("")
	default:
		return types.Null, false, nil
	}
	return v, true, err
}

// CheckpointStats implements pg_stat_bgwriter's source (see
// Engine.Checkpoints); ok is false without a checkpointer.
func (s *Session) CheckpointStats() (timed, requested int64, writeTime time.Duration, ok bool) {
	if c := s.eng.Checkpoints; c != nil {
		timed, requested, writeTime = c.CheckpointStats()
		return timed, requested, writeTime, true
	}
	return 0, 0, 0, false
}
