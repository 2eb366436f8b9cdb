package vexec

import "testing"

// TestScratchPool checks the per-batch buffers: within a batch every get
// is a distinct, zeroed slice of the asked length; after reset the same
// buffers come back zeroed (whatever the last batch wrote), a longer
// request gets a buffer of its own, and a worker without a scratch
// allocates.
func TestScratchPool(t *testing.T) {
	w := &worker{sc: &scratch{}}
	a, b := w.int64s(100), w.int64s(100)
	if len(a) != 100 || len(b) != 100 || &a[0] == &b[0] {
		t.Fatalf("two gets in one batch share a buffer or have the wrong length: %d %d", len(a), len(b))
	}
	for j := range a {
		a[j], b[j] = int64(j)+1, -1
	}
	w.sc.reset()
	c, d := w.int64s(50), w.int64s(scratchMin*2)
	if &c[0] != &a[0] {
		t.Errorf("after reset the first buffer is not reused")
	}
	for j, x := range c {
		if x != 0 {
			t.Fatalf("reused buffer not zeroed at %d: %d", j, x)
		}
	}
	if len(d) != scratchMin*2 || &d[0] == &b[0] {
		t.Errorf("a longer request must get a buffer of its own")
	}
	for _, x := range d {
		if x != 0 {
			t.Fatalf("new buffer not zeroed")
		}
	}
	var none *worker
	if e := none.bools(3); len(e) != 3 {
		t.Errorf("nil worker: got %d bools", len(e))
	}
	x := (&worker{}).strings(4)
	y := (&worker{}).strings(4)
	if &x[0] == &y[0] {
		t.Errorf("a worker without a scratch must allocate")
	}
}
