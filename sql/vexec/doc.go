// Package vexec runs read-only queries over the column store (package olap)
// and implements sql.ColumnRunner.
//
// Runner.Run copies the plan tree and replaces each table scan it can serve
// by a column scan: segments are pruned with zone maps, rows visible at the
// statement's snapshot are selected by insert/delete offset, column-versus-
// constant comparisons run over the Arrow columns, and both cores scan
// segments in parallel. Before reading, Run waits (bounded by Runner.Wait)
// until the column store has applied the snapshot offset, so every scan of
// a statement reads one offset; on timeout the statement is left to the row
// store at the same offset (omendb.engine = auto) or fails with 57014
// (= column).
//
// Above the scans, fragments made of filters, projections and hash joins
// (inner, left, right, full, semi, anti) over a driving column scan run
// as a pipe (pipe.go): batches of up to 16K rows of one segment flow through the
// steps as vectors (vec.go) with expressions evaluated batch at a time
// (vexpr.go: fast paths for integers, dates, exact decimals as int64
// coefficients, dictionary strings (a comparison with a constant or a
// LIKE decided once per dictionary word), LIKE ('%a%b%' patterns by
// successive substring search), IN, EXTRACT of an integer date part
// (a loop over day numbers, funcs.DatePartOfDays), SUBSTRING with constant
// bounds (funcs.Substring per string); anything else row by
// row with exec.Eval — once per dictionary word, or per distinct value of
// a one-argument expression — so results are the row executor's; a run of consecutive
// rows of a sealed fixed-width column is read in place, not copied).
// Workers on both cores take segments in turn (morsel-driven); join build sides (the side
// estimated smaller for inner joins; the preserved side of a left join
// when it is much the smaller, its rows marked as matched and the
// unmatched emitted at the end) are built first, on the session
// goroutine. One or two integer keys are indexed by intIndex: keys
// outside the build keys' range miss at once, dense keys (a dimension
// table's primary key) find their rows in an array, sparse ones in a
// pointer-free open-addressing table behind a bitmap of the range. An inner or semi join probed by an integer column
// of the driving scan (through filters and left-probing joins) prunes the
// scan's segments whose zone map on that column holds no build key (the
// range, and the sorted keys of builds up to 64K rows: TPC-H Q18's
// lineitem probe of 57 orders). An aggregation over a pipe (vagg.go:
// count, sum, avg, min, max, count(DISTINCT); exact decimal sums finished by the aggregates' own
// finalisers, funcs.NewPartial) keeps one hash table per worker and merges
// them at the end (groups found by array index from the tuple of
// dictionary codes when every key is dictionary-encoded, by value in a
// pointer-free open-addressing table (intHash) when the keys are one or
// two integers — GROUP BY keys that are functions of the others (a
// primary key and columns of its row, also through inner equi-joins on
// another table's primary key: fd.go) are not hashed but kept from each
// group's first row, so TPC-H Q10's seven keys hash as one integer — while a worker's keys arrive in increasing order, as
// from a table stored in key order, that table is a sorted list with no
// slots, a new key needs no lookup and two such lists merge in one walk;
// one key whose column's zone maps give a range of at most a few times
// the estimated groups finds its group by array index (keys outside the
// range by hash) — by encoded key otherwise; tables start at most 16K groups large and,
// when full, grow at once to the planner's group estimate; sums of one
// exponent added inline as int64 coefficients; a HAVING made of comparisons, AND/OR/NOT, IS NULL and
// + - * over the output is evaluated on the merged groups' states, so
// only the groups it keeps are finished into rows; an uncorrelated scalar
// subquery in an expression is run once, before the workers, and read as
// a constant); a join pipe read by the row executor is materialized
// into rows. ORDER BY over a pipe (vsort.go) sorts there: each worker
// evaluates the keys a batch at a time and, under a LIMIT, keeps only the
// best LIMIT+OFFSET rows in a bounded heap (top-N); the workers' rows are
// merged with ties in scan order and compared as the row executor compares
// them (NULLS FIRST/LAST, bpchar), so the order is the row path's. A
// LIMIT without ORDER BY over one table (under filters and projections;
// vlimit.go) is a top-N by primary key — the rows the row store returns —
// whose workers skip sealed segments whose key zone map lies after the
// worst row they keep, so the scan stops after the first segments of a
// table loaded in key order; other LIMITs without ORDER BY run in the row
// executor over scans that keep primary-key order. Right joins
// probe with their right (preserved) side; full joins mark matched build
// rows atomically and emit the unmatched ones after the last probe batch,
// through the steps above the join. Searched CASE and COALESCE (vcase.go)
// evaluate each branch or argument only on the rows that reach it, as
// PostgreSQL does. Row comparisons arrive bound as ANDs and ORs of
// pairs' comparisons or as a RowCmp, which — like ROW(…) values — is
// evaluated row by row over its compiled operands. Before the
// pipes are planned, filter conjuncts over one side of a join are pushed
// into that side (and an OR over both sides pushes down the predicate it
// implies for each side, the conjuncts common to every alternative
// factored out of the OR), so scans prune and filter early. Whatever a
// pipe cannot do (other aggregates, float sums, FILTER, volatile
// functions, correlated subqueries, rows compared with a subquery's
// rows) stays with the row
// executor, and a pipe that fails at run time (overflow, an error the row
// executor may raise differently) hands its node back to the row executor,
// so answers never depend on the path.
//
// A worker's per-batch buffers (gathered columns, expression results,
// masks, join match lists) come from its scratch (scratch.go) and are
// reused batch after batch; sinks copy what they keep (a collected pipe
// copies the scratch arrays of its output columns), so no buffer outlives
// its batch. What lives as long as the statement — a hash join's build
// side: the batches its collect kept, their concatenation, the keys,
// chains and index over them — comes from the statement's memory
// (stmtMem), which Run creates when the statement starts and whose arrays
// its iterator gives back to the process's free arrays (sharedArrays)
// when closed; rows handed to the row executor are copied values, never
// these arrays. Scratches, statement arrays and aggregation tables'
// per-group slices go back to process-wide pools and serve the next
// query: memory written for the first time is what a query pays most for
// on some VMs. A table scan read by the row executor evaluates its residual
// filter the same way on sealed segments and materializes only the rows
// it keeps.
//
// EXPLAIN ANALYZE (explain.go): when the statement collects statistics,
// Run returns an iterator whose Analyzed method prints the plan that ran —
// the row executor's operators with their exec.NodeStats, and the
// vectorized ones with the rows and batches they produced and the wall
// time from their pipe's start to their first and last batch, the store
// and snapshot each scan read and the segments zone maps skipped, in
// PostgreSQL's "(actual time=… rows=… loops=…)" form.
//
// Correlated [NOT] EXISTS become semi/anti joins and correlated aggregate
// subqueries (sum, avg, min, max compared with the outer row) become a
// grouped aggregate left-joined on the correlation columns
// (decorrelate.go, subquery.go); the outer rows' other conjuncts filter
// them first, and when the correlation columns come from one selective
// scan the aggregate's input is semi-joined with that scan, so groups are
// built only for keys an outer row can have. Uncorrelated subqueries'
// plans are rewritten like the main plan and uncorrelated IN sets are
// computed once before the pipes that test them start (an IN over one
// side of a join is pushed into that side like any other conjunct).
//
// Trees of inner joins are reordered (joinorder.go) by dynamic
// programming over connected subsets of their leaves, costed with row
// estimates from the column store itself (card.go: live row counts,
// distinct counts from keys, zone-map ranges and dictionaries, filter
// selectivities measured on a sample of each scan's rows, primary-key
// joins recognised as foreign-key joins); the estimates also pick each
// inner join's build side. Outer, semi and anti joins are never moved
// across, cross products are never introduced (a disconnected join graph
// keeps its written order), and a projection restores the column order
// the nodes above expect. Estimates are computed on the session goroutine
// after waiting (bounded) for the column store to reach the snapshot.
//
// Scans with a primary-key or index equality access path (a range may
// follow: plan.Scan.KeyEquality) stay on the row store in auto mode (the
// OLTP index path); with omendb.engine = column they are served by a full
// column scan with a key-prefix filter (the filter holds the range). A
// path with a range alone keeps a scan on the row store only when the
// range is narrow (exec.NarrowRange: its keys, counted on the row store's
// index up to a limit, are at most 8192 and 1/32 of the table's rows,
// decided once per statement with its parameters); a wider range is
// scanned by the column store, zone maps pruning by it. So does a scan a
// LIMIT reads the first few rows of (exec.FewFirstRows: ORDER BY the
// primary key's or an index's order, forward or backward, or no ORDER BY,
// and no filter beyond the path). A
// presorted Sort (plan.Sort.Presorted) whose input became a column scan is
// a sort again.
//
// Run and the rewrite happen on the session goroutine; pipe workers only
// read the column store (visibility and open segments under each table's
// read lock, sealed Arrow columns without it: they are immutable and
// released only on Close or DROP TABLE), the built hash tables and
// subquery sets, and their own copy of exec.Ctx; they never touch the
// session's exec.Ctx.
package vexec
