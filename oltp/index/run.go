package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"sync/atomic"
	"unsafe"
)

// deadHandle marks a base entry deleted in place. Put rejects it.
const deadHandle = math.MaxUint64

// run is the immutable sorted part of a Learned index: keys, their handles,
// and a two-level model that predicts a key's position within a guaranteed
// error bound. Only handles change after build (atomically, by the writer, in
// place: upserts and deletes of existing keys while no merge is running).
//
// Key storage has two modes. In fixed mode every key has the same length and
// at most 8 bytes follow the common prefix of all keys, so the 8-byte
// projection after that prefix is the key itself (this is the case for
// single-column integer, date, timestamp and float keys); no key bytes are
// stored. In general mode the keys live in one arena and the projection is
// taken after the chunk's own common prefix, so that composite and string
// keys with long shared prefixes still get discriminating projections; equal
// projections are resolved by comparing the full keys.
type run struct {
	n       int
	fixed   bool
	keyLen  int    // fixed mode: length of every key
	prefix  []byte // common prefix of all keys (of the first and the last)
	proj    []uint64
	handles []uint64 // atomic access only once published
	arena   []byte   // general mode: the keys, back to back
	offs    []uint32 // general mode: key i is arena[offs[i]:offs[i+1]]

	// Key-source mode (keyed.go): no keys, no projections. ks yields the key
	// of a handle; fp holds each key's 32-bit fingerprint within its chunk;
	// handles live in h32 when narrow (every handle < 2^32), else in
	// handles; cpfx holds the chunks' common prefixes back to back.
	ks     KeySource
	fp     []uint32
	h32    []uint32 // atomic access only once published
	narrow bool
	cpfx   []byte
	kc     [][]byte // build scratch: cached keys kcFrom.. (nil once built)
	kcFrom int
	xs     []uint64 // build scratch: projections of one chunk

	chunks  []chunk
	topProj []uint64 // per chunk: projection after prefix of its first key
	radix   []uint32 // radix[b]: first chunk whose bucket >= b
	topMin  uint64
	shift   uint

	sumErr float64 // sum over keys of |position - prediction|
	maxErr int     // largest search half-window over chunks
	dead   int     // entries deleted in place (writer-owned counter)

	// tail counts keys appended in place after the n modelled ones (fixed
	// mode only): the writer stores proj[n+tail] and handles[n+tail], then
	// increments tail, so readers see only completed entries. len(proj) is
	// the room for appends; positions >= n+tail are not yet visible.
	tail atomic.Int64
}

// size returns the number of visible entries: modelled plus appended.
func (r *run) size() int { return r.n + int(r.tail.Load()) }

// clone returns a new run sharing r's arrays, for publishing a changed shape
// (extended models, regrown arrays). Writer only.
func (r *run) clone() *run {
	c := &run{n: r.n, fixed: r.fixed, keyLen: r.keyLen, prefix: r.prefix, proj: r.proj, handles: r.handles,
		arena: r.arena, offs: r.offs, chunks: r.chunks, topProj: r.topProj, radix: r.radix, topMin: r.topMin,
		shift: r.shift, sumErr: r.sumErr, maxErr: r.maxErr, dead: r.dead,
		ks: r.ks, fp: r.fp, h32: r.h32, narrow: r.narrow, cpfx: r.cpfx}
	c.tail.Store(r.tail.Load())
	return c
}

// chunk is one linear model over keys [start, end) of a run.
type chunk struct {
	start, end uint32
	plen       uint32  // general and key-source modes: length of the chunk's common prefix
	err        float32 // half-width of the search window around a prediction
	base       uint64  // projection of the first key
	slope      float64
	icpt       float64
	// Key-source mode: the prefix is cpfx[poff:poff+plen]; a key's
	// fingerprint is (projection − base) >> shift; exact chunks (every key
	// klen bytes long, no key bits shifted out) decide equality of a klen-
	// byte probe by fingerprint alone.
	poff  uint32
	klen  uint32
	shift uint8
	exact bool
}

// Build parameters.
const (
	defaultEpsilon = 16 // target half-window of a chunk model (positions)
	// defaultKeyedEpsilon is the target half-window in key-source mode.
	defaultKeyedEpsilon = 32
	defaultMaxChunk     = 4096 // largest chunk
	minChunk            = 32   // chunks are not split below this size
)

// projAt returns the 8 bytes of k at off, big endian, zero padded.
func projAt(k []byte, off int) uint64 {
	if off >= len(k) {
		return 0
	}
	k = k[off:]
	if len(k) >= 8 {
		return binary.BigEndian.Uint64(k)
	}
	var b [8]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:])
}

