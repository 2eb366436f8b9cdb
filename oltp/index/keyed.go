package index

import (
	"bytes"
	"math"
	"math/bits"
	"slices"
	"sort"
)

// KeySource returns the key stored under a handle: the row payload of a
// key-source index (for the row store's primary keys, the encoded key its
// version chain keeps). An index built with a KeySource stores no keys in
// its base run, only fingerprints and handles, and fetches a key when a
// fingerprint cannot decide a comparison.
//
// Contract: for every entry (key, handle) ever Put or Loaded, ks(handle)
// returns key, unmodified, for the lifetime of the index — readers may still
// hold a handle after the entry was replaced or deleted. ks is called
// concurrently by readers, the writer and the background merge, so it must
// be safe for concurrent use and must not block on the writer. The returned
// slice is never modified by the index.
type KeySource func(handle uint64) []byte

// buildKeyed builds a key-source run over the handles hs, whose keys
// (through ks) are strictly ascending. hs is owned by the run when it is not
// narrowed.
func buildKeyed(ks KeySource, hs []uint64, eps, maxChunk int) *run {
	r := &run{ks: ks, n: len(hs)}
	if r.n == 0 {
		return r
	}
	maxH := uint64(0)
	for _, h := range hs {
		maxH = max(maxH, h)
	}
	if maxH <= math.MaxUint32 {
		r.narrow = true
		r.h32 = make([]uint32, len(hs))
		for i, h := range hs {
			r.h32[i] = uint32(h)
		}
	} else {
		r.handles = slices.Clip(hs)
		if cap(hs) != len(hs) {
			r.handles = slices.Clone(hs) // no spare capacity kept
		}
	}
	first, last := ks(hs[0]), ks(hs[len(hs)-1])
	p := lcp(first, last)
	if len(first) == len(last) {
		// As in fixed mode: keep at least the last 8 bytes out of the run
		// prefix so that later appends of the same shape share it.
		p = min(p, max(0, len(last)-8))
	}
	r.prefix = append([]byte(nil), first[:p]...)
	r.fp = make([]uint32, r.n)
	r.buildModels(eps, maxChunk)
	r.dropBuildScratch()
	r.cpfx = slices.Clip(r.cpfx)
	if invariants {
		if err := r.verify(); err != nil {
			panic(err)
		}
	}
	return r
}

// keyAt returns key i during a build, from the key cache when it holds i.
func (r *run) keyAt(i int) []byte {
	if j := i - r.kcFrom; j >= 0 && j < len(r.kc) {
		return r.kc[j]
	}
	return r.key(i, nil)
}

// keysRange returns keys [s, e), fetched through the key source at most once
// per build window.
func (r *run) keysRange(s, e int) [][]byte {
	if s >= r.kcFrom && e <= r.kcFrom+len(r.kc) {
		return r.kc[s-r.kcFrom : e-r.kcFrom]
	}
	r.kc = r.kc[:0]
	r.kcFrom = s
	for i := s; i < e; i++ {
		r.kc = append(r.kc, r.key(i, nil))
	}
	return r.kc
}

// dropBuildScratch releases the build caches (they reference row keys).
func (r *run) dropBuildScratch() {
	r.kc, r.xs, r.kcFrom = nil, nil, 0
}

