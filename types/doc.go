// Package types is OmenDB's SQL type system: the Value representation of one
// datum, PostgreSQL-compatible text and binary I/O, casts, comparison and
// hashing, arithmetic, date/time functions and the row encoding stored in log
// records. It is a leaf package: it imports nothing of OmenDB's except pgerr.
//
// # Representation
//
// A Value is a small struct (value.go): a Kind saying which fields are used,
// and I, I2, S, N. Several SQL types share a kind; the Type (OID + typmod)
// travelling next to a value says which SQL type it is. Summary:
//
//	KindBool        I = 0 or 1
//	KindInt         I (int2, int4, int8, oid, reg*)
//	KindFloat       I = math.Float64bits (float4 values are stored widened)
//	KindNumeric     N, a finite decimal (Exponent ≤ 0 after input; scale = -Exponent),
//	                or NaN / ±Infinity (N.Form)
//	KindText        S (text, varchar, char(n) blank-padded, name, "char"); for a
//	                user-defined enum type, the representation of its label: an
//	                ASCII string ordered bytewise in the type's declared order
//	                (enum.go; the Type's Enum definition maps labels both ways)
//	KindBytes       S holds the raw bytes of a bytea
//	KindDate        I = days since 1970-01-01, MinInt64/MaxInt64 = ∓infinity
//	KindTimestamp   I = µs since 1970-01-01 00:00:00 (no zone), MinInt64/MaxInt64 = ∓infinity
//	KindTimestampTZ I = µs since 1970-01-01 00:00:00 UTC, same infinities
//	KindInterval    I = µs, I2 = months<<32 | uint32(days); also time without time
//	                zone: I = µs since midnight (0 … 24:00:00), I2 = 0, so that it
//	                prints, compares, hashes and encodes like the interval it is
//	KindUUID        S = the 16 raw bytes
//	KindInet        S = inet or cidr: family, network, mask length and
//	                address in a form whose byte order is PostgreSQL's
//	                network_cmp (inet.go)
//	KindJSON        S = the JSON text (jsonb normalised on input)
//	KindArray       S = the elements encoded as a row (EncodeRow), I = their
//	                count: arrays with lower bound 1 of any element type
//	                (array.go); a multidimensional array's elements are its
//	                sub-arrays, all of one shape (array_md.go);
//	                int2vector and oidvector are arrays of int2/oid
//	                printed space-separated and
//	                subscripted from 0; records are KindArray values
//	                of their fields: a ROW(…)'s typed record with the
//	                field types in Type.Rec, the (x, n) records of
//	                _pg_expandarray typed record with x's type OID in
//	                the typmod
//
// # Invariants
//
//   - Values are immutable. S and N may be shared between copies of a Value,
//     between rows and between a function's argument and its result (Cast of
//     a numeric to unconstrained numeric returns the same N); nobody mutates
//     them after construction. Callers that build an *apd.Decimal hand it
//     over with NewNumeric and must not touch it afterwards.
//   - A numeric's display scale is -N.Exponent (1.50 has Coeff 150, Exponent
//     -2); input normalises positive exponents away and never produces -0.
//   - Compare/Equal/Hash agree: Compare(a, b) == 0 implies Hash(a) == Hash(b),
//     across int, numeric and float (1, 1.0 and 1.0e0 hash alike).
//   - No function here panics on any input; DecodeRow in particular returns an
//     error wrapping pgerr.ErrCorrupt for anything malformed. Values it returns
//     never alias the input buffer; those of DecodeRowAlias and RowSlab do
//     (for immutable buffers: the row store's stored rows).
//   - Errors a client may see are *pgerr.Error with PostgreSQL's SQLSTATE and
//     message text.
//
// # Conventions
//
// Arrays follow PostgreSQL's array_in/array_out/array_send/array_recv for
// up to six dimensions; explicit lower bounds ([0:1]={…}) fail with 0A000.
// ArrayElems gives the elements in row-major order (as unnest and = ANY see
// them), ArrayDims the shape. Compare orders arrays element by element
// (NULL elements last), then by element count, dimension count and
// dimensions, as array_cmp does. reg* values may carry the name they print
// (reg.go); aclitem is text (aclitem.go).
//
// loc arguments are the session TimeZone; nil means UTC. Text output follows
// PostgreSQL with DateStyle ISO, MDY; IntervalStyle postgres; bytea_output
// hex; extra_float_digits 1 (shortest round-trip floats).
//
// bpchar comparison: char(n) values are stored padded, and Compare compares
// bytes exactly. Use CompareTyped(a, b, t) (or CompareBPChar) when the type
// may be bpchar: it ignores trailing spaces as PostgreSQL does.
//
// # Ownership
//
// Owned by the types engineer; the row format is documented byte by byte in
// docs/row-format.md and is versioned (RowFormatVersion). All functions are
// safe for concurrent use: the package has no mutable state.
package types
