package oltp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// TestLockTableExclusion: transactions on several goroutines lock random
// overlapping rows, bump a per-row counter that only a holder may touch,
// and end (ReleaseAll); released locks and ended transactions' key slices
// are reused by the next ones. No two holders of a row ever overlap (the
// counters are plain ints: -race reports any overlap), no bump is lost,
// and the table is empty at the end.
func TestLockTableExclusion(t *testing.T) {
	lt := NewLockTable()
	ctx := context.Background()
	const rows, workers, txns = 8, 6, 300
	var counters [rows]int
	var holders [rows]int
	keys := make([][]byte, rows)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("k%d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < txns; i++ {
				var tl TxnLocks
				// Two rows in ascending order (no deadlocks), sometimes the
				// same one twice (a re-lock by the owner returns at once).
				a, b := (w+i)%rows, (w*7+i*3)%rows
				if a > b {
					a, b = b, a
				}
				for _, r := range []int{a, b} {
					if _, err := lt.Lock(ctx, &tl, 1, keys[r], 0); err != nil {
						errs <- err
						return
					}
				}
				rs := []int{a, b}
				if a == b {
					rs = rs[:1]
				}
				for _, r := range rs {
					holders[r]++
					if holders[r] != 1 {
						errs <- fmt.Errorf("row %d has %d holders", r, holders[r])
						return
					}
					counters[r]++
					holders[r]--
				}
				lt.ReleaseAll(&tl)
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for _, c := range counters {
		total += c
	}
	want := 0
	for w := 0; w < workers; w++ {
		for i := 0; i < txns; i++ {
			if (w+i)%rows == (w*7+i*3)%rows {
				want++
			} else {
				want += 2
			}
		}
	}
	if total != want {
		t.Fatalf("%d bumps, want %d", total, want)
	}
	if n := lt.Held(); n != 0 {
		t.Fatalf("%d locks still held", n)
	}
	if st := lt.Stats(); st.Locks.Load() != int64(2*workers*txns) {
		t.Fatalf("%d locks counted, want %d", st.Locks.Load(), 2*workers*txns)
	}
}

// TestLockTableDeadlockAndTimeout: a waiter that would close a cycle fails
// with 40P01, one that waits past lock_timeout with 55P03, and a waiter
// gets the lock once the holder ends (waited = true).
func TestLockTableDeadlockAndTimeout(t *testing.T) {
	lt := NewLockTable()
	ctx := context.Background()
	var t1, t2 TxnLocks
	ka, kb := []byte("a"), []byte("b")
	if _, err := lt.Lock(ctx, &t1, 1, ka, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := lt.Lock(ctx, &t2, 1, kb, 0); err != nil {
		t.Fatal(err)
	}
	_, err := lt.Lock(ctx, &t2, 1, ka, 20*time.Millisecond)
	var pe *pgerr.Error
	if !errors.As(err, &pe) || pe.Code != "55P03" {
		t.Fatalf("lock timeout: %v, want 55P03", err)
	}
	got := make(chan error, 1)
	go func() {
		waited, err := lt.Lock(ctx, &t2, 1, ka, 0) // waits for t1
		if err == nil && !waited {
			err = errors.New("got the lock without waiting")
		}
		got <- err
	}()
	for lt.Stats().Locks.Load() < 4 {
		time.Sleep(time.Millisecond)
	}
	// t2 may not have registered its wait yet: retry until the cycle shows.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = lt.Lock(ctx, &t1, 1, kb, 10*time.Millisecond)
		if errors.As(err, &pe) && pe.Code == "40P01" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("t1 locking t2's row while t2 waits for t1: %v, want 40P01", err)
		}
	}
	lt.ReleaseAll(&t1)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	lt.ReleaseAll(&t2)
	if n := lt.Held(); n != 0 {
		t.Fatalf("%d locks still held", n)
	}
}
