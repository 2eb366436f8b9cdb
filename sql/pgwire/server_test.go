package pgwire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// startServer serves a fresh testEngine on a loopback port.
func startServer(t testing.TB, cfg Config) (*Server, *testEngine, string) {
	t.Helper()
	eng := newTestEngine()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	srv := NewServer(cfg, eng, logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return srv, eng, ln.Addr().String()
}

func connString(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf("postgres://tester@%s:%s/testdb?sslmode=disable", host, port)
}

func connect(t testing.TB, addr string, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(connString(addr))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// textIO reports whether types' text output exists yet (it began as a stub).
func textIO() bool { return len(types.AppendText(nil, types.NewInt(1), types.Int4, nil)) == 1 }

// binaryIO reports whether types' binary I/O exists yet.
func binaryIO() bool {
	_, err := types.AppendBinary(nil, types.NewInt(1), types.Int4)
	return err == nil
}

func needTextIO(t *testing.T) {
	if !textIO() {
		t.Skip("types.AppendText is still a stub")
	}
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestSimpleProtocolPgx(t *testing.T) {
	needTextIO(t)
	_, eng, addr := startServer(t, Config{})
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)

	var n int32
	if err := c.QueryRow(ctx, "select 42").Scan(&n); err != nil || n != 42 {
		t.Fatalf("select 42: %d, %v", n, err)
	}
	rows, err := c.Query(ctx, "rows 3")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var i int64
		var s string
		if err := rows.Scan(&i, &s); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%s", i, s))
	}
	if rows.Err() != nil || strings.Join(got, ",") != "0:row 0,1:row 1,2:row 2" {
		t.Fatalf("rows 3: %v %v", got, rows.Err())
	}
	if rows.CommandTag().String() != "SELECT 3" {
		t.Fatalf("tag %q", rows.CommandTag())
	}

	// An error in the middle of a multi-statement string stops the rest.
	results, err := c.PgConn().Exec(ctx, "insert; error 22012; insert").ReadAll()
	if sqlstate(err) != "22012" {
		t.Fatalf("want 22012, got %v", err)
	}
	if len(results) != 1 || results[0].CommandTag.String() != "INSERT 0 1" {
		t.Fatalf("results: %+v", results)
	}
	if eng.inserts.Load() != 1 {
		t.Fatalf("%d inserts ran, want 1", eng.inserts.Load())
	}
	var pe *pgconn.PgError
	errors.As(err, &pe)
	if pe.Severity != "ERROR" || pe.Detail != "some detail" || pe.Hint != "some hint" {
		t.Fatalf("error fields: %+v", pe)
	}
	// The connection is usable afterwards; the empty query works.
	if _, err := c.Exec(ctx, "-- ping"); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "syntax here")
	if sqlstate(err) != "42601" || !errors.As(err, &pe) || pe.Position != 1 {
		t.Fatalf("syntax: %v", err)
	}
}

func TestExtendedProtocolPgx(t *testing.T) {
	needTextIO(t)
	_, _, addr := startServer(t, Config{})
	c := connect(t, addr, pgx.QueryExecModeCacheStatement)
	ctx := testCtx(t)

	// Text formats both ways through ExecParams.
	res := c.PgConn().ExecParams(ctx, "select $1, $2", [][]byte{[]byte("7"), nil},
		[]uint32{uint32(types.OIDInt4), uint32(types.OIDText)}, nil, nil).Read()
	if res.Err != nil || len(res.Rows) != 1 || string(res.Rows[0][0]) != "7" || res.Rows[0][1] != nil {
		t.Fatalf("echo: %+v", res)
	}
	if res.FieldDescriptions[0].DataTypeOID != uint32(types.OIDInt4) || res.FieldDescriptions[0].Name != "p1" {
		t.Fatalf("fields: %+v", res.FieldDescriptions)
	}
	// A bad text parameter is reported with the type's SQLSTATE.
	res = c.PgConn().ExecParams(ctx, "select $1", [][]byte{[]byte("x1")}, []uint32{uint32(types.OIDInt4)}, nil, nil).Read()
	if sqlstate(res.Err) != pgerr.InvalidTextRepresentation {
		t.Fatalf("bad int param: %v", res.Err)
	}
	// Extended errors: the failed Execute does not break the connection.
	_, err := c.Exec(ctx, "error 23505")
	if sqlstate(err) != "23505" {
		t.Fatalf("want 23505: %v", err)
	}
	_, err = c.Prepare(ctx, "two", "select 1; select 2")
	if sqlstate(err) != pgerr.SyntaxError {
		t.Fatalf("multi-statement Parse: %v", err)
	}
	_, err = c.Prepare(ctx, "df", "describefail")
	if sqlstate(err) != pgerr.UndefinedTable {
		t.Fatalf("describe failure: %v", err)
	}

	if !binaryIO() {
		t.Log("types.AppendBinary is still a stub: binary result formats not tested")
		return
	}
	// pgx's default mode: Parse + Describe, binary results for int4/int8.
	var a, b string
	if err := c.QueryRow(ctx, "select $1, $2", "a", "héllo").Scan(&a, &b); err != nil || a != "a" || b != "héllo" {
		t.Fatalf("binary echo: %q %q %v", a, b, err)
	}
	var n int64
	for i := 0; i < 3; i++ { // cached statement re-executed
		if err := c.QueryRow(ctx, "select 9").Scan(&n); err != nil || n != 9 {
			t.Fatalf("select 9: %d %v", n, err)
		}
	}
}

