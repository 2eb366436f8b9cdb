package dbgen

import (
	"slices"
	"strconv"
)

// The .tbl format, as dbgen's print.c writes it: one line per row, every
// field followed by '|' (so the line ends in "|\n"); integers in decimal;
// money as [-]dollars.cc from integer cents; dates YYYY-MM-DD; names with
// zero-padded numbers ("Customer#000000001"); strings verbatim.

func appendInt(dst []byte, v int64) []byte {
	if v >= 0 && v < 10 {
		return append(dst, byte('0'+v), '|')
	}
	return append(strconv.AppendInt(dst, v, 10), '|')
}

// appendMoney formats cents like dbgen's DT_MONEY ("%d.%02d" after the sign).
func appendMoney(dst []byte, cents int64) []byte {
	if cents < 0 {
		dst = append(dst, '-')
		cents = -cents
	}
	dst = strconv.AppendInt(dst, cents/100, 10)
	c := cents % 100
	return append(dst, '.', byte('0'+c/10), byte('0'+c%10), '|')
}

// appendPadded writes v zero-padded to width digits (wider values are
// written in full, as printf does).
func appendPadded(dst []byte, v int64, width int) []byte {
	var b [20]byte
	i := len(b)
	for v > 0 || i > len(b)-width {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[i:]...)
}

func appendStr(dst []byte, s string) []byte { return append(append(dst, s...), '|') }

func appendBytes(dst []byte, s []byte) []byte { return append(append(dst, s...), '|') }

// textWriter formats rows as .tbl text. While the text pool is still being
// built (pool == nil) it reserves each comment's bytes and records a fixup;
// fill copies the comments in once the pool exists.
type textWriter struct {
	pool []byte
	fix  []fixup
}

type fixup struct {
	pos int
	ref textRef
	bbb bbbPatch
}

func (w *textWriter) comment(dst []byte, r textRef, p bbbPatch) []byte {
	start := len(dst)
	if w.pool != nil {
		dst = append(dst, w.pool[r.off:r.off+r.n]...)
	} else {
		w.fix = append(w.fix, fixup{pos: start, ref: r, bbb: p})
		dst = slices.Grow(dst, int(r.n))[:start+int(r.n)]
	}
	if p.kind != 0 && w.pool != nil {
		p.apply(dst[start:])
	}
	return append(dst, '|')
}

// fill copies the recorded comments into buf (built by this writer since the
// last fill), waiting for the pool if needed.
func (w *textWriter) fill(buf []byte) {
	if len(w.fix) == 0 {
		return
	}
	pool := textPool()
	for _, f := range w.fix {
		c := buf[f.pos : f.pos+int(f.ref.n)]
		copy(c, pool[f.ref.off:f.ref.off+f.ref.n])
		f.bbb.apply(c)
	}
	w.fix = w.fix[:0]
}

func appendDate(dst []byte, day int64) []byte {
	return append(append(dst, dateText[day][:]...), '|')
}

func (w *textWriter) appendCustomer(dst []byte, r *customerRow) []byte {
	dst = appendInt(dst, r.key)
	dst = append(dst, "Customer#"...)
	dst = append(appendPadded(dst, r.key, 9), '|')
	dst = appendBytes(dst, r.address)
	dst = appendInt(dst, r.nation)
	dst = appendBytes(dst, r.phone[:])
	dst = appendMoney(dst, r.acctbal)
	dst = appendStr(dst, r.segment)
	dst = w.comment(dst, r.comment, bbbPatch{})
	return append(dst, '\n')
}

func (w *textWriter) appendSupplier(dst []byte, r *supplierRow) []byte {
	dst = appendInt(dst, r.key)
	dst = append(dst, "Supplier#"...)
	dst = append(appendPadded(dst, r.key, 9), '|')
	dst = appendBytes(dst, r.address)
	dst = appendInt(dst, r.nation)
	dst = appendBytes(dst, r.phone[:])
	dst = appendMoney(dst, r.acctbal)
	dst = w.comment(dst, r.comment, r.bbb)
	return append(dst, '\n')
}

func (w *textWriter) appendPart(dst []byte, r *partRow) []byte {
	dst = appendInt(dst, r.key)
	dst = appendBytes(dst, r.name)
	dst = append(dst, "Manufacturer#"...)
	dst = append(appendPadded(dst, r.mfgr, 1), '|')
	dst = append(dst, "Brand#"...)
	dst = append(appendPadded(dst, r.brand, 2), '|')
	dst = appendStr(dst, r.typ)
	dst = appendInt(dst, r.size)
	dst = appendStr(dst, r.container)
	dst = appendMoney(dst, r.price)
	dst = w.comment(dst, r.comment, bbbPatch{})
	return append(dst, '\n')
}

func (w *textWriter) appendPartSupp(dst []byte, r *partRow) []byte {
	for i := range r.ps {
		ps := &r.ps[i]
		dst = appendInt(dst, r.key)
		dst = appendInt(dst, ps.suppkey)
		dst = appendInt(dst, ps.qty)
		dst = appendMoney(dst, ps.cost)
		dst = w.comment(dst, ps.comment, bbbPatch{})
		dst = append(dst, '\n')
	}
	return dst
}

func (w *textWriter) appendOrder(dst []byte, o *orderRow) []byte {
	dst = appendInt(dst, o.key)
	dst = appendInt(dst, o.custkey)
	dst = append(dst, o.status, '|')
	dst = appendMoney(dst, o.total)
	dst = appendDate(dst, o.date)
	dst = appendStr(dst, o.priority)
	dst = append(dst, "Clerk#"...)
	dst = append(appendPadded(dst, o.clerk, 9), '|')
	dst = append(dst, '0', '|')
	dst = w.comment(dst, o.comment, bbbPatch{})
	return append(dst, '\n')
}

func (w *textWriter) appendLineItems(dst []byte, o *orderRow) []byte {
	for i := 0; i < o.nlines; i++ {
		l := &o.lines[i]
		dst = appendInt(dst, o.key)
		dst = appendInt(dst, l.partkey)
		dst = appendInt(dst, l.suppkey)
		dst = appendInt(dst, l.number)
		dst = appendInt(dst, l.qty)
		dst = appendMoney(dst, l.price)
		dst = append(dst, '0', '.', byte('0'+l.discount/10), byte('0'+l.discount%10), '|')
		dst = append(dst, '0', '.', '0', byte('0'+l.tax), '|')
		dst = append(dst, l.returnFlag, '|', l.status, '|')
		dst = appendDate(dst, l.shipDate)
		dst = appendDate(dst, l.commitDate)
		dst = appendDate(dst, l.rcptDat)
		dst = appendStr(dst, l.instruct)
		dst = appendStr(dst, l.mode)
		dst = w.comment(dst, l.comment, bbbPatch{})
		dst = append(dst, '\n')
	}
	return dst
}

func (w *textWriter) appendNation(dst []byte, r *codeRow) []byte {
	dst = appendInt(dst, r.key)
	dst = appendStr(dst, r.name)
	dst = appendInt(dst, r.region)
	dst = w.comment(dst, r.comment, bbbPatch{})
	return append(dst, '\n')
}

func (w *textWriter) appendRegion(dst []byte, r *codeRow) []byte {
	dst = appendInt(dst, r.key)
	dst = appendStr(dst, r.name)
	dst = w.comment(dst, r.comment, bbbPatch{})
	return append(dst, '\n')
}
