package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
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
						// Even ids < p were in before the scan started and stay
						// in: the scan must return each once, in order. Ids >= p
						// may be appended while it runs; it may return any of
						// them, in order, and skip others — even ones appended
						// before a returned one. It pairs the base it loaded at
						// its start with the live insert buffer: when the writer
						// appends in place beyond that base and then an append,
						// or an upsert of a key appended since, goes to the
						// buffer (here: a handle too wide for a narrow run), the
						// scan sees the buffered key and not the ones before it
						// (TestScanAppendFallbackInterleaving). Index.Scan allows
						// it: a reader at a snapshot sees no row inserted after
						// its scan started.
						desc := r.IntN(2) == 0
						stable := func(lo, hi uint64) (uint64, bool) { // an even id < p in (lo, hi)
							e := (lo + 2) &^ 1
							return e, e < hi && e < uint64(p)
						}
						var prev uint64
						first := true
						c := 0
						ix.Scan(u64key(id), desc, func(k []byte, h uint64) bool {
							kid := binary.BigEndian.Uint64(k[1:])
							if h>>20 != kid {
								failed.Store("scan handle belongs to another key")
							}
							switch {
							case first && kid != id:
								failed.Store(fmt.Sprintf("scan from stable %d started at %d", id, kid))
							case first:
							case (!desc && kid <= prev) || (desc && kid >= prev):
								failed.Store(fmt.Sprintf("scan repeated a key or went out of order: %d after %d (desc %v, from %d)", kid, prev, desc, id))
							default:
								if e, ok := stable(min(prev, kid), max(prev, kid)); ok {
									failed.Store(fmt.Sprintf("scan skipped stable key %d: %d after %d (desc %v, from %d, published %d)", e, kid, prev, desc, id, p))
								}
							}
							prev, first = kid, false
							c++
							return c < 50
						})
						if first {
							failed.Store(fmt.Sprintf("scan from stable %d returned nothing", id))
						}
						if c < 50 { // the scan ran out of keys: none stable may lie beyond
							if _, ok := stable(prev, 1<<63); !desc && ok {
								failed.Store(fmt.Sprintf("ascending scan from %d ended at %d, published %d", id, prev, p))
							}
							if desc && prev != 0 {
								failed.Store(fmt.Sprintf("descending scan from %d ended at %d", id, prev))
							}
						}
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

// TestScanAppendFallbackInterleaving replays, in one goroutine, the
// interleaving behind a seed that once failed TestConcurrentAppends
// (learned-keyed-tiny, 1795903291650649055: "1424 after 1420"). A scan pairs
// the base run it loaded at its start (size bn; entries appended in place
// later are not visited) with the live insert buffer, which it reads in
// batches. While it runs, the writer appends keys in place to the base, then
// an append and an upsert of one of those keys fall back to the buffer
// (their handles are the first above 2^32 and do not fit the narrow run).
// The buffer batch the scan fetches next holds both, so the scan returns
// them without the keys appended in place around them. That is legal (see
// Index.Scan): none of those keys was in the index when the scan started.
// What the test requires is the contract: every key present for the whole
// scan is returned exactly once, in order.
func TestScanAppendFallbackInterleaving(t *testing.T) {
	const n = 1000
	// Handles base..base+n+4 fit 32 bits; the 6th append gets base+n+5.
	// (The keyed wrapper takes a fresh handle for every Put.)
	ix := newKeyedLearned(LearnedOptions{Epsilon: 2, MaxChunk: 40, MinBuffer: 16, BufferDivisor: 3}, math.MaxUint32-(n+4))
	keys := make([][]byte, n)
	hs := make([]uint64, n)
	for i := range keys {
		keys[i], hs[i] = u64key(uint64(i)), uint64(i)
	}
	ix.Load(keys, hs)
	// Tombstones of odd keys fill more than one buffer batch, so the scan's
	// buffer cursor refills after the appends below.
	deleted := map[uint64]bool{}
	for id := uint64(1); id < 2*scanBatch+11; id += 2 {
		ix.Delete(u64key(id))
		deleted[id] = true
	}
	if !ix.st.Load().base.narrow || ix.merging.Load() {
		t.Fatal("setup: want a narrow base and no merge")
	}
	var got []uint64
	ix.Scan(nil, false, func(k []byte, h uint64) bool {
		id := binary.BigEndian.Uint64(k[1:])
		if h != id {
			t.Fatalf("key %d has handle %d", id, h)
		}
		got = append(got, id)
		if len(got) == 1 { // the writer runs while the scan is under way
			for id := uint64(n); id < n+6; id++ {
				ix.Put(u64key(id), id) // n..n+4 in place, n+5 to the buffer
			}
			ix.Put(u64key(n+2), n+2) // upsert, to the buffer as well
		}
		return true
	})
	i := 0
	for id := uint64(0); id < n; id++ { // present for the whole scan
		if deleted[id] {
			continue
		}
		if i >= len(got) || got[i] != id {
			t.Fatalf("scan lost or reordered stable key %d: got %v", id, got)
		}
		i++
	}
	for ; i < len(got); i++ { // appended during the scan: any ascending subset
		if got[i] < n || got[i] >= n+6 || got[i] <= got[i-1] {
			t.Fatalf("scan returned %d after %d: got %v", got[i], got[i-1], got[len(got)-8:])
		}
	}
	// Check that the interleaving happened: the buffered keys n+2 and n+5
	// without the keys n, n+1, n+3, n+4 appended in place (gaps of 3, which
	// the old check of TestConcurrentAppends rejected). If Scan ever returns
	// a prefix of the appends instead, this is no longer reached: change the
	// setup rather than drop the contract checks above.
	if tail := got[len(got)-2:]; tail[0] != n+2 || tail[1] != n+5 || len(got) != n-len(deleted)+2 {
		t.Fatalf("did not reach the interleaving: scan ended with %v", got[len(got)-3:])
	}
	if _, ok := ix.Get(u64key(n + 1)); !ok {
		t.Fatal("appended key lost")
	}
}
