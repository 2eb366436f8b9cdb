package oltp

import (
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// TestWaitBulk: WaitBulk returns at once when no bulk record is being
// applied, and while one is, only once the record is applied.
func TestWaitBulk(t *testing.T) {
	st := NewStore()
	st.IndexMethod = "learned"
	m := &ckptModel{}
	kv := &catalog.Table{ID: 16384, Schema: "public", Name: "kv", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "k", Type: types.Int8, NotNull: true}}}
	kv.Indexes = []catalog.Index{{ID: 16385, Name: "kv_pkey", Columns: []int{0}, Unique: true, Primary: true}}
	applyAll(t, m.entry(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: kv}).Encode()}), st)
	st.WaitBulk() // idle: must not block
	small := m.entry(log.Op{Kind: log.OpInsert, Table: kv.ID, Key: RowIDKey(1), Row: types.EncodeRow(nil, []types.Value{types.NewInt(1)})})
	applyAll(t, small, st)
	next := int64(2)
	for attempt := 0; ; attempt++ {
		if attempt == 5 {
			t.Fatal("five bulk records were applied before the test saw one start")
		}
		ops := make([]log.Op, BulkOps)
		for i := range ops {
			row := []types.Value{types.NewInt(next)}
			next++
			ops[i] = log.Op{Kind: log.OpInsert, Table: kv.ID, Key: EncodeKey(kv, kv.PK(), row), Row: types.EncodeRow(nil, row)}
		}
		bulk := m.entry(ops...)
		done := make(chan error, 1)
		go func() { done <- st.Apply(bulk) }()
		// Wait until the bulk apply holds bulkMu, or is over already.
		seen := true
		for seen && st.bulkMu.TryRLock() {
			st.bulkMu.RUnlock()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				seen = false
			default:
			}
		}
		if !seen {
			continue
		}
		st.WaitBulk()
		if got := st.Applied(); got != bulk.Offset {
			t.Fatalf("WaitBulk returned with the store at %d, before the bulk record at %d was applied", got, bulk.Offset)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return
	}
}
