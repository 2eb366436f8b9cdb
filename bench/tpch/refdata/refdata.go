package refdata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Dir returns the TPC-H reference data directory (see the package comment).
func Dir() (string, error) {
	if d := os.Getenv("OMENDB_SHARED"); d != "" {
		p := filepath.Join(d, "tpch")
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("OMENDB_SHARED=%s: %w", d, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
	p := filepath.Join(filepath.Dir(dir), "shared", "tpch")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("TPC-H reference data not found (set OMENDB_SHARED to the shared/ directory): %w", err)
	}
	return p, nil
}
