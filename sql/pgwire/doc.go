// Package pgwire is OmenDB's PostgreSQL wire-protocol (v3.0) server: the
// only way clients (psql, pgx, JDBC, pgbench) reach the database. It speaks
// the protocol on top of jackc/pgx/v5/pgproto3 and hands SQL to an Engine
// (engine.go), whose Sessions parse, plan and execute; pgwire knows nothing
// of SQL. It is also the one place where errors become SQLSTATEs
// (pgerr.FromError) on their way to the client.
//
// # Connection state machine
//
// Each accepted connection runs on its own goroutine (conn.serve):
//
//	startup:  SSLRequest / GSSEncRequest → 'N', read again (at most 3 times)
//	          CancelRequest → Server.cancelRequest → close, send nothing
//	          StartupMessage 3.x → NegotiateProtocolVersion if minor > 0 or
//	            _pq_ options; other majors → FATAL 0A000
//	          Authenticator (nil = trust) → AuthenticationOk
//	          Engine.NewSession → ParameterStatus* BackendKeyData ReadyForQuery
//	ready:    Query → simple query: Prepare, then per statement Execute,
//	            RowDescription, DataRow*, CommandComplete (or the COPY
//	            sub-protocol); first error stops the string → ReadyForQuery
//	          Parse/Bind/Describe/Execute/Close/Flush → extended protocol;
//	            an error sets "ignore until Sync"
//	          Sync → ReadyForQuery (portals are dropped when idle 'I')
//	          a statement's NOTICEs and WARNINGs (Noticer) go out as
//	            NoticeResponse before its CommandComplete or ErrorResponse
//	          Terminate / EOF → close
//	copy-in:  CopyData* then CopyDone | CopyFail (Flush/Sync ignored);
//	          after an error, leftover CopyData/CopyDone/CopyFail are ignored
//	          (text, CSV and binary formats: package copyfmt)
//	closing:  a malformed, oversized or unknown message → FATAL 08P01/54000;
//	          Shutdown → FATAL 57P01 at the next ReadyForQuery boundary.
//
// Execute with a row limit sends PortalSuspended and keeps the Result open
// in the portal; a later Execute continues it. As in PostgreSQL, the
// "SELECT n" tag of a resumed portal counts the rows of the last Execute
// only. Describe of a statement calls Statement.Describe; Bind reuses the
// first Describe's parameter types (cached per prepared statement) and
// Describe of a portal that has not run yet uses its statement's columns.
//
// ParameterStatus is re-sent for every Session.Params entry that changed
// after each statement (a map already compared is not compared again:
// Session.Params returns a new map when a setting changes); the TimeZone entry selects the *time.Location used
// to print timestamptz (time.LoadLocation results are cached process-wide).
//
// # The inline loop
//
// After startup, a socket connection on Linux is served inside one
// syscall.RawConn.Read (netio.go): its callback reads into the message
// buffer with read(2), handles the buffered messages of the extended
// protocol and simple queries that cannot be COPY, writes the replies and
// waits for the socket without trying a read that would fail when the
// last read came back short — one read and one write per round trip of a
// client that waits for its replies (the ordinary loop makes a read that
// fails with EAGAIN before each wait). This relies on the netpoller
// forgetting readiness only when a RawConn.Read begins, never between its
// callback's calls; a read that filled the buffer is followed by another
// before any wait. Any other message (COPY data, Terminate, fastpath
// calls, a statement whose text mentions copy) is left buffered for the
// ordinary loop, which serves it and hands back. Inside the callback the
// socket's read lock is held: a read from there fails the connection
// rather than deadlock. Shutdown wakes an idle connection with a read
// deadline, which ends the wait; the ordinary loop then says goodbye.
//
// # Goroutines
//
// The connection goroutine is the only caller of Session methods except
// Cancel, and the only user of the conn's reader, writer, statements and
// portals. Session.Cancel is called from another connection's goroutine (a
// CancelRequest) or from Shutdown; statements run synchronously on the
// connection goroutine, so a cancel reaches the Session while it runs. The
// Server's maps (conns, byPID) are under Server.mu; conn.sess is published
// under conn.mu.
//
// # Buffers and ownership
//
// After the startup packet, messages are framed by msgReader (msgreader.go)
// out of one reused read buffer; Bind, Describe, Execute and Sync are
// decoded there into reused structs without allocating (statement and
// portal names that exist are not copied), the rest by pgproto3's Decode.
// The unnamed portal a Bind replaces is kept as the connection's spare and
// reused with its parameter and format slices, and integer parameters are
// parsed from the message's bytes, so a prepared statement's round trip
// allocates nothing in pgwire.
// A message is valid only until the next receive: Parse's strings are copies, Bind's parameter bytes are
// decoded into types.Values (ParseText/ParseBinary copy) before returning
// and its result formats are copied into the portal, and CopyData is handed
// to the copyfmt.Decoder, which copies only an unfinished trailing line.
// Rows passed to Copy.Row are valid only during the call.
//
// Output is appended to one reused buffer per connection (writer) and
// written when a ReadyForQuery, Flush, PortalSuspended or CopyInResponse is
// sent, when it outgrows Config.WriteBufferSize in the middle of a result,
// and before any read that would block (netReader flushes first; the
// inline loop before it waits), so a pipelining client never waits on
// unflushed output. DataRow, RowDescription
// and the small fixed messages are encoded straight into the buffer with no
// per-row allocation; values go through types.AppendText/AppendBinary.
//
// # Failures
//
// A panic while handling a message is recovered, logged with its stack,
// counted (Stats.Panics) and reported as XX000; the connection carries on
// (the partial message is dropped from the buffer). Errors with severity
// FATAL close the connection after being sent.
package pgwire
