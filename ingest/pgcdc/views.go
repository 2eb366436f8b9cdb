package pgcdc

import (
	"sync"

	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

var viewsOnce sync.Once

// registerViews adds the system views omendb_sources and
// omendb_source_tables in front of whatever resolves system tables already
// (it chains to the previous resolver). They show the sources of the most
// recently started manager in this process.
func registerViews() {
	viewsOnce.Do(func() {
		prev := plan.SystemTables
		views := map[string]*plan.VirtualTable{
			"omendb_sources":       view("omendb_sources", 1<<30+1, sourceCols, func(m *Manager) [][]types.Value { _, r := m.sourceRows(); return r }),
			"omendb_source_tables": view("omendb_source_tables", 1<<30+2, tableCols, func(m *Manager) [][]types.Value { _, r := m.tableRows(); return r }),
		}
		plan.SystemTables = func(schema, name string) (*plan.VirtualTable, bool) {
			if v, ok := views[name]; ok && (schema == "" || schema == "pg_catalog" || schema == "public" || schema == "omendb") {
				return v, true
			}
			if prev != nil {
				return prev(schema, name)
			}
			return nil, false
		}
	})
}

func view(name string, oid uint32, cols []pgwire.Column, rows func(*Manager) [][]types.Value) *plan.VirtualTable {
	v := &plan.VirtualTable{Schema: "pg_catalog", Name: name, OID: oid}
	for _, c := range cols {
		v.Cols = append(v.Cols, plan.Column{Name: c.Name, T: c.Type})
	}
	v.Rows = func(plan.VirtualEnv) ([][]types.Value, error) {
		mgrMu.Lock()
		m := lastMgr
		mgrMu.Unlock()
		if m == nil {
			return nil, nil
		}
		return rows(m), nil
	}
	return v
}
