//go:build !amd64

package dbgen

// prefetch is a no-op where no prefetch instruction is wired up.
func prefetch(p *byte) {}
