package log

import (
	"hash/crc32"
	"sync"
	"sync/atomic"
)

// recent keeps the records this process appends, as the writer passed them
// (with their rows still decoded, Op.Vals), until every reader of this
// process has passed them. A reader that meets such a record in the stream
// takes it from here instead of decoding the bytes, so the materializers
// that follow the committer's appends do not decode a single row of them.
//
// Append registers the record at the offset it will get (the writer knows
// the stream's last sequence; appends are fenced on it) before sending it,
// because readers may receive it before the acknowledgement; a failed
// append withdraws it. A reader uses an entry only for a message at that
// offset whose body has the registered length and CRC-32C, so a message
// some other writer got at that sequence is decoded as usual.
//
// Only records appended while a reader is open and behind them are kept,
// and at most recentMaxBytes of encoded bodies (the oldest go first), so a
// slow or absent reader costs memory only up to that bound.
type recent struct {
	mu      sync.Mutex
	recs    map[Offset]recentRec
	order   []Offset // offsets in recs, ascending
	bytes   int64
	readers map[*readerPos]struct{}
}

type recentRec struct {
	r       *Record
	bodyLen int
	crc     uint32
}

// readerPos is one open reader's position: the offset of the last record
// it delivered (or the one before its start).
type readerPos struct{ off atomic.Uint64 }

// recentMaxBytes bounds the encoded size of the records kept.
const recentMaxBytes = 1 << 30

// open registers a reader that starts at sequence start.
func (c *recent) open(start uint64) *readerPos {
	p := &readerPos{}
	p.off.Store(start - 1)
	c.mu.Lock()
	if c.readers == nil {
		c.readers = map[*readerPos]struct{}{}
	}
	c.readers[p] = struct{}{}
	c.mu.Unlock()
	return p
}

// close unregisters a reader and drops what no reader needs any more.
func (c *recent) close(p *readerPos) {
	c.mu.Lock()
	delete(c.readers, p)
	c.trim()
	c.mu.Unlock()
}

// put registers r, whose encoded body is body, as the record that will be
// at off, if an open reader has not reached off. It returns off if it kept
// r (for settle), else 0.
func (c *recent) put(off Offset, r *Record, body []byte) Offset {
	c.mu.Lock()
	defer c.mu.Unlock()
	behind := false
	for p := range c.readers {
		if Offset(p.off.Load()) < off {
			behind = true
			break
		}
	}
	if !behind || (len(c.order) > 0 && c.order[len(c.order)-1] >= off) {
		return 0
	}
	if c.recs == nil {
		c.recs = map[Offset]recentRec{}
	}
	c.recs[off] = recentRec{r: r, bodyLen: len(body), crc: crc32.Checksum(body, castagnoli)}
	c.order = append(c.order, off)
	c.bytes += int64(len(body))
	for c.bytes > recentMaxBytes && len(c.order) > 1 {
		c.evictOldest()
	}
	return off
}

// settle withdraws the record registered at expect unless the append
// succeeded at exactly that offset.
func (c *recent) settle(expect, off Offset, err error) {
	if expect == 0 || (err == nil && off == expect) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rr, ok := c.recs[expect]
	if !ok {
		return
	}
	delete(c.recs, expect)
	c.bytes -= int64(rr.bodyLen)
	for i, o := range c.order {
		if o == expect {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}

// get returns the record registered at off if body — the record body read
// at off — is the one that was appended. Safe on a nil c.
func (c *recent) get(off Offset, body []byte) *Record {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	rr, ok := c.recs[off]
	c.mu.Unlock()
	if !ok || rr.bodyLen != len(body) || crc32.Checksum(body, castagnoli) != rr.crc {
		return nil
	}
	return rr.r
}

// lookup returns the record registered at off with a body of bodyLen bytes
// and the body's CRC-32C, for a reader that checks the body as it arrives
// in chunks (without copying them together). Safe on a nil c.
func (c *recent) lookup(off Offset, bodyLen int) (*Record, uint32, bool) {
	if c == nil {
		return nil, 0, false
	}
	c.mu.Lock()
	rr, ok := c.recs[off]
	c.mu.Unlock()
	if !ok || rr.bodyLen != bodyLen {
		return nil, 0, false
	}
	return rr.r, rr.crc, true
}

// passed records that reader p delivered the record at off.
func (c *recent) passed(p *readerPos, off Offset) {
	p.off.Store(uint64(off))
	c.mu.Lock()
	if len(c.order) > 0 && c.order[0] <= off {
		c.trim()
	}
	c.mu.Unlock()
}

// trim drops the records every open reader has passed. c.mu is held.
func (c *recent) trim() {
	if len(c.order) == 0 {
		return
	}
	low := ^uint64(0)
	for p := range c.readers {
		low = min(low, p.off.Load())
	}
	for len(c.order) > 0 && uint64(c.order[0]) <= low {
		c.evictOldest()
	}
}

func (c *recent) evictOldest() {
	off := c.order[0]
	c.order = c.order[1:]
	c.bytes -= int64(c.recs[off].bodyLen)
	delete(c.recs, off)
}
