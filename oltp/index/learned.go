package index

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// LearnedOptions tune a Learned index; zero fields take defaults.
type LearnedOptions struct {
	// Epsilon is the target half-width of a model's search window: chunks
	// are split until their measured error is at most Epsilon (or they
	// reach the minimum chunk size). Default 16, 32 in key-source mode.
	Epsilon int
	// MaxChunk is the largest number of keys under one linear model.
	// Default 4096.
	MaxChunk int
	// MinBuffer is the insert-buffer size that triggers a merge however
	// small the index; the threshold is max(MinBuffer, keys/BufferDivisor).
	// Defaults 4096 and 16. MinBuffer is also the number of keys appended
	// in place at the end of the base after which they get models.
	MinBuffer     int
	BufferDivisor int
	// KeySource, when set, makes a key-source index: its base run stores
	// no keys, only 32-bit fingerprints and handles, and fetches keys
	// through KeySource (see KeySource for the contract). The row store
	// uses it for primary keys, whose rows keep their keys.
	KeySource KeySource
}

func (o *LearnedOptions) fill() {
	if o.Epsilon <= 0 {
		o.Epsilon = defaultEpsilon
		if o.KeySource != nil {
			// Fingerprints are half the size of projections: a window of
			// twice the positions costs the same cache lines, and halves
			// the models' share of the ~8 bytes per key.
			o.Epsilon = defaultKeyedEpsilon
		}
	}
	if o.MaxChunk <= 0 {
		o.MaxChunk = defaultMaxChunk
	}
	o.MaxChunk = max(o.MaxChunk, minChunk)
	if o.MinBuffer <= 0 {
		o.MinBuffer = 4096
	}
	if o.BufferDivisor <= 0 {
		o.BufferDivisor = 16
	}
}

// state is what a reader sees: the mutable active buffer, the frozen buffer
// being merged (nil when no merge runs) and the immutable base run. A state
// is replaced, never modified (apart from the active buffer's contents and
// the base's handles).
type state struct {
	active *delta
	frozen *delta
	base   *run
}

// Learned is OmenDB's learned index; see the package documentation.
type Learned struct {
	opt     LearnedOptions
	st      atomic.Pointer[state]
	merging atomic.Bool // set by the writer at freeze, cleared by the merger
	count   atomic.Int64
	mergeWG sync.WaitGroup

	merges     atomic.Int64
	mergeNanos atomic.Int64
	lookups    atomic.Int64 // sampled base lookups
	hits       atomic.Int64 // of which within hitWindow of the prediction
}

var _ Index = (*Learned)(nil)

// NewLearned returns an empty learned index with default options.
func NewLearned() *Learned { return NewLearnedOptions(LearnedOptions{}) }

// NewLearnedOptions returns an empty learned index.
func NewLearnedOptions(o LearnedOptions) *Learned {
	o.fill()
	l := &Learned{opt: o}
	l.st.Store(&state{active: newDelta(), base: &run{ks: o.KeySource}})
	return l
}

// Get implements Index.
func (l *Learned) Get(key []byte) (uint64, bool) {
	st := l.st.Load()
	if it, ok := st.active.get(key); ok {
		return it.handle, !it.tomb
	}
	if st.frozen != nil {
		if it, ok := st.frozen.get(key); ok {
			return it.handle, !it.tomb
		}
	}
	pos, found, near := st.base.lowerBound(key)
	if pos&15 == 0 { // sample 1 in 16 lookups for the window statistics
		l.lookups.Add(1)
		if near {
			l.hits.Add(1)
		}
	}
	if !found {
		return 0, false
	}
	if h := st.base.handle(pos); h != deadHandle {
		return h, true
	}
	return 0, false
}

