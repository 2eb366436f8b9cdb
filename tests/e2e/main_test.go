package e2e

import (
	"os"
	"testing"

	"github.com/omendb/omendb/internal/testproc"
)

// TestMain removes the omendb binary the tests built (testproc.Main).
func TestMain(m *testing.M) { os.Exit(testproc.Main(m)) }
