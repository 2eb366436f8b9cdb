package pgcatalog

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// The catalogs and functions pg_dump (and JDBC's DatabaseMetaData) read
// beyond psql's: pg_dump asks every catalog of dumpable objects for its
// user-defined rows. Where OmenDB has such objects (languages of its
// functions, the operator classes its indexes use) the rows are
// PostgreSQL 15's; the catalogs of features OmenDB lacks — text search,
// foreign data, casts, conversions, transforms, event triggers, large
// objects, subscriptions, security labels, default ACLs, range types,
// initial privileges, per-role settings — are empty. pg_operator, pg_cast, pg_amop and
// pg_amproc list no built-in rows either (OmenDB has no user-defined
// operators or casts; its built-in ones are not emulated), which is
// what pg_dump needs: it dumps only user-defined objects.

// OIDs of these catalogs: PostgreSQL 15's.
const (
	oidPgLanguage       = 2612
	oidPgInitPrivs      = 3394
	oidPgOperator       = 2617
	oidPgOpclass        = 2616
	oidPgOpfamily       = 2753
	oidPgAmop           = 2602
	oidPgAmproc         = 2603
	oidPgTsParser       = 3601
	oidPgTsTemplate     = 3764
	oidPgTsDict         = 3600
	oidPgTsConfig       = 3602
	oidPgFDW            = 2328
	oidPgForeignServer  = 1417
	oidPgDefaultACL     = 826
	oidPgConversion     = 2607
	oidPgCast           = 2605
	oidPgRange          = 3541
	oidPgTransform      = 3576
	oidPgLargeObjectMD  = 2995
	oidPgSubscription   = 6100
	oidPgSeclabels      = 12010 // a view in PostgreSQL
	oidPgUserMappings   = 12011 // a view in PostgreSQL
	oidPgDbRoleSetting  = 2964
	oidPgSequenceTable  = oidPgSequence
	oidPgEventTriggerTb = oidPgEventTrigger
)

var (
	tAclArr   = types.AclItemArray
	tRegclArr = types.Type{OID: types.OIDRegclassArray, Mod: -1}
)

// The plpgsql language and extension, with their OIDs in PostgreSQL 15's
// template database.
const (
	oidLangPlpgsql = 13563
	oidExtPlpgsql  = 13559
)