// rawClient speaks the protocol with pgproto3.Frontend, for exact traces.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

func (c *rawClient) startup() []string {
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "raw", "database": "db"}})
	return c.untilRFQ()
}

func (c *rawClient) send(msgs ...pgproto3.FrontendMessage) {
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

// describe renders a backend message compactly.
func describe(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.DataRow:
		parts := make([]string, len(m.Values))
		for i, v := range m.Values {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = string(v)
			}
		}
		return "D " + strings.Join(parts, "|")
	case *pgproto3.CommandComplete:
		return "C " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		return "E " + m.Severity + " " + m.Code
	case *pgproto3.ReadyForQuery:
		return "Z " + string(m.TxStatus)
	case *pgproto3.RowDescription:
		names := make([]string, len(m.Fields))
		for i, f := range m.Fields {
			names[i] = fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format)
		}
		return "T " + strings.Join(names, ",")
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("t %v", m.ParameterOIDs)
	case *pgproto3.ParameterStatus:
		return "S " + m.Name + "=" + m.Value
	case *pgproto3.CopyData:
		return fmt.Sprintf("d %q", m.Data)
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3.")
}

func (c *rawClient) recv() string {
	m, err := c.fe.Receive()
	if err != nil {
		return "error: " + err.Error()
	}
	return describe(m)
}

func (c *rawClient) untilRFQ() []string {
	var out []string
	for {
		s := c.recv()
		out = append(out, s)
		if strings.HasPrefix(s, "Z ") || strings.HasPrefix(s, "error: ") {
			return out
		}
	}
}

func (c *rawClient) expectClosed() {
	c.t.Helper()
	for {
		s := c.recv()
		if strings.HasPrefix(s, "error: ") {
			return
		}
		if strings.HasPrefix(s, "E ") {
			continue
		}
		c.t.Fatalf("expected the connection to close, got %s", s)
	}
}

