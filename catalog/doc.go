// Package catalog holds OmenDB's schema: tables, columns, indexes,
// constraints (CHECK, FOREIGN KEY), sequences, views, enum types, user
// schemas and user-defined functions.
//
// The catalog is event-sourced like everything else: every schema change is a
// Change, written to the log as one OpDDL operation and applied by the
// materializer in log order. A *Catalog is an immutable snapshot — Apply
// returns a new one — so readers hold a catalog for the length of a statement
// without locks while the materializer installs newer ones.
//
// Invariants:
//   - Object IDs (tables, indexes, sequences) are unique and never reused;
//     MaxID is the highest ID seen, so replay restores the ID allocator.
//   - A dropped column keeps its slot (Dropped = true) so that rows written
//     before the drop keep their layout; new rows store NULL there.
//   - Apply validates each change, so a replayed log cannot produce a catalog
//     that the original server would have refused.
//   - Tables, views and sequences share one namespace per schema. A view
//     stores its query as SQL text and lists the relations it names (Deps):
//     they cannot be dropped while it exists (2BP01; DROP … CASCADE drops
//     the views first, in package sql). It also lists the table columns
//     its query reads, by slot (View.Cols, JSON "cols": [{"table", "col"}],
//     absent in views from before it), as PostgreSQL's pg_depend does by
//     attnum: package sql refuses to drop them (or drops the view with
//     CASCADE), and a view one of whose columns was dropped anyway (by a
//     CDC source) fails when read rather than shift other columns into
//     its own.
//   - A foreign key (Table.ForeignKeys, JSON "foreign_keys") belongs to the
//     referencing table and names the referenced one by ID; a table that
//     other tables' keys reference cannot be dropped (2BP01; CASCADE drops
//     the keys first). ReferencedBy indexes the keys by referenced table,
//     built once per immutable catalog. Key IDs come from the object ID
//     space (they are pg_constraint OIDs) and order a table's referencing
//     keys by creation.
//   - An index's key elements are columns or expressions (Index.Exprs, with
//     Columns[i] = -1), and a partial index has a predicate (Where); both
//     are SQL text, renamed with the columns they read and dropped with
//     them (package sql). Apply checks their shape. A primary key has
//     neither; a unique index with either, or made by CREATE UNIQUE INDEX
//     (Standalone), is not a constraint (Index.Constraint).
//   - Temporary tables (Temp, OnCommit; JSON "temp", "on_commit") live in
//     a schema named TempSchemaPrefix + an object ID, unique across
//     restarts; ResolveSchema puts a session's temporary schema before
//     public for unqualified names.
//   - Enum types (EnumType, enum.go; CREATE TYPE … AS ENUM) have their own
//     namespace per schema. ID is the type's OID, ArrayID its array type's,
//     and every label has an object ID (pg_enum.oid). A value is stored as
//     its label's representation (types.Enum), which never changes: ADD VALUE
//     gives the new label one between its neighbours', RENAME VALUE
//     changes the label only. Every column type of an enum names its
//     definition (types.Type.Enum): Apply replaces the reference a column
//     carries in JSON by this catalog's definition ("hydration") for every
//     table and view it puts, and again for every table and view of a type
//     an alter_type changes. A type cannot be dropped while a live column
//     or a view column has it (2BP01; DROP TYPE … CASCADE drops the
//     columns first, in package sql). An alter_type that lost a label or
//     changed a representation of the definition it replaces was made
//     from an older one (a concurrent ALTER TYPE): 40001.
//   - User schemas (Schema, schema.go; CREATE SCHEMA) have an object ID
//     (their pg_namespace OID) and an owner. A schema exists if it is
//     built in (public, pg_catalog, information_schema), a temporary one,
//     a user schema, or if objects live in it (a CDC target's schema,
//     made without CREATE SCHEMA): SchemaExists. drop_schema is refused
//     (2BP01) while objects live in it; DROP SCHEMA … CASCADE drops them
//     first, in package sql. Unqualified names resolve along a search
//     path (ResolvePath, the session's temporary schema first); a view
//     keeps the path its query was bound under (View.Path, JSON "path",
//     absent for the default public).
//   - User-defined functions (Function, function.go; CREATE FUNCTION …
//     LANGUAGE sql) have their own namespace per schema, overloaded by
//     their input argument types (unique per schema and name). ID is the
//     function's pg_proc OID. The body is SQL text that package sql/plan
//     binds where the function is called; the catalog never parses it. A
//     view lists the functions its query calls (View.Funcs, JSON
//     "funcs"): they cannot be dropped while it exists (2BP01; DROP
//     FUNCTION … CASCADE drops the views first, in package sql).
//     create_function with an existing ID replaces the function (CREATE
//     OR REPLACE, ALTER FUNCTION … RENAME TO, OWNER TO).
//
// Encoding: a change is one version byte (1) followed by the JSON encoding of
// Change: {"kind", "id", "table", "sequence", "view", "enum", "schema",
// "function", "index"}, each
// field but kind absent when empty. Kinds: create_table, drop_table,
// create_index, drop_index, add_column, drop_column, set_primary_key,
// rename_table, rename_column, alter_column, rewrite_table (a complete
// table in "table"; drops name it in "id"; rewrite_table — since ALTER
// COLUMN … TYPE rewrites tables — is followed in its transaction by a
// truncate of the table and the insert of every row in the new
// definition), create_sequence, drop_sequence, create_view,
// drop_view, and — since enum types — create_type and alter_type (a
// complete EnumType in "enum": {"id", "array_id", "schema", "name",
// "labels": [{"id", "label", "rep", "sort"}…], "comment"}, its ID in "id")
// and drop_type ("id"), and — since user schemas — create_schema (a
// Schema in "schema": {"id", "name", "owner"}, its ID in "id") and
// drop_schema ("id"), and — since relation renames — rename_view (the
// whole View, same ID, a new name or schema) and rename_sequence (the
// whole Sequence likewise), and rename_schema (the Schema with its new
// name, same ID: its objects move with it, views' paths follow), and —
// since user-defined functions — create_function (a Function in
// "function": {"id", "schema", "name", "owner", "args": [{"name", "type",
// "default"}…], "out", "table", "modes", "ret", "ret_set", "body",
// "atomic", "return", "volatility", "strict", "comment", and — since
// PL/pgSQL functions — "language": "plpgsql", absent for sql}, its ID in
// "id") and drop_function ("id"). Since triggers a table has "triggers":
// [{"id", "name", "function", "before", "row", "events" (4 INSERT, 8
// DELETE, 16 UPDATE, or'ed), "args", "disabled"}…]; CREATE TRIGGER, DROP
// TRIGGER and ALTER TABLE … ENABLE | DISABLE TRIGGER are alter_column
// changes carrying the whole table. An index whose key elements are not all ASC
// NULLS LAST (CREATE INDEX … (a DESC NULLS LAST)) has "options": one
// integer per element, PostgreSQL's indoption bits (1 DESC, 2 NULLS
// FIRST); indexes without it — every index of a log written before DESC
// index columns — are all ASC NULLS LAST, so such logs read unchanged. A
// column of an enum type has
// "type": {"OID", "Mod", "Enum": {"oid", "array"}} (the reference only). A
// log or checkpoint written before enum types has none of these fields and
// reads unchanged. Readers reject other versions, and unknown kinds, as
// corrupt.
package catalog
