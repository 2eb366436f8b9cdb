// Package olap is OmenDB's column store. A second materializer follows the
// log and applies every record to a Store: per table, segments of rows in
// append order — sealed, immutable Apache Arrow columns (Int64, Float64,
// String or dictionary-encoded String, Binary (also arrays, as their row
// encoding; expressions over them run row by row), numerics as Int64
// coefficients with one exponent) with a zone map (min, max, null count) per
// column, plus one open segment of decoded rows that is sealed once it holds
// DefaultSegmentRows rows. Rows a record carries encoded only (a COPY's, or
// any record read back from the log) are decoded with types.RowSlab: their
// strings alias the record's immutable row bytes and their values come from
// shared blocks, so an open row costs no allocation of its own; what a
// sealed segment keeps as values (zone maps, boxed columns) is copied.
// Store.Yield, called between batches of a large record's operations,
// lets the server make the column store wait while the row store applies
// a bulk record (oltp.Store.WaitBulk): that apply is on a COPY's way to
// its answer, the column store's is not.
//
// Visibility: every row carries the offset that inserted it and the offset
// that ended it (update, delete, truncate; 0 while live). A scan at snapshot
// S sees row i iff Ins[i] <= S < Del[i] (Del 0 = ∞), which is exactly the row
// store's MVCC rule, so a column scan at S returns the row store's rows at
// S. A reader must first wait until Applied() >= S (WaitApplied): one offset
// per statement, never a mix.
//
// Checkpoints (checkpoint.go; docs/checkpoint-format.md): Capture takes the
// state at the applied offset S under the apply lock (references only:
// sealed columns are retained, open rows are append-only; the delete
// offsets are copied after the lock is released, those past S as 0), and
// WriteTable encodes a table as Arrow IPC streams in checksummed frames
// without any lock. LoadTable fills an empty store (which reports offset 0
// until Loaded publishes the checkpoint's offset); the materializer then
// replays the log after it.
//
// Seeding (seed.go): when no checkpoint can be followed by the log (it was
// trimmed), Seed fills an empty store from the row store at its applied
// offset R — every visible row appended with Ins = R, full segments sealed
// on the other cores while the scan goes on — and publishes Oldest() = R
// before the applied offset. A seeded store, and one loaded from a
// checkpoint of it (the manifest records Oldest), has no history below R:
// readers at a snapshot below Oldest() must not scan it (package vexec
// checks after waiting for the snapshot). Seed retakes its snapshot if a
// DDL record is applied to the row store during the scan.
//
// Rewrites (catalog.RewriteTable, ALTER COLUMN … TYPE): the record goes on
// with a truncate and every row in the new definition. The table starts a
// new generation of segments (newGeneration); the old ones stay as they
// were, with the definition their columns were built under, published as
// the snapshot's Prior for scans at snapshots before the rewrite
// (SegmentsAt), so no segment is ever read under a definition it was not
// written in. A checkpoint holds the current generation and the offset it
// starts at (since); a store loaded from it reads no older snapshot of the
// table (Holds: those read the row store). Old generations' segments are
// retired: released with the table.
//
// Keys (keys.go): each table finds the newest version of a key through a
// map from a 64-bit hash of the key to the row's position; the keys
// themselves are kept once, in a byte arena per segment, and every hit is
// checked against them (keys whose hash is taken go to a small string map).
// A key that is one tagged 8-byte value (an integer primary key) is its own
// map key in a second map, so its hits need no such check.
//
// Concurrency: Apply runs on the materializer's goroutines (its follower
// or its feeder, one at a time). TryApply is the committer's inline path
// (materializer.Direct, before the commit is acknowledged): it applies a
// record of at most TryApplyMaxOps row operations only if it can take the
// apply lock and every table's lock without waiting, and otherwise changes
// nothing. Nor does it allocate a segment or seal one: each table keeps a
// spare open segment, allocated by a goroutine of its own when the
// previous spare is taken, so a record that fills a segment is applied
// inline too when the sealer has room.
//
// Scans take no lock, so they never delay an append (nor the committer's
// acknowledgement). Each table and each segment has a writer's side and a
// published side:
//   - Table: the writers (apply path, the sealer's publish, Compact,
//     Capture's copy) serialize on Table.mu; the definition and the
//     segment list are published as one immutable Snapshot through an
//     atomic pointer (Segments), replaced — never modified in place —
//     whenever either changes. Live rows are an atomic counter.
//   - Segment: the writer appends to Ins, Del, rows (and the key arena,
//     which only the writers read) and then publishes: a new view (the
//     arrays resliced to their capacity, plus the Arrow columns once
//     sealed) only when an array was replaced — grown, sealed, loaded —
//     then the row count n. A reader loads n, then the view, and reads rows
//     [0, n) of it: a row is complete before n covers it (never torn) and
//     its insert offset and values never change. Delete offsets change in
//     place, with atomic stores and loads.
//   - Why a scan at snapshot S is exact: it starts only once Applied() >=
//     S, so every write of every record <= S (appends, delete offsets, a
//     grown array's view) happened before it loaded anything; whatever the
//     writer does meanwhile belongs to records > S — rows with Ins > S,
//     delete offsets > S — which the visibility rule hides. A reader still
//     holding an array the writer has since replaced (grown, or a segment
//     Compact replaced) misses only those later writes.
//   - Sealing: a full segment of DefaultSegmentRows rows is sealed by the
//     store's sealer goroutine, off the materializer's: it builds the Arrow
//     columns from the rows (which no longer change) without any lock and
//     publishes them under the table's mutex with one pointer store (a
//     sealed view sharing the Ins/Del arrays, so later delete offsets reach
//     both); until then scans read the segment as an open one, and a scan
//     that loaded the open view keeps reading the rows (the same values).
//     When the sealer is two segments behind the materializer seals inline.
//   - Memory: sealed columns are never cleared while published; DROP TABLE
//     and Close return their Arrow buffers to the allocator (with the Go
//     allocator the server uses, a scan still reading a dropped table at
//     an older snapshot reads valid memory). Compact replaces segments with
//     many dead rows without releasing the old ones (running scans may hold
//     them).
//
// Capture (checkpoints) and Close wait for pending seals. Lock order:
// Store.applyMu → Store.mu → Table.mu; Store.sealMu is a leaf. Arrow memory
// comes from the Store's allocator; Close releases it.
package olap
