package dbgen

import (
	"fmt"
	"io"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/types"
)

// Sink receives typed rows from Generate, one call per row, in key order.
// vals holds one Value per column (see Columns); the slice is reused for the
// next row, so a sink that keeps rows must copy it (the Values themselves —
// strings and *apd.Decimal — are not reused and may be kept).
type Sink interface {
	Row(t Table, vals []types.Value) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(t Table, vals []types.Value) error

// Row calls f.
func (f SinkFunc) Row(t Table, vals []types.Value) error { return f(t, vals) }

// chunk returns the 0-based unit range [lo, hi) of part out of parts.
func chunk(units int64, part, parts int) (int64, int64, error) {
	if units < 0 {
		return 0, 0, fmt.Errorf("tpch: unknown table")
	}
	if parts < 1 || part < 0 || part >= parts {
		return 0, 0, fmt.Errorf("tpch: part %d of %d out of range (0 <= part < parts)", part, parts)
	}
	return units * int64(part) / int64(parts), units * int64(part+1) / int64(parts), nil
}

// cursor generates the rows of one table over a unit range, incrementally.
// It is the one generator behind both sinks: appendText formats the rows
// as .tbl text, values converts them to types.Value.
type cursor struct {
	t         Table
	next, end int64 // 0-based units still to generate: [next, end)

	cust *customerGen
	supp *supplierGen
	part *partGen
	ord  *orderGen
	code stream

	// Rows are generated a batch at a time, then formatted, so that the
	// comment bytes prefetched during generation arrive before the copy.
	cr [batch]customerRow
	sr [batch]supplierRow
	pr [batch]partRow
	or [batch]orderRow
	kr [batch]codeRow

	w  textWriter
	w2 textWriter // for the child table in appendPair
}

func newCursor(t Table, s scaling, lo, hi int64) *cursor {
	c := &cursor{t: t, next: lo, end: hi}
	row := lo + 1
	switch t {
	case Customer:
		c.cust = newCustomerGen(row)
	case Supplier:
		c.supp = newSupplierGen(row)
	case Part, PartSupp:
		c.part = newPartGen(row, s)
	case Orders, LineItem:
		c.ord = newOrderGen(row, s)
		// orders alone needs only the line fields that feed o_totalprice
		// and o_orderstatus
		c.ord.ordersOnly = t == Orders
	case Nation:
		c.code.init(sNCmnt, row)
	case Region:
		c.code.init(sRCmnt, row)
	}
	return c
}

// batch is how many units the text path generates before formatting them.
const batch = 16

// step generates the next unit into row slot k.
func (c *cursor) step(k int) {
	i := c.next
	c.next++
	switch c.t {
	case Customer:
		c.cust.row(i+1, &c.cr[k])
	case Supplier:
		c.supp.row(i+1, &c.sr[k])
	case Part, PartSupp:
		c.part.row(i+1, &c.pr[k])
	case Orders, LineItem:
		c.ord.row(i+1, &c.or[k])
	case Nation:
		nationRow(&c.code, i, &c.kr[k])
	case Region:
		regionRow(&c.code, i, &c.kr[k])
	}
}

// fillBatch generates up to batch units into slots 0..n-1.
func (c *cursor) fillBatch() int {
	n := int(min(batch, c.end-c.next))
	for k := range n {
		c.step(k)
	}
	return n
}

// setPair prepares the cursor for appendPair.
func (c *cursor) setPair() {
	if c.ord != nil {
		c.ord.ordersOnly = false
	}
	c.w2.pool = c.w.pool
}

// appendPair generates part+partsupp or orders+lineitem together (c.t is
// Part or Orders), appending the parent table's lines to a and the child's to
// b: one pass of the generator serves both files, as dbgen's -T p / -T o do.
func (c *cursor) appendPair(a, b []byte, limit int) ([]byte, []byte) {
	for c.next < c.end && len(b) < limit {
		n := c.fillBatch()
		for k := range n {
			if c.t == Part {
				a = c.w.appendPart(a, &c.pr[k])
				b = c.w2.appendPartSupp(b, &c.pr[k])
			} else {
				a = c.w.appendOrder(a, &c.or[k])
				b = c.w2.appendLineItems(b, &c.or[k])
			}
		}
	}
	return a, b
}

// appendText appends .tbl lines until the cursor is exhausted or dst holds at
// least limit bytes. If c.w.pool is nil, comments are left as fixups for
// c.w.fill.
func (c *cursor) appendText(dst []byte, limit int) []byte {
	for c.next < c.end && len(dst) < limit {
		n := c.fillBatch()
		for k := range n {
			switch c.t {
			case Customer:
				dst = c.w.appendCustomer(dst, &c.cr[k])
			case Supplier:
				dst = c.w.appendSupplier(dst, &c.sr[k])
			case Part:
				dst = c.w.appendPart(dst, &c.pr[k])
			case PartSupp:
				dst = c.w.appendPartSupp(dst, &c.pr[k])
			case Orders:
				dst = c.w.appendOrder(dst, &c.or[k])
			case LineItem:
				dst = c.w.appendLineItems(dst, &c.or[k])
			case Nation:
				dst = c.w.appendNation(dst, &c.kr[k])
			case Region:
				dst = c.w.appendRegion(dst, &c.kr[k])
			}
		}
	}
	return dst
}

// AppendText appends the .tbl text of part (0-based) of parts of table t at
// scale factor sf to dst. Concatenating parts 0..parts-1 gives exactly the
// file dbgen writes.
func AppendText(dst []byte, t Table, sf float64, part, parts int) ([]byte, error) {
	s, err := newScaling(sf)
	if err != nil {
		return dst, err
	}
	lo, hi, err := chunk(s.units(t), part, parts)
	if err != nil {
		return dst, err
	}
	c := newCursor(t, s, lo, hi)
	c.w.pool = textPool()
	return c.appendText(dst, int(^uint(0)>>1)), nil
}

// WriteText streams the .tbl text of part (0-based) of parts of table t to w
// in buffers of about 1 MiB.
func WriteText(w io.Writer, t Table, sf float64, part, parts int) error {
	s, err := newScaling(sf)
	if err != nil {
		return err
	}
	lo, hi, err := chunk(s.units(t), part, parts)
	if err != nil {
		return err
	}
	c := newCursor(t, s, lo, hi)
	c.w.pool = textPool()
	buf := make([]byte, 0, 1<<20+4096)
	for c.next < c.end {
		buf = c.appendText(buf[:0], 1<<20)
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// Generate produces part (0-based) of parts of table t at scale factor sf as
// typed rows: bigint and integer columns as NewInt, text as NewText, dates as
// NewDate (days since 1970-01-01), money and the discount/tax fractions as
// NewNumeric with two decimal places. Rows arrive in key order; a sink error
// stops generation and is returned.
func Generate(t Table, sf float64, part, parts int, sink Sink) error {
	s, err := newScaling(sf)
	if err != nil {
		return err
	}
	lo, hi, err := chunk(s.units(t), part, parts)
	if err != nil {
		return err
	}
	c := newCursor(t, s, lo, hi)
	vals := make([]types.Value, len(columns[t]))
	for c.next < c.end {
		c.step(0)
		switch t {
		case Customer:
			r := &c.cr[0]
			vals[0] = types.NewInt(r.key)
			vals[1] = types.NewText(string(appendPadded([]byte("Customer#"), r.key, 9)))
			vals[2] = types.NewText(string(r.address))
			vals[3] = types.NewInt(r.nation)
			vals[4] = types.NewText(string(r.phone[:]))
			vals[5] = money(r.acctbal)
			vals[6] = types.NewText(r.segment)
			vals[7] = types.NewText(string(r.comment.bytes()))
		case Supplier:
			r := &c.sr[0]
			vals[0] = types.NewInt(r.key)
			vals[1] = types.NewText(string(appendPadded([]byte("Supplier#"), r.key, 9)))
			vals[2] = types.NewText(string(r.address))
			vals[3] = types.NewInt(r.nation)
			vals[4] = types.NewText(string(r.phone[:]))
			vals[5] = money(r.acctbal)
			cm := append([]byte(nil), r.comment.bytes()...)
			r.bbb.apply(cm)
			vals[6] = types.NewText(string(cm))
		case Part:
			r := &c.pr[0]
			vals[0] = types.NewInt(r.key)
			vals[1] = types.NewText(string(r.name))
			vals[2] = types.NewText(string(appendPadded([]byte("Manufacturer#"), r.mfgr, 1)))
			vals[3] = types.NewText(string(appendPadded([]byte("Brand#"), r.brand, 2)))
			vals[4] = types.NewText(r.typ)
			vals[5] = types.NewInt(r.size)
			vals[6] = types.NewText(r.container)
			vals[7] = money(r.price)
			vals[8] = types.NewText(string(r.comment.bytes()))
		case PartSupp:
			r := &c.pr[0]
			for i := range r.ps {
				ps := &r.ps[i]
				vals[0] = types.NewInt(r.key)
				vals[1] = types.NewInt(ps.suppkey)
				vals[2] = types.NewInt(ps.qty)
				vals[3] = money(ps.cost)
				vals[4] = types.NewText(string(ps.comment.bytes()))
				if err := sink.Row(t, vals); err != nil {
					return err
				}
			}
			continue
		case Orders:
			o := &c.or[0]
			vals[0] = types.NewInt(o.key)
			vals[1] = types.NewInt(o.custkey)
			vals[2] = types.NewText(string(o.status))
			vals[3] = money(o.total)
			vals[4] = types.NewDate(epochDay92 + o.date)
			vals[5] = types.NewText(o.priority)
			vals[6] = types.NewText(string(appendPadded([]byte("Clerk#"), o.clerk, 9)))
			vals[7] = types.NewInt(0)
			vals[8] = types.NewText(string(o.comment.bytes()))
		case LineItem:
			o := &c.or[0]
			for i := 0; i < o.nlines; i++ {
				l := &o.lines[i]
				vals[0] = types.NewInt(o.key)
				vals[1] = types.NewInt(l.partkey)
				vals[2] = types.NewInt(l.suppkey)
				vals[3] = types.NewInt(l.number)
				vals[4] = types.NewNumeric(apd.New(l.qty, 0))
				vals[5] = money(l.price)
				vals[6] = money(l.discount)
				vals[7] = money(l.tax)
				vals[8] = types.NewText(string(l.returnFlag))
				vals[9] = types.NewText(string(l.status))
				vals[10] = types.NewDate(epochDay92 + l.shipDate)
				vals[11] = types.NewDate(epochDay92 + l.commitDate)
				vals[12] = types.NewDate(epochDay92 + l.rcptDat)
				vals[13] = types.NewText(l.instruct)
				vals[14] = types.NewText(l.mode)
				vals[15] = types.NewText(string(l.comment.bytes()))
				if err := sink.Row(t, vals); err != nil {
					return err
				}
			}
			continue
		case Nation:
			r := &c.kr[0]
			vals[0] = types.NewInt(r.key)
			vals[1] = types.NewText(r.name)
			vals[2] = types.NewInt(r.region)
			vals[3] = types.NewText(string(r.comment.bytes()))
		case Region:
			r := &c.kr[0]
			vals[0] = types.NewInt(r.key)
			vals[1] = types.NewText(r.name)
			vals[2] = types.NewText(string(r.comment.bytes()))
		}
		if err := sink.Row(t, vals); err != nil {
			return err
		}
	}
	return nil
}

// money converts integer cents to a numeric with two decimal places.
func money(cents int64) types.Value { return types.NewNumeric(apd.New(cents, -2)) }
