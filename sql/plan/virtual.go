package plan

import (
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/types"
)

// VirtualTable is a system table (pg_catalog, information_schema, OmenDB's
// own views) whose rows are computed from the catalog and the session when
// a statement scans it.
type VirtualTable struct {
	Schema, Name string
	OID          uint32
	Cols         []Column
	// Rows computes the table's rows. It runs on the session goroutine.
	Rows func(env VirtualEnv) ([][]types.Value, error)
}

// VirtualEnv is what a virtual table's rows may depend on.
type VirtualEnv interface {
	Catalog() *catalog.Catalog
	Setting(name string) (string, bool)
	// IndexStats describes every index of the row store.
	IndexStats() []oltp.IndexStat
	// PreparedStatements are the session's SQL-level prepared statements.
	PreparedStatements() []PreparedStatement
	// Activity describes every session (pg_stat_activity).
	Activity() []Activity
	// TableActivity returns the row store's counters of table id and its
	// live rows (ok false: the store has no such table).
	TableActivity(id uint32) (st *oltp.TableStats, live int64, ok bool)
	// IndexActivity returns the counters of index ix of table (nil: the
	// store has no such table).
	IndexActivity(table, ix uint32) *oltp.IndexUse
	// DatabaseActivity returns the database-wide counters
	// (pg_stat_database).
	DatabaseActivity() DatabaseActivity
	// Locks lists the locks held and awaited (pg_locks).
	Locks() []Lock
}

// DatabaseActivity is what pg_stat_database shows of the database beyond
// the sums of its tables' counters.
type DatabaseActivity struct {
	Backends                            int
	Commits, Rollbacks, Deadlocks       int64
	Sessions                            int64
	SessionTime, ActiveTime, IdleInXact time.Duration
	StatsReset                          time.Time // zero: never reset
}

// Lock is one row of pg_locks: a lock held or awaited.
type Lock struct {
	Kind string // pg_locks.locktype: "tuple", "relation", "advisory"
	// Relation is the locked table's OID (tuple, relation).
	Relation uint32
	// ClassID, ObjID, ObjSubID identify an advisory lock as PostgreSQL's
	// do: a bigint key's high and low halves and 1, or the two integer
	// keys and 2.
	ClassID, ObjID uint32
	ObjSubID       int
	VirtualXact    string
	PID            int32
	Mode           string
	Granted        bool
	WaitStart      time.Time // zero: granted
}

// Activity is one session as pg_stat_activity shows it (zero times: none).
type Activity struct {
	PID                                              int32
	User, App, State, Query                          string
	BackendStart, XactStart, QueryStart, StateChange time.Time
}

// Cursor is an open SQL cursor as pg_cursors lists it.
type Cursor struct {
	Name, Statement              string
	Holdable, Binary, Scrollable bool
	Created                      time.Time
}

// PreparedStatement is a PREPARE'd statement as pg_prepared_statements
// lists it.
type PreparedStatement struct {
	Name, Statement string
	At              time.Time
	Params          []types.OID
}

// omendbTables are OmenDB's own system views, found before SystemTables.
var omendbTables = map[string]*VirtualTable{}

// RegisterOmenDBTable adds a system view named like omendb_*.
func RegisterOmenDBTable(vt *VirtualTable) { omendbTables[vt.Name] = vt }

func init() {
	cols := []Column{
		{Name: "table_name", T: types.Text}, {Name: "index_name", T: types.Text}, {Name: "kind", T: types.Text},
		{Name: "keys", T: types.Int8}, {Name: "bytes", T: types.Int8}, {Name: "segments", T: types.Int8},
		{Name: "mean_error", T: types.Float8}, {Name: "max_error", T: types.Int8}, {Name: "window_hit_rate", T: types.Float8},
		{Name: "buffer_keys", T: types.Int8}, {Name: "merges", T: types.Int8}, {Name: "merge_ms", T: types.Float8},
	}
	RegisterOmenDBTable(&VirtualTable{Schema: "pg_catalog", Name: "omendb_index_stats", Cols: cols, Rows: func(env VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, st := range env.IndexStats() {
			x := st.Stats
			rows = append(rows, []types.Value{
				types.NewText(st.Table), types.NewText(st.Index), types.NewText(x.Kind),
				types.NewInt(int64(x.Keys)), types.NewInt(x.Bytes), types.NewInt(int64(x.Segments)),
				types.NewFloat(x.MeanError), types.NewInt(int64(x.MaxError)), types.NewFloat(x.WindowHitRate),
				types.NewInt(int64(x.BufferKeys)), types.NewInt(x.Merges), types.NewFloat(float64(x.MergeNanos) / 1e6),
			})
		}
		return rows, nil
	}})
}

// SystemTables resolves a system table by schema ("" = search_path:
// pg_catalog, then public) and name. Package sql/pgcatalog registers it in
// an init function; nil means no system tables.
var SystemTables func(schema, name string) (*VirtualTable, bool)

// VirtualScan reads a virtual table.
type VirtualScan struct {
	Table *VirtualTable
	Cols  []Column
}

// Columns implements Node.
func (n *VirtualScan) Columns() []Column { return n.Cols }

// RegResolve resolves the text of a regtype or regnamespace literal to its
// OID at bind time ('integer'::regtype). Package sql/pgcatalog sets it; nil
// leaves such literals to the type's input function.
var RegResolve func(cat *catalog.Catalog, typ types.OID, name string) (uint32, error)

// RegName gives the name a regclass, regnamespace or regproc OID prints as in cat
// (schema-qualified when the schema is not on the search path), "" when the
// OID names nothing. Package sql/pgcatalog sets it; nil prints OIDs.
var RegName func(cat *catalog.Catalog, env Env, typ types.OID, oid uint32) string
