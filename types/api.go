package types

// This file lists the type system's operations; each is implemented in the
// file named next to it. Conventions shared by all of them:
//   - Errors are *pgerr.Error with PostgreSQL's SQLSTATE and message text
//     (22P02 invalid input syntax, 22003 out of range, 22001 too long, 22012
//     division by zero, 22007/22008 datetime errors, 42846 cannot cast,
//     42883 no operator, 42704 unknown type, 22P03 bad binary data).
//   - NULL in gives NULL out unless stated otherwise; functions never panic on
//     any input.
//   - loc is the session's TimeZone; nil means UTC.
//
// Text and binary I/O (io_text.go, io_binary.go, datetime_io.go, json.go):
//
//	func ParseText(t Type, s string, loc *time.Location) (Value, error)
//	func AppendText(buf []byte, v Value, t Type, loc *time.Location) []byte
//	func TextString(v Value, t Type, loc *time.Location) string
//	func ParseBinary(t Type, b []byte) (Value, error)
//	func AppendBinary(buf []byte, v Value, t Type) ([]byte, error)
//	func AppendFloat(buf []byte, f float64, bits int) []byte // float4out/float8out
//	func ParseNumeric(s string) (*apd.Decimal, error)        // numeric_in without typmod
//	func NewTime(us int64) Value                             // time: KindInterval, µs since midnight
//
// ParseText applies the typmod of t as the input function does: varchar(n)
// and char(n) error 22001 unless only spaces are cut, char(n) pads,
// numeric(p,s) rounds half away from zero (22003 on overflow), timestamp(p)
// rounds. Casts (below) implement the explicit truncating forms.
//
// Casts and type names (cast.go, typename.go):
//
//	func Cast(v Value, from, to Type, explicit bool, loc *time.Location) (Value, error)
//	func CanCast(from, to Type, explicit bool) bool
//	func TypeName(t Type) string                                 // format_type()
//	func ParseTypeName(names []string, mods []int32) (Type, error) // pg_query names
//	func NumericTypmod(prec, scale int32) int32
//	func NumericScale(d *apd.Decimal) int32
//
// Comparison and hashing (compare.go):
//
//	func Compare(a, b Value) int                // -1/0/+1; NULL sorts last
//	func Equal(a, b Value) bool                 // SQL '=': false if either is NULL
//	func Hash(v Value) uint64                   // Compare(a,b)==0 ⇒ Hash(a)==Hash(b)
//	func CompareTyped(a, b Value, t Type) int   // bpchar ignores trailing spaces
//	func CompareBPChar(a, b string) int
//	func HashTyped(v Value, t Type) uint64      // consistent with CompareTyped
//
// Arithmetic (arith.go):
//
//	func BinaryOpType(op string, l, r Type) (Type, error)
//	func BinaryOp(op string, l Value, lt Type, r Value, rt Type) (Value, error)
//	func BinaryOpLoc(op string, l Value, lt Type, r Value, rt Type, loc *time.Location) (Value, error)
//	func Negate(v Value, t Type) (Value, error)
//
// Date/time functions (datetime.go):
//
//	func DateTrunc(field string, v Value, t Type, loc *time.Location) (Value, error)
//	func Extract(field string, v Value, t Type, loc *time.Location) (Value, error) // numeric
//
// Row encoding (row.go, docs/row-format.md):
//
//	func EncodeRow(buf []byte, row []Value) []byte
//	func DecodeRow(b []byte, dst []Value) ([]Value, error) // reuses dst[:0]
//	func DecodeRowAlias(b []byte, dst []Value) ([]Value, error) // strings alias b
//	func (s *RowSlab) Decode(b []byte) ([]Value, error)     // alias, values from shared blocks
//	func (s *RowSlab) Reset()                               // reuse the blocks (rows handed out are overwritten)
//	func CheckRow(b []byte) error                           // validate, no allocation