func expectTrace(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("trace:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRowLimitedExecute(t *testing.T) {
	needTextIO(t)
	_, _, addr := startServer(t, Config{})
	c := dialRaw(t, addr)
	c.startup()
	c.send(
		&pgproto3.Parse{Name: "s", Query: "rows 5"},
		&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p"},
		&pgproto3.Describe{ObjectType: 'P', Name: "p"},
		&pgproto3.Execute{Portal: "p", MaxRows: 2},
		&pgproto3.Execute{Portal: "p", MaxRows: 3},
		&pgproto3.Execute{Portal: "p", MaxRows: 3},
		&pgproto3.Execute{Portal: "p"},
		&pgproto3.Sync{},
	)
	// Exactly PostgreSQL 15's trace for the same messages on
	// "select generate_series(0,4)".
	expectTrace(t, c.untilRFQ(),
		"ParseComplete", "BindComplete", "T i:20:0,s:25:0",
		"D 0|row 0", "D 1|row 1", "PortalSuspended",
		"D 2|row 2", "D 3|row 3", "D 4|row 4", "PortalSuspended",
		"C SELECT 0", "C SELECT 0", "Z I")
	c.send(
		&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p"},
		&pgproto3.Execute{Portal: "p", MaxRows: 2},
		&pgproto3.Execute{Portal: "p"},
		&pgproto3.Bind{PreparedStatement: "s", ResultFormatCodes: []int16{0, 1, 0}}, // 2 columns: 08P01 at Bind
		&pgproto3.Sync{},
	)
	expectTrace(t, c.untilRFQ(), "BindComplete", "D 0|row 0", "D 1|row 1", "PortalSuspended",
		"D 2|row 2", "D 3|row 3", "D 4|row 4", "C SELECT 3", "E ERROR 08P01", "Z I")
	// Named statement survives; the portal ended with the (implicit) transaction.
	c.send(&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	expectTrace(t, c.untilRFQ(), "E ERROR 34000", "Z I")
	c.send(&pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Close{ObjectType: 'S', Name: "s"},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{})
	expectTrace(t, c.untilRFQ(), "t []", "T i:20:0,s:25:0", "CloseComplete", "E ERROR 26000", "Z I")
}

func TestExtendedErrorSkipsToSync(t *testing.T) {
	needTextIO(t)
	_, _, addr := startServer(t, Config{})
	c := dialRaw(t, addr)
	c.startup()
	c.send(
		&pgproto3.Parse{Query: "select $1"},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("a"), []byte("b")}}, // wrong count: 08P01
		&pgproto3.Execute{},
		&pgproto3.Parse{Query: "select 1"}, // skipped
		&pgproto3.Query{String: "insert"},  // skipped too
		&pgproto3.Sync{},
		&pgproto3.Parse{Query: "select 1"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Parse{Name: "bad", Query: "error 22012"},
		&pgproto3.Bind{PreparedStatement: "bad"},
		&pgproto3.Execute{},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
		&pgproto3.Bind{PreparedStatement: "nope"},
		&pgproto3.Sync{},
		&pgproto3.Parse{Query: ""},
		&pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	expectTrace(t, c.untilRFQ(), "ParseComplete", "E ERROR 08P01", "Z I")
	expectTrace(t, c.untilRFQ(), "ParseComplete", "BindComplete", "D 1", "C SELECT 1",
		"ParseComplete", "BindComplete", "E ERROR 22012", "Z I")
	expectTrace(t, c.untilRFQ(), "E ERROR 26000", "Z I")
	expectTrace(t, c.untilRFQ(), "ParseComplete", "BindComplete", "NoData", "EmptyQueryResponse", "Z I")
	// Simple query: empty string.
	c.send(&pgproto3.Query{String: " ;; "})
	expectTrace(t, c.untilRFQ(), "EmptyQueryResponse", "Z I")
}

func TestParameterStatusAndTimeZone(t *testing.T) {
	needTextIO(t)
	_, _, addr := startServer(t, Config{})
	c := dialRaw(t, addr)
	trace := c.startup()
	joined := strings.Join(trace, "\n")
	for _, want := range []string{"AuthenticationOk", "S server_version=16.0 (OmenDB test)", "S TimeZone=UTC", "BackendKeyData", "Z I"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("startup trace lacks %q:\n%s", want, joined)
		}
	}
	c.send(&pgproto3.Query{String: "ts"})
	expectTrace(t, c.untilRFQ(), "T ts:1184:0", "D 1970-01-01 00:00:00+00", "C SELECT 1", "Z I")
	c.send(&pgproto3.Query{String: "set TimeZone America/New_York; ts; begin"})
	expectTrace(t, c.untilRFQ(), "C SET", "S TimeZone=America/New_York",
		"T ts:1184:0", "D 1969-12-31 19:00:00-05", "C SELECT 1", "C BEGIN", "Z T")
}

func TestCancelRequest(t *testing.T) {
	_, eng, addr := startServer(t, Config{})
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)

	// A CancelRequest with the wrong secret does nothing.
	errc := make(chan error, 1)
	go func() { _, err := c.Exec(ctx, "block"); errc <- err }()
	<-eng.started
	raw := dialRaw(t, addr)
	req := binary.BigEndian.AppendUint32(nil, 16)
	req = binary.BigEndian.AppendUint32(req, codeCancel)
	req = binary.BigEndian.AppendUint32(req, c.PgConn().PID())
	req = append(req, 1, 2, 3, 4)
	if !bytes.Equal(c.PgConn().SecretKey(), []byte{1, 2, 3, 4}) {
		if _, err := raw.nc.Write(req); err != nil {
			t.Fatal(err)
		}
		if n, err := raw.nc.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Fatalf("cancel connection answered: %d %v", n, err)
		}
		select {
		case err := <-errc:
			t.Fatalf("a wrong secret cancelled the statement: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := c.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; sqlstate(err) != pgerr.QueryCanceled {
		t.Fatalf("want 57014, got %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("connection unusable after cancel: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	srv, eng, addr := startServer(t, Config{MaxMessageSize: 1024})
	t.Run("oversized", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.startup()
		c.send(&pgproto3.Query{String: "select " + strings.Repeat("1", 2000)})
		expectTrace(t, []string{c.recv()}, "E FATAL 54000")
		c.expectClosed()
	})
	t.Run("unknown message type", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.startup()
		if _, err := c.nc.Write([]byte("\x01\x00\x00\x00\x04garbage")); err != nil {
			t.Fatal(err)
		}
		expectTrace(t, []string{c.recv()}, "E FATAL 08P01")
		c.expectClosed()
	})
	t.Run("bad length", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.startup()
		if _, err := c.nc.Write([]byte("Q\x00\x00\x00\x02")); err != nil {
			t.Fatal(err)
		}
		expectTrace(t, []string{c.recv()}, "E FATAL 08P01")
		c.expectClosed()
	})
	t.Run("garbage startup", func(t *testing.T) {
		c := dialRaw(t, addr)
		if _, err := c.nc.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		c.expectClosed()
	})
	t.Run("GSSEncRequest then SSLRequest", func(t *testing.T) {
		c := dialRaw(t, addr)
		for _, code := range []uint32{codeGSSEnc, codeSSL} {
			req := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 8), code)
			if _, err := c.nc.Write(req); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 1)
			if _, err := io.ReadFull(c.nc, b); err != nil || b[0] != 'N' {
				t.Fatalf("answer %q %v", b, err)
			}
		}
		if tr := c.startup(); tr[len(tr)-1] != "Z I" {
			t.Fatalf("startup after encryption requests: %v", tr)
		}
	})
	t.Run("protocol 2.0", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: 2 << 16, Parameters: map[string]string{"user": "x"}})
		expectTrace(t, c.untilRFQ(), "E FATAL 0A000", "error: unexpected EOF")
	})
	t.Run("protocol 3.2 negotiated down", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: 3<<16 | 2, Parameters: map[string]string{"user": "x", "_pq_.foo": "1"}})
		tr := c.untilRFQ()
		if tr[0] != "NegotiateProtocolVersion" || tr[len(tr)-1] != "Z I" {
			t.Fatalf("trace %v", tr)
		}
	})
	t.Run("no user", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{}})
		expectTrace(t, c.untilRFQ(), "E FATAL 28000", "error: unexpected EOF")
	})
	t.Run("engine refuses session", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "x", "database": "nodb"}})
		expectTrace(t, c.untilRFQ(), "AuthenticationOk", "E FATAL 3D000", "error: unexpected EOF")
	})
	t.Run("panic is recovered", func(t *testing.T) {
		needTextIO(t)
		c := dialRaw(t, addr)
		c.startup()
		c.send(&pgproto3.Query{String: "insert; panic; insert"})
		expectTrace(t, c.untilRFQ(), "C INSERT 0 1", "E ERROR XX000", "Z I")
		c.send(&pgproto3.Parse{Query: "panic"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Query{String: "x"}, &pgproto3.Sync{})
		expectTrace(t, c.untilRFQ(), "ParseComplete", "BindComplete", "E ERROR XX000", "Z I")
		c.send(&pgproto3.Query{String: "select 5"})
		expectTrace(t, c.untilRFQ(), "T ?column?:23:0", "D 5", "C SELECT 1", "Z I")
		if got := srv.Stats().Panics; got != 2 {
			t.Fatalf("%d panics counted, want 2", got)
		}
	})
	t.Run("fatal error closes", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.startup()
		c.send(&pgproto3.Query{String: "fatal"})
		expectTrace(t, c.untilRFQ(), "E FATAL 57P01", "error: unexpected EOF")
	})
	// The server still serves, and every session was closed.
	c := dialRaw(t, addr)
	c.startup()
	c.send(&pgproto3.Terminate{})
	c.expectClosed()
	deadline := time.Now().Add(2 * time.Second)
	for eng.sessions.Load() != 0 || srv.Stats().Active != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions, %d connections still open", eng.sessions.Load(), srv.Stats().Active)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSSLRequestAndPrefer(t *testing.T) {
	needTextIO(t)
	_, _, addr := startServer(t, Config{})
	// sslmode=prefer sends SSLRequest first and falls back on 'N'.
	cfg, err := pgx.ParseConfig(strings.Replace(connString(addr), "sslmode=disable", "sslmode=prefer", 1))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int32
	if err := c.QueryRow(testCtx(t), "select 3", pgx.QueryExecModeSimpleProtocol).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d %v", n, err)
	}
}

