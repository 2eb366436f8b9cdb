package pgwire

import (
	"encoding/binary"
	"net"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// writer buffers a connection's outgoing messages. Only the connection's
// goroutine uses it. Messages are appended whole; mark is the end of the
// last complete one, so a panic in the middle of encoding a message can drop
// the partial bytes (truncate) before an ErrorResponse is sent.
type writer struct {
	nc    net.Conn
	buf   []byte
	mark  int
	limit int   // flush in the middle of a result once buf is this big
	err   error // first write error; later writes are dropped
}

func (w *writer) flush() error {
	if w.err != nil {
		w.buf, w.mark = w.buf[:0], 0
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.nc.Write(w.buf)
	if err != nil {
		w.err = err
	}
	if cap(w.buf) > 4*w.limit {
		w.buf = make([]byte, 0, w.limit)
	}
	w.buf, w.mark = w.buf[:0], 0
	return w.err
}

// maybeFlush flushes when the buffer has grown past the limit. It is called
// only between messages.
func (w *writer) maybeFlush() {
	if len(w.buf) >= w.limit {
		_ = w.flush()
	}
}

// truncate drops a partially encoded message.
func (w *writer) truncate() { w.buf = w.buf[:w.mark] }

// send encodes a pgproto3 message.
func (w *writer) send(msg pgproto3.BackendMessage) {
	b, err := msg.Encode(w.buf)
	if err != nil {
		w.truncate()
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.buf = b
	w.mark = len(b)
}

func (w *writer) begin(typ byte) int {
	w.buf = append(w.buf, typ, 0, 0, 0, 0)
	return len(w.buf) - 4
}

func (w *writer) end(sp int) {
	binary.BigEndian.PutUint32(w.buf[sp:], uint32(len(w.buf)-sp))
	w.mark = len(w.buf)
}

// simple sends a message without a body (ParseComplete, NoData, …).
func (w *writer) simple(typ byte) {
	w.buf = append(w.buf, typ, 0, 0, 0, 4)
	w.mark = len(w.buf)
}

func (w *writer) commandComplete(tag string) {
	sp := w.begin('C')
	w.buf = append(w.buf, tag...)
	w.buf = append(w.buf, 0)
	w.end(sp)
}

func (w *writer) readyForQuery(status byte) {
	w.buf = append(w.buf, 'Z', 0, 0, 0, 5, status)
	w.mark = len(w.buf)
}

func (w *writer) parameterStatus(name, value string) {
	sp := w.begin('S')
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, 0)
	w.buf = append(w.buf, value...)
	w.buf = append(w.buf, 0)
	w.end(sp)
}

// typeLen is pg_type.typlen for RowDescription.
func typeLen(o types.OID) int16 {
	switch o {
	case types.OIDBool, types.OIDChar:
		return 1
	case types.OIDInt2:
		return 2
	case types.OIDInt4, types.OIDFloat4, types.OIDDate, types.OIDOID, types.OIDRegclass,
		types.OIDRegtype, types.OIDRegproc, types.OIDRegprocedure, types.OIDRegnamespace, types.OIDXid:
		return 4
	case types.OIDInt8, types.OIDFloat8, types.OIDXid8, types.OIDTime, types.OIDTimestamp, types.OIDTimestampTZ:
		return 8
	case types.OIDInterval, types.OIDUUID:
		return 16
	case types.OIDName:
		return 64
	}
	return -1
}

// rowDescription sends RowDescription for cols with per-column format codes
// (nil: all text).
func (w *writer) rowDescription(cols []Column, formats []int16) {
	sp := w.begin('T')
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(cols)))
	for i, c := range cols {
		w.buf = append(w.buf, c.Name...)
		w.buf = append(w.buf, 0)
		w.buf = binary.BigEndian.AppendUint32(w.buf, c.TableOID)
		w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(c.AttNum))
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(c.Type.OID))
		tl := typeLen(c.Type.OID)
		if types.IsEnum(c.Type) {
			tl = 4 // an enum's typlen, as PostgreSQL reports it
		}
		w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(tl))
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(c.Type.Mod))
		var f int16
		if formats != nil {
			f = formats[i]
		}
		w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(f))
	}
	w.end(sp)
}

// dataRow sends one DataRow, each value in its column's format (formats nil:
// all text). A binary encoding error drops the partial message.
func (w *writer) dataRow(row []types.Value, cols []Column, formats []int16, c *conn) error {
	sp := w.begin('D')
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(row)))
	for i, v := range row {
		if v.IsNull() {
			w.buf = append(w.buf, 0xff, 0xff, 0xff, 0xff)
			continue
		}
		t := types.Text
		if i < len(cols) {
			t = cols[i].Type
		}
		lp := len(w.buf)
		w.buf = append(w.buf, 0, 0, 0, 0)
		if formats != nil && i < len(formats) && formats[i] == 1 {
			b, err := types.AppendBinary(w.buf, v, t)
			if err != nil {
				w.truncate()
				return err
			}
			w.buf = b
		} else {
			w.buf = types.AppendText(w.buf, v, t, c.location())
		}
		binary.BigEndian.PutUint32(w.buf[lp:], uint32(len(w.buf)-lp-4))
	}
	w.end(sp)
	return nil
}

// errorResponse sends e (already classified by pgerr.FromError).
func (w *writer) errorResponse(e *pgerr.Error) {
	sev := e.Severity
	if sev == "" {
		sev = "ERROR"
	}
	code := e.Code
	if code == "" {
		code = pgerr.InternalError
	}
	w.send(&pgproto3.ErrorResponse{
		Severity:            sev,
		SeverityUnlocalized: sev,
		Code:                code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
		Position:            e.Position,
	})
}
