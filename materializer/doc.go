// Package materializer applies the log to OmenDB's stores.
//
// A Materializer follows the log (package log) from its sink's applied
// offset: at start it replays everything up to the offset that was last when
// it started (crash recovery; the server reports ready only after that) and
// then tails new records. Each record is applied exactly once, in offset
// order.
//
// Two paths feed a sink, serialized by the materializer's lock (the check
// of the sink's applied offset and the Apply are one step under it):
//   - the follower (Run's goroutine) applies each record the log delivers
//     that the sink has not applied yet — every record of replay, recovery
//     and other writers, and any the other path left;
//   - the direct path (Direct): the committer hands over each record it
//     made durable (oltp.Committer.OnDurable), rows still decoded, and it
//     is applied at once — on the committer's goroutine when the sink is a
//     TrySink that can apply it without waiting for a lock, else by the
//     materializer's feeder goroutine — but only if the sink's applied
//     offset is the record's offset minus one: then the stream sequence
//     just before it completes the record applied last, so nothing lies
//     between (a record chunked over several messages never passes the
//     test and is left to the follower). Anything else is dropped; the
//     follower applies it when the log delivers it and skips the records
//     the direct path applied (reading the sink's applied offset without
//     the lock, so that it never makes the committer's TryLock fail).
//
// Invariants:
//   - A record is applied entirely or not at all (the sink publishes its new
//     applied offset only after applying every operation of the record).
//   - A record that fails to decode (checksum, unknown version) or to apply
//     (on either path) stops the materializer with an error naming its
//     offset. Nothing is skipped silently; the server then stays not-ready.
//
// The OLTP row store (package oltp) and the OLAP column store (package olap)
// are the two sinks, each with its own materializer over the same log. The
// committer's own records reach both without being decoded again: it
// applies them to the row store itself and hands them to the column
// store's materializer (Direct) before acknowledging them, and the log
// hands them to this process's readers as appended, rows already decoded
// (log.Op.Vals).
package materializer
