package frame

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"
)

var errBad = errors.New("bad")

func corrupt(pos int64, format string, args ...any) error {
	return fmt.Errorf("%w at %d: %s", errBad, pos, fmt.Sprintf(format, args...))
}

func TestRoundTripAndDamage(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	payloads := [][]byte{[]byte("catalog"), {}, bytes.Repeat([]byte{7}, 1000)}
	for i, p := range payloads {
		if err := Write(w, byte(i+1), p); err != nil {
			t.Fatal(err)
		}
	}
	if w.Len() != int64(buf.Len()) || w.Sum32() != crc32.Checksum(buf.Bytes(), Castagnoli) {
		t.Fatalf("writer counted %d bytes crc %x; file has %d bytes", w.Len(), w.Sum32(), buf.Len())
	}
	r := NewReader(bytes.NewReader(buf.Bytes()))
	for i, want := range payloads {
		kind, p, err := r.Next(1<<20, corrupt)
		if err != nil || kind != byte(i+1) || !bytes.Equal(p, want) {
			t.Fatalf("frame %d: kind %d, %d bytes, %v", i, kind, len(p), err)
		}
	}
	if r.Pos() != int64(buf.Len()) || r.Sum32() != w.Sum32() {
		t.Fatalf("reader at %d crc %x, writer %d %x", r.Pos(), r.Sum32(), w.Len(), w.Sum32())
	}

	// Every single-bit flip and every truncation is detected.
	data := buf.Bytes()
	for i := range data {
		for bit := 0; bit < 8; bit++ {
			d := append([]byte(nil), data...)
			d[i] ^= 1 << bit
			if readAll(d, len(payloads)) == nil {
				t.Fatalf("flip of bit %d of byte %d not detected", bit, i)
			}
		}
	}
	for n := 0; n < len(data); n++ {
		if readAll(data[:n], len(payloads)) == nil {
			t.Fatalf("truncation to %d bytes not detected", n)
		}
	}
	// A frame longer than the caller's bound is refused.
	if _, _, err := NewReader(bytes.NewReader(data)).Next(3, corrupt); !errors.Is(err, errBad) {
		t.Fatalf("oversized frame: %v", err)
	}
}

func readAll(d []byte, frames int) error {
	r := NewReader(bytes.NewReader(d))
	for range frames {
		if _, _, err := r.Next(1<<20, corrupt); err != nil {
			if !errors.Is(err, errBad) {
				panic(err)
			}
			return err
		}
	}
	return nil
}
