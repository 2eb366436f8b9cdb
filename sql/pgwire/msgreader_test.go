package pgwire

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestMsgReaderMatchesPgproto3 decodes a stream with the connection's own
// reader, one byte per Read and in one piece, and demands what pgproto3's
// Backend decodes from the same bytes.
func TestMsgReaderMatchesPgproto3(t *testing.T) {
	big := make([]byte, 3*readBufSize) // a message larger than the buffer
	for i := range big {
		big[i] = byte(i)
	}
	msgs := []pgproto3.FrontendMessage{
		&pgproto3.Parse{Name: "P0_1", Query: "select $1, $2", ParameterOIDs: []uint32{23, 25}},
		&pgproto3.Bind{DestinationPortal: "", PreparedStatement: "P0_1", ParameterFormatCodes: []int16{0, 1},
			Parameters: [][]byte{[]byte("42"), nil}, ResultFormatCodes: []int16{1}},
		&pgproto3.Bind{PreparedStatement: "P0_1", Parameters: [][]byte{{}, []byte("x")}},
		&pgproto3.Describe{ObjectType: 'P', Name: ""},
		&pgproto3.Describe{ObjectType: 'S', Name: "P0_1"},
		&pgproto3.Execute{Portal: "c1", MaxRows: 7},
		&pgproto3.Sync{},
		&pgproto3.Query{String: "select 1"},
		&pgproto3.CopyData{Data: big},
		&pgproto3.CopyDone{},
		&pgproto3.Close{ObjectType: 'S', Name: "P0_1"},
		&pgproto3.Flush{},
		&pgproto3.Terminate{},
	}
	var wire []byte
	for _, m := range msgs {
		var err error
		if wire, err = m.Encode(wire); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"whole", "one byte per read"} {
		t.Run(name, func(t *testing.T) {
			var r io.Reader = &sliceReader{b: wire}
			if name != "whole" {
				r = iotest.OneByteReader(r)
			}
			c := &conn{stmts: map[string]*prepared{}, portals: map[string]*portal{}}
			c.rd = msgReader{rd: r}
			be := pgproto3.NewBackend(&sliceReader{b: wire}, io.Discard)
			for i := range msgs {
				got, err := c.receive()
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				want, err := be.Receive()
				if err != nil {
					t.Fatal(err)
				}
				if msg, ok := sameMessage(got, want); !ok {
					t.Fatalf("message %d: %s", i, msg)
				}
			}
			if _, err := c.receive(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the last message: %v, want io.EOF", err)
			}
		})
	}
}

// sameMessage compares a message decoded by the connection's reader with
// pgproto3's decoding of the same bytes. Absent format lists are nil in
// pgproto3 and reused empty slices in ours; a NULL parameter must be nil in
// both.
func sameMessage(got, want pgproto3.FrontendMessage) (string, bool) {
	if b, ok := got.(*pgproto3.Bind); ok {
		w, ok := want.(*pgproto3.Bind)
		if !ok {
			return fmt.Sprintf("got %T, want %T", got, want), false
		}
		g, wc := *b, *w
		if len(g.ParameterFormatCodes) == 0 && len(wc.ParameterFormatCodes) == 0 {
			g.ParameterFormatCodes, wc.ParameterFormatCodes = nil, nil
		}
		if len(g.ResultFormatCodes) == 0 && len(wc.ResultFormatCodes) == 0 {
			g.ResultFormatCodes, wc.ResultFormatCodes = nil, nil
		}
		if len(g.Parameters) == len(wc.Parameters) {
			for j := range g.Parameters {
				if (g.Parameters[j] == nil) != (wc.Parameters[j] == nil) {
					return fmt.Sprintf("parameter %d: NULL-ness differs", j), false
				}
			}
		}
		got, want = &g, &wc
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("got %#v, want %#v", got, want), false
	}
	return "", true
}

// FuzzMsgReader decodes arbitrary bytes with the connection's own reader
// and with pgproto3's Backend: it must not panic, and every message both
// accept must decode the same. Where pgproto3 accepts a message, ours must
// too (it may refuse more, e.g. an unknown type pgproto3 would also refuse).
func FuzzMsgReader(f *testing.F) {
	for _, m := range []pgproto3.FrontendMessage{
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{[]byte("x"), nil}, ResultFormatCodes: []int16{0, 1}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Execute{Portal: "p", MaxRows: 3},
		&pgproto3.Sync{},
		&pgproto3.Parse{Name: "s", Query: "select $1", ParameterOIDs: []uint32{23}},
	} {
		b, err := m.Encode(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("B\x00\x00\x00\x10\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09ab"))
	f.Fuzz(func(t *testing.T, wire []byte) {
		c := &conn{stmts: map[string]*prepared{}, portals: map[string]*portal{}}
		c.rd = msgReader{rd: &sliceReader{b: wire}, maxBody: 1 << 16}
		be := pgproto3.NewBackend(&sliceReader{b: wire}, io.Discard)
		be.SetMaxBodyLen(1 << 16)
		for i := 0; i < 64; i++ {
			got, gerr := c.receive()
			want, werr := be.Receive()
			if gerr != nil || werr != nil {
				// The two may part ways at a malformed message; after
				// that their positions in the stream differ.
				if gerr != nil && werr == nil && want != nil && knownFrontend(want) {
					t.Fatalf("message %d: ours refused %T that pgproto3 accepted: %v", i, want, gerr)
				}
				return
			}
			if msg, ok := sameMessage(got, want); !ok {
				t.Fatalf("message %d: %s", i, msg)
			}
		}
	})
}

func TestMsgReaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		wire string
		want func(error) bool
	}{
		{"truncated body", "Q\x00\x00\x00\x09ab", func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{"truncated header", "Q\x00\x00", func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{"length below 4", "S\x00\x00\x00\x03", func(err error) bool { return err != nil }},
		{"too big", "Q\x00\x01\x00\x00", func(err error) bool {
			var e *pgproto3.ExceededMaxBodyLenErr
			return errors.As(err, &e) && e.ActualBodyLen == 0x10000-4
		}},
		{"unknown type", "z\x00\x00\x00\x04", func(err error) bool { return err != nil }},
		{"bind without names", "B\x00\x00\x00\x05\x00", func(err error) bool { return err != nil }},
		{"bind parameter past the end", "B\x00\x00\x00\x10\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09ab", func(err error) bool { return err != nil }},
		{"execute without row count", "E\x00\x00\x00\x06\x00\x01", func(err error) bool { return err != nil }},
		{"describe with trailing bytes", "D\x00\x00\x00\x08P\x00xy", func(err error) bool { return err != nil }},
		{"sync with a body", "S\x00\x00\x00\x05x", func(err error) bool { return err != nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &conn{stmts: map[string]*prepared{}, portals: map[string]*portal{}}
			c.rd = msgReader{rd: &sliceReader{b: []byte(tc.wire)}, maxBody: 1000}
			_, err := c.receive()
			if !tc.want(err) {
				t.Fatalf("error %v", err)
			}
		})
	}
}

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// knownFrontend reports whether m is one of the messages the connection's
// reader decodes itself (the others go through pgproto3 as well).
func knownFrontend(m pgproto3.FrontendMessage) bool {
	switch m.(type) {
	case *pgproto3.Bind, *pgproto3.Describe, *pgproto3.Execute, *pgproto3.Sync:
		return true
	}
	return false
}
