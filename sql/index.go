package sql

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Indexes on expressions and partial indexes (CREATE [UNIQUE] INDEX … ON t
// (lower(email), …) WHERE pred), as PostgreSQL 15 has them.
//
// The catalog keeps each expression element and the predicate as SQL text
// (catalog.Index.Exprs, Where), renamed with the columns they read
// (renameInIndexes) and dropped with them (DROP COLUMN drops the index).
// Keys are computed in one place, oltp.IndexKey, which compiles an index
// through compileIndexExprs below (registered at init): the expressions
// bound over the table's row without a session and evaluated by package
// exec. So the session's unique checks (txnView.conflict), the committer's
// and the row store's apply, replay and checkpoint load compute the same
// keys. Every write path ends in txnView's insert or update (INSERT,
// UPDATE, ON CONFLICT, COPY, foreign-key actions) or writes keys the
// store indexes on apply; those paths compute the keys of expression and
// partial indexes before the write (checkIndexKeys), so a failing
// expression fails the statement as in PostgreSQL. The point-write fast
// paths leave tables with such unique indexes to the general path.

func init() { oltp.RegisterIndexCompiler(compileIndexExprs) }

// indexExprs is an index's expressions and predicate bound for one table
// definition (oltp.IndexExprs). Evaluation reads nothing of a session:
// UTC, default settings.
type indexExprs struct {
	elems []plan.Expr // per key element; nil for a column
	pred  plan.Expr   // nil: every row
}

var indexCtxPool = sync.Pool{New: func() any {
	return &exec.Ctx{Context: context.Background(), Loc: time.UTC, Funcs: &funcs.Context{}}
}}

func compileIndexExprs(def *catalog.Table, ix *catalog.Index) (oltp.IndexExprs, error) {
	ie := &indexExprs{elems: make([]plan.Expr, len(ix.Columns))}
	for i, text := range ix.Exprs {
		if text == "" {
			continue
		}
		e, err := plan.NewBinder(catalog.New(), nil, time.UTC, nil).BindIndexExprText(def, text, plan.IndexExpression)
		if err != nil {
			return nil, err
		}
		ie.elems[i] = e
	}
	if ix.Where != "" {
		e, err := plan.NewBinder(catalog.New(), nil, time.UTC, nil).BindIndexExprText(def, ix.Where, plan.IndexPredicate)
		if err != nil {
			return nil, err
		}
		ie.pred = e
	}
	return ie, nil
}

func (ie *indexExprs) eval(e plan.Expr, row []types.Value) (types.Value, error) {
	c := indexCtxPool.Get().(*exec.Ctx)
	v, err := exec.Eval(c, e, row)
	indexCtxPool.Put(c)
	return v, err
}

func (ie *indexExprs) Elem(i int, row []types.Value) (types.Value, error) {
	return ie.eval(ie.elems[i], row)
}

func (ie *indexExprs) ElemType(i int) types.Type { return ie.elems[i].Type() }

func (ie *indexExprs) Holds(row []types.Value) (bool, error) {
	if ie.pred == nil {
		return true, nil
	}
	v, err := ie.eval(ie.pred, row)
	return err == nil && !v.IsNull() && v.Bool(), err
}

// createIndex runs CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS]
// [name] ON t [USING method] (element, …) [WHERE predicate].
func (s *Session) createIndex(ctx context.Context, is *pg.IndexStmt, text string) (string, error) {
	t, err := s.lookupTable(is.Relation)
	if err != nil {
		return "", err
	}
	if len(is.IndexIncludingParams) > 0 {
		return "", pgerr.NotSupported("INCLUDE columns are not supported yet")
	}
	method := s.settings["omendb.index_method"]
	am := ""
	if m := usingRe.FindStringSubmatch(text); m != nil {
		am = m[1]
	}
	switch strings.ToLower(am) {
	case "btree":
		method = "btree"
	case "learned":
		method = "learned"
	case "":
	default:
		return "", pgerr.NotSupported("index access method %q is not supported; use learned (default) or btree", is.AccessMethod)
	}
	nt := t.Clone()
	ix := catalog.Index{ID: s.eng.Store.NewID(), Name: is.Idxname, Unique: is.Unique || is.Primary, Primary: is.Primary, Method: method}
	ix.Standalone = ix.Unique && !ix.Primary
	var names []string // the elements' names (PostgreSQL's ChooseIndexColumnNames)
	var exprs []string
	var options []int16 // catalog.Index.Options
	for _, p := range is.IndexParams {
		el := p.GetIndexElem()
		opt, err := indexElemOrder(el)
		if err != nil {
			return "", err
		}
		options = append(options, opt)
		col, expr, name := -1, "", el.Name
		if el.Name != "" {
			if col = nt.ColumnIndex(el.Name); col < 0 {
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", el.Name)
			}
		} else {
			e, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindIndexExpr(nt, el.Expr, plan.IndexExpression)
			if err != nil {
				return "", err
			}
			if c, ok := plan.IsColumnRef(e); ok {
				col, name = c, nt.Columns[c].Name // (a) is the column a
			} else {
				if expr, err = indexText(el.Expr, nt.Name); err != nil {
					return "", err
				}
				if err := sameInUTC(nt, e, expr, plan.IndexExpression); err != nil {
					return "", err
				}
				if name = plan.FigureIndexColname(el.Expr); name == "" {
					name = "expr"
				}
			}
		}
		if col >= 0 {
			if err := indexableColumn(nt, col); err != nil {
				return "", err
			}
		}
		ix.Columns = append(ix.Columns, col)
		exprs = append(exprs, expr)
		names = append(names, plan.UniqueColname(names, name))
	}
	if slices.ContainsFunc(exprs, func(e string) bool { return e != "" }) {
		ix.Exprs = exprs
	}
	if slices.ContainsFunc(options, func(o int16) bool { return o != 0 }) {
		if ix.Primary {
			return "", pgerr.NotSupported("a primary key with DESC or NULLS FIRST columns is not supported")
		}
		ix.Options = options
	}
	if is.WhereClause != nil {
		e, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindIndexExpr(nt, is.WhereClause, plan.IndexPredicate)
		if err != nil {
			return "", err
		}
		// PostgreSQL simplifies a predicate that is always true away.
		if c, ok := e.(*plan.Const); !ok || c.V.IsNull() || !c.V.Bool() {
			if ix.Where, err = indexText(is.WhereClause, nt.Name); err != nil {
				return "", err
			}
			if err := sameInUTC(nt, e, ix.Where, plan.IndexPredicate); err != nil {
				return "", err
			}
		}
	}
	if (ix.HasExprs() || ix.Where != "") && t.ReadOnly != "" {
		// Rows replicated into it are not checked by a statement, so an
		// expression failing on one would stop the apply.
		return "", pgerr.NotSupported("indexes on expressions and partial indexes on the read-only table %q are not supported", t.Name)
	}
	if ix.Name == "" {
		ix.Name = s.chooseRelationName(nt.Schema, nt.Name, indexNameAddition(names), "idx", false)
	} else if s.relationIn(nt.Schema, ix.Name) {
		if is.IfNotExists {
			s.notice(pgerr.DuplicateTable, "relation %q already exists, skipping", ix.Name)
			return "CREATE INDEX", nil
		}
		return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", ix.Name)
	}
	if err := s.checkIndexExisting(nt, &ix); err != nil {
		return "", err
	}
	nt.Indexes = append(nt.Indexes, ix)
	if err := s.ddl(&catalog.Change{Kind: catalog.CreateIndex, Table: nt, Index: len(nt.Indexes) - 1}); err != nil {
		return "", err
	}
	return "CREATE INDEX", nil
}

// indexElemOrder returns an index element's order as catalog.Index.Options
// keeps it (PostgreSQL's indoption bits): DESC sets IndexDesc, and NULLS
// FIRST — DESC's default — IndexNullsFirst. A USING operator has no
// btree meaning in OmenDB (0A000).
func indexElemOrder(el *pg.IndexElem) (int16, error) {
	var o int16
	switch el.Ordering {
	case pg.SortByDir_SORTBY_DESC:
		o = catalog.IndexDesc | catalog.IndexNullsFirst
	case pg.SortByDir_SORTBY_USING:
		return 0, pgerr.NotSupported("USING operators in index elements are not supported")
	}
	switch el.NullsOrdering {
	case pg.SortByNulls_SORTBY_NULLS_FIRST:
		o |= catalog.IndexNullsFirst
	case pg.SortByNulls_SORTBY_NULLS_LAST:
		o &^= catalog.IndexNullsFirst
	}
	return o, nil
}

// indexText is an index expression or predicate as the catalog keeps it:
// deparsed, with column references qualified by the table's name made
// bare, so that the text still binds after ALTER TABLE … RENAME (PostgreSQL
// keeps column numbers; OmenDB keeps text).
func indexText(n *pg.Node, table string) (string, error) {
	n = proto.Clone(n).(*pg.Node)
	unqualify(n.ProtoReflect(), table)
	return deparseExpr(n)
}

// unqualify drops the table qualifier from every column reference in m
// that names table.
func unqualify(m protoreflect.Message, table string) {
	if cr, ok := m.Interface().(*pg.ColumnRef); ok {
		if n := len(cr.Fields); n == 2 {
			if s := cr.Fields[0].GetString_(); s != nil && s.Sval == table {
				cr.Fields = cr.Fields[1:]
			}
		}
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				unqualify(l.Get(i).Message(), table)
			}
		case fd.Message() != nil && !fd.IsMap():
			unqualify(v.Message(), table)
		}
		return true
	})
}

