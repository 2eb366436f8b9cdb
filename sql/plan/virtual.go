package plan

import (
	"github.com/omendb/omendb/catalog"
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
