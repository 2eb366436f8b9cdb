package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"reflect"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/pgerr"
)

// Startup packet codes (PostgreSQL's pqcomm.h).
const (
	codeCancel   = 80877102
	codeSSL      = 80877103
	codeGSSEnc   = 80877104
	maxStartup   = 10000
	protoMajor3  = 3
	sqlstateAuth = "28000" // invalid_authorization_specification
	tooManyConns = "53300"
)

// Authenticator authenticates a connection between its StartupMessage and
// AuthenticationOk; it is the seam for password and SCRAM-SHA-256
// authentication. It returns nil to accept the client; an error (a
// *pgerr.Error, e.g. 28P01) is sent as FATAL and closes the connection.
// AuthenticationOk is sent by the server after it returns nil.
type Authenticator interface {
	Authenticate(ctx context.Context, ex AuthExchange, params map[string]string) error
}

// AuthExchange is the connection as an Authenticator sees it.
type AuthExchange interface {
	// Send buffers an authentication request (AuthenticationSASL, …).
	Send(msg pgproto3.BackendMessage)
	// Flush writes the buffered messages.
	Flush() error
	// SetAuthType tells the decoder how to read the next 'p' message
	// (pgproto3.AuthTypeSASL, AuthTypeSASLContinue, …).
	SetAuthType(t uint32) error
	// Receive returns the client's next message, valid until the next call.
	Receive() (pgproto3.FrontendMessage, error)
}

type authExchange struct{ c *conn }

func (a authExchange) Send(m pgproto3.BackendMessage) { a.c.w.send(m) }
func (a authExchange) Flush() error                   { return a.c.w.flush() }
func (a authExchange) SetAuthType(t uint32) error     { a.c.in.authType = t; return nil }
func (a authExchange) Receive() (pgproto3.FrontendMessage, error) {
	return a.c.receive()
}

// conn is one client connection. Everything but the fields under mu and the
// atomics is owned by the connection's goroutine (serve).
type conn struct {
	srv       *Server
	slotFreed bool // no longer counted against MaxConns (releaseSlot)
	nc        net.Conn
	rd        msgReader // frontend messages after startup (msgreader.go)
	in        inbound   // their reused structs
	w         writer
	log       *slog.Logger
	ctx       context.Context

	pid, secret uint32 // BackendKeyData; immutable once registered

	mu   sync.Mutex // guards sess for cancelStatement
	sess Session

	idle atomic.Bool // blocked reading the next command after ReadyForQuery
	// terminated: Server.Terminate (pg_terminate_backend) asked the
	// connection to end, as a shutdown ends them all.
	terminated atomic.Bool
	// noticer is the session's Noticer (nil if it has none, notice.go).
	noticer Noticer
	// notifier is the session's Notifier (nil if it has none); wmu orders
	// its hook's writes with the idle flag (notify.go).
	notifier Notifier
	wmu      sync.Mutex
	atRFQ    bool // the last message sent was ReadyForQuery
	dead     bool // a FATAL error was sent or the socket failed: close
	ignore   bool // extended protocol error: skip messages until Sync

	params     map[string]string // ParameterStatus values last sent
	paramsSeen unsafe.Pointer    // the Session.Params map they were compared with
	tzName     string
	loc        *time.Location

	rio rawIO // serveInline's state (netio.go)

	stmts   map[string]*prepared
	portals map[string]*portal
	spare   *portal // the last unnamed portal dropped, reused by Bind (dropPortal)
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv:     s,
		nc:      nc,
		ctx:     s.ctx,
		params:  make(map[string]string),
		stmts:   make(map[string]*prepared),
		portals: make(map[string]*portal),
		loc:     time.UTC,
	}
	c.w = writer{nc: nc, limit: s.cfg.WriteBufferSize, buf: make([]byte, 0, 4096)}
	c.log = s.logger.With("remote", nc.RemoteAddr().String())
	c.rd = msgReader{rd: netReader{c}, maxBody: s.cfg.MaxMessageSize}
	c.initRawIO()
	return c
}

// netReader reads from the socket, first flushing pending output: the
// client may be waiting for it before it sends more.
type netReader struct{ c *conn }

func (r netReader) Read(p []byte) (int, error) {
	if err := r.c.inlineRead(); err != nil {
		return 0, err
	}
	if len(r.c.w.buf) > 0 {
		if err := r.c.w.flush(); err != nil {
			return 0, err
		}
	}
	return r.c.nc.Read(p)
}

func (c *conn) cancelStatement() {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		s.Cancel()
	}
}

