package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Env is what binding needs from the session besides the catalog.
type Env interface {
	// Setting returns a session setting (search_path, TimeZone, …).
	Setting(name string) (string, bool)
}

// TempEnv is an Env with a temporary schema (a session's, where its
// temporary tables live; "" if it has none yet).
type TempEnv interface {
	TempSchema() string
}

// PathEnv is an Env with a search path (a session's: the schemas its
// search_path names, in order). Without one, names resolve in public.
type PathEnv interface {
	SearchPath() []string
}

// searchPath is the schemas unqualified names resolve in.
func (b *Binder) searchPath() []string {
	if b.viewPath != nil {
		return b.viewPath
	}
	if pe, ok := b.Env.(PathEnv); ok {
		return pe.SearchPath()
	}
	return catalog.DefaultPath
}

// schemaOf returns the schema rv names its relation in (catalog.
// ResolvePath with the session's temporary schema and search path).
func (b *Binder) schemaOf(schema, name string) string {
	temp := ""
	if te, ok := b.Env.(TempEnv); ok {
		temp = te.TempSchema()
	}
	return b.Cat.ResolvePath(temp, b.searchPath(), schema, name)
}

// missingSchema is 3F000 when schema is named and does not exist, else
// nil: a qualified name in a missing schema is reported as PostgreSQL
// does, before the relation.
func (b *Binder) missingSchema(schema string) error {
	if schema == "" || schema == "pg_temp" || b.Cat.SchemaExists(schema) {
		return nil
	}
	return pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", schema)
}

// Binder turns parsed statements into plans: it resolves names against a
// catalog snapshot, types every expression, infers parameter types and picks
// access paths. A Binder is used for one statement by one goroutine.
type Binder struct {
	// topWith is the WITH clause of the statement being bound (the only
	// one that may hold data-modifying queries); modifying are those
	// queries, and refCount counts every resolution of a table by name
	// (the check that nothing reads what they write: modifyingChecked).
	topWith   *pg.WithClause
	modifying []*ModifyingCTE
	// insertSource is the SELECT an INSERT is reading from, while bound.
	insertSource *pg.SelectStmt
	// setOpArms are the SELECTs bound as arms of a set operation: an
	// untyped literal in their select list stays unknown, to take the
	// type of the other arms' column (SELECT 1 UNION SELECT '2').
	setOpArms map[*pg.SelectStmt]bool
	refCount  map[uint32]int
	Cat       *catalog.Catalog
	Env       Env
	Loc       *time.Location
	// Params are the parameter types: declared by the client (0 OID =
	// unknown) and completed by inference while binding.
	Params []types.Type
	ctes   []map[string]*cteDef
	nextID int
	// locking is the FOR UPDATE clause of the SELECT whose FROM list is
	// being bound (nil otherwise): its tables' scans also yield row keys.
	locking *lockSpec
	// Locking is set when the statement locks rows (SELECT … FOR UPDATE).
	Locking bool
	// Refs are the tables and views the statement names, directly (a
	// view's own reads are not listed): CREATE VIEW's dependencies.
	Refs []uint32
	// views are the views being expanded, innermost last (a view that
	// reads itself through others is refused).
	views []uint32
	// viewPath, while a view's query is bound, is the search path it
	// was created under (catalog.View.Path), else nil.
	viewPath []string
	// FuncRefs are the user-defined functions the statement calls
	// directly (not through other functions' bodies): CREATE VIEW's
	// dependencies.
	FuncRefs []uint32
	// ColRefs are the table columns the statement reads by name, through
	// * and in USING / NATURAL joins (not those a view it reads or a
	// function it calls reads): CREATE VIEW's column dependencies.
	ColRefs []catalog.ColumnDep
	// funcBodies are the bodies of the user-defined functions called, by
	// function ID; fnStack the functions whose bodies are being bound,
	// innermost last (userfunc.go).
	funcBodies map[uint32]*FuncBody
	fnStack    []*fnFrame
}

type cteDef struct {
	node Node
	cols []Column
	id   int
}