// Put implements Index. The handle math.MaxUint64 is reserved.
func (l *Learned) Put(key []byte, handle uint64) {
	if handle == deadHandle {
		panic("index: handle math.MaxUint64 is reserved")
	}
	// Read merging before the state: if no merge runs now, the state we load
	// is the newest and its base may be updated in place.
	merging := l.merging.Load()
	st := l.st.Load()
	if it, ok := st.active.get(key); ok {
		if it.tomb && !merging && st.base.ks != nil && l.reviveInBase(st, key, handle) {
			l.count.Add(1)
			return
		}
		st.active.set(key, handle, false)
		if it.tomb {
			l.count.Add(1)
		}
		return
	}
	if st.frozen != nil {
		if it, ok := st.frozen.get(key); ok {
			st.active.set(key, handle, false)
			if it.tomb {
				l.count.Add(1)
			}
			return
		}
	}
	pos, found, _ := st.base.lowerBound(key)
	if found {
		old := st.base.handle(pos)
		if !merging && st.base.setHandle(pos, handle) {
			if old == deadHandle {
				st.base.dead--
				l.count.Add(1)
			}
			return
		}
		st.active.set(key, handle, false)
		if old == deadHandle {
			l.count.Add(1)
		}
		l.maybeMerge(st, merging)
		return
	}
	if !merging && l.tryAppend(st, key, handle, pos) {
		l.count.Add(1)
		return
	}
	st.active.set(key, handle, false)
	l.count.Add(1)
	l.maybeMerge(st, merging)
}

// Append implements Appender: Put for a key that sorts after every key
// the index ever held, without the searches of the buffers and the base
// that Put starts with. It takes the same path Put takes for such a key:
// appended in place to the base when no merge runs, else buffered.
func (l *Learned) Append(key []byte, handle uint64) {
	if handle == deadHandle {
		panic("index: handle math.MaxUint64 is reserved")
	}
	merging := l.merging.Load()
	st := l.st.Load()
	if !merging && l.tryAppend(st, key, handle, st.base.size()) {
		l.count.Add(1)
		return
	}
	st.active.set(key, handle, false)
	l.count.Add(1)
	l.maybeMerge(st, merging)
}

// reviveInBase puts a key-source base key back in place when its delete
// left a tombstone in the active buffer: it stores the new handle in the
// base, then removes the tombstone (a concurrent reader sees the key absent
// or present with the new handle, never both). It keeps the buffer small
// and the update in place. (A scan that pairs an older base snapshot with
// the live buffer may see a buffer entry for a key appended after it
// started without the keys appended before it; that is legal, see
// Index.Scan, and still happens when the handle does not fit the run.)
// Writer only, while no merge runs.
func (l *Learned) reviveInBase(st *state, key []byte, handle uint64) bool {
	pos, found, _ := st.base.lowerBound(key)
	if !found || !st.base.setHandle(pos, handle) {
		return false
	}
	st.active.remove(key)
	return true
}

// tryAppend appends key in place at the end of a fixed-mode base when it
// sorts after every base key and has the base's shape: the common case of
// ascending primary keys (sequences, timestamps). It reports whether it did.
// Writer only, and only while no merge runs.
func (l *Learned) tryAppend(st *state, key []byte, handle uint64, pos int) bool {
	b := st.base
	if b.ks != nil {
		return l.tryAppendKeyed(st, key, handle, pos)
	}
	if !b.fixed || len(key) != b.keyLen || !bytes.Equal(key[:len(b.prefix)], b.prefix) {
		return false
	}
	size := b.size()
	p := projAt(key, len(b.prefix))
	if size > 0 && p <= b.proj[size-1] {
		return false // not beyond the last key (lowerBound said absent)
	}
	if size == len(b.proj) { // no room: publish a run with larger arrays
		nb := b.clone()
		c := size + size/4 + l.opt.MinBuffer
		nb.proj = make([]uint64, c)
		nb.handles = make([]uint64, c)
		copy(nb.proj, b.proj[:size])
		copy(nb.handles, b.handles[:size]) // the writer is the only writer
		st = &state{active: st.active, base: nb}
		l.st.Store(st)
		b = nb
	}
	b.proj[size] = p
	atomic.StoreUint64(&b.handles[size], handle)
	if b.tail.Add(1) >= int64(l.opt.MinBuffer) {
		// Model the tail: a new run whose n covers it, sharing the arrays
		// (positions beyond the old run's size are invisible to its readers).
		nb := b.clone()
		nb.n = b.size()
		nb.tail.Store(0)
		nb.chunks = slices.Clip(b.chunks)
		nb.fitRange(b.n, nb.n, l.opt.Epsilon, l.opt.MaxChunk)
		nb.buildTop()
		l.st.Store(&state{active: st.active, base: nb})
	}
	return true
}

