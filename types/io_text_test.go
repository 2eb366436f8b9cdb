package types

import (
	"strings"
	"testing"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// Expected strings are PostgreSQL 15's (checked against a real server by
// TestDiffPostgres for the same and many more inputs).
func TestTextIO(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	num52 := Type{OID: OIDNumeric, Mod: NumericTypmod(5, 2)}
	vc3 := Type{OID: OIDVarchar, Mod: 3 + 4}
	ch5 := Type{OID: OIDBPChar, Mod: 5 + 4}
	cases := []struct {
		typ  Type
		in   string
		loc  *time.Location
		out  string // expected output, or
		code string // expected SQLSTATE
		msg  string // expected message (optional)
	}{
		{typ: Bool, in: " YES ", out: "t"}, {typ: Bool, in: "of", out: "f"}, {typ: Bool, in: "o", code: "22P02", msg: `invalid input syntax for type boolean: "o"`},
		{typ: Bool, in: "TRU", out: "t"}, {typ: Bool, in: "1", out: "t"}, {typ: Bool, in: "0", out: "f"}, {typ: Bool, in: "2", code: "22P02"},
		{typ: Int4, in: "2147483648", code: "22003", msg: `value "2147483648" is out of range for type integer`},
		{typ: Int4, in: "x", code: "22P02", msg: `invalid input syntax for type integer: "x"`},
		{typ: Int2, in: "-32768", out: "-32768"}, {typ: Int2, in: "32768", code: "22003", msg: `value "32768" is out of range for type smallint`},
		{typ: Int8, in: " -9223372036854775808 ", out: "-9223372036854775808"}, {typ: Int8, in: "9223372036854775808", code: "22003"},
		{typ: Float8, in: "1e20", out: "1e+20"}, {typ: Float8, in: "1.5e-7", out: "1.5e-07"}, {typ: Float8, in: "0.1", out: "0.1"},
		{typ: Float8, in: "NaN", out: "NaN"}, {typ: Float8, in: "-inf", out: "-Infinity"}, {typ: Float8, in: "Infinity", out: "Infinity"},
		{typ: Float8, in: "123456789012345", out: "123456789012345"}, {typ: Float8, in: "1e15", out: "1e+15"}, {typ: Float8, in: "0.0001", out: "0.0001"},
		{typ: Float8, in: "1e400", code: "22003", msg: `"1e400" is out of range for type double precision`},
		{typ: Float8, in: "z", code: "22P02", msg: `invalid input syntax for type double precision: "z"`},
		{typ: Float4, in: "1e6", out: "1e+06"}, {typ: Float4, in: "100000", out: "100000"}, {typ: Float4, in: "0.1", out: "0.1"},
		{typ: Numeric, in: "1.50", out: "1.50"}, {typ: Numeric, in: "1e3", out: "1000"}, {typ: Numeric, in: "-0.00", out: "0.00"}, {typ: Numeric, in: "nan", out: "NaN"},
		{typ: num52, in: "123.456", out: "123.46"}, {typ: num52, in: "-1.005", out: "-1.01"}, {typ: num52, in: "2", out: "2.00"},
		{typ: num52, in: "1234.5", code: "22003", msg: "numeric field overflow"}, {typ: num52, in: "999.995", code: "22003"},
		{typ: Numeric, in: "1..2", code: "22P02", msg: `invalid input syntax for type numeric: "1..2"`},
		{typ: Text, in: "héllo", out: "héllo"}, {typ: Text, in: "a\x00b", code: "22021"}, {typ: Text, in: "\xff", code: "22021"},
		{typ: vc3, in: "abc   ", out: "abc"}, {typ: vc3, in: "abcd", code: "22001", msg: "value too long for type character varying(3)"},
		{typ: vc3, in: "日本語", out: "日本語"}, {typ: ch5, in: "ab", out: "ab   "}, {typ: ch5, in: "abcdef", code: "22001", msg: "value too long for type character(5)"},
		{typ: Name, in: strings.Repeat("n", 70), out: strings.Repeat("n", 63)},
		{typ: Bytea, in: `\x0aFF`, out: `\x0aff`}, {typ: Bytea, in: `a\\b\001`, out: `\x615c6201`}, {typ: Bytea, in: `\x0`, code: "22023"},
		{typ: Bytea, in: `\9`, code: "22P02", msg: "invalid input syntax for type bytea"},
		{typ: UUID, in: "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}", out: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{typ: UUID, in: "a0eebc999c0b4ef8bb6d6bb9bd380a11", out: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, {typ: UUID, in: "a0eebc99", code: "22P02"},
		{typ: JSON, in: ` {"b":1, "a":2} `, out: ` {"b":1, "a":2} `}, {typ: JSON, in: `{"a":}`, code: "22P02"},
		{typ: JSONB, in: `{"b": [1, 2.0, 1e2], "a": 1, "aa": "x\u0041\n", "a": 2}`, out: `{"a": 2, "b": [1, 2.0, 100], "aa": "xA\n"}`},
		{typ: JSONB, in: `{"bb":1,"a":2,"c":3,"ab":4}`, out: `{"a": 2, "c": 3, "ab": 4, "bb": 1}`}, {typ: JSONB, in: `"\u0000"`, code: "22P05"},
		{typ: OIDType, in: "-1", out: "4294967295"}, {typ: Type{OID: OIDRegclass, Mod: -1}, in: "1259", out: "1259"},
		{typ: Date, in: "2024-01-02", out: "2024-01-02"}, {typ: Date, in: "0044-03-15 BC", out: "0044-03-15 BC"}, {typ: Date, in: "infinity", out: "infinity"},
		{typ: Date, in: "January 8, 1999", out: "1999-01-08"}, {typ: Date, in: "2023-02-29", code: "22008", msg: `date/time field value out of range: "2023-02-29"`},
		{typ: Date, in: "garbage", code: "22007", msg: `invalid input syntax for type date: "garbage"`},
		{typ: Timestamp, in: "2024-01-02T03:04:05.123000", out: "2024-01-02 03:04:05.123"}, {typ: Timestamp, in: "epoch", out: "1970-01-01 00:00:00"},
		{typ: Timestamp, in: "2024-01-02 03:04:05+02", out: "2024-01-02 03:04:05"}, {typ: Type{OID: OIDTimestamp, Mod: 2}, in: "2024-01-02 03:04:05.125", out: "2024-01-02 03:04:05.13"},
		{typ: TimestampTZ, in: "2024-01-02 03:04:05+05:30", out: "2024-01-01 21:34:05+00"},
		{typ: TimestampTZ, in: "2024-01-02 03:04:05+05:30", loc: kolkata, out: "2024-01-02 03:04:05+05:30"},
		{typ: TimestampTZ, in: "2024-01-02 03:04:05", loc: ny, out: "2024-01-02 03:04:05-05"},
		{typ: TimestampTZ, in: "2024-03-10 02:30:00", loc: ny, out: "2024-03-10 03:30:00-04"},
		{typ: TimestampTZ, in: "2024-11-03 01:30:00", loc: ny, out: "2024-11-03 01:30:00-05"},
		{typ: TimestampTZ, in: "-infinity", out: "-infinity"},
		{typ: Interval, in: "1 year 2 mons 3 days 04:05:06.5", out: "1 year 2 mons 3 days 04:05:06.5"},
		{typ: Interval, in: "-1 days +02:00:00", out: "-1 days +02:00:00"}, {typ: Interval, in: "P1Y2M3DT4H", out: "1 year 2 mons 3 days 04:00:00"},
		{typ: Interval, in: "1 day", out: "1 day"}, {typ: Interval, in: "2 hours", out: "02:00:00"}, {typ: Interval, in: "3 minutes ago", out: "-00:03:00"},
		{typ: Interval, in: "1:30", out: "01:30:00"}, {typ: Interval, in: "0", out: "00:00:00"}, {typ: Interval, in: "-1 year -2 mons", out: "-1 years -2 mons"},
		{typ: Interval, in: "1 day 1 day", code: "22007"},
		{typ: Time, in: "4:05 PM", out: "16:05:00"}, {typ: Time, in: "24:00:00", out: "24:00:00"}, {typ: Time, in: "04:05:06.5-08", out: "04:05:06.5"},
		{typ: Time, in: "25:00", code: "22008"},
	}
	for _, c := range cases {
		v, err := ParseText(c.typ, c.in, c.loc)
		if c.code != "" {
			if err == nil {
				t.Errorf("ParseText(%s, %q) = %q, want error %s", TypeName(c.typ), c.in, TextString(v, c.typ, c.loc), c.code)
				continue
			}
			if pgerr.Code(err) != c.code || (c.msg != "" && err.Error() != c.msg) {
				t.Errorf("ParseText(%s, %q): error %s %q, want %s %q", TypeName(c.typ), c.in, pgerr.Code(err), err, c.code, c.msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseText(%s, %q): %v", TypeName(c.typ), c.in, err)
			continue
		}
		got := TextString(v, c.typ, c.loc)
		if got != c.out {
			t.Errorf("ParseText(%s, %q) prints %q, want %q", TypeName(c.typ), c.in, got, c.out)
		}
		// Output must parse back to an equal value (skip lossy char/name cases).
		back, err := ParseText(c.typ, got, c.loc)
		if err != nil || TextString(back, c.typ, c.loc) != got {
			t.Errorf("round trip of %q as %s: %q, %v", got, TypeName(c.typ), TextString(back, c.typ, c.loc), err)
		}
	}
}

func TestParseTypeNameAndTypeName(t *testing.T) {
	cases := []struct {
		names []string
		mods  []int32
		want  string
	}{
		{[]string{"pg_catalog", "int4"}, nil, "integer"}, {[]string{"varchar"}, []int32{10}, "character varying(10)"},
		{[]string{"pg_catalog", "bpchar"}, []int32{3}, "character(3)"}, {[]string{"bpchar"}, nil, "bpchar"},
		{[]string{"numeric"}, []int32{12, 2}, "numeric(12,2)"}, {[]string{"numeric"}, []int32{7}, "numeric(7,0)"},
		{[]string{"pg_catalog", "timestamptz"}, nil, "timestamp with time zone"}, {[]string{"pg_catalog", "timestamp"}, []int32{3}, "timestamp(3) without time zone"},
		{[]string{"pg_catalog", "float8"}, nil, "double precision"}, {[]string{"pg_catalog", "float4"}, nil, "real"},
		{[]string{"bool"}, nil, "boolean"}, {[]string{"text"}, nil, "text"}, {[]string{"int8"}, nil, "bigint"}, {[]string{"int2"}, nil, "smallint"},
		{[]string{"date"}, nil, "date"}, {[]string{"pg_catalog", "interval"}, nil, "interval"}, {[]string{"uuid"}, nil, "uuid"},
		{[]string{"json"}, nil, "json"}, {[]string{"jsonb"}, nil, "jsonb"}, {[]string{"bytea"}, nil, "bytea"}, {[]string{"name"}, nil, "name"},
		{[]string{"oid"}, nil, "oid"}, {[]string{"regclass"}, nil, "regclass"}, {[]string{"char"}, nil, `"char"`},
	}
	for _, c := range cases {
		typ, err := ParseTypeName(c.names, c.mods)
		if err != nil {
			t.Errorf("ParseTypeName(%v, %v): %v", c.names, c.mods, err)
			continue
		}
		if got := TypeName(typ); got != c.want {
			t.Errorf("TypeName(ParseTypeName(%v, %v)) = %q, want %q", c.names, c.mods, got, c.want)
		}
	}
	_, err := ParseTypeName([]string{"nosuchtype"}, nil)
	if pgerr.Code(err) != pgerr.UndefinedObject || err.Error() != `type "nosuchtype" does not exist` {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := ParseTypeName([]string{"varchar"}, []int32{0}); pgerr.Code(err) != pgerr.InvalidParameterValue {
		t.Errorf("varchar(0): %v", err)
	}
}
