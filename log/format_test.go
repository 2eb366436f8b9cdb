package log

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// allOpsRecord has every op kind, empty and non-empty keys and rows, and
// extreme integers.
func allOpsRecord() *Record {
	return &Record{Txns: []Txn{
		{ID: 1, CommitTime: 1_700_000_000_000_000, Ops: []Op{
			{Kind: OpInsert, Table: 7, Key: []byte("k1"), Row: []byte("row one")},
			{Kind: OpUpdate, Table: 7, Key: []byte("k1"), Row: []byte("row one, updated")},
			{Kind: OpDelete, Table: 7, Key: []byte("k1")},
		}},
		{ID: math.MaxUint64, CommitTime: -1, Ops: []Op{
			{Kind: OpTruncate, Table: math.MaxUint32},
			{Kind: OpDDL, Row: []byte(`{"create table":"t"}`)},
			{Kind: OpMeta, Key: []byte("cdc/pg1"), Row: []byte{0, 0, 0, 1, 0xff}},
		}},
		{ID: 3, CommitTime: math.MinInt64}, // a transaction without ops
	}}
}

// randRecord returns a random record: up to maxTxns txns of up to maxOps ops
// with keys and rows up to maxLen bytes.
func randRecord(rng *rand.Rand, maxTxns, maxOps, maxLen int) *Record {
	r := &Record{}
	nt := rng.IntN(maxTxns + 1)
	for range nt {
		t := Txn{ID: rng.Uint64(), CommitTime: rng.Int64() - math.MaxInt64/2}
		no := rng.IntN(maxOps + 1)
		for range no {
			op := Op{Kind: OpKind(1 + rng.IntN(int(OpMeta))), Table: rng.Uint32()}
			if n := rng.IntN(maxLen + 1); n > 0 {
				op.Key = make([]byte, n)
				for i := range op.Key {
					op.Key[i] = byte(rng.Uint32())
				}
			}
			if n := rng.IntN(maxLen + 1); n > 0 {
				op.Row = make([]byte, n)
				for i := range op.Row {
					op.Row[i] = byte(rng.Uint32())
				}
			}
			t.Ops = append(t.Ops, op)
		}
		r.Txns = append(r.Txns, t)
	}
	return r
}

// diffRecords describes the first difference between two records ("" if
// equal; nil and empty byte slices are equal).
func diffRecords(want, got *Record) string {
	if got == nil {
		return "got nil record"
	}
	if len(want.Txns) != len(got.Txns) {
		return fmt.Sprintf("%d txns, want %d", len(got.Txns), len(want.Txns))
	}
	for i := range want.Txns {
		w, g := &want.Txns[i], &got.Txns[i]
		if w.ID != g.ID || w.CommitTime != g.CommitTime || len(w.Ops) != len(g.Ops) {
			return fmt.Sprintf("txn %d: id %d time %d ops %d, want %d %d %d", i, g.ID, g.CommitTime, len(g.Ops), w.ID, w.CommitTime, len(w.Ops))
		}
		for k := range w.Ops {
			wo, gop := &w.Ops[k], &g.Ops[k]
			if wo.Kind != gop.Kind || wo.Table != gop.Table || !bytes.Equal(wo.Key, gop.Key) || !bytes.Equal(wo.Row, gop.Row) {
				return fmt.Sprintf("txn %d op %d: %+v, want %+v", i, k, *gop, *wo)
			}
		}
	}
	return ""
}

func TestFormatRoundTripAllOps(t *testing.T) {
	r := allOpsRecord()
	b := appendRecordMessage(nil, r)
	got, err := decodeSingle(b, 9)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffRecords(r, got); d != "" {
		t.Fatal(d)
	}
	// Appending to a non-empty buffer encodes the same bytes after it.
	b2 := appendRecordMessage([]byte("prefix"), r)
	if !bytes.Equal(b2[6:], b) {
		t.Fatal("encoding depends on the buffer's prior contents")
	}
}

// TestFormatGolden pins the version-1 bytes of a small record; it is the
// worked example in docs/format.md. Changing it means a new format version.
func TestFormatGolden(t *testing.T) {
	r := &Record{Txns: []Txn{{ID: 5, CommitTime: -2, Ops: []Op{
		{Kind: OpInsert, Table: 300, Key: []byte{0x01}, Row: []byte("hi")},
	}}}}
	got := appendRecordMessage(nil, r)
	want := []byte{
		'O', 'L', 1, 1, 0, 0, 12, 0, 0, 0, // magic, version, kind=record, flags, body length 12
		0x01,       // 1 txn
		0x05,       // id 5
		0x03,       // commit time -2, zigzag
		0x01,       // 1 op
		0x01,       // insert
		0xac, 0x02, // table 300
		0x01, 0x01, // key length 1, key
		0x02, 'h', 'i', // row length 2, row
	}
	want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding\n got % x\nwant % x", got, want)
	}
	// The CRC pinned in docs/format.md's worked example.
	if c := binary.LittleEndian.Uint32(got[len(got)-4:]); c != 0x984b3f23 {
		t.Fatalf("golden CRC is %#08x, docs/format.md says 0x984b3f23", c)
	}
	// CRC-32C's published check value: the table is Castagnoli's.
	if c := crc32.Checksum([]byte("123456789"), castagnoli); c != 0xe3069283 {
		t.Fatalf("CRC-32C check value %#08x, want 0xe3069283", c)
	}
}