// Delete implements Index.
func (l *Learned) Delete(key []byte) bool {
	merging := l.merging.Load()
	st := l.st.Load()
	if it, ok := st.active.get(key); ok {
		if it.tomb {
			return false
		}
		below := false
		if st.frozen != nil {
			_, below = st.frozen.get(key)
		}
		if !below {
			_, below, _ = st.base.lowerBound(key)
		}
		if below {
			st.active.set(key, 0, true)
		} else {
			st.active.remove(key)
		}
		l.count.Add(-1)
		return true
	}
	if st.frozen != nil {
		if it, ok := st.frozen.get(key); ok {
			if it.tomb {
				return false
			}
			st.active.set(key, 0, true)
			l.count.Add(-1)
			return true
		}
	}
	pos, found, _ := st.base.lowerBound(key)
	if !found || st.base.handle(pos) == deadHandle {
		return false
	}
	l.count.Add(-1)
	if merging || st.base.ks != nil {
		// Key-source runs keep the handle (it is how the key is found), so
		// their deletes always go to the buffer as tombstones.
		st.active.set(key, 0, true)
		l.maybeMerge(st, merging)
		return true
	}
	atomic.StoreUint64(&st.base.handles[pos], deadHandle)
	st.base.dead++
	l.maybeMerge(st, merging)
	return true
}

// threshold is the buffer size (or dead-entry count) that triggers a merge.
func (l *Learned) threshold(base *run) int {
	return max(l.opt.MinBuffer, base.n/l.opt.BufferDivisor)
}

// maybeMerge starts a background merge when the buffer or the dead entries
// reached the threshold. Writer only.
func (l *Learned) maybeMerge(st *state, merging bool) {
	if merging {
		return
	}
	t := l.threshold(st.base)
	if int(st.active.n.Load()) < t && st.base.dead < t {
		return
	}
	l.startMerge(st)
}

// startMerge freezes the active buffer and merges it into a new base in a
// goroutine, which installs the new state when done. Writer only, and only
// when no merge runs.
func (l *Learned) startMerge(st *state) {
	l.merging.Store(true)
	next := &state{active: newDelta(), frozen: st.active, base: st.base}
	l.st.Store(next)
	l.mergeWG.Add(1)
	go func() {
		defer l.mergeWG.Done()
		t0 := time.Now()
		nb := mergeRun(next.base, next.frozen, l.opt.Epsilon, l.opt.MaxChunk)
		// Only the merger replaces the state while merging is set.
		cur := l.st.Load()
		l.st.Store(&state{active: cur.active, base: nb})
		l.merges.Add(1)
		l.mergeNanos.Add(int64(time.Since(t0)))
		l.merging.Store(false)
	}()
}

// Flush merges the insert buffer into the base now and waits until no merge
// runs. Writer only (it is a write). Tests and benchmarks use it to measure a
// settled index; the materializer never needs to call it.
func (l *Learned) Flush() {
	l.mergeWG.Wait()
	st := l.st.Load()
	if st.active.n.Load() > 0 || st.base.dead > 0 {
		l.startMerge(st)
	}
	l.mergeWG.Wait()
}

// WaitMerges waits for a running merge to finish. Writer only.
func (l *Learned) WaitMerges() { l.mergeWG.Wait() }

// Load implements Loader: given entries in strictly ascending key order and
// an empty index, it builds the base directly (no buffer, no merge).
// Otherwise it falls back to Put. Writer only.
func (l *Learned) Load(keys [][]byte, handles []uint64) {
	l.mergeWG.Wait()
	sorted := true
	for i := 1; i < len(keys) && sorted; i++ {
		sorted = bytes.Compare(keys[i-1], keys[i]) < 0
	}
	if !sorted || l.count.Load() != 0 || l.st.Load().active.n.Load() != 0 {
		for i, k := range keys {
			l.Put(k, handles[i])
		}
		return
	}
	var nb *run
	if l.opt.KeySource != nil {
		nb = buildKeyed(l.opt.KeySource, slices.Clone(handles), l.opt.Epsilon, l.opt.MaxChunk)
	} else {
		nb = buildRun(func(yield func([]byte, uint64)) {
			for i, k := range keys {
				yield(k, handles[i])
			}
		}, l.opt.Epsilon, l.opt.MaxChunk)
	}
	l.st.Store(&state{active: newDelta(), base: nb})
	l.count.Store(int64(len(keys)))
}

