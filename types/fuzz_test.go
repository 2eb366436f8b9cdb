package types

import (
	"testing"
	"time"
)

// FuzzDecodeRow: DecodeRow never panics, and whatever it accepts re-encodes
// to bytes that decode to identical values. Seeds: testdata/fuzz/FuzzDecodeRow.
func FuzzDecodeRow(f *testing.F) {
	f.Add(EncodeRow(nil, sampleRow(f)))
	f.Add([]byte{0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		vals, err := DecodeRow(b, nil)
		if cerr := CheckRow(b); (cerr == nil) != (err == nil) {
			t.Fatalf("CheckRow says %v, DecodeRow %v", cerr, err)
		}
		if err != nil {
			return
		}
		aliased, err := DecodeRowAlias(b, nil)
		if err != nil || len(aliased) != len(vals) {
			t.Fatalf("DecodeRowAlias: %d values, %v; DecodeRow %d", len(aliased), err, len(vals))
		}
		for i := range vals {
			if !identical(vals[i], aliased[i]) {
				t.Fatalf("value %d: DecodeRowAlias %+v, DecodeRow %+v", i, aliased[i], vals[i])
			}
		}
		again, err := DecodeRow(EncodeRow(nil, vals), nil)
		if err != nil {
			t.Fatalf("re-encoded row does not decode: %v", err)
		}
		if len(again) != len(vals) {
			t.Fatalf("length changed: %d → %d", len(vals), len(again))
		}
		for i := range vals {
			if !identical(vals[i], again[i]) {
				t.Fatalf("value %d changed: %+v → %+v", i, vals[i], again[i])
			}
		}
	})
}

var fuzzTypes = []Type{Numeric, Timestamp, TimestampTZ, Interval, Date, Float8, Float4, Int4, Bool, JSONB, JSON, Bytea, UUID,
	{OID: OIDNumeric, Mod: NumericTypmod(10, 3)}, {OID: OIDVarchar, Mod: 9}, {OID: OIDBPChar, Mod: 9}, Time, {OID: OIDTimestamp, Mod: 2}}

// FuzzParseText: no input panics any input function; accepted input prints
// text that parses back to the same text (output is a fixed point).
// Seeds: testdata/fuzz/FuzzParseText.
func FuzzParseText(f *testing.F) {
	for i, s := range []string{"1.50", "2024-01-02 03:04:05.5+05:30", "1 year 2 mons -3 days 04:05:06.789", "P1Y2M3DT4H5M6.5S",
		"0044-03-15 BC", "NaN", "1e-7", "{\"a\": [1, 2.50]}", "\\x00ff", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "on", "-2147483648"} {
		f.Add(uint8(i), s)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		typ := fuzzTypes[int(which)%len(fuzzTypes)]
		for _, loc := range []*time.Location{nil, ny} {
			v, err := ParseText(typ, s, loc)
			if err != nil {
				continue
			}
			out := TextString(v, typ, loc)
			v2, err := ParseText(typ, out, loc)
			if err != nil {
				t.Fatalf("%s %q printed %q which does not parse: %v", TypeName(typ), s, out, err)
			}
			if out2 := TextString(v2, typ, loc); out2 != out {
				t.Fatalf("%s %q printed %q then %q", TypeName(typ), s, out, out2)
			}
			bin, err := AppendBinary(nil, v, typ)
			if err != nil {
				t.Fatalf("AppendBinary(%s %q): %v", TypeName(typ), out, err)
			}
			v3, err := ParseBinary(typ, bin)
			if err != nil {
				t.Fatalf("ParseBinary(%s %x): %v", TypeName(typ), bin, err)
			}
			if out3 := TextString(v3, typ, loc); out3 != out {
				t.Fatalf("%s %q: binary round trip printed %q, want %q", TypeName(typ), s, out3, out)
			}
		}
	})
}

// FuzzParseBinary: binary receive never panics, and what it accepts sends
// back bytes that receive to the same value. Seeds: testdata/fuzz/FuzzParseBinary.
func FuzzParseBinary(f *testing.F) {
	f.Add(uint8(0), []byte{0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 19, 136}) // numeric 1.5000 → 1.50
	f.Add(uint8(3), []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3})
	f.Add(uint8(9), []byte("\x01{\"a\": 1}"))
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		typ := fuzzTypes[int(which)%len(fuzzTypes)]
		v, err := ParseBinary(typ, b)
		if err != nil {
			return
		}
		out, err := AppendBinary(nil, v, typ)
		if err != nil {
			t.Fatalf("AppendBinary(%s %+v): %v", TypeName(typ), v, err)
		}
		v2, err := ParseBinary(typ, out)
		if err != nil {
			t.Fatalf("ParseBinary(%s %x) of our own output: %v", TypeName(typ), out, err)
		}
		if a, b := TextString(v, typ, nil), TextString(v2, typ, nil); a != b {
			t.Fatalf("%s: %q → %q", TypeName(typ), a, b)
		}
	})
}
