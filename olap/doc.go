// Package olap is OmenDB's column store. A second materializer follows the
// log and applies every record to a Store: per table, segments of rows in
// append order — sealed, immutable Apache Arrow columns (Int64, Float64,
// String or dictionary-encoded String, Binary (also arrays, as their row
// encoding; expressions over them run row by row), numerics as Int64
// coefficients with one exponent) with a zone map (min, max, null count) per
// column, plus one open segment of decoded rows that is sealed once it holds
// DefaultSegmentRows rows.
//
// Visibility: every row carries the offset that inserted it and the offset
// that ended it (update, delete, truncate; 0 while live). A scan at snapshot
// S sees row i iff Ins[i] <= S < Del[i] (Del 0 = ∞), which is exactly the row
// store's MVCC rule, so a column scan at S returns the row store's rows at
// S. A reader must first wait until Applied() >= S (WaitApplied): one offset
// per statement, never a mix.
//
// Checkpoints (checkpoint.go; docs/checkpoint-format.md): Capture takes the
// state at the applied offset under the apply lock (copying only delete
// offsets; sealed columns are retained, open rows are append-only), and
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
// Keys (keys.go): each table finds the newest version of a key through a
// map from a 64-bit hash of the key to the row's position; the keys
// themselves are kept once, in a byte arena per segment, and every hit is
// checked against them (keys whose hash is taken go to a small string map).
//
// Concurrency: Apply runs on the materializer's goroutines (its follower
// or its feeder, one at a time). TryApply is the committer's inline path
// (materializer.Direct, before the commit is acknowledged): it applies a
// record of at most TryApplyMaxOps row operations only if it can take the
// apply lock and every table's lock without waiting — a scan holding a
// table's read lock never delays a commit — and otherwise changes nothing. A full segment of
// DefaultSegmentRows rows is sealed by the store's sealer goroutine, off the
// materializer's: it builds the Arrow columns from the rows (which no
// longer change) without the table's lock and publishes them under it;
// until then scans read the segment as an open one. When the sealer is two
// segments behind the materializer seals inline. Capture (checkpoints) and
// Close wait for pending seals. Each Table's mutex guards its segments'
// Ins/Del slices, the open segments' rows, key arenas and the switch to
// sealed; scans take the read lock per segment step. Lock order:
// Store.applyMu → Store.mu → Table.mu; Store.sealMu is a leaf. Arrow memory comes from the Store's allocator; Close
// releases it. Compact replaces segments with many dead rows without
// releasing the old ones (running scans may hold them).
package olap
