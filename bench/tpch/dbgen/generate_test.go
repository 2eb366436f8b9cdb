package dbgen

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omendb/omendb/types"
)

// formatValue renders a typed value the way the .tbl text has it, for
// comparing the two sinks. It deliberately uses nothing of types' own text
// output.
func formatValue(t *testing.T, v types.Value) string {
	switch v.K {
	case types.KindInt:
		return strconv.FormatInt(v.I, 10)
	case types.KindText:
		return v.S
	case types.KindDate:
		return time.Unix(v.I*86400, 0).UTC().Format("2006-01-02")
	case types.KindNumeric:
		return v.N.String()
	}
	t.Fatalf("unexpected kind %v", v.K)
	return ""
}

// TestGenerateMatchesText checks the typed sink against the text sink: every
// row of every table at SF 0.01, rendered field by field, equals the .tbl
// line, and the column count matches the schema.
func TestGenerateMatchesText(t *testing.T) {
	for _, tbl := range AllTables {
		text, err := AppendText(nil, tbl, 0.01, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimSuffix(text, []byte{'\n'}), []byte{'\n'})
		n := 0
		var sb strings.Builder
		err = Generate(tbl, 0.01, 0, 1, SinkFunc(func(got Table, vals []types.Value) error {
			if got != tbl {
				t.Fatalf("sink got table %s, want %s", got, tbl)
			}
			if len(vals) != len(Columns(tbl)) {
				t.Fatalf("%s: %d values, %d columns", tbl, len(vals), len(Columns(tbl)))
			}
			sb.Reset()
			for _, v := range vals {
				sb.WriteString(formatValue(t, v))
				sb.WriteByte('|')
			}
			if n >= len(lines) {
				t.Fatalf("%s: more typed rows than lines", tbl)
			}
			if sb.String() != string(lines[n]) {
				t.Fatalf("%s row %d:\n typed %s\n text  %s", tbl, n+1, sb.String(), lines[n])
			}
			n++
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		if n != len(lines) {
			t.Errorf("%s: %d typed rows, %d lines", tbl, n, len(lines))
		}
	}
}

// TestSchema checks the DDL names every column and the key.
func TestSchema(t *testing.T) {
	d := DDL(LineItem)
	for _, want := range []string{"CREATE TABLE lineitem (", "l_orderkey bigint NOT NULL", "l_extendedprice numeric(15,2) NOT NULL",
		"l_shipdate date NOT NULL", "l_comment varchar(44) NOT NULL", "PRIMARY KEY (l_orderkey, l_linenumber))"} {
		if !strings.Contains(d, want) {
			t.Errorf("DDL(lineitem) lacks %q: %s", want, d)
		}
	}
	for _, tbl := range AllTables {
		for _, c := range Columns(tbl) {
			if c.Type.OID == 0 {
				t.Errorf("%s.%s: no type for %q", tbl, c.Name, c.SQL)
			}
		}
	}
}

func TestParseTable(t *testing.T) {
	for _, tbl := range AllTables {
		got, err := ParseTable(tbl.String())
		if err != nil || got != tbl {
			t.Errorf("ParseTable(%q) = %v, %v", tbl.String(), got, err)
		}
	}
	if _, err := ParseTable("lineitems"); err == nil {
		t.Error("ParseTable accepted an unknown name")
	}
}

func TestScaling(t *testing.T) {
	for _, c := range []struct {
		sf    float64
		units map[Table]int64
	}{
		{0.01, map[Table]int64{Part: 2000, Supplier: 100, Customer: 1500, Orders: 15000, Nation: 25, Region: 5}},
		{0.1, map[Table]int64{Part: 20000, Supplier: 1000, Customer: 15000, Orders: 150000}},
		{10, map[Table]int64{Part: 2000000, Supplier: 100000, Customer: 1500000, Orders: 15000000}},
	} {
		for tbl, want := range c.units {
			if got, err := Units(tbl, c.sf); err != nil || got != want {
				t.Errorf("Units(%s, %g) = %d, %v; want %d", tbl, c.sf, got, err, want)
			}
		}
	}
	for _, bad := range []float64{0, -1, 1.5, 30000} {
		if _, err := Units(Part, bad); err == nil {
			t.Errorf("Units(part, %g) accepted", bad)
		}
	}
}

// TestWriteText checks the streaming writer against AppendText.
func TestWriteText(t *testing.T) {
	want, err := AppendText(nil, Orders, 0.01, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := WriteText(&got, Orders, 0.01, 1, 2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Error("WriteText differs from AppendText")
	}
}