// NewBinder returns a binder over cat with the client's declared parameter
// types.
func NewBinder(cat *catalog.Catalog, env Env, loc *time.Location, declared []types.OID) *Binder {
	b := &Binder{Cat: cat, Env: env, Loc: loc}
	for _, o := range declared {
		t := types.Unknown
		if o != 0 {
			t = types.Type{OID: o, Mod: -1}
			if ut, ok := cat.TypeByOID(o); ok {
				t = ut // a user-defined type, with its definition
			}
		}
		b.Params = append(b.Params, t)
	}
	return b
}

// FinalParams returns the parameter types, with uninferred ones as text.
func (b *Binder) FinalParams() []types.Type {
	out := make([]types.Type, len(b.Params))
	for i, t := range b.Params {
		if t.OID == types.OIDUnknown || t.OID == 0 {
			t = types.Text
		}
		out[i] = t
	}
	return out
}

// scopeCol is one column visible by name.
type scopeCol struct {
	table  string // alias or table name
	name   string
	t      types.Type
	idx    int
	hidden bool // dropped column slot, or a column not addressable by name
	system bool // a system column (Column.System): not in * nor NATURAL joins
	tblOID uint32
	attnum int16
	// expr, when set, is what the column stands for (idx is then -1): a
	// computed column of an updatable view that a statement writes through
	// (viewScope), an expression over the row of the view's table.
	expr Expr
}

// scope is the set of columns an expression can reference: the FROM
// clause's combined row. parent is the enclosing query's scope (correlation).
type scope struct {
	cols   []scopeCol
	parent *scope
	// correlated is set when an expression bound in this scope referenced
	// the parent.
	correlated bool
	// agg is non-nil while binding expressions above an aggregation.
	agg *aggCtx
	// win is non-nil while binding a select list that calls window functions.
	win *winCtx
	// srf is non-nil while binding a select list (set-returning functions).
	srf *srfCtx
	// width is the number of slots in the row (cols may hide some).
	width int
}

func (s *scope) add(table string, cols []Column, tbl *catalog.Table) {
	base := s.width
	for i, c := range cols {
		hidden := false
		if tbl != nil && i < len(tbl.Columns) && tbl.Columns[i].Dropped {
			hidden = true
		}
		s.cols = append(s.cols, scopeCol{table: table, name: c.Name, t: c.T, idx: base + i, hidden: hidden, tblOID: c.TableOID, attnum: c.AttNum})
	}
	s.width += len(cols)
}

// resolve finds a column by optional table qualifier and name.
func (s *scope) resolve(table, name string) (*scopeCol, error) {
	var found *scopeCol
	tableSeen := false
	for i := range s.cols {
		c := &s.cols[i]
		if c.hidden {
			continue
		}
		if table != "" {
			if c.table != table {
				continue
			}
			tableSeen = true
		}
		if c.name != name {
			continue
		}
		if found != nil && found.idx != c.idx {
			return nil, pgerr.New(pgerr.AmbiguousColumn, "column reference %q is ambiguous", name)
		}
		found = c
	}
	if found == nil && table != "" && !tableSeen {
		for i := range s.cols {
			if s.cols[i].table == table {
				tableSeen = true
			}
		}
		if !tableSeen {
			return nil, errMissingFrom(table)
		}
	}
	return found, nil
}

func errMissingFrom(table string) error {
	return pgerr.New(pgerr.UndefinedTable, "missing FROM-clause entry for table %q", table)
}

func (s *scope) columns() []Column {
	out := make([]Column, s.width)
	for _, c := range s.cols {
		out[c.idx] = Column{Name: c.name, T: c.t, TableOID: c.tblOID, AttNum: c.attnum}
	}
	return out
}

// Parse parses sql with the PostgreSQL grammar; a syntax error becomes 42601
// with its position.
func Parse(sql string) ([]*pg.RawStmt, error) {
	res, err := pg.Parse(sql)
	if err != nil {
		return nil, syntaxError(err)
	}
	if err := checkPG15Syntax(sql, res.Stmts); err != nil {
		return nil, err
	}
	return res.Stmts, nil
}

