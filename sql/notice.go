package sql

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
)

// Notices: the NOTICE and WARNING messages statements raise, as
// PostgreSQL raises them (DROP … IF EXISTS of a missing object, CREATE …
// IF NOT EXISTS of an existing one, BEGIN inside a transaction block,
// COMMIT outside one). pgwire sends them before the statement's
// CommandComplete or ErrorResponse (pgwire.Noticer); client_min_messages
// decides which reach the client.

// messageLevels rank client_min_messages' values and the severities
// raised (LOG ranks below NOTICE for the client, as in PostgreSQL).
var messageLevels = map[string]int{
	"debug5": 1, "debug4": 2, "debug3": 3, "debug2": 4, "debug": 5, "debug1": 5,
	"log": 6, "notice": 7, "warning": 8, "error": 9,
}

// raise queues a message of severity sev ("NOTICE", "WARNING") with
// SQLSTATE code for the client, unless client_min_messages is above it.
func (s *Session) raise(sev, code, format string, args ...any) {
	min := "notice"
	if v, ok := s.Setting("client_min_messages"); ok {
		min = strings.ToLower(v)
	}
	if messageLevels[strings.ToLower(sev)] < messageLevels[min] {
		return
	}
	s.notices = append(s.notices, &pgerr.Error{Severity: sev, Code: code, Message: fmt.Sprintf(format, args...)})
}

// notice raises a NOTICE (SQLSTATE 00000 unless code says otherwise).
func (s *Session) notice(code, format string, args ...any) {
	if code == "" {
		code = "00000"
	}
	s.raise("NOTICE", code, format, args...)
}

// skipMissing raises PostgreSQL's NOTICE for DROP … IF EXISTS (and ALTER
// … IF EXISTS) of an object that does not exist: `table "t" does not
// exist, skipping`.
func (s *Session) skipMissing(kind, name string) {
	s.notice("", "%s %q does not exist, skipping", kind, name)
}

// TakeNotices implements pgwire.Noticer.
func (s *Session) TakeNotices() []*pgerr.Error {
	n := s.notices
	s.notices = nil
	return n
}

// skipMissingFunction raises DROP FUNCTION IF EXISTS's NOTICE for a
// function that does not exist, worded as PostgreSQL's
// does_not_exist_skipping: its name and argument types as written
// (function f(pg_catalog.int4) …), or its schema when that is what is
// missing. code is the lookup's SQLSTATE; a missing argument type raises
// nothing (its wording is not PostgreSQL's to guess).
func (s *Session) skipMissingFunction(ow *pg.ObjectWithArgs, code string) {
	names := nodeNames(ow.Objname)
	switch code {
	case pgerr.InvalidSchemaName:
		if len(names) > 1 {
			s.skipMissing("schema", names[len(names)-2])
		}
		return
	case pgerr.UndefinedFunction:
	default:
		return
	}
	args := make([]string, len(ow.Objargs))
	for i, a := range ow.Objargs {
		tn := a.GetTypeName()
		if tn == nil {
			return
		}
		args[i] = strings.Join(nodeNames(tn.Names), ".") + strings.Repeat("[]", len(tn.ArrayBounds))
	}
	s.notice("", "function %s(%s) does not exist, skipping", strings.Join(names, "."), strings.Join(args, ","))
}
