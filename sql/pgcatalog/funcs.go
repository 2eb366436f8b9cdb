package pgcatalog

import (
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Catalog-aware functions (PostgreSQL's system information functions) that
// clients' catalog queries call. They read the session's catalog through
// funcs.Context.Session.

func sessionCatalog(ctx *funcs.Context) (*catalog.Catalog, error) {
	if ctx == nil || ctx.Session == nil {
		return nil, pgerr.NotSupported("catalog functions are not available here")
	}
	c, ok := ctx.Session.Catalog().(*catalog.Catalog)
	if !ok || c == nil {
		return nil, pgerr.NotSupported("catalog functions are not available here")
	}
	return c, nil
}

func reg(name string, args []types.Type, ret types.Type, strict bool, eval func(ctx *funcs.Context, a []types.Value) (types.Value, error)) {
	funcs.Register(&funcs.Func{Name: name, Args: args, Ret: ret, Strict: strict, Volatility: funcs.Stable, Eval: eval})
}

func ts(t ...types.Type) []types.Type { return t }

func init() {
	reg("format_type", ts(tOID, tInt4), tText, false, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if a[0].IsNull() {
			return null, nil
		}
		mod := int32(-1)
		if !a[1].IsNull() {
			mod = int32(a[1].I)
		}
		if cat, err := sessionCatalog(ctx); err == nil {
			if n := sessionVisibility(ctx).typeName(cat, types.OID(a[0].I)); n != "" {
				return vText(n), nil
			}
		}
		return vText(formatType(types.OID(a[0].I), mod)), nil
	})
	// pg_get_expr returns the expression text stored in the catalog: OmenDB
	// keeps defaults as SQL text already. Its regclass literals name their
	// relations as the session's search_path needs (searchpath.go).
	for _, args := range [][]types.Type{ts(tText, tOID), ts(tText, tOID, tBool)} {
		reg("pg_get_expr", args, tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
			if strings.HasPrefix(a[0].S, "{INDEX") || strings.HasPrefix(a[0].S, "({INDEX") {
				// pg_index.indexprs / indpred (indexExprsNode).
				if cat, err := sessionCatalog(ctx); err == nil {
					pretty := len(a) > 2 && !a[2].IsNull() && a[2].Bool()
					if s, ok := indexNodeExpr(cat, a[0].S, pretty); ok {
						return vText(s), nil
					}
				}
			}
			cat, err := sessionCatalog(ctx)
			if err != nil {
				return null, err
			}
			if s, ok := checkNodeExpr(cat, sessionVisibility(ctx), a[0].S, len(a) > 2 && !a[2].IsNull() && a[2].Bool()); ok {
				return vText(s), nil // pg_constraint.conbin
			}
			if q := sessionVisibility(ctx).qualifyRegclass(cat, a[0].S); q != a[0].S {
				return vText(q), nil
			}
			return a[0], nil
		})
	}
	indexdef := func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		t, ix := findIndex(cat, uint32(a[0].I))
		if ix == nil {
			return null, nil
		}
		pretty := len(a) > 2 && !a[2].IsNull() && a[2].Bool()
		if len(a) > 1 && a[1].I != 0 {
			col := int(a[1].I)
			if col < 1 || col > len(ix.Columns) {
				return vText(""), nil
			}
			return vText(indexElemDef(t, ix, col-1, pretty)), nil
		}
		// The table is schema-qualified, but for pretty output when the
		// search path finds it (PostgreSQL's PRETTYFLAG_SCHEMA).
		qualify := !pretty || !sessionVisibility(ctx).relVisible(cat, t.Schema, t.Name)
		return vText(indexDef(t, ix, pretty, qualify)), nil
	}
	reg("pg_get_indexdef", ts(tOID), tText, true, indexdef)
	reg("pg_get_indexdef", ts(tOID, tInt4, tBool), tText, true, indexdef)
	condef := func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		if ch := findCheck(cat, uint32(a[0].I)); ch != nil {
			pretty := len(a) > 1 && a[1].Bool()
			return vText(checkDef(cat, sessionVisibility(ctx), uint32(a[0].I), ch, pretty)), nil
		}
		if t, fk := findForeignKey(cat, uint32(a[0].I)); fk != nil {
			return vText(fkDef(cat, sessionVisibility(ctx), t, fk)), nil
		}
		t, ix := findIndex(cat, uint32(a[0].I))
		if ix == nil {
			return null, nil
		}
		if _, ok := constraintType(ix); !ok {
			return null, nil
		}
		return vText(constraintDef(t, ix)), nil
	}
	reg("pg_get_constraintdef", ts(tOID), tText, true, condef)
	reg("pg_get_constraintdef", ts(tOID, tBool), tText, true, condef)
	// pg_get_triggerdef: trigger.go.
	trigdef := func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		t, tr, ok := findTrigger(cat, uint32(a[0].I))
		if !ok {
			return null, nil
		}
		pretty := len(a) > 1 && !a[1].IsNull() && a[1].Bool()
		return vText(triggerDef(cat, sessionVisibility(ctx), t, tr, pretty)), nil
	}
	reg("pg_get_triggerdef", ts(tOID), tText, true, trigdef)
	reg("pg_get_triggerdef", ts(tOID, tBool), tText, true, trigdef)

	// Functions, collations, operators, operator classes and families,
	// conversions, text search objects and statistics objects are all in
	// pg_catalog (none can be created): visible. Relations and types follow the
	// session's search path (below).
	visible := func(ctx *funcs.Context, a []types.Value) (types.Value, error) { return vBool(true), nil }
	reg("pg_function_is_visible", ts(tOID), tBool, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, f, ok := sessionFunction(ctx, uint32(a[0].I))
		if !ok {
			return vBool(true), nil
		}
		n, _ := userFuncName(cat, sessionVisibility(ctx), f.ID)
		return vBool(!strings.Contains(n, ".")), nil
	})
	for _, n := range []string{
		"pg_collation_is_visible", "pg_opclass_is_visible", "pg_statistics_obj_is_visible", "pg_operator_is_visible",
		"pg_opfamily_is_visible", "pg_conversion_is_visible", "pg_ts_config_is_visible", "pg_ts_dict_is_visible",
		"pg_ts_parser_is_visible", "pg_ts_template_is_visible"} {
		reg(n, ts(tOID), tBool, true, visible)
	}
	// A user-defined type is visible where the search path finds its
	// name; built-in types are in pg_catalog.
	reg("pg_type_is_visible", ts(tOID), tBool, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		t, ok := cat.TypeByOID(types.OID(a[0].I))
		if !ok || t.Enum == nil || strings.HasPrefix(t.Enum.Schema, catalog.TempSchemaPrefix) {
			return vBool(true), nil
		}
		return vBool(cat.ResolveType(sessionVisibility(ctx).searchPath(), t.Enum.Name) == t.Enum.Schema), nil
	})
	reg("pg_table_is_visible", ts(tOID), tBool, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		return vBool(tableVisible(cat, sessionVisibility(ctx), uint32(a[0].I))), nil
	})
	reg("pg_get_userbyid", ts(tOID), tName, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if a[0].I == oidBootstrap {
			return vText(sessionUser(ctx)), nil
		}
		if a[0].I == oidDatabaseOwner {
			return vText("pg_database_owner"), nil
		}
		return vText("unknown (OID=" + strconv.FormatInt(a[0].I, 10) + ")"), nil
	})
	// Comments (COMMENT ON): tables', views' and their columns' live in
	// their definitions; no shared object has one.
	nodesc := func(ctx *funcs.Context, a []types.Value) (types.Value, error) { return null, nil }
	description := func(ctx *funcs.Context, id uint32, attnum int64) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		text := ""
		if t, i, ok := indexByID(cat, id); ok && attnum == 0 {
			text = t.Indexes[i].Comment
		} else if t, ok := cat.Table(id); ok {
			if attnum == 0 {
				text = t.Comment
			} else if attnum > 0 && int(attnum) <= len(t.Columns) {
				text = t.Columns[attnum-1].Comment
			}
		} else if v, ok := cat.View(id); ok {
			if attnum == 0 {
				text = v.Comment
			} else if attnum > 0 && int(attnum) <= len(v.Columns) {
				text = v.Columns[attnum-1].Comment
			}
		}
		if text == "" {
			return null, nil
		}
		return vText(text), nil
	}
	reg("obj_description", ts(tOID), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		return description(ctx, uint32(a[0].I), 0)
	})
	reg("obj_description", ts(tOID, tName), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		switch a[1].S {
		case "pg_class":
			return description(ctx, uint32(a[0].I), 0)
		case "pg_type":
			cat, err := sessionCatalog(ctx)
			if err != nil {
				return null, err
			}
			if e, ok := cat.EnumType(uint32(a[0].I)); ok && e.Comment != "" {
				return vText(e.Comment), nil
			}
		case "pg_constraint":
			cat, err := sessionCatalog(ctx)
			if err != nil {
				return null, err
			}
			if text := constraintComment(cat, uint32(a[0].I)); text != "" {
				return vText(text), nil
			}

		case "pg_namespace", "pg_language", "pg_extension", "pg_am":
			class := map[string]uint32{"pg_namespace": oidPgNamespace, "pg_language": oidPgLanguage,
				"pg_extension": oidPgExtension, "pg_am": oidPgAm}[a[1].S]
			if text := builtinComment(class, uint32(a[0].I)); text != "" {
				return vText(text), nil
			}
		}
		return null, nil
	})
	reg("shobj_description", ts(tOID, tName), tText, true, nodesc)
	reg("col_description", ts(tOID, tInt4), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if a[1].I <= 0 {
			return null, nil
		}
		return description(ctx, uint32(a[0].I), a[1].I)
	})

	reg("pg_encoding_to_char", ts(tInt4), tName, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if a[0].I == 6 {
			return vText("UTF8"), nil
		}
		if a[0].I == 0 {
			return vText("SQL_ASCII"), nil
		}
		return vText(""), nil
	})
	// The one encoding (psql's \dO compares collations' to it).
	reg("getdatabaseencoding", nil, tName, false, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		return vText("UTF8"), nil
	})
	// pg_default and pg_global are in the data directory: no location.
	reg("pg_tablespace_location", ts(tOID), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		return vText(""), nil
	})
	reg("pg_char_to_encoding", ts(tName), tInt4, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if a[0].S == "UTF8" || a[0].S == "utf8" {
			return vInt(6), nil
		}
		return vInt(-1), nil
	})
	// No table is publishable into a publication (there are none), and no
	// statistics objects exist; psql's \d asks anyway.
	reg("pg_relation_is_publishable", ts(tOID), tBool, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		return vBool(false), nil
	})
	reg("pg_get_statisticsobjdef_columns", ts(tOID), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		return null, nil
	})
	// uuid-ossp's uuid_generate_v4 (sql/extension.go) is gen_random_uuid.
	if g, _, err := funcs.Resolve("gen_random_uuid", nil); err == nil {
		funcs.Register(&funcs.Func{Name: "uuid_generate_v4", Ret: g.Ret, Volatility: g.Volatility, Eval: g.Eval})
	}
	registerSizes()
	// pg_size_pretty(bigint), for the sizes above (psql's \dt+ and \dv+).
	reg("pg_size_pretty", ts(tInt8), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		return vText(sizePretty(a[0].I)), nil
	})
	// pg_size_pretty(numeric): sums of sizes (psql's \dP+).
	reg("pg_size_pretty", ts(types.Numeric), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		return vText(sizePrettyNumeric(string(types.AppendText(nil, a[0], types.Numeric, nil)))), nil
	})
	reg("pg_get_serial_sequence", ts(tText, tText), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		// The table's name is read as regclassin reads it (qualified,
		// quoted); a view's column has no sequence.
		oid, ok := resolveRelation(cat, sessionVisibility(ctx), a[0].S)
		if !ok {
			return null, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", a[0].S)
		}
		t, ok := cat.Table(oid)
		if !ok {
			if v, ok := cat.View(oid); ok {
				for _, c := range v.Columns {
					if c.Name == a[1].S {
						return null, nil
					}
				}
			}
			return null, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", a[1].S, a[0].S)
		}
		for _, c := range t.Columns {
			if c.Name == a[1].S && !c.Dropped {
				if sq, ok := cat.Sequence(c.Sequence); ok && c.Sequence != 0 {
					return vText(quoteIdent(sq.Schema) + "." + quoteIdent(sq.Name)), nil
				}
				return null, nil
			}
		}
		return null, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", a[1].S, a[0].S)
	})
}

