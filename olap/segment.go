package olap

import (
	"math"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/types"
)

// Segment is a run of rows of one table in append order. While open it
// holds the decoded rows; Seal converts them into immutable Arrow columns
// with zone maps and drops the rows. Each row carries the offset that
// inserted it (Ins) and the offset that deleted it (Del, 0 = live); a scan
// at snapshot S sees row i iff Ins[i] <= S and (Del[i] == 0 or Del[i] > S).
//
// A segment has two sides (doc.go, "Concurrency"). The writer's side — the
// exported slices and the unexported fields above n — belongs to the apply
// path (Store.applyMu and the Table's mutex; a sealer publishing its
// columns holds the Table's mutex). Readers (scans) never lock: they read
// the published view, rows [0, n) of it. Rows are written before n covers
// them and never change after; delete offsets change in place, with atomic
// stores (the writer) and loads (readers).
type Segment struct {
	Ins  []uint64
	Del  []uint64        // elements stored atomically once published
	rows [][]types.Value // open segment only
	// Sealed form.
	cols    []*Column
	sealed  bool
	deleted int // rows with Del != 0
	// Keys of the rows (keys.go): row i's is kbuf[kend[i-1]:kend[i]].
	kbuf []byte
	kend []uint32

	// Reader's side: view holds the arrays (whole capacity) and, once
	// sealed, the columns; n is how many rows of it are published. The
	// writer stores view before an n that needs it, so a reader that loads
	// n and then view may read rows [0, n) of it. pub is the writer's copy
	// of view.
	n    atomic.Int64
	view atomic.Pointer[segView]
	pub  *segView
}

// segView is what readers of a Segment see: the writer's arrays resliced
// to their capacity (appends write past n in place; a grown array is a new
// view) and, once sealed, the columns.
type segView struct {
	ins, del []uint64
	rows     [][]types.Value
	cols     []*Column
	sealed   bool
}

var emptyView = &segView{}

// publish makes the writer's rows [0, len(Ins)) visible to readers: a new
// view when an array was replaced (grown, sealed, loaded), then n. Called
// by the writer after every change of the arrays' length or form.
func (s *Segment) publish() {
	v := s.pub
	if v == nil || v.sealed != s.sealed || cap(v.ins) != cap(s.Ins) || cap(v.del) != cap(s.Del) || cap(v.rows) != cap(s.rows) {
		v = &segView{ins: s.Ins[:cap(s.Ins)], del: s.Del[:cap(s.Del)], rows: s.rows[:cap(s.rows)], cols: s.cols, sealed: s.sealed}
		s.pub = v
		s.view.Store(v)
	}
	s.n.Store(int64(len(s.Ins)))
}

// load returns the published view and how many of its rows readers may
// read (n first: the view stored before it covers it).
func (s *Segment) load() (*segView, int) {
	n := int(s.n.Load())
	v := s.view.Load()
	if v == nil {
		return emptyView, 0
	}
	return v, min(n, len(v.ins))
}

// visible appends to sel the positions of the published rows visible at
// snap and returns it with the number of rows looked at.
func (s *Segment) visible(snap uint64, sel []int32) ([]int32, int) {
	v, n := s.load()
	ins, del := v.ins[:n], v.del[:n]
	for i := range ins {
		if ins[i] <= snap {
			if d := atomic.LoadUint64(&del[i]); d == 0 || d > snap {
				sel = append(sel, int32(i))
			}
		}
	}
	return sel, n
}

// Len returns the number of published rows (live or not) in the segment.
func (s *Segment) Len() int {
	_, n := s.load()
	return n
}

// Sealed reports whether the segment's rows are Arrow columns.
func (s *Segment) Sealed() bool {
	v := s.view.Load()
	return v != nil && v.sealed
}

// Column is one column of a sealed segment. Exactly one representation is
// set: Arr (Arrow: Int64 for bool/int/date/timestamp kinds, Float64 for
// floats, String or a String dictionary for text, Binary for bytes/uuid/
// json/inet (a KindInet value's S, whose byte order is its SQL order) and for arrays (each value's one-value row encoding), Int64
// coefficients with one exponent Exp for numerics), or Boxed (values Arrow
// does not represent here: intervals, NaN/huge numerics, columns mixing
// kinds).
type Column struct {
	Kind  types.Kind
	Arr   arrow.Array
	Exp   int32 // numeric exponent shared by the segment's values
	Boxed []types.Value
	Zone  Zone
}

