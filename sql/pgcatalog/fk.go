package pgcatalog

import (
	"strings"

	"github.com/omendb/omendb/catalog"
)

// Foreign keys in the catalog: a pg_constraint row per constraint
// (contype 'f', its OID the constraint's object ID), pg_get_constraintdef's
// text, and the information_schema views built on them.

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
		if (!ix.Unique && !ix.Primary) || len(ix.Columns) != len(fk.RefColumns) {
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

// fkActionText is a referential action as pg_get_constraintdef prints it.
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

// fkRuleText is an action as information_schema.referential_constraints
// spells it.
func fkRuleText(a string) string { return fkActionText(a) }

// fkDef is pg_get_constraintdef's text for a foreign key, in PostgreSQL
// 15's order: columns, referenced table and columns, MATCH FULL, ON
// UPDATE, ON DELETE, DEFERRABLE, INITIALLY DEFERRED, NOT VALID.
func fkDef(cat *catalog.Catalog, t *catalog.Table, fk *catalog.ForeignKey) string {
	parent, ok := cat.Table(fk.RefTable)
	if !ok {
		return ""
	}
	var sb strings.Builder
	sb.WriteString("FOREIGN KEY ")
	writeColumnList(&sb, t, fk.Columns)
	sb.WriteString(" REFERENCES ")
	if parent.Schema != "public" && !parent.Temp {
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
