package pgerr

import (
	"errors"
	"fmt"
)

// CopyLine adds the COPY input line to err as its detail, as PostgreSQL's
// "COPY t, line N" context does, unless err already has a detail of its
// own. Errors of the wire decoder (sql/pgwire) and of parsing and inserting
// rows (sql) go through it alike.
func CopyLine(err error, line int64) error {
	var pe *Error
	if errors.As(err, &pe) {
		if pe.Detail == "" {
			return pe.WithDetail("COPY line %d", line)
		}
		return err
	}
	return fmt.Errorf("COPY line %d: %w", line, err)
}
