package oltp

import (
	"bytes"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// TestCheckpointForeignKeys: a checkpoint holds tables in name order; a
// foreign key may reference a table named after its own (and two tables
// may reference each other). Loading must restore them all, keys included.
func TestCheckpointForeignKeys(t *testing.T) {
	m := &ckptModel{}
	orig := NewStore()
	cols := []catalog.Column{{Name: "id", Type: types.Int4, NotNull: true}, {Name: "ref", Type: types.Int4}}
	pk := func(id uint32, name string) []catalog.Index {
		return []catalog.Index{{ID: id, Name: name, Columns: []int{0}, Unique: true, Primary: true}}
	}
	// "a_child" sorts before "z_parent", which it references; z_parent
	// references a_child back once both exist.
	parent := &catalog.Table{ID: 16384, Schema: "public", Name: "z_parent", PrimaryKey: 0, Columns: cols, Indexes: pk(16385, "z_parent_pkey")}
	child := &catalog.Table{ID: 16386, Schema: "public", Name: "a_child", PrimaryKey: 0, Columns: cols, Indexes: pk(16387, "a_child_pkey"),
		ForeignKeys: []catalog.ForeignKey{{ID: 16388, Name: "a_child_ref_fkey", Columns: []int{1}, RefTable: 16384, RefColumns: []int{0}, OnDelete: catalog.Cascade}}}
	back := parent.Clone()
	back.ForeignKeys = []catalog.ForeignKey{{ID: 16389, Name: "z_parent_ref_fkey", Columns: []int{1}, RefTable: 16386, RefColumns: []int{0}, Deferrable: true, Deferred: true}}
	for _, ch := range []*catalog.Change{
		{Kind: catalog.CreateTable, Table: parent},
		{Kind: catalog.CreateTable, Table: child},
		{Kind: catalog.AlterColumn, Table: back},
	} {
		applyAll(t, m.entry(log.Op{Kind: log.OpDDL, Row: ch.Encode()}), orig)
	}
	var buf bytes.Buffer
	if _, err := orig.WriteCheckpoint(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := LoadCheckpoint(bytes.NewReader(buf.Bytes()), "learned")
	if err != nil {
		t.Fatalf("loading a checkpoint with foreign keys: %v", err)
	}
	cat := loaded.Catalog()
	for _, want := range []struct {
		table uint32
		fk    string
		ref   uint32
	}{{16386, "a_child_ref_fkey", 16384}, {16384, "z_parent_ref_fkey", 16386}} {
		tb, ok := cat.Table(want.table)
		if !ok || len(tb.ForeignKeys) != 1 || tb.ForeignKeys[0].Name != want.fk || tb.ForeignKeys[0].RefTable != want.ref {
			t.Fatalf("table %d after load: %+v", want.table, tb)
		}
	}
	if refs := cat.ReferencedBy(16384); len(refs) != 1 || refs[0].Table.ID != 16386 {
		t.Fatalf("ReferencedBy(z_parent) after load: %+v", refs)
	}
}
