package sql

import (
	"context"
	"fmt"
	"strings"
	"unsafe"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// defElemString is an option's value as text (a name, string, boolean or
// integer; "" when it has none).
func defElemString(d *pg.DefElem) string {
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
	if tn := d.Arg.GetTypeName(); tn != nil { // a bare word: WITH (check_option = local)
		if names := nodeNames(tn.Names); len(names) > 0 {
			return names[len(names)-1]
		}
	}
	return ""
}

func copyOptions(opts []*pg.Node) (pgwire.CopyOptions, error) {
	o := pgwire.CopyOptions{}
	var delim, quote, escape *string
	for _, n := range opts {
		d := n.GetDefElem()
		str := func() string { return defElemString(d) }
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
		if err := t.Refuse(); err != nil {
			return nil, err
		}
		cols, err := copyColumns(t, cs.Attlist, true)
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
		ci.encode = !t.HasGenerated() // generated values are computed when the row is written
		for _, d := range ci.defaults {
			if d != nil {
				ci.encode = false
			}
		}
		if t.HasTriggers(catalog.TriggerInsert) {
			// Each row goes through the INSERT triggers, which may change
			// it: nothing is encoded ahead.
			ci.triggers, ci.encode = true, false
			ci.ctx = s.execCtx(ctx, nil)
			if err := exec.StatementTriggers(ci.ctx, t, true, catalog.TriggerInsert, nil); err != nil {
				return nil, err
			}
		}
		return &result{copy: ci}, nil
	}
	// COPY … TO STDOUT
	var root plan.Node
	if cs.Query != nil {
		sel := cs.Query.GetSelectStmt()
		if cs.Query.GetMergeStmt() != nil {
			return nil, pgerr.NotSupported("MERGE not supported in COPY")
		}
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
		cols, err := copyColumns(t, cs.Attlist, false)
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

// copyColumns resolves COPY's column list: without one, every column but
// the generated ones (as PostgreSQL copies them); COPY FROM cannot name a
// generated column (42P10).
func copyColumns(t *catalog.Table, attlist []*pg.Node, from bool) ([]int, error) {
	var cols []int
	if len(attlist) == 0 {
		for i, c := range t.Columns {
			if !c.Dropped && c.Generated == "" {
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
		if from && t.Columns[i].Generated != "" {
			return nil, pgerr.New(pgerr.InvalidColumnReference, "column %q is a generated column", name).
				WithDetail("Generated columns cannot be used in COPY.")
		}
		cols = append(cols, i)
	}
	return cols, nil
}

// copyIn receives COPY FROM rows into the transaction.
//
// Fields are parsed on a goroutine of their own while the session's
// goroutine decodes the next lines and inserts the rows parsed before
// (both cores busy): Row copies each row's fields into the current batch
// of copyBatchRows rows; a full batch goes to the parser; once more than
// copyBatchesAhead batches are out, the oldest is waited for and its rows
// inserted in order. Errors come out in input order, as without the
// pipeline — a row's insert error before a later row's parse error — and
// carry their own line number ("COPY line N": the pgwire decoder counts one
// line per row, plus the header), since the decoder has moved on by then.
//
// When no column takes a default, the parser also encodes each row
// (types.EncodeRow) and the write set keeps only that encoding
// (oltp.Writes.PutEncoded), so the commit — which runs alone after the last
// row — does not encode millions of rows again, and a batch's parsed values
// (48 bytes a column, plus a numeric's decimal) are garbage once it is
// inserted: a COPY holds about the encoded size of its rows until it
// commits, not their decoded values, which the collector would have to
// scan again and again. Dates written YYYY-MM-DD and
// numeric(p,s) values that need no rounding (p <= 18) are parsed by fast
// paths (isoDate, fixedNumeric) that give ParseText's values; anything else
// goes to ParseText.
type copyIn struct {
	s        *Session
	t        *catalog.Table
	cols     []int
	defaults []plan.Expr
	opts     pgwire.CopyOptions
	n        int64 // rows inserted
	implicit bool
	ctx      *exec.Ctx

	w *txnView // the statement's writer (made at the first insert)
	// triggers: the table has INSERT triggers, fired per row (after
	// queues the AFTER ROW ones until Done).
	triggers bool
	after    exec.AfterRows
	encode   bool         // no defaults to fill: the parser encodes each row too
	seen     int64        // rows received by Row
	cur      *copyBatch   // batch being filled
	pending  []*copyBatch // batches handed to the parser, oldest first
	jobs     chan *copyBatch
}

// copyBatchRows is how many rows are parsed as one batch, and
// copyBatchesAhead how many batches may be handed to the parser before the
// oldest must be inserted.
const (
	copyBatchRows    = 1024
	copyBatchesAhead = 2
)

// copyBatch is a batch of rows' fields (copied: the decoder reuses its
// buffers) and, once parsed, their values.
type copyBatch struct {
	first int64   // row number (1-based) of the batch's first row
	buf   []byte  // the fields' bytes back to back; never modified once parsed (values alias it)
	ends  []int32 // per row and column: end of the field in buf, -1 for NULL
	n     int     // rows
	// Set by the parser before done is closed.
	rows [][]types.Value
	encs [][]byte // rows[i] encoded (types.EncodeRow) when copyIn.encode
	err  error    // parse error of row rows[len(rows)] (the rows before it parsed)
	done chan struct{}
}

func (c *copyIn) In() bool                    { return true }
func (c *copyIn) Options() pgwire.CopyOptions { return c.opts }

func (c *copyIn) Row(ctx context.Context, fields [][]byte) error {
	c.seen++
	if len(fields) != len(c.cols) {
		// Earlier rows' errors come first.
		if err := c.drain(ctx, 0); err != nil {
			return err
		}
		if len(fields) > len(c.cols) {
			return pgerr.New(pgerr.BadCopyFileFormat, "extra data after last expected column")
		}
		return pgerr.New(pgerr.BadCopyFileFormat, "missing data for column %q", c.t.Columns[c.cols[len(fields)]].Name)
	}
	b := c.cur
	if b == nil {
		b = &copyBatch{first: c.seen, buf: make([]byte, 0, 64<<10), ends: make([]int32, 0, copyBatchRows*len(c.cols))}
		c.cur = b
	}
	for _, f := range fields {
		if f == nil {
			b.ends = append(b.ends, -1)
			continue
		}
		b.buf = append(b.buf, f...)
		b.ends = append(b.ends, int32(len(b.buf)))
	}
	b.n++
	if b.n == copyBatchRows || len(b.buf) > 1<<30 {
		return c.submit(ctx)
	}
	return nil
}

// submit hands the current batch to the parser and inserts the oldest
// parsed batches beyond copyBatchesAhead.
func (c *copyIn) submit(ctx context.Context) error {
	b := c.cur
	if b == nil {
		return nil
	}
	c.cur = nil
	if c.jobs == nil {
		c.jobs = make(chan *copyBatch, copyBatchesAhead+1)
		go c.parser(c.jobs)
	}
	b.done = make(chan struct{})
	c.jobs <- b
	c.pending = append(c.pending, b)
	return c.drain(ctx, copyBatchesAhead)
}

// drain inserts the pending batches, oldest first, until at most keep are
// left.
func (c *copyIn) drain(ctx context.Context, keep int) error {
	for len(c.pending) > keep {
		b := c.pending[0]
		c.pending = c.pending[1:]
		<-b.done
		if err := c.insert(ctx, b); err != nil {
			c.pending = nil
			return err
		}
	}
	return nil
}

// line is the input line of row number row (see copyIn).
func (c *copyIn) line(row int64) int64 {
	if c.opts.Header {
		return row + 1
	}
	return row
}

// insert evaluates the defaults of b's parsed rows and writes them, then
// returns b's parse error if it has one.
func (c *copyIn) insert(ctx context.Context, b *copyBatch) error {
	if c.ctx != nil {
		c.ctx.Context = ctx
	}
	for ri, row := range b.rows {
		for i, d := range c.defaults {
			if d == nil {
				continue
			}
			if c.ctx == nil {
				c.ctx = c.s.execCtx(ctx, nil)
			}
			v, err := exec.Eval(c.ctx, d, nil)
			if err != nil {
				return pgerr.CopyLine(err, c.line(b.first+int64(ri)))
			}
			row[i] = v
		}
		if c.w == nil {
			c.w = c.s.writer()
		}
		var enc []byte
		if b.encs != nil {
			enc = b.encs[ri]
		}
		if c.triggers {
			var err error
			if row, err = exec.BeforeRow(c.ctx, c.t, catalog.TriggerInsert, nil, nil, row); err != nil {
				return pgerr.CopyLine(err, c.line(b.first+int64(ri)))
			} else if row == nil {
				continue // a BEFORE trigger skipped it
			}
		}
		if _, err := c.w.insertEncoded(c.t, row, enc); err != nil {
			return pgerr.CopyLine(err, c.line(b.first+int64(ri)))
		}
		if c.triggers {
			c.after.Add(c.t, catalog.TriggerInsert, nil, nil, row)
		}
		c.n++
	}
	if b.err != nil {
		return pgerr.CopyLine(b.err, c.line(b.first+int64(len(b.rows))))
	}
	return nil
}

// parser parses the batches it is handed until jobs is closed. It reads
// only the batch, the table definition and the session's time zone.
func (c *copyIn) parser(jobs chan *copyBatch) {
	nc := len(c.t.Columns)
	typs := make([]types.Type, len(c.cols))
	isDate := make([]bool, len(c.cols))
	// numeric(p,s) columns with 0 <= s, p <= 18 take fixedNumeric's fast
	// path: numScale s, else -1.
	numPrec, numScale := make([]int32, len(c.cols)), make([]int32, len(c.cols))
	for i, col := range c.cols {
		typs[i] = c.t.Columns[col].Type
		isDate[i] = typs[i].OID == types.OIDDate
		numScale[i] = -1
		if m := typs[i].Mod - 4; typs[i].OID == types.OIDNumeric && m >= 0 && !c.opts.Binary {
			p, s := (m>>16)&0xffff, ((m&0x7ff)^1024)-1024
			if s >= 0 && s <= p && p <= 18 {
				numPrec[i], numScale[i] = p, s
			}
		}
	}
	binary := c.opts.Binary
	loc := c.s.loc
	encode := c.encode
	// The batch's rows are encoded back to back into scratch (reused), then
	// copied into a block of exactly their size: the row store keeps the
	// block as long as any of its rows, so no slack may ride along.
	var scratch []byte
	var ends []int
	for b := range jobs {
		slab := make([]types.Value, b.n*nc) // one allocation per batch, not per row
		b.rows = make([][]types.Value, 0, b.n)
		enc := scratch[:0]
		ends = ends[:0]
		start, k := int32(0), 0
	rows:
		for r := 0; r < b.n; r++ {
			row := slab[r*nc : (r+1)*nc : (r+1)*nc]
			for i, col := range c.cols {
				end := b.ends[k]
				k++
				if end < 0 {
					continue
				}
				f := b.buf[start:end:end]
				start = end
				var v types.Value
				var err error
				switch {
				case binary:
					v, err = types.ParseBinary(typs[i], f)
				case len(f) == 0:
					v, err = types.ParseText(typs[i], "", loc)
				case numScale[i] >= 0:
					if d, ok := fixedNumeric(f, numPrec[i], numScale[i]); ok {
						v = types.NewNumeric(d)
						break
					}
					v, err = types.ParseText(typs[i], unsafe.String(&f[0], len(f)), loc)
				case isDate[i] && len(f) == 10:
					if d, ok := isoDate(f); ok {
						v = types.NewDate(d)
						break
					}
					v, err = types.ParseText(typs[i], unsafe.String(&f[0], len(f)), loc)
				default:
					// The batch's bytes never change once parsed: values may
					// alias them.
					v, err = types.ParseText(typs[i], unsafe.String(&f[0], len(f)), loc)
				}
				if err != nil {
					if pe, ok := err.(*pgerr.Error); ok {
						err = pe.WithDetail("COPY %s, column %s", c.t.Name, c.t.Columns[col].Name)
					}
					b.err = err
					break rows
				}
				row[col] = v
			}
			b.rows = append(b.rows, row)
			if encode {
				enc = types.EncodeRow(enc, row)
				ends = append(ends, len(enc))
			}
		}
		if encode {
			block := append(make([]byte, 0, len(enc)), enc...)
			b.encs = make([][]byte, len(ends))
			from := 0
			for i, e := range ends {
				b.encs[i] = block[from:e:e]
				from = e
			}
			scratch = enc
		}
		close(b.done)
	}
}

// pow10 holds 10^0 … 10^18.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// fixedNumeric parses a numeric(prec, scale) field written [-]digits[.digits]
// with at most scale fraction digits and a value that fits the precision
// (prec <= 18: the coefficient fits an int64) to the decimal
// types.ParseText makes of it (coefficient scaled to exactly scale digits),
// in one allocation. It reports false for anything else — other forms,
// rounding, overflow, negative zero — which ParseText handles.
func fixedNumeric(f []byte, prec, scale int32) (*apd.Decimal, bool) {
	neg := len(f) > 0 && f[0] == '-'
	if neg {
		f = f[1:]
	}
	var coef int64
	digits, frac := 0, -1 // digits read; fraction digits (-1: no point yet)
	for _, c := range f {
		switch {
		case c >= '0' && c <= '9':
			if digits == 18 {
				return nil, false
			}
			coef = coef*10 + int64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return nil, false
		}
	}
	if frac < 0 {
		frac = 0
	}
	if digits == 0 || frac == 0 && len(f) > 0 && f[len(f)-1] == '.' || int32(frac) > scale {
		return nil, false
	}
	if k := int(scale) - frac; k > 0 {
		if coef > (pow10[18]-1)/pow10[k] {
			return nil, false
		}
		coef *= pow10[k]
	}
	if coef >= pow10[prec] || neg && coef == 0 {
		return nil, false
	}
	d := new(apd.Decimal)
	d.Coeff.SetInt64(coef)
	d.Exponent = -scale
	d.Negative = neg
	return d, true
}

// isoDate parses a date written YYYY-MM-DD (dbgen's and pg_dump's form,
// years 0001–9999) to days since 1970-01-01, as types.ParseText does, and
// reports false for anything else — other forms, and invalid dates, whose
// errors ParseText reports.
func isoDate(f []byte) (int64, bool) {
	if len(f) != 10 || f[4] != '-' || f[7] != '-' {
		return 0, false
	}
	num := func(b []byte) (int64, bool) {
		n := int64(0)
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int64(c-'0')
		}
		return n, true
	}
	y, ok1 := num(f[:4])
	m, ok2 := num(f[5:7])
	d, ok3 := num(f[8:])
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
	dim := [13]int64{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && leap {
		dim = 29
	}
	if d > dim {
		return 0, false
	}
	// Days from civil (proleptic Gregorian; y >= 1, so no negative eras).
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468, true
}

// stop ends the parser (its pending batches are finished and dropped).
func (c *copyIn) stop() {
	if c.jobs != nil {
		close(c.jobs)
		c.jobs = nil
	}
	c.pending, c.cur = nil, nil
}

func (c *copyIn) Done(ctx context.Context) (string, error) {
	err := c.submit(ctx)
	if err == nil {
		err = c.drain(ctx, 0)
	}
	if err == nil && c.triggers {
		c.ctx.Context = ctx
		if err = c.after.Fire(c.ctx); err == nil {
			err = exec.StatementTriggers(c.ctx, c.t, false, catalog.TriggerInsert, nil)
		}
	}
	if err == nil {
		err = c.s.fkRun(ctx, false) // the statement's foreign-key checks
	}
	c.stop()
	if err != nil {
		c.Abort()
		return "", err
	}
	if c.implicit {
		if err := c.s.commit(ctx); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("COPY %d", c.n), nil
}

func (c *copyIn) Abort() {
	c.stop()
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
