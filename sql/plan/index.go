package plan

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Index expressions and predicates (CREATE INDEX … (lower(email)) WHERE
// active): bound over a row of the table, as PostgreSQL 15 allows them —
// immutable (42P17), without aggregates (42803), window functions (42P20),
// set-returning functions or subqueries (0A000), and of a type the index
// can order (42704 for json, 0A000 for the types OmenDB's keys do not
// cover yet: arrays).

// IndexPart says which part of an index an expression is, for errors:
// PostgreSQL's messages name "index expression" or "index predicate".
type IndexPart bool

// The parts of an index.
const (
	IndexExpression IndexPart = false
	IndexPredicate  IndexPart = true
)

func (p IndexPart) noun() string {
	if p == IndexPredicate {
		return "index predicate"
	}
	return "index expression"
}

// BindIndexExpr binds expression n of an index of t (a key element, or
// the predicate) over a row of t and checks that PostgreSQL would accept
// it. A predicate is boolean.
func (b *Binder) BindIndexExpr(t *catalog.Table, n *pg.Node, part IndexPart) (Expr, error) {
	if nodeHasAgg(n) {
		return nil, pgerr.New(pgerr.GroupingError, "aggregate functions are not allowed in %ss", part.noun())
	}
	if containsCall(n, func(f *pg.FuncCall) bool { return f.Over != nil }) {
		return nil, pgerr.New(pgerr.WindowingError, "window functions are not allowed in %ss", part.noun())
	}
	if containsCall(n, func(f *pg.FuncCall) bool {
		names := nodeName(f.Funcname)
		return setReturning[lower(names[len(names)-1])]
	}) {
		return nil, pgerr.NotSupported("set-returning functions are not allowed in %ss", part.noun())
	}
	if hasSubLink(n) {
		return nil, pgerr.NotSupported("cannot use subquery in %s", part.noun())
	}
	e, err := b.bindExpr(n, tableScope(t, t.Name))
	if err != nil {
		return nil, err
	}
	if len(b.Params) > 0 {
		return nil, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $1")
	}
	if mutable(e) {
		return nil, pgerr.New(pgerr.InvalidObjectDefinition, "functions in %s must be marked IMMUTABLE", part.noun())
	}
	if callsUserFunc(e) {
		// Keys are computed wherever rows are written and replayed, from
		// the stored text: a function there is not supported yet.
		return nil, pgerr.NotSupported("user-defined functions in %ss are not supported yet", part.noun())
	}
	if readsEnum(e) {
		// Keys are computed from the stored text without the catalog's
		// labels, and ALTER TYPE … RENAME VALUE does not know the text.
		return nil, pgerr.NotSupported("%ss over enum types are not supported yet", part.noun())
	}
	if part == IndexPredicate {
		if e, err = b.coerceBool(e, "argument of WHERE"); err != nil {
			return nil, err
		}
		return e, nil
	}
	if isUnknown(e.Type()) {
		// An untyped literal indexes as text (PostgreSQL resolves it so).
		if e, err = b.coerce(e, types.Text, false); err != nil {
			return nil, err
		}
	}
	if err := indexableType(e.Type()); err != nil {
		return nil, err
	}
	return e, nil
}

// BindIndexExprText binds a stored index expression or predicate
// (catalog.Index.Exprs, Where).
func (b *Binder) BindIndexExprText(t *catalog.Table, text string, part IndexPart) (Expr, error) {
	stmts, err := Parse("SELECT " + text)
	if err != nil {
		return nil, fmt.Errorf("%s of a %q index: %w", part.noun(), t.Name, err)
	}
	return b.BindIndexExpr(t, stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val, part)
}

// indexableType reports whether values of t can be index keys: 42704 for
// a type PostgreSQL's btree has no operator class for, 0A000 for those
// OmenDB's key encoding does not cover yet (arrays). jsonb is keyed by
// value (package oltp/keycode), whatever the table's KeyVersion: index
// keys are never stored, only rebuilt.
func indexableType(t types.Type) error {
	switch {
	case t.OID == types.OIDJSON:
		return pgerr.New(pgerr.UndefinedObject, "data type json has no default operator class for access method \"btree\"").
			WithHint("You must specify an operator class for the index or define a default operator class for the data type.")
	case types.IsArrayType(t):
		return pgerr.NotSupported("index keys on array columns are not supported yet")
	}
	return nil
}

// FigureIndexColname names an index's expression element as PostgreSQL
// does (the index's default name and its pg_attribute column): the
// function's or column's name, or "" (PostgreSQL then says "expr").
func FigureIndexColname(n *pg.Node) string {
	name, strength := colname(n)
	if strength == 0 {
		return ""
	}
	return name
}

// IsColumnRef returns the column a bound index element reads when it is
// just that column, written in parentheses ((a)): PostgreSQL makes it a
// column element.
func IsColumnRef(e Expr) (int, bool) {
	if c, ok := e.(*ColRef); ok {
		return c.Idx, true
	}
	return -1, false
}

// hasSubLink reports whether an expression AST holds a subquery.
func hasSubLink(n *pg.Node) bool {
	return anyMessage(n.ProtoReflect(), func(m protoreflect.Message) bool {
		_, ok := m.Interface().(*pg.SubLink)
		return ok
	})
}

// anyMessage reports whether match holds for m or a message below it
// (walked generically, so every node kind is covered).
func anyMessage(m protoreflect.Message, match func(protoreflect.Message) bool) bool {
	if match(m) {
		return true
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = anyMessage(l.Get(i).Message(), match)
			}
		case fd.Message() != nil && !fd.IsMap():
			found = anyMessage(v.Message(), match)
		}
		return !found
	})
	return found
}

