package sql

import (
	"context"
	"sort"
	"time"

	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Session activity: what pg_stat_activity shows of every session (its
// state, current or last statement, when its transaction and statement
// began), and pg_cancel_backend / pg_terminate_backend. A session records
// its activity under its mutex at each statement's start and end (two
// clock reads and a lock per statement); other sessions read it there.

// activity is a session's pg_stat_activity row, guarded by Session.mu.
type activity struct {
	state                 string // "active", "idle", "idle in transaction", "idle in transaction (aborted)"
	query                 string
	app, user             string
	backendStart          time.Time
	xactStart, queryStart time.Time // zero: none
	stateChange           time.Time
	// active and idleXact total the session's finished periods of running
	// statements and of waiting in a transaction (pg_stat_database).
	active, idleXact time.Duration
}

// Backends is what the engine needs of the pgwire server to end another
// session's connection (pg_terminate_backend).
type Backends interface {
	Terminate(pid uint32) bool
}

// BackendPID implements the pgwire hook that makes the BackendKeyData pid
// the session's own, so the pid a client sees at startup is
// pg_backend_pid() and pg_stat_activity.pid.
func (s *Session) BackendPID() uint32 { return uint32(s.pid) }

// noteStart records that statement text starts (in a transaction from
// xactStart, zero if it opens its own).
func (s *Session) noteStart(text string) {
	now := time.Now()
	s.mu.Lock()
	a := &s.act
	if a.state == "idle in transaction" || a.state == "idle in transaction (aborted)" {
		a.idleXact += now.Sub(a.stateChange)
	}
	a.state, a.query, a.queryStart, a.stateChange = "active", text, now, now
	if s.txn != nil {
		a.xactStart = s.txn.start
	} else {
		a.xactStart = now
	}
	s.mu.Unlock()
}

// noteEnd records the state the session waits in after a statement.
func (s *Session) noteEnd() {
	state := "idle"
	var xact time.Time
	switch {
	case s.txn != nil && s.failed:
		state, xact = "idle in transaction (aborted)", s.txn.start
	case s.txn != nil:
		state, xact = "idle in transaction", s.txn.start
	}
	app := s.settings["application_name"] // SET, RESET, set_config may have changed it
	now := time.Now()
	s.mu.Lock()
	if s.act.state == "active" {
		s.act.active += now.Sub(s.act.queryStart)
	}
	s.act.state, s.act.xactStart, s.act.stateChange, s.act.app = state, xact, now, app
	s.mu.Unlock()
}

// Activity implements plan.VirtualEnv: every session's row, by pid.
func (s *Session) Activity() []plan.Activity {
	e := s.eng
	e.mu.Lock()
	sessions := make([]*Session, 0, len(e.sessions))
	for _, x := range e.sessions {
		sessions = append(sessions, x)
	}
	e.mu.Unlock()
	out := make([]plan.Activity, 0, len(sessions))
	for _, x := range sessions {
		x.mu.Lock()
		a := x.act
		x.mu.Unlock()
		out = append(out, plan.Activity{
			PID: x.pid, User: a.user, App: a.app, State: a.state, Query: a.query,
			BackendStart: a.backendStart, XactStart: a.xactStart, QueryStart: a.queryStart, StateChange: a.stateChange,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// backendSignal answers pg_cancel_backend(pid) (cancel the session's
// running statement) and pg_terminate_backend(pid) (end its connection):
// true when the session exists, as PostgreSQL reports a signal sent.
func (s *Session) backendSignal(_ context.Context, name string, args []types.Value) (types.Value, error) {
	if len(args) == 0 || args[0].IsNull() {
		return types.Null, nil
	}
	pid := int32(args[0].I)
	e := s.eng
	e.mu.Lock()
	target := e.sessions[pid]
	e.mu.Unlock()
	if target == nil {
		return types.NewBool(false), nil
	}
	if name == "pg_cancel_backend" {
		target.Cancel()
		return types.NewBool(true), nil
	}
	if e.Backends == nil {
		target.Cancel()
		return types.NewBool(false), nil
	}
	return types.NewBool(e.Backends.Terminate(uint32(pid))), nil
}
