package log

import (
	"context"
	"fmt"
	"hash/crc32"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxPrealloc bounds the buffer preallocated for a chunk group from the
// total length its (checksummed) header claims.
const maxPrealloc = 64 << 20

// readAhead is how many decoded records the pump may hold ready for Next.
// Bounded by count: with 8 MiB records that is up to 256 MiB.
const readAhead = 32

// Read returns an iterator over the records with offset >= from, replaying
// the stream with an ordered consumer (batched pulls) and then tailing it.
// Safe from any goroutine; each iterator belongs to one goroutine.
func (j *JetStream) Read(ctx context.Context, from Offset) (Iterator, error) {
	start := uint64(from)
	if start == 0 {
		start = 1
	}
	// If from lands inside a chunk group (its record's offset is >= from),
	// start at the group's first part so the record can be reassembled.
	if start > 1 {
		m, err := j.getMsg(ctx, start)
		if err != nil {
			return nil, err
		}
		if m != nil {
			if msg, err := decodeMessage(m.Data, Offset(start)); err == nil &&
				msg.kind != msgRecord && msg.part > 0 && uint64(msg.part) < start {
				start -= uint64(msg.part)
			}
		}
	}
	// Trimmed records are never skipped silently: fail now if they are gone,
	// and the pump fails if they go while the consumer starts (retention.go).
	if err := j.checkRetained(ctx, start); err != nil {
		return nil, err
	}
	consume := func(start uint64) (jetstream.MessagesContext, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		j.apiMu.RLock()
		defer j.apiMu.RUnlock()
		cons, err := j.js.OrderedConsumer(ctx, j.o.Stream, jetstream.OrderedConsumerConfig{
			DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
			OptStartSeq:   start,
		})
		if err != nil {
			return nil, fmt.Errorf("log: ordered consumer from %d: %w", start, err)
		}
		var limit jetstream.PullMessagesOpt = jetstream.PullMaxMessages(j.o.ReadBatch)
		if j.o.ReadBytes > 0 {
			limit = jetstream.PullMaxMessagesWithBytesLimit(j.o.ReadBatch, j.o.ReadBytes)
		}
		mc, err := cons.Messages(limit)
		if err != nil {
			return nil, fmt.Errorf("log: ordered consumer from %d: %w", start, err)
		}
		return mc, nil
	}
	var lt *localTail
	if j.o.URL == "" && !j.noLocalTail {
		// Embedded: only this process can append (the server does not
		// listen), so a caught-up reader takes the writer's records
		// directly (recent.go, "Local tail").
		lt = &localTail{closing: j.closing, last: func() (uint64, error) {
			// Short: a store that does not answer (a full disk) must not
			// hold the pump; the next poll asks again.
			ctx, cancel := context.WithTimeout(context.Background(), localPoll)
			defer cancel()
			j.apiMu.RLock()
			defer j.apiMu.RUnlock()
			s, err := j.js.Stream(ctx, j.o.Stream)
			if err != nil {
				return 0, err
			}
			return s.CachedInfo().State.LastSeq, nil
		}}
	}
	var mc jetstream.MessagesContext
	if frontier, _, _ := j.recent.tail(); lt == nil || start <= frontier {
		// Behind the log's end (or no local tail): the consumer starts now,
		// so that a failure to start it is Read's.
		var err error
		if mc, err = consume(start); err != nil {
			return nil, err
		}
	}
	it := newIterator(mc, consume, lt, start, readAhead, j.logger, &j.recent, func(seq uint64) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		m, err := j.getMsg(ctx, seq)
		if err != nil || m == nil {
			return nil, fmt.Errorf("log: re-reading message %d: %v", seq, err)
		}
		return m.Data, nil
	})
	return it, nil
}

// localPoll is how often a reader waiting at the local tail re-reads the
// stream's last sequence when nothing woke it (recent.go, "Local tail").
const localPoll = 250 * time.Millisecond