// sameInUTC checks that text, an index expression or predicate bound as
// e in the session, means the same bound without one: keys are computed
// in UTC (compileIndexExprs), while PostgreSQL folds a literal such as
// '2024-01-01'::timestamptz once, in the creating session's TimeZone. An
// expression that would differ is refused rather than indexed otherwise.
func sameInUTC(t *catalog.Table, e plan.Expr, text string, part plan.IndexPart) error {
	u, err := plan.NewBinder(catalog.New(), nil, time.UTC, nil).BindIndexExprText(t, text, part)
	if err != nil {
		return err
	}
	if plan.ExprKey(u) != plan.ExprKey(e) {
		return pgerr.NotSupported("an %s whose constants depend on the TimeZone setting is not supported yet", map[plan.IndexPart]string{plan.IndexExpression: "index expression", plan.IndexPredicate: "index predicate"}[part]).
			WithHint("Write timestamp with time zone literals with an explicit offset ('2024-01-01 00:00+00'), or SET TimeZone = 'UTC'.")
	}
	return nil
}

// indexableColumn refuses a column of a type the index cannot key.
func indexableColumn(t *catalog.Table, col int) error {
	switch typ := t.Columns[col].Type; {
	case types.IsArrayType(typ):
		return pgerr.NotSupported("index keys on array columns are not supported yet")
	case typ.OID == types.OIDJSON:
		return pgerr.New(pgerr.UndefinedObject, "data type json has no default operator class for access method \"btree\"").
			WithHint("You must specify an operator class for the index or define a default operator class for the data type.")
	}
	return nil
}

