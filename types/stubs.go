package types

// Temporary stubs so dependants compile while the implementations land.
// Each is removed from this file when its real implementation is written.

import (
	"time"

	"github.com/omendb/omendb/pgerr"
)

func ParseText(t Type, s string, loc *time.Location) (Value, error) {
	return Null, pgerr.NotSupported("ParseText not implemented")
}
func AppendText(buf []byte, v Value, t Type, loc *time.Location) []byte { return buf }
func ParseBinary(t Type, b []byte) (Value, error) {
	return Null, pgerr.NotSupported("ParseBinary not implemented")
}
func AppendBinary(buf []byte, v Value, t Type) ([]byte, error) {
	return buf, pgerr.NotSupported("AppendBinary not implemented")
}
func Cast(v Value, from, to Type, explicit bool, loc *time.Location) (Value, error) {
	return Null, pgerr.NotSupported("Cast not implemented")
}
func Compare(a, b Value) int                           { return 0 }
func Hash(v Value) uint64                              { return 0 }
func EncodeRow(buf []byte, row []Value) []byte         { return buf }
func DecodeRow(b []byte, dst []Value) ([]Value, error) { return dst, nil }
