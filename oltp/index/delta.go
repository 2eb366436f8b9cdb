package index

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/tidwall/btree"
)

// deltaItem is a buffered change: an insert/upsert, or a tombstone that hides
// the key in older parts of the index.
type deltaItem struct {
	key    []byte // owned, never mutated after insertion
	handle uint64
	tomb   bool
}

func deltaLess(a, b deltaItem) bool { return bytes.Compare(a.key, b.key) < 0 }

// delta is the insert buffer of a Learned index: a small B-tree behind a
// RWMutex. The writer mutates the active delta holding the write lock for one
// operation; once frozen (handed to a merge) it is never mutated again.
// Readers hold the read lock for one lookup or one batch of a scan.
type delta struct {
	mu   sync.RWMutex
	tr   *btree.BTreeG[deltaItem]
	n    atomic.Int64 // entries, tombstones included
	keyB int64        // key bytes; writer-owned (read under mu)
}

func newDelta() *delta {
	return &delta{tr: btree.NewBTreeGOptions(deltaLess, btree.Options{NoLocks: true})}
}

func (d *delta) get(key []byte) (deltaItem, bool) {
	if d.n.Load() == 0 {
		return deltaItem{}, false
	}
	d.mu.RLock()
	it, ok := d.tr.Get(deltaItem{key: key})
	d.mu.RUnlock()
	return it, ok
}

// set stores an entry (a copy of key).
func (d *delta) set(key []byte, handle uint64, tomb bool) {
	k := append(make([]byte, 0, len(key)), key...) // never nil: nil means "no bound" in Scan
	d.mu.Lock()
	if _, replaced := d.tr.Set(deltaItem{key: k, handle: handle, tomb: tomb}); !replaced {
		d.n.Add(1)
		d.keyB += int64(len(k))
	}
	d.mu.Unlock()
}

func (d *delta) remove(key []byte) {
	d.mu.Lock()
	if _, ok := d.tr.Delete(deltaItem{key: key}); ok {
		d.n.Add(-1)
		d.keyB -= int64(len(key))
	}
	d.mu.Unlock()
}

func (d *delta) bytes() int64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return int64(float64(d.tr.Len())*40/0.7) + d.keyB
}

// deltaCursor walks a delta in order, copying batches of at most scanBatch
// entries under the read lock so that it never holds the lock while the
// caller's callback runs.
type deltaCursor struct {
	d       *delta
	desc    bool
	buf     []deltaItem
	i       int
	pivot   []byte
	resumed bool // pivot was already delivered
	done    bool
}

func newDeltaCursor(d *delta, from []byte, desc bool) *deltaCursor {
	c := &deltaCursor{d: d, desc: desc, pivot: from, buf: make([]deltaItem, 0, scanBatch)}
	c.fill()
	return c
}

func (c *deltaCursor) fill() {
	c.buf = c.buf[:0]
	c.i = 0
	collect := func(it deltaItem) bool {
		if c.resumed && bytes.Equal(it.key, c.pivot) {
			return true
		}
		c.buf = append(c.buf, it)
		return len(c.buf) < scanBatch
	}
	c.d.mu.RLock()
	switch {
	case c.desc && c.pivot == nil:
		c.d.tr.Reverse(collect)
	case c.desc:
		c.d.tr.Descend(deltaItem{key: c.pivot}, collect)
	case c.pivot == nil:
		c.d.tr.Scan(collect)
	default:
		c.d.tr.Ascend(deltaItem{key: c.pivot}, collect)
	}
	c.d.mu.RUnlock()
	if len(c.buf) < scanBatch {
		c.done = true
	}
}

func (c *deltaCursor) valid() bool { return c.i < len(c.buf) }
func (c *deltaCursor) item() deltaItem {
	return c.buf[c.i]
}

func (c *deltaCursor) next() {
	c.i++
	if c.i < len(c.buf) || c.done {
		return
	}
	c.pivot = c.buf[len(c.buf)-1].key
	c.resumed = true
	c.fill()
}
