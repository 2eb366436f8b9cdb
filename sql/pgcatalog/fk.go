package pgcatalog

import (
	"strings"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/types"
)

// Foreign keys in the catalog: a pg_constraint row per constraint
// (contype 'f', its OID the constraint's object ID, catalog.ForeignKey.ID,
// from the object ID space — disjoint from the derived OIDs of CHECK
// constraints and defaults, see doc.go), pg_get_constraintdef's text, the
// equality operators PostgreSQL records, and the information_schema views
// built on them (table_constraints, referential_constraints,
// key_column_usage, constraint_column_usage, constraint_table_usage in
// infoschema.go).

// findForeignKey returns the foreign key with OID oid and its table.
func findForeignKey(cat *catalog.Catalog, oid uint32) (*catalog.Table, *catalog.ForeignKey) {
	for _, t := range cat.Tables() {
		for i := range t.ForeignKeys {
			if t.ForeignKeys[i].ID == oid {
				return t, &t.ForeignKeys[i]
			}
		}
	}
	return nil, nil
}

// refIndex returns the unique index of the referenced table whose column
// set is fk's referenced columns (what pg_constraint.conindid names).
func refIndex(cat *catalog.Catalog, fk *catalog.ForeignKey) *catalog.Index {
	parent, ok := cat.Table(fk.RefTable)
	if !ok {
		return nil
	}
	var found *catalog.Index
	for i := range parent.Indexes {
		ix := &parent.Indexes[i]
		if (!ix.Unique && !ix.Primary) || !ix.Plain() || len(ix.Columns) != len(fk.RefColumns) {
			continue
		}
		same := true
		for _, c := range fk.RefColumns {
			in := false
			for _, x := range ix.Columns {
				in = in || x == c
			}
			same = same && in
		}
		if same && (found == nil || ix.Primary) {
			found = ix
		}
	}
	return found
}

// fkActionText is a referential action as pg_get_constraintdef prints it
// (and information_schema.referential_constraints spells it).
func fkActionText(a string) string {
	switch a {
	case catalog.Restrict:
		return "RESTRICT"
	case catalog.Cascade:
		return "CASCADE"
	case catalog.SetNull:
		return "SET NULL"
	case catalog.SetDefault:
		return "SET DEFAULT"
	}
	return "NO ACTION"
}

// fkDef is pg_get_constraintdef's text for a foreign key, in PostgreSQL
// 15's order: columns, referenced table and columns, MATCH FULL, ON
// UPDATE, ON DELETE, DEFERRABLE, INITIALLY DEFERRED, NOT VALID. The
// referenced table's name is schema-qualified when it is not visible to
// the session (vis): a temporary table of the same name shadows it, or
// public is not on the search path.
func fkDef(cat *catalog.Catalog, vis visibility, t *catalog.Table, fk *catalog.ForeignKey) string {
	parent, ok := cat.Table(fk.RefTable)
	if !ok {
		return ""
	}
	var sb strings.Builder
	sb.WriteString("FOREIGN KEY ")
	writeColumnList(&sb, t, fk.Columns)
	sb.WriteString(" REFERENCES ")
	if !tableVisible(cat, vis, parent.ID) {
		sb.WriteString(quoteIdent(parent.Schema) + ".")
	}
	sb.WriteString(quoteIdent(parent.Name))
	writeColumnList(&sb, parent, fk.RefColumns)
	if fk.MatchFull {
		sb.WriteString(" MATCH FULL")
	}
	if a := fk.UpdateAction(); a != catalog.NoAction {
		sb.WriteString(" ON UPDATE " + fkActionText(a))
	}
	if a := fk.DeleteAction(); a != catalog.NoAction {
		sb.WriteString(" ON DELETE " + fkActionText(a))
	}
	if fk.Deferrable {
		sb.WriteString(" DEFERRABLE")
	}
	if fk.Deferred {
		sb.WriteString(" INITIALLY DEFERRED")
	}
	if fk.NotValid {
		sb.WriteString(" NOT VALID")
	}
	return sb.String()
}

// writeColumnList writes "(a, b, …)": t's columns cols, quoted.
func writeColumnList(sb *strings.Builder, t *catalog.Table, cols []int) {
	sb.WriteString("(")
	for i, c := range cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(quoteIdent(t.Columns[c].Name))
	}
	sb.WriteString(")")
}

// fkMatchType is pg_constraint.confmatchtype.
func fkMatchType(fk *catalog.ForeignKey) byte {
	if fk.MatchFull {
		return 'f'
	}
	return 's'
}

