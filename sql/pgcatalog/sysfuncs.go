package pgcatalog

import (
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
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

// activity is what pg_stat_get_* read of the session: the row store's
// counters.
type activity interface {
	TableActivity(id uint32) (*oltp.TableStats, int64, bool)
	IndexActivity(table, ix uint32) *oltp.IndexUse
}

func init() {
	// pg_stat_get_numscans(oid): a table's sequential scans, an index's
	// scans (pg_stat_*_tables.seq_scan, pg_stat_*_indexes.idx_scan); 0 for
	// any other OID, as in PostgreSQL. pg_stat_get_tuples_returned: the
	// rows those scans read.
	stat := func(table func(*oltp.TableStats) int64, index func(*oltp.IndexUse) int64) func(*funcs.Context, []types.Value) (types.Value, error) {
		return func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
			act, ok := ctx.Session.(activity)
			cat, err := sessionCatalog(ctx)
			if err != nil || !ok {
				return vInt(0), err
			}
			oid := uint32(a[0].I)
			if st, _, ok := act.TableActivity(oid); ok && st != nil {
				return vInt(table(st)), nil
			}
			if t, ix := findIndex(cat, oid); ix != nil {
				if u := act.IndexActivity(t.ID, ix.ID); u != nil {
					return vInt(index(u)), nil
				}
			}
			return vInt(0), nil
		}
	}
	reg("pg_stat_get_numscans", ts(tOID), tInt8, true, stat(
		func(st *oltp.TableStats) int64 { return st.SeqScans.Load() }, func(u *oltp.IndexUse) int64 { return u.Scans.Load() }))
	reg("pg_stat_get_tuples_returned", ts(tOID), tInt8, true, stat(
		func(st *oltp.TableStats) int64 { return st.SeqRead.Load() }, func(u *oltp.IndexUse) int64 { return u.Read.Load() }))
	// No partitioned tables: no partition key or bound to print.
	reg("pg_get_partkeydef", ts(tOID), tText, true, func(*funcs.Context, []types.Value) (types.Value, error) { return null, nil })
	reg("pg_get_partition_constraintdef", ts(tOID), tText, true, func(*funcs.Context, []types.Value) (types.Value, error) {
		return null, nil
	})

	// Views of what OmenDB does not have, empty as PostgreSQL's are
	// without them: user rules (pg_rules leaves out views' _RETURN
	// rules), replication slots (OmenDB reads a source's slot, it serves
	// none), prepared two-phase transactions (PREPARE TRANSACTION fails
	// with 0A000).
	define("pg_catalog", "pg_rules", 12090, []col{
		{"schemaname", tName}, {"tablename", tName}, {"rulename", tName}, {"definition", tText},
	}, empty)
	define("pg_catalog", "pg_replication_slots", 12091, []col{
		{"slot_name", tName}, {"plugin", tName}, {"slot_type", tText}, {"datoid", tOID}, {"database", tName},
		{"temporary", tBool}, {"active", tBool}, {"active_pid", tInt4}, {"xmin", tXid}, {"catalog_xmin", tXid},
		{"restart_lsn", tText}, {"confirmed_flush_lsn", tText}, {"wal_status", tText}, {"safe_wal_size", tInt8},
		{"two_phase", tBool},
	}, empty)
	define("pg_catalog", "pg_prepared_xacts", 12092, []col{
		{"transaction", tXid}, {"gid", tText}, {"prepared", types.TimestampTZ}, {"owner", tName}, {"database", tName},
	}, empty)
	// pg_available_extensions: the extensions CREATE EXTENSION accepts
	// (sql/extension.go), plpgsql installed in every database.
	define("pg_catalog", "pg_available_extensions", 12093, []col{
		{"name", tName}, {"default_version", tText}, {"installed_version", tText}, {"comment", tText},
	}, func(plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{
			{vText("pgcrypto"), vText("1.3"), null, vText("cryptographic functions")},
			{vText("plpgsql"), vText("1.0"), vText("1.0"), vText("PL/pgSQL procedural language")},
			{vText("uuid-ossp"), vText("1.1"), null, vText("generate universally unique identifiers (UUIDs)")},
		}, nil
	})
}
