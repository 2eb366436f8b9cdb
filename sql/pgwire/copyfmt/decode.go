package copyfmt

import (
	"bytes"

	"github.com/omendb/omendb/pgerr"
)

// Options are the COPY format options (see pgwire.CopyOptions). Zero values
// take PostgreSQL's defaults: Delimiter '\t' (text) or ',' (CSV); Null `\N`
// (text, unless NullSet) or "" (CSV); Quote '"'; Escape = Quote.
type Options struct {
	CSV               bool
	Delimiter         byte
	Null              string
	NullSet           bool // Null is used as given, even "" in text format (NULL '')
	Header            bool
	Quote             byte
	Escape            byte
	TrailingDelimiter bool // input lines end with one extra delimiter (dbgen .tbl)
	// Binary is FORMAT binary: fields are the types' binary send formats
	// and the text/CSV options do not apply.
	Binary bool
}

// WithDefaults returns o with PostgreSQL's defaults filled in.
func (o Options) WithDefaults() Options {
	if o.CSV {
		if o.Delimiter == 0 {
			o.Delimiter = ','
		}
		if o.Quote == 0 {
			o.Quote = '"'
		}
		if o.Escape == 0 {
			o.Escape = o.Quote
		}
	} else {
		if o.Delimiter == 0 {
			o.Delimiter = '\t'
		}
		if o.Null == "" && !o.NullSet {
			o.Null = `\N`
		}
	}
	return o
}