// mergeRun builds the run that replaces base once buf is applied to it.
func mergeRun(base *run, buf *delta, eps, maxChunk int) *run {
	if base.ks != nil {
		return mergeKeyed(base, buf, eps, maxChunk)
	}
	if r := mergeFixed(base, buf, eps, maxChunk); r != nil {
		return r
	}
	return buildRun(mergeSource(base, buf), eps, maxChunk)
}

// mergeFixed is the fast merge of a fixed-mode base with a buffer whose keys
// all have the base's shape (same length, same prefix): it merges the
// projections directly, never materialising a key. It returns nil when the
// shapes differ (or the result would have a longer common prefix, which a
// full build exploits).
func mergeFixed(base *run, buf *delta, eps, maxChunk int) *run {
	bn := base.size()
	if !base.fixed || bn == 0 {
		return nil
	}
	pl := len(base.prefix)
	ok := true
	live := bn - base.dead
	buf.tr.Scan(func(it deltaItem) bool {
		if len(it.key) != base.keyLen || !bytes.Equal(it.key[:pl], base.prefix) {
			ok = false
			return false
		}
		if !it.tomb {
			live++
		}
		return true
	})
	if !ok {
		return nil
	}
	r := &run{fixed: true, keyLen: base.keyLen, prefix: base.prefix,
		proj: make([]uint64, 0, live), handles: make([]uint64, 0, live)}
	i := 0
	// The writer does not touch base handles while a merge runs, so plain
	// copies are race-free here.
	emit := func(upto uint64, all bool) {
		j := bn
		if !all {
			j = i + sort.Search(bn-i, func(k int) bool { return base.proj[i+k] >= upto })
		}
		if j <= i {
			return
		}
		from := len(r.proj)
		r.proj = append(r.proj, base.proj[i:j]...)
		r.handles = append(r.handles, base.handles[i:j]...)
		i = j
		if base.dead == 0 {
			return
		}
		w := from
		for k := from; k < len(r.proj); k++ {
			if r.handles[k] != deadHandle {
				r.proj[w], r.handles[w] = r.proj[k], r.handles[k]
				w++
			}
		}
		r.proj, r.handles = r.proj[:w], r.handles[:w]
	}
	buf.tr.Scan(func(it deltaItem) bool {
		p := projAt(it.key, pl)
		emit(p, false)
		if i < bn && base.proj[i] == p {
			i++
		}
		if !it.tomb {
			r.proj = append(r.proj, p)
			r.handles = append(r.handles, it.handle)
		}
		return true
	})
	emit(0, true)
	r.n = len(r.proj)
	if r.n == 0 {
		return &run{}
	}
	r.buildModels(eps, maxChunk)
	if invariants {
		if err := r.verify(); err != nil {
			panic(err)
		}
	}
	return r
}

// mergeSource yields the live entries of base overlaid with buf.
func mergeSource(base *run, buf *delta) source {
	return func(yield func([]byte, uint64)) {
		var scratch []byte
		i := 0
		bn := base.size()
		emitBase := func(upto []byte, all bool) { // base entries < upto, or all
			for ; i < bn; i++ {
				k := base.key(i, scratch[:0])
				scratch = k[:0]
				if !all && bytes.Compare(k, upto) >= 0 {
					return
				}
				if h := base.handle(i); h != deadHandle {
					yield(k, h)
				}
			}
		}
		buf.tr.Scan(func(it deltaItem) bool {
			emitBase(it.key, false)
			if i < bn && bytes.Equal(base.key(i, scratch[:0]), it.key) {
				i++ // overridden or deleted by the buffer
			}
			if !it.tomb {
				yield(it.key, it.handle)
			}
			return true
		})
		emitBase(nil, true)
	}
}

