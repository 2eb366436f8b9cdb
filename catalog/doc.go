// Package catalog holds OmenDB's schema: tables, columns, indexes and
// sequences.
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
//
// Encoding: a change is one version byte (1) followed by the JSON encoding of
// Change. Readers reject other versions as corrupt.
package catalog
