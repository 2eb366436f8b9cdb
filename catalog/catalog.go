package catalog

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// FirstUserID is the first object ID handed to user objects. IDs double as
// PostgreSQL OIDs in catalog emulation, so they start above the built-in range.
const FirstUserID = 16384

// Column is one column of a table.
type Column struct {
	Name    string     `json:"name"`
	Type    types.Type `json:"type"`
	NotNull bool       `json:"not_null,omitempty"`
	// Default is the column default as SQL expression text ("" = none).
	Default string `json:"default,omitempty"`
	// Sequence is the ID of the sequence a serial/identity column draws from.
	Sequence uint32 `json:"sequence,omitempty"`
	Identity string `json:"identity,omitempty"` // "", "a" (ALWAYS), "d" (BY DEFAULT)
	// Dropped columns keep their slot so stored rows keep their layout.
	Dropped bool `json:"dropped,omitempty"`
	// Missing is the text of the value rows written before the column was
	// added read for it (PostgreSQL's attmissingval); nil reads NULL.
	Missing *string `json:"missing,omitempty"`
	// Dims is the number of array dimensions the column was declared with
	// (int[][] is 2, _int4 is 0): pg_attribute.attndims, not enforced.
	Dims int `json:"dims,omitempty"`
	// Comment is COMMENT ON COLUMN's text ("" = none).
	Comment string `json:"comment,omitempty"`
	// Generated is the expression text of GENERATED ALWAYS AS (…) STORED
	// ("" = not generated): computed from the row's other columns on every
	// write, never given by one.
	Generated string `json:"generated,omitempty"`
}

// HasGenerated reports whether the table has a generated column.
func (t *Table) HasGenerated() bool {
	for i := range t.Columns {
		if t.Columns[i].Generated != "" && !t.Columns[i].Dropped {
			return true
		}
	}
	return false
}

