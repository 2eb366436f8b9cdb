// Package vexec runs read-only queries over the column store (package olap)
// and implements sql.ColumnRunner.
//
// Runner.Run copies the plan tree and replaces each table scan it can serve
// by a column scan: segments are pruned with zone maps, rows visible at the
// statement's snapshot are selected by insert/delete offset, column-versus-
// constant comparisons run over the Arrow columns, and both cores scan
// segments in parallel. Operators above the scans (joins, aggregates,
// sorts, subqueries) run in the row executor (sql/exec) on the scanned rows.
// Before reading, Run waits (bounded by Runner.Wait) until the column store
// has applied the snapshot offset, so every scan of a statement reads one
// offset; on timeout the statement is left to the row store at the same
// offset (omendb.engine = auto) or fails with 57014 (= column).
//
// Scans with a primary-key or index equality access path stay on the row
// store in auto mode (the OLTP index path); with omendb.engine = column they
// are served by a full column scan with a key-prefix filter.
//
// Run is called on the session goroutine; the scan's workers only read the
// column store (under each table's read lock) and never touch exec.Ctx.
package vexec
