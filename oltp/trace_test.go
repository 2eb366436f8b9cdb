package oltp

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestCommitTrace: a traced committer times every commit's stages, the
// stages of each commit add up to the whole, and untraced commits are not
// counted.
func TestCommitTrace(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := &CommitTrace{}
	h.c.SetTrace(tr)
	const workers, per = 8, 25
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range per {
				w := NewWrites()
				h.put(w, g*per+i, i, false)
				if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	h.c.SetTrace(nil)
	w := NewWrites()
	h.put(w, -1, 0, false)
	if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
		t.Fatal(err)
	}
	if n := tr.Len(); n != workers*per {
		t.Fatalf("traced %d commits, want %d", n, workers*per)
	}
	tr.mu.Lock()
	for i, total := range tr.total {
		var sum time.Duration
		for s := range NumStages {
			d := tr.stages[s][i]
			if d < 0 {
				t.Errorf("commit %d: stage %s took %v", i, StageNames[s], d)
			}
			sum += d
		}
		if sum != total || total <= 0 {
			t.Errorf("commit %d: stages add up to %v, whole commit %v", i, sum, total)
		}
	}
	tr.mu.Unlock()
	if d := tr.Percentile(StageDurable, 0.5); d <= 0 {
		t.Errorf("median log round trip %v, want > 0", d)
	}
	if all, durable := tr.Percentile(NumStages, 1), tr.Percentile(StageDurable, 1); all < durable {
		t.Errorf("slowest commit %v faster than the slowest log round trip %v", all, durable)
	}
}
