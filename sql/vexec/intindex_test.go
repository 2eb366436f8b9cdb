package vexec

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestIntIndexModel checks the join build's integer index against a map
// of chains for each of its layouts (a dense array, a bitmap in front of
// a map, a map alone): every key's rows in build order, NULL rows in no
// chain, and misses below, inside and above the key span.
func TestIntIndexModel(t *testing.T) {
	cases := []struct {
		name string
		key  func(r *rand.Rand) int64
		want string
	}{
		{"dense", func(r *rand.Rand) int64 { return 1000 + r.Int64N(3000) }, "dense"},
		{"bitmap", func(r *rand.Rand) int64 { return -5 + 97*r.Int64N(3000) }, "bitmap"},
		{"map", func(r *rand.Rand) int64 {
			if r.IntN(4) == 0 {
				return []int64{math.MinInt64, math.MaxInt64}[r.IntN(2)]
			}
			return r.Int64()
		}, "map"},
	}
	// One statement memory for every case, released between them: the
	// arrays come back dirty and must be handed out cleared.
	m := &stmtMem{src: &arraySet{}}
	for _, tc := range cases {
		for _, seed := range []uint64{1, 2} {
			m.release()
			r := rand.New(rand.NewPCG(seed, seed))
			n := 5000
			keys, ok := make([]int64, n), make([]bool, n)
			model := map[int64][]int32{}
			for j := range keys {
				keys[j], ok[j] = tc.key(r), r.IntN(10) != 0
				if ok[j] {
					model[keys[j]] = append(model[keys[j]], int32(j))
				}
			}
			next := make([]int32, n)
			ix := newIntIndex(m, keys, ok, next)
			layout := "map"
			switch {
			case ix.dense != nil:
				layout = "dense"
			case ix.bits != nil:
				layout = "bitmap"
			}
			if layout != tc.want {
				t.Fatalf("%s seed %d: layout %s", tc.name, seed, layout)
			}
			chain := func(k int64) []int32 {
				var out []int32
				for r := ix.get(k); r >= 0; r = next[r] {
					out = append(out, r)
				}
				return out
			}
			for k, rows := range model {
				if got := chain(k); !slices.Equal(got, rows) {
					t.Fatalf("%s seed %d: key %d: rows %v, want %v", tc.name, seed, k, got, rows)
				}
			}
			for _, k := range []int64{math.MinInt64, ix.lo - 1, ix.lo + 1, ix.hi - 1, ix.hi + 1, math.MaxInt64, 0, 7} {
				if _, in := model[k]; !in && ix.get(k) != -1 {
					t.Fatalf("%s seed %d: absent key %d found", tc.name, seed, k)
				}
			}
		}
	}
	if ix := newIntIndex(nil, []int64{3}, []bool{false}, make([]int32, 1)); ix.get(3) != -1 {
		t.Fatal("a NULL key was indexed")
	}
}
