package pgcdc

import (
	"sync"
	"time"
)

// TxnTiming is where one streamed source transaction spent its time from
// its commit on the source until it was visible to OmenDB queries. The
// stages add up to Total (Sent is part of SourceToFirst). A large
// transaction the source streamed while in progress has its first message
// before its commit: SourceToFirst and Sent are then negative.
type TxnTiming struct {
	Committed time.Time // commit time on the source (the source's clock)
	Rows      int       // its row changes
	Batch     int       // source transactions committed together with it
	// SourceToFirst: source commit → its first message received (the
	// walsender, the socket, a receiver busy with earlier messages).
	SourceToFirst time.Duration
	// Sent: the part of SourceToFirst until the walsender sent the first
	// message (its logical decoding; the XLogData's send time, so 0 when
	// the source did not say); the rest is the socket and the receiver.
	Sent time.Duration
	// Receive: first → commit message received (reading and decoding its
	// changes).
	Receive time.Duration
	// Queued: commit message received → its commit began (waiting for the
	// commit in flight, which holds earlier transactions).
	Queued time.Duration
	// Build: building the write set (row-store lookups, key encoding).
	Build time.Duration
	// Validate: commit call → sealed into a batch by the committer
	// (waiting for it, validation, encoding).
	Validate time.Duration
	// Append: sealed → visible (log append with fsync, row-store apply).
	Append time.Duration
	// Total: source commit → visible.
	Total time.Duration
}

// timingRing keeps the timings of the last timingKeep streamed source
// transactions of a source (the applier adds, Manager.Timings reads).
type timingRing struct {
	mu   sync.Mutex
	buf  []TxnTiming
	next int
}

const timingKeep = 1 << 14

func (r *timingRing) add(t TxnTiming) {
	r.mu.Lock()
	if len(r.buf) < timingKeep {
		r.buf = append(r.buf, t)
	} else {
		r.buf[r.next] = t
		r.next = (r.next + 1) % timingKeep
	}
	r.mu.Unlock()
}

// since returns the kept timings of transactions committed on the source
// at or after from, oldest first.
func (r *timingRing) since(from time.Time) []TxnTiming {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []TxnTiming
	for i := range r.buf {
		t := r.buf[(r.next+i)%len(r.buf)]
		if !t.Committed.Before(from) {
			out = append(out, t)
		}
	}
	return out
}

// Timings returns where the streamed transactions of source name committed
// on the source at or after from spent their time (the last 16,384 kept),
// oldest first; nil for an unknown source. Benchmarks use it to break the
// end-to-end lag down by stage.
func (m *Manager) Timings(name string, from time.Time) []TxnTiming {
	m.mu.Lock()
	s := m.sources[name]
	m.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.timings.since(from)
}
