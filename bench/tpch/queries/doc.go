// Package queries holds the 22 TPC-H queries (specification 2.x, clause 2.4)
// in PostgreSQL dialect and their substitution parameters.
//
// Each query is an embedded template (sql/qN.sql) with parameters :1 … :10
// in qgen's numbering; a leading comment names them. Params.SQL(sf) renders
// a template: values are substituted from :10 down to :1 (so :1 never eats
// the start of :10), and Q11's FRACTION is divided by the scale factor as
// the specification requires. Q15's view revenue0 is a common table
// expression, so every query is one statement. Row limits (Q2 100, Q3 10,
// Q10 20, Q18 100, Q21 100) are LIMIT clauses; intervals are written
// interval 'N days' / 'N months' / '1 year'.
//
// Validation(n) returns the specification's validation parameters, the ones
// the TPC's answer set (../shared/tpch/answers-sf1) was produced with.
// Random(n, seed) draws parameters by the specification's rules for each
// query (ranges of dates, sizes, quantities; members of the nation, region,
// segment, type, container, color and ship-mode lists of dbgen's
// dists.dss). It is deterministic per (n, seed) and each query has its own
// stream (PCG seeded by seed and n); it does not reproduce qgen's own
// random sequence.
//
// All functions are safe for concurrent use; the templates are immutable.
package queries