// wakeForShutdown makes an idle connection's blocked read return so that
// it can say goodbye; busy connections notice at their next ReadyForQuery.
// ending reports whether the connection is to end at the next
// ReadyForQuery boundary: the server shuts down or Terminate named it.
func (c *conn) ending() bool { return c.srv.shutdown.Load() || c.terminated.Load() }

func (c *conn) wakeForShutdown() {
	if c.idle.Load() {
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

func (c *conn) location() *time.Location { return c.loc }

func (c *conn) recovered(r any) {
	c.srv.panics.Add(1)
	c.log.Error("pgwire: panic serving connection", "panic", r, "stack", string(debug.Stack()))
}

func (c *conn) serve() {
	defer c.srv.removeConn(c)
	defer c.nc.Close()
	defer func() {
		if r := recover(); r != nil {
			c.recovered(r)
			c.w.truncate()
			c.fatal(pgerr.New(pgerr.InternalError, "internal error: %v", r))
		}
	}()
	if !c.startup() {
		_ = c.w.flush()
		return
	}
	defer c.closeSession()
	for !c.dead {
		if c.rio.rc != nil {
			// Until a message it leaves to this loop (netio.go).
			if !c.serveInline() {
				return
			}
			if c.dead {
				break
			}
		}
		if c.atRFQ {
			c.goIdle()
			if c.ending() {
				c.idle.Store(false)
				c.fatal(adminShutdown())
				return
			}
		}
		msg, err := c.receive()
		c.goBusy()
		if err != nil {
			c.receiveError(err)
			return
		}
		if c.atRFQ && c.ending() {
			// As PostgreSQL checks for a pending termination after
			// reading a command: pg_terminate_backend having returned,
			// the session runs nothing more, even if the command was
			// already in flight.
			c.fatal(adminShutdown())
			return
		}
		c.atRFQ = false
		if !c.handle(msg) {
			break
		}
	}
	_ = c.w.flush()
}

func (c *conn) closeSession() {
	c.srv.unregister(c) // no CancelRequest reaches a closed session
	for name, p := range c.portals {
		p.close()
		delete(c.portals, name)
	}
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

// fatal sends a FATAL error and marks the connection for closing.
func (c *conn) fatal(e *pgerr.Error) {
	f := *e
	f.Severity = "FATAL"
	c.releaseSlot()
	c.w.errorResponse(&f)
	_ = c.w.flush()
	c.dead = true
}

// receiveError handles a failed Receive: the stream cannot be resynchronised.
func (c *conn) receiveError(err error) {
	c.dead = true
	var tooBig *pgproto3.ExceededMaxBodyLenErr
	switch {
	case c.w.err != nil:
		// The socket is gone.
	case c.ending():
		c.fatal(adminShutdown())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		// The client went away.
	case errors.As(err, &tooBig):
		c.log.Info("pgwire: message too large", "err", err)
		c.fatal(pgerr.New(pgerr.ProgramLimitExceeded, "message of %d bytes exceeds the limit of %d bytes", tooBig.ActualBodyLen, tooBig.MaxExpectedBodyLen))
	default:
		var ne net.Error
		if errors.As(err, &ne) {
			return // reset, timeout
		}
		c.log.Info("pgwire: protocol violation", "err", err)
		c.fatal(pgerr.New(pgerr.ProtocolViolation, "invalid frontend message: %v", err))
	}
}

// sendError sends err as an ErrorResponse; a FATAL one closes the connection.
func (c *conn) sendError(err error) {
	if c.dead {
		return // the connection already failed (and said so if it could)
	}
	e := pgerr.FromError(err)
	if e.Code == pgerr.InternalError || e.Code == "" {
		c.log.Error("pgwire: internal error", "err", err)
	}
	if e.Severity == "FATAL" || e.Severity == "PANIC" {
		c.fatal(e)
		return
	}
	c.sendNotices() // raised before the error, as PostgreSQL sends them
	c.w.errorResponse(e)
}

func (c *conn) readyForQuery() {
	status := c.sess.TxStatus()
	if status == 'I' && len(c.portals) > 0 {
		// Portals end with their transaction.
		for name, p := range c.portals {
			c.dropPortal(name, p)
		}
	}
	c.sendNotices()
	c.sendNotifications()
	c.w.readyForQuery(status)
	_ = c.w.flush()
	c.atRFQ = true
}

// readStartup reads one startup packet (length-prefixed, no type byte)
// straight from the socket, so nothing is buffered before TLS or a
// pgproto3.Backend takes over.
func (c *conn) readStartup() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
		return nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[:]))) - 4
	if n < 4 || n > maxStartup {
		return nil, pgerr.New(pgerr.ProtocolViolation, "invalid length of startup packet")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.nc, body); err != nil {
		return nil, err
	}
	return body, nil
}

