package oltp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
)

// gateLog is the real log with a failpoint: while armed, the next Append
// reports that it started (entered) and waits for release, then either
// fails without appending or appends.
type gateLog struct {
	log.Log
	armed   chan struct{} // buffered 1: a token arms the next Append
	entered chan struct{}
	release chan bool // true: fail the append
}

func newGateLog(l log.Log) *gateLog {
	return &gateLog{Log: l, armed: make(chan struct{}, 1), entered: make(chan struct{}), release: make(chan bool)}
}

func (g *gateLog) Append(ctx context.Context, r *log.Record) (log.Offset, error) {
	select {
	case <-g.armed:
		g.entered <- struct{}{}
		if <-g.release {
			return 0, errors.New("injected append failure")
		}
	default:
	}
	return g.Log.Append(ctx, r)
}

// elrHarness is the harness with its committer over a gateLog.
func elrHarness(t *testing.T) (*harness, *gateLog) {
	h := newHarness(t)
	h.c.Close()
	g := newGateLog(h.log)
	h.c = NewCommitter(g, h.store, nil)
	return h, g
}

type commitOutcome struct {
	off log.Offset
	err error
}

// elrPair runs T1 (locks key 1, writes 1 → v1, releases its lock early) with
// its append held at the gate, then T2, which takes the lock, reads T1's
// pending version and writes it + 1, and a read-only T3 that read it too.
// It returns their outcomes after the gate released T1's append with fail.
func elrPair(t *testing.T, h *harness, g *gateLog, fail bool) (t1, t2, t3 commitOutcome, v2 int) {
	t.Helper()
	ctx := context.Background()
	lt := NewLockTable()
	var l1, l2, l3 TxnLocks
	key := h.key(1)
	if _, err := lt.Lock(ctx, &l1, h.table.ID, key, 0); err != nil {
		t.Fatal(err)
	}
	snap := h.store.Applied()
	w1 := NewWrites()
	h.put(w1, 1, 100, true)
	g.armed <- struct{}{}
	res1 := make(chan commitOutcome, 1)
	go func() {
		off, err := h.c.CommitWith(ctx, w1, snap, CommitOptions{Placed: func(b *Batch) { lt.ReleaseEarly(&l1, b, w1) }})
		res1 <- commitOutcome{off, err}
	}()
	<-g.entered // T1 is sealed and its append started: its lock is free

	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := lt.Lock(lctx, &l2, h.table.ID, key, 0); err != nil {
		t.Fatalf("T2 lock: %v (T1 should have released it early)", err)
	}
	row, b, ok := lt.Pending(h.table.ID, key)
	if !ok || row == nil || row[1].I != 100 {
		t.Fatalf("T2 should read T1's pending version 100, got %v ok=%v", row, ok)
	}
	if v, _ := h.get(1, h.store.Applied()); v == 100 {
		t.Fatal("T1's write is visible in the row store before it is durable")
	}
	l2.ReadPending(h.table.ID, key, b)
	w2 := NewWrites()
	v2 = int(row[1].I) + 1
	h.put(w2, 1, v2, true)
	w2.After(h.table.ID, key, l2.PendingBase(h.table.ID, key))
	res2 := make(chan commitOutcome, 1)
	go func() {
		off, err := h.c.CommitWith(ctx, w2, h.store.Applied(), CommitOptions{After: l2.After(), Placed: func(b *Batch) { lt.ReleaseEarly(&l2, b, w2) }})
		res2 <- commitOutcome{off, err}
	}()
	// T3 read T1's version too (a lock taken, nothing written).
	l3.ReadPending(h.table.ID, key, b)
	res3 := make(chan commitOutcome, 1)
	go func() {
		off, err := h.c.CommitWith(ctx, NewWrites(), h.store.Applied(), CommitOptions{After: l3.After()})
		res3 <- commitOutcome{off, err}
	}()
	// Neither dependent may be answered while T1's record is not durable.
	select {
	case r := <-res2:
		t.Fatalf("T2 answered (%v) before its predecessor's append returned", r)
	case r := <-res3:
		t.Fatalf("T3 answered (%v) before its predecessor's append returned", r)
	case <-time.After(50 * time.Millisecond):
	}
	g.release <- fail
	t1, t2, t3 = <-res1, <-res2, <-res3
	lt.ReleaseAll(&l1)
	lt.ReleaseAll(&l2)
	lt.ReleaseAll(&l3)
	if n := lt.PendingVersions(); n != 0 {
		t.Errorf("%d pending versions left after both transactions ended", n)
	}
	if n := lt.Held(); n != 0 {
		t.Errorf("%d locks left", n)
	}
	return t1, t2, t3, v2
}

// TestEarlyLockReleaseDependentNeverAckedAfterFailedAppend: a transaction
// that read the write of one released early is never acknowledged when that
// predecessor's append fails, and the committer recovers.
func TestEarlyLockReleaseDependentNeverAckedAfterFailedAppend(t *testing.T) {
	h, g := elrHarness(t)
	ctx := context.Background()
	w := NewWrites()
	h.put(w, 1, 7, false)
	if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
		t.Fatal(err)
	}
	last, err := h.log.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t1, t2, t3, _ := elrPair(t, h, g, true)
	if t1.err == nil {
		t.Fatal("T1 committed through a failed append")
	}
	if t2.err == nil || pgerr.Code(t2.err) != pgerr.SerializationFailure {
		t.Fatalf("T2 (dependent): got offset %d err %v, want 40001", t2.off, t2.err)
	}
	if t3.err == nil || pgerr.Code(t3.err) != pgerr.SerializationFailure {
		t.Fatalf("T3 (read-only dependent): got err %v, want 40001", t3.err)
	}
	if now, err := h.log.Last(ctx); err != nil || now != last {
		t.Fatalf("log end %d (%v), want %d: nothing may have been appended", now, err, last)
	}
	if v, _ := h.get(1, h.store.Applied()); v != 7 {
		t.Fatalf("key 1 = %d, want 7", v)
	}
	// The committer is usable again and its pending state is clean.
	w = NewWrites()
	h.put(w, 1, 8, true)
	if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
		t.Fatal(err)
	}
	checkNothingPending(t, h.c)
}

// TestEarlyLockReleaseChain: with the append succeeding, the dependent
// commits after its predecessor, in a later record, on top of its write.
func TestEarlyLockReleaseChain(t *testing.T) {
	h, g := elrHarness(t)
	ctx := context.Background()
	w := NewWrites()
	h.put(w, 1, 7, false)
	if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
		t.Fatal(err)
	}
	t1, t2, t3, v2 := elrPair(t, h, g, false)
	if t1.err != nil || t2.err != nil || t3.err != nil {
		t.Fatalf("T1 %v, T2 %v, T3 %v", t1.err, t2.err, t3.err)
	}
	if t2.off <= t1.off {
		t.Fatalf("T2 at offset %d, not after T1's %d", t2.off, t1.off)
	}
	if v, _ := h.get(1, h.store.Applied()); v != v2 {
		t.Fatalf("key 1 = %d, want T2's %d", v, v2)
	}
	if v, _ := h.get(1, t1.off); v != 100 {
		t.Fatalf("key 1 at T1's offset = %d, want 100", v)
	}
	checkNothingPending(t, h.c)
}

func checkNothingPending(t *testing.T, c *Committer) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) != 0 || len(c.pendTables) != 0 || len(c.batches) != 0 {
		t.Errorf("committer state not clean: %d pending keys, %d busy tables, %d batches", len(c.pending), len(c.pendTables), len(c.batches))
	}
}
