package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"
)

func testSeed(t testing.TB) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("INDEX_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (rerun with INDEX_SEED=%d)", seed, seed)
	return seed
}

// soak reports whether long tests were asked for (INDEX_SOAK=1).
func soak() bool { return os.Getenv("INDEX_SOAK") != "" }

// impls are the index configurations every model test runs against. The
// "learned-tiny" configuration forces many merges, chunk splits and windows
// at every size the tests reach.
var impls = []struct {
	name string
	new  func() Index
}{
	{"learned", func() Index { return NewLearned() }},
	{"learned-tiny", func() Index {
		return NewLearnedOptions(LearnedOptions{Epsilon: 2, MaxChunk: 40, MinBuffer: 16, BufferDivisor: 3})
	}},
	{"btree", func() Index { return NewBTree() }},
}

// keyGen produces keys of one distribution; i is a sequence number.
type keyGen func(r *rand.Rand, i int) []byte

func u64key(v uint64) []byte {
	// The shape of a keycode int8 key: tag byte, 8 bytes big endian.
	var b [9]byte
	b[0] = 0x10
	binary.BigEndian.PutUint64(b[1:], v)
	return b[:]
}

// cantor spreads the bits of x over even bit positions: the key set is a
// devil's staircase whose CDF has steps at every scale, so no linear piece
// fits it well (an adversarial set for linear models).
func cantor(x uint32) uint64 {
	var v uint64
	for i := 0; i < 32; i++ {
		v |= uint64(x>>i&1) << (2 * i)
	}
	return v
}

var keyGens = map[string]keyGen{
	"sequential": func(r *rand.Rand, i int) []byte { return u64key(uint64(i)) },
	"reverse":    func(r *rand.Rand, i int) []byte { return u64key(uint64(1<<40 - i)) },
	"clustered": func(r *rand.Rand, i int) []byte {
		return u64key(uint64(r.IntN(8))<<50 | uint64(r.IntN(5000)))
	},
	"duplicates": func(r *rand.Rand, i int) []byte { return u64key(uint64(r.IntN(50))) },
	"uniform":    func(r *rand.Rand, i int) []byte { return u64key(r.Uint64()) },
	"lognormal": func(r *rand.Rand, i int) []byte {
		return u64key(uint64(math.Exp(r.NormFloat64()*2) * 1e9))
	},
	"adversarial": func(r *rand.Rand, i int) []byte { return u64key(cantor(r.Uint32())) },
	// Variable-length keys exercise the general (arena) mode.
	"composite": func(r *rand.Rand, i int) []byte {
		var b []byte
		b = append(b, 0x10)
		b = binary.BigEndian.AppendUint64(b, uint64(r.IntN(3)))
		b = append(b, 0x10)
		b = binary.BigEndian.AppendUint64(b, uint64(r.IntN(10)))
		b = append(b, 0x10)
		return binary.BigEndian.AppendUint64(b, uint64(r.IntN(400)))
	},
	"strings": func(r *rand.Rand, i int) []byte {
		// Long shared prefixes, projection ties across chunk boundaries,
		// embedded zero bytes and keys that are prefixes of others.
		b := []byte{byte(r.IntN(3))}
		b = append(b, bytes.Repeat([]byte{'x'}, r.IntN(3)*6)...)
		n := r.IntN(12)
		for j := 0; j < n; j++ {
			b = append(b, "\x00ab\xff"[r.IntN(4)])
		}
		return b
	},
}

// model is the reference: a sorted slice of keys and a map of handles.
type model struct {
	keys []string
	m    map[string]uint64
}

func (m *model) put(k string, h uint64) {
	if _, ok := m.m[k]; !ok {
		i := sort.SearchStrings(m.keys, k)
		m.keys = slices.Insert(m.keys, i, k)
	}
	m.m[k] = h
}

func (m *model) del(k string) bool {
	if _, ok := m.m[k]; !ok {
		return false
	}
	delete(m.m, k)
	i := sort.SearchStrings(m.keys, k)
	m.keys = slices.Delete(m.keys, i, i+1)
	return true
}

