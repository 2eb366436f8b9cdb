// Package exec is the row-at-a-time executor: it opens plan nodes into
// pull-based iterators (Open → Iter.Next → Close) and evaluates bound
// expressions (Eval), and it runs INSERT/UPDATE/DELETE/MERGE against a
// Writer. MERGE (merge.go) runs its join to the end, then takes each
// joined row's first WHEN clause whose condition holds and writes through
// the Writer as the other statements do, locking a matched target row
// before UPDATE or DELETE and trying the clauses again over its newest
// version if a concurrent commit changed it (PostgreSQL 15's READ
// COMMITTED rule). Triggers (trigger.go) fire around the rows INSERT,
// UPDATE and DELETE write — BEFORE ROW ones as a row is about to be
// written, AFTER ROW ones queued until the statement's rows are — through
// Session.Trigger; MERGE fires them for the actions it runs.
//
// Table scans (scan.go) read the row store in batches (64 rows, growing to
// 1024), resuming after the last key read, so a LIMIT reads little: the
// whole table in primary-key order, or the key range of the scan's access
// path (ScanBounds: an equality prefix and a range on the next element,
// encoded, each element in its declared order) — primary keys through
// Reader.Scan, index entries (index key ‖ primary key) through
// Reader.IndexRange, both merging the transaction's own writes in key
// order. A scan marked Reverse (an ORDER BY its keys give backward) reads
// descending (Reader.ScanBackward, IndexRange desc), each batch ending
// below the last key of the one before. NarrowRange (narrow.go) sizes a path that is a
// range alone by counting its keys on a Reader that is a KeyCounter, up to
// a limit, so that auto mode reads a narrow range through the row store.
//
// Every operator is opened through Open, which recovers panics into
// internal errors and, for EXPLAIN ANALYZE, counts rows, loops and time per
// node. Long loops check the statement's context for cancellation
// (CancelRequest, statement_timeout) every 1024 rows.
//
// Memory: rows returned by Next may be shared with the row store or reused
// by the next call; operators that keep rows copy them. Hash joins build on
// their right input; hash aggregation, sorting and window functions
// (window.go: sort by partition and order keys, then one pass per call)
// materialise their input, and so do aggregates with ORDER BY (per group);
// a presorted Sort (plan.Sort.Presorted: its input comes in key order) is
// its input, so a LIMIT above it stops the scan early.
//
// The vectorized column executor (package sql/vexec) runs the same plans
// over Arrow batches; results must be identical.
package exec