// Index is a primary-key, unique or plain secondary index.
//
// A key element is a column or an expression over the row (CREATE INDEX …
// (lower(email))): Columns[i] is the column's position, or -1 when the
// element is the expression Exprs[i]. Where, when set, makes the index
// partial: it holds the rows for which that predicate is true, and a
// unique one compares only those. Expressions and predicates are SQL text
// (as CHECK constraints are), bound against the table's definition by
// package sql wherever keys are computed (oltp.IndexKey); a primary key has
// neither.
type Index struct {
	ID      uint32 `json:"id"`
	Name    string `json:"name"`
	Columns []int  `json:"columns"` // positions in Table.Columns; -1: Exprs[i]
	Unique  bool   `json:"unique,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	// Exprs is nil when every key element is a column, else one entry per
	// element: the expression's text, or "" for a column element.
	Exprs []string `json:"exprs,omitempty"`
	// Where is a partial index's predicate as SQL text ("" = every row).
	Where string `json:"where,omitempty"`
	// Standalone marks a unique index made by CREATE UNIQUE INDEX rather
	// than by a PRIMARY KEY or UNIQUE constraint: PostgreSQL lists no
	// pg_constraint row for it, DROP INDEX drops it and ON CONFLICT ON
	// CONSTRAINT cannot name it. (Indexes from before the field existed
	// read as constraints.) An index with expressions or a predicate is
	// never a constraint.
	Standalone bool `json:"standalone,omitempty"`
	// Method is the index structure: "learned" (default) or "btree".
	Method string `json:"method,omitempty"`
	// Options are the key elements' orders, as PostgreSQL's
	// pg_index.indoption: per element IndexDesc | IndexNullsFirst bits
	// (CREATE INDEX … (a DESC, b NULLS FIRST)). nil when every element is
	// ASC NULLS LAST, as in every index from before the field existed and
	// every primary key; else one entry per element. Keys encode each
	// element in its order (oltp.IndexKey, keycode.AppendOrdered).
	Options []int16 `json:"options,omitempty"`
	// Comment is COMMENT ON INDEX's text, ConComment COMMENT ON
	// CONSTRAINT's for the unique or primary-key constraint the index is
	// ("" = none).
	Comment    string `json:"comment,omitempty"`
	ConComment string `json:"con_comment,omitempty"`
}

// Index element option bits (Index.Options): PostgreSQL's
// INDOPTION_DESC and INDOPTION_NULLS_FIRST.
const (
	IndexDesc       int16 = 1
	IndexNullsFirst int16 = 2
)

// Order returns key element i's option bits (IndexDesc, IndexNullsFirst;
// 0 for ASC NULLS LAST).
func (ix *Index) Order(i int) int16 {
	if i < len(ix.Options) {
		return ix.Options[i]
	}
	return 0
}

// HasExprs reports whether a key element of ix is an expression.
func (ix *Index) HasExprs() bool { return len(ix.Exprs) > 0 }

// Plain reports whether ix indexes columns only, and every row: its keys
// are the columns' values (EncodeKey) and it can back a constraint.
func (ix *Index) Plain() bool { return len(ix.Exprs) == 0 && ix.Where == "" }

// Constraint reports whether ix is a PRIMARY KEY or UNIQUE constraint's
// index (pg_constraint lists it).
func (ix *Index) Constraint() bool {
	return ix.Primary || ix.Unique && !ix.Standalone && ix.Plain()
}

// Table is a table's definition. Rows of a table without a primary key are
// keyed by a hidden row id.
type Table struct {
	ID      uint32   `json:"id"`
	Schema  string   `json:"schema"`
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
	// PrimaryKey is the position in Indexes of the primary key index, or -1.
	PrimaryKey int     `json:"primary_key"`
	Indexes    []Index `json:"indexes,omitempty"`
	// ReadOnly tables (CDC targets) reject client writes with 25006.
	ReadOnly string `json:"read_only,omitempty"`
	// Checks are the table's CHECK constraints: every row written must make
	// each expression true or NULL (23514).
	Checks []Check `json:"checks,omitempty"`
	// ForeignKeys are the table's FOREIGN KEY constraints: the table is
	// the referencing side of each.
	ForeignKeys []ForeignKey `json:"foreign_keys,omitempty"`
	// Comment is COMMENT ON TABLE's text ("" = none).
	Comment string `json:"comment,omitempty"`
	// MatView, for a materialized view, is its query as SQL text: its rows
	// are the query's as of its last REFRESH, and clients cannot write it.
	MatView string `json:"matview,omitempty"`
	// Unpopulated: a materialized view created or refreshed WITH NO DATA;
	// reading it is an error until a REFRESH fills it.
	Unpopulated bool `json:"unpopulated,omitempty"`
	// Temp marks a temporary table: it lives in its session's temporary
	// schema (TempSchemaPrefix + the session's id), is dropped when the
	// session ends, and any left over from before a restart is dropped at
	// startup. OnCommit is its ON COMMIT action: "" (PRESERVE ROWS),
	// "delete" (DELETE ROWS) or "drop".
	Temp     bool   `json:"temp,omitempty"`
	OnCommit string `json:"on_commit,omitempty"`
	// KeyVersion is the version of the key encoding the table's indexes
	// (primary key included) were built with, fixed when the table is
	// created and recorded in its CREATE TABLE event, because index keys
	// are persisted (log records' keys, checkpoints). 0: jsonb columns are
	// keyed by their text, so 1.0 and 1 are different keys; 1
	// (KeyVersionCurrent): jsonb columns are keyed by value, as PostgreSQL
	// compares them. See KeyType.
	KeyVersion int `json:"key_version,omitempty"`
	// Triggers are the table's triggers (CREATE TRIGGER), in creation
	// order; they fire in name order (PostgreSQL's).
	Triggers []Trigger `json:"triggers,omitempty"`
}

// Trigger is one CREATE TRIGGER: Function (a PL/pgSQL function returning
// trigger) runs BEFORE or AFTER each row (Row) or once per statement, for
// the events it names.
type Trigger struct {
	ID       uint32 `json:"id"`
	Name     string `json:"name"`
	Function uint32 `json:"function"`
	Before   bool   `json:"before,omitempty"`
	Row      bool   `json:"row,omitempty"`
	// Events is a set of TriggerInsert, TriggerDelete, TriggerUpdate.
	Events int `json:"events"`
	// Args are the trigger's arguments (TG_ARGV).
	Args []string `json:"args,omitempty"`
	// Disabled: ALTER TABLE … DISABLE TRIGGER.
	Disabled bool `json:"disabled,omitempty"`
	// Columns (UPDATE OF): an UPDATE fires the trigger only when its SET
	// list names one of these columns (positions in Table.Columns).
	Columns []int `json:"columns,omitempty"`
	// When is the WHEN condition's SQL text over NEW and OLD ("": none):
	// the trigger fires only for rows that make it true.
	When string `json:"when,omitempty"`
}

// The events of Trigger.Events, as pg_trigger.tgtype's bits.
const (
	TriggerInsert = 1 << 2
	TriggerDelete = 1 << 3
	TriggerUpdate = 1 << 4
)

// TriggersFor returns the enabled triggers that fire before (or after) each
// row (or the statement) for event, in name order. set is an UPDATE's SET
// columns, which an UPDATE OF trigger must share one with.
func (t *Table) TriggersFor(before, row bool, event int, set []int) []Trigger {
	var out []Trigger
	for _, tr := range t.Triggers {
		if tr.Before != before || tr.Row != row || tr.Events&event == 0 || tr.Disabled {
			continue
		}
		if event == TriggerUpdate && len(tr.Columns) > 0 && !slices.ContainsFunc(tr.Columns, func(c int) bool { return slices.Contains(set, c) }) {
			continue
		}
		out = append(out, tr)
	}
	slices.SortFunc(out, func(a, b Trigger) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// HasTriggers reports whether any enabled trigger fires for event.
func (t *Table) HasTriggers(event int) bool {
	for _, tr := range t.Triggers {
		if tr.Events&event != 0 && !tr.Disabled {
			return true
		}
	}
	return false
}

// KeyVersionCurrent is the key encoding of tables created now.
const KeyVersionCurrent = 1

// NewTable returns an empty table definition with the current key
// encoding and no primary key; every creator of a table starts from it.
func NewTable(id uint32, schema, name string) *Table {
	return &Table{ID: id, Schema: schema, Name: name, PrimaryKey: -1, KeyVersion: KeyVersionCurrent}
}

// KeyType is the type column c is encoded as in the table's index keys:
// the column's type, except that tables of key version 0 key jsonb
// columns as json (by text, package oltp/keycode).
func (t *Table) KeyType(c int) types.Type {
	ct := t.Columns[c].Type
	if t.KeyVersion == 0 && ct.OID == types.OIDJSONB {
		return types.JSON
	}
	return ct
}

// TempSchemaPrefix starts the name of every session's temporary schema
// (PostgreSQL's pg_temp_N).
const TempSchemaPrefix = "pg_temp_"

// ResolveSchema returns the schema an object name resolves in under the
// default search path (public): see ResolvePath.
func (c *Catalog) ResolveSchema(temp, schema, name string) string {
	return c.ResolvePath(temp, DefaultPath, schema, name)
}

// DefaultPath is the search path of a session whose search_path names no
// existing schema but public.
var DefaultPath = []string{"public"}

// ResolvePath returns the schema an object name resolves in: schema itself
// when given ("pg_temp" meaning temp, the session's temporary schema); for
// an unqualified name temp if a relation or index of that name exists there
// (temporary relations come first, as on PostgreSQL's search_path), else the
// first schema of path that has one. When none has, the first schema of
// path is returned ("" for an empty path), where lookups then fail.
func (c *Catalog) ResolvePath(temp string, path []string, schema, name string) string {
	switch {
	case schema == "pg_temp" && temp != "":
		return temp
	case schema != "":
		return schema
	}
	if temp != "" && c.nameTaken(temp, name) {
		return temp
	}
	for _, p := range path {
		if c.nameTaken(p, name) {
			return p
		}
	}
	if len(path) == 0 {
		return ""
	}
	return path[0]
}

// nameTaken reports whether a relation or an index named name exists in
// schema.
func (c *Catalog) nameTaken(schema, name string) bool {
	if c.relationTaken(schema, name) {
		return true
	}
	_, ok := c.indexName[key(schema, name)]
	return ok
}

// ResolveType returns the schema an unqualified enum type name resolves
// in along path ("" when no schema of path has it).
func (c *Catalog) ResolveType(path []string, name string) string {
	for _, p := range path {
		if _, ok := c.enumName[key(p, name)]; ok {
			return p
		}
	}
	return ""
}

// Refuse returns why clients cannot write t (nil if they can): a CDC
// target is read-only (25006), a materialized view changes only by REFRESH
// (42809).
func (t *Table) Refuse() error {
	switch {
	case t.MatView != "":
		return pgerr.New(pgerr.WrongObjectType, "cannot change materialized view %q", t.Name)
	case t.ReadOnly != "":
		return pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", t.Name, t.ReadOnly)
	}
	return nil
}

// Check is a CHECK constraint: a boolean expression over the row, as SQL
// text (deparsed).
type Check struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
	// Comment is COMMENT ON CONSTRAINT's text ("" = none).
	Comment string `json:"comment,omitempty"`
}

// Referential actions of a foreign key, as pg_constraint's confdeltype and
// confupdtype spell them.
const (
	NoAction   = "a"
	Restrict   = "r"
	Cascade    = "c"
	SetNull    = "n"
	SetDefault = "d"
)

// ForeignKey is a FOREIGN KEY constraint, kept by the referencing table.
// A row whose Columns are all non-NULL (MATCH SIMPLE: any NULL exempts the
// row; MATCH FULL: all NULL exempts it, some NULL is an error) must equal,
// pairwise, RefColumns of a row of RefTable; RefColumns are the columns of
// a primary key or unique index of RefTable, in any order.
type ForeignKey struct {
	// ID is the constraint's object ID (its pg_constraint OID); IDs
	// order the foreign keys referencing a table by creation, which is
	// the order PostgreSQL runs their checks and actions in.
	ID         uint32 `json:"id"`
	Name       string `json:"name"`
	Columns    []int  `json:"columns"` // positions in the referencing table
	RefTable   uint32 `json:"ref_table"`
	RefColumns []int  `json:"ref_columns"` // positions in RefTable
	// OnDelete and OnUpdate are the referential actions ("" = NoAction).
	OnDelete string `json:"on_delete,omitempty"`
	OnUpdate string `json:"on_update,omitempty"`
	// MatchFull is MATCH FULL (else MATCH SIMPLE, the default).
	MatchFull bool `json:"match_full,omitempty"`
	// Deferrable and Deferred (INITIALLY DEFERRED): a deferred constraint
	// is checked at COMMIT instead of at the end of each statement.
	Deferrable bool `json:"deferrable,omitempty"`
	Deferred   bool `json:"deferred,omitempty"`
	// NotValid: added NOT VALID and not validated since; rows written
	// before it was added were not checked (new writes are).
	NotValid bool `json:"not_valid,omitempty"`
	// Comment is COMMENT ON CONSTRAINT's text ("" = none).
	Comment string `json:"comment,omitempty"`
}

// DeleteAction returns OnDelete with "" read as NoAction.
func (fk *ForeignKey) DeleteAction() string { return actionOr(fk.OnDelete) }

// UpdateAction returns OnUpdate with "" read as NoAction.
func (fk *ForeignKey) UpdateAction() string { return actionOr(fk.OnUpdate) }

func actionOr(a string) string {
	if a == "" {
		return NoAction
	}
	return a
}

// Reference is a foreign key seen from the table it references: the
// referencing table and the constraint (which that table owns).
type Reference struct {
	Table *Table
	FK    *ForeignKey
}

// Sequence is a sequence generator (serial columns, CREATE SEQUENCE).
type Sequence struct {
	ID     uint32 `json:"id"`
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Start  int64  `json:"start"`
	Inc    int64  `json:"inc"`
	// Type (AS), MinValue, MaxValue, Cycle and Cache are the options of
	// CREATE SEQUENCE (sequence.go); zero values are PostgreSQL's defaults
	// (bigint, NO MINVALUE, NO MAXVALUE, NO CYCLE, CACHE 1).
	Type     types.OID `json:"type,omitempty"`
	MinValue *int64    `json:"min,omitempty"`
	MaxValue *int64    `json:"max,omitempty"`
	Cycle    bool      `json:"cycle,omitempty"`
	Cache    int64     `json:"cache,omitempty"`
}

// View is a stored query (CREATE VIEW). Queries name it like a table and
// read its query's rows; it stores nothing itself.
type View struct {
	ID     uint32 `json:"id"`
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Query is the view's SELECT as SQL text (PostgreSQL's dialect,
	// deparsed from the statement that created it).
	Query string `json:"query"`
	// Columns are the view's columns, names and types, as they were when
	// it was created: the query's first len(Columns) columns.
	Columns []Column `json:"columns"`
	// Deps are the tables and views the query reads: they cannot be
	// dropped, nor their columns dropped or renamed, while the view exists.
	Deps []uint32 `json:"deps,omitempty"`
	// Funcs are the user-defined functions the query calls: they cannot
	// be dropped while the view exists.
	Funcs []uint32 `json:"funcs,omitempty"`
	// Cols are the table columns the query reads (by name, through * or
	// USING / NATURAL), as PostgreSQL records them in pg_depend: such a
	// column cannot be dropped while the view exists, and a view whose
	// column was dropped anyway (a CDC source's DROP COLUMN) fails when
	// read instead of shifting others into its place. Absent in views
	// from before it (they rely on the query's columns' types alone).
	Cols []ColumnDep `json:"cols,omitempty"`
	// Comment is COMMENT ON VIEW's text ("" = none).
	Comment string `json:"comment,omitempty"`
	// Path is the search path the query's unqualified names resolve
	// along: the creating session's, so that they name what they named
	// then. nil (views from before schemas, or made under the default
	// path) is DefaultPath.
	Path []string `json:"path,omitempty"`
	// CheckOption is WITH [LOCAL | CASCADED] CHECK OPTION: "local",
	// "cascaded", or "" for none. Rows written through the view must then
	// be visible through it (sql/plan, updatable views).
	CheckOption string `json:"check_option,omitempty"`
}

// ColumnDep names a table column: Col is its slot in Table.Columns
// (0-based; slots are stable, a dropped column keeps its own).
type ColumnDep struct {
	Table uint32 `json:"table"`
	Col   int    `json:"col"`
}

// PK returns the primary key index, or nil when the table has a hidden row id.
func (t *Table) PK() *Index {
	if t.PrimaryKey < 0 || t.PrimaryKey >= len(t.Indexes) {
		return nil
	}
	return &t.Indexes[t.PrimaryKey]
}

// ColumnIndex returns the position of the live column named name, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if !c.Dropped && c.Name == name {
			return i
		}
	}
	return -1
}

// Catalog is an immutable snapshot of all schema objects. Apply returns a new
// Catalog; the old one stays valid for whoever holds it.
type Catalog struct {
	tables     map[uint32]*Table
	byName     map[string]uint32 // "schema.name" → table ID
	sequences  map[uint32]*Sequence
	seqByName  map[string]uint32
	indexName  map[string]uint32 // "schema.index" → table ID
	views      map[uint32]*View
	viewName   map[string]uint32 // "schema.name" → view ID
	enums      map[uint32]enumEntry
	enumName   map[string]uint32 // "schema.name" → enum type ID
	enumArray  map[uint32]uint32 // array type OID → enum type ID
	schemas    map[uint32]*Schema
	schemaName map[string]uint32
	funcs      map[uint32]*Function
	funcName   map[string][]uint32 // "schema.name" → the overloads' IDs
	// MaxID is the highest object ID used so far.
	MaxID uint32

	refsOnce sync.Once
	refs     map[uint32][]Reference // referenced table ID → its references
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{
		tables: map[uint32]*Table{}, byName: map[string]uint32{},
		sequences: map[uint32]*Sequence{}, seqByName: map[string]uint32{},
		indexName: map[string]uint32{}, views: map[uint32]*View{}, viewName: map[string]uint32{},
		enums: map[uint32]enumEntry{}, enumName: map[string]uint32{}, enumArray: map[uint32]uint32{},
		schemas: map[uint32]*Schema{}, schemaName: map[string]uint32{},
		funcs: map[uint32]*Function{}, funcName: map[string][]uint32{},
		MaxID: FirstUserID - 1,
	}
}

func key(schema, name string) string { return schema + "." + name }

// Table returns the table with ID id.
func (c *Catalog) Table(id uint32) (*Table, bool) { t, ok := c.tables[id]; return t, ok }

// Lookup finds a table by schema and name.
func (c *Catalog) Lookup(schema, name string) (*Table, bool) {
	id, ok := c.byName[key(schema, name)]
	if !ok {
		return nil, false
	}
	return c.tables[id], true
}

// Sequence returns the sequence with ID id.
func (c *Catalog) Sequence(id uint32) (*Sequence, bool) { s, ok := c.sequences[id]; return s, ok }

// LookupSequence finds a sequence by schema and name.
func (c *Catalog) LookupSequence(schema, name string) (*Sequence, bool) {
	id, ok := c.seqByName[key(schema, name)]
	if !ok {
		return nil, false
	}
	return c.sequences[id], true
}

// LookupIndex finds the table owning the index named name.
func (c *Catalog) LookupIndex(schema, name string) (*Table, int, bool) {
	id, ok := c.indexName[key(schema, name)]
	if !ok {
		return nil, 0, false
	}
	t := c.tables[id]
	for i := range t.Indexes {
		if t.Indexes[i].Name == name {
			return t, i, true
		}
	}
	return nil, 0, false
}

// View returns the view with ID id.
func (c *Catalog) View(id uint32) (*View, bool) { v, ok := c.views[id]; return v, ok }

// LookupView finds a view by schema and name.
func (c *Catalog) LookupView(schema, name string) (*View, bool) {
	id, ok := c.viewName[key(schema, name)]
	if !ok {
		return nil, false
	}
	return c.views[id], true
}

// Views returns all views ordered by ID (a view's dependencies come before
// it).
func (c *Catalog) Views() []*View {
	out := make([]*View, 0, len(c.views))
	for _, v := range c.views {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Dependents returns the views that read object id (a table or a view),
// ordered by ID.
func (c *Catalog) Dependents(id uint32) []*View {
	var out []*View
	for _, v := range c.views {
		for _, d := range v.Deps {
			if d == id {
				out = append(out, v)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ReferencedBy returns the foreign keys that reference table id (its own
// included), oldest first (by ID). The index
// is built once per catalog: catalogs are immutable.
func (c *Catalog) ReferencedBy(id uint32) []Reference {
	c.refsOnce.Do(func() {
		c.refs = map[uint32][]Reference{}
		for _, t := range c.tables {
			for i := range t.ForeignKeys {
				fk := &t.ForeignKeys[i]
				c.refs[fk.RefTable] = append(c.refs[fk.RefTable], Reference{Table: t, FK: fk})
			}
		}
		for _, rs := range c.refs {
			sort.Slice(rs, func(i, j int) bool { return rs[i].FK.ID < rs[j].FK.ID })
		}
	})
	return c.refs[id]
}

// relationTaken reports whether a table, view or sequence named name exists
// in schema (one namespace, as PostgreSQL's pg_class).
func (c *Catalog) relationTaken(schema, name string) bool {
	k := key(schema, name)
	_, t := c.byName[k]
	_, v := c.viewName[k]
	_, s := c.seqByName[k]
	return t || v || s
}

// Tables returns all tables ordered by schema and name.
func (c *Catalog) Tables() []*Table {
	out := make([]*Table, 0, len(c.tables))
	for _, t := range c.tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Sequences returns all sequences ordered by ID.
func (c *Catalog) Sequences() []*Sequence {
	out := make([]*Sequence, 0, len(c.sequences))
	for _, s := range c.sequences {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ChangeKind names a catalog change.
type ChangeKind string

// Catalog change kinds. Each is one OpDDL operation in the log.
const (
	CreateTable    ChangeKind = "create_table"
	DropTable      ChangeKind = "drop_table"
	CreateIndex    ChangeKind = "create_index"
	DropIndex      ChangeKind = "drop_index"
	AddColumn      ChangeKind = "add_column"
	DropColumn     ChangeKind = "drop_column"
	SetPrimaryKey  ChangeKind = "set_primary_key"
	CreateSequence ChangeKind = "create_sequence"
	DropSequence   ChangeKind = "drop_sequence"
	RenameTable    ChangeKind = "rename_table"
	RenameColumn   ChangeKind = "rename_column"
	AlterColumn    ChangeKind = "alter_column" // NOT NULL / DEFAULT / CHECK / COMMENT changes
	CreateView     ChangeKind = "create_view"  // also CREATE OR REPLACE (same ID)
	DropView       ChangeKind = "drop_view"
	CreateType     ChangeKind = "create_type" // CREATE TYPE … AS ENUM
	AlterType      ChangeKind = "alter_type"  // ALTER TYPE: ADD VALUE, RENAME VALUE, RENAME TO
	DropType       ChangeKind = "drop_type"
	CreateSchema   ChangeKind = "create_schema" // CREATE SCHEMA
	DropSchema     ChangeKind = "drop_schema"
	RenameView     ChangeKind = "rename_view"     // ALTER VIEW … RENAME TO / SET SCHEMA: View, same ID
	RenameSequence ChangeKind = "rename_sequence" // ALTER SEQUENCE … RENAME TO / SET SCHEMA: Sequence, same ID
	RenameSchema   ChangeKind = "rename_schema"   // ALTER SCHEMA … RENAME TO: Schema with its new name, same ID
	CreateFunction ChangeKind = "create_function" // also OR REPLACE, RENAME TO, OWNER TO (same ID)
	DropFunction   ChangeKind = "drop_function"
	// RewriteTable is a new definition whose rows are written anew in the
	// same transaction (ALTER COLUMN … TYPE that changes stored values):
	// the record's truncate of the table and the inserts after it carry
	// every row in the new definition, so applying the record never pairs
	// the new definition with old rows. A column store keeps the rows
	// written before it apart, with the definition they were written
	// under (olap: generations).
	RewriteTable ChangeKind = "rewrite_table"
)

// Change is one catalog change, the payload of an OpDDL log operation.
// Table carries the complete new definition for create_table, add_column,
// drop_column, set_primary_key, create_index, drop_index, rename_*, and
// alter_column and rewrite_table (the materializer swaps definitions
// wholesale, which keeps replay trivial); Enum likewise for create_type and alter_type; ID names
// the object for drops (and the enum type for create_type and alter_type).
type Change struct {
	Kind     ChangeKind `json:"kind"`
	ID       uint32     `json:"id,omitempty"`
	Table    *Table     `json:"table,omitempty"`
	Sequence *Sequence  `json:"sequence,omitempty"`
	View     *View      `json:"view,omitempty"`
	Enum     *EnumType  `json:"enum,omitempty"`
	Schema   *Schema    `json:"schema,omitempty"`
	Function *Function  `json:"function,omitempty"`
	// Index is the position in Table.Indexes of a created index (its
	// existing rows are indexed when the change is applied).
	Index int `json:"index,omitempty"`
}

// changeVersion is the format version of encoded changes.
const changeVersion = 1

// Encode returns the change's log payload: one version byte, then JSON.
func (ch *Change) Encode() []byte {
	b, _ := json.Marshal(ch)
	return append([]byte{changeVersion}, b...)
}

// DecodeChange parses a log payload written by Encode.
func DecodeChange(b []byte) (*Change, error) {
	if len(b) == 0 || b[0] != changeVersion {
		return nil, fmt.Errorf("catalog change: unknown format version: %w", pgerr.ErrCorrupt)
	}
	var ch Change
	if err := json.Unmarshal(b[1:], &ch); err != nil {
		return nil, fmt.Errorf("catalog change: %v: %w", err, pgerr.ErrCorrupt)
	}
	return &ch, nil
}

func (c *Catalog) clone() *Catalog {
	return &Catalog{
		tables: cloned(c.tables), byName: cloned(c.byName),
		sequences: cloned(c.sequences), seqByName: cloned(c.seqByName),
		indexName: cloned(c.indexName), MaxID: c.MaxID,
		views: cloned(c.views), viewName: cloned(c.viewName),
		enums: cloned(c.enums), enumName: cloned(c.enumName), enumArray: cloned(c.enumArray),
		schemas: cloned(c.schemas), schemaName: cloned(c.schemaName),
		funcs: cloned(c.funcs), funcName: cloned(c.funcName),
	}
}

// cloned copies m into a new map (never nil: Apply writes to the copies).
func cloned[K comparable, V any](m map[K]V) map[K]V {
	n := make(map[K]V, len(m))
	maps.Copy(n, m)
	return n
}

func (c *Catalog) noteID(id uint32) {
	if id > c.MaxID {
		c.MaxID = id
	}
}

func (c *Catalog) putTable(t *Table) error {
	t, err := c.hydrateTable(t)
	if err != nil {
		return err
	}
	if old, ok := c.tables[t.ID]; ok {
		delete(c.byName, key(old.Schema, old.Name))
		for _, ix := range old.Indexes {
			delete(c.indexName, key(old.Schema, ix.Name))
		}
	}
	c.tables[t.ID] = t
	c.byName[key(t.Schema, t.Name)] = t.ID
	for _, ix := range t.Indexes {
		c.indexName[key(t.Schema, ix.Name)] = t.ID
		c.noteID(ix.ID)
	}
	for _, fk := range t.ForeignKeys {
		c.noteID(fk.ID)
	}
	c.noteID(t.ID)
	return nil
}

// Apply returns the catalog with ch applied. It validates the change against
// the current catalog so that replaying a log never builds an inconsistent one.
func (c *Catalog) Apply(ch *Change) (*Catalog, error) {
	n := c.clone()
	switch ch.Kind {
	case CreateTable:
		if ch.Table == nil {
			return nil, fmt.Errorf("create_table without a table")
		}
		if _, ok := n.byName[key(ch.Table.Schema, ch.Table.Name)]; ok {
			return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", ch.Table.Name)
		}
		if _, ok := n.viewName[key(ch.Table.Schema, ch.Table.Name)]; ok {
			return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", ch.Table.Name)
		}
		if err := n.checkReferences(ch.Table); err != nil {
			return nil, err
		}
		if err := checkIndexes(ch.Table); err != nil {
			return nil, err
		}
		if err := n.putTable(ch.Table); err != nil {
			return nil, err
		}
	case DropTable:
		t, ok := n.tables[ch.ID]
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedTable, "table %d does not exist", ch.ID)
		}
		if deps := n.Dependents(ch.ID); len(deps) > 0 {
			return nil, dependentsError("table", t.Name, deps)
		}
		for _, r := range c.ReferencedBy(ch.ID) {
			if r.Table.ID != ch.ID {
				return nil, pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop table %s because other objects depend on it", t.Name).
					WithDetail("constraint %s on table %s depends on table %s", r.FK.Name, r.Table.Name, t.Name).
					WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
			}
		}
		delete(n.tables, ch.ID)
		delete(n.byName, key(t.Schema, t.Name))
		for _, ix := range t.Indexes {
			delete(n.indexName, key(t.Schema, ix.Name))
		}
		for _, col := range t.Columns {
			if col.Sequence != 0 {
				if s, ok := n.sequences[col.Sequence]; ok {
					delete(n.sequences, s.ID)
					delete(n.seqByName, key(s.Schema, s.Name))
				}
			}
		}
	case CreateIndex, DropIndex, AddColumn, DropColumn, SetPrimaryKey, RenameTable, RenameColumn, AlterColumn, RewriteTable:
		if ch.Table == nil {
			return nil, fmt.Errorf("%s without a table", ch.Kind)
		}
		if _, ok := n.tables[ch.Table.ID]; !ok {
			return nil, pgerr.New(pgerr.UndefinedTable, "table %d does not exist", ch.Table.ID)
		}
		if err := n.checkReferences(ch.Table); err != nil {
			return nil, err
		}
		if err := checkIndexes(ch.Table); err != nil {
			return nil, err
		}
		if err := n.putTable(ch.Table); err != nil {
			return nil, err
		}
	case CreateSequence:
		if ch.Sequence == nil {
			return nil, fmt.Errorf("create_sequence without a sequence")
		}
		s := ch.Sequence
		n.sequences[s.ID] = s
		n.seqByName[key(s.Schema, s.Name)] = s.ID
		n.noteID(s.ID)
	case CreateView:
		v := ch.View
		if v == nil {
			return nil, fmt.Errorf("create_view without a view")
		}
		if old, ok := n.views[v.ID]; ok {
			// CREATE OR REPLACE: same ID, same name.
			if old.Schema != v.Schema || old.Name != v.Name {
				return nil, fmt.Errorf("create_view %d renames the view: %w", v.ID, pgerr.ErrCorrupt)
			}
		} else if n.relationTaken(v.Schema, v.Name) {
			return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", v.Name)
		}
		for _, d := range v.Deps {
			_, t := n.tables[d]
			_, w := n.views[d]
			if !t && !w || d == v.ID {
				return nil, pgerr.New(pgerr.UndefinedTable, "view %q reads relation %d, which does not exist", v.Name, d)
			}
		}
		for _, d := range v.Funcs {
			if _, ok := n.funcs[d]; !ok {
				return nil, pgerr.New(pgerr.UndefinedFunction, "view %q calls function %d, which does not exist", v.Name, d)
			}
		}
		v, err := n.hydrateView(v)
		if err != nil {
			return nil, err
		}
		n.views[v.ID] = v
		n.viewName[key(v.Schema, v.Name)] = v.ID
		n.noteID(v.ID)
	case DropView:
		v, ok := n.views[ch.ID]
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedTable, "view %d does not exist", ch.ID)
		}
		if deps := n.Dependents(ch.ID); len(deps) > 0 {
			return nil, dependentsError("view", v.Name, deps)
		}
		delete(n.views, v.ID)
		delete(n.viewName, key(v.Schema, v.Name))
	case DropSequence:
		s, ok := n.sequences[ch.ID]
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedObject, "sequence %d does not exist", ch.ID)
		}
		delete(n.sequences, s.ID)
		delete(n.seqByName, key(s.Schema, s.Name))
	case RenameView:
		v := ch.View
		if v == nil {
			return nil, fmt.Errorf("rename_view without a view")
		}
		old, ok := n.views[v.ID]
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedTable, "view %d does not exist", v.ID)
		}
		if (old.Schema != v.Schema || old.Name != v.Name) && n.relationTaken(v.Schema, v.Name) {
			return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", v.Name)
		}
		v, err := n.hydrateView(v)
		if err != nil {
			return nil, err
		}
		delete(n.viewName, key(old.Schema, old.Name))
		n.views[v.ID] = v
		n.viewName[key(v.Schema, v.Name)] = v.ID
	case RenameSequence:
		s := ch.Sequence
		if s == nil {
			return nil, fmt.Errorf("rename_sequence without a sequence")
		}
		old, ok := n.sequences[s.ID]
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedObject, "sequence %d does not exist", s.ID)
		}
		if (old.Schema != s.Schema || old.Name != s.Name) && n.relationTaken(s.Schema, s.Name) {
			return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", s.Name)
		}
		delete(n.seqByName, key(old.Schema, old.Name))
		n.sequences[s.ID] = s
		n.seqByName[key(s.Schema, s.Name)] = s.ID
	case CreateType, AlterType, DropType:
		if err := n.applyEnum(ch); err != nil {
			return nil, err
		}
	case CreateSchema, DropSchema, RenameSchema:
		if err := n.applySchema(ch); err != nil {
			return nil, err
		}
	case CreateFunction, DropFunction:
		if err := n.applyFunction(ch); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("catalog change %q: %w", ch.Kind, pgerr.ErrCorrupt)
	}
	return n, nil
}

// checkReferences verifies that t's foreign keys name existing tables and
// columns (t itself may be the referenced table).
func (c *Catalog) checkReferences(t *Table) error {
	for _, fk := range t.ForeignKeys {
		ref := t
		if fk.RefTable != t.ID {
			var ok bool
			if ref, ok = c.tables[fk.RefTable]; !ok {
				return fmt.Errorf("foreign key %q references table %d, which does not exist: %w", fk.Name, fk.RefTable, pgerr.ErrCorrupt)
			}
		}
		if len(fk.Columns) == 0 || len(fk.Columns) != len(fk.RefColumns) {
			return fmt.Errorf("foreign key %q: %d columns reference %d: %w", fk.Name, len(fk.Columns), len(fk.RefColumns), pgerr.ErrCorrupt)
		}
		for i := range fk.Columns {
			if fk.Columns[i] < 0 || fk.Columns[i] >= len(t.Columns) || fk.RefColumns[i] < 0 || fk.RefColumns[i] >= len(ref.Columns) {
				return fmt.Errorf("foreign key %q names a column out of range: %w", fk.Name, pgerr.ErrCorrupt)
			}
		}
	}
	return nil
}

// checkIndexes verifies that t's indexes name columns in range and that
// their expression elements are well formed (Columns[i] is -1 exactly
// where Exprs[i] is an expression; a primary key has none).
func checkIndexes(t *Table) error {
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		if ix.Exprs != nil && len(ix.Exprs) != len(ix.Columns) {
			return fmt.Errorf("index %q: %d expressions for %d key elements: %w", ix.Name, len(ix.Exprs), len(ix.Columns), pgerr.ErrCorrupt)
		}
		if ix.Primary && !ix.Plain() {
			return fmt.Errorf("primary key %q with expressions or a predicate: %w", ix.Name, pgerr.ErrCorrupt)
		}
		if ix.Options != nil && (len(ix.Options) != len(ix.Columns) || ix.Primary) {
			return fmt.Errorf("index %q: %d element orders for %d key elements: %w", ix.Name, len(ix.Options), len(ix.Columns), pgerr.ErrCorrupt)
		}
		for _, o := range ix.Options {
			if o&^(IndexDesc|IndexNullsFirst) != 0 {
				return fmt.Errorf("index %q: unknown element order %d: %w", ix.Name, o, pgerr.ErrCorrupt)
			}
		}
		for j, c := range ix.Columns {
			isExpr := ix.Exprs != nil && ix.Exprs[j] != ""
			if isExpr != (c == -1) || !isExpr && (c < 0 || c >= len(t.Columns)) {
				return fmt.Errorf("index %q: key element %d is neither a column nor an expression: %w", ix.Name, j+1, pgerr.ErrCorrupt)
			}
		}
	}
	return nil
}

// dependentsError refuses to drop an object views read (2BP01), naming
// them as PostgreSQL's DETAIL does.
func dependentsError(kind, name string, deps []*View) error {
	var b strings.Builder
	for i, v := range deps {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "view %s depends on %s %s", v.Name, kind, name)
	}
	return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop %s %s because other objects depend on it", kind, name).
		WithDetail("%s", b.String()).WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
}

// Clone returns a deep copy of t that may be modified.
func (t *Table) Clone() *Table {
	n := *t
	n.Columns = append([]Column(nil), t.Columns...)
	n.Checks = append([]Check(nil), t.Checks...)
	n.ForeignKeys = make([]ForeignKey, len(t.ForeignKeys))
	for i, fk := range t.ForeignKeys {
		fk.Columns = append([]int(nil), fk.Columns...)
		fk.RefColumns = append([]int(nil), fk.RefColumns...)
		n.ForeignKeys[i] = fk
	}
	if len(t.ForeignKeys) == 0 {
		n.ForeignKeys = nil
	}
	n.Triggers = nil
	for _, tr := range t.Triggers {
		tr.Args = append([]string(nil), tr.Args...)
		tr.Columns = append([]int(nil), tr.Columns...)
		n.Triggers = append(n.Triggers, tr)
	}
	n.Indexes = make([]Index, len(t.Indexes))
	for i, ix := range t.Indexes {
		ix.Columns = append([]int(nil), ix.Columns...)
		if ix.Exprs != nil {
			ix.Exprs = append([]string(nil), ix.Exprs...)
		}
		if ix.Options != nil {
			ix.Options = append([]int16(nil), ix.Options...)
		}
		n.Indexes[i] = ix
	}
	return &n
}

// NormalizeName folds an unquoted identifier as PostgreSQL does.
func NormalizeName(s string) string { return strings.ToLower(s) }
