package funcs

import (
	"testing"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// TestResolveJSONOperator: operators resolve as PostgreSQL's
// oper_select_candidate (the expectations are PostgreSQL 15's).
func TestResolveJSONOperator(t *testing.T) {
	unknown := types.Unknown
	cases := []struct {
		op   string
		l, r types.Type
		fn   string
		cast types.OID // the right operand's cast
		code string
	}{
		{"->", jsonbT, unknown, "jsonb_object_field", types.OIDText, ""},
		{"->", jsonbT, int4, "jsonb_array_element", types.OIDInt4, ""},
		{"->", jsonbT, int2, "jsonb_array_element", types.OIDInt4, ""},
		{"->", jsonT, types.Varchar, "json_object_field", types.OIDText, ""},
		{"->>", jsonT, int4, "json_array_element_text", types.OIDInt4, ""},
		{"#>", jsonbT, unknown, "jsonb_extract_path", types.OIDTextArray, ""},
		{"-", jsonbT, unknown, "jsonb_delete", types.OIDText, ""},
		{"-", jsonbT, textArr, "jsonb_delete", types.OIDTextArray, ""},
		{"-", jsonbT, int4, "jsonb_delete", types.OIDInt4, ""},
		{"||", jsonbT, unknown, "jsonb_concat", types.OIDJSONB, ""},
		{"@>", unknown, jsonbT, "jsonb_contains", types.OIDJSONB, ""},
		{"?|", jsonbT, unknown, "jsonb_exists_any", types.OIDTextArray, ""},
		{"->", jsonbT, int8, "", 0, pgerr.UndefinedFunction},
		{"->", text, unknown, "", 0, pgerr.UndefinedFunction},
		{"->", unknown, unknown, "", 0, pgerr.AmbiguousFunction},
		{"->", unknown, int4, "", 0, pgerr.AmbiguousFunction},
		{"?", jsonT, unknown, "", 0, pgerr.UndefinedFunction},
	}
	for _, c := range cases {
		f, casts, err := ResolveOperator(c.op, c.l, c.r)
		if c.code != "" {
			if pgerr.Code(err) != c.code {
				t.Errorf("%v %s %v: got %v, want %s", c.l, c.op, c.r, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v %s %v: %v", c.l, c.op, c.r, err)
			continue
		}
		if f.Name != c.fn || casts[1].OID != c.cast {
			t.Errorf("%v %s %v: got %s with right operand as %v, want %s as %v", c.l, c.op, c.r, f.Name, casts[1].OID, c.fn, c.cast)
		}
	}
}
