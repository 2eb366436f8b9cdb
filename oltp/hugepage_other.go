//go:build !linux

package oltp

import "unsafe"

// adviseHuge is a no-op where MADV_HUGEPAGE does not exist.
func adviseHuge(p unsafe.Pointer, n uintptr) {}