func sessionUser(ctx *funcs.Context) string {
	if ctx != nil && ctx.Session != nil {
		if u, ok := ctx.Session.Setting("session_authorization"); ok && u != "" {
			return u
		}
	}
	return "omendb"
}

// formatType is format_type(oid, typmod): the type's SQL name, "???" for
// an unknown OID as PostgreSQL prints it, and the array types' "[]" form.
func formatType(oid types.OID, mod int32) string {
	if ti, ok := typeByOID[oid]; ok && ti.elem != 0 && ti.category == 'A' && ti.name[0] == '_' {
		return formatType(ti.elem, mod) + "[]"
	}
	if _, ok := typeByOID[oid]; !ok {
		return "???"
	}
	switch oid {
	case 705:
		return "unknown"
	case 2249:
		return "record"
	case 2278:
		return "void"
	case 22:
		return "int2vector"
	case 30:
		return "oidvector"
	}
	return types.TypeName(types.Type{OID: oid, Mod: mod})
}

// sessionTempSchema is the name of the session's temporary schema, "" if
// it has none.
func sessionTempSchema(ctx *funcs.Context) string {
	if te, ok := ctx.Session.(interface{ TempSchema() string }); ok {
		return te.TempSchema()
	}
	return ""
}

// tableVisible is pg_table_is_visible for a session of visibility vis.
func tableVisible(cat *catalog.Catalog, vis visibility, oid uint32) bool {
	temp := vis.temp
	var schema, name string
	if t, ok := cat.Table(oid); ok {
		schema, name = t.Schema, t.Name
	} else if t, ix := findIndex(cat, oid); ix != nil {
		schema, name = t.Schema, ix.Name
	} else if v, ok := cat.View(oid); ok {
		schema, name = v.Schema, v.Name
	} else if sq, ok := cat.Sequence(oid); ok {
		schema, name = sq.Schema, sq.Name
	} else if vt := virtualByOID(oid); vt != nil && vt.Schema != "pg_catalog" {
		// information_schema's views: found only when it is on the path.
		return slices.Contains(vis.searchPath(), vt.Schema)
	} else {
		return true // pg_catalog's relations
	}
	if _, isTemp := tempSchemaID(schema); isTemp {
		return schema == temp
	}
	return vis.relVisible(cat, schema, name)
}