func TestFormatRandomRoundTrip(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	var buf []byte
	for i := range 2000 {
		r := randRecord(rng, 5, 6, 40)
		buf = appendRecordMessage(buf[:0], r)
		got, err := decodeSingle(buf, Offset(i+1))
		if err != nil {
			t.Fatalf("seed %d record %d: %v", seed, i, err)
		}
		if d := diffRecords(r, got); d != "" {
			t.Fatalf("seed %d record %d: %s", seed, i, d)
		}
	}
}

// Every single-bit flip and every truncation of a message is detected as
// corruption, never as a different record.
func TestFormatDetectsEveryBitFlipAndTruncation(t *testing.T) {
	b := appendRecordMessage(nil, allOpsRecord())
	for i := range len(b) * 8 {
		c := bytes.Clone(b)
		c[i/8] ^= 1 << (i % 8)
		_, err := decodeSingle(c, 42)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("bit %d flipped: err %v, want ErrCorrupt", i, err)
		}
	}
	for n := range len(b) {
		if _, err := decodeSingle(b[:n], 42); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: err %v, want ErrCorrupt", n, err)
		}
	}
}

// reseal recomputes the CRC of a message after a test edited it.
func reseal(b []byte) []byte {
	end := len(b) - trailerLen
	binary.LittleEndian.PutUint32(b[end:], crc32.Checksum(b[:end], castagnoli))
	return b
}

func TestFormatErrorsCarryOffsetAndClass(t *testing.T) {
	good := appendRecordMessage(nil, allOpsRecord())

	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 0x40
	_, err := decodeSingle(bad, 1234)
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, pgerr.ErrCorrupt) || errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("checksum failure: %v", err)
	}
	if off, ok := OffsetOf(fmt.Errorf("wrapped: %w", err)); !ok || off != 1234 {
		t.Fatalf("OffsetOf = %d, %v; want 1234", off, ok)
	}
	if code := pgerr.Code(err); code != pgerr.DataCorrupted {
		t.Fatalf("SQLSTATE %s, want %s", code, pgerr.DataCorrupted)
	}

	cases := map[string]func(b []byte) []byte{
		"version 2": func(b []byte) []byte { b[2] = 2; return reseal(b) },
		"version 0": func(b []byte) []byte { b[2] = 0; return reseal(b) },
		"flags":     func(b []byte) []byte { b[4] = 1; return reseal(b) },
		"kind 9":    func(b []byte) []byte { b[3] = 9; return reseal(b) },
		"op kind 7": func(b []byte) []byte {
			// The first op's kind byte in allOpsRecord: after ntxn, id,
			// commit time (8 bytes of varint) and op count.
			i := headerLen + 1 + 1 + binary.PutVarint(make([]byte, 10), 1_700_000_000_000_000) + 1
			if b[i] != byte(OpInsert) {
				panic("test layout changed")
			}
			b[i] = 7
			return reseal(b)
		},
	}
	for name, edit := range cases {
		_, err := decodeSingle(edit(bytes.Clone(good)), 77)
		if !errors.Is(err, ErrUnknownFormat) || errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrUnknownFormat only", name, err)
		}
		if off, _ := OffsetOf(err); off != 77 {
			t.Errorf("%s: offset %d, want 77", name, off)
		}
	}
}

