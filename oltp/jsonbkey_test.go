package oltp

import (
	"bytes"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// TestJSONBKeyVersions: a table created with the current key encoding keys
// jsonb by value (1.0 and 1 are one key); a table recorded with key version
// 0 (created before that encoding) keeps keying jsonb by text, so the keys
// already in its log records and checkpoints still find their rows, after a
// checkpoint round trip too.
func TestJSONBKeyVersions(t *testing.T) {
	s := NewStore()
	m := &ckptModel{}
	mk := func(id uint32, name string, version int) *catalog.Table {
		tb := catalog.NewTable(id, "public", name)
		tb.KeyVersion = version
		tb.Columns = []catalog.Column{{Name: "k", Type: types.JSONB, NotNull: true}, {Name: "v", Type: types.Int4}}
		tb.Indexes = []catalog.Index{{ID: id + 1, Name: name + "_pkey", Columns: []int{0}, Unique: true, Primary: true}}
		tb.PrimaryKey = 0
		applyAll(t, m.entry(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tb}).Encode()}), s)
		return tb
	}
	old := mk(catalog.FirstUserID, "old", 0)
	cur := mk(catalog.FirstUserID+10, "cur", catalog.KeyVersionCurrent)
	a := []types.Value{types.NewJSON("1.0"), types.NewInt(1)}
	b := []types.Value{types.NewJSON("1"), types.NewInt(2)}
	if !bytes.Equal(EncodeKey(cur, cur.PK(), a), EncodeKey(cur, cur.PK(), b)) {
		t.Fatal("current key version: jsonb 1.0 and 1 encode differently")
	}
	if bytes.Equal(EncodeKey(old, old.PK(), a), EncodeKey(old, old.PK(), b)) {
		t.Fatal("key version 0: jsonb 1.0 and 1 encode alike; old log keys would no longer match")
	}
	for _, row := range [][]types.Value{a, b} {
		applyAll(t, m.entry(log.Op{Kind: log.OpInsert, Table: old.ID, Key: EncodeKey(old, old.PK(), row), Row: types.EncodeRow(nil, row)}), s)
	}
	applyAll(t, m.entry(log.Op{Kind: log.OpInsert, Table: cur.ID, Key: EncodeKey(cur, cur.PK(), a), Row: types.EncodeRow(nil, a)}), s)

	var buf bytes.Buffer
	if _, err := s.WriteCheckpoint(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := LoadCheckpoint(bytes.NewReader(buf.Bytes()), "learned")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*Store{s, loaded} {
		lo, ok1 := st.Catalog().Table(old.ID)
		lc, ok2 := st.Catalog().Table(cur.ID)
		if !ok1 || !ok2 {
			t.Fatal("tables missing after load")
		}
		if lo.KeyVersion != 0 || lc.KeyVersion != catalog.KeyVersionCurrent {
			t.Fatalf("key versions %d, %d after load", lo.KeyVersion, lc.KeyVersion)
		}
		at := uint64(st.Applied())
		if n := st.Table(old.ID).Count(); n != 2 {
			t.Fatalf("old table has %d rows, want 2", n)
		}
		for _, row := range [][]types.Value{a, b} {
			if _, ok := st.Table(old.ID).Get(EncodeKey(lo, lo.PK(), row), at); !ok {
				t.Fatalf("old table: row %v not found by its key", row)
			}
			if _, ok := st.Table(cur.ID).Get(EncodeKey(lc, lc.PK(), row), at); !ok {
				t.Fatalf("current table: %v not found by value", row[0])
			}
		}
	}
}