// localTail is what a reader of the embedded server's stream needs to wait
// at the tail for this process's appends instead of for its consumer.
type localTail struct {
	closing <-chan struct{}        // the log is closing
	last    func() (uint64, error) // the stream's last sequence
}

// chunkGroup is a chunked record being reassembled.
type chunkGroup struct {
	id    uint64
	start uint64 // sequence of part 0
	next  uint32 // the part expected next
	total uint32
	buf   []byte
	// own: the record is this process's append (recent.go) ending at final:
	// its parts are checked — n bytes with CRC-32C crc so far, against
	// want — but not copied together.
	own   *Record
	final uint64
	want  uint32
	crc   uint32
	n     int
}

// iterator pipelines a replay: a pump goroutine pulls messages from the
// ordered consumer, reassembles and decodes them, and hands entries over a
// channel to the goroutine calling Next. Decoding thus overlaps with the
// caller's work (the materializer applying the previous record). With a
// local tail, the pump stops the consumer once it has delivered every
// message known stored, takes this process's acknowledged appends from
// recent as they come, and starts a consumer again at its position when
// the stream holds a message there that is not one of them.
type iterator struct {
	consume func(start uint64) (jetstream.MessagesContext, error)
	local   *localTail // nil: always read through the consumer
	ch      chan item  // pump → Next; closed by the pump when it exits
	done    chan struct{}
	closed  sync.Once
	err     error // Next's goroutine only: sticky end of iteration
	recent  *recent
	pos     *readerPos

	mu   sync.Mutex
	mc   jetstream.MessagesContext // the running consumer, nil if none
	shut bool                      // Close ran: start no consumer

	// taken counts the records taken at the local tail, starts the
	// consumers started (tests).
	taken, starts atomic.Int64
}

type item struct {
	e   Entry
	err error
}

func newIterator(mc jetstream.MessagesContext, consume func(uint64) (jetstream.MessagesContext, error), lt *localTail, start uint64, buffer int, logger *slog.Logger, rc *recent, fetch func(uint64) ([]byte, error)) *iterator {
	it := &iterator{mc: mc, consume: consume, local: lt, ch: make(chan item, buffer), done: make(chan struct{}), recent: rc}
	if rc != nil {
		it.pos = rc.open(start)
	}
	if rc == nil {
		it.local = nil
	}
	go it.pump(&assembler{logger: logger, recent: rc, fetch: fetch}, start)
	return it
}

// consumer returns the running consumer, starting one at next if none is.
func (it *iterator) consumer(next uint64) (jetstream.MessagesContext, error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.shut {
		return nil, errIteratorClosed
	}
	if it.mc == nil {
		mc, err := it.consume(next)
		if err != nil {
			return nil, err
		}
		it.mc = mc
		it.starts.Add(1)
	}
	return it.mc, nil
}

// stopConsumer stops the running consumer, if any.
func (it *iterator) stopConsumer() {
	it.mu.Lock()
	if it.mc != nil {
		it.mc.Stop()
		it.mc = nil
	}
	it.mu.Unlock()
}

