package index

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// keyTable is the tests' row payload for key-source indexes: handle → key,
// grown by whole blocks published through an atomic pointer like the row
// store's handles, so readers and merges fetch keys without locks. Each Put
// of the wrapper gets a fresh handle, so ks(handle) == key holds for ever,
// as the KeySource contract demands.
type keyTable struct {
	blocks atomic.Pointer[[]*[1024]atomic.Pointer[keySlot]]
	n      uint64
	base   uint64 // first handle: > 2^32 − n exercises wide runs
}

type keySlot struct {
	key []byte
	h   uint64 // the caller's handle
}

func (t *keyTable) add(key []byte, h uint64) uint64 {
	id := t.n
	t.n++
	bs := t.blocks.Load()
	var cur []*[1024]atomic.Pointer[keySlot]
	if bs != nil {
		cur = *bs
	}
	if id/1024 >= uint64(len(cur)) {
		grown := append(append([]*[1024]atomic.Pointer[keySlot](nil), cur...), new([1024]atomic.Pointer[keySlot]))
		t.blocks.Store(&grown)
		cur = grown
	}
	cur[id/1024][id%1024].Store(&keySlot{key: append([]byte(nil), key...), h: h})
	return t.base + id
}

func (t *keyTable) get(handle uint64) *keySlot {
	id := handle - t.base
	bs := *t.blocks.Load()
	return bs[id/1024][id%1024].Load()
}

// keyedLearned is a key-source Learned index over a keyTable; it maps the
// caller's handles to table handles and back, so it satisfies Index for the
// model and concurrency tests.
type keyedLearned struct {
	*Learned
	tab *keyTable
}

func newKeyedLearned(o LearnedOptions, base uint64) *keyedLearned {
	tab := &keyTable{base: base}
	o.KeySource = func(h uint64) []byte { return tab.get(h).key }
	return &keyedLearned{Learned: NewLearnedOptions(o), tab: tab}
}

func (k *keyedLearned) Get(key []byte) (uint64, bool) {
	id, ok := k.Learned.Get(key)
	if !ok {
		return 0, false
	}
	s := k.tab.get(id)
	if !bytes.Equal(s.key, key) {
		panic("keyed test: index returned the handle of another key")
	}
	return s.h, true
}

func (k *keyedLearned) Put(key []byte, h uint64) { k.Learned.Put(key, k.tab.add(key, h)) }

func (k *keyedLearned) Append(key []byte, h uint64) { k.Learned.Append(key, k.tab.add(key, h)) }

func (k *keyedLearned) Scan(from []byte, desc bool, fn func(key []byte, handle uint64) bool) {
	k.Learned.Scan(from, desc, func(key []byte, id uint64) bool { return fn(key, k.tab.get(id).h) })
}

func (k *keyedLearned) Load(keys [][]byte, handles []uint64) {
	ids := make([]uint64, len(handles))
	for i, h := range handles {
		ids[i] = k.tab.add(keys[i], h)
	}
	k.Learned.Load(keys, ids)
}

// asLearned returns the Learned index behind ix, if any.
func asLearned(ix Index) (*Learned, bool) {
	switch l := ix.(type) {
	case *Learned:
		return l, true
	case *keyedLearned:
		return l.Learned, true
	}
	return nil, false
}

func init() {
	impls = append(impls,
		struct {
			name string
			new  func() Index
		}{"learned-keyed", func() Index { return newKeyedLearned(LearnedOptions{}, 0) }},
		// Tiny, and handles that cross 2^32 after a few thousand Puts:
		// narrow runs meet handles that do not fit and become wide.
		struct {
			name string
			new  func() Index
		}{"learned-keyed-tiny", func() Index {
			return newKeyedLearned(LearnedOptions{Epsilon: 2, MaxChunk: 40, MinBuffer: 16, BufferDivisor: 3}, math.MaxUint32-2500)
		}},
	)
}

// TestKeyedMemory checks the key-source mode's accounting: 4 bytes of
// fingerprint and 4 of handle per key plus models, and no key fetch for
// exact chunks.
func TestKeyedMemory(t *testing.T) {
	const n = 200000
	r := rand.New(rand.NewPCG(1, 2))
	for _, dist := range []string{"sequential", "uniform", "lognormal"} {
		t.Run(dist, func(t *testing.T) {
			m := map[string]bool{}
			for i := 0; len(m) < n; i++ {
				m[string(keyGens[dist](r, i))] = true
			}
			keys := make([][]byte, 0, n)
			for k := range m {
				keys = append(keys, []byte(k))
			}
			sortKeys(keys)
			var fetches atomic.Int64
			o := LearnedOptions{KeySource: func(h uint64) []byte { fetches.Add(1); return keys[h] }}
			l := NewLearnedOptions(o)
			hs := make([]uint64, n)
			for i := range hs {
				hs[i] = uint64(i)
			}
			l.Load(keys, hs)
			st := l.Stats()
			if perKey := float64(st.Bytes) / n; perKey > 8.4 {
				t.Fatalf("key-source index uses %.2f bytes/key, want <= 8.4 (%+v)", perKey, st)
			}
			if err := l.st.Load().base.verify(); err != nil {
				t.Fatal(err)
			}
			fetches.Store(0)
			for i, k := range keys {
				if h, ok := l.Get(k); !ok || h != uint64(i) {
					t.Fatalf("Get(%x) = %d,%v want %d", k, h, ok, i)
				}
			}
			f := float64(fetches.Load()) / n
			t.Logf("%s: %.2f bytes/key, %d segments, %.2f key fetches per Get", dist, float64(st.Bytes)/n, st.Segments, f)
			if dist == "sequential" && f != 0 {
				t.Fatalf("sequential keys (exact fingerprints) fetched %.2f keys per Get, want 0", f)
			}
			if f > 1.1 {
				t.Fatalf("%.2f key fetches per Get, want about 1", f)
			}
		})
	}
}

func sortKeys(ks [][]byte) {
	slicesSortFunc(ks)
}

func slicesSortFunc(ks [][]byte) { slices.SortFunc(ks, bytes.Compare) }

// TestNewWithKeySource checks what the row store's primary indexes get: a
// key-source learned index by default, a plain B-tree on request.
func TestNewWithKeySource(t *testing.T) {
	keys := [][]byte{[]byte("a"), []byte("b")}
	ks := func(h uint64) []byte { return keys[h] }
	for _, kind := range []string{"", "learned", "btree"} {
		ix, err := NewWithKeySource(kind, ks)
		if err != nil {
			t.Fatal(err)
		}
		l, learned := ix.(*Learned)
		if learned != (kind != "btree") {
			t.Fatalf("NewWithKeySource(%q) = %T", kind, ix)
		}
		if learned && l.st.Load().base.ks == nil {
			t.Fatalf("NewWithKeySource(%q) is not in key-source mode", kind)
		}
		ix.Put(keys[1], 1)
		ix.Put(keys[0], 0)
		if h, ok := ix.Get([]byte("b")); !ok || h != 1 {
			t.Fatalf("%q: Get(b) = %d,%v", kind, h, ok)
		}
	}
	if _, err := NewWithKeySource("hash", ks); err == nil {
		t.Error("NewWithKeySource(hash) succeeded")
	}
}
