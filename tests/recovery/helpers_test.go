// Package recovery holds end-to-end recovery tests: the real omendb binary
// SIGKILLed in a loop with checkpoints on, corrupt checkpoints, backup and
// restore. The real-binary helpers are in internal/testproc.
package recovery

import (
	"testing"

	"github.com/omendb/omendb/internal/testproc"
)

// The real-binary helpers live in internal/testproc.
type proc = testproc.Proc

func omendbBinary(t *testing.T) string { return testproc.Binary(t) }

func freePort(t *testing.T) int { return testproc.FreePort(t) }

func startServe(t *testing.T, data string, env ...string) *proc {
	return testproc.Start(t, data, env)
}