// pump runs until the consumer fails, a message fails to decode, or Close.
// The stream is dense above its first sequence, so the messages must arrive
// at start, start+1, …: a gap means records were trimmed under the reader.
func (it *iterator) pump(a *assembler, next uint64) {
	defer close(it.ch)
	defer it.stopConsumer()
	var poll *time.Timer
	for {
		if it.local != nil {
			if e, ok := it.recent.take(next); ok {
				// This process's acknowledged append starts at next: the
				// record is delivered as the consumer would deliver it,
				// without waiting for it to come back over NATS.
				it.stopConsumer()
				a.drop(next)
				next = uint64(e.Offset) + 1
				it.taken.Add(1)
				it.recent.passed(it.pos, e.Offset)
				if !it.send(item{e: e}) {
					return
				}
				continue
			}
			frontier, fails, wake := it.recent.tail()
			if next > frontier || it.recent.inFlight(next) {
				// Every message known stored is delivered, or next is a
				// chunk of this process's append in flight (its parts
				// are stored one by one: pulling them over NATS would
				// only compete with the append for the connection and
				// the CPU): wait for the next acknowledged append, a
				// failure, or the poll.
				it.stopConsumer()
				if poll == nil {
					poll = time.NewTimer(localPoll)
				} else {
					poll.Reset(localPoll)
				}
				recheck := false
				select {
				case <-wake:
					_, now, _ := it.recent.tail()
					recheck = now != fails
				case <-poll.C:
					recheck = true
				case <-it.local.closing:
					it.send(item{err: fmt.Errorf("log: read: %w", nats.ErrConnectionClosed)})
					return
				case <-it.done:
					return
				}
				if recheck {
					// An append failed (it may be stored all the same), or
					// the reader idled: learn where the stream ends.
					if last, err := it.local.last(); err == nil {
						it.recent.observe(last)
					}
				}
				continue
			}
		}
		mc, err := it.consumer(next)
		if err != nil {
			it.send(item{err: fmt.Errorf("log: read: %w", err)})
			return
		}
		m, err := mc.Next()
		if err != nil {
			it.send(item{err: fmt.Errorf("log: read: %w", err)})
			return
		}
		md, err := m.Metadata()
		if err != nil {
			it.send(item{err: fmt.Errorf("log: read: message metadata: %w", err)})
			return
		}
		if seq := md.Sequence.Stream; seq != next {
			it.send(item{err: &TrimmedError{From: Offset(next), First: Offset(seq)}})
			return
		}
		next++
		e, ok, err := a.add(md.Sequence.Stream, m.Data(), md.Timestamp)
		if err != nil {
			it.send(item{err: err})
			return
		}
		if ok && it.pos != nil {
			it.recent.passed(it.pos, e.Offset)
		}
		if ok && !it.send(item{e: e}) {
			return
		}
	}
}

func (it *iterator) send(x item) bool {
	select {
	case it.ch <- x:
		return true
	case <-it.done:
		return false
	}
}

// Next returns the next complete record. See Iterator.
func (it *iterator) Next(ctx context.Context) (Entry, error) {
	if it.err != nil {
		return Entry{}, it.err
	}
	select {
	case x, ok := <-it.ch:
		if !ok {
			it.err = errIteratorClosed
			return Entry{}, it.err
		}
		if x.err != nil {
			it.err = x.err
			it.stopConsumer()
			return Entry{}, x.err
		}
		return x.e, nil
	case <-ctx.Done():
		return Entry{}, ctx.Err()
	}
}

var errIteratorClosed = fmt.Errorf("log: iterator closed: %w", jetstream.ErrMsgIteratorClosed)

// Close stops the consumer and the pump. Safe to call more than once, from
// the goroutine that calls Next.
func (it *iterator) Close() error {
	it.closed.Do(func() {
		close(it.done)
		it.mu.Lock()
		it.shut = true
		it.mu.Unlock()
		it.stopConsumer()
		if it.pos != nil {
			it.recent.close(it.pos)
		}
		if it.err == nil {
			it.err = errIteratorClosed
		}
	})
	return nil
}

// assembler turns the stream's messages into records, reassembling chunk
// groups. It belongs to one goroutine.
type assembler struct {
	logger  *slog.Logger
	pending *chunkGroup
	recent  *recent // records this process appended; may be nil
	// fetch re-reads one message (when a record taken for this process's
	// own turns out not to be: see chunkGroup.own); may be nil.
	fetch func(seq uint64) ([]byte, error)
	// scratch holds a compressed fragment decompressed for its checksum.
	scratch []byte
}

