package log

import (
	"errors"
	"testing"
	"time"
)

// A reader that caught up with the embedded log takes this process's
// acknowledged appends — single-message and chunked — from the writer,
// without a consumer, as the very records appended; one that starts at the
// end starts no consumer at all.
func TestLocalTailTakesOwnAppends(t *testing.T) {
	j := openTest(t, Options{Unsafe: true, MaxChunk: 64 << 10})
	a := txnRecord(1, "a")
	mustAppend(t, j, a)
	it := mustRead(t, j, 0).(*iterator)
	checkEntry(t, next(t, it), 1, a) // replayed through the consumer
	late := mustRead(t, j, 2).(*iterator)

	b := withVals(txnRecord(2, "b"))
	big := withVals(bigRecord(3, 200<<10)) // four chunks
	ob := mustAppend(t, j, b)
	obig := mustAppend(t, j, big)
	for _, r := range []*iterator{it, late} {
		e := next(t, r)
		checkEntry(t, e, ob, b)
		if e.Record != b {
			t.Fatal("the appended record was not taken at the local tail")
		}
		if e = next(t, r); e.Offset != obig || e.Record != big {
			t.Fatalf("chunked record: offset %d (want %d), taken %v", e.Offset, obig, e.Record == big)
		}
	}
	if n := it.taken.Load(); n != 2 {
		t.Fatalf("%d records taken at the local tail, want 2", n)
	}
	if n := late.starts.Load(); n != 0 {
		t.Fatalf("a reader starting at the end started %d consumers, want 0", n)
	}
}

// A message that is not one of this writer's acknowledged appends — here a
// foreign publish, as after a failed append whose record was stored — is
// never skipped by a reader waiting at the local tail: the writer's next
// append, or the reader's poll when none comes, makes it start its
// consumer at its position.
func TestLocalTailMeetsForeignMessages(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	a := txnRecord(1, "a")
	mustAppend(t, j, a)
	it := mustRead(t, j, 2).(*iterator)

	// No append follows: the poll finds it.
	f1 := txnRecord(90, "foreign, found by the poll")
	if _, err := j.js.Publish(testCtx(t), j.o.Subject, appendRecordMessage(nil, f1)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	checkEntry(t, next(t, it), 2, f1)
	t.Logf("found by the poll after %v", time.Since(start))

	// An ambiguous failure: the record is stored but the writer did not
	// learn it; its next append re-reads the stream and lands after it.
	f2 := txnRecord(91, "stored, ack lost")
	if _, err := j.js.Publish(testCtx(t), j.o.Subject, appendRecordMessage(nil, f2)); err != nil {
		t.Fatal(err)
	}
	j.stale = true
	c := txnRecord(4, "c")
	if off := mustAppend(t, j, c); off != 4 {
		t.Fatalf("offset %d, want 4", off)
	}
	checkEntry(t, next(t, it), 3, f2)
	checkEntry(t, next(t, it), 4, c)
	if it.starts.Load() == 0 {
		t.Fatal("no consumer was started for the foreign messages")
	}

	// Back at the tail, the next append is taken again.
	taken := it.taken.Load()
	d := txnRecord(5, "d")
	mustAppend(t, j, d)
	if e := next(t, it); e.Record != d {
		t.Fatal("after the foreign messages the next append was not taken at the local tail")
	}
	if it.taken.Load() != taken+1 {
		t.Fatal("taken count did not grow")
	}
}

// A reader of an external server never uses the local tail: another
// process may append.
func TestExternalServerHasNoLocalTail(t *testing.T) {
	j := openTest(t, Options{URL: startServer(t)})
	a := txnRecord(1, "a")
	mustAppend(t, j, a)
	it := mustRead(t, j, 2).(*iterator)
	b := txnRecord(2, "b")
	mustAppend(t, j, b)
	checkEntry(t, next(t, it), 2, b)
	if it.taken.Load() != 0 || it.local != nil {
		t.Fatal("a reader of an external server took a record at the local tail")
	}
}

// A reader waiting at the local tail while this process appends a chunked
// record does not pull the chunks already stored over NATS (they would
// compete with the append for the connection and the CPU): it waits for
// the append's outcome, then takes the record whole. If the append fails,
// it reads the stream from its position and never delivers the incomplete
// group.
func TestLocalTailWaitsForOwnChunkedAppend(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	mustAppend(t, j, txnRecord(1, "a"))
	it := mustRead(t, j, 2).(*iterator)
	const per = 1000
	for i, succeed := range []bool{true, false} {
		big := withVals(bigRecord(uint64(10+i), 2500))
		body := appendRecordBody(nil, big)
		parts := (len(body) + per - 1) / per
		group := uint64(1<<40 + i)
		// Registered as StartAppend registers a chunked append, then all
		// parts but the last stored; AppendRaw raises the frontier past
		// them, as a reader's poll of the stream's end would.
		first := j.lastSeq + 1
		expect := j.recent.put(Offset(first+uint64(parts-1)), first, big, body)
		if expect == 0 {
			t.Fatal("the append was not registered for the local reader")
		}
		publishGroup(t, j, group, body, per, parts-1, false)
		starts := it.starts.Load()
		expectNothing(t, it, 2*localPoll+100*time.Millisecond)
		if n := it.starts.Load(); n != starts {
			t.Fatalf("a reader at the local tail started %d consumers while the chunked append was in flight", n-starts)
		}
		if succeed {
			msg := appendChunkMessage(nil, true, group, uint32(parts-1), uint32(len(body)), body[(parts-1)*per:])
			off, err := j.AppendRaw(testCtx(t), msg)
			if err != nil {
				t.Fatal(err)
			}
			j.recent.settle(expect, off, nil)
			if e := next(t, it); e.Offset != off || e.Record != big {
				t.Fatalf("chunked record: offset %d (want %d), taken %v", e.Offset, off, e.Record == big)
			}
			if n := it.starts.Load(); n != starts {
				t.Fatalf("%d consumers started for an acknowledged chunked append, want 0", n-starts)
			}
			continue
		}
		j.recent.settle(expect, 0, errors.New("append failed"))
		expectNothing(t, it, 300*time.Millisecond)
		if it.starts.Load() == starts {
			t.Fatal("after the failed append the reader did not read the stream")
		}
		d := txnRecord(5, "after the failed append")
		od := mustAppend(t, j, d)
		checkEntry(t, next(t, it), od, d)
	}
}
