package pgcatalog

import (
	"slices"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/types"
)

// fkCatalog builds: parent (id int PRIMARY KEY, "Code" text UNIQUE, x
// smallint, y smallint, UNIQUE (x, y)); child referencing it every way;
// a temporary table named parent in pg_temp_99999 when withTemp.
func fkCatalog(t *testing.T, withTemp bool) *catalog.Catalog {
	t.Helper()
	i4 := types.Type{OID: types.OIDInt4, Mod: -1}
	i2 := types.Type{OID: types.OIDInt2, Mod: -1}
	i8 := types.Type{OID: types.OIDInt8, Mod: -1}
	txt := types.Type{OID: types.OIDText, Mod: -1}
	vc := types.Type{OID: types.OIDVarchar, Mod: -1}
	parent := &catalog.Table{ID: 16384, Schema: "public", Name: "parent", PrimaryKey: 1,
		Columns: []catalog.Column{{Name: "id", Type: i4}, {Name: "Code", Type: txt}, {Name: "x", Type: i2}, {Name: "y", Type: i2}},
		Indexes: []catalog.Index{
			{ID: 16385, Name: "parent_Code_key", Columns: []int{1}, Unique: true},
			{ID: 16386, Name: "parent_pkey", Columns: []int{0}, Unique: true, Primary: true},
			{ID: 16387, Name: "parent_x_y_key", Columns: []int{2, 3}, Unique: true},
			{ID: 16388, Name: "parent_x_idx", Columns: []int{2}},
		}}
	child := &catalog.Table{ID: 16390, Schema: "public", Name: "child", PrimaryKey: -1,
		Columns: []catalog.Column{{Name: "p", Type: i8}, {Name: "c", Type: vc}, {Name: "a", Type: i4}, {Name: "b", Type: i8}, {Name: "gone", Type: i4, Dropped: true}},
		ForeignKeys: []catalog.ForeignKey{
			{ID: 16391, Name: "child_p_fkey", Columns: []int{0}, RefTable: 16384, RefColumns: []int{0}, OnDelete: catalog.Cascade},
			{ID: 16392, Name: "Child Code", Columns: []int{1}, RefTable: 16384, RefColumns: []int{1},
				OnUpdate: catalog.SetNull, OnDelete: catalog.SetDefault, Deferrable: true, Deferred: true},
			{ID: 16393, Name: "child_ba", Columns: []int{3, 2}, RefTable: 16384, RefColumns: []int{3, 2},
				MatchFull: true, OnUpdate: catalog.Cascade, OnDelete: catalog.Restrict, NotValid: true},
			{ID: 16394, Name: "child_x", Columns: []int{2}, RefTable: 16384, RefColumns: []int{2}, Deferrable: true},
		},
		Checks: []catalog.Check{{Name: "child_check", Expr: `a > 0 AND child.b < a OR "p" IS NULL`}, {Name: "k", Expr: "true"}}}
	cat := catalog.New()
	var err error
	tables := []*catalog.Table{parent, child}
	if withTemp {
		tables = append(tables, &catalog.Table{ID: 16400, Schema: "pg_temp_99999", Name: "parent", Temp: true, PrimaryKey: -1,
			Columns: []catalog.Column{{Name: "z", Type: i4}}})
	}
	for _, tb := range tables {
		if cat, err = cat.Apply(&catalog.Change{Kind: catalog.CreateTable, Table: tb}); err != nil {
			t.Fatal(err)
		}
	}
	return cat
}

// TestFKDef pins pg_get_constraintdef's text for foreign keys (as
// PostgreSQL 15 prints the same constraints, psql_test.go compares them
// with a real one).
func TestFKDef(t *testing.T) {
	cat := fkCatalog(t, false)
	child, _ := cat.Table(16390)
	want := []string{
		"FOREIGN KEY (p) REFERENCES parent(id) ON DELETE CASCADE",
		`FOREIGN KEY (c) REFERENCES parent("Code") ON UPDATE SET NULL ON DELETE SET DEFAULT DEFERRABLE INITIALLY DEFERRED`,
		"FOREIGN KEY (b, a) REFERENCES parent(y, x) MATCH FULL ON UPDATE CASCADE ON DELETE RESTRICT NOT VALID",
		"FOREIGN KEY (a) REFERENCES parent(x) DEFERRABLE",
	}
	for i := range child.ForeignKeys {
		if got := fkDef(cat, visibility{public: true}, child, &child.ForeignKeys[i]); got != want[i] {
			t.Errorf("fkDef(%s) = %q, want %q", child.ForeignKeys[i].Name, got, want[i])
		}
	}
	// A temporary table of the session named like the referenced one
	// shadows it: PostgreSQL qualifies the name.
	cat = fkCatalog(t, true)
	child, _ = cat.Table(16390)
	if got, want := fkDef(cat, visibility{temp: "pg_temp_99999", public: true}, child, &child.ForeignKeys[0]), "FOREIGN KEY (p) REFERENCES public.parent(id) ON DELETE CASCADE"; got != want {
		t.Errorf("shadowed: %q, want %q", got, want)
	}
	if got, want := fkDef(cat, visibility{temp: "pg_temp_1", public: true}, child, &child.ForeignKeys[0]), "FOREIGN KEY (p) REFERENCES parent(id) ON DELETE CASCADE"; got != want {
		t.Errorf("another session's temporary table: %q, want %q", got, want)
	}
	// Without public on the search path (pg_dump's search_path = ''),
	// the referenced table is qualified.
	if got, want := fkDef(cat, visibility{path: []string{}}, child, &child.ForeignKeys[0]), "FOREIGN KEY (p) REFERENCES public.parent(id) ON DELETE CASCADE"; got != want {
		t.Errorf("empty search_path: %q, want %q", got, want)
	}
	if tb, fk := findForeignKey(cat, 16393); fk == nil || tb.ID != 16390 || fk.Name != "child_ba" {
		t.Errorf("findForeignKey(16393) = %v, %v", tb, fk)
	}
	if _, fk := findForeignKey(cat, 16386); fk != nil {
		t.Errorf("findForeignKey of an index OID found %v", fk)
	}
}