func init() {
	// The languages of OmenDB's functions: every built-in is "internal"
	// (pg_proc.prolang 12); plpgsql is listed as pg_extension lists it
	// (CREATE FUNCTION is not supported, in any language).
	define("pg_catalog", "pg_language", oidPgLanguage, []col{
		{"oid", tOID}, {"lanname", tName}, {"lanowner", tOID}, {"lanispl", tBool}, {"lanpltrusted", tBool},
		{"lanplcallfoid", tOID}, {"laninline", tOID}, {"lanvalidator", tOID}, {"lanacl", tAclArr},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		return [][]types.Value{
			{vOID(12), vText("internal"), vOID(oidBootstrap), vBool(false), vBool(false), vOID(0), vOID(0), vOID(2246), null},
			{vOID(13), vText("c"), vOID(oidBootstrap), vBool(false), vBool(false), vOID(0), vOID(0), vOID(2247), null},
			{vOID(oidLangSQL), vText("sql"), vOID(oidBootstrap), vBool(false), vBool(true), vOID(0), vOID(0), vOID(2248), null},
			{vOID(oidLangPlpgsql), vText("plpgsql"), vOID(oidBootstrap), vBool(true), vBool(true), vOID(13560), vOID(13561), vOID(13562), null},
		}, nil
	})
	// The initial privileges of the system objects whose ACL is not the
	// default: the pg_catalog and public schemas' (pg_namespace.nspacl).
	// pg_dump dumps a system object's privileges only where they differ.
	define("pg_catalog", "pg_init_privs", oidPgInitPrivs, []col{
		{"objoid", tOID}, {"classoid", tOID}, {"objsubid", tInt4}, {"privtype", tChar}, {"initprivs", tAclArr},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		acl := func(owner string) types.Value {
			return types.NewArray([]types.Value{vText(owner + "=UC/" + owner), vText("=U/" + owner)})
		}
		return [][]types.Value{
			{vOID(oidPgCatalog), vOID(oidPgNamespace), vInt(0), vChar('i'), acl(quoteIdent(userName(env)))},
			{vOID(oidPublic), vOID(oidPgNamespace), vInt(0), vChar('i'), acl("pg_database_owner")},
		}, nil
	})
	define("pg_catalog", "pg_operator", oidPgOperator, []col{
		{"oid", tOID}, {"oprname", tName}, {"oprnamespace", tOID}, {"oprowner", tOID}, {"oprkind", tChar},
		{"oprcanmerge", tBool}, {"oprcanhash", tBool}, {"oprleft", tOID}, {"oprright", tOID}, {"oprresult", tOID},
		{"oprcom", tOID}, {"oprnegate", tOID}, {"oprcode", tRegpr}, {"oprrest", tRegpr}, {"oprjoin", tRegpr},
	}, empty)
	// The operator classes pg_index.indclass names (types.go's
	// btreeOpclass) and their families, as in PostgreSQL 15.
	define("pg_catalog", "pg_opclass", oidPgOpclass, []col{
		{"oid", tOID}, {"opcmethod", tOID}, {"opcname", tName}, {"opcnamespace", tOID}, {"opcowner", tOID},
		{"opcfamily", tOID}, {"opcintype", tOID}, {"opcdefault", tBool}, {"opckeytype", tOID},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, c := range btreeClasses {
			rows = append(rows, []types.Value{vOID(c.oid), vOID(oidBtreeAM), vText(c.name), vOID(oidPgCatalog), vOID(oidBootstrap),
				vOID(c.family), vOID(c.intype), vBool(true), vOID(c.keytype)})
		}
		return rows, nil
	})
	define("pg_catalog", "pg_opfamily", oidPgOpfamily, []col{
		{"oid", tOID}, {"opfmethod", tOID}, {"opfname", tName}, {"opfnamespace", tOID}, {"opfowner", tOID},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, f := range btreeFamilies {
			rows = append(rows, []types.Value{vOID(f.oid), vOID(oidBtreeAM), vText(f.name), vOID(oidPgCatalog), vOID(oidBootstrap)})
		}
		return rows, nil
	})
	define("pg_catalog", "pg_amop", oidPgAmop, []col{
		{"oid", tOID}, {"amopfamily", tOID}, {"amoplefttype", tOID}, {"amoprighttype", tOID}, {"amopstrategy", tInt2},
		{"amoppurpose", tChar}, {"amopopr", tOID}, {"amopmethod", tOID}, {"amopsortfamily", tOID},
	}, empty)
	define("pg_catalog", "pg_amproc", oidPgAmproc, []col{
		{"oid", tOID}, {"amprocfamily", tOID}, {"amproclefttype", tOID}, {"amprocrighttype", tOID},
		{"amprocnum", tInt2}, {"amproc", tRegpr},
	}, empty)
	define("pg_catalog", "pg_ts_parser", oidPgTsParser, []col{
		{"oid", tOID}, {"prsname", tName}, {"prsnamespace", tOID}, {"prsstart", tRegpr}, {"prstoken", tRegpr},
		{"prsend", tRegpr}, {"prsheadline", tRegpr}, {"prslextype", tRegpr},
	}, empty)
	define("pg_catalog", "pg_ts_template", oidPgTsTemplate, []col{
		{"oid", tOID}, {"tmplname", tName}, {"tmplnamespace", tOID}, {"tmplinit", tRegpr}, {"tmpllexize", tRegpr},
	}, empty)
	define("pg_catalog", "pg_ts_dict", oidPgTsDict, []col{
		{"oid", tOID}, {"dictname", tName}, {"dictnamespace", tOID}, {"dictowner", tOID}, {"dicttemplate", tOID},
		{"dictinitoption", tText},
	}, empty)
	define("pg_catalog", "pg_ts_config", oidPgTsConfig, []col{
		{"oid", tOID}, {"cfgname", tName}, {"cfgnamespace", tOID}, {"cfgowner", tOID}, {"cfgparser", tOID},
	}, empty)
	define("pg_catalog", "pg_foreign_data_wrapper", oidPgFDW, []col{
		{"oid", tOID}, {"fdwname", tName}, {"fdwowner", tOID}, {"fdwhandler", tOID}, {"fdwvalidator", tOID},
		{"fdwacl", tAclArr}, {"fdwoptions", tTextArr},
	}, empty)
	define("pg_catalog", "pg_foreign_server", oidPgForeignServer, []col{
		{"oid", tOID}, {"srvname", tName}, {"srvowner", tOID}, {"srvfdw", tOID}, {"srvtype", tText},
		{"srvversion", tText}, {"srvacl", tAclArr}, {"srvoptions", tTextArr},
	}, empty)
	define("pg_catalog", "pg_default_acl", oidPgDefaultACL, []col{
		{"oid", tOID}, {"defaclrole", tOID}, {"defaclnamespace", tOID}, {"defaclobjtype", tChar}, {"defaclacl", tAclArr},
	}, empty)
	define("pg_catalog", "pg_conversion", oidPgConversion, []col{
		{"oid", tOID}, {"conname", tName}, {"connamespace", tOID}, {"conowner", tOID}, {"conforencoding", tInt4},
		{"contoencoding", tInt4}, {"conproc", tRegpr}, {"condefault", tBool},
	}, empty)
	define("pg_catalog", "pg_cast", oidPgCast, []col{
		{"oid", tOID}, {"castsource", tOID}, {"casttarget", tOID}, {"castfunc", tOID}, {"castcontext", tChar},
		{"castmethod", tChar},
	}, empty)
	define("pg_catalog", "pg_range", oidPgRange, []col{
		{"rngtypid", tOID}, {"rngsubtype", tOID}, {"rngmultitypid", tOID}, {"rngcollation", tOID},
		{"rngsubopc", tOID}, {"rngcanonical", tRegpr}, {"rngsubdiff", tRegpr},
	}, empty)
	define("pg_catalog", "pg_transform", oidPgTransform, []col{
		{"oid", tOID}, {"trftype", tOID}, {"trflang", tOID}, {"trffromsql", tRegpr}, {"trftosql", tRegpr},
	}, empty)
	define("pg_catalog", "pg_event_trigger", oidPgEventTriggerTb, []col{
		{"oid", tOID}, {"evtname", tName}, {"evtevent", tName}, {"evtowner", tOID}, {"evtfoid", tOID},
		{"evtenabled", tChar}, {"evttags", tTextArr},
	}, empty)
	define("pg_catalog", "pg_largeobject_metadata", oidPgLargeObjectMD, []col{
		{"oid", tOID}, {"lomowner", tOID}, {"lomacl", tAclArr},
	}, empty)
	// subskiplsn is pg_lsn in PostgreSQL; no row has one.
	define("pg_catalog", "pg_subscription", oidPgSubscription, []col{
		{"oid", tOID}, {"subdbid", tOID}, {"subskiplsn", tText}, {"subname", tName}, {"subowner", tOID},
		{"subenabled", tBool}, {"subbinary", tBool}, {"substream", tBool}, {"subtwophasestate", tChar},
		{"subdisableonerr", tBool}, {"subconninfo", tText}, {"subslotname", tName}, {"subsynccommit", tText},
		{"subpublications", tTextArr},
	}, empty)
	define("pg_catalog", "pg_seclabels", oidPgSeclabels, []col{
		{"objoid", tOID}, {"classoid", tOID}, {"objsubid", tInt4}, {"objtype", tText}, {"objnamespace", tOID},
		{"objname", tText}, {"provider", tText}, {"label", tText},
	}, empty)
	// ALTER ROLE / DATABASE … SET is not supported: no per-role or
	// per-database settings (psql's \drds).
	define("pg_catalog", "pg_db_role_setting", oidPgDbRoleSetting, []col{
		{"setdatabase", tOID}, {"setrole", tOID}, {"setconfig", tTextArr},
	}, empty)
	define("pg_catalog", "pg_user_mappings", oidPgUserMappings, []col{
		{"umid", tOID}, {"srvid", tOID}, {"srvname", tName}, {"umuser", tOID}, {"usename", tName},
		{"umoptions", tTextArr},
	}, empty)

	registerDumpFuncs()
}