func syntaxError(err error) error {
	e := pgerr.New(pgerr.SyntaxError, "%s", err.Error())
	var perr *pgparser.Error
	if errors.As(err, &perr) {
		e.Message = perr.Message
		if strings.HasSuffix(perr.Message, "not yet implemented") {
			// The grammar's own FEATURE_NOT_SUPPORTED errors (MATCH
			// PARTIAL, …): pg_query reports only their message.
			e.Code = pgerr.NotSupported("").Code
		}
		if perr.Cursorpos > 0 {
			e = e.WithPosition(int32(perr.Cursorpos))
		}
	}
	return e
}

// Type helpers.

func isUnknown(t types.Type) bool { return t.OID == types.OIDUnknown || t.OID == 0 }

// numRank orders numeric types by PostgreSQL's implicit-cast direction.
func numRank(o types.OID) int {
	switch o {
	case types.OIDInt2:
		return 1
	case types.OIDInt4:
		return 2
	case types.OIDInt8, types.OIDOID:
		return 3
	case types.OIDNumeric:
		return 4
	case types.OIDFloat4:
		return 5
	case types.OIDFloat8:
		return 6
	}
	return 0
}

func isString(o types.OID) bool {
	switch o {
	case types.OIDText, types.OIDVarchar, types.OIDBPChar, types.OIDName, types.OIDChar:
		return true
	}
	return false
}

func dtRank(o types.OID) int {
	switch o {
	case types.OIDDate:
		return 1
	case types.OIDTimestamp:
		return 2
	case types.OIDTimestampTZ:
		return 3
	}
	return 0
}

// unify finds the common type of ts as PostgreSQL's UNION/CASE resolution
// does; ctx names the construct for the error message.
func unify(ts []types.Type, ctx string) (types.Type, error) {
	var out types.Type
	have := false
	for _, t := range ts {
		if isUnknown(t) {
			continue
		}
		if !have {
			out, have = t, true
			continue
		}
		if t.OID == out.OID {
			if t.Mod != out.Mod {
				out.Mod = -1
			}
			continue
		}
		switch {
		case numRank(t.OID) > 0 && numRank(out.OID) > 0:
			if numRank(t.OID) > numRank(out.OID) {
				out = t.WithoutMod()
			}
		case isString(t.OID) && isString(out.OID):
			if t.OID == types.OIDText || out.OID == types.OIDText {
				out = types.Text
			} else {
				out = types.Type{OID: types.OIDVarchar, Mod: -1}
			}
		case dtRank(t.OID) > 0 && dtRank(out.OID) > 0:
			if dtRank(t.OID) > dtRank(out.OID) {
				out = t
			}
		case (t.OID == types.OIDJSON || t.OID == types.OIDJSONB) && (out.OID == types.OIDJSON || out.OID == types.OIDJSONB):
			out = types.JSONB
		case oidFamily(t.OID) && oidFamily(out.OID):
			out = types.OIDType // reg* types are binary-coercible to oid
		case isInetType(t) && isInetType(out):
			out = types.Inet // cidr is binary-coercible to inet
		case types.IsArrayType(t) && types.IsArrayType(out):
			et, err := unify([]types.Type{types.ElemType(out), types.ElemType(t)}, ctx)
			if err != nil {
				return types.Type{}, err
			}
			at, ok := types.ArrayOf(et)
			if !ok {
				return types.Type{}, pgerr.New(pgerr.DatatypeMismatch, "%s types %s and %s cannot be matched", ctx, types.TypeName(out), types.TypeName(t))
			}
			out = at
		default:
			return types.Type{}, pgerr.New(pgerr.DatatypeMismatch, "%s types %s and %s cannot be matched", ctx, types.TypeName(out), types.TypeName(t))
		}
		// As PostgreSQL's select_common_typmod: inputs of different types
		// give a result without a type modifier (COALESCE(numeric(10,2)
		// column, 0) prints 0, not 0.00).
		out.Mod = -1
	}
	if !have {
		return types.Text, nil
	}
	return out, nil
}