// TestFKRefIndex: conindid is the unique index on exactly the referenced
// columns (in any order), none for a plain index.
func TestFKRefIndex(t *testing.T) {
	cat := fkCatalog(t, false)
	child, _ := cat.Table(16390)
	for i, want := range []string{"parent_pkey", "parent_Code_key", "parent_x_y_key", ""} {
		got := ""
		if ix := refIndex(cat, &child.ForeignKeys[i]); ix != nil {
			got = ix.Name
		}
		if got != want {
			t.Errorf("refIndex(%s) = %q, want %q", child.ForeignKeys[i].Name, got, want)
		}
	}
}

// TestFKEqOps pins conpfeqop/conppeqop/conffeqop for column type pairs to
// what PostgreSQL 15 stores for the same foreign keys (recorded from one).
func TestFKEqOps(t *testing.T) {
	for _, c := range []struct {
		ref, col   types.OID
		pf, pp, ff uint32
	}{
		{types.OIDInt4, types.OIDInt4, 96, 96, 96},
		{types.OIDInt2, types.OIDInt4, 532, 94, 96},
		{types.OIDInt4, types.OIDInt2, 533, 96, 94},
		{types.OIDInt8, types.OIDInt4, 416, 410, 96},
		{types.OIDInt4, types.OIDInt8, 15, 96, 410},
		{types.OIDInt8, types.OIDInt2, 1868, 410, 94},
		{types.OIDInt2, types.OIDInt8, 1862, 94, 410},
		{types.OIDFloat8, types.OIDFloat4, 1130, 670, 620},
		{types.OIDFloat4, types.OIDFloat8, 1120, 620, 670},
		{types.OIDNumeric, types.OIDNumeric, 1752, 1752, 1752},
		{types.OIDText, types.OIDVarchar, 98, 98, 98},
		{types.OIDVarchar, types.OIDText, 98, 98, 98},
		{types.OIDVarchar, types.OIDVarchar, 98, 98, 98},
		{types.OIDText, types.OIDBPChar, 98, 98, 98},
		{types.OIDText, types.OIDName, 260, 98, 93},
		{types.OIDName, types.OIDText, 254, 93, 98},
		{types.OIDBPChar, types.OIDBPChar, 1054, 1054, 1054},
		{types.OIDDate, types.OIDDate, 1093, 1093, 1093},
		{types.OIDTimestamp, types.OIDTimestamp, 2060, 2060, 2060},
		{types.OIDTimestampTZ, types.OIDTimestampTZ, 1320, 1320, 1320},
		{types.OIDUUID, types.OIDUUID, 2972, 2972, 2972},
		{types.OIDBool, types.OIDBool, 91, 91, 91},
		{types.OIDBytea, types.OIDBytea, 1955, 1955, 1955},
		{types.OIDInterval, types.OIDInterval, 1330, 1330, 1330},
		{types.OIDTime, types.OIDTime, 1108, 1108, 1108},
		{types.OIDJSONB, types.OIDJSONB, 3240, 3240, 3240},
		{types.OIDOID, types.OIDOID, 607, 607, 607},
		{types.OIDInt4Array, types.OIDInt4Array, 1070, 1070, 1070},
	} {
		pf, pp, ff, ok := fkEqOps(c.ref, c.col)
		if !ok || pf != c.pf || pp != c.pp || ff != c.ff {
			t.Errorf("fkEqOps(%d, %d) = %d, %d, %d, %v; want %d, %d, %d", c.ref, c.col, pf, pp, ff, ok, c.pf, c.pp, c.ff)
		}
	}
	if _, _, _, ok := fkEqOps(types.OIDJSON, types.OIDJSON); ok {
		t.Error("json has no btree equality")
	}
}

// TestCheckColumns: constraint_column_usage's columns of a CHECK are those
// its expression names, each once, dropped ones aside.
func TestCheckColumns(t *testing.T) {
	cat := fkCatalog(t, false)
	child, _ := cat.Table(16390)
	if got, want := checkColumns(child, &child.Checks[0]), []int{2, 3, 0}; !slices.Equal(got, want) {
		t.Errorf("checkColumns = %v, want %v", got, want)
	}
	if got := checkColumns(child, &child.Checks[1]); len(got) != 0 {
		t.Errorf("CHECK (true) reads %v", got)
	}
	if got := checkColumns(child, &catalog.Check{Expr: "gone > 1"}); len(got) != 0 {
		t.Errorf("a dropped column is used: %v", got)
	}
}