// Zone is a column's zone map in one segment.
type Zone struct {
	Min, Max types.Value // NULL when the segment has no non-null value or no order is kept
	Nulls    int
	Ordered  bool // Min/Max are meaningful (numeric and date/time kinds)
}

func (c *Column) release() {
	if c.Arr != nil {
		c.Arr.Release()
		c.Arr = nil
	}
}

// Value returns row i of the column as a types.Value (strings are copied).
func (c *Column) Value(i int) types.Value {
	if c.Boxed != nil {
		return c.Boxed[i]
	}
	if c.Arr.IsNull(i) {
		return types.Null
	}
	switch a := c.Arr.(type) {
	case *array.Int64:
		if c.Kind == types.KindNumeric {
			return types.Value{K: types.KindNumeric, N: apd.New(a.Value(i), c.Exp)}
		}
		return types.Value{K: c.Kind, I: a.Value(i)}
	case *array.Float64:
		return types.Value{K: types.KindFloat, I: int64(math.Float64bits(a.Value(i)))}
	case *array.String:
		return types.Value{K: c.Kind, S: strings.Clone(a.Value(i))}
	case *array.Binary:
		if c.Kind == types.KindArray {
			// The value encoded as a one-value row (types.EncodeRow), which
			// keeps the element count next to the elements.
			vs, err := types.DecodeRow(a.Value(i), nil)
			if err != nil || len(vs) != 1 {
				return types.Null // unreachable: written by buildColumn
			}
			return vs[0]
		}
		return types.Value{K: c.Kind, S: string(a.Value(i))}
	case *array.Dictionary:
		d := a.Dictionary().(*array.String)
		return types.Value{K: c.Kind, S: strings.Clone(d.Value(a.GetValueIndex(i)))}
	}
	return types.Null
}

// dictMaxRatio: text columns with at most rows/dictMaxRatio distinct values
// are dictionary encoded.
const dictMaxRatio = 4

// seal builds the Arrow columns of the open segment's rows for def.
func (s *Segment) seal(mem memory.Allocator, def *catalog.Table) {
	s.cols = make([]*Column, len(def.Columns))
	for c := range def.Columns {
		s.cols[c] = buildColumn(mem, types.KindOfType(def.Columns[c].Type), colVals{def: def, rows: s.rows, c: c})
	}
	s.rows = nil
	s.sealed = true
	s.publish()
}

// colVals is column c of an open segment's rows, read in place (sealing
// copies no values but those it keeps boxed).
type colVals struct {
	def  *catalog.Table
	rows [][]types.Value
	c    int
}

func (v colVals) len() int { return len(v.rows) }

func (v colVals) at(i int) types.Value {
	if r := v.rows[i]; v.c < len(r) {
		return r[v.c]
	}
	return colValue(v.def, v.rows[i], v.c)
}

// slice returns the values as a slice of their own, with strings and
// numerics of their own too (a sealed column outlives the open rows, whose
// values may alias their records' bytes).
func (v colVals) slice() []types.Value {
	out := make([]types.Value, len(v.rows))
	for i := range out {
		out[i] = ownValue(v.at(i))
	}
	return out
}

// colValue is oltp.ColValue: rows written before an ADD COLUMN are short.
func colValue(def *catalog.Table, row []types.Value, c int) types.Value {
	if c < len(row) {
		return row[c]
	}
	if c < len(def.Columns) {
		if v, ok := def.Columns[c].MissingValue(); ok {
			return v
		}
	}
	return types.Null
}

