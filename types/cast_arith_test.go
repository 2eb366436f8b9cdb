package types

import (
	"testing"
	"time"

	"github.com/omendb/omendb/pgerr"
)

func TestCastRules(t *testing.T) {
	vc3 := Type{OID: OIDVarchar, Mod: 3 + 4}
	ch3 := Type{OID: OIDBPChar, Mod: 3 + 4}
	num52 := Type{OID: OIDNumeric, Mod: NumericTypmod(5, 2)}
	cases := []struct {
		v        Value
		from, to Type
		explicit bool
		want     string
		code     string
	}{
		{NewText("abcdef"), Text, vc3, true, "abc", ""},
		{NewText("abcdef"), Text, vc3, false, "", "22001"},
		{NewText("abc   "), Text, vc3, false, "abc", ""},
		{NewText("abcdef"), Text, ch3, true, "abc", ""},
		{NewText("a"), Text, ch3, false, "a  ", ""},
		{NewText("ab   "), BPChar, Text, true, "ab", ""},
		{NewFloat(2.5), Float8, Int4, true, "2", ""},
		{NewFloat(3.5), Float8, Int4, false, "4", ""},
		{mustNumeric(t, "2.5"), Numeric, Int4, false, "3", ""},
		{mustNumeric(t, "-2.5"), Numeric, Int4, false, "-3", ""},
		{NewInt(70000), Int4, Int2, false, "", "22003"},
		{NewInt(1), Int4, num52, false, "1.00", ""},
		{mustNumeric(t, "1234.5"), Numeric, num52, false, "", "22003"},
		{NewText("42"), Text, Int4, true, "42", ""},
		{NewText("42"), Text, Int4, false, "", "42846"},
		{NewInt(42), Int4, Text, false, "42", ""},
		{NewBool(true), Bool, Int4, true, "1", ""},
		{NewBool(true), Bool, Int4, false, "", "42846"},
		{NewBool(true), Bool, Text, false, "true", ""},
		{NewText("x"), Unknown, Int4, false, "", "22P02"},
		{NewDate(19724), Date, Timestamp, false, "2024-01-02 00:00:00", ""},
		{NewInt(1), Int4, Date, true, "", "42846"},
		{NewJSON(`{"b":1,"a":2}`), JSON, JSONB, false, `{"a": 2, "b": 1}`, ""},
		{NewJSON(`{"a": 2}`), JSONB, JSONB, false, `{"a": 2}`, ""},
		{Null, Int4, Text, false, "", ""},
	}
	for _, c := range cases {
		got, err := Cast(c.v, c.from, c.to, c.explicit, time.UTC)
		if c.code != "" {
			if pgerr.Code(err) != c.code {
				t.Errorf("Cast(%+v, %s → %s, explicit=%v): err %v, want %s", c.v, TypeName(c.from), TypeName(c.to), c.explicit, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("Cast(%+v, %s → %s, explicit=%v): %v", c.v, TypeName(c.from), TypeName(c.to), c.explicit, err)
			continue
		}
		if s := TextString(got, c.to, nil); s != c.want {
			t.Errorf("Cast(%+v, %s → %s, explicit=%v) = %q, want %q", c.v, TypeName(c.from), TypeName(c.to), c.explicit, s, c.want)
		}
	}
	_, err := Cast(NewInt(1), Int4, UUID, true, nil)
	if err == nil || err.Error() != "cannot cast type integer to uuid" {
		t.Errorf("int → uuid: %v", err)
	}
	if !CanCast(Int4, Float8, false) || CanCast(Text, Int4, false) || !CanCast(Text, Int4, true) || CanCast(Bool, Int8, true) {
		t.Error("CanCast")
	}
}

func TestArithmetic(t *testing.T) {
	cases := []struct {
		op     string
		lt, rt Type
		l, r   string
		typ    string
		want   string
		code   string
	}{
		{"+", Int4, Int4, "2147483647", "1", "integer", "", "22003"},
		{"+", Int2, Int2, "32767", "1", "smallint", "", "22003"},
		{"*", Int8, Int8, "9223372036854775807", "2", "bigint", "", "22003"},
		{"/", Int4, Int4, "-7", "2", "integer", "-3", ""},
		{"%", Int4, Int4, "-7", "2", "integer", "-1", ""},
		{"/", Int4, Int4, "1", "0", "integer", "", "22012"},
		{"+", Int2, Int8, "1", "2", "bigint", "3", ""},
		{"+", Int4, Numeric, "1", "2.50", "numeric", "3.50", ""},
		{"+", Int4, Float8, "1", "2.5", "double precision", "3.5", ""},
		{"+", Float4, Float4, "0.1", "0.2", "real", "0.3", ""},
		{"+", Float4, Float8, "0.5", "0.25", "double precision", "0.75", ""},
		{"/", Numeric, Numeric, "1", "3", "numeric", "0.33333333333333333333", ""},
		{"/", Numeric, Numeric, "10", "4", "numeric", "2.5000000000000000", ""},
		{"*", Numeric, Numeric, "1.5", "2.25", "numeric", "3.375", ""},
		{"-", Numeric, Numeric, "1.50", "0.5", "numeric", "1.00", ""},
		{"%", Numeric, Numeric, "5.5", "2", "numeric", "1.5", ""},
		{"/", Numeric, Numeric, "1", "0", "numeric", "", "22012"},
		{"+", Date, Int4, "2024-01-31", "1", "date", "2024-02-01", ""},
		{"-", Date, Date, "2024-03-01", "2024-01-01", "integer", "60", ""},
		{"+", Date, Interval, "2024-01-31", "1 month", "timestamp without time zone", "2024-02-29 00:00:00", ""},
		{"+", Timestamp, Interval, "2023-01-31 10:00", "1 mon", "timestamp without time zone", "2023-02-28 10:00:00", ""},
		{"-", Timestamp, Timestamp, "2024-01-03 12:00", "2024-01-01 06:30", "interval", "2 days 05:30:00", ""},
		{"+", Interval, Interval, "1 day 02:00", "3 hours", "interval", "1 day 05:00:00", ""},
		{"*", Interval, Float8, "1 mon", "0.5", "interval", "15 days", ""},
		{"/", Interval, Float8, "1 mon 3 days", "2", "interval", "16 days 12:00:00", ""},
		{"+", Int4, Unknown, "5", "7", "integer", "12", ""},
		{"+", Text, Int4, "a", "1", "", "", "42883"},
		{"%", Float8, Float8, "1", "2", "", "", "42883"},
	}
	for _, c := range cases {
		typ, err := BinaryOpType(c.op, c.lt, c.rt)
		if c.typ == "" {
			if pgerr.Code(err) != c.code {
				t.Errorf("%s %s %s: type error %v, want %s", TypeName(c.lt), c.op, TypeName(c.rt), err, c.code)
			}
			continue
		}
		if err != nil || TypeName(typ) != c.typ {
			t.Errorf("%s %s %s: type %s %v, want %s", TypeName(c.lt), c.op, TypeName(c.rt), TypeName(typ), err, c.typ)
			continue
		}
		l, err := ParseText(c.lt, c.l, nil)
		if err != nil {
			t.Fatal(err)
		}
		var r Value
		if c.rt.OID == OIDUnknown {
			r = NewText(c.r)
		} else if r, err = ParseText(c.rt, c.r, nil); err != nil {
			t.Fatal(err)
		}
		v, err := BinaryOp(c.op, l, c.lt, r, c.rt)
		if c.code != "" {
			if pgerr.Code(err) != c.code {
				t.Errorf("%s %s %s: err %v, want %s", c.l, c.op, c.r, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s %s: %v", c.l, c.op, c.r, err)
			continue
		}
		if s := TextString(v, typ, nil); s != c.want {
			t.Errorf("%s %s %s = %q, want %q", c.l, c.op, c.r, s, c.want)
		}
	}
	if v, err := Negate(NewInt(-2147483648), Int4); err == nil {
		t.Errorf("-(-2147483648) = %v", v)
	}
	if v, _ := BinaryOp("+", Null, Int4, NewInt(1), Int4); !v.IsNull() {
		t.Error("NULL + 1 must be NULL")
	}
}

func TestExtractAndTrunc(t *testing.T) {
	ts, _ := ParseText(Timestamp, "2024-05-17 13:45:56.789012", nil)
	for field, want := range map[string]string{
		"second": "56.789012", "milliseconds": "56789.012", "microseconds": "56789012", "epoch": "1715953556.789012",
		"dow": "5", "isodow": "5", "doy": "138", "week": "20", "quarter": "2", "century": "21", "millennium": "3", "decade": "202",
		"julian": "2460448.57357394689814814815",
	} {
		v, err := Extract(field, ts, Timestamp, nil)
		if err != nil || TextString(v, Numeric, nil) != want {
			t.Errorf("extract(%s) = %q %v, want %q", field, TextString(v, Numeric, nil), err, want)
		}
	}
	for field, want := range map[string]string{
		"week": "2024-05-13 00:00:00", "quarter": "2024-04-01 00:00:00", "hour": "2024-05-17 13:00:00", "milliseconds": "2024-05-17 13:45:56.789",
		"millennium": "2001-01-01 00:00:00", "century": "2001-01-01 00:00:00", "decade": "2020-01-01 00:00:00",
	} {
		v, err := DateTrunc(field, ts, Timestamp, nil)
		if err != nil || TextString(v, Timestamp, nil) != want {
			t.Errorf("date_trunc(%s) = %q %v, want %q", field, TextString(v, Timestamp, nil), err, want)
		}
	}
	if _, err := Extract("fortnight", ts, Timestamp, nil); pgerr.Code(err) != pgerr.InvalidParameterValue {
		t.Errorf("unknown unit: %v", err)
	}
	if _, err := Extract("hour", NewDate(0), Date, nil); pgerr.Code(err) != pgerr.FeatureNotSupported {
		t.Errorf("hour of a date: %v", err)
	}
}

func BenchmarkRow(b *testing.B) {
	row := []Value{NewInt(42), NewText("some customer name"), mustNumeric(b, "1234.56"), NewTimestamp(1700000000000000), NewBool(true), NewFloat(3.25), Null}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 128)
		for i := 0; i < b.N; i++ {
			buf = EncodeRow(buf[:0], row)
		}
	})
	enc := EncodeRow(nil, row)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		dst := make([]Value, 0, len(row))
		for i := 0; i < b.N; i++ {
			var err error
			if dst, err = DecodeRow(enc, dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTextIO(b *testing.B) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, c := range []struct {
		typ Type
		in  string
	}{{Int8, "1234567890"}, {Float8, "3.141592653589793"}, {Numeric, "12345.6789"}, {TimestampTZ, "2024-01-02 03:04:05.123456+00"}, {Interval, "1 day 02:03:04"}} {
		v, err := ParseText(c.typ, c.in, ny)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("out/"+TypeName(c.typ), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 64)
			for i := 0; i < b.N; i++ {
				buf = AppendText(buf[:0], v, c.typ, ny)
			}
		})
		b.Run("in/"+TypeName(c.typ), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := ParseText(c.typ, c.in, ny); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
