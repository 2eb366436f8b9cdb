package funcs

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/omendb/omendb/types"
)

// TestFloatFunctionsPG compares float8 functions with PostgreSQL's on
// pseudo-random inputs (seeded; the seed is fixed so failures reproduce).
// PostgreSQL calls the C library, so a last-bit difference means Go's math
// and glibc round differently; the test reports every difference.
func TestFloatFunctionsPG(t *testing.T) {
	s := startPG(t)
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(lo, hi float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = lo + rng.Float64()*(hi-lo)
		}
		return out
	}
	fns := []struct {
		name   string
		inputs []float64
	}{
		{"exp", gen(-700, 700, 200)},
		{"ln", gen(1e-10, 1e10, 200)},
		{"log", gen(1e-10, 1e10, 200)},
		{"sqrt", gen(0, 1e6, 200)},
		{"cbrt", gen(-1e6, 1e6, 200)},
		{"sin", gen(-10, 10, 200)},
		{"cos", gen(-10, 10, 200)},
		{"tan", gen(-10, 10, 200)},
		{"asin", gen(-1, 1, 200)},
		{"acos", gen(-1, 1, 200)},
		{"atan", gen(-100, 100, 200)},
		{"degrees", gen(-10, 10, 100)},
		{"radians", gen(-1000, 1000, 100)},
		{"round", gen(-1e6, 1e6, 100)},
	}
	for _, fn := range fns {
		lits := make([]string, len(fn.inputs))
		for i, x := range fn.inputs {
			lits[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
		q := "SELECT string_agg(" + fn.name + "(x)::text, ' ' ORDER BY i) FROM unnest('{" +
			strings.Join(lits, ",") + "}'::float8[]) WITH ORDINALITY u(x, i)"
		out, err := s.query(q)
		if err != nil {
			t.Fatal(err)
		}
		pg := strings.Split(out, " ")
		if len(pg) != len(fn.inputs) {
			t.Fatalf("%s: %d results for %d inputs: %.200s", fn.name, len(pg), len(fn.inputs), out)
		}
		f, _, err := Resolve(fn.name, []types.Type{types.Float8})
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for i, x := range fn.inputs {
			v, err := f.Call(testCtx(), []types.Value{types.NewFloat(x)})
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = string(types.AppendText(nil, v, types.Float8, nil))
			}
			if got != pg[i] {
				bad++
				if bad <= 3 {
					g, _ := strconv.ParseFloat(got, 64)
					p, _ := strconv.ParseFloat(pg[i], 64)
					t.Errorf("%s(%v) = %s, PostgreSQL %s (%d ulp)", fn.name, x, got, pg[i], int64(math.Float64bits(g))-int64(math.Float64bits(p)))
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d results differ", fn.name, bad, len(fn.inputs))
		}
	}
}

// TestFloatPowPG compares power(float8, float8) and atan2 with PostgreSQL.
func TestFloatPowPG(t *testing.T) {
	s := startPG(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range []string{"power", "atan2"} {
		n := 200
		xs, ys := make([]string, n), make([]string, n)
		xv, yv := make([]float64, n), make([]float64, n)
		for i := range xv {
			xv[i] = rng.Float64() * 100
			yv[i] = rng.Float64()*40 - 20
			xs[i] = strconv.FormatFloat(xv[i], 'g', -1, 64)
			ys[i] = strconv.FormatFloat(yv[i], 'g', -1, 64)
		}
		q := "SELECT string_agg(" + name + "(x, y)::text, ' ' ORDER BY i) FROM unnest('{" + strings.Join(xs, ",") +
			"}'::float8[], '{" + strings.Join(ys, ",") + "}'::float8[]) WITH ORDINALITY u(x, y, i)"
		out, err := s.query(q)
		if err != nil {
			t.Fatal(err)
		}
		pg := strings.Split(out, " ")
		f, _, err := Resolve(name, []types.Type{types.Float8, types.Float8})
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for i := range xv {
			v, err := f.Call(testCtx(), []types.Value{types.NewFloat(xv[i]), types.NewFloat(yv[i])})
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = string(types.AppendText(nil, v, types.Float8, nil))
			}
			if got != pg[i] {
				bad++
				if bad <= 3 {
					t.Errorf("%s(%v, %v) = %s, PostgreSQL %s", name, xv[i], yv[i], got, pg[i])
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d results differ", name, bad, n)
		}
	}
}

// TestNumericFunctionsPG compares numeric functions with PostgreSQL on
// pseudo-random inputs of varied magnitude and scale.
func TestNumericFunctionsPG(t *testing.T) {
	s := startPG(t)
	rng := rand.New(rand.NewPCG(5, 6))
	gen := func(n int, positive bool) []string {
		out := make([]string, n)
		for i := range out {
			digits := 1 + rng.IntN(12)
			scale := rng.IntN(8)
			var b strings.Builder
			if !positive && rng.IntN(2) == 0 {
				b.WriteByte('-')
			}
			for d := 0; d < digits; d++ {
				c := byte('0' + rng.IntN(10))
				if d == 0 && c == '0' {
					c = '1'
				}
				b.WriteByte(c)
			}
			v := b.String()
			if scale > 0 {
				neg := strings.HasPrefix(v, "-")
				v = strings.TrimPrefix(v, "-")
				for len(v) <= scale {
					v = "0" + v
				}
				v = v[:len(v)-scale] + "." + v[len(v)-scale:]
				if neg {
					v = "-" + v
				}
			}
			out[i] = v
		}
		return out
	}
	one := []struct {
		name     string
		positive bool
	}{{"sqrt", true}, {"ln", true}, {"log", true}, {"exp", false}, {"round", false}, {"ceil", false}, {"floor", false}, {"trunc", false}, {"sign", false}, {"abs", false}}
	for _, fn := range one {
		in := gen(150, fn.positive)
		if fn.name == "exp" {
			for i := range in {
				in[i] = strconv.FormatFloat(rng.Float64()*200-100, 'f', rng.IntN(6), 64)
			}
		}
		q := "SELECT string_agg(" + fn.name + "(x)::text, ' ' ORDER BY i) FROM unnest('{" +
			strings.Join(in, ",") + "}'::numeric[]) WITH ORDINALITY u(x, i)"
		compareNumericPG(t, s, q, fn.name, in, nil)
	}
	for _, fn := range []string{"power", "mod", "div", "log", "round"} {
		xs, ys := gen(150, fn == "power" || fn == "log"), gen(150, fn == "log")
		for i := range ys {
			switch fn {
			case "power":
				ys[i] = strconv.FormatFloat(rng.Float64()*8-4, 'f', rng.IntN(3), 64)
			case "round":
				ys[i] = strconv.Itoa(rng.IntN(10) - 3)
			case "log":
				if f, _ := strconv.ParseFloat(xs[i], 64); f == 1 {
					xs[i] = "2" // log base 1 is a division by zero
				}
			}
		}
		yt := "numeric"
		if fn == "round" {
			yt = "int4"
		}
		q := "SELECT string_agg(" + fn + "(x, y)::text, ' ' ORDER BY i) FROM unnest('{" + strings.Join(xs, ",") +
			"}'::numeric[], '{" + strings.Join(ys, ",") + "}'::" + yt + "[]) WITH ORDINALITY u(x, y, i)"
		compareNumericPG(t, s, q, fn, xs, ys)
	}
}

func compareNumericPG(t *testing.T, s *pgSession, q, name string, xs, ys []string) {
	t.Helper()
	out, err := s.query(q)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(out, "ERROR") {
		t.Fatalf("%s: %s", name, out)
	}
	pg := strings.Split(out, " ")
	if len(pg) != len(xs) {
		t.Fatalf("%s: %d results for %d inputs", name, len(pg), len(xs))
	}
	in := []types.Type{types.Numeric}
	if ys != nil {
		in = append(in, types.Numeric)
		if name == "round" {
			in[1] = types.Int4
		}
	}
	f, _, err := Resolve(name, in)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i := range xs {
		args := []types.Value{mustParse(t, types.Numeric, xs[i])}
		if ys != nil {
			args = append(args, mustParse(t, in[1], ys[i]))
		}
		v, err := f.Call(testCtx(), args)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = string(types.AppendText(nil, v, types.Numeric, nil))
		}
		if got != pg[i] {
			bad++
			if bad <= 3 {
				y := ""
				if ys != nil {
					y = ", " + ys[i]
				}
				t.Errorf("%s(%s%s) = %s, PostgreSQL %s", name, xs[i], y, got, pg[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d results differ", name, bad, len(xs))
	}
}

func mustParse(t *testing.T, typ types.Type, s string) types.Value {
	t.Helper()
	v, err := types.ParseText(typ, s, nil)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}
