package oltp

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// TestPutBeyondLargestKey covers Table.put's shortcut for keys beyond the
// largest one in the primary index (no lookup; the learned index's Append):
// ascending bulk inserts, then updates, inserts below the largest key,
// deletes and re-inserts, across a checkpoint load and ADD PRIMARY KEY
// (both replace the index, so the largest key must be found again). Every
// key must have exactly one chain, and every snapshot must read the model's
// rows.
func TestPutBeyondLargestKey(t *testing.T) {
	for _, method := range []string{"learned", "btree"} {
		t.Run(method, func(t *testing.T) {
			st := NewStore()
			st.IndexMethod = method
			m := &ckptModel{}
			kv := &catalog.Table{ID: 16384, Schema: "public", Name: "kv", PrimaryKey: 0,
				Columns: []catalog.Column{{Name: "k", Type: types.Int4, NotNull: true}, {Name: "v", Type: types.Text}}}
			kv.Indexes = []catalog.Index{{ID: 16385, Name: "kv_pkey", Columns: []int{0}, Unique: true, Primary: true}}
			heap := &catalog.Table{ID: 16387, Schema: "public", Name: "heap", PrimaryKey: -1,
				Columns: []catalog.Column{{Name: "a", Type: types.Int4, NotNull: true}, {Name: "b", Type: types.Text}}}
			for _, tb := range []*catalog.Table{kv, heap} {
				applyAll(t, m.entry(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tb}).Encode()}), st)
			}
			// want[key] is the value each key holds after each offset.
			type snapModel struct {
				off  uint64
				rows map[int64]string
			}
			cur := map[int64]string{}
			var history []snapModel
			ever := map[int64]bool{} // keys that ever had a chain in kv
			ins := func(k int64, v string) log.Op {
				cur[k], ever[k] = v, true
				row := []types.Value{types.NewInt(k), types.NewText(v)}
				return log.Op{Kind: log.OpInsert, Table: kv.ID, Key: EncodeKey(kv, kv.PK(), row), Row: types.EncodeRow(nil, row)}
			}
			del := func(k int64) log.Op {
				delete(cur, k)
				return log.Op{Kind: log.OpDelete, Table: kv.ID, Key: EncodeKey(kv, kv.PK(), []types.Value{types.NewInt(k)})}
			}
			apply := func(s *Store, ops ...log.Op) {
				e := m.entry(ops...)
				applyAll(t, e, s)
				c := make(map[int64]string, len(cur))
				for k, v := range cur {
					c[k] = v
				}
				history = append(history, snapModel{off: uint64(e.Offset), rows: c})
			}
			check := func(s *Store, what string) {
				t.Helper()
				tb := s.Table(kv.ID)
				if tb.pk.Len() != len(ever) {
					t.Fatalf("%s: primary index has %d keys, want %d (one chain per key ever written)", what, tb.pk.Len(), len(ever))
				}
				if tb.Count() != int64(len(cur)) {
					t.Fatalf("%s: Count = %d, want %d", what, tb.Count(), len(cur))
				}
				for _, h := range history {
					if h.off < uint64(s.Oldest()) {
						continue
					}
					n := 0
					tb.Scan(h.off, nil, nil, false, func(k []byte, row []types.Value) bool {
						n++
						if want, ok := h.rows[row[0].I]; !ok || want != row[1].S {
							t.Fatalf("%s: at %d key %d reads %q, want %q (present %v)", what, h.off, row[0].I, row[1].S, want, ok)
						}
						return true
					})
					if n != len(h.rows) {
						t.Fatalf("%s: at %d scan reads %d rows, want %d", what, h.off, n, len(h.rows))
					}
				}
			}
			var bulk []log.Op
			for k := int64(0); k < 5000; k++ {
				bulk = append(bulk, ins(k, fmt.Sprint("a", k)))
			}
			apply(st, bulk...)
			check(st, "ascending bulk")
			apply(st, ins(10, "b10"), ins(4999, "b4999"), ins(7000, "b7000"), ins(-5, "b-5"), del(20))
			apply(st, ins(20, "c20"), ins(7001, "c7001"), ins(6999, "c6999"))
			check(st, "updates and inserts below the largest key")

			var buf bytes.Buffer
			if _, err := st.WriteCheckpoint(&buf); err != nil {
				t.Fatal(err)
			}
			loaded, _, err := LoadCheckpoint(bytes.NewReader(buf.Bytes()), method)
			if err != nil {
				t.Fatal(err)
			}
			history = history[:0] // a loaded store starts at the checkpoint
			apply(loaded, ins(7001, "d7001"), ins(7002, "d7002"), ins(0, "d0"))
			check(loaded, "after a checkpoint load")

			// heap: rows keyed by ascending row ids, then ADD PRIMARY KEY (a)
			// re-keys them; writes by the new key must find the old rows.
			var hops []log.Op
			for i := int64(1); i <= 100; i++ {
				row := []types.Value{types.NewInt(i * 10), types.NewText("h")}
				hops = append(hops, log.Op{Kind: log.OpInsert, Table: heap.ID, Key: RowIDKey(i), Row: types.EncodeRow(nil, row)})
			}
			applyAll(t, m.entry(hops...), loaded)
			keyed := *heap
			keyed.PrimaryKey = 0
			keyed.Indexes = []catalog.Index{{ID: 16388, Name: "heap_pkey", Columns: []int{0}, Unique: true, Primary: true}}
			applyAll(t, m.entry(log.Op{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.SetPrimaryKey, Table: &keyed}).Encode()}), loaded)
			var upd []log.Op
			for _, a := range []int64{1000, 10, 1010} { // the largest, the smallest, a new one
				row := []types.Value{types.NewInt(a), types.NewText("u")}
				upd = append(upd, log.Op{Kind: log.OpInsert, Table: heap.ID, Key: EncodeKey(&keyed, keyed.PK(), row), Row: types.EncodeRow(nil, row)})
			}
			e := m.entry(upd...)
			applyAll(t, e, loaded)
			ht := loaded.Table(heap.ID)
			if ht.pk.Len() != 101 || ht.Count() != 101 {
				t.Fatalf("after ADD PRIMARY KEY: %d keys, %d rows, want 101 and 101", ht.pk.Len(), ht.Count())
			}
			for _, a := range []int64{10, 1000, 1010} {
				row, ok := ht.Get(EncodeKey(&keyed, keyed.PK(), []types.Value{types.NewInt(a)}), uint64(e.Offset))
				if !ok || row[1].S != "u" {
					t.Fatalf("after ADD PRIMARY KEY: key %d reads %v %v, want u", a, row, ok)
				}
			}
		})
	}
}
