package pgcatalog

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// OIDs of the emulated catalogs: PostgreSQL 15's for its tables, OmenDB's own
// (12000–12099) for the views, whose OIDs PostgreSQL assigns at initdb.
const (
	oidPgClass         = 1259
	oidPgType          = 1247
	oidPgAttribute     = 1249
	oidPgProc          = 1255
	oidPgNamespace     = 2615
	oidPgIndex         = 2610
	oidPgConstraint    = 2606
	oidPgAttrdef       = 2604
	oidPgDatabase      = 1262
	oidPgAuthid        = 1260
	oidPgAuthMembers   = 1261
	oidPgDescription   = 2609
	oidPgAm            = 2601
	oidPgCollation     = 3456
	oidPgInherits      = 2611
	oidPgTablespace    = 1213
	oidPgPartitioned   = 3350
	oidPgRoles         = 12001
	oidPgUser          = 12002
	oidPgSettings      = 12003
	oidPgTables        = 12004
	oidPgIndexes       = 12005
	oidPgViews         = 12006
	oidPgMatviews      = 12007
	oidPgPrepared      = 12008
	oidPgStatActivity  = 12009
	oidPgTrigger       = 2620
	oidPgDepend        = 2608
	oidPgRewrite       = 2618
	oidPgStatisticExt  = 3381
	oidPgPolicy        = 3256
	oidPgSequence      = 2224
	oidPgEventTrigger  = 3466
	oidPgExtension     = 3079
	oidPgForeignTable  = 3118
	oidPgPublication   = 6104
	oidPgPublicationNs = 6237
	oidPgPublicationRl = 6106
)

