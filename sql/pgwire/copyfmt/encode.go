package copyfmt

import (
	"bytes"
	"time"

	"github.com/omendb/omendb/types"
)

// Encoder encodes rows for COPY TO in PostgreSQL's exact text or CSV output.
type Encoder struct {
	opts   Options
	single bool   // one column: CSV quotes a lone `\.`
	buf    []byte // reused text of one value
}

// NewEncoder returns an Encoder for rows of ncols columns.
func NewEncoder(opts Options, ncols int) *Encoder {
	return &Encoder{opts: opts.WithDefaults(), single: ncols == 1}
}

// AppendHeader appends the header line of column names.
func (e *Encoder) AppendHeader(dst []byte, names []string) []byte {
	for i, n := range names {
		if i > 0 {
			dst = append(dst, e.opts.Delimiter)
		}
		dst = e.appendField(dst, []byte(n))
	}
	return append(dst, '\n')
}

// AppendRow appends one row, each value in its column type's text output
// (types.AppendText with the session's time zone loc), and the newline.
func (e *Encoder) AppendRow(dst []byte, row []types.Value, cols []types.Type, loc *time.Location) []byte {
	for i, v := range row {
		if i > 0 {
			dst = append(dst, e.opts.Delimiter)
		}
		if v.IsNull() {
			dst = append(dst, e.opts.Null...)
			continue
		}
		t := types.Text
		if i < len(cols) {
			t = cols[i]
		}
		e.buf = types.AppendText(e.buf[:0], v, t, loc)
		dst = e.appendField(dst, e.buf)
	}
	return append(dst, '\n')
}

// AppendFields appends one row of already-textual fields (nil is NULL) and
// the newline.
func (e *Encoder) AppendFields(dst []byte, fields [][]byte) []byte {
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, e.opts.Delimiter)
		}
		if f == nil {
			dst = append(dst, e.opts.Null...)
			continue
		}
		dst = e.appendField(dst, f)
	}
	return append(dst, '\n')
}

func (e *Encoder) appendField(dst, s []byte) []byte {
	if e.opts.CSV {
		return e.appendCSV(dst, s)
	}
	return e.appendText(dst, s)
}

// appendText is PostgreSQL's CopyAttributeOutText.
func (e *Encoder) appendText(dst, s []byte) []byte {
	delim := e.opts.Delimiter
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc byte
		switch {
		case c < 0x20:
			switch c {
			case '\b':
				esc = 'b'
			case '\f':
				esc = 'f'
			case '\n':
				esc = 'n'
			case '\r':
				esc = 'r'
			case '\t':
				esc = 't'
			case '\v':
				esc = 'v'
			default:
				if c != delim {
					continue
				}
				esc = c
			}
		case c == '\\' || c == delim:
			esc = c
		default:
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '\\', esc)
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// appendCSV is PostgreSQL's CopyAttributeOutCSV without FORCE_QUOTE.
func (e *Encoder) appendCSV(dst, s []byte) []byte {
	delim, q, esc := e.opts.Delimiter, e.opts.Quote, e.opts.Escape
	quote := string(s) == e.opts.Null
	if !quote {
		if e.single && len(s) == 2 && s[0] == '\\' && s[1] == '.' {
			quote = true
		} else {
			for _, c := range s {
				if c == delim || c == q || c == '\n' || c == '\r' {
					quote = true
					break
				}
			}
		}
	}
	if !quote {
		return append(dst, s...)
	}
	dst = append(dst, q)
	if bytes.IndexByte(s, q) < 0 && bytes.IndexByte(s, esc) < 0 {
		dst = append(dst, s...)
	} else {
		start := 0
		for i, c := range s {
			if c == q || c == esc {
				dst = append(dst, s[start:i]...)
				dst = append(dst, esc)
				start = i
			}
		}
		dst = append(dst, s[start:]...)
	}
	return append(dst, q)
}
