package materializer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/log"
)

// Sink is a store that a materializer keeps up to date: the OLTP row store
// now, the OLAP column store later. Apply is called from one goroutine, in
// offset order, exactly once per record after the sink's Applied offset.
type Sink interface {
	Apply(e log.Entry) error
	Applied() log.Offset
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
}

// New returns a materializer applying l to sink. name is used in logs.
func New(name string, l log.Log, sink Sink, logger *slog.Logger) *Materializer {
	if logger == nil {
		logger = slog.Default()
	}
	return &Materializer{name: name, log: l, sink: sink, logger: logger, done: make(chan struct{})}
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
	lastReport := time.Now()
	for {
		e, err := it.Next(ctx)
		if err != nil {
			return fmt.Errorf("%s: after offset %d: %w", m.name, uint64(m.sink.Applied()), err)
		}
		if err := m.sink.Apply(e); err != nil {
			return fmt.Errorf("%s: applying offset %d: %w", m.name, uint64(e.Offset), err)
		}
		m.lastTime.Store(e.Time.UnixMicro())
		if n := m.applied.Add(1); m.afterEach != nil && n%1024 == 0 {
			m.afterEach()
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
