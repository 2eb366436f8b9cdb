// Package catalog holds OmenDB's schema: tables, columns, indexes,
// constraints (CHECK, FOREIGN KEY), sequences and views.
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
//     the views first, in package sql).
//   - A foreign key (Table.ForeignKeys, JSON "foreign_keys") belongs to the
//     referencing table and names the referenced one by ID; a table that
//     other tables' keys reference cannot be dropped (2BP01; CASCADE drops
//     the keys first). ReferencedBy indexes the keys by referenced table,
//     built once per immutable catalog. Key IDs come from the object ID
//     space (they are pg_constraint OIDs) and order a table's referencing
//     keys by creation.
//   - Temporary tables (Temp, OnCommit; JSON "temp", "on_commit") live in
//     a schema named TempSchemaPrefix + an object ID, unique across
//     restarts; ResolveSchema puts a session's temporary schema before
//     public for unqualified names.
//
// Encoding: a change is one version byte (1) followed by the JSON encoding of
// Change. Readers reject other versions as corrupt.
package catalog
