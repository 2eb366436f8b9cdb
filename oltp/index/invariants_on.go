//go:build invariants

package index

// invariants enables expensive self-checks (go test -tags invariants).
const invariants = true
