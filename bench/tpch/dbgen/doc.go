// Package dbgen is a Go TPC-H data generator that writes exactly the bytes
// of the TPC's dbgen 2.14.0 (`dbgen -s SF`), for any scale factor from 0.01
// up to 29999, and does it several times faster by generating chunks of
// every table in parallel.
//
// # One generator, two sinks
//
// The row generators (gen.go) produce each table's rows as small Go structs
// (integers, cents, day numbers, references into the text pool). Two sinks
// consume the same rows:
//
//   - text: AppendText, WriteText and WriteFiles format them as dbgen's .tbl
//     lines ('|' after every field, dates YYYY-MM-DD, money as dollars.cents)
//     with hand-written appends into byte buffers (format.go), no fmt;
//   - typed: Generate hands each row to a Sink as []types.Value (NewInt,
//     NewText, NewDate in days since 1970-01-01, NewNumeric with an
//     *apd.Decimal of scale 2 for money, discount and tax, scale 0 for
//     l_quantity). char(n) columns arrive unpadded, as in the .tbl text.
//
// Columns and DDL give the schemas (clause 1.4 of the specification:
// identifiers bigint, decimals numeric(15,2), char(n)/varchar(n), date).
//
// # Random streams (how dbgen works, and why chunks are cheap)
//
// dbgen draws every column from its own stream of Park & Miller's "minimum
// standard" generator, seed' = seed·16807 mod (2³¹−1), 48 streams with fixed
// seeds (rng.go). A draw in [lo, hi] is lo + ⌊seed'/(2³¹−1)·(hi−lo+1)⌋ in
// float64, the same operations in the same order as dbgen's UnifInt. After
// every row dbgen advances each of the table's streams to a fixed per-row
// budget (its "boundary": 1 for most columns, 2 for a comment, 9 for an
// address, 92 for the part-name permutation, 7 or 14 for lineitem columns
// per order). Row i therefore starts stream s at seed_s·16807^((i−1)·b_s),
// computable in O(log i) — so any row range can be generated on its own and
// chunks concatenate to the single-process file. That is what dbgen's own
// -C/-S children rely on, and what WriteFiles does with goroutines.
//
// Comments are not generated per row: at start-up dbgen fills a 300 MiB text
// pool with sentences from the grammar in dists.dss (stream 5), and a comment
// is a random offset and length into it (text.go). Building the pool is the
// one sequential step (about a second); WriteFiles overlaps it with
// generating the first chunks, whose comments are reserved and filled in
// once the pool exists (textWriter fixups). Copying comments out of 300 MiB
// costs a cache miss each, so the text path generates rows a batch at a
// time and prefetches the comment bytes while drawing them.
//
// dbgen's quirks reproduced on purpose: a_rnd's draw in [0, MAX_LONG] whose
// range wraps to −2³¹ in 32-bit arithmetic (unifMaxLong); the nation list's
// cumulative weights that give n_regionkey; o_custkey skipping every third
// customer; sparse order keys (8 of every 32); the Better Business Bureau
// "Customer … Complaints/Recommends" overlay drawn for every supplier;
// below SF 1 the row counts int(1000·SF)·base/1000 with dbgen's integer
// scale of 1.
//
// Not implemented: dbgen's update/refresh sets (-U) and the 64-bit generator
// dbgen switches to for o_custkey and l_partkey from SF 30000.
//
// # Invariants
//
//   - Output is a pure function of (table, SF, unit range): no clock, no
//     global mutable state except the text pool, which is built once and
//     then read-only (sync.Once + atomic pointer).
//   - Units: rows, except partsupp counts parts (4 rows each) and lineitem
//     counts orders (1–7 rows each). part k of n covers units
//     [U·k/n, U·(k+1)/n).
//   - The distributions are compiled in (dists_gen.go); nothing is read at
//     run time.
//
// # Concurrency and memory
//
// Generate, AppendText and WriteText may run concurrently from any number of
// goroutines (each call owns its cursor). WriteFiles runs Options.Parallel
// worker goroutines that take chunks in order and one writer goroutine per
// table that writes them in order; at most max(32, 4×Parallel) chunks (about
// 3 MB each) are in memory. A Sink's []types.Value is reused for the next
// row; the Values in it are not. The text pool (300 MiB, transparent huge
// pages on Linux) lives until the process exits.
package dbgen
