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

// TestDenseIntHashModel checks intHash with an array for one key's
// planned range against a map: keys inside the range (array) and outside
// it (slots), in random order.
func TestDenseIntHashModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	h := newDenseIntHash(100, 1000, 500)
	model := map[int64]int32{}
	for i := 0; i < 20000; i++ {
		k := 900 + r.Int64N(800) // a quarter outside [1000, 1500)
		x := [2]int64{k, k}
		g, ok := h.get(x)
		if w, wok := model[k]; ok != wok || (ok && g != w) {
			t.Fatalf("get(%d) = %d, %v; want %d, %v", k, g, ok, w, wok)
		}
		if !ok {
			model[k] = int32(len(model))
			h.put(x, model[k])
		}
	}
	if len(h.keys) != len(model) {
		t.Fatalf("%d keys, want %d", len(h.keys), len(model))
	}
	for e, x := range h.keys {
		if model[x[0]] != h.gids[e] {
			t.Fatalf("entry %d: key %d group %d, want %d", e, x[0], h.gids[e], model[x[0]])
		}
	}
}