// indexNameAddition joins an index's column names for its default name
// (PostgreSQL's ChooseIndexNameAddition).
func indexNameAddition(names []string) string {
	var b strings.Builder
	for _, n := range names {
		if b.Len() > 0 {
			b.WriteByte('_')
		}
		b.WriteString(n)
		if b.Len() >= plan.MaxIdentifier+1 {
			break
		}
	}
	return b.String()
}

// makeObjectName is PostgreSQL's makeObjectName: name1_name2_label cut to
// an identifier's length by shortening the longer of name1 and name2.
func makeObjectName(name1, name2, label string) string {
	overhead := 0
	if label != "" {
		overhead += len(label) + 1
	}
	if name2 != "" {
		overhead++
	}
	n1, n2 := len(name1), len(name2)
	for avail := plan.MaxIdentifier - overhead; n1+n2 > avail; {
		if n1 > n2 {
			n1--
		} else {
			n2--
		}
	}
	out := plan.ClipName(name1, n1)
	if name2 != "" {
		out += "_" + plan.ClipName(name2, n2)
	}
	if label != "" {
		out += "_" + label
	}
	return out
}

// chooseRelationName picks a free relation name in schema, as
// PostgreSQL's ChooseRelationName does: name1_name2_label, then with
// label1, label2, … until no relation (nor, for a constraint, no
// constraint of the table being changed) has it.
func (s *Session) chooseRelationName(schema, name1, name2, label string, constraint bool) string {
	mod := label
	for pass := 1; ; pass++ {
		name := makeObjectName(name1, name2, mod)
		if !s.relationIn(schema, name) {
			return name
		}
		mod = label + strconv.Itoa(pass)
	}
}

