package log

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var writeCorpus = flag.Bool("write-corpus", false, "rewrite log/testdata/fuzz/FuzzDecode from corpusSeeds")

// corpusSeeds are the messages the fuzzer starts from: every op kind, an
// empty record, chunks, and near misses of the format.
func corpusSeeds() map[string][]byte {
	golden := appendRecordMessage(nil, &Record{Txns: []Txn{{ID: 5, CommitTime: -2, Ops: []Op{
		{Kind: OpInsert, Table: 300, Key: []byte{0x01}, Row: []byte("hi")},
	}}}})
	v2 := reseal(append([]byte(nil), golden...))
	v2[2] = 2
	v2 = reseal(v2)
	badOp := append([]byte(nil), golden...)
	badOp[headerLen+4] = 9
	return map[string][]byte{
		"all-ops":       appendRecordMessage(nil, allOpsRecord()),
		"golden":        golden,
		"empty-record":  appendRecordMessage(nil, &Record{}),
		"sized-200":     appendRecordMessage(nil, sizedRecord(200)),
		"chunk-first":   appendChunkMessage(nil, false, 1, 0, 10, []byte("01234")),
		"chunk-final":   appendChunkMessage(nil, true, 1, 1, 10, []byte("56789")),
		"chunk-s2":      mustCompress(appendChunkMessage(nil, false, 2, 0, 4096, bytes.Repeat([]byte("omendb"), 600))),
		"version-2":     v2,
		"unknown-op":    reseal(badOp),
		"bad-crc":       append(append([]byte(nil), golden[:len(golden)-1]...), golden[len(golden)-1]^1),
		"envelope-only": finishMessage(beginMessage(nil, msgRecord), 0),
		"not-a-message": []byte("garbage"),
		"empty":         {},
	}
}

// TestWriteFuzzCorpus regenerates the seed corpus with -write-corpus and
// otherwise checks that every seed file still decodes as it did.
func TestWriteFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	for name, b := range corpusSeeds() {
		path := filepath.Join(dir, name)
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if *writeCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./log -run TestWriteFuzzCorpus -write-corpus)", err)
		}
		if string(got) != content {
			t.Errorf("%s is stale: the format changed; regenerate with -write-corpus", path)
		}
	}
}

// FuzzDecode: decoding never panics; it either fails with ErrCorrupt or
// ErrUnknownFormat naming the offset, or yields a record that encodes back
// to exactly the input (the encoding is canonical).
func FuzzDecode(f *testing.F) {
	for _, b := range corpusSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const off = 12345
		m, err := decodeMessage(b, off)
		if err != nil {
			checkDecodeErr(t, err, off)
			return
		}
		if m.kind != msgRecord {
			// A chunk: its fragment is part of some record body; the body
			// decoder must still not panic on it.
			frag, err := m.appendFragment(nil, off)
			if err != nil {
				checkDecodeErr(t, err, off)
				return
			}
			if len(frag) != m.flen {
				t.Fatalf("fragment of %d bytes, its header says %d", len(frag), m.flen)
			}
			if _, err := decodeRecordBody(frag, off); err != nil {
				checkDecodeErr(t, err, off)
			}
			if m.s2 {
				// S2 has more than one encoding of a fragment: it must
				// round-trip through the uncompressed form instead.
				plain := appendChunkMessage(nil, m.kind == msgFinal, m.group, m.part, m.total, frag)
				pm, err := decodeMessage(plain, off)
				if err != nil || pm.s2 || !bytes.Equal(pm.body, frag) {
					t.Fatalf("fragment does not re-encode uncompressed: %v", err)
				}
				return
			}
			re := appendChunkMessage(nil, m.kind == msgFinal, m.group, m.part, m.total, m.body)
			if !bytes.Equal(re, b) {
				t.Fatalf("chunk re-encodes differently:\n in % x\nout % x", b, re)
			}
			return
		}
		r, err := decodeRecordBody(m.body, off)
		if err != nil {
			checkDecodeErr(t, err, off)
			return
		}
		if re := appendRecordMessage(nil, r); !bytes.Equal(re, b) {
			t.Fatalf("record re-encodes differently:\n in % x\nout % x", b, re)
		}
	})
}

func checkDecodeErr(t *testing.T, err error, off Offset) {
	t.Helper()
	if errors.Is(err, ErrCorrupt) == errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("error is neither or both of ErrCorrupt/ErrUnknownFormat: %v", err)
	}
	if got, ok := OffsetOf(err); !ok || got != off {
		t.Fatalf("error names offset %d (%v): %v", got, ok, err)
	}
}

// mustCompress returns the chunk message msg with its fragment compressed.
func mustCompress(msg []byte) []byte {
	z, ok := compressChunkMessage(nil, msg)
	if !ok {
		panic("fragment did not compress")
	}
	return z
}
