package log

import (
	"errors"
	"testing"
	"time"
)

// appendMix appends n records, every third one chunked (MaxChunk is small),
// and returns their offsets.
func appendMix(t *testing.T, j *JetStream, n int) []Offset {
	t.Helper()
	var offs []Offset
	for i := range n {
		r := txnRecord(uint64(i), "small")
		if i%3 == 1 {
			r = bigRecord(uint64(i), 3*j.MaxChunk())
		}
		offs = append(offs, mustAppend(t, j, r))
		time.Sleep(2 * time.Millisecond) // distinct stored times for OffsetAt
	}
	return offs
}

// readAll reads every record from from up to last.
func readOffsets(t *testing.T, j *JetStream, from, last Offset) []Offset {
	t.Helper()
	it := mustRead(t, j, from)
	defer it.Close()
	var got []Offset
	for len(got) == 0 || got[len(got)-1] < last {
		got = append(got, next(t, it).Offset)
	}
	return got
}

func TestTrimKeepsWholeRecordsAndReadsFailBelowIt(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	j := openTest(t, Options{Dir: dir, MaxChunk: 256, Unsafe: true})
	if first, err := j.FirstOffset(ctx); err != nil || first != 1 {
		t.Fatalf("FirstOffset of a new log = %d, %v; want 1", first, err)
	}
	offs := appendMix(t, j, 12)
	last := offs[len(offs)-1]

	// Trim through the 4th record: the 5th (chunked) record is kept whole.
	first, err := j.Trim(ctx, offs[3])
	if err != nil {
		t.Fatal(err)
	}
	if first != offs[3]+1 {
		t.Fatalf("Trim returned first offset %d, want %d", first, offs[3]+1)
	}
	if got, _ := j.FirstOffset(ctx); got != first {
		t.Fatalf("FirstOffset = %d after Trim, want %d", got, first)
	}
	if got := readOffsets(t, j, offs[4], last); len(got) != len(offs)-4 || got[0] != offs[4] {
		t.Fatalf("read after trim gave %v, want %v", got, offs[4:])
	}
	for _, from := range []Offset{0, 1, offs[3]} {
		_, err := j.Read(ctx, from)
		var te *TrimmedError
		if !errors.Is(err, ErrTrimmed) || !errors.As(err, &te) || te.First != first {
			t.Fatalf("Read(%d) after trim: %v; want a TrimmedError naming first offset %d", from, err, first)
		}
	}

	// A trim point inside a chunked record (offs[7] is chunked: its parts
	// end at its offset) keeps that record entirely.
	inside := offs[7] - 1
	first, err = j.Trim(ctx, inside)
	if err != nil {
		t.Fatal(err)
	}
	if first != offs[6]+1 {
		t.Fatalf("trim inside a chunked record: first offset %d, want %d (the record's first part)", first, offs[6]+1)
	}
	if got := readOffsets(t, j, first, last); got[0] != offs[7] {
		t.Fatalf("the chunked record was cut: read %v", got)
	}

	// The last record is never trimmed, and a restart keeps the stream's
	// sequence: appends continue after the last offset.
	if first, err = j.Trim(ctx, last+100); err != nil {
		t.Fatal(err)
	}
	if got := readOffsets(t, j, first, last); len(got) != 1 || got[0] != last {
		t.Fatalf("trim through the end kept %v, want only the last record %d", got, last)
	}
	j.Close()
	j = openTest(t, Options{Dir: dir, MaxChunk: 256, Unsafe: true})
	if got, err := j.Last(ctx); err != nil || got != last {
		t.Fatalf("Last after reopen = %d, %v; want %d", got, err, last)
	}
	if got, _ := j.FirstOffset(ctx); got != first {
		t.Fatalf("FirstOffset after reopen = %d, want %d", got, first)
	}
	if off := mustAppend(t, j, txnRecord(99, "after")); off != last+1 {
		t.Fatalf("append after trim and reopen at %d, want %d", off, last+1)
	}
}

func TestOffsetAt(t *testing.T) {
	ctx := testCtx(t)
	j := openTest(t, Options{MaxChunk: 256, Unsafe: true})
	if off, err := j.OffsetAt(ctx, time.Now()); err != nil || off != 0 {
		t.Fatalf("OffsetAt on an empty log = %d, %v", off, err)
	}
	before := time.Now().Add(-time.Second)
	offs := appendMix(t, j, 9)
	it := mustRead(t, j, 1)
	var ents []Entry
	for range offs {
		ents = append(ents, next(t, it))
	}
	it.Close()
	if off, err := j.OffsetAt(ctx, before); err != nil || off != 0 {
		t.Fatalf("OffsetAt before the first record = %d, %v; want 0", off, err)
	}
	for i, e := range ents {
		if off, err := j.OffsetAt(ctx, e.Time); err != nil || off != e.Offset {
			t.Fatalf("OffsetAt(time of record %d) = %d, %v; want %d", i, off, err, e.Offset)
		}
		want := Offset(0)
		if i > 0 {
			want = ents[i-1].Offset
		}
		if off, err := j.OffsetAt(ctx, e.Time.Add(-time.Nanosecond)); err != nil || off != want {
			t.Fatalf("OffsetAt(just before record %d) = %d, %v; want %d", i, off, err, want)
		}
	}
	if off, err := j.OffsetAt(ctx, time.Now().Add(time.Hour)); err != nil || off != offs[len(offs)-1] {
		t.Fatalf("OffsetAt(future) = %d, %v", off, err)
	}
	// A chunked record counts at its final chunk: at the time its first
	// part was stored, the record did not exist yet.
	chunked := ents[4] // i%3 == 1
	m, err := j.getMsg(ctx, uint64(ents[3].Offset)+1)
	if err != nil || m == nil {
		t.Fatalf("first part of the chunked record: %v", err)
	}
	if m.Time.Before(chunked.Time) {
		if off, err := j.OffsetAt(ctx, m.Time); err != nil || off != ents[3].Offset {
			t.Fatalf("OffsetAt(first chunk's time) = %d, %v; want the previous record %d", off, err, ents[3].Offset)
		}
	}

	// After a trim, times before the first retained record are gone.
	if _, err := j.Trim(ctx, ents[5].Offset); err != nil {
		t.Fatal(err)
	}
	if _, err := j.OffsetAt(ctx, ents[2].Time); !errors.Is(err, ErrTrimmed) {
		t.Fatalf("OffsetAt before the first retained record: %v, want ErrTrimmed", err)
	}
	if off, err := j.OffsetAt(ctx, ents[7].Time); err != nil || off != ents[7].Offset {
		t.Fatalf("OffsetAt after trim = %d, %v; want %d", off, err, ents[7].Offset)
	}
}
