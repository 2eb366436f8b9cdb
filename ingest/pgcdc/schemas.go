package pgcdc

import (
	"slices"
	"strings"

	"github.com/omendb/omendb/catalog"
)

// A source's tables and enum mirrors live in schemas named as on the
// source. CREATE SOURCE creates each such schema that OmenDB does not have
// yet as a user schema (a create_schema change in the same record as the
// tables), so that it is a namespace like any other — in pg_namespace,
// psql's \dn, and the relations' relnamespace — and DROP SOURCE drops
// those it created once nothing else lives in them.

// sourceSchemas returns new schemas for the names in names (a source's
// target schemas) that are neither built in nor already in cat, each once.
func sourceSchemas(cat *catalog.Catalog, names []string, newID func() uint32) []*catalog.Schema {
	var out []*catalog.Schema
	for _, name := range names {
		switch {
		case name == "public" || name == "pg_catalog" || name == "information_schema",
			strings.HasPrefix(name, catalog.TempSchemaPrefix):
			continue
		}
		if _, ok := cat.LookupSchema(name); ok {
			continue
		}
		if slices.ContainsFunc(out, func(s *catalog.Schema) bool { return s.Name == name }) {
			continue
		}
		out = append(out, &catalog.Schema{ID: newID(), Name: name})
	}
	return out
}

// schemaByID finds user schema id in cat.
func schemaByID(cat *catalog.Catalog, id uint32) (*catalog.Schema, bool) {
	for _, sc := range cat.Schemas() {
		if sc.ID == id {
			return sc, true
		}
	}
	return nil, false
}

// schemaHoldsOthers reports whether schema holds an object other than
// those being dropped (table and enum type IDs): a table, view, sequence
// or enum type a user made there after the source did.
func schemaHoldsOthers(cat *catalog.Catalog, schema string, dropped map[uint32]bool) bool {
	for _, t := range cat.Tables() {
		if t.Schema == schema && !dropped[t.ID] {
			return true
		}
	}
	for _, v := range cat.Views() {
		if v.Schema == schema {
			return true
		}
	}
	for _, s := range cat.Sequences() {
		if s.Schema == schema && !dropped[s.ID] {
			return true
		}
	}
	for _, e := range cat.EnumTypes() {
		if e.Schema == schema && !dropped[e.ID] {
			return true
		}
	}
	return false
}
