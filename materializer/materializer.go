package materializer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/log"
)

// Sink is a store that a materializer keeps up to date: the OLTP row store
// or the OLAP column store. Apply is called by one goroutine at a time
// (the materializer's follower or its direct feeder, under the
// materializer's lock), in offset order, exactly once per record after the
// sink's Applied offset.
type Sink interface {
	Apply(e log.Entry) error
	// Applied may be called at any time from any goroutine (the follower
	// reads it without the materializer's lock to skip applied records).
	Applied() log.Offset
}

// TrySink is a Sink that can apply a record without waiting for a lock:
// TryApply either applies e (the record right after Applied) entirely and
// returns true, or changes nothing and returns false. An error means the
// sink is broken, as Apply's does.
type TrySink interface {
	Sink
	TryApply(e log.Entry) (bool, error)
}

// Materializer follows the log and applies every record to its sink.
type Materializer struct {
	name   string
	log    log.Log
	sink   Sink
	logger *slog.Logger

	ready     atomic.Bool
	lastTime  atomic.Int64 // unix µs of the last applied record's log time
	err       atomic.Pointer[error]
	done      chan struct{}
	afterEach func() // hook run after each applied record (reclaiming old versions)
	applied   atomic.Int64

	// mu serializes the sink's Apply between the follower (Run) and the
	// direct feeder (Direct); the check of the sink's applied offset and
	// the Apply are one step under it.
	mu sync.Mutex
	// direct carries records handed to Direct to the feeder goroutine;
	// feeding is true while Run follows the log (Direct drops otherwise).
	direct  chan log.Entry
	feeding atomic.Bool
	stats   Stats
	// A failed apply on the direct path (inline or feeder) is kept in
	// feedErr and stops the follower through cancel (set by Run before
	// feeding).
	feedErr atomic.Pointer[error]
	cancel  context.CancelFunc
}

// Stats counts how the records reached the sink.
type Stats struct {
	// Inline: records applied by Direct itself (the sink's TryApply, on
	// the committer's goroutine). Direct: records handed over by Direct and
	// applied by the feeder goroutine. Followed: records applied as the
	// log delivered them.
	Inline, Direct, Followed atomic.Int64
	// Dropped: records handed to Direct that were not applied by it — the
	// sink had not applied the record just before (a gap: recovery still
	// replaying, a record chunked over several messages, a full queue) or
	// had applied it already. The log delivers them.
	Dropped atomic.Int64
	// Delay: from the hand-over (the entry's Time, set by the committer
	// just before) until the sink applied the record, for records applied
	// inline or by the feeder; Apply: how long the sink took on that path.
	Delay, Apply Hist
}

// directQueue is how many records Direct queues for the feeder; when it is
// full Direct drops the record and the follower applies it from the log.
const directQueue = 4096

// New returns a materializer applying l to sink. name is used in logs.
func New(name string, l log.Log, sink Sink, logger *slog.Logger) *Materializer {
	if logger == nil {
		logger = slog.Default()
	}
	return &Materializer{name: name, log: l, sink: sink, logger: logger, done: make(chan struct{}),
		direct: make(chan log.Entry, directQueue)}
}

// Stats returns the materializer's counters.
func (m *Materializer) Stats() *Stats { return &m.stats }

// Direct hands the materializer a record this process has just made durable
// at e.Offset (the committer's oltp.Committer.OnDurable), rows still
// decoded, so that the sink applies it at once instead of when the log
// delivers it back. It never blocks. The feeder goroutine applies e only
// if the sink's applied offset is e.Offset-1: the stream sequence just
// before e's message completes the record the sink applied last, so e is
// the next record and nothing is skipped. (A record chunked over several
// messages never meets that test: the sequence before its last chunk is
// its own chunk.) Any other record is left to the follower, which skips
// what the feeder applied. Records handed over before Run follows the log
// (recovery, loading a checkpoint, seeding) or after it stopped are
// dropped.
func (m *Materializer) Direct(e log.Entry) {
	if !m.feeding.Load() {
		return
	}
	if ts, ok := m.sink.(TrySink); ok && m.mu.TryLock() {
		// Applied here and now, on the caller's goroutine, if nothing has
		// to wait: no hand-off, no goroutine to wake.
		var applied bool
		var err error
		start := time.Now()
		if m.sink.Applied() == e.Offset-1 {
			if applied, err = ts.TryApply(e); applied {
				m.noteApplied(e)
			}
		}
		m.mu.Unlock()
		switch {
		case err != nil:
			m.fail(fmt.Errorf("%s: applying offset %d: %w", m.name, uint64(e.Offset), err))
			return
		case applied:
			end := time.Now()
			m.stats.Inline.Add(1)
			m.stats.Apply.Add(end.Sub(start))
			m.stats.Delay.Add(end.Sub(e.Time))
			return
		}
	}
	select {
	case m.direct <- e:
	default:
		m.stats.Dropped.Add(1)
	}
}

// applyLocked applies e unless the sink already has it; m.mu is held.
func (m *Materializer) applyLocked(e log.Entry) (bool, error) {
	if e.Offset <= m.sink.Applied() {
		return false, nil
	}
	if err := m.sink.Apply(e); err != nil {
		return false, fmt.Errorf("%s: applying offset %d: %w", m.name, uint64(e.Offset), err)
	}
	m.noteApplied(e)
	return true, nil
}

