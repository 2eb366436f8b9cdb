package oltp

import (
	"context"
	"testing"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// eagerHarness is pipeHarness with one record in flight (the default):
// while the held record is in flight, the committer seals the next one.
func eagerHarness(t *testing.T) (*harness, *pipeGate, *LockTable) {
	h, g := pipeHarness(t)
	h.c.SetMaxInFlight(1)
	t.Cleanup(func() {
		// A test that failed with the append held lets it go, so that the
		// committer closes.
		go func() {
			select {
			case g.release <- false:
			case <-time.After(5 * time.Second):
			}
		}()
	})
	return h, g, NewLockTable()
}

// commitELR commits w for the holder of tl in the background, releasing its
// locks early.
func commitELR(h *harness, lt *LockTable, tl *TxnLocks, w *Writes) chan commitOutcome {
	res := make(chan commitOutcome, 1)
	snap := h.store.Applied()
	go func() {
		off, err := h.c.CommitWith(context.Background(), w, snap, CommitOptions{After: tl.After(), Placed: func(b *Batch) { lt.ReleaseEarly(tl, b, w) }})
		res <- commitOutcome{off, err}
	}()
	return res
}

// lockPending takes the lock on key k for tl (failing the test if it is not
// free within 10s) and reads the pending version there, which must be v.
func lockPending(t *testing.T, h *harness, lt *LockTable, tl *TxnLocks, k, v int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := h.key(k)
	if _, err := lt.Lock(ctx, tl, h.table.ID, key, 0); err != nil {
		t.Fatalf("lock on key %d: %v (its holder should be sealed, lock released)", k, err)
	}
	row, b, ok := lt.Pending(h.table.ID, key)
	if !ok || row == nil || row[1].I != int64(v) {
		t.Fatalf("key %d: want pending version %d, got %v ok=%v", k, v, row, ok)
	}
	tl.ReadPending(h.table.ID, key, b)
}

// heldPredecessor commits P (key 1 → 100, releasing its lock early) with
// its append held at the gate after the record was sent.
func heldPredecessor(t *testing.T, h *harness, g *pipeGate, lt *LockTable, lp *TxnLocks) chan commitOutcome {
	t.Helper()
	if _, err := lt.Lock(context.Background(), lp, h.table.ID, h.key(1), 0); err != nil {
		t.Fatal(err)
	}
	w := NewWrites()
	h.put(w, 1, 100, true)
	g.armed <- struct{}{}
	res := commitELR(h, lt, lp, w)
	<-g.entered
	return res
}

// TestEagerSealWhilePredecessorInFlight: with the predecessor's record in
// flight, a transaction that read its write is sealed into the next record
// at once (its lock is free before the predecessor is durable), and so is
// the next holder of that lock, in the same record; all commit in order.
func TestEagerSealWhilePredecessorInFlight(t *testing.T) {
	h, g, lt := eagerHarness(t)
	var lp, l1, l2 TxnLocks
	w := NewWrites()
	h.put(w, 1, 7, false)
	if _, err := h.c.Commit(context.Background(), w, h.store.Applied()); err != nil {
		t.Fatal(err)
	}
	resP := heldPredecessor(t, h, g, lt, &lp)

	lockPending(t, h, lt, &l1, 1, 100)
	w1 := NewWrites()
	h.put(w1, 1, 101, true)
	w1.After(h.table.ID, h.key(1), l1.PendingBase(h.table.ID, h.key(1)))
	res1 := commitELR(h, lt, &l1, w1)
	// T1 is sealed while P is in flight: T2 gets the lock and T1's write.
	lockPending(t, h, lt, &l2, 1, 101)
	w2 := NewWrites()
	h.put(w2, 1, 102, true)
	w2.After(h.table.ID, h.key(1), l2.PendingBase(h.table.ID, h.key(1)))
	res2 := commitELR(h, lt, &l2, w2)
	select {
	case r := <-res1:
		t.Fatalf("T1 answered (%v) before its predecessor's append returned", r)
	case r := <-res2:
		t.Fatalf("T2 answered (%v) before its predecessor's append returned", r)
	case <-time.After(50 * time.Millisecond):
	}
	g.release <- false
	p, t1, t2 := <-resP, <-res1, <-res2
	for _, tl := range []*TxnLocks{&lp, &l1, &l2} {
		lt.ReleaseAll(tl)
	}
	if p.err != nil || t1.err != nil || t2.err != nil {
		t.Fatalf("P %v, T1 %v, T2 %v", p.err, t1.err, t2.err)
	}
	if !(p.off < t1.off && t1.off == t2.off) {
		t.Fatalf("P at %d, T1 at %d, T2 at %d: want T1 and T2 in one record after P's", p.off, t1.off, t2.off)
	}
	if v, _ := h.get(1, h.store.Applied()); v != 102 {
		t.Fatalf("key 1 = %d, want T2's 102", v)
	}
	if v, _ := h.get(1, p.off); v != 100 {
		t.Fatalf("key 1 at P's offset = %d, want 100", v)
	}
	if n := lt.PendingVersions(); n != 0 {
		t.Errorf("%d pending versions left", n)
	}
	checkNothingPending(t, h.c)
}

// TestEagerSealPredecessorFails: P's append fails while the next record is
// sealed but not sent. Sealed into it were T1, which read P's write (through
// the lock P released early), T2, which read T1's, and T3, which read
// nothing of either (all three released their locks): T1 and T2 are
// rejected (40001), T3 commits.
func TestEagerSealPredecessorFails(t *testing.T) {
	h, g, lt := eagerHarness(t)
	ctx := context.Background()
	var lp, l1, l2 TxnLocks
	w := NewWrites()
	h.put(w, 1, 7, false)
	h.put(w, 2, 8, false)
	if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
		t.Fatal(err)
	}
	resP := heldPredecessor(t, h, g, lt, &lp)

	lockPending(t, h, lt, &l1, 1, 100)
	w1 := NewWrites()
	h.put(w1, 1, 101, true)
	w1.After(h.table.ID, h.key(1), l1.PendingBase(h.table.ID, h.key(1)))
	res1 := commitELR(h, lt, &l1, w1)
	lockPending(t, h, lt, &l2, 1, 101) // T1 sealed while P is in flight
	w2 := NewWrites()
	h.put(w2, 1, 102, true)
	w2.After(h.table.ID, h.key(1), l2.PendingBase(h.table.ID, h.key(1)))
	res2 := commitELR(h, lt, &l2, w2)
	var l3, l4 TxnLocks
	if _, err := lt.Lock(ctx, &l3, h.table.ID, h.key(2), 0); err != nil {
		t.Fatal(err)
	}
	w3 := NewWrites()
	h.put(w3, 2, 9, true)
	res3 := commitELR(h, lt, &l3, w3)
	lockPending(t, h, lt, &l4, 2, 9) // T3 sealed too, while P is in flight
	lt.ReleaseAll(&l4)               // (and l4 ends without writing)
	g.release <- true
	p, t1, t2, t3 := <-resP, <-res1, <-res2, <-res3
	for _, tl := range []*TxnLocks{&lp, &l1, &l2, &l3} {
		lt.ReleaseAll(tl)
	}
	if p.err == nil {
		t.Fatalf("P acknowledged at %d after its append failed", p.off)
	}
	for i, r := range []commitOutcome{t1, t2} {
		if pgerr.Code(r.err) != pgerr.SerializationFailure {
			t.Fatalf("T%d (read a failed write): offset %d err %v, want 40001", i+1, r.off, r.err)
		}
	}
	if t3.err != nil {
		t.Fatalf("T3 (independent) failed: %v", t3.err)
	}
	if v, ok := h.get(2, t3.off); !ok || v != 9 {
		t.Fatalf("key 2 at T3's offset %d = %d, %v; want 9", t3.off, v, ok)
	}
	if v, _ := h.get(1, h.store.Applied()); v == 101 || v == 102 {
		t.Fatalf("key 1 = %d: a rejected transaction's write is stored", v)
	}
	if n := lt.PendingVersions(); n != 0 {
		t.Errorf("%d pending versions left", n)
	}
	checkNothingPending(t, h.c)
	// The committer is usable again.
	w = NewWrites()
	h.put(w, 1, 5, true)
	if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
		t.Fatal(err)
	}
}
