package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// A sequence named in FROM reads as PostgreSQL's one-row sequence
// relation (last_value, log_cnt, is_called): pg_dump reads
// "SELECT last_value, is_called FROM seq" to restore each sequence with
// setval.

// SequenceReader is implemented by a VirtualEnv that can read sequences'
// positions: the last value handed out or set, false if none.
type SequenceReader interface {
	SequencePosition(id uint32) (int64, bool)
}

// sequenceItem binds sequence sq in FROM as a virtual one-row relation.
//
// OmenDB keeps one position per sequence — the value the next nextval
// steps from — where PostgreSQL keeps (last_value, is_called). Both
// describe the same next value; the row shows the position as
// (last_value, true) when it is a value of the sequence, and as the next
// value with is_called false otherwise: before any nextval (last_value is
// START, as in PostgreSQL) and after setval(seq, v, false) with v at the
// sequence's first value (the position one step before it is outside the
// bounds). setval(seq, last_value, is_called) then restores the same next
// value. log_cnt (PostgreSQL's count of values logged ahead) is 0.
func sequenceItem(sq *catalog.Sequence, alias string, a *pg.Alias) *fromItem {
	id := sq.ID
	s := *sq
	vt := &VirtualTable{Schema: sq.Schema, Name: sq.Name, OID: sq.ID,
		Cols: []Column{{Name: "last_value", T: types.Int8, TableOID: id, AttNum: 1},
			{Name: "log_cnt", T: types.Int8, TableOID: id, AttNum: 2}, {Name: "is_called", T: types.Bool, TableOID: id, AttNum: 3}},
		Rows: func(env VirtualEnv) ([][]types.Value, error) {
			r, ok := env.(SequenceReader)
			if !ok {
				return nil, pgerr.NotSupported("reading sequence %q is not supported here", s.Name)
			}
			last, called := r.SequencePosition(id)
			if lo, hi := s.Bounds(); called && (last < lo || last > hi) {
				last, called = last+s.Inc, false
			} else if !called {
				last = s.Start
			}
			return [][]types.Value{{types.NewInt(last), types.NewInt(0), types.NewBool(called)}}, nil
		}}
	n := &VirtualScan{Table: vt, Cols: vt.Cols}
	return itemFrom(n, alias, renameCols(n.Cols, a), nil)
}
