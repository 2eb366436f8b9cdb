package pgcatalog

import (
	"strings"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// The statistics views (pg_stat_*_tables, pg_stat_*_indexes,
// pg_statio_*, pg_stat_database) and pg_locks, over the counters the
// session reports (plan.VirtualEnv: TableActivity, IndexActivity,
// DatabaseActivity, Locks; kept by oltp/stats.go and sql/stats.go).
//
// Counters are the process's since it started (or since pg_stat_reset):
// rows inserted, updated and deleted as the row store applies them, scans
// as the executors finish them — whole-table scans of either store, and
// index scans, the primary key's included (point reads and updates by
// primary key among them) — with the rows they read; n_live_tup is the
// row store's live row count. What OmenDB does not have reads as
// PostgreSQL shows its absence: no VACUUM or ANALYZE (last_* NULL, *_count
// 0, n_mod_since_analyze and n_ins_since_vacuum count from the start), no
// HOT updates, no buffer cache (the statio views' block counts are 0), no
// TOAST tables (their columns NULL), no temporary files, recovery
// conflicts or checksums. n_dead_tup is 0: old versions are reclaimed in
// the background and not counted per table. The emulated catalogs are
// listed (pg_stat_sys_tables) but their reads are not counted.

const (
	oidPgStatAllTables     = 12020
	oidPgStatUserTables    = 12021
	oidPgStatSysTables     = 12022
	oidPgStatAllIndexes    = 12023
	oidPgStatUserIndexes   = 12024
	oidPgStatSysIndexes    = 12025
	oidPgStatioAllTables   = 12026
	oidPgStatioUserTables  = 12027
	oidPgStatioSysTables   = 12028
	oidPgStatioAllIndexes  = 12029
	oidPgStatioUserIndexes = 12030
	oidPgStatioSysIndexes  = 12031
	oidPgStatDatabase      = 12032
	oidPgLocks             = 12033
)

// statScope selects the relations of the _all_, _user_ and _sys_ views.
type statScope int

const (
	scopeAll statScope = iota
	scopeUser
	scopeSys
)

// inScope reports whether a relation of schema belongs to scope: the
// _sys_ views show pg_catalog's and information_schema's, the _user_ views
// every other.
func inScope(scope statScope, schema string) bool {
	sys := schema == "pg_catalog" || schema == "information_schema" || strings.HasPrefix(schema, "pg_toast")
	switch scope {
	case scopeUser:
		return !sys
	case scopeSys:
		return sys
	}
	return true
}

// statTable is a table the statistics views list.
type statTable struct {
	oid    uint32
	schema string
	name   string
	table  *catalog.Table // nil for an emulated catalog
}

// statTables lists the tables and materialized views of scope (the
// emulated catalogs among pg_catalog's), in OID order.
func statTables(env plan.VirtualEnv, scope statScope) []statTable {
	var out []statTable
	for _, r := range relations(env.Catalog()) {
		if r.kind != 'r' && r.kind != 'm' {
			continue
		}
		st := statTable{oid: r.oid, name: r.name, table: r.table}
		if r.virtual != nil {
			st.schema = r.virtual.Schema
		} else {
			st.schema = r.table.Schema
		}
		if inScope(scope, st.schema) {
			out = append(out, st)
		}
	}
	return out
}

// indexTotals sums the scans and rows of t's indexes; ok is false when t
// has none (PostgreSQL's views then show NULL).
func indexTotals(env plan.VirtualEnv, t *catalog.Table) (scans, read int64, ok bool) {
	if t == nil || len(t.Indexes) == 0 {
		return 0, 0, false
	}
	for i := range t.Indexes {
		if u := env.IndexActivity(t.ID, t.Indexes[i].ID); u != nil {
			scans += u.Scans.Load()
			read += u.Read.Load()
		}
	}
	return scans, read, true
}

func orNull(v int64, ok bool) types.Value {
	if !ok {
		return null
	}
	return vInt(v)
}

func tsOrNull(t time.Time) types.Value {
	if t.IsZero() {
		return null
	}
	return types.NewTimestampTZ(t.UnixMicro())
}

func statTablesRows(scope statScope) rowsFunc {
	return func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, st := range statTables(env, scope) {
			var seq, seqRead, ins, upd, del, live int64
			if st.table != nil {
				if ts, n, ok := env.TableActivity(st.oid); ok {
					seq, seqRead = ts.SeqScans.Load(), ts.SeqRead.Load()
					ins, upd, del, live = ts.Inserted.Load(), ts.Updated.Load(), ts.Deleted.Load(), n
				}
			}
			idx, fetch, hasIdx := indexTotals(env, st.table)
			rows = append(rows, []types.Value{
				vOID(st.oid), vText(st.schema), vText(st.name), vInt(seq), vInt(seqRead),
				orNull(idx, hasIdx), orNull(fetch, hasIdx), vInt(ins), vInt(upd), vInt(del),
				vInt(0), vInt(live), vInt(0), vInt(ins + upd + del), vInt(ins),
				null, null, null, null,
				vInt(0), vInt(0), vInt(0), vInt(0),
			})
		}
		return rows, nil
	}
}

