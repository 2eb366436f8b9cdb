package index

import (
	"bytes"
	"fmt"
	"math"
)

// verify checks a run's invariants (package doc, Invariants 1 and 2): keys
// strictly ascending, chunks tiling the run, every key within its chunk's
// error window, and the top level finding every key's chunk. It is O(n log
// n); tests call it, and builds with the invariants tag run it after every
// build.
func (r *run) verify() error {
	var prev, scratch []byte
	for i := 0; i < r.size(); i++ {
		k := r.key(i, scratch[:0])
		if i > 0 && bytes.Compare(prev, k) >= 0 {
			return fmt.Errorf("index: run keys %d and %d out of order", i-1, i)
		}
		prev = append(prev[:0], k...)
		scratch = k[:0]
	}
	next := 0
	for ci, c := range r.chunks {
		if int(c.start) != next || c.end <= c.start {
			return fmt.Errorf("index: chunk %d covers [%d,%d), want start %d", ci, c.start, c.end, next)
		}
		next = int(c.end)
		for i := int(c.start); i < int(c.end); i++ {
			var pred float64
			if r.ks != nil {
				pred = c.slope*float64(r.fp[i]) + c.icpt
				if i > int(c.start) && r.fp[i-1] > r.fp[i] {
					return fmt.Errorf("index: fingerprints %d and %d out of order", i-1, i)
				}
			} else {
				pred = c.slope*float64(r.proj[i]-c.base) + c.icpt
			}
			if d := math.Abs(float64(i-int(c.start)) - pred); d > float64(c.err)+1e-6*float64(c.end-c.start)+1e-9 {
				return fmt.Errorf("index: key %d deviates %.2f from its prediction, bound %.2f", i, d, c.err)
			}
			k := r.key(i, nil)
			if pos, found, _ := r.lowerBound(k); pos != i || !found {
				return fmt.Errorf("index: lookup of key %d found position %d (%v)", i, pos, found)
			}
		}
	}
	if next != r.n {
		return fmt.Errorf("index: chunks cover %d of %d keys", next, r.n)
	}
	for i := r.n; i < r.size(); i++ {
		if pos, found, _ := r.lowerBound(r.key(i, nil)); pos != i || !found {
			return fmt.Errorf("index: lookup of tail key %d found position %d (%v)", i, pos, found)
		}
	}
	return nil
}
