package funcs

import (
	"errors"
	"testing"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

func TestResolve(t *testing.T) {
	cases := []struct {
		name  string
		in    []types.Type
		args  []types.Type // declared types of the chosen overload
		casts []types.Type
		ret   types.Type
	}{
		{"length", []types.Type{types.Unknown}, []types.Type{types.Text}, []types.Type{types.Text}, types.Int4},
		{"length", []types.Type{types.BPChar}, []types.Type{types.BPChar}, []types.Type{types.BPChar}, types.Int4},
		{"length", []types.Type{types.Varchar}, []types.Type{types.Text}, []types.Type{types.Text}, types.Int4},
		{"round", []types.Type{types.Numeric, types.Int4}, []types.Type{types.Numeric, types.Int4}, []types.Type{types.Numeric, types.Int4}, types.Numeric},
		{"round", []types.Type{types.Numeric, types.Unknown}, []types.Type{types.Numeric, types.Int4}, []types.Type{types.Numeric, types.Int4}, types.Numeric},
		{"round", []types.Type{types.Int4}, []types.Type{types.Float8}, []types.Type{types.Float8}, types.Float8},
		{"round", []types.Type{types.Numeric}, []types.Type{types.Numeric}, []types.Type{types.Numeric}, types.Numeric},
		{"abs", []types.Type{types.Int2}, []types.Type{types.Int2}, []types.Type{types.Int2}, types.Int2},
		{"mod", []types.Type{types.Int2, types.Int8}, []types.Type{types.Int8, types.Int8}, []types.Type{types.Int8, types.Int8}, types.Int8},
		{"date_trunc", []types.Type{types.Unknown, types.Date}, []types.Type{types.Text, types.TimestampTZ}, []types.Type{types.Text, types.TimestampTZ}, types.TimestampTZ},
		// "any" arguments keep their own type; unknown literals become text.
		{"concat", []types.Type{types.Int4, types.Unknown, types.Float4}, []types.Type{types.Int4, types.Text, types.Float4}, []types.Type{types.Int4, types.Text, types.Float4}, types.Text},
	}
	for _, c := range cases {
		f, casts, err := Resolve(c.name, c.in)
		if err != nil {
			t.Errorf("%s%v: %v", c.name, c.in, err)
			continue
		}
		if !equalTypes(f.Args, c.args) || !equalTypes(casts, c.casts) || f.Ret != c.ret {
			t.Errorf("%s%v: got args %v casts %v ret %v, want %v %v %v", c.name, c.in, f.Args, casts, f.Ret, c.args, c.casts, c.ret)
		}
	}
}

func equalTypes(a, b []types.Type) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestResolveErrors(t *testing.T) {
	_, _, err := Resolve("length", []types.Type{types.Int4})
	var pe *pgerr.Error
	if !errors.As(err, &pe) || pe.Code != pgerr.UndefinedFunction ||
		pe.Message != "function length(integer) does not exist" ||
		pe.Hint != "No function matches the given name and argument types. You might need to add explicit type casts." {
		t.Errorf("length(int4): %#v", err)
	}
	_, _, err = Resolve("date_trunc", []types.Type{types.Unknown, types.Unknown})
	if !errors.As(err, &pe) || pe.Code != pgerr.AmbiguousFunction ||
		pe.Hint != "Could not choose a best candidate function. You might need to add explicit type casts." {
		t.Errorf("date_trunc(unknown, unknown): %#v", err)
	}
	if Exists("no_such_function") || !Exists("lower") || !Exists("now") {
		t.Error("Exists")
	}
}

func TestStrictAndVolatility(t *testing.T) {
	f, _, err := Resolve("upper", []types.Type{types.Text})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Strict || f.Volatility != Immutable {
		t.Errorf("upper: strict %v volatility %v", f.Strict, f.Volatility)
	}
	v, err := f.Call(testCtx(), []types.Value{types.Null})
	if err != nil || !v.IsNull() {
		t.Errorf("upper(NULL) = %v, %v", v, err)
	}
	want := map[string]Volatility{"now": Stable, "random": Volatile, "clock_timestamp": Volatile, "pi": Immutable, "current_date": Stable}
	for n, vol := range want {
		f, _, err := Resolve(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f.Volatility != vol {
			t.Errorf("%s: %v, want %v", n, f.Volatility, vol)
		}
	}
	// concat is not strict: NULL arguments are skipped.
	f, _, _ = Resolve("concat", []types.Type{types.Text, types.Text})
	v, err = f.Call(testCtx(), []types.Value{types.Null, types.NewText("x")})
	if err != nil || v.S != "x" {
		t.Errorf("concat(NULL, 'x') = %v, %v", v, err)
	}
}

func TestTimeFunctions(t *testing.T) {
	ctx := testCtx()
	call := func(name string) types.Value {
		f, _, err := Resolve(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.Call(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	us := ctx.TxnTime.UnixMicro()
	if v := call("now"); v.K != types.KindTimestampTZ || v.I != us {
		t.Errorf("now() = %v", v)
	}
	if v := call("current_date"); v.K != types.KindDate || v.I != 19782 { // 2024-02-29
		t.Errorf("current_date = %v", v)
	}
	if v := call("timeofday"); v.S != "Thu Feb 29 13:14:15.123456 2024 UTC" {
		t.Errorf("timeofday() = %q", v.S)
	}
	r1, r2 := call("random"), call("random")
	if r1.Float() < 0 || r1.Float() >= 1 || r1 == r2 {
		t.Errorf("random() = %v, %v", r1.Float(), r2.Float())
	}
	// setseed makes random() repeatable.
	seed, _, _ := Resolve("setseed", []types.Type{types.Float8})
	var seq [2][3]float64
	for i := range seq {
		if _, err := seed.Call(ctx, []types.Value{types.NewFloat(0.5)}); err != nil {
			t.Fatal(err)
		}
		for j := range seq[i] {
			seq[i][j] = call("random").Float()
		}
	}
	if seq[0] != seq[1] {
		t.Errorf("setseed(0.5) sequences differ: %v", seq)
	}
	u := call("gen_random_uuid")
	if len(u.S) != 16 || u.S[6]>>4 != 4 || u.S[8]>>6 != 2 {
		t.Errorf("gen_random_uuid() = %x", u.S)
	}
}
