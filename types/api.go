package types

// This file declares the type system's operations. Each function is
// implemented in its own file of this package (io_text.go, io_binary.go,
// cast.go, compare.go, arith.go, row.go, datetime.go).

import "time"

// Conventions shared by every function here:
//   - Errors are *pgerr.Error with PostgreSQL's SQLSTATE and message text
//     (22P02 invalid input syntax, 22003 out of range, 22001 too long, 22012
//     division by zero, 22007/22008 datetime errors, 42846 cannot cast).
//   - NULL in gives NULL out unless stated otherwise; functions never panic on
//     any input.
//   - loc is the session's TimeZone; nil means UTC.

// ParseText is the type's text input function (PostgreSQL's int4in, numeric_in,
// timestamptz_in, …), including the typmod coercion of t (varchar(n) length
// check, char(n) padding, numeric(p,s) rounding and precision check).
//
//	func ParseText(t Type, s string, loc *time.Location) (Value, error)
//
// AppendText appends the type's text output (PostgreSQL's output function with
// DateStyle ISO, MDY; IntervalStyle postgres; bytea_output hex;
// extra_float_digits 1, i.e. shortest round-trip floats).
//
//	func AppendText(buf []byte, v Value, t Type, loc *time.Location) []byte
//
// ParseBinary / AppendBinary are the binary send/receive formats.
//
//	func ParseBinary(t Type, b []byte) (Value, error)
//	func AppendBinary(buf []byte, v Value, t Type) ([]byte, error)
//
// Cast converts v from type `from` to type `to` with PostgreSQL's semantics;
// explicit is true for CAST/:: and false for assignment casts (INSERT/UPDATE).
//
//	func Cast(v Value, from, to Type, explicit bool, loc *time.Location) (Value, error)
//
// Compare orders two non-null values of the same type family (numbers of any
// kind compare with each other exactly); it returns -1, 0 or +1.
//
//	func Compare(a, b Value) int
//
// Hash returns a hash consistent with Compare == 0 (so 1::int, 1.0::numeric and
// 1.0::float8 hash alike).
//
//	func Hash(v Value) uint64
//
// EncodeRow / DecodeRow are the row format stored in log records (docs/row-format.md).
//
//	func EncodeRow(buf []byte, row []Value) []byte
//	func DecodeRow(b []byte, dst []Value) ([]Value, error)

var _ = time.UTC
