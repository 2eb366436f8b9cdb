// Package pgcdc ingests a PostgreSQL database into OmenDB by logical
// replication (pgoutput protocol v2 through jackc/pglogrepl): CREATE SOURCE
// creates one read-only OmenDB table per published table, copies them at
// the replication slot's exported snapshot, then streams changes.
//
// # Durable state (all of it in the log, as OpMeta and catalog changes)
//
//   - "sources": JSON list of source names;
//   - "source:<name>": the Definition (conninfo, publication, slot, the
//     slot's consistent point, the table map and snapshot chunk layout,
//     the map of the source's enum types to their mirrors: read-only
//     OmenDB enum types that follow the source's labels, enums.go; and the
//     schemas CREATE SOURCE created for its tables and mirrors — user
//     schemas DROP SOURCE drops once empty, schemas.go);
//   - "source-lsn:<name>": 8-byte end LSN of the last source transaction
//     in the log — committed in the same OmenDB transaction as its rows,
//     so it is the exactly-once anchor;
//   - "source-chunk:<name>:<table>:<chunk>": a snapshot chunk is in the log
//     (committed with the chunk's rows);
//   - "source-table-error:<name>:<table>": the table stopped replicating;
//   - "source-table-from:<name>:<table>": 8-byte LSN: the table was copied
//     again at a snapshot consistent at this LSN (a table without a key
//     whose snapshot was interrupted), so streamed transactions ending at
//     or below it are skipped for that table.
//
// Definitions are log events, so they survive restarts and point-in-time
// recovery; the Manager reads them from oltp.Store.Meta after recovery.
//
// # Invariants
//
//   - The flush LSN acknowledged to PostgreSQL never exceeds the end LSN of
//     the last source transaction durable in the log, except when nothing
//     received is waiting for the log: then a keepalive's WAL end is
//     acknowledged so an idle source's slot advances.
//   - After a restart, replication starts at "source-lsn" and transactions
//     ending at or below it are skipped.
//   - Snapshot chunks are ctid ranges of about 20k rows, read with binary
//     result values (decoded by rowDecoder: exactly types.ParseBinary's
//     values, cut from per-chunk slabs of Values, decimals and text bytes
//     instead of allocated one by one); each is one OmenDB transaction
//     carrying its chunk marker (one log record: rows and marker are
//     durable together or not at all). After a crash during the snapshot the exported snapshot is
//     gone. Keyed tables: the remaining chunks are read at a newer
//     snapshot and written as upserts, and streaming from the consistent
//     point replays the changes in between, which converges. Tables
//     without a key cannot converge that way (a replayed insert would be
//     a duplicate, a replayed delete would miss), so such a table starts
//     over: a temporary slot exports a snapshot consistent at LSN L, one
//     transaction truncates the table, clears its chunk markers and
//     records L ("source-table-from"), every chunk is copied again at that
//     snapshot, and streaming skips the table's changes in transactions
//     ending at or below L. The result is exact (tests/cdc
//     TestKeylessSnapshotResume).
//   - Each source transaction is one OmenDB log transaction carrying its
//     own "source-lsn" marker (its end LSN). While a commit is in flight,
//     later source transactions queue; the next commit takes them all as
//     one write set cut into one log transaction per source transaction
//     (oltp.Writes.Split), validated together and appended in one record,
//     so throughput is not one fsync per source transaction.
//
// # Goroutines
//
// Per source: run (supervisor, retries with backoff and records the last
// error on the status), two snapshot workers while copying (each reads and
// parses its next chunk while a goroutine commits its previous one), and while
// streaming a receiver (reads the slot, decodes, acknowledges) and an
// applier (commits in order; it records where each source transaction
// spent its time, Manager.Timings). Manager.mu guards the source map;
// Manager.ddlMu serialises CREATE/DROP SOURCE. Status fields are atomics or
// guarded by source.mu; neither lock is held while committing or talking to
// PostgreSQL.
package pgcdc
