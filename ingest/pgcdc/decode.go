package pgcdc

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/types"
)

// rowDecoder turns the binary result values of a snapshot chunk's rows into
// rows of an OmenDB table. It gives every value exactly what
// types.ParseBinary gives (TestRowDecoderMatchesParseBinary), with fewer
// allocations on the snapshot's hot path: rows are cut from slabs of
// Values, numerics whose coefficient fits in 63 bits from slabs of
// apd.Decimals, and ASCII text is copied into a byte arena that the
// values' strings alias — one allocation per slab instead of one or more
// per value. Anything else (and any value the fast paths are not sure of)
// goes through types.ParseBinary. The slabs stay alive while a value cut
// from them is referenced (the column store's open segment keeps rows
// until it seals them; the row store keeps its own encoding), which is
// bounded by a few chunks. One decoder belongs to one snapshot worker.
type rowDecoder struct {
	def  *catalog.Table
	cols []int // result column k → index in def.Columns
	ncol int
	// per result column: fast-path kind and, for numeric, the typmod's
	// precision limit and scale (-1: no typmod).
	fast  []fastKind
	limit []int64
	scale []int32

	vals  []types.Value
	decs  []apd.Decimal
	arena []byte
}

type fastKind uint8

const (
	fastNone fastKind = iota
	fastNumeric
	fastText
	// slowText: the source sent the value as text (cast there, readChunk):
	// types.ParseText.
	slowText
)

const (
	valueSlabRows = 1024
	decimalSlab   = 1024
	arenaBlock    = 64 << 10
	maxFastText   = 1 << 10 // longer strings get their own allocation
)

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return
}()

func newRowDecoder(def *catalog.Table, cols []int) *rowDecoder {
	d := &rowDecoder{def: def, cols: cols, ncol: len(def.Columns), fast: make([]fastKind, len(cols)),
		limit: make([]int64, len(cols)), scale: make([]int32, len(cols))}
	for k, ci := range cols {
		t := def.Columns[ci].Type
		switch t.OID {
		case types.OIDNumeric:
			d.scale[k], d.limit[k] = -1, pow10[18]
			if t.Mod >= 4 {
				m := t.Mod - 4
				prec, scale := (m>>16)&0xffff, ((m&0x7ff)^1024)-1024
				if prec > 18 || scale < 0 || scale > prec {
					continue // no fast path
				}
				d.scale[k], d.limit[k] = scale, pow10[prec]
			}
			d.fast[k] = fastNumeric
		case types.OIDText:
			d.fast[k] = fastText
		}
		if types.IsEnumArray(t) {
			d.fast[k] = slowText
		}
	}
	return d
}

// decode returns the row of one result row's values (nil = NULL).
func (d *rowDecoder) decode(vals [][]byte) ([]types.Value, error) {
	if len(d.vals) < d.ncol {
		d.vals = make([]types.Value, valueSlabRows*d.ncol)
	}
	row := d.vals[:d.ncol:d.ncol]
	d.vals = d.vals[d.ncol:]
	for k, ci := range d.cols {
		b := vals[k]
		if b == nil {
			continue
		}
		// The fast paths set the fields of the (zero) slot one by one: a
		// whole-Value copy into the slab is a typed copy with a bulk write
		// barrier while the GC marks, which is most of the time here.
		switch d.fast[k] {
		case fastNumeric:
			if d.numeric(k, b, &row[ci]) {
				continue
			}
		case fastText:
			if d.text(b, &row[ci]) {
				continue
			}
		}
		var v types.Value
		var err error
		if d.fast[k] == slowText {
			v, err = types.ParseText(d.def.Columns[ci].Type, string(b), nil)
		} else {
			v, err = types.ParseBinary(d.def.Columns[ci].Type, b)
		}
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", d.def.Name, d.def.Columns[ci].Name, err)
		}
		dst := &row[ci]
		dst.K, dst.I, dst.I2 = v.K, v.I, v.I2
		if v.S != "" {
			dst.S = v.S
		}
		if v.N != nil {
			dst.N = v.N
		}
	}
	return row, nil
}

// numeric decodes PostgreSQL's binary numeric (ndigits, weight, sign,
// dscale, base-10000 digits) when the coefficient at dscale fraction digits
// fits in 63 bits and, with a typmod, dscale is its scale and the value
// within its precision: then ParseBinary's result is exactly that
// coefficient at exponent −dscale (it brings the value to dscale digits,
// truncating hidden digits as numeric_recv does, and the typmod's rounding
// is then a no-op), into dst; it returns false (dst untouched) for
// anything else.
func (d *rowDecoder) numeric(k int, b []byte, dst *types.Value) bool {
	if len(b) < 8 {
		return false
	}
	n := int(int16(binary.BigEndian.Uint16(b)))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	if n < 0 || n > 4 || len(b) != 8+2*n || (sign != 0 && sign != 0x4000) || dscale > 18 {
		return false
	}
	if s := d.scale[k]; s >= 0 && dscale != int(s) {
		return false
	}
	var coef int64
	for i := 0; i < n; i++ {
		digit := int16(binary.BigEndian.Uint16(b[8+2*i:]))
		if digit < 0 || digit >= 10000 {
			return false
		}
		coef = coef*10000 + int64(digit) // n ≤ 4: below 10^16
	}
	if n == 0 {
		weight = 0
	}
	exp := 4 * (weight - n + 1)
	switch target := -dscale; {
	case exp > target:
		if exp-target > 18 {
			if coef != 0 {
				return false
			}
		} else {
			m := pow10[exp-target]
			if coef > (1<<63-1)/m {
				return false
			}
			coef *= m
		}
	case exp < target:
		if target-exp > 18 {
			coef = 0
		} else {
			coef /= pow10[target-exp]
		}
	}
	if coef >= d.limit[k] {
		return false
	}
	if len(d.decs) == 0 {
		d.decs = make([]apd.Decimal, decimalSlab)
	}
	dec := &d.decs[0]
	d.decs = d.decs[1:]
	dec.Coeff.SetInt64(coef)
	dec.Exponent = int32(-dscale)
	dec.Negative = sign == 0x4000 && coef != 0
	dst.K, dst.N = types.KindNumeric, dec
	return true
}

// text copies ASCII text without NUL bytes (types.ParseText's UTF-8 check
// passes it as is) into the arena and dst; it returns false (dst untouched)
// for anything else.
func (d *rowDecoder) text(b []byte, dst *types.Value) bool {
	if len(b) == 0 || len(b) > maxFastText {
		return false
	}
	for _, c := range b {
		if c == 0 || c >= 0x80 {
			return false
		}
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		d.arena = make([]byte, 0, arenaBlock)
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	dst.K, dst.S = types.KindText, unsafe.String(&d.arena[start], len(b))
	return true
}
