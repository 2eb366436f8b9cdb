package log

import (
	"testing"

	"github.com/omendb/omendb/types"
)

// withVals gives every op of r decoded values, as the committer does.
func withVals(r *Record) *Record {
	for i := range r.Txns {
		for k := range r.Txns[i].Ops {
			r.Txns[i].Ops[k].Vals = []types.Value{types.NewInt(int64(k))}
		}
	}
	return r
}

func hasVals(r *Record) bool {
	for _, t := range r.Txns {
		for _, op := range t.Ops {
			if op.Vals == nil {
				return false
			}
		}
	}
	return len(r.Txns) > 0
}

// A reader open while this process appends gets the appended records
// themselves (rows still decoded), single-message and chunked alike; a
// reader that comes later decodes the bytes, and nothing stays kept once
// every reader has passed.
func TestOwnAppendsReachReadersDecoded(t *testing.T) {
	j := openTest(t, Options{Unsafe: true, MaxChunk: 256 << 10})
	early := withVals(txnRecord(1, "unseen")) // no reader open yet: not kept
	o0 := mustAppend(t, j, early)
	tail := mustRead(t, j, o0+1)
	small := withVals(txnRecord(2, "small"))
	big := withVals(bigRecord(2, 2<<20))
	o1 := mustAppend(t, j, small)
	o2 := mustAppend(t, j, big)
	if o2-o1 < 2 {
		t.Fatalf("the big record took %d sequences, want a chunked record", o2-o1)
	}
	for _, c := range []struct {
		off Offset
		r   *Record
	}{{o1, small}, {o2, big}} {
		e := next(t, tail)
		checkEntry(t, e, c.off, c.r)
		if e.Record != c.r || !hasVals(e.Record) {
			t.Fatalf("offset %d: the tailing reader decoded the record instead of taking the appended one", c.off)
		}
	}
	j.recent.mu.Lock()
	kept := len(j.recent.recs)
	j.recent.mu.Unlock()
	if kept != 0 {
		t.Fatalf("%d records still kept after the only reader passed them", kept)
	}
	late := mustRead(t, j, 0)
	for _, c := range []struct {
		off Offset
		r   *Record
	}{{o0, early}, {o1, small}, {o2, big}} {
		e := next(t, late)
		checkEntry(t, e, c.off, c.r)
		if e.Record == c.r || hasVals(e.Record) {
			t.Fatalf("offset %d: a later reader got the kept record", c.off)
		}
	}
}

// A kept record is used only for the body it was appended with, and a
// failed append withdraws it.
func TestRecentChecksBodyAndWithdraws(t *testing.T) {
	var c recent
	p := c.open(1)
	r := withVals(txnRecord(1, "x"))
	body := appendRecordBody(nil, r)
	if got := c.put(5, 5, r, body); got != 5 {
		t.Fatalf("put returned %d, want 5", got)
	}
	if c.get(5, body) != r {
		t.Fatal("the kept record was not returned for its own body")
	}
	other := append([]byte(nil), body...)
	other[len(other)-1] ^= 1
	if c.get(5, other) != nil || c.get(4, body) != nil {
		t.Fatal("a kept record was returned for another body or offset")
	}
	c.settle(5, 6, nil) // appended elsewhere than expected: withdrawn
	if c.get(5, body) != nil {
		t.Fatal("a record whose append landed elsewhere is still kept")
	}
	c.put(7, 7, r, body)
	c.settle(7, 7, nil)
	c.passed(p, 7)
	if c.get(7, body) != nil {
		t.Fatal("a record every reader passed is still kept")
	}
	c.close(p)
	if c.put(9, 9, r, body) != 0 {
		t.Fatal("a record was kept with no reader open")
	}
}

// A chunked record at the offset where this process registered another
// record of the same length is not taken for it: the reader re-reads the
// parts and decodes what is really stored. (A reader of an external
// server: one at the embedded server's local tail does not read the parts
// of an append still in flight, it waits for its outcome.)
func TestOwnChunkedRecordMismatchIsDecoded(t *testing.T) {
	j := openTest(t, Options{URL: startServer(t), MaxChunk: 64 << 10})
	mustAppend(t, j, txnRecord(1, "first"))
	it := mustRead(t, j, 2)
	real := bigRecord(5, 300<<10)
	body := appendRecordBody(nil, real)
	per := 40 << 10
	n := (len(body) + per - 1) / per
	decoy := withVals(bigRecord(6, 300<<10))
	decoyBody := appendRecordBody(nil, decoy)
	if len(decoyBody) != len(body) {
		t.Fatalf("decoy body %d bytes, real %d", len(decoyBody), len(body))
	}
	if j.recent.put(Offset(1+n), 2, decoy, decoyBody) == 0 {
		t.Fatal("the decoy was not registered")
	}
	off := publishGroup(t, j, 77, body, per, n, true)
	if off != Offset(1+n) {
		t.Fatalf("group ends at %d, want %d", off, 1+n)
	}
	e := next(t, it)
	checkEntry(t, e, off, real)
	if e.Record == decoy || hasVals(e.Record) {
		t.Fatal("the reader took the registered record for different stored bytes")
	}
}
