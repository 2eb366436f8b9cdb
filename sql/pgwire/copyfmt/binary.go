package copyfmt

import (
	"encoding/binary"

	"github.com/omendb/omendb/types"
)

// binarySignature starts every binary COPY stream.
const binarySignature = "PGCOPY\n\xff\r\n\x00"

// binary COPY FROM decoding: bytes are accumulated in d.carry and parsed a
// whole tuple at a time; d.pos is the parse position within d.carry.
func (d *Decoder) writeBinary(chunk []byte, emit func([][]byte) error) error {
	if d.done {
		return nil
	}
	if d.pos > 0 && d.pos == len(d.carry) {
		d.carry, d.pos = d.carry[:0], 0
	}
	if d.pos > 0 && len(d.carry)+len(chunk) > cap(d.carry) {
		n := copy(d.carry, d.carry[d.pos:])
		d.carry, d.pos = d.carry[:n], 0
	}
	d.carry = append(d.carry, chunk...)
	for !d.done {
		n, err := d.binaryTuple(d.carry[d.pos:], emit)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		d.pos += n
	}
	return nil
}

// binaryTuple parses the header or one tuple at the start of b; it returns
// the bytes consumed, 0 when b holds an incomplete item.
func (d *Decoder) binaryTuple(b []byte, emit func([][]byte) error) (int, error) {
	if !d.sawHeader {
		if n := min(len(b), len(binarySignature)); string(b[:n]) != binarySignature[:n] {
			return 0, d.errorf("COPY file signature not recognized")
		}
		if len(b) < len(binarySignature)+8 {
			return 0, nil
		}
		flags := binary.BigEndian.Uint32(b[11:])
		if flags&(1<<16) != 0 {
			return 0, d.errorf("COPY file with OIDs is not supported")
		}
		if flags&0xffff0000 != 0 {
			return 0, d.errorf("unrecognized critical flags in COPY file header")
		}
		ext := int(binary.BigEndian.Uint32(b[15:]))
		if ext < 0 || ext > 1<<30 {
			return 0, d.errorf("invalid COPY file header (wrong length)")
		}
		if len(b) < 19+ext {
			return 0, nil
		}
		d.sawHeader = true
		return 19 + ext, nil
	}
	if len(b) < 2 {
		return 0, nil
	}
	nf := int(int16(binary.BigEndian.Uint16(b)))
	if nf == -1 {
		d.done = true
		return 2, nil
	}
	// Check the tuple is complete before touching d.fields.
	p := 2
	for i := 0; i < nf; i++ {
		if len(b) < p+4 {
			return 0, nil
		}
		l := int(int32(binary.BigEndian.Uint32(b[p:])))
		p += 4
		if l == -1 {
			continue
		}
		if l < 0 {
			d.line++
			return 0, d.errorf("invalid field size")
		}
		if len(b)-p < l {
			return 0, nil
		}
		p += l
	}
	d.line++
	if d.ncols > 0 && nf != d.ncols {
		return 0, d.errorf("row field count is %d, expected %d", nf, d.ncols)
	}
	f := d.fields[:0]
	q := 2
	for i := 0; i < nf; i++ {
		l := int(int32(binary.BigEndian.Uint32(b[q:])))
		q += 4
		if l == -1 {
			f = append(f, nil)
			continue
		}
		f = append(f, b[q:q+l:q+l])
		q += l
	}
	d.fields = f
	if err := emit(f); err != nil {
		return 0, err
	}
	return p, nil
}

func (d *Decoder) finishBinary() error {
	if d.done || d.pos == len(d.carry) {
		if !d.sawHeader && !d.done {
			return d.errorf("COPY file signature not recognized")
		}
		return nil
	}
	return d.errorf("unexpected EOF in COPY data")
}

// AppendBinaryHeader appends the binary COPY header.
func AppendBinaryHeader(dst []byte) []byte {
	dst = append(dst, binarySignature...)
	return append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
}

// AppendBinaryTrailer appends the binary COPY trailer.
func AppendBinaryTrailer(dst []byte) []byte { return append(dst, 0xff, 0xff) }

// AppendBinaryRow appends one tuple in the binary COPY format, each value in
// its type's binary send format (types.AppendBinary).
func AppendBinaryRow(dst []byte, row []types.Value, cols []types.Type) ([]byte, error) {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(row)))
	for i, v := range row {
		if v.IsNull() {
			dst = append(dst, 0xff, 0xff, 0xff, 0xff)
			continue
		}
		t := types.Text
		if i < len(cols) {
			t = cols[i]
		}
		lp := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		var err error
		if dst, err = types.AppendBinary(dst, v, t); err != nil {
			return dst[:lp], err
		}
		binary.BigEndian.PutUint32(dst[lp:], uint32(len(dst)-lp-4))
	}
	return dst, nil
}
