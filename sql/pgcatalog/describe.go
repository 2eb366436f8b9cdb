package pgcatalog

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// pg_describe_object(classid, objid, objsubid): an object's description as
// PostgreSQL 15 words it ("table accounts", "column id of table accounts",
// "function add1(integer)", "constraint orders_pkey on table orders") —
// what psql's \dx+ lists and what error messages about dependencies say.
// Names are qualified where the session's search path does not find them.
// An object that does not exist describes as NULL, as in PostgreSQL.

func init() {
	reg("pg_describe_object", ts(tOID, tOID, tInt4), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		if d, ok := describeObject(cat, sessionVisibility(ctx), uint32(a[0].I), uint32(a[1].I), int(a[2].I)); ok {
			return vText(d), nil
		}
		return null, nil
	})
}

// describeObject is pg_describe_object's text; ok is false for an object
// that does not exist or a catalog it does not describe.
func describeObject(cat *catalog.Catalog, vis visibility, class, oid uint32, sub int) (string, bool) {
	switch class {
	case oidPgClass:
		rel, ok := describeRelation(cat, vis, oid)
		if !ok || sub == 0 {
			return rel, ok
		}
		col, ok := columnName(cat, oid, sub)
		if !ok {
			return "", false
		}
		return "column " + col + " of " + rel, true
	case oidPgProc:
		n := regprocedureName(cat, vis, oid)
		return "function " + n, n != ""
	case oidPgType:
		if _, ok := typeByOID[types.OID(oid)]; ok {
			return "type " + formatType(types.OID(oid), -1), true
		}
		if n := vis.typeName(cat, types.OID(oid)); n != "" {
			return "type " + n, true
		}
	case oidPgNamespace:
		if n, ok := nspName(cat, oid); ok {
			return "schema " + quoteIdent(n), true
		}
	case oidPgLanguage:
		if n, ok := map[uint32]string{12: "internal", 13: "c", oidLangSQL: "sql", oidLangPlpgsql: "plpgsql"}[oid]; ok {
			return "language " + n, true
		}
	case oidPgExtension:
		if oid == oidExtPlpgsql {
			return "extension plpgsql", true
		}
	case oidPgAm:
		if n, ok := map[uint32]string{oidHeapAM: "heap", oidBtreeAM: "btree", oidHashAM: "hash"}[oid]; ok {
			return "access method " + n, true
		}
	case oidPgConstraint:
		if t, name, ok := constraintByOID(cat, oid); ok {
			return "constraint " + quoteIdent(name) + " on table " + vis.relName(cat, t.Schema, t.Name), true
		}
	case oidPgAttrdef:
		if oid&0xC0000000 != 0x80000000 {
			return "", false
		}
		table, attnum := (oid&0x3FFFFFFF)>>11+catalog.FirstUserID, int(oid&0x7FF)
		if t, ok := cat.Table(table); ok {
			if col, ok := columnName(cat, table, attnum); ok {
				return "default value for column " + col + " of table " + vis.relName(cat, t.Schema, t.Name), true
			}
		}
	case oidPgRewrite:
		if oid&0xC0000000 != 0xC0000000 {
			return "", false
		}
		id := oid&0x3FFFFFFF + catalog.FirstUserID
		if rel, ok := describeRelation(cat, vis, id); ok {
			return "rule _RETURN on " + rel, true
		}
	}
	return "", false
}

// describeRelation is "table x", "view x", "index x" … for a relation OID.
func describeRelation(cat *catalog.Catalog, vis visibility, oid uint32) (string, bool) {
	if t, ok := cat.Table(oid); ok {
		kind := "table"
		if t.MatView != "" {
			kind = "materialized view"
		}
		return kind + " " + vis.relName(cat, t.Schema, t.Name), true
	}
	if t, ix := findIndex(cat, oid); ix != nil {
		return "index " + vis.relName(cat, t.Schema, ix.Name), true
	}
	if v, ok := cat.View(oid); ok {
		return "view " + vis.relName(cat, v.Schema, v.Name), true
	}
	if sq, ok := cat.Sequence(oid); ok {
		return "sequence " + vis.relName(cat, sq.Schema, sq.Name), true
	}
	if vt := virtualByOID(oid); vt != nil {
		kind := "table"
		if isEmulatedView(vt) {
			kind = "view"
		}
		name := quoteIdent(vt.Name)
		if vt.Schema != "pg_catalog" && !tableVisible(cat, vis, oid) {
			name = quoteIdent(vt.Schema) + "." + name
		}
		return kind + " " + name, true
	}
	return "", false
}

// columnName is the name of column attnum of relation oid.
func columnName(cat *catalog.Catalog, oid uint32, attnum int) (string, bool) {
	if attnum < 1 {
		return "", false
	}
	if t, ok := cat.Table(oid); ok && attnum <= len(t.Columns) {
		return quoteIdent(t.Columns[attnum-1].Name), true
	}
	if v, ok := cat.View(oid); ok && attnum <= len(v.Columns) {
		return quoteIdent(v.Columns[attnum-1].Name), true
	}
	if vt := virtualByOID(oid); vt != nil {
		if cols := userCols(vt); attnum <= len(cols) {
			return quoteIdent(cols[attnum-1].Name), true
		}
	}
	return "", false
}

// constraintByOID finds a constraint (primary key, unique, check, foreign
// key) by its pg_constraint OID.
func constraintByOID(cat *catalog.Catalog, oid uint32) (*catalog.Table, string, bool) {
	if oid&0xC0000000 == 0x40000000 {
		if t, ok := cat.Table((oid&0x3FFFFFFF)>>11 + catalog.FirstUserID); ok {
			if i := int(oid & 0x7FF); i < len(t.Checks) {
				return t, t.Checks[i].Name, true
			}
		}
		return nil, "", false
	}
	if t, fk := findForeignKey(cat, oid); fk != nil {
		return t, fk.Name, true
	}
	if t, ix := findIndex(cat, oid); ix != nil {
		if _, con := constraintType(ix); con {
			return t, ix.Name, true
		}
	}
	return nil, "", false
}
