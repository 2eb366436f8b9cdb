package pgcatalog

import (
	"strings"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// oidPgSequences is the pg_sequences view's OID (OmenDB's own; stable).
const oidPgSequences = 12012

// pg_sequences is PostgreSQL's view of every sequence with its parameters
// and last value: NULL before the first nextval (or after setval(…,
// false)), as PostgreSQL shows a sequence that was not called.
func init() {
	define("pg_catalog", "pg_sequences", oidPgSequences, []col{
		{"schemaname", tName}, {"sequencename", tName}, {"sequenceowner", tName},
		{"data_type", types.Type{OID: types.OIDRegtype, Mod: -1}},
		{"start_value", tInt8}, {"min_value", tInt8}, {"max_value", tInt8}, {"increment_by", tInt8},
		{"cycle", tBool}, {"cache_size", tInt8}, {"last_value", tInt8},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		r, _ := env.(plan.SequenceReader)
		for _, sq := range env.Catalog().Sequences() {
			if otherTemp(env, sq.Schema) {
				continue
			}
			lo, hi := sq.Bounds()
			last := types.Null
			if r != nil {
				if v, ok := r.SequencePosition(sq.ID); ok {
					last = vInt(v)
				}
			}
			rows = append(rows, []types.Value{vText(sq.Schema), vText(sq.Name), vText(userName(env)),
				vOID(uint32(sq.DataType())), vInt(sq.Start), vInt(lo), vInt(hi), vInt(sq.Inc),
				vBool(sq.Cycle), vInt(sq.CacheSize()), last})
		}
		return rows, nil
	})
}

// otherTemp reports whether schema is another session's temporary schema
// (pg_is_other_temp_schema), whose objects PostgreSQL's views leave out.
func otherTemp(env plan.VirtualEnv, schema string) bool {
	if !strings.HasPrefix(schema, catalog.TempSchemaPrefix) {
		return false
	}
	te, ok := env.(plan.TempEnv)
	return !ok || te.TempSchema() != schema
}
