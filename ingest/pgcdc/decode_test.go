package pgcdc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/types"
)

// rawNumeric builds PostgreSQL's binary numeric from its fields, including
// forms numeric_send never produces (hidden digits, odd scales).
func rawNumeric(weight int16, sign, dscale uint16, digits ...int16) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(digits)))
	b = binary.BigEndian.AppendUint16(b, uint16(weight))
	b = binary.BigEndian.AppendUint16(b, sign)
	b = binary.BigEndian.AppendUint16(b, dscale)
	for _, d := range digits {
		b = binary.BigEndian.AppendUint16(b, uint16(d))
	}
	return b
}

// TestRowDecoderMatchesParseBinary: the snapshot's decoder gives every value
// exactly what types.ParseBinary gives (same encoding, same numeric
// exponent), or the same error, on random and edge-case inputs.
func TestRowDecoderMatchesParseBinary(t *testing.T) {
	seed := rand.Int63()
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d", seed)
	numT := func(p, s int32) types.Type {
		return types.Type{OID: types.OIDNumeric, Mod: types.NumericTypmod(p, s)}
	}
	cols := []types.Type{
		numT(12, 2), {OID: types.OIDNumeric, Mod: -1}, numT(18, 4), numT(20, 2), numT(5, 5), numT(3, 0), numT(18, 0),
		{OID: types.OIDText, Mod: -1},
	}
	def := &catalog.Table{ID: 1, Name: "t", PrimaryKey: -1}
	var idx []int
	for i, ct := range cols {
		def.Columns = append(def.Columns, catalog.Column{Name: fmt.Sprintf("c%d", i), Type: ct})
		idx = append(idx, i)
	}
	// Values per column kind: edge cases, then random ones.
	numerics := [][]byte{
		rawNumeric(0, 0, 0),                 // 0
		rawNumeric(0, 0x4000, 2),            // -0 → 0
		rawNumeric(0, 0, 2, 123, 4500),      // 123.45
		rawNumeric(0, 0x4000, 2, 123, 4500), // -123.45
		rawNumeric(0, 0, 2, 123, 4567),      // hidden digits: truncated to 123.45
		rawNumeric(2, 0, 0, 1),              // 10^8
		rawNumeric(-1, 0, 4, 5000),          // 0.5000
		rawNumeric(-1, 0, 2, 5000),          // 0.50
		rawNumeric(3, 0, 0, 9999, 9999, 9999, 9999),
		rawNumeric(4, 0, 0, 1),             // 10^16
		rawNumeric(0, 0, 18, 1),            // 1.000… (18 digits)
		rawNumeric(0, 0, 3, 1, 2000),       // scale mismatch for (12,2)
		rawNumeric(0, 0xC000, 0),           // NaN
		rawNumeric(0, 0xD000, 0),           // +Infinity
		rawNumeric(0, 0x1234, 0),           // bad sign
		rawNumeric(0, 0, 0, 10000),         // bad digit
		rawNumeric(0, 0, 2, 1, 2, 3, 4, 5), // five digits: slow path
		{0, 1},                             // short
		rawNumeric(0, 0, 2, 1)[:9],         // truncated digits
	}
	for i := 0; i < 2000; i++ {
		var s string
		switch rng.Intn(4) {
		case 0:
			s = fmt.Sprintf("%d.%02d", rng.Int63n(1e10)-5e9, rng.Intn(100))
		case 1:
			s = fmt.Sprintf("%d", rng.Int63()>>uint(rng.Intn(63)))
		case 2:
			s = fmt.Sprintf("0.%0*d", 1+rng.Intn(6), rng.Intn(1000))
		default:
			s = fmt.Sprintf("-%d.%d", rng.Intn(1000), rng.Intn(100000))
		}
		d, err := types.ParseNumeric(s)
		if err != nil {
			t.Fatal(s, err)
		}
		b, err := types.AppendBinary(nil, types.NewNumeric(d), types.Type{OID: types.OIDNumeric, Mod: -1})
		if err != nil {
			t.Fatal(s, err)
		}
		numerics = append(numerics, b)
	}
	texts := [][]byte{[]byte(""), []byte("abc"), []byte("héllo"), []byte("a\x00b"), {0xff, 0xfe},
		[]byte(strings.Repeat("x", 5000)), []byte("d41d8cd98f00b204e9800998ecf8427e")}
	for i := 0; i < 200; i++ {
		b := make([]byte, rng.Intn(40))
		for j := range b {
			b[j] = byte(32 + rng.Intn(95))
		}
		texts = append(texts, b)
	}
	dec := newRowDecoder(def, idx)
	check := func(ci int, b []byte) {
		t.Helper()
		vals := make([][]byte, len(cols))
		vals[ci] = b
		row, err := dec.decode(vals)
		want, werr := types.ParseBinary(cols[ci], b)
		if (err != nil) != (werr != nil) {
			t.Fatalf("column %d %x: decode error %v, ParseBinary error %v", ci, b, err, werr)
		}
		if err != nil {
			return
		}
		got := row[ci]
		if gb, wb := types.EncodeRow(nil, []types.Value{got}), types.EncodeRow(nil, []types.Value{want}); !bytes.Equal(gb, wb) {
			t.Fatalf("column %d (%v) %x: decoded %v, ParseBinary %v", ci, cols[ci], b, got, want)
		}
		if want.N != nil && (got.N == nil || got.N.Exponent != want.N.Exponent || got.N.Negative != want.N.Negative || got.N.Form != want.N.Form) {
			t.Fatalf("column %d %x: decoded %v (exp %d), ParseBinary %v (exp %d)", ci, b, got.N, got.N.Exponent, want.N, want.N.Exponent)
		}
		for k := range row {
			if k != ci && !row[k].IsNull() {
				t.Fatalf("column %d: NULL input decoded as %v", k, row[k])
			}
		}
	}
	for ci, ct := range cols {
		in := numerics
		if ct.OID == types.OIDText {
			in = texts
		}
		for _, b := range in {
			check(ci, b)
		}
	}
}

