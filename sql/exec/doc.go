// Package exec is the row-at-a-time executor: it opens plan nodes into
// pull-based iterators (Open → Iter.Next → Close) and evaluates bound
// expressions (Eval), and it runs INSERT/UPDATE/DELETE against a Writer.
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
// materialise their input, and so do aggregates with ORDER BY (per group).
//
// The vectorized column executor (package sql/vexec) runs the same plans
// over Arrow batches; results must be identical.
package exec
