package funcs

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// aggCase runs aggregate name over rows; each row holds one literal per
// argument ("NULL" for NULL). want is PostgreSQL 15's output; wantType its
// pg_typeof.
type aggCase struct {
	name     string
	args     []string // type names (typeByName); empty for count(*)
	rows     [][]string
	want     string
	wantType string
}

func col(vals ...string) [][]string {
	out := make([][]string, len(vals))
	for i, v := range vals {
		out[i] = []string{v}
	}
	return out
}

var aggCases = []aggCase{
	{"count", nil, col("1", "NULL", "3"), "3", "bigint"},
	{"count", nil, nil, "0", "bigint"},
	{"count", []string{"int4"}, col("1", "NULL", "3"), "2", "bigint"},
	{"count", []string{"text"}, col("NULL", "NULL"), "0", "bigint"},
	{"sum", []string{"int4"}, col("1", "2", "NULL", "2147483647"), "2147483650", "bigint"},
	{"sum", []string{"int2"}, col("-5", "7"), "2", "bigint"},
	{"sum", []string{"int8"}, col("9223372036854775807", "1"), "9223372036854775808", "numeric"},
	{"sum", []string{"int8"}, col("9223372036854775807", "9223372036854775807", "-1"), "18446744073709551613", "numeric"},
	{"sum", []string{"numeric"}, col("1.5", "2.25", "NULL"), "3.75", "numeric"},
	{"sum", []string{"float8"}, col("0.1", "0.2"), "0.30000000000000004", "double precision"},
	{"sum", []string{"float4"}, col("0.1", "0.2"), "0.3", "real"},
	{"sum", []string{"interval"}, col("1 day", "2 hours", "1 mon"), "1 mon 1 day 02:00:00", "interval"},
	{"sum", []string{"int4"}, col("NULL"), "NULL", "bigint"},
	{"sum", []string{"int4"}, nil, "NULL", "bigint"},
	{"avg", []string{"int4"}, col("1", "2"), "1.5000000000000000", "numeric"},
	{"avg", []string{"int4"}, col("1", "2", "4"), "2.3333333333333333", "numeric"},
	{"avg", []string{"int8"}, col("10", "20", "NULL"), "15.0000000000000000", "numeric"},
	{"avg", []string{"numeric"}, col("1.25", "2.5"), "1.8750000000000000", "numeric"},
	{"avg", []string{"numeric"}, col("123456.789", "0.001"), "61728.395000000000", "numeric"},
	{"avg", []string{"float8"}, col("1", "2"), "1.5", "double precision"},
	{"avg", []string{"float4"}, col("0.1", "0.2"), "0.15000000223517418", "double precision"},
	{"avg", []string{"interval"}, col("1 mon", "2 days 03:00:00"), "16 days 01:30:00", "interval"},
	{"avg", []string{"interval"}, col("1 mon", "1 day", "1 hour"), "10 days 08:20:00", "interval"},
	{"avg", []string{"int4"}, nil, "NULL", "numeric"},
	{"min", []string{"int4"}, col("3", "NULL", "-1", "2"), "-1", "integer"},
	{"max", []string{"int4"}, col("3", "NULL", "-1", "2"), "3", "integer"},
	{"max", []string{"text"}, col("apple", "Banana", "cherry"), "cherry", "text"},
	{"min", []string{"text"}, col("apple", "Banana", "cherry"), "Banana", "text"},
	{"min", []string{"numeric"}, col("1.5", "-2", "-2.00"), "-2.00", "numeric"},
	{"max", []string{"numeric"}, col("1.50", "1.5", "-2"), "1.5", "numeric"},
	{"min", []string{"float8"}, col("NaN", "1", "-Infinity"), "-Infinity", "double precision"},
	{"max", []string{"float8"}, col("NaN", "1", "Infinity"), "NaN", "double precision"},
	{"max", []string{"date"}, col("2020-01-01", "2021-06-30"), "2021-06-30", "date"},
	{"min", []string{"timestamp"}, col("2020-01-01 10:00", "2019-12-31 23:59:59.5"), "2019-12-31 23:59:59.5", "timestamp without time zone"},
	{"max", []string{"interval"}, col("1 mon", "31 days", "29 days 25:00:00"), "31 days", "interval"},
	{"max", []string{"varchar"}, col("a", "b"), "b", "text"},
	{"min", []string{"int8"}, nil, "NULL", "bigint"},
	{"bool_and", []string{"bool"}, col("t", "NULL", "f"), "f", "boolean"},
	{"bool_and", []string{"bool"}, col("t", "NULL"), "t", "boolean"},
	{"bool_or", []string{"bool"}, col("f", "NULL", "t"), "t", "boolean"},
	{"every", []string{"bool"}, col("t", "t"), "t", "boolean"},
	{"bool_or", []string{"bool"}, col("NULL"), "NULL", "boolean"},
	{"bit_and", []string{"int4"}, col("12", "10"), "8", "integer"},
	{"bit_or", []string{"int4"}, col("12", "10", "NULL"), "14", "integer"},
	{"string_agg", []string{"text", "text"}, [][]string{{"a", ","}, {"NULL", ";"}, {"b", "-"}, {"c", "NULL"}}, "a-bc", "text"},
	{"string_agg", []string{"text", "text"}, [][]string{{"x", ", "}, {"y", ", "}}, "x, y", "text"},
	{"string_agg", []string{"text", "text"}, [][]string{{"NULL", ","}}, "NULL", "text"},
	{"variance", []string{"int4"}, col("1", "2", "3", "4"), "1.6666666666666667", "numeric"},
	{"var_pop", []string{"int4"}, col("1", "2", "3", "4"), "1.2500000000000000", "numeric"},
	{"var_samp", []string{"numeric"}, col("1.5", "2.5", "NULL"), "0.50000000000000000000", "numeric"},
	{"variance", []string{"int4"}, col("5"), "NULL", "numeric"},
	{"var_pop", []string{"int4"}, col("5"), "0", "numeric"},
	{"variance", []string{"int4"}, col("5", "5", "5"), "0", "numeric"},
	{"stddev", []string{"int4"}, col("1", "2", "3", "4"), "1.2909944487358056", "numeric"},
	{"stddev_pop", []string{"int8"}, col("2", "4", "4", "4", "5", "5", "7", "9"), "2.0000000000000000", "numeric"},
	{"stddev_samp", []string{"numeric"}, col("0.001", "0.002", "0.004"), "0.001527525231651946668754", "numeric"},
	{"stddev", []string{"float8"}, col("1", "2", "3", "4"), "1.2909944487358056", "double precision"},
	{"variance", []string{"float8"}, col("1.5", "2.5", "10"), "21.583333333333332", "double precision"},
	{"var_pop", []string{"float4"}, col("1", "2"), "0.25", "double precision"},
	{"stddev_pop", []string{"float8"}, col("7"), "0", "double precision"},
	{"stddev_samp", []string{"float8"}, col("7"), "NULL", "double precision"},
}

