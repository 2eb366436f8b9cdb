package types

// Differential tests: the same literals, casts, operators and date/time
// functions evaluated by a real PostgreSQL 15 (internal/testpg) and by this
// package must give the same text (or the same SQLSTATE).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/pgerr"
)

// parseSQLType turns "numeric(5,2)" into a Type via ParseTypeName.
func parseSQLType(t testing.TB, s string) Type {
	t.Helper()
	name, mods := s, []int32(nil)
	if i := strings.IndexByte(s, '('); i >= 0 {
		name = s[:i]
		for _, m := range strings.Split(strings.TrimSuffix(s[i+1:], ")"), ",") {
			n, err := strconv.Atoi(strings.TrimSpace(m))
			if err != nil {
				t.Fatalf("bad type %q", s)
			}
			mods = append(mods, int32(n))
		}
	}
	typ, err := ParseTypeName([]string{"pg_catalog", name}, mods)
	if err != nil {
		t.Fatalf("ParseTypeName(%q): %v", s, err)
	}
	return typ
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

type pgResult struct {
	text string
	code string // SQLSTATE if an error
	null bool
}

func (r pgResult) String() string {
	if r.code != "" {
		return "ERROR " + r.code
	}
	if r.null {
		return "NULL"
	}
	return strconv.Quote(r.text)
}

func pgQuery(t testing.TB, c *pgx.Conn, sql string) pgResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := c.PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Read()
	if res.Err != nil {
		var pe *pgconn.PgError
		if errors.As(res.Err, &pe) {
			return pgResult{code: pe.Code}
		}
		t.Fatalf("%s: %v", sql, res.Err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		t.Fatalf("%s: unexpected shape", sql)
	}
	if res.Rows[0][0] == nil {
		return pgResult{null: true}
	}
	return pgResult{text: string(res.Rows[0][0])}
}

// pgResultType prepares sql (without executing it) and returns the type OID
// of its single column, or the SQLSTATE of the parse-analysis error.
func pgResultType(t testing.TB, c *pgx.Conn, sql string) (OID, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sd, err := c.PgConn().Prepare(ctx, "", sql, nil)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return 0, pe.Code
		}
		t.Fatalf("%s: %v", sql, err)
	}
	return OID(sd.Fields[0].DataTypeOID), ""
}

func pgQueryBinary(t testing.TB, c *pgx.Conn, sql string) ([]byte, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := c.PgConn().ExecParams(ctx, sql, nil, nil, nil, []int16{1}).Read()
	if res.Err != nil {
		return nil, false
	}
	return res.Rows[0][0], true
}

func ours(v Value, err error, t Type, loc *time.Location) pgResult {
	if err != nil {
		return pgResult{code: pgerr.Code(err)}
	}
	if v.IsNull() {
		return pgResult{null: true}
	}
	return pgResult{text: string(AppendText(nil, v, t, loc))}
}

