package pgwire

import (
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

func encode(msgs ...pgproto3.FrontendMessage) []byte {
	var b []byte
	for _, m := range msgs {
		var err error
		if b, err = m.Encode(b); err != nil {
			panic(err)
		}
	}
	return b
}

// FuzzServer feeds arbitrary bytes to a connection after a valid startup:
// the server must neither panic (recovered panics are counted) nor hang.
func FuzzServer(f *testing.F) {
	f.Add(encode(&pgproto3.Query{String: "select 1; rows 3; error 22012"}))
	f.Add(encode(&pgproto3.Parse{Name: "s", Query: "select $1"}, &pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("x")}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{}))
	f.Add(encode(&pgproto3.Parse{Query: "rows 4"}, &pgproto3.Bind{ResultFormatCodes: []int16{0, 1, 0}}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Execute{}, &pgproto3.Flush{}))
	f.Add(encode(&pgproto3.Query{String: "copy t from stdin"}, &pgproto3.CopyData{Data: []byte("1\tx\n2\t\\N\n\\.\n")}, &pgproto3.CopyDone{}))
	f.Add(encode(&pgproto3.Query{String: "copy t from stdin binary"}, &pgproto3.CopyData{Data: []byte("PGCOPY\n\xff\r\n\x00\x00\x00")}, &pgproto3.CopyFail{Message: "x"}))
	f.Add(encode(&pgproto3.Query{String: "copy t to stdout (format csv, header)"}, &pgproto3.Query{String: "set TimeZone Europe/Paris; ts"}))
	f.Add([]byte("Q\x00\x00\x00\x05\x00P\xff\xff\xff\xffX"))
	f.Add([]byte("B\x00\x00\x00\x0c\x00\x00\x00\x01\x00\x05\x00\x00\x00\x00"))

	eng := newTestEngine()
	eng.safe = true
	logw := io.Discard
	if testing.Verbose() {
		logw = os.Stderr
	}
	srv := NewServer(Config{MaxMessageSize: 1 << 16}, eng, slog.New(slog.NewTextHandler(logw, nil)))
	startup := encode(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "fuzz", "database": "db"}})

	f.Fuzz(func(t *testing.T, data []byte) {
		before := srv.Stats().Panics
		client, server := net.Pipe()
		c := srv.newConn(server)
		done := make(chan struct{})
		go func() { c.serve(); close(done) }()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		_ = client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := client.Write(startup); err != nil {
			t.Fatal(err)
		}
		_, _ = client.Write(data)
		client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("server hung on %q", data)
		}
		if n := srv.Stats().Panics - before; n != 0 {
			t.Fatalf("%d panics serving %q", n, data)
		}
	})
}
