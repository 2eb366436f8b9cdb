// Package oltp is OmenDB's row state and its commit path.
//
// # Row state (Store)
//
// Every table is a primary index (encoded primary key, or a hidden row id
// for tables without one → row handle) over MVCC version chains. A version
// carries the log offset that wrote it (Begin) and the offset that replaced
// or deleted it (End). A reader at snapshot S sees the version with
// Begin <= S < End: exactly the state after applying the log up to S. Keys
// are encoded with package oltp/keycode (byte order = SQL order) and
// indexed by package oltp/index (the learned index by default, a B-tree on
// request). Secondary index entries are (index key ‖ primary key) →
// handle; readers re-check that the visible version still has the entry's
// key, so stale entries are harmless. An index key is its columns' values
// or, for an index on expressions, the expressions' values; a partial
// index has entries only for rows its predicate holds (re-checked too).
// Expressions are package sql's to bind and evaluate: it registers an
// IndexCompiler, and every key — the session's checks, the committer's
// unique validation, apply, replay, checkpoint load — comes from IndexKey
// (indexkey.go). An expression failing on apply (a broken invariant)
// marks that index broken instead of stopping the apply.
//
// Invariants:
//   - Apply is called in offset order, for each record exactly once; it is
//     serialised by applyMu (the materializer and the committer both apply).
//     Applied() advances only after every operation of a record is in place,
//     so no reader sees half a record.
//   - Versions are never modified after publication except End, which is
//     set once (atomically) when the version is superseded.
//   - A chain is added to its table's handle table before its handle is
//     indexed, and is never removed nor its key changed while the table
//     exists (Reclaim trims versions, not chains): learned primary indexes
//     store no keys and read them from the chains by handle
//     (index.KeySource, Store.newPKIndex).
//   - Reclaim drops versions older than the newest one at or below the
//     horizon: the oldest pinned snapshot (Pin, PinLatest, PinAt, and
//     PinApplied/Unpin, the allocation-free pair point reads use), and, with
//     a time-travel window (SetTimeTravelWindow), the newest offset stored
//     at least the window ago. A reader pins its snapshot for as long as it
//     reads. The floor (Oldest) is the highest horizon used so far, or the
//     offset of the checkpoint the store was loaded from: snapshots below it
//     are refused (PinAt → ErrTooOld), never read wrong. CatalogAt returns
//     the catalog a snapshot inside the window binds against (history.go).
//
// # Transactions (Writes, Committer)
//
// A transaction buffers its writes in a Writes (one per session goroutine),
// reading the snapshot with its own writes overlaid (package sql does the
// overlay). At COMMIT the Committer validates the write set against
// everything committed after the snapshot — first committer wins:
// 40001 for a write-write conflict, 23505 for a concurrent insert of the
// same key or of the same value of a UNIQUE index (checked against the
// newest row state and the pending transactions' values, which the
// committer keeps until their record is applied) — and appends the transaction, together with every other
// transaction validated meanwhile, as one log record (group commit: one
// JetStream round trip and one fsync for the group). While a record is in
// flight the transactions that arrive are validated and sealed into the next
// one at once (eager sealing: their locks are released early, see below),
// and it is sent when the limit of records in flight allows. Appends can be
// pipelined (Committer.SetMaxInFlight > 1, log.Pipelined; the default is 1,
// which won on a quiet machine): the next group is then sent while the
// previous one is stored and synced; records are answered
// strictly in log order, and a failed append fails every group sent after
// it. Once the record is durable the committer applies it to the Store (it
// is the log's only writer: appends are fenced on the expected last
// sequence) and only then answers the client, so an acknowledged commit is
// durable and visible to the session's next statement. Each pending row carries the offset it was
// based on (PendingRow.Base), so a row re-read after waiting for its lock
// (LockTable, READ COMMITTED) validates against the version it re-read.
// Early lock release (Batch, CommitOptions, LockTable.ReleaseEarly): a
// READ COMMITTED transaction's row locks are released once the committer
// has sealed it into a batch — its place in the log order fixed — before
// the record is durable; its writes of those rows stay in the LockTable as
// pending versions until the batch is applied. The next holder reads the
// pending version and names the batch (PendingRow.After, CommitOptions.
// After): batches are stored in the order they were sealed, and a
// dependent fails when its predecessor's append failed — rejected (40001)
// if validated after the failure was known, failed with it if its own
// record was already sent behind it (a failure fails the whole pipeline
// after it) — and is otherwise acknowledged after it. A record sealed but
// not yet sent when its predecessor's append fails is sealed again: its
// batch fails (withdrawing its pending versions), and its transactions are
// validated again into a fresh batch, where those that read a failed write
// are rejected and the others commit.
// Foreign keys (references.go): a write set also names the referenced
// rows its rows reference and those it removed, each with the snapshot it
// was checked at; the committer fails a commit whose reference was removed,
// or whose removal was referenced, by a later commit (pending records count
// as later than every snapshot). A definition change adding a foreign key
// conflicts with writes to the referenced table after its snapshot and
// with pending changes, and applying it advances the referenced table's
// schema offset. Every DML write set is also refused while a definition
// change of its table is validated but not applied.
// SERIALIZABLE (serializable.go): a write set may carry what its
// transaction read (keys, whole tables); the committer fails it if any of
// it changed after the snapshot.
// Bulk write sets (at least bigWrites rows to a table: COPY, snapshot
// chunks) stay pending as a whole instead of key by key, and keys of a
// table that no record changed after the write's base are not looked up.
// A write set cut with Writes.Split becomes several log transactions (one
// per replicated source transaction) in one record. The committer's
// records carry their rows decoded as well (log.Op.Vals): the row store
// uses them for index keys, the column store stores them — except rows a
// bulk writer handed over encoded only (Writes.PutEncoded: COPY), whose
// decoded values are not kept while the transaction runs (Vals nil; the
// stores decode what they need when they apply the record).
//
// # Row memory
//
// A Version keeps its row encoded (docs/row-format.md), not as
// []types.Value: about 4× less memory (docs/benchmarks.md). The bytes are
// immutable once stored and are never copied in: the committer's encode
// blocks (sized to the write set) or a COPY's parse blocks (PendingRow.Enc:
// COPY encodes rows on its parser goroutine), a replayed log record's buffer (the log
// never reuses it), or a loaded checkpoint's file buffer (Version.row and
// chain.key slice it; a loaded table's chains and versions are one arena
// per table, advised for huge pages like that buffer: checkpoint.go). So a
// block or buffer stays alive while any row in it is a kept version, and no
// code may write to a buffer whose bytes were applied. Rows not encoded by
// this process are checked (types.CheckRow) when stored. Readers (Get,
// Latest, Scan, IndexScan, IndexRange) decode on every call with types.DecodeRowAlias /
// types.RowSlab: the returned values' strings alias the stored bytes, each
// call's rows are new slices the caller may keep but must not modify —
// except ScanReuse's, which decodes every row into the same values, for
// consumers that keep no row past the callback (5× faster: no slab to
// allocate and collect). Index maintenance decodes into a per-table
// scratch row under applyMu. Apply takes versions, chains and key copies
// from per-table blocks of 1,024 (applySlab, store.go) rather than three
// allocations per row; a block lives while any of its versions is kept.
// A key beyond the largest one in the table's primary index (tracked per
// table; keys are never removed from it) is inserted without a lookup, by
// the index's Append when it has one: a bulk insert in key order pays for
// the append only. Writers use the same bound (Table.BeyondLargestKey, and
// TableWrites.AfterLargest for the transaction's own writes) to skip the
// duplicate-key lookups of such a key; a write set keeps the rows it got
// in key order out of its map (found by binary search over them), so a
// sorted COPY builds no map of millions of keys. While Apply applies a bulk record
// (BulkOps operations or more) it holds bulkMu; WaitBulk waits for it, so
// that work which can wait (the column store's apply) leaves it the CPU.
//
// # Statistics
//
// Each table counts the row operations Apply applies (one atomic add per
// operation, replayed ones included) and the scans its readers report
// (TableStats, IndexUse: stats.go), for the statistics views; nothing is
// persisted, the counters start from zero with the process. The lock
// table lists every lock held and awaited (LockTable.Locks, lockview.go:
// a waiting owner records what it waits for and since when) and counts
// deadlocks (LockStats.Deadlocks), for pg_locks and pg_stat_database.
//
// Goroutines: Committer.run (validate + append, in arrival order) and
// Committer.acks (apply + answer, in offset order); SetTrace times each
// commit's stages on them (trace.go, printed by `omendb bench commit`).
// Lock order: Committer.mu → Store.applyMu is never nested the other way;
// Store.mu (tables map) and the horizon/sequence/meta mutexes are leaves.
// Committer.run calls
// CommitOptions.Placed (LockTable.ReleaseEarly, taking LockTable.mu) after
// releasing Committer.mu; LockTable.mu is a leaf.
package oltp
