package index

import (
	"bytes"
	"sync"

	"github.com/tidwall/btree"
)

// btreeItem is one entry of the B-tree. key is owned by the tree and never
// mutated after insertion, so readers may hold it after releasing the lock.
type btreeItem struct {
	key    []byte
	handle uint64
}

func btreeLess(a, b btreeItem) bool { return bytes.Compare(a.key, b.key) < 0 }

// scanBatch is how many entries a Scan copies out under one read lock. It
// bounds how long a scanning reader can delay the writer (and vice versa).
const scanBatch = 64

// BTree is the B-tree peer of the learned index: github.com/tidwall/btree
// behind a sync.RWMutex. The writer holds the write lock for one Put or
// Delete; readers hold the read lock for one Get or for copying one batch of
// at most scanBatch entries during a Scan, so neither side waits for more
// than one bounded operation.
type BTree struct {
	mu       sync.RWMutex
	tr       *btree.BTreeG[btreeItem]
	keyBytes int64 // sum of key lengths; guarded by mu
}

// NewBTree returns an empty B-tree index.
func NewBTree() *BTree {
	return &BTree{tr: btree.NewBTreeGOptions(btreeLess, btree.Options{NoLocks: true})}
}

var _ Index = (*BTree)(nil)

// Get implements Index.
func (b *BTree) Get(key []byte) (uint64, bool) {
	b.mu.RLock()
	it, ok := b.tr.Get(btreeItem{key: key})
	b.mu.RUnlock()
	return it.handle, ok
}

// Put implements Index.
func (b *BTree) Put(key []byte, handle uint64) {
	k := append(make([]byte, 0, len(key)), key...) // never nil: nil means "no bound" in Scan
	b.mu.Lock()
	if _, replaced := b.tr.Set(btreeItem{key: k, handle: handle}); !replaced {
		b.keyBytes += int64(len(k))
	}
	b.mu.Unlock()
}

// Delete implements Index.
func (b *BTree) Delete(key []byte) bool {
	b.mu.Lock()
	_, ok := b.tr.Delete(btreeItem{key: key})
	if ok {
		b.keyBytes -= int64(len(key))
	}
	b.mu.Unlock()
	return ok
}

// Load implements Loader with tidwall's Load, which appends in O(1) while
// keys ascend past the current maximum and falls back to Set otherwise.
func (b *BTree) Load(keys [][]byte, handles []uint64) {
	b.mu.Lock()
	for i, k := range keys {
		k = append(make([]byte, 0, len(k)), k...)
		if _, replaced := b.tr.Load(btreeItem{key: k, handle: handles[i]}); !replaced {
			b.keyBytes += int64(len(k))
		}
	}
	b.mu.Unlock()
}

// Scan implements Index. It copies at most scanBatch entries at a time under
// the read lock and calls fn with the lock released, resuming after the last
// key it delivered; entries changed between batches are seen in their newer
// state.
func (b *BTree) Scan(from []byte, desc bool, fn func(key []byte, handle uint64) bool) {
	var buf [scanBatch]btreeItem
	pivot := from
	first := true
	for {
		n := 0
		b.mu.RLock()
		collect := func(it btreeItem) bool {
			if !first && bytes.Equal(it.key, pivot) {
				return true // resume point, already delivered
			}
			buf[n] = it
			n++
			return n < scanBatch
		}
		switch {
		case desc && pivot == nil:
			b.tr.Reverse(collect)
		case desc:
			b.tr.Descend(btreeItem{key: pivot}, collect)
		case pivot == nil:
			b.tr.Scan(collect)
		default:
			b.tr.Ascend(btreeItem{key: pivot}, collect)
		}
		b.mu.RUnlock()
		for i := 0; i < n; i++ {
			if !fn(buf[i].key, buf[i].handle) {
				return
			}
		}
		if n < scanBatch {
			return
		}
		pivot = buf[n-1].key
		first = false
		clear(buf[:])
	}
}

// Len implements Index.
func (b *BTree) Len() int {
	b.mu.RLock()
	n := b.tr.Len()
	b.mu.RUnlock()
	return n
}

// Stats implements Index. Bytes is an estimate: the items (slice header and
// handle, 32 bytes) at tidwall's typical ~70% node fill, the child pointers
// of internal nodes, plus the key bytes themselves.
func (b *BTree) Stats() Stats {
	b.mu.RLock()
	n := b.tr.Len()
	kb := b.keyBytes
	b.mu.RUnlock()
	const itemSize = 32
	bytesEst := int64(float64(n)*itemSize/0.7) + int64(n)/40*8*64 + kb
	return Stats{Kind: "btree", Keys: n, Bytes: bytesEst}
}
