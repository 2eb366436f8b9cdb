package log

import (
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