// add feeds the message at seq to the reassembly state. It returns a record
// when one completes. Chunks that do not continue the pending group (their
// group never completed: the writer died or was fenced mid-append) are
// dropped, as is a pending group interrupted by any other message.
func (it *assembler) add(seq uint64, data []byte, ts time.Time) (Entry, bool, error) {
	off := Offset(seq)
	m, err := decodeMessage(data, off)
	if err != nil {
		return Entry{}, false, err
	}
	if m.kind == msgRecord {
		it.drop(seq)
		if r := it.recent.get(off, m.body); r != nil {
			return Entry{Offset: off, Time: ts, Record: r}, true, nil
		}
		r, err := decodeRecordBody(m.body, off)
		if err != nil {
			return Entry{}, false, err
		}
		return Entry{Offset: off, Time: ts, Record: r}, true, nil
	}
	g := it.pending
	switch {
	case m.part == 0:
		it.drop(seq)
		g = &chunkGroup{id: m.group, start: seq, total: m.total}
		if per := uint64(m.flen); m.kind == msgChunk && per > 0 && it.fetch != nil {
			// Every part but the last holds per bytes, so the record's
			// offset is known now: if it is this process's own append, the
			// parts are checked but not copied together.
			g.final = seq + (uint64(m.total)+per-1)/per - 1
			g.own, g.want, _ = it.recent.lookup(Offset(g.final), int(m.total))
		}
		if g.own == nil {
			g.buf = make([]byte, 0, min(int(m.total), maxPrealloc))
		}
		it.pending = g
	case g != nil && g.id == m.group && g.next == m.part && g.start+uint64(m.part) == seq:
	default:
		it.drop(seq)
		it.logger.Debug("dropping orphan chunk", "offset", seq, "group", m.group, "part", m.part)
		return Entry{}, false, nil
	}
	if uint64(g.n)+uint64(m.flen) > uint64(g.total) || m.total != g.total {
		return Entry{}, false, corruptf(off, "chunk part %d overruns its record's %d bytes", m.part, g.total)
	}
	g.n += m.flen
	if g.own != nil {
		frag := m.body
		if m.s2 {
			if it.scratch, err = m.appendFragment(it.scratch[:0], off); err != nil {
				return Entry{}, false, err
			}
			frag = it.scratch
		}
		g.crc = crc32.Update(g.crc, castagnoli, frag)
	} else if g.buf, err = m.appendFragment(g.buf, off); err != nil {
		return Entry{}, false, err
	}
	g.next++
	if m.kind != msgFinal {
		return Entry{}, false, nil
	}
	it.pending = nil
	if g.own != nil {
		if seq == g.final && g.n == int(g.total) && g.crc == g.want {
			return Entry{Offset: off, Time: ts, Record: g.own}, true, nil
		}
		// Not the record this process appended after all: read the parts
		// again and decode them.
		for s := g.start; s <= seq; s++ {
			data, err := it.fetch(s)
			if err != nil {
				return Entry{}, false, err
			}
			pm, err := decodeMessage(data, Offset(s))
			if err != nil {
				return Entry{}, false, err
			}
			if g.buf, err = pm.appendFragment(g.buf, Offset(s)); err != nil {
				return Entry{}, false, err
			}
		}
	}
	if len(g.buf) != int(g.total) {
		return Entry{}, false, corruptf(off, "chunked record has %d bytes, its header says %d", len(g.buf), g.total)
	}
	if r := it.recent.get(off, g.buf); r != nil {
		return Entry{Offset: off, Time: ts, Record: r}, true, nil
	}
	r, err := decodeRecordBody(g.buf, off)
	if err != nil {
		return Entry{}, false, err
	}
	return Entry{Offset: off, Time: ts, Record: r}, true, nil
}

func (it *assembler) drop(seq uint64) {
	if it.pending != nil {
		it.logger.Debug("dropping incomplete chunked record", "first", it.pending.start,
			"parts", it.pending.next, "interrupted_at", seq)
		it.pending = nil
	}
}
