// Package plan binds parsed SQL (pg_query's AST) to OmenDB's catalog and
// produces plans: trees of Node (Scan, Filter, Project, Join, Aggregate,
// Sort, Limit, …) over typed expressions (Expr).
//
// Binding resolves names through scopes (the FROM clause's combined row,
// with parent scopes for correlated subqueries), types every expression the
// way PostgreSQL does (unknown-typed literals take their context's type;
// numeric operands compare exactly across kinds; assignment casts for
// INSERT/UPDATE), infers parameter types ($n), folds constant expressions,
// and rewrites expressions above an aggregation onto its output.
//
// Arrays (bind_array.go): ARRAY[…] and ARRAY(subquery) constructors,
// subscripts, op ANY/ALL (array), || between arrays and elements, and
// unnest / generate_subscripts / information_schema._pg_expandarray in
// FROM; _pg_expandarray is also allowed in a select list (srf.go, an Expand
// node), the one set-returning function there apart from generate_series
// without FROM. Aggregates may carry ORDER BY (AggCall.Order).
//
// Window functions (window.go) become one Window node above aggregation and
// HAVING and below the projection; frames other than from UNBOUNDED
// PRECEDING to CURRENT ROW or UNBOUNDED FOLLOWING fail with 0A000.
//
// Planning decisions are simple and written down where they are made:
// single-table WHERE conjuncts are pushed into scans; comma-joined FROM
// items are joined greedily along equality predicates (hash joins) and
// reordered back to FROM order afterwards; a scan uses the primary key or a
// secondary index when its filter fixes a prefix of the index's columns to
// constants or parameters (EXPLAIN shows the reason).
//
// Plans are immutable once built and may be executed many times (prepared
// statements), by one goroutine at a time.
package plan