func aggArgTypes(t *testing.T, c aggCase) []types.Type {
	in := make([]types.Type, len(c.args))
	for i, a := range c.args {
		typ, ok := typeByName[a]
		if !ok {
			t.Fatalf("unknown type %q", a)
		}
		in[i] = typ
	}
	return in
}

// runAgg aggregates rows[lo:hi] into a new state.
func runAgg(t *testing.T, c aggCase, a *Aggregate, casts []types.Type, rows [][]string) AggState {
	st := a.New()
	for _, r := range rows {
		vals := make([]types.Value, len(c.args))
		for i := range c.args {
			if r[i] == "NULL" {
				continue
			}
			v, err := types.ParseText(casts[i], r[i], nil)
			if err != nil {
				t.Fatalf("%s: parse %q: %v", c.name, r[i], err)
			}
			vals[i] = v
		}
		if err := st.Step(vals); err != nil {
			t.Fatalf("%s: step: %v", c.name, err)
		}
	}
	return st
}

func aggOut(t *testing.T, a *Aggregate, st AggState) string {
	v, err := st.Result()
	if err != nil {
		return errString(err)
	}
	if v.IsNull() {
		return "NULL"
	}
	return string(types.AppendText(nil, v, a.Ret, nil))
}

func TestAggregates(t *testing.T) {
	for _, c := range aggCases {
		in := aggArgTypes(t, c)
		a, casts, err := ResolveAggregate(c.name, in, len(c.args) == 0)
		if err != nil {
			t.Errorf("%s(%v): %v", c.name, c.args, err)
			continue
		}
		if got := typeName(a.Ret.OID); got != c.wantType {
			t.Errorf("%s(%v): type %s, want %s", c.name, c.args, got, c.wantType)
		}
		if got := aggOut(t, a, runAgg(t, c, a, casts, c.rows)); got != c.want {
			t.Errorf("%s(%v) over %v = %s, want %s", c.name, c.args, c.rows, got, c.want)
		}
		// Every split into two partial states merges to the same answer.
		for k := 0; k <= len(c.rows); k++ {
			s1 := runAgg(t, c, a, casts, c.rows[:k])
			s2 := runAgg(t, c, a, casts, c.rows[k:])
			if err := s1.Merge(s2); err != nil {
				t.Fatalf("%s: merge: %v", c.name, err)
			}
			if got := aggOut(t, a, s1); got != c.want {
				t.Errorf("%s(%v) merged at %d = %s, want %s", c.name, c.args, k, got, c.want)
			}
		}
	}
}

