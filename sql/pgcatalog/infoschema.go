package pgcatalog

import (
	"slices"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// information_schema views. PostgreSQL types their columns with domains
// (sql_identifier, cardinal_number, yes_or_no, character_data); OmenDB
// uses the domains' base types: name, integer, varchar.

var tVarchar = types.Varchar

func init() {
	define("information_schema", "schemata", 12050, []col{
		{"catalog_name", tName}, {"schema_name", tName}, {"schema_owner", tName},
		{"default_character_set_catalog", tName}, {"default_character_set_schema", tName},
		{"default_character_set_name", tName}, {"sql_path", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, s := range []string{"pg_catalog", "public", "information_schema"} {
			owner := userName(env)
			if s == "public" {
				owner = "pg_database_owner" // PostgreSQL 15
			}
			rows = append(rows, []types.Value{vText(dbName(env)), vText(s), vText(owner), null, null, null, null})
		}
		for _, sc := range env.Catalog().Schemas() {
			rows = append(rows, []types.Value{vText(dbName(env)), vText(sc.Name), vText(userName(env)), null, null, null, null})
		}
		return rows, nil
	})

	define("information_schema", "tables", 12051, []col{
		{"table_catalog", tName}, {"table_schema", tName}, {"table_name", tName}, {"table_type", tVarchar},
		{"self_referencing_column_name", tName}, {"reference_generation", tVarchar},
		{"user_defined_type_catalog", tName}, {"user_defined_type_schema", tName},
		{"user_defined_type_name", tName}, {"is_insertable_into", tVarchar}, {"is_typed", tVarchar},
		{"commit_action", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		add := func(schema, name, typ string, insertable bool) {
			ins := "NO"
			if insertable {
				ins = "YES"
			}
			rows = append(rows, []types.Value{vText(dbName(env)), vText(schema), vText(name), vText(typ),
				null, null, null, null, null, vText(ins), vText("NO"), null})
		}
		for _, t := range env.Catalog().Tables() {
			if t.MatView == "" { // PostgreSQL lists no materialized view here
				add(t.Schema, t.Name, "BASE TABLE", t.ReadOnly == "")
			}
		}
		// Automatically updatable views are insertable into.
		for _, v := range env.Catalog().Views() {
			_, ins, _ := viewInsertable(env.Catalog(), v)
			add(v.Schema, v.Name, "VIEW", ins)
		}
		for _, vt := range order {
			typ := "BASE TABLE"
			if isEmulatedView(vt) {
				typ = "VIEW"
			}
			add(vt.Schema, vt.Name, typ, false)
		}
		return rows, nil
	})

	define("information_schema", "columns", 12052, []col{
		{"table_catalog", tName}, {"table_schema", tName}, {"table_name", tName}, {"column_name", tName},
		{"ordinal_position", tInt4}, {"column_default", tVarchar}, {"is_nullable", tVarchar},
		{"data_type", tVarchar}, {"character_maximum_length", tInt4}, {"character_octet_length", tInt4},
		{"numeric_precision", tInt4}, {"numeric_precision_radix", tInt4}, {"numeric_scale", tInt4},
		{"datetime_precision", tInt4}, {"interval_type", tVarchar}, {"interval_precision", tInt4},
		{"character_set_catalog", tName}, {"character_set_schema", tName}, {"character_set_name", tName},
		{"collation_catalog", tName}, {"collation_schema", tName}, {"collation_name", tName},
		{"domain_catalog", tName}, {"domain_schema", tName}, {"domain_name", tName},
		{"udt_catalog", tName}, {"udt_schema", tName}, {"udt_name", tName},
		{"dtd_identifier", tName}, {"is_self_referencing", tVarchar}, {"is_identity", tVarchar},
		{"identity_generation", tVarchar}, {"is_generated", tVarchar}, {"generation_expression", tVarchar},
		{"is_updatable", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		// column is one row; a view's columns are nullable, without
		// default or identity, and not updatable.
		column := func(schema, table string, i int, c catalog.Column, def types.Value, nullable, isIdent string,
			identGen types.Value, upd string) {
			isGen, genExpr := "NEVER", null
			if c.Generated != "" {
				isGen, genExpr = "ALWAYS", vText(c.Generated)
			}
			charMax, charOct, numPrec, numRadix, numScale, dtPrec := typeMetrics(c.Type)
			udt, udtSchema := "???", "pg_catalog"
			if ti, ok := typeByOID[c.Type.OID]; ok {
				udt = ti.name
			} else if e := c.Type.Enum; e != nil {
				udt, udtSchema = enumTypname(c.Type), e.Schema
			}
			rows = append(rows, []types.Value{
				vText(dbName(env)), vText(schema), vText(table), vText(c.Name),
				vInt(int64(i + 1)), def, vText(nullable),
				vText(dataType(c.Type)), charMax, charOct,
				numPrec, numRadix, numScale,
				dtPrec, null, null,
				null, null, null,
				null, null, null,
				null, null, null,
				vText(dbName(env)), vText(udtSchema), vText(udt),
				vText(itoa(i + 1)), vText("NO"), vText(isIdent),
				identGen, vText(isGen), genExpr,
				vText(upd),
			})
		}
		for _, t := range env.Catalog().Tables() {
			for i, c := range t.Columns {
				if c.Dropped {
					continue
				}
				def := null
				if c.Default != "" && c.Identity == "" {
					def = vText(defaultExpr(c))
				}
				nullable := "YES"
				if c.NotNull {
					nullable = "NO"
				}
				isIdent, identGen := "NO", null
				switch c.Identity {
				case "a":
					isIdent, identGen = "YES", vText("ALWAYS")
				case "d":
					isIdent, identGen = "YES", vText("BY DEFAULT")
				}
				upd := "YES"
				if t.ReadOnly != "" {
					upd = "NO"
				}
				column(t.Schema, t.Name, i, c, def, nullable, isIdent, identGen, upd)
			}
		}
		for _, v := range env.Catalog().Views() {
			_, _, upd := viewInsertable(env.Catalog(), v)
			for i, c := range v.Columns {
				column(v.Schema, v.Name, i, c, null, "YES", "NO", null, yesNo(upd[i]))
			}
		}
		return rows, nil
	})

	// views: the user's views and the emulated catalog views (whose
	// view_definition is NULL, see pg_views). is_updatable and
	// is_insertable_into say whether the view is automatically updatable
	// (viewInsertable); check_option is LOCAL, CASCADED or NONE.
	define("information_schema", "views", 12055, []col{
		{"table_catalog", tName}, {"table_schema", tName}, {"table_name", tName},
		{"view_definition", tVarchar}, {"check_option", tVarchar}, {"is_updatable", tVarchar},
		{"is_insertable_into", tVarchar}, {"is_trigger_updatable", tVarchar},
		{"is_trigger_deletable", tVarchar}, {"is_trigger_insertable_into", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		add := func(schema, name string, def types.Value, check string, upd, ins bool) {
			rows = append(rows, []types.Value{vText(dbName(env)), vText(schema), vText(name), def,
				vText(check), vText(yesNo(upd)), vText(yesNo(ins)), vText("NO"), vText("NO"), vText("NO")})
		}
		for _, v := range env.Catalog().Views() {
			upd, ins, _ := viewInsertable(env.Catalog(), v)
			check := "NONE"
			if v.CheckOption != "" {
				check = strings.ToUpper(v.CheckOption)
			}
			add(v.Schema, v.Name, vText(viewDef(v)), check, upd && ins, ins)
		}
		for _, vt := range order {
			if isEmulatedView(vt) {
				add(vt.Schema, vt.Name, null, "NONE", false, false)
			}
		}
		return rows, nil
	})

	define("information_schema", "table_constraints", 12053, []col{
		{"constraint_catalog", tName}, {"constraint_schema", tName}, {"constraint_name", tName},
		{"table_catalog", tName}, {"table_schema", tName}, {"table_name", tName},
		{"constraint_type", tVarchar}, {"is_deferrable", tVarchar}, {"initially_deferred", tVarchar},
		{"enforced", tVarchar}, {"nulls_distinct", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		cat := env.Catalog()
		for _, t := range cat.Tables() {
			// PostgreSQL lists each NOT NULL column as a CHECK constraint
			// named <schema oid>_<table oid>_<attnum>_not_null.
			for i, c := range t.Columns {
				if c.NotNull && !c.Dropped {
					name := notNullName(cat, t, i)
					rows = append(rows, []types.Value{vText(dbName(env)), vText(t.Schema), vText(name),
						vText(dbName(env)), vText(t.Schema), vText(t.Name), vText("CHECK"), vText("NO"), vText("NO"),
						vText("YES"), null})
				}
			}
			for i := range t.Indexes {
				ix := &t.Indexes[i]
				ct, ok := constraintType(ix)
				if !ok {
					continue
				}
				typ, nd := "PRIMARY KEY", null
				if ct == 'u' {
					typ, nd = "UNIQUE", vText("YES")
				}
				rows = append(rows, []types.Value{vText(dbName(env)), vText(t.Schema), vText(ix.Name),
					vText(dbName(env)), vText(t.Schema), vText(t.Name), vText(typ), vText("NO"), vText("NO"),
					vText("YES"), nd})
			}
			for _, ch := range t.Checks {
				rows = append(rows, []types.Value{vText(dbName(env)), vText(t.Schema), vText(ch.Name),
					vText(dbName(env)), vText(t.Schema), vText(t.Name), vText("CHECK"), vText("NO"), vText("NO"),
					vText("YES"), null})
			}
			for _, fk := range t.ForeignKeys {
				rows = append(rows, []types.Value{vText(dbName(env)), vText(t.Schema), vText(fk.Name),
					vText(dbName(env)), vText(t.Schema), vText(t.Name), vText("FOREIGN KEY"), vText(yesNo(fk.Deferrable)),
					vText(yesNo(fk.Deferred)), vText("YES"), null})
			}
		}
		return rows, nil
	})

	define("information_schema", "referential_constraints", 12056, []col{
		{"constraint_catalog", tName}, {"constraint_schema", tName}, {"constraint_name", tName},
		{"unique_constraint_catalog", tName}, {"unique_constraint_schema", tName}, {"unique_constraint_name", tName},
		{"match_option", tVarchar}, {"update_rule", tVarchar}, {"delete_rule", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		cat := env.Catalog()
		for _, t := range cat.Tables() {
			for i := range t.ForeignKeys {
				fk := &t.ForeignKeys[i]
				uname, uschema := null, null
				if ix := refIndex(cat, fk); ix != nil {
					if p, ok := cat.Table(fk.RefTable); ok {
						uname, uschema = vText(ix.Name), vText(p.Schema)
					}
				}
				match := "NONE"
				if fk.MatchFull {
					match = "FULL"
				}
				rows = append(rows, []types.Value{vText(dbName(env)), vText(t.Schema), vText(fk.Name),
					vText(dbName(env)), uschema, uname, vText(match),
					vText(fkActionText(fk.UpdateAction())), vText(fkActionText(fk.DeleteAction()))})
			}
		}
		return rows, nil
	})

	define("information_schema", "key_column_usage", 12054, []col{
		{"constraint_catalog", tName}, {"constraint_schema", tName}, {"constraint_name", tName},
		{"table_catalog", tName}, {"table_schema", tName}, {"table_name", tName}, {"column_name", tName},
		{"ordinal_position", tInt4}, {"position_in_unique_constraint", tInt4},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, t := range env.Catalog().Tables() {
			for i := range t.Indexes {
				ix := &t.Indexes[i]
				if _, ok := constraintType(ix); !ok {
					continue
				}
				for j, c := range ix.Columns {
					rows = append(rows, []types.Value{vText(dbName(env)), vText(t.Schema), vText(ix.Name),
						vText(dbName(env)), vText(t.Schema), vText(t.Name), vText(t.Columns[c].Name),
						vInt(int64(j + 1)), null})
				}
			}
			for i := range t.ForeignKeys {
				fk := &t.ForeignKeys[i]
				ix := refIndex(env.Catalog(), fk)
				for j, c := range fk.Columns {
					// The referenced column's place in the unique
					// constraint the key references.
					pos := null
					if ix != nil {
						for k, ic := range ix.Columns {
							if ic == fk.RefColumns[j] {
								pos = vInt(int64(k + 1))
							}
						}
					}
					rows = append(rows, []types.Value{vText(dbName(env)), vText(t.Schema), vText(fk.Name),
						vText(dbName(env)), vText(t.Schema), vText(t.Name), vText(t.Columns[c].Name),
						vInt(int64(j + 1)), pos})
				}
			}
		}
		return rows, nil
	})
	// constraint_column_usage: the columns each constraint uses — a key's
	// own columns, a foreign key's referenced ones, the columns a CHECK
	// expression reads (PostgreSQL takes those from pg_depend) — of
	// tables, not materialized views (relkind 'r'), as PostgreSQL 15's
	// view defines it.
	define("information_schema", "constraint_column_usage", 12057, []col{
		{"table_catalog", tName}, {"table_schema", tName}, {"table_name", tName}, {"column_name", tName},
		{"constraint_catalog", tName}, {"constraint_schema", tName}, {"constraint_name", tName},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		cat := env.Catalog()
		add := func(t *catalog.Table, cols []int, schema, name string) {
			if t.MatView != "" {
				return
			}
			for _, c := range cols {
				if t.Columns[c].Dropped {
					continue
				}
				rows = append(rows, []types.Value{vText(dbName(env)), vText(t.Schema), vText(t.Name),
					vText(t.Columns[c].Name), vText(dbName(env)), vText(schema), vText(name)})
			}
		}
		for _, t := range cat.Tables() {
			for _, ch := range t.Checks {
				add(t, checkColumns(t, &ch), t.Schema, ch.Name)
			}
			for i := range t.Indexes {
				if _, ok := constraintType(&t.Indexes[i]); ok {
					add(t, t.Indexes[i].Columns, t.Schema, t.Indexes[i].Name)
				}
			}
			for i := range t.ForeignKeys {
				fk := &t.ForeignKeys[i]
				if p, ok := cat.Table(fk.RefTable); ok {
					add(p, fk.RefColumns, t.Schema, fk.Name)
				}
			}
		}
		return rows, nil
	})

	// constraint_table_usage: the table each key constraint is on, the
	// referenced table of each foreign key (CHECK constraints are not
	// listed).
	define("information_schema", "constraint_table_usage", 12058, []col{
		{"table_catalog", tName}, {"table_schema", tName}, {"table_name", tName},
		{"constraint_catalog", tName}, {"constraint_schema", tName}, {"constraint_name", tName},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		cat := env.Catalog()
		add := func(t *catalog.Table, schema, name string) {
			if t.MatView == "" {
				rows = append(rows, []types.Value{vText(dbName(env)), vText(t.Schema), vText(t.Name),
					vText(dbName(env)), vText(schema), vText(name)})
			}
		}
		for _, t := range cat.Tables() {
			for i := range t.Indexes {
				if _, ok := constraintType(&t.Indexes[i]); ok {
					add(t, t.Schema, t.Indexes[i].Name)
				}
			}
			for i := range t.ForeignKeys {
				if p, ok := cat.Table(t.ForeignKeys[i].RefTable); ok {
					add(p, t.Schema, t.ForeignKeys[i].Name)
				}
			}
		}
		return rows, nil
	})
}

// checkColumns returns the columns of t that CHECK constraint ch reads,
// each once, in the order the expression names them.
func checkColumns(t *catalog.Table, ch *catalog.Check) []int {
	stmts, err := plan.Parse("SELECT " + ch.Expr)
	if err != nil || len(stmts) != 1 {
		return nil
	}
	var cols []int
	plan.AnyNode(stmts[0], func(m proto.Message) bool {
		ref, ok := m.(*pg.ColumnRef)
		if !ok || len(ref.Fields) == 0 {
			return false
		}
		name := ref.Fields[len(ref.Fields)-1].GetString_().GetSval()
		if i := t.ColumnIndex(name); i >= 0 && !slices.Contains(cols, i) {
			cols = append(cols, i)
		}
		return false
	})
	return cols
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func itoa(i int) string { return types.TextString(types.NewInt(int64(i)), types.Int4, nil) }

// dataType is information_schema's data_type: the type name without
// modifiers, "ARRAY" and "USER-DEFINED" aside.
func dataType(t types.Type) string {
	switch t.OID {
	case types.OIDBPChar:
		return "character"
	case types.OIDVarchar:
		return "character varying"
	case types.OIDNumeric:
		return "numeric"
	case types.OIDTimestamp:
		return "timestamp without time zone"
	case types.OIDTimestampTZ:
		return "timestamp with time zone"
	case types.OIDTime:
		return "time without time zone"
	case types.OIDInterval:
		return "interval"
	case types.OIDInt2Vector, types.OIDOIDVector:
	default:
		if types.IsArrayType(t) {
			return "ARRAY"
		}
		if types.IsEnum(t) {
			return "USER-DEFINED"
		}
	}
	return types.TypeName(t.WithoutMod())
}

// typeMetrics gives character_maximum_length, character_octet_length,
// numeric_precision, numeric_precision_radix, numeric_scale and
// datetime_precision as information_schema computes them.
func typeMetrics(t types.Type) (charMax, charOct, numPrec, numRadix, numScale, dtPrec types.Value) {
	charMax, charOct, numPrec, numRadix, numScale, dtPrec = null, null, null, null, null, null
	switch t.OID {
	case types.OIDBPChar, types.OIDVarchar:
		if t.Mod >= 4 {
			charMax = vInt(int64(t.Mod - 4))
			charOct = vInt(int64(t.Mod-4) * 4)
		} else {
			charOct = vInt(1073741824)
		}
	case types.OIDText:
		charOct = vInt(1073741824)
	case types.OIDInt2:
		numPrec, numRadix, numScale = vInt(16), vInt(2), vInt(0)
	case types.OIDInt4:
		numPrec, numRadix, numScale = vInt(32), vInt(2), vInt(0)
	case types.OIDInt8:
		numPrec, numRadix, numScale = vInt(64), vInt(2), vInt(0)
	case types.OIDFloat4:
		numPrec, numRadix = vInt(24), vInt(2)
	case types.OIDFloat8:
		numPrec, numRadix = vInt(53), vInt(2)
	case types.OIDNumeric:
		numRadix = vInt(10)
		if t.Mod >= 4 {
			m := t.Mod - 4
			numPrec, numScale = vInt(int64(m>>16&0xffff)), vInt(int64(m&0xffff))
		}
	case types.OIDDate:
		dtPrec = vInt(0)
	case types.OIDTimestamp, types.OIDTimestampTZ, types.OIDTime, types.OIDInterval:
		if t.Mod >= 0 {
			dtPrec = vInt(int64(t.Mod))
		} else {
			dtPrec = vInt(6)
		}
	}
	return
}

func init() {
	// information_schema.sequences: every sequence but an identity
	// column's, as PostgreSQL lists them (ORMs such as Hibernate read it
	// to see which sequences exist).
	define("information_schema", "sequences", 12073, []col{
		{"sequence_catalog", tName}, {"sequence_schema", tName}, {"sequence_name", tName},
		{"data_type", tVarchar}, {"numeric_precision", tInt4}, {"numeric_precision_radix", tInt4},
		{"numeric_scale", tInt4}, {"start_value", tVarchar}, {"minimum_value", tVarchar},
		{"maximum_value", tVarchar}, {"increment", tVarchar}, {"cycle_option", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		cat := env.Catalog()
		identity := map[uint32]bool{}
		for _, t := range cat.Tables() {
			for _, c := range t.Columns {
				if c.Sequence != 0 && c.Identity != "" && !c.Dropped {
					identity[c.Sequence] = true
				}
			}
		}
		var rows [][]types.Value
		for _, sq := range cat.Sequences() {
			if identity[sq.ID] {
				continue
			}
			t := types.Type{OID: sq.DataType(), Mod: -1}
			bits := map[types.OID]int64{types.OIDInt2: 16, types.OIDInt4: 32}[t.OID]
			if bits == 0 {
				bits = 64
			}
			lo, hi := sq.Bounds()
			cycle := "NO"
			if sq.Cycle {
				cycle = "YES"
			}
			i64 := func(v int64) types.Value { return vText(strconv.FormatInt(v, 10)) }
			rows = append(rows, []types.Value{
				vText(dbName(env)), vText(sq.Schema), vText(sq.Name), vText(dataType(t)),
				vInt(bits), vInt(2), vInt(0), i64(sq.Start), i64(lo), i64(hi), i64(sq.Inc), vText(cycle),
			})
		}
		return rows, nil
	})
}
