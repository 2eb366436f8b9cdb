package vexec

import (
	"math/rand/v2"
	"testing"
)

// TestIntHashModel checks intHash against a map: keys first in increasing
// order (sorted mode, no slots), then in random order (the slots built on
// the first key out of order), with lookups of present and absent keys
// throughout.
func TestIntHashModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, seed))
		h := newIntHash(16)
		model := map[[2]int64]int32{}
		add := func(x [2]int64) {
			g, ok := h.get(x)
			if w, wok := model[x]; ok != wok || (ok && g != w) {
				t.Fatalf("seed %d: get(%v) = %d, %v; want %d, %v", seed, x, g, ok, w, wok)
			}
			if !ok {
				model[x] = int32(len(model))
				h.put(x, model[x])
			}
		}
		for i := int64(0); i < 5000; i++ {
			add([2]int64{i / 3, i % 3})
			if !h.sorted {
				t.Fatalf("seed %d: left sorted mode on increasing keys at %d", seed, i)
			}
		}
		for i := 0; i < 20000; i++ {
			add([2]int64{r.Int64N(3000), r.Int64N(4)})
		}
		if h.sorted {
			t.Fatalf("seed %d: still in sorted mode after keys out of order", seed)
		}
		if len(h.keys) != len(model) {
			t.Fatalf("seed %d: %d keys, want %d", seed, len(h.keys), len(model))
		}
		for x, w := range model {
			if g, ok := h.get(x); !ok || g != w {
				t.Fatalf("seed %d: get(%v) = %d, %v; want %d", seed, x, g, ok, w)
			}
		}
	}
}