func lcp(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// source yields sorted, unique, live entries; it may be called repeatedly
// and yields the same sequence each time.
type source func(yield func(key []byte, handle uint64))

// buildRun builds a run from src with the given model error target.
func buildRun(src source, eps, maxChunk int) *run {
	r := &run{}
	var first, last []byte
	minLen, maxLen := math.MaxInt, 0
	src(func(k []byte, _ uint64) {
		if r.n == 0 {
			first = append([]byte(nil), k...)
		}
		last = append(last[:0], k...)
		r.n++
		minLen = min(minLen, len(k))
		maxLen = max(maxLen, len(k))
	})
	if r.n == 0 {
		return r
	}
	r.prefix = first[:lcp(first, last)]
	r.fixed = minLen == maxLen && maxLen-len(r.prefix) <= 8
	r.keyLen = maxLen
	if r.fixed {
		// Project the last 8 bytes even when the keys share more: later
		// keys beyond the last one (appends) then still fit the run.
		r.prefix = r.prefix[:max(0, r.keyLen-8)]
	}
	r.proj = make([]uint64, r.n)
	r.handles = make([]uint64, r.n)
	i := 0
	if r.fixed {
		pl := len(r.prefix)
		src(func(k []byte, h uint64) {
			r.proj[i] = projAt(k, pl)
			r.handles[i] = h
			i++
		})
	} else {
		total := 0
		src(func(k []byte, _ uint64) { total += len(k) })
		if total > math.MaxUint32 {
			panic(fmt.Sprintf("index: %d bytes of keys in one learned run exceed 4 GiB", total))
		}
		r.arena = make([]byte, 0, total)
		r.offs = make([]uint32, r.n+1)
		src(func(k []byte, h uint64) {
			r.arena = append(r.arena, k...)
			r.offs[i+1] = uint32(len(r.arena))
			r.handles[i] = h
			i++
		})
	}
	r.buildModels(eps, maxChunk)
	if invariants {
		if err := r.verify(); err != nil {
			panic(err)
		}
	}
	return r
}

// key returns key i; in fixed mode it is rebuilt into scratch.
func (r *run) key(i int, scratch []byte) []byte {
	if r.ks != nil {
		return r.ks(r.handle(i))
	}
	if !r.fixed {
		return r.arena[r.offs[i]:r.offs[i+1]:r.offs[i+1]]
	}
	scratch = append(scratch[:0], r.prefix...)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], r.proj[i])
	return append(scratch, b[:r.keyLen-len(r.prefix)]...)
}

func (r *run) buildModels(eps, maxChunk int) {
	r.fitRange(0, r.n, eps, maxChunk)
	r.buildTop()
}

// fitRange appends the chunk models of keys [from, to).
func (r *run) fitRange(from, to, eps, maxChunk int) {
	size := maxChunk
	for s := from; s < to; {
		e := min(s+size, to)
		var c chunk
		split := false
		for {
			if r.ks != nil {
				c = r.fitKeyed(s, e)
			} else {
				c = r.fit(s, e)
			}
			if float64(c.err) <= float64(eps) || e-s <= minChunk {
				break
			}
			e = s + (e-s)/2
			split = true
		}
		if r.ks != nil {
			c.poff = uint32(len(r.cpfx))
			r.cpfx = append(r.cpfx, r.keyAt(s)[:c.plen]...)
		}
		r.chunks = append(r.chunks, c)
		r.sumErr += r.errSum(c)
		r.maxErr = max(r.maxErr, int(math.Ceil(float64(c.err))))
		if split {
			size = e - s
		} else {
			size = min(maxChunk, 2*(e-s))
		}
		s = e
	}
}

// buildTop builds the top level: projections of chunk first keys after the
// run prefix, and a radix table over their high bits (about two chunks per
// bucket).
//
// Entries of topProj already computed (chunks are only ever appended to a
// run's list, by the tail models) are kept.
func (r *run) buildTop() {
	pl := len(r.prefix)
	known := min(len(r.topProj), len(r.chunks))
	tp := make([]uint64, len(r.chunks))
	copy(tp, r.topProj[:known])
	r.topProj = tp
	for j := known; j < len(r.chunks); j++ {
		c := r.chunks[j]
		if r.fixed {
			r.topProj[j] = r.proj[c.start]
		} else {
			r.topProj[j] = projAt(r.key(int(c.start), nil), pl)
		}
	}
	nb := uint(bits.Len(uint(len(r.chunks)))) + 1
	nb = min(nb, 22)
	r.topMin = r.topProj[0]
	r.shift = 0
	span := bits.Len64(r.topProj[len(r.topProj)-1] - r.topMin)
	if span > int(nb) {
		r.shift = uint(span) - nb
	} else {
		nb = uint(span)
	}
	r.radix = make([]uint32, (1<<nb)+1)
	j := 0
	for b := range r.radix {
		for j < len(r.topProj) && (r.topProj[j]-r.topMin)>>r.shift < uint64(b) {
			j++
		}
		r.radix[b] = uint32(j)
	}
}