func init() {
	define("pg_catalog", "pg_namespace", oidPgNamespace, []col{
		{"oid", tOID}, {"nspname", tName}, {"nspowner", tOID}, {"nspacl", types.AclItemArray},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, n := range []struct {
			oid  uint32
			name string
		}{{oidPgCatalog, "pg_catalog"}, {oidPublic, "public"}, {oidInfoSchema, "information_schema"}} {
			owner, ownerName := uint32(oidBootstrap), quoteIdent(userName(env))
			if n.oid == oidPublic {
				// PostgreSQL 15: public belongs to pg_database_owner.
				owner, ownerName = oidDatabaseOwner, "pg_database_owner"
			}
			// Everyone may use the three schemas, as in PostgreSQL (whose
			// ACLs these are; pg_dump compares public's with them).
			acl := types.NewArray([]types.Value{vText(ownerName + "=UC/" + ownerName), vText("=U/" + ownerName)})
			rows = append(rows, []types.Value{vOID(n.oid), vText(n.name), vOID(owner), acl})
		}
		// User schemas (owned by the one role; no ACL: the owner's
		// default privileges, as for a schema PostgreSQL creates).
		for _, sc := range env.Catalog().Schemas() {
			rows = append(rows, []types.Value{vOID(sc.ID), vText(sc.Name), vOID(oidBootstrap), null})
		}
		// The temporary schemas of sessions with temporary tables.
		seen := map[string]bool{}
		for _, t := range env.Catalog().Tables() {
			if id, ok := tempSchemaID(t.Schema); ok && !seen[t.Schema] {
				seen[t.Schema] = true
				rows = append(rows, []types.Value{vOID(id), vText(t.Schema), vOID(oidBootstrap), null})
			}
		}
		return rows, nil
	})

	define("pg_catalog", "pg_class", oidPgClass, []col{
		{"oid", tOID}, {"relname", tName}, {"relnamespace", tOID}, {"reltype", tOID}, {"reloftype", tOID},
		{"relowner", tOID}, {"relam", tOID}, {"relfilenode", tOID}, {"reltablespace", tOID}, {"relpages", tInt4},
		{"reltuples", tFlt4}, {"relallvisible", tInt4}, {"reltoastrelid", tOID}, {"relhasindex", tBool},
		{"relisshared", tBool}, {"relpersistence", tChar}, {"relkind", tChar}, {"relnatts", tInt2},
		{"relchecks", tInt2}, {"relhasrules", tBool}, {"relhastriggers", tBool}, {"relhassubclass", tBool},
		{"relrowsecurity", tBool}, {"relforcerowsecurity", tBool}, {"relispopulated", tBool},
		{"relreplident", tChar}, {"relispartition", tBool}, {"relrewrite", tOID}, {"relacl", types.AclItemArray},
		{"reloptions", tTextArr},
		{"relpartbound", tText},
	}, pgClassRows)

	define("pg_catalog", "pg_attribute", oidPgAttribute, []col{
		{"attrelid", tOID}, {"attname", tName}, {"atttypid", tOID}, {"attstattarget", tInt4}, {"attlen", tInt2},
		{"attnum", tInt2}, {"attndims", tInt4}, {"attcacheoff", tInt4}, {"atttypmod", tInt4}, {"attbyval", tBool},
		{"attalign", tChar}, {"attstorage", tChar}, {"attcompression", tChar}, {"attnotnull", tBool},
		{"atthasdef", tBool}, {"atthasmissing", tBool}, {"attidentity", tChar}, {"attgenerated", tChar},
		{"attisdropped", tBool}, {"attislocal", tBool}, {"attinhcount", tInt4}, {"attcollation", tOID},
		{"attacl", types.AclItemArray}, {"attoptions", tTextArr}, {"attfdwoptions", tTextArr},
	}, pgAttributeRows)

	define("pg_catalog", "pg_type", oidPgType, []col{
		{"oid", tOID}, {"typname", tName}, {"typnamespace", tOID}, {"typowner", tOID}, {"typlen", tInt2},
		{"typbyval", tBool}, {"typtype", tChar}, {"typcategory", tChar}, {"typispreferred", tBool},
		{"typisdefined", tBool}, {"typdelim", tChar}, {"typrelid", tOID}, {"typelem", tOID}, {"typarray", tOID},
		{"typalign", tChar}, {"typstorage", tChar}, {"typnotnull", tBool}, {"typbasetype", tOID},
		{"typtypmod", tInt4}, {"typndims", tInt4}, {"typcollation", tOID}, {"typdefault", tText},
		{"typacl", types.AclItemArray},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		rows := make([][]types.Value, 0, len(builtinTypes))
		for _, ti := range builtinTypes {
			typtype := byte('b')
			if ti.category == 'P' {
				typtype = 'p'
			}
			storage := typStorage(&ti)
			rows = append(rows, []types.Value{
				vOID(uint32(ti.oid)), vText(ti.name), vOID(oidPgCatalog), vOID(oidBootstrap), vInt(int64(ti.len)),
				vBool(ti.byval), vChar(typtype), vChar(ti.category), vBool(ti.pref),
				vBool(true), vChar(','), vOID(0), vOID(uint32(ti.elem)), vOID(uint32(ti.array)),
				vChar(ti.align), vChar(storage), vBool(false), vOID(0),
				vInt(-1), vInt(0), vOID(ti.coll), null, null,
			})
		}
		return append(rows, enumTypeRows(env.Catalog())...), nil
	})

	define("pg_catalog", "pg_index", oidPgIndex, []col{
		{"indexrelid", tOID}, {"indrelid", tOID}, {"indnatts", tInt2}, {"indnkeyatts", tInt2},
		{"indisunique", tBool}, {"indnullsnotdistinct", tBool}, {"indisprimary", tBool},
		{"indisexclusion", tBool}, {"indimmediate", tBool}, {"indisclustered", tBool}, {"indisvalid", tBool},
		{"indcheckxmin", tBool}, {"indisready", tBool}, {"indislive", tBool}, {"indisreplident", tBool},
		{"indkey", tI2Vec}, {"indcollation", tOIDVec}, {"indclass", tOIDVec}, {"indoption", tI2Vec},
		{"indexprs", tText}, {"indpred", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, t := range env.Catalog().Tables() {
			for i := range t.Indexes {
				ix := &t.Indexes[i]
				_, typs := plan.IndexColumns(t, ix)
				exprs, pred := null, null
				if ix.HasExprs() {
					exprs = vText(indexExprsNode(ix))
				}
				if ix.Where != "" {
					pred = vText(indexPredNode(ix))
				}
				rows = append(rows, []types.Value{
					vOID(ix.ID), vOID(t.ID), vInt(int64(len(ix.Columns))), vInt(int64(len(ix.Columns))),
					vBool(ix.Unique || ix.Primary), vBool(false), vBool(ix.Primary),
					vBool(false), vBool(true), vBool(false), vBool(true),
					vBool(false), vBool(true), vBool(true), vBool(false),
					vAttnums(ix.Columns), indCollations(typs), indClasses(typs),
					vInts(indOptions(ix)...), exprs, pred,
				})
			}
		}
		return rows, nil
	})

	define("pg_catalog", "pg_constraint", oidPgConstraint, []col{
		{"oid", tOID}, {"conname", tName}, {"connamespace", tOID}, {"contype", tChar}, {"condeferrable", tBool},
		{"condeferred", tBool}, {"convalidated", tBool}, {"conrelid", tOID}, {"contypid", tOID},
		{"conindid", tOID}, {"conparentid", tOID}, {"confrelid", tOID}, {"confupdtype", tChar},
		{"confdeltype", tChar}, {"confmatchtype", tChar}, {"conislocal", tBool}, {"coninhcount", tInt4},
		{"connoinherit", tBool}, {"conkey", tI2Arr}, {"confkey", tI2Arr}, {"conpfeqop", tOIDArr},
		{"conppeqop", tOIDArr}, {"conffeqop", tOIDArr}, {"confdelsetcols", tI2Arr}, {"conexclop", tOIDArr},
		{"conbin", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		cat := env.Catalog()
		for _, t := range cat.Tables() {
			for _, ix := range t.Indexes {
				ct, ok := constraintType(&ix)
				if !ok {
					continue
				}
				rows = append(rows, []types.Value{
					vOID(ix.ID), vText(ix.Name), vOID(nspOID(cat, t.Schema)), vChar(ct), vBool(false),
					vBool(false), vBool(true), vOID(t.ID), vOID(0),
					vOID(ix.ID), vOID(0), vOID(0), vChar(' '),
					vChar(' '), vChar(' '), vBool(true), vInt(0),
					vBool(true), vAttnums(ix.Columns), null, null, null, null, null, null, null,
				})
			}
			for i, ch := range t.Checks {
				rows = append(rows, []types.Value{
					vOID(checkOID(t.ID, i)), vText(ch.Name), vOID(nspOID(cat, t.Schema)), vChar('c'), vBool(false),
					vBool(false), vBool(true), vOID(t.ID), vOID(0),
					vOID(0), vOID(0), vOID(0), vChar(' '),
					vChar(' '), vChar(' '), vBool(true), vInt(0),
					vBool(false), null, null, null, null, null, null, null, vText(checkNode(checkOID(t.ID, i), &ch)),
				})
			}
			for i := range t.ForeignKeys {
				fk := &t.ForeignKeys[i]
				indid := uint32(0)
				if ix := refIndex(env.Catalog(), fk); ix != nil {
					indid = ix.ID
				}
				// confdelsetcols is NULL: ON DELETE SET NULL / SET
				// DEFAULT with a column list is refused.
				pf, pp, ff := fkOperators(env.Catalog(), t, fk)
				rows = append(rows, []types.Value{
					vOID(fk.ID), vText(fk.Name), vOID(nspOID(cat, t.Schema)), vChar('f'), vBool(fk.Deferrable),
					vBool(fk.Deferred), vBool(!fk.NotValid), vOID(t.ID), vOID(0),
					vOID(indid), vOID(0), vOID(fk.RefTable), vChar(fk.UpdateAction()[0]),
					vChar(fk.DeleteAction()[0]), vChar(fkMatchType(fk)), vBool(true), vInt(0),
					vBool(true), vAttnums(fk.Columns), vAttnums(fk.RefColumns), pf, pp, ff, null, null, null,
				})
			}
		}
		return rows, nil
	})

	define("pg_catalog", "pg_attrdef", oidPgAttrdef, []col{
		{"oid", tOID}, {"adrelid", tOID}, {"adnum", tInt2}, {"adbin", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, t := range env.Catalog().Tables() {
			for i, c := range t.Columns {
				if c.Dropped || !hasAttrdef(c) {
					continue
				}
				rows = append(rows, []types.Value{vOID(attrdefOID(t.ID, i+1)), vOID(t.ID), vInt(int64(i + 1)), vText(attrdefExpr(c))})
			}
		}
		return rows, nil
	})

	define("pg_catalog", "pg_database", oidPgDatabase, []col{
		{"oid", tOID}, {"datname", tName}, {"datdba", tOID}, {"encoding", tInt4}, {"datlocprovider", tChar},
		{"datistemplate", tBool}, {"datallowconn", tBool}, {"datconnlimit", tInt4}, {"dattablespace", tOID},
		{"datcollate", tText}, {"datctype", tText}, {"daticulocale", tText}, {"datcollversion", tText},
		{"datacl", types.AclItemArray},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{{
			vOID(oidDatabase), vText(dbName(env)), vOID(oidBootstrap), vInt(6), vChar('c'),
			vBool(false), vBool(true), vInt(-1), vOID(oidTablespace),
			vText("C.UTF-8"), vText("C.UTF-8"), null, null, null,
		}}, nil
	})

	roleCols := []col{
		{"rolname", tName}, {"rolsuper", tBool}, {"rolinherit", tBool}, {"rolcreaterole", tBool},
		{"rolcreatedb", tBool}, {"rolcanlogin", tBool}, {"rolreplication", tBool}, {"rolconnlimit", tInt4},
		{"rolpassword", tText}, {"rolvaliduntil", types.TimestampTZ}, {"rolbypassrls", tBool},
		{"rolconfig", tTextArr}, {"oid", tOID},
	}
	// The session user, and pg_database_owner, the predefined role that
	// owns public (pg_dump looks up every owner among the roles).
	roleRows := func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{{
			vText(userName(env)), vBool(true), vBool(true), vBool(true),
			vBool(true), vBool(true), vBool(true), vInt(-1),
			vText("********"), null, vBool(true), null, vOID(oidBootstrap),
		}, {
			vText("pg_database_owner"), vBool(false), vBool(true), vBool(false),
			vBool(false), vBool(false), vBool(false), vInt(-1),
			vText("********"), null, vBool(false), null, vOID(oidDatabaseOwner),
		}}, nil
	}
	define("pg_catalog", "pg_roles", oidPgRoles, roleCols, roleRows)
	define("pg_catalog", "pg_authid", oidPgAuthid, roleCols, roleRows)
	define("pg_catalog", "pg_user", oidPgUser, []col{
		{"usename", tName}, {"usesysid", tOID}, {"usecreatedb", tBool}, {"usesuper", tBool},
		{"userepl", tBool}, {"usebypassrls", tBool}, {"passwd", tText}, {"valuntil", types.TimestampTZ},
		{"useconfig", tTextArr},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{{
			vText(userName(env)), vOID(oidBootstrap), vBool(true), vBool(true),
			vBool(true), vBool(true), vText("********"), null, null,
		}}, nil
	})
	define("pg_catalog", "pg_auth_members", oidPgAuthMembers, []col{
		{"roleid", tOID}, {"member", tOID}, {"grantor", tOID}, {"admin_option", tBool},
	}, empty)

	// pg_stat_activity: one row per session. client_addr is text (NULL:
	// OmenDB does not record client addresses yet), backend_xid and
	// backend_xmin are NULL (no transaction IDs), wait events are NULL.
	define("pg_catalog", "pg_stat_activity", oidPgStatActivity, []col{
		{"datid", tOID}, {"datname", tName}, {"pid", tInt4}, {"leader_pid", tInt4}, {"usesysid", tOID},
		{"usename", tName}, {"application_name", tText}, {"client_addr", tText}, {"client_hostname", tText},
		{"client_port", tInt4}, {"backend_start", types.TimestampTZ}, {"xact_start", types.TimestampTZ},
		{"query_start", types.TimestampTZ}, {"state_change", types.TimestampTZ}, {"wait_event_type", tText},
		{"wait_event", tText}, {"state", tText}, {"backend_xid", tText}, {"backend_xmin", tText},
		{"query_id", tInt8}, {"query", tText}, {"backend_type", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		ts := func(t time.Time) types.Value {
			if t.IsZero() {
				return null
			}
			return types.NewTimestampTZ(t.UnixMicro())
		}
		var rows [][]types.Value
		for _, a := range env.Activity() {
			rows = append(rows, []types.Value{
				vOID(oidDatabase), vText(dbName(env)), vInt(int64(a.PID)), null, vOID(oidBootstrap),
				vText(a.User), vText(a.App), null, null,
				vInt(-1), ts(a.BackendStart), ts(a.XactStart),
				ts(a.QueryStart), ts(a.StateChange), null,
				null, vText(a.State), null, null,
				null, vText(a.Query), vText("client backend"),
			})
		}
		return rows, nil
	})

	// pg_prepared_statements: the session's SQL PREPARE'd statements
	// (protocol-level ones live in pgwire and are not listed; generic and
	// custom plan counts are 0: OmenDB plans once per catalog).
	define("pg_catalog", "pg_prepared_statements", oidPgPrepared, []col{
		{"name", tText}, {"statement", tText}, {"prepare_time", types.TimestampTZ},
		{"parameter_types", types.Type{OID: types.OIDRegtypeArray, Mod: -1}}, {"from_sql", tBool},
		{"generic_plans", tInt8}, {"custom_plans", tInt8},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, p := range env.PreparedStatements() {
			params := make([]types.Value, len(p.Params))
			for i, o := range p.Params {
				params[i] = vOID(uint32(o))
			}
			rows = append(rows, []types.Value{vText(p.Name), vText(p.Statement), types.NewTimestampTZ(p.At.UnixMicro()),
				types.NewArray(params), vBool(true), vInt(0), vInt(0)})
		}
		return rows, nil
	})

	define("pg_catalog", "pg_settings", oidPgSettings, []col{
		{"name", tText}, {"setting", tText}, {"unit", tText}, {"category", tText}, {"short_desc", tText},
		{"extra_desc", tText}, {"context", tText}, {"vartype", tText}, {"source", tText}, {"min_val", tText},
		{"max_val", tText}, {"boot_val", tText}, {"reset_val", tText}, {"sourcefile", tText},
		{"sourceline", tInt4}, {"pending_restart", tBool},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, name := range settingNames {
			v, ok := env.Setting(name)
			if !ok {
				v, ok = presetSettings[name]
			}
			if !ok {
				continue
			}
			context := "user"
			if c, ok := settingContexts[name]; ok {
				context = c
			}
			rows = append(rows, []types.Value{
				vText(name), vText(v), null, vText("Ungrouped"), null,
				null, vText(context), vText("string"), vText("default"), null,
				null, vText(v), vText(v), null, null, vBool(false),
			})
		}
		return rows, nil
	})

	define("pg_catalog", "pg_description", oidPgDescription, []col{
		{"objoid", tOID}, {"classoid", tOID}, {"objsubid", tInt4}, {"description", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		addIn := func(class, id uint32, sub int, text string) {
			if text != "" {
				rows = append(rows, []types.Value{vOID(id), vOID(class), vInt(int64(sub)), vText(text)})
			}
		}
		add := func(id uint32, sub int, text string) { addIn(oidPgClass, id, sub, text) }
		for _, c := range builtinComments {
			addIn(c.class, c.oid, 0, c.text)
		}
		cat := env.Catalog()
		for _, t := range cat.Tables() {
			add(t.ID, 0, t.Comment)
			for i, c := range t.Columns {
				add(t.ID, i+1, c.Comment)
			}
			for _, ix := range t.Indexes {
				add(ix.ID, 0, ix.Comment)
				addIn(oidPgConstraint, ix.ID, 0, ix.ConComment)
			}
			for i, ch := range t.Checks {
				addIn(oidPgConstraint, checkOID(t.ID, i), 0, ch.Comment)
			}
			for _, fk := range t.ForeignKeys {
				addIn(oidPgConstraint, fk.ID, 0, fk.Comment)
			}
		}
		for _, v := range cat.Views() {
			add(v.ID, 0, v.Comment)
			for i, c := range v.Columns {
				add(v.ID, i+1, c.Comment)
			}
		}
		return rows, nil
	})

	define("pg_catalog", "pg_am", oidPgAm, []col{
		{"oid", tOID}, {"amname", tName}, {"amhandler", tRegpr}, {"amtype", tChar},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{
			{vOID(oidHeapAM), vText("heap"), vRegproc(3), vChar('t')},
			{vOID(oidBtreeAM), vText("btree"), vRegproc(330), vChar('i')},
			{vOID(oidHashAM), vText("hash"), vRegproc(331), vChar('i')},
		}, nil
	})

	define("pg_catalog", "pg_collation", oidPgCollation, []col{
		{"oid", tOID}, {"collname", tName}, {"collnamespace", tOID}, {"collowner", tOID},
		{"collprovider", tChar}, {"collisdeterministic", tBool}, {"collencoding", tInt4},
		{"collcollate", tText}, {"collctype", tText}, {"colliculocale", tText}, {"collversion", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{
			{vOID(oidDefaultColl), vText("default"), vOID(oidPgCatalog), vOID(oidBootstrap), vChar('d'), vBool(true), vInt(-1), null, null, null, null},
			{vOID(oidCColl), vText("C"), vOID(oidPgCatalog), vOID(oidBootstrap), vChar('c'), vBool(true), vInt(-1), vText("C"), vText("C"), null, null},
			{vOID(oidPosixColl), vText("POSIX"), vOID(oidPgCatalog), vOID(oidBootstrap), vChar('c'), vBool(true), vInt(-1), vText("POSIX"), vText("POSIX"), null, null},
		}, nil
	})

	define("pg_catalog", "pg_inherits", oidPgInherits, []col{
		{"inhrelid", tOID}, {"inhparent", tOID}, {"inhseqno", tInt4}, {"inhdetachpending", tBool},
	}, empty)
	define("pg_catalog", "pg_partitioned_table", oidPgPartitioned, []col{
		{"partrelid", tOID}, {"partstrat", tChar}, {"partnatts", tInt2}, {"partdefid", tOID},
	}, empty)
	define("pg_catalog", "pg_tablespace", oidPgTablespace, []col{
		{"oid", tOID}, {"spcname", tName}, {"spcowner", tOID},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{
			{vOID(oidTablespace), vText("pg_default"), vOID(oidBootstrap)},
			{vOID(1664), vText("pg_global"), vOID(oidBootstrap)},
		}, nil
	})
	// pg_trigger: the tables' triggers (trigger.go). Foreign keys are
	// enforced without triggers, so PostgreSQL's internal RI triggers are
	// not listed.
	define("pg_catalog", "pg_trigger", oidPgTrigger, []col{
		{"oid", tOID}, {"tgrelid", tOID}, {"tgparentid", tOID}, {"tgname", tName}, {"tgfoid", tOID},
		{"tgtype", tInt2}, {"tgenabled", tChar}, {"tgisinternal", tBool}, {"tgconstrrelid", tOID},
		{"tgconstrindid", tOID}, {"tgconstraint", tOID}, {"tgdeferrable", tBool}, {"tginitdeferred", tBool},
		{"tgnargs", tInt2},
	}, triggerRows)
	// pg_depend and pg_rewrite: depend.go.
	define("pg_catalog", "pg_depend", oidPgDepend, []col{
		{"classid", tOID}, {"objid", tOID}, {"objsubid", tInt4}, {"refclassid", tOID},
		{"refobjid", tOID}, {"refobjsubid", tInt4}, {"deptype", tChar},
	}, dependRows)
	define("pg_catalog", "pg_rewrite", oidPgRewrite, []col{
		{"oid", tOID}, {"rulename", tName}, {"ev_class", tOID}, {"ev_type", tChar}, {"ev_enabled", tChar},
		{"is_instead", tBool},
	}, rewriteRows)
	// pg_extension: plpgsql, which every PostgreSQL database has (its OID
	// in PostgreSQL 15's template); see sql/extension.go.
	define("pg_catalog", "pg_extension", oidPgExtension, []col{
		{"oid", tOID}, {"extname", tName}, {"extowner", tOID}, {"extnamespace", tOID},
		{"extrelocatable", tBool}, {"extversion", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{{vOID(oidExtPlpgsql), vText("plpgsql"), vOID(oidBootstrap), vOID(oidPgCatalog), vBool(false), vText("1.0")}}, nil
	})

	define("pg_catalog", "pg_policy", oidPgPolicy, []col{
		{"oid", tOID}, {"polname", tName}, {"polrelid", tOID}, {"polcmd", tChar}, {"polpermissive", tBool},
		{"polroles", tOIDArr}, {"polqual", tText}, {"polwithcheck", tText},
	}, empty)
	define("pg_catalog", "pg_statistic_ext", oidPgStatisticExt, []col{
		{"oid", tOID}, {"stxrelid", tOID}, {"stxname", tName}, {"stxnamespace", tOID}, {"stxowner", tOID},
		{"stxstattarget", tInt4}, {"stxkeys", tI2Vec}, {"stxkind", tCharArr}, {"stxexprs", tText},
	}, empty)
	define("pg_catalog", "pg_publication", oidPgPublication, []col{
		{"oid", tOID}, {"pubname", tName}, {"pubowner", tOID}, {"puballtables", tBool}, {"pubinsert", tBool},
		{"pubupdate", tBool}, {"pubdelete", tBool}, {"pubtruncate", tBool}, {"pubviaroot", tBool},
	}, empty)
	define("pg_catalog", "pg_publication_namespace", oidPgPublicationNs, []col{
		{"oid", tOID}, {"pnpubid", tOID}, {"pnnspid", tOID},
	}, empty)
	define("pg_catalog", "pg_publication_rel", oidPgPublicationRl, []col{
		{"oid", tOID}, {"prpubid", tOID}, {"prrelid", tOID}, {"prqual", tText}, {"prattrs", tI2Vec},
	}, empty)
	define("pg_catalog", "pg_foreign_table", oidPgForeignTable, []col{
		{"ftrelid", tOID}, {"ftserver", tOID}, {"ftoptions", tTextArr},
	}, empty)

	define("pg_catalog", "pg_proc", oidPgProc, []col{
		{"oid", tOID}, {"proname", tName}, {"pronamespace", tOID}, {"proowner", tOID}, {"prolang", tOID},
		{"prokind", tChar}, {"prosecdef", tBool}, {"proleakproof", tBool}, {"proisstrict", tBool},
		{"proretset", tBool}, {"provolatile", tChar}, {"pronargs", tInt2}, {"prorettype", tOID},
		{"proargtypes", tOIDVec},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, n := range funcs.Names() {
			for i, sig := range funcs.Overloads(n) {
				args := make([]int64, len(sig.Args))
				for j, a := range sig.Args {
					args[j] = int64(a.OID)
				}
				rows = append(rows, []types.Value{
					vOID(overloadOID(n, i, sig)), vText(n), vOID(oidPgCatalog), vOID(oidBootstrap), vOID(12),
					vChar('f'), vBool(false), vBool(false), vBool(sig.Strict),
					vBool(false), vChar(volatility(sig.Volatility)), vInt(int64(len(sig.Args))), vOID(uint32(sig.Ret.OID)),
					vInts(args...),
				})
			}
		}
		return append(rows, userProcRows(env.Catalog())...), nil
	})

	define("pg_catalog", "pg_tables", oidPgTables, []col{
		{"schemaname", tName}, {"tablename", tName}, {"tableowner", tName}, {"tablespace", tName},
		{"hasindexes", tBool}, {"hasrules", tBool}, {"hastriggers", tBool}, {"rowsecurity", tBool},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, t := range env.Catalog().Tables() {
			rows = append(rows, []types.Value{vText(t.Schema), vText(t.Name), vText(userName(env)), null,
				vBool(len(t.Indexes) > 0), vBool(false), vBool(false), vBool(false)})
		}
		for _, vt := range order {
			if vt.Schema == "pg_catalog" && isCatalogTable(vt) {
				rows = append(rows, []types.Value{vText(vt.Schema), vText(vt.Name), vText(userName(env)), null,
					vBool(false), vBool(false), vBool(false), vBool(false)})
			}
		}
		return rows, nil
	})
	define("pg_catalog", "pg_indexes", oidPgIndexes, []col{
		{"schemaname", tName}, {"tablename", tName}, {"indexname", tName}, {"tablespace", tName}, {"indexdef", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, t := range env.Catalog().Tables() {
			for i := range t.Indexes {
				rows = append(rows, []types.Value{vText(t.Schema), vText(t.Name), vText(t.Indexes[i].Name), null,
					vText(indexDef(t, &t.Indexes[i], false, true))})
			}
		}
		return rows, nil
	})
	// pg_views lists the user's views and the emulated catalog views; the
	// latter are computed in Go and have no SQL text: their definition is
	// NULL (PostgreSQL shows their queries).
	define("pg_catalog", "pg_matviews", oidPgMatviews, []col{
		{"schemaname", tName}, {"matviewname", tName}, {"matviewowner", tName}, {"tablespace", tName},
		{"hasindexes", tBool}, {"ispopulated", tBool}, {"definition", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, t := range env.Catalog().Tables() {
			if t.MatView != "" {
				rows = append(rows, []types.Value{vText(t.Schema), vText(t.Name), vText(userName(env)), null,
					vBool(len(t.Indexes) > 0), vBool(!t.Unpopulated), vText(" " + t.MatView + ";")})
			}
		}
		return rows, nil
	})

	define("pg_catalog", "pg_views", oidPgViews, []col{
		{"schemaname", tName}, {"viewname", tName}, {"viewowner", tName}, {"definition", tText},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, vt := range order {
			if isEmulatedView(vt) {
				rows = append(rows, []types.Value{vText(vt.Schema), vText(vt.Name), vText(userName(env)), null})
			}
		}
		for _, v := range env.Catalog().Views() {
			rows = append(rows, []types.Value{vText(v.Schema), vText(v.Name), vText(userName(env)), viewDefOf(env.Catalog(), visibilityOf(env), v.ID)})
		}
		return rows, nil
	})
}

// viewDef is pg_get_viewdef's text for a view: the stored query between a
// leading space and a trailing semicolon, as PostgreSQL frames it. The query
// is the text OmenDB stored at CREATE VIEW (pg_query's deparse of the
// SELECT, on one line, names as written: " SELECT a, b FROM t WHERE a > 1;").
// PostgreSQL deparses the view's rule instead, qualifying columns and
// pretty-printing (" SELECT t.a,\n    t.b\n   FROM t\n  WHERE t.a > 1;");
// that is not reproduced, and the pretty flag and wrap column change nothing.
func viewDef(v *catalog.View) string { return " " + v.Query + ";" }

// isEmulatedView tells the emulated catalogs that are views in PostgreSQL
// (pg_roles, pg_tables, information_schema.* …): pg_class relkind 'v'.
func isEmulatedView(vt *plan.VirtualTable) bool {
	return !isCatalogTable(vt) || vt.Schema == "information_schema"
}

func empty(plan.VirtualEnv) ([][]types.Value, error) { return nil, nil }

// isCatalogTable tells the emulated catalogs that are tables in PostgreSQL
// from the views (OIDs 12000–12099).
func isCatalogTable(vt *plan.VirtualTable) bool { return vt.OID < 12000 || vt.OID >= 12100 }

// settingNames are the settings pg_settings lists (those sessions have).
var settingNames = []string{
	"application_name", "bytea_output", "client_encoding", "client_min_messages", "datestyle",
	"default_transaction_isolation", "default_transaction_read_only", "extra_float_digits",
	"idle_in_transaction_session_timeout", "integer_datetimes", "intervalstyle", "is_superuser", "jit",
	"lock_timeout", "max_identifier_length", "max_parallel_workers_per_gather", "row_security",
	"search_path", "server_encoding", "server_version", "server_version_num", "session_authorization",
	"standard_conforming_strings", "statement_timeout", "synchronous_commit", "timezone",
	"transaction_isolation", "transaction_read_only", "work_mem",
	"block_size", "max_function_args", "max_index_keys", "segment_size", "wal_block_size",
	"data_directory", "port", "listen_addresses", "ssl", "fsync", "lc_collate", "lc_ctype", "in_hot_standby", "cluster_name",
}

// settingContexts are pg_settings.context of the settings a session may
// not change (PostgreSQL 15's); the others are "user".
var settingContexts = map[string]string{
	"data_directory": "postmaster", "port": "postmaster", "listen_addresses": "postmaster", "cluster_name": "postmaster",
	"ssl": "sighup", "fsync": "sighup", "lc_collate": "internal", "lc_ctype": "internal", "in_hot_standby": "internal",
	"server_version": "internal", "server_version_num": "internal", "server_encoding": "internal",
	"integer_datetimes": "internal", "max_identifier_length": "internal", "max_index_keys": "internal",
	"max_function_args": "internal", "block_size": "internal", "segment_size": "internal", "wal_block_size": "internal",
}

// defaultExpr is a column default as pg_get_expr deparses it: a bare string
// literal carries the cast to the column's type that PostgreSQL's
// coercion adds ('anon'::character varying), without the typmod.
func defaultExpr(c catalog.Column) string {
	d := c.Default
	if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' && !strings.Contains(strings.ReplaceAll(d[1:len(d)-1], "''", ""), "'") {
		return d + "::" + types.TypeName(c.Type.WithoutMod())
	}
	return d
}

// presetSettings are PostgreSQL's compile-time settings (context
// "internal") that clients read from pg_settings: JDBC asks for
// max_index_keys.
var presetSettings = map[string]string{
	"block_size": "8192", "max_function_args": "100", "max_index_keys": "32", "segment_size": "131072",
	"wal_block_size": "8192",
}

// constraintType is the pg_constraint contype an index backs.
func constraintType(ix *catalog.Index) (byte, bool) {
	switch {
	case !ix.Constraint():
		return 0, false // a plain index, or one CREATE UNIQUE INDEX made
	case ix.Primary:
		return 'p', true
	}
	return 'u', true
}

// attrdefOID is the stable OID of a column default: pg_attrdef OIDs are
// unique within pg_attrdef only, so they are derived from the table ID and
// the column number above the range of object IDs.
func attrdefOID(table uint32, attnum int) uint32 {
	return 0x80000000 | (table-catalog.FirstUserID)<<11 | uint32(attnum)
}

// procOID is the stable OID of a built-in function name: its first
// overload's.
func procOID(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 0x40000000 | h.Sum32()&0x3fffffff
}

// overloadOID is the stable OID of overload i of a built-in function: the
// name's for the first, else a hash of the name and argument types.
func overloadOID(name string, i int, sig funcs.Signature) uint32 {
	if i == 0 {
		return procOID(name)
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	for _, a := range sig.Args {
		h.Write([]byte{byte(a.OID >> 24), byte(a.OID >> 16), byte(a.OID >> 8), byte(a.OID)})
	}
	return 0x40000000 | h.Sum32()&0x3fffffff
}

func volatility(v funcs.Volatility) byte {
	switch v {
	case funcs.Immutable:
		return 'i'
	case funcs.Stable:
		return 's'
	}
	return 'v'
}

// relation is one pg_class row source.
type relation struct {
	oid, nsp      uint32
	name          string
	kind          byte
	am            uint32
	natts         int
	hasIndex      bool
	hasTriggers   bool // pg_class.relhastriggers: a foreign key on either side
	replident     byte
	table         *catalog.Table // for user tables and indexes
	index         *catalog.Index
	view          *catalog.View // for user views
	virtual       *plan.VirtualTable
	sequenceOwner uint32
}

// relations lists every relation pg_class shows, in OID order.
func relations(cat *catalog.Catalog) []relation {
	var out []relation
	for _, vt := range order {
		kind := byte('r')
		if isEmulatedView(vt) {
			kind = 'v'
		}
		am := uint32(oidHeapAM)
		if kind == 'v' {
			am = 0
		}
		out = append(out, relation{oid: vt.OID, nsp: nspOID(cat, vt.Schema), name: vt.Name, kind: kind, am: am,
			natts: len(userCols(vt)), replident: 'n', virtual: vt})
	}
	for _, t := range cat.Tables() {
		kind := byte('r')
		if t.MatView != "" {
			kind = 'm'
		}
		// PostgreSQL enforces foreign keys with triggers on both tables:
		// psql prints a table's foreign keys only if relhastriggers.
		out = append(out, relation{oid: t.ID, nsp: nspOID(cat, t.Schema), name: t.Name, kind: kind, am: oidHeapAM,
			natts: len(t.Columns), hasIndex: len(t.Indexes) > 0, replident: 'd', table: t,
			hasTriggers: len(t.ForeignKeys) > 0 || len(cat.ReferencedBy(t.ID)) > 0 || len(t.Triggers) > 0})
		for i := range t.Indexes {
			ix := &t.Indexes[i]
			out = append(out, relation{oid: ix.ID, nsp: nspOID(cat, t.Schema), name: ix.Name, kind: 'i', am: oidBtreeAM,
				natts: len(ix.Columns), replident: 'n', table: t, index: ix})
		}
	}
	for _, sq := range cat.Sequences() {
		out = append(out, relation{oid: sq.ID, nsp: nspOID(cat, sq.Schema), name: sq.Name, kind: 'S', natts: 3, replident: 'n'})
	}
	for _, v := range cat.Views() {
		out = append(out, relation{oid: v.ID, nsp: nspOID(cat, v.Schema), name: v.Name, kind: 'v',
			natts: len(v.Columns), replident: 'n', view: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].oid < out[j].oid })
	return out
}

// persistence is pg_class.relpersistence: 't' for a temporary table and
// its indexes, else 'p'.
func persistence(r relation) byte {
	if r.table != nil && r.table.Temp {
		return 't'
	}
	if r.view != nil {
		if _, temp := tempSchemaID(r.view.Schema); temp {
			return 't'
		}
	}
	return 'p'
}

func pgClassRows(env plan.VirtualEnv) ([][]types.Value, error) {
	rels := relations(env.Catalog())
	rows := make([][]types.Value, 0, len(rels))
	for _, r := range rels {
		// A view has no storage (relfilenode 0) and, in PostgreSQL, its
		// _RETURN rule (relhasrules; pg_rewrite is empty here).
		filenode, view := r.oid, r.kind == 'v'
		if view {
			filenode = 0
		}
		rows = append(rows, []types.Value{
			vOID(r.oid), vText(r.name), vOID(r.nsp), vOID(0), vOID(0),
			vOID(oidBootstrap), vOID(r.am), vOID(filenode), vOID(0), vInt(0),
			types.NewFloat(-1), vInt(0), vOID(0), vBool(r.hasIndex),
			vBool(false), vChar(persistence(r)), vChar(r.kind), vInt(int64(r.natts)),
			vInt(int64(relChecks(r))), vBool(view), vBool(r.hasTriggers), vBool(false),
			vBool(false), vBool(false), vBool(r.table == nil || !r.table.Unpopulated),
			vChar(r.replident), vBool(false), vOID(0), null, null, null,
		})
	}
	return rows, nil
}

func pgAttributeRows(env plan.VirtualEnv) ([][]types.Value, error) {
	var rows [][]types.Value
	add := func(rel uint32, name string, t types.Type, dims, num int, notNull, hasDef bool, identity string, dropped, generated bool) {
		ti := typeByOID[t.OID]
		byval, align, storage := false, byte('i'), byte('p')
		if ti != nil {
			byval, align, storage = ti.byval, ti.align, typStorage(ti)
		} else if types.IsEnum(t) {
			byval = true
		} else if types.IsEnumArray(t) {
			storage = 'x'
		}
		ident := null
		if identity != "" {
			ident = vText(identity)
		} else {
			ident = vText("")
		}
		if dropped {
			name = "........pg.dropped." + strconv.Itoa(num) + "........"
		}
		rows = append(rows, []types.Value{
			vOID(rel), vText(name), vOID(uint32(t.OID)), vInt(-1), vInt(int64(typeLenOf(t))),
			vInt(int64(num)), vInt(int64(dims)), vInt(-1), vInt(int64(t.Mod)), vBool(byval),
			vChar(align), vChar(storage), vText(""), vBool(notNull),
			vBool(hasDef), vBool(false), ident, vText(map[bool]string{true: "s"}[generated]),
			vBool(dropped), vBool(true), vInt(0), vOID(typeCollation(t.OID)),
			null, null, null,
		})
	}
	for _, vt := range order {
		for i, c := range userCols(vt) {
			add(vt.OID, c.Name, c.T, 0, i+1, false, false, "", false, false)
		}
	}
	for _, t := range env.Catalog().Tables() {
		for i, c := range t.Columns {
			add(t.ID, c.Name, c.Type, c.Dims, i+1, c.NotNull, hasAttrdef(c), c.Identity, c.Dropped, c.Generated != "")
		}
		for i := range t.Indexes {
			names, typs := plan.IndexColumns(t, &t.Indexes[i])
			for j := range names {
				add(t.Indexes[i].ID, names[j], typs[j], 0, j+1, false, false, "", false, false)
			}
		}
	}
	// A view's columns are never NOT NULL, have no defaults (ALTER VIEW …
	// SET DEFAULT is not supported) and no identity.
	for _, v := range env.Catalog().Views() {
		for i, c := range v.Columns {
			add(v.ID, c.Name, c.Type, c.Dims, i+1, false, false, "", false, false)
		}
	}
	return rows, nil
}

// typStorage is a type's typstorage as in PostgreSQL 15: varlena types
// are extended, but for numeric (main) and int2vector/oidvector (plain).
func typStorage(ti *typeInfo) byte {
	switch {
	case ti.oid == types.OIDNumeric:
		return 'm'
	case ti.oid == types.OIDInt2Vector || ti.oid == types.OIDOIDVector:
		return 'p'
	case ti.len == -1:
		return 'x'
	}
	return 'p'
}

// indexDef is pg_get_indexdef's text for an index: the table qualified
// by its schema when qualify (always but for pretty output, whose
// PRETTYFLAG_SCHEMA qualifies only relations the search path does not
// reach: searchpath.go), expressions and the predicate as PostgreSQL
// prints them (pretty or not, plan.DeparseIndexElem).
func indexDef(t *catalog.Table, ix *catalog.Index, pretty, qualify bool) string {
	var sb strings.Builder
	sb.WriteString("CREATE ")
	if ix.Unique || ix.Primary {
		sb.WriteString("UNIQUE ")
	}
	sb.WriteString("INDEX ")
	sb.WriteString(quoteIdent(ix.Name))
	sb.WriteString(" ON ")
	if qualify {
		sb.WriteString(quoteIdent(t.Schema) + ".")
	}
	sb.WriteString(quoteIdent(t.Name))
	sb.WriteString(" USING btree (")
	for i := range ix.Columns {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(indexElemDef(t, ix, i, pretty))
		sb.WriteString(indexElemOrder(ix.Order(i)))
	}
	sb.WriteString(")")
	if ix.Where != "" {
		sb.WriteString(" WHERE " + plan.DeparseIndexPredicate(t, ix, pretty))
	}
	return sb.String()
}

// indexElemDef is key element i of ix as pg_get_indexdef prints it.
func indexElemDef(t *catalog.Table, ix *catalog.Index, i int, pretty bool) string {
	if c := ix.Columns[i]; c >= 0 {
		return quoteIdent(t.Columns[c].Name)
	}
	return plan.DeparseIndexElem(t, ix, i, pretty)
}

// indOptions is pg_index.indoption: each key element's order bits.
func indOptions(ix *catalog.Index) []int64 {
	out := make([]int64, len(ix.Columns))
	for i := range out {
		out[i] = int64(ix.Order(i))
	}
	return out
}

// indexElemOrder is a key element's order as pg_get_indexdef prints it
// after the element: " DESC" (whose default is NULLS FIRST), " DESC NULLS
// LAST", " NULLS FIRST" or nothing. (A single column's text,
// pg_get_indexdef(oid, n, …), has none, as in PostgreSQL.)
func indexElemOrder(o int16) string {
	switch {
	case o&catalog.IndexDesc != 0 && o&catalog.IndexNullsFirst == 0:
		return " DESC NULLS LAST"
	case o&catalog.IndexDesc != 0:
		return " DESC"
	case o&catalog.IndexNullsFirst != 0:
		return " NULLS FIRST"
	}
	return ""
}

// indexExprsNode is pg_index.indexprs and indexPredNode pg_index.indpred.
// PostgreSQL stores node trees (pg_node_tree) there, which clients only
// test for NULL or hand to pg_get_expr; OmenDB stores a node naming the
// index (and the expression's key element), which pg_get_expr prints as
// PostgreSQL would print the tree (plan.DeparseIndexElem and
// DeparseIndexPredicate), followed by the stored text for the curious.
func indexExprsNode(ix *catalog.Index) string {
	var parts []string
	for i, e := range ix.Exprs {
		if e != "" {
			parts = append(parts, fmt.Sprintf("{INDEXEXPR :indexrelid %d :elem %d :text %s}", ix.ID, i+1, strconv.Quote(e)))
		}
	}
	return "(" + strings.Join(parts, " ") + ")"
}

func indexPredNode(ix *catalog.Index) string {
	return fmt.Sprintf("{INDEXPRED :indexrelid %d :text %s}", ix.ID, strconv.Quote(ix.Where))
}

// checkNode is a CHECK constraint's pg_constraint.conbin: like PostgreSQL's
// node tree, only for pg_get_expr to print (checkNodeExpr).
func checkNode(oid uint32, ch *catalog.Check) string {
	return fmt.Sprintf("{CHECK :conoid %d :text %s}", oid, strconv.Quote(ch.Expr))
}

// checkNodeRe matches the node checkNode writes.
var checkNodeRe = regexp.MustCompile(`^\{CHECK :conoid (\d+) `)

// checkNodeExpr prints a CHECK constraint's conbin as pg_get_expr does, or
// reports false if text is not one.
func checkNodeExpr(cat *catalog.Catalog, vis visibility, text string, pretty bool) (string, bool) {
	m := checkNodeRe.FindStringSubmatch(text)
	if m == nil {
		return "", false
	}
	oid, _ := strconv.ParseUint(m[1], 10, 32)
	ch := findCheck(cat, uint32(oid))
	if ch == nil {
		return "", false
	}
	return checkExprText(cat, vis, uint32(oid), ch, pretty), true
}

// checkExprText is a CHECK constraint's expression as PostgreSQL's
// ruleutils prints it (pg_get_constraintdef inside CHECK (…), pg_get_expr
// of conbin): re-printed from the bound expression with PostgreSQL's
// implicit casts, operators parenthesised unless pretty; the stored text
// (its regclass literals qualified for the session) if it no longer binds.
func checkExprText(cat *catalog.Catalog, vis visibility, oid uint32, ch *catalog.Check, pretty bool) string {
	if t, ok := cat.Table((oid&0x3FFFFFFF)>>11 + catalog.FirstUserID); ok {
		if s, ok := plan.DeparseCheck(cat, t, ch.Expr, pretty); ok {
			return s
		}
	}
	e := vis.qualifyRegclass(cat, ch.Expr)
	if pretty {
		return e
	}
	return "(" + e + ")"
}

// indexNodeRe matches the nodes indexExprsNode and indexPredNode write.
var indexNodeRe = regexp.MustCompile(`\{(INDEXEXPR|INDEXPRED) :indexrelid (\d+)(?: :elem (\d+))?`)

// indexNodeExpr prints an indexprs or indpred value as pg_get_expr does,
// or reports false if text is neither.
func indexNodeExpr(cat *catalog.Catalog, text string, pretty bool) (string, bool) {
	ms := indexNodeRe.FindAllStringSubmatch(text, -1)
	if len(ms) == 0 {
		return "", false
	}
	var out []string
	for _, m := range ms {
		id, _ := strconv.ParseUint(m[2], 10, 32)
		t, ix := findIndex(cat, uint32(id))
		if ix == nil {
			return "", false
		}
		if m[1] == "INDEXPRED" {
			out = append(out, plan.DeparseIndexPredicate(t, ix, pretty))
			continue
		}
		elem, _ := strconv.Atoi(m[3])
		if elem < 1 || elem > len(ix.Columns) || ix.Columns[elem-1] >= 0 {
			return "", false
		}
		out = append(out, plan.DeparseIndexExprBare(t, ix, elem-1, pretty))
	}
	return strings.Join(out, ", "), true
}

// checkOID is the OID of table's i-th CHECK constraint (pg_constraint):
// derived from the table ID and the position, above the object IDs and
// apart from attrdefOID's range.
func checkOID(table uint32, i int) uint32 {
	return 0x40000000 | (table-catalog.FirstUserID)<<11 | uint32(i)
}

// findCheck returns the CHECK constraint with OID oid.
func findCheck(cat *catalog.Catalog, oid uint32) *catalog.Check {
	if oid&0xC0000000 != 0x40000000 {
		return nil
	}
	t, ok := cat.Table((oid&0x3FFFFFFF)>>11 + catalog.FirstUserID)
	if i := int(oid & 0x7FF); ok && i < len(t.Checks) {
		return &t.Checks[i]
	}
	return nil
}

// checkDef is pg_get_constraintdef's text for CHECK constraint oid.
func checkDef(cat *catalog.Catalog, vis visibility, oid uint32, ch *catalog.Check, pretty bool) string {
	return "CHECK (" + checkExprText(cat, vis, oid, ch, pretty) + ")"
}

// constraintDef is pg_get_constraintdef's text for a key constraint.
func constraintDef(t *catalog.Table, ix *catalog.Index) string {
	var sb strings.Builder
	if ix.Primary {
		sb.WriteString("PRIMARY KEY ")
	} else {
		sb.WriteString("UNIQUE ")
	}
	writeColumnList(&sb, t, ix.Columns)
	return sb.String()
}