// fitKeyed is fit for key-source runs: it takes the chunk's common prefix,
// projects the 8 bytes after it, picks the shift that makes the chunk's
// range fit 32 bits, stores the fingerprints and fits the model on them.
func (r *run) fitKeyed(s, e int) chunk {
	c := chunk{start: uint32(s), end: uint32(e)}
	ks := r.keysRange(s, e)
	fk, lk := ks[0], ks[len(ks)-1]
	c.plen = uint32(lcp(fk, lk))
	r.xs = r.xs[:0]
	sameLen := true
	for _, k := range ks {
		r.xs = append(r.xs, projAt(k, int(c.plen)))
		sameLen = sameLen && len(k) == len(fk)
	}
	c.base = r.xs[0]
	shift := max(0, bits.Len64(r.xs[len(r.xs)-1]-c.base)-32)
	c.shift = uint8(shift)
	c.klen = uint32(len(fk))
	// Keys of one length L whose last L−plen ≤ 8 bytes are all projected
	// have zero low 64−8(L−plen) projection bits; shifting out no more than
	// those keeps fingerprints injective.
	if tb := len(fk) - int(c.plen); sameLen && tb <= 8 && shift <= 8*(8-tb) {
		c.exact = true
	}
	for i, x := range r.xs {
		r.fp[s+i] = uint32((x - c.base) >> shift)
	}
	if xl := r.fp[e-1]; xl > 0 {
		c.slope = float64(e-1-s) / float64(xl)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := s; i < e; i++ {
		d := float64(i-s) - c.slope*float64(r.fp[i])
		lo = min(lo, d)
		hi = max(hi, d)
	}
	c.icpt = (lo + hi) / 2
	c.err = float32((hi - lo) / 2)
	return c
}

// lowerKeyed is lowerBound for key-source runs.
func (r *run) lowerKeyed(q []byte) (pos int, found, near bool) {
	pos, found, near = r.lowerKeyedModelled(q)
	if pos < r.n {
		return pos, found, near
	}
	t := int(r.tail.Load())
	if t == 0 {
		return r.n, false, near
	}
	// The appended tail: a binary search on fetched keys, after a check of
	// the last one (an append's lookup: one fetch).
	switch c := bytes.Compare(r.key(r.n+t-1, nil), q); {
	case c < 0:
		return r.n + t, false, near
	case c == 0:
		return r.n + t - 1, true, near
	}
	lo := r.n + sort.Search(t, func(i int) bool { return bytes.Compare(r.key(r.n+i, nil), q) >= 0 })
	return lo, lo < r.n+t && bytes.Equal(r.key(lo, nil), q), near
}

func (r *run) lowerKeyedModelled(q []byte) (pos int, found, near bool) {
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
	ci := r.findChunk(q, projAt(q, pl))
	if ci < 0 {
		return 0, false, true
	}
	ch := &r.chunks[ci]
	start, end := int(ch.start), int(ch.end)
	// q >= the chunk's first key: if it leaves the chunk prefix it is
	// beyond every key of the chunk.
	p := int(ch.plen)
	if len(q) < p || !bytes.Equal(q[:p], r.cpfx[ch.poff:ch.poff+ch.plen]) {
		return end, false, true
	}
	d := (projAt(q, p) - ch.base) >> ch.shift
	if d > math.MaxUint32 {
		return end, false, true
	}
	qf := uint32(d)
	pred := ch.slope*float64(qf) + ch.icpt
	lo := start + int(math.Floor(pred-float64(ch.err)-1))
	hi := start + int(math.Ceil(pred+float64(ch.err)+2))
	lo = min(max(lo, start), end)
	hi = min(max(hi, lo), end)
	fp := r.fp
	a, b := lo, hi
	for a < b {
		m := int(uint(a+b) >> 1)
		if fp[m] < qf {
			a = m + 1
		} else {
			b = m
		}
	}
	pos = a
	if (pos == lo && lo > start && fp[lo-1] >= qf) || (pos == hi && hi < end && fp[hi] < qf) {
		windowMisses.Add(1)
		pos = start + sort.Search(end-start, func(i int) bool { return fp[start+i] >= qf })
	}
	near = math.Abs(float64(pos-start)-pred) <= hitWindow
	if pos == end || fp[pos] != qf {
		return pos, false, near
	}
	if ch.exact && len(q) == int(ch.klen) {
		return pos, true, near
	}
	// Equal fingerprints: order the tied keys by fetching them.
	te := pos + 1
	for te < end && fp[te] == qf {
		te++
	}
	a, b = pos, te
	for a < b {
		m := int(uint(a+b) >> 1)
		switch c := bytes.Compare(r.key(m, nil), q); {
		case c < 0:
			a = m + 1
		case c == 0:
			return m, true, near // keys are unique: m is the lower bound
		default:
			b = m
		}
	}
	return a, false, near
}

// mergeKeyed builds the key-source run that replaces base once buf is
// applied to it. It fetches only the keys the lookups of the buffered keys
// need to splice them in; the new run's build fetches every key once.
func mergeKeyed(base *run, buf *delta, eps, maxChunk int) *run {
	bn := base.size()
	hs := make([]uint64, 0, bn+int(buf.n.Load()))
	i := 0
	copyBase := func(upto int) {
		for ; i < upto; i++ {
			hs = append(hs, base.handle(i))
		}
	}
	buf.tr.Scan(func(it deltaItem) bool {
		pos, found, _ := base.lowerBound(it.key)
		copyBase(pos)
		if found {
			i++ // overridden or deleted by the buffer
		}
		if !it.tomb {
			hs = append(hs, it.handle)
		}
		return true
	})
	copyBase(bn)
	return buildKeyed(base.ks, hs, eps, maxChunk)
}

// tryAppendKeyed is tryAppend for key-source bases: a key beyond every base
// key (pos is its lower bound, the base's size) that shares the run prefix
// is appended in place; only its handle is stored until the tail is
// modelled. Writer only, and only while no merge runs.
func (l *Learned) tryAppendKeyed(st *state, key []byte, handle uint64, pos int) bool {
	b := st.base
	size := b.size()
	if b.n == 0 || pos != size || len(key) < len(b.prefix) || !bytes.Equal(key[:len(b.prefix)], b.prefix) ||
		(b.narrow && handle > math.MaxUint32) {
		return false
	}
	room := len(b.handles)
	if b.narrow {
		room = len(b.h32)
	}
	if size == room { // no room: publish a run with larger arrays
		nb := b.clone()
		c := size + size/4 + l.opt.MinBuffer
		nb.fp = make([]uint32, c)
		copy(nb.fp, b.fp[:b.n]) // the tail has no fingerprints yet
		if b.narrow {
			nb.h32 = make([]uint32, c)
			copy(nb.h32, b.h32[:size])
		} else {
			nb.handles = make([]uint64, c)
			copy(nb.handles, b.handles[:size])
		}
		st = &state{active: st.active, base: nb}
		l.st.Store(st)
		b = nb
	}
	b.setHandle(size, handle)
	if b.tail.Add(1) >= int64(l.opt.MinBuffer) {
		// Model the tail: a new run whose n covers it, sharing the arrays.
		// Readers of the old run never read fingerprints at or beyond its n.
		nb := b.clone()
		nb.n = b.size()
		nb.tail.Store(0)
		nb.chunks = slices.Clip(b.chunks)
		nb.cpfx = slices.Clip(b.cpfx)
		nb.fitRange(b.n, nb.n, l.opt.Epsilon, l.opt.MaxChunk)
		nb.buildTop()
		nb.dropBuildScratch()
		l.st.Store(&state{active: st.active, base: nb})
	}
	return true
}
