package exec

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// maxRecursiveRows bounds the rows one recursive CTE may produce: a
// recursion that never ends fails (54000) before it exhausts the server's
// memory.
var maxRecursiveRows = 10_000_000

// recursiveIter runs WITH RECURSIVE's CTE (plan.RecursiveUnion) lazily: the
// non-recursive term's rows, then round after round of the recursive term
// over the previous round's rows (its WorkTable), each row passed on as it
// is produced, until a round produces nothing. Without ALL, rows seen
// before are dropped and do not feed the next round.
type recursiveIter struct {
	c        *Ctx
	n        *plan.RecursiveUnion
	cur      Iter
	started  bool
	next     [][]types.Value // this round's rows: the next round's work table
	seen     map[string]struct{}
	spec     []keySpec
	buf      []byte
	produced int
}

func (r *recursiveIter) Next() ([]types.Value, error) {
	for {
		if r.cur == nil {
			term := r.n.Init
			if r.started {
				if len(r.next) == 0 {
					return nil, nil
				}
				if err := r.c.cancelled(); err != nil {
					return nil, err
				}
				if r.c.workTables == nil {
					r.c.workTables = map[int][][]types.Value{}
				}
				r.c.workTables[r.n.ID], r.next = r.next, nil
				term = r.n.Step
			}
			r.started = true
			it, err := Open(r.c, term)
			if err != nil {
				return nil, err
			}
			r.cur = it
		}
		row, err := r.cur.Next()
		if err != nil {
			return nil, err
		}
		if row == nil {
			r.cur.Close()
			r.cur = nil
			continue
		}
		if !r.n.All {
			if r.seen == nil {
				r.seen = map[string]struct{}{}
				r.spec = make([]keySpec, len(r.n.Cols))
				for i, c := range r.n.Cols {
					r.spec[i].t = c.T
				}
			}
			r.buf, _ = hashKey(r.buf[:0], row, r.spec)
			if _, dup := r.seen[string(r.buf)]; dup {
				continue
			}
			r.seen[string(r.buf)] = struct{}{}
		}
		if r.produced++; r.produced > maxRecursiveRows {
			return nil, pgerr.New(pgerr.ProgramLimitExceeded, "recursive query produced more than %d rows", maxRecursiveRows).
				WithHint("Check that the recursive term stops, or add a LIMIT to the query that reads it.")
		}
		row = append([]types.Value(nil), row...)
		r.next = append(r.next, row)
		return row, nil
	}
}

func (r *recursiveIter) Close() {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
}
