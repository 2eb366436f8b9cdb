package materializer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
)

// recordingSink is a Sink that remembers what it was given.
type recordingSink struct {
	mu      sync.Mutex
	applied log.Offset
	seen    []log.Offset
}

func (s *recordingSink) Apply(e log.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Offset <= s.applied {
		return fmt.Errorf("offset %d applied twice or out of order (at %d)", e.Offset, s.applied)
	}
	s.applied = e.Offset
	s.seen = append(s.seen, e.Offset)
	return nil
}

func (s *recordingSink) Applied() log.Offset {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

func record(i int) *log.Record {
	return &log.Record{Txns: []log.Txn{{ID: uint64(i), Ops: []log.Op{{Kind: log.OpMeta, Key: []byte("k"), Row: []byte{byte(i)}}}}}}
}

// TestReplayThenTail: recovery replays every record present at start, marks
// ready once it reached the start's last offset, then keeps applying new
// records in order.
func TestReplayThenTail(t *testing.T) {
	ctx := context.Background()
	l, err := log.Open(ctx, log.Options{Dir: t.TempDir(), Unsafe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var last log.Offset
	for i := 0; i < 50; i++ {
		if last, err = l.Append(ctx, record(i)); err != nil {
			t.Fatal(err)
		}
	}
	sink := &recordingSink{}
	m := New("test", l, sink, nil)
	readyAt := make(chan log.Offset, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go m.Run(rctx, func() { readyAt <- sink.Applied() })
	select {
	case at := <-readyAt:
		if at < last {
			t.Fatalf("ready at offset %d before reaching %d", at, last)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("not ready after 20s")
	}
	if !m.Ready() {
		t.Fatal("Ready() false after onReady")
	}
	for i := 50; i < 60; i++ {
		if last, err = l.Append(ctx, record(i)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for sink.Applied() < last && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if sink.Applied() != last || len(sink.seen) != 60 {
		t.Fatalf("applied %d records up to %d, want 60 up to %d", len(sink.seen), sink.Applied(), last)
	}
}

// TestCorruptRecordStops: a record that fails its checksum stops the
// materializer with an error naming the offset, and it never becomes ready.
func TestCorruptRecordStops(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := log.Open(ctx, log.Options{Dir: dir, Unsafe: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, record(1)); err != nil {
		t.Fatal(err)
	}
	bad, err := l.AppendRaw(ctx, []byte("not a record"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, record(3)); err == nil {
		// Appending after a raw message is fine for the log; the reader
		// must still stop at the bad one.
	}
	defer l.Close()
	sink := &recordingSink{}
	m := New("test", l, sink, nil)
	err = m.Run(ctx, func() { t.Error("became ready despite a corrupt record") })
	if err == nil || !errors.Is(err, pgerr.ErrCorrupt) {
		t.Fatalf("Run: %v, want a corruption error", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(bad)) {
		t.Fatalf("error %q does not name offset %d", err, bad)
	}
	if m.Err() == nil || sink.Applied() >= bad {
		t.Fatalf("Err %v, applied %d (bad record at %d)", m.Err(), sink.Applied(), bad)
	}
}

// gatedLog lets its readers take a record only when the test sends a token
// on gate (or closes it), so that records handed to Direct are applied
// while the follower is held back.
type gatedLog struct {
	log.Log
	gate chan struct{}
}

func (g *gatedLog) Read(ctx context.Context, from log.Offset) (log.Iterator, error) {
	it, err := g.Log.Read(ctx, from)
	if err != nil {
		return nil, err
	}
	return &gatedIter{Iterator: it, gate: g.gate}, nil
}

type gatedIter struct {
	log.Iterator
	gate chan struct{}
}

func (g *gatedIter) Next(ctx context.Context) (log.Entry, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return log.Entry{}, ctx.Err()
	}
	return g.Iterator.Next(ctx)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestDirect: records handed to Direct right after their append are
// applied without the log delivering them (the follower is held back), and
// the follower skips them later; a record whose predecessor the sink has
// not applied is left to the follower. Every record reaches the sink
// exactly once, in offset order (recordingSink fails otherwise).
func TestDirect(t *testing.T) {
	ctx := context.Background()
	l, err := log.Open(ctx, log.Options{Dir: t.TempDir(), Unsafe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < 5; i++ {
		if _, err := l.Append(ctx, record(i)); err != nil {
			t.Fatal(err)
		}
	}
	gate := make(chan struct{}, 100)
	for i := 0; i < 5; i++ {
		gate <- struct{}{}
	}
	sink := &recordingSink{}
	m := New("test", &gatedLog{Log: l, gate: gate}, sink, nil)
	// Handed over before Run follows the log: dropped, not applied.
	m.Direct(log.Entry{Offset: 6, Record: record(5)})
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go m.Run(rctx, nil)
	waitFor(t, "recovery", m.Ready)
	appendDirect := func(i int, direct bool) log.Offset {
		r := record(i)
		off, err := l.Append(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if direct {
			m.Direct(log.Entry{Offset: off, Time: time.Now(), Record: r})
		}
		return off
	}
	var last log.Offset
	for i := 5; i < 15; i++ {
		last = appendDirect(i, true)
	}
	waitFor(t, "the direct records", func() bool { return sink.Applied() == last })
	if got := m.Stats().Direct.Load(); got != 10 {
		t.Fatalf("%d records applied directly, want 10", got)
	}
	// A record not handed over leaves a gap: the next one handed over
	// must not be applied before it.
	gap := appendDirect(15, false)
	last = appendDirect(16, true)
	waitFor(t, "the hand-over after the gap to be dropped", func() bool { return m.Stats().Dropped.Load() == 1 })
	if a := sink.Applied(); a >= gap {
		t.Fatalf("applied %d past the gap at %d", a, gap)
	}
	close(gate) // the follower catches up: it applies 15 and 16, skips the rest
	waitFor(t, "the follower", func() bool { return sink.Applied() == last })
	if err := m.Err(); err != nil {
		t.Fatal(err)
	}
	if n, f := len(sink.seen), m.Stats().Followed.Load(); n != 17 || f != 7 {
		t.Fatalf("sink saw %d records (want 17), %d from the log (want 5 replayed + 2)", n, f)
	}
}

// failingSink fails to apply offset bad.
type failingSink struct {
	recordingSink
	bad log.Offset
}

func (s *failingSink) Apply(e log.Entry) error {
	if e.Offset == s.bad {
		return errors.New("no room")
	}
	return s.recordingSink.Apply(e)
}

// TestDirectApplyErrorStops: a record handed to Direct that the sink fails
// to apply stops the materializer with an error naming the offset, as the
// follower's would.
func TestDirectApplyErrorStops(t *testing.T) {
	ctx := context.Background()
	l, err := log.Open(ctx, log.Options{Dir: t.TempDir(), Unsafe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	first, err := l.Append(ctx, record(0))
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{}, 1)
	gate <- struct{}{}
	sink := &failingSink{bad: first + 1}
	m := New("test", &gatedLog{Log: l, gate: gate}, sink, nil)
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx, nil) }()
	waitFor(t, "recovery", m.Ready)
	r := record(1)
	off, err := l.Append(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	m.Direct(log.Entry{Offset: off, Record: r})
	select {
	case err = <-errc:
	case <-time.After(10 * time.Second):
		t.Fatal("Run still running after a failed apply")
	}
	if err == nil || !strings.Contains(err.Error(), "no room") || !strings.Contains(err.Error(), fmt.Sprint(off)) {
		t.Fatalf("Run: %v, want the apply error naming offset %d", err, off)
	}
	if m.Err() == nil {
		t.Fatal("Err() is nil after a failed apply")
	}
}

// trySink is a TrySink whose TryApply refuses while busy is set.
type trySink struct {
	recordingSink
	busy atomic.Bool
}

func (s *trySink) TryApply(e log.Entry) (bool, error) {
	if s.busy.Load() {
		return false, nil
	}
	return true, s.Apply(e)
}

// TestDirectInline: a TrySink gets records handed to Direct applied on the
// caller's goroutine — done when Direct returns — unless TryApply refuses;
// then the feeder applies them.
func TestDirectInline(t *testing.T) {
	ctx := context.Background()
	l, err := log.Open(ctx, log.Options{Dir: t.TempDir(), Unsafe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	gate := make(chan struct{})
	sink := &trySink{}
	m := New("test", &gatedLog{Log: l, gate: gate}, sink, nil)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go m.Run(rctx, nil)
	waitFor(t, "recovery", m.Ready)
	waitFor(t, "the feeder", m.feeding.Load)
	for i := 0; i < 5; i++ {
		r := record(i)
		off, err := l.Append(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		m.Direct(log.Entry{Offset: off, Time: time.Now(), Record: r})
		if sink.Applied() != off {
			t.Fatalf("offset %d not applied when Direct returned (applied %d)", off, sink.Applied())
		}
	}
	sink.busy.Store(true)
	var last log.Offset
	for i := 5; i < 8; i++ {
		r := record(i)
		if last, err = l.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
		m.Direct(log.Entry{Offset: last, Time: time.Now(), Record: r})
	}
	waitFor(t, "the feeder", func() bool { return sink.Applied() == last })
	close(gate)
	if in, d := m.Stats().Inline.Load(), m.Stats().Direct.Load(); in != 5 || d != 3 {
		t.Fatalf("%d applied inline (want 5), %d by the feeder (want 3)", in, d)
	}
	if err := m.Err(); err != nil || len(sink.seen) != 8 {
		t.Fatalf("err %v, %d records applied, want 8", err, len(sink.seen))
	}
}
