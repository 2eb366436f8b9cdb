package oltp

import (
	"context"
	"fmt"
	"testing"

	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
)

// A large write set stays pending as a whole (its keys are not copied into
// the pending map): a transaction validated while it is pending still
// conflicts on any of its keys, may write other keys, and may not truncate
// the table.
func TestBigPendingWriteSetConflicts(t *testing.T) {
	h := newHarness(t)
	snap := h.store.Applied()
	big := NewWrites()
	for k := 0; k < 2*bigWrites; k++ {
		h.put(big, k, k, false)
	}
	c := h.c
	c.mu.Lock()
	defer c.mu.Unlock()
	req := func(w *Writes) *commitReq { return &commitReq{w: w, snap: uint64(snap), ctx: context.Background()} }
	if _, err := c.validate(req(big), 1000); err != nil {
		t.Fatal(err)
	}
	if len(c.bigs) != 1 || len(c.pending) != 0 {
		t.Fatalf("%d big pending sets and %d pending keys, want 1 and 0", len(c.bigs), len(c.pending))
	}
	dup := NewWrites()
	h.put(dup, bigWrites+7, 1, false)
	if _, err := c.validate(req(dup), 1001); pgerr.Code(err) != pgerr.UniqueViolation {
		t.Fatalf("insert of a key of the pending bulk write: got %v, want 23505", err)
	}
	upd := NewWrites()
	h.put(upd, 3, 1, true)
	if _, err := c.validate(req(upd), 1001); pgerr.Code(err) != pgerr.SerializationFailure {
		t.Fatalf("update of a key of the pending bulk write: got %v, want 40001", err)
	}
	trunc := NewWrites()
	trunc.Truncate(h.table.ID)
	if _, err := c.validate(req(trunc), 1001); pgerr.Code(err) != pgerr.SerializationFailure {
		t.Fatalf("truncate while a bulk write is pending: got %v, want 40001", err)
	}
	other := NewWrites()
	h.put(other, 5*bigWrites, 1, false)
	if _, err := c.validate(req(other), 1001); err != nil {
		t.Fatalf("insert of another key: %v", err)
	}
	// Once the bulk write's record is acknowledged its set is released (as
	// acks does); the key can then be validated against the row state.
	c.bigs = c.bigs[:0]
	if !c.tableBusy(h.table.ID) { // other's key is still pending
		t.Fatal("the single-key write is not pending")
	}
	if c.busy(pendKey{h.table.ID, string(h.key(3))}) {
		t.Fatal("a released bulk write's key is still busy")
	}
	k := pendKey{h.table.ID, string(h.key(5 * bigWrites))}
	delete(c.pending, k)
	c.pendTables[k.table]--
}

// A write set cut with Split commits as one log transaction per part, in one
// record, each part's writes in order and with its own meta marker; the row
// state is the same as for the unsplit write set.
func TestSplitWritesAreOneTxnPerPart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	pre := NewWrites()
	h.put(pre, 9, 90, false)
	snap, err := h.c.Commit(ctx, pre, h.store.Applied())
	if err != nil {
		t.Fatal(err)
	}
	w := NewWrites()
	w.Split()
	h.put(w, 1, 10, false)
	h.put(w, 2, 20, false)
	w.SetMeta("pos", []byte{1})
	w.Split()
	h.put(w, 1, 11, true) // in the write set: an update
	w.Delete(h.table.ID, h.key(2), false)
	w.Delete(h.table.ID, h.key(9), true)
	w.SetMeta("pos", []byte{2})
	w.Split()
	h.put(w, 2, 21, false) // deleted earlier in the write set: an insert
	w.SetMeta("pos", []byte{3})
	off, err := h.c.Commit(ctx, w, snap)
	if err != nil {
		t.Fatal(err)
	}
	it, err := h.log.Read(ctx, off)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	e, err := it.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]log.OpKind
	for _, txn := range e.Record.Txns {
		var kinds []log.OpKind
		for _, op := range txn.Ops {
			kinds = append(kinds, op.Kind)
		}
		got = append(got, kinds)
	}
	want := [][]log.OpKind{
		{log.OpInsert, log.OpInsert, log.OpMeta},
		{log.OpUpdate, log.OpDelete, log.OpDelete, log.OpMeta},
		{log.OpInsert, log.OpMeta},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("record %d holds transactions with op kinds %v, want %v", off, got, want)
	}
	for _, c := range []struct{ k, v int }{{1, 11}, {2, 21}} {
		if v, ok := h.get(c.k, off); !ok || v != c.v {
			t.Errorf("key %d: (%d, %v), want %d", c.k, v, ok, c.v)
		}
	}
	if _, ok := h.get(9, off); ok {
		t.Error("key 9 was deleted but is visible")
	}
	if n := h.store.Table(h.table.ID).Count(); n != 2 {
		t.Errorf("live rows %d, want 2", n)
	}
	if m := h.store.Meta("pos"); len(m) != 1 || m[0] != 3 {
		t.Errorf("meta pos = %v, want the last part's [3]", m)
	}
}
