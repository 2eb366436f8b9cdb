package log

import (
	"bytes"
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
	const maxChunk = 64 << 10
	j := openTest(t, Options{Unsafe: true, MaxChunk: maxChunk})
	per := maxChunk - msgOverhead - chunkHeaderLen
	exact := sizedRecord(10 * per)
	for recordBodySize(exact)%per != 0 { // twice at most: the row's length varint may grow
		op := &exact.Txns[0].Ops[0]
		op.Row = append(op.Row, make([]byte, per-recordBodySize(exact)%per)...)
	}
	prev := Offset(0)
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
			// The group id is the writer's counter: compare everything else.
			w, _ := decodeMessage(want, off)
			if got.kind != w.kind || got.part != w.part || got.total != w.total || !bytes.Equal(got.body, w.body) {
				t.Fatalf("record %d part %d: kind %d part %d total %d, %d bytes; want kind %d part %d total %d, %d bytes",
					i, p, got.kind, got.part, got.total, len(got.body), w.kind, w.part, w.total, len(w.body))
			}
		}
		checkEntry(t, next(t, mustRead(t, j, prev+1)), off, r)
		prev = off
	}
}
