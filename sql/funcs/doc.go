// Package funcs is OmenDB's SQL function library: the scalar functions,
// aggregates, LIKE/ILIKE and regular-expression matching that the planner
// binds and the executor calls row at a time. Results follow PostgreSQL 15:
// result types, NULL handling, rounding, error SQLSTATEs and messages, as
// checked by differential tests against a real PostgreSQL (internal/testpg).
//
// # Binding
//
// Functions are registered at init in a catalog keyed by name (names are
// taken as given: the planner folds unquoted identifiers to lower case).
// Resolve(name, argTypes) chooses an overload the way PostgreSQL's
// func_select_candidate does:
//
//  1. an overload whose declared types equal the argument types;
//  2. else the overloads every argument converts to implicitly (PostgreSQL's
//     castcontext 'i' casts: int2→int4→int8→numeric→float4/float8, text and
//     varchar/bpchar/name, date→timestamp→timestamptz, …); an unknown-typed
//     argument (an untyped literal) converts to anything;
//  3. of those, the ones with the most exact matches, then the most
//     preferred types (float8, text, timestamptz, interval, bool, oid) in
//     the input's type category where a conversion is needed;
//  4. unknown arguments then pick a type category (string wins if offered,
//     then a preferred type), and as a last resort take the type of the known
//     arguments when those all agree.
//
// No overload left is 42883 "function f(argtypes) does not exist" with
// PostgreSQL's hint; more than one is 42725 "… is not unique". Resolve
// returns the types each argument must be cast to before Eval (an unknown
// literal is to be read as that type). Functions declared with PostgreSQL's
// "any" pseudo-type (concat, concat_ws, format, quote_literal,
// quote_nullable) accept every type as is; Resolve then returns a Func
// specialised to the actual argument types, so that it can print them.
//
// SQL syntax that PostgreSQL turns into function calls is the planner's to
// map: position(a IN b) is position(b, a); substring(s FROM i FOR n) is
// substring(s, i, n) and substring(s FROM pattern) is substring(s, pattern);
// trim([both|leading|trailing] [chars] FROM s) is btrim/ltrim/rtrim(s[, chars]);
// EXTRACT(field FROM x) is extract('field', x) (numeric), and
// current_date, current_timestamp[(p)], localtimestamp[(p)] are
// zero-argument (or precision-argument) functions of those names.
//
// Array functions (array.go) are declared over PostgreSQL's polymorphic
// anyarray/anyelement: Resolve hands them to a per-function resolver that
// checks the actual argument types and returns a Func specialised to them
// (array_to_string, array_length/upper/lower/ndims/dims, cardinality,
// array_cat/append/prepend, array_position; string_to_array is ordinary).
// array_agg(anyelement) is specialised the same way by ResolveAggregate.
// Functions the binder builds without a registry name (array_md.go, srf.go):
// multidimensional subscripts and element assignment, ARRAY[…] over arrays,
// and the arrays behind select-list set-returning functions.
// The bitwise operators & | # are bound to int2and, int4or, int8xor ….
//
// Network addresses (network.go): host, text, abbrev, masklen, family,
// set_masklen, netmask, hostmask, network, broadcast, cidr,
// inet_same_family, inet_merge, and the operators << <<= >> >>= && & | + -
// registered under their pg_operator function names (network_sub, inetand,
// inetpl, inetmi, …) for ResolveOperator; prefix ~ is inetnot. cidr
// arguments use the inet overloads through the implicit cidr → inet cast.
//
// JSON (json.go, json_build.go, json_srf.go): the json/jsonb operators are
// functions under PostgreSQL's names (jsonb_object_field for ->,
// jsonb_contains for @>, …) that ResolveOperator (operators.go) picks for
// an operator and its operand types; to_json/to_jsonb, array_to_json, the
// json(b)_build_* functions and json(b)_agg / json(b)_object_agg turn
// values into JSON as PostgreSQL's datum_to_json(b) does (aggregates have
// no session zone: over timestamptz they fail with 0A000); the
// set-returning JSON functions are array builders for the select list
// (ResolveJSONSetFunc), like generate_series; json_each's records are not
// supported yet.
//
// # Strictness and volatility
//
// A Strict function returns NULL when any argument is NULL; Func.Call
// applies that, and Eval of a strict function may assume non-NULL
// arguments. Volatility is PostgreSQL's provolatile: Immutable functions
// depend on their arguments only and the planner may fold calls of
// constants; Stable ones (now(), anything that reads the session TimeZone
// such as date_trunc on timestamptz, concat/format of arbitrary types) are
// fixed within a statement; Volatile ones (random(), clock_timestamp(),
// gen_random_uuid(), setseed()) must be evaluated on every call.
//
// # Context
//
// Context carries the transaction and statement timestamps, the session
// zone (nil = UTC), the session's random() generator and an injectable
// clock. One Context belongs to one session and is used from that session's
// goroutine; the catalog itself is read-only after init and safe for
// concurrent use. Values returned by Eval may share S and N with arguments;
// values are immutable, so neither side may modify them.
//
// # Aggregates
//
// ResolveAggregate binds aggregates with the same rules. An AggState skips
// rows whose argument is NULL (count(*) counts all rows), returns NULL for
// no rows (count returns 0) and can Merge a partial state built from other
// rows (parallel or distributed aggregation; for order-sensitive
// string_agg, merge states in row order). Exact aggregates (sum/avg/
// variance over integers and numeric) accumulate exact decimals, so merged
// states give exactly PostgreSQL's answer; float ones use PostgreSQL's
// Youngs-Cramer accumulation and agree bit for bit when rows are stepped
// in PostgreSQL's order, while merged float states (like PostgreSQL's own
// parallel aggregation) can differ in the last bits.
//
// # Collation
//
// OmenDB's collation is C, like the reference PostgreSQL (initdb
// --locale=C): lower, upper, initcap and ILIKE change the case of ASCII
// letters only, and min/max of text compare bytes (types.Compare).
//
// # Known differences from PostgreSQL
//
//   - LIKE with a pattern ending in the escape character fails when the
//     pattern is compiled (CompileLike), i.e. for every row; PostgreSQL
//     fails only when matching reaches the end of the pattern.
//   - Regular expressions run on Go's RE2 (see CompileRegex): no back
//     references or lookaround, leftmost-first rather than longest
//     alternation, and the x (expanded) flag is rejected with 0A000.
//   - random() uses a different generator than PostgreSQL's, so
//     setseed(x) gives a repeatable sequence, but not PostgreSQL's.
//   - float8 functions must agree with glibc (PostgreSQL calls the C
//     library) to the last bit: exp, sin, cos, tan, asin, acos, atan, atan2
//     and power are evaluated in extended precision and rounded once;
//     log10 and cbrt reproduce glibc's own algorithms. TestFloatFunctionsPG
//     checks thousands of random inputs against PostgreSQL.
//   - Numeric transcendental functions (sqrt, exp, ln, log, power) use
//     PostgreSQL's result-scale rules but apd's algorithms; a result that
//     lies within one unit of a rounding boundary at the final scale could
//     round differently.
//   - jsonpath (jsonpath.go; the type and its parser are types/jsonpath.go)
//     lacks the .datetime() and .keyvalue() item methods (0A000), the
//     _tz function variants and named arguments (silent => true); its
//     like_regex runs on RE2 like the other regular expressions.
package funcs
