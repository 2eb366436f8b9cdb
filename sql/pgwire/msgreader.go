package pgwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"
)

// msgReader frames frontend messages (after startup) out of one reused
// buffer. It replaces pgproto3.Backend.Receive on the hot path: Bind,
// Describe, Execute and Sync — all of a prepared statement's round trip —
// are decoded here into the connection's reused message structs with no
// allocation (pgproto3's Bind.Decode made three slices and two strings per
// message); the other messages are decoded by pgproto3's own Decode.
//
// A returned message (and any byte slice in it) is valid only until the
// next call, as with pgproto3.
type msgReader struct {
	rd      io.Reader // netReader: flushes pending output before it blocks
	buf     []byte
	r, w    int // unread bytes are buf[r:w]
	last    int // where tryNext's message began (unread)
	maxBody int // 0: no limit
}

const (
	readBufSize  = 8 << 10
	readBufLimit = 256 << 10 // a buffer grown past this is dropped when empty
)

// reset rewinds an empty buffer (dropping one that grew too big).
func (m *msgReader) reset() {
	if m.r == m.w {
		m.r, m.w = 0, 0
		if len(m.buf) > readBufLimit {
			m.buf = nil
		}
	}
	if m.buf == nil {
		m.buf = make([]byte, readBufSize)
	}
}

// tryNext returns the next message if it is buffered whole (ok false:
// more bytes are needed); it never reads. unread puts the message it
// returned back.
func (m *msgReader) tryNext() (typ byte, body []byte, ok bool, err error) {
	m.reset()
	if m.w-m.r < 5 {
		return 0, nil, false, nil
	}
	typ = m.buf[m.r]
	n := int(int32(binary.BigEndian.Uint32(m.buf[m.r+1:])))
	if n < 4 {
		return 0, nil, false, fmt.Errorf("invalid message length: %d", n)
	}
	if m.maxBody > 0 && n-4 > m.maxBody {
		return 0, nil, false, &pgproto3.ExceededMaxBodyLenErr{MaxExpectedBodyLen: m.maxBody, ActualBodyLen: n - 4}
	}
	if m.w-m.r < 1+n {
		return 0, nil, false, nil
	}
	m.last = m.r
	body = m.buf[m.r+5 : m.r+1+n : m.r+1+n]
	m.r += 1 + n
	return typ, body, true, nil
}

func (m *msgReader) unread() { m.r = m.last }

// space returns where the next read goes: free space after the unread
// bytes, with room for the whole of a message whose header is buffered.
func (m *msgReader) space() []byte {
	m.reset()
	need := readBufSize / 2
	if m.w-m.r >= 5 {
		if n := int(int32(binary.BigEndian.Uint32(m.buf[m.r+1:]))); n >= 4 {
			need = max(need, 1+n)
		}
	}
	m.room(need)
	return m.buf[m.w:]
}

// next returns the next message's type byte and body.
func (m *msgReader) next() (byte, []byte, error) {
	m.reset()
	if err := m.fill(5); err != nil {
		if errors.Is(err, io.EOF) && m.r == m.w {
			return 0, nil, io.EOF // between messages
		}
		return 0, nil, unexpectedEOF(err)
	}
	typ := m.buf[m.r]
	n := int(int32(binary.BigEndian.Uint32(m.buf[m.r+1:])))
	if n < 4 {
		return 0, nil, fmt.Errorf("invalid message length: %d", n)
	}
	body := n - 4
	if m.maxBody > 0 && body > m.maxBody {
		return 0, nil, &pgproto3.ExceededMaxBodyLenErr{MaxExpectedBodyLen: m.maxBody, ActualBodyLen: body}
	}
	if err := m.fill(5 + body); err != nil {
		return 0, nil, unexpectedEOF(err)
	}
	b := m.buf[m.r+5 : m.r+5+body : m.r+5+body]
	m.r += 5 + body
	return typ, b, nil
}

// fill makes at least n unread bytes available, moving or growing the
// buffer as needed (which invalidates earlier messages).
func (m *msgReader) fill(n int) error {
	if m.w-m.r >= n {
		return nil
	}
	m.room(n)
	for m.w-m.r < n {
		k, err := m.rd.Read(m.buf[m.w:])
		m.w += k
		if err != nil {
			if m.w-m.r >= n {
				return nil
			}
			return err
		}
	}
	return nil
}