// literal input cases: type, text
var diffLiterals = []struct{ typ, lit string }{
	{"bool", "t"}, {"bool", " TRUE "}, {"bool", "yes"}, {"bool", "of"}, {"bool", "off"}, {"bool", "0"}, {"bool", "n"}, {"bool", "maybe"}, {"bool", "o"},
	{"int2", "32767"}, {"int2", "-32768"}, {"int2", "32768"}, {"int2", " 12 "}, {"int2", "1.5"}, {"int2", ""},
	{"int4", "2147483647"}, {"int4", "-2147483648"}, {"int4", "2147483648"}, {"int4", "+7"}, {"int4", "12a"}, {"int4", "-"}, {"int4", "0x10"},
	{"int8", "9223372036854775807"}, {"int8", "-9223372036854775808"}, {"int8", "9223372036854775808"}, {"int8", "99999999999999999999999"},
	{"float8", "1e20"}, {"float8", "1.5e-7"}, {"float8", "0.1"}, {"float8", "123456789012345"}, {"float8", "1234567890123456"},
	{"float8", "1e15"}, {"float8", "1e-4"}, {"float8", "1e-5"}, {"float8", "NaN"}, {"float8", "-Infinity"}, {"float8", "inf"},
	{"float8", "1e400"}, {"float8", "1e-400"}, {"float8", "-0"}, {"float8", "abc"}, {"float8", "3.141592653589793"}, {"float8", " 2.5 "},
	{"float8", "1."}, {"float8", ".5"}, {"float8", "5e"}, {"float8", "100"}, {"float8", "1.7976931348623157e308"}, {"float8", "4.9e-324"},
	{"float4", "1e6"}, {"float4", "100000"}, {"float4", "123456"}, {"float4", "1234567"}, {"float4", "0.1"}, {"float4", "3.4e38"}, {"float4", "1e39"},
	{"float4", "1.17549435e-38"}, {"float4", "NaN"}, {"float4", "1e-5"}, {"float4", "0.0001"}, {"float4", "3.14159"},
	{"numeric", "1.50"}, {"numeric", "1e3"}, {"numeric", "-0"}, {"numeric", "-0.000"}, {"numeric", ".5"}, {"numeric", "5."}, {"numeric", "NaN"},
	{"numeric", "Infinity"}, {"numeric", "-inf"}, {"numeric", "1.5e-3"}, {"numeric", "12345678901234567890.123456789"}, {"numeric", "abc"},
	{"numeric", "1e"}, {"numeric", "1e1001"}, {"numeric", "1e131072"}, {"numeric", "1e-16383"}, {"numeric", "0.5e-16383"}, {"numeric", "1e999999999"}, {"numeric", "  42  "}, {"numeric", "1.23E+2"}, {"numeric", "0.00000000000000000001"},
	{"numeric(5,2)", "123.456"}, {"numeric(5,2)", "1234.5"}, {"numeric(5,2)", "999.995"}, {"numeric(5,2)", "-999.994"}, {"numeric(5,2)", "0.005"},
	{"numeric(5,2)", "-0.004"}, {"numeric(3)", "123.5"}, {"numeric(3)", "-999.4"}, {"numeric(3,3)", "0.9995"}, {"numeric(3,3)", "0.9994"},
	{"numeric(5,2)", "NaN"}, {"numeric(5,2)", "Infinity"}, {"numeric(10,4)", "1.5"}, {"numeric(2,-2)", "1234"},
	{"text", "hello"}, {"text", ""}, {"text", "héllo wörld"}, {"varchar(3)", "abc"}, {"varchar(3)", "abcd"}, {"varchar(3)", "ab   "},
	{"varchar(3)", "abc  d"}, {"varchar(3)", "日本語"}, {"varchar(3)", "日本語x"}, {"bpchar(5)", "ab"}, {"bpchar(5)", "abcdef"}, {"bpchar(5)", "abcde   "},
	{"bpchar", "ab  "}, {"name", "a_name"}, {"name", strings.Repeat("x", 70)},
	{"bytea", "\\x0aff"}, {"bytea", "\\x0A FF"}, {"bytea", "\\x0"}, {"bytea", "\\xzz"}, {"bytea", "abc"}, {"bytea", "a\\\\b"}, {"bytea", "\\001\\377"},
	{"bytea", "\\8"}, {"bytea", ""}, {"bytea", "\\x"},
	{"uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, {"uuid", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}, {"uuid", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"},
	{"uuid", "a0eebc999c0b4ef8bb6d6bb9bd380a11"}, {"uuid", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"}, {"uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"},
	{"uuid", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, {"uuid", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{"json", `{"b": 1, "a": [1, 2]}`}, {"json", ` {"a":1,"a":2} `}, {"json", `[1, 2`}, {"json", `"x\u0041"`}, {"json", `1e5`}, {"json", `01`}, {"json", `tru`},
	{"jsonb", `{"b": [1, 2.0, 1e2], "a": 1, "aa": "x\u0041\n", "a": 2}`}, {"jsonb", `[]`}, {"jsonb", `{}`}, {"jsonb", `  null `},
	{"jsonb", `{"x": {"y": [true, false, null, "s\"q"]}}`}, {"jsonb", `-0`}, {"jsonb", `1E-2`}, {"jsonb", `"\u00e9\t"`}, {"jsonb", `"\u0000"`},
	{"jsonb", `{"a":1,}`}, {"jsonb", `"\ud83d\ude00"`}, {"jsonb", `{"bb":1,"a":2,"c":3,"ab":4}`}, {"jsonb", `"\u001f"`},
	{"oid", "12345"}, {"oid", "4294967295"}, {"oid", "4294967296"}, {"oid", "-1"}, {"oid", "abc"},
	{"date", "2024-01-02"}, {"date", "0044-03-15 BC"}, {"date", "Jan 8 1999"}, {"date", "January 8, 1999"}, {"date", "1/8/1999"}, {"date", "1999-01-08 04:05:06"},
	{"date", "19990108"}, {"date", "infinity"}, {"date", "-infinity"}, {"date", "epoch"}, {"date", "2024-02-30"}, {"date", "2023-02-29"}, {"date", "2024-13-01"},
	{"date", "2024-02-29"}, {"date", "garbage"}, {"date", "0001-01-01"}, {"date", "0001-12-31 BC"}, {"date", "4713-11-24 BC"}, {"date", "8 Jan 1999"},
	{"date", "99-01-08"}, {"date", "5874897-12-31"},
	{"timestamp", "2024-01-02 03:04:05.123456"}, {"timestamp", "2024-01-02T03:04:05"}, {"timestamp", "2024-01-02 03:04:05.1"}, {"timestamp", "2024-01-02"},
	{"timestamp", "2024-01-02 03:04:05+02"}, {"timestamp", "epoch"}, {"timestamp", "infinity"}, {"timestamp", "2024-01-02 24:00:00"},
	{"timestamp", "2024-01-02 25:00:00"}, {"timestamp", "2024-01-02 03:60:00"}, {"timestamp", "0044-03-15 10:00:00 BC"}, {"timestamp", "2024-01-02 03:04:05.9999995"},
	{"timestamp", "2024-01-02 03:04"}, {"timestamp", "Jan 2 2024 10:00"}, {"timestamp(2)", "2024-01-02 03:04:05.125"}, {"timestamp(0)", "2024-01-02 03:04:05.5"},
	{"timestamp", "1999-12-31 23:59:59.999999"}, {"timestamp", "1900-01-01 00:00:00"},
	{"timestamptz", "2024-01-02 03:04:05+05:30"}, {"timestamptz", "2024-07-02 03:04:05"}, {"timestamptz", "2024-01-02 03:04:05Z"},
	{"timestamptz", "2024-01-02T03:04:05-08:00"}, {"timestamptz", "2024-01-02 03:04:05 UTC"}, {"timestamptz", "epoch"}, {"timestamptz", "-infinity"},
	{"timestamptz", "2024-01-02 03:04:05 America/New_York"}, {"timestamptz", "2024-07-02 03:04:05 Europe/Berlin"}, {"timestamptz", "2024-01-02 03:04:05 PST"},
	{"timestamptz", "2024-03-10 02:30:00"}, {"timestamptz", "2024-11-03 01:30:00"}, {"timestamptz", "1883-01-01 00:00:00"}, {"timestamptz", "2024-01-02 03:04:05+0530"},
	{"timestamptz", "2024-01-02 03:04:05.5-03"}, {"timestamptz", "0010-01-01 00:00:00+00 BC"},
	{"interval", "1 year 2 mons 3 days 04:05:06.5"}, {"interval", "-1 days +02:00:00"}, {"interval", "P1Y2M3DT4H"}, {"interval", "3 minutes ago"},
	{"interval", "1:30"}, {"interval", "0"}, {"interval", "1.5 days"}, {"interval", "1 day"}, {"interval", "2 hours"}, {"interval", "@ 1 hour 30 minutes"},
	{"interval", "-1 year -2 mons"}, {"interval", "1 year -1 days"}, {"interval", "10"}, {"interval", "1.5 months"}, {"interval", "1 week"},
	{"interval", "1 mon 1 day -00:00:01"}, {"interval", "00:00:00.000001"}, {"interval", "-00:00:00.5"}, {"interval", "100:00:00"}, {"interval", "1 decade"},
	{"interval", "2 centuries"}, {"interval", "1 millennium"}, {"interval", "P1W"}, {"interval", "PT1.5S"}, {"interval", "PT36H"}, {"interval", "1 fortnight"},
	{"interval", "1 day 2 days"}, {"interval", "-1:30"}, {"interval", "1 year 1 year"}, {"interval", "2 days ago"}, {"interval", "1.5 years"},
	{"interval", "10000000000000"}, {"interval", "99999999 years"}, {"interval", "P0D"}, {"interval", "1 ms"}, {"interval", "1.5 hours"}, {"interval", "23:59:59.999999"},
	{"time", "04:05:06.789"}, {"time", "04:05"}, {"time", "24:00:00"}, {"time", "24:00:01"}, {"time", "4:05 PM"},
	{"time", "12:30 AM"}, {"time", "2024-01-02 04:05:06"}, {"time", "04:05:06 PST"}, {"time", "04:05:06-08:00"}, {"time", "allballs"},
	{"time", "25:00"}, {"time", "abc"}, {"time(2)", "04:05:06.789"}, {"time(0)", "23:59:59.5"}, {"time", "13:00 PM"},
}

func TestDiffPostgres(t *testing.T) {
	pg := testpg.Start(t, testpg.WithNoFsync())
	c := pg.Conn()
	for _, zone := range []string{"UTC", "America/New_York", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		if r := pgQuery(t, c, "SELECT set_config('TimeZone', "+sqlQuote(zone)+", false)"); r.code != "" {
			t.Fatalf("set TimeZone: %v", r)
		}
		t.Run("literals/"+zone, func(t *testing.T) { diffLiteralsTest(t, c, loc, zone != "UTC") })
		t.Run("casts/"+zone, func(t *testing.T) { diffCasts(t, c, loc, zone != "UTC") })
		t.Run("datetime/"+zone, func(t *testing.T) { diffDateTime(t, c, loc) })
		t.Run("arith/"+zone, func(t *testing.T) { diffArith(t, c, loc) })
		if zone == "UTC" {
			t.Run("binary", func(t *testing.T) { diffBinary(t, c) })
			t.Run("typename", func(t *testing.T) { diffTypeName(t, c) })
		}
	}
	t.Run("random", func(t *testing.T) { diffRandom(t, c) })
	t.Run("grammar", func(t *testing.T) { diffInputGrammar(t, c) })
}

func diffLiteralsTest(t *testing.T, c *pgx.Conn, loc *time.Location, tzOnly bool) {
	for _, tc := range diffLiterals {
		if tzOnly && tc.typ != "timestamptz" {
			continue
		}
		typ := parseSQLType(t, tc.typ)
		q := "SELECT " + sqlQuote(tc.lit) + "::" + tc.typ
		if (typ.OID == OIDVarchar || typ.OID == OIDBPChar) && typ.Mod >= 0 {
			// 'x'::varchar(3) is an explicit (truncating) cast; the input
			// function with a typmod is what ParseText implements.
			fn := map[OID]string{OIDVarchar: "varcharin", OIDBPChar: "bpcharin"}[typ.OID]
			q = fmt.Sprintf("SELECT %s(%s::cstring, 0, %d)", fn, sqlQuote(tc.lit), typ.Mod)
		}
		want := pgQuery(t, c, q)
		v, err := ParseText(typ, tc.lit, loc)
		got := ours(v, err, typ, loc)
		if got != want {
			t.Errorf("%s::%s: got %v, PostgreSQL %v", sqlQuote(tc.lit), tc.typ, got, want)
		}
	}
}

var diffCastCases = []struct{ from, lit, to string }{
	{"float8", "2.5", "int4"}, {"float8", "3.5", "int4"}, {"float8", "-2.5", "int4"}, {"float8", "2147483647.4", "int4"}, {"float8", "2147483647.5", "int4"},
	{"float8", "NaN", "int8"}, {"float4", "1e10", "int4"}, {"numeric", "2.5", "int4"}, {"numeric", "-2.5", "int4"}, {"numeric", "32767.5", "int2"},
	{"numeric", "NaN", "int4"}, {"numeric", "Infinity", "int8"}, {"int8", "2147483648", "int4"}, {"int4", "40000", "int2"}, {"int4", "-5", "int8"},
	{"int4", "7", "numeric(5,2)"}, {"int4", "1000", "numeric(5,2)"}, {"float8", "0.1", "numeric"}, {"float8", "1e20", "numeric"},
	{"float8", "0.3333333333333333", "numeric"}, {"float8", "123456789.123456789", "numeric"}, {"float4", "0.1", "numeric"}, {"float4", "3.14159", "numeric"},
	{"float8", "NaN", "numeric"}, {"float8", "-Infinity", "numeric"}, {"float8", "1e-7", "numeric"}, {"numeric", "0.1", "float8"}, {"numeric", "1.5", "float4"},
	{"numeric", "1e400", "float8"}, {"float8", "1e300", "float4"}, {"float8", "1e-300", "float4"}, {"int8", "9007199254740993", "float8"},
	{"int4", "16777217", "float4"}, {"numeric", "12.345", "numeric(4,1)"}, {"numeric", "12.35", "numeric(3,1)"},
	{"text", "abcdef", "varchar(3)"}, {"text", "abcdef", "bpchar(3)"}, {"text", "ab", "bpchar(4)"}, {"bpchar(5)", "ab", "text"}, {"bpchar(5)", "ab", "varchar"},
	{"varchar", "xyz", "name"}, {"text", "123", "int4"}, {"text", " 123 ", "int8"}, {"text", "12.5", "numeric"}, {"text", "yes", "bool"},
	{"bool", "true", "text"}, {"bool", "false", "varchar"}, {"bool", "true", "int4"}, {"int4", "0", "bool"}, {"int4", "-3", "bool"},
	{"int4", "42", "text"}, {"float8", "1e20", "text"}, {"numeric", "1.50", "text"}, {"date", "2024-01-02", "text"},
	{"date", "2024-01-02", "timestamp"}, {"date", "2024-01-02", "timestamptz"}, {"timestamp", "2024-01-02 03:04:05", "date"},
	{"timestamptz", "2024-01-02 03:04:05+00", "date"}, {"timestamptz", "2024-01-02 23:04:05+00", "date"}, {"timestamp", "2024-07-02 03:04:05", "timestamptz"},
	{"timestamptz", "2024-07-02 03:04:05+00", "timestamp"}, {"timestamp", "2024-01-02 03:04:05.555", "timestamp(1)"}, {"date", "infinity", "timestamp"},
	{"timestamptz", "-infinity", "date"}, {"json", `{"b":1,"a":2}`, "jsonb"}, {"jsonb", `{"b":1,"a":2}`, "json"}, {"jsonb", `12.5`, "numeric"},
	{"jsonb", `12.5`, "int4"}, {"jsonb", `true`, "bool"}, {"jsonb", `"x"`, "numeric"}, {"uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "text"},
	{"text", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid"}, {"bytea", "\\x6869", "text"}, {"text", "hi", "bytea"}, {"interval", "1 day", "text"},
	{"text", "1 day", "interval"}, {"int4", "5", "oid"}, {"int8", "-1", "oid"}, {"oid", "4294967295", "int8"}, {"oid", "4294967295", "int4"},
	{"int4", "1", "date"}, {"date", "2024-01-02", "int4"}, {"bool", "true", "numeric"}, {"uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "bytea"},
	{"interval", "1 day", "timestamp"}, {"timestamp", "2024-01-02 03:04:05.5", "time"}, {"timestamptz", "2024-01-02 03:04:05+00", "time"},
	{"interval", "1 day 27:00:00", "time"}, {"interval", "-01:00", "time"}, {"time", "04:05", "interval"}, {"time", "04:05:06", "text"},
	{"text", "04:05", "time"}, {"time", "04:05:06.5", "time(0)"}, {"float8", "1.5", "bool"}, {"json", `1`, "int4"},
}

func diffCasts(t *testing.T, c *pgx.Conn, loc *time.Location, tzOnly bool) {
	for _, tc := range diffCastCases {
		if tzOnly && !strings.Contains(tc.from+tc.to, "tz") {
			continue
		}
		from, to := parseSQLType(t, tc.from), parseSQLType(t, tc.to)
		want := pgQuery(t, c, "SELECT "+sqlQuote(tc.lit)+"::"+tc.from+"::"+tc.to)
		v, err := ParseText(from, tc.lit, loc)
		if err != nil {
			t.Fatalf("%s::%s: %v", tc.lit, tc.from, err)
		}
		r, err := Cast(v, from, to, true, loc)
		got := ours(r, err, to, loc)
		if got != want {
			t.Errorf("%s::%s::%s: got %v, PostgreSQL %v", sqlQuote(tc.lit), tc.from, tc.to, got, want)
		}
	}
}

var diffArithCases = []struct{ lt, l, op, rt, r string }{
	{"int4", "2147483647", "+", "int4", "1"}, {"int2", "32767", "+", "int2", "1"}, {"int2", "100", "*", "int4", "1000"}, {"int8", "9223372036854775807", "+", "int8", "1"},
	{"int4", "7", "/", "int4", "2"}, {"int4", "-7", "/", "int4", "2"}, {"int4", "-7", "%", "int4", "3"}, {"int4", "7", "/", "int4", "0"}, {"int4", "7", "%", "int4", "0"},
	{"int4", "-2147483648", "/", "int4", "-1"}, {"int8", "-9223372036854775808", "%", "int8", "-1"}, {"int8", "4294967296", "*", "int8", "4294967296"},
	{"int4", "1", "/", "numeric", "3"}, {"numeric", "10", "/", "numeric", "4"}, {"numeric", "1", "/", "numeric", "3"}, {"numeric", "2", "/", "numeric", "3"},
	{"numeric", "1.50", "+", "numeric", "2.250"}, {"numeric", "1.5", "*", "numeric", "2.25"}, {"numeric", "100", "/", "numeric", "7"}, {"numeric", "123456789", "/", "numeric", "0.001"},
	{"numeric", "0.0001", "/", "numeric", "3"}, {"numeric", "1", "/", "numeric", "0"}, {"numeric", "5.5", "%", "numeric", "2"}, {"numeric", "-5.5", "%", "numeric", "2"},
	{"numeric", "NaN", "+", "numeric", "1"}, {"numeric", "Infinity", "-", "numeric", "Infinity"}, {"numeric", "Infinity", "*", "numeric", "-2"},
	{"numeric", "1", "/", "numeric", "Infinity"}, {"numeric", "9999.9999", "/", "numeric", "0.0003"}, {"numeric", "1.000", "-", "numeric", "1"},
	{"int4", "3", "*", "numeric", "1.25"}, {"int8", "5", "-", "numeric", "0.5"}, {"int4", "1", "+", "float8", "0.5"}, {"float4", "1.5", "*", "float4", "2"},
	{"float4", "0.1", "+", "float8", "0.2"}, {"float8", "0.1", "+", "float8", "0.2"}, {"float8", "1", "/", "float8", "0"}, {"float8", "1e308", "*", "float8", "10"},
	{"float8", "1e-308", "*", "float8", "1e-308"}, {"numeric", "1.5", "+", "float8", "1"}, {"float8", "5.5", "%", "int4", "2"}, {"float8", "Infinity", "-", "float8", "Infinity"},
	{"date", "2024-01-31", "+", "int4", "1"}, {"int4", "1", "+", "date", "2024-12-31"}, {"date", "2024-03-01", "-", "int4", "1"}, {"date", "2024-03-01", "-", "date", "2024-01-01"},
	{"date", "2024-01-31", "+", "interval", "1 month"}, {"date", "2024-01-31", "-", "interval", "1 day 2 hours"}, {"timestamp", "2024-01-31 10:00", "+", "interval", "1 month"},
	{"timestamp", "2023-01-31 10:00", "+", "interval", "1 month"}, {"timestamp", "2024-02-29 10:00", "+", "interval", "1 year"}, {"timestamp", "2024-03-31", "-", "interval", "1 mon 1 day"},
	{"timestamptz", "2024-01-31 10:00+00", "+", "interval", "1 month 1 day 01:00"}, {"timestamp", "2024-01-03 12:00", "-", "timestamp", "2024-01-01 06:30"},
	{"timestamp", "2024-01-01", "-", "timestamp", "2024-01-03 12:00"}, {"timestamptz", "2024-01-02 00:00+00", "-", "date", "2024-01-01"}, {"timestamp", "2024-01-02 00:00", "-", "timestamptz", "2024-01-01 00:00+00"}, {"timestamptz", "2024-01-03 12:00+00", "-", "timestamptz", "2024-01-01 06:30+00"},
	{"interval", "1 day 02:00", "+", "interval", "3 hours"}, {"interval", "1 mon", "-", "interval", "1 day"}, {"interval", "1 day", "*", "float8", "1.5"},
	{"interval", "1 mon", "*", "float8", "0.5"}, {"interval", "1 mon 3 days", "/", "float8", "2"}, {"interval", "1 day", "/", "float8", "0"}, {"float8", "2", "*", "interval", "1 hour 30 minutes"},
	{"interval", "1 year", "*", "int4", "3"}, {"interval", "10 mon", "/", "int4", "3"}, {"date", "2024-01-01", "+", "date", "2024-01-01"}, {"text", "a", "+", "int4", "1"},
	{"timestamp", "infinity", "+", "interval", "1 day"}, {"date", "2024-02-29", "-", "timestamp", "2024-02-28 12:00"}, {"numeric", "0.1", "*", "numeric", "0.01"},
	{"time", "23:00", "+", "interval", "2 hours"}, {"time", "01:00", "-", "interval", "2 hours"}, {"time", "04:00", "-", "time", "05:30"},
	{"date", "2024-01-02", "+", "time", "04:05"}, {"interval", "1 day 01:00", "+", "time", "23:30"}, {"time", "01:00", "*", "int4", "2"},
	{"int2", "-32768", "/", "int2", "-1"}, {"numeric", "7", "%", "numeric", "-3"}, {"numeric", "-0.5", "+", "numeric", "0.5"}, {"numeric", "1e-20", "/", "numeric", "3"},
	{"numeric", "123456789012345678", "/", "numeric", "3"}, {"numeric", "1", "/", "numeric", "7.000000000"}, {"int8", "10", "/", "int4", "3"},
}

func diffArith(t *testing.T, c *pgx.Conn, loc *time.Location) {
	for _, tc := range diffArithCases {
		lt, rt := parseSQLType(t, tc.lt), parseSQLType(t, tc.rt)
		expr := sqlQuote(tc.l) + "::" + tc.lt + " " + tc.op + " " + sqlQuote(tc.r) + "::" + tc.rt
		want := pgQuery(t, c, "SELECT "+expr)
		wantOID, wantCode := pgResultType(t, c, "SELECT "+expr)
		resT, terr := BinaryOpType(tc.op, lt, rt)
		if terr != nil {
			if pgerr.Code(terr) != wantCode {
				t.Errorf("type of %s: got %v, PostgreSQL %d %s", expr, terr, wantOID, wantCode)
			}
		} else if resT.OID != wantOID {
			t.Errorf("type of %s: got %s, PostgreSQL %s %s", expr, TypeName(resT), TypeName(Type{OID: wantOID, Mod: -1}), wantCode)
		}
		l, err := ParseText(lt, tc.l, loc)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseText(rt, tc.r, loc)
		if err != nil {
			t.Fatal(err)
		}
		v, err := BinaryOpLoc(tc.op, l, lt, r, rt, loc)
		got := ours(v, err, resT, loc)
		if got != want {
			t.Errorf("%s: got %v, PostgreSQL %v", expr, got, want)
		}
	}
	// unknown literals take the other side's type
	for _, tc := range []struct{ lt, l, op, r string }{
		{"int4", "5", "+", "7"}, {"time", "23:00", "+", "2 hours"}, {"time", "23:00", "-", "01:30"}, {"date", "2024-01-01", "+", "1 day"}, {"timestamp", "2024-01-01", "-", "2023-12-01"}, {"numeric", "1.5", "*", "2"},
	} {
		lt := parseSQLType(t, tc.lt)
		expr := sqlQuote(tc.l) + "::" + tc.lt + " " + tc.op + " " + sqlQuote(tc.r)
		want := pgQuery(t, c, "SELECT "+expr)
		l, _ := ParseText(lt, tc.l, loc)
		v, err := BinaryOp(tc.op, l, lt, NewText(tc.r), Unknown)
		resT, _ := BinaryOpType(tc.op, lt, Unknown)
		if got := ours(v, err, resT, loc); got != want {
			t.Errorf("%s: got %v, PostgreSQL %v", expr, got, want)
		}
	}
	// negation
	for _, tc := range []struct{ typ, lit string }{
		{"int4", "5"}, {"int4", "-2147483648"}, {"int2", "-32768"}, {"float8", "0"}, {"numeric", "1.50"}, {"numeric", "0"}, {"interval", "1 mon -2 days 03:00"},
	} {
		typ := parseSQLType(t, tc.typ)
		want := pgQuery(t, c, "SELECT -("+sqlQuote(tc.lit)+"::"+tc.typ+")")
		v, _ := ParseText(typ, tc.lit, loc)
		r, err := Negate(v, typ)
		if got := ours(r, err, typ, loc); got != want {
			t.Errorf("-%s::%s: got %v, PostgreSQL %v", tc.lit, tc.typ, got, want)
		}
	}
}

var diffDTValues = []struct{ typ, lit string }{
	{"timestamp", "2024-05-17 13:45:56.789012"}, {"timestamp", "2021-01-03 00:00:00"}, {"timestamp", "1999-12-31 23:59:59.5"}, {"timestamp", "0044-03-15 12:00:00 BC"},
	{"timestamp", "2000-01-01 00:00:00"}, {"timestamp", "2001-01-01"}, {"timestamp", "infinity"},
	{"timestamptz", "2024-05-17 13:45:56.789012+00"}, {"timestamptz", "2024-11-03 05:30:00+00"}, {"timestamptz", "2024-01-01 03:00:00+00"},
	{"date", "2024-05-17"}, {"date", "2020-12-31"}, {"date", "0001-01-01 BC"}, {"date", "-infinity"},
	{"interval", "1 year 2 mons 3 days 04:05:06.789"}, {"interval", "-1 year -5 mons -3 days -04:05:06.5"}, {"interval", "1234 years 11 mons"}, {"interval", "36:00:00"}, {"time", "13:45:56.789012"},
}

var diffDTFields = []string{"microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter", "year", "decade",
	"century", "millennium", "epoch", "dow", "isodow", "doy", "isoyear", "julian", "timezone", "timezone_hour", "fortnight"}

func diffDateTime(t *testing.T, c *pgx.Conn, loc *time.Location) {
	for _, dv := range diffDTValues {
		typ := parseSQLType(t, dv.typ)
		v, err := ParseText(typ, dv.lit, loc)
		if err != nil {
			t.Fatal(err)
		}
		lit := sqlQuote(dv.lit) + "::" + dv.typ
		for _, f := range diffDTFields {
			want := pgQuery(t, c, "SELECT extract("+f+" from "+lit+")")
			r, err := Extract(f, v, typ, loc)
			if got := ours(r, err, Numeric, loc); got != want {
				t.Errorf("extract(%s from %s): got %v, PostgreSQL %v", f, lit, got, want)
			}
			want = pgQuery(t, c, "SELECT date_trunc("+sqlQuote(f)+", "+lit+")")
			r, err = DateTrunc(f, v, typ, loc)
			rt := typ
			if typ.OID == OIDDate {
				rt = TimestampTZ
			}
			if got := ours(r, err, rt, loc); got != want {
				t.Errorf("date_trunc(%s, %s): got %v, PostgreSQL %v", f, lit, got, want)
			}
		}
	}
}

func diffBinary(t *testing.T, c *pgx.Conn) {
	for _, tc := range diffLiterals {
		typ := parseSQLType(t, tc.typ)
		v, err := ParseText(typ, tc.lit, nil)
		if err != nil {
			continue
		}
		sql := "SELECT " + sqlQuote(tc.lit) + "::" + tc.typ
		b, ok := pgQueryBinary(t, c, sql)
		if !ok {
			t.Errorf("%s: PostgreSQL failed in binary", sql)
			continue
		}
		mine, err := AppendBinary(nil, v, typ)
		if err != nil {
			t.Errorf("%s: AppendBinary: %v", sql, err)
			continue
		}
		if !bytes.Equal(mine, b) {
			t.Errorf("%s: binary send: got %x, PostgreSQL %x", sql, mine, b)
		}
		back, err := ParseBinary(typ, b)
		if err != nil {
			t.Errorf("%s: ParseBinary(%x): %v", sql, b, err)
			continue
		}
		if a, w := TextString(back, typ, nil), TextString(v, typ, nil); a != w {
			t.Errorf("%s: binary recv gives %q, want %q", sql, a, w)
		}
	}
}

func diffTypeName(t *testing.T, c *pgx.Conn) {
	for _, s := range []string{"int4", "int2", "int8", "float4", "float8", "bool", "text", "varchar", "varchar(10)", "bpchar(3)", "numeric",
		"numeric(12,2)", "numeric(5)", "timestamp", "timestamp(3)", "timestamptz", "timestamptz(0)", "date", "interval", "uuid", "json", "jsonb",
		"bytea", "name", "oid", "regclass", "regtype"} {
		typ := parseSQLType(t, s)
		want := pgQuery(t, c, fmt.Sprintf("SELECT format_type(%d, %d)", typ.OID, typ.Mod))
		if got := TypeName(typ); got != want.text {
			t.Errorf("TypeName(%s) = %q, PostgreSQL %v", s, got, want)
		}
	}
}
