package log

import (
	"errors"
	"testing"
)

// Appends started one after another without waiting are stored in the
// order they were started, a chunked one among them included.
func TestPipelinedAppendsInOrder(t *testing.T) {
	j := openTest(t, Options{Unsafe: true, MaxChunk: 4096})
	var recs []*Record
	var ps []Pending
	for i := range 8 {
		r := txnRecord(uint64(i+1), "pipelined")
		if i == 4 {
			r = bigRecord(uint64(i+1), 20000) // several chunks
		}
		p, err := j.StartAppend(testCtx(t), r)
		if err != nil {
			t.Fatalf("StartAppend %d: %v", i, err)
		}
		recs, ps = append(recs, r), append(ps, p)
	}
	var offs []Offset
	for i, p := range ps {
		off, err := p.Wait()
		if err != nil {
			t.Fatalf("Wait %d: %v", i, err)
		}
		if len(offs) > 0 && off <= offs[len(offs)-1] {
			t.Fatalf("record %d at offset %d, not after %d", i, off, offs[len(offs)-1])
		}
		offs = append(offs, off)
	}
	if offs[4]-offs[3] < 2 {
		t.Fatalf("the big record took offsets %d..%d: not chunked", offs[3]+1, offs[4])
	}
	it := mustRead(t, j, 0)
	for i, r := range recs {
		checkEntry(t, next(t, it), offs[i], r)
	}
	if last, err := j.Last(testCtx(t)); err != nil || last != offs[len(offs)-1] {
		t.Fatalf("Last = %d, %v; want %d", last, err, offs[len(offs)-1])
	}
}

// When an append in flight fails, the one sent after it is not stored even
// if the stream's last sequence happens to be the one it expected (here a
// foreign message took the failed record's place), fails too, and the
// writer refuses to send more until Recover.
func TestPipelinedFailureFailsLaterAppends(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	r1 := txnRecord(1, "a")
	mustAppend(t, j, r1)
	foreign := txnRecord(99, "another writer")
	if _, err := j.js.Publish(testCtx(t), j.o.Subject, appendRecordMessage(nil, foreign)); err != nil {
		t.Fatal(err)
	}
	// r2 expects last sequence 1 and is refused; r3 expects 2 — which the
	// foreign message has — and r2's id as the last message id.
	p2, err := j.StartAppend(testCtx(t), txnRecord(2, "b"))
	if err != nil {
		t.Fatal(err)
	}
	p3, err := j.StartAppend(testCtx(t), txnRecord(3, "c"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.Wait(); !errors.Is(err, ErrFenced) {
		t.Fatalf("r2: %v, want ErrFenced", err)
	}
	_, err = p3.Wait()
	if !errors.Is(err, errPipelineBroken) || !errors.Is(err, ErrFenced) {
		t.Fatalf("r3: %v, want its predecessor's failure", err)
	}
	if _, err := j.StartAppend(testCtx(t), txnRecord(4, "d")); !errors.Is(err, errPipelineBroken) {
		t.Fatalf("StartAppend before Recover: %v, want a refusal", err)
	}
	if err := j.Recover(testCtx(t)); !errors.Is(err, ErrFenced) {
		t.Fatalf("Recover = %v, want the fencing it recovered from", err)
	}
	if _, err := j.Append(testCtx(t), txnRecord(5, "e")); !errors.Is(err, ErrFenced) {
		t.Fatalf("Append after Recover: %v, want ErrFenced until Resync", err)
	}
	if last, err := j.Last(testCtx(t)); err != nil || last != 2 {
		t.Fatalf("Last = %d, %v; want 2 (r1 and the foreign record only)", last, err)
	}
	it := mustRead(t, j, 0)
	checkEntry(t, next(t, it), 1, r1)
	checkEntry(t, next(t, it), 2, foreign)
	// Taking over continues the pipeline after the foreign record.
	if _, err := j.Resync(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	r6 := txnRecord(6, "f")
	p6, err := j.StartAppend(testCtx(t), r6)
	if err != nil {
		t.Fatal(err)
	}
	r7 := txnRecord(7, "g")
	p7, err := j.StartAppend(testCtx(t), r7)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []Pending{p6, p7} {
		if off, err := p.Wait(); err != nil || off != Offset(3+i) {
			t.Fatalf("after Resync: offset %d, %v; want %d", off, err, 3+i)
		}
	}
	checkEntry(t, next(t, it), 3, r6)
	checkEntry(t, next(t, it), 4, r7)
}