func TestCopyPgx(t *testing.T) {
	needTextIO(t)
	_, eng, addr := startServer(t, Config{})
	c := connect(t, addr, pgx.QueryExecModeCacheStatement)
	ctx := testCtx(t)

	// pgx.CopyFrom: Describe of `select "a", "b" from "t"`, then binary COPY.
	n, err := c.CopyFrom(ctx, pgx.Identifier{"t"}, []string{"a", "b"},
		pgx.CopyFromRows([][]any{{int32(1), "one"}, {int32(-2), nil}, {int32(3), "tab\there"}}))
	if err != nil || n != 3 {
		t.Fatalf("CopyFrom: %d %v", n, err)
	}
	if got := strings.Join(eng.copiedRows(), ","); got != "1|one,-2|<NULL>,3|tab\there" {
		t.Fatalf("copied %q", got)
	}

	// Text COPY FROM in awkward chunks, with a `\.` line as pgbench sends.
	eng.resetCopied()
	data := "10\tx\\ty\n11\t\\N\r\n12\t\\\\\n\\.\n"
	tag, err := c.PgConn().CopyFrom(ctx, &chunkReader{data: []byte(data), n: 3}, "copy t from stdin")
	if err != nil || tag.String() != "COPY 3" {
		t.Fatalf("text copy: %v %v", tag, err)
	}
	if got := strings.Join(eng.copiedRows(), ","); got != "10|x\ty,11|<NULL>,12|\\" {
		t.Fatalf("copied %q", got)
	}

	// A malformed row: 22P04 with the line number, nothing kept.
	eng.resetCopied()
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("1\ta\n2\n3\tc\n"), "copy t from stdin")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != pgerr.BadCopyFileFormat || pe.Detail != "COPY line 2" {
		t.Fatalf("malformed: %v", err)
	}
	// An engine error in Row gets the line too.
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("a,b\n1,x\nbad,y\n"), "copy t from stdin (format csv, header)")
	if !errors.As(err, &pe) || pe.Code != pgerr.InvalidTextRepresentation || pe.Detail != "COPY line 3" {
		t.Fatalf("bad value: %v", err)
	}
	if len(eng.copiedRows()) != 0 || eng.abortCount() != 2 {
		t.Fatalf("rows %v aborts %d", eng.copiedRows(), eng.abortCount())
	}
	// Text format with NULL '': empty fields are NULL.
	eng.resetCopied()
	tag, err = c.PgConn().CopyFrom(ctx, strings.NewReader("1\t\n\t\\N\n"), "copy t from stdin null ''")
	if err != nil || tag.String() != "COPY 2" || strings.Join(eng.copiedRows(), ",") != "1|<NULL>,<NULL>|N" {
		t.Fatalf("null '': %v %v %q", tag, err, eng.copiedRows())
	}
	eng.resetCopied()
	// dbgen-style .tbl lines.
	tag, err = c.PgConn().CopyFrom(ctx, strings.NewReader("1|Customer#1|\n2|x|\n"), "copy t from stdin delimiter '|' trailing")
	if err != nil || tag.String() != "COPY 2" || strings.Join(eng.copiedRows(), ",") != "1|Customer#1,2|x" {
		t.Fatalf("tbl: %v %v %q", tag, err, eng.copiedRows())
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	// COPY TO, text and CSV, byte for byte.
	eng.setOut([][]types.Value{
		{types.NewInt(1), types.NewText("a\tb\\c\nd")},
		{types.NewInt(2), types.Null},
		{types.NewInt(3), types.NewText(`say "hi", ok`)},
		{types.NewInt(4), types.NewText("")},
	})
	var buf bytes.Buffer
	tag, err = c.PgConn().CopyTo(ctx, &buf, "copy t to stdout")
	if err != nil || tag.String() != "COPY 4" {
		t.Fatalf("copy to: %v %v", tag, err)
	}
	if want := "1\ta\\tb\\\\c\\nd\n2\t\\N\n3\tsay \"hi\", ok\n4\t\n"; buf.String() != want {
		t.Fatalf("text copy to:\n%q\nwant\n%q", buf.String(), want)
	}
	buf.Reset()
	if _, err = c.PgConn().CopyTo(ctx, &buf, "copy t to stdout (format csv, header)"); err != nil {
		t.Fatal(err)
	}
	if want := "a,b\n1,\"a\tb\\c\nd\"\n2,\n3,\"say \"\"hi\"\", ok\"\n4,\"\"\n"; buf.String() != want {
		t.Fatalf("csv copy to:\n%q\nwant\n%q", buf.String(), want)
	}
}

