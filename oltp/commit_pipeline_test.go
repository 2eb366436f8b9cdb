package oltp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/omendb/omendb/log"
)

// pipeGate is the real JetStream log with a failpoint on pipelined appends:
// while armed, the next StartAppend reports (entered) once its record is
// sent, and its Wait, once the real append is done, waits for release and
// then reports the real outcome or (true) an injected failure — the record
// stored anyway, as after a lost acknowledgement.
type pipeGate struct {
	*log.JetStream
	armed   chan struct{}
	entered chan struct{}
	release chan bool
}

func (g *pipeGate) StartAppend(ctx context.Context, r *log.Record) (log.Pending, error) {
	p, err := g.JetStream.StartAppend(ctx, r)
	if err != nil {
		return p, err
	}
	select {
	case <-g.armed:
		g.entered <- struct{}{}
		return &gatedPending{Pending: p, release: g.release}, nil
	default:
	}
	return p, nil
}

type gatedPending struct {
	log.Pending
	release chan bool
}

func (p *gatedPending) Wait() (log.Offset, error) {
	off, err := p.Pending.Wait()
	if <-p.release {
		return 0, errors.New("injected append failure")
	}
	return off, err
}

// pipeHarness is the harness with its committer over a pipeGate.
func pipeHarness(t *testing.T) (*harness, *pipeGate) {
	h := newHarness(t)
	h.c.Close()
	g := &pipeGate{JetStream: h.log, armed: make(chan struct{}, 1), entered: make(chan struct{}), release: make(chan bool)}
	h.c = NewCommitter(g, h.store, nil)
	h.c.SetMaxInFlight(2) // pipelining is not the default
	return h, g
}

// waitLogRecords waits until the log holds a record after offset from
// (found by reading it), and returns the offset of the n-th record after it.
func waitLogRecords(t *testing.T, h *harness, from log.Offset, n int) log.Offset {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	it, err := h.log.Read(ctx, from+1)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var off log.Offset
	for range n {
		e, err := it.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %d records after %d in the log: %v", n, from, err)
		}
		off = e.Offset
	}
	return off
}

// A pipelined record is acknowledged only after every record sent before
// it: with T1's record held after its append, T2's record is appended (the
// pipeline does not wait) but T2 is not answered until T1 is.
func TestPipelinedCommitsAckedInOrder(t *testing.T) {
	h, g := pipeHarness(t)
	ctx := context.Background()
	base, err := h.log.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	commit := func(k int) chan commitOutcome {
		w := NewWrites()
		h.put(w, k, k*10, false)
		res := make(chan commitOutcome, 1)
		go func() {
			off, err := h.c.Commit(ctx, w, h.store.Applied())
			res <- commitOutcome{off, err}
		}()
		return res
	}
	g.armed <- struct{}{}
	res1 := commit(1)
	<-g.entered
	res2 := commit(2)
	off2 := waitLogRecords(t, h, base, 2) // T2's record is in the log
	select {
	case r := <-res2:
		t.Fatalf("T2 answered (%v) while the record before it was not", r)
	case r := <-res1:
		t.Fatalf("T1 answered (%v) while held", r)
	default:
	}
	g.release <- false
	t1, t2 := <-res1, <-res2
	if t1.err != nil || t2.err != nil {
		t.Fatalf("T1: %v, T2: %v", t1.err, t2.err)
	}
	if !(t1.off < t2.off) || t2.off != off2 {
		t.Fatalf("T1 at %d, T2 at %d (log: %d): want T1 first and T2 where the log has it", t1.off, t2.off, off2)
	}
	if a := h.store.Applied(); a < t2.off {
		t.Fatalf("applied %d < %d after T2 was answered", a, t2.off)
	}
}

// A record sent while its predecessor was in flight fails when the
// predecessor's append fails — T2 read T1's write through the lock T1
// released early, so it was validated against T1's pending write — and the
// committer recovers: later commits succeed, and a transaction naming T1's
// batch fails.
func TestPipelinedSuccessorFailsWithItsPredecessor(t *testing.T) {
	h, g := pipeHarness(t)
	ctx := context.Background()
	base, err := h.log.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lt := NewLockTable()
	var l1, l2 TxnLocks
	key := h.key(1)
	if _, err := lt.Lock(ctx, &l1, h.table.ID, key, 0); err != nil {
		t.Fatal(err)
	}
	w1 := NewWrites()
	h.put(w1, 1, 100, false)
	g.armed <- struct{}{}
	res1 := make(chan commitOutcome, 1)
	go func() {
		off, err := h.c.CommitWith(ctx, w1, h.store.Applied(), CommitOptions{Placed: func(b *Batch) { lt.ReleaseEarly(&l1, b, w1) }})
		res1 <- commitOutcome{off, err}
	}()
	<-g.entered // T1 sealed and sent: its lock is free

	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := lt.Lock(lctx, &l2, h.table.ID, key, 0); err != nil {
		t.Fatalf("T2 lock: %v", err)
	}
	row, b1, ok := lt.Pending(h.table.ID, key)
	if !ok || row == nil || row[1].I != 100 {
		t.Fatalf("T2 should read T1's pending version, got %v ok=%v", row, ok)
	}
	l2.ReadPending(h.table.ID, key, b1)
	w2 := NewWrites()
	h.put(w2, 1, 101, true)
	w2.After(h.table.ID, key, l2.PendingBase(h.table.ID, key))
	res2 := make(chan commitOutcome, 1)
	go func() {
		off, err := h.c.CommitWith(ctx, w2, h.store.Applied(), CommitOptions{After: l2.After(), Placed: func(b *Batch) { lt.ReleaseEarly(&l2, b, w2) }})
		res2 <- commitOutcome{off, err}
	}()
	waitLogRecords(t, h, base, 2) // T2 validated and sent while T1 is in flight
	g.release <- true
	t1, t2 := <-res1, <-res2
	lt.ReleaseAll(&l1)
	lt.ReleaseAll(&l2)
	if t1.err == nil {
		t.Fatalf("T1 acknowledged at %d after its append failed", t1.off)
	}
	if !errors.Is(t2.err, errEarlierAppendFailed) {
		t.Fatalf("T2: %v at %d, want it failed with its predecessor", t2.err, t2.off)
	}
	if !b1.Failed() {
		t.Fatal("T1's batch is not marked failed")
	}
	if _, err := h.c.CommitWith(ctx, NewWrites(), h.store.Applied(), CommitOptions{After: b1}); err == nil {
		t.Fatal("a transaction that read T1's write committed")
	}
	// Recovered: the next commits go through, in the pipeline again.
	for k := 2; k < 6; k++ {
		w := NewWrites()
		h.put(w, k, k, false)
		off, err := h.c.Commit(ctx, w, h.store.Applied())
		if err != nil {
			t.Fatalf("commit after the failure: %v", err)
		}
		if v, ok := h.get(k, off); !ok || v != k {
			t.Fatalf("key %d at %d: %d, %v", k, off, v, ok)
		}
	}
}
