package vexec

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/types"
)

// vform is the representation of a vec's values.
type vform uint8

const (
	fInt   vform = iota // i: bool (0/1), int, date, timestamp[tz]; numeric coefficients with exponent exp
	fFloat              // f
	fStr                // s
	fDict               // dict[codes[j]]
	fVals               // vals: any kind, one types.Value per row
)

// vec is one column of a batch: n values of kind k in one form. Strings
// may alias Arrow buffers of sealed segments, which stay allocated while a
// statement runs (olap releases them only on Close or DROP TABLE); values
// kept beyond the batch are cloned.
type vec struct {
	t     types.Type
	k     types.Kind
	form  vform
	n     int
	i     []int64
	exp   int32
	f     []float64
	s     []string
	codes []int32
	dict  []string
	vals  []types.Value
	nulls []bool // forms other than fVals; nil = no NULLs
}

func (v *vec) null(j int) bool {
	if v.form == fVals {
		return v.vals[j].IsNull()
	}
	return v.nulls != nil && v.nulls[j]
}

// str returns row j of a text vec in form fStr or fDict.
func (v *vec) str(j int) string {
	if v.form == fDict {
		return v.dict[v.codes[j]]
	}
	return v.s[j]
}

// value boxes row j.
func (v *vec) value(j int) types.Value {
	if v.form == fVals {
		return v.vals[j]
	}
	if v.nulls != nil && v.nulls[j] {
		return types.Null
	}
	switch v.form {
	case fInt:
		if v.k == types.KindNumeric {
			return types.Value{K: types.KindNumeric, N: apd.New(v.i[j], v.exp)}
		}
		return types.Value{K: v.k, I: v.i[j]}
	case fFloat:
		return types.NewFloat(v.f[j])
	case fStr:
		return types.Value{K: v.k, S: v.s[j]}
	case fDict:
		return types.Value{K: v.k, S: v.dict[v.codes[j]]}
	}
	return types.Null
}

// head returns v's first n rows (sharing v's arrays; vecs are never
// modified once built).
func (v *vec) head(n int) *vec {
	out := *v
	out.n = n
	switch v.form {
	case fInt:
		out.i = v.i[:n]
	case fFloat:
		out.f = v.f[:n]
	case fStr:
		out.s = v.s[:n]
	case fDict:
		out.codes = v.codes[:n]
	case fVals:
		out.vals = v.vals[:n]
	}
	if v.nulls != nil {
		out.nulls = v.nulls[:n]
	}
	return &out
}

// kept returns v with copies of the arrays it has from w's scratch, so
// that it outlives the batch (arrays aliasing sealed columns or allocated
// otherwise are shared: vecs are never modified). The copies come from
// w's statement memory, so they live until the statement ends. Without a
// scratch, v.
func (v *vec) kept(w *worker) *vec {
	if w == nil || w.sc == nil {
		return v
	}
	sc, m := w.sc, w.mem
	out := *v
	out.i = keep(&sc.i64, m.int64s, v.i, v.n)
	out.f = keep(&sc.f64, m.float64s, v.f, v.n)
	out.s = keep(&sc.strs, m.strings, v.s, v.n)
	out.codes = keep(&sc.i32, m.int32s, v.codes, v.n)
	out.vals = keep(&sc.vals, m.values, v.vals, v.n)
	out.nulls = keep(&sc.bits, m.bools, v.nulls, v.n)
	return &out
}

// boxed returns v in form fVals.
func (v *vec) boxed() *vec {
	if v.form == fVals {
		return v
	}
	out := &vec{t: v.t, k: v.k, form: fVals, n: v.n, vals: make([]types.Value, v.n)}
	for j := range out.vals {
		out.vals[j] = v.value(j)
	}
	return out
}

// tighten turns an fVals vec into form fInt when every non-NULL value is an
// integer-like value of kind k or a finite numeric with one exponent and an
// int64 coefficient; otherwise it returns v.
func (v *vec) tighten() *vec { return v.tightenIn(nil) }

