package pgcatalog

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// WalkMessages calls f on m and on every message below it, in a parse
// tree of pg_query (sql uses it to rewrite stored view queries and
// defaults when a relation they name is renamed).
func WalkMessages(m protoreflect.Message, f func(protoreflect.Message)) { walkMessages(m, f) }

// CTENames returns the names of every WITH query in m.
func CTENames(m protoreflect.Message) map[string]bool {
	names := map[string]bool{}
	collectCTENames(m, names)
	return names
}

// RegclassLiteral is the string of m when m is a 'text'::regclass cast.
func RegclassLiteral(m protoreflect.Message) (*pg.String, bool) { return regclassLiteral(m) }
