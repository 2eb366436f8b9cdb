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
// The OLTP row store (package oltp) is the first sink; the OLAP column store
// will be a second materializer over the same log.
package materializer
