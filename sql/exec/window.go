package exec

import (
	"sort"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// openWindow materialises its input, then computes each window call in one
// pass over the rows sorted by the call's partition and order keys: ranking
// functions from peer-group boundaries, aggregates by stepping each peer
// group into one running state (the default frame ends at the current
// row's last peer), lag/lead/first_value/last_value/nth_value by position
// within the frame. Rows come out in the order of the last call's sort.
func openWindow(c *Ctx, n *plan.Window) (Iter, error) {
	in, err := collect(c, n.Input, -1)
	if err != nil {
		return nil, err
	}
	w := len(n.Input.Columns())
	rows := make([][]types.Value, len(in))
	for i, r := range in {
		row := make([]types.Value, w+len(n.Calls))
		copy(row, r)
		rows[i] = row
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	for ci := range n.Calls {
		call := &n.Calls[ci]
		var keys []windowKeys
		if order, keys, err = windowSort(c, call, rows); err != nil {
			return nil, err
		}
		if err := computeWindow(c, call, rows, order, keys, w+ci); err != nil {
			return nil, err
		}
	}
	out := make([][]types.Value, len(rows))
	for i, k := range order {
		out[i] = rows[k]
	}
	return &sliceIter{rows: out}, nil
}

// windowKeys are one row's partition and order key values.
type windowKeys struct {
	part, ord []types.Value
}

// windowSort returns the row indexes sorted by the call's partition keys,
// then its order keys (stable, so peers keep their input order), and the
// keys in that order.
func windowSort(c *Ctx, call *plan.WindowCall, rows [][]types.Value) ([]int, []windowKeys, error) {
	keys := make([]windowKeys, len(rows))
	var err error
	for i, r := range rows {
		if keys[i].part, err = evalAll(c, call.Partition, r, nil); err != nil {
			return nil, nil, err
		}
		ord := make([]types.Value, len(call.Order))
		for j, k := range call.Order {
			if ord[j], err = Eval(c, k.E, r); err != nil {
				return nil, nil, err
			}
		}
		keys[i].ord = ord
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := &keys[idx[a]], &keys[idx[b]]
		if c := comparePart(ka.part, kb.part, call.Partition); c != 0 {
			return c < 0
		}
		return compareOrd(ka.ord, kb.ord, call.Order) < 0
	})
	sorted := make([]windowKeys, len(idx))
	for i, k := range idx {
		sorted[i] = keys[k]
	}
	return idx, sorted, nil
}

func comparePart(a, b []types.Value, es []plan.Expr) int {
	for i := range a {
		if c := CompareSortKey(a[i], b[i], plan.SortKey{E: es[i]}); c != 0 {
			return c
		}
	}
	return 0
}

func compareOrd(a, b []types.Value, ks []plan.SortKey) int {
	for i := range a {
		if c := CompareSortKey(a[i], b[i], ks[i]); c != 0 {
			return c
		}
	}
	return 0
}

func computeWindow(c *Ctx, call *plan.WindowCall, rows [][]types.Value, order []int, keys []windowKeys, col int) error {
	n := len(order)
	for ps := 0; ps < n; {
		pe := ps + 1
		for pe < n && comparePart(keys[ps].part, keys[pe].part, call.Partition) == 0 {
			pe++
		}
		if err := c.cancelled(); err != nil {
			return err
		}
		if err := windowPartition(c, call, rows, order[ps:pe], keys[ps:pe], col); err != nil {
			return err
		}
		ps = pe
	}
	return nil
}

// windowPartition computes one partition (rows part, in window order).
func windowPartition(c *Ctx, call *plan.WindowCall, rows [][]types.Value, part []int, keys []windowKeys, col int) error {
	n := len(part)
	// peerEnd[i] is one past the last peer of row i.
	peerEnd := make([]int, n)
	for i := n - 1; i >= 0; i-- {
		if i == n-1 || compareOrd(keys[i].ord, keys[i+1].ord, call.Order) != 0 {
			peerEnd[i] = i + 1
		} else {
			peerEnd[i] = peerEnd[i+1]
		}
	}
	// frameEnd is one past the last row of row i's frame.
	frameEnd := func(i int) int {
		switch call.Frame {
		case plan.FrameRows:
			return i + 1
		case plan.FrameAll:
			return n
		}
		return peerEnd[i]
	}
	set := func(i int, v types.Value) { rows[part[i]][col] = v }
	arg := func(i, a int) (types.Value, error) { return Eval(c, call.Args[a], rows[part[i]]) }

	if call.Frame == plan.FrameBounded && (call.Agg != nil || call.Name == "first_value" || call.Name == "last_value" || call.Name == "nth_value") {
		// Functions that read the frame; the others (row_number, rank,
		// lag, …) ignore it and are computed below.
		return windowBounded(c, call, rows, part, keys, peerEnd, col)
	}
	if call.Agg != nil {
		st := call.Agg.New()
		stepped := 0
		args := make([]types.Value, len(call.Args))
		for i := 0; i < n; i++ {
			end := frameEnd(i)
			for ; stepped < end; stepped++ {
				if err := stepWindowRow(c, call, st, rows[part[stepped]], args); err != nil {
					return err
				}
			}
			v, err := st.Result()
			if err != nil {
				return err
			}
			set(i, v)
		}
		return nil
	}

	switch call.Name {
	case "row_number":
		for i := 0; i < n; i++ {
			set(i, types.NewInt(int64(i+1)))
		}
	case "rank", "dense_rank", "percent_rank", "cume_dist":
		rank, dense := 1, 0
		for i := 0; i < n; {
			dense++
			end := peerEnd[i]
			for j := i; j < end; j++ {
				switch call.Name {
				case "rank":
					set(j, types.NewInt(int64(rank)))
				case "dense_rank":
					set(j, types.NewInt(int64(dense)))
				case "percent_rank":
					pr := 0.0
					if n > 1 {
						pr = float64(rank-1) / float64(n-1)
					}
					set(j, types.NewFloat(pr))
				default:
					set(j, types.NewFloat(float64(end)/float64(n)))
				}
			}
			rank += end - i
			i = end
		}
	case "ntile":
		buckets, err := arg(0, 0)
		if err != nil {
			return err
		}
		if !buckets.IsNull() && buckets.I <= 0 {
			return pgerr.New("22014", "argument of ntile must be greater than zero")
		}
		for i := 0; i < n; i++ {
			if buckets.IsNull() {
				set(i, types.Null)
				continue
			}
			// PostgreSQL: the first n%b buckets get one extra row.
			b := int(buckets.I)
			per, extra := n/b, n%b
			var bucket int
			if big := (per + 1) * extra; i < big {
				bucket = i/(per+1) + 1
			} else {
				bucket = extra + (i-big)/max(per, 1) + 1
			}
			set(i, types.NewInt(int64(bucket)))
		}
	case "lag", "lead":
		for i := 0; i < n; i++ {
			off := int64(1)
			if len(call.Args) > 1 {
				o, err := arg(i, 1)
				if err != nil {
					return err
				}
				if o.IsNull() {
					set(i, types.Null)
					continue
				}
				off = o.I
			}
			j := int64(i) - off
			if call.Name == "lead" {
				j = int64(i) + off
			}
			if j < 0 || j >= int64(n) {
				v := types.Null
				if len(call.Args) > 2 {
					var err error
					if v, err = arg(i, 2); err != nil {
						return err
					}
				}
				set(i, v)
				continue
			}
			v, err := arg(int(j), 0)
			if err != nil {
				return err
			}
			set(i, v)
		}
	case "first_value", "last_value", "nth_value":
		for i := 0; i < n; i++ {
			v, err := frameValue(call, arg, i, 0, frameEnd(i))
			if err != nil {
				return err
			}
			set(i, v)
		}
	default:
		return pgerr.New(pgerr.InternalError, "unknown window function %s", call.Name)
	}
	return nil
}

// windowBounded computes an aggregate, first_value, last_value or
// nth_value over a FrameBounded frame: each row's frame is the rows from
// Start to End around it — counted in rows, peer groups, or by the ORDER BY
// key's distance (RANGE, found by binary search over the sorted keys) —
// clamped to the partition, less the excluded rows. Aggregates are computed
// afresh for each frame (time proportional to the rows times the frame's
// width).
func windowBounded(c *Ctx, call *plan.WindowCall, rows [][]types.Value, part []int, keys []windowKeys, peerEnd []int, col int) error {
	n := len(part)
	if n == 0 {
		return nil
	}
	// Peer groups: peerStart[i], group[i]; groupStart/End per group.
	peerStart := make([]int, n)
	group := make([]int, n)
	var groupStart, groupEnd []int
	for i := 0; i < n; i++ {
		if i == 0 || peerEnd[i-1] == i {
			peerStart[i] = i
			groupStart = append(groupStart, i)
			groupEnd = append(groupEnd, peerEnd[i])
		} else {
			peerStart[i] = peerStart[i-1]
		}
		group[i] = len(groupStart) - 1
	}
	ng := len(groupStart)
	// The offsets, once per partition.
	var so, eo int
	offset := func(b plan.FrameBound, what string) (int, error) {
		if b.Offset == nil {
			return 0, nil
		}
		v, err := Eval(c, b.Offset, rows[part[0]])
		if err != nil {
			return 0, err
		}
		if v.IsNull() {
			return 0, pgerr.New("22004", "frame %s offset must not be null", what)
		}
		if call.Mode == plan.FrameModeRange {
			if negative(v, b.Offset.Type()) {
				return 0, pgerr.New("22013", "invalid preceding or following size in window function")
			}
			return 0, nil
		}
		if v.I < 0 {
			return 0, pgerr.New("22013", "frame %s offset must not be negative", what)
		}
		return int(min(v.I, int64(n))), nil
	}
	var err error
	if so, err = offset(call.Start, "starting"); err != nil {
		return err
	}
	if eo, err = offset(call.End, "ending"); err != nil {
		return err
	}
	// RANGE: the rows with a non-null key, [nnLo, nnHi) (nulls sort
	// together at one end), and the bound tests.
	nnLo, nnHi := 0, n
	if call.Mode == plan.FrameModeRange && len(keys[0].ord) > 0 {
		for nnLo < n && keys[nnLo].ord[0].IsNull() {
			nnLo++
		}
		for nnHi > nnLo && keys[nnHi-1].ord[0].IsNull() {
			nnHi--
		}
	}
	pair := make([]types.Value, 2)
	var testErr error
	inFrame := func(e plan.Expr, i, j int) bool {
		pair[0], pair[1] = keys[i].ord[0], keys[j].ord[0]
		v, err := Eval(c, e, pair)
		if err != nil && testErr == nil {
			testErr = err
		}
		return isTrue(v)
	}
	// edge is where bound b puts row i's frame start (its first row) or,
	// for !start, its end (one past its last row).
	edge := func(i int, b plan.FrameBound, off int, start bool) int {
		if b.Unbounded {
			if start {
				return 0
			}
			return n
		}
		peerEdge, groupEdge, past := peerStart, groupStart, 0
		if !start {
			peerEdge, groupEdge, past = peerEnd, groupEnd, 1
		}
		switch {
		case call.Mode == plan.FrameModeRows:
			if b.Preceding {
				return i - off + past
			}
			return i + off + past
		case b.Offset == nil: // CURRENT ROW: the edge of its peers
			return peerEdge[i]
		case call.Mode == plan.FrameModeGroups:
			g := group[i] + off
			if b.Preceding {
				g = group[i] - off
			}
			switch {
			case g < 0:
				return 0
			case g >= ng:
				return n
			}
			return groupEdge[g]
		case keys[i].ord[0].IsNull(): // a NULL key's offsets reach its peers only
			return peerEdge[i]
		}
		// RANGE: the first non-null key inside the bound (start), or
		// the first one past it (end).
		return nnLo + sort.Search(nnHi-nnLo, func(k int) bool { return inFrame(b.InFrame, i, nnLo+k) == start })
	}
	frame := func(i int) (lo, hi int) {
		return max(edge(i, call.Start, so, true), 0), min(edge(i, call.End, eo, false), n)
	}
	// excluded reports the rows of row i's frame its EXCLUDE clause drops.
	excluded := func(i, j int) bool {
		switch call.Exclude {
		case plan.ExcludeCurrentRow:
			return j == i
		case plan.ExcludeGroup:
			return j >= peerStart[i] && j < peerEnd[i]
		case plan.ExcludeTies:
			return j != i && j >= peerStart[i] && j < peerEnd[i]
		}
		return false
	}
	set := func(i int, v types.Value) { rows[part[i]][col] = v }
	args := make([]types.Value, len(call.Args))
	var in []int // the frame's rows, for first/last/nth_value
	for i := 0; i < n; i++ {
		if i%1024 == 0 {
			if err := c.cancelled(); err != nil {
				return err
			}
		}
		lo, hi := frame(i)
		if testErr != nil {
			return testErr
		}
		if call.Agg != nil {
			st := call.Agg.New()
			for j := lo; j < hi; j++ {
				if excluded(i, j) {
					continue
				}
				if err := stepWindowRow(c, call, st, rows[part[j]], args); err != nil {
					return err
				}
			}
			v, err := st.Result()
			if err != nil {
				return err
			}
			set(i, v)
			continue
		}
		in = in[:0]
		for j := lo; j < hi; j++ {
			if !excluded(i, j) {
				in = append(in, j)
			}
		}
		arg := func(k, a int) (types.Value, error) {
			if a == 0 { // a frame position: the k-th of the frame's rows
				return Eval(c, call.Args[0], rows[part[in[k]]])
			}
			return Eval(c, call.Args[a], rows[part[i]])
		}
		v, err := frameValue(call, arg, i, 0, len(in))
		if err != nil {
			return err
		}
		set(i, v)
	}
	return nil
}

// negative reports whether a RANGE offset is below zero.
func negative(v types.Value, t types.Type) bool {
	switch v.K {
	case types.KindInt:
		return v.I < 0
	case types.KindFloat:
		return v.Float() < 0
	case types.KindNumeric:
		return v.N.Negative && !v.N.IsZero()
	case types.KindInterval:
		return types.CompareTyped(v, types.NewInterval(0, 0, 0), t) < 0
	}
	return false
}

// stepWindowRow steps row r into an aggregate window call's state (if it
// passes the call's FILTER); args is scratch for the argument values.
func stepWindowRow(c *Ctx, call *plan.WindowCall, st funcs.AggState, r []types.Value, args []types.Value) error {
	if call.Filter != nil {
		ok, err := Eval(c, call.Filter, r)
		if err != nil || !isTrue(ok) {
			return err
		}
	}
	for a, e := range call.Args {
		v, err := Eval(c, e, r)
		if err != nil {
			return err
		}
		args[a] = v
	}
	return st.Step(args)
}

// frameValue is first_value, last_value or nth_value of row i over its
// frame, rows lo to hi-1 of the partition (NULL where the frame has no
// such row).
func frameValue(call *plan.WindowCall, arg func(i, a int) (types.Value, error), i, lo, hi int) (types.Value, error) {
	var k int
	switch call.Name {
	case "first_value":
		k = lo
	case "last_value":
		k = hi - 1
	case "nth_value":
		nth, null, err := nthArg(arg, i)
		if err != nil || null {
			return types.Null, err
		}
		k = lo + nth - 1 // nthArg caps nth, so this cannot overflow
	default:
		return types.Null, pgerr.New(pgerr.InternalError, "window function %s does not read a frame", call.Name)
	}
	if k < lo || k >= hi {
		return types.Null, nil
	}
	return arg(k, 0)
}

// nthArg is nth_value's n for row i (null: NULL, whose result is NULL;
// 22016 unless positive).
func nthArg(arg func(i, a int) (types.Value, error), i int) (nth int, null bool, err error) {
	nv, err := arg(i, 1)
	if err != nil || nv.IsNull() {
		return 0, nv.IsNull(), err
	}
	if nv.I <= 0 {
		return 0, false, pgerr.New("22016", "argument of nth_value must be greater than zero")
	}
	return int(min(nv.I, int64(1)<<40)), false, nil
}

// expandIter is the Expand node (_pg_expandarray in a select list): each
// input row once per element of the array, followed by the (x, n) record, x
// and n.
type expandIter struct {
	c     *Ctx
	n     *plan.Expand
	in    Iter
	row   []types.Value
	elems []types.Value
	i     int
	// have: row holds an input row; matched: an element of it was
	// emitted (LEFT JOIN LATERAL)
	have, matched bool
}

func openExpand(c *Ctx, n *plan.Expand) (Iter, error) {
	in, err := Open(c, n.Input)
	if err != nil {
		return nil, err
	}
	return &expandIter{c: c, n: n, in: in}, nil
}

func (e *expandIter) Next() ([]types.Value, error) {
	for {
		for e.i >= len(e.elems) {
			if e.n.Outer && e.have && !e.matched {
				// LEFT JOIN LATERAL: no element matched this row.
				e.matched = true
				out := make([]types.Value, 0, len(e.row)+3)
				return append(append(out, e.row...), types.Null, types.Null, types.Null), nil
			}
			r, err := e.in.Next()
			if err != nil || r == nil {
				return nil, err
			}
			e.elems, e.i, e.matched, e.have = nil, 0, false, true
			e.row = append(e.row[:0], r...)
			a, err := Eval(e.c, e.n.Arr, r)
			if err != nil {
				return nil, err
			}
			if a.IsNull() {
				continue
			}
			if e.n.Rows {
				e.elems = types.ArrayRows(a)
			} else if e.elems, err = types.ArrayElems(a, nil); err != nil {
				return nil, err
			}
		}
		x, n := e.elems[e.i], types.NewInt(int64(e.i+1))
		e.i++
		out := make([]types.Value, 0, len(e.row)+3)
		out = append(append(out, e.row...), types.NewArray([]types.Value{x, n}), x, n)
		if e.n.Cond != nil {
			ok, err := Eval(e.c, e.n.Cond, out)
			if err != nil {
				return nil, err
			}
			if ok.IsNull() || !ok.Bool() {
				continue
			}
		}
		e.matched = true
		return out, nil
	}
}

func (e *expandIter) Close() { e.in.Close() }