// Validate reports option combinations PostgreSQL rejects.
func (o Options) Validate() error {
	if o.Binary {
		if o.CSV || o.Header {
			return pgerr.New(pgerr.FeatureNotSupported, "cannot specify CSV or HEADER in BINARY mode")
		}
		return nil
	}
	o = o.WithDefaults()
	d := o.Delimiter
	if d == '\n' || d == '\r' {
		return pgerr.New(pgerr.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	}
	if bytes.ContainsAny([]byte(o.Null), "\r\n") {
		return pgerr.New(pgerr.InvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	}
	if !o.CSV {
		if d == '\\' || (d >= 'a' && d <= 'z') || (d >= '0' && d <= '9') || d == '.' {
			return pgerr.New(pgerr.InvalidParameterValue, "COPY delimiter cannot be %q", string(d))
		}
		return nil
	}
	if o.Quote == d {
		return pgerr.New(pgerr.InvalidParameterValue, "COPY delimiter and quote must be different")
	}
	if bytes.IndexByte([]byte(o.Null), d) >= 0 {
		return pgerr.New(pgerr.InvalidParameterValue, "COPY delimiter character must not appear in the NULL specification")
	}
	return nil
}

// emptyField is the value of a non-NULL empty field (never nil).
var emptyField = make([]byte, 0)

// Decoder decodes a COPY FROM text or CSV stream into rows. See the package
// documentation for ownership rules.
type Decoder struct {
	opts  Options
	names []string // column names, for messages
	ncols int      // expected fields per row; 0: any

	carry []byte // unfinished line from earlier chunks

	// Line-scan state carried across chunk boundaries.
	inQuote bool // CSV: inside a quoted field
	esc     bool // text: a backslash ended the chunk; CSV: an escape in quotes did

	line       int64 // lines consumed so far (1-based number of the current line)
	done       bool  // `\.` seen: ignore the rest
	skipHeader bool

	fields  [][]byte
	scratch []byte

	// binary format
	sawHeader bool
	pos       int // parse position in carry
}

// NewDecoder returns a Decoder for rows of the given columns (their names are
// used in error messages; their number is checked against every row unless
// columns is empty).
func NewDecoder(opts Options, columns []string) *Decoder {
	opts = opts.WithDefaults()
	return &Decoder{
		opts:       opts,
		names:      columns,
		ncols:      len(columns),
		skipHeader: opts.Header && !opts.Binary,
		fields:     make([][]byte, 0, len(columns)+1),
	}
}

// Line returns the number of the line last read (1-based), for error context.
func (d *Decoder) Line() int64 { return d.line }

// Ended reports whether the end-of-data line `\.` has been read.
func (d *Decoder) Ended() bool { return d.done }

func (d *Decoder) errorf(format string, args ...any) error {
	return pgerr.New(pgerr.BadCopyFileFormat, format, args...).WithDetail("COPY line %d", d.line)
}

// Write decodes one chunk of input, calling emit for every row it completes.
// chunk may end anywhere; its unfinished tail is copied. An error from emit
// is returned unchanged; the Decoder must not be used after an error.
func (d *Decoder) Write(chunk []byte, emit func(fields [][]byte) error) error {
	if d.opts.Binary {
		return d.writeBinary(chunk, emit)
	}
	for len(chunk) > 0 && !d.done {
		var end int
		if d.opts.CSV {
			end = d.scanCSV(chunk)
		} else {
			end = d.scanText(chunk)
		}
		if end < 0 {
			d.carry = append(d.carry, chunk...)
			return nil
		}
		line := chunk[:end]
		if len(d.carry) > 0 {
			d.carry = append(d.carry, line...)
			line = d.carry
		}
		chunk = chunk[end+1:]
		d.inQuote, d.esc = false, false
		err := d.processLine(line, emit)
		d.carry = d.carry[:0]
		if err != nil {
			return err
		}
	}
	return nil
}

// Finish ends the input: a last line without a newline is decoded.
func (d *Decoder) Finish(emit func(fields [][]byte) error) error {
	if d.opts.Binary {
		return d.finishBinary()
	}
	if d.done || len(d.carry) == 0 {
		return nil
	}
	if d.opts.CSV && d.inQuote {
		d.line++
		return d.errorf("unterminated CSV quoted field")
	}
	line := d.carry
	d.carry = nil
	d.inQuote, d.esc = false, false
	return d.processLine(line, emit)
}

// scanText returns the index in b of the newline ending the current line,
// or -1. A backslash escapes the next byte, even a newline.
func (d *Decoder) scanText(b []byte) int {
	i := 0
	if d.esc {
		d.esc = false
		i = 1
	}
	for {
		rest := b[i:]
		nl := bytes.IndexByte(rest, '\n')
		seg := rest
		if nl >= 0 {
			seg = rest[:nl]
		}
		bs := bytes.IndexByte(seg, '\\')
		if bs < 0 {
			if nl < 0 {
				return -1
			}
			return i + nl
		}
		i += bs + 1
		if i >= len(b) {
			d.esc = true
			return -1
		}
		i++ // the escaped byte
	}
}

// scanCSV returns the index in b of the newline ending the current line
// outside quotes, or -1.
func (d *Decoder) scanCSV(b []byte) int {
	q, e := d.opts.Quote, d.opts.Escape
	i := 0
	if d.esc {
		d.esc = false
		if b[0] == q || b[0] == e {
			i = 1
		}
	}
	for i < len(b) {
		if !d.inQuote {
			rest := b[i:]
			nl := bytes.IndexByte(rest, '\n')
			seg := rest
			if nl >= 0 {
				seg = rest[:nl]
			}
			qi := bytes.IndexByte(seg, q)
			if qi < 0 {
				if nl < 0 {
					return -1
				}
				return i + nl
			}
			i += qi + 1
			d.inQuote = true
			continue
		}
		if e == q {
			qi := bytes.IndexByte(b[i:], q)
			if qi < 0 {
				return -1
			}
			i += qi + 1
			d.inQuote = false
			continue
		}
		for i < len(b) {
			c := b[i]
			if c == e {
				if i+1 >= len(b) {
					d.esc = true
					return -1
				}
				if n := b[i+1]; n == q || n == e {
					i += 2
					continue
				}
				i++
				continue
			}
			i++
			if c == q {
				d.inQuote = false
				break
			}
		}
	}
	return -1
}

func (d *Decoder) processLine(line []byte, emit func([][]byte) error) error {
	d.line++
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 2 && line[0] == '\\' && line[1] == '.' {
		d.done = true
		return nil
	}
	if d.skipHeader {
		d.skipHeader = false
		return nil
	}
	var lastRawEmpty bool
	var err error
	if d.opts.CSV {
		lastRawEmpty, err = d.splitCSV(line)
	} else {
		if line, err = d.endMarker(line); err != nil {
			return err
		}
		if d.done && len(line) == 0 {
			return nil
		}
		lastRawEmpty = d.splitText(line)
	}
	if err != nil {
		return err
	}
	f := d.fields
	if d.opts.TrailingDelimiter && len(f) >= 2 && lastRawEmpty {
		f = f[:len(f)-1]
	}
	if d.ncols > 0 {
		if len(f) > d.ncols {
			return d.errorf("extra data after last expected column")
		}
		if len(f) < d.ncols {
			return d.errorf("missing data for column %q", d.names[len(f)])
		}
	}
	return emit(f)
}

func (d *Decoder) nullOr(raw []byte) []byte {
	if string(raw) == d.opts.Null {
		return nil
	}
	if len(raw) == 0 {
		return emptyField
	}
	return raw
}

// endMarker handles `\.` inside a text-format line as PostgreSQL 15 does:
// at the end of the line it ends the data after the text before it; followed
// by anything else it is an error.
func (d *Decoder) endMarker(line []byte) ([]byte, error) {
	i := 0
	for {
		bs := bytes.IndexByte(line[i:], '\\')
		if bs < 0 || i+bs+1 >= len(line) {
			return line, nil
		}
		i += bs + 1
		if line[i] == '.' {
			if i+1 != len(line) {
				return nil, d.errorf("end-of-copy marker corrupt")
			}
			d.done = true
			return line[:i-1], nil
		}
		i++
	}
}

// splitText splits a text-format line into d.fields and reports whether the
// last field's raw text was empty.
func (d *Decoder) splitText(line []byte) bool {
	f := d.fields[:0]
	delim := d.opts.Delimiter
	if bytes.IndexByte(line, '\\') < 0 {
		for {
			j := bytes.IndexByte(line, delim)
			if j < 0 {
				f = append(f, d.nullOr(line))
				d.fields = f
				return len(line) == 0
			}
			f = append(f, d.nullOr(line[:j]))
			line = line[j+1:]
		}
	}
	if cap(d.scratch) < len(line) {
		d.scratch = make([]byte, 0, len(line)+len(line)/2)
	}
	scratch := d.scratch[:0]
	i := 0
	for {
		start := i
		esc := false
		for {
			end := len(line)
			if j := bytes.IndexByte(line[i:], delim); j >= 0 {
				end = i + j
			}
			bs := bytes.IndexByte(line[i:end], '\\')
			if bs < 0 {
				i = end
				break
			}
			esc = true
			i += bs + 2 // skip the escaped byte, which may be the delimiter
			if i >= len(line) {
				i = len(line)
				break
			}
		}
		raw := line[start:i]
		switch {
		case string(raw) == d.opts.Null:
			f = append(f, nil)
		case !esc:
			if len(raw) == 0 {
				raw = emptyField
			}
			f = append(f, raw)
		default:
			o := len(scratch)
			scratch = unescapeText(scratch, raw)
			f = append(f, scratch[o:len(scratch):len(scratch)])
		}
		if i >= len(line) {
			d.fields = f
			d.scratch = scratch
			return len(raw) == 0
		}
		i++ // delimiter
	}
}

func octal(c byte) bool { return c >= '0' && c <= '7' }

func hexval(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescapeText appends the de-escaped raw field (PostgreSQL's
// CopyReadAttributesText). The result is never longer than raw.
func unescapeText(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 {
			return append(dst, raw[i:]...)
		}
		dst = append(dst, raw[i:i+j]...)
		i += j + 1
		if i >= len(raw) {
			return dst // a trailing backslash is dropped, as in PostgreSQL
		}
		c := raw[i]
		i++
		switch c {
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := c - '0'
			for k := 0; k < 2 && i < len(raw) && octal(raw[i]); k++ {
				v = v<<3 + (raw[i] - '0')
				i++
			}
			dst = append(dst, v)
		case 'x':
			if i < len(raw) {
				if h, ok := hexval(raw[i]); ok {
					i++
					if i < len(raw) {
						if h2, ok := hexval(raw[i]); ok {
							h = h<<4 | h2
							i++
						}
					}
					dst = append(dst, h)
					continue
				}
			}
			dst = append(dst, 'x')
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'v':
			dst = append(dst, '\v')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// splitCSV splits a CSV line into d.fields (PostgreSQL's
// CopyReadAttributesCSV) and reports whether the last field's raw text was
// empty.
func (d *Decoder) splitCSV(line []byte) (bool, error) {
	f := d.fields[:0]
	delim, q, e := d.opts.Delimiter, d.opts.Quote, d.opts.Escape
	if bytes.IndexByte(line, q) < 0 {
		for {
			j := bytes.IndexByte(line, delim)
			if j < 0 {
				f = append(f, d.nullOr(line))
				d.fields = f
				return len(line) == 0, nil
			}
			f = append(f, d.nullOr(line[:j]))
			line = line[j+1:]
		}
	}
	if cap(d.scratch) < len(line) {
		d.scratch = make([]byte, 0, len(line)+len(line)/2)
	}
	scratch := d.scratch[:0]
	i := 0
	for {
		start, o := i, len(scratch)
		quoted, inq := false, false
		for i < len(line) {
			c := line[i]
			if !inq {
				if c == delim {
					break
				}
				if c == q {
					inq, quoted = true, true
					i++
					continue
				}
				scratch = append(scratch, c)
				i++
				continue
			}
			if c == e && i+1 < len(line) && (line[i+1] == e || line[i+1] == q) {
				scratch = append(scratch, line[i+1])
				i += 2
				continue
			}
			if c == q {
				inq = false
				i++
				continue
			}
			scratch = append(scratch, c)
			i++
		}
		if inq {
			d.fields = f
			d.scratch = scratch
			return false, d.errorf("unterminated CSV quoted field")
		}
		raw := line[start:i]
		if !quoted && string(raw) == d.opts.Null {
			f = append(f, nil)
		} else {
			f = append(f, scratch[o:len(scratch):len(scratch)])
		}
		if i >= len(line) {
			d.fields = f
			d.scratch = scratch
			return len(raw) == 0, nil
		}
		i++
	}
}
