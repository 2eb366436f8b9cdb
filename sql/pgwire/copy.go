package pgwire

import (
	"errors"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgwire/copyfmt"
	"github.com/omendb/omendb/types"
)

func copyOptions(o CopyOptions) copyfmt.Options {
	return copyfmt.Options{
		CSV:               o.CSV,
		Delimiter:         o.Delimiter,
		Null:              o.Null,
		NullSet:           true,
		Header:            o.Header,
		Quote:             o.Quote,
		Escape:            o.Escape,
		TrailingDelimiter: o.TrailingDelimiter,
		Binary:            o.Binary,
	}
}

// runCopy drives the COPY sub-protocol for a COPY statement's result and
// returns its command tag.
func (c *conn) runCopy(res Result, cp Copy) (string, error) {
	o := cp.Options()
	opts := copyOptions(o)
	if err := opts.Validate(); err != nil {
		if cp.In() {
			cp.Abort()
		}
		return "", err
	}
	if cp.In() {
		return c.copyIn(cp, o, opts)
	}
	return c.copyOut(res, o, opts)
}

// copyIn runs COPY FROM STDIN. Abort is called on every path that does not
// reach Done, a panic included.
func (c *conn) copyIn(cp Copy, o CopyOptions, opts copyfmt.Options) (string, error) {
	finished := false
	defer func() {
		if !finished {
			cp.Abort()
		}
	}()
	names := make([]string, len(o.Columns))
	for i, col := range o.Columns {
		names[i] = col.Name
	}
	c.w.send(&pgproto3.CopyInResponse{OverallFormat: copyFormat(o), ColumnFormatCodes: columnFormats(o, len(o.Columns))})
	if err := c.w.flush(); err != nil {
		return "", err
	}
	dec := copyfmt.NewDecoder(opts, names)
	ctx := c.ctx
	emit := func(fields [][]byte) error {
		if err := cp.Row(ctx, fields); err != nil {
			return pgerr.CopyLine(err, dec.Line())
		}
		return nil
	}
	for {
		msg, err := c.receive()
		if err != nil {
			c.receiveError(err)
			return "", err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := dec.Write(m.Data, emit); err != nil {
				return "", err
			}
		case *pgproto3.CopyDone:
			if err := dec.Finish(emit); err != nil {
				return "", err
			}
			finished = true
			return cp.Done(ctx)
		case *pgproto3.CopyFail:
			return "", pgerr.New(pgerr.QueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
			// Ignored during COPY FROM, as in PostgreSQL.
		case *pgproto3.Terminate:
			c.dead = true
			return "", errors.New("client terminated the connection during COPY")
		default:
			return "", pgerr.New(pgerr.ProtocolViolation, "unexpected message type %T during COPY from stdin", msg)
		}
	}
}

func (c *conn) copyOut(res Result, o CopyOptions, opts copyfmt.Options) (string, error) {
	cols := o.Columns
	if cols == nil {
		cols = res.Columns()
	}
	ts := make([]types.Type, len(cols))
	names := make([]string, len(cols))
	for i, col := range cols {
		ts[i], names[i] = col.Type, col.Name
	}
	c.w.send(&pgproto3.CopyOutResponse{OverallFormat: copyFormat(o), ColumnFormatCodes: columnFormats(o, len(cols))})
	if o.Binary {
		return c.copyOutBinary(res, ts)
	}
	enc := copyfmt.NewEncoder(opts, len(cols))
	if opts.Header {
		sp := c.w.begin('d')
		c.w.buf = enc.AppendHeader(c.w.buf, names)
		c.w.end(sp)
	}
	for {
		row, err := res.Next(c.ctx)
		if err != nil {
			return "", err
		}
		if row == nil {
			break
		}
		sp := c.w.begin('d')
		c.w.buf = enc.AppendRow(c.w.buf, row, ts, c.loc)
		c.w.end(sp)
		c.w.maybeFlush()
	}
	c.w.simple('c') // CopyDone
	return res.Tag(), nil
}

func copyFormat(o CopyOptions) byte {
	if o.Binary {
		return 1
	}
	return 0
}

func columnFormats(o CopyOptions, n int) []uint16 {
	f := make([]uint16, n)
	if o.Binary {
		for i := range f {
			f[i] = 1
		}
	}
	return f
}

// copyOutBinary streams a binary COPY TO: the header goes with the first
// row, the trailer in its own CopyData, as PostgreSQL does.
func (c *conn) copyOutBinary(res Result, ts []types.Type) (string, error) {
	first := true
	for {
		row, err := res.Next(c.ctx)
		if err != nil {
			return "", err
		}
		sp := c.w.begin('d')
		if first {
			c.w.buf = copyfmt.AppendBinaryHeader(c.w.buf)
			first = false
		}
		if row == nil {
			c.w.buf = copyfmt.AppendBinaryTrailer(c.w.buf)
			c.w.end(sp)
			break
		}
		if c.w.buf, err = copyfmt.AppendBinaryRow(c.w.buf, row, ts); err != nil {
			c.w.truncate()
			return "", err
		}
		c.w.end(sp)
		c.w.maybeFlush()
	}
	c.w.simple('c') // CopyDone
	return res.Tag(), nil
}
