package sql

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
)

// CREATE EXTENSION. OmenDB has no extension mechanism; it accepts the
// extensions whose functions applications use and it has built in, so
// migrations that create them run unchanged:
//
//	plpgsql    always present, as in PostgreSQL (pg_extension lists it);
//	           CREATE without IF NOT EXISTS fails with 42710
//	uuid-ossp  uuid_generate_v4()
//	pgcrypto   gen_random_uuid() (its digest/crypt functions are not built
//	           in: calls fail with 42883)
//
// Creating one of the last two records nothing (pg_extension does not list
// it). Any other extension fails with 0A000.
func (s *Session) createExtension(ce *pg.CreateExtensionStmt) (*result, error) {
	switch ce.Extname {
	case "plpgsql":
		if !ce.IfNotExists {
			return nil, pgerr.New(pgerr.DuplicateObject, "extension %q already exists", ce.Extname)
		}
		s.notice(pgerr.DuplicateObject, "extension %q already exists, skipping", ce.Extname)
	case "uuid-ossp", "pgcrypto":
	default:
		return nil, pgerr.NotSupported("extension %q is not available in OmenDB", ce.Extname)
	}
	return &result{tag: "CREATE EXTENSION"}, nil
}
