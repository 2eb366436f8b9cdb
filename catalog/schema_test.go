package catalog

import (
	"testing"

	"github.com/omendb/omendb/pgerr"
)

// TestSchemas: create_schema and drop_schema round-trip through their
// encoding; a duplicate is 42P06, a schema with objects cannot be dropped
// (2BP01), and names resolve along a search path.
func TestSchemas(t *testing.T) {
	cat := New()
	apply := func(ch *Change) (*Catalog, error) {
		dec, err := DecodeChange(ch.Encode())
		if err != nil {
			t.Fatal(err)
		}
		return cat.Apply(dec)
	}
	var err error
	if cat, err = apply(&Change{Kind: CreateSchema, ID: 20000, Schema: &Schema{ID: 20000, Name: "s1", Owner: "omendb"}}); err != nil {
		t.Fatal(err)
	}
	if sc, ok := cat.LookupSchema("s1"); !ok || sc.Owner != "omendb" || cat.MaxID != 20000 {
		t.Fatalf("schema: %+v, max id %d", sc, cat.MaxID)
	}
	if _, err := apply(&Change{Kind: CreateSchema, Schema: &Schema{ID: 20001, Name: "s1"}}); pgerr.Code(err) != pgerr.DuplicateSchema {
		t.Fatalf("duplicate: %v", err)
	}
	if cat, err = apply(&Change{Kind: CreateTable, Table: NewTable(20002, "s1", "t")}); err != nil {
		t.Fatal(err)
	}
	if cat, err = apply(&Change{Kind: CreateTable, Table: NewTable(20003, "public", "t")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path []string
		want string
	}{{[]string{"s1", "public"}, "s1"}, {[]string{"public", "s1"}, "public"}, {[]string{"nosuch"}, "nosuch"}, {nil, ""}} {
		if got := cat.ResolvePath("", c.path, "", "t"); got != c.want {
			t.Errorf("ResolvePath(%v) = %q, want %q", c.path, got, c.want)
		}
	}
	if !cat.SchemaExists("s1") || cat.SchemaExists("s2") || !cat.SchemaExists("public") {
		t.Fatal("SchemaExists")
	}
	// A CDC target's schema has no Schema: it exists while tables live
	// in it.
	cdc, err := cat.Apply(&Change{Kind: CreateTable, Table: NewTable(20010, "sales", "orders")})
	if err != nil || !cdc.SchemaExists("sales") || cdc.CreationSchema([]string{"nosuch", "sales"}) != "sales" {
		t.Fatalf("schema of a table without a Schema: %v", err)
	}
	if _, err := apply(&Change{Kind: DropSchema, ID: 20000}); pgerr.Code(err) != pgerr.DependentObjectsStillExist {
		t.Fatalf("drop with a table: %v", err)
	}
	if cat, err = apply(&Change{Kind: DropTable, ID: 20002}); err != nil {
		t.Fatal(err)
	}
	if cat, err = apply(&Change{Kind: DropSchema, ID: 20000}); err != nil {
		t.Fatal(err)
	}
	if _, ok := cat.LookupSchema("s1"); ok || len(cat.Schemas()) != 0 {
		t.Fatal("schema not dropped")
	}
}