// BenchmarkRowDecoder: decoding the bench's snapshot rows (bigint, int,
// numeric(12,2), text, timestamptz) from their binary values.
func BenchmarkRowDecoder(b *testing.B) {
	def := &catalog.Table{ID: 1, Name: "snap", PrimaryKey: -1, Columns: []catalog.Column{
		{Name: "id", Type: types.Type{OID: types.OIDInt8, Mod: -1}},
		{Name: "n", Type: types.Type{OID: types.OIDInt4, Mod: -1}},
		{Name: "amount", Type: types.Type{OID: types.OIDNumeric, Mod: types.NumericTypmod(12, 2)}},
		{Name: "label", Type: types.Type{OID: types.OIDText, Mod: -1}},
		{Name: "at", Type: types.Type{OID: types.OIDTimestampTZ, Mod: -1}},
	}}
	const n = 1024
	in := make([][][]byte, n)
	for i := range in {
		d, _ := types.ParseNumeric(fmt.Sprintf("%d.%02d", i*37%1000, i%100))
		num, _ := types.AppendBinary(nil, types.NewNumeric(d), def.Columns[2].Type)
		in[i] = [][]byte{binary.BigEndian.AppendUint64(nil, uint64(i)), binary.BigEndian.AppendUint32(nil, uint32(i%1000)), num,
			[]byte(fmt.Sprintf("%032x", i*7919)), binary.BigEndian.AppendUint64(nil, uint64(i)*1e6)}
	}
	cols := []int{0, 1, 2, 3, 4}
	b.Run("decoder=rowDecoder", func(b *testing.B) {
		b.ReportAllocs()
		dec := newRowDecoder(def, cols)
		for i := 0; i < b.N; i++ {
			if _, err := dec.decode(in[i%n]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder=ParseBinary", func(b *testing.B) {
		b.ReportAllocs()
		var slab []types.Value
		for i := 0; i < b.N; i++ {
			if len(slab) < len(cols) {
				slab = make([]types.Value, valueSlabRows*len(cols))
			}
			row := slab[:len(cols):len(cols)]
			slab = slab[len(cols):]
			for k, v := range in[i%n] {
				x, err := types.ParseBinary(def.Columns[k].Type, v)
				if err != nil {
					b.Fatal(err)
				}
				row[k] = x
			}
		}
	})
}
