package oltp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/internal/frame"
	"github.com/omendb/omendb/types"
)

// withRowsHint rewrites the rows hint of every table frame of a version 2
// checkpoint (re-checksumming the frames).
func withRowsHint(t *testing.T, b []byte, hint uint64) []byte {
	t.Helper()
	out := append([]byte(nil), b[:ckptHeaderLen]...)
	for d := b[ckptHeaderLen:]; len(d) > 0; {
		kind, n := d[0], binary.LittleEndian.Uint32(d[1:])
		p := append([]byte(nil), d[frame.HeaderLen:frame.HeaderLen+n]...)
		d = d[frame.HeaderLen+n:]
		if kind == frameTable {
			binary.LittleEndian.PutUint64(p[28:], hint)
		}
		var fb bytes.Buffer
		if err := frame.Write(&fb, kind, p); err != nil {
			t.Fatal(err)
		}
		out = append(out, fb.Bytes()...)
	}
	return out
}

// TestCheckpointRowsHint: the rows hint sizes each table's row arena, but
// is not trusted: a hint of 0, one too small (rows beyond the arena get
// allocations of their own), one too large and one absurd all load the
// same store, which then takes writes like any other.
func TestCheckpointRowsHint(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	orig := NewStore()
	m := setupCkptModel(t, orig)
	for i := 0; i < 200; i++ {
		applyAll(t, m.entry(m.randomOps(rng, 1+rng.Intn(8))...), orig)
	}
	var buf bytes.Buffer
	if _, err := orig.WriteCheckpoint(&buf); err != nil {
		t.Fatal(err)
	}
	want := dump(orig)
	for _, hint := range []uint64{0, 1, 7, 1 << 20, 1 << 62} {
		b := withRowsHint(t, buf.Bytes(), hint)
		loaded, st, err := LoadCheckpoint(bytes.NewReader(b), "learned")
		if err != nil {
			t.Fatalf("hint %d: %v", hint, err)
		}
		if st.CRC != crc32.Checksum(b, crcTable) || st.Bytes != int64(len(b)) {
			t.Fatalf("hint %d: stats %+v for %d bytes", hint, st, len(b))
		}
		if got := dump(loaded); got != want {
			t.Fatalf("hint %d: loaded\n%s\nwant\n%s", hint, got, want)
		}
		// It takes further writes as a store loaded with the exact hint
		// does (loaded chains and versions live in the arena, new ones on
		// the heap).
		ref, _, err := LoadCheckpoint(bytes.NewReader(buf.Bytes()), "learned")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			applyAll(t, m.entry(m.randomOps(rng, 1+rng.Intn(8))...), ref, loaded)
		}
		if a, b := dump(ref), dump(loaded); a != b {
			t.Fatalf("hint %d, after writes:\n%s\nwant\n%s", hint, b, a)
		}
	}
}

// TestLoadCheckpointSizeFile loads a checkpoint file the way package
// checkpoint does (LoadCheckpointSize with the manifest's size) and refuses
// one with bytes after its end frame or a size beyond the file.
func TestLoadCheckpointSizeFile(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	orig := NewStore()
	m := setupCkptModel(t, orig)
	for i := 0; i < 100; i++ {
		applyAll(t, m.entry(m.randomOps(rng, 1+rng.Intn(8))...), orig)
	}
	path := filepath.Join(t.TempDir(), "ckpt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := orig.WriteCheckpoint(f)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	load := func(size int64) (*Store, CheckpointStats, error) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return LoadCheckpointSize(f, size, "learned")
	}
	loaded, st, err := load(ws.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if st.CRC != ws.CRC || st.Bytes != ws.Bytes || st.Rows != ws.Rows {
		t.Fatalf("loaded %+v, wrote %+v", st, ws)
	}
	if a, b := dump(orig), dump(loaded); a != b {
		t.Fatalf("loaded\n%s\nwant\n%s", b, a)
	}
	for _, size := range []int64{ws.Bytes - 1, ws.Bytes + 1, 3} {
		if _, _, err := load(size); !IsCheckpointCorrupt(err) {
			t.Fatalf("size %d of %d: %v", size, ws.Bytes, err)
		}
	}
}

// TestScanReuse: ScanReuse hands out the rows Scan does (numerics
// included, a NaN before a finite one in the same reused numeric), one at a
// time.
func TestScanReuse(t *testing.T) {
	st0 := NewStore()
	tbl := bulkTable(st0)
	const n = 3000
	st := loadBulk(t, tbl, n, 700, func(i int) []types.Value {
		r := bulkRow(tbl, int64(i))
		switch i % 3 {
		case 0:
			r[2] = types.Value{K: types.KindNumeric, N: &apd.Decimal{Form: apd.NaN}}
		case 1: // a coefficient beyond int64: the reused numeric's other path
			d, _, err := apd.NewFromString(fmt.Sprintf("-%d123456789012345678901.25", i))
			if err != nil {
				t.Fatal(err)
			}
			r[2] = types.Value{K: types.KindNumeric, N: d}
		}
		if i%5 == 0 {
			r[3] = types.Null
		}
		return r
	})
	tab := st.Table(tbl.ID)
	snap := uint64(st.Applied())
	var want []string
	tab.Scan(snap, nil, nil, false, func(k []byte, row []types.Value) bool {
		want = append(want, rowString(k, row))
		return true
	})
	if len(want) != n {
		t.Fatalf("Scan: %d rows", len(want))
	}
	for _, desc := range []bool{false, true} {
		var got []string
		tab.ScanReuse(snap, nil, nil, desc, func(k []byte, row []types.Value) bool {
			got = append(got, rowString(k, row))
			return true
		})
		if desc {
			for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
				got[i], got[j] = got[j], got[i]
			}
		}
		if len(got) != n {
			t.Fatalf("desc %v: %d rows", desc, len(got))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("desc %v, row %d: %s, Scan gave %s", desc, i, got[i], want[i])
			}
		}
	}
}

func rowString(k []byte, row []types.Value) string {
	return fmt.Sprintf("%x %v", k, row)
}
