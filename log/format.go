package log

// This file is the log's binary format, version 1. docs/format.md describes
// it byte by byte; keep the two in step. Nothing here does I/O.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"

	"github.com/klauspost/compress/s2"
	"github.com/omendb/omendb/pgerr"
)

// FormatVersion is the message format this build writes and the only one it
// reads.
const FormatVersion = 1

// Message layout (all integers little-endian):
//
//	[0:2]   magic 'O' 'L'
//	[2]     format version
//	[3]     kind (msgRecord, msgChunk, msgFinal)
//	[4:6]   flags, uint16; version 1 defines flagS2 (chunks only)
//	[6:10]  body length N, uint32
//	[10:10+N] body
//	[10+N:14+N] CRC-32C (Castagnoli) of bytes [0:10+N]
//
// The magic, the version byte's position and the CRC trailer covering every
// preceding byte are the same in every format version.
const (
	magic0     = 'O'
	magic1     = 'L'
	headerLen  = 10
	trailerLen = 4
	// msgOverhead is the size of a message with an empty body.
	msgOverhead = headerLen + trailerLen
	// chunkHeaderLen is the chunk header at the start of a chunk's body:
	// group uint64, part uint32, total uint32.
	chunkHeaderLen = 16
)

// Message kinds (byte 3).
const (
	msgRecord = 1 // body is a whole record
	msgChunk  = 2 // body is a chunk header and a fragment; more parts follow
	msgFinal  = 3 // like msgChunk, and this is the record's last part
)

// Message flags (bytes 4–5).
const (
	// flagS2: the chunk's fragment is compressed, one S2 block
	// (github.com/klauspost/compress/s2, block format); its decompressed
	// bytes are the fragment. Kinds msgChunk and msgFinal only.
	flagS2 = 1 << 0
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// formatError is a decoding failure at one offset. It matches ErrCorrupt (and
// pgerr.ErrCorrupt) or ErrUnknownFormat under errors.Is.
type formatError struct {
	off    Offset
	kind   error // ErrCorrupt or ErrUnknownFormat
	detail string
}

func (e *formatError) Error() string {
	return fmt.Sprintf("%v at offset %d: %s", e.kind, e.off, e.detail)
}

// Unwrap exposes the sentinel and, for corruption, pgerr.ErrCorrupt so that
// pgerr.FromError classifies it as SQLSTATE XX001.
func (e *formatError) Unwrap() []error {
	if e.kind == ErrCorrupt {
		return []error{ErrCorrupt, pgerr.ErrCorrupt}
	}
	return []error{e.kind}
}

func corruptf(off Offset, format string, args ...any) error {
	return &formatError{off: off, kind: ErrCorrupt, detail: fmt.Sprintf(format, args...)}
}

func unknownf(off Offset, format string, args ...any) error {
	return &formatError{off: off, kind: ErrUnknownFormat, detail: fmt.Sprintf(format, args...)}
}

// OffsetOf returns the offset a decoding error names, if err is one.
func OffsetOf(err error) (Offset, bool) {
	var fe *formatError
	if errors.As(err, &fe) {
		return fe.off, true
	}
	return 0, false
}

// beginMessage appends a message header of the given kind to dst with the
// body length left zero; finishMessage fills it in.
func beginMessage(dst []byte, kind byte) []byte {
	return append(dst, magic0, magic1, FormatVersion, kind, 0, 0, 0, 0, 0, 0)
}

// finishMessage completes the message that starts at dst[start:]: it stores
// the body length and appends the CRC.
func finishMessage(dst []byte, start int) []byte {
	n := len(dst) - start - headerLen
	binary.LittleEndian.PutUint32(dst[start+6:], uint32(n))
	crc := crc32.Checksum(dst[start:], castagnoli)
	return binary.LittleEndian.AppendUint32(dst, crc)
}

// appendRecordBody appends the version-1 encoding of r's transactions.
func appendRecordBody(dst []byte, r *Record) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(r.Txns)))
	for i := range r.Txns {
		t := &r.Txns[i]
		dst = binary.AppendUvarint(dst, t.ID)
		dst = binary.AppendVarint(dst, t.CommitTime)
		dst = binary.AppendUvarint(dst, uint64(len(t.Ops)))
		for j := range t.Ops {
			op := &t.Ops[j]
			dst = append(dst, byte(op.Kind))
			dst = binary.AppendUvarint(dst, uint64(op.Table))
			dst = binary.AppendUvarint(dst, uint64(len(op.Key)))
			dst = append(dst, op.Key...)
			dst = binary.AppendUvarint(dst, uint64(len(op.Row)))
			dst = append(dst, op.Row...)
		}
	}
	return dst
}