// checkIndexExisting checks the rows t has (at the statement's snapshot,
// with the transaction's own writes) against a new index: its expressions
// must evaluate on every row the index holds, and a unique index's keys
// must be distinct (23505, as PostgreSQL's "could not create unique
// index"), and not null for a primary key.
func (s *Session) checkIndexExisting(t *catalog.Table, ix *catalog.Index) error {
	if !ix.Unique && ix.Plain() {
		return nil
	}
	seen := map[string]bool{}
	var err error
	_ = s.reader().Scan(t, nil, nil, func(_ []byte, row []types.Value) bool {
		k, in, null, kerr := oltp.IndexKey(t, ix, row)
		switch {
		case kerr != nil:
			err = kerr
			return false
		case !in || !ix.Unique:
			return true
		case null:
			if ix.Primary {
				err = pgerr.New(pgerr.NotNullViolation, "column %q of relation %q contains null values", t.Columns[ix.Columns[0]].Name, t.Name)
				return false
			}
			return true
		case seen[string(k)]:
			err = pgerr.New(pgerr.UniqueViolation, "could not create unique index %q", ix.Name).
				WithDetail("%s", strings.Replace(keyDetail(t, ix, row, s), "already exists", "is duplicated", 1))
			return false
		}
		seen[string(k)] = true
		return true
	})
	return err
}

// checkIndexKeys computes the keys a row about to be written has in t's
// indexes on expressions and partial indexes that are not unique (unique
// ones are checked by checkUnique), so that an expression failing on the
// row fails the statement, not the commit's apply.
func (v *txnView) checkIndexKeys(t *catalog.Table, row []types.Value) error {
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		if ix.Plain() || ix.Unique {
			continue
		}
		if _, _, _, err := oltp.IndexKey(t, ix, row); err != nil {
			return err
		}
	}
	return nil
}

// hasExprIndexes reports whether t has an index on expressions or a
// partial index.
func hasExprIndexes(t *catalog.Table) bool {
	return slices.ContainsFunc(t.Indexes, func(ix catalog.Index) bool { return !ix.Plain() })
}

// indexReads returns the columns index ix of t reads: its column elements
// and those its expressions and predicate name.
func (s *Session) indexReads(t *catalog.Table, ix *catalog.Index) ([]int, error) {
	var cols []int
	add := func(c int) {
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	texts := []struct {
		text string
		part plan.IndexPart
	}{{ix.Where, plan.IndexPredicate}}
	for i, c := range ix.Columns {
		if c >= 0 {
			add(c)
		} else {
			texts = append(texts, struct {
				text string
				part plan.IndexPart
			}{ix.Exprs[i], plan.IndexExpression})
		}
	}
	for _, x := range texts {
		if x.text == "" {
			continue
		}
		e, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindIndexExprText(t, x.text, x.part)
		if err != nil {
			return nil, err
		}
		plan.Walk(e, func(x plan.Expr) bool {
			if c, ok := x.(*plan.ColRef); ok {
				add(c.Idx)
			}
			return true
		})
	}
	return cols, nil
}

// renameInIndexes rewrites the expressions and predicates of t's indexes
// after column old was renamed to new (as renameInChecks does for CHECK
// constraints).
func renameInIndexes(t *catalog.Table, old, new string) error {
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		for j, text := range ix.Exprs {
			if text == "" {
				continue
			}
			r, err := renamedExpr(text, t.Name, old, new)
			if err != nil {
				return fmt.Errorf("index %q: %w", ix.Name, err)
			}
			ix.Exprs[j] = r
		}
		if ix.Where != "" {
			r, err := renamedExpr(ix.Where, t.Name, old, new)
			if err != nil {
				return fmt.Errorf("index %q: %w", ix.Name, err)
			}
			ix.Where = r
		}
	}
	return nil
}

// dropIndexesReading removes from nt (a clone of t losing column col) the
// indexes that read col — as a key column, in an expression or in the
// predicate — as PostgreSQL's DROP COLUMN does. The primary key's column
// cannot be dropped yet (0A000).
func (s *Session) dropIndexesReading(t, nt *catalog.Table, col int) error {
	var keep []catalog.Index
	pk := -1
	for i := range nt.Indexes {
		ix := &nt.Indexes[i]
		reads, err := s.indexReads(t, ix)
		if err != nil {
			return err
		}
		if slices.Contains(reads, col) {
			if ix.Primary {
				return pgerr.NotSupported("dropping a column that is part of the primary key (%s) is not supported yet", ix.Name)
			}
			continue
		}
		if i == nt.PrimaryKey {
			pk = len(keep)
		}
		keep = append(keep, *ix)
	}
	nt.Indexes, nt.PrimaryKey = keep, pk
	return nil
}
