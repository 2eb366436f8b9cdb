// Package pgcatalog emulates PostgreSQL 15's system catalogs
// (pg_catalog.*) and information_schema views over OmenDB's catalog, and
// registers the catalog-aware functions clients' catalog queries call
// (format_type, pg_get_expr, pg_get_indexdef, pg_get_constraintdef,
// pg_get_viewdef, to_regclass, pg_table_is_visible, pg_get_userbyid,
// obj_description, col_description, has_*_privilege, pg_encoding_to_char,
// pg_get_serial_sequence, pg_size_pretty …; pg_relation_size and its kin
// report the row store's live bytes and index memory through the session,
// sizes.go). It exists
// so that real clients — psql's \d family, pgbench, JDBC's DatabaseMetaData,
// psycopg2, node-postgres, pgx, Grafana — work unmodified.
//
// # How it plugs in
//
// An init function sets plan.SystemTables; the binder calls it for
// pg_catalog.* and information_schema.* names and for unqualified names
// that are not user tables. Each emulated relation is a plan.VirtualTable
// whose Rows function computes the rows from the session's
// *catalog.Catalog (the transaction's own DDL included) and settings when a
// statement scans it; nothing is cached or stored, so the catalogs are
// always exactly as current as the session's view of the schema. Functions
// are registered with funcs.Register and read the same catalog through
// funcs.Context.Session. The server links the package with a blank import.
//
// # OIDs
//
// OIDs are stable across restarts because they are derived, never
// allocated here:
//   - user tables, views, indexes and sequences: their catalog IDs (≥ 16384);
//   - an enum type, its array type and each of its labels (pg_enum.oid):
//     their catalog IDs (catalog.EnumType ID, ArrayID, EnumLabel.ID);
//   - a primary-key or unique constraint: the OID of its index (PostgreSQL
//     OIDs are unique per catalog, so pg_constraint may reuse them);
//   - a foreign key: its own object ID (catalog.ForeignKey.ID, allocated
//     with tables and indexes, ≥ 16384), so it never meets an index's or
//     a CHECK constraint's;
//   - a CHECK constraint: 0x40000000 | (table ID − 16384) << 11 | its
//     position among the table's checks;
//   - a column default (pg_attrdef): 0x80000000 | (table ID − 16384) << 11 | attnum;
//   - a view's or materialized view's _RETURN rule (pg_rewrite):
//     0xC0000000 | (its ID − 16384);
//   - namespaces pg_catalog 11, public 2200, information_schema 13212
//     (a user schema's OID is its object ID, a schema without one — a CDC
//     target's — shows as public; pg_table_is_visible and the qualified
//     names printed follow the session's search_path, searchpath.go); the
//     one role 10 (named after session_authorization); pg_database_owner
//     6171 (owner of public, as in PostgreSQL 15, listed in pg_roles); the
//     database 16383;
//   - built-in types, access methods (heap 2, btree 403, hash 405),
//     collations (default 100, C 950, POSIX 951) and the catalog tables:
//     PostgreSQL 15's own OIDs; the emulated views (pg_roles, pg_user,
//     pg_settings, pg_tables, pg_indexes, pg_views, information_schema.*):
//     12001–12099;
//   - a user-defined function: its catalog ID;
//   - pg_proc rows of built-in functions, one per overload: a hash of the function name
//     (0x40000000 | fnv32a & 0x3fffffff) for the first overload, of the name
//     and argument type OIDs for the others.
//
// # Fidelity
//
// Checked byte for byte against PostgreSQL 15 by psql_test.go (psql \dt,
// \di, \dn, \d <table> with its foreign keys and those referencing it,
// \d <index>, \du, \x, and the catalog and information_schema queries
// clients send), views_test.go (\dv, \dv+, \d, \d <view>, \d+ <view> but
// for the definition, and the catalog rows of views) and the logic test
// sql/logictest/testdata/fk_catalog.slt (foreign keys in pg_constraint,
// pg_get_constraintdef, information_schema and JDBC's and ORMs' queries);
// tests/clients runs real clients against both servers and compares:
// SQLAlchemy's inspector and MetaData.reflect, JDBC's DatabaseMetaData
// (tables, columns, keys, indexes, schemas, types, functions), and
// pg_dump, whose dump of an OmenDB database restored into PostgreSQL 15
// must give PostgreSQL's own schema dump and OmenDB's rows (dump.go lists
// the catalogs pg_dump reads). What differs, on purpose or not yet:
//   - Array-typed catalog columns have their real types: pg_index.indkey,
//     indoption (int2vector), indclass, indcollation (oidvector, with
//     PostgreSQL 15's default btree operator classes), pg_constraint.conkey
//     (int2[]), pg_class.reloptions, rolconfig, useconfig, ftoptions
//     (text[], always NULL), polroles (oid[]), stxkeys, prattrs, stxkind.
//     ACL columns (relacl, datacl, …) are aclitem[] and NULL (default
//     privileges, acldefault()), but for the schemas' nspacl, which are
//     PostgreSQL's (everyone may use pg_catalog, public and
//     information_schema), with pg_init_privs rows for pg_catalog and
//     public as PostgreSQL has them. pg_proc lists scalar functions only (no
//     aggregates); built-in ones with proargtypes but no argument names or
//     defaults, user-defined SQL functions (userfuncs.go) as PostgreSQL
//     15 does: prosrc (or prosqlbody, as OmenDB deparsed it, for a BEGIN
//     ATOMIC or RETURN body), argument names, modes and defaults, language
//     sql (14, listed in pg_language), COST 100, and pg_get_functiondef,
//     pg_get_function_result / _arguments / _identity_arguments and
//     regproc names print them as PostgreSQL does (psql's \df, \df+ and
//     \sf are checked by functions_test.go; a SQL-standard body prints as
//     OmenDB deparsed it, not as PostgreSQL's ruleutils would); the
//     types' I/O functions (pg_type.typinput …, PostgreSQL's OIDs), the
//     access methods' handlers, the languages' validators and plpgsql's
//     handlers are regproc and regprocedure names (catalog_ext.go) but not
//     pg_proc rows; pg_depend lists plpgsql's handlers and language as
//     members of its extension (deptype 'e'), and pg_describe_object
//     (describe.go) words every object OmenDB lists as PostgreSQL does. pg_class.relfrozenxid and
//     relminmxid (xid) are oid-typed and 0.
//   - Array columns of user tables have their array types (atttypid 1007,
//     1009 …, attndims as declared, data_type ARRAY, udt_name _int4).
//   - regclass, regnamespace, regproc and regprocedure values print as
//     names (the binder attaches the name, types.NewRegName); an OID that
//     names nothing prints as a number, 0 as "-", as in PostgreSQL. regproc
//     and regprocedure (regprocedure.go: name(argtypes), one overload) name
//     the functions of pg_proc (whose OIDs are OmenDB's, not PostgreSQL's).
//   - Enum types (enum.go): pg_type rows as PostgreSQL 15's (typtype 'e',
//     typcategory 'E', 4 bytes by value; the array type "_name", category
//     'A'), pg_enum with PostgreSQL's enumsortorder, format_type and
//     regtype names (quoted, and qualified outside public, as
//     format_type does), information_schema data_type USER-DEFINED / ARRAY
//     with udt_schema and udt_name; psql's \dT, \dT+ and \d of a table
//     with enum columns are checked by enum_test.go. Tables still have no
//     row types, so pg_type lists no composite types.
//   - pg_attribute has no system columns (attnum < 0); pg_class has no
//     TOAST tables; relpages/reltuples are 0/−1 (never analyzed). reltype
//     is 0: tables and views have no composite row types.
//   - Views (catalog.View): pg_class relkind 'v', pg_attribute rows for
//     their columns, pg_views, information_schema.tables ('VIEW'),
//     .columns and .views. pg_get_viewdef returns the stored query text
//     (pg_query's one-line deparse of the CREATE VIEW's SELECT, names as
//     written) framed as PostgreSQL frames it, " SELECT a, b FROM t;",
//     not PostgreSQL's pretty-printed rule (" SELECT t.a,\n    t.b\n
//     FROM t;"); pretty and wrap arguments change nothing. Relations the
//     session's search_path does not reach are qualified in it (pg_dump
//     empties search_path); the same goes for the tables of
//     pg_get_indexdef, pg_get_constraintdef and the regclass literals of
//     pg_get_expr (searchpath.go).
//     Each view has its _RETURN rule in pg_rewrite, as relhasrules says,
//     and pg_get_ruledef prints it. The emulated catalog views
//     are listed in pg_views and information_schema.views with a NULL
//     definition (PostgreSQL shows their queries), and pg_get_viewdef of
//     them is NULL.
//   - Foreign keys (fk.go): pg_constraint rows with contype 'f' — conkey
//     and confkey, the actions, confmatchtype 's'/'f', condeferrable,
//     condeferred, convalidated (false while NOT VALID), conindid (the
//     referenced table's primary key or unique index on the referenced
//     columns, the primary key first, as OmenDB checks the key against it;
//     PostgreSQL names the oldest matching unique index when the columns
//     are listed explicitly, which differs only if a unique index on the
//     primary key's columns predates the primary key), and the equality
//     operators conpfeqop, conppeqop, conffeqop as PostgreSQL picks them
//     (OIDs of PostgreSQL's operators; pg_operator is not emulated);
//     confdelsetcols is NULL (column lists are refused).
//     pg_get_constraintdef prints them as PostgreSQL 15 does (the
//     referenced table qualified when a temporary table shadows it);
//     pg_class.relhastriggers is true on both sides, as PostgreSQL's
//     RI triggers make it, though pg_trigger does not list them (and false
//     again once no key is left, where PostgreSQL keeps it true until a
//     VACUUM). pg_trigger lists the tables' own triggers (trigger.go), with
//     pg_get_triggerdef as PostgreSQL 15 prints it.
//     information_schema: table_constraints, key_column_usage
//     (position_in_unique_constraint), referential_constraints,
//     constraint_column_usage (a CHECK's columns are those its stored
//     expression names) and constraint_table_usage.
//     As everywhere, the system catalogs' own primary keys and unique
//     constraints (PostgreSQL 15 lists them) are not rows of these views.
//   - Every index is shown as btree (OmenDB's learned and B-tree indexes
//     are both ordered indexes).
//   - Indexes on expressions and partial indexes: pg_index.indkey has 0
//     for an expression element, pg_attribute names it as PostgreSQL does
//     (lower, expr, expr1) with the expression's type. indexprs and indpred
//     hold not node trees but nodes naming the index ({INDEXPRED
//     :indexrelid N :text …}), which pg_get_expr prints as PostgreSQL
//     prints its trees. pg_get_indexdef, \d and pg_indexes print
//     expressions and predicates as PostgreSQL does (plan.DeparseIndexElem:
//     its coercions — lower((email)::text), (price > (0)::numeric) — and
//     ruleutils' parentheses, pretty or not), except CASE (one line, where
//     PostgreSQL breaks lines) and functions PostgreSQL prints in SQL
//     syntax (EXTRACT …). Such indexes, and unique ones CREATE UNIQUE INDEX
//     made (catalog.Index.Standalone), are no constraints: no pg_constraint
//     or information_schema row, \d lists them as "t_lower_idx" UNIQUE,
//     btree (lower(email)) WHERE active. pg_get_indexdef(oid) qualifies the
//     table with its schema, the pretty form does not, as PostgreSQL 15.
//   - pg_get_expr returns the stored SQL text of a default, with the
//     ::type cast PostgreSQL adds to a bare string literal; it does not
//     deparse node trees. A CHECK constraint's expression, by contrast, is
//     re-printed from its bound tree as PostgreSQL's ruleutils prints it
//     (plan.DeparseCheck, the printer of index expressions): implicit
//     casts shown (CHECK ((email ~~ '%@%'::text))), BETWEEN and IN lists
//     expanded, CASE on lines of its own; pg_constraint.conbin is a node
//     only pg_get_expr reads (checkNode), and the stored text is the
//     fallback for an expression that no longer binds
//     (sql/logictest/testdata/checkdef.slt). An identity column has no
//     pg_attrdef row (atthasdef false), as in PostgreSQL.
//   - pg_depend (depend.go) records the dependencies PostgreSQL records
//     between the objects OmenDB has, but a view's rule depends on each
//     relation it reads as a whole (PostgreSQL: on each column read).
//     pg_sequence has each sequence's parameters; a sequence in FROM reads
//     as its one-row relation (sql/plan/sequence.go); the pg_sequences view
//     (sequences.go) adds the last value.
//   - Catalogs of features OmenDB lacks (pg_inherits,
//     pg_policy, pg_statistic_ext, pg_publication*, pg_auth_members, text
//     search, foreign data, casts, conversions, transforms, event triggers,
//     large objects, subscriptions, security labels, default ACLs, range
//     types, per-role settings …; dump.go) exist and are empty, so psql's
//     \dc, \dC, \do, \dO, \dd, \dF*, \drds list nothing (PostgreSQL lists
//     its built-in casts and text search objects under \dC and \dF; the
//     others match it, psql_test.go); pg_operator, pg_amop and
//     pg_amproc list none of the built-in rows, pg_opclass and pg_opfamily
//     only the btree classes OmenDB's indexes use, pg_language internal and
//     plpgsql (as pg_extension does) and sql (the language of user functions),
//     with PostgreSQL's OIDs and comments (builtinComments). The
//     *_is_visible functions of objects only pg_catalog holds say true;
//     pg_table_is_visible follows the search path for information_schema's
//     views as for user relations.
//     Catalogs not listed here do not exist and fail with 0A000.
//   - The statistics views (stats.go): pg_stat_{all,user,sys}_tables and
//     _indexes, pg_statio_{all,user,sys}_tables and _indexes,
//     pg_stat_database and pg_locks, with PostgreSQL 15's columns. Their
//     counters are the process's since it started or since
//     pg_stat_reset() (nothing is persisted): rows applied by the row
//     store, scans as the executors finish them (whole-table scans of
//     either store; index scans per index, the primary key's included,
//     summed per table as PostgreSQL's views do), n_live_tup the row
//     store's live rows. What OmenDB lacks shows as PostgreSQL shows its
//     absence: no VACUUM, ANALYZE or HOT updates (NULL last_*, 0 counts),
//     no buffer cache (block counts 0), no TOAST (NULL), n_dead_tup 0 (old
//     versions are reclaimed in the background, not counted per table);
//     the emulated catalogs are listed but their reads not counted.
//     pg_locks lists row locks as locktype tuple (no page or tuple
//     numbers: rows have no addresses), table locks as relation, advisory
//     locks as PostgreSQL keys them; OmenDB's statements take no implicit
//     table locks and transactions no virtualxid or transactionid locks,
//     so PostgreSQL's rows of those have no counterpart.
//   - One role, superuser: has_*_privilege and pg_has_role are true for it
//     on every object that exists (privs.go checks the role, the object and
//     the privilege list as PostgreSQL does, and answers for PUBLIC with
//     PostgreSQL's default grants); pg_settings lists
//     the session's settings and the server's read-only ones
//     (data_directory, port, listen_addresses, ssl, fsync, lc_collate …)
//     with PostgreSQL's context for those (postmaster, sighup, internal;
//     "user" for the rest) and vartype "string".
//
// # Goroutines
//
// Rows and the functions run on the session goroutine that executes the
// statement; the package has no state of its own after init.
package pgcatalog