// btreeClass is a pg_opclass row.
type btreeClass struct {
	oid, family, intype, keytype uint32
	name                         string
}

// btreeClasses are PostgreSQL 15's default btree operator classes of the
// types OmenDB indexes (btreeOpclass).
var btreeClasses = []btreeClass{
	{1978, 1976, 23, 0, "int4_ops"}, {1979, 1976, 21, 0, "int2_ops"}, {1981, 1989, 26, 0, "oid_ops"},
	{3122, 434, 1082, 0, "date_ops"}, {3123, 1970, 701, 0, "float8_ops"}, {3124, 1976, 20, 0, "int8_ops"},
	{3125, 1988, 1700, 0, "numeric_ops"}, {3126, 1994, 25, 0, "text_ops"}, {3127, 434, 1184, 0, "timestamptz_ops"},
	{3128, 434, 1114, 0, "timestamp_ops"}, {10003, 424, 16, 0, "bool_ops"}, {10004, 426, 1042, 0, "bpchar_ops"},
	{10006, 428, 17, 0, "bytea_ops"}, {10007, 429, 18, 0, "char_ops"}, {10012, 1970, 700, 0, "float4_ops"},
	{10022, 1982, 1186, 0, "interval_ops"}, {10028, 1994, 19, 2275, "name_ops"}, {10038, 1996, 1083, 0, "time_ops"},
	{10065, 2968, 2950, 0, "uuid_ops"}, {10088, 4033, 3802, 0, "jsonb_ops"}, {10015, 1974, 869, 0, "inet_ops"},
}

