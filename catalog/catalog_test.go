package catalog

import (
	"errors"
	"testing"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

func code(err error) string {
	var pe *pgerr.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestViews: views share the relation namespace with tables, record what
// they read, keep it from being dropped, and round-trip through a change's
// encoding.
func TestViews(t *testing.T) {
	c := New()
	tbl := &Table{ID: 16384, Schema: "public", Name: "t", PrimaryKey: -1, Columns: []Column{{Name: "a", Type: types.Int4}}}
	c, err := c.Apply(&Change{Kind: CreateTable, Table: tbl})
	if err != nil {
		t.Fatal(err)
	}
	v := &View{ID: 16385, Schema: "public", Name: "v", Query: "SELECT a FROM t", Columns: []Column{{Name: "a", Type: types.Int4}}, Deps: []uint32{16384}}
	ch := &Change{Kind: CreateView, View: v}
	dec, err := DecodeChange(ch.Encode())
	if err != nil || dec.View == nil || dec.View.Query != v.Query || len(dec.View.Deps) != 1 {
		t.Fatalf("change round trip: %+v, %v", dec, err)
	}
	if c, err = c.Apply(dec); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.LookupView("public", "v"); !ok || got.ID != 16385 || c.MaxID != 16385 {
		t.Fatalf("lookup: %v %v, MaxID %d", got, ok, c.MaxID)
	}
	if _, err := c.Apply(&Change{Kind: CreateTable, Table: &Table{ID: 16390, Schema: "public", Name: "v", PrimaryKey: -1}}); code(err) != pgerr.DuplicateTable {
		t.Fatalf("a table named like a view: %v", err)
	}
	if _, err := c.Apply(&Change{Kind: CreateView, View: &View{ID: 16391, Schema: "public", Name: "t"}}); code(err) != pgerr.DuplicateTable {
		t.Fatalf("a view named like a table: %v", err)
	}
	if _, err := c.Apply(&Change{Kind: CreateView, View: &View{ID: 16392, Schema: "public", Name: "w", Deps: []uint32{999}}}); code(err) != pgerr.UndefinedTable {
		t.Fatalf("a view reading a missing relation: %v", err)
	}
	if _, err := c.Apply(&Change{Kind: DropTable, ID: 16384}); code(err) != pgerr.DependentObjectsStillExist {
		t.Fatalf("dropping a table a view reads: %v", err)
	}
	if d := c.Dependents(16384); len(d) != 1 || d[0].ID != 16385 {
		t.Fatalf("dependents: %v", d)
	}
	// Replace keeps the ID; drop frees the name and the table.
	v2 := *v
	v2.Query = "SELECT a FROM t WHERE a > 0"
	if c, err = c.Apply(&Change{Kind: CreateView, View: &v2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.View(16385); got.Query != v2.Query || len(c.Views()) != 1 {
		t.Fatalf("replace: %+v (%d views)", got, len(c.Views()))
	}
	old := c
	if c, err = c.Apply(&Change{Kind: DropView, ID: 16385}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.LookupView("public", "v"); ok {
		t.Fatal("dropped view still found")
	}
	if _, ok := old.LookupView("public", "v"); !ok {
		t.Fatal("Apply changed the catalog it was called on")
	}
	if _, err := c.Apply(&Change{Kind: DropTable, ID: 16384}); err != nil {
		t.Fatalf("dropping the table once the view is gone: %v", err)
	}
}
