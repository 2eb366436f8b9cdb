package sql_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/server"
)

// accounts starts a server with pgbench's accounts shape: acc(aid 1…10000,
// abalance = aid % 1000), and connects to it.
func accounts(b *testing.B) (*server.Server, *pgx.Conn) {
	srv := testserver.Start(b)
	ctx := context.Background()
	c := testserver.Connect(b, srv)
	if _, err := c.Exec(ctx, `CREATE TABLE acc (aid int PRIMARY KEY, bid int, abalance int, filler char(84))`); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO acc SELECT g, 1, g % 1000, '' FROM generate_series(1, 10000) g`); err != nil {
		b.Fatal(err)
	}
	return srv, c
}

// BenchmarkPointSelect is pgbench -S's statement over the wire (pgx, one
// connection, client and server in this process): a primary-key point read
// with a bound parameter (protocol=prepared) and with its key in the text
// (protocol=simple, served by the simple-query cache). allocs/op counts
// both sides.
func BenchmarkPointSelect(b *testing.B) {
	_, c := accounts(b)
	ctx := context.Background()
	const q = "SELECT abalance FROM acc WHERE aid = "
	for _, mode := range []string{"prepared", "simple"} {
		b.Run("protocol="+mode, func(b *testing.B) {
			b.ReportAllocs()
			var bal int32
			for i := 0; i < b.N; i++ {
				aid := i%10000 + 1
				var err error
				if mode == "prepared" {
					err = c.QueryRow(ctx, q+"$1", aid).Scan(&bal)
				} else {
					err = c.QueryRow(ctx, fmt.Sprintf("%s%d", q, aid), pgx.QueryExecModeSimpleProtocol).Scan(&bal)
				}
				if err != nil {
					b.Fatal(err)
				}
				if int(bal) != aid%1000 {
					b.Fatalf("aid %d: abalance %d", aid, bal)
				}
			}
		})
	}
}

// BenchmarkPointSelectWire is pgbench -S -M prepared's round trip as
// pgbench sends it (Bind, Execute, Sync in one write; one read up to
// ReadyForQuery), from a client that allocates nothing per round trip, so
// allocs/op is the server's: the prepared point select's whole server path
// (pgwire, session, plan execution, point Get, encoding).
func BenchmarkPointSelectWire(b *testing.B) {
	srv, _ := accounts(b)
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "omendb", "database": "omendb"}})
	fe.Send(&pgproto3.Parse{Name: "P0_1", Query: "SELECT abalance FROM acc WHERE aid = $1", ParameterOIDs: []uint32{23}})
	fe.Send(&pgproto3.Sync{})
	if err := fe.Flush(); err != nil {
		b.Fatal(err)
	}
	for ready := 0; ready < 2; { // after the startup and after Parse
		m, err := fe.Receive()
		if err != nil {
			b.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.ReadyForQuery:
			ready++
		case *pgproto3.ErrorResponse:
			b.Fatalf("%s: %s", m.Code, m.Message)
		}
	}
	// The round trip's bytes, with the key's digits patched in place.
	var req []byte
	req, _ = (&pgproto3.Bind{PreparedStatement: "P0_1", ParameterFormatCodes: []int16{0}, Parameters: [][]byte{[]byte("00000")}, ResultFormatCodes: []int16{0}}).Encode(req)
	digits := bytes.Index(req, []byte("00000"))
	req, _ = (&pgproto3.Execute{}).Encode(req)
	req, _ = (&pgproto3.Sync{}).Encode(req)
	resp := make([]byte, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		aid := i%9999 + 1
		for j, k := digits+4, aid; j >= digits; j, k = j-1, k/10 {
			req[j] = byte('0' + k%10)
		}
		if _, err := nc.Write(req); err != nil {
			b.Fatal(err)
		}
		// BindComplete, DataRow, CommandComplete, ReadyForQuery: the
		// response ends with 'Z' 0 0 0 5 'I'.
		n := 0
		for n < 6 || resp[n-6] != 'Z' {
			k, err := nc.Read(resp[n:])
			if err != nil {
				b.Fatal(err)
			}
			n += k
		}
		// BindComplete is 5 bytes; the DataRow's one value starts 11
		// bytes into it, after its length.
		if want := strconv.Itoa(aid % 1000); resp[0] != '2' || resp[5] != 'D' || n < 16+len(want) ||
			int(binary.BigEndian.Uint32(resp[12:])) != len(want) || string(resp[16:16+len(want)]) != want {
			b.Fatalf("aid %d: response %q", aid, resp[:n])
		}
	}
}
