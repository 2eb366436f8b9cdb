package pgcdc

import (
	"testing"
	"time"
)

// TestTimingRing: the ring keeps the newest timingKeep timings, oldest
// first, and since filters by source commit time.
func TestTimingRing(t *testing.T) {
	var r timingRing
	t0 := time.Unix(1_000_000, 0)
	n := timingKeep + 100
	for i := 0; i < n; i++ {
		r.add(TxnTiming{Committed: t0.Add(time.Duration(i) * time.Millisecond), Rows: i})
	}
	all := r.since(time.Time{})
	if len(all) != timingKeep {
		t.Fatalf("kept %d timings, want %d", len(all), timingKeep)
	}
	if all[0].Rows != 100 || all[len(all)-1].Rows != n-1 {
		t.Fatalf("kept rows %d..%d, want 100..%d", all[0].Rows, all[len(all)-1].Rows, n-1)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Rows != all[i-1].Rows+1 {
			t.Fatalf("out of order at %d: %d after %d", i, all[i].Rows, all[i-1].Rows)
		}
	}
	late := r.since(t0.Add(time.Duration(n-10) * time.Millisecond))
	if len(late) != 10 || late[0].Rows != n-10 {
		t.Fatalf("since: %d timings %v, want 10 from rows %d", len(late), late, n-10)
	}
}
