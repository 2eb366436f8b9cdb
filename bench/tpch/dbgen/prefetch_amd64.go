package dbgen

// prefetch asks the CPU to load the cache line holding *p (PREFETCHT0).
//
//go:noescape
func prefetch(p *byte)
