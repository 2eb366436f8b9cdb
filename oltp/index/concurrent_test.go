package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentReaders runs one writer (inserts, upserts, deletes, merges)
// against readers that check what must hold at every instant: stable keys
// (never deleted) are always found with their handle, every handle belongs
// to its key, scans are strictly ordered and skip no stable key. Run it with
// -race.
func TestConcurrentReaders(t *testing.T) {
	seed := testSeed(t)
	ops := 12000
	if soak() {
		ops = 1000000
	}
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			ix := impl.new()
			key := func(id uint64) []byte { return u64key(id * 1000003) }
			idOf := func(k []byte) uint64 { return binary.BigEndian.Uint64(k[1:]) / 1000003 }
			const stable = 2000 // even ids 0..2*stable are stable
			for id := uint64(0); id < 2*stable; id += 2 {
				ix.Put(key(id), id<<20)
			}
			flush(ix)
			var done atomic.Bool
			var wg sync.WaitGroup
			errs := make(chan string, 8)
			report := func(s string) {
				select {
				case errs <- s:
				default:
				}
			}
			for rd := 0; rd < 3; rd++ {
				wg.Add(1)
				go func(rd int) {
					defer wg.Done()
					r := rand.New(rand.NewPCG(seed, uint64(rd)))
					for !done.Load() {
						id := uint64(r.IntN(2 * stable))
						h, ok := ix.Get(key(id))
						if id%2 == 0 && (!ok || h != id<<20) {
							report("stable key lost or wrong handle in Get")
						}
						if ok && h>>20 != id {
							report("Get handle belongs to another key")
						}
						desc := r.IntN(2) == 0
						var prev []byte
						var prevID uint64
						n := 0
						ix.Scan(key(id), desc, func(k []byte, h uint64) bool {
							kid := idOf(k)
							if h>>20 != kid {
								report("Scan handle belongs to another key")
							}
							if prev != nil {
								c := bytes.Compare(prev, k)
								if (!desc && c >= 0) || (desc && c <= 0) {
									report("Scan out of order")
								}
								// No stable id strictly between prevID and kid may be skipped.
								lo, hi := min(prevID, kid), max(prevID, kid)
								if next := (lo + 2) &^ 1; next < hi {
									report("Scan skipped a stable key")
								}
							}
							prev = append(prev[:0], k...)
							prevID = kid
							n++
							return n < 100
						})
					}
				}(rd)
			}
			r := rand.New(rand.NewPCG(seed, 99))
			ver := uint64(1)
			for i := 0; i < ops; i++ {
				id := uint64(r.IntN(2 * stable))
				switch {
				case id%2 == 0:
					ix.Put(key(id), id<<20) // upsert of a stable key, same handle
				case r.IntN(3) == 0:
					ix.Delete(key(id))
				default:
					ver = ver%(1<<20-1) + 1
					ix.Put(key(id), id<<20|ver)
				}
				if i%5000 == 4999 {
					flush(ix)
				}
			}
			done.Store(true)
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Errorf("seed %d: %s", seed, e)
			}
			if l, ok := asLearned(ix); ok {
				l.WaitMerges()
				if l.Stats().Merges == 0 {
					t.Error("the writer never merged: the test did not exercise merges")
				}
			}
		})
	}
}

// TestConcurrentAppends drives the in-place append path (ascending keys,
// tail models, regrown arrays) with upserts and deletes behind it, while
// readers check every published stable key and scan order.
func TestConcurrentAppends(t *testing.T) {
	seed := testSeed(t)
	n := 15000
	if soak() {
		n = 2000000
	}
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			ix := impl.new()
			var published atomic.Int64 // ids < published are in (even ones for good)
			var done atomic.Bool
			var wg sync.WaitGroup
			var failed atomic.Value
			for rd := 0; rd < 2; rd++ {
				wg.Add(1)
				go func(rd int) {
					defer wg.Done()
					r := rand.New(rand.NewPCG(seed, uint64(rd)))
					for !done.Load() {
						p := published.Load()
						if p < 2 {
							continue
						}
						id := uint64(r.Int64N(p)) &^ 1
						if h, ok := ix.Get(u64key(id)); !ok || h != id<<20 {
							failed.Store("stable appended key missing or wrong")
						}
						var prev uint64
						first := true
						c := 0
						ix.Scan(u64key(id), r.IntN(2) == 0, func(k []byte, h uint64) bool {
							kid := binary.BigEndian.Uint64(k[1:])
							if h>>20 != kid {
								failed.Store("scan handle belongs to another key")
							}
							if !first && (max(prev, kid)-min(prev, kid) > 2 || prev == kid) {
								failed.Store(fmt.Sprintf("scan skipped a stable key or repeated a key: %d after %d (scan from %d, published %d)", kid, prev, id, p))
							}
							prev, first = kid, false
							c++
							return c < 50
						})
					}
				}(rd)
			}
			r := rand.New(rand.NewPCG(seed, 7))
			for id := 0; id < n; id++ {
				ix.Put(u64key(uint64(id)), uint64(id)<<20)
				if id%2 == 1 {
					published.Store(int64(id + 1))
				}
				if old := r.IntN(id + 1); old%2 == 1 {
					if r.IntN(2) == 0 {
						ix.Delete(u64key(uint64(old)))
					} else {
						ix.Put(u64key(uint64(old)), uint64(old)<<20|1)
					}
				} else {
					ix.Put(u64key(uint64(old)), uint64(old)<<20) // same-handle upsert
				}
				if id%7919 == 0 {
					flush(ix)
				}
			}
			done.Store(true)
			wg.Wait()
			if f := failed.Load(); f != nil {
				t.Fatalf("seed %d: %v", seed, f)
			}
			if l, ok := asLearned(ix); ok {
				l.Flush()
				if err := l.st.Load().base.verify(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