// oidAnyArray is anyarray, the input type of array_ops.
const oidAnyArray types.OID = 2277

// btreeEq holds PostgreSQL 15's btree equality operators (pg_amop,
// strategy 3) by (left, right) operand type, for the types a key column
// can have: each default operator class's own and the cross-type members
// of its family (integer_ops, float_ops, text_ops).
var btreeEq = map[[2]types.OID]uint32{
	{types.OIDBool, types.OIDBool}:               91,
	{types.OIDChar, types.OIDChar}:               92,
	{types.OIDName, types.OIDName}:               93,
	{types.OIDText, types.OIDText}:               98,
	{types.OIDName, types.OIDText}:               254,
	{types.OIDText, types.OIDName}:               260,
	{types.OIDBPChar, types.OIDBPChar}:           1054,
	{types.OIDBytea, types.OIDBytea}:             1955,
	{types.OIDInt2, types.OIDInt2}:               94,
	{types.OIDInt4, types.OIDInt4}:               96,
	{types.OIDInt8, types.OIDInt8}:               410,
	{types.OIDInt4, types.OIDInt8}:               15,
	{types.OIDInt8, types.OIDInt4}:               416,
	{types.OIDInt2, types.OIDInt4}:               532,
	{types.OIDInt4, types.OIDInt2}:               533,
	{types.OIDInt2, types.OIDInt8}:               1862,
	{types.OIDInt8, types.OIDInt2}:               1868,
	{types.OIDOID, types.OIDOID}:                 607,
	{types.OIDFloat4, types.OIDFloat4}:           620,
	{types.OIDFloat8, types.OIDFloat8}:           670,
	{types.OIDFloat4, types.OIDFloat8}:           1120,
	{types.OIDFloat8, types.OIDFloat4}:           1130,
	{types.OIDNumeric, types.OIDNumeric}:         1752,
	{types.OIDDate, types.OIDDate}:               1093,
	{types.OIDTimestamp, types.OIDTimestamp}:     2060,
	{types.OIDTimestampTZ, types.OIDTimestampTZ}: 1320,
	{types.OIDTime, types.OIDTime}:               1108,
	{types.OIDInterval, types.OIDInterval}:       1330,
	{types.OIDUUID, types.OIDUUID}:               2972,
	{types.OIDJSONB, types.OIDJSONB}:             3240,
	{oidAnyArray, oidAnyArray}:                   1070,
}

// opcInType is the input type of a column type's default btree operator
// class: text_ops serves varchar, array_ops every array type.
func opcInType(o types.OID) types.OID {
	switch {
	case o == types.OIDVarchar:
		return types.OIDText
	case types.IsArray(o):
		return oidAnyArray
	}
	return o
}

// fkEqOps returns a key column pair's equality operators (the elements of
// pg_constraint.conpfeqop, conppeqop and conffeqop) as PostgreSQL picks
// them when it creates the constraint: from the family of the referenced
// column's default btree operator class, "referenced = referencing" and
// "referencing = referencing" if the family has both, else the referenced
// type's own equality for all three (PostgreSQL then compares through the
// implicit cast). ok is false for a type without a btree equality.
func fkEqOps(ref, col types.OID) (pf, pp, ff uint32, ok bool) {
	in := opcInType(ref)
	if pp, ok = btreeEq[[2]types.OID{in, in}]; !ok {
		return 0, 0, 0, false
	}
	pf, okPF := btreeEq[[2]types.OID{in, col}]
	ff, okFF := btreeEq[[2]types.OID{col, col}]
	if okPF && okFF {
		return pf, pp, ff, true
	}
	return pp, pp, pp, true
}

// fkOperators is a foreign key's conpfeqop, conppeqop and conffeqop; NULL
// (all three) if a column's type has no btree equality in the table above.
func fkOperators(cat *catalog.Catalog, t *catalog.Table, fk *catalog.ForeignKey) (pf, pp, ff types.Value) {
	parent, ok := cat.Table(fk.RefTable)
	if !ok {
		return null, null, null
	}
	var pfs, pps, ffs []int64
	for i, col := range fk.Columns {
		a, b, c, ok := fkEqOps(parent.Columns[fk.RefColumns[i]].Type.OID, t.Columns[col].Type.OID)
		if !ok {
			return null, null, null
		}
		pfs, pps, ffs = append(pfs, int64(a)), append(pps, int64(b)), append(ffs, int64(c))
	}
	return vInts(pfs...), vInts(pps...), vInts(ffs...)
}
