package pgcatalog

import (
	"strconv"

	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// information_schema.routines, .parameters and .triggers, with PostgreSQL
// 15's columns.
// routines lists what pg_proc lists: the built-in functions OmenDB
// implements (routine_body EXTERNAL, external_language INTERNAL, as
// PostgreSQL shows its own) and the user's SQL functions. OmenDB has no
// triggers (CREATE TRIGGER fails with 0A000), so triggers is empty.

var infoSchemaRoutinesCols = []col{
	{"specific_catalog", tName}, {"specific_schema", tName}, {"specific_name", tName},
	{"routine_catalog", tName}, {"routine_schema", tName}, {"routine_name", tName},
	{"routine_type", tVarchar}, {"module_catalog", tName}, {"module_schema", tName},
	{"module_name", tName}, {"udt_catalog", tName}, {"udt_schema", tName}, {"udt_name", tName},
	{"data_type", tVarchar}, {"character_maximum_length", tInt4},
	{"character_octet_length", tInt4}, {"character_set_catalog", tName},
	{"character_set_schema", tName}, {"character_set_name", tName},
	{"collation_catalog", tName}, {"collation_schema", tName}, {"collation_name", tName},
	{"numeric_precision", tInt4}, {"numeric_precision_radix", tInt4}, {"numeric_scale", tInt4},
	{"datetime_precision", tInt4}, {"interval_type", tVarchar}, {"interval_precision", tInt4},
	{"type_udt_catalog", tName}, {"type_udt_schema", tName}, {"type_udt_name", tName},
	{"scope_catalog", tName}, {"scope_schema", tName}, {"scope_name", tName},
	{"maximum_cardinality", tInt4}, {"dtd_identifier", tName}, {"routine_body", tVarchar},
	{"routine_definition", tVarchar}, {"external_name", tVarchar},
	{"external_language", tVarchar}, {"parameter_style", tVarchar},
	{"is_deterministic", tVarchar}, {"sql_data_access", tVarchar}, {"is_null_call", tVarchar},
	{"sql_path", tVarchar}, {"schema_level_routine", tVarchar},
	{"max_dynamic_result_sets", tInt4}, {"is_user_defined_cast", tVarchar},
	{"is_implicitly_invocable", tVarchar}, {"security_type", tVarchar},
	{"to_sql_specific_catalog", tName}, {"to_sql_specific_schema", tName},
	{"to_sql_specific_name", tName}, {"as_locator", tVarchar}, {"created", types.TimestampTZ},
	{"last_altered", types.TimestampTZ}, {"new_savepoint_level", tVarchar},
	{"is_udt_dependent", tVarchar}, {"result_cast_from_data_type", tVarchar},
	{"result_cast_as_locator", tVarchar}, {"result_cast_char_max_length", tInt4},
	{"result_cast_char_octet_length", tInt4}, {"result_cast_char_set_catalog", tName},
	{"result_cast_char_set_schema", tName}, {"result_cast_char_set_name", tName},
	{"result_cast_collation_catalog", tName}, {"result_cast_collation_schema", tName},
	{"result_cast_collation_name", tName}, {"result_cast_numeric_precision", tInt4},
	{"result_cast_numeric_precision_radix", tInt4}, {"result_cast_numeric_scale", tInt4},
	{"result_cast_datetime_precision", tInt4}, {"result_cast_interval_type", tVarchar},
	{"result_cast_interval_precision", tInt4}, {"result_cast_type_udt_catalog", tName},
	{"result_cast_type_udt_schema", tName}, {"result_cast_type_udt_name", tName},
	{"result_cast_scope_catalog", tName}, {"result_cast_scope_schema", tName},
	{"result_cast_scope_name", tName}, {"result_cast_maximum_cardinality", tInt4},
	{"result_cast_dtd_identifier", tName},
}

var infoSchemaTriggersCols = []col{
	{"trigger_catalog", tName}, {"trigger_schema", tName}, {"trigger_name", tName},
	{"event_manipulation", tVarchar}, {"event_object_catalog", tName},
	{"event_object_schema", tName}, {"event_object_table", tName}, {"action_order", tInt4},
	{"action_condition", tVarchar}, {"action_statement", tVarchar},
	{"action_orientation", tVarchar}, {"action_timing", tVarchar},
	{"action_reference_old_table", tName}, {"action_reference_new_table", tName},
	{"action_reference_old_row", tName}, {"action_reference_new_row", tName},
	{"created", types.TimestampTZ},
}

var infoSchemaParametersCols = []col{
	{"specific_catalog", tName}, {"specific_schema", tName}, {"specific_name", tName},
	{"ordinal_position", tInt4}, {"parameter_mode", tVarchar}, {"is_result", tVarchar},
	{"as_locator", tVarchar}, {"parameter_name", tName}, {"data_type", tVarchar},
	{"character_maximum_length", tInt4}, {"character_octet_length", tInt4},
	{"character_set_catalog", tName}, {"character_set_schema", tName},
	{"character_set_name", tName}, {"collation_catalog", tName}, {"collation_schema", tName},
	{"collation_name", tName}, {"numeric_precision", tInt4},
	{"numeric_precision_radix", tInt4}, {"numeric_scale", tInt4},
	{"datetime_precision", tInt4}, {"interval_type", tVarchar}, {"interval_precision", tInt4},
	{"udt_catalog", tName}, {"udt_schema", tName}, {"udt_name", tName},
	{"scope_catalog", tName}, {"scope_schema", tName}, {"scope_name", tName},
	{"maximum_cardinality", tInt4}, {"dtd_identifier", tName}, {"parameter_default", tVarchar},
}

// infoRow builds a row of cols from the named values; the others are NULL.
func infoRow(cols []col, vals map[string]types.Value) []types.Value {
	row := make([]types.Value, len(cols))
	for i, c := range cols {
		if v, ok := vals[c.name]; ok {
			row[i] = v
		} else {
			row[i] = null
		}
	}
	return row
}

// routineRow is one information_schema.routines row.
func routineRow(env plan.VirtualEnv, schema, name string, oid uint32, ret types.Type, sqlBody bool, body string, immutable, strict bool) []types.Value {
	db := vText(dbName(env))
	udtSchema, udt := udtOf(ret)
	yesNo := func(b bool) types.Value {
		if b {
			return vText("YES")
		}
		return vText("NO")
	}
	routineBody, lang := "EXTERNAL", "INTERNAL"
	if sqlBody {
		routineBody, lang = "SQL", "SQL"
	}
	return infoRow(infoSchemaRoutinesCols, map[string]types.Value{
		"specific_catalog": db, "specific_schema": vText(schema), "specific_name": vText(name + "_" + strconv.FormatUint(uint64(oid), 10)),
		"routine_catalog": db, "routine_schema": vText(schema), "routine_name": vText(name),
		"routine_type": vText("FUNCTION"), "data_type": vText(dataType(ret)),
		"type_udt_catalog": db, "type_udt_schema": vText(udtSchema), "type_udt_name": vText(udt),
		"dtd_identifier": vText("0"), "routine_body": vText(routineBody), "routine_definition": vText(body),
		"external_language": vText(lang), "parameter_style": vText("GENERAL"),
		"is_deterministic": yesNo(immutable), "sql_data_access": vText("MODIFIES"), "is_null_call": yesNo(strict),
		"schema_level_routine": vText("YES"), "max_dynamic_result_sets": vInt(0), "security_type": vText("INVOKER"),
		"as_locator": vText("NO"), "is_udt_dependent": vText("NO"),
	})
}

// udtOf is the type's udt_schema and udt_name, as the information_schema
// views name it.
func udtOf(t types.Type) (schema, name string) {
	if ti, ok := typeByOID[t.OID]; ok {
		return "pg_catalog", ti.name
	}
	if e := t.Enum; e != nil {
		return e.Schema, enumTypname(t)
	}
	return "pg_catalog", types.TypeName(t.WithoutMod())
}

// parameterRow is one information_schema.parameters row: parameter j
// (0-based) of function name (OID oid), mode one of pg_proc's
// proargmodes letters.
func parameterRow(env plan.VirtualEnv, schema, name string, oid uint32, j int, mode byte, pname string, t types.Type, def string) []types.Value {
	db := vText(dbName(env))
	m := "IN" // 'i', and 'v' (VARIADIC)
	switch mode {
	case 'o', 't':
		m = "OUT"
	case 'b':
		m = "INOUT"
	}
	udtSchema, udt := udtOf(t)
	vals := map[string]types.Value{
		"specific_catalog": db, "specific_schema": vText(schema), "specific_name": vText(name + "_" + strconv.FormatUint(uint64(oid), 10)),
		"ordinal_position": vInt(int64(j + 1)), "parameter_mode": vText(m), "is_result": vText("NO"), "as_locator": vText("NO"),
		"data_type": vText(dataType(t)), "udt_catalog": db, "udt_schema": vText(udtSchema), "udt_name": vText(udt),
		"dtd_identifier": vText(strconv.Itoa(j + 1)),
	}
	if pname != "" {
		vals["parameter_name"] = vText(pname)
	}
	if def != "" {
		vals["parameter_default"] = vText(def)
	}
	return infoRow(infoSchemaParametersCols, vals)
}

func init() {
	define("information_schema", "routines", 12070, infoSchemaRoutinesCols, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, n := range funcs.Names() {
			for i, sig := range funcs.Overloads(n) {
				rows = append(rows, routineRow(env, "pg_catalog", n, overloadOID(n, i, sig), sig.Ret, false, n,
					sig.Volatility == funcs.Immutable, sig.Strict))
			}
		}
		cat := env.Catalog()
		for _, f := range cat.Functions() {
			rows = append(rows, routineRow(env, f.Schema, f.Name, f.ID, f.Ret, true, f.Body, f.Vol()[0] == 'i', f.Strict))
		}
		return rows, nil
	})
	define("information_schema", "triggers", 12071, infoSchemaTriggersCols, empty)
	define("information_schema", "parameters", 12072, infoSchemaParametersCols, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, n := range funcs.Names() {
			for i, sig := range funcs.Overloads(n) {
				oid := overloadOID(n, i, sig)
				for j, t := range sig.Args {
					rows = append(rows, parameterRow(env, "pg_catalog", n, oid, j, 'i', "", t, ""))
				}
			}
		}
		for _, f := range env.Catalog().Functions() {
			for j, p := range f.Params() {
				rows = append(rows, parameterRow(env, f.Schema, f.Name, f.ID, j, p.Mode, p.Name, p.Type, p.Default))
			}
		}
		return rows, nil
	})
}
