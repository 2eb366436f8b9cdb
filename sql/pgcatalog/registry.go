package pgcatalog

import (
	"strconv"
	"strings"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Fixed OIDs of the objects every OmenDB database has. They are PostgreSQL
// 15's where PostgreSQL has a fixed OID (namespaces, the bootstrap role,
// access methods, collations, the catalogs themselves).
const (
	oidPgCatalog  = 11
	oidPublic     = 2200
	oidInfoSchema = 13212
	oidBootstrap  = 10 // the one role: the session user
	// pg_database_owner, the predefined role that owns public in PostgreSQL 15.
	oidDatabaseOwner = 6171
	oidDatabase      = 16383
	oidHeapAM        = 2
	oidBtreeAM       = 403
	oidHashAM        = 405
	oidDefaultColl   = 100
	oidCColl         = 950
	oidPosixColl     = 951
	oidTablespace    = 1663 // pg_default
)

var (
	tOID   = types.OIDType
	tName  = types.Name
	tText  = types.Text
	tBool  = types.Bool
	tInt2  = types.Int2
	tInt4  = types.Int4
	tInt8  = types.Int8
	tFlt4  = types.Float4
	tChar  = types.Type{OID: types.OIDChar, Mod: -1}
	tRegpr = types.Type{OID: types.OIDRegproc, Mod: -1}
	// array-typed catalog columns
	tI2Vec   = types.Type{OID: types.OIDInt2Vector, Mod: -1}
	tOIDVec  = types.Type{OID: types.OIDOIDVector, Mod: -1}
	tI2Arr   = types.Type{OID: types.OIDInt2Array, Mod: -1}
	tOIDArr  = types.Type{OID: types.OIDOIDArray, Mod: -1}
	tTextArr = types.Type{OID: types.OIDTextArray, Mod: -1}
	tXid     = types.Xid
	tCharArr = types.Type{OID: types.OIDCharArray, Mod: -1}
)

// col is a column declaration of a virtual table.
type col struct {
	name string
	t    types.Type
}

type rowsFunc func(env plan.VirtualEnv) ([][]types.Value, error)

// tables holds every virtual table, keyed "schema.name".
var tables = map[string]*plan.VirtualTable{}

// order keeps registration order so pg_class lists the catalogs stably.
var order []*plan.VirtualTable

func define(schema, name string, oid uint32, cols []col, rows rowsFunc) {
	vt := &plan.VirtualTable{Schema: schema, Name: name, OID: oid, Rows: rows}
	for i, c := range cols {
		vt.Cols = append(vt.Cols, plan.Column{Name: c.name, T: c.t, TableOID: oid, AttNum: int16(i + 1)})
	}
	for _, x := range extensions[schema+"."+name] {
		vt.Cols = append(vt.Cols, x.plan(oid, len(vt.Cols))...)
		inner, values := vt.Rows, x.values
		vt.Rows = func(env plan.VirtualEnv) ([][]types.Value, error) {
			rs, err := inner(env)
			for i := range rs {
				rs[i] = append(rs[i][:len(rs[i]):len(rs[i])], values(env, rs[i])...)
			}
			return rs, err
		}
	}
	rows = vt.Rows
	if schema == "pg_catalog" && isCatalogTable(vt) {
		// The catalog tables (not the views) have the system column
		// tableoid, their own OID (pg_dump selects it from each).
		vt.Cols = append(vt.Cols, plan.Column{Name: "tableoid", T: tOID, TableOID: oid, AttNum: attnumTableOID, System: true})
		vt.Rows = func(env plan.VirtualEnv) ([][]types.Value, error) {
			rs, err := rows(env)
			for i := range rs {
				rs[i] = append(rs[i][:len(rs[i]):len(rs[i])], vOID(oid))
			}
			return rs, err
		}
	}
	key := schema + "." + name
	if _, ok := tables[key]; ok {
		panic("pgcatalog: " + key + " defined twice")
	}
	tables[key] = vt
	order = append(order, vt)
}

// extension adds columns to a catalog defined elsewhere: values computes
// them from the row the catalog's own function made. Extensions keep the
// catalogs' long row builders untouched where other columns are added.
type extension struct {
	cols   []col
	values func(env plan.VirtualEnv, row []types.Value) []types.Value
}

// extensions are the registered extensions by "schema.name"; define
// applies them, so they are registered by package variable initializers
// (which run before the init functions that define the catalogs).
var extensions = map[string][]extension{}

// extend registers an extension of the catalog schema.name.
func extend(schema, name string, cols []col, values func(env plan.VirtualEnv, row []types.Value) []types.Value) bool {
	extensions[schema+"."+name] = append(extensions[schema+"."+name], extension{cols, values})
	return true
}

func (x extension) plan(oid uint32, n int) []plan.Column {
	out := make([]plan.Column, len(x.cols))
	for i, c := range x.cols {
		out[i] = plan.Column{Name: c.name, T: c.t, TableOID: oid, AttNum: int16(n + i + 1)}
	}
	return out
}

// attnumTableOID is tableoid's attribute number, as in PostgreSQL.
const attnumTableOID = -6

// userCols are a virtual table's columns without its system columns.
func userCols(vt *plan.VirtualTable) []plan.Column {
	n := len(vt.Cols)
	for n > 0 && vt.Cols[n-1].System {
		n--
	}
	return vt.Cols[:n]
}

func init() {
	plan.SystemTables = lookup
}

// lookup implements plan.SystemTables. An unqualified name is looked up in
// pg_catalog only (information_schema is not on the search path).
func lookup(schema, name string) (*plan.VirtualTable, bool) {
	if schema == "" {
		schema = "pg_catalog"
	}
	vt, ok := tables[schema+"."+name]
	return vt, ok
}

// Lookup returns the virtual table schema.name (tests, the binder's regclass).
func Lookup(schema, name string) (*plan.VirtualTable, bool) { return lookup(schema, name) }

// value constructors, short for the row builders below

func vOID(o uint32) types.Value  { return types.NewInt(int64(o)) }
func vInt(i int64) types.Value   { return types.NewInt(i) }
func vText(s string) types.Value { return types.NewText(s) }
func vBool(b bool) types.Value   { return types.NewBool(b) }
func vChar(c byte) types.Value   { return types.NewText(string(c)) }

// vInts is an int2vector / int2[] / oidvector value.
func vInts(xs ...int64) types.Value {
	es := make([]types.Value, len(xs))
	for i, x := range xs {
		es[i] = types.NewInt(x)
	}
	return types.NewArray(es)
}

// vAttnums is the 1-based attribute numbers of 0-based column positions.
func vAttnums(cols []int) types.Value {
	xs := make([]int64, len(cols))
	for i, c := range cols {
		xs[i] = int64(c + 1)
	}
	return vInts(xs...)
}

var null = types.Null

// nspOID gives the namespace OID of a schema name: a user schema's is its
// object ID (cat may be nil when none matters). A session's temporary
// schema, pg_temp_<id>, has OID id (an object ID no other object has). A
// schema without an object (a CDC target's) shows as public.
func nspOID(cat *catalog.Catalog, schema string) uint32 {
	switch schema {
	case "pg_catalog":
		return oidPgCatalog
	case "information_schema":
		return oidInfoSchema
	}
	if id, ok := tempSchemaID(schema); ok {
		return id
	}
	if cat != nil {
		if sc, ok := cat.LookupSchema(schema); ok {
			return sc.ID
		}
	}
	return oidPublic
}

// tempSchemaID returns the ID in a temporary schema's name.
func tempSchemaID(schema string) (uint32, bool) {
	if !strings.HasPrefix(schema, catalog.TempSchemaPrefix) {
		return 0, false
	}
	id, err := strconv.ParseUint(schema[len(catalog.TempSchemaPrefix):], 10, 32)
	return uint32(id), err == nil
}

// nspName is the inverse of nspOID for built-in and user schemas.
func nspName(cat *catalog.Catalog, oid uint32) (string, bool) {
	if cat != nil {
		for _, sc := range cat.Schemas() {
			if sc.ID == oid {
				return sc.Name, true
			}
		}
	}
	switch oid {
	case oidPgCatalog:
		return "pg_catalog", true
	case oidPublic:
		return "public", true
	case oidInfoSchema:
		return "information_schema", true
	}
	return "", false
}

// userName is the name of the one role, the session user.
func userName(env interface{ Setting(string) (string, bool) }) string {
	if u, ok := env.Setting("session_authorization"); ok && u != "" {
		return u
	}
	return "omendb"
}

// dbName is the database's name.
func dbName(env interface{ Setting(string) (string, bool) }) string {
	if d, ok := env.Setting("omendb.database"); ok && d != "" {
		return d
	}
	return "omendb"
}

// live returns the columns of t that are not dropped with their attnums
// (PostgreSQL keeps dropped columns' attnums; so does OmenDB).
func liveCols(t *catalog.Table) []int {
	var out []int
	for i, c := range t.Columns {
		if !c.Dropped {
			out = append(out, i)
		}
	}
	return out
}

// quoteIdent quotes an identifier as PostgreSQL's quote_identifier does
// (types.QuoteIdent).
func quoteIdent(s string) string { return types.QuoteIdent(s) }

// virtualByOID is the virtual table (catalog or information_schema view) of
// OID oid, nil if none has it.
func virtualByOID(oid uint32) *plan.VirtualTable {
	for _, vt := range order {
		if vt.OID == oid {
			return vt
		}
	}
	return nil
}
