package index

// Index is an ordered map from encoded keys (package oltp/keycode: byte order
// equals SQL order) to row handles. It is the seam between the OLTP row state
// and the index structures: the learned index and the B-tree both implement
// it, so either can back any primary or secondary index and both can be
// compared on the same workload.
//
// Concurrency: one writer (the OLTP materializer) calls Put and Delete; any
// number of readers call Get, Scan and Len concurrently with it. A reader is
// never blocked by the writer for more than a bounded time. Scan sees a
// consistent snapshot of the index or a state at least as new as when it
// started for keys not yet visited (readers re-check row visibility by log
// offset, so both are acceptable to the row store). Precisely: it visits
// every key present for the whole scan exactly once, in order, and never a
// key twice; a key inserted or deleted while it runs may or may not be
// visited, independently of the others — a key inserted later can be
// visited while one inserted earlier is not. The row store needs no more:
// a reader's snapshot is applied, index entries included, before it scans.
//
// Keys passed in are owned by the caller and may be reused after the call
// returns: an implementation that keeps a key copies it. Keys handed to the
// Scan callback are valid only during the callback.
type Index interface {
	// Get returns the handle stored for key.
	Get(key []byte) (handle uint64, ok bool)
	// Put inserts key or replaces its handle (upsert).
	Put(key []byte, handle uint64)
	// Delete removes key; it reports whether the key was present.
	Delete(key []byte) bool
	// Scan calls fn for keys in order, starting at the first key >= from
	// (ascending) or the last key <= from (descending); from == nil starts at
	// the first (last) key. It stops when fn returns false.
	Scan(from []byte, desc bool, fn func(key []byte, handle uint64) bool)
	// Len returns the number of keys.
	Len() int
	// Stats describes the index's shape for observability.
	Stats() Stats
}

// Appender is implemented by indexes with a cheaper Put for ascending
// inserts. Append(key, handle) is Put(key, handle) for a key that sorts
// after every key the index has ever held (the caller knows it is absent
// and never deleted); the caller guarantees that, the index does not check.
type Appender interface {
	Append(key []byte, handle uint64)
}

// Stats is what an index reports about itself (omendb_index_stats()).
type Stats struct {
	Kind          string  // "learned" or "btree"
	Keys          int     // number of keys
	Bytes         int64   // memory used by the index structure, excluding row payloads
	Segments      int     // learned: number of linear models; btree: 0
	MeanError     float64 // learned: mean absolute prediction error (positions)
	MaxError      int     // learned: maximum prediction error (the search window)
	WindowHitRate float64 // learned: share of lookups resolved inside the error window
	BufferKeys    int     // learned: keys in the insert buffer
	Merges        int64   // learned: completed merges
	MergeNanos    int64   // learned: total time spent merging
}

// Factory makes an empty index; the row store calls it per index.
type Factory func() Index
