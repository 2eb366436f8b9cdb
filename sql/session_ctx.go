package sql

import (
	"context"
	"sync"
)

// stmtCtx is the context statements run under: the connection's context
// plus Session.Cancel. One stmtCtx serves statement after statement until it
// is cancelled (then the next statement gets a new one), so a statement
// costs no context.WithCancel: that was an allocation, a closure and a
// registration with the parent under its lock, per statement.
//
// The parent's cancellation reaches it through one context.AfterFunc
// registered when it is made (undone by stop).
type stmtCtx struct {
	context.Context // the parent: Deadline and Value

	mu   sync.Mutex
	done chan struct{} // made on first use; closed by cancel
	err  error         // set once by cancel

	stop func() bool // unregisters the AfterFunc on the parent
}

func newStmtCtx(parent context.Context) *stmtCtx {
	c := &stmtCtx{Context: parent}
	c.stop = context.AfterFunc(parent, func() { c.cancel(parent.Err()) })
	return c
}

func (c *stmtCtx) Done() <-chan struct{} {
	c.mu.Lock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			close(c.done)
		}
	}
	d := c.done
	c.mu.Unlock()
	return d
}

func (c *stmtCtx) Err() error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.Context.Err()
}

// cancel fires the context (the first error sticks).
func (c *stmtCtx) cancel(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
		if c.done != nil {
			close(c.done)
		}
	}
	c.mu.Unlock()
}

// fired reports whether the context was cancelled (it is not reused then).
func (c *stmtCtx) fired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil
}

// statementContext returns the context for a statement starting now under
// parent: the session's reused stmtCtx, or a new one if it was cancelled or
// belongs to another parent. Called with s.mu held.
func (s *Session) statementContext(parent context.Context) *stmtCtx {
	c := s.sctx
	if c != nil && c.Context == parent && !c.fired() {
		return c
	}
	if c != nil {
		c.stop()
	}
	c = newStmtCtx(parent)
	s.sctx = c
	return c
}