// startup runs the startup phase up to the first ReadyForQuery. It returns
// false when the connection is to be closed (cancel request, error).
func (c *conn) startup() bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(time.Minute)) // authentication_timeout
	var body []byte
	for attempt := 0; ; attempt++ {
		b, err := c.readStartup()
		if err != nil {
			var pe *pgerr.Error
			if errors.As(err, &pe) {
				c.fatal(pe)
			}
			return false
		}
		code := binary.BigEndian.Uint32(b)
		switch {
		case code == codeSSL || code == codeGSSEnc:
			if attempt > 2 {
				c.fatal(pgerr.New(pgerr.ProtocolViolation, "too many encryption requests"))
				return false
			}
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false
			}
			continue
		case code == codeCancel:
			if len(b) >= 8 {
				c.srv.cancelRequest(binary.BigEndian.Uint32(b[4:8]), b[8:])
			}
			return false
		case code>>16 != protoMajor3:
			c.fatal(pgerr.New(pgerr.FeatureNotSupported,
				"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", code>>16, code&0xffff))
			return false
		}
		body = b
		break
	}
	code := binary.BigEndian.Uint32(body)
	params, unrecognized, err := parseStartupParams(body[4:])
	if err != nil {
		c.fatal(pgerr.FromError(err))
		return false
	}
	if code&0xffff != 0 || len(unrecognized) > 0 {
		// We speak 3.0: tell a newer client so, and which _pq_ options we ignore.
		c.w.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unrecognized})
	}
	if params["user"] == "" {
		c.fatal(pgerr.New(sqlstateAuth, "no PostgreSQL user name specified in startup packet"))
		return false
	}
	if params["database"] == "" {
		params["database"] = params["user"]
	}
	c.log = c.log.With("user", params["user"])
	if max := c.srv.cfg.MaxConns; max > 0 && c.srv.active.Load() > int64(max) {
		c.fatal(pgerr.New(tooManyConns, "sorry, too many clients already"))
		return false
	}
	if a := c.srv.cfg.Auth; a != nil {
		if err := a.Authenticate(c.ctx, authExchange{c}, params); err != nil {
			c.fatal(pgerr.FromError(err))
			return false
		}
	}
	c.w.send(&pgproto3.AuthenticationOk{})
	sess, err := c.srv.eng.NewSession(c.ctx, params)
	if err != nil {
		c.fatal(pgerr.FromError(err))
		return false
	}
	c.mu.Lock()
	c.sess = sess
	c.mu.Unlock()
	if n, ok := sess.(Notifier); ok {
		c.notifier = n
		n.SetNotifyHook(c.notifyHook)
	}
	if n, ok := sess.(Noticer); ok {
		c.noticer = n
	}
	c.srv.register(c)
	c.log = c.log.With("pid", c.pid)
	_ = c.nc.SetReadDeadline(time.Time{})
	c.syncParams()
	c.w.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: binary.BigEndian.AppendUint32(nil, c.secret)})
	c.readyForQuery()
	return c.w.err == nil
}