// setReturning names the set-returning functions, which no index
// expression may call.
var setReturning = map[string]bool{
	"generate_series": true, "generate_subscripts": true, "unnest": true, "regexp_matches": true,
	"regexp_split_to_table": true, "string_to_table": true, "pg_partition_ancestors": true,
	"json_each": true, "json_each_text": true, "jsonb_each": true, "jsonb_each_text": true,
	"json_array_elements": true, "json_array_elements_text": true, "jsonb_array_elements": true,
	"jsonb_array_elements_text": true, "json_object_keys": true, "jsonb_object_keys": true,
	"json_populate_recordset": true, "jsonb_populate_recordset": true, "json_to_recordset": true,
	"jsonb_to_recordset": true, "jsonb_path_query": true,
}

// readsEnum reports whether e or a part of it is of an enum type (or an
// array of one).
func readsEnum(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		t := x.Type()
		found = types.IsEnum(t) || types.IsEnumArray(t)
		return !found
	})
	return found
}

// mutable reports whether e may give different results for the same row:
// it calls a function, cast or operator PostgreSQL marks stable or
// volatile, reads a sequence, the session or a subquery.
func mutable(e Expr) bool {
	bad := false
	Walk(e, func(x Expr) bool {
		switch y := x.(type) {
		case *Func:
			bad = y.F.Volatility != funcs.Immutable
		case *UserCall:
			bad = !y.Immutable()
		case *SeqFunc, *SessionFunc, *Subquery, *Param, *OuterRef:
			bad = true
		case *Cast:
			bad = castMutable(y.From, y.T)
		case *Cmp:
			bad = mixedZone(y.L.Type(), y.R.Type())
		case *BinOp:
			bad = mixedZone(y.L.Type(), y.R.Type())
		}
		return !bad
	})
	return bad
}

// mixedZone reports whether an operator between a and b compares or
// combines timestamp with time zone with another date/time type (or adds
// an interval to it), which depends on the TimeZone setting: stable.
func mixedZone(a, b types.Type) bool {
	tz := func(t types.Type) bool { return t.OID == types.OIDTimestampTZ }
	dt := func(t types.Type) bool {
		switch t.OID {
		case types.OIDDate, types.OIDTimestamp, types.OIDInterval:
			return true
		}
		return false
	}
	return tz(a) && dt(b) || tz(b) && dt(a)
}

// castMutable reports whether a cast from one type to another is stable
// in PostgreSQL: through text for the date/time types (DateStyle,
// IntervalStyle, TimeZone), arrays and money, to or from an enum, and
// between timestamp with time zone and the other date/time types.
func castMutable(from, to types.Type) bool {
	if from.OID == to.OID {
		return false
	}
	if types.IsEnum(from) || types.IsEnum(to) || types.IsEnumArray(from) || types.IsEnumArray(to) {
		return true // enum_in and enum_out are stable
	}
	textual := func(t types.Type) bool { return types.KindOf(t.OID) == types.KindText && !types.IsArray(t.OID) }
	switch {
	case textual(to):
		switch from.OID {
		case types.OIDDate, types.OIDTimestamp, types.OIDTimestampTZ, types.OIDInterval:
			return true
		}
		return types.IsArray(from.OID)
	case textual(from):
		switch to.OID {
		case types.OIDDate, types.OIDTime, types.OIDTimestamp, types.OIDTimestampTZ, types.OIDInterval:
			return true
		}
		return types.IsArray(to.OID)
	case from.OID == types.OIDTimestampTZ || to.OID == types.OIDTimestampTZ:
		return true
	case from.OID == types.OIDTime && to.OID != types.OIDInterval:
		return false
	}
	return false
}

