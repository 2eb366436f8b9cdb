package pgwire

import (
	"context"

	"github.com/omendb/omendb/types"
)

// Engine is what the wire protocol serves. The SQL layer (package sql)
// implements it; pgwire knows nothing about parsing, planning or storage.
type Engine interface {
	// NewSession starts a session for an authenticated connection. params are
	// the startup parameters (user, database, options, application_name, …).
	NewSession(ctx context.Context, params map[string]string) (Session, error)
}

// Session is one client connection's SQL state (transaction, settings,
// prepared plans). pgwire calls its methods from one goroutine at a time,
// except Cancel, which may be called from any goroutine.
type Session interface {
	// Prepare raw-parses sql into its statements. The simple protocol
	// executes each in turn; the extended protocol (Parse) requires at most
	// one (zero for an empty string → EmptyQueryResponse). paramTypes are the
	// types the client declared for $1…$n (0 = unspecified). A syntax error
	// anywhere in sql fails the whole call, as in PostgreSQL.
	Prepare(ctx context.Context, sql string, paramTypes []types.OID) ([]Statement, error)
	// TxStatus is the ReadyForQuery status: 'I' idle, 'T' in a transaction
	// block, 'E' in a failed transaction block.
	TxStatus() byte
	// Params returns ParameterStatus values to report at startup and after
	// any statement that changed one (server_version, TimeZone, …): pgwire
	// sends those whose value differs from what it last sent. It is called
	// after every statement, so return the session's own map rather than a
	// copy; pgwire only reads it, on the session's goroutine. The map must not
	// be modified once returned (a change returns a new map): pgwire skips
	// comparing a map it has already compared.
	Params() map[string]string
	// Cancel cancels the statement running now, if any (CancelRequest).
	Cancel()
	// Close ends the session, rolling back an open transaction.
	Close()
}

// Statement is one parsed statement. Describe and Execute may be called many
// times (a prepared statement is executed with different parameters).
type Statement interface {
	// SQL returns the statement's text.
	SQL() string
	// Describe analyses the statement against the current catalog and
	// returns the types of its parameters (a user-defined type with its
	// definition: pgwire parses parameters of it) and its result columns (nil when it
	// returns no rows). Statements whose analysis depends on earlier ones in
	// the same simple query (CREATE TABLE t …; INSERT INTO t …) are described
	// when executed.
	Describe(ctx context.Context) (params []types.Type, cols []Column, err error)
	// Execute runs the statement with bound parameter values (already
	// converted from the wire formats to params' types). The Result streams
	// rows; its Close must be called.
	Execute(ctx context.Context, params []types.Value) (Result, error)
}

// Column describes one result column (RowDescription).
type Column struct {
	Name     string
	Type     types.Type
	TableOID uint32 // 0 if not a plain column of a table
	AttNum   int16  // 0 if not a plain column of a table
}

// Result is the outcome of executing a statement. For a statement that
// returns rows, Next streams them; for others Next returns (nil, nil) at once
// and Tag says what happened. Copy reports whether the statement is COPY
// FROM STDIN or COPY TO STDOUT, which pgwire drives through CopyIn/CopyOut.
type Result interface {
	// Columns returns the result columns (nil for no rows).
	Columns() []Column
	// Next returns the next row, or nil at the end. The returned slice may be
	// reused by the next call.
	Next(ctx context.Context) ([]types.Value, error)
	// Tag is the CommandComplete tag ("SELECT 3", "INSERT 0 1", "BEGIN").
	// Valid once Next has returned nil (or, for COPY, once the copy is done).
	Tag() string
	// Copy returns the COPY sub-protocol driver, or nil for other statements.
	Copy() Copy
	// Close releases the result. Closing before the end abandons the rest
	// (a portal closed early).
	Close() error
}

// Copy drives COPY FROM STDIN (In true) or COPY TO STDOUT (In false).
//
// COPY FROM: pgwire sends CopyInResponse with len(Columns()) columns, decodes
// CopyData with the Options (text or CSV) into rows of fields — a nil field
// is NULL — and calls Row for each; on CopyDone it calls Done, whose tag
// ("COPY n") completes the command; on CopyFail or a decode error it calls
// Abort. COPY TO: pgwire sends CopyOutResponse, pulls rows with the Result's
// Next, encodes each with the Options, sends CopyData, then CopyDone and the
// tag.
type Copy interface {
	In() bool
	Options() CopyOptions
	// Row receives one decoded input row (COPY FROM only). The slice and its
	// fields are only valid during the call.
	Row(ctx context.Context, fields [][]byte) error
	// Done completes COPY FROM and returns its tag.
	Done(ctx context.Context) (string, error)
	// Abort abandons COPY FROM (nothing is written).
	Abort()
}

// CopyOptions are the COPY format options PostgreSQL supports.
type CopyOptions struct {
	CSV       bool   // FORMAT csv (else text)
	Delimiter byte   // default '\t' for text, ',' for CSV
	Null      string // used exactly as given: the engine fills PostgreSQL's default (`\N` for text, "" for CSV)
	Header    bool   // CSV/text HEADER: first line is column names (skipped on input)
	Quote     byte   // CSV only; default '"'
	Escape    byte   // CSV only; default = Quote
	Columns   []Column
	// TrailingDelimiter: every input line ends with an extra delimiter to be
	// dropped (dbgen's .tbl files); an OmenDB option, not PostgreSQL's.
	TrailingDelimiter bool
	// Binary is FORMAT binary (pgx's CopyFrom uses it): Row receives each
	// field in its column type's binary send format (types.ParseBinary), and
	// COPY TO encodes with types.AppendBinary. The text/CSV options above do
	// not apply.
	Binary bool
}
