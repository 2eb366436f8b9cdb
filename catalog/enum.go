package catalog

import (
	"fmt"
	"sort"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// EnumType is a user-defined enum type (CREATE TYPE … AS ENUM). ID is the
// type's OID and ArrayID its array type's (both pg_type rows, both from the
// object ID space); each label has an object ID of its own (pg_enum.oid).
// Values of the type are stored as their labels' representations
// (types.Enum): RENAME VALUE changes a label only, ADD VALUE gives the new
// label a representation between its neighbours', so stored rows and index
// keys never change.
type EnumType struct {
	ID      uint32 `json:"id"`
	ArrayID uint32 `json:"array_id"`
	Schema  string `json:"schema"`
	Name    string `json:"name"`
	// Labels are the values in sort order.
	Labels []EnumLabel `json:"labels"`
	// Comment is COMMENT ON TYPE's text ("" = none).
	Comment string `json:"comment,omitempty"`
	// ReadOnly types (mirrors of a CDC source's enum types, kept in step
	// with the source) reject ALTER TYPE and DROP TYPE with 25006.
	ReadOnly string `json:"read_only,omitempty"`
}

// EnumLabel is one value of an enum type.
type EnumLabel struct {
	ID    uint32 `json:"id"`
	Label string `json:"label"`
	// Rep is the value's stored representation (types.EnumRepBetween).
	Rep string `json:"rep"`
	// Sort is pg_enum.enumsortorder, as PostgreSQL assigns it.
	Sort float32 `json:"sort"`
	// Uncommitted marks, in a transaction's own catalog only, a label
	// that transaction added: it cannot be used before the commit (55P04,
	// as in PostgreSQL). Never logged; Apply clears it.
	Uncommitted bool `json:"-"`
}

// Clone returns a copy of e that may be modified.
func (e *EnumType) Clone() *EnumType {
	n := *e
	n.Labels = append([]EnumLabel(nil), e.Labels...)
	return &n
}

// def builds the type system's definition of e.
func (e *EnumType) def() *types.Enum {
	ls := make([]types.EnumLabel, len(e.Labels))
	for i, l := range e.Labels {
		ls[i] = types.EnumLabel{OID: l.ID, Label: l.Label, Rep: l.Rep, Sort: l.Sort, Unsafe: l.Uncommitted}
	}
	return types.NewEnum(types.OID(e.ID), types.OID(e.ArrayID), e.Schema, e.Name, ls)
}

// ColumnType returns the type of a column of enum type e.
func (e *EnumType) ColumnType() types.Type { return e.def().Type() }

// ArrayColumnType returns the type of a column of e's array type.
func (e *EnumType) ArrayColumnType() types.Type { return e.def().ArrayType() }

// enumEntry is an enum type as a catalog holds it, with its definition.
type enumEntry struct {
	t   *EnumType
	def *types.Enum
}

// EnumType returns the enum type with ID (OID) id.
func (c *Catalog) EnumType(id uint32) (*EnumType, bool) {
	e, ok := c.enums[id]
	if !ok {
		return nil, false
	}
	return e.t, true
}

// LookupEnumType finds an enum type by schema and name.
func (c *Catalog) LookupEnumType(schema, name string) (*EnumType, bool) {
	id, ok := c.enumName[key(schema, name)]
	if !ok {
		return nil, false
	}
	return c.enums[id].t, true
}

// EnumTypes returns all enum types ordered by ID.
func (c *Catalog) EnumTypes() []*EnumType {
	out := make([]*EnumType, 0, len(c.enums))
	for _, e := range c.enums {
		out = append(out, e.t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// EnumDef returns the type system's definition of enum type id, which
// every column of the type in this catalog carries.
func (c *Catalog) EnumDef(id uint32) (*types.Enum, bool) {
	e, ok := c.enums[id]
	if !ok {
		return nil, false
	}
	return e.def, true
}

// TypeByOID returns the user-defined type (an enum or an enum's array
// type) whose OID is oid.
func (c *Catalog) TypeByOID(oid types.OID) (types.Type, bool) {
	if e, ok := c.enums[uint32(oid)]; ok {
		return e.def.Type(), true
	}
	if id, ok := c.enumArray[uint32(oid)]; ok {
		return c.enums[id].def.ArrayType(), true
	}
	return types.Type{}, false
}

// EnumUsers returns the tables with a live column of enum type id (or an
// array of it), ordered by schema and name.
func (c *Catalog) EnumUsers(id uint32) []*Table {
	var out []*Table
	for _, t := range c.Tables() {
		for _, col := range t.Columns {
			if !col.Dropped && col.Type.Enum != nil && uint32(col.Type.Enum.OID) == id {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// hydrate returns cols with every enum column type replaced by this
// catalog's definition of its enum (and cols itself when nothing changes).
// A live column of an enum type the catalog does not have is an error.
func (c *Catalog) hydrate(what string, cols []Column) ([]Column, error) {
	var out []Column
	for i, col := range cols {
		e := col.Type.Enum
		if e == nil {
			continue
		}
		ent, ok := c.enums[uint32(e.OID)]
		if !ok {
			if col.Dropped {
				continue
			}
			return nil, pgerr.New(pgerr.UndefinedObject, "type with OID %d does not exist", e.OID).
				WithDetail("column %s of %s", col.Name, what)
		}
		if ent.def == e {
			continue
		}
		if out == nil {
			out = append([]Column(nil), cols...)
		}
		if col.Type.OID == e.ArrayOID {
			out[i].Type = ent.def.ArrayType()
		} else {
			out[i].Type = ent.def.Type()
		}
		out[i].Type.Mod = col.Type.Mod
	}
	if out == nil {
		return cols, nil
	}
	return out, nil
}

// hydrateTable returns t with its column types hydrated (a copy if that
// changes anything).
func (c *Catalog) hydrateTable(t *Table) (*Table, error) {
	cols, err := c.hydrate("table "+t.Name, t.Columns)
	if err != nil || len(t.Columns) == 0 || &cols[0] == &t.Columns[0] {
		return t, err
	}
	n := *t
	n.Columns = cols
	return &n, nil
}

func (c *Catalog) hydrateView(v *View) (*View, error) {
	cols, err := c.hydrate("view "+v.Name, v.Columns)
	if err != nil || len(v.Columns) == 0 || &cols[0] == &v.Columns[0] {
		return v, err
	}
	n := *v
	n.Columns = cols
	return &n, nil
}

// putEnum installs e (a copy) and re-hydrates the tables and views that use
// it.
func (c *Catalog) putEnum(e *EnumType) error {
	e = e.Clone()
	for i := range e.Labels {
		e.Labels[i].Uncommitted = false
	}
	return c.putEnumFlagged(e)
}

// WithUncommitted returns the catalog with the labels of enum type id
// whose IDs are in labels marked Uncommitted: a transaction's catalog
// after it added them.
func (c *Catalog) WithUncommitted(id uint32, labels map[uint32]bool) (*Catalog, error) {
	ent, ok := c.enums[id]
	if !ok || len(labels) == 0 {
		return c, nil
	}
	e := ent.t.Clone()
	for i := range e.Labels {
		e.Labels[i].Uncommitted = labels[e.Labels[i].ID]
	}
	n := c.clone()
	if err := n.putEnumFlagged(e); err != nil {
		return nil, err
	}
	return n, nil
}

func (c *Catalog) putEnumFlagged(e *EnumType) error {
	if old, ok := c.enums[e.ID]; ok {
		delete(c.enumName, key(old.t.Schema, old.t.Name))
	}
	c.enums[e.ID] = enumEntry{t: e, def: e.def()}
	c.enumName[key(e.Schema, e.Name)] = e.ID
	c.enumArray[e.ArrayID] = e.ID
	c.noteID(e.ID)
	c.noteID(e.ArrayID)
	for _, l := range e.Labels {
		c.noteID(l.ID)
	}
	for id, t := range c.tables {
		if uses(t.Columns, e.ID) {
			h, err := c.hydrateTable(t)
			if err != nil {
				return err
			}
			c.tables[id] = h
		}
	}
	for id, v := range c.views {
		if uses(v.Columns, e.ID) {
			h, err := c.hydrateView(v)
			if err != nil {
				return err
			}
			c.views[id] = h
		}
	}
	return nil
}

func uses(cols []Column, id uint32) bool {
	for _, col := range cols {
		if col.Type.Enum != nil && uint32(col.Type.Enum.OID) == id {
			return true
		}
	}
	return false
}

// validEnum checks a new definition of an enum type: labels unique, 1 to 63
// bytes; representations strictly ascending.
func validEnum(e *EnumType) error {
	if e.ID == 0 || e.ArrayID == 0 || e.Name == "" {
		return fmt.Errorf("enum type without ID or name: %w", pgerr.ErrCorrupt)
	}
	seen := make(map[string]bool, len(e.Labels))
	for i, l := range e.Labels {
		if seen[l.Label] {
			return pgerr.New(pgerr.UniqueViolation, "enum label %q already exists", l.Label)
		}
		seen[l.Label] = true
		if i > 0 && e.Labels[i-1].Rep >= l.Rep {
			return fmt.Errorf("enum type %s: representations out of order: %w", e.Name, pgerr.ErrCorrupt)
		}
	}
	return nil
}

// applyEnum applies create_type, alter_type and drop_type to n (a clone).
func (n *Catalog) applyEnum(ch *Change) error {
	switch ch.Kind {
	case CreateType:
		e := ch.Enum
		if e == nil {
			return fmt.Errorf("create_type without a type")
		}
		if err := validEnum(e); err != nil {
			return err
		}
		if _, ok := n.enumName[key(e.Schema, e.Name)]; ok {
			return pgerr.New(pgerr.DuplicateObject, "type %q already exists", e.Name)
		}
		if _, ok := n.enums[e.ID]; ok {
			return fmt.Errorf("create_type %d: ID in use: %w", e.ID, pgerr.ErrCorrupt)
		}
		return n.putEnum(e)
	case AlterType:
		e := ch.Enum
		if e == nil {
			return fmt.Errorf("alter_type without a type")
		}
		old, ok := n.enums[e.ID]
		if !ok {
			return pgerr.New(pgerr.UndefinedObject, "type with OID %d does not exist", e.ID)
		}
		if err := validEnum(e); err != nil {
			return err
		}
		if id, ok := n.enumName[key(e.Schema, e.Name)]; ok && id != e.ID {
			return pgerr.New(pgerr.DuplicateObject, "type %q already exists in schema %q", e.Name, e.Schema)
		}
		if e.ArrayID != old.t.ArrayID {
			return fmt.Errorf("alter_type %d changes the array type: %w", e.ID, pgerr.ErrCorrupt)
		}
		// Every value keeps its representation and none disappears: a
		// definition made from an older one misses a concurrent change.
		reps := make(map[uint32]string, len(e.Labels))
		for _, l := range e.Labels {
			reps[l.ID] = l.Rep
		}
		for _, l := range old.t.Labels {
			if rep, ok := reps[l.ID]; !ok || rep != l.Rep {
				return pgerr.New(pgerr.SerializationFailure, "could not serialize access due to concurrent change of type %q", old.t.Name)
			}
		}
		return n.putEnum(e)
	case DropType:
		old, ok := n.enums[ch.ID]
		if !ok {
			return pgerr.New(pgerr.UndefinedObject, "type with OID %d does not exist", ch.ID)
		}
		if users := n.EnumUsers(ch.ID); len(users) > 0 {
			t := users[0]
			col := ""
			for _, c := range t.Columns {
				if !c.Dropped && c.Type.Enum != nil && uint32(c.Type.Enum.OID) == ch.ID {
					col = c.Name
					break
				}
			}
			return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop type %s because other objects depend on it", old.t.Name).
				WithDetail("column %s of table %s depends on type %s", col, t.Name, old.t.Name).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
		for _, v := range n.views {
			if uses(v.Columns, ch.ID) {
				return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop type %s because other objects depend on it", old.t.Name).
					WithDetail("view %s depends on type %s", v.Name, old.t.Name).
					WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
			}
		}
		delete(n.enums, ch.ID)
		delete(n.enumName, key(old.t.Schema, old.t.Name))
		delete(n.enumArray, old.t.ArrayID)
		return nil
	}
	return fmt.Errorf("catalog change %q: %w", ch.Kind, pgerr.ErrCorrupt)
}

// MissingText is the Missing text of value v for a column of type t: its
// text output, except for an enum type, whose value's stored
// representation is kept instead — the storage layers read it without the
// type's labels, and RENAME VALUE leaves it valid.
func MissingText(v types.Value, t types.Type) string {
	if types.IsEnum(t) {
		return v.S
	}
	return types.TextString(v, t, nil)
}

// MissingValue returns the value rows written before the column was added
// read for it, and false if they read NULL.
func (c *Column) MissingValue() (types.Value, bool) {
	if c.Missing == nil || c.Dropped {
		return types.Null, false
	}
	if types.IsEnum(c.Type) {
		return types.NewText(*c.Missing), true
	}
	v, err := types.ParseText(c.Type, *c.Missing, nil)
	if err != nil {
		return types.Null, false
	}
	return v, true
}
