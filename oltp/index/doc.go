// Package index holds the ordered indexes of the OLTP row state: the learned
// index (Learned, the default for every primary and secondary key) and a
// B-tree peer (BTree, github.com/tidwall/btree) that stays selectable with
// CREATE INDEX … USING btree or a server flag, so both run the same SQL
// workload. Both implement Index; New(kind) makes either, and
// NewWithKeySource(kind, ks) makes a primary-key index whose learned form
// stores no keys (key-source mode, below). Keys are byte strings in keycode
// order (package oltp/keycode); values are uint64 row handles.
//
// # The learned index
//
// A Learned index has three parts, published together as one immutable
// *state through an atomic pointer:
//
//   - base: an immutable sorted run (keys, handles) with a two-level model.
//     The run is cut into chunks of at most 4096 keys; each chunk has one
//     linear model pos = slope·x + icpt over a numeric projection x of its
//     keys, and the exact largest deviation err of any key from its
//     prediction, measured when the chunk is built. Chunks whose err exceeds
//     Epsilon (16) are halved until it does or they reach 32 keys, so easy
//     data gets long chunks and adversarial data short ones. The top level
//     finds a key's chunk with a radix table over the projections of the
//     chunks' first keys (about two chunks per bucket) and a binary search
//     inside the bucket.
//   - active: the insert buffer, a small B-tree behind its own RWMutex that
//     takes new keys, upserts of buffered keys, and tombstones.
//   - frozen: while a merge runs, the previous active buffer, never mutated
//     again; a background goroutine merges base and frozen into a new base
//     (the merge is O(n) and copies projections only, for fixed-mode runs),
//     then installs {active, nil, newBase}.
//
// Appends: a new key that sorts after every base key and has the base's
// fixed shape (ascending sequences, timestamps — the common OLTP insert) is
// appended in place to the base's arrays instead of the buffer: the writer
// stores the entry, then publishes it by incrementing an atomic tail count.
// Every MinBuffer (4096) appended keys the writer fits chunk models to the
// tail and publishes a run that shares the arrays; when the arrays are full
// it publishes a copy with 25% more room (amortised O(1) per append).
// Lookups beyond the modelled keys binary-search the short tail. A caller
// that knows its key sorts after every key the index ever held (the row
// store tracks its table's largest key) calls Append (interface Appender),
// which takes the same path without the searches of the buffers and the
// base that Put starts with.
//
// A merge starts when the active buffer (or the count of entries deleted in
// place) reaches max(4096, n/16): amortised, each insert pays for copying 16
// keys, in the background. Upserts and deletes of keys that live in the base
// are applied in place while no merge runs: the handle is stored atomically
// (a delete stores the reserved handle math.MaxUint64), so an OLTP update
// never touches the buffer.
//
// Projection: in fixed mode (all keys of a run have one length and at most 8
// bytes follow the run's common prefix: integer, date, timestamp, float, and
// most single-column keys) the key is its 8-byte projection after the prefix,
// no key bytes are stored, and an index costs 16 bytes per key (8 projection,
// 8 handle) plus ~0.1 byte of models. Otherwise (composite, text) the keys
// live in one arena and each chunk projects the 8 bytes that follow the
// chunk's own common prefix, so long shared prefixes cost nothing; keys with
// equal projections are ordered by comparing the full keys.
//
// # Key-source mode
//
// A primary key need not be stored twice: the row store keeps each row's
// encoded key in its version chain, reachable from the handle (HyPer's ART
// does the same with tuple identifiers). A Learned index made with a
// KeySource (LearnedOptions.KeySource; the row store's primary indexes)
// stores per base key only
//
//   - a handle: uint32 when every handle of the run is below 2^32 (narrow
//     runs), else uint64;
//   - a 32-bit fingerprint, order-preserving within its chunk: each chunk
//     keeps its keys' common prefix (in a per-run arena, once per chunk), the
//     projection base of its first key and a shift chosen so that the
//     chunk's range of projections fits 32 bits; a key's fingerprint is
//     (projection after the chunk prefix − base) >> shift. Fingerprints are
//     monotone non-decreasing within a chunk and the chunk's model predicts
//     on them.
//
// A lookup finds the chunk as in the other modes (the top level keeps the
// chunks' first-key projections), checks the probe against the chunk prefix,
// binary-searches the fingerprints inside the model's window, and fetches
// keys through the KeySource only to order keys with equal fingerprints and
// for Get's final exact-match check. A chunk is exact when its keys have one
// length L, at most 8 bytes follow the prefix and the shift drops only bits
// that are zero in every projection: then equal fingerprints mean equal keys
// for an L-byte probe and nothing is fetched (sequential and dense integer
// keys). Uniform 64-bit keys fetch one key per Get.
//
// In this mode upserts of base keys are in place as before (the new handle
// must fit the run's width, else it goes to the buffer), appends beyond the
// last key store only the handle (the tail is searched by fetching keys and
// gets fingerprints when it is modelled), and deletes always go to the
// buffer as tombstones: a base entry's handle is the only way to its key, so
// it is never overwritten with the dead marker. The insert buffer keeps its
// keys. A merge looks up each buffered key in the old base to splice the
// handle lists (fetching only the keys those lookups need), then builds the
// new run, fetching every key once through a per-window cache. Scan fetches
// the keys it hands to its callback. The default Epsilon is 32 (fingerprints
// are half the size of projections, so the window costs the same cache
// lines).
//
// Memory: 4 bytes of fingerprint + 4 (narrow) or 8 bytes of handle per key,
// plus models (56-byte chunk, 8-byte top-level entry, 2–4 radix entries and the
// chunk prefix per chunk: ~0.05 bytes per key for uniform keys, ~1.5 for
// adversarial ones) — about 8.1 bytes per key, against 16 in fixed mode.
// Arrays are allocated at their exact size by builds and merges; only
// in-place appends leave room (up to 25%) until the next merge.
//
// KeySource contract (the invariant the row store keeps): ks(h) returns the
// key h was Put or Loaded with, unchanged, for as long as the index exists —
// a reader may hold a handle of an entry the writer has since replaced or
// deleted; ks is safe for concurrent use and does not wait for the writer.
// The row store meets it because a chain is added to its table's handle
// table before its handle is indexed, chains are never removed from it
// (Reclaim trims versions, never chains; DROP TABLE drops the index with
// the table) and a chain's key is immutable.
//
// # Invariants
//
//  1. A run's keys are strictly ascending; proj (fp in key-source mode) is
//     monotone non-decreasing within a chunk (fixed mode: strictly, over the
//     whole run).
//  2. For every key at position i of chunk c: |i − c.start − pred(key)| ≤
//     c.err. Hence the lower bound of any probe lies in
//     [pred−err−1, pred+err+2] (slope ≥ 0). Lookups search only that
//     window; its two edges are re-checked, and a miss (a model defect,
//     counted and required to be zero by the tests) falls back to a search
//     of the whole chunk, so a bad model can cost time, never correctness.
//  3. Lookup precedence is active, then frozen, then base: a key's newest
//     entry wins and a tombstone (or a dead handle) hides older ones.
//  4. Only the writer swaps the state, except that the merger installs the
//     merged state while the merging flag is set; the writer reads the flag
//     before loading the state and updates base handles (and appends) in
//     place only when no merge runs, so no in-place change is lost by a
//     merge.
//  5. Appended entries are written before the tail count that makes them
//     visible is incremented; positions at or beyond a run's visible size
//     may be written by the writer, never read by readers of that run.
//  6. Len is maintained by the writer, which checks presence before each
//     Put and Delete.
//
// # Concurrency
//
// One writer goroutine (the OLTP materializer) calls Put, Delete, Load and
// Flush. Any number of readers call Get, Scan, Len and Stats concurrently.
// Readers never wait for a merge; they wait for the writer only on the
// buffer's lock, held for one B-tree operation. Scan copies buffer entries in
// batches of 64 under the read lock and never runs the caller's callback
// while holding a lock. A Get or Scan sees the state it loaded at its start
// (later merges do not disturb it) plus whatever the writer has since put in
// the active buffer; base handles are read atomically and may be newer. So a
// Scan does not visit keys appended in place after it started, but does
// visit buffer entries written since — an append or upsert that could not go
// in place (a handle too wide for a narrow run, a key of another shape) —
// even for keys beyond ones it skips: allowed by Index.Scan, as every such
// key was inserted after the scan started.
//
// Memory ownership: keys passed in are copied if kept; a run's arrays are
// never mutated after publication except handles (atomically) and, in
// key-source mode, the fingerprints of appended tail positions, written
// before the run that models them is published and never read through the
// older run. Keys handed to a Scan callback are valid only during the
// callback. A KeySource is called from readers, the writer and the merge
// goroutine.
//
// # B-tree peer
//
// BTree is tidwall/btree behind a sync.RWMutex with the same batched Scan;
// its Stats report only Keys and an estimate of Bytes.
//
// # Observability
//
// Stats: Segments is the number of chunk models; MeanError the mean absolute
// deviation (positions) of keys from their chunk's prediction; MaxError the
// largest search half-window; WindowHitRate the share of sampled base
// lookups (1 in 16) whose answer lay within 8 positions — one cache line — of
// the prediction (0 before any lookup); BufferKeys the buffered entries
// (tombstones included); Merges and MergeNanos the completed merges and their
// total duration. All fields are cheap to read and safe to export to
// Prometheus as gauges and counters.
//
// # Limits
//
// One run holds at most 4 GiB of key bytes in general mode. Handle
// math.MaxUint64 is reserved. Lookups pay a B-tree probe of the buffer when
// it is not empty (at most n/16 entries, usually far fewer).
package index
