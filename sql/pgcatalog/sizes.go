package pgcatalog

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Relation sizes (pg_relation_size and its kin, pg_database_size) are the
// row store's: a table's size is the stored bytes of its live rows (each
// row's key and encoded row; old versions awaiting reclaim are not
// counted), an index's size the memory its structure reports
// (index.Stats.Bytes). A table's primary key index — or, without one, its
// row-id index — is counted among its indexes, as PostgreSQL counts a
// primary key's btree. The column store's copy of the data is not
// counted. An index's own size is its memory under every function; views
// and sequences have no rows (0), and an OID naming nothing gives NULL.

// relationSizer is the session's access to the row store's sizes
// (sql.sessionState).
type relationSizer interface {
	RelationSize(id uint32) (rows, primary, secondary int64, ok bool)
	IndexSize(table, index uint32) (int64, bool)
}

func registerSizes() {
	size := func(pick func(rows, primary, secondary int64) int64) func(*funcs.Context, []types.Value) (types.Value, error) {
		return func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
			if ctx == nil {
				return null, pgerr.NotSupported("relation sizes are not available here")
			}
			rs, ok := ctx.Session.(relationSizer)
			if !ok {
				return null, pgerr.NotSupported("relation sizes are not available here")
			}
			rows, primary, secondary, ok := rs.RelationSize(uint32(a[0].I))
			if !ok {
				// Not a table (a view, sequence, index) or no such
				// relation: PostgreSQL answers NULL for an OID that names
				// nothing, 0 for relations without storage.
				cat, err := sessionCatalog(ctx)
				if err != nil {
					return null, err
				}
				if t, ix := indexOf(cat, uint32(a[0].I)); ix != nil {
					n, _ := rs.IndexSize(t.ID, ix.ID)
					return vInt(n), nil // an index's size is its own, by every measure
				}
				if !relationExists(cat, uint32(a[0].I)) {
					return null, nil
				}
				return vInt(0), nil
			}
			return vInt(pick(rows, primary, secondary)), nil
		}
	}
	reg("pg_relation_size", ts(tRegclass), tInt8, true, size(func(rows, _, _ int64) int64 { return rows }))
	reg("pg_table_size", ts(tRegclass), tInt8, true, size(func(rows, _, _ int64) int64 { return rows }))
	reg("pg_indexes_size", ts(tRegclass), tInt8, true, size(func(_, p, s int64) int64 { return p + s }))
	reg("pg_total_relation_size", ts(tRegclass), tInt8, true, size(func(rows, p, s int64) int64 { return rows + p + s }))
	dbSize := func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if ctx == nil {
			return null, pgerr.NotSupported("database sizes are not available here")
		}
		rs, ok := ctx.Session.(relationSizer)
		if !ok {
			return null, pgerr.NotSupported("database sizes are not available here")
		}
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		if a[0].K == types.KindText && a[0].S != dbName(ctx.Session) {
			return null, pgerr.New(pgerr.InvalidCatalogName, "database %q does not exist", a[0].S)
		}
		if a[0].K != types.KindText && a[0].I != oidDatabase {
			return null, nil
		}
		var total int64
		for _, t := range cat.Tables() {
			if rows, p, s, ok := rs.RelationSize(t.ID); ok {
				total += rows + p + s
			}
		}
		return vInt(total), nil
	}
	reg("pg_database_size", ts(tName), tInt8, true, dbSize)
	reg("pg_database_size", ts(tOID), tInt8, true, dbSize)
}

// indexOf finds the index whose catalog id is oid, and its table.
func indexOf(cat *catalog.Catalog, oid uint32) (*catalog.Table, *catalog.Index) {
	for _, t := range cat.Tables() {
		for i := range t.Indexes {
			if t.Indexes[i].ID == oid {
				return t, &t.Indexes[i]
			}
		}
	}
	return nil, nil
}

// relationExists reports whether oid names a table, view or sequence of
// cat.
func relationExists(cat *catalog.Catalog, oid uint32) bool {
	if _, ok := cat.Table(oid); ok {
		return true
	}
	if _, ok := cat.Sequence(oid); ok {
		return true
	}
	_, ok := cat.View(oid)
	return ok
}