func statIndexesRows(scope statScope) rowsFunc {
	return func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, t := range env.Catalog().Tables() {
			if !inScope(scope, t.Schema) {
				continue
			}
			for i := range t.Indexes {
				ix := &t.Indexes[i]
				var scans, read int64
				if u := env.IndexActivity(t.ID, ix.ID); u != nil {
					scans, read = u.Scans.Load(), u.Read.Load()
				}
				rows = append(rows, []types.Value{
					vOID(t.ID), vOID(ix.ID), vText(t.Schema), vText(t.Name), vText(ix.Name),
					vInt(scans), vInt(read), vInt(read),
				})
			}
		}
		sortByOID(rows, 1)
		return rows, nil
	}
}

func statioTablesRows(scope statScope) rowsFunc {
	return func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, st := range statTables(env, scope) {
			hasIdx := st.table != nil && len(st.table.Indexes) > 0
			rows = append(rows, []types.Value{
				vOID(st.oid), vText(st.schema), vText(st.name), vInt(0), vInt(0),
				orNull(0, hasIdx), orNull(0, hasIdx), null, null, null, null,
			})
		}
		return rows, nil
	}
}

func statioIndexesRows(scope statScope) rowsFunc {
	return func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, t := range env.Catalog().Tables() {
			if !inScope(scope, t.Schema) {
				continue
			}
			for i := range t.Indexes {
				ix := &t.Indexes[i]
				rows = append(rows, []types.Value{
					vOID(t.ID), vOID(ix.ID), vText(t.Schema), vText(t.Name), vText(ix.Name), vInt(0), vInt(0),
				})
			}
		}
		sortByOID(rows, 1)
		return rows, nil
	}
}

// sortByOID orders rows by their OID column c.
func sortByOID(rows [][]types.Value, c int) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j][c].I < rows[j-1][c].I; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// pgStatDatabaseRows: the row of shared objects (datid 0, which OmenDB
// has none of) and the database's. Tuple counts sum the tables': returned
// = rows read by whole-table scans and by index scans, fetched = rows
// fetched through indexes. Session times are milliseconds, the open
// sessions' included.
func pgStatDatabaseRows(env plan.VirtualEnv) ([][]types.Value, error) {
	d := env.DatabaseActivity()
	var seqRead, idxRead, ins, upd, del int64
	for _, t := range env.Catalog().Tables() {
		if ts, _, ok := env.TableActivity(t.ID); ok {
			seqRead += ts.SeqRead.Load()
			ins += ts.Inserted.Load()
			upd += ts.Updated.Load()
			del += ts.Deleted.Load()
		}
		_, read, _ := indexTotals(env, t)
		idxRead += read
	}
	ms := func(d time.Duration) types.Value { return types.NewFloat(float64(d) / 1e6) }
	zero := types.NewFloat(0)
	shared := []types.Value{
		vOID(0), null, vInt(0), vInt(0), vInt(0), vInt(0), vInt(0), vInt(0), vInt(0),
		vInt(0), vInt(0), vInt(0), vInt(0), vInt(0), vInt(0), vInt(0), null, null,
		zero, zero, zero, zero, zero, vInt(0), vInt(0), vInt(0), vInt(0), null,
	}
	reset := tsOrNull(d.StatsReset)
	shared[len(shared)-1] = reset
	db := []types.Value{
		vOID(oidDatabase), vText(dbName(env)), vInt(int64(d.Backends)), vInt(d.Commits), vInt(d.Rollbacks),
		vInt(0), vInt(0), vInt(seqRead + idxRead), vInt(idxRead),
		vInt(ins), vInt(upd), vInt(del), vInt(0), vInt(0), vInt(0), vInt(d.Deadlocks), null, null,
		zero, zero, ms(d.SessionTime), ms(d.ActiveTime), ms(d.IdleInXact),
		vInt(d.Sessions), vInt(0), vInt(0), vInt(0), reset,
	}
	return [][]types.Value{shared, db}, nil
}

