package exec

import (
	"sort"

	"github.com/cockroachdb/apd/v3"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

func openSort(c *Ctx, n *plan.Sort) (Iter, error) {
	if n.Presorted {
		return Open(c, n.Input) // rows come in order: a LIMIT above stops early
	}
	rows, err := collect(c, n.Input, -1)
	if err != nil {
		return nil, err
	}
	keys := make([][]types.Value, len(rows))
	for i, r := range rows {
		k := make([]types.Value, len(n.Keys))
		for j, sk := range n.Keys {
			if k[j], err = Eval(c, sk.E, r); err != nil {
				return nil, err
			}
		}
		keys[i] = k
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		for j, sk := range n.Keys {
			c := CompareSortKey(ka[j], kb[j], sk)
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	out := make([][]types.Value, len(rows))
	for i, k := range idx {
		out[i] = rows[k]
	}
	return &sliceIter{rows: out}, nil
}

// CompareSortKey orders two sort-key values with the key's direction and
// NULL placement (PostgreSQL's ORDER BY). The vectorized sort uses it too, so
// both executors order alike.
func CompareSortKey(a, b types.Value, sk plan.SortKey) int {
	switch {
	case a.IsNull() && b.IsNull():
		return 0
	case a.IsNull():
		if sk.NullsFirst {
			return -1
		}
		return 1
	case b.IsNull():
		if sk.NullsFirst {
			return 1
		}
		return -1
	}
	c := compare(a, b, sk.E.Type())
	if sk.Desc {
		return -c
	}
	return c
}

type limitIter struct {
	in        Iter
	remaining int64
	unlimited bool
}

func openLimit(c *Ctx, n *plan.Limit) (Iter, error) {
	var count, offset int64 = -1, 0
	if n.Count != nil {
		v, err := Eval(c, n.Count, nil)
		if err != nil {
			return nil, err
		}
		if !v.IsNull() {
			if v.I < 0 {
				return nil, pgerr.New("2201W", "LIMIT must not be negative")
			}
			count = v.I
		}
	}
	if n.Offset != nil {
		v, err := Eval(c, n.Offset, nil)
		if err != nil {
			return nil, err
		}
		if !v.IsNull() {
			if v.I < 0 {
				return nil, pgerr.New("2201X", "OFFSET must not be negative")
			}
			offset = v.I
		}
	}
	in, err := Open(c, n.Input)
	if err != nil {
		return nil, err
	}
	for i := int64(0); i < offset; i++ {
		r, err := in.Next()
		if err != nil {
			in.Close()
			return nil, err
		}
		if r == nil {
			break
		}
	}
	return &limitIter{in: in, remaining: count, unlimited: count < 0}, nil
}

func (l *limitIter) Next() ([]types.Value, error) {
	if !l.unlimited {
		if l.remaining <= 0 {
			return nil, nil
		}
		l.remaining--
	}
	return l.in.Next()
}

func (l *limitIter) Close() { l.in.Close() }

type distinctIter struct {
	in   Iter
	cols []plan.Column
	n    int
	seen map[string]struct{}
	buf  []byte
	spec []keySpec
}

func (d *distinctIter) Next() ([]types.Value, error) {
	if d.spec == nil {
		n := d.n
		if n == 0 {
			n = len(d.cols)
		}
		d.spec = make([]keySpec, n)
		for i := range d.spec {
			d.spec[i].t = d.cols[i].T
		}
	}
	for {
		r, err := d.in.Next()
		if r == nil || err != nil {
			return nil, err
		}
		d.buf, _ = hashKey(d.buf[:0], r[:len(d.spec)], d.spec)
		if _, ok := d.seen[string(d.buf)]; ok {
			continue
		}
		d.seen[string(d.buf)] = struct{}{}
		return r, nil
	}
}

func (d *distinctIter) Close() { d.in.Close() }

func openSetOp(c *Ctx, n *plan.SetOp) (Iter, error) {
	spec := make([]keySpec, len(n.Cols))
	for i, col := range n.Cols {
		spec[i].t = col.T
	}
	left, err := collect(c, n.Left, -1)
	if err != nil {
		return nil, err
	}
	right, err := collect(c, n.Right, -1)
	if err != nil {
		return nil, err
	}
	key := func(r []types.Value) string {
		k, _ := hashKey(nil, r, spec)
		return string(k)
	}
	var out [][]types.Value
	switch n.Op {
	case "union":
		if n.All {
			out = append(left, right...)
			break
		}
		seen := map[string]bool{}
		for _, r := range append(left, right...) {
			k := key(r)
			if !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
	case "intersect", "except":
		counts := map[string]int{}
		for _, r := range right {
			counts[key(r)]++
		}
		emitted := map[string]bool{}
		for _, r := range left {
			k := key(r)
			in := counts[k] > 0
			if n.Op == "intersect" {
				if !in {
					continue
				}
				if n.All {
					counts[k]--
				} else if emitted[k] {
					continue
				}
			} else {
				if in {
					if n.All {
						counts[k]--
					}
					continue
				}
				if !n.All && emitted[k] {
					continue
				}
			}
			emitted[k] = true
			out = append(out, r)
		}
	}
	return &sliceIter{rows: out}, nil
}

// seriesIter produces generate_series values lazily.
type seriesIter struct {
	c          *Ctx
	cur, stop  types.Value
	step       types.Value
	t, stepT   types.Type
	descending bool
	done       bool
}

func openFuncScan(c *Ctx, n *plan.FuncScan) (Iter, error) {
	it, err := openFuncRows(c, n)
	if err != nil || !n.Ordinality {
		return it, err
	}
	return &ordinalityIter{in: it}, nil
}

// ordinalityIter appends WITH ORDINALITY's row number to each row.
type ordinalityIter struct {
	in Iter
	n  int64
}

func (o *ordinalityIter) Next() ([]types.Value, error) {
	r, err := o.in.Next()
	if r == nil || err != nil {
		return nil, err
	}
	o.n++
	out := make([]types.Value, len(r)+1)
	copy(out, r)
	out[len(r)] = types.NewInt(o.n)
	return out, nil
}

func (o *ordinalityIter) Close() { o.in.Close() }

// openFuncRows opens the function's own rows.
func openFuncRows(c *Ctx, n *plan.FuncScan) (Iter, error) {
	if n.User != nil {
		rows, err := userFuncRows(c, n.User, nil)
		if err != nil {
			return nil, err
		}
		return &sliceIter{rows: rows}, nil
	}
	if n.Table != nil {
		args, err := evalAll(c, n.Args, nil, nil)
		if err != nil {
			return nil, err
		}
		for _, a := range args {
			if a.IsNull() {
				return &sliceIter{}, nil
			}
		}
		rows, err := n.Table.Rows(args)
		if err != nil {
			return nil, err
		}
		return &sliceIter{rows: rows}, nil
	}
	if n.Name != "generate_series" {
		return openArrayFuncScan(c, n)
	}
	args := make([]types.Value, len(n.Args))
	for i, a := range n.Args {
		v, err := Eval(c, a, nil)
		if err != nil {
			return nil, err
		}
		if v.IsNull() {
			return &sliceIter{}, nil
		}
		args[i] = v
	}
	t := n.Cols[0].T
	it := &seriesIter{c: c, cur: args[0], stop: args[1], t: t, stepT: t}
	if len(args) == 3 {
		it.step = args[2]
		it.stepT = n.Args[2].Type()
	} else {
		switch t.OID {
		case types.OIDNumeric:
			it.step = types.NewNumeric(apd.New(1, 0))
		default:
			it.step = types.NewInt(1)
		}
	}
	zero := types.Compare(it.step, types.NewInt(0))
	if it.step.K == types.KindInterval {
		zero = 0
		if it.step.I != 0 || it.step.I2 != 0 {
			zero = 1
			if it.step.I < 0 || it.step.Months() < 0 || it.step.Days() < 0 {
				zero = -1
			}
		}
	}
	if zero == 0 {
		return nil, pgerr.New(pgerr.InvalidParameterValue, "step size cannot equal zero")
	}
	it.descending = zero < 0
	return it, nil
}

func (s *seriesIter) Next() ([]types.Value, error) {
	if s.done {
		return nil, nil
	}
	if err := s.c.cancelled(); err != nil {
		return nil, err
	}
	c := types.Compare(s.cur, s.stop)
	if (!s.descending && c > 0) || (s.descending && c < 0) {
		s.done = true
		return nil, nil
	}
	out := []types.Value{s.cur}
	next, err := types.BinaryOpLoc("+", s.cur, s.t, s.step, s.stepT, s.c.Loc)
	if err != nil {
		// Overflow past the type's range ends the series, as in PostgreSQL.
		s.done = true
		return out, nil
	}
	s.cur = next
	return out, nil
}

func (s *seriesIter) Close() {}

// openArrayFuncScan runs unnest, generate_subscripts and _pg_expandarray.
func openArrayFuncScan(c *Ctx, n *plan.FuncScan) (Iter, error) {
	args, err := evalAll(c, n.Args, nil, nil)
	if err != nil {
		return nil, err
	}
	if n.Name == "unnest" && len(args) > 1 {
		return zipArrays(args)
	}
	if args[0].IsNull() {
		return &sliceIter{}, nil
	}
	if n.Name == "regexp_matches" { // its rows are arrays
		var rows [][]types.Value
		for _, r := range types.ArrayRows(args[0]) {
			rows = append(rows, []types.Value{r})
		}
		return &sliceIter{rows: rows}, nil
	}
	elems, err := types.ArrayElems(args[0], nil)
	if err != nil {
		return nil, err
	}
	rows := make([][]types.Value, 0, len(elems))
	switch n.Name {
	case "unnest":
		for _, e := range elems {
			rows = append(rows, []types.Value{e})
		}
	case "generate_subscripts":
		if args[1].IsNull() {
			return &sliceIter{}, nil
		}
		for _, i := range funcs.Subscripts(n.Args[0].Type(), args[0], args[1].I) {
			rows = append(rows, []types.Value{i})
		}
	default: // _pg_expandarray
		for i, e := range elems {
			rows = append(rows, []types.Value{e, types.NewInt(int64(i + 1))})
		}
	}
	return &sliceIter{rows: rows}, nil
}

// zipArrays is unnest(a, b, …): row i holds element i of each array (NULL
// past an array's end; a NULL array has no elements).
func zipArrays(arrs []types.Value) (Iter, error) {
	elems := make([][]types.Value, len(arrs))
	n := 0
	for i, a := range arrs {
		if a.IsNull() {
			continue
		}
		es, err := types.ArrayElems(a, nil)
		if err != nil {
			return nil, err
		}
		elems[i] = es
		n = max(n, len(es))
	}
	rows := make([][]types.Value, n)
	for r := range rows {
		row := make([]types.Value, len(arrs))
		for i, es := range elems {
			if r < len(es) {
				row[i] = es[r]
			}
		}
		rows[r] = row
	}
	return &sliceIter{rows: rows}, nil
}

// distinctOnIter is SELECT DISTINCT ON: it passes the first row of each run
// of rows equal in the on columns (NULLs equal, as DISTINCT compares) and
// drops the rest. Its input is sorted so each group is one run.
type distinctOnIter struct {
	in        Iter
	on        []int
	spec      []keySpec
	key, prev []byte
	vals      []types.Value
	started   bool
}

func newDistinctOn(in Iter, cols []plan.Column, on []int) *distinctOnIter {
	d := &distinctOnIter{in: in, on: on, spec: make([]keySpec, len(on)), vals: make([]types.Value, len(on))}
	for i, c := range on {
		d.spec[i].t = cols[c].T
	}
	return d
}

func (d *distinctOnIter) Next() ([]types.Value, error) {
	for {
		r, err := d.in.Next()
		if r == nil || err != nil {
			return nil, err
		}
		for i, c := range d.on {
			d.vals[i] = r[c]
		}
		d.key, _ = hashKey(d.key[:0], d.vals, d.spec)
		if d.started && string(d.key) == string(d.prev) {
			continue
		}
		d.started = true
		d.prev, d.key = d.key, d.prev
		return r, nil
	}
}

func (d *distinctOnIter) Close() { d.in.Close() }