// coerce converts e to type to, folding constants and inferring parameter
// types. explicit is true for CAST, false for implicit/assignment casts.
func (b *Binder) coerce(e Expr, to types.Type, explicit bool) (Expr, error) {
	from := e.Type()
	if from.OID == to.OID && (from.Mod == to.Mod || to.Mod == -1) {
		return e, nil
	}
	switch x := e.(type) {
	case *Param:
		if isUnknown(b.Params[x.N-1]) {
			b.Params[x.N-1] = to.WithoutMod()
			x.T = b.Params[x.N-1]
			if to.Mod == -1 {
				return x, nil
			}
			from = x.T
		} else if isUnknown(x.T) {
			// Another reference to the parameter fixed its type after
			// this one was bound (VALUES ($1, $1)): the value arrives as
			// that type, not as text to convert.
			x.T = b.Params[x.N-1]
			from = x.T
			if from.OID == to.OID && (from.Mod == to.Mod || to.Mod == -1) {
				return x, nil
			}
		}
	case *Const:
		v, err := types.Cast(x.V, x.T, to, explicit || isUnknown(x.T), b.Loc)
		if err != nil {
			return nil, err
		}
		return &Const{V: v, T: to}, nil
	}
	if !explicit && !isUnknown(from) && !types.CanCast(from, to, false) {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "cannot convert %s to %s", types.TypeName(from), types.TypeName(to))
	}
	if explicit && !types.CanCast(from, to, true) {
		return nil, pgerr.New("42846", "cannot cast type %s to %s", types.TypeName(from), types.TypeName(to))
	}
	return &Cast{E: e, T: to, Explicit: explicit, From: from}, nil
}

// assignCoerce is the conversion for INSERT/UPDATE targets: PostgreSQL's
// assignment casts, which error 42804 where no cast exists.
func (b *Binder) assignCoerce(e Expr, to types.Type, col string) (Expr, error) {
	from := e.Type()
	if !isUnknown(from) && from.OID != to.OID && !types.CanCast(from, to, false) {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "column %q is of type %s but expression is of type %s", col, types.TypeName(to), types.TypeName(from)).
			WithHint("You will need to rewrite or cast the expression.")
	}
	return b.coerce(e, to, false)
}

func nodeName(n []*pg.Node) []string {
	out := make([]string, 0, len(n))
	for _, x := range n {
		if s := x.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}

// resolveTable finds a table named by a RangeVar, following search_path's
// default of public (and pg_catalog for system views).
func (b *Binder) resolveTable(rv *pg.RangeVar) (*catalog.Table, error) {
	schema := b.schemaOf(rv.Schemaname, rv.Relname)
	if t, ok := b.Cat.Lookup(schema, rv.Relname); ok {
		b.noteRef(t.ID)
		if b.refCount == nil {
			b.refCount = map[uint32]int{}
		}
		b.refCount[t.ID]++
		return t, nil
	}
	if _, ok := b.Cat.LookupView(schema, rv.Relname); ok {
		// Reached for statements that write a relation in ways a view
		// cannot be written (INSERT, UPDATE and DELETE take writeTarget).
		return nil, pgerr.New(pgerr.WrongObjectType, "%q is not a table", rv.Relname)
	}
	return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", qualified(rv))
}

// noteCol records that the statement reads scope column c, when it is a
// table's column (ColRefs).
func (b *Binder) noteCol(c *scopeCol) {
	if c.tblOID == 0 || c.attnum <= 0 || c.expr != nil {
		return
	}
	d := catalog.ColumnDep{Table: c.tblOID, Col: int(c.attnum) - 1}
	if !slices.Contains(b.ColRefs, d) {
		b.ColRefs = append(b.ColRefs, d)
	}
}

// noteRef records that the statement reads relation id (Refs).
func (b *Binder) noteRef(id uint32) {
	for _, r := range b.Refs {
		if r == id {
			return
		}
	}
	b.Refs = append(b.Refs, id)
}

func qualified(rv *pg.RangeVar) string {
	if rv.Schemaname != "" {
		return rv.Schemaname + "." + rv.Relname
	}
	return rv.Relname
}

// tableColumns returns the output columns of a scan of t.
func tableColumns(t *catalog.Table) []Column {
	cols := make([]Column, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = Column{Name: c.Name, T: c.Type, TableOID: t.ID, AttNum: int16(i + 1)}
		if c.Dropped {
			cols[i].Name = fmt.Sprintf("........pg.dropped.%d........", i+1)
		}
	}
	return cols
}

func lower(s string) string { return strings.ToLower(s) }
