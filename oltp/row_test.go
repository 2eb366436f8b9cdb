package oltp

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// rowsTable is (id int8 primary key, name text, amount numeric, tag text)
// with a secondary index on name.
func rowsTable(st *Store) *catalog.Table {
	tbl := &catalog.Table{ID: st.NewID(), Schema: "public", Name: "r", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "id", Type: types.Int8, NotNull: true}, {Name: "name", Type: types.Text},
			{Name: "amount", Type: types.Numeric}, {Name: "tag", Type: types.Text}}}
	tbl.Indexes = []catalog.Index{{ID: st.NewID(), Name: "r_pkey", Columns: []int{0}, Unique: true, Primary: true},
		{ID: st.NewID(), Name: "r_name", Columns: []int{1}}}
	return tbl
}

func rowsRow(t testing.TB, id int, gen int) []types.Value {
	d, err := types.ParseNumeric(fmt.Sprintf("%d.%02d", id*gen, id%100))
	if err != nil {
		t.Fatal(err)
	}
	return []types.Value{types.NewInt(int64(id)), types.NewText(fmt.Sprintf("name-%04d-%d", id, gen)), types.NewNumeric(d),
		types.NewText(fmt.Sprintf("tag %d", gen))}
}

func sameRow(a, b []types.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if types.Compare(a[i], b[i]) != 0 || a[i].S != b[i].S {
			return false
		}
	}
	return true
}

// Rows are kept encoded and decoded on every read: each reader gets rows
// equal to what was written, that it may keep (scans hand out independent
// rows from shared blocks), at every snapshot, through the primary and
// secondary indexes — for rows from the committer (op.Vals set, bytes
// retained from its encode block) and from the log (bytes checked, retained
// from the record's buffer) alike.
func TestStoredRowsDecodeOnRead(t *testing.T) {
	for _, fromLog := range []bool{false, true} {
		t.Run(fmt.Sprintf("fromLog=%v", fromLog), func(t *testing.T) {
			st := NewStore()
			st.IndexMethod = "learned"
			tbl := rowsTable(st)
			off := uint64(0)
			apply := func(ops []log.Op) uint64 {
				t.Helper()
				off++
				if fromLog {
					// A record as the log delivers it: no Vals, Key and Row
					// slices of one message buffer.
					var buf []byte
					for i := range ops {
						ops[i].Vals = nil
						if ops[i].Row != nil {
							start := len(buf)
							buf = append(buf, ops[i].Row...)
							ops[i].Row = buf[start:len(buf):len(buf)]
						}
					}
				}
				if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{ID: off, Ops: ops}}}}); err != nil {
					t.Fatal(err)
				}
				return off
			}
			apply([]log.Op{{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tbl}).Encode()}})
			const n = 3000
			write := func(gen int) uint64 {
				w := NewWrites()
				for id := 0; id < n; id++ {
					r := rowsRow(t, id, gen)
					w.Put(tbl.ID, EncodeKey(tbl, tbl.PK(), r), r, gen > 1)
				}
				ops, err := w.ops()
				if err != nil {
					t.Fatal(err)
				}
				return apply(ops)
			}
			snap1 := write(1)
			pin := st.Pin(snap1)
			defer pin()
			snap2 := write(2)
			st.Reclaim()
			tb := st.Table(tbl.ID)
			for _, c := range []struct {
				snap uint64
				gen  int
			}{{snap1, 1}, {snap2, 2}} {
				var kept [][]types.Value
				tb.Scan(c.snap, nil, nil, false, func(_ []byte, row []types.Value) bool {
					kept = append(kept, row)
					return true
				})
				if len(kept) != n {
					t.Fatalf("snapshot %d: scanned %d rows, want %d", c.snap, len(kept), n)
				}
				for id, row := range kept {
					if want := rowsRow(t, id, c.gen); !sameRow(row, want) {
						t.Fatalf("snapshot %d: kept scan row %d = %v, want %v", c.snap, id, row, want)
					}
				}
				for _, id := range []int{0, 1, n / 2, n - 1} {
					want := rowsRow(t, id, c.gen)
					got, ok := tb.Get(EncodeKey(tbl, tbl.PK(), want), c.snap)
					if !ok || !sameRow(got, want) {
						t.Fatalf("snapshot %d: Get(%d) = %v %v, want %v", c.snap, id, got, ok, want)
					}
					found := 0
					prefix := EncodeKey(tbl, &tbl.Indexes[1], want)
					tb.IndexScan(tbl.Indexes[1].ID, c.snap, prefix, PrefixEnd(prefix), false, func(_ []byte, row []types.Value) bool {
						found++
						if !sameRow(row, want) {
							t.Fatalf("snapshot %d: IndexScan(%d) = %v, want %v", c.snap, id, row, want)
						}
						return true
					})
					if found != 1 {
						t.Fatalf("snapshot %d: IndexScan(%d) found %d rows", c.snap, id, found)
					}
				}
			}
			want := rowsRow(t, 7, 2)
			begin, end, row, ok := tb.Latest(EncodeKey(tbl, tbl.PK(), want))
			if !ok || begin != snap2 || end != Live || !sameRow(row, want) {
				t.Fatalf("Latest = %d %d %v %v, want %d live %v", begin, end, row, ok, snap2, want)
			}
		})
	}
}

// A point read decodes without copying strings: one allocation for the row
// and one per numeric, none per text value.
func TestGetAllocations(t *testing.T) {
	st := NewStore()
	tbl := rowsTable(st)
	s := loadBulk(t, tbl, 100, 100, func(i int) []types.Value { return rowsRow(t, i, 1) })
	tb := s.Table(tbl.ID)
	key := EncodeKey(tbl, tbl.PK(), rowsRow(t, 42, 1))
	snap := uint64(s.Applied())
	if n := testing.AllocsPerRun(100, func() { tb.Get(key, snap) }); n != 2 {
		t.Fatalf("Get allocates %v times, want 2 (the row, its numeric)", n)
	}
}

// A row from the log that does not decode is refused when it is applied
// (stored rows are decoded on every read, so they are checked once on the
// way in), and the record is not applied.
func TestApplyRejectsCorruptRow(t *testing.T) {
	st := NewStore()
	tbl := rowsTable(st)
	if err := st.Apply(log.Entry{Offset: 1, Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{{Kind: log.OpDDL,
		Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tbl}).Encode()}}}}}}); err != nil {
		t.Fatal(err)
	}
	good := types.EncodeRow(nil, rowsRow(t, 1, 1))
	for _, row := range [][]byte{good[:len(good)-2], append(bytes.Clone(good), 0), {0x02, 0x00}} {
		err := st.Apply(log.Entry{Offset: 2, Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{{Kind: log.OpInsert, Table: tbl.ID,
			Key: EncodeKey(tbl, tbl.PK(), rowsRow(t, 1, 1)), Row: row}}}}}})
		if !errors.Is(err, pgerr.ErrCorrupt) {
			t.Fatalf("Apply of row % x: %v, want a corruption error", row, err)
		}
		if st.Applied() != 1 {
			t.Fatalf("applied %d after a rejected record", st.Applied())
		}
	}
}
