package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/omendb/omendb/pgerr"
)

// Schema is a user schema (CREATE SCHEMA): a namespace with an OID and an
// owner. The built-in schemas (public, pg_catalog, information_schema) and
// the sessions' temporary schemas have no Schema; neither need the schemas
// CDC targets live in, which exist as long as something lives in them
// (SchemaExists).
type Schema struct {
	ID    uint32 `json:"id"`
	Name  string `json:"name"`
	Owner string `json:"owner,omitempty"`
}

// Built-in schemas, which always exist.
var builtinSchemas = map[string]bool{"public": true, "pg_catalog": true, "information_schema": true}

// LookupSchema finds a user schema by name.
func (c *Catalog) LookupSchema(name string) (*Schema, bool) {
	id, ok := c.schemaName[name]
	if !ok {
		return nil, false
	}
	return c.schemas[id], true
}

// Schemas returns the user schemas ordered by ID.
func (c *Catalog) Schemas() []*Schema {
	out := make([]*Schema, 0, len(c.schemas))
	for _, s := range c.schemas {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SchemaExists reports whether objects can be named in schema: a built-in
// schema, a temporary one, a user schema, or a schema something already
// lives in (a CDC target's, made without CREATE SCHEMA).
func (c *Catalog) SchemaExists(name string) bool {
	if builtinSchemas[name] || strings.HasPrefix(name, TempSchemaPrefix) {
		return true
	}
	if _, ok := c.schemaName[name]; ok {
		return true
	}
	return c.SchemaUsed(name)
}

// SchemaUsed reports whether a table, view, sequence or enum type lives in
// schema.
func (c *Catalog) SchemaUsed(name string) bool {
	for _, t := range c.tables {
		if t.Schema == name {
			return true
		}
	}
	for _, v := range c.views {
		if v.Schema == name {
			return true
		}
	}
	for _, s := range c.sequences {
		if s.Schema == name {
			return true
		}
	}
	for _, e := range c.enums {
		if e.t.Schema == name {
			return true
		}
	}
	for _, f := range c.funcs {
		if f.Schema == name {
			return true
		}
	}
	return false
}

// applySchema applies create_schema and drop_schema to n (a clone).
func (n *Catalog) applySchema(ch *Change) error {
	switch ch.Kind {
	case CreateSchema:
		s := ch.Schema
		if s == nil || s.ID == 0 || s.Name == "" {
			return fmt.Errorf("create_schema without a schema: %w", pgerr.ErrCorrupt)
		}
		if _, ok := n.schemaName[s.Name]; ok || builtinSchemas[s.Name] {
			return pgerr.New(pgerr.DuplicateSchema, "schema %q already exists", s.Name)
		}
		if _, ok := n.schemas[s.ID]; ok {
			return fmt.Errorf("create_schema %d: ID in use: %w", s.ID, pgerr.ErrCorrupt)
		}
		cp := *s
		n.schemas[s.ID] = &cp
		n.schemaName[s.Name] = s.ID
		n.noteID(s.ID)
	case DropSchema:
		s, ok := n.schemas[ch.ID]
		if !ok {
			return pgerr.New(pgerr.InvalidSchemaName, "schema with OID %d does not exist", ch.ID)
		}
		if n.SchemaUsed(s.Name) {
			return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop schema %s because other objects depend on it", s.Name).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
		delete(n.schemas, s.ID)
		delete(n.schemaName, s.Name)
	case RenameSchema:
		s := ch.Schema
		if s == nil || s.Name == "" {
			return fmt.Errorf("rename_schema without a schema: %w", pgerr.ErrCorrupt)
		}
		old, ok := n.schemas[s.ID]
		if !ok {
			return pgerr.New(pgerr.InvalidSchemaName, "schema with OID %d does not exist", s.ID)
		}
		if _, taken := n.schemaName[s.Name]; taken || builtinSchemas[s.Name] || n.SchemaUsed(s.Name) {
			return pgerr.New(pgerr.DuplicateSchema, "schema %q already exists", s.Name)
		}
		if err := n.moveSchemaObjects(old.Name, s.Name); err != nil {
			return err
		}
		cp := *s
		n.schemas[s.ID] = &cp
		delete(n.schemaName, old.Name)
		n.schemaName[s.Name] = s.ID
	}
	return nil
}

// moveSchemaObjects moves every table (with its indexes), view, sequence,
// enum type and function of schema from to schema to, and renames from in views'
// search paths (rename_schema). The objects are copied, never changed in
// place: older catalogs share them.
func (n *Catalog) moveSchemaObjects(from, to string) error {
	for _, t := range n.Tables() {
		if t.Schema == from {
			nt := *t
			nt.Schema = to
			if err := n.putTable(&nt); err != nil {
				return err
			}
		}
	}
	for _, v := range n.Views() {
		moved := v.Schema == from
		path := make([]string, len(v.Path))
		for i, p := range v.Path {
			if p == from {
				p, moved = to, true
			}
			path[i] = p
		}
		if !moved {
			continue
		}
		nv := *v
		if v.Path != nil {
			nv.Path = path
		}
		if nv.Schema == from {
			nv.Schema = to
		}
		delete(n.viewName, key(v.Schema, v.Name))
		n.views[v.ID] = &nv
		n.viewName[key(nv.Schema, nv.Name)] = nv.ID
	}
	for _, s := range n.Sequences() {
		if s.Schema == from {
			ns := *s
			ns.Schema = to
			delete(n.seqByName, key(s.Schema, s.Name))
			n.sequences[s.ID] = &ns
			n.seqByName[key(ns.Schema, ns.Name)] = ns.ID
		}
	}
	for _, e := range n.EnumTypes() {
		if e.Schema == from {
			ne := e.Clone()
			ne.Schema = to
			if err := n.putEnumFlagged(ne); err != nil {
				return err
			}
		}
	}
	for _, f := range n.Functions() {
		if f.Schema == from {
			nf := f.Clone()
			nf.Schema = to
			n.unnameFunction(f)
			n.funcs[nf.ID] = nf
			n.funcName[key(to, nf.Name)] = append(append([]uint32(nil), n.funcName[key(to, nf.Name)]...), nf.ID)
		}
	}
	return nil
}

// SearchPath returns the schemas a search_path setting names, in order:
// quotes removed, unquoted names folded, "$user" replaced by user, and
// pg_catalog and pg_temp left out (every session searches them implicitly:
// neither holds user relations of the path's).
func SearchPath(setting, user string) []string {
	var out []string
	for _, part := range strings.Split(setting, ",") {
		part = strings.TrimSpace(part)
		if part == `"$user"` || part == "$user" {
			part = user
		} else if len(part) >= 2 && part[0] == '"' && part[len(part)-1] == '"' {
			part = strings.ReplaceAll(part[1:len(part)-1], `""`, `"`)
		} else {
			part = strings.ToLower(part)
		}
		if part != "" && part != "pg_catalog" && part != "pg_temp" {
			out = append(out, part)
		}
	}
	return out
}

// CreationSchema returns the schema an unqualified new object goes to: the
// first schema of path that exists ("" when none does).
func (c *Catalog) CreationSchema(path []string) string {
	for _, p := range path {
		if c.SchemaExists(p) && !strings.HasPrefix(p, TempSchemaPrefix) {
			return p
		}
	}
	return ""
}
