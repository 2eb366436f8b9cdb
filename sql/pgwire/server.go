package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// Config configures a Server. The zero value is usable.
type Config struct {
	// MaxMessageSize bounds a client message body in bytes (pgproto3's
	// SetMaxBodyLen); a larger message gets FATAL 54000 and the connection is
	// closed. 0 means DefaultMaxMessageSize.
	MaxMessageSize int
	// MaxConns bounds concurrent connections; more get FATAL 53300. 0 means
	// no limit.
	MaxConns int
	// Auth authenticates a connection after its StartupMessage. nil means
	// trust: every user is accepted (AuthenticationOk).
	Auth Authenticator
	// WriteBufferSize is the output size at which a connection flushes in
	// the middle of a result. 0 means 32 KiB.
	WriteBufferSize int
}

// DefaultMaxMessageSize is the message size bound when Config leaves it 0.
const DefaultMaxMessageSize = 64 << 20

// Stats are a Server's counters.
type Stats struct {
	Active   int64 // connections open now (sessions and cancel requests)
	Accepted int64 // connections accepted since start
	Panics   int64 // panics recovered while serving connections
}

// Server serves the PostgreSQL wire protocol for an Engine.
type Server struct {
	cfg    Config
	eng    Engine
	logger *slog.Logger

	ctx    context.Context // cancelled when Shutdown's deadline passes
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	byPID     map[uint32]*conn // sessions reachable by CancelRequest
	nextPID   uint32
	closing   bool
	wg        sync.WaitGroup

	active, accepted, panics atomic.Int64
	shutdown                 atomic.Bool
}

// NewServer returns a Server for eng. logger may be nil (slog.Default()).
func NewServer(cfg Config, eng Engine, logger *slog.Logger) *Server {
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.WriteBufferSize <= 0 {
		cfg.WriteBufferSize = 32 << 10
	}
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg: cfg, eng: eng, logger: logger,
		ctx: ctx, cancel: cancel,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		byPID:     make(map[uint32]*conn),
	}
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("pgwire: server closed")

// Serve accepts connections on ln until Shutdown or an accept error, serving
// each on its own goroutine. It returns ErrServerClosed after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := s.newConn(nc)
		if c == nil {
			nc.Close()
			continue
		}
		go c.serve()
	}
}

// newConn registers a connection, or returns nil when shutting down.
func (s *Server) newConn(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.accepted.Add(1)
	s.active.Add(1)
	return c
}

func (s *Server) removeConn(c *conn) {
	s.unregister(c)
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.releaseSlot()
	s.wg.Done()
}

// releaseSlot stops counting c against MaxConns, once. fatal calls it before
// the FATAL reaches the client, so a client that reconnects right after
// (a retry after a wrong password) never finds its own dying connection
// still holding the slot. Called only from c's goroutine.
func (c *conn) releaseSlot() {
	if !c.slotFreed {
		c.slotFreed = true
		c.srv.active.Add(-1)
	}
}

// register gives c its BackendKeyData (pid, secret) and makes it reachable
// by CancelRequest. c.pid and c.secret are set under s.mu and never change.
// The pid is the session's own (BackendPID: what pg_backend_pid() and
// pg_stat_activity show) when it has one and it is free, else the server's
// next.
func (s *Server) register(c *conn) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if bp, ok := c.sess.(interface{ BackendPID() uint32 }); ok {
		if pid := bp.BackendPID(); pid != 0 && s.byPID[pid] == nil {
			c.pid, c.secret = pid, binary.BigEndian.Uint32(b[:])
			s.byPID[c.pid] = c
			return
		}
	}
	for {
		s.nextPID++
		if s.nextPID == 0 {
			continue
		}
		if _, used := s.byPID[s.nextPID]; !used {
			break
		}
	}
	c.pid, c.secret = s.nextPID, binary.BigEndian.Uint32(b[:])
	s.byPID[c.pid] = c
}

// unregister makes c unreachable by CancelRequest.
func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.pid != 0 && s.byPID[c.pid] == c {
		delete(s.byPID, c.pid)
	}
}

// Terminate ends the connection whose BackendKeyData pid is pid, as
// pg_terminate_backend does: its running statement is cancelled and the
// client gets FATAL 57P01 before the socket closes. False: no such
// connection.
func (s *Server) Terminate(pid uint32) bool {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil {
		return false
	}
	c.terminated.Store(true)
	c.cancelStatement()
	c.wakeForShutdown()
	return true
}

// cancelRequest handles a CancelRequest: cancels the session's running
// statement if pid and secret match. It never reports anything back.
func (s *Server) cancelRequest(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil || len(secret) != 4 {
		return
	}
	var want [4]byte
	binary.BigEndian.PutUint32(want[:], c.secret)
	if subtle.ConstantTimeCompare(want[:], secret) != 1 {
		return
	}
	c.cancelStatement()
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{Active: s.active.Load(), Accepted: s.accepted.Load(), Panics: s.panics.Load()}
}

// Shutdown stops accepting connections, lets running statements finish and
// closes every connection with FATAL 57P01 (admin_shutdown) once it is
// between statements. When ctx ends first, running statements are
// cancelled (Session.Cancel) and, after a short grace period, the remaining
// sockets are closed; Shutdown then returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.shutdown.Store(true)
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.wakeForShutdown()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
	}
	s.cancel()
	s.mu.Lock()
	for c := range s.conns {
		c.cancelStatement()
	}
	s.mu.Unlock()
	select {
	case <-done:
		return ctx.Err()
	case <-time.After(time.Second):
	}
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.logger.Warn("pgwire: connections still running after Shutdown", "active", s.active.Load())
	}
	return ctx.Err()
}

// adminShutdown is the error sent to clients when the server shuts down.
func adminShutdown() *pgerr.Error {
	e := pgerr.New(pgerr.AdminShutdown, "terminating connection due to administrator command")
	e.Severity = "FATAL"
	return e
}
