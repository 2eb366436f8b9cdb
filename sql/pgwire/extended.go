package pgwire

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// prepared is a statement created by Parse.
type prepared struct {
	name     string    // its key in conn.stmts
	st       Statement // nil for an empty query
	declared []types.OID

	mayCopy   bool // its text mentions copy: not executed inline (netio.go)
	described bool // params and cols hold Describe's answer
	params    []types.Type
	cols      []Column
}

// describe returns the statement's parameter and result types, analysing it
// on first use; fresh forces a new analysis (a Describe message).
func (p *prepared) describe(c *conn, fresh bool) ([]types.Type, []Column, error) {
	if p.st == nil {
		return nil, nil, nil
	}
	if p.described && !fresh {
		return p.params, p.cols, nil
	}
	params, cols, err := p.st.Describe(c.ctx)
	if err != nil {
		return nil, nil, err
	}
	p.params, p.cols, p.described = params, cols, true
	return params, cols, nil
}

// portal is a bound statement created by Bind.
type portal struct {
	name    string // its key in conn.portals
	stmt    *prepared
	params  []types.Value
	formats []int16 // result format codes as bound (0, 1 or n of them)

	res       Result // nil until the first Execute
	cols      []Column
	colFmts   []int16 // per column; nil when all text
	done      bool
	suspended bool // an Execute stopped at its row limit
	tag       string
}

func (p *portal) close() {
	if p.res != nil {
		_ = p.res.Close()
		p.res = nil
	}
}

// dropPortal closes and forgets portal p (named name). The unnamed portal,
// which every Bind of a prepared-statement round trip replaces, is kept as
// the conn's spare: the next Bind reuses it and its slices.
func (c *conn) dropPortal(name string, p *portal) {
	p.close()
	delete(c.portals, name)
	if name == "" {
		c.spare = p
	}
}

// newPortal returns a blank portal, the spare one if there is one; its
// params, formats and colFmts keep their storage for reuse.
func (c *conn) newPortal() *portal {
	p := c.spare
	if p == nil {
		return &portal{}
	}
	c.spare = nil
	*p = portal{params: p.params[:0], formats: p.formats[:0], colFmts: p.colFmts[:0]}
	return p
}

