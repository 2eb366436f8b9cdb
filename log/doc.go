// Package log is OmenDB's write-ahead log: an ordered, durable sequence of
// records (groups of committed transactions) kept in one NATS JetStream
// stream. Every change — transactions, DDL, CDC positions — is appended here
// first; the OLTP and OLAP materializers build their state only by reading
// it back, and recovery is a replay. The log is the database: a state that
// cannot be rebuilt from it is a bug.
//
// # Shape
//
// Log and Iterator (log.go) are the seam; JetStream is the implementation,
// either on an embedded nats-server (Options.URL empty: JetStream in
// Dir/nats, no listener, an in-process connection, fsync per message
// unless Options.Unsafe) or on an external NATS server (Options.URL). The
// stream has one subject, file storage, one replica and no limits; Open
// creates it or reuses it. Retention is explicit (retention.go): Trim
// purges the stream below an offset the caller (server/retention.go)
// proved unneeded; FirstOffset is where the log now starts, and OffsetAt
// maps a time to the offset of the last record stored by then. Free disk
// space is guarded by the log itself (diskspace.go). Message bodies use OmenDB's own format
// (format.go, documented byte by byte in docs/format.md): versioned and
// CRC-32C checksummed, independent of NATS.
//
// # Invariants
//
//   - Durable on return: Append returns only after JetStream's PubAck, which
//     with SyncAlways (the embedded default) follows an fsync. With Unsafe a
//     power loss can lose acknowledged records; a process crash cannot.
//   - Offsets are stream sequences. A record's offset is the sequence of its
//     last message; offsets strictly increase but need not be dense.
//   - Records are atomic: a record too large for one message (Options.MaxChunk)
//     is published as consecutive chunk messages of one group, each
//     checksummed (two in flight at a time, each expecting its
//     predecessor, chunkstream.go); readers deliver it only when its final
//     chunk arrives, and drop the parts of groups that never completed (a
//     writer killed or fenced mid-append). Last ignores such groups too.
//     Each part's fragment is compressed with S2 when that saves an eighth
//     of it (docs/format.md, flagS2; Options.NoChunkCompression).
//   - One writer: every publish carries Nats-Expected-Last-Sequence, so a
//     second writer on the stream makes one of them fail with ErrFenced,
//     after which that writer refuses to append until Resync. Any other
//     failed Append (timeout, cancellation mid-publish, lost connection) has
//     an unknown outcome — the record may be stored — and the next Append
//     first re-reads the stream's last sequence; Last says where the log
//     ends.
//   - Pipelined appends (Pipelined, pipeline.go): StartAppend publishes a
//     record without waiting for its PubAck (which returns on the writer's
//     own reply subscription), so the next record is sent while this one is
//     stored and synced. Each message expects the last sequence its
//     predecessor will leave and, while that predecessor is in flight, its
//     message id (Nats-Expected-Last-Msg-Id; every message carries a
//     Nats-Msg-Id): a record is stored right after its predecessor or not
//     at all — a sequence that merely matches, because a foreign message
//     took the place of a refused predecessor, does not let it in. Once an
//     append fails, every append in flight after it fails too and
//     StartAppend refuses until Recover, which then does what a failed
//     Append does.
//   - Local tail (embedded server only; recent.go): a reader that has
//     delivered every message known to be stored stops its consumer and
//     takes this process's acknowledged appends from the writer, in
//     sequence order; it starts a consumer at its position again as soon
//     as the stream is known to hold a message there that is not one of
//     them (an append whose outcome was unknown, a raw message). Every
//     failed append, and every reader idle for localPoll, re-reads the
//     stream's last sequence, so no stored message is skipped or waits
//     longer than that. The stored parts of this process's append still in
//     flight (a chunked record) are not pulled: the reader waits for the
//     append's outcome, then takes the record or, if it failed, reads them.
//   - Trimmed records are never skipped: the stream is dense from
//     FirstOffset to its last sequence (no deletes; trims are purges at
//     record boundaries that always keep the last record), and a Read from
//     below FirstOffset — or one that meets a gap because a trim ran under
//     it — fails with a *TrimmedError (errors.Is ErrTrimmed) naming the
//     first retained offset.
//   - The disk is never filled by the log: with the embedded server an
//     append that would leave less than Options.DiskReserve free is refused
//     unsent with ErrDiskFull (SQLSTATE 53100) and the writer stays usable;
//     lack-of-space errors from JetStream map to the same error, and after
//     one the next append reloads JetStream to clear nats's sticky store
//     write error.
//   - Corruption is never skipped: a message that fails its checksum or
//     cannot be decoded ends a Read with an error matching ErrCorrupt (and
//     pgerr.ErrCorrupt, SQLSTATE XX001) that names the offset; a format
//     version, flag or op kind this build does not know ends it with
//     ErrUnknownFormat. OffsetOf extracts the offset.
//
// # Goroutines and ownership
//
//   - Append, StartAppend, Recover, AppendRaw and Resync: one goroutine at
//     a time (OmenDB's committer, which does group commit above this
//     package). The Pendings StartAppend returns are waited for in order,
//     by one goroutine at a time, which may be another one (the
//     committer's acks goroutine); Append is not mixed with appends in
//     flight. r must not be
//     modified once passed to Append: readers of this process that are open
//     and behind it are handed r itself when they reach its offset
//     (recent.go) — its rows still decoded in Op.Vals, no bytes decoded —
//     provided the stored body has r's length and CRC-32C; other readers,
//     and records whose readers passed them, decode the bytes as usual.
//   - Read, Last, FirstOffset, OffsetAt, FreeSpace and Trim: any goroutine,
//     concurrently with Append and each other (one Trim at a time).
//     Each Read starts a pump goroutine and an ordered consumer (with the
//     embedded server, only while the reader is behind the log's end: see
//     Local tail) that pulls messages in batches (Options.ReadBatch); the
//     pump reassembles and decodes them ahead of the caller; the iterator it returns belongs to one goroutine
//     (Next and Close). Close every iterator; Close stops its pump.
//   - An Entry's Record belongs to the caller, read-only (it may be the
//     record this process appended, shared with other readers). Its Key and
//     Row slices share one buffer per message (no copy per op); they are
//     never reused by the log.
//   - Close (of the JetStream) after all iterators are closed and Append has
//     returned; it closes the connection and shuts the embedded server down.
//
// # Tools
//
// AppendRaw and InjectRaw publish arbitrary bytes through the writer's
// fencing. They exist for tests and tools that must prove corruption is
// detected (the crash tests inject garbage into a stopped server's Dir).
package log
