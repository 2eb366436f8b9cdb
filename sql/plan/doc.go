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
// Arrays (bind_array.go): ARRAY[…] (over arrays: multidimensional) and
// ARRAY(subquery) constructors, subscripts a[i][j] and slices a[i:j] (one
// funcs call, so a[i] of a 2-D array is NULL), UPDATE … SET a[i] = x and
// a[lo:hi] = array (one-dimensional), INSERT INTO t (a[i], …) (the column
// built from NULL by its targets, bind_dml.go assignElements),
// op ANY/ALL (array), || between arrays and elements, and unnest /
// generate_subscripts / information_schema._pg_expandarray in FROM, also
// over earlier FROM items (implicit LATERAL, after a comma or on the right
// of an inner or left JOIN: an Expand node over the items before it, with
// Outer set and the ON condition inside it for LEFT JOIN LATERAL). Set-returning functions in a select list
// (srf.go: unnest, generate_series, _pg_expandarray) become one Expand node
// and run in lockstep as in PostgreSQL 10+. 'name'::regclass and
// oid::regclass carry the relation's name for output (regname.go).
// Aggregates may carry ORDER BY (AggCall.Order).
// A one-argument call of a type's name is a cast when its argument is an
// unknown literal (text('abc'), cidr('10.1')) or when no function of that
// name takes it and the cast goes through I/O or changes nothing
// (inet(textcol)), as PostgreSQL's func_get_detail decides (bind_func.go).
//
// JSON (bind_json.go): the json/jsonb operators resolve through
// funcs.ResolveOperator (|| and - only with a jsonb operand, @> and <@ with
// a json one, otherwise they are string, arithmetic or array operators);
// = < … between json values fail as in PostgreSQL (jsonb compares); the
// set-returning JSON functions of a select list are Expand arrays like
// unnest's.
//
// Network addresses (bind_inet.go): << <<= >> >>= && & | + - with an inet
// or cidr operand resolve through funcs.ResolveOperator too, prefix ~ is
// inetnot; inet and cidr unify to inet (cidr → inet is implicit), and a key
// range may bound an inet or cidr key column (its keycode order is
// network_cmp, the comparison operators' order).
//
// Window functions (window.go) become one Window node above aggregation and
// HAVING and below the projection. Frames take any bounds in ROWS, RANGE
// and GROUPS modes, with EXCLUDE: a RANGE offset must suit the single ORDER
// BY key (integers, floats, numeric; intervals for dates, times and
// intervals), and its bounds are bound as comparisons of a row's key with
// the current key ± the offset (FrameBound.InFrame), which the executor
// binary-searches over the sorted partition.
// Ordered-set aggregates (percentile_cont, percentile_disc, mode … WITHIN
// GROUP (ORDER BY x)) are bound as aggregates of x stepped in that order.
//
// Further forms, each in its own file: views (view.go: a view's stored
// query text bound in place, under its creation-time columns; view_dml.go:
// INSERT / UPDATE / DELETE through an automatically updatable view, bound
// against its table), generated columns (generated.go), WITH
// RECURSIVE (recursive.go: RecursiveUnion over a WorkTable), LATERAL
// subqueries (lateral.go: Apply), SELECT … FOR UPDATE (locking.go:
// LockRows, the locked tables' scans yielding row keys), GROUPING SETS /
// ROLLUP / CUBE and GROUPING() (grouping.go), DISTINCT ON (a Sort and a
// Distinct with On), UPDATE … FROM / DELETE … USING (bind_dml.go:
// TargetJoin) and CHECK expressions (BindCheck). LockRows, Apply and
// RecursiveUnion run in the row executor only: the column runner hands a
// plan holding one back whole (RowOnly names why, for EXPLAIN).
//
// MERGE (merge.go, PostgreSQL 15's) is bound as one join of the target,
// whose scan yields row keys as UPDATE … FROM's does (TargetJoin), with
// the source — inner with WHEN MATCHED clauses only, else a right join
// keeping the unmatched source rows — and a MergeAction per WHEN clause
// (WHEN NOT MATCHED ones bound over the source's columns alone). What
// pg_query's PostgreSQL 17 grammar accepts beyond 15's — MERGE …
// RETURNING, WHEN NOT MATCHED BY SOURCE | TARGET — is refused as 15's
// grammar refuses it, a syntax error when the text is parsed (pg15.go).
//
// Row constructors (bind_row.go): (a, b) compared with another row is
// bound pair by pair as in PostgreSQL — = as the AND of the pairs' =, <>
// as the OR of their <>, IN / NOT IN lists of rows as an OR / AND of
// those, IS [NOT] DISTINCT FROM as the OR of the pairs', < <= > >= as a
// RowCmp (decided by the first pair that is not equal) — so that a
// composite key's equality reaches scans and indexes as plain conjuncts.
// Against a subquery's rows (IN, op ANY / ALL, op (SELECT x, y)) the row
// is a Subquery's E, a RowExpr, the subquery projected to the pairs'
// common types. UPDATE … SET (a, b) = (…) takes the row's elements (or
// DEFAULT) per column; = (SELECT x, y) reads fields (FieldSelect) of one
// SubRow subquery. Anywhere else a row constructor is a value of type
// record (RowExpr, its field types in types.Type.Rec), printed as
// record_out prints it.
//
// User-defined enum types (enum.go): a type name that is no built-in type
// resolves to an enum type of the catalog (ResolveType; mood, public.mood,
// _mood, mood[]), whose Type carries its labels (types.Enum) through
// coercion (WithoutMod keeps them), arrays and function resolution
// (enum_first, enum_last, enum_range, min/max in package funcs). An unknown
// literal compared with or assigned to an enum becomes its value at bind
// time (22P02 for a label the type lacks); enum to text is an assignment
// cast, text to enum explicit only, as in PostgreSQL. 'mood'::regtype and
// $1::text::regtype (regtypeIn) name user types too.
//
// User-defined SQL functions (userfunc.go): a call is not inlined. The
// function's body is bound once per statement — shared by every call, so
// that a recursive call refers to the body being bound — as a plan whose
// parameters ($n, or the parameter's name, which a column of the body's
// own FROM items hides, as in PostgreSQL) are outer references to a scope
// holding the arguments: the body is a correlated subquery whose
// enclosing row is the argument list. UserCall evaluates the arguments,
// returns NULL for a NULL one of a STRICT function, and runs the body with
// them (sql/exec: the first row of the last statement, every row in FROM
// for a set-returning function, FuncScan.User); the run-time call depth is
// bounded (54001). Overloads are chosen by funcs.Choose, PostgreSQL's
// func_select_candidate, over the given arguments (defaults fill the
// rest; name => value arguments are matched by name). A call is opaque to
// the planner (like a subquery: not pushed into scans) unless its body is
// pure — expressions over the parameters only — and it is not volatile;
// pure calls may appear in CHECK constraints and, when immutable as
// PostgreSQL decides after inlining, in generated columns. The column
// engine runs operators with calls in the row executor (they are not
// parallel-safe).
//
// Planning decisions are simple and written down where they are made:
// single-table WHERE conjuncts are pushed into scans, and so are ON
// conjuncts over one side of an inner join or over the nullable side of a
// left or right join (as PostgreSQL plans them); comma-joined FROM
// items are joined greedily along equality predicates (hash joins) and
// reordered back to FROM order afterwards; a scan uses the primary key or a
// secondary index when its filter fixes a prefix of the index's key
// elements to constants or parameters — columns, or an index's expressions
// (WHERE lower(email) = $1) — and/or bounds the next element (<, <=, >,
// >=, BETWEEN: Scan.Range, with a type whose key encoding orders as its
// comparisons, the bound of the element's very type — an integer value
// converted to the key's numeric type where exact, keyValue — or a row comparison
// (a, b) > ($1, $2) over that element and the next ones, keyset
// pagination's, whose bound is a RowExpr of the values), and, for a partial
// index, implies its predicate (each predicate conjunct is a filter
// conjunct, or x IS NOT NULL where the filter compares x); a full-key
// unique equality ranks first, then longer equality prefixes, then a range
// bounded on both sides, then on one (chooseAccess). The filter itself is
// kept (EXPLAIN shows the reason). An ORDER BY that the scan's key order
// gives — the primary key's or its index's, after the elements the path
// fixes by equality, each element in its declared order (DESC, NULLS
// FIRST) read forward or all in the opposite order read backward
// (Scan.Reverse), a secondary index's primary-key tail included — is no
// sort (order.go: Sort.Presorted, the rows passed on as they come); where
// another index gives the order, its path is taken when it is as
// selective or a small LIMIT reads through it alone; and a
// constant LIMIT over such a scan, with nothing but projections and the
// path's own comparisons between, records the rows it reads
// (Scan.FirstRows) so that auto mode reads them from the row store. Index expressions and predicates bind over the
// table's row (index.go: PostgreSQL's immutability and other rules) and
// print as PostgreSQL prints them (deparse.go); ON CONFLICT's target
// infers its arbiter indexes as PostgreSQL does (bind_dml.go).
//
// Plans are immutable once built and may be executed many times (prepared
// statements), by one goroutine at a time.
package plan
