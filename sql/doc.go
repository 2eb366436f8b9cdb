// Package sql is OmenDB's SQL engine: it implements the pgwire.Engine
// seam (sessions, statements, results) over the row store.
//
// A statement's life: pgwire hands the query text to Session.Prepare,
// which raw-parses it with the PostgreSQL grammar (pg_query) after the
// extension grammar (ext.go) had a look for OmenDB's own statements. A
// SELECT without parameters is first looked up in the session's
// simple-query cache (simplecache.go): its integer literals are lifted into
// parameters of a template parsed and bound once, where that cannot change
// the answer. On
// Execute the statement is bound by package sql/plan against the session's
// catalog (the transaction's own DDL included; the bound plan is cached
// while the catalog is unchanged), then run. A query that reads one row by
// its whole primary key and returns some of its columns is a point read
// (pointget.go): reduced to a pointPlan when bound, executed in autocommit
// by pinning the applied offset, reading the row into the session's reused
// result and unpinning — no transaction, iterator or executor context is
// made, and nothing is allocated — and in an explicit transaction by
// reading its own write of the key or the row at the statement's snapshot.
// An UPDATE of one row by its whole primary key that assigns no key or
// unique column is a point update (pointwrite.go): the steps of
// exec.Update and txnView.Update (read, lock, re-check, put) without the
// executor, inside the ordinary statement frame. An INSERT of one VALUES
// row of parameters, constants and functions without ON CONFLICT or
// RETURNING is a point insert (pointinsert.go): exec.Insert's row building
// and txnView.Insert's checks, the primary key encoded and read once.
// omendb.point_plans = off sends all three through the general path
// (tests compare the two). Everything
// else runs: queries by package sql/exec
// (or the column store through ColumnRunner), DML by exec.Insert/Update/
// Delete/Merge writing into the transaction's oltp.Writes through txnView, DDL
// as catalog.Change events in the same write set, utility statements here.
//
// Transactions: every statement runs in a transaction — the explicit one
// (BEGIN … COMMIT) or an implicit one committed when the statement ends
// (for row-returning statements, when the result is closed). Under READ
// COMMITTED (the default) each statement takes a fresh snapshot and
// UPDATE/DELETE (and MERGE's) lock their target rows, re-reading a row that changed
// while they waited (txnView.LockRow, exec.lockAndRecheck). Locks are
// released early, once the commit is sealed into a group (Session.
// placedFunc): the next holder then reads the predecessor's not yet durable
// write from the lock table, commits after it or not at all, and its next
// read at a snapshot waits until the predecessor is applied (txnView.snap)
// so no statement sees only part of it; under
// REPEATABLE READ the snapshot is the transaction's first and a changed row
// is a serialization failure (40001); SERIALIZABLE adds the record of what
// the transaction read (txnView.readKey, readTable), which the committer
// validates, and reads through the row store only. An autocommit DML statement that still
// loses a commit-time conflict is re-run on a fresh snapshot (up to
// autocommitRetries times).
//
// Constraints: NOT NULL, UNIQUE and CHECK (check.go) are checked on each
// row as it is written; unique indexes on expressions and partial ones
// (index.go: CREATE INDEX, the index compiler oltp.IndexKey uses, DROP and
// RENAME COLUMN of what they read) through the same keys the store
// indexes; FOREIGN KEY (fk.go) queues its checks on the
// transaction (txnState.fk) and runs them when the statement ends
// (execOnce, COPY's Done) or, for deferred constraints, at COMMIT;
// referential actions run as the parent row is written (txnView.Delete,
// Update, fkUpdated). The write set carries the parents found and removed
// for the committer's cross-transaction check (oltp/references.go).
//
// Enum types (enum.go): CREATE TYPE … AS ENUM, ALTER TYPE (ADD VALUE …
// BEFORE / AFTER, RENAME VALUE, RENAME TO) and DROP TYPE [CASCADE] are
// catalog changes carrying the type's whole definition; a value's stored
// representation never changes, so none of them rewrites a row. RENAME
// VALUE also rewrites column defaults that are the renamed label as a
// literal (defaults are SQL text here).
//
// User schemas (schema.go): CREATE SCHEMA and DROP SCHEMA [CASCADE] are
// catalog changes; CASCADE drops the schema's views, tables, sequences and
// enum types through their own drop paths. Unqualified names resolve along
// the session's search_path ("$user" being the session user), parsed once
// per change of the setting (Session.SearchPath, plan.PathEnv); new
// objects go to its first existing schema (3F000 if none).
//
// Renames (rename.go): views, materialized views and defaults keep SQL text
// that names relations (PostgreSQL keeps OIDs), so renaming or moving a
// table, view, sequence or column rewrites the stored text that names it
// in the same transaction — FROM items keep their old name as alias,
// regclass and nextval literals name the sequence anew — and refuses
// (0A000) where a name could be read another way. Defaults depend on the
// sequences they name (seqdeps.go): DROP SEQUENCE refuses, or with
// CASCADE drops them. ALTER SCHEMA … RENAME (renameschema.go) moves the
// schema's objects and rewrites names qualified with the old schema.
//
// User-defined functions (function.go): CREATE [OR REPLACE] FUNCTION …
// LANGUAGE sql | plpgsql, DROP FUNCTION and ALTER FUNCTION are catalog changes
// carrying the function's whole definition. CREATE binds the body against
// the catalog holding the new function (check_function_bodies), so errors
// in it are the statement's; calls bind it again in each statement
// (package plan, userfunc.go). DROP refuses while views (View.Funcs),
// column defaults, generation expressions or CHECK constraints call the
// function (the latter found by name in their stored text).
//
// Temporary tables (temp.go) are ordinary tables in the session's
// pg_temp_<id> schema, which name resolution tries first
// (catalog.ResolvePath, plan.TempEnv); the session drops them as it
// ends, and the server drops those of sessions lost in a crash once it has
// recovered (Engine.DropOrphanTempTables). Data-modifying WITH queries
// (plan.ModifyingCTE) run before their statement (runWithModifying,
// exec.RunModifying) and hand it their RETURNING rows.
//
// Statements that run statements: DO blocks (do.go, dovars.go) interpret
// PostgreSQL's PL/pgSQL parse tree and run each SQL statement and
// expression through the session's own Prepare/Execute inside the DO's
// transaction, variables bound as typed parameters; an EXCEPTION block
// saves and restores the transaction's writes, catalog and queued
// foreign-key checks as a savepoint does. A PL/pgSQL function (plfunc.go)
// is the same interpreter run at each call (exec.Session.CallPL) in the
// calling statement's transaction, its parameters the first variables;
// triggers (trigger.go) run such functions with NEW, OLD and the TG_
// variables when package exec's DML operators call Session.Trigger.
// DECLARE CURSOR (cursor.go) runs
// its query the same way and keeps the rows in the session for FETCH and
// MOVE. Notices (notice.go) queue on the session for pgwire to send.
//
// Time travel (asof.go): with omendb.as_of set, every statement's snapshot
// is that past offset, pinned with oltp.Store.PinAt (refused below the
// store's floor), and statements bind against the catalog as of it minus
// the tables changed since (0A000); writes fail with 25006.
//
// Statistics (stats.go): what the monitoring views show (package
// sql/pgcatalog: pg_stat_*_tables, pg_stat_*_indexes, pg_stat_database,
// pg_locks). The row store counts each table's applied inserts, updates
// and deletes; the executors count scans as they finish (exec.CountScan:
// txnView.Scanned; point reads and updates as scans of the primary key);
// the engine counts commits and rollbacks (endTxn: a transaction that did
// not commit rolled back), sessions and their time active and idle in a
// transaction; the lock table counts deadlocks. Nothing is persisted:
// every counter starts from zero when the server starts (PostgreSQL's too
// after a crash), and pg_stat_reset() zeroes them. pg_locks lists the lock
// table's row, table and advisory locks, held and awaited, each with its
// session's pid and virtualtransaction "<pid>/<n>" (the session's n-th
// transaction).
//
// Transaction ids (txid_current, pg_current_xact_id and their
// _if_assigned forms): OmenDB's commits are identified by their log
// offsets, known only once durable, so a transaction id is assigned when
// a transaction first asks for one: the wall clock in microseconds since
// 1970, raised above the last id handed out. It is stable within the
// transaction, increases from one transaction to the next in assignment
// order, and does not go backwards across a restart unless the system
// clock is set back further than the restart took. A transaction that has
// written counts as having one (_if_assigned), as writing assigns one in
// PostgreSQL. pg_current_snapshot and txid_current_snapshot fail with
// 0A000.
//
// Errors carry their SQLSTATE (package pgerr); an error in an explicit
// transaction puts it in the failed state (25P02) until ROLLBACK. A panic
// while executing becomes XX000 and the transaction is cleaned up.
//
// Ownership: a Session and everything reachable from it belongs to the
// connection's goroutine; only Session.Cancel may be called concurrently.
// Statements run under one reused context per session (stmtCtx,
// session_ctx.go), guarded by Session.mu with the count of running
// statements: Cancel fires it only while a statement runs, and a fired one
// is replaced at the next statement, so a cancel never outlives its
// statement.
package sql
