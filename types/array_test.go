package types

import (
	"bytes"
	"testing"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/pgerr"
)

// arrayCases are array literals whose text output (or SQLSTATE), binary
// send format and binary receive must match PostgreSQL 15's.
var arrayCases = []struct{ typ, lit string }{
	{"_int4", "{1,2,3}"}, {"_int4", "{}"}, {"_int4", " { 1 , NULL , -3 } "}, {"_int4", "{1,null}"}, {"_int4", `{"7"}`},
	{"_int4", "{1,2"}, {"_int4", "1,2"}, {"_int4", "{1,,2}"}, {"_int4", "{1,x}"}, {"_int4", "{1} x"},
	{"_int2", "{1,32767}"}, {"_int2", "{40000}"}, {"_int8", "{9223372036854775807,-1}"}, {"_oid", "{4294967295,0}"},
	{"_bool", "{t,f,NULL,yes}"}, {"_float8", "{1.5,NaN,-Infinity,1e300}"}, {"_numeric", "{1.50,-2,NaN}"},
	{"_text", `{a,"b c","d,e","f\"g","h\\i","",NULL,"NULL",null2,"{x}"}`}, {"_text", `{" a ", b }`}, {"_text", `{a"b"c}`},
	{"_name", "{pg_catalog,public}"}, {"_varchar", "{ab,cd}"}, {"_char", "{r,w}"},
	{"_date", "{2024-01-02,infinity}"}, {"_timestamptz", `{"2024-01-02 03:04:05+00"}`}, {"_interval", `{"1 day"}`},
	{"_int4", "{{1,2},{3,4}}"}, {"_int4", "{{1},{2},{3}}"}, {"_int4", "{{{1,2}},{{3,4}}}"}, {"_int4", " { { 1 , NULL } , {2,3} } "},
	{"_int4", "{{1,2},{3}}"}, {"_int4", "{{}}"}, {"_int4", "{{},{}}"}, {"_int4", "{1,{2}}"}, {"_int4", "{{1},2}"},
	{"_int4", "{{1},{2}"}, {"_int4", "{{{{{{{1}}}}}}}"}, {"_int4", "{{{{{{1}}}}}}"}, {"_text", `{{a,"b c"},{NULL,""}}`},
	{"_float8", "{{1.5},{2}}"}, {"_numeric", "{{1.50,2},{3,4}}"},
	{"int2vector", "1 2 3"}, {"int2vector", ""}, {"int2vector", " 5 "}, {"oidvector", "23 25"},
}

func TestArrayDiffPostgres(t *testing.T) {
	pg := testpg.Start(t, testpg.WithNoFsync())
	c := pg.Conn()
	for _, tc := range arrayCases {
		typ := parseSQLType(t, tc.typ)
		q := "SELECT " + sqlQuote(tc.lit) + "::" + tc.typ
		want := pgQuery(t, c, q)
		v, err := ParseText(typ, tc.lit, nil)
		if got := ours(v, err, typ, nil); got != want {
			t.Errorf("%s: got %v, PostgreSQL %v", q, got, want)
		}
		if err != nil {
			continue
		}
		b, ok := pgQueryBinary(t, c, q)
		if !ok {
			t.Errorf("%s: PostgreSQL failed in binary", q)
			continue
		}
		mine, err := AppendBinary(nil, v, typ)
		if err != nil || !bytes.Equal(mine, b) {
			t.Errorf("%s: binary send: got %x (%v), PostgreSQL %x", q, mine, err, b)
		}
		back, err := ParseBinary(typ, b)
		if err != nil {
			t.Errorf("%s: ParseBinary(%x): %v", q, b, err)
		} else if Compare(back, v) != 0 {
			t.Errorf("%s: binary recv gives %q", q, TextString(back, typ, nil))
		}
	}
	for _, lit := range []string{"[0:1]={1,2}"} {
		if _, err := ParseText(parseSQLType(t, "_int4"), lit, nil); pgerr.Code(err) != "0A000" {
			t.Errorf("%s: want 0A000, got %v", lit, err)
		}
	}
	for _, s := range []string{"_int4", "_text", "_varchar", "int2vector", "oidvector", "_numeric", "_name", "_char"} {
		typ := parseSQLType(t, s)
		want := pgQuery(t, c, "SELECT format_type("+itoa(int(typ.OID))+", -1)")
		if got := TypeName(typ); got != want.text {
			t.Errorf("TypeName(%s) = %q, PostgreSQL %v", s, got, want)
		}
	}
}

func itoa(i int) string { return string(AppendText(nil, NewInt(int64(i)), Int4, nil)) }

func TestArrayCompareCastRow(t *testing.T) {
	a := NewArray([]Value{NewInt(1), NewInt(2)})
	b := NewArray([]Value{NewInt(1), NewInt(2), NewInt(0)})
	c := NewArray([]Value{NewInt(1), Null})
	if Compare(a, b) >= 0 || Compare(b, a) <= 0 || Compare(a, a) != 0 || Compare(c, a) <= 0 {
		t.Errorf("array order wrong")
	}
	if Hash(a) != Hash(NewArray([]Value{NewInt(1), NewInt(2)})) || Hash(a) == Hash(b) {
		t.Errorf("array hash wrong")
	}
	// int2vector → int2[] → int4[] → text
	vec, err := ParseText(Type{OID: OIDInt2Vector, Mod: -1}, "3 1", nil)
	if err != nil {
		t.Fatal(err)
	}
	i4, err := Cast(vec, Type{OID: OIDInt2Vector, Mod: -1}, Type{OID: OIDInt4Array, Mod: -1}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := TextString(i4, Type{OID: OIDInt4Array, Mod: -1}, nil); s != "{3,1}" {
		t.Errorf("int2vector::int4[] = %s", s)
	}
	// Arrays survive the row encoding.
	row := EncodeRow(nil, []Value{a, NewText("x"), NewArray(nil)})
	got, err := DecodeRow(row, nil)
	if err != nil || len(got) != 3 || Compare(got[0], a) != 0 || got[2].K != KindArray || got[2].ArrayLen() != 0 {
		t.Fatalf("row round trip: %v %v", got, err)
	}
}

// FuzzArrayText checks that array input never panics and that what it
// accepts prints back to text that parses to an equal array, and survives
// the binary format.
func FuzzArrayText(f *testing.F) {
	for _, tc := range arrayCases {
		f.Add(tc.lit)
	}
	f.Add(`{"a\\"b",NULL,""}`)
	f.Add("{ 1 ,\t2 }")
	f.Fuzz(func(t *testing.T, s string) {
		for _, name := range []string{"_int4", "_text", "_numeric", "int2vector"} {
			typ, _ := ParseTypeName([]string{name}, nil)
			v, err := ParseText(typ, s, nil)
			if err != nil {
				continue
			}
			out := TextString(v, typ, nil)
			back, err := ParseText(typ, out, nil)
			if err != nil || Compare(back, v) != 0 {
				t.Fatalf("%s %q → %q → %v (%v)", name, s, out, back, err)
			}
			b, err := AppendBinary(nil, v, typ)
			if err != nil {
				t.Fatalf("%s %q: AppendBinary: %v", name, s, err)
			}
			if rb, err := ParseBinary(typ, b); err != nil || Compare(rb, v) != 0 {
				t.Fatalf("%s %q: binary round trip: %v", name, s, err)
			}
		}
	})
}