// parseStartupParams decodes the name/value pairs of a StartupMessage and
// returns the _pq_ protocol options separately (we support none).
func parseStartupParams(b []byte) (map[string]string, []string, error) {
	params := make(map[string]string)
	var unrecognized []string
	for {
		i := indexZero(b)
		if i < 0 {
			return nil, nil, pgerr.New(pgerr.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
		}
		if i == 0 {
			return params, unrecognized, nil
		}
		name := string(b[:i])
		b = b[i+1:]
		j := indexZero(b)
		if j < 0 {
			return nil, nil, pgerr.New(pgerr.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
		}
		value := string(b[:j])
		b = b[j+1:]
		if len(name) > 5 && name[:5] == "_pq_." {
			unrecognized = append(unrecognized, name)
			continue
		}
		params[name] = value
	}
}

func indexZero(b []byte) int {
	for i, x := range b {
		if x == 0 {
			return i
		}
	}
	return -1
}

// syncParams sends ParameterStatus for every session parameter whose value
// differs from the one last sent, and follows TimeZone.
func (c *conn) syncParams() {
	p := c.sess.Params()
	id := reflect.ValueOf(p).UnsafePointer()
	if id == c.paramsSeen {
		return // the same map as last time: nothing changed (Session.Params)
	}
	c.paramsSeen = id
	var changed []string
	for k, v := range p {
		if old, ok := c.params[k]; !ok || old != v {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return
	}
	sort.Strings(changed)
	for _, k := range changed {
		v := p[k]
		c.params[k] = v
		c.w.parameterStatus(k, v)
		if k == "TimeZone" {
			c.setTimeZone(v)
		}
	}
}

var zoneCache sync.Map // name → *time.Location

func (c *conn) setTimeZone(name string) {
	if name == c.tzName {
		return
	}
	c.tzName = name
	if l, ok := zoneCache.Load(name); ok {
		c.loc = l.(*time.Location)
		return
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		c.log.Warn("pgwire: unknown TimeZone, using UTC", "TimeZone", name, "err", err)
		loc = time.UTC
	}
	zoneCache.Store(name, loc)
	c.loc = loc
}

// handle processes one message. It returns false when the connection is to
// be closed. A panic is recovered, logged and reported as XX000.
func (c *conn) handle(msg pgproto3.FrontendMessage) (keep bool) {
	extended := false
	defer func() {
		if r := recover(); r != nil {
			c.recovered(r)
			c.w.truncate()
			c.sendError(pgerr.New(pgerr.InternalError, "internal error: %v", r))
			if extended {
				c.ignore = true
			} else {
				c.readyForQuery()
			}
			keep = !c.dead
		}
	}()
	switch msg.(type) {
	case *pgproto3.Sync:
		c.ignore = false
		c.readyForQuery()
		return !c.dead
	case *pgproto3.Terminate:
		return false
	}
	if c.ignore {
		return true
	}
	var err error
	switch m := msg.(type) {
	case *pgproto3.Query:
		c.simpleQuery(m.String)
		return !c.dead
	case *pgproto3.Parse:
		extended = true
		err = c.parse(m)
	case *pgproto3.Bind:
		extended = true
		err = c.bind(m)
	case *pgproto3.Describe:
		extended = true
		err = c.describe(m)
	case *pgproto3.Execute:
		extended = true
		err = c.execute(m)
	case *pgproto3.Close:
		extended = true
		err = c.closeMsg(m)
	case *pgproto3.Flush:
		_ = c.w.flush()
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		// Left over from a COPY FROM that failed: ignored, as PostgreSQL does.
	case *pgproto3.FunctionCall:
		c.sendError(pgerr.NotSupported("fastpath function calls are not supported"))
		c.readyForQuery()
	default:
		c.fatal(pgerr.New(pgerr.ProtocolViolation, "unexpected message type %T", msg))
	}
	if err != nil {
		c.sendError(err)
		c.ignore = true
	}
	return !c.dead
}

// simpleQuery runs a Query message: every statement in turn, stopping at the
// first error, then ReadyForQuery.
func (c *conn) simpleQuery(sql string) {
	c.dropUnnamed()
	stmts, err := c.sess.Prepare(c.ctx, sql, nil)
	switch {
	case err != nil:
		c.sendError(err)
	case len(stmts) == 0:
		c.w.simple('I') // EmptyQueryResponse
	default:
		for _, st := range stmts {
			err := c.runSimple(st)
			c.syncParams()
			if err != nil {
				c.sendError(err)
				break
			}
			if c.dead {
				return
			}
		}
	}
	if !c.dead {
		c.readyForQuery()
	}
}

// runSimple executes one statement of a simple query and streams its
// result in text format.
func (c *conn) runSimple(st Statement) error {
	res, err := st.Execute(c.ctx, nil)
	if err != nil {
		return err
	}
	defer res.Close()
	if cp := res.Copy(); cp != nil {
		tag, err := c.runCopy(res, cp)
		if err != nil {
			return err
		}
		c.sendNotices()
		c.w.commandComplete(tag)
		return nil
	}
	cols := res.Columns()
	if cols != nil {
		c.w.rowDescription(cols, nil)
	}
	for {
		row, err := res.Next(c.ctx)
		if err != nil {
			return err
		}
		if row == nil {
			break
		}
		if err := c.w.dataRow(row, cols, nil, c); err != nil {
			return err
		}
		c.w.maybeFlush()
	}
	c.sendNotices()
	c.w.commandComplete(res.Tag())
	return nil
}

// dropUnnamed removes the unnamed statement and portal (a Query does).
func (c *conn) dropUnnamed() {
	delete(c.stmts, "")
	if p := c.portals[""]; p != nil {
		c.dropPortal("", p)
	}
}
