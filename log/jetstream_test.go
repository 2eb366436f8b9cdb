package log

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/omendb/omendb/pgerr"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openTest opens a log in a fresh temporary directory unless o names one
// (or a URL). Tests use Unsafe (no fsync per message) unless they measure
// durability; the code paths are the same.
func openTest(t testing.TB, o Options) *JetStream {
	t.Helper()
	if o.Dir == "" && o.URL == "" {
		o.Dir = t.TempDir()
	}
	if o.Logger == nil {
		o.Logger = quiet
	}
	j, err := Open(testCtx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// startServer starts a NATS server with JetStream listening on a random
// loopback port, for tests of the external (URL) path.
func startServer(t testing.TB) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true, MaxPayload: 4 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(20 * time.Second) {
		t.Fatal("test NATS server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}

func mustAppend(t testing.TB, j *JetStream, r *Record) Offset {
	t.Helper()
	off, err := j.Append(testCtx(t), r)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

func mustRead(t testing.TB, j *JetStream, from Offset) Iterator {
	t.Helper()
	it, err := j.Read(testCtx(t), from)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { it.Close() })
	return it
}

// next reads one entry with a timeout.
func next(t testing.TB, it Iterator) Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e, err := it.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// expectNothing asserts that no record arrives within d.
func expectNothing(t testing.TB, it Iterator, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	e, err := it.Next(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expected no record, got offset %d, err %v", e.Offset, err)
	}
}

func txnRecord(id uint64, payload string) *Record {
	return &Record{Txns: []Txn{{ID: id, CommitTime: int64(id) * 10, Ops: []Op{
		{Kind: OpInsert, Table: 1, Key: fmt.Appendf(nil, "k%d", id), Row: []byte(payload)},
	}}}}
}

func checkEntry(t testing.TB, e Entry, off Offset, want *Record) {
	t.Helper()
	if e.Offset != off {
		t.Fatalf("offset %d, want %d", e.Offset, off)
	}
	if d := diffRecords(want, e.Record); d != "" {
		t.Fatalf("offset %d: %s", off, d)
	}
}

func TestRoundTripEveryOpKind(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	if last, err := j.Last(testCtx(t)); err != nil || last != 0 {
		t.Fatalf("empty log: Last = %d, %v", last, err)
	}
	r := allOpsRecord()
	before := time.Now().Add(-time.Second)
	off := mustAppend(t, j, r)
	off2 := mustAppend(t, j, &Record{}) // an empty record is a record
	if off != 1 || off2 != 2 {
		t.Fatalf("offsets %d, %d; want 1, 2", off, off2)
	}
	it := mustRead(t, j, 0)
	e := next(t, it)
	checkEntry(t, e, off, r)
	if e.Time.Before(before) || e.Time.After(time.Now().Add(time.Second)) {
		t.Fatalf("entry time %v is not about now", e.Time)
	}
	checkEntry(t, next(t, it), off2, &Record{})
	if last, err := j.Last(testCtx(t)); err != nil || last != off2 {
		t.Fatalf("Last = %d, %v; want %d", last, err, off2)
	}
	// Read from an offset starts there.
	checkEntry(t, next(t, mustRead(t, j, off2)), off2, &Record{})
}

func TestReopenKeepsEverythingAndContinues(t *testing.T) {
	dir := t.TempDir()
	j := openTest(t, Options{Dir: dir}) // SyncAlways: the default
	var recs []*Record
	for i := range 5 {
		recs = append(recs, txnRecord(uint64(i), fmt.Sprint("payload ", i)))
		if off := mustAppend(t, j, recs[i]); off != Offset(i+1) {
			t.Fatalf("offset %d, want %d", off, i+1)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j = openTest(t, Options{Dir: dir})
	if last, err := j.Last(testCtx(t)); err != nil || last != 5 {
		t.Fatalf("after reopen: Last = %d, %v; want 5", last, err)
	}
	recs = append(recs, txnRecord(99, "after reopen"))
	if off := mustAppend(t, j, recs[5]); off != 6 {
		t.Fatalf("offset after reopen %d, want 6", off)
	}
	it := mustRead(t, j, 0)
	for i, r := range recs {
		checkEntry(t, next(t, it), Offset(i+1), r)
	}
}

// bigRecord is one transaction whose rows add up to about n bytes of random
// data.
func bigRecord(seed uint64, n int) *Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	var ops []Op
	for n > 0 {
		sz := min(n, 300_000)
		row := make([]byte, sz)
		for i := range row {
			row[i] = byte(rng.Uint32())
		}
		ops = append(ops, Op{Kind: OpInsert, Table: 3, Key: fmt.Appendf(nil, "%08d", len(ops)), Row: row})
		n -= sz
	}
	return &Record{Txns: []Txn{{ID: 1, Ops: ops}}}
}

func TestLargeRecordIsChunkedAndArrivesWhole(t *testing.T) {
	j := openTest(t, Options{Unsafe: true, MaxChunk: 256 << 10})
	small := txnRecord(1, "before")
	big := bigRecord(1, 5<<20)
	after := txnRecord(2, "after")
	o1 := mustAppend(t, j, small)
	o2 := mustAppend(t, j, big)
	o3 := mustAppend(t, j, after)
	parts := (5<<20)/(256<<10-msgOverhead-chunkHeaderLen) + 1
	if int(o2-o1) < parts || o3 != o2+1 {
		t.Fatalf("offsets %d %d %d: the big record should use >= %d sequences", o1, o2, o3, parts)
	}
	it := mustRead(t, j, 0)
	checkEntry(t, next(t, it), o1, small)
	checkEntry(t, next(t, it), o2, big)
	checkEntry(t, next(t, it), o3, after)

	// Reading from any sequence inside the group still yields the record,
	// whose offset is >= from.
	for _, from := range []Offset{o1 + 1, o1 + 3, o2} {
		checkEntry(t, next(t, mustRead(t, j, from)), o2, big)
	}
	checkEntry(t, next(t, mustRead(t, j, o2+1)), o3, after)
	if last, err := j.Last(testCtx(t)); err != nil || last != o3 {
		t.Fatalf("Last = %d, %v; want %d", last, err, o3)
	}
}

func TestCancelledAppendLeavesWriterUsable(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := j.Append(ctx, txnRecord(1, "never sent")); !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a cancelled context: %v", err)
	}
	r := txnRecord(2, "sent")
	if off := mustAppend(t, j, r); off != 1 {
		t.Fatalf("offset %d, want 1", off)
	}
	checkEntry(t, next(t, mustRead(t, j, 0)), 1, r)
}

// publishGroup publishes parts [0, n) of a chunk group of a record whose
// body is body, split in pieces of size per; final marks part n-1 final.
func publishGroup(t *testing.T, j *JetStream, group uint64, body []byte, per, n int, final bool) Offset {
	t.Helper()
	var off Offset
	for p := range n {
		frag := body[p*per : min((p+1)*per, len(body))]
		msg := appendChunkMessage(nil, final && p == n-1, group, uint32(p), uint32(len(body)), frag)
		var err error
		if off, err = j.AppendRaw(testCtx(t), msg); err != nil {
			t.Fatal(err)
		}
	}
	return off
}

func TestIncompleteChunkGroupIsNeverDelivered(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	a := txnRecord(1, "a")
	oa := mustAppend(t, j, a)

	// A writer died after two of three parts.
	dead := appendRecordBody(nil, bigRecord(2, 3000))
	publishGroup(t, j, 77, dead, 1000, 2, false)
	if last, err := j.Last(testCtx(t)); err != nil || last != oa {
		t.Fatalf("Last with an incomplete group at the tail = %d, %v; want %d", last, err, oa)
	}
	it := mustRead(t, j, 0)
	checkEntry(t, next(t, it), oa, a)
	expectNothing(t, it, 300*time.Millisecond)

	// Later records still arrive: a plain one, then a complete group that
	// follows another dead group directly (part 0 restarts assembly).
	b := txnRecord(2, "b")
	ob := mustAppend(t, j, b)
	checkEntry(t, next(t, it), ob, b)
	publishGroup(t, j, 78, dead, 1000, 1, false)
	whole := bigRecord(3, 2500)
	body := appendRecordBody(nil, whole)
	oc := publishGroup(t, j, 79, body, 1000, 3, true)
	checkEntry(t, next(t, it), oc, whole)
	if last, err := j.Last(testCtx(t)); err != nil || last != oc {
		t.Fatalf("Last = %d, %v; want %d", last, err, oc)
	}

	// Orphan continuation chunks (part > 0 with no part 0: a fenced writer's
	// leftovers) are skipped, and so is a final chunk of a broken group.
	publishGroup(t, j, 80, dead, 1000, 2, false) // parts 0, 1
	msg := appendChunkMessage(nil, true, 81, 2, uint32(len(dead)), dead[2000:])
	if _, err := j.AppendRaw(testCtx(t), msg); err != nil { // final of another group
		t.Fatal(err)
	}
	if last, err := j.Last(testCtx(t)); err != nil || last != oc {
		t.Fatalf("Last after a broken group = %d, %v; want %d", last, err, oc)
	}
	d := txnRecord(4, "d")
	od := mustAppend(t, j, d)
	checkEntry(t, next(t, it), od, d)

	// A reader starting from scratch sees exactly a, b, the whole group, d.
	it2 := mustRead(t, j, 0)
	for _, w := range []struct {
		off Offset
		r   *Record
	}{{oa, a}, {ob, b}, {oc, whole}, {od, d}} {
		checkEntry(t, next(t, it2), w.off, w.r)
	}
}

func TestCorruptMessageStopsRead(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	a := txnRecord(1, "a")
	oa := mustAppend(t, j, a)
	bad := appendRecordMessage(nil, txnRecord(2, "flipped"))
	bad[len(bad)-6] ^= 0x01
	obad, err := j.AppendRaw(testCtx(t), bad)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, txnRecord(3, "after the corruption"))

	it := mustRead(t, j, 0)
	checkEntry(t, next(t, it), oa, a)
	for range 2 { // the error is sticky
		_, err = it.Next(testCtx(t))
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, pgerr.ErrCorrupt) {
			t.Fatalf("err %v, want ErrCorrupt", err)
		}
		if off, ok := OffsetOf(err); !ok || off != obad {
			t.Fatalf("error names offset %d (%v), want %d: %v", off, ok, obad, err)
		}
	}
	if pgerr.Code(err) != pgerr.DataCorrupted {
		t.Fatalf("SQLSTATE %s", pgerr.Code(err))
	}
	// Garbage that is not even our envelope.
	if _, err := j.AppendRaw(testCtx(t), []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	it = mustRead(t, j, obad+2)
	if _, err := it.Next(testCtx(t)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestUnknownVersionIsRejected(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	msg := appendRecordMessage(nil, txnRecord(1, "from the future"))
	msg[2] = FormatVersion + 1
	off, err := j.AppendRaw(testCtx(t), reseal(msg))
	if err != nil {
		t.Fatal(err)
	}
	_, err = mustRead(t, j, 0).Next(testCtx(t))
	if !errors.Is(err, ErrUnknownFormat) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want ErrUnknownFormat", err)
	}
	if got, _ := OffsetOf(err); got != off {
		t.Fatalf("error names offset %d, want %d", got, off)
	}
	if _, err := j.Last(testCtx(t)); !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("Last over an unknown version: %v", err)
	}
}

// TestExternalServerAndFencing uses the URL path: two writers on one
// stream of a NATS server listening on loopback.
func TestExternalServerAndFencing(t *testing.T) {
	url := startServer(t)
	w1 := openTest(t, Options{URL: url, Stream: "FENCE"})
	w2 := openTest(t, Options{URL: url, Stream: "FENCE"}) // reuses the stream
	if w1.MaxChunk() != 4<<20-chunkHeadroom {
		t.Fatalf("MaxChunk %d does not follow the server's max payload", w1.MaxChunk())
	}
	r1 := txnRecord(1, "w1")
	if off := mustAppend(t, w1, r1); off != 1 {
		t.Fatalf("offset %d", off)
	}
	_, err := w2.Append(testCtx(t), txnRecord(2, "w2"))
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("second writer: %v, want ErrFenced", err)
	}
	// The fenced writer stays stopped; the first goes on.
	if _, err := w2.Append(testCtx(t), txnRecord(3, "w2 again")); !errors.Is(err, ErrFenced) {
		t.Fatalf("fenced writer appended again: %v", err)
	}
	r2 := txnRecord(4, "w1 again")
	if off := mustAppend(t, w1, r2); off != 2 {
		t.Fatalf("offset %d", off)
	}
	// Taking over: w2 resyncs, w1 is now the one fenced.
	if last, err := w2.Resync(testCtx(t)); err != nil || last != 2 {
		t.Fatalf("Resync = %d, %v", last, err)
	}
	r3 := txnRecord(5, "w2 took over")
	if off := mustAppend(t, w2, r3); off != 3 {
		t.Fatalf("offset %d", off)
	}
	if _, err := w1.Append(testCtx(t), txnRecord(6, "w1 late")); !errors.Is(err, ErrFenced) {
		t.Fatalf("old writer: %v, want ErrFenced", err)
	}
	// Fencing also stops a chunked append before its first part.
	w1.fenced = nil
	w1.maxChunk = minChunk
	if _, err := w1.Append(testCtx(t), bigRecord(9, 1000)); !errors.Is(err, ErrFenced) {
		t.Fatalf("old writer, chunked: %v, want ErrFenced", err)
	}
	it := mustRead(t, w1, 0)
	checkEntry(t, next(t, it), 1, r1)
	checkEntry(t, next(t, it), 2, r2)
	checkEntry(t, next(t, it), 3, r3)
	expectNothing(t, it, 200*time.Millisecond)
}

func TestTailingReaderGetsLaterAppends(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	for i := range 3 {
		mustAppend(t, j, txnRecord(uint64(i), "early"))
	}
	it := mustRead(t, j, 0)
	for i := range 3 {
		next(t, it)
		_ = i
	}
	expectNothing(t, it, 200*time.Millisecond) // caught up; a timeout leaves it usable

	got := make(chan Entry, 1)
	errc := make(chan error, 1)
	go func() {
		e, err := it.Next(context.Background()) // blocks until the append
		if err != nil {
			errc <- err
			return
		}
		got <- e
	}()
	time.Sleep(100 * time.Millisecond)
	late := txnRecord(10, "late")
	off := mustAppend(t, j, late)
	select {
	case e := <-got:
		checkEntry(t, e, off, late)
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("tailing reader did not receive the record")
	}
}

func TestConcurrentReadersAndWriter(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	const n, readers = 300, 4
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	recs := make([]*Record, n)
	for i := range recs {
		recs[i] = randRecord(rng, 3, 4, 64)
	}
	// Half the records exist before the readers start; half arrive while
	// they read.
	for i := range n / 2 {
		mustAppend(t, j, recs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan error, readers+1)
	for range readers {
		wg.Go(func() {
			ctx := testCtx(t)
			it, err := j.Read(ctx, 0)
			if err != nil {
				errs <- err
				return
			}
			defer it.Close()
			for i := range n {
				e, err := it.Next(ctx)
				if err != nil {
					errs <- err
					return
				}
				if e.Offset != Offset(i+1) {
					errs <- fmt.Errorf("offset %d, want %d", e.Offset, i+1)
					return
				}
				if d := diffRecords(recs[i], e.Record); d != "" {
					errs <- fmt.Errorf("seed %d offset %d: %s", seed, i+1, d)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := n / 2; i < n; i++ {
			if _, err := j.Append(testCtx(t), recs[i]); err != nil {
				errs <- err
				return
			}
			if i%50 == 0 {
				if _, err := j.Last(testCtx(t)); err != nil {
					errs <- err
					return
				}
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestInjectRawIntoStoppedLog(t *testing.T) {
	dir := t.TempDir()
	j := openTest(t, Options{Dir: dir, Unsafe: true})
	a := txnRecord(1, "a")
	mustAppend(t, j, a)
	j.Close()
	off, err := InjectRaw(testCtx(t), Options{Dir: dir, Unsafe: true, Logger: quiet}, []byte("not a record"))
	if err != nil || off != 2 {
		t.Fatalf("InjectRaw = %d, %v", off, err)
	}
	j = openTest(t, Options{Dir: dir, Unsafe: true})
	it := mustRead(t, j, 0)
	checkEntry(t, next(t, it), 1, a)
	if _, err := it.Next(testCtx(t)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("after injection: %v", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	if _, err := Open(testCtx(t), Options{Logger: quiet}); err == nil {
		t.Fatal("Open without Dir or URL succeeded")
	}
	if _, err := Open(testCtx(t), Options{Dir: t.TempDir(), MaxChunk: 10, Logger: quiet}); err == nil {
		t.Fatal("Open with a 10-byte MaxChunk succeeded")
	}
	if _, err := Open(testCtx(t), Options{Dir: t.TempDir(), MaxChunk: 64 << 20, Logger: quiet}); err == nil {
		t.Fatal("Open with MaxChunk above the max payload succeeded")
	}
}

// The encoding of a chunked record is the record's body split in order.
func TestChunkBoundaries(t *testing.T) {
	j := openTest(t, Options{Unsafe: true, MaxChunk: minChunk + 5})
	r := bigRecord(4, 200)
	off := mustAppend(t, j, r)
	body := appendRecordBody(nil, r)
	per := minChunk + 5 - msgOverhead - chunkHeaderLen
	want := (len(body) + per - 1) / per
	if int(off) != want {
		t.Fatalf("%d-byte body in %d-byte fragments: last offset %d, want %d", len(body), per, off, want)
	}
	m, err := j.getMsg(testCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := decodeMessage(m.Data, 1)
	if err != nil || msg.kind != msgChunk || msg.part != 0 || !bytes.Equal(msg.body, body[:per]) {
		t.Fatalf("first chunk %+v, %v", msg, err)
	}
	checkEntry(t, next(t, mustRead(t, j, 0)), off, r)
}

// Closing an iterator stops its pump goroutine, whether it is waiting for
// messages or blocked handing one over; Next then fails.
func TestIteratorCloseStopsPump(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	for i := range 5 {
		mustAppend(t, j, txnRecord(uint64(i), "x"))
	}
	for _, read := range []int{0, 5} {
		it, err := j.Read(testCtx(t), 0)
		if err != nil {
			t.Fatal(err)
		}
		for range read {
			next(t, it)
		}
		time.Sleep(50 * time.Millisecond)
		it.Close()
		ch := it.(*iterator).ch
		deadline := time.After(10 * time.Second)
	drain:
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					break drain
				}
			case <-deadline:
				t.Fatalf("pump still running after Close (read %d)", read)
			}
		}
		if _, err := it.Next(testCtx(t)); err == nil {
			t.Fatal("Next after Close succeeded")
		}
	}
}

// After a failed append whose record was stored anyway (e.g. the PubAck
// timed out), the next Append continues after it instead of reporting a
// second writer.
func TestAppendAfterAmbiguousFailureContinues(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	mustAppend(t, j, txnRecord(1, "a"))
	// The "lost ack" record: stored, but the writer did not learn its
	// sequence.
	lost := txnRecord(2, "stored, ack lost")
	if _, err := j.js.Publish(testCtx(t), j.o.Subject, appendRecordMessage(nil, lost)); err != nil {
		t.Fatal(err)
	}
	j.stale = true // what publish sets after a non-fencing error
	c := txnRecord(3, "c")
	if off := mustAppend(t, j, c); off != 3 {
		t.Fatalf("offset %d, want 3", off)
	}
	// Without the failure, the same situation is a second writer.
	if _, err := j.js.Publish(testCtx(t), j.o.Subject, appendRecordMessage(nil, lost)); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(testCtx(t), c); !errors.Is(err, ErrFenced) {
		t.Fatalf("append after a foreign message: %v, want ErrFenced", err)
	}
	it := mustRead(t, j, 0)
	next(t, it)
	checkEntry(t, next(t, it), 2, lost)
	checkEntry(t, next(t, it), 3, c)
}

// Closing the log under an open iterator ends the iteration with an error
// rather than leaving Next blocked.
func TestCloseUnderOpenIterator(t *testing.T) {
	j := openTest(t, Options{Unsafe: true})
	mustAppend(t, j, txnRecord(1, "a"))
	it := mustRead(t, j, 0)
	next(t, it)
	j.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err := it.Next(ctx)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next after Close: %v, want a closed-connection error", err)
	}
}
