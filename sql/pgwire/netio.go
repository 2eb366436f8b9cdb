package pgwire

import (
	"errors"
	"io"
	"runtime"
	"sync/atomic"
	"syscall"
)

// Serving without reads that fail. A client that waits for each reply
// (pgbench, most drivers outside a pipeline) has sent nothing when its
// ReadyForQuery goes out, so the read the ordinary loop makes next finds
// the socket empty (EAGAIN) before the goroutine parks in the netpoller:
// two reads per round trip, one of them useless. On the machines this is
// measured on a system call costs ~2 µs, a tenth of a prepared point
// select's whole server time.
//
// serveInline runs the connection inside one syscall.RawConn.Read: its
// callback (inlineStep) reads into the message buffer with read(2),
// handles the buffered messages, writes the replies, and then returns
// "not ready" — which parks the goroutine until the socket is readable —
// without trying another read when the last one came back short. That is
// safe because the netpoller forgets readiness only when a RawConn.Read
// begins (internal/poll's prepareRead), never between the callback's
// calls: data that arrives after a read that drained the socket always
// wakes the wait (or finds it already marked ready), and a read that
// filled the buffer is followed by another before any wait. A wake with
// nothing to read (readiness of data an earlier read already took) costs
// one read that fails, as before.
//
// Only the messages of the extended protocol (Parse, Bind, Describe,
// Execute, Sync, Flush, Close) and simple queries are handled inline —
// never a statement that could start COPY FROM, which reads from the
// client itself (its text mentions copy: see mentionsCopy), nor the
// messages of other states; serveInline then returns with the message
// still buffered and the ordinary loop takes it. A read attempted inline
// anyway fails the connection instead of deadlocking on the socket's read
// lock (netReader.Read).

// rawIO is a connection's state for serveInline.
type rawIO struct {
	rc      syscall.RawConn // nil: not a socket (or not Linux): the ordinary loop only
	step    func(fd uintptr) bool
	active  bool         // inside serveInline's RawConn.Read
	drained bool         // the last read came back short: wait before reading again
	err     error        // why the callback stopped (read error, EOF, bad message)
	stop    bool         // handle returned false (Terminate)
	reads   atomic.Int64 // read(2) calls made inline (tests)
}

// initRawIO enables serveInline for sockets on Linux, whose netpoller
// (edge-triggered epoll) behaves as argued above.
func (c *conn) initRawIO() {
	if runtime.GOOS != "linux" {
		return
	}
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	c.rio.rc = rc
	c.rio.step = c.inlineStep // one method value per connection
}

// errReadInline is a read attempted from inside serveInline (a statement
// reading from the client that mentionsCopy did not catch); the socket's
// read lock is held there, so it cannot be served.
var errReadInline = errors.New("pgwire: a statement read from the client while its message was handled inline")

// serveInline serves messages until one is not handled inline, the
// connection fails or ends, or a shutdown is pending at a ReadyForQuery.
// It returns false when the connection is to be closed (after
// receiveError).
func (c *conn) serveInline() bool {
	r := &c.rio
	r.active, r.drained, r.err, r.stop = true, false, nil, false
	err := r.rc.Read(r.step)
	r.active = false
	c.goBusy()
	switch {
	case r.stop:
		return false
	case r.err != nil:
		c.receiveError(r.err)
		return false
	case err != nil:
		c.receiveError(err)
		return false
	}
	return true
}

// inlineStep is serveInline's RawConn.Read callback; it returns false to
// wait until the socket is readable.
func (c *conn) inlineStep(fd uintptr) bool {
	r := &c.rio
	c.goBusy()
	for !c.dead {
		typ, body, ok, err := c.rd.tryNext()
		if err != nil {
			r.err = err
			return true
		}
		if ok {
			if c.atRFQ && c.ending() {
				// A command that arrived as the connection was told to
				// end is not run (the ordinary loop says goodbye).
				c.rd.unread()
				return true
			}
			if !c.inlineOK(typ, body) {
				c.rd.unread() // for the ordinary loop
				return true
			}
			msg, err := c.decode(typ, body)
			if err != nil {
				r.err = err
				return true
			}
			c.atRFQ = false
			if !c.handle(msg) {
				r.stop = true
				return true
			}
			continue
		}
		if !r.drained {
			buf := c.rd.space()
			r.reads.Add(1)
			n, err := syscall.Read(int(fd), buf)
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN:
				r.drained = true
				continue
			case err != nil:
				r.err = err
				return true
			case n == 0:
				if c.rd.r != c.rd.w {
					r.err = io.ErrUnexpectedEOF
				} else {
					r.err = io.EOF
				}
				return true
			}
			c.rd.w += n
			r.drained = n < len(buf)
			continue
		}
		// Nothing whole is buffered and the socket is drained: send what
		// is pending and wait for the client.
		if err := c.w.flush(); err != nil {
			r.err = err
			return true
		}
		if c.atRFQ {
			c.goIdle()
			if c.ending() {
				return true // the ordinary loop says goodbye
			}
		}
		r.drained = false // woken: read
		return false
	}
	return true
}

// inlineOK reports whether a buffered message is handled inline.
func (c *conn) inlineOK(typ byte, body []byte) bool {
	switch typ {
	case 'B', 'D', 'S', 'H', 'C', 'P':
		return true
	case 'Q':
		return !mentionsCopy(body)
	case 'E':
		name, _, ok := cstring(body)
		if !ok {
			return true // malformed: decode reports it
		}
		p := c.portals[string(name)]
		return p == nil || !p.stmt.mayCopy
	}
	return false
}

// mentionsCopy reports whether s contains "copy" in any case: a statement
// that could be COPY (the only one that reads from the client while it
// runs) is left to the ordinary loop.
func mentionsCopy[T string | []byte](s T) bool {
	for i := 0; i+4 <= len(s); i++ {
		if s[i]|0x20 == 'c' && s[i+1]|0x20 == 'o' && s[i+2]|0x20 == 'p' && s[i+3]|0x20 == 'y' {
			return true
		}
	}
	return false
}

// inlineRead guards netReader.Read: inside serveInline the socket's read
// lock is held, so a read there would wait for itself.
func (c *conn) inlineRead() error {
	if c.rio.active {
		return errReadInline
	}
	return nil
}