// scan returns up to limit keys from the model, as Index.Scan would.
func (m *model) scan(from []byte, desc bool, limit int) []string {
	var out []string
	if !desc {
		i := 0
		if from != nil {
			i = sort.SearchStrings(m.keys, string(from))
		}
		for ; i < len(m.keys) && len(out) < limit; i++ {
			out = append(out, m.keys[i])
		}
		return out
	}
	i := len(m.keys) - 1
	if from != nil {
		i = sort.Search(len(m.keys), func(j int) bool { return m.keys[j] > string(from) }) - 1
	}
	for ; i >= 0 && len(out) < limit; i-- {
		out = append(out, m.keys[i])
	}
	return out
}

func indexScan(ix Index, from []byte, desc bool, limit int) (keys []string, handles []uint64) {
	ix.Scan(from, desc, func(k []byte, h uint64) bool {
		keys = append(keys, string(k))
		handles = append(handles, h)
		return len(keys) < limit
	})
	return
}

func flush(ix Index) {
	if l, ok := asLearned(ix); ok {
		l.Flush()
	}
}

// TestModel runs random operations on every index and key distribution and
// compares every answer with the reference model.
func TestModel(t *testing.T) {
	seed := testSeed(t)
	ops := 3000
	if soak() {
		ops = 100000
	}
	names := make([]string, 0, len(keyGens))
	for n := range keyGens {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, impl := range impls {
		for _, dist := range names {
			t.Run(impl.name+"/"+dist, func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, uint64(len(dist))))
				gen := keyGens[dist]
				ix := impl.new()
				ref := &model{m: map[string]uint64{}}
				var used [][]byte
				// maxEver is the largest key ever put: a Put of a key beyond
				// it goes through Appender.Append when the index has one.
				var maxEver []byte
				appends := 0
				pick := func(i int) []byte {
					if len(used) > 0 && r.IntN(2) == 0 {
						return used[r.IntN(len(used))]
					}
					k := gen(r, i)
					used = append(used, k)
					return k
				}
				// Start from a bulk load half the time.
				if _, ok := asLearned(ix); ok && r.IntN(2) == 0 {
					for i := 0; i < ops/2; i++ {
						k := pick(i)
						ref.put(string(k), uint64(i))
					}
					ks := make([][]byte, len(ref.keys))
					hs := make([]uint64, len(ref.keys))
					for i, k := range ref.keys {
						ks[i], hs[i] = []byte(k), ref.m[k]
					}
					ix.(Loader).Load(ks, hs)
					if len(ks) > 0 {
						maxEver = ks[len(ks)-1]
					}
				}
				for i := 0; i < ops; i++ {
					k := pick(i)
					fail := func(format string, args ...any) {
						t.Helper()
						t.Fatalf("seed %d op %d key %x: %s", seed, i, k, fmt.Sprintf(format, args...))
					}
					switch op := r.IntN(100); {
					case op < 45:
						h := uint64(i)<<8 | uint64(r.IntN(256))
						beyond := maxEver == nil || bytes.Compare(k, maxEver) > 0
						if a, ok := ix.(Appender); ok && beyond {
							a.Append(k, h)
							appends++
						} else {
							ix.Put(k, h)
						}
						if beyond {
							maxEver = k
						}
						ref.put(string(k), h)
					case op < 65:
						if got, want := ix.Delete(k), ref.del(string(k)); got != want {
							fail("Delete = %v, want %v", got, want)
						}
					case op < 85:
						h, ok := ix.Get(k)
						wh, wok := ref.m[string(k)]
						if ok != wok || h != wh {
							fail("Get = %d,%v want %d,%v", h, ok, wh, wok)
						}
					case op < 98:
						desc := r.IntN(2) == 0
						var from []byte
						if r.IntN(8) != 0 {
							from = k
							if r.IntN(3) == 0 { // a bound that need not exist
								from = append(append([]byte(nil), k...), byte(r.IntN(256)))
								if r.IntN(2) == 0 {
									from = from[:r.IntN(len(from)+1)]
								}
							}
						}
						limit := 1 + r.IntN(150)
						gk, gh := indexScan(ix, from, desc, limit)
						wk := ref.scan(from, desc, limit)
						if !slices.Equal(gk, wk) {
							fail("Scan(from %x, desc %v, %d) keys\n got %x\nwant %x", from, desc, limit, gk, wk)
						}
						for j, k := range gk {
							if gh[j] != ref.m[k] {
								fail("Scan handle of %x = %d, want %d", k, gh[j], ref.m[k])
							}
						}
					case op < 99:
						flush(ix)
					default:
						if ix.Len() != len(ref.keys) {
							fail("Len = %d, want %d", ix.Len(), len(ref.keys))
						}
					}
				}
				flush(ix)
				if _, ok := ix.(Appender); ok && dist == "sequential" && appends == 0 {
					t.Fatalf("seed %d: no Put of ascending keys went through Append", seed)
				}
				if ix.Len() != len(ref.keys) {
					t.Fatalf("seed %d: Len = %d, want %d", seed, ix.Len(), len(ref.keys))
				}
				gk, _ := indexScan(ix, nil, false, math.MaxInt)
				if !slices.Equal(gk, ref.keys) {
					t.Fatalf("seed %d: final scan differs", seed)
				}
				st := ix.Stats()
				if st.Keys != len(ref.keys) {
					t.Fatalf("Stats.Keys = %d, want %d", st.Keys, len(ref.keys))
				}
				if l, ok := asLearned(ix); ok {
					if err := l.st.Load().base.verify(); err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
				}
				if n := windowMisses.Load(); n != 0 {
					t.Fatalf("seed %d: %d lookups fell outside the error window", seed, n)
				}
			})
		}
	}
}