// findIndex finds an index by its OID.
func findIndex(cat *catalog.Catalog, oid uint32) (*catalog.Table, *catalog.Index) {
	for _, t := range cat.Tables() {
		for i := range t.Indexes {
			if t.Indexes[i].ID == oid {
				return t, &t.Indexes[i]
			}
		}
	}
	return nil, nil
}

// sizePretty is PostgreSQL 15's pg_size_pretty(bigint): bytes below
// 10240, else the largest unit (kB … PB) under 20480 of it, rounded half
// away from zero.
func sizePretty(size int64) string {
	return sizePrettyBig(big.NewInt(size))
}

// sizePrettyNumeric is pg_size_pretty(numeric): under 10240 bytes the
// value as it is (1.5 bytes), else as sizePretty of its integer part
// (the first unit's division truncates); NaN and ±Infinity compare above
// every limit, so they print in PB.
func sizePrettyNumeric(text string) string {
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return text + " PB"
	}
	if new(big.Rat).Abs(r).Cmp(big.NewRat(10*1024, 1)) < 0 {
		return text + " bytes"
	}
	return sizePrettyBig(new(big.Int).Quo(r.Num(), r.Denom()))
}

// sizePrettyBig is PostgreSQL 15's unit loop of pg_size_pretty: at each
// unit, the value is printed if it is under the unit's limit (rounded half
// away from zero for the units after bytes), else shifted to the next.
func sizePrettyBig(size *big.Int) string {
	units := []struct {
		name  string
		limit int64
		round bool
		bits  uint
	}{
		{"bytes", 10 * 1024, false, 0}, {"kB", 20*1024 - 1, true, 10}, {"MB", 20*1024 - 1, true, 20},
		{"GB", 20*1024 - 1, true, 30}, {"TB", 20*1024 - 1, true, 40}, {"PB", 20*1024 - 1, true, 50},
	}
	size = new(big.Int).Set(size)
	for i, u := range units {
		if i == len(units)-1 || new(big.Int).Abs(size).Cmp(big.NewInt(u.limit)) < 0 {
			if u.round {
				if size.Sign() < 0 {
					size.Sub(size, big.NewInt(1))
				} else {
					size.Add(size, big.NewInt(1))
				}
				size.Quo(size, big.NewInt(2)) // truncates toward zero
			}
			return size.String() + " " + u.name
		}
		next := units[i+1]
		bits := next.bits - u.bits
		if next.round {
			bits--
		}
		if u.round {
			bits++
		}
		size.Quo(size, new(big.Int).Lsh(big.NewInt(1), bits))
	}
	return ""
}

// indexByID finds the index whose OID is id.
func indexByID(cat *catalog.Catalog, id uint32) (*catalog.Table, int, bool) {
	for _, t := range cat.Tables() {
		for i := range t.Indexes {
			if t.Indexes[i].ID == id {
				return t, i, true
			}
		}
	}
	return nil, 0, false
}

// constraintComment is the comment of the constraint whose pg_constraint
// OID is id ("" if none).
func constraintComment(cat *catalog.Catalog, id uint32) string {
	for _, t := range cat.Tables() {
		for _, ix := range t.Indexes {
			if ix.ID == id {
				return ix.ConComment
			}
		}
		for i, ch := range t.Checks {
			if checkOID(t.ID, i) == id {
				return ch.Comment
			}
		}
		for _, fk := range t.ForeignKeys {
			if fk.ID == id {
				return fk.Comment
			}
		}
	}
	return ""
}
