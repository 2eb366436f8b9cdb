package types

import (
	"encoding/json"
	"math/rand"
	"sort"
	"testing"
)

// TestEnumRepsOrder inserts representations at random places (as ADD VALUE
// BEFORE/AFTER does) and checks that they stay strictly ordered, valid and
// short.
func TestEnumRepsOrder(t *testing.T) {
	seed := rand.Int63()
	r := rand.New(rand.NewSource(seed))
	for _, n := range []int{0, 1, 3, 61, 62, 200} {
		reps := EnumReps(n)
		if len(reps) != n {
			t.Fatalf("EnumReps(%d) gave %d", n, len(reps))
		}
		for i := 0; i < 500; i++ {
			pos := r.Intn(len(reps) + 1)
			lo, hi := "", ""
			if pos > 0 {
				lo = reps[pos-1]
			}
			if pos < len(reps) {
				hi = reps[pos]
			}
			if r.Intn(4) == 0 { // appends and prepends dominate in practice
				pos, lo, hi = len(reps), "", ""
				if len(reps) > 0 {
					lo = reps[len(reps)-1]
				}
			}
			x := EnumRepBetween(lo, hi)
			if x <= lo || hi != "" && x >= hi || x[len(x)-1] == '0' {
				t.Fatalf("seed %d: between %q and %q gave %q", seed, lo, hi, x)
			}
			reps = append(reps[:pos], append([]string{x}, reps[pos:]...)...)
		}
		if !sort.StringsAreSorted(reps) {
			t.Fatalf("seed %d: not sorted", seed)
		}
	}
	// Appending keeps representations short.
	rep := ""
	for range 1000 {
		rep = EnumRepBetween(rep, "")
	}
	if len(rep) > 20 {
		t.Errorf("1000 appends: %q", rep)
	}
}

func testEnum() *Enum {
	reps := EnumReps(3)
	return NewEnum(16400, 16401, "public", "mood", []EnumLabel{
		{OID: 16402, Label: "sad", Rep: reps[0], Sort: 1},
		{OID: 16403, Label: "ok", Rep: reps[1], Sort: 2},
		{OID: 16404, Label: "happy", Rep: reps[2], Sort: 3},
	})
}

func TestEnumIO(t *testing.T) {
	e := testEnum()
	mood, arr := e.Type(), e.ArrayType()
	sad, err := ParseText(mood, "sad", nil)
	if err != nil {
		t.Fatal(err)
	}
	happy, _ := ParseText(mood, "happy", nil)
	if Compare(sad, happy) >= 0 {
		t.Errorf("sad should sort before happy (declared order, not alphabetical)")
	}
	if got := TextString(happy, mood, nil); got != "happy" {
		t.Errorf("text out %q", got)
	}
	if b, err := AppendBinary(nil, happy, mood); err != nil || string(b) != "happy" {
		t.Errorf("binary out %q %v", b, err)
	}
	if v, err := ParseBinary(mood, []byte("ok")); err != nil || TextString(v, mood, nil) != "ok" {
		t.Errorf("binary in %v %v", v, err)
	}
	_, err = ParseText(mood, "angry", nil)
	if err == nil || err.Error() != `invalid input value for enum mood: "angry"` {
		t.Errorf("bad label: %v", err)
	}
	a, err := ParseText(arr, "{happy,NULL,sad}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := TextString(a, arr, nil); got != "{happy,NULL,sad}" {
		t.Errorf("array out %q", got)
	}
	ab, err := AppendBinary(nil, a, arr)
	if err != nil {
		t.Fatal(err)
	}
	if a2, err := ParseBinary(arr, ab); err != nil || Compare(a, a2) != 0 {
		t.Errorf("array binary round trip: %v", err)
	}
	if KindOfType(arr) != KindArray || KindOfType(mood) != KindText || !IsArrayType(arr) || IsArrayType(mood) {
		t.Errorf("kinds")
	}
	if ElemType(arr) != mood {
		t.Errorf("ElemType")
	}
	if at, ok := ArrayOf(mood); !ok || at != arr {
		t.Errorf("ArrayOf")
	}
	if TypeName(mood) != "mood" || TypeName(arr) != "mood[]" {
		t.Errorf("TypeName %q %q", TypeName(mood), TypeName(arr))
	}
	// Casts: enum → text (assignment), text → enum (explicit only).
	if !CanCast(mood, Text, false) || CanCast(Text, mood, false) || !CanCast(Text, mood, true) || CanCast(mood, Int4, true) {
		t.Errorf("CanCast")
	}
	if v, err := Cast(happy, mood, Text, false, nil); err != nil || v.S != "happy" {
		t.Errorf("cast to text: %v %v", v, err)
	}
	if v, err := Cast(NewText("ok"), Varchar, mood, true, nil); err != nil || TextString(v, mood, nil) != "ok" {
		t.Errorf("cast from varchar: %v %v", v, err)
	}
	if v, err := Cast(a, arr, TextArray(), true, nil); err != nil || TextString(v, TextArray(), nil) != "{happy,NULL,sad}" {
		t.Errorf("cast array to text[]: %v %v", v, err)
	}
}

func TextArray() Type { return Type{OID: OIDTextArray, Mod: -1} }

// TestEnumJSON: in JSON a column type names its enum by reference only; the
// decoded stub still tells enum from enum array.
func TestEnumJSON(t *testing.T) {
	e := testEnum()
	b, err := json.Marshal([]Type{Int4, e.Type(), e.ArrayType()})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"OID":23,"Mod":-1},{"OID":16400,"Mod":-1,"Enum":{"oid":16400,"array":16401}},{"OID":16401,"Mod":-1,"Enum":{"oid":16400,"array":16401}}]`; string(b) != want {
		t.Fatalf("json %s", b)
	}
	var ts []Type
	if err := json.Unmarshal(b, &ts); err != nil {
		t.Fatal(err)
	}
	if ts[0] != Int4 || !IsEnum(ts[1]) || !IsEnumArray(ts[2]) || !ts[1].Enum.Stub() || KindOfType(ts[2]) != KindArray {
		t.Fatalf("decoded %+v", ts)
	}
	if _, err := ParseText(ts[1], "sad", nil); err == nil {
		t.Errorf("a stub has no labels: parsing must fail")
	}
	// A user-defined type's OID without its definition is never parsed
	// as plain text (the label would be stored as if it were a value).
	if _, err := ParseText(Type{OID: 16400, Mod: -1}, "sad", nil); err == nil {
		t.Errorf("an unloaded user type must not parse")
	}
	if _, err := ParseBinary(Type{OID: 16400, Mod: -1}, []byte("sad")); err == nil {
		t.Errorf("an unloaded user type must not parse (binary)")
	}
}