// fit builds the model of chunk [s, e): a line through the first and last
// key, shifted to centre the measured errors; err is the exact largest
// deviation, so every key of the chunk lies within ±err of its prediction.
func (r *run) fit(s, e int) chunk {
	c := chunk{start: uint32(s), end: uint32(e)}
	if !r.fixed {
		c.plen = uint32(lcp(r.key(s, nil), r.key(e-1, nil)))
		for i := s; i < e; i++ {
			r.proj[i] = projAt(r.key(i, nil), int(c.plen))
		}
	}
	c.base = r.proj[s]
	if xl := r.proj[e-1] - c.base; xl > 0 {
		c.slope = float64(e-1-s) / float64(xl)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := s; i < e; i++ {
		d := float64(i-s) - c.slope*float64(r.proj[i]-c.base)
		if d < lo {
			lo = d
		}
		if d > hi {
			hi = d
		}
	}
	c.icpt = (lo + hi) / 2
	c.err = float32((hi - lo) / 2)
	return c
}

// errSum returns the sum over the chunk's keys of |position - prediction|.
func (r *run) errSum(c chunk) float64 {
	var sum float64
	s := int(c.start)
	if r.ks != nil {
		for i := s; i < int(c.end); i++ {
			sum += math.Abs(float64(i-s) - c.slope*float64(r.fp[i]) - c.icpt)
		}
		return sum
	}
	for i := s; i < int(c.end); i++ {
		sum += math.Abs(float64(i-s) - c.slope*float64(r.proj[i]-c.base) - c.icpt)
	}
	return sum
}

// lowerBound returns the position of the first key >= q, whether that key
// equals q, and whether the position lay within ±hitWindow of the model's
// prediction (for Stats).
func (r *run) lowerBound(q []byte) (pos int, found, near bool) {
	if r.ks != nil {
		return r.lowerKeyed(q)
	}
	pos, found, near = r.lowerModelled(q)
	if pos < r.n {
		return pos, found, near
	}
	// Beyond the modelled keys: search the appended tail (fixed mode,
	// keys sharing the run prefix).
	t := int(r.tail.Load())
	if t == 0 || len(q) < len(r.prefix) || !bytes.Equal(q[:len(r.prefix)], r.prefix) {
		return r.n + t, false, near
	}
	qp := projAt(q, len(r.prefix))
	lo := r.n + sort.Search(t, func(i int) bool { return !r.less(r.n+i, q, qp) })
	return lo, lo < r.n+t && r.equal(lo, q, qp), near
}

// lowerModelled is lowerBound over the n modelled keys.
func (r *run) lowerModelled(q []byte) (pos int, found, near bool) {
	if r.n == 0 {
		return 0, false, true
	}
	pl := len(r.prefix)
	if len(q) >= pl {
		if c := bytes.Compare(q[:pl], r.prefix); c != 0 {
			if c < 0 {
				return 0, false, true
			}
			return r.n, false, true
		}
	} else {
		if bytes.Compare(q, r.prefix[:len(q)]) <= 0 {
			return 0, false, true
		}
		return r.n, false, true
	}
	qg := projAt(q, pl)
	ci := r.findChunk(q, qg)
	if ci < 0 {
		return 0, false, true
	}
	ch := &r.chunks[ci]
	start, end := int(ch.start), int(ch.end)
	qp := qg
	if !r.fixed {
		fk := r.key(start, nil)
		p := int(ch.plen)
		if len(q) < p || !bytes.Equal(q[:p], fk[:p]) {
			return end, false, true // q is beyond every key sharing the chunk prefix
		}
		qp = projAt(q, p)
	}
	// q >= first key of the chunk, so qp >= ch.base.
	pred := ch.slope*float64(qp-ch.base) + ch.icpt
	lo := start + int(math.Floor(pred-float64(ch.err)-1))
	hi := start + int(math.Ceil(pred+float64(ch.err)+2))
	lo = min(max(lo, start), end)
	hi = min(max(hi, lo), end)
	if r.fixed && len(q) == r.keyLen {
		// Hot path (integer-like keys): projections are the keys.
		a, b := lo, hi
		for a < b {
			m := int(uint(a+b) >> 1)
			if r.proj[m] < qp {
				a = m + 1
			} else {
				b = m
			}
		}
		pos = a
	} else {
		pos = lo + sort.Search(hi-lo, func(i int) bool { return !r.less(lo+i, q, qp) })
	}
	// The window is guaranteed by construction; verify its edges anyway so
	// that a model defect can cost time but never correctness.
	if (pos == lo && lo > start && !r.less(lo-1, q, qp)) || (pos == hi && hi < end && r.less(hi, q, qp)) {
		windowMisses.Add(1)
		pos = start + sort.Search(end-start, func(i int) bool { return !r.less(start+i, q, qp) })
	}
	near = math.Abs(float64(pos-start)-pred) <= hitWindow
	if pos < end {
		found = r.equal(pos, q, qp)
	}
	return pos, found, near
}

// windowMisses counts lookups whose answer lay outside the model's window
// (a model defect; tests require zero).
var windowMisses atomic.Int64

// hitWindow is the distance from a prediction that counts as a window hit in
// Stats.WindowHitRate: one cache line of projections either side.
const hitWindow = 8

// less reports whether key i < q, where qp is q's projection in i's chunk
// coordinates (fixed mode: after the run prefix).
func (r *run) less(i int, q []byte, qp uint64) bool {
	p := r.proj[i]
	if p != qp {
		return p < qp
	}
	if r.fixed {
		return r.keyLen < len(q)
	}
	return bytes.Compare(r.arena[r.offs[i]:r.offs[i+1]], q) < 0
}

func (r *run) equal(i int, q []byte, qp uint64) bool {
	if r.proj[i] != qp {
		return false
	}
	if r.fixed {
		return len(q) == r.keyLen
	}
	return bytes.Equal(r.arena[r.offs[i]:r.offs[i+1]], q)
}

// findChunk returns the last chunk whose first key is <= q, or -1. qg is q's
// projection after the run prefix (q shares the prefix).
func (r *run) findChunk(q []byte, qg uint64) int {
	var ub int
	if qg < r.topMin {
		ub = 0
	} else {
		b := (qg - r.topMin) >> r.shift
		if b >= uint64(len(r.radix)-1) {
			ub = len(r.topProj)
		} else {
			lo, hi := int(r.radix[b]), int(r.radix[b+1])
			ub = lo + sort.Search(hi-lo, func(i int) bool { return r.topProj[lo+i] > qg })
		}
	}
	c := ub - 1
	if c < 0 || r.topProj[c] != qg {
		return c
	}
	// Ties on the projection: compare full keys among the chunks whose
	// first keys share it.
	if r.fixed {
		if len(q) < r.keyLen {
			return c - 1
		}
		return c
	}
	if kl := int(r.chunks[c].klen); r.ks != nil && len(q) == kl && kl-len(r.prefix) <= 8 {
		return c // the projection is the whole key after the prefix: q is c's first key
	}
	eq := sort.Search(c+1, func(j int) bool { return r.topProj[j] >= qg })
	k := sort.Search(c+1-eq, func(j int) bool {
		return bytes.Compare(r.key(int(r.chunks[eq+j].start), nil), q) > 0
	})
	return eq + k - 1
}

// handle loads handle i.
func (r *run) handle(i int) uint64 {
	if r.narrow {
		return uint64(atomic.LoadUint32(&r.h32[i]))
	}
	return atomic.LoadUint64(&r.handles[i])
}

// setHandle stores handle i atomically; it reports false (and stores
// nothing) when h does not fit a narrow run. Writer only.
func (r *run) setHandle(i int, h uint64) bool {
	if r.narrow {
		if h > math.MaxUint32 {
			return false
		}
		atomic.StoreUint32(&r.h32[i], uint32(h))
		return true
	}
	atomic.StoreUint64(&r.handles[i], h)
	return true
}

// bytes is the memory held by the run.
func (r *run) bytes() int64 {
	return int64(8*len(r.proj) + 8*len(r.handles) + cap(r.arena) + 4*len(r.offs) +
		4*len(r.fp) + 4*len(r.h32) + len(r.cpfx) +
		int(unsafe.Sizeof(chunk{}))*len(r.chunks) + 8*len(r.topProj) + 4*len(r.radix) + len(r.prefix))
}