// recordBodySize returns the length of appendRecordBody's encoding of r.
func recordBodySize(r *Record) int {
	n := uvarintLen(uint64(len(r.Txns)))
	for i := range r.Txns {
		t := &r.Txns[i]
		n += uvarintLen(t.ID) + uvarintLen(uint64(t.CommitTime<<1^(t.CommitTime>>63))) + uvarintLen(uint64(len(t.Ops)))
		for j := range t.Ops {
			op := &t.Ops[j]
			n += 1 + uvarintLen(uint64(op.Table)) + uvarintLen(uint64(len(op.Key))) + len(op.Key) +
				uvarintLen(uint64(len(op.Row))) + len(op.Row)
		}
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// appendRecordMessage appends r as one complete message (kind msgRecord).
// dst grows once, to the message's exact size.
func appendRecordMessage(dst []byte, r *Record) []byte {
	dst = slices.Grow(dst, msgOverhead+recordBodySize(r))
	start := len(dst)
	dst = beginMessage(dst, msgRecord)
	dst = appendRecordBody(dst, r)
	return finishMessage(dst, start)
}

// appendChunkMessage appends one part of a chunked record.
func appendChunkMessage(dst []byte, final bool, group uint64, part, total uint32, frag []byte) []byte {
	start := len(dst)
	kind := byte(msgChunk)
	if final {
		kind = msgFinal
	}
	dst = beginMessage(dst, kind)
	dst = binary.LittleEndian.AppendUint64(dst, group)
	dst = binary.LittleEndian.AppendUint32(dst, part)
	dst = binary.LittleEndian.AppendUint32(dst, total)
	dst = append(dst, frag...)
	return finishMessage(dst, start)
}

// compressChunkMessage appends to dst the chunk message msg (as
// appendChunkMessage makes it) with its fragment compressed (flagS2), and
// reports whether it did: only when that saves at least an eighth of the
// fragment. dst should have room for msgOverhead + chunkHeaderLen +
// s2.MaxEncodedLen(fragment) bytes, or it grows.
func compressChunkMessage(dst, msg []byte) ([]byte, bool) {
	head := headerLen + chunkHeaderLen
	frag := msg[head : len(msg)-trailerLen]
	start := len(dst)
	dst = append(dst, msg[:head]...)
	binary.LittleEndian.PutUint16(dst[start+4:], flagS2)
	dst = slices.Grow(dst, s2.MaxEncodedLen(len(frag))+trailerLen)
	enc := s2.Encode(dst[len(dst):cap(dst)], frag)
	if len(enc) > len(frag)-len(frag)/8 {
		return dst[:start], false
	}
	dst = dst[:len(dst)+len(enc)]
	return finishMessage(dst, start), true
}

// message is a decoded envelope. body aliases the input.
type message struct {
	kind  byte
	body  []byte // kind msgRecord: record body; chunks: the fragment, compressed if s2
	group uint64 // chunks only
	part  uint32
	total uint32
	s2    bool // body is an S2 block of the fragment (flagS2)
	flen  int  // chunks: the fragment's length (decompressed)
}

// appendFragment appends the chunk's fragment (decompressed) to dst. off
// names the message in errors.
func (m *message) appendFragment(dst []byte, off Offset) ([]byte, error) {
	if !m.s2 {
		return append(dst, m.body...), nil
	}
	dst = slices.Grow(dst, m.flen)
	out, err := s2.Decode(dst[len(dst):len(dst)+m.flen], m.body)
	if err != nil || len(out) != m.flen {
		return dst, corruptf(off, "compressed chunk fragment does not decode: %v", err)
	}
	return dst[:len(dst)+m.flen], nil
}

// decodeMessage checks and splits one stored message. off is its stream
// sequence, used in errors. It never panics.
func decodeMessage(b []byte, off Offset) (message, error) {
	var m message
	if len(b) < msgOverhead {
		return m, corruptf(off, "message of %d bytes is shorter than the %d-byte envelope", len(b), msgOverhead)
	}
	if b[0] != magic0 || b[1] != magic1 {
		return m, corruptf(off, "bad magic %#02x %#02x", b[0], b[1])
	}
	end := len(b) - trailerLen
	if got, want := crc32.Checksum(b[:end], castagnoli), binary.LittleEndian.Uint32(b[end:]); got != want {
		return m, corruptf(off, "checksum mismatch: computed %#08x, stored %#08x", got, want)
	}
	if b[2] != FormatVersion {
		return m, unknownf(off, "format version %d (this build reads %d)", b[2], FormatVersion)
	}
	fl := binary.LittleEndian.Uint16(b[4:])
	if fl&^flagS2 != 0 {
		return m, unknownf(off, "unknown flags %#04x", fl)
	}
	m.kind = b[3]
	if m.kind < msgRecord || m.kind > msgFinal {
		return m, unknownf(off, "unknown message kind %d", m.kind)
	}
	if fl&flagS2 != 0 && m.kind == msgRecord {
		return m, unknownf(off, "flags %#04x on a kind %d message", fl, m.kind)
	}
	m.s2 = fl&flagS2 != 0
	n := binary.LittleEndian.Uint32(b[6:])
	if uint64(n) != uint64(end-headerLen) {
		return m, corruptf(off, "body length %d, message holds %d", n, end-headerLen)
	}
	body := b[headerLen:end]
	if m.kind == msgRecord {
		m.body = body
		return m, nil
	}
	if len(body) < chunkHeaderLen {
		return m, corruptf(off, "chunk body of %d bytes has no chunk header", len(body))
	}
	m.group = binary.LittleEndian.Uint64(body)
	m.part = binary.LittleEndian.Uint32(body[8:])
	m.total = binary.LittleEndian.Uint32(body[12:])
	m.body = body[chunkHeaderLen:]
	m.flen = len(m.body)
	if m.s2 {
		n, err := s2.DecodedLen(m.body)
		if err != nil {
			return m, corruptf(off, "compressed chunk fragment: %v", err)
		}
		m.flen = n
	}
	if uint64(m.flen) > uint64(m.total) {
		return m, corruptf(off, "chunk fragment of %d bytes exceeds the record's %d", m.flen, m.total)
	}
	return m, nil
}

// decoder reads a record body. Errors are reported once, in err.
type decoder struct {
	b   []byte
	off Offset
	err error
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = corruptf(d.off, "truncated or overflowing varint (%s)", what)
		return 0
	}
	if n > 1 && d.b[n-1] == 0 {
		d.err = corruptf(d.off, "non-minimal varint (%s)", what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	u := d.uvarint(what)
	return int64(u>>1) ^ -int64(u&1) // zigzag, as binary.AppendVarint
}

func (d *decoder) bytes(what string) []byte {
	n := d.uvarint(what)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = corruptf(d.off, "%s of %d bytes overruns the record (%d left)", what, n, len(d.b))
		return nil
	}
	if n == 0 {
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// Minimum encoded sizes, used to bound allocations from counts read off
// the input: a txn is at least 3 bytes, an op at least 4.
const (
	minTxnLen = 3
	minOpLen  = 4
)

// decodeRecordBody decodes a version-1 record body. Key and Row slices alias
// b. It never panics.
func decodeRecordBody(b []byte, off Offset) (*Record, error) {
	d := decoder{b: b, off: off}
	nt := d.uvarint("txn count")
	if d.err != nil {
		return nil, d.err
	}
	if nt > uint64(len(d.b))/minTxnLen {
		return nil, corruptf(off, "txn count %d exceeds what %d bytes can hold", nt, len(d.b))
	}
	r := &Record{}
	if nt > 0 {
		r.Txns = make([]Txn, nt)
	}
	for i := range r.Txns {
		t := &r.Txns[i]
		t.ID = d.uvarint("txn id")
		t.CommitTime = d.varint("commit time")
		no := d.uvarint("op count")
		if d.err != nil {
			return nil, d.err
		}
		if no > uint64(len(d.b))/minOpLen {
			return nil, corruptf(off, "op count %d exceeds what %d bytes can hold", no, len(d.b))
		}
		if no > 0 {
			t.Ops = make([]Op, no)
		}
		for j := range t.Ops {
			op := &t.Ops[j]
			if len(d.b) == 0 {
				return nil, corruptf(off, "truncated op")
			}
			op.Kind = OpKind(d.b[0])
			if op.Kind < OpInsert || op.Kind > OpMeta {
				return nil, unknownf(off, "unknown op kind %d", op.Kind)
			}
			d.b = d.b[1:]
			tbl := d.uvarint("table")
			if tbl > math.MaxUint32 {
				return nil, corruptf(off, "table id %d out of range", tbl)
			}
			op.Table = uint32(tbl)
			op.Key = d.bytes("key")
			op.Row = d.bytes("row")
			if d.err != nil {
				return nil, d.err
			}
		}
	}
	if len(d.b) != 0 {
		return nil, corruptf(off, "%d trailing bytes after the record", len(d.b))
	}
	return r, nil
}

// decodeSingle decodes a message that must hold a whole record (kind
// msgRecord). Used by tests, the fuzz target and tools.
func decodeSingle(b []byte, off Offset) (*Record, error) {
	m, err := decodeMessage(b, off)
	if err != nil {
		return nil, err
	}
	if m.kind != msgRecord {
		return nil, corruptf(off, "message kind %d is a chunk, not a whole record", m.kind)
	}
	return decodeRecordBody(m.body, off)
}
