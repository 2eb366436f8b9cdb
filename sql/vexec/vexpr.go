package vexec

import (
	"errors"
	"math"
	"math/bits"
	"strings"
	"sync"

	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// errFallback abandons a vectorized operator: the statement's row plan
// computes the node instead (it reports the real error, if any).
var errFallback = errors.New("vexec: fall back to the row executor")

// vx is a compiled expression evaluated over a batch, one vec per call.
// Fast paths cover the common kinds and forms; everything else is
// evaluated row by row with exec.Eval on the same expression, so results
// are the row executor's by construction.
type vx interface {
	eval(b *batch) (*vec, error)
}

// parallelSafe reports whether e can be evaluated off the session
// goroutine, batch by batch: no subqueries (but uncorrelated IN and scalar
// ones, whose set or value is computed first, on the session goroutine), outer or aggregate
// references, session or sequence functions, and only immutable functions.
func parallelSafe(e plan.Expr) bool {
	ok := true
	plan.Walk(e, func(x plan.Expr) bool {
		switch f := x.(type) {
		case *plan.Subquery:
			ok = subInOK(f) || subScalarOK(f)
		case *plan.OuterRef, *plan.AggRef, *plan.SeqFunc, *plan.SessionFunc, *plan.UserCall:
			ok = false
		case *plan.Func:
			if f.F.Volatility != funcs.Immutable {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// compiler turns expressions over a scan's row into vx trees.
type compiler struct {
	c     *exec.Ctx
	rw    *rewriter // shares subquery sets between compilations
	preps []*subInX // the sets the compiled expressions read
}

func (cp *compiler) compile(e plan.Expr) (vx, error) {
	switch x := e.(type) {
	case *plan.ColRef:
		return colX(x.Idx), nil
	case *plan.Const:
		return &constX{v: x.V, t: x.T}, nil
	case *plan.Param:
		v, err := exec.Eval(cp.c, x, nil)
		if err != nil {
			return nil, err
		}
		return &constX{v: v, t: x.T}, nil
	case *plan.Cast:
		in, err := cp.compile(x.E)
		if err != nil {
			return nil, err
		}
		g, err := cp.shallow(x)
		if err != nil {
			return nil, err
		}
		return &castX{in: in, e: x, gen: g}, nil
	case *plan.BinOp:
		if x.Op == "||" {
			return cp.shallow(x)
		}
		g, err := cp.pair(x, x.L, x.R)
		if err != nil {
			return nil, err
		}
		return &binX{op: x.Op, t: x.T, gen: g}, nil
	case *plan.Cmp:
		if x.Distinct {
			return cp.shallow(x)
		}
		g, err := cp.pair(x, x.L, x.R)
		if err != nil {
			return nil, err
		}
		return &cmpX{op: x.Op, t: x.L.Type(), gen: g}, nil
	case *plan.Logic:
		out := &logicX{op: x.Op}
		for _, a := range x.Args {
			k, err := cp.compile(a)
			if err != nil {
				return nil, err
			}
			out.args = append(out.args, k)
		}
		return out, nil
	case *plan.IsNull:
		in, err := cp.compile(x.E)
		if err != nil {
			return nil, err
		}
		return &isNullX{in: in, not: x.Not}, nil
	case *plan.Like:
		if x.M != nil {
			if _, ok := x.Pattern.(*plan.Const); ok {
				in, err := cp.compile(x.E)
				if err != nil {
					return nil, err
				}
				g, err := cp.shallow(x)
				if err != nil {
					return nil, err
				}
				lx := &likeX{in: in, m: x.M, not: x.Not, gen: g}
				if !x.CI {
					lx.seq, lx.isSeq = likeSeq(x.Pattern.(*plan.Const).V.S, x.Escape)
				}
				return lx, nil
			}
		}
		return cp.shallow(x)
	case *plan.Func:
		if ex := cp.compileExtract(x); ex != nil {
			return ex, nil
		}
		if sx := cp.compileSubstring(x); sx != nil {
			return sx, nil
		}
		return cp.shallow(x)
	case *plan.Case:
		if v, err := cp.compileCase(x); err == nil {
			return v, nil
		}
		return cp.whole(x), nil
	case *plan.Coalesce:
		if v, err := cp.compileCoalesce(x); err == nil {
			return v, nil
		}
		return cp.whole(x), nil
	case *plan.Subquery:
		scalar := subScalarOK(x)
		if (!subInOK(x) && !scalar) || cp.rw == nil {
			return nil, errFallback
		}
		var e vx
		t := x.T
		if !scalar {
			var err error
			if e, err = cp.compile(x.E); err != nil {
				return nil, err
			}
			t = x.E.Type()
		}
		for _, p := range cp.rw.preps {
			if p.sq == x {
				cp.preps = append(cp.preps, p)
				return &subInX{sq: x, e: e, t: p.t, scalar: scalar, shared: p}, nil
			}
		}
		in := &subInX{sq: x, e: e, t: t, scalar: scalar}
		cp.rw.preps = append(cp.rw.preps, in)
		cp.preps = append(cp.preps, in)
		return in, nil
	case *plan.InList:
		g, err := cp.shallow(x)
		if err != nil {
			return nil, err
		}
		if in := newInX(x, g); in != nil {
			return in, nil
		}
		return g, nil
	}
	return cp.shallow(e)
}

// shallow compiles e's children and evaluates e itself row by row over
// them (constants stay in place).
func (cp *compiler) shallow(e plan.Expr) (*genX, error) {
	g := &genX{}
	root := true
	var err error
	g.e = plan.Transform(e, func(x plan.Expr) (plan.Expr, bool) {
		if root {
			root = false
			return nil, false
		}
		switch c := x.(type) {
		case *plan.Const:
			return c, true
		case *plan.Param:
			v, perr := exec.Eval(cp.c, c, nil)
			if perr != nil {
				err = perr
			}
			return &plan.Const{V: v, T: c.T}, true
		}
		k, cerr := cp.compile(x)
		if cerr != nil {
			err = cerr
		}
		g.kids = append(g.kids, k)
		return &plan.ColRef{Idx: len(g.kids) - 1, T: x.Type()}, true
	})
	return g, err
}

// pair compiles a binary operator's operands (constants included) as its
// two kids.
func (cp *compiler) pair(e, l, r plan.Expr) (*genX, error) {
	lx, err := cp.compile(l)
	if err != nil {
		return nil, err
	}
	rx, err := cp.compile(r)
	if err != nil {
		return nil, err
	}
	g := &genX{kids: []vx{lx, rx}}
	lr := &plan.ColRef{Idx: 0, T: l.Type()}
	rr := &plan.ColRef{Idx: 1, T: r.Type()}
	switch x := e.(type) {
	case *plan.BinOp:
		y := *x
		y.L, y.R = lr, rr
		g.e = &y
	case *plan.Cmp:
		y := *x
		y.L, y.R = lr, rr
		g.e = &y
	}
	return g, nil
}

// whole evaluates e row by row over the table columns it reads (used for
// expressions that evaluate their arguments lazily: CASE, COALESCE).
func (cp *compiler) whole(e plan.Expr) *genX {
	g := &genX{}
	idx := map[int]int{}
	g.e = plan.Transform(e, func(x plan.Expr) (plan.Expr, bool) {
		r, ok := x.(*plan.ColRef)
		if !ok {
			return nil, false
		}
		k, seen := idx[r.Idx]
		if !seen {
			k = len(g.kids)
			idx[r.Idx] = k
			g.kids = append(g.kids, colX(r.Idx))
		}
		return &plan.ColRef{Idx: k, T: r.T, Name: r.Name}, true
	})
	return g
}

type colX int

func (c colX) eval(b *batch) (*vec, error) { return b.colErr(int(c)) }

type constX struct {
	v    types.Value
	t    types.Type
	once sync.Once
	big  *vec // the constant repeated constRows times, shared read-only
}

const constRows = 1 << 14 // a segment batch (pairs batches may be longer)

func (c *constX) eval(b *batch) (*vec, error) {
	n := b.n()
	if n > constRows {
		return constVec(c.v, c.t, n), nil
	}
	c.once.Do(func() { c.big = constVec(c.v, c.t, constRows) })
	return c.big.head(n), nil
}

// extractX is EXTRACT(unit FROM date) for the units whose answer is an
// integer (year, month, day, quarter, week, dow, doy …): computed in a
// loop over the dates' day numbers into a numeric column of scale 0 (the
// row path allocates a decimal per row). Batches whose dates are not
// plain day numbers, or include ±infinity, go to gen, the row path.
type extractX struct {
	in   vx
	part func(days int64) int64 // funcs.DatePartOfDays
	t    types.Type
	gen  *genX // the same expression over in's vec, row by row
}

// compileExtract compiles EXTRACT(unit FROM date) with a constant unit the
// loop handles; nil otherwise.
func (cp *compiler) compileExtract(x *plan.Func) vx {
	if x.F.Name != "extract" || len(x.Args) != 2 || x.Args[1].Type().OID != types.OIDDate {
		return nil
	}
	u, ok := x.Args[0].(*plan.Const)
	if !ok || u.V.K != types.KindText {
		return nil
	}
	part, ok := funcs.DatePartOfDays(u.V.S)
	if !ok {
		return nil
	}
	in, g := cp.oneColumn(x)
	if in == nil {
		return nil
	}
	return &extractX{in: in, part: part, t: x.Type(), gen: g}
}

// oneColumn compiles x row by row over its one argument that is not a
// constant (the loops' fallback) and returns that argument's compiled
// form too; nil, nil when it cannot be compiled or x has other
// non-constant arguments.
func (cp *compiler) oneColumn(x plan.Expr) (vx, *genX) {
	g, err := cp.shallow(x)
	if err != nil || len(g.kids) != 1 {
		return nil, nil
	}
	return g.kids[0], g
}

func (x *extractX) eval(b *batch) (*vec, error) {
	v, err := x.in.eval(b)
	if err != nil {
		return nil, err
	}
	if v.form != fInt {
		return x.gen.over(b, []*vec{v})
	}
	n := v.n
	for j := 0; j < n; j++ {
		if d := v.i[j]; (d == math.MinInt64 || d == math.MaxInt64) && !v.null(j) {
			return x.gen.over(b, []*vec{v})
		}
	}
	out := &vec{t: x.t, k: types.KindNumeric, form: fInt, n: n, i: b.w.int64s(n)}
	if v.nulls != nil {
		out.nulls = v.nulls[:n]
	}
	for j := 0; j < n; j++ {
		if !v.null(j) {
			out.i[j] = x.part(v.i[j])
		}
	}
	return out, nil
}

// substrX is substring(text FROM start [FOR count]) with constant
// bounds: a loop slicing each string (funcs.Substring; ASCII strings are
// sliced without a copy). Inputs that are not plain strings (dictionary
// words: gen evaluates those once per word) go to gen.
type substrX struct {
	in           vx
	start, count int64 // count < 0: to the end
	t            types.Type
	gen          *genX
}

// compileSubstring compiles substring/substr of text with constant,
// non-NULL bounds and a count that is not negative; nil otherwise (the
// row path raises 22011 for a negative count).
func (cp *compiler) compileSubstring(x *plan.Func) vx {
	if (x.F.Name != "substring" && x.F.Name != "substr") || len(x.F.Args) < 2 || x.F.Args[0].OID != types.OIDText {
		return nil
	}
	bound := func(e plan.Expr) (int64, bool) {
		c, ok := e.(*plan.Const)
		if !ok || c.V.K != types.KindInt {
			return 0, false
		}
		return c.V.I, true
	}
	start, ok := bound(x.Args[1])
	if !ok {
		return nil
	}
	count := int64(-1)
	if len(x.Args) == 3 {
		if count, ok = bound(x.Args[2]); !ok || count < 0 {
			return nil
		}
	}
	in, g := cp.oneColumn(x)
	if in == nil {
		return nil
	}
	return &substrX{in: in, start: start, count: count, t: x.Type(), gen: g}
}

func (x *substrX) eval(b *batch) (*vec, error) {
	v, err := x.in.eval(b)
	if err != nil {
		return nil, err
	}
	if v.form != fStr {
		return x.gen.over(b, []*vec{v})
	}
	n := v.n
	out := &vec{t: x.t, k: types.KindText, form: fStr, n: n, s: b.w.strings(n)}
	if v.nulls != nil {
		out.nulls = v.nulls[:n]
	}
	for j := 0; j < n; j++ {
		if !v.null(j) {
			out.s[j] = funcs.Substring(v.s[j], x.start, x.count)
		}
	}
	return out, nil
}

// genX evaluates e (whose ColRefs are kids' positions) row by row with
// exec.Eval; with one dictionary-encoded kid it evaluates once per
// dictionary word.
type genX struct {
	e    plan.Expr
	kids []vx
}

func (g *genX) eval(b *batch) (*vec, error) {
	kids := make([]*vec, len(g.kids))
	for i, k := range g.kids {
		v, err := k.eval(b)
		if err != nil {
			return nil, err
		}
		kids[i] = v
	}
	return g.over(b, kids)
}

func (g *genX) over(b *batch, kids []*vec) (*vec, error) {
	n := b.n()
	t := g.e.Type()
	out := &vec{t: t, k: types.KindOfType(t), form: fVals, n: n, vals: b.w.values(n)}
	row := b.w.row[:0]
	for range kids {
		row = append(row, types.Null)
	}
	b.w.row = row
	if len(kids) == 1 && kids[0].form == fDict {
		d := kids[0]
		res := make([]types.Value, len(d.dict))
		done := make([]bool, len(d.dict))
		var nullRes types.Value
		nullDone := false
		for j := 0; j < n; j++ {
			if d.null(j) {
				if !nullDone {
					row[0] = types.Null
					v, err := exec.Eval(b.w.c, g.e, row)
					if err != nil {
						return nil, err
					}
					nullRes, nullDone = v, true
				}
				out.vals[j] = nullRes
				continue
			}
			code := d.codes[j]
			if !done[code] {
				row[0] = types.Value{K: d.k, S: d.dict[code]}
				v, err := exec.Eval(b.w.c, g.e, row)
				if err != nil {
					return nil, err
				}
				res[code], done[code] = v, true
			}
			out.vals[j] = res[code]
		}
		return out.tightenIn(b.w), nil
	}
	if len(kids) == 1 && (kids[0].form == fInt || kids[0].form == fStr) && kids[0].k != types.KindNumeric {
		return g.memo(b, kids[0], out)
	}
	for j := 0; j < n; j++ {
		for i, k := range kids {
			row[i] = k.value(j)
		}
		v, err := exec.Eval(b.w.c, g.e, row)
		if err != nil {
			return nil, err
		}
		out.vals[j] = v
	}
	return out.tightenIn(b.w), nil
}

// memo evaluates a one-argument expression once per distinct argument
// value (dates, codes, short strings repeat a lot). When the first
// memoProbe rows are nearly all distinct (a key, a phone number) it stops
// remembering them: the map would only cost. (Dates of orders spread over
// seven years repeat less in 1K rows, but enough over a batch.)
func (g *genX) memo(b *batch, k *vec, out *vec) (*vec, error) {
	row := b.w.row
	var ints map[int64]types.Value
	var strs map[string]types.Value
	if k.form == fInt {
		ints = map[int64]types.Value{}
	} else {
		strs = map[string]types.Value{}
	}
	var nullRes types.Value
	nullDone := false
	const memoProbe = 1024
	for j := 0; j < out.n; j++ {
		if j == memoProbe && len(ints)+len(strs) > memoProbe-memoProbe/32 {
			return g.each(b, k, out, j)
		}
		if k.null(j) {
			if !nullDone {
				row[0] = types.Null
				v, err := exec.Eval(b.w.c, g.e, row)
				if err != nil {
					return nil, err
				}
				nullRes, nullDone = v, true
			}
			out.vals[j] = nullRes
			continue
		}
		var v types.Value
		var hit bool
		if ints != nil {
			v, hit = ints[k.i[j]]
		} else {
			v, hit = strs[k.s[j]]
		}
		if !hit {
			row[0] = k.value(j)
			var err error
			if v, err = exec.Eval(b.w.c, g.e, row); err != nil {
				return nil, err
			}
			if ints != nil {
				if len(ints) < 1<<14 {
					ints[k.i[j]] = v
				}
			} else if len(strs) < 1<<14 {
				strs[k.s[j]] = v
			}
		}
		out.vals[j] = v
	}
	return out.tightenIn(b.w), nil
}

// each evaluates the one-argument expression on rows from..out.n, row by
// row.
func (g *genX) each(b *batch, k *vec, out *vec, from int) (*vec, error) {
	row := b.w.row
	for j := from; j < out.n; j++ {
		row[0] = k.value(j)
		v, err := exec.Eval(b.w.c, g.e, row)
		if err != nil {
			return nil, err
		}
		out.vals[j] = v
	}
	return out.tightenIn(b.w), nil
}

type castX struct {
	in  vx
	e   *plan.Cast
	gen *genX
}

func isIntOID(o types.OID) bool {
	return o == types.OIDInt2 || o == types.OIDInt4 || o == types.OIDInt8
}

func (c *castX) eval(b *batch) (*vec, error) {
	v, err := c.in.eval(b)
	if err != nil {
		return nil, err
	}
	from, to := c.e.From.OID, c.e.T.OID
	if v.form == fInt {
		switch {
		case v.k == types.KindInt && isIntOID(from) && to == types.OIDNumeric && c.e.T.Mod < 0:
			out := *v
			out.t, out.k, out.exp = c.e.T, types.KindNumeric, 0
			return &out, nil
		case v.k == types.KindInt && isIntOID(from) && to == types.OIDInt8:
			out := *v
			out.t = c.e.T
			return &out, nil
		case v.k == types.KindNumeric && from == types.OIDNumeric && to == types.OIDNumeric && c.e.T.Mod < 0:
			out := *v
			out.t = c.e.T
			return &out, nil
		case v.k == types.KindDate && from == types.OIDDate && to == types.OIDTimestamp:
			const usPerDay = 86400 * 1000000
			out := &vec{t: c.e.T, k: types.KindTimestamp, form: fInt, n: v.n, i: b.w.int64s(v.n), nulls: v.nulls}
			ok := true
			for j, d := range v.i {
				if d < -1000000 || d > 1000000 { // infinities and far dates: the cast's own rules
					ok = false
					break
				}
				out.i[j] = d * usPerDay
			}
			if ok {
				return out, nil
			}
		}
	}
	return c.gen.over(b, []*vec{v})
}

type binX struct {
	op  string
	t   types.Type
	gen *genX
}

func (x *binX) eval(b *batch) (*vec, error) {
	l, err := x.gen.kids[0].eval(b)
	if err != nil {
		return nil, err
	}
	r, err := x.gen.kids[1].eval(b)
	if err != nil {
		return nil, err
	}
	if out, ok, err := x.fast(b.w, l, r); ok || err != nil {
		return out, err
	}
	return x.gen.over(b, []*vec{l, r})
}

func numLike(v *vec) bool {
	return v.form == fInt && (v.k == types.KindNumeric || v.k == types.KindInt)
}

func mergeNulls(w *worker, n int, a, b []bool) []bool {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	out := w.bools(n)
	for j := range out {
		out[j] = a[j] || b[j]
	}
	return out
}

func (x *binX) fast(w *worker, l, r *vec) (*vec, bool, error) {
	if x.op != "+" && x.op != "-" && x.op != "*" {
		return nil, false, nil
	}
	n := l.n
	nulls := mergeNulls(w, n, l.nulls, r.nulls)
	if l.form == fInt && r.form == fInt && l.k == types.KindInt && r.k == types.KindInt && isIntOID(x.t.OID) {
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch x.t.OID {
		case types.OIDInt2:
			lo, hi = math.MinInt16, math.MaxInt16
		case types.OIDInt4:
			lo, hi = math.MinInt32, math.MaxInt32
		}
		out := &vec{t: x.t, k: types.KindInt, form: fInt, n: n, i: w.int64s(n), nulls: nulls}
		for j := 0; j < n; j++ {
			if nulls != nil && nulls[j] {
				continue
			}
			c, ok := intOp(x.op, l.i[j], r.i[j])
			if !ok || c < lo || c > hi {
				return nil, true, errFallback // the row executor reports the overflow
			}
			out.i[j] = c
		}
		return out, true, nil
	}
	if x.t.OID != types.OIDNumeric || !numLike(l) || !numLike(r) {
		return nil, false, nil
	}
	le, re := l.exp, r.exp
	if l.k == types.KindInt {
		le = 0
	}
	if r.k == types.KindInt {
		re = 0
	}
	out := &vec{t: x.t, k: types.KindNumeric, form: fInt, n: n, i: w.int64s(n), nulls: nulls}
	var ls, rs int32 // scale-ups to a common exponent for + and -
	switch x.op {
	case "*":
		out.exp = le + re
	default:
		out.exp = min(le, re)
		ls, rs = le-out.exp, re-out.exp
	}
	if out.exp > 0 {
		return nil, false, nil
	}
	if !numOp(x.op, out.i, l.i, r.i, ls, rs, nulls) {
		return nil, false, nil // exact row-by-row arithmetic handles big coefficients
	}
	return out, true, nil
}

// numOp sets out[j] = l[j]·10^ls op r[j]·10^rs for the rows not NULL,
// reporting false on an int64 overflow. The loops are specialised per
// operator and for unscaled operands (TPC-H's price * (1 - discount)).
func numOp(op string, out, l, r []int64, ls, rs int32, nulls []bool) bool {
	if nulls == nil && (ls == 0) != (rs == 0) && ls < int32(len(pow10)) && rs < int32(len(pow10)) {
		// One operand scaled up (1 - discount): into out first, then
		// the unscaled loop in place.
		src, k := l, ls
		if rs != 0 {
			src, k = r, rs
		}
		m, mx := pow10[k], maxScaled[k]
		for j, x := range src {
			if x > mx || x < -mx {
				return false
			}
			out[j] = x * m
		}
		if ls != 0 {
			return numOp(op, out, out, r, 0, 0, nil)
		}
		return numOp(op, out, l, out, 0, 0, nil)
	}
	if ls == 0 && rs == 0 && nulls == nil {
		switch op {
		case "+":
			for j := range out {
				a, c := l[j], r[j]
				v := a + c
				if (v > a) != (c > 0) && c != 0 {
					return false
				}
				out[j] = v
			}
			return true
		case "-":
			for j := range out {
				a, c := l[j], r[j]
				v := a - c
				if (v < a) != (c > 0) && c != 0 {
					return false
				}
				out[j] = v
			}
			return true
		case "*":
			const lim = 1<<31 - 1
			for j := range out {
				a, c := l[j], r[j]
				if a > -lim && a < lim && c > -lim && c < lim {
					out[j] = a * c // |a·c| < 2^62: no overflow
					continue
				}
				v, ok := intOp("*", a, c)
				if !ok {
					return false
				}
				out[j] = v
			}
			return true
		}
	}
	for j := range out {
		if nulls != nil && nulls[j] {
			continue
		}
		a, ok1 := rescale(l[j], ls)
		c, ok2 := rescale(r[j], rs)
		if !ok1 || !ok2 {
			return false
		}
		v, ok := intOp(op, a, c)
		if !ok {
			return false
		}
		out[j] = v
	}
	return true
}

func intOp(op string, a, b int64) (int64, bool) {
	switch op {
	case "+":
		c := a + b
		return c, (c > a) == (b > 0) || b == 0
	case "-":
		c := a - b
		return c, (c < a) == (b > 0) || b == 0
	case "*":
		if a == 0 || b == 0 {
			return 0, true
		}
		hi, lo := bits.Mul64(uint64(absI(a)), uint64(absI(b)))
		if hi != 0 || lo > math.MaxInt64 || a == math.MinInt64 || b == math.MinInt64 {
			return 0, false
		}
		c := int64(lo)
		if (a < 0) != (b < 0) {
			c = -c
		}
		return c, true
	}
	return 0, false
}

func absI(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

type cmpX struct {
	op  string
	t   types.Type // the left operand's type (bpchar compares ignore trailing spaces)
	gen *genX
}

func (x *cmpX) eval(b *batch) (*vec, error) {
	l, err := x.gen.kids[0].eval(b)
	if err != nil {
		return nil, err
	}
	r, err := x.gen.kids[1].eval(b)
	if err != nil {
		return nil, err
	}
	if out := x.fast(b.w, l, r); out != nil {
		return out, nil
	}
	return x.gen.over(b, []*vec{l, r})
}

// constRight reports whether the right operand is a constant.
func (x *cmpX) constRight() bool {
	_, ok := x.gen.kids[1].(*constX)
	return ok
}

func (x *cmpX) fast(w *worker, l, r *vec) *vec {
	n := l.n
	nulls := mergeNulls(w, n, l.nulls, r.nulls)
	out := w.boolVec(n)
	out.nulls = nulls
	// res[d+1] is the operator's result for a comparison d (-1, 0, 1).
	var res [3]int64
	for d := -1; d <= 1; d++ {
		if exec.CmpResult(x.op, d) {
			res[d+1] = 1
		}
	}
	switch {
	case l.form == fInt && r.form == fInt && l.k == r.k && l.k != types.KindNumeric:
		cmpInt64s(l.i[:n], r.i[:n], out.i[:n], res)
		return out
	case numLike(l) && numLike(r) && (l.k == types.KindNumeric || r.k == types.KindNumeric):
		le, re := l.exp, r.exp
		if l.k == types.KindInt {
			le = 0
		}
		if r.k == types.KindInt {
			re = 0
		}
		e := min(le, re)
		if le == re { // one scale: compare the coefficients
			cmpInt64s(l.i[:n], r.i[:n], out.i[:n], res)
			return out
		}
		for j := 0; j < n; j++ {
			if nulls != nil && nulls[j] {
				continue
			}
			a, ok1 := rescale(l.i[j], le-e)
			c, ok2 := rescale(r.i[j], re-e)
			if !ok1 || !ok2 {
				return nil
			}
			d := 1
			if a < c {
				d = 0
			} else if a > c {
				d = 2
			}
			out.i[j] = res[d]
		}
		return out
	case l.form == fDict && r.form == fStr && l.k == types.KindText && r.k == types.KindText && n > 0 && len(l.dict) <= n && x.constRight():
		// A dictionary column against a constant: each word compared once.
		bp := x.t.OID == types.OIDBPChar
		c := r.s[0]
		hit := make([]int64, len(l.dict))
		for code, a := range l.dict {
			d := 1
			if bp {
				d += types.CompareBPChar(a, c)
			} else if a < c {
				d = 0
			} else if a > c {
				d = 2
			}
			hit[code] = res[d]
		}
		codes, oi := l.codes[:n], out.i[:n]
		for j := range oi {
			oi[j] = hit[codes[j]]
		}
		if nulls != nil {
			for j := range oi {
				if nulls[j] {
					oi[j] = 0
				}
			}
		}
		return out
	case (l.form == fStr || l.form == fDict) && (r.form == fStr || r.form == fDict) && l.k == types.KindText && r.k == types.KindText:
		bp := x.t.OID == types.OIDBPChar
		for j := 0; j < n; j++ {
			if nulls != nil && nulls[j] {
				continue
			}
			a, c := l.str(j), r.str(j)
			var d int
			if bp {
				d = types.CompareBPChar(a, c)
			} else if a < c {
				d = -1
			} else if a > c {
				d = 1
			}
			if exec.CmpResult(x.op, d) {
				out.i[j] = 1
			}
		}
		return out
	}
	return nil
}

type logicX struct {
	op   string
	args []vx
}

func (x *logicX) eval(b *batch) (*vec, error) {
	n := b.n()
	vs := make([]*vec, len(x.args))
	for i, a := range x.args {
		v, err := a.eval(b)
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	out := b.w.boolVec(n)
	if x.op == "not" {
		v := vs[0]
		for j := 0; j < n; j++ {
			if v.null(j) {
				if out.nulls == nil {
					out.nulls = b.w.bools(n)
				}
				out.nulls[j] = true
			} else if !v.isTrue(j) {
				out.i[j] = 1
			}
		}
		return out, nil
	}
	and := x.op == "and"
	for j := 0; j < n; j++ {
		sawNull, decided := false, false
		for _, v := range vs {
			if v.null(j) {
				sawNull = true
				continue
			}
			if v.isTrue(j) != and { // false in AND, true in OR decides
				decided = true
				break
			}
		}
		switch {
		case decided:
			if !and {
				out.i[j] = 1
			}
		case sawNull:
			if out.nulls == nil {
				out.nulls = b.w.bools(n)
			}
			out.nulls[j] = true
		case and:
			out.i[j] = 1
		}
	}
	return out, nil
}

type isNullX struct {
	in  vx
	not bool
}

func (x *isNullX) eval(b *batch) (*vec, error) {
	v, err := x.in.eval(b)
	if err != nil {
		return nil, err
	}
	out := b.w.boolVec(v.n)
	for j := 0; j < v.n; j++ {
		if v.null(j) != x.not {
			out.i[j] = 1
		}
	}
	return out, nil
}

type likeX struct {
	in    vx
	m     *funcs.LikeMatcher
	not   bool
	gen   *genX
	seq   []string // isSeq: the pattern is %seq[0]%seq[1]%…% (no _)
	isSeq bool
}

// likeSeq reports whether a LIKE pattern is '%' literal '%' literal … '%'
// (at least one literal, no '_') and returns the literals, escapes
// resolved; such a pattern matches when the literals occur in order
// without overlapping, which the leftmost occurrence of each decides.
func likeSeq(pat string, escape rune) ([]string, bool) {
	if !strings.HasPrefix(pat, "%") || !strings.HasSuffix(pat, "%") {
		return nil, false
	}
	var seq []string
	var cur strings.Builder
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == escape && escape != funcs.NoEscape:
			if i+1 >= len(rs) {
				return nil, false
			}
			i++
			cur.WriteRune(rs[i])
		case r == '%':
			if cur.Len() > 0 {
				seq = append(seq, cur.String())
				cur.Reset()
			}
		case r == '_':
			return nil, false
		default:
			cur.WriteRune(r)
		}
	}
	// The pattern ends with an unescaped % (an escaped one leaves text in
	// cur).
	if cur.Len() > 0 || len(seq) == 0 {
		return nil, false
	}
	return seq, true
}

// matchSeq reports whether s contains the literals of seq in order.
func matchSeq(seq []string, s string) bool {
	for _, lit := range seq {
		i := strings.Index(s, lit)
		if i < 0 {
			return false
		}
		s = s[i+len(lit):]
	}
	return true
}

func (x *likeX) eval(b *batch) (*vec, error) {
	v, err := x.in.eval(b)
	if err != nil {
		return nil, err
	}
	match := x.m.Match
	if x.isSeq {
		match = func(s string) bool { return matchSeq(x.seq, s) }
	}
	if v.form == fDict && v.k == types.KindText && len(v.dict) > v.n {
		out := b.w.boolVec(v.n)
		out.nulls = v.nulls
		for j := 0; j < v.n; j++ {
			if (v.nulls == nil || !v.nulls[j]) && match(v.dict[v.codes[j]]) != x.not {
				out.i[j] = 1
			}
		}
		return out, nil
	}
	if v.form == fDict && v.k == types.KindText {
		// Each dictionary word is matched once.
		hit := make([]int64, len(v.dict))
		for c, s := range v.dict {
			if match(s) != x.not {
				hit[c] = 1
			}
		}
		out := b.w.boolVec(v.n)
		out.nulls = v.nulls
		for j := 0; j < v.n; j++ {
			if v.nulls == nil || !v.nulls[j] {
				out.i[j] = hit[v.codes[j]]
			}
		}
		return out, nil
	}
	if v.form != fStr || v.k != types.KindText {
		return x.gen.over(b, []*vec{v})
	}
	out := b.w.boolVec(v.n)
	out.nulls = v.nulls
	if x.isSeq {
		for j := 0; j < v.n; j++ {
			if (v.nulls == nil || !v.nulls[j]) && matchSeq(x.seq, v.s[j]) != x.not {
				out.i[j] = 1
			}
		}
		return out, nil
	}
	for j := 0; j < v.n; j++ {
		if (v.nulls == nil || !v.nulls[j]) && x.m.Match(v.s[j]) != x.not {
			out.i[j] = 1
		}
	}
	return out, nil
}

// inX is E [NOT] IN (constants) over text or integer-like values.
type inX struct {
	gen  *genX
	not  bool
	bp   bool // bpchar: trailing spaces do not count
	strs map[string]bool
	ints map[int64]bool
	kind types.Kind
}

func newInX(x *plan.InList, g *genX) *inX {
	if len(g.kids) != 1 {
		return nil
	}
	k := types.KindOfType(x.E.Type())
	in := &inX{gen: g, not: x.Not, kind: k, bp: x.E.Type().OID == types.OIDBPChar}
	for _, it := range x.List {
		c, ok := it.(*plan.Const)
		if !ok || c.V.IsNull() || c.V.K != k {
			return nil
		}
		switch k {
		case types.KindText:
			if in.strs == nil {
				in.strs = map[string]bool{}
			}
			s := c.V.S
			if in.bp {
				s = trimSpaces(s)
			}
			in.strs[s] = true
		case types.KindInt, types.KindDate:
			if in.ints == nil {
				in.ints = map[int64]bool{}
			}
			in.ints[c.V.I] = true
		default:
			return nil
		}
	}
	return in
}

func trimSpaces(s string) string {
	n := len(s)
	for n > 0 && s[n-1] == ' ' {
		n--
	}
	return s[:n]
}

func (x *inX) eval(b *batch) (*vec, error) {
	v, err := x.gen.kids[0].eval(b)
	if err != nil {
		return nil, err
	}
	n := v.n
	out := b.w.boolVec(n)
	switch {
	case x.strs != nil && (v.form == fStr || v.form == fDict) && v.k == types.KindText:
		var hit []int8 // per dictionary word: 0 unknown, 1 in, 2 out
		if v.form == fDict {
			hit = make([]int8, len(v.dict))
		}
		out.nulls = v.nulls
		for j := 0; j < n; j++ {
			if v.nulls != nil && v.nulls[j] {
				continue
			}
			var in bool
			if hit != nil {
				c := v.codes[j]
				if hit[c] == 0 {
					s := v.dict[c]
					if x.bp {
						s = trimSpaces(s)
					}
					hit[c] = 2
					if x.strs[s] {
						hit[c] = 1
					}
				}
				in = hit[c] == 1
			} else {
				s := v.s[j]
				if x.bp {
					s = trimSpaces(s)
				}
				in = x.strs[s]
			}
			if in != x.not {
				out.i[j] = 1
			}
		}
		return out, nil
	case x.ints != nil && v.form == fInt && v.k == x.kind:
		out.nulls = v.nulls
		for j := 0; j < n; j++ {
			if (v.nulls == nil || !v.nulls[j]) && x.ints[v.i[j]] != x.not {
				out.i[j] = 1
			}
		}
		return out, nil
	}
	return x.gen.over(b, []*vec{v})
}

// subInOK reports whether sq is an uncorrelated E IN (SELECT …) whose
// column has E's kind (then set membership by key encoding is the row
// executor's comparison).
func subInOK(sq *plan.Subquery) bool {
	if sq.Kind != plan.SubIn || sq.Correlated || sq.Not || sq.E == nil {
		return false
	}
	cols := sq.Plan.Columns()
	return len(cols) == 1 && types.KindOfType(cols[0].T) == types.KindOfType(sq.E.Type())
}

// subScalarOK reports whether sq is an uncorrelated scalar subquery.
func subScalarOK(sq *plan.Subquery) bool {
	return sq.Kind == plan.SubScalar && !sq.Correlated && len(sq.Plan.Columns()) == 1
}

// subInX is E IN (uncorrelated subquery), or (scalar) an uncorrelated
// scalar subquery: the subquery runs once, on the session goroutine, before
// the pipe's workers start (prepare).
type subInX struct {
	sq        *plan.Subquery
	e         vx
	t         types.Type
	scalar    bool
	shared    *subInX // another compilation of the same subquery holds the set
	prepared  bool
	preparing bool
	set       map[string]struct{}
	empty     bool
	sawNull   bool
	val       types.Value // scalar: the subquery's value (NULL without rows)
}

func (x *subInX) prepare(c *exec.Ctx) error {
	if x.prepared || x.preparing {
		return nil // pipes inside the subquery's own plan do not need it
	}
	x.preparing = true
	defer func() { x.preparing = false }()
	rows, err := exec.Collect(c, x.sq.Plan)
	if err != nil {
		return err
	}
	if x.scalar {
		if len(rows) > 1 {
			return errFallback // the row executor raises 21000
		}
		x.val = types.Null
		if len(rows) == 1 {
			x.val = rows[0][0]
		}
		x.prepared = true
		return nil
	}
	x.prepared = true
	x.empty = len(rows) == 0
	x.set = make(map[string]struct{}, len(rows))
	for _, r := range rows {
		if r[0].IsNull() {
			x.sawNull = true
			continue
		}
		x.set[string(keycode.Append(nil, r[0], x.t))] = struct{}{}
	}
	return nil
}

func (x *subInX) eval(b *batch) (*vec, error) {
	if x.shared != nil {
		return x.shared.evalWith(x.e, b)
	}
	return x.evalWith(x.e, b)
}

func (x *subInX) evalWith(e vx, b *batch) (*vec, error) {
	if !x.prepared {
		return nil, errFallback
	}
	if x.scalar {
		return constVec(x.val, x.t, b.n()), nil
	}
	v, err := e.eval(b)
	if err != nil {
		return nil, err
	}
	n := v.n
	out := b.w.boolVec(n)
	enc := newKeyEncoder([]*vec{v}, []types.Type{x.t})
	for j := 0; j < n; j++ {
		k, ok := enc.at(j)
		switch {
		case !ok: // NULL: false for an empty set, else NULL
			if !x.empty {
				if out.nulls == nil {
					out.nulls = b.w.bools(n)
				}
				out.nulls[j] = true
			}
		default:
			if _, hit := x.set[string(k)]; hit {
				out.i[j] = 1
			} else if x.sawNull {
				if out.nulls == nil {
					out.nulls = b.w.bools(n)
				}
				out.nulls[j] = true
			}
		}
	}
	return out, nil
}

// cmpInt64s sets out[j] to res[0], res[1] or res[2] as l[j] is less than,
// equal to or greater than r[j] (res holds the operator's 0/1 answer for
// each outcome, so the loop has no branch on the operator).
func cmpInt64s(l, r, out []int64, res [3]int64) {
	for j := range out {
		a, c := l[j], r[j]
		d := 1
		if a < c {
			d = 0
		} else if a > c {
			d = 2
		}
		out[j] = res[d]
	}
}
