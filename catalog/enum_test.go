package catalog

import (
	"testing"

	"github.com/omendb/omendb/types"
)

// replay applies changes through their log encoding, as recovery does.
func replay(t *testing.T, c *Catalog, chs ...*Change) *Catalog {
	t.Helper()
	for _, ch := range chs {
		dec, err := DecodeChange(ch.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if c, err = c.Apply(dec); err != nil {
			t.Fatalf("%s: %v", ch.Kind, err)
		}
	}
	return c
}

// TestEnumTypes: an enum type's columns carry its definition, replayed from
// the log too; ALTER TYPE reaches every table and view that uses it; the
// type cannot be dropped while a column uses it.
func TestEnumTypes(t *testing.T) {
	reps := types.EnumReps(2)
	mood := &EnumType{ID: 16384, ArrayID: 16385, Schema: "public", Name: "mood", Labels: []EnumLabel{
		{ID: 16386, Label: "sad", Rep: reps[0], Sort: 1}, {ID: 16387, Label: "happy", Rep: reps[1], Sort: 2}}}
	stub := types.Type{OID: 16384, Mod: -1, Enum: &types.Enum{OID: 16384, ArrayOID: 16385}}
	tbl := &Table{ID: 16388, Schema: "public", Name: "t", PrimaryKey: -1, Columns: []Column{
		{Name: "m", Type: stub}, {Name: "ms", Type: types.Type{OID: 16385, Mod: -1, Enum: stub.Enum}}}}
	c := replay(t, New(), &Change{Kind: CreateType, ID: mood.ID, Enum: mood}, &Change{Kind: CreateTable, Table: tbl})
	if c.MaxID != 16388 {
		t.Errorf("MaxID %d", c.MaxID)
	}
	got, _ := c.Lookup("public", "t")
	m, ms := got.Columns[0].Type, got.Columns[1].Type
	if m.Enum.Stub() || !types.IsEnum(m) || !types.IsEnumArray(ms) || m.Enum != ms.Enum {
		t.Fatalf("columns not hydrated: %+v %+v", m, ms)
	}
	if v, err := types.ParseText(m, "happy", nil); err != nil || types.TextString(v, m, nil) != "happy" {
		t.Fatalf("happy: %v", err)
	}
	// ADD VALUE 'ok' BEFORE 'happy', then RENAME VALUE 'sad' TO 'blue'.
	alt := mood.Clone()
	alt.Labels = []EnumLabel{alt.Labels[0], {ID: 16389, Label: "ok", Rep: types.EnumRepBetween(reps[0], reps[1]), Sort: 1.5}, alt.Labels[1]}
	alt.Labels[0].Label = "blue"
	c2 := replay(t, c, &Change{Kind: AlterType, ID: alt.ID, Enum: alt})
	got2, _ := c2.Lookup("public", "t")
	m2 := got2.Columns[0].Type
	sad, _ := types.ParseText(m, "sad", nil)
	if types.TextString(sad, m2, nil) != "blue" || types.TextString(sad, m, nil) != "sad" {
		t.Errorf("rename: the new catalog reads blue, the old one still sad")
	}
	ok, err := types.ParseText(m2, "ok", nil)
	happy, _ := types.ParseText(m2, "happy", nil)
	if err != nil || types.Compare(sad, ok) >= 0 || types.Compare(ok, happy) >= 0 {
		t.Errorf("ok must sort between sad and happy: %v", err)
	}
	// An alteration made from the older definition loses to this one.
	lost := mood.Clone()
	lost.Labels = append(lost.Labels, EnumLabel{ID: 16390, Label: "angry", Rep: types.EnumRepBetween(reps[1], "")})
	if _, err := c2.Apply(&Change{Kind: AlterType, ID: lost.ID, Enum: lost}); code(err) != "40001" {
		t.Errorf("lost update: %v", err)
	}
	if _, err := c2.Apply(&Change{Kind: CreateType, ID: 16391, Enum: &EnumType{ID: 16391, ArrayID: 16392, Schema: "public", Name: "mood"}}); code(err) != "42710" {
		t.Errorf("duplicate type: %v", err)
	}
	if _, err := c2.Apply(&Change{Kind: DropType, ID: mood.ID}); code(err) != "2BP01" {
		t.Errorf("drop a used type: %v", err)
	}
	c3 := replay(t, c2, &Change{Kind: DropTable, ID: tbl.ID}, &Change{Kind: DropType, ID: mood.ID})
	if _, ok := c3.LookupEnumType("public", "mood"); ok {
		t.Errorf("dropped type still there")
	}
	if _, err := c3.Apply(&Change{Kind: CreateTable, Table: tbl}); code(err) != "42704" {
		t.Errorf("a table of a dropped type: %v", err)
	}
}

// TestEnumUncommitted: a transaction marks the labels it added in its own
// catalog only; a change carrying the mark (the committer applies the very
// object the session logged) never brings it into another catalog.
func TestEnumUncommitted(t *testing.T) {
	e := &EnumType{ID: 16384, ArrayID: 16385, Schema: "public", Name: "mood", Labels: []EnumLabel{{ID: 16386, Label: "sad", Rep: "1", Sort: 1}}}
	c := replay(t, New(), &Change{Kind: CreateType, ID: e.ID, Enum: e})
	alt := e.Clone()
	alt.Labels = append(alt.Labels, EnumLabel{ID: 16387, Label: "ok", Rep: "2", Sort: 2, Uncommitted: true})
	committed, err := c.Apply(&Change{Kind: AlterType, ID: e.ID, Enum: alt})
	if err != nil {
		t.Fatal(err)
	}
	def, _ := committed.EnumDef(e.ID)
	if _, err := def.Value("ok"); err != nil {
		t.Errorf("applied change kept the mark: %v", err)
	}
	txn, err := committed.WithUncommitted(e.ID, map[uint32]bool{16387: true})
	if err != nil {
		t.Fatal(err)
	}
	def, _ = txn.EnumDef(e.ID)
	if _, err := def.Value("ok"); code(err) != "55P04" {
		t.Errorf("the transaction's own catalog: %v", err)
	}
	if _, err := def.Value("sad"); err != nil {
		t.Errorf("sad: %v", err)
	}
	if def, _ := committed.EnumDef(e.ID); def.Labels[1].Unsafe {
		t.Errorf("WithUncommitted changed the catalog it was called on")
	}
}