// tightenIn is tighten with the new vec's arrays from w's scratch.
func (v *vec) tightenIn(w *worker) *vec {
	if v.form != fVals {
		return v
	}
	switch v.k {
	case types.KindInt, types.KindBool, types.KindDate, types.KindTimestamp, types.KindTimestampTZ, types.KindNumeric:
	case types.KindText, types.KindFloat:
		return v.tightenOther(w)
	default:
		return v
	}
	out := &vec{t: v.t, k: v.k, form: fInt, n: v.n, i: w.int64s(v.n)}
	first := true
	for j, x := range v.vals {
		if x.IsNull() {
			if out.nulls == nil {
				out.nulls = w.bools(v.n)
			}
			out.nulls[j] = true
			continue
		}
		if x.K != v.k {
			return v
		}
		if v.k != types.KindNumeric {
			out.i[j] = x.I
			continue
		}
		d := x.N
		if d == nil || d.Form != apd.Finite || !d.Coeff.IsInt64() || (d.Negative && d.Coeff.Sign() == 0) {
			return v
		}
		if first {
			out.exp, first = d.Exponent, false
		} else if d.Exponent != out.exp {
			return v
		}
		c := d.Coeff.Int64()
		if d.Negative {
			c = -c
		}
		out.i[j] = c
	}
	return out
}

// tightenOther is tighten for text (form fStr) and float (fFloat) vecs.
func (v *vec) tightenOther(w *worker) *vec {
	out := &vec{t: v.t, k: v.k, n: v.n}
	if v.k == types.KindText {
		out.form, out.s = fStr, w.strings(v.n)
	} else {
		out.form, out.f = fFloat, w.float64s(v.n)
	}
	for j, x := range v.vals {
		if x.IsNull() {
			if out.nulls == nil {
				out.nulls = w.bools(v.n)
			}
			out.nulls[j] = true
			continue
		}
		if x.K != v.k {
			return v
		}
		if v.k == types.KindText {
			out.s[j] = x.S
		} else {
			out.f[j] = x.Float()
		}
	}
	return out
}

// repeat returns n copies of x.
func repeat[T any](x T, n int) []T {
	out := make([]T, n)
	for j := range out {
		out[j] = x
	}
	return out
}

// constVec repeats x n times.
func constVec(x types.Value, t types.Type, n int) *vec {
	if !x.IsNull() {
		// Tighten one value, then repeat it in the tight form.
		one := (&vec{t: t, k: types.KindOfType(t), form: fVals, n: 1, vals: []types.Value{x}}).tighten()
		switch one.form {
		case fInt:
			one.n, one.i = n, repeat(one.i[0], n)
			return one
		case fFloat:
			one.n, one.f = n, repeat(one.f[0], n)
			return one
		case fStr:
			one.n, one.s = n, repeat(one.s[0], n)
			return one
		}
	}
	out := &vec{t: t, k: types.KindOfType(t), form: fVals, n: n, vals: make([]types.Value, n)}
	for j := range out.vals {
		out.vals[j] = x
	}
	if x.IsNull() {
		return out
	}
	return out.tighten()
}

// source is the data a batch selects from: a sealed segment's columns, an
// open segment's rows (copied under the table lock), or derived columns
// (a projection's or a join's output) computed on first use by fetch.
type source struct {
	def   *catalog.Table
	seg   *olap.Segment
	cols  []*olap.Column // sealed: per table column (nil: the segment predates it)
	rows  [][]types.Value
	fetch func(c int) (*vec, error)
	types []types.Type // derived: column types
	full  []*vec       // derived: fetched columns
}

func (s *source) derived() bool { return s.fetch != nil }

// batch is a selection of a source's rows with the columns read so far.
type batch struct {
	w     *worker
	src   *source
	base  int64 // position of the driving segment (for first-seen order)
	sel   []int32
	ident bool // derived: sel is 0..n-1 of the source's columns
	cols  []*vec
}

func (b *batch) n() int { return len(b.sel) }

// derivedBatch returns a batch over all n rows of a derived source.
func derivedBatch(w *worker, base int64, n int, tys []types.Type, fetch func(c int) (*vec, error)) *batch {
	sel := w.int32s(n)
	for i := range sel {
		sel[i] = int32(i)
	}
	src := &source{fetch: fetch, types: tys, full: make([]*vec, len(tys))}
	return &batch{w: w, src: src, base: base, sel: sel, ident: true, cols: make([]*vec, len(tys))}
}

// col returns column c for the selected rows.
func (b *batch) col(c int) *vec {
	v, err := b.colErr(c)
	if err != nil {
		panic(err) // only derived fetches fail; colErr is used there
	}
	return v
}

func (b *batch) colErr(c int) (*vec, error) {
	if b.cols[c] != nil {
		return b.cols[c], nil
	}
	if b.src.derived() {
		full := b.src.full[c]
		if full == nil {
			var err error
			if full, err = b.src.fetch(c); err != nil {
				return nil, err
			}
			b.src.full[c] = full
		}
		v := full
		if !b.ident {
			v = take(b.w, full, b.sel)
		}
		b.cols[c] = v
		return v, nil
	}
	t := b.src.def.Columns[c].Type
	v := b.w.gather(b.src, c, t, b.sel)
	b.cols[c] = v
	return v, nil
}

