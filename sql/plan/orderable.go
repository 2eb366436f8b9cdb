package plan

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// PostgreSQL sorts and groups by a type's default btree (ordering) and hash
// or btree (equality) operator classes. json and jsonpath have neither, so
// ORDER BY, GROUP BY, DISTINCT, UNION/INTERSECT/EXCEPT without ALL, window
// partitions and orders, aggregates' DISTINCT and ORDER BY, and IN lists of
// them fail with 42883 — OmenDB's executors could compare their text, but
// that would be an answer PostgreSQL never gives. Arrays and composite
// types are orderable when their elements are.

// unorderable reports whether t has no ordering or equality operator.
func unorderable(t types.Type) bool {
	for types.IsArrayType(t) {
		t = types.ElemType(t)
	}
	return t.OID == types.OIDJSON || t.OID == types.OIDJSONPath
}

// needOrdering fails with 42883 when values of t cannot be sorted.
func needOrdering(t types.Type) error {
	if unorderable(t) {
		return pgerr.New(pgerr.UndefinedFunction, "could not identify an ordering operator for type %s", types.TypeName(t)).
			WithHint("Use an explicit ordering operator or modify the query.")
	}
	return nil
}

// needEquality fails with 42883 when values of t cannot be compared for
// equality (grouping, DISTINCT, set operations).
func needEquality(t types.Type) error {
	if unorderable(t) {
		return pgerr.New(pgerr.UndefinedFunction, "could not identify an equality operator for type %s", types.TypeName(t))
	}
	return nil
}

// noOperator is PostgreSQL's error for a comparison (IN, = ANY, a
// subquery's IN/ANY/ALL) between values of a type without one.
func noOperator(t types.Type, op string, loc int32) error {
	return pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", types.TypeName(t), op, types.TypeName(t)).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.").WithPosition(loc + 1)
}

// needSortKeys checks every key of an ORDER BY.
func needSortKeys(keys []SortKey) error {
	for _, k := range keys {
		if err := needOrdering(k.E.Type()); err != nil {
			return err
		}
	}
	return nil
}

// needEqualityCols checks the columns a DISTINCT or set operation compares.
func needEqualityCols(cols []Column) error {
	for _, c := range cols {
		if err := needEquality(c.T); err != nil {
			return err
		}
	}
	return nil
}
