package vexec

import (
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// caseX is a searched CASE (the binder turns the simple form into it),
// evaluated a batch at a time with PostgreSQL's laziness: each WHEN is
// evaluated only on the rows no earlier WHEN took, and each THEN and the
// ELSE only on the rows that reach it, so a branch never raises an error
// (division by zero, a bad cast) for a row that does not take it.
type caseX struct {
	conds, results []vx
	els            vx // nil: NULL
	t              types.Type
}

// coalesceX is COALESCE: each argument is evaluated only on the rows whose
// earlier arguments were all NULL.
type coalesceX struct {
	args []vx
	t    types.Type
}

func (cp *compiler) compileCase(x *plan.Case) (vx, error) {
	out := &caseX{t: x.T} // x.Operand is only for printing: the Conds compare it
	for _, w := range x.Whens {
		c, err := cp.compile(w.Cond)
		if err != nil {
			return nil, err
		}
		r, err := cp.compile(w.Result)
		if err != nil {
			return nil, err
		}
		out.conds = append(out.conds, c)
		out.results = append(out.results, r)
	}
	if x.Else != nil {
		e, err := cp.compile(x.Else)
		if err != nil {
			return nil, err
		}
		out.els = e
	}
	return out, nil
}

func (cp *compiler) compileCoalesce(x *plan.Coalesce) (vx, error) {
	out := &coalesceX{t: x.T}
	for _, a := range x.Args {
		v, err := cp.compile(a)
		if err != nil {
			return nil, err
		}
		out.args = append(out.args, v)
	}
	return out, nil
}

// subBatch returns the rows idx (positions in b) of b, keeping the columns
// already read.
func subBatch(b *batch, idx []int32) *batch {
	if len(idx) == b.n() {
		return b
	}
	sel := b.w.int32s(len(idx))
	for k, j := range idx {
		sel[k] = b.sel[j]
	}
	out := &batch{w: b.w, src: b.src, base: b.base, sel: sel, cols: make([]*vec, len(b.cols))}
	for c, v := range b.cols {
		if v != nil {
			out.cols[c] = take(b.w, v, idx)
		}
	}
	return out
}

// scatter writes v's rows to out at positions at.
func scatter(out []types.Value, at []int32, v *vec) {
	for k, j := range at {
		out[j] = v.value(k)
	}
}

func (x *caseX) eval(b *batch) (*vec, error) {
	n := b.n()
	out := &vec{t: x.t, k: types.KindOfType(x.t), form: fVals, n: n, vals: make([]types.Value, n)}
	left := make([]int32, n) // rows of b not yet decided, as positions in b
	for j := range left {
		left[j] = int32(j)
	}
	cur := b
	for i, cond := range x.conds {
		if len(left) == 0 {
			break
		}
		v, err := cond.eval(cur)
		if err != nil {
			return nil, err
		}
		var hit, miss []int32 // positions in cur
		for j := 0; j < cur.n(); j++ {
			if v.isTrue(j) {
				hit = append(hit, int32(j))
			} else {
				miss = append(miss, int32(j))
			}
		}
		if len(hit) > 0 {
			r, err := x.results[i].eval(subBatch(cur, hit))
			if err != nil {
				return nil, err
			}
			at := make([]int32, len(hit))
			for k, j := range hit {
				at[k] = left[j]
			}
			scatter(out.vals, at, r)
		}
		next := make([]int32, len(miss))
		for k, j := range miss {
			next[k] = left[j]
		}
		left = next
		cur = subBatch(cur, miss)
	}
	if x.els != nil && len(left) > 0 {
		r, err := x.els.eval(cur)
		if err != nil {
			return nil, err
		}
		scatter(out.vals, left, r)
	}
	return out.tighten(), nil
}

func (x *coalesceX) eval(b *batch) (*vec, error) {
	n := b.n()
	out := &vec{t: x.t, k: types.KindOfType(x.t), form: fVals, n: n, vals: make([]types.Value, n)}
	left := make([]int32, n)
	for j := range left {
		left[j] = int32(j)
	}
	cur := b
	for _, a := range x.args {
		if len(left) == 0 {
			break
		}
		v, err := a.eval(cur)
		if err != nil {
			return nil, err
		}
		var nulls []int32
		for j := 0; j < cur.n(); j++ {
			if v.null(j) {
				nulls = append(nulls, int32(j))
			} else {
				out.vals[left[j]] = v.value(j)
			}
		}
		next := make([]int32, len(nulls))
		for k, j := range nulls {
			next[k] = left[j]
		}
		left = next
		cur = subBatch(cur, nulls)
	}
	return out.tighten(), nil
}