// room makes buf hold at least n bytes from r on (moving the unread bytes
// to the front, or into a bigger buffer), which invalidates earlier
// messages.
func (m *msgReader) room(n int) {
	if len(m.buf)-m.r < n {
		buf := m.buf
		if n > len(buf) {
			buf = make([]byte, max(n, 2*len(buf)))
		}
		m.w = copy(buf, m.buf[m.r:m.w])
		m.r = 0
		m.buf = buf
	}
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// inbound holds a connection's reused frontend message structs.
type inbound struct {
	bind     pgproto3.Bind
	describe pgproto3.Describe
	execute  pgproto3.Execute
	sync     pgproto3.Sync
	flush    pgproto3.Flush
	term     pgproto3.Terminate
	parse    pgproto3.Parse
	query    pgproto3.Query
	close    pgproto3.Close
	copyData pgproto3.CopyData
	copyDone pgproto3.CopyDone
	copyFail pgproto3.CopyFail
	fcall    pgproto3.FunctionCall
	authType uint32 // how to read a 'p' message (AuthExchange.SetAuthType)
}

var errBadMessage = errors.New("malformed message")

// receive reads and decodes the client's next message.
func (c *conn) receive() (pgproto3.FrontendMessage, error) {
	typ, b, err := c.rd.next()
	if err != nil {
		return nil, err
	}
	return c.decode(typ, b)
}

// decode decodes a message of type typ with body b.
func (c *conn) decode(typ byte, b []byte) (pgproto3.FrontendMessage, error) {
	in := &c.in
	var msg pgproto3.FrontendMessage
	switch typ {
	case 'B':
		if err := c.decodeBind(b); err != nil {
			return nil, fmt.Errorf("Bind: %w", err)
		}
		return &in.bind, nil
	case 'E':
		name, rest, ok := cstring(b)
		if !ok || len(rest) < 4 {
			return nil, fmt.Errorf("Execute: %w", errBadMessage)
		}
		in.execute.Portal = c.portalName(name)
		in.execute.MaxRows = binary.BigEndian.Uint32(rest)
		return &in.execute, nil
	case 'D':
		if len(b) < 2 {
			return nil, fmt.Errorf("Describe: %w", errBadMessage)
		}
		name, rest, ok := cstring(b[1:])
		if !ok || len(rest) != 0 {
			return nil, fmt.Errorf("Describe: %w", errBadMessage)
		}
		in.describe.ObjectType = b[0]
		if b[0] == 'S' {
			in.describe.Name = c.stmtName(name)
		} else {
			in.describe.Name = c.portalName(name)
		}
		return &in.describe, nil
	case 'S':
		msg = &in.sync
	case 'H':
		msg = &in.flush
	case 'X':
		msg = &in.term
	case 'P':
		msg = &in.parse
	case 'Q':
		msg = &in.query
	case 'C':
		msg = &in.close
	case 'd':
		msg = &in.copyData
	case 'c':
		msg = &in.copyDone
	case 'f':
		msg = &in.copyFail
	case 'F':
		msg = &in.fcall
	case 'p':
		switch in.authType {
		case pgproto3.AuthTypeSASL:
			msg = &pgproto3.SASLInitialResponse{}
		case pgproto3.AuthTypeSASLContinue, pgproto3.AuthTypeSASLFinal:
			msg = &pgproto3.SASLResponse{}
		case pgproto3.AuthTypeGSS, pgproto3.AuthTypeGSSCont:
			msg = &pgproto3.GSSResponse{}
		default:
			msg = &pgproto3.PasswordMessage{}
		}
	default:
		return nil, fmt.Errorf("unknown message type: %c", typ)
	}
	if err := msg.Decode(b); err != nil {
		return nil, err
	}
	return msg, nil
}

// decodeBind decodes a Bind message into c.in.bind, reusing its slices.
// Parameters alias b; a NULL parameter is nil, an empty one is not.
func (c *conn) decodeBind(b []byte) error {
	m := &c.in.bind
	portal, b, ok := cstring(b)
	if !ok {
		return errBadMessage
	}
	stmt, b, ok := cstring(b)
	if !ok {
		return errBadMessage
	}
	m.DestinationPortal = c.portalName(portal)
	m.PreparedStatement = c.stmtName(stmt)
	var n int
	if n, b, ok = uint16At(b); !ok || len(b) < 2*n {
		return errBadMessage
	}
	m.ParameterFormatCodes = m.ParameterFormatCodes[:0]
	for i := 0; i < n; i++ {
		m.ParameterFormatCodes = append(m.ParameterFormatCodes, int16(binary.BigEndian.Uint16(b[2*i:])))
	}
	b = b[2*n:]
	if n, b, ok = uint16At(b); !ok {
		return errBadMessage
	}
	m.Parameters = m.Parameters[:0]
	for i := 0; i < n; i++ {
		if len(b) < 4 {
			return errBadMessage
		}
		size := int(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
		if size == -1 {
			m.Parameters = append(m.Parameters, nil)
			continue
		}
		if size < 0 || len(b) < size {
			return errBadMessage
		}
		m.Parameters = append(m.Parameters, b[:size:size])
		b = b[size:]
	}
	if n, b, ok = uint16At(b); !ok || len(b) < 2*n {
		return errBadMessage
	}
	m.ResultFormatCodes = m.ResultFormatCodes[:0]
	for i := 0; i < n; i++ {
		m.ResultFormatCodes = append(m.ResultFormatCodes, int16(binary.BigEndian.Uint16(b[2*i:])))
	}
	return nil
}

// cstring splits a NUL-terminated string off b.
func cstring(b []byte) ([]byte, []byte, bool) {
	i := indexZero(b)
	if i < 0 {
		return nil, nil, false
	}
	return b[:i], b[i+1:], true
}

func uint16At(b []byte) (int, []byte, bool) {
	if len(b) < 2 {
		return 0, nil, false
	}
	return int(binary.BigEndian.Uint16(b)), b[2:], true
}

// stmtName returns name as a string, without allocating when it names an
// existing prepared statement (pgbench's P0_1, …) or is empty.
func (c *conn) stmtName(name []byte) string {
	if len(name) == 0 {
		return ""
	}
	if p, ok := c.stmts[string(name)]; ok {
		return p.name
	}
	return string(name)
}

// portalName is stmtName for portals.
func (c *conn) portalName(name []byte) string {
	if len(name) == 0 {
		return ""
	}
	if p, ok := c.portals[string(name)]; ok {
		return p.name
	}
	return string(name)
}