// Scan implements Index. It merges the active buffer, the frozen buffer and
// the base; buffers are read in batches under their read locks.
func (l *Learned) Scan(from []byte, desc bool, fn func(key []byte, handle uint64) bool) {
	st := l.st.Load()
	b := st.base
	bn := b.size() // entries appended later are not visited
	// Position in the base.
	var pos int
	if desc {
		if from == nil {
			pos = bn - 1
		} else {
			p, found, _ := b.lowerBound(from)
			if !found {
				p--
			}
			pos = p
		}
	} else if from != nil {
		pos, _, _ = b.lowerBound(from)
	}
	if desc {
		pos = min(pos, bn-1)
	} else {
		pos = min(pos, bn)
	}
	var scratch [64]byte
	step := 1
	if desc {
		step = -1
	}
	var cur [2]*deltaCursor
	nc := 0
	if st.active.n.Load() > 0 {
		cur[nc] = newDeltaCursor(st.active, from, desc)
		nc++
	}
	if st.frozen != nil && st.frozen.n.Load() > 0 {
		cur[nc] = newDeltaCursor(st.frozen, from, desc)
		nc++
	}
	if nc == 0 && b.fixed {
		// Fastest path: the base alone, keys are the prefix followed by
		// the leading keyLen-len(prefix) bytes of the projection.
		k := append(scratch[:0], b.prefix...)
		k = append(k, 0, 0, 0, 0, 0, 0, 0, 0)
		pl := len(b.prefix)
		for ; pos >= 0 && pos < bn; pos += step {
			if h := b.handle(pos); h != deadHandle {
				binary.BigEndian.PutUint64(k[pl:], b.proj[pos])
				if !fn(k[:b.keyLen], h) {
					return
				}
			}
		}
		return
	}
	if nc == 0 { // fast path: the base alone
		for ; pos >= 0 && pos < bn; pos += step {
			if h := b.handle(pos); h != deadHandle {
				if !fn(b.key(pos, scratch[:0]), h) {
					return
				}
			}
		}
		return
	}
	for {
		// Pick the next key among the buffers (active first on ties).
		var best *deltaCursor
		for _, c := range cur[:nc] {
			if !c.valid() {
				continue
			}
			if best == nil {
				best = c
				continue
			}
			cmp := bytes.Compare(c.item().key, best.item().key)
			if (!desc && cmp < 0) || (desc && cmp > 0) {
				best = c
			}
		}
		baseOK := pos >= 0 && pos < bn
		var bk []byte
		if baseOK {
			bk = b.key(pos, scratch[:0])
		}
		if best == nil && !baseOK {
			return
		}
		if best != nil {
			it := best.item()
			cmp := 1
			if baseOK {
				cmp = bytes.Compare(bk, it.key)
				if desc {
					cmp = -cmp
				}
			}
			if cmp >= 0 { // the buffer entry comes first or shadows the base
				if cmp == 0 {
					pos += step
				}
				for _, c := range cur[:nc] { // skip the shadowed older entries
					if c != best && c.valid() && bytes.Equal(c.item().key, it.key) {
						c.next()
					}
				}
				best.next()
				if !it.tomb && !fn(it.key, it.handle) {
					return
				}
				continue
			}
		}
		h := b.handle(pos)
		pos += step
		if h != deadHandle && !fn(bk, h) {
			return
		}
	}
}

// Len implements Index.
func (l *Learned) Len() int { return int(l.count.Load()) }

// Stats implements Index.
func (l *Learned) Stats() Stats {
	st := l.st.Load()
	b := st.base
	s := Stats{
		Kind:       "learned",
		Keys:       l.Len(),
		Bytes:      b.bytes() + st.active.bytes(),
		Segments:   len(b.chunks),
		MaxError:   b.maxErr,
		BufferKeys: int(st.active.n.Load()) + int(b.tail.Load()),
		Merges:     l.merges.Load(),
		MergeNanos: l.mergeNanos.Load(),
	}
	if st.frozen != nil {
		s.Bytes += st.frozen.bytes()
		s.BufferKeys += int(st.frozen.n.Load())
	}
	if b.n > 0 {
		s.MeanError = b.sumErr / float64(b.n)
	}
	if n := l.lookups.Load(); n > 0 {
		s.WindowHitRate = float64(l.hits.Load()) / float64(n)
	}
	return s
}
