package log

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// A record too large for one message (a COPY, a CDC snapshot chunk) is
// encoded straight into its chunk messages, one message buffer at a time,
// instead of into one buffer of the whole record first: appending it
// costs one chunk of memory, not the record's size again (its rows are
// already in memory once, in the write set), and no large buffer is
// zeroed and faulted in. The bytes are exactly appendRecordBody's, cut
// every per bytes (docs/format.md): readers cannot tell the difference.
// The record's body is walked twice — once for its CRC-32C, which the
// local readers (recent.go) need before the first chunk is sent, once to
// send it.

// streamPiece is how many body bytes walkRecordBody gathers before it
// hands them on; rows larger than a quarter of it are handed on as they
// are.
const streamPiece = 64 << 10

// walkRecordBody calls emit with consecutive pieces of appendRecordBody's
// encoding of r (the concatenation of the pieces is that encoding). The
// pieces are valid only during the call. It stops at emit's first error.
func walkRecordBody(r *Record, emit func([]byte) error) error {
	buf := make([]byte, 0, streamPiece+streamPiece/4)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		err := emit(buf)
		buf = buf[:0]
		return err
	}
	buf = binary.AppendUvarint(buf, uint64(len(r.Txns)))
	for i := range r.Txns {
		t := &r.Txns[i]
		buf = binary.AppendUvarint(buf, t.ID)
		buf = binary.AppendVarint(buf, t.CommitTime)
		buf = binary.AppendUvarint(buf, uint64(len(t.Ops)))
		for j := range t.Ops {
			op := &t.Ops[j]
			buf = append(buf, byte(op.Kind))
			buf = binary.AppendUvarint(buf, uint64(op.Table))
			buf = binary.AppendUvarint(buf, uint64(len(op.Key)))
			buf = append(buf, op.Key...)
			buf = binary.AppendUvarint(buf, uint64(len(op.Row)))
			if len(op.Row) > streamPiece/4 {
				if err := flush(); err != nil {
					return err
				}
				if err := emit(op.Row); err != nil {
					return err
				}
			} else {
				buf = append(buf, op.Row...)
			}
			if len(buf) >= streamPiece {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// chunkWriter sends a record's body as the chunk messages of one group:
// every part but the last holds exactly per bytes of it. Two parts are in
// flight at a time: part k+1 is encoded and sent while JetStream stores
// and syncs part k (send copies the message into the connection's buffer,
// so one message buffer serves), and part k's acknowledgement is waited
// for before part k+2 is sent. Each part expects its predecessor's
// sequence and message id (the pipeline's fencing), so a part stored
// after a failed one is refused, and a group whose part failed is never
// completed: readers never deliver it.
type chunkWriter struct {
	j     *JetStream
	ctx   context.Context
	msg   []byte // the message being filled: header, chunk header, fragment
	per   int
	group uint64
	part  uint32
	total int // the body's length
	n     int // body bytes written so far (sent or in msg)
	off   Offset
	prev  *pendingAppend // the part sent last, not yet waited for
}

// begin starts the message of the next part.
func (w *chunkWriter) begin() {
	w.msg = beginMessage(w.msg[:0], msgChunk)
	w.msg = binary.LittleEndian.AppendUint64(w.msg, w.group)
	w.msg = binary.LittleEndian.AppendUint32(w.msg, w.part)
	w.msg = binary.LittleEndian.AppendUint32(w.msg, uint32(w.total))
}

// frag is the length of the fragment in msg.
func (w *chunkWriter) frag() int { return len(w.msg) - headerLen - chunkHeaderLen }

func (w *chunkWriter) write(b []byte) error {
	if w.n+len(b) > w.total {
		return fmt.Errorf("log: record encoding exceeds its computed size of %d bytes", w.total)
	}
	for len(b) > 0 {
		k := min(w.per-w.frag(), len(b))
		w.msg = append(w.msg, b[:k]...)
		b = b[k:]
		w.n += k
		if w.frag() == w.per {
			if err := w.send(); err != nil {
				return err
			}
		}
	}
	return nil
}

// send publishes the message in msg (the last part once the whole body
// is written) and starts the next.
func (w *chunkWriter) send() error {
	if w.n == w.total {
		w.msg[3] = msgFinal
	}
	w.msg = finishMessage(w.msg, 0)
	msg := w.msg
	if !w.j.o.NoChunkCompression {
		// j.zmsg is the writer's: the connection copies the message at
		// send, so one buffer serves every part.
		if z, ok := compressChunkMessage(w.j.zmsg[:0], w.msg); ok {
			w.j.zmsg, msg = z, z
		}
	}
	if halted := w.j.halted; halted != nil { // the previous part could not be published
		if err := w.wait(); err != nil {
			return err
		}
		return fmt.Errorf("log: chunk %d of a %d-byte record: %w", w.part, w.total, halted)
	}
	p := w.j.send(w.ctx, msg, 0, false)
	if chunkSent != nil {
		chunkSent(w.j, w.part)
	}
	if err := w.wait(); err != nil {
		return err
	}
	w.prev = p
	w.part++
	w.begin()
	return nil
}

// chunkSent, if set (tests only), is called after each part is sent.
var chunkSent func(j *JetStream, part uint32)

// wait waits for the part sent last, if any, and records its offset. On a
// failure it waits for the part behind it too and recovers the writer, as
// a failed publish does.
func (w *chunkWriter) wait() error {
	p := w.prev
	if p == nil {
		return nil
	}
	w.prev = nil
	off, err := p.Wait()
	if err == nil && w.j.halted != nil {
		err = w.j.halted
	}
	if err != nil {
		w.j.Recover(w.ctx)
		return fmt.Errorf("log: chunk %d of a %d-byte record: %w", w.part, w.total, err)
	}
	w.off = off
	return nil
}

// recordBodyCRC returns the CRC-32C of r's body encoding.
func recordBodyCRC(r *Record) uint32 {
	var crc uint32
	_ = walkRecordBody(r, func(b []byte) error {
		crc = crc32.Update(crc, castagnoli, b)
		return nil
	})
	return crc
}

// appendChunkedRecord publishes r, whose body encoding is total bytes
// long, as a group of chunk messages, one at a time. No append may be in
// flight.
func (j *JetStream) appendChunkedRecord(ctx context.Context, r *Record, total int) (Offset, error) {
	if uint64(total) > 1<<32-1 {
		return 0, fmt.Errorf("log: record of %d bytes exceeds the 4 GiB format limit", total)
	}
	w := &chunkWriter{j: j, ctx: ctx, msg: make([]byte, 0, j.maxChunk), per: j.maxChunk - msgOverhead - chunkHeaderLen,
		group: j.group, total: total}
	j.group++
	w.begin()
	err := walkRecordBody(r, w.write)
	if err == nil && w.n != total {
		// Nothing of the last part was sent: the group stays incomplete,
		// and readers never deliver it.
		err = fmt.Errorf("log: record encoding has %d bytes, its computed size is %d", w.n, total)
	}
	if err == nil && w.frag() > 0 {
		err = w.send()
	}
	if werr := w.wait(); err == nil {
		err = werr
	}
	if err != nil {
		return 0, err
	}
	return w.off, nil
}