// keep narrows the batch to rows whose mask entry is true.
func (b *batch) keep(mask []bool) {
	n := 0
	for j, ok := range mask {
		if ok {
			b.sel[n] = b.sel[j]
			n++
		}
	}
	if n == len(b.sel) {
		return
	}
	b.sel = b.sel[:n]
	b.ident = false
	for i := range b.cols {
		b.cols[i] = nil
	}
}

// worker is one goroutine's state: a private exec.Ctx for row-wise
// evaluation and the dictionaries it has decoded.
type worker struct {
	c     *exec.Ctx
	dicts map[*olap.Column][]string
	row   []types.Value
	sc    *scratch // per-batch buffers (scratch.go); nil: allocate
	mem   *stmtMem // the statement's memory (scratch.go); nil: allocate
}

func (w *worker) gather(src *source, c int, t types.Type, sel []int32) *vec {
	n := len(sel)
	k := types.KindOfType(t)
	if src.rows != nil { // an open segment's rows
		out := &vec{t: t, k: k, form: fVals, n: n, vals: w.values(n)}
		for j, ri := range sel {
			r := src.rows[ri]
			if c < len(r) {
				out.vals[j] = r[c]
			}
		}
		return out.tightenIn(w)
	}
	var col *olap.Column
	if c < len(src.cols) {
		col = src.cols[c]
	}
	if col == nil {
		out := &vec{t: t, k: k, form: fVals, n: n, vals: make([]types.Value, n)}
		for j, ri := range sel {
			out.vals[j] = src.seg.Value(src.def, int(ri), c)
		}
		return out
	}
	if col.Boxed != nil {
		out := &vec{t: t, k: k, form: fVals, n: n, vals: w.values(n)}
		for j, ri := range sel {
			out.vals[j] = col.Boxed[ri]
		}
		return out.tightenIn(w)
	}
	out := &vec{t: t, k: col.Kind, n: n}
	// sel is increasing (a subsequence of the segment's visible rows), so
	// a run of consecutive rows is a slice of the column: fixed-width
	// values are read in place (vecs are never modified, and sealed
	// columns outlive the statement).
	run := n > 0 && int(sel[n-1])-int(sel[0]) == n-1
	if col.Arr.NullN() > 0 {
		out.nulls = w.bools(n)
		for j, ri := range sel {
			out.nulls[j] = col.Arr.IsNull(int(ri))
		}
	}
	switch a := col.Arr.(type) {
	case *array.Int64:
		out.form, out.exp = fInt, col.Exp
		vals := a.Int64Values()
		if run {
			out.i = vals[sel[0] : int(sel[0])+n : int(sel[0])+n]
			break
		}
		out.i = w.int64s(n)
		for j, ri := range sel {
			out.i[j] = vals[ri]
		}
	case *array.Float64:
		out.form = fFloat
		vals := a.Float64Values()
		if run {
			out.f = vals[sel[0] : int(sel[0])+n : int(sel[0])+n]
			break
		}
		out.f = w.float64s(n)
		for j, ri := range sel {
			out.f[j] = vals[ri]
		}
	case *array.String:
		out.form = fStr
		out.s = w.strings(n)
		for j, ri := range sel {
			if out.nulls == nil || !out.nulls[j] {
				out.s[j] = a.Value(int(ri))
			}
		}
	case *array.Dictionary:
		out.form = fDict
		d := w.dicts[col]
		if d == nil {
			// a.Dictionary() builds its values array on first use, which
			// is not safe from two workers at once: read the dictionary's
			// data through an array of our own.
			da := array.NewStringData(a.Data().Dictionary())
			d = make([]string, da.Len())
			for i := range d {
				d[i] = da.Value(i)
			}
			da.Release()
			w.dicts[col] = d
		}
		out.dict = d
		idx := a.Indices().(*array.Int32).Int32Values()
		if run && out.nulls == nil {
			out.codes = idx[sel[0] : int(sel[0])+n : int(sel[0])+n]
			break
		}
		out.codes = w.int32s(n)
		for j, ri := range sel {
			if out.nulls == nil || !out.nulls[j] {
				out.codes[j] = idx[ri]
			}
		}
	default:
		out = &vec{t: t, k: k, form: fVals, n: n, vals: make([]types.Value, n)}
		for j, ri := range sel {
			out.vals[j] = col.Value(int(ri))
		}
	}
	return out
}

