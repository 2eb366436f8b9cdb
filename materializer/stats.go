package materializer

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Hist is a histogram of durations in power-of-two microsecond buckets,
// safe for concurrent use (atomic counters). Bucket i counts durations d
// with 2^(i-1) µs <= d < 2^i µs (bucket 0: < 1 µs).
type Hist struct {
	n [histBuckets]atomic.Int64
}

const histBuckets = 32

// Add counts one duration.
func (h *Hist) Add(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.n[min(bits.Len64(us), histBuckets-1)].Add(1)
}

// Reset empties the histogram (for measuring one interval; counts added
// meanwhile may be lost).
func (h *Hist) Reset() {
	for i := range h.n {
		h.n[i].Store(0)
	}
}

// Count returns how many durations were added.
func (h *Hist) Count() int64 {
	var n int64
	for i := range h.n {
		n += h.n[i].Load()
	}
	return n
}

// Quantile returns an upper bound of the q-quantile (0..1): the upper edge
// of the bucket holding it, so within a factor of two. 0 when empty.
func (h *Hist) Quantile(q float64) time.Duration {
	total := h.Count()
	if total == 0 {
		return 0
	}
	rank := int64(q*float64(total-1)+0.5) + 1
	var seen int64
	for i := range h.n {
		if seen += h.n[i].Load(); seen >= rank {
			return time.Duration(uint64(1)<<i) * time.Microsecond
		}
	}
	return time.Duration(uint64(1)<<(histBuckets-1)) * time.Microsecond
}
