package exec

import (
	"sort"

	"github.com/cockroachdb/apd/v3"

	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// keySpec says how to encode one hash-key column so that values equal under
// SQL comparison encode equally, even when the two sides' types differ
// (int4 = numeric).
type keySpec struct {
	t       types.Type
	numeric bool // encode every number as numeric
}

func keySpecs(l, r []plan.Expr) []keySpec {
	specs := make([]keySpec, len(l))
	for i := range l {
		lt := l[i].Type()
		specs[i].t = lt
		if r != nil {
			rt := r[i].Type()
			if types.KindOfType(lt) != types.KindOfType(rt) {
				specs[i].numeric = true
				specs[i].t = types.Numeric
			}
		}
	}
	return specs
}

// hashKey appends the encoding of vals; hasNull reports a NULL (which never
// joins).
func hashKey(buf []byte, vals []types.Value, specs []keySpec) ([]byte, bool) {
	hasNull := false
	for i, v := range vals {
		if v.IsNull() {
			hasNull = true
		}
		if specs[i].numeric && !v.IsNull() {
			v = toNumeric(v)
		}
		if v.K == types.KindArray {
			v = arrayKey(v, specs[i].t)
		}
		buf = keycode.Append(buf, v, specs[i].t)
	}
	return buf, hasNull
}

// arrayKey re-encodes an array so that arrays equal under SQL comparison
// encode equally (1.0 and 1.00, 0 and -0 elements): the key encoding of each
// element, as bytes.
func arrayKey(v types.Value, t types.Type) types.Value {
	elems, err := types.ArrayElems(v, nil)
	if err != nil {
		return v
	}
	et := types.ElemType(t)
	if !types.IsArrayType(t) {
		et = types.Unknown
	}
	var b []byte
	for _, e := range elems {
		if e.K == types.KindArray {
			e = arrayKey(e, types.Unknown)
		}
		b = keycode.Append(b, e, et)
	}
	return types.NewBytes(b)
}

func toNumeric(v types.Value) types.Value {
	switch v.K {
	case types.KindInt:
		return types.NewNumeric(apd.New(v.I, 0))
	case types.KindFloat:
		d := new(apd.Decimal)
		if _, err := d.SetFloat64(v.Float()); err == nil {
			return types.NewNumeric(d)
		}
	}
	return v
}

func evalAll(c *Ctx, es []plan.Expr, row []types.Value, dst []types.Value) ([]types.Value, error) {
	dst = dst[:0]
	for _, e := range es {
		v, err := Eval(c, e, row)
		if err != nil {
			return nil, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// joinIter runs every join kind: a hash join when the plan has equi-keys
// (the right input is the build side), a nested loop otherwise.
type joinIter struct {
	c     *Ctx
	n     *plan.Join
	left  Iter
	right [][]types.Value // build side
	table map[string][]int
	specs []keySpec
	lw    int
	rw    int

	cur      []types.Value // current left row
	cands    []int
	ci       int
	matched  bool
	rMatched []bool
	tail     int // for right/full joins: position emitting unmatched right rows
	inTail   bool
	keyBuf   []byte
	vals     []types.Value
}

func openJoin(c *Ctx, n *plan.Join) (Iter, error) {
	right, err := collect(c, n.Right, -1)
	if err != nil {
		return nil, err
	}
	left, err := Open(c, n.Left)
	if err != nil {
		return nil, err
	}
	j := &joinIter{c: c, n: n, left: left, right: right, lw: len(n.Left.Columns()), rw: len(n.Right.Columns())}
	if n.Kind == plan.RightJoin || n.Kind == plan.FullJoin {
		j.rMatched = make([]bool, len(right))
	}
	if len(n.LeftKeys) > 0 {
		j.specs = keySpecs(n.LeftKeys, n.RightKeys)
		j.table = make(map[string][]int, len(right))
		var vals []types.Value
		var buf []byte
		for i, r := range right {
			if vals, err = evalAll(c, n.RightKeys, r, vals); err != nil {
				left.Close()
				return nil, err
			}
			k, null := hashKey(buf[:0], vals, j.specs)
			buf = k
			if null {
				continue
			}
			j.table[string(k)] = append(j.table[string(k)], i)
		}
	}
	return j, nil
}

func (j *joinIter) combine(l, r []types.Value) []types.Value {
	out := make([]types.Value, j.lw+j.rw)
	copy(out, l)
	if r != nil {
		copy(out[j.lw:], r)
	}
	return out
}

// candidates sets the right rows that may match left row l.
func (j *joinIter) candidates(l []types.Value) error {
	j.cands, j.ci = j.cands[:0], 0
	if j.table == nil {
		if cap(j.cands) < len(j.right) {
			j.cands = make([]int, len(j.right))
		}
		j.cands = j.cands[:len(j.right)]
		for i := range j.cands {
			j.cands[i] = i
		}
		return nil
	}
	var err error
	if j.vals, err = evalAll(j.c, j.n.LeftKeys, l, j.vals); err != nil {
		return err
	}
	k, null := hashKey(j.keyBuf[:0], j.vals, j.specs)
	j.keyBuf = k
	if !null {
		j.cands = append(j.cands, j.table[string(k)]...)
	}
	return nil
}

func (j *joinIter) Next() ([]types.Value, error) {
	for {
		if j.inTail {
			for j.tail < len(j.right) {
				i := j.tail
				j.tail++
				if !j.rMatched[i] {
					out := make([]types.Value, j.lw+j.rw)
					copy(out[j.lw:], j.right[i])
					return out, nil
				}
			}
			return nil, nil
		}
		if j.cur == nil {
			l, err := j.left.Next()
			if err != nil {
				return nil, err
			}
			if l == nil {
				if j.rMatched != nil {
					j.inTail = true
					continue
				}
				return nil, nil
			}
			if err := j.c.cancelled(); err != nil {
				return nil, err
			}
			j.cur = append(j.cur[:0], l...)
			j.matched = false
			if err := j.candidates(j.cur); err != nil {
				return nil, err
			}
		}
		for j.ci < len(j.cands) {
			ri := j.cands[j.ci]
			j.ci++
			r := j.right[ri]
			ok := true
			if j.n.Cond != nil {
				row := j.combine(j.cur, r)
				v, err := Eval(j.c, j.n.Cond, row)
				if err != nil {
					return nil, err
				}
				ok = isTrue(v)
			}
			if !ok {
				continue
			}
			j.matched = true
			if j.rMatched != nil {
				j.rMatched[ri] = true
			}
			switch j.n.Kind {
			case plan.SemiJoin:
				j.ci = len(j.cands)
				out := append([]types.Value(nil), j.cur...)
				j.cur = nil
				return out, nil
			case plan.AntiJoin:
				j.ci = len(j.cands)
			default:
				return j.combine(j.cur, r), nil
			}
		}
		l := j.cur
		j.cur = nil
		if !j.matched {
			switch j.n.Kind {
			case plan.LeftJoin, plan.FullJoin:
				return j.combine(l, nil), nil
			case plan.AntiJoin:
				return append([]types.Value(nil), l...), nil
			}
		}
	}
}

func (j *joinIter) Close() { j.left.Close() }

// aggGroup is one group's state.
type aggGroup struct {
	vals     []types.Value
	states   []aggState
	distinct []map[string]struct{}
	ordered  [][]orderedArgs // per aggregate with ORDER BY: its rows, stepped at the end
}

// orderedArgs is one row of an aggregate with ORDER BY: its arguments and
// sort keys.
type orderedArgs struct {
	args, keys []types.Value
}

type aggState interface {
	Step(args []types.Value) error
	Result() (types.Value, error)
}

func openAgg(c *Ctx, n *plan.Aggregate) (Iter, error) {
	in, err := Open(c, n.Input)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	specs := keySpecs(n.GroupBy, nil)
	groups := map[string]*aggGroup{}
	var order []*aggGroup
	newGroup := func(vals []types.Value) *aggGroup {
		g := &aggGroup{vals: append([]types.Value(nil), vals...), states: make([]aggState, len(n.Aggs)),
			distinct: make([]map[string]struct{}, len(n.Aggs)), ordered: make([][]orderedArgs, len(n.Aggs))}
		for i, a := range n.Aggs {
			g.states[i] = a.Agg.New()
			if a.Distinct {
				g.distinct[i] = map[string]struct{}{}
			}
		}
		return g
	}
	var keyBuf []byte
	var gvals, args []types.Value
	argSpecs := make([][]keySpec, len(n.Aggs))
	// sortBy is the order an aggregate's rows are stepped in: its ORDER BY,
	// or for DISTINCT without one its arguments (PostgreSQL sorts to find
	// the distinct values, so array_agg(DISTINCT x) comes out sorted).
	sortBy := make([][]plan.SortKey, len(n.Aggs))
	for i, a := range n.Aggs {
		argSpecs[i] = keySpecs(a.Args, nil)
		sortBy[i] = a.Order
		if a.Distinct && len(a.Order) == 0 {
			for _, e := range a.Args {
				sortBy[i] = append(sortBy[i], plan.SortKey{E: e})
			}
		}
	}
	for {
		r, err := in.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		if err := c.cancelled(); err != nil {
			return nil, err
		}
		if gvals, err = evalAll(c, n.GroupBy, r, gvals); err != nil {
			return nil, err
		}
		keyBuf, _ = hashKey(keyBuf[:0], gvals, specs)
		g := groups[string(keyBuf)]
		if g == nil {
			g = newGroup(gvals)
			groups[string(keyBuf)] = g
			order = append(order, g)
		}
		for i, a := range n.Aggs {
			if a.Filter != nil {
				v, err := Eval(c, a.Filter, r)
				if err != nil {
					return nil, err
				}
				if !isTrue(v) {
					continue
				}
			}
			if args, err = evalAll(c, a.Args, r, args); err != nil {
				return nil, err
			}
			if a.Distinct {
				// NULL is a value here: the aggregate decides (count and
				// sum skip it, array_agg keeps it).
				k, _ := hashKey(nil, args, argSpecs[i])
				if _, dup := g.distinct[i][string(k)]; dup {
					continue
				}
				g.distinct[i][string(k)] = struct{}{}
			}
			if len(sortBy[i]) > 0 {
				oa := orderedArgs{args: append([]types.Value(nil), args...), keys: make([]types.Value, len(sortBy[i]))}
				for j, k := range sortBy[i] {
					if oa.keys[j], err = Eval(c, k.E, r); err != nil {
						return nil, err
					}
				}
				g.ordered[i] = append(g.ordered[i], oa)
				continue
			}
			if err := g.states[i].Step(args); err != nil {
				return nil, err
			}
		}
	}
	if len(n.GroupBy) == 0 && len(order) == 0 {
		order = append(order, newGroup(nil))
	}
	rows := make([][]types.Value, 0, len(order))
	for _, g := range order {
		for i := range n.Aggs {
			if len(sortBy[i]) == 0 {
				continue
			}
			rs := g.ordered[i]
			sort.SliceStable(rs, func(x, y int) bool {
				return compareOrd(rs[x].keys, rs[y].keys, sortBy[i]) < 0
			})
			for _, oa := range rs {
				if err := g.states[i].Step(oa.args); err != nil {
					return nil, err
				}
			}
		}
		row := make([]types.Value, 0, len(g.vals)+len(g.states))
		row = append(row, g.vals...)
		for _, st := range g.states {
			v, err := st.Result()
			if err != nil {
				return nil, err
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return &sliceIter{rows: rows}, nil
}
