package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"
)

// Asynchronous notifications (LISTEN / NOTIFY).
//
// A session that implements Notifier queues notifications for its client
// and calls the hook pgwire gave it (SetNotifyHook) when it queued some.
// pgwire sends them as NotificationResponse messages: before each
// ReadyForQuery, and — for a client waiting idle, as pgx's
// WaitForNotification does — at once, written to the socket by the
// goroutine that queued them. That write is safe because an idle
// connection's goroutine is blocked reading, never writing: the idle flag
// changes only under wmu, which the hook holds while it writes, so the
// connection's goroutine, woken by a message, waits for the write to end
// before it answers.

// Notification is one NOTIFY delivered to a listening session.
type Notification struct {
	PID              uint32
	Channel, Payload string
}

// Notifier is implemented by sessions that deliver notifications.
type Notifier interface {
	// TakeNotifications returns and forgets the queued notifications.
	// Any goroutine may call it.
	TakeNotifications() []Notification
	// SetNotifyHook gives the session the function to call (from any
	// goroutine, no lock of the session held) after it queued
	// notifications.
	SetNotifyHook(func())
}

// sendNotifications puts the session's queued notifications into the
// write buffer (before a ReadyForQuery).
func (c *conn) sendNotifications() {
	if c.notifier == nil {
		return
	}
	for _, n := range c.notifier.TakeNotifications() {
		c.w.send(&pgproto3.NotificationResponse{PID: n.PID, Channel: n.Channel, Payload: n.Payload})
	}
}

// goIdle marks the connection idle (its goroutine is about to block
// reading the next command) and writes notifications queued meanwhile.
func (c *conn) goIdle() {
	c.wmu.Lock()
	c.idle.Store(true)
	if c.notifier != nil {
		c.writeNotificationsLocked()
	}
	c.wmu.Unlock()
}

// goBusy marks the connection no longer idle: it has a message to serve
// and may write.
func (c *conn) goBusy() {
	if c.notifier == nil {
		c.idle.Store(false)
		return
	}
	c.wmu.Lock()
	c.idle.Store(false)
	c.wmu.Unlock()
}

// notifyHook is the Notifier hook: an idle connection gets the session's
// notifications now; a busy one before its next ReadyForQuery.
func (c *conn) notifyHook() {
	c.wmu.Lock()
	if c.idle.Load() {
		c.writeNotificationsLocked()
	}
	c.wmu.Unlock()
}

// writeNotificationsLocked writes the queued notifications straight to
// the socket. c.wmu is held and the connection is idle.
func (c *conn) writeNotificationsLocked() {
	ns := c.notifier.TakeNotifications()
	if len(ns) == 0 {
		return
	}
	var buf []byte
	for _, n := range ns {
		buf, _ = (&pgproto3.NotificationResponse{PID: n.PID, Channel: n.Channel, Payload: n.Payload}).Encode(buf)
	}
	_, _ = c.nc.Write(buf)
}
