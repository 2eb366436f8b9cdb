package oltp

import (
	"bytes"
	"slices"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/types"
)

// IndexRange read in small batches, each resuming just after the last
// entry it was given, returns exactly the rows whose visible version has
// its key in the range — in entry order, each once — at an old snapshot
// (stale entries of moved rows present) and at the newest, for both index
// structures, ascending and descending (resuming with hi = the last
// entry); a run of equal index keys is split across batches.
func TestIndexRangeResumes(t *testing.T) {
	for _, method := range []string{"learned", "btree"} {
		t.Run("index="+method, func(t *testing.T) {
			st := NewStore()
			tbl := &catalog.Table{ID: st.NewID(), Schema: "public", Name: "ir", PrimaryKey: 0,
				Columns: []catalog.Column{{Name: "id", Type: types.Int8, NotNull: true}, {Name: "k", Type: types.Int4}}}
			tbl.Indexes = []catalog.Index{{ID: st.NewID(), Name: "ir_pkey", Columns: []int{0}, Unique: true, Primary: true},
				{ID: st.NewID(), Name: "ir_k", Columns: []int{1}, Method: method}}
			ix := &tbl.Indexes[1]
			off := uint64(0)
			apply := func(ops []log.Op) uint64 {
				t.Helper()
				off++
				if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{ID: off, Ops: ops}}}}); err != nil {
					t.Fatal(err)
				}
				return off
			}
			apply([]log.Op{{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tbl}).Encode()}})
			const n = 2000
			// k of row id in generation gen (NULL for every 13th row).
			kOf := func(id, gen int) types.Value {
				if id%13 == 0 {
					return types.Null
				}
				return types.NewInt(int64((id*gen)%7 - 3))
			}
			write := func(gen int) uint64 {
				w := NewWrites()
				for id := 0; id < n; id++ {
					if gen > 1 && id%3 != 0 {
						continue // only every third row moves
					}
					r := []types.Value{types.NewInt(int64(id)), kOf(id, gen)}
					w.Put(tbl.ID, EncodeKey(tbl, tbl.PK(), r), r, gen > 1)
				}
				ops, err := w.ops()
				if err != nil {
					t.Fatal(err)
				}
				return apply(ops)
			}
			snap1 := write(1)
			defer st.Pin(snap1)()
			snap2 := write(2)
			tb := st.Table(tbl.ID)
			enc := func(v int) []byte { return keycode.Append(nil, types.NewInt(int64(v)), types.Int4) }
			for _, desc := range []bool{false, true} {
				for _, c := range []struct {
					snap   uint64
					lo, hi []byte // index keys -1 <= k < 2
					// the rows wanted: from <= k < until (and NULL when hi is nil)
					from, until int
				}{
					{snap: snap1, lo: enc(-1), hi: enc(2), from: -1, until: 2},
					{snap: snap2, lo: enc(-1), hi: enc(2), from: -1, until: 2},
					{snap: snap2, lo: nil, hi: PrefixEnd(enc(0)), from: -3, until: 1},
					{snap: snap2, lo: enc(1), hi: nil, from: 1, until: 100}, // NULLs too: no upper bound
				} {
					var want []int
					for id := 0; id < n; id++ {
						gen := 1
						if c.snap == snap2 && id%3 == 0 {
							gen = 2
						}
						k := kOf(id, gen)
						if k.IsNull() {
							if c.hi == nil {
								want = append(want, id) // NULL sorts last
							}
							continue
						}
						if int(k.I) >= c.from && int(k.I) < c.until {
							want = append(want, id)
						}
					}
					var got []int
					var last []byte
					lo, hi := c.lo, c.hi
					for batches := 0; ; batches++ {
						if batches > n {
							t.Fatal("the range does not end")
						}
						count := 0
						var resume []byte
						ok := tb.IndexRange(ix.ID, c.snap, lo, hi, desc, func(entry, pk []byte, row []types.Value) bool {
							if cmp := bytes.Compare(entry, last); last != nil && (!desc && cmp <= 0 || desc && cmp >= 0) {
								t.Fatalf("entry %x after %x: not in order (desc %v)", entry, last, desc)
							}
							last = append(last[:0], entry...)
							ik, _, _, err := IndexKey(tbl, ix, row)
							if err != nil || !bytes.Equal(append(ik, pk...), entry) {
								t.Fatalf("entry %x of row %v: want its key ‖ pk (%v)", entry, row, err)
							}
							got = append(got, int(row[0].I))
							if count++; count == 97 {
								resume = append([]byte(nil), entry...)
								if !desc {
									resume = append(resume, 0)
								}
								return false
							}
							return true
						})
						if !ok {
							t.Fatal("IndexRange found no index")
						}
						if resume == nil {
							break
						}
						if desc {
							hi = resume
						} else {
							lo = resume
						}
					}
					slices.Sort(got)
					if !slices.Equal(got, want) {
						t.Fatalf("desc %v snapshot %d, [%x, %x): got %d rows %v…, want %d", desc, c.snap, c.lo, c.hi, len(got), got[:min(10, len(got))], len(want))
					}
					if len(want) < 300 {
						t.Fatalf("range of %d rows: too few for batches", len(want))
					}
				}
			}
		})
	}
}