func buildColumn(mem memory.Allocator, kind types.Kind, vals colVals) *Column {
	col := &Column{Kind: kind}
	for i := range vals.len() {
		v := vals.at(i)
		if v.IsNull() {
			col.Zone.Nulls++
			continue
		}
		if v.K != kind {
			col.Boxed = vals.slice() // mixed kinds: keep values as they are
			return col
		}
	}
	switch kind {
	case types.KindBool, types.KindInt, types.KindDate, types.KindTimestamp, types.KindTimestampTZ:
		b := array.NewInt64Builder(mem)
		b.Reserve(vals.len())
		for i := range vals.len() {
			v := vals.at(i)
			if v.IsNull() {
				b.AppendNull()
			} else {
				b.Append(v.I)
			}
		}
		col.Arr = b.NewArray()
		b.Release()
		col.zone(vals, kind != types.KindBool)
	case types.KindFloat:
		b := array.NewFloat64Builder(mem)
		b.Reserve(vals.len())
		for i := range vals.len() {
			v := vals.at(i)
			if v.IsNull() {
				b.AppendNull()
			} else {
				b.Append(math.Float64frombits(uint64(v.I)))
			}
		}
		col.Arr = b.NewArray()
		b.Release()
		col.zone(vals, true)
	case types.KindNumeric:
		exp, ok := numericExp(vals)
		if !ok {
			col.Boxed = vals.slice()
			col.zone(vals, true)
			return col
		}
		col.Exp = exp
		b := array.NewInt64Builder(mem)
		b.Reserve(vals.len())
		for i := range vals.len() {
			v := vals.at(i)
			if v.IsNull() {
				b.AppendNull()
			} else {
				c := v.N.Coeff.Int64()
				if v.N.Negative {
					c = -c
				}
				b.Append(c)
			}
		}
		col.Arr = b.NewArray()
		b.Release()
		col.zone(vals, true)
	case types.KindText:
		distinct := map[string]int32{}
		for i := range vals.len() {
			v := vals.at(i)
			if !v.IsNull() {
				if _, ok := distinct[v.S]; !ok {
					distinct[v.S] = int32(len(distinct))
				}
				if len(distinct) > vals.len()/dictMaxRatio+1 {
					break
				}
			}
		}
		if vals.len() >= 32 && len(distinct) <= vals.len()/dictMaxRatio {
			col.Arr = buildDict(mem, vals, distinct)
			return col
		}
		b := array.NewStringBuilder(mem)
		b.Reserve(vals.len())
		for i := range vals.len() {
			v := vals.at(i)
			if v.IsNull() {
				b.AppendNull()
			} else {
				b.Append(v.S)
			}
		}
		col.Arr = b.NewArray()
		b.Release()
	case types.KindBytes, types.KindUUID, types.KindJSON, types.KindInet:
		b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		b.Reserve(vals.len())
		for i := range vals.len() {
			v := vals.at(i)
			if v.IsNull() {
				b.AppendNull()
			} else {
				b.Append([]byte(v.S))
			}
		}
		col.Arr = b.NewArray()
		b.Release()
	case types.KindArray:
		// Arrays are stored as their row encoding; expressions over them are
		// evaluated row by row (exec.Eval) from Column.Value.
		b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		b.Reserve(vals.len())
		var enc []byte
		for i := range vals.len() {
			v := vals.at(i)
			if v.IsNull() {
				b.AppendNull()
			} else {
				enc = types.EncodeRow(enc[:0], []types.Value{v})
				b.Append(enc)
			}
		}
		col.Arr = b.NewArray()
		b.Release()
	default:
		col.Boxed = vals.slice()
	}
	return col
}

func buildDict(mem memory.Allocator, vals colVals, distinct map[string]int32) arrow.Array {
	words := make([]string, len(distinct))
	for w, i := range distinct {
		words[i] = w
	}
	db := array.NewStringBuilder(mem)
	db.AppendValues(words, nil)
	dict := db.NewArray()
	db.Release()
	ib := array.NewInt32Builder(mem)
	ib.Reserve(vals.len())
	for i := range vals.len() {
		v := vals.at(i)
		if v.IsNull() {
			ib.AppendNull()
		} else {
			ib.Append(distinct[v.S])
		}
	}
	idx := ib.NewArray()
	ib.Release()
	arr := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, idx, dict)
	idx.Release()
	dict.Release()
	// Dictionary() builds its values array on first use and is not safe to
	// call from two readers at once: build it here, before the segment is
	// published, so readers (Column.Value, vexec workers) only read it.
	arr.Dictionary()
	return arr
}