// resolveFormats expands Bind's result format codes to one per column;
// nil means all text. The expansion of one code reuses dst's storage.
func resolveFormats(dst, formats []int16, ncols int) ([]int16, error) {
	for _, f := range formats {
		if f != 0 && f != 1 {
			return nil, pgerr.New(pgerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
	}
	switch {
	case len(formats) == 0 || (len(formats) == 1 && formats[0] == 0):
		return nil, nil
	case len(formats) == 1:
		out := dst[:0]
		for range ncols {
			out = append(out, formats[0])
		}
		return out, nil
	case len(formats) == ncols:
		return append(dst[:0], formats...), nil // never formats itself: both are reused
	}
	return nil, pgerr.New(pgerr.ProtocolViolation, "bind message has %d result formats but query has %d columns", len(formats), ncols)
}

func (c *conn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			return pgerr.New(pgerr.DuplicatePreparedStatement, "prepared statement %q already exists", m.Name)
		}
	}
	declared := make([]types.OID, len(m.ParameterOIDs))
	for i, o := range m.ParameterOIDs {
		declared[i] = types.OID(o)
	}
	stmts, err := c.sess.Prepare(c.ctx, m.Query, declared)
	if err != nil {
		return err
	}
	if len(stmts) > 1 {
		return pgerr.New(pgerr.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	p := &prepared{name: m.Name, declared: declared, mayCopy: mentionsCopy(m.Query)}
	if len(stmts) == 1 {
		p.st = stmts[0]
	}
	c.stmts[m.Name] = p
	c.w.simple('1') // ParseComplete
	return nil
}

func (c *conn) bind(m *pgproto3.Bind) error {
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement %q does not exist", m.PreparedStatement)
	}
	if m.DestinationPortal != "" {
		if _, ok := c.portals[m.DestinationPortal]; ok {
			return pgerr.New(pgerr.DuplicateCursor, "portal %q already exists", m.DestinationPortal)
		}
	} else if old := c.portals[""]; old != nil {
		c.dropPortal("", old)
	}
	var ptypes []types.Type
	if ps.st != nil && (len(m.Parameters) > 0 || !ps.described) {
		var err error
		if ptypes, _, err = ps.describe(c, false); err != nil {
			return err
		}
	} else {
		ptypes = ps.params
	}
	if len(m.Parameters) != len(ptypes) {
		return pgerr.New(pgerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d",
			len(m.Parameters), m.PreparedStatement, len(ptypes))
	}
	pf := m.ParameterFormatCodes
	if len(pf) > 1 && len(pf) != len(m.Parameters) {
		return pgerr.New(pgerr.ProtocolViolation, "bind message has %d parameter formats but %d parameters", len(pf), len(m.Parameters))
	}
	p := c.newPortal()
	vals := p.params
	for i, raw := range m.Parameters {
		vals = append(vals, types.Null)
		if raw == nil {
			continue // NULL
		}
		var f int16
		switch len(pf) {
		case 0:
		case 1:
			f = pf[0]
		default:
			f = pf[i]
		}
		t := ptypes[i].WithoutMod()
		if t.OID == 0 {
			t = types.Text
		}
		var v types.Value
		var err error
		switch f {
		case 0:
			v, err = types.ParseText(t, paramText(t.OID, raw), c.loc)
		case 1:
			v, err = types.ParseBinary(t, raw)
		default:
			return pgerr.New(pgerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
		if err != nil {
			return fmt.Errorf("bind parameter $%d: %w", i+1, err)
		}
		vals[i] = v
	}
	var formats []int16
	if len(m.ResultFormatCodes) > 0 && (len(m.ResultFormatCodes) > 1 || m.ResultFormatCodes[0] != 0) {
		// (One 0 code, libpq's default, is all text: nil.)
		formats = append(p.formats, m.ResultFormatCodes...)
		// Check the codes now, as PostgreSQL does at Bind.
		ncols := len(formats)
		if len(formats) > 1 && ps.st != nil {
			_, cols, err := ps.describe(c, false)
			if err != nil {
				return err
			}
			ncols = len(cols)
		}
		if _, err := resolveFormats(nil, formats, ncols); err != nil {
			return err
		}
	}
	p.name, p.stmt, p.params, p.formats = m.DestinationPortal, ps, vals, formats
	if len(vals) == 0 {
		p.params = nil // as before: no parameters, no slice
	}
	c.portals[m.DestinationPortal] = p
	c.w.simple('2') // BindComplete
	return nil
}

// paramText is a text-format parameter as the string types.ParseText
// takes. Integers are parsed from the message's own bytes, without a copy:
// their values keep nothing of the text, and a parse error's message is
// formatted before the bytes are reused (pgerr.New). Other types may keep
// the string (text values do), so they get a copy.
func paramText(oid types.OID, raw []byte) string {
	switch oid {
	case types.OIDInt2, types.OIDInt4, types.OIDInt8:
		if len(raw) > 0 {
			return unsafe.String(&raw[0], len(raw))
		}
	}
	return string(raw)
}

func (c *conn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		ps, ok := c.stmts[m.Name]
		if !ok {
			return pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement %q does not exist", m.Name)
		}
		params, cols, err := ps.describe(c, true)
		if err != nil {
			return err
		}
		oids := make([]uint32, len(params))
		for i, t := range params {
			oids[i] = uint32(t.OID)
		}
		c.w.send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		if cols == nil {
			c.w.simple('n') // NoData
		} else {
			c.w.rowDescription(cols, nil)
		}
		return nil
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			return pgerr.New(pgerr.InvalidCursorName, "portal %q does not exist", m.Name)
		}
		cols := p.cols
		if p.res == nil && !p.done {
			var err error
			if _, cols, err = p.stmt.describe(c, false); err != nil {
				return err
			}
		}
		if cols == nil {
			c.w.simple('n')
			return nil
		}
		fmts, err := resolveFormats(nil, p.formats, len(cols))
		if err != nil {
			return err
		}
		c.w.rowDescription(cols, fmts)
		return nil
	}
	return pgerr.New(pgerr.ProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType)
}

func (c *conn) closeMsg(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		if p := c.portals[m.Name]; p != nil {
			c.dropPortal(m.Name, p)
		}
	default:
		return pgerr.New(pgerr.ProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.w.simple('3') // CloseComplete
	return nil
}

// execute runs (or continues) a portal, sending at most m.MaxRows rows
// (0: all) and then CommandComplete or PortalSuspended.
func (c *conn) execute(m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return pgerr.New(pgerr.InvalidCursorName, "portal %q does not exist", m.Portal)
	}
	if p.stmt.st == nil {
		c.w.simple('I') // EmptyQueryResponse
		return nil
	}
	if p.done {
		// PostgreSQL counts the rows of this Execute: none.
		c.sendNotices()
		c.w.commandComplete(selectTag(p.tag, 0))
		return nil
	}
	err := c.runPortal(p, int(m.MaxRows))
	c.syncParams()
	if err != nil {
		p.close()
		p.done, p.tag = true, ""
	}
	return err
}

func (c *conn) runPortal(p *portal, maxRows int) error {
	if p.res == nil {
		res, err := p.stmt.st.Execute(c.ctx, p.params)
		if err != nil {
			return err
		}
		p.res = res
		if cp := res.Copy(); cp != nil {
			tag, err := c.runCopy(res, cp)
			p.close()
			p.done, p.tag = true, tag
			if err != nil {
				return err
			}
			c.sendNotices()
			c.w.commandComplete(tag)
			return nil
		}
		p.cols = res.Columns()
		if p.colFmts, err = resolveFormats(p.colFmts, p.formats, len(p.cols)); err != nil {
			return err
		}
	}
	for n := 0; maxRows <= 0 || n < maxRows; n++ {
		row, err := p.res.Next(c.ctx)
		if err != nil {
			return err
		}
		if row == nil {
			p.tag = p.res.Tag()
			p.close()
			p.done = true
			tag := p.tag
			if p.suspended {
				// As PostgreSQL: a resumed portal's tag counts this Execute's rows.
				tag = selectTag(tag, n)
			}
			c.sendNotices()
			c.w.commandComplete(tag)
			return nil
		}
		if err := c.w.dataRow(row, p.cols, p.colFmts, c); err != nil {
			return err
		}
		c.w.maybeFlush()
	}
	p.suspended = true
	c.w.simple('s') // PortalSuspended
	_ = c.w.flush()
	return nil
}

// selectTag replaces the row count of a "SELECT n" tag; other tags are
// returned unchanged.
func selectTag(tag string, n int) string {
	if !strings.HasPrefix(tag, "SELECT ") {
		return tag
	}
	return "SELECT " + strconv.Itoa(n)
}
