package sql

import (
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/types"
)

// LISTEN / UNLISTEN / NOTIFY and pg_notify, as PostgreSQL has them: a
// notification is sent when the transaction that raised it commits (none
// if it rolls back; identical ones raised in one transaction fold into
// one), to every session listening on its channel then, the sender
// included; LISTEN and UNLISTEN take effect when their transaction
// commits. The engine keeps who listens to what (listeners); each
// session queues what it received, and pgwire hands it to the client
// before the next ReadyForQuery or, when the client waits idle, at once
// (pgwire.Notifier). Notifications live in memory: they are not logged,
// and a restart forgets them (PostgreSQL's too end with the server).

// maxPayload is PostgreSQL's limit on a NOTIFY payload (bytes).
const maxPayload = 7999

// listeners is the engine's channel → listening sessions map.
type listeners struct {
	mu sync.Mutex
	by map[string]map[*Session]struct{}
}

// notifyOp is a LISTEN / UNLISTEN waiting for its transaction's commit.
type notifyOp struct {
	channel string // "" with all: UNLISTEN *
	listen  bool
	all     bool
}

// notifyState is the session's side: what it receives, and the hook that
// tells pgwire.
type notifyState struct {
	queue     []pgwire.Notification // guarded by Session.mu
	hook      func()                // set once, at startup
	listening map[string]bool       // the session's goroutine only
}

// TakeNotifications implements pgwire.Notifier.
func (s *Session) TakeNotifications() []pgwire.Notification {
	s.mu.Lock()
	q := s.notify.queue
	s.notify.queue = nil
	s.mu.Unlock()
	return q
}

// SetNotifyHook implements pgwire.Notifier.
func (s *Session) SetNotifyHook(f func()) { s.notify.hook = f }

// listenStmt queues LISTEN / UNLISTEN for the transaction's commit.
func (s *Session) listenStmt(op notifyOp) (*result, error) {
	s.txn.notifyOps = append(s.txn.notifyOps, op)
	tag := "LISTEN"
	if !op.listen {
		tag = "UNLISTEN"
	}
	return &result{tag: tag}, nil
}

// notifyStmt queues a notification for the transaction's commit (NOTIFY
// and pg_notify).
func (s *Session) notifyStmt(channel, payload string) error {
	if channel == "" {
		return pgerr.New(pgerr.InvalidParameterValue, "channel name cannot be empty")
	}
	if len(channel) > 63 {
		return pgerr.New(pgerr.InvalidParameterValue, "channel name too long")
	}
	if len(payload) > maxPayload {
		return pgerr.New(pgerr.InvalidParameterValue, "payload string too long")
	}
	n := pgwire.Notification{PID: uint32(s.pid), Channel: channel, Payload: payload}
	for _, q := range s.txn.notifies {
		if q == n {
			return nil // folded, as PostgreSQL folds duplicates
		}
	}
	s.txn.notifies = append(s.txn.notifies, n)
	return nil
}

// pgNotify answers pg_notify(channel, payload).
func (s *Session) pgNotify(args []types.Value) (types.Value, error) {
	if len(args) != 2 || args[0].IsNull() {
		return types.NewText(""), s.notifyStmt("", "")
	}
	payload := ""
	if !args[1].IsNull() {
		payload = args[1].S
	}
	return types.NewText(""), s.notifyStmt(args[0].S, payload)
}

// notifyCommitted applies a committed transaction's LISTEN / UNLISTEN and
// sends its notifications.
func (s *Session) notifyCommitted(t *txnState) {
	if len(t.notifyOps) == 0 && len(t.notifies) == 0 {
		return
	}
	e := s.eng
	e.listen.mu.Lock()
	if e.listen.by == nil {
		e.listen.by = map[string]map[*Session]struct{}{}
	}
	for _, op := range t.notifyOps {
		switch {
		case op.listen:
			set := e.listen.by[op.channel]
			if set == nil {
				set = map[*Session]struct{}{}
				e.listen.by[op.channel] = set
			}
			set[s] = struct{}{}
			if s.notify.listening == nil {
				s.notify.listening = map[string]bool{}
			}
			s.notify.listening[op.channel] = true
		case op.all:
			for ch := range s.notify.listening {
				e.unlistenLocked(s, ch)
			}
			s.notify.listening = nil
		default:
			e.unlistenLocked(s, op.channel)
			delete(s.notify.listening, op.channel)
		}
	}
	var woken []*Session
	for _, n := range t.notifies {
		for r := range e.listen.by[n.Channel] {
			r.mu.Lock()
			r.notify.queue = append(r.notify.queue, n)
			r.mu.Unlock()
			woken = append(woken, r)
		}
	}
	e.listen.mu.Unlock()
	for i, r := range woken {
		if r.notify.hook == nil || containsSession(woken[:i], r) {
			continue
		}
		// On its own goroutine: writing to a client that does not read
		// must not block the committing session.
		go r.notify.hook()
	}
}

func containsSession(ss []*Session, s *Session) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// unlistenLocked removes s from channel's listeners. e.listen.mu is held.
func (e *Engine) unlistenLocked(s *Session, channel string) {
	if set := e.listen.by[channel]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(e.listen.by, channel)
		}
	}
}

// unlistenAll removes the session from every channel (its end).
func (s *Session) unlistenAll() {
	if len(s.notify.listening) == 0 {
		return
	}
	e := s.eng
	e.listen.mu.Lock()
	for ch := range s.notify.listening {
		e.unlistenLocked(s, ch)
	}
	e.listen.mu.Unlock()
	s.notify.listening = nil
}

// notifyNode runs a LISTEN, UNLISTEN or NOTIFY statement.
func (s *Session) notifyNode(n *pg.Node) (*result, error) {
	switch x := n.Node.(type) {
	case *pg.Node_ListenStmt:
		return s.listenStmt(notifyOp{channel: x.ListenStmt.Conditionname, listen: true})
	case *pg.Node_UnlistenStmt:
		ch := x.UnlistenStmt.Conditionname
		return s.listenStmt(notifyOp{channel: ch, all: ch == ""})
	case *pg.Node_NotifyStmt:
		if err := s.notifyStmt(x.NotifyStmt.Conditionname, x.NotifyStmt.Payload); err != nil {
			return nil, err
		}
		return &result{tag: "NOTIFY"}, nil
	}
	return nil, pgerr.New(pgerr.InternalError, "not a LISTEN / NOTIFY statement")
}
