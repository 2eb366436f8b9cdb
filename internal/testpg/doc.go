// Package testpg starts a real, throwaway PostgreSQL server for differential
// tests and benchmarks. Nothing is mocked: it runs the machine's initdb and
// postgres binaries (PostgreSQL 15: Options.BinDir, then $OMENDB_PG_BINDIR,
// then /usr/lib/postgresql/15/bin, then `pg_config --bindir`, then
// /usr/lib/postgresql/*/bin, then the postgres on PATH).
//
// Start(t) is for tests: it fails the test (never skips) if PostgreSQL
// cannot start and stops the server in t.Cleanup. StartServer(ctx, opts) is
// for non-test use (`omendb bench` starts a peer PostgreSQL with it).
//
// # What a server looks like
//
//   - a fresh data directory under os.TempDir, removed on Close; the cluster
//     is copied from a template made once per machine by initdb, so a start
//     after the first takes about a second (initdb itself takes several);
//   - listening on 127.0.0.1 on a free random port, with its unix socket in
//     the data directory; 1 MB WAL segments (initdb --wal-segsize=1);
//   - wal_level=logical, max_wal_senders=10, max_replication_slots=10 (for
//     CDC tests), fsync on unless Options.NoFsync;
//   - trust authentication for local and host connections, user "postgres",
//     database Options.Database (created if it is not "postgres").
//
// When the process runs as root, initdb and postgres run as the "postgres" OS
// user (PostgreSQL refuses to run as root) and the data directory is owned
// by that user.
//
// # Invariants and ownership
//
// A Server owns its postmaster child process and its directory; Close sends
// SIGQUIT (immediate shutdown, as pg_ctl -m immediate), waits for the
// postmaster to exit and removes the directory. Close and Restart must not be
// called concurrently with each other; ConnString, Port and Host may be called
// from any goroutine. If the test binary dies, the postmaster gets SIGQUIT
// through the parent-death signal; a directory left by a killed test process
// is removed by a later StartServer once it is an hour old and no postmaster
// runs in it.
//
// Debian packages needed on a fresh machine: postgresql-15 (server, initdb)
// and postgresql-client-15 (psql, pg_config comes with libpq-dev or
// postgresql-common's pg_config wrapper).
package testpg
