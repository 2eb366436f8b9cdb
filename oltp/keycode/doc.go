// Package keycode encodes SQL values into byte strings whose byte order
// (bytes.Compare) is the SQL order of the values. Every primary and
// secondary key of the OLTP row state is such an encoding, so the indexes
// (package oltp/index) compare keys with bytes.Compare only and the learned
// index can model a numeric projection of the bytes.
//
// # Format
//
// Each column value is self-delimiting (no encoding is a proper prefix of
// another of the same column type), so a composite key is simply the
// concatenation of its columns' encodings and orders lexicographically by
// column. A value starts with a tag byte:
//
//	0x10 non-null, followed by the payload of its kind
//	0xF0 NULL (sorts after every non-null value: PostgreSQL's NULLS LAST;
//	     0x0F for an element ordered NULLS FIRST, below)
//
// Payloads (ascending):
//
//	bool                       1 byte, 0 or 1
//	int2/int4/int8/oid/reg*    8 bytes big-endian, sign bit flipped (all widths
//	date/timestamp/timestamptz  alike, so a probe of any width matches)
//	float4/float8              8 bytes: IEEE bits with sign flipped for x >= 0,
//	                           all bits inverted for x < 0; -0 encodes as +0;
//	                           every NaN encodes as all ones (largest, as in PG)
//	interval                   16 bytes: the signed 128-bit total span in µs
//	                           with 30-day months and 24-hour days (PG's
//	                           interval_cmp_value), sign bit flipped
//	uuid                       the 16 raw bytes
//	inet/cidr                  PostgreSQL's network_cmp order (family, the
//	                           network over the shorter mask, mask length,
//	                           whole address) as the value's bytes
//	                           (types/inet.go), 10 bytes for IPv4: 0x02, the
//	                           network (address with host bits zeroed, 4
//	                           bytes), the mask length (1 byte), the address
//	                           (4 bytes); 34 for IPv6: 0x03, 16, 1, 16 bytes.
//	                           The family byte fixes the length; inet and cidr
//	                           encode alike
//	text/varchar/name/"char",  the bytes with 0x00 escaped as 0x00 0xFF, then
//	bytea, json                the terminator 0x00 0x01 (byte order, i.e. the C
//	                           collation); char(n) drops trailing spaces first
//	                           as PostgreSQL's bpchar comparison does
//	jsonb                      by value (types.AppendJSONBKey), so that byte
//	                           order is PostgreSQL's jsonb order and equal
//	                           values (1.0 and 1) encode equal: an object is
//	                           0x11, its pair count (4 bytes big-endian) and
//	                           its pairs in jsonb key order, each key as a
//	                           text payload followed by its value; an array
//	                           or a top-level scalar is 0x10, the element
//	                           count, 0x01 for an array or 0x00 for a
//	                           scalar, then the elements; an element is 0x01
//	                           null, 0x02 + text payload, 0x03 + a number
//	                           (its own sign class, adjusted exponent and
//	                           digits, inverted when negative), 0x04 + 0/1,
//	                           or a nested array/object as above. Tables
//	                           created before this encoding (catalog.Table
//	                           KeyVersion 0) key their jsonb columns as json
//	numeric                    a class byte: 0x01 -Inf, 0x02 negative, 0x03
//	                           zero, 0x04 positive, 0x05 +Inf, 0x06 NaN; finite
//	                           non-zero values x = ±0.d1d2…dn × 10^E (d1 != 0,
//	                           dn != 0, so 1.0 and 1.00 encode equal) continue
//	                           with E (8 bytes, sign flipped) and the digits in
//	                           pairs as bytes 1..100 ended by 0x00; negative
//	                           values invert those bytes
//
// Key elements in other orders (index columns declared DESC, NULLS FIRST:
// Order, PostgreSQL's indoption bits) are encoded by AppendOrdered. A
// descending element inverts every byte of the ascending encoding of a
// value (its tag becomes 0xEF); the result is still self-delimiting and
// orders in reverse. A NULL is one byte whatever the direction: 0xF0
// (TagNull) for NULLS LAST, after both value tags, and 0x0F (TagNullFirst)
// for NULLS FIRST, before both. So ASC NULLS LAST is Append's encoding and
// DESC NULLS FIRST (PostgreSQL's default for DESC; AppendDesc) is exactly
// the inversion of it. An index keeps one ascending byte order whatever its
// columns' orders, and reading it backward yields every column's opposite
// order (DESC NULLS FIRST for an ASC NULLS LAST column, as PostgreSQL's
// backward index scans do).
//
// There is no decoder: rows are stored separately; keys only need to order.
//
// # Concurrency
//
// The functions are pure and may be called from any goroutine. Append
// appends to buf and never retains it.
package keycode