// chunkReader returns data n bytes at a time.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[k:]
	return k, nil
}

func TestCopyFailAndProtocol(t *testing.T) {
	_, eng, addr := startServer(t, Config{})
	c := dialRaw(t, addr)
	c.startup()
	c.send(&pgproto3.Query{String: "copy t from stdin"})
	expectTrace(t, []string{c.recv()}, "CopyInResponse")
	c.send(&pgproto3.CopyData{Data: []byte("1\ta\n")}, &pgproto3.CopyFail{Message: "client gave up"})
	expectTrace(t, c.untilRFQ(), "E ERROR 57014", "Z I")
	// After an error the client's remaining CopyData is ignored.
	c.send(&pgproto3.Query{String: "copy t from stdin"})
	expectTrace(t, []string{c.recv()}, "CopyInResponse")
	c.send(&pgproto3.CopyData{Data: []byte("1\n")})
	expectTrace(t, c.untilRFQ(), "E ERROR 22P04", "Z I")
	c.send(&pgproto3.CopyData{Data: []byte("more\n")}, &pgproto3.CopyDone{}, &pgproto3.Query{String: "insert"})
	expectTrace(t, c.untilRFQ(), "C INSERT 0 1", "Z I")
	if eng.abortCount() != 2 || len(eng.copiedRows()) != 0 {
		t.Fatalf("aborts %d rows %v", eng.abortCount(), eng.copiedRows())
	}
	// COPY through the extended protocol.
	c.send(&pgproto3.Parse{Query: "copy t from stdin (format csv)"}, &pgproto3.Bind{}, &pgproto3.Execute{})
	expectTrace(t, []string{c.recv(), c.recv(), c.recv()}, "ParseComplete", "BindComplete", "CopyInResponse")
	c.send(&pgproto3.CopyData{Data: []byte("5,\"x\ny\"")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	expectTrace(t, c.untilRFQ(), "C COPY 1", "Z I")
	if got := eng.copiedRows(); len(got) != 1 || got[0] != "5|x\ny" {
		t.Fatalf("rows %q", got)
	}
}

func TestShutdown(t *testing.T) {
	srv, eng, addr := startServer(t, Config{})
	idle := dialRaw(t, addr)
	idle.startup()
	busy := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	errc := make(chan error, 1)
	go func() { _, err := busy.Exec(context.Background(), "block"); errc <- err }()
	<-eng.started

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Shutdown took %v", d)
	}
	expectTrace(t, idle.untilRFQ(), "E FATAL 57P01", "error: unexpected EOF")
	if err := <-errc; sqlstate(err) != pgerr.QueryCanceled {
		t.Fatalf("busy statement: %v", err)
	}
	if srv.Stats().Active != 0 || eng.sessions.Load() != 0 {
		t.Fatalf("after Shutdown: %+v, %d sessions", srv.Stats(), eng.sessions.Load())
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still accepting after Shutdown")
	}
}

func TestManyConnections(t *testing.T) {
	needTextIO(t)
	srv, eng, addr := startServer(t, Config{})
	const conns, per = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, _ := pgx.ParseConfig(connString(addr))
			c, err := pgx.ConnectConfig(context.Background(), cfg)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(context.Background())
			for j := 0; j < per; j++ {
				if _, err := c.Exec(context.Background(), "insert", pgx.QueryExecModeSimpleProtocol); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if eng.inserts.Load() != conns*per || srv.Stats().Accepted < conns {
		t.Fatalf("inserts %d, stats %+v", eng.inserts.Load(), srv.Stats())
	}
}

func TestPsql(t *testing.T) {
	needTextIO(t)
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	_, eng, addr := startServer(t, Config{})
	host, port, _ := net.SplitHostPort(addr)
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(psql, append([]string{"-X", "-h", host, "-p", port, "-U", "tester", "-d", "db", "-A", "-t"}, args...)...)
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5", "PGSSLMODE=prefer")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	out, stderr, err := run("-c", "select 42")
	if err != nil || strings.TrimSpace(out) != "42" {
		t.Fatalf("select 42: %q %q %v", out, stderr, err)
	}
	_, stderr, err = run("-c", `\set VERBOSITY verbose`, "-c", "error 22012")
	if err == nil || !strings.Contains(stderr, "ERROR:  22012: test error 22012") || !strings.Contains(stderr, "HINT:  some hint") {
		t.Fatalf("verbose error: %q %v", stderr, err)
	}
	file := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(file, []byte("a,b\n1,\"x,y\"\n2,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, err = run("-c", fmt.Sprintf(`\copy t from '%s' with (format csv, header)`, file))
	if err != nil || strings.TrimSpace(out) != "COPY 2" {
		t.Fatalf("\\copy from: %q %q %v", out, stderr, err)
	}
	if got := strings.Join(eng.copiedRows(), ","); got != "1|x,y,2|<NULL>" {
		t.Fatalf("copied %q", got)
	}
	eng.setOut([][]types.Value{{types.NewInt(7), types.NewText("q\"uote")}})
	outFile := filepath.Join(t.TempDir(), "out.csv")
	if _, stderr, err = run("-c", fmt.Sprintf(`\copy t to '%s' with (format csv)`, outFile)); err != nil {
		t.Fatalf("\\copy to: %q %v", stderr, err)
	}
	if b, _ := os.ReadFile(outFile); string(b) != "7,\"q\"\"uote\"\n" {
		t.Fatalf("\\copy to wrote %q", b)
	}
}

func TestDataRowNoAllocs(t *testing.T) {
	needTextIO(t)
	c := &conn{loc: time.UTC}
	c.w = writer{limit: 1 << 20}
	cols := []Column{{Name: "i", Type: types.Int8}, {Name: "s", Type: types.Text}, {Name: "b", Type: types.Bool}}
	row := []types.Value{types.NewInt(123456), types.NewText("hello"), types.NewBool(true)}
	allocs := testing.AllocsPerRun(1000, func() {
		c.w.buf = c.w.buf[:0]
		if err := c.w.dataRow(row, cols, nil, c); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per DataRow", allocs)
	}
	if want := "D\x00\x00\x00\x1e\x00\x03\x00\x00\x00\x06123456\x00\x00\x00\x05hello\x00\x00\x00\x01t"; string(c.w.buf) != want {
		t.Fatalf("DataRow bytes %q", c.w.buf)
	}
}

func BenchmarkSimpleSelect(b *testing.B) {
	_, _, addr := startServer(b, Config{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		b.Run("mode="+mode.String(), func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				cfg, _ := pgx.ParseConfig(connString(addr))
				cfg.DefaultQueryExecMode = mode
				c, err := pgx.ConnectConfig(context.Background(), cfg)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close(context.Background())
				for pb.Next() {
					if _, err := c.Exec(context.Background(), "select 1"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func TestBinaryFormats(t *testing.T) {
	if !binaryIO() {
		t.Skip("types binary I/O is still a stub")
	}
	_, eng, addr := startServer(t, Config{})
	c := connect(t, addr, pgx.QueryExecModeCacheStatement)
	ctx := testCtx(t)
	be8 := binary.BigEndian.AppendUint64(nil, uint64(1<<40+7))
	// Binary int8 parameter; results: int8 binary, text in text (per-column formats).
	res := c.PgConn().ExecParams(ctx, "select $1, $2", [][]byte{be8, []byte("txt")},
		[]uint32{uint32(types.OIDInt8), uint32(types.OIDText)}, []int16{1, 0}, []int16{1, 0}).Read()
	if res.Err != nil || !bytes.Equal(res.Rows[0][0], be8) || string(res.Rows[0][1]) != "txt" {
		t.Fatalf("binary echo: %+v", res)
	}
	if res.FieldDescriptions[0].Format != 1 || res.FieldDescriptions[1].Format != 0 {
		t.Fatalf("formats: %+v", res.FieldDescriptions)
	}
	// A malformed binary parameter: 22P03, connection fine afterwards.
	res = c.PgConn().ExecParams(ctx, "select $1", [][]byte{{1, 2}}, []uint32{uint32(types.OIDInt8)}, []int16{1}, nil).Read()
	if sqlstate(res.Err) != pgerr.InvalidBinaryRepresentation {
		t.Fatalf("bad binary param: %v", res.Err)
	}
	// Binary COPY TO.
	eng.setOut([][]types.Value{{types.NewInt(5), types.NewText("hi")}, {types.Null, types.NewText("")}})
	var buf bytes.Buffer
	if _, err := c.PgConn().CopyTo(ctx, &buf, "copy t to stdout binary"); err != nil {
		t.Fatal(err)
	}
	want := "PGCOPY\n\xff\r\n\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x02\x00\x00\x00\x04\x00\x00\x00\x05\x00\x00\x00\x02hi" +
		"\x00\x02\xff\xff\xff\xff\x00\x00\x00\x00" + "\xff\xff"
	if buf.String() != want {
		t.Fatalf("binary COPY TO: %q", buf.String())
	}
}

// passwordAuth is a cleartext-password Authenticator, to exercise the seam.
type passwordAuth struct{ password string }

func (a passwordAuth) Authenticate(ctx context.Context, ex AuthExchange, params map[string]string) error {
	ex.Send(&pgproto3.AuthenticationCleartextPassword{})
	if err := ex.Flush(); err != nil {
		return err
	}
	if err := ex.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
		return err
	}
	msg, err := ex.Receive()
	if err != nil {
		return err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok || pm.Password != a.password {
		return pgerr.New("28P01", "password authentication failed for user %q", params["user"])
	}
	return nil
}

func TestAuthAndConnLimit(t *testing.T) {
	_, _, addr := startServer(t, Config{Auth: passwordAuth{"sesame"}, MaxConns: 1})
	ctx := testCtx(t)
	cfg, _ := pgx.ParseConfig(connString(addr))
	cfg.Password = "wrong"
	if _, err := pgx.ConnectConfig(ctx, cfg); sqlstate(err) != "28P01" {
		t.Fatalf("wrong password: %v", err)
	}
	cfg.Password = "sesame"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := pgx.ConnectConfig(ctx, cfg); sqlstate(err) != "53300" {
		t.Fatalf("second connection over MaxConns 1: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCopyFrom streams text COPY data through the server into a Copy
// that only counts rows: the wire + decode cost of a bulk load.
func BenchmarkCopyFrom(b *testing.B) {
	_, _, addr := startServer(b, Config{})
	cfg, _ := pgx.ParseConfig(connString(addr))
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	const rows = 200_000
	var data []byte
	for i := 0; i < rows; i++ {
		data = fmt.Appendf(data, "%d\tcustomer name %d, balance %d.25, since 2024-01-%02d\n", i, i, i%1000, 1+i%28)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		tag, err := c.PgConn().CopyFrom(context.Background(), bytes.NewReader(data), "copy t from stdin count")
		if err != nil || tag.RowsAffected() != rows {
			b.Fatalf("%v %v", tag, err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
