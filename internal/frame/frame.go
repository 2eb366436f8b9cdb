// Package frame is the checksummed framing shared by OmenDB's checkpoint
// files: the row store's (oltp) and the column store's (olap) data files are
// a header followed by frames (docs/checkpoint-format.md). One frame is
//
//	kind     1 byte   what the payload is (each file format names its kinds)
//	length   4 bytes  payload length, little-endian
//	crc      4 bytes  CRC-32C (Castagnoli) of kind, length and payload, little-endian
//	payload  length bytes
//
// Writer and Reader also count the bytes of the whole file and keep its
// running CRC-32C, which the checkpoint manifests record. A Reader never
// returns a frame whose checksum fails or whose length exceeds the caller's
// bound; it reports the byte position of the bad frame instead, through the
// caller's error constructor so each file format keeps its own error type.
// Neither type is safe for concurrent use.
package frame

import (
	"encoding/binary"
	"hash"
	"hash/crc32"
	"io"
)

// HeaderLen is the size of a frame header (kind, length, crc).
const HeaderLen = 9

// Castagnoli is the CRC-32C table every checkpoint checksum uses.
var Castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Writer passes writes through to an underlying writer, counting them and
// keeping their running CRC-32C.
type Writer struct {
	w io.Writer
	h hash.Hash32
	n int64
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, h: crc32.New(Castagnoli)} }

// Write implements io.Writer.
func (c *Writer) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// Len is the number of bytes written so far.
func (c *Writer) Len() int64 { return c.n }

// Sum32 is the CRC-32C of the bytes written so far.
func (c *Writer) Sum32() uint32 { return c.h.Sum32() }

// Underlying returns the writer passed to NewWriter (e.g. to flush it).
func (c *Writer) Underlying() io.Writer { return c.w }

// Write writes one frame of the given kind to w.
func Write(w io.Writer, kind byte, payload []byte) error {
	var h [HeaderLen]byte
	h[0] = kind
	binary.LittleEndian.PutUint32(h[1:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[5:], crc32.Update(crc32.Checksum(h[:5], Castagnoli), Castagnoli, payload))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// Corrupt builds the error a Reader returns for a bad frame at byte pos.
type Corrupt func(pos int64, format string, args ...any) error

// Reader reads frames (and raw bytes) from an underlying reader, counting
// them and keeping their running CRC-32C.
type Reader struct {
	r io.Reader
	h hash.Hash32
	n int64
}

// NewReader returns a Reader on r (callers buffer r themselves).
func NewReader(r io.Reader) *Reader { return &Reader{r: r, h: crc32.New(Castagnoli)} }

// Read implements io.Reader (for a file's header, read before its frames).
func (c *Reader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// Pos is the number of bytes read so far.
func (c *Reader) Pos() int64 { return c.n }

// Sum32 is the CRC-32C of the bytes read so far.
func (c *Reader) Sum32() uint32 { return c.h.Sum32() }

// Next reads one frame and verifies its checksum. A truncated frame, a
// length above max or a checksum mismatch is reported with corrupt at the
// frame's starting position.
func (c *Reader) Next(max uint32, corrupt Corrupt) (kind byte, payload []byte, err error) {
	pos := c.n
	var h [HeaderLen]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return 0, nil, corrupt(pos, "truncated frame header: %v", err)
	}
	n := binary.LittleEndian.Uint32(h[1:])
	if n > max {
		return 0, nil, corrupt(pos, "frame length %d too large", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c, p); err != nil {
		return 0, nil, corrupt(pos, "truncated frame (%d bytes): %v", n, err)
	}
	if crc32.Update(crc32.Checksum(h[:5], Castagnoli), Castagnoli, p) != binary.LittleEndian.Uint32(h[5:]) {
		return 0, nil, corrupt(pos, "frame checksum mismatch")
	}
	return h[0], p, nil
}
