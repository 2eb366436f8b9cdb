package pgcatalog

import (
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// System information functions administration tools call (pgAdmin's
// dashboard, DataGrip's introspection, migration tools' to_reg* checks),
// answered as PostgreSQL answers them on a primary server.

// started is when this process started: pg_postmaster_start_time and
// pg_conf_load_time (OmenDB reads its configuration once, at start).
var started = time.Now()

func init() {
	tTZ := types.TimestampTZ
	reg("pg_postmaster_start_time", nil, tTZ, false, func(*funcs.Context, []types.Value) (types.Value, error) {
		return types.NewTimestampTZ(started.UnixMicro()), nil
	})
	reg("pg_conf_load_time", nil, tTZ, false, func(*funcs.Context, []types.Value) (types.Value, error) {
		return types.NewTimestampTZ(started.UnixMicro()), nil
	})
	// Not a standby: no replay.
	reg("pg_last_xact_replay_timestamp", nil, tTZ, false, func(*funcs.Context, []types.Value) (types.Value, error) {
		return null, nil
	})
	// No triggers run, no JIT compiler.
	reg("pg_trigger_depth", nil, tInt4, false, func(*funcs.Context, []types.Value) (types.Value, error) { return vInt(0), nil })
	reg("pg_jit_available", nil, tBool, false, func(*funcs.Context, []types.Value) (types.Value, error) { return vBool(false), nil })
	reg("pg_client_encoding", nil, tName, false, func(*funcs.Context, []types.Value) (types.Value, error) {
		return vText("UTF8"), nil
	})
	reg("current_query", nil, tText, false, func(ctx *funcs.Context, _ []types.Value) (types.Value, error) {
		if q, ok := ctx.Session.(interface{ CurrentQuery() string }); ok {
			return vText(q.CurrentQuery()), nil
		}
		return null, nil
	})
	// pg_my_temp_schema: the OID of the session's temporary schema, 0
	// until it has one; pg_is_other_temp_schema: another session's.
	reg("pg_my_temp_schema", nil, tOID, false, func(ctx *funcs.Context, _ []types.Value) (types.Value, error) {
		if id, ok := tempSchemaID(sessionTempSchema(ctx)); ok {
			return vOID(id), nil
		}
		return vOID(0), nil
	})
	reg("pg_is_other_temp_schema", ts(tOID), tBool, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		cat, err := sessionCatalog(ctx)
		if err != nil {
			return null, err
		}
		mine, _ := tempSchemaID(sessionTempSchema(ctx))
		return vBool(uint32(a[0].I) != mine && isTempSchemaOID(cat, uint32(a[0].I))), nil
	})
	// No row-level security.
	for _, t := range []types.Type{tOID, tText} {
		reg("row_security_active", ts(t), tBool, true, func(*funcs.Context, []types.Value) (types.Value, error) { return vBool(false), nil })
	}
	// to_regtype and its kin: the OID the name denotes, NULL (not an
	// error) when it denotes nothing.
	toReg := func(typ types.OID) func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		return func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
			cat, err := sessionCatalog(ctx)
			if err != nil {
				return null, err
			}
			var oid uint32
			switch typ {
			case types.OIDRegtype:
				o, err := argTypeOID(cat, a[0].S)
				if err != nil {
					return null, nil
				}
				oid = uint32(o)
			default:
				if oid, err = regResolve(cat, typ, a[0].S); err != nil {
					return null, nil
				}
			}
			return types.NewRegName(oid, regName(cat, sessionEnv(ctx), typ, oid)), nil
		}
	}
	for name, typ := range map[string]types.OID{"to_regtype": types.OIDRegtype, "to_regproc": types.OIDRegproc,
		"to_regprocedure": types.OIDRegprocedure, "to_regnamespace": types.OIDRegnamespace} {
		reg(name, ts(tText), types.Type{OID: typ, Mod: -1}, true, toReg(typ))
	}
	// pg_indexam_has_property: btree orders, is unique-capable and takes
	// several columns; hash does none of these; both may back exclusion
	// constraints. An unknown property or access method gives NULL.
	reg("pg_indexam_has_property", ts(tOID, tText), tBool, true, func(_ *funcs.Context, a []types.Value) (types.Value, error) {
		props := map[uint32]map[string]bool{
			oidBtreeAM: {"can_order": true, "can_unique": true, "can_multi_col": true, "can_exclude": true, "can_include": true},
			oidHashAM:  {"can_order": false, "can_unique": false, "can_multi_col": false, "can_exclude": true, "can_include": false},
		}
		p, ok := props[uint32(a[0].I)]
		if !ok {
			return null, nil
		}
		v, ok := p[a[1].S]
		if !ok {
			return null, nil
		}
		return vBool(v), nil
	})
}

// isTempSchemaOID reports whether oid is some session's temporary schema.
func isTempSchemaOID(cat *catalog.Catalog, oid uint32) bool {
	for _, t := range cat.Tables() {
		if id, ok := tempSchemaID(t.Schema); ok && id == oid {
			return true
		}
	}
	return false
}