// isTrue reads row j of a boolean vec.
func (v *vec) isTrue(j int) bool {
	if v.form == fVals {
		x := v.vals[j]
		return x.K == types.KindBool && x.I != 0
	}
	return (v.nulls == nil || !v.nulls[j]) && v.i[j] != 0
}

var pow10 = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// maxScaled[k] is the largest |x| that x * 10^k does not overflow.
var maxScaled = func() [19]int64 {
	var m [19]int64
	for k, p := range pow10 {
		m[k] = math.MaxInt64 / p
	}
	return m
}()

// rescale multiplies x by 10^k (k >= 0), reporting overflow.
func rescale(x int64, k int32) (int64, bool) {
	if k == 0 {
		return x, true
	}
	if k >= int32(len(pow10)) {
		return 0, x == 0
	}
	if x > maxScaled[k] || x < -maxScaled[k] {
		return 0, false
	}
	return x * pow10[k], true
}

// take returns v's rows at idx (-1 = NULL), in w's scratch.
func take(w *worker, v *vec, idx []int32) *vec {
	n := len(idx)
	out := &vec{t: v.t, k: v.k, form: v.form, n: n, exp: v.exp, dict: v.dict}
	hasNull := v.nulls != nil
	for _, i := range idx {
		if i < 0 {
			hasNull = true
			break
		}
	}
	if hasNull && v.form != fVals {
		out.nulls = w.bools(n)
		for j, i := range idx {
			out.nulls[j] = i < 0 || (v.nulls != nil && v.nulls[i])
		}
	}
	switch v.form {
	case fInt:
		out.i = w.int64s(n)
		for j, i := range idx {
			if i >= 0 {
				out.i[j] = v.i[i]
			}
		}
	case fFloat:
		out.f = w.float64s(n)
		for j, i := range idx {
			if i >= 0 {
				out.f[j] = v.f[i]
			}
		}
	case fStr:
		out.s = w.strings(n)
		for j, i := range idx {
			if i >= 0 {
				out.s[j] = v.s[i]
			}
		}
	case fDict:
		out.codes = w.int32s(n)
		for j, i := range idx {
			if i >= 0 {
				out.codes[j] = v.codes[i]
			}
		}
	case fVals:
		out.vals = w.values(n)
		for j, i := range idx {
			if i >= 0 {
				out.vals[j] = v.vals[i]
			}
		}
	}
	return out
}

// concat appends vecs of one type into one, in the tightest common form,
// with arrays from m (nil: allocated).
func concat(m *stmtMem, vs []*vec, t types.Type) *vec {
	n := 0
	for _, v := range vs {
		n += v.n
	}
	k := types.KindOfType(t)
	form := fVals
	if len(vs) > 0 {
		form = vs[0].form
		for _, v := range vs[1:] {
			switch {
			case v.form == form && (form != fInt || (v.k == vs[0].k && v.exp == vs[0].exp)) && form != fDict:
			case (v.form == fStr || v.form == fDict) && (form == fStr || form == fDict):
				form = fStr
			default:
				form = fVals
			}
		}
		if form == fDict && len(vs) > 1 {
			form = fStr
		}
		if form == fDict {
			return vs[0]
		}
	}
	out := &vec{t: t, k: k, form: form, n: n}
	if len(vs) > 0 && form != fVals {
		out.k, out.exp = vs[0].k, vs[0].exp
	}
	anyNull := false
	for _, v := range vs {
		if v.nulls != nil {
			anyNull = true
		}
	}
	if anyNull && form != fVals {
		out.nulls = m.bools(n)
		at := 0
		for _, v := range vs {
			if v.nulls != nil {
				copy(out.nulls[at:at+v.n], v.nulls)
			}
			at += v.n
		}
	}
	switch form {
	case fInt:
		out.i = m.int64s(n)[:0]
		for _, v := range vs {
			out.i = append(out.i, v.i...)
		}
	case fFloat:
		out.f = m.float64s(n)[:0]
		for _, v := range vs {
			out.f = append(out.f, v.f...)
		}
	case fStr:
		out.s = m.strings(n)[:0]
		for _, v := range vs {
			for j := 0; j < v.n; j++ {
				if v.null(j) {
					out.s = append(out.s, "")
				} else {
					out.s = append(out.s, v.str(j))
				}
			}
		}
	case fVals:
		out.vals = m.values(n)[:0]
		for _, v := range vs {
			for j := 0; j < v.n; j++ {
				out.vals = append(out.vals, v.value(j))
			}
		}
		return out.tighten()
	}
	return out
}
