package sql

import "strings"

// PL/pgSQL's exception condition names (PostgreSQL 15's plerrcodes.h, the
// ones OmenDB can raise and a few more that handlers commonly name), and
// the SQLSTATE form. A class code (two characters and 000) matches every
// code of its class; OTHERS matches every error but a cancel.

var conditionNames = map[string]string{
	"sql_statement_not_yet_complete": "03000", "connection_exception": "08000", "feature_not_supported": "0A000",
	"invalid_transaction_initiation": "0B000", "cardinality_violation": "21000", "data_exception": "22000",
	"string_data_right_truncation": "22001", "null_value_not_allowed": "22004", "invalid_datetime_format": "22007",
	"datetime_field_overflow": "22008", "invalid_time_zone_displacement_value": "22009", "division_by_zero": "22012",
	"invalid_parameter_value": "22023", "numeric_value_out_of_range": "22003", "invalid_text_representation": "22P02",
	"invalid_binary_representation": "22P03", "character_not_in_repertoire": "22021", "invalid_regular_expression": "2201B",
	"untranslatable_character": "22P05", "integrity_constraint_violation": "23000", "restrict_violation": "23001",
	"not_null_violation": "23502", "foreign_key_violation": "23503", "unique_violation": "23505", "check_violation": "23514",
	"exclusion_violation": "23P01", "invalid_cursor_state": "24000", "invalid_transaction_state": "25000",
	"active_sql_transaction": "25001", "read_only_sql_transaction": "25006", "no_active_sql_transaction": "25P01",
	"in_failed_sql_transaction": "25P02", "invalid_authorization_specification": "28000",
	"dependent_privilege_descriptors_still_exist": "2B000", "dependent_objects_still_exist": "2BP01",
	"invalid_transaction_termination": "2D000", "invalid_cursor_name": "34000", "invalid_schema_name": "3F000",
	"transaction_rollback": "40000", "serialization_failure": "40001", "deadlock_detected": "40P01",
	"syntax_error_or_access_rule_violation": "42000", "syntax_error": "42601", "insufficient_privilege": "42501",
	"cannot_coerce": "42846", "grouping_error": "42803", "windowing_error": "42P20", "invalid_foreign_key": "42830",
	"invalid_name": "42602", "name_too_long": "42622", "reserved_name": "42939", "datatype_mismatch": "42804",
	"indeterminate_datatype": "42P18", "wrong_object_type": "42809", "undefined_column": "42703",
	"undefined_function": "42883", "undefined_table": "42P01", "undefined_parameter": "42P02",
	"undefined_object": "42704", "duplicate_column": "42701", "duplicate_cursor": "42P03",
	"duplicate_database": "42P04", "duplicate_function": "42723", "duplicate_prepared_statement": "42P05",
	"duplicate_schema": "42P06", "duplicate_table": "42P07", "duplicate_alias": "42712", "duplicate_object": "42710",
	"ambiguous_column": "42702", "ambiguous_function": "42725", "ambiguous_parameter": "42P08",
	"invalid_column_reference": "42P10", "invalid_column_definition": "42611", "invalid_database_definition": "42P12",
	"invalid_function_definition": "42P13", "invalid_schema_definition": "42P15", "invalid_table_definition": "42P16",
	"invalid_object_definition": "42P17", "program_limit_exceeded": "54000", "statement_too_complex": "54001",
	"too_many_columns": "54011", "too_many_arguments": "54023", "object_not_in_prerequisite_state": "55000",
	"object_in_use": "55006", "lock_not_available": "55P03", "operator_intervention": "57000",
	"query_canceled": "57014", "admin_shutdown": "57P01", "system_error": "58000", "disk_full": "53100",
	"insufficient_resources": "53000", "out_of_memory": "53200", "too_many_connections": "53300",
	"config_file_error": "F0000", "plpgsql_error": "P0000", "raise_exception": "P0001", "no_data_found": "P0002",
	"too_many_rows": "P0003", "assert_failure": "P0004", "internal_error": "XX000", "data_corrupted": "XX001",
	"warning": "01000", "no_data": "02000", "others": "others",
}

// conditionCode is the SQLSTATE of a condition name or a five-character
// SQLSTATE ("others" for OTHERS).
func conditionCode(name string) (string, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if c, ok := conditionNames[n]; ok {
		return c, true
	}
	if len(name) == 5 && strings.ToUpper(name) == name {
		for _, c := range name {
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
				return "", false
			}
		}
		return name, true
	}
	return "", false
}

// conditionMatches reports whether a handler for condition code want
// catches an error with SQLSTATE got.
func conditionMatches(want, got string) bool {
	switch {
	case want == "others":
		return got != "57014" && got != "57P01"
	case len(want) == 5 && strings.HasSuffix(want, "000"):
		return len(got) == 5 && got[:2] == want[:2]
	}
	return want == got
}