// btreeFamilies are the families of btreeClasses.
var btreeFamilies = []struct {
	oid  uint32
	name string
}{
	{424, "bool_ops"}, {426, "bpchar_ops"}, {428, "bytea_ops"}, {429, "char_ops"}, {434, "datetime_ops"},
	{1970, "float_ops"}, {1976, "integer_ops"}, {1982, "interval_ops"}, {1988, "numeric_ops"}, {1989, "oid_ops"},
	{1994, "text_ops"}, {1996, "time_ops"}, {2968, "uuid_ops"}, {4033, "jsonb_ops"},
	{1974, "network_ops"},
}

func registerDumpFuncs() {
	// current_schemas(include_implicit): the schemas of search_path that
	// exist, in order; with true, the implicitly searched ones first (the
	// session's temporary schema if it has one, pg_catalog unless listed).
	reg("current_schemas", ts(tBool), types.Type{OID: types.OIDNameArray, Mod: -1}, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if ctx == nil || ctx.Session == nil {
			return null, pgerr.NotSupported("current_schemas is not available here")
		}
		path := `"$user", public`
		if p, ok := ctx.Session.Setting("search_path"); ok {
			path = p
		}
		temp := sessionTempSchema(ctx)
		cat, _ := ctx.Session.Catalog().(*catalog.Catalog)
		var out []types.Value
		seen := map[string]bool{}
		add := func(n string) {
			switch {
			case seen[n]:
			case n == "pg_catalog", n == "public", n == "information_schema", n != "" && n == temp,
				cat != nil && !strings.HasPrefix(n, catalog.TempSchemaPrefix) && cat.SchemaExists(n):
				seen[n] = true
				out = append(out, vText(n))
			}
		}
		names := searchPathNames(path)
		if a[0].Bool() {
			add(temp)
			if !slices.Contains(names, "pg_catalog") {
				add("pg_catalog")
			}
		}
		for _, n := range names {
			switch n {
			case "pg_temp":
				n = temp
			case "$user":
				n, _ = ctx.Session.Setting("session_authorization")
			}
			add(n)
		}
		return types.NewArray(out), nil
	})

	// acldefault(type, owner): the privileges an object of that kind has
	// by default (what a NULL ACL means), as PostgreSQL 15 lists them.
	reg("acldefault", ts(tChar, tOID), tAclArr, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		owner := roleName(ctx, uint32(a[1].I))
		item := func(grantee, privs string) types.Value { return vText(grantee + "=" + privs + "/" + owner) }
		var items []types.Value
		switch a[0].S {
		case "c":
		case "r":
			items = []types.Value{item(owner, "arwdDxt")}
		case "s":
			items = []types.Value{item(owner, "rwU")}
		case "d":
			items = []types.Value{item("", "Tc"), item(owner, "CTc")}
		case "f":
			items = []types.Value{item("", "X"), item(owner, "X")}
		case "l":
			items = []types.Value{item("", "U"), item(owner, "U")}
		case "L":
			items = []types.Value{item(owner, "rw")}
		case "n":
			items = []types.Value{item(owner, "UC")}
		case "t":
			items = []types.Value{item(owner, "C")}
		case "F", "S":
			items = []types.Value{item(owner, "U")}
		case "T":
			items = []types.Value{item("", "U"), item(owner, "U")}
		case "p":
			items = []types.Value{item(owner, "sA")}
		default:
			return null, pgerr.New(pgerr.InternalError, "unrecognized object type abbreviation: %s", a[0].S)
		}
		return types.NewArray(items), nil
	})

	// pg_get_function_result / _arguments / _identity_arguments of the
	// built-in functions pg_proc lists.
	reg("pg_get_function_result", ts(tOID), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if cat, f, ok := sessionFunction(ctx, uint32(a[0].I)); ok {
			return vText(functionResult(cat, sessionVisibility(ctx), f)), nil
		}
		p, ok := procByOID()[uint32(a[0].I)]
		if !ok {
			return null, nil
		}
		return vText(formatType(p.sig.Ret.OID, -1)), nil
	})
	args := func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if cat, f, ok := sessionFunction(ctx, uint32(a[0].I)); ok {
			return vText(functionArguments(cat, sessionVisibility(ctx), f, true)), nil
		}
		p, ok := procByOID()[uint32(a[0].I)]
		if !ok {
			return null, nil
		}
		parts := make([]string, len(p.sig.Args))
		for i, t := range p.sig.Args {
			parts[i] = formatType(t.OID, -1)
			if p.sig.Variadic && i == len(p.sig.Args)-1 {
				parts[i] = "VARIADIC " + parts[i]
			}
		}
		return vText(strings.Join(parts, ", ")), nil
	}
	reg("pg_get_function_arguments", ts(tOID), tText, true, args)
	reg("pg_get_function_identity_arguments", ts(tOID), tText, true, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		if cat, f, ok := sessionFunction(ctx, uint32(a[0].I)); ok {
			return vText(functionArguments(cat, sessionVisibility(ctx), f, false)), nil
		}
		return args(ctx, a)
	})

	// Exported snapshots do not exist: pg_dump -j (parallel workers sharing
	// one snapshot) fails here rather than dump from several snapshots. A
	// dump without -j reads one REPEATABLE READ snapshot and is consistent.
	reg("pg_export_snapshot", nil, tText, false, func(ctx *funcs.Context, a []types.Value) (types.Value, error) {
		return null, pgerr.NotSupported("exporting snapshots (pg_export_snapshot) is not supported").
			WithHint("Dump without -j: pg_dump then reads every table in one REPEATABLE READ transaction.")
	})

	char := types.Type{OID: types.OIDChar, Mod: -1}
	plan.RegisterTableFunc("pg_get_keywords", &plan.TableFunc{
		Cols: []plan.Column{{Name: "word", T: tText}, {Name: "catcode", T: char}, {Name: "barelabel", T: tBool},
			{Name: "catdesc", T: tText}, {Name: "baredesc", T: tText}},
		Rows: func([]types.Value) ([][]types.Value, error) {
			rows := make([][]types.Value, 0, len(pgKeywords))
			for _, k := range pgKeywords {
				f := strings.Fields(k)
				bare := f[2] == "t"
				baredesc := "requires AS"
				if bare {
					baredesc = "can be bare label"
				}
				rows = append(rows, []types.Value{vText(f[0]), vText(f[1]), vBool(bare), vText(keywordCategories[f[1]]), vText(baredesc)})
			}
			return rows, nil
		},
	})
	// pg_partition_tree(rel): the partitions of a partitioned table or
	// index; OmenDB has none (PostgreSQL gives no rows for any other
	// relation either). psql's \dP calls it.
	regclass := types.Type{OID: types.OIDRegclass, Mod: -1}
	plan.RegisterTableFunc("pg_partition_tree", &plan.TableFunc{
		Args: []types.Type{regclass},
		Cols: []plan.Column{{Name: "relid", T: regclass}, {Name: "parentrelid", T: regclass},
			{Name: "isleaf", T: tBool}, {Name: "level", T: tInt4}},
		Rows: func(a []types.Value) ([][]types.Value, error) { return nil, nil },
	})
	// pg_options_to_table(options): the name=value pairs of an options
	// array (reloptions, attoptions, fdwoptions …) as rows.
	plan.RegisterTableFunc("pg_options_to_table", &plan.TableFunc{
		Args: []types.Type{tTextArr},
		Cols: []plan.Column{{Name: "option_name", T: tText}, {Name: "option_value", T: tText}},
		Rows: func(a []types.Value) ([][]types.Value, error) {
			elems, err := types.ArrayElems(a[0], nil)
			if err != nil {
				return nil, err
			}
			var rows [][]types.Value
			for _, e := range elems {
				if e.IsNull() {
					continue
				}
				name, value, ok := strings.Cut(e.S, "=")
				v := vText(value)
				if !ok {
					v = null
				}
				rows = append(rows, []types.Value{vText(name), v})
			}
			return rows, nil
		},
	})
}

// keywordCategories are pg_get_keywords' catdesc by catcode.
var keywordCategories = map[string]string{
	"U": "unreserved", "C": "unreserved (cannot be function or type name)",
	"T": "reserved (can be function or type name)", "R": "reserved",
}

// roleName is the name of role oid as aclitem prints it (its OID when no
// role has it).
func roleName(ctx *funcs.Context, oid uint32) string {
	switch oid {
	case oidBootstrap:
		return quoteIdent(sessionUser(ctx))
	case oidDatabaseOwner:
		return "pg_database_owner"
	}
	return strconv.FormatUint(uint64(oid), 10)
}

// proc is one pg_proc row: a built-in function overload.
type proc struct {
	name string
	sig  funcs.Signature
}

// procByOID maps pg_proc's OIDs to their overloads.
var procByOID = sync.OnceValue(func() map[uint32]proc {
	m := map[uint32]proc{}
	for _, n := range funcs.Names() {
		for i, sig := range funcs.Overloads(n) {
			m[overloadOID(n, i, sig)] = proc{n, sig}
		}
	}
	return m
})