// numericExp returns the exponent shared by all finite numerics in vals
// when every coefficient fits an int64 (and no value is NaN/±Inf or -0).
func numericExp(vals colVals) (int32, bool) {
	var exp int32
	first := true
	for i := range vals.len() {
		v := vals.at(i)
		if v.IsNull() {
			continue
		}
		d := v.N
		if d == nil || d.Form != apd.Finite || !d.Coeff.IsInt64() {
			return 0, false
		}
		if d.Negative && d.Coeff.Sign() == 0 {
			return 0, false
		}
		if first {
			exp, first = d.Exponent, false
		} else if d.Exponent != exp {
			return 0, false
		}
	}
	return exp, true
}

func (c *Column) zone(vals colVals, ordered bool) {
	if !ordered {
		return
	}
	c.Zone.Ordered = true
	for i := range vals.len() {
		v := vals.at(i)
		if v.IsNull() {
			continue
		}
		if v.K == types.KindFloat && math.IsNaN(math.Float64frombits(uint64(v.I))) {
			c.Zone.Ordered = false // NaN sorts above everything; keep it simple
			return
		}
		if c.Zone.Min.IsNull() || types.Compare(v, c.Zone.Min) < 0 {
			c.Zone.Min = v
		}
		if c.Zone.Max.IsNull() || types.Compare(v, c.Zone.Max) > 0 {
			c.Zone.Max = v
		}
	}
	// The open segment's values may alias their records' row bytes and
	// share numeric blocks (Table.applyRow); the zone map outlives them.
	c.Zone.Min, c.Zone.Max = ownValue(c.Zone.Min), ownValue(c.Zone.Max)
}

// ownValue returns v with a string and numeric of its own.
func ownValue(v types.Value) types.Value {
	if v.S != "" {
		v.S = strings.Clone(v.S)
	}
	if v.N != nil {
		v.N = new(apd.Decimal).Set(v.N)
	}
	return v
}

// Row returns row i as values of def's columns (at query time: columns the
// segment predates read their missing value).
func (s *Segment) Row(def *catalog.Table, i int) []types.Value {
	out := make([]types.Value, len(def.Columns))
	s.RowInto(def, i, out, nil)
	return out
}

// RowInto fills out (len(def.Columns)) with row i (a published row);
// need, when non-nil, says which columns to fill (others stay NULL).
func (s *Segment) RowInto(def *catalog.Table, i int, out []types.Value, need []bool) {
	v := s.view.Load()
	if !v.sealed {
		r := v.rows[i]
		for c := range out {
			if need == nil || need[c] {
				out[c] = colValue(def, r, c)
			}
		}
		return
	}
	for c := range out {
		if need != nil && !need[c] {
			continue
		}
		if c < len(v.cols) {
			out[c] = v.cols[c].Value(i)
		} else {
			out[c] = colValue(def, nil, c)
		}
	}
}

// Col returns column c of a sealed segment (nil if the segment predates it
// or is open).
func (s *Segment) Col(c int) *Column {
	v := s.view.Load()
	if v == nil || !v.sealed || c >= len(v.cols) {
		return nil
	}
	return v.cols[c]
}

// release returns the sealed columns' Arrow memory to the allocator. It
// does not clear the columns themselves: a scan that started before (at a
// snapshot before a DROP TABLE) may still read them, which the Go
// allocator the server uses keeps valid (its Free leaves the memory to
// the garbage collector).
func (s *Segment) release() {
	for _, c := range s.cols {
		if c.Arr != nil {
			c.Arr.Release()
		}
	}
	s.cols = nil
}

// Value returns column c of row i (a published row) as def sees it.
func (s *Segment) Value(def *catalog.Table, i, c int) types.Value {
	v := s.view.Load()
	if !v.sealed {
		return colValue(def, v.rows[i], c)
	}
	if c < len(v.cols) {
		return v.cols[c].Value(i)
	}
	return colValue(def, nil, c)
}

// Shared returns an open segment's row i itself when it has all of def's
// columns (rows are immutable once appended), or nil: the caller must not
// modify it.
func (s *Segment) Shared(def *catalog.Table, i int) []types.Value {
	v := s.view.Load()
	if v.sealed {
		return nil
	}
	if r := v.rows[i]; len(r) == len(def.Columns) {
		return r
	}
	return nil
}