func pgLocksRows(env plan.VirtualEnv) ([][]types.Value, error) {
	var rows [][]types.Value
	for _, l := range env.Locks() {
		rel, classID, objID, objSub := null, null, null, null
		if l.Kind == "advisory" {
			classID, objID, objSub = vOID(l.ClassID), vOID(l.ObjID), vInt(int64(l.ObjSubID))
		} else {
			rel = vOID(l.Relation)
		}
		rows = append(rows, []types.Value{
			vText(l.Kind), vOID(oidDatabase), rel, null, null,
			null, null, classID, objID, objSub,
			vText(l.VirtualXact), vInt(int64(l.PID)), vText(l.Mode), vBool(l.Granted), vBool(false),
			tsOrNull(l.WaitStart),
		})
	}
	return rows, nil
}

func init() {
	tTS := types.TimestampTZ
	tableCols := []col{
		{"relid", tOID}, {"schemaname", tName}, {"relname", tName}, {"seq_scan", tInt8}, {"seq_tup_read", tInt8},
		{"idx_scan", tInt8}, {"idx_tup_fetch", tInt8}, {"n_tup_ins", tInt8}, {"n_tup_upd", tInt8}, {"n_tup_del", tInt8},
		{"n_tup_hot_upd", tInt8}, {"n_live_tup", tInt8}, {"n_dead_tup", tInt8}, {"n_mod_since_analyze", tInt8},
		{"n_ins_since_vacuum", tInt8}, {"last_vacuum", tTS}, {"last_autovacuum", tTS}, {"last_analyze", tTS},
		{"last_autoanalyze", tTS}, {"vacuum_count", tInt8}, {"autovacuum_count", tInt8}, {"analyze_count", tInt8},
		{"autoanalyze_count", tInt8},
	}
	define("pg_catalog", "pg_stat_all_tables", oidPgStatAllTables, tableCols, statTablesRows(scopeAll))
	define("pg_catalog", "pg_stat_user_tables", oidPgStatUserTables, tableCols, statTablesRows(scopeUser))
	define("pg_catalog", "pg_stat_sys_tables", oidPgStatSysTables, tableCols, statTablesRows(scopeSys))

	indexCols := []col{
		{"relid", tOID}, {"indexrelid", tOID}, {"schemaname", tName}, {"relname", tName}, {"indexrelname", tName},
		{"idx_scan", tInt8}, {"idx_tup_read", tInt8}, {"idx_tup_fetch", tInt8},
	}
	define("pg_catalog", "pg_stat_all_indexes", oidPgStatAllIndexes, indexCols, statIndexesRows(scopeAll))
	define("pg_catalog", "pg_stat_user_indexes", oidPgStatUserIndexes, indexCols, statIndexesRows(scopeUser))
	define("pg_catalog", "pg_stat_sys_indexes", oidPgStatSysIndexes, indexCols, statIndexesRows(scopeSys))

	ioTableCols := []col{
		{"relid", tOID}, {"schemaname", tName}, {"relname", tName}, {"heap_blks_read", tInt8}, {"heap_blks_hit", tInt8},
		{"idx_blks_read", tInt8}, {"idx_blks_hit", tInt8}, {"toast_blks_read", tInt8}, {"toast_blks_hit", tInt8},
		{"tidx_blks_read", tInt8}, {"tidx_blks_hit", tInt8},
	}
	define("pg_catalog", "pg_statio_all_tables", oidPgStatioAllTables, ioTableCols, statioTablesRows(scopeAll))
	define("pg_catalog", "pg_statio_user_tables", oidPgStatioUserTables, ioTableCols, statioTablesRows(scopeUser))
	define("pg_catalog", "pg_statio_sys_tables", oidPgStatioSysTables, ioTableCols, statioTablesRows(scopeSys))

	ioIndexCols := []col{
		{"relid", tOID}, {"indexrelid", tOID}, {"schemaname", tName}, {"relname", tName}, {"indexrelname", tName},
		{"idx_blks_read", tInt8}, {"idx_blks_hit", tInt8},
	}
	define("pg_catalog", "pg_statio_all_indexes", oidPgStatioAllIndexes, ioIndexCols, statioIndexesRows(scopeAll))
	define("pg_catalog", "pg_statio_user_indexes", oidPgStatioUserIndexes, ioIndexCols, statioIndexesRows(scopeUser))
	define("pg_catalog", "pg_statio_sys_indexes", oidPgStatioSysIndexes, ioIndexCols, statioIndexesRows(scopeSys))

	tFlt8 := types.Float8
	define("pg_catalog", "pg_stat_database", oidPgStatDatabase, []col{
		{"datid", tOID}, {"datname", tName}, {"numbackends", tInt4}, {"xact_commit", tInt8}, {"xact_rollback", tInt8},
		{"blks_read", tInt8}, {"blks_hit", tInt8}, {"tup_returned", tInt8}, {"tup_fetched", tInt8},
		{"tup_inserted", tInt8}, {"tup_updated", tInt8}, {"tup_deleted", tInt8}, {"conflicts", tInt8},
		{"temp_files", tInt8}, {"temp_bytes", tInt8}, {"deadlocks", tInt8}, {"checksum_failures", tInt8},
		{"checksum_last_failure", tTS}, {"blk_read_time", tFlt8}, {"blk_write_time", tFlt8},
		{"session_time", tFlt8}, {"active_time", tFlt8}, {"idle_in_transaction_time", tFlt8},
		{"sessions", tInt8}, {"sessions_abandoned", tInt8}, {"sessions_fatal", tInt8}, {"sessions_killed", tInt8},
		{"stats_reset", tTS},
	}, pgStatDatabaseRows)

	define("pg_catalog", "pg_locks", oidPgLocks, []col{
		{"locktype", tText}, {"database", tOID}, {"relation", tOID}, {"page", tInt4}, {"tuple", tInt2},
		{"virtualxid", tText}, {"transactionid", tXid}, {"classid", tOID}, {"objid", tOID}, {"objsubid", tInt2},
		{"virtualtransaction", tText}, {"pid", tInt4}, {"mode", tText}, {"granted", tBool}, {"fastpath", tBool},
		{"waitstart", tTS},
	}, pgLocksRows)
}

