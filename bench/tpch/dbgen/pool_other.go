//go:build !linux

package dbgen

func allocPool(n int) []byte { return make([]byte, n) }