func TestNew(t *testing.T) {
	for _, k := range []string{"", "learned", "btree"} {
		ix, err := New(k)
		if err != nil {
			t.Fatal(err)
		}
		want := "learned"
		if k == "btree" {
			want = "btree"
		}
		if got := ix.Stats().Kind; got != want {
			t.Errorf("New(%q).Stats().Kind = %q, want %q", k, got, want)
		}
	}
	if _, err := New("hash"); err == nil {
		t.Error("New(hash) succeeded")
	}
}

// TestLearnedStats checks that a settled learned index reports a model shape
// that matches its data: sequential keys fit one line per chunk exactly.
func TestLearnedStats(t *testing.T) {
	l := NewLearned()
	const n = 100000
	keys := make([][]byte, n)
	hs := make([]uint64, n)
	for i := range keys {
		keys[i] = u64key(uint64(i) * 7)
		hs[i] = uint64(i)
	}
	l.Load(keys, hs)
	for _, k := range keys {
		if h, ok := l.Get(k); !ok || h != binary.BigEndian.Uint64(k[1:])/7 {
			t.Fatalf("Get(%x) = %d,%v", k, h, ok)
		}
	}
	st := l.Stats()
	if st.Keys != n || st.Segments != (n+defaultMaxChunk-1)/defaultMaxChunk || st.MaxError > 1 || st.WindowHitRate != 1 {
		t.Fatalf("stats of a linear key set: %+v", st)
	}
	if perKey := float64(st.Bytes) / n; perKey > 17 {
		t.Fatalf("fixed-mode index uses %.1f bytes/key, want <= 17", perKey)
	}
	for i := 0; i < 5000; i++ {
		l.Put(u64key(uint64(i)*7+3), uint64(i))
	}
	l.Flush()
	st = l.Stats()
	if st.Merges == 0 || st.BufferKeys != 0 || st.Keys != n+5000 || st.MergeNanos <= 0 {
		t.Fatalf("after merge: %+v", st)
	}
}

// TestLoad checks both Loaders: sorted input into an empty index, unsorted
// input (falls back to Put) and loading into a non-empty index.
func TestLoad(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			ix := impl.new()
			ld := ix.(Loader)
			ld.Load([][]byte{[]byte("b"), []byte("d")}, []uint64{2, 4})
			ld.Load([][]byte{[]byte("c"), []byte("a"), []byte("d")}, []uint64{3, 1, 5})
			flush(ix)
			gk, gh := indexScan(ix, nil, false, 10)
			if want := []string{"a", "b", "c", "d"}; !slices.Equal(gk, want) || !slices.Equal(gh, []uint64{1, 2, 3, 5}) {
				t.Fatalf("after loads: %q %v", gk, gh)
			}
			if ix.Len() != 4 {
				t.Fatalf("Len = %d", ix.Len())
			}
		})
	}
}
