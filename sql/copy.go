package sql

import (
	"context"
	"fmt"
	"strings"
	"unsafe"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

func copyOptions(opts []*pg.Node) (pgwire.CopyOptions, error) {
	o := pgwire.CopyOptions{}
	var delim, quote, escape *string
	for _, n := range opts {
		d := n.GetDefElem()
		str := func() string {
			if d.Arg == nil {
				return ""
			}
			if s := d.Arg.GetString_(); s != nil {
				return s.Sval
			}
			if c := d.Arg.GetAConst(); c != nil {
				if sv, ok := c.Val.(*pg.A_Const_Sval); ok {
					return sv.Sval.Sval
				}
			}
			if b := d.Arg.GetBoolean(); b != nil {
				return map[bool]string{true: "true", false: "false"}[b.Boolval]
			}
			if i := d.Arg.GetInteger(); i != nil {
				return fmt.Sprint(i.Ival)
			}
			return ""
		}
		switch d.Defname {
		case "format":
			switch strings.ToLower(str()) {
			case "csv":
				o.CSV = true
			case "text":
			case "binary":
				o.Binary = true
			default:
				return o, pgerr.New(pgerr.InvalidParameterValue, "COPY format %q not recognized", str())
			}
		case "delimiter":
			v := str()
			delim = &v
		case "null":
			v := str()
			o.Null = v
			if v == "" {
				o.Null = "\x00empty"
			}
		case "header":
			v := strings.ToLower(str())
			o.Header = d.Arg == nil || v == "true" || v == "on" || v == "1"
		case "quote":
			v := str()
			quote = &v
		case "escape":
			v := str()
			escape = &v
		case "freeze", "encoding":
			// FREEZE is a storage hint; the encoding is always UTF8.
		case "force_quote", "force_not_null", "force_null":
			return o, pgerr.NotSupported("COPY option %s is not supported yet", d.Defname)
		default:
			return o, pgerr.New(pgerr.SyntaxError, "option %q not recognized", d.Defname)
		}
	}
	if delim != nil {
		if len(*delim) != 1 {
			return o, pgerr.NotSupported("COPY delimiter must be a single one-byte character")
		}
		o.Delimiter = (*delim)[0]
	} else if o.CSV {
		o.Delimiter = ','
	} else {
		o.Delimiter = '\t'
	}
	if o.Null == "" {
		if o.CSV {
			o.Null = ""
		} else {
			o.Null = `\N`
		}
	} else if o.Null == "\x00empty" {
		o.Null = ""
	}
	if quote != nil {
		if !o.CSV {
			return o, pgerr.NotSupported("COPY quote available only in CSV mode")
		}
		if len(*quote) != 1 {
			return o, pgerr.NotSupported("COPY quote must be a single one-byte character")
		}
		o.Quote = (*quote)[0]
	} else if o.CSV {
		o.Quote = '"'
	}
	if escape != nil {
		if len(*escape) != 1 {
			return o, pgerr.NotSupported("COPY escape must be a single one-byte character")
		}
		o.Escape = (*escape)[0]
	} else if o.CSV {
		o.Escape = o.Quote
	}
	return o, nil
}

func (s *Session) copyStmt(ctx context.Context, cs *pg.CopyStmt) (*result, error) {
	if cs.Filename != "" || cs.IsProgram {
		return nil, pgerr.New(pgerr.InsufficientPrivilege, "COPY to or from a file or program is not allowed; use COPY … FROM STDIN / TO STDOUT (psql's \\copy)")
	}
	opts, err := copyOptions(cs.Options)
	if err != nil {
		return nil, err
	}
	if cs.WhereClause != nil {
		return nil, pgerr.NotSupported("COPY … WHERE is not supported yet")
	}
	if cs.IsFrom {
		if err := s.checkWrite(); err != nil {
			return nil, err
		}
		rv := cs.Relation
		t, err := s.lookupTable(rv)
		if err != nil {
			return nil, err
		}
		if t.ReadOnly != "" {
			return nil, pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", t.Name, t.ReadOnly)
		}
		cols, err := copyColumns(t, cs.Attlist)
		if err != nil {
			return nil, err
		}
		b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
		ci := &copyIn{s: s, t: t, cols: cols, defaults: make([]plan.Expr, len(t.Columns))}
		given := map[int]bool{}
		for _, c := range cols {
			given[c] = true
			opts.Columns = append(opts.Columns, pgwire.Column{Name: t.Columns[c].Name, Type: t.Columns[c].Type})
		}
		for i := range t.Columns {
			if !given[i] && !t.Columns[i].Dropped {
				if ci.defaults[i], err = b.BindDefault(t, i); err != nil {
					return nil, err
				}
			}
		}
		ci.opts = opts
		ci.implicit = !s.txn.explicit
		return &result{copy: ci}, nil
	}
	// COPY … TO STDOUT
	var root plan.Node
	if cs.Query != nil {
		sel := cs.Query.GetSelectStmt()
		if sel == nil {
			return nil, pgerr.NotSupported("COPY (statement) TO supports SELECT only")
		}
		b := plan.NewBinder(s.catalog(), s, s.loc, nil)
		q, err := b.BindQuery(sel)
		if err != nil {
			return nil, err
		}
		root = q.Root
	} else {
		t, err := s.lookupTable(cs.Relation)
		if err != nil {
			return nil, err
		}
		cols, err := copyColumns(t, cs.Attlist)
		if err != nil {
			return nil, err
		}
		b := plan.NewBinder(s.catalog(), s, s.loc, nil)
		stmts, err := plan.Parse(copySelect(t, cols))
		if err != nil {
			return nil, err
		}
		q, err := b.BindQuery(stmts[0].Stmt.GetSelectStmt())
		if err != nil {
			return nil, err
		}
		root = q.Root
	}
	for _, c := range root.Columns() {
		opts.Columns = append(opts.Columns, pgwire.Column{Name: c.Name, Type: c.T, TableOID: c.TableOID, AttNum: c.AttNum})
	}
	it, err := exec.Open(s.execCtx(ctx, nil), root)
	if err != nil {
		return nil, err
	}
	return &result{lazy: it, tagFmt: "COPY %d", copy: &copyOut{opts: opts}}, nil
}

func copySelect(t *catalog.Table, cols []int) string {
	var names []string
	for _, c := range cols {
		names = append(names, pgQuoteIdent(t.Columns[c].Name))
	}
	return fmt.Sprintf("SELECT %s FROM %s.%s", strings.Join(names, ", "), pgQuoteIdent(t.Schema), pgQuoteIdent(t.Name))
}

func pgQuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func copyColumns(t *catalog.Table, attlist []*pg.Node) ([]int, error) {
	var cols []int
	if len(attlist) == 0 {
		for i, c := range t.Columns {
			if !c.Dropped {
				cols = append(cols, i)
			}
		}
		return cols, nil
	}
	for _, a := range attlist {
		name := a.GetString_().GetSval()
		i := t.ColumnIndex(name)
		if i < 0 {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", name, t.Name)
		}
		cols = append(cols, i)
	}
	return cols, nil
}

// copyIn receives COPY FROM rows into the transaction.
type copyIn struct {
	s        *Session
	t        *catalog.Table
	cols     []int
	defaults []plan.Expr
	opts     pgwire.CopyOptions
	n        int64
	implicit bool
	ctx      *exec.Ctx
	// slab: rows are cut from it, copySlabRows at a time (one allocation
	// instead of one per row; rows are never appended to).
	slab []types.Value
	// inPlace[i]: column cols[i] is parsed without copying its field
	// (parsesInPlace).
	inPlace []bool
}

// copySlabRows is how many rows copyIn allocates at once.
const copySlabRows = 256

// parsesInPlace reports whether the text input of type oid keeps nothing of
// its input string (numbers, dates, times, booleans), so that a COPY field
// can be parsed through a string that aliases the decoder's buffer.
func parsesInPlace(oid types.OID) bool {
	switch oid {
	case types.OIDBool, types.OIDInt2, types.OIDInt4, types.OIDInt8, types.OIDFloat4, types.OIDFloat8,
		types.OIDNumeric, types.OIDDate, types.OIDTimestamp, types.OIDTimestampTZ:
		return true
	}
	return false
}

func (c *copyIn) In() bool                    { return true }
func (c *copyIn) Options() pgwire.CopyOptions { return c.opts }

func (c *copyIn) Row(ctx context.Context, fields [][]byte) error {
	if len(fields) > len(c.cols) {
		return pgerr.New(pgerr.BadCopyFileFormat, "extra data after last expected column")
	}
	if len(fields) < len(c.cols) {
		return pgerr.New(pgerr.BadCopyFileFormat, "missing data for column %q", c.t.Columns[c.cols[len(fields)]].Name)
	}
	nc := len(c.t.Columns)
	if len(c.slab) < nc {
		c.slab = make([]types.Value, nc*copySlabRows)
	}
	row := c.slab[:nc:nc]
	c.slab = c.slab[nc:]
	if c.inPlace == nil {
		c.inPlace = make([]bool, len(c.cols))
		for i, col := range c.cols {
			c.inPlace[i] = parsesInPlace(c.t.Columns[col].Type.OID)
		}
	}
	for i, col := range c.cols {
		f := fields[i]
		if f == nil {
			continue
		}
		typ := c.t.Columns[col].Type
		var v types.Value
		var err error
		switch {
		case c.opts.Binary:
			v, err = types.ParseBinary(typ, f)
		case c.inPlace[i] && len(f) > 0:
			// The field's bytes are reused after Row returns; these types'
			// input functions keep nothing of the string (errors format it
			// at once).
			v, err = types.ParseText(typ, unsafe.String(&f[0], len(f)), c.s.loc)
		default:
			v, err = types.ParseText(typ, string(f), c.s.loc)
		}
		if err != nil {
			if pe, ok := err.(*pgerr.Error); ok {
				return pe.WithDetail("COPY %s, column %s", c.t.Name, c.t.Columns[col].Name)
			}
			return err
		}
		row[col] = v
	}
	for i, d := range c.defaults {
		if d == nil {
			continue
		}
		if c.ctx == nil {
			c.ctx = c.s.execCtx(ctx, nil)
		}
		v, err := exec.Eval(c.ctx, d, nil)
		if err != nil {
			return err
		}
		row[i] = v
	}
	if _, err := c.s.writer().Insert(c.t, row); err != nil {
		return err
	}
	c.n++
	return nil
}

func (c *copyIn) Done(ctx context.Context) (string, error) {
	if c.implicit {
		if err := c.s.commit(ctx); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("COPY %d", c.n), nil
}

func (c *copyIn) Abort() {
	if c.implicit {
		c.s.endTxn()
	} else if c.s.txn != nil {
		c.s.failed = true
	}
}

// copyOut is COPY TO STDOUT: pgwire pulls rows from the result.
type copyOut struct{ opts pgwire.CopyOptions }

func (c *copyOut) In() bool                    { return false }
func (c *copyOut) Options() pgwire.CopyOptions { return c.opts }
func (c *copyOut) Row(context.Context, [][]byte) error {
	return pgerr.New(pgerr.ProtocolViolation, "COPY TO takes no input")
}
func (c *copyOut) Done(context.Context) (string, error) { return "", nil }
func (c *copyOut) Abort()                               {}