func TestFormatRejectsMalformedBodies(t *testing.T) {
	body := func(parts ...[]byte) []byte {
		b := beginMessage(nil, msgRecord)
		for _, p := range parts {
			b = append(b, p...)
		}
		return finishMessage(b, 0)
	}
	cases := map[string][]byte{
		"empty body":             body(),
		"huge txn count":         body([]byte{0xff, 0xff, 0xff, 0xff, 0x0f}),
		"non-minimal varint":     body([]byte{0x80, 0x00}),
		"truncated txn":          body([]byte{0x01, 0x05}),
		"huge op count":          body([]byte{0x01, 0x01, 0x00, 0xff, 0xff, 0x03}),
		"key overruns":           body([]byte{0x01, 0x01, 0x00, 0x01, 0x01, 0x00, 0x05, 'a'}),
		"table over 32 bits":     body([]byte{0x01, 0x01, 0x00, 0x01, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x00}),
		"trailing bytes":         body([]byte{0x00, 0x00}),
		"varint overflow":        body([]byte{0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}),
		"body length too large":  func() []byte { b := body([]byte{0x00}); b[6]++; return reseal(b) }(),
		"chunk without a header": func() []byte { b := body([]byte{0x00}); b[3] = msgChunk; return reseal(b) }(),
	}
	for name, b := range cases {
		if _, err := decodeSingle(b, 5); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
	// The empty record is valid.
	if r, err := decodeSingle(body([]byte{0x00}), 5); err != nil || len(r.Txns) != 0 {
		t.Fatalf("empty record: %v, %v", r, err)
	}
}

func TestFormatChunkMessages(t *testing.T) {
	frag := []byte("fragment")
	b := appendChunkMessage(nil, true, 0x0102030405060708, 3, 100, frag)
	m, err := decodeMessage(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.kind != msgFinal || m.group != 0x0102030405060708 || m.part != 3 || m.total != 100 || !bytes.Equal(m.body, frag) {
		t.Fatalf("decoded %+v", m)
	}
	// A fragment longer than the record it belongs to is corrupt.
	b = appendChunkMessage(nil, false, 1, 0, 4, frag)
	if _, err := decodeMessage(b, 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("oversized fragment: %v", err)
	}
	if _, err := decodeSingle(appendChunkMessage(nil, false, 1, 0, 8, frag), 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("decodeSingle of a chunk: %v", err)
	}
}

// A chunk's fragment compressed with S2 (flagS2) decodes to the same
// fragment; the flag on a whole record, a compressed fragment longer than
// its record, and a block that does not decompress are all refused.
func TestFormatCompressedChunks(t *testing.T) {
	frag := bytes.Repeat([]byte("lineitem|"), 1000)
	plain := appendChunkMessage(nil, true, 7, 2, 20000, frag)
	z, ok := compressChunkMessage(nil, plain)
	if !ok || len(z) >= len(plain)/4 {
		t.Fatalf("compressed to %d bytes (ok %v) from %d", len(z), ok, len(plain))
	}
	m, err := decodeMessage(z, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.appendFragment([]byte("x"), 1)
	if err != nil || !m.s2 || m.flen != len(frag) || m.kind != msgFinal || m.group != 7 || m.part != 2 || m.total != 20000 ||
		!bytes.Equal(got[1:], frag) || got[0] != 'x' {
		t.Fatalf("decoded %+v fragment %d bytes, %v", m, len(got), err)
	}
	// Random bytes do not compress: sent as they are.
	noise := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	if _, ok := compressChunkMessage(nil, appendChunkMessage(nil, false, 1, 0, 5000, noise)); ok {
		t.Fatal("an incompressible fragment was compressed")
	}
	refix := func(b []byte) []byte { // recompute the CRC after an edit
		b = b[:len(b)-trailerLen]
		return finishMessage(b, 0)
	}
	rec := appendRecordMessage(nil, sizedRecord(100))
	binary.LittleEndian.PutUint16(rec[4:], flagS2)
	if _, err := decodeMessage(refix(rec), 1); !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("flagS2 on a record: %v", err)
	}
	small := bytes.Clone(z)
	binary.LittleEndian.PutUint32(small[headerLen+12:], uint32(len(frag)-1)) // total below the fragment
	if _, err := decodeMessage(refix(small), 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("compressed fragment longer than its record: %v", err)
	}
	bad := bytes.Clone(z)
	for i := headerLen + chunkHeaderLen + 3; i < len(bad)-trailerLen; i++ {
		bad[i] ^= 0x5a
	}
	m, err = decodeMessage(refix(bad), 1)
	if err == nil {
		_, err = m.appendFragment(nil, 1)
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a block that does not decompress: %v", err)
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, size := range []int{200, 64 << 10} {
		r := sizedRecord(size)
		b.Run(fmt.Sprintf("size=%s", sizeName(size)), func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				buf = appendRecordMessage(buf[:0], r)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, size := range []int{200, 64 << 10} {
		msg := appendRecordMessage(nil, sizedRecord(size))
		b.Run(fmt.Sprintf("size=%s", sizeName(size)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := decodeSingle(msg, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sizedRecord returns a record of about size encoded bytes: one txn of
// inserts with 16-byte keys and 100-byte rows (one op per ~120 bytes).
func sizedRecord(size int) *Record {
	rng := rand.New(rand.NewPCG(1, 2))
	t := Txn{ID: 1, CommitTime: 1_700_000_000_000_000}
	for n := 12; n+125 <= size || len(t.Ops) == 0; n += 125 {
		key := make([]byte, 16)
		row := make([]byte, 100)
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
		for i := range row {
			row[i] = byte(rng.Uint32())
		}
		t.Ops = append(t.Ops, Op{Kind: OpInsert, Table: 1, Key: key, Row: row})
	}
	return &Record{Txns: []Txn{t}}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
