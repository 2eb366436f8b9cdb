package pgwire

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestInlinePipelines drives the inline loop (netio.go) with what could
// lose a wake-up or a message: many round trips in one write, round trips
// written one by one while earlier replies are still being read, a message
// larger than the read buffer, and a round trip written a byte at a time.
// The client's deadline turns a lost wake-up into a failure, not a hang.
func TestInlinePipelines(t *testing.T) {
	needTextIO(t)
	_, _, addr := startServer(t, Config{})
	c := dialRaw(t, addr)
	c.startup()
	c.send(&pgproto3.Parse{Name: "echo", Query: "select $1"}, &pgproto3.Sync{})
	expectTrace(t, c.untilRFQ(), "ParseComplete", "Z I")
	roundTrip := func(v string) []pgproto3.FrontendMessage {
		return []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "echo", Parameters: [][]byte{[]byte(v)}},
			&pgproto3.Execute{}, &pgproto3.Sync{}}
	}
	expect := func(v string) {
		t.Helper()
		expectTrace(t, c.untilRFQ(), "BindComplete", "D "+v, "C SELECT 1", "Z I")
	}

	// 50 round trips in one write.
	var all []pgproto3.FrontendMessage
	for i := range 50 {
		all = append(all, roundTrip(fmt.Sprint("batch", i))...)
	}
	c.send(all...)
	for i := range 50 {
		expect(fmt.Sprint("batch", i))
	}

	// 300 round trips, one write each, sent while the replies are read.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := range 300 {
			for _, m := range roundTrip(fmt.Sprint("pipe", i)) {
				c.fe.Send(m)
			}
			if err := c.fe.Flush(); err != nil {
				return
			}
			if i%7 == 0 {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	for i := range 300 {
		expect(fmt.Sprint("pipe", i))
	}
	<-sent // the client's encoder is the sender's until here

	// A parameter of 100 KiB: reads that fill the buffer.
	big := strings.Repeat("0123456789abcdef", 100<<10/16)
	c.send(roundTrip(big)...)
	expect(big)

	// One round trip a byte at a time.
	var raw []byte
	for _, m := range roundTrip("slow") {
		raw, _ = m.Encode(raw)
	}
	for i := range raw {
		if _, err := c.nc.Write(raw[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	expect("slow")

	// COPY (read by the statement itself) between inline messages, in a
	// simple query and as a prepared statement.
	c.send(&pgproto3.Query{String: "select 1; copy t from stdin"})
	expectTrace(t, []string{c.recv(), c.recv(), c.recv(), c.recv()}, "T ?column?:23:0", "D 1", "C SELECT 1", "CopyInResponse")
	c.send(&pgproto3.CopyData{Data: []byte("1\ta\n")}, &pgproto3.CopyDone{})
	expectTrace(t, c.untilRFQ(), "C COPY 1", "Z I")
	c.send(&pgproto3.Parse{Name: "cp", Query: "COPY t FROM STDIN"}, &pgproto3.Bind{PreparedStatement: "cp"}, &pgproto3.Execute{})
	expectTrace(t, []string{c.recv(), c.recv(), c.recv()}, "ParseComplete", "BindComplete", "CopyInResponse")
	c.send(&pgproto3.CopyData{Data: []byte("2\tb\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	expectTrace(t, c.untilRFQ(), "C COPY 1", "Z I")
	c.send(roundTrip("after copy")...)
	expect("after copy")
}

// TestInlineOneReadPerRoundTrip checks the point of the inline loop: a
// client that waits for each reply costs the server one read per round
// trip, not a read that fails and then one that succeeds.
func TestInlineOneReadPerRoundTrip(t *testing.T) {
	needTextIO(t)
	srv, _, addr := startServer(t, Config{})
	c := dialRaw(t, addr)
	c.startup()
	c.send(&pgproto3.Parse{Name: "echo", Query: "select $1"}, &pgproto3.Sync{})
	c.untilRFQ()
	srv.mu.Lock()
	var sc *conn
	for x := range srv.conns {
		sc = x
	}
	srv.mu.Unlock()
	if sc.rio.rc == nil {
		t.Skip("no inline loop on this platform")
	}
	before := sc.rio.reads.Load()
	const n = 200
	for i := range n {
		c.send(&pgproto3.Bind{PreparedStatement: "echo", Parameters: [][]byte{[]byte("x")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
		if got := c.untilRFQ(); len(got) != 4 || got[1] != "D x" {
			t.Fatalf("round trip %d: %v", i, got)
		}
	}
	// A wake-up for data an earlier read already took costs a read that
	// fails; allow a few.
	if reads := sc.rio.reads.Load() - before; reads > n+n/10 {
		t.Fatalf("%d reads for %d round trips", reads, n)
	}
}

func TestMentionsCopy(t *testing.T) {
	for s, want := range map[string]bool{
		"copy t from stdin": true, "/* load */ COPY t FROM STDIN": true, "select 1; Copy t to stdout": true,
		"select copy_count from t": true, // left to the ordinary loop: harmless
		"select 1":                 false, "cop": false, "": false, "select cpy, oy from t": false,
	} {
		if mentionsCopy(s) != want || mentionsCopy([]byte(s)) != want {
			t.Errorf("mentionsCopy(%q) != %v", s, want)
		}
	}
}
