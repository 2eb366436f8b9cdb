// Package answers checks TPC-H query results against the TPC's answer set:
// the q1.out … q22.out files dbgen's kit ships for SF 1 with the
// validation parameters (../shared/tpch/answers-sf1).
//
// An answer file is '|'-separated text; its first line names the columns
// (some names truncated by the tool that wrote them, so they are not
// compared), and values are padded with blanks. Read parses one file; Check
// compares a result, as the text PostgreSQL's protocol sends, row by row in
// order (every TPC-H query orders its output).
//
// Cells are compared by the rules of the TPC-H specification, clause
// 2.1.3.5, made stricter where OmenDB computes exactly: text, dates and
// integers (singleton values, COUNT) must match exactly; a value the
// answer writes with a fractional part (SUM of money, AVG, ratios) must,
// rounded half away from zero to the answer's number of decimals, be within
// one unit of that last decimal (0.01) of it — the specification allows $100
// for sums and 1% for averages and ratios, but exact decimal arithmetic
// gets the cent right, and a cent of slack absorbs the answer tool's own
// rounding. CheckQuery knows the one query (Q17) whose answer-set value is
// a ratio the reference computed less exactly; it gets the specification's
// 1% rule.
package answers
