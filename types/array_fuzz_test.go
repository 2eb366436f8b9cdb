package types

import (
	"testing"
)

// FuzzArrayBinary: array_recv never panics on any bytes.
func FuzzArrayBinary(f *testing.F) {
	for _, s := range []string{"{1,2}", "{{1,2},{3,4}}", "{}"} {
		v, _ := ParseText(Type{OID: OIDInt4Array, Mod: -1}, s, nil)
		b, _ := AppendBinary(nil, v, Type{OID: OIDInt4Array, Mod: -1})
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseBinary(Type{OID: OIDInt4Array, Mod: -1}, b)
		if err == nil && v.K != KindArray {
			t.Fatalf("%x: not an array", b)
		}
	})
}

// TestArrayMultidimHelpers pins the shape helpers the binder's functions
// use: a[i][j], element assignment and ARRAY[…] over arrays.
func TestArrayMultidimHelpers(t *testing.T) {
	at := Type{OID: OIDInt4Array, Mod: -1}
	m, err := ParseText(at, "{{1,2,3},{4,5,6}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := ArrayDims(m); !sameDims(d, []int{2, 3}) || ArrayCardinality(m) != 6 || ArrayDimsText(m) != "[1:2][1:3]" {
		t.Errorf("dims %v card %d text %q", d, ArrayCardinality(m), ArrayDimsText(m))
	}
	if e, _ := ArrayElems(m, nil); len(e) != 6 || e[3].I != 4 {
		t.Errorf("row-major elements: %v", e)
	}
	if v := ArrayAt(m, []int64{2, 3}); v.I != 6 {
		t.Errorf("m[2][3] = %v", v)
	}
	if v := ArrayAt(m, []int64{1}); !v.IsNull() {
		t.Errorf("m[1] of a 2-D array = %v, want NULL", v)
	}
	if v := ArrayAt(m, []int64{1, 4}); !v.IsNull() {
		t.Errorf("m[1][4] = %v, want NULL", v)
	}
	set, err := ArraySet(m, []int64{2, 1}, NewInt(40))
	if err != nil || TextString(set, at, nil) != "{{1,2,3},{40,5,6}}" {
		t.Errorf("m[2][1] := 40 gives %s (%v)", TextString(set, at, nil), err)
	}
	if _, err := ArraySet(m, []int64{3, 1}, NewInt(0)); err == nil {
		t.Errorf("m[3][1] := 0 outside a 2-D array succeeded")
	}
	one := NewArray([]Value{NewInt(1)})
	grown, err := ArraySet(one, []int64{3}, NewInt(3))
	if err != nil || TextString(grown, at, nil) != "{1,NULL,3}" {
		t.Errorf("{1}[3] := 3 gives %s (%v)", TextString(grown, at, nil), err)
	}
	if _, err := NewArrayOfArrays([]Value{one, m}); err == nil {
		t.Errorf("ARRAY[{1}, 2-D] succeeded")
	}
	cube, err := NewArrayOfArrays([]Value{m, m})
	if err != nil || !sameDims(ArrayDims(cube), []int{2, 2, 3}) {
		t.Errorf("ARRAY[m, m] dims %v (%v)", ArrayDims(cube), err)
	}
	if Compare(m, NewArray([]Value{NewInt(1), NewInt(2), NewInt(3), NewInt(4), NewInt(5), NewInt(6)})) <= 0 {
		t.Errorf("a 2-D array must sort after the 1-D array of its elements")
	}
}