// noteApplied counts e applied; m.mu is held.
func (m *Materializer) noteApplied(e log.Entry) {
	m.lastTime.Store(e.Time.UnixMicro())
	if n := m.applied.Add(1); m.afterEach != nil && n%1024 == 0 {
		m.afterEach()
	}
}

// feed applies the records handed to Direct until stop is closed. An
// apply error ends it (and, through fail, the follower).
func (m *Materializer) feed(stop <-chan struct{}) {
	for {
		var e log.Entry
		select {
		case e = <-m.direct:
		case <-stop:
			return
		}
		m.mu.Lock()
		applied := false
		var err error
		start := time.Now()
		if m.sink.Applied() == e.Offset-1 {
			applied, err = m.applyLocked(e)
		}
		m.mu.Unlock()
		switch {
		case err != nil:
			m.fail(err)
			return
		case applied:
			end := time.Now()
			m.stats.Direct.Add(1)
			m.stats.Apply.Add(end.Sub(start))
			m.stats.Delay.Add(end.Sub(e.Time))
		default:
			m.stats.Dropped.Add(1)
		}
	}
}

// AfterEach sets a hook run on the materializer goroutine after every N
// applied records; it must be set before Run.
func (m *Materializer) AfterEach(fn func()) { m.afterEach = fn }

// Ready reports whether recovery (replay up to the log's end at start) is done.
func (m *Materializer) Ready() bool { return m.ready.Load() }

// Err returns the error that stopped the materializer, if any.
func (m *Materializer) Err() error {
	if p := m.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Done is closed when Run returns.
func (m *Materializer) Done() <-chan struct{} { return m.done }

// Lag returns how far the sink is behind the newest record it has seen, in
// time since that record was stored.
func (m *Materializer) Lag() time.Duration {
	t := m.lastTime.Load()
	if t == 0 {
		return 0
	}
	return time.Since(time.UnixMicro(t))
}

// Run replays the log from the sink's applied offset, marks the materializer
// ready once it reaches the offset that was last when Run started, then
// tails the log until ctx ends. A record that cannot be decoded or applied
// stops it with an error naming the offset: recovery never skips a record.
func (m *Materializer) Run(ctx context.Context, onReady func()) error {
	defer close(m.done)
	err := m.run(ctx, onReady)
	if err != nil && !errors.Is(err, context.Canceled) {
		m.err.Store(&err)
		m.logger.Error("materializer stopped", "name", m.name, "err", err)
	}
	return err
}

func (m *Materializer) run(ctx context.Context, onReady func()) error {
	// The feeder applies records handed to Direct while the follower below
	// reads the log; an apply error on either side stops both.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.cancel = cancel
	stop := make(chan struct{})
	var feeder sync.WaitGroup
	feeder.Add(1)
	go func() {
		defer feeder.Done()
		m.feed(stop)
	}()
	defer func() {
		m.feeding.Store(false)
		close(stop)
		feeder.Wait()
	}()
	err := m.follow(ctx, onReady)
	if p := m.feedErr.Load(); p != nil {
		return *p
	}
	return err
}

// fail stops the materializer after a failed apply on the direct path.
func (m *Materializer) fail(err error) {
	m.feeding.Store(false)
	if m.feedErr.CompareAndSwap(nil, &err) {
		m.cancel()
	}
}

func (m *Materializer) follow(ctx context.Context, onReady func()) error {
	start := time.Now()
	target, err := m.log.Last(ctx)
	if err != nil {
		return fmt.Errorf("%s: reading the log's end: %w", m.name, err)
	}
	from := m.sink.Applied() + 1
	m.logger.Info("recovery: replaying the log", "name", m.name, "from", uint64(from), "to", uint64(target))
	markReady := func() {
		if !m.ready.Load() {
			m.ready.Store(true)
			m.logger.Info("recovery done", "name", m.name, "offset", uint64(m.sink.Applied()),
				"records", m.applied.Load(), "took", time.Since(start).Round(time.Millisecond))
			if onReady != nil {
				onReady()
			}
		}
	}
	if m.sink.Applied() >= target {
		markReady()
	}
	it, err := m.log.Read(ctx, from)
	if err != nil {
		return fmt.Errorf("%s: reading the log: %w", m.name, err)
	}
	defer it.Close()
	m.feeding.Store(true)
	lastReport := time.Now()
	for {
		e, err := it.Next(ctx)
		if err != nil {
			return fmt.Errorf("%s: after offset %d: %w", m.name, uint64(m.sink.Applied()), err)
		}
		// A record the direct path applied already is skipped without the
		// lock (the sink's applied offset only grows): the follower, which
		// sees every record, must not make Direct's TryLock fail.
		if e.Offset > m.sink.Applied() {
			m.mu.Lock()
			applied, err := m.applyLocked(e)
			m.mu.Unlock()
			if err != nil {
				return err
			}
			if applied {
				m.stats.Followed.Add(1)
			}
		}
		if !m.ready.Load() {
			if e.Offset >= target {
				markReady()
			} else if time.Since(lastReport) > 2*time.Second {
				lastReport = time.Now()
				m.logger.Info("recovery progress", "name", m.name, "offset", uint64(e.Offset), "target", uint64(target))
			}
		}
	}
}