// checkpointStats is the session's view of the server's checkpoints.
type checkpointStats interface {
	CheckpointStats() (timed, requested int64, writeTime time.Duration, ok bool)
}

func init() {
	tTS, tFlt8 := types.TimestampTZ, types.Float8
	// pg_stat_bgwriter: the checkpoints OmenDB writes (on schedule and
	// for CHECKPOINT) and the time spent writing them, synced as they are
	// written; OmenDB has no shared buffer pool, so no buffer is ever
	// written by a background writer or a backend: those counters are 0.
	define("pg_catalog", "pg_stat_bgwriter", 12094, []col{
		{"checkpoints_timed", tInt8}, {"checkpoints_req", tInt8}, {"checkpoint_write_time", tFlt8},
		{"checkpoint_sync_time", tFlt8}, {"buffers_checkpoint", tInt8}, {"buffers_clean", tInt8},
		{"maxwritten_clean", tInt8}, {"buffers_backend", tInt8}, {"buffers_backend_fsync", tInt8},
		{"buffers_alloc", tInt8}, {"stats_reset", tTS},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var timed, req int64
		var write time.Duration
		if cs, ok := env.(checkpointStats); ok {
			timed, req, write, _ = cs.CheckpointStats()
		}
		zero := vInt(0)
		return [][]types.Value{{vInt(timed), vInt(req), types.NewFloat(float64(write.Microseconds()) / 1000),
			types.NewFloat(0), zero, zero, zero, zero, zero, zero, types.NewTimestampTZ(started.UnixMicro())}}, nil
	})
	// pg_stat_archiver: OmenDB archives no WAL segments (its log is the
	// stream; BACKUP copies it), so nothing was archived or failed.
	define("pg_catalog", "pg_stat_archiver", 12095, []col{
		{"archived_count", tInt8}, {"last_archived_wal", tText}, {"last_archived_time", tTS},
		{"failed_count", tInt8}, {"last_failed_wal", tText}, {"last_failed_time", tTS}, {"stats_reset", tTS},
	}, func(plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{{vInt(0), null, null, vInt(0), null, null, types.NewTimestampTZ(started.UnixMicro())}}, nil
	})
	// pg_stat_database_conflicts: queries canceled on a standby by
	// recovery; OmenDB is never one.
	define("pg_catalog", "pg_stat_database_conflicts", 12096, []col{
		{"datid", tOID}, {"datname", tName}, {"confl_tablespace", tInt8}, {"confl_lock", tInt8},
		{"confl_snapshot", tInt8}, {"confl_bufferpin", tInt8}, {"confl_deadlock", tInt8},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		zero := vInt(0)
		return [][]types.Value{{vOID(oidDatabase), vText(dbName(env)), zero, zero, zero, zero, zero}}, nil
	})
}

func init() {
	// pg_cursors: the session's open SQL cursors (sql/cursor.go).
	define("pg_catalog", "pg_cursors", 12097, []col{
		{"name", tText}, {"statement", tText}, {"is_holdable", tBool}, {"is_binary", tBool},
		{"is_scrollable", tBool}, {"creation_time", types.TimestampTZ},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		cs, ok := env.(interface{ Cursors() []plan.Cursor })
		if !ok {
			return nil, nil
		}
		var rows [][]types.Value
		for _, c := range cs.Cursors() {
			rows = append(rows, []types.Value{vText(c.Name), vText(c.Statement), vBool(c.Holdable), vBool(c.Binary),
				vBool(c.Scrollable), types.NewTimestampTZ(c.Created.UnixMicro())})
		}
		return rows, nil
	})
}
