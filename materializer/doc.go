// Package materializer applies the log to OmenDB's stores.
//
// A Materializer follows the log (package log) from its sink's applied
// offset: at start it replays everything up to the offset that was last when
// it started (crash recovery; the server reports ready only after that) and
// then tails new records. Each record is applied exactly once, in offset
// order, by the materializer's own goroutine — the sink's single writer.
//
// Invariants:
//   - A record is applied entirely or not at all (the sink publishes its new
//     applied offset only after applying every operation of the record).
//   - A record that fails to decode (checksum, unknown version) or to apply
//     stops the materializer with an error naming its offset. Nothing is
//     skipped silently; the server then stays not-ready.
//
// The OLTP row store (package oltp) and the OLAP column store (package olap)
// are the two sinks, each with its own materializer over the same log. The
// committer's own records reach both without being decoded again: it
// applies them to the row store itself, and the log hands them to this
// process's readers as appended, rows already decoded (log.Op.Vals).
package materializer
