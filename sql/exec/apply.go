package exec

import (
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// applyIter runs a LATERAL subquery (plan.Apply): for each left row, the
// right plan with that row as its outer row, collected whole (the outer
// row is pushed only while the right side runs, so nothing above sees it),
// then the pairs that pass Cond; a LEFT join keeps an unmatched left row
// with NULLs.
type applyIter struct {
	c     *Ctx
	n     *plan.Apply
	left  Iter
	l     []types.Value
	right [][]types.Value
	i     int
	match bool
	nullR []types.Value
}

func openApply(c *Ctx, n *plan.Apply) (Iter, error) {
	left, err := Open(c, n.Left)
	if err != nil {
		return nil, err
	}
	return &applyIter{c: c, n: n, left: left, i: -1, nullR: make([]types.Value, len(n.Right.Columns()))}, nil
}

func (a *applyIter) Next() ([]types.Value, error) {
	for {
		if a.i < 0 || a.i >= len(a.right) {
			if a.i >= 0 && !a.match && a.n.Kind == plan.LeftJoin {
				a.i = -1
				return a.join(a.nullR), nil
			}
			l, err := a.left.Next()
			if l == nil || err != nil {
				return nil, err
			}
			a.l = append([]types.Value(nil), l...)
			a.c.outer = append(a.c.outer, a.l)
			a.right, err = collect(a.c, a.n.Right, -1)
			a.c.outer = a.c.outer[:len(a.c.outer)-1]
			if err != nil {
				return nil, err
			}
			a.i, a.match = 0, false
			if len(a.right) == 0 {
				continue
			}
		}
		r := a.right[a.i]
		a.i++
		row := a.join(r)
		if a.n.Cond != nil {
			v, err := Eval(a.c, a.n.Cond, row)
			if err != nil {
				return nil, err
			}
			if !isTrue(v) {
				continue
			}
		}
		a.match = true
		return row, nil
	}
}

func (a *applyIter) join(r []types.Value) []types.Value {
	out := make([]types.Value, 0, len(a.l)+len(r))
	return append(append(out, a.l...), r...)
}

func (a *applyIter) Close() { a.left.Close() }
