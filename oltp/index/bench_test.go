package index

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// Go benchmarks, side by side: BenchmarkGet/index=learned/keys=1M next to
// index=btree. The full comparison with the other peers is `omendb bench
// index`.

func benchKeys(n int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	vs := make([]uint64, n)
	for i := range vs {
		vs[i] = r.Uint64()
	}
	slices.Sort(vs)
	vs = slices.Compact(vs)
	ks := make([][]byte, len(vs))
	for i, v := range vs {
		ks[i] = u64key(v)
	}
	return ks
}

func loaded(kind string, ks [][]byte) Index {
	hs := make([]uint64, len(ks))
	for i := range hs {
		hs[i] = uint64(i)
	}
	switch kind {
	case "learned-keyed": // key-source mode, keys read from ks by handle
		l := newKeyedLearned(LearnedOptions{}, 0)
		l.Load(ks, hs)
		return l
	case "learned":
		l := NewLearned()
		l.Load(ks, hs)
		return l
	default:
		b := NewBTree()
		b.Load(ks, hs)
		return b
	}
}

var benchSizes = []int{100_000, 1_000_000}

// benchKinds are Kinds plus the learned index's key-source mode.
var benchKinds = []string{"learned", "learned-keyed", "btree"}

func BenchmarkGet(b *testing.B) {
	for _, n := range benchSizes {
		ks := benchKeys(n)
		for _, kind := range benchKinds {
			b.Run(fmt.Sprintf("index=%s/keys=%d", kind, n), func(b *testing.B) {
				ix := loaded(kind, ks)
				r := rand.New(rand.NewPCG(3, 4))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, ok := ix.Get(ks[r.IntN(len(ks))]); !ok {
						b.Fatal("missing key")
					}
				}
			})
		}
	}
}

func BenchmarkMergeBuild(b *testing.B) {
	for _, n := range benchSizes {
		ks := benchKeys(n)
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			l := loaded("learned", ks).(*Learned)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st := l.st.Load()
				mergeRun(st.base, newDelta(), defaultEpsilon, defaultMaxChunk)
			}
		})
	}
}

func BenchmarkPut(b *testing.B) {
	for _, n := range benchSizes {
		ks := benchKeys(n)
		for _, kind := range benchKinds {
			b.Run(fmt.Sprintf("index=%s/keys=%d", kind, n), func(b *testing.B) {
				ix := loaded(kind, ks)
				r := rand.New(rand.NewPCG(5, 6))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ix.Put(u64key(r.Uint64()), uint64(i))
				}
				flush(ix)
			})
		}
	}
}

func BenchmarkBuildModels(b *testing.B) {
	ks := benchKeys(1_000_000)
	l := loaded("learned", ks).(*Learned)
	base := l.st.Load().base
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &run{n: base.n, fixed: true, keyLen: base.keyLen, prefix: base.prefix, proj: base.proj, handles: base.handles}
		r.buildModels(defaultEpsilon, defaultMaxChunk)
	}
}