func TestAggregateResolution(t *testing.T) {
	_, _, err := ResolveAggregate("sum", []types.Type{types.Text}, false)
	if pgerr.Code(err) != pgerr.UndefinedFunction || err.Error() != "function sum(text) does not exist" {
		t.Errorf("sum(text): %v", err)
	}
	_, _, err = ResolveAggregate("sum", nil, true)
	if pgerr.Code(err) != pgerr.WrongObjectType {
		t.Errorf("sum(*): %v", err)
	}
	a, casts, err := ResolveAggregate("sum", []types.Type{types.Int2}, false)
	if err != nil || a.Ret != types.Int8 || casts[0] != types.Int2 {
		t.Errorf("sum(int2) = %v %v %v", a, casts, err)
	}
	if !IsAggregate("count") || IsAggregate("length") || IsAggregate("nope") {
		t.Error("IsAggregate")
	}
	// max(varchar) resolves to max(text): text is the preferred string type.
	a, casts, err = ResolveAggregate("max", []types.Type{types.Varchar}, false)
	if err != nil || a.Ret != types.Text || casts[0] != types.Text {
		t.Errorf("max(varchar) = %v %v %v", a, casts, err)
	}
}

// TestAggregatesPG checks every aggregate case against PostgreSQL 15.
func TestAggregatesPG(t *testing.T) {
	s := startPG(t)
	for _, c := range aggCases {
		var sel string
		if len(c.args) == 0 {
			sel = c.name + "(*)"
		} else {
			parts := make([]string, len(c.args))
			for i, a := range c.args {
				parts[i] = fmt.Sprintf("c%d::%s", i+1, a)
			}
			sel = c.name + "(" + strings.Join(parts, ", ") + ")"
		}
		var from string
		rows := c.rows
		ncol := max(len(c.args), 1)
		if len(rows) == 0 {
			from = fmt.Sprintf("(SELECT %s WHERE false) v", strings.Repeat("NULL::text, ", ncol-1)+"NULL::text")
		} else {
			var vs []string
			for _, r := range rows {
				lits := make([]string, ncol)
				for i := range lits {
					lits[i] = "NULL::text"
					if i < len(r) && r[i] != "NULL" {
						lits[i] = sqlLiteral(r[i]) + "::text"
					}
				}
				vs = append(vs, "("+strings.Join(lits, ", ")+")")
			}
			from = "(VALUES " + strings.Join(vs, ", ") + ") v"
		}
		cols := make([]string, ncol)
		for i := range cols {
			cols[i] = fmt.Sprintf("c%d", i+1)
		}
		from += "(" + strings.Join(cols, ", ") + ")"
		q := "SELECT " + sel + " FROM " + from
		got, err := s.query(q)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: PostgreSQL %q, want %q", q, got, c.want)
		}
		typ, err := s.query("SELECT pg_typeof(" + sel + ")::text FROM " + from + " LIMIT 1")
		if err != nil {
			t.Fatal(err)
		}
		if typ != c.wantType && typ != "" {
			t.Errorf("%s: PostgreSQL type %q, want %q", q, typ, c.wantType)
		}
	}
}

// TestAggregatesRandomPG compares aggregates over pseudo-random groups
// with PostgreSQL, merging two partial states for every group.
func TestAggregatesRandomPG(t *testing.T) {
	s := startPG(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for g := 0; g < 40; g++ {
		n := 1 + rng.IntN(12)
		nums := make([]string, n)
		for i := range nums {
			nums[i] = strconv.FormatFloat(rng.Float64()*2000-1000, 'f', rng.IntN(5), 64)
			if rng.IntN(3) == 0 {
				nums[i] = strconv.Itoa(rng.IntN(100000) - 50000)
			}
		}
		for _, typ := range []string{"numeric", "float8", "int8"} {
			if typ == "int8" {
				for i := range nums {
					if strings.Contains(nums[i], ".") {
						nums[i] = nums[i][:strings.Index(nums[i], ".")]
					}
					if nums[i] == "-" || nums[i] == "" || nums[i] == "-0" {
						nums[i] = "0"
					}
				}
			}
			for _, name := range []string{"sum", "avg", "variance", "var_pop", "stddev", "stddev_pop", "min", "max"} {
				c := aggCase{name: name, args: []string{typ}, rows: col(nums...)}
				q := "SELECT " + name + "(x) FROM unnest('{" + strings.Join(nums, ",") + "}'::" + typ + "[]) x"
				want, err := s.query(q)
				if err != nil {
					t.Fatal(err)
				}
				a, casts, err := ResolveAggregate(name, []types.Type{typeByName[typ]}, false)
				if err != nil {
					t.Fatal(err)
				}
				// Float sums depend on the order of additions: merged float
				// states can differ from a sequential PostgreSQL in the last
				// bits (as its own parallel aggregation does), so float
				// groups are checked unsplit.
				k := rng.IntN(n + 1)
				if typ == "float8" {
					k = n
				}
				s1 := runAgg(t, c, a, casts, c.rows[:k])
				if err := s1.Merge(runAgg(t, c, a, casts, c.rows[k:])); err != nil {
					t.Fatal(err)
				}
				if got := aggOut(t, a, s1); got != want {
					t.Errorf("%s(%s) over %v (split %d) = %s, PostgreSQL %s", name, typ, nums, k, got, want)
				}
			}
		}
	}
}