// boundIndex is an index's expressions and predicate bound over its
// table's row, for the planner.
type boundIndex struct {
	elems []Expr // per key element: the column reference or the expression
	pred  []Expr // the predicate's conjuncts (none: every row)
}

// boundIndexes caches boundIndexOf per table definition (immutable) and
// index; emptied past 256 definitions.
var boundIndexes struct {
	sync.Mutex
	m map[*catalog.Table]map[uint32]*boundIndex
}

// boundIndexOf returns ix of t bound (nil if it no longer binds: the
// planner then does not use it).
func boundIndexOf(t *catalog.Table, ix *catalog.Index) *boundIndex {
	boundIndexes.Lock()
	defer boundIndexes.Unlock()
	if bi, ok := boundIndexes.m[t][ix.ID]; ok {
		return bi
	}
	bi := &boundIndex{}
	for i, c := range ix.Columns {
		if c >= 0 {
			bi.elems = append(bi.elems, &ColRef{Idx: c, T: t.Columns[c].Type, Name: t.Columns[c].Name})
			continue
		}
		e, err := NewBinder(catalog.New(), nil, time.UTC, nil).BindIndexExprText(t, ix.Exprs[i], IndexExpression)
		if err != nil {
			bi = nil
			break
		}
		bi.elems = append(bi.elems, e)
	}
	if bi != nil && ix.Where != "" {
		e, err := NewBinder(catalog.New(), nil, time.UTC, nil).BindIndexExprText(t, ix.Where, IndexPredicate)
		if err != nil {
			bi = nil
		} else {
			bi.pred = splitAnd(e)
		}
	}
	if boundIndexes.m == nil || len(boundIndexes.m) >= 256 {
		boundIndexes.m = map[*catalog.Table]map[uint32]*boundIndex{}
	}
	if boundIndexes.m[t] == nil {
		boundIndexes.m[t] = map[uint32]*boundIndex{}
	}
	boundIndexes.m[t][ix.ID] = bi
	return bi
}

// impliesPredicate reports whether a row passing every conjunct of a
// filter satisfies every conjunct of an index predicate: each appears
// among the filter's conjuncts, or is x IS NOT NULL where a filter
// conjunct compares x with a strict operator (which is then not NULL).
func impliesPredicate(filter, pred []Expr) bool {
	have := map[string]bool{}
	notNull := map[string]bool{}
	for _, f := range filter {
		have[ExprKey(f)] = true
		if c, ok := f.(*Cmp); ok && !c.Distinct {
			notNull[ExprKey(c.L)] = true
			notNull[ExprKey(c.R)] = true
		}
	}
	for _, p := range pred {
		if have[ExprKey(p)] {
			continue
		}
		if n, ok := p.(*IsNull); ok && n.Not && notNull[ExprKey(n.E)] {
			continue
		}
		return false
	}
	return true
}

// IndexColumns returns the names and types of ix's key elements, the
// columns pg_attribute lists for an index: a column element is the
// column; an expression is named as PostgreSQL names it (its function's
// or column's name, else "expr"; numbered when an earlier element has the
// name: expr, expr1) and has the expression's type (text when it no
// longer binds).
func IndexColumns(t *catalog.Table, ix *catalog.Index) ([]string, []types.Type) {
	names := make([]string, 0, len(ix.Columns))
	typs := make([]types.Type, 0, len(ix.Columns))
	var bi *boundIndex
	if ix.HasExprs() {
		bi = boundIndexOf(t, ix)
	}
	for i, c := range ix.Columns {
		name, typ := "", types.Text
		if c >= 0 {
			name, typ = t.Columns[c].Name, t.Columns[c].Type
		} else {
			if stmts, err := Parse("SELECT " + ix.Exprs[i]); err == nil {
				name = FigureIndexColname(stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val)
			}
			if name == "" {
				name = "expr"
			}
			if bi != nil {
				typ = bi.elems[i].Type()
			}
		}
		names = append(names, UniqueColname(names, name))
		typs = append(typs, typ)
	}
	return names, typs
}

// UniqueColname is name, numbered if prev has it (PostgreSQL's
// ChooseIndexColumnNames: expr, expr1, …).
func UniqueColname(prev []string, name string) string {
	cur := name
	for i := 1; slices.Contains(prev, cur); i++ {
		n := strconv.Itoa(i)
		cur = ClipName(name, MaxIdentifier-len(n)) + n
	}
	return cur
}

// MaxIdentifier is PostgreSQL's NAMEDATALEN - 1.
const MaxIdentifier = 63

// ClipName cuts s to at most n bytes without splitting a UTF-8 character.
func ClipName(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
