package pgcatalog

import (
	"strconv"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// More of information_schema, with PostgreSQL 15's columns and rows:
//   - check_constraints: every CHECK constraint (check_clause as
//     pg_get_constraintdef prints it, less "CHECK ") and each NOT NULL
//     column as PostgreSQL lists it (<nsp>_<rel>_<attnum>_not_null,
//     "col IS NOT NULL");
//   - table_privileges, role_table_grants, column_privileges,
//     role_column_grants: OmenDB has one role, which owns every relation
//     and has GRANT stored for none, so each relation's privileges are
//     its owner's defaults (PostgreSQL's acldefault: SELECT, INSERT,
//     UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, grantable), and the
//     system catalogs' are PostgreSQL's (the owner's, plus SELECT to
//     PUBLIC); sequences are not listed, as in PostgreSQL;
//   - enabled_roles and applicable_roles: the roles pg_roles lists (the
//     one role, a member of pg_database_owner as the database's owner);
//   - view_table_usage and view_column_usage: the relations and columns
//     each view reads (pg_depend's rule dependencies)
//   - information_schema_catalog_name and character_sets (UTF8);
//     (a view made before views recorded the columns they read lists no
//     columns);
//   - domains, domain_constraints and domain_udt_usage: the five domains
//     PostgreSQL's information_schema defines for itself (cardinal_number,
//     character_data, sql_identifier, time_stamp, yes_or_no) and their
//     checks; CREATE DOMAIN fails with 0A000, so there are no others. Its
//     views' columns have the domains' base types here, so
//     column_domain_usage, which would list them, is not emulated (0A000);
//   - triggered_update_columns: empty (CREATE TRIGGER fails with 0A000).

func yesNoValue(b bool) types.Value { return vText(map[bool]string{true: "YES", false: "NO"}[b]) }

var (
	tableGrants  = []string{"DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"}
	columnGrants = []string{"INSERT", "REFERENCES", "SELECT", "UPDATE"}
)

// privRel is a relation information_schema's privilege views list.
type privRel struct {
	schema, name string
	cols         []string
	system       bool // a catalog: PUBLIC may SELECT it as well
}

// privRelations lists the tables, views and materialized views (user and
// system) with their live columns.
func privRelations(cat *catalog.Catalog) []privRel {
	var out []privRel
	for _, r := range relations(cat) {
		if r.kind != 'r' && r.kind != 'v' && r.kind != 'm' {
			continue
		}
		schema, _ := nspName(cat, r.nsp)
		p := privRel{schema: schema, name: r.name}
		switch {
		case r.virtual != nil:
			p.schema, p.system = r.virtual.Schema, true
			for _, c := range userCols(r.virtual) {
				p.cols = append(p.cols, c.Name)
			}
		case r.table != nil:
			p.schema = r.table.Schema
			for _, i := range liveCols(r.table) {
				p.cols = append(p.cols, r.table.Columns[i].Name)
			}
		case r.view != nil:
			p.schema = r.view.Schema
			for _, c := range r.view.Columns {
				p.cols = append(p.cols, c.Name)
			}
		}
		out = append(out, p)
	}
	return out
}

func init() {
	privCols := []col{
		{"grantor", tName}, {"grantee", tName}, {"table_catalog", tName}, {"table_schema", tName},
		{"table_name", tName}, {"privilege_type", tVarchar}, {"is_grantable", tVarchar}, {"with_hierarchy", tVarchar},
	}
	tablePrivs := func(env plan.VirtualEnv) ([][]types.Value, error) {
		owner, db := userName(env), dbName(env)
		var rows [][]types.Value
		for _, r := range privRelations(env.Catalog()) {
			for _, p := range tableGrants {
				rows = append(rows, []types.Value{vText(owner), vText(owner), vText(db), vText(r.schema), vText(r.name),
					vText(p), yesNoValue(true), yesNoValue(p == "SELECT")})
			}
			if r.system {
				rows = append(rows, []types.Value{vText(owner), vText("PUBLIC"), vText(db), vText(r.schema), vText(r.name),
					vText("SELECT"), yesNoValue(false), yesNoValue(true)})
			}
		}
		return rows, nil
	}
	define("information_schema", "table_privileges", 12074, privCols, tablePrivs)
	// role_table_grants: the grants whose grantor or grantee is an enabled
	// role (not PUBLIC's).
	define("information_schema", "role_table_grants", 12075, privCols, func(env plan.VirtualEnv) ([][]types.Value, error) {
		rows, err := tablePrivs(env)
		out := rows[:0]
		for _, r := range rows {
			if r[1].S != "PUBLIC" {
				out = append(out, r)
			}
		}
		return out, err
	})
	colPrivCols := []col{
		{"grantor", tName}, {"grantee", tName}, {"table_catalog", tName}, {"table_schema", tName},
		{"table_name", tName}, {"column_name", tName}, {"privilege_type", tVarchar}, {"is_grantable", tVarchar},
	}
	columnPrivs := func(public bool) rowsFunc {
		return func(env plan.VirtualEnv) ([][]types.Value, error) {
			owner, db := userName(env), dbName(env)
			var rows [][]types.Value
			for _, r := range privRelations(env.Catalog()) {
				for _, c := range r.cols {
					for _, p := range columnGrants {
						rows = append(rows, []types.Value{vText(owner), vText(owner), vText(db), vText(r.schema), vText(r.name),
							vText(c), vText(p), yesNoValue(true)})
					}
					if r.system && public {
						rows = append(rows, []types.Value{vText(owner), vText("PUBLIC"), vText(db), vText(r.schema), vText(r.name),
							vText(c), vText("SELECT"), yesNoValue(false)})
					}
				}
			}
			return rows, nil
		}
	}
	define("information_schema", "column_privileges", 12076, colPrivCols, columnPrivs(true))
	define("information_schema", "role_column_grants", 12077, colPrivCols, columnPrivs(false))

	define("information_schema", "check_constraints", 12078, []col{
		{"constraint_catalog", tName}, {"constraint_schema", tName}, {"constraint_name", tName}, {"check_clause", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		cat, db := env.Catalog(), dbName(env)
		vis := visibilityOf(env)
		var rows [][]types.Value
		for _, t := range cat.Tables() {
			for i, ch := range t.Checks {
				rows = append(rows, []types.Value{vText(db), vText(t.Schema), vText(ch.Name),
					vText("(" + checkExprText(cat, vis, checkOID(t.ID, i), &t.Checks[i], false) + ")")})
			}
			for _, i := range liveCols(t) {
				if c := t.Columns[i]; c.NotNull {
					rows = append(rows, []types.Value{vText(db), vText(t.Schema), vText(notNullName(cat, t, i)),
						vText(quoteIdent(c.Name) + " IS NOT NULL")})
				}
			}
		}
		return rows, nil
	})

	define("information_schema", "enabled_roles", 12079, []col{{"role_name", tName}},
		func(env plan.VirtualEnv) ([][]types.Value, error) {
			return [][]types.Value{{vText(userName(env))}, {vText("pg_database_owner")}}, nil
		})
	define("information_schema", "applicable_roles", 12080, []col{
		{"grantee", tName}, {"role_name", tName}, {"is_grantable", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{{vText(userName(env)), vText("pg_database_owner"), yesNoValue(false)}}, nil
	})
	define("information_schema", "information_schema_catalog_name", 12081, []col{{"catalog_name", tName}},
		func(env plan.VirtualEnv) ([][]types.Value, error) {
			return [][]types.Value{{vText(dbName(env))}}, nil
		})
	define("information_schema", "character_sets", 12082, []col{
		{"character_set_catalog", tName}, {"character_set_schema", tName}, {"character_set_name", tName},
		{"character_repertoire", tName}, {"form_of_use", tName}, {"default_collate_catalog", tName},
		{"default_collate_schema", tName}, {"default_collate_name", tName},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{{null, null, vText("UTF8"), vText("UCS"), vText("UTF8"), vText(dbName(env)), null, null}}, nil
	})

	viewUsage := func(withCols bool) rowsFunc {
		return func(env plan.VirtualEnv) ([][]types.Value, error) {
			cat, db := env.Catalog(), dbName(env)
			var rows [][]types.Value
			for _, v := range cat.Views() {
				for _, ref := range queryRelations(cat, v.Query) {
					schema, name, cols, ok := usedRelation(cat, ref)
					if !ok {
						continue
					}
					head := []types.Value{vText(db), vText(v.Schema), vText(v.Name), vText(db), vText(schema), vText(name)}
					if !withCols {
						rows = append(rows, head)
						continue
					}
					for _, c := range v.Cols {
						if c.Table == ref && c.Col >= 0 && c.Col < len(cols) {
							rows = append(rows, append(append([]types.Value(nil), head...), vText(cols[c.Col])))
						}
					}
				}
			}
			return rows, nil
		}
	}
	usageCols := []col{{"view_catalog", tName}, {"view_schema", tName}, {"view_name", tName},
		{"table_catalog", tName}, {"table_schema", tName}, {"table_name", tName}}
	define("information_schema", "view_table_usage", 12083, usageCols, viewUsage(false))
	define("information_schema", "view_column_usage", 12084, append(append([]col(nil), usageCols...), col{"column_name", tName}), viewUsage(true))

	define("information_schema", "domains", 12085, []col{
		{"domain_catalog", tName}, {"domain_schema", tName}, {"domain_name", tName}, {"data_type", tVarchar},
		{"character_maximum_length", tInt4}, {"character_octet_length", tInt4}, {"character_set_catalog", tName},
		{"character_set_schema", tName}, {"character_set_name", tName}, {"collation_catalog", tName},
		{"collation_schema", tName}, {"collation_name", tName}, {"numeric_precision", tInt4},
		{"numeric_precision_radix", tInt4}, {"numeric_scale", tInt4}, {"datetime_precision", tInt4},
		{"interval_type", tVarchar}, {"interval_precision", tInt4}, {"domain_default", tVarchar},
		{"udt_catalog", tName}, {"udt_schema", tName}, {"udt_name", tName}, {"scope_catalog", tName},
		{"scope_schema", tName}, {"scope_name", tName}, {"maximum_cardinality", tInt4}, {"dtd_identifier", tName},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		db := vText(dbName(env))
		i4 := func(n int64) types.Value { return vInt(n) }
		coll := []types.Value{db, vText("pg_catalog"), vText("C")}
		var rows [][]types.Value
		for _, d := range infoSchemaDomains {
			r := []types.Value{db, vText("information_schema"), vText(d.name), vText(d.dataType)}
			r = append(r, nullable(d.maxLen, i4), nullable(d.octetLen, i4), null, null, null)
			if d.collated {
				r = append(r, coll...)
			} else {
				r = append(r, null, null, null)
			}
			r = append(r, nullable(d.precision, i4), nullable(d.radix, i4), nullable(d.scale, i4), nullable(d.dtPrecision, i4),
				null, null, nullText(d.dflt), db, vText("pg_catalog"), vText(d.udt), null, null, null, null, vText("1"))
			rows = append(rows, r)
		}
		return rows, nil
	})
	define("information_schema", "domain_constraints", 12086, []col{
		{"constraint_catalog", tName}, {"constraint_schema", tName}, {"constraint_name", tName},
		{"domain_catalog", tName}, {"domain_schema", tName}, {"domain_name", tName},
		{"is_deferrable", tVarchar}, {"initially_deferred", tVarchar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		db := vText(dbName(env))
		var rows [][]types.Value
		for _, d := range []string{"cardinal_number", "yes_or_no"} {
			name := d + "_check"
			if d == "cardinal_number" {
				name = d + "_domain_check"
			}
			rows = append(rows, []types.Value{db, vText("information_schema"), vText(name), db, vText("information_schema"),
				vText(d), yesNoValue(false), yesNoValue(false)})
		}
		return rows, nil
	})
	define("information_schema", "domain_udt_usage", 12087, []col{
		{"udt_catalog", tName}, {"udt_schema", tName}, {"udt_name", tName},
		{"domain_catalog", tName}, {"domain_schema", tName}, {"domain_name", tName},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		db := vText(dbName(env))
		var rows [][]types.Value
		for _, d := range infoSchemaDomains {
			rows = append(rows, []types.Value{db, vText("pg_catalog"), vText(d.udt), db, vText("information_schema"), vText(d.name)})
		}
		return rows, nil
	})
	define("information_schema", "triggered_update_columns", 12089, []col{
		{"trigger_catalog", tName}, {"trigger_schema", tName}, {"trigger_name", tName},
		{"event_object_catalog", tName}, {"event_object_schema", tName}, {"event_object_table", tName},
		{"event_object_column", tName},
	}, empty)
}

// notNullName is the name PostgreSQL 15's information_schema gives column
// i's NOT NULL constraint: <namespace oid>_<table oid>_<attnum>_not_null.
func notNullName(cat *catalog.Catalog, t *catalog.Table, i int) string {
	return strconv.Itoa(int(nspOID(cat, t.Schema))) + "_" + strconv.Itoa(int(t.ID)) + "_" + strconv.Itoa(i+1) + "_not_null"
}

// usedRelation is a table or view a view reads: its schema, name and
// columns by position.
func usedRelation(cat *catalog.Catalog, id uint32) (schema, name string, cols []string, ok bool) {
	if t, found := cat.Table(id); found {
		for _, c := range t.Columns {
			cols = append(cols, c.Name)
		}
		return t.Schema, t.Name, cols, true
	}
	if v, found := cat.View(id); found {
		for _, c := range v.Columns {
			cols = append(cols, c.Name)
		}
		return v.Schema, v.Name, cols, true
	}
	return "", "", nil, false
}

// infoSchemaDomain is one of information_schema's own domains (0: NULL).
type infoSchemaDomain struct {
	name, dataType, udt, dflt                              string
	maxLen, octetLen, precision, radix, scale, dtPrecision int64
	collated                                               bool
}

// infoSchemaDomains are PostgreSQL 15's, as information_schema.domains
// lists them.
var infoSchemaDomains = []infoSchemaDomain{
	{name: "cardinal_number", dataType: "integer", udt: "int4", precision: 32, radix: 2, scale: -1},
	{name: "character_data", dataType: "character varying", udt: "varchar", octetLen: 1073741824, collated: true},
	{name: "sql_identifier", dataType: "name", udt: "name", collated: true},
	{name: "time_stamp", dataType: "timestamp with time zone", udt: "timestamptz", dtPrecision: 2, dflt: "CURRENT_TIMESTAMP(2)"},
	{name: "yes_or_no", dataType: "character varying", udt: "varchar", maxLen: 3, octetLen: 12, collated: true},
}

// nullable is NULL for 0, else f(n); -1 stands for a real 0.
func nullable(n int64, f func(int64) types.Value) types.Value {
	switch n {
	case 0:
		return null
	case -1:
		return f(0)
	}
	return f(n)
}

// nullText is NULL for "", else the text.
func nullText(s string) types.Value {
	if s == "" {
		return null
	}
	return vText(s)
}
