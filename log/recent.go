package log

import (
	"hash/crc32"
	"sort"
	"sync"
	"sync/atomic"
	"time"
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
//
// Local tail (embedded server only, Options.URL empty: no other process can
// reach the stream): a reader that has delivered every message known to be
// stored (frontier) does not wait for its consumer to deliver this
// process's next append back over NATS; it takes the record from here once
// its append is acknowledged (take), and stops its consumer meanwhile
// (reader.go). The frontier is the highest sequence known stored: an
// acknowledged record's offset, or a last sequence read from the stream
// (observe: Last, a writer's re-read after a failure, the reader's own
// poll). A record is taken only at the reader's next sequence and only if
// its acknowledged append starts there, so nothing is skipped: a message
// that is not this writer's acknowledged record (an append whose outcome
// is unknown but was stored, a raw message) is met by the consumer, which
// the reader restarts as soon as the frontier passes its position without
// such a record. Every failed append wakes the readers, which then re-read
// the stream's last sequence; an idle one re-reads it every localPoll.
// Except at the record this writer is appending (inFlight): the frontier
// passes its stored chunks while the rest are sent, and the reader waits
// for the append's outcome rather than pull them over NATS.
type recent struct {
	mu      sync.Mutex
	recs    map[Offset]recentRec
	order   []Offset // offsets in recs, ascending
	bytes   int64
	readers map[*readerPos]struct{}

	// Local tail state.
	frontier uint64        // highest sequence known stored
	fails    uint64        // failed appends so far
	wake     chan struct{} // closed (and cleared) when frontier or fails change
}

type recentRec struct {
	r       *Record
	bodyLen int
	crc     uint32
	first   uint64    // the record's first sequence (< off for a chunked record)
	acked   bool      // its append was acknowledged at off
	at      time.Time // when (the entry's time for a local reader)
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
// at off (its first message at first), if an open reader has not reached
// off. It returns off if it kept r (for settle), else 0.
func (c *recent) put(off Offset, first uint64, r *Record, body []byte) Offset {
	return c.putSum(off, first, r, len(body), func() uint32 { return crc32.Checksum(body, castagnoli) })
}

// putSum is put of a record whose body is bodyLen bytes long with the
// CRC-32C sum returns (called only if the record is kept): a chunked
// record is never encoded whole (chunkstream.go).
func (c *recent) putSum(off Offset, first uint64, r *Record, bodyLen int, sum func() uint32) Offset {
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
	c.recs[off] = recentRec{r: r, bodyLen: bodyLen, crc: sum(), first: first}
	c.order = append(c.order, off)
	c.bytes += int64(bodyLen)
	for c.bytes > recentMaxBytes && len(c.order) > 1 {
		c.evictOldest()
	}
	return off
}

// settle records the outcome of a record's append (registered at expect,
// 0 if not kept): acknowledged at off, which advances the frontier, or
// failed, which wakes the local readers. The record is withdrawn unless the
// append succeeded at exactly expect.
func (c *recent) settle(expect, off Offset, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.fails++
		c.notify()
	} else {
		c.advance(uint64(off))
	}
	rr, ok := c.recs[expect]
	if expect == 0 || !ok {
		return
	}
	if err == nil && off == expect {
		rr.acked, rr.at = true, time.Now()
		c.recs[expect] = rr
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

// advance raises the frontier to seq and wakes the local readers. c.mu is
// held.
func (c *recent) advance(seq uint64) {
	if seq > c.frontier {
		c.frontier = seq
		c.notify()
	}
}

// notify wakes the local readers waiting on c.wake. c.mu is held.
func (c *recent) notify() {
	if c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
}

// observe records that the stream's last sequence was seq.
func (c *recent) observe(seq uint64) {
	c.mu.Lock()
	c.advance(seq)
	c.mu.Unlock()
}

// failed records a failed append that settle does not see (a raw
// message's): the local readers re-read the stream.
func (c *recent) failed() {
	c.mu.Lock()
	c.fails++
	c.notify()
	c.mu.Unlock()
}

// tail returns the frontier, the failures so far and a channel closed when
// either changes.
func (c *recent) tail() (frontier, fails uint64, wake <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wake == nil {
		c.wake = make(chan struct{})
	}
	return c.frontier, c.fails, c.wake
}

// inFlight reports whether sequence seq is a message of the chunked record
// this process is appending (registered, its append not settled yet). Only
// a chunked record: StartAppend settles it itself before it returns, while
// a one-message record is settled by whoever waits for its ack (Pending.
// Wait), which may itself wait on a reader. A local reader meets that
// record when the append is acknowledged (take), or through its consumer
// once it failed (settle withdraws it and wakes the readers). A reader that polled the stream's end while a chunked record
// was being stored would otherwise start a consumer and pull its chunks
// over NATS, next to the append, only to take the record whole at its end.
func (c *recent) inFlight(seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.order) == 0 {
		return false
	}
	off := c.order[len(c.order)-1] // registered in log order: the newest
	rr := c.recs[off]
	return !rr.acked && rr.first < uint64(off) && rr.first <= seq && seq <= uint64(off)
}

// take returns the acknowledged record this process appended whose first
// message is at sequence next, if it is still kept.
func (c *recent) take(next uint64) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rr, ok := c.recs[Offset(next)]
	off := Offset(next)
	if !ok || rr.first != next {
		// A chunked record: the first kept record ending at or after next.
		i := sort.Search(len(c.order), func(i int) bool { return uint64(c.order[i]) >= next })
		if i == len(c.order) {
			return Entry{}, false
		}
		off = c.order[i]
		rr = c.recs[off]
	}
	if !rr.acked || rr.first != next {
		return Entry{}, false
	}
	return Entry{Offset: off, Time: rr.at, Record: rr.r}, true
}
