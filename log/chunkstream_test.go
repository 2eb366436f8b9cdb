package log

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// mixedRecord has many small operations and, every so often, rows larger
// than the pieces walkRecordBody gathers (handed on as they are).
func mixedRecord(seed uint64, ops int) *Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	var txns []Txn
	for t := 0; t < 3; t++ {
		tx := Txn{ID: uint64(t + 1), CommitTime: int64(rng.Uint64())}
		for i := 0; i < ops; i++ {
			n := rng.IntN(200)
			if rng.IntN(50) == 0 {
				n = streamPiece/4 + rng.IntN(3*streamPiece)
			}
			row := make([]byte, n)
			for k := range row {
				row[k] = byte(rng.Uint32())
			}
			tx.Ops = append(tx.Ops, Op{Kind: OpKind(1 + rng.IntN(3)), Table: rng.Uint32(), Key: []byte{byte(i), byte(i >> 8), 1}, Row: row})
		}
		txns = append(txns, tx)
	}
	return &Record{Txns: txns}
}

// The pieces walkRecordBody hands on are appendRecordBody's encoding, and
// recordBodyCRC is its CRC-32C.
func TestWalkRecordBodyIsAppendRecordBody(t *testing.T) {
	for i, r := range []*Record{{}, allOpsRecord(), sizedRecord(300_000), mixedRecord(1, 600), mixedRecord(2, 10)} {
		want := appendRecordBody(nil, r)
		var got []byte
		if err := walkRecordBody(r, func(b []byte) error { got = append(got, b...); return nil }); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d: walked %d bytes, appendRecordBody %d (or they differ)", i, len(got), len(want))
		}
		if recordBodyCRC(r) != crc32.Checksum(want, castagnoli) {
			t.Fatalf("record %d: recordBodyCRC differs", i)
		}
	}
}

// A chunked record's messages are byte for byte appendRecordBody's
// encoding cut every per bytes (what readers of the format expect), and
// it reads back whole — including a body that ends exactly at a part's
// end.
func TestStreamedChunksMatchTheFormat(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoChunkCompression=%v", plain), func(t *testing.T) {
			const maxChunk = 64 << 10
			j := openTest(t, Options{Unsafe: true, MaxChunk: maxChunk, NoChunkCompression: plain})
			per := maxChunk - msgOverhead - chunkHeaderLen
			exact := sizedRecord(10 * per)
			for recordBodySize(exact)%per != 0 { // twice at most: the row's length varint may grow
				op := &exact.Txns[0].Ops[0]
				op.Row = append(op.Row, make([]byte, per-recordBodySize(exact)%per)...)
			}
			prev := Offset(0)
			compressed := 0
			for i, r := range []*Record{mixedRecord(3, 500), exact} {
				off := mustAppend(t, j, r)
				body := appendRecordBody(nil, r)
				parts := (len(body) + per - 1) / per
				if int(off-prev) != parts {
					t.Fatalf("record %d: %d messages, want %d", i, off-prev, parts)
				}
				for p := 0; p < parts; p++ {
					m, err := j.getMsg(testCtx(t), uint64(prev)+1+uint64(p))
					if err != nil {
						t.Fatal(err)
					}
					frag := body[p*per : min((p+1)*per, len(body))]
					want := appendChunkMessage(nil, p == parts-1, 0, uint32(p), uint32(len(body)), frag)
					got, err := decodeMessage(m.Data, off)
					if err != nil {
						t.Fatal(err)
					}
					if got.s2 {
						compressed++
					}
					gotFrag, err := got.appendFragment(nil, off)
					if err != nil {
						t.Fatal(err)
					}
					// The group id is the writer's counter: compare everything else.
					w, _ := decodeMessage(want, off)
					if got.kind != w.kind || got.part != w.part || got.total != w.total || got.flen != len(frag) || !bytes.Equal(gotFrag, w.body) {
						t.Fatalf("record %d part %d: kind %d part %d total %d, %d bytes; want kind %d part %d total %d, %d bytes",
							i, p, got.kind, got.part, got.total, len(gotFrag), w.kind, w.part, w.total, len(w.body))
					}
				}
				checkEntry(t, next(t, mustRead(t, j, prev+1)), off, r)
				prev = off
			}
			if plain && compressed > 0 || !plain && compressed == 0 {
				t.Fatalf("%d parts compressed with NoChunkCompression %v", compressed, plain)
			}
		})
	}
}

// BenchmarkAppendLargeRecord appends a 128 MiB record (a bulk load's
// transaction) durably, in chunks of the embedded server's max payload:
// each chunk is one fsync, so the payload sets how many there are.
func BenchmarkAppendLargeRecord(b *testing.B) {
	r := sizedRecord(128 << 20)
	for _, mp := range []int{8 << 20, 32 << 20} {
		b.Run(fmt.Sprintf("payload=%dMiB", mp>>20), func(b *testing.B) {
			j := openTest(b, Options{MaxPayload: mp})
			ctx := context.Background()
			b.SetBytes(128 << 20)
			for b.Loop() {
				if _, err := j.Append(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A chunked append that fails midway — here a foreign message lands in
// the stream while two of its parts are in flight, so the next part's
// expected sequence is refused — leaves an incomplete group that no
// reader delivers, not even one waiting at the local tail for the append;
// the foreign message and the records after it arrive.
func TestChunkedAppendFailingMidwayIsNeverDelivered(t *testing.T) {
	j := openTest(t, Options{Unsafe: true, MaxChunk: 64 << 10})
	a := txnRecord(1, "before")
	oa := mustAppend(t, j, a)
	tail := mustRead(t, j, oa+1)
	foreign := txnRecord(90, "foreign")
	chunkSent = func(j *JetStream, part uint32) {
		if part == 2 {
			if _, err := j.js.Publish(testCtx(t), j.o.Subject, appendRecordMessage(nil, foreign)); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { chunkSent = nil }()
	big := withVals(bigRecord(5, 600<<10)) // ten parts
	if _, err := j.Append(testCtx(t), big); !errors.Is(err, ErrFenced) {
		t.Fatalf("append with a foreign message among its parts: %v, want ErrFenced", err)
	}
	chunkSent = nil
	if last, err := j.Last(testCtx(t)); err != nil || last <= oa+3 {
		t.Fatalf("Last = %d, %v: want the foreign message after the parts stored", last, err)
	}
	if _, err := j.Resync(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	after := txnRecord(2, "after")
	oc := mustAppend(t, j, after)
	for _, it := range []Iterator{tail, mustRead(t, j, 0)} {
		var got []*Record
		for {
			e := next(t, it)
			if e.Record == big || len(e.Record.Txns) > 0 && len(e.Record.Txns[0].Ops) > 1 {
				t.Fatal("a reader delivered the record whose append failed")
			}
			got = append(got, e.Record)
			if e.Offset == oc {
				break
			}
		}
		if n := len(got); n < 2 || got[n-1].Txns[0].ID != after.Txns[0].ID || got[n-2].Txns[0].ID != foreign.Txns[0].ID {
			t.Fatalf("%d records delivered; want … the foreign message, then the record after", n)
		}
	}
}
