package sql_test

import (
	"context"
	"encoding/binary"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/internal/testserver"
)

// BenchmarkTPCBWire is one pgbench TPC-B-like transaction as pgbench -M
// prepared sends it — BEGIN, UPDATE accounts, SELECT abalance, UPDATE
// tellers, UPDATE branches, INSERT history, END, each its own round trip
// (Bind, Execute, Sync) — from a client that allocates nothing per round
// trip, so allocs/op is the server's whole path for the transaction,
// commit included (the test server does not fsync). end=rollback ends it
// with ROLLBACK instead: the statements without the commit.
func BenchmarkTPCBWire(b *testing.B) {
	srv := testserver.Start(b)
	ctx := context.Background()
	c := testserver.Connect(b, srv)
	for _, q := range []string{
		`CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88))`,
		`CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler char(84))`,
		`CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))`,
		`CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))`,
		`INSERT INTO pgbench_branches SELECT g, 0, '' FROM generate_series(1, 10) g`,
		`INSERT INTO pgbench_tellers SELECT g, (g - 1) / 10 + 1, 0, '' FROM generate_series(1, 100) g`,
		`INSERT INTO pgbench_accounts SELECT g, (g - 1) / 2000 + 1, 0, '' FROM generate_series(1, 20000) g`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "omendb", "database": "omendb"}})
	stmts := []struct {
		sql    string
		params []uint32 // parameter OIDs (int4); values: aid, tid, bid, delta by name below
		args   []int    // which of aid(0), tid(1), bid(2), delta(3) each parameter is
	}{
		{"BEGIN", nil, nil},
		{"UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2", []uint32{23, 23}, []int{3, 0}},
		{"SELECT abalance FROM pgbench_accounts WHERE aid = $1", []uint32{23}, []int{0}},
		{"UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2", []uint32{23, 23}, []int{3, 1}},
		{"UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2", []uint32{23, 23}, []int{3, 2}},
		{"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)", []uint32{23, 23, 23, 23}, []int{1, 2, 0, 3}},
		{"END", nil, nil},
	}
	names := []string{"P0_1", "P0_2", "P0_3", "P0_4", "P0_5", "P0_6", "P0_7"}
	for i, st := range stmts {
		fe.Send(&pgproto3.Parse{Name: names[i], Query: st.sql, ParameterOIDs: st.params})
	}
	fe.Send(&pgproto3.Sync{})
	if err := fe.Flush(); err != nil {
		b.Fatal(err)
	}
	for ready := 0; ready < 2; { // after the startup and after the Parses
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
	// Each round trip's bytes (binary int4 parameters), with the offset of
	// each parameter's four bytes to patch in place.
	type trip struct {
		req  []byte
		offs []int
		args []int
	}
	build := func(name string, st int) trip {
		n := len(stmts[st].params)
		vals := make([][]byte, n)
		fmts := make([]int16, n)
		for j := range vals {
			vals[j] = []byte{0xA5, 0x5A, byte(j), 0xC3}
			fmts[j] = 1
		}
		req, _ := (&pgproto3.Bind{PreparedStatement: name, ParameterFormatCodes: fmts, Parameters: vals}).Encode(nil)
		t := trip{args: stmts[st].args}
		for j := range vals {
			for k := 0; k+4 <= len(req); k++ {
				if req[k] == 0xA5 && req[k+1] == 0x5A && req[k+2] == byte(j) && req[k+3] == 0xC3 {
					t.offs = append(t.offs, k)
					break
				}
			}
		}
		req, _ = (&pgproto3.Execute{}).Encode(req)
		req, _ = (&pgproto3.Sync{}).Encode(req)
		t.req = req
		return t
	}
	commit := make([]trip, len(stmts))
	for i := range stmts {
		commit[i] = build(names[i], i)
	}
	fe.Send(&pgproto3.Parse{Name: "R", Query: "ROLLBACK"})
	fe.Send(&pgproto3.Sync{})
	if err := fe.Flush(); err != nil {
		b.Fatal(err)
	}
	for done := false; !done; {
		m, err := fe.Receive()
		if err != nil {
			b.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.ReadyForQuery:
			done = true
		case *pgproto3.ErrorResponse:
			b.Fatalf("%s: %s", m.Code, m.Message)
		}
	}
	rollback := append(append([]trip(nil), commit[:len(commit)-1]...), trip{})
	rollback[len(rollback)-1] = func() trip {
		req, _ := (&pgproto3.Bind{PreparedStatement: "R"}).Encode(nil)
		req, _ = (&pgproto3.Execute{}).Encode(req)
		req, _ = (&pgproto3.Sync{}).Encode(req)
		return trip{req: req}
	}()
	resp := make([]byte, 4096)
	for _, end := range []string{"commit", "rollback"} {
		trips := commit
		if end == "rollback" {
			trips = rollback
		}
		b.Run("end="+end, func(b *testing.B) {
			b.ReportAllocs()
			var args [4]int
			for i := 0; i < b.N; i++ {
				args = [4]int{i*7919%20000 + 1, i%100 + 1, i%10 + 1, i%10001 - 5000}
				for _, t := range trips {
					for j, off := range t.offs {
						binary.BigEndian.PutUint32(t.req[off:], uint32(int32(args[t.args[j]])))
					}
					if _, err := nc.Write(t.req); err != nil {
						b.Fatal(err)
					}
					// The response ends with ReadyForQuery: 'Z' 0 0 0 5 status.
					n := 0
					for n < 6 || resp[n-6] != 'Z' {
						k, err := nc.Read(resp[n:])
						if err != nil {
							b.Fatal(err)
						}
						n += k
					}
					if resp[n-1] == 'E' || resp[0] == 'E' {
						b.Fatalf("statement failed: %q", resp[:n])
					}
				}
			}
		})
	}
	// Every committed transaction moved its delta into all three balances.
	var a, t, br int64
	if err := c.QueryRow(ctx, `SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers), (SELECT sum(bbalance) FROM pgbench_branches)`).Scan(&a, &t, &br); err != nil {
		b.Fatal(err)
	}
	if a != t || t != br {
		b.Fatalf("balances differ: accounts %d, tellers %d, branches %d", a, t, br)
	}
}
