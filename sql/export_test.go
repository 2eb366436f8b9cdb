package sql

import "github.com/omendb/omendb/sql/pgwire"

// IsPointRead reports whether st, once described or executed, runs as an
// autocommit point read (pointget.go).
func IsPointRead(st pgwire.Statement) bool {
	if l, ok := st.(*litStatement); ok {
		st = l.st // served by the simple-query cache
	}
	s, ok := st.(*statement)
	return ok && s.point != nil
}

// IsPointUpdate reports whether st, once described or executed, runs as a
// point update (pointwrite.go).
func IsPointUpdate(st pgwire.Statement) bool {
	s, ok := st.(*statement)
	return ok && s.pointUpd != nil
}

// IsPointInsert reports whether st, once described or executed, runs as a
// point insert (pointinsert.go).
func IsPointInsert(st pgwire.Statement) bool {
	s, ok := st.(*statement)
	return ok && s.pointIns != nil
}
