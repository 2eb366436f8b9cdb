package types

import (
	"bytes"
	"errors"
	"math"
	"math/rand"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

func mustNumeric(t testing.TB, s string) Value {
	t.Helper()
	d, err := ParseNumeric(s)
	if err != nil {
		t.Fatal(err)
	}
	return NewNumeric(d)
}

func sampleRow(t testing.TB) []Value {
	big := mustNumeric(t, "-123456789012345678901234567890.000123")
	return []Value{
		Null, NewBool(true), NewBool(false), NewInt(0), NewInt(-1), NewInt(math.MaxInt64), NewInt(math.MinInt64),
		NewFloat(1.5), NewFloat(math.Inf(-1)), NewFloat(math.Copysign(0, -1)), mustNumeric(t, "1.50"), big,
		mustNumeric(t, "NaN"), mustNumeric(t, "Infinity"), mustNumeric(t, "-Infinity"), NewNumeric(apd.New(math.MinInt64, -3)),
		NewText(""), NewText("héllo"), NewBytes([]byte{0, 1, 255}), NewDate(-719162), NewDate(PosInfinity),
		NewTimestamp(1700000000123456), NewTimestampTZ(math.MinInt64), NewInterval(-14, 3, -5000000), NewInterval(math.MaxInt32, math.MinInt32, math.MinInt64),
		NewUUID([16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}), NewJSON(`{"a": 1}`),
	}
}

// identical reports whether two values have the same physical representation.
func identical(a, b Value) bool {
	if a.K != b.K || a.I != b.I || a.I2 != b.I2 || a.S != b.S {
		return false
	}
	if (a.N == nil) != (b.N == nil) {
		return false
	}
	if a.N != nil {
		return a.N.Form == b.N.Form && a.N.Negative == b.N.Negative && a.N.Exponent == b.N.Exponent && a.N.Coeff.Cmp(&b.N.Coeff) == 0
	}
	return true
}

func TestRowRoundTrip(t *testing.T) {
	row := sampleRow(t)
	enc := EncodeRow([]byte("prefix"), row)
	if !bytes.HasPrefix(enc, []byte("prefix")) {
		t.Fatal("EncodeRow must append to buf")
	}
	enc = enc[len("prefix"):]
	got, err := DecodeRow(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(row) {
		t.Fatalf("decoded %d values, want %d", len(got), len(row))
	}
	for i := range row {
		if !identical(got[i], row[i]) {
			t.Errorf("value %d: got %+v, want %+v", i, got[i], row[i])
		}
	}
	// Values never alias the buffer.
	for i := range enc {
		enc[i] = 0xAA
	}
	if got[17].S != "héllo" || got[18].S != "\x00\x01\xff" {
		t.Fatalf("decoded strings alias the input: %q %q", got[17].S, got[18].S)
	}
	// dst is reused.
	dst := make([]Value, 0, 64)
	out, err := DecodeRow(EncodeRow(nil, row[:3]), dst)
	if err != nil || len(out) != 3 || &out[0] != &dst[:1][0] {
		t.Fatalf("dst not reused: len %d err %v", len(out), err)
	}
}

// The example of docs/row-format.md, byte for byte.
func TestRowFormatDocExample(t *testing.T) {
	row := []Value{NewInt(42), NewText("hi"), Null, mustNumeric(t, "1.50")}
	want := []byte{0x01, 0x04, 0x03, 0x54, 0x0a, 0x02, 'h', 'i', 0x00, 0x12, 0x03, 0xac, 0x02}
	if got := EncodeRow(nil, row); !bytes.Equal(got, want) {
		t.Fatalf("EncodeRow = % x, want % x", got, want)
	}
}

func TestDecodeRowCorrupt(t *testing.T) {
	good := EncodeRow(nil, sampleRow(t))
	bad := [][]byte{
		nil, {0x02, 0x00}, {0x01}, {0x01, 0x05}, {0x01, 0x01, 0x63}, {0x01, 0x01, 0x0a, 0x05, 'a'},
		{0x01, 0x01, 0x03, 0x80}, {0x01, 0x00, 0x00}, {0x01, 0x01, 0x10, 1, 2},
	}
	for i := 1; i < len(good); i++ {
		bad = append(bad, good[:i]) // every truncation
	}
	for _, b := range bad {
		_, err := DecodeRow(b, nil)
		if err == nil {
			t.Errorf("DecodeRow(% x) succeeded", b)
			continue
		}
		if !errors.Is(err, pgerr.ErrCorrupt) {
			t.Errorf("DecodeRow(% x): %v does not wrap ErrCorrupt", b, err)
		}
	}
}

func TestCheckRowAgreesWithDecodeRow(t *testing.T) {
	good := EncodeRow(nil, append(sampleRow(t), NewArray([]Value{NewInt(1), NewText("x")})))
	if err := CheckRow(good); err != nil {
		t.Fatalf("CheckRow(good): %v", err)
	}
	for i := 0; i < len(good); i++ {
		for _, b := range [][]byte{good[:i], append(append([]byte(nil), good[:i]...), 0xff)} {
			_, derr := DecodeRow(b, nil)
			cerr := CheckRow(b)
			if (derr == nil) != (cerr == nil) {
				t.Fatalf("% x: DecodeRow %v, CheckRow %v", b, derr, cerr)
			}
			if cerr != nil && !errors.Is(cerr, pgerr.ErrCorrupt) {
				t.Fatalf("CheckRow(% x): %v does not wrap ErrCorrupt", b, cerr)
			}
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = CheckRow(good) }); n != 0 {
		t.Fatalf("CheckRow allocates %v times", n)
	}
}

// DecodeRowAlias gives the values DecodeRow gives, but its strings are the
// input's own bytes: no allocation per string.
func TestDecodeRowAlias(t *testing.T) {
	row := sampleRow(t)
	enc := EncodeRow(nil, row)
	got, err := DecodeRowAlias(enc, nil)
	if err != nil || len(got) != len(row) {
		t.Fatalf("DecodeRowAlias: %d values, %v", len(got), err)
	}
	for i := range row {
		if !identical(got[i], row[i]) {
			t.Errorf("value %d: got %+v, want %+v", i, got[i], row[i])
		}
	}
	// The strings alias enc: changing enc shows through (callers must never
	// do that; here it proves that nothing was copied).
	i := bytes.Index(enc, []byte("héllo"))
	enc[i] = 'H'
	if got[17].S != "Héllo" {
		t.Fatalf("text value does not alias the input: %q", got[17].S)
	}
	texts := EncodeRow(nil, []Value{NewInt(7), NewText("a fairly long text value"), NewBytes([]byte("bytes")), NewJSON(`{"k": 1}`), Null})
	dst := make([]Value, 0, 8)
	if n := testing.AllocsPerRun(100, func() { dst, _ = DecodeRowAlias(texts, dst) }); n != 0 {
		t.Fatalf("DecodeRowAlias allocates %v times for a row without numerics", n)
	}
	if n := testing.AllocsPerRun(100, func() { dst, _ = DecodeRow(texts, dst) }); n != 3 {
		t.Fatalf("DecodeRow allocates %v times, want 3 (one per string)", n)
	}
}

// RowSlab decodes like DecodeRowAlias, hands out independent rows, and
// allocates per block rather than per row or numeric.
func TestRowSlab(t *testing.T) {
	rows := [][]Value{sampleRow(t), {NewInt(1), mustNumeric(t, "2.50"), NewText("x")}, {}, {mustNumeric(t, "-1e40")}}
	var s RowSlab
	var got [][]Value
	for i := 0; i < 300; i++ {
		row, err := s.Decode(EncodeRow(nil, rows[i%len(rows)]))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	_ = append(got[1], NewInt(99)) // capacity-capped: cannot overwrite the next row
	for i, row := range got {
		want := rows[i%len(rows)]
		if len(row) != len(want) || cap(row) != len(row) {
			t.Fatalf("row %d: len %d cap %d, want %d", i, len(row), cap(row), len(want))
		}
		for j := range want {
			if !identical(row[j], want[j]) {
				t.Fatalf("row %d value %d: %+v, want %+v", i, j, row[j], want[j])
			}
		}
	}
	if _, err := s.Decode([]byte{0x01, 0x01, 0x63}); !errors.Is(err, pgerr.ErrCorrupt) {
		t.Fatalf("corrupt row: %v", err)
	}
	enc := EncodeRow(nil, rows[1])
	if n := testing.AllocsPerRun(1000, func() { _, _ = s.Decode(enc) }); n > 0.05 {
		t.Fatalf("RowSlab.Decode allocates %v times per row", n)
	}
}

func TestCompareAndHash(t *testing.T) {
	one := []Value{NewInt(1), mustNumeric(t, "1.0"), mustNumeric(t, "1"), NewFloat(1), mustNumeric(t, "1.000")}
	for _, a := range one {
		for _, b := range one {
			if Compare(a, b) != 0 || !Equal(a, b) || Hash(a) != Hash(b) {
				t.Errorf("%+v vs %+v: Compare %d, Equal %v, hashes %x %x", a, b, Compare(a, b), Equal(a, b), Hash(a), Hash(b))
			}
		}
	}
	ordered := []Value{
		NewFloat(math.Inf(-1)), mustNumeric(t, "-1e30"), NewInt(math.MinInt64), NewFloat(-2.5), NewInt(-2), mustNumeric(t, "-0.5"),
		NewInt(0), mustNumeric(t, "0.1"), NewFloat(0.2), NewInt(1), mustNumeric(t, "1.0000000000000000000001"),
		NewInt(9007199254740993), NewFloat(1e19), mustNumeric(t, "1e30"), mustNumeric(t, "Infinity"), NewFloat(math.NaN()),
	}
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(ordered[i], ordered[j]); got != want {
				t.Errorf("Compare(%d, %d) = %d, want %d", i, j, got, want)
			}
		}
	}
	if Compare(NewFloat(math.NaN()), mustNumeric(t, "NaN")) != 0 || Hash(NewFloat(math.NaN())) != Hash(mustNumeric(t, "NaN")) {
		t.Error("NaN float and numeric must be equal and hash alike")
	}
	if Compare(NewFloat(0.1), mustNumeric(t, "0.1")) != 0 || Hash(NewFloat(0.1)) != Hash(mustNumeric(t, "0.1")) {
		t.Error("0.1::float8 and 0.1::numeric")
	}
	if Compare(NewText("a"), NewText("b")) != -1 || Compare(NewText("B"), NewText("a")) != -1 {
		t.Error("text must compare bytewise")
	}
	// intervals: 1 mon = 30 days = 720 hours
	a, b, c := NewInterval(1, 0, 0), NewInterval(0, 30, 0), NewInterval(0, 0, 720*usPerHour)
	if Compare(a, b) != 0 || Compare(b, c) != 0 || Hash(a) != Hash(c) || Compare(NewInterval(0, 1, 0), NewInterval(0, 0, 25*usPerHour)) != -1 {
		t.Error("interval comparison by span")
	}
	if Compare(NewDate(1), NewTimestamp(usPerDay)) != 0 || Compare(NewDate(1), NewTimestamp(usPerDay+1)) != -1 {
		t.Error("date vs timestamp")
	}
	if CompareTyped(NewText("ab  "), NewText("ab"), Type{OID: OIDBPChar, Mod: 8}) != 0 || CompareTyped(NewText("ab "), NewText("ab"), Text) != 1 ||
		HashTyped(NewText("ab  "), BPChar) != HashTyped(NewText("ab"), BPChar) {
		t.Error("bpchar ignores trailing spaces, text does not")
	}
	if Equal(Null, Null) || Compare(Null, Null) != 0 || Compare(Null, NewInt(1)) != 1 {
		t.Error("NULL: never Equal, sorts last in Compare")
	}
}

// Random numbers of all three kinds: Compare must be antisymmetric and
// transitive with its hash consistent.
func TestCompareHashRandom(t *testing.T) {
	seed := int64(20261127)
	r := rand.New(rand.NewSource(seed))
	gen := func() Value {
		n := r.Int63n(2000) - 1000
		switch r.Intn(4) {
		case 0:
			return NewInt(n)
		case 1:
			return NewFloat(float64(n) / 4)
		case 2:
			return NewNumeric(apd.New(n*25, -2))
		default:
			return NewNumeric(apd.New(n*250, -3))
		}
	}
	vals := make([]Value, 300)
	for i := range vals {
		vals[i] = gen()
	}
	for _, a := range vals {
		for _, b := range vals {
			ab, ba := Compare(a, b), Compare(b, a)
			if ab != -ba {
				t.Fatalf("seed %d: not antisymmetric: %+v %+v", seed, a, b)
			}
			if ab == 0 && Hash(a) != Hash(b) {
				t.Fatalf("seed %d: equal values hash differently: %s %s", seed, TextString(a, Numeric, nil), TextString(b, Numeric, nil))
			}
		}
	}
}
