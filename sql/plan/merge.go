package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// MERGE, as PostgreSQL 15 has it:
//
//	[WITH …] MERGE INTO target [AS alias] USING source [AS alias] ON cond
//	WHEN MATCHED [AND cond] THEN UPDATE SET … | DELETE | DO NOTHING
//	WHEN NOT MATCHED [AND cond] THEN INSERT [(cols)] VALUES (…) | INSERT DEFAULT VALUES | DO NOTHING
//
// It is bound as one join of the target (its scan yielding row keys, as
// UPDATE … FROM's target: TargetJoin) with the source: an inner join
// when there are only WHEN MATCHED clauses, else a right join that keeps
// the source rows no target row matches (their target columns and key
// NULL). The executor runs the join to the end before writing, then for
// each joined row tries the clauses of its kind in order and performs the
// first whose condition holds, through the same Writer as INSERT, UPDATE
// and DELETE — constraints, foreign keys, generated columns and row locks
// are theirs. RETURNING and WHEN NOT MATCHED BY SOURCE came with
// PostgreSQL 16/17 and are syntax errors here, as on PostgreSQL 15
// (checkPG15Syntax, pg15.go); a view target is refused (0A000).

// MergeKind is what a WHEN clause does.
type MergeKind int

const (
	MergeNothing MergeKind = iota // DO NOTHING
	MergeUpdate
	MergeDelete
	MergeInsert
)

// MergeAction is one WHEN clause. Cond, Set and Values are over the joined
// row (Merge.Join's layout); those of a WHEN NOT MATCHED clause read only
// the source's columns.
type MergeAction struct {
	Kind MergeKind
	Cond Expr        // nil: always
	Set  []SetClause // UPDATE
	// INSERT: Values[i] goes to column Target[i] (nil: DEFAULT); the
	// other columns take Defaults (per column slot; nil = NULL).
	Target   []int
	Values   []Expr
	Defaults []Expr
	Override Overriding
}

// Merge is a MERGE statement.
type Merge struct {
	Modifying []*ModifyingCTE // as Query.Modifying
	Table     *catalog.Table
	// Join is the target joined with the source: each row is the target's
	// columns, its primary key (KeyCol; NULL when no target row matched)
	// and the source's columns. Join.Where is the ON condition over that
	// row, re-checked on a target row a concurrent transaction changed.
	Join       *TargetJoin
	Matched    []MergeAction // WHEN MATCHED clauses, in order
	NotMatched []MergeAction // WHEN NOT MATCHED clauses, in order
	Params     []types.Type
}

// BindMerge binds a MERGE statement.
func (b *Binder) BindMerge(ms *pg.MergeStmt) (*Merge, error) {
	top := b.enterTop(ms.WithClause)
	n, err := b.bindMerge(ms)
	if err != nil || !top {
		return n, err
	}
	if n.Modifying, err = b.topModifying(); err != nil {
		return nil, err
	}
	return n, nil
}

func (b *Binder) bindMerge(ms *pg.MergeStmt) (*Merge, error) {
	if len(ms.ReturningList) > 0 {
		// checkPG15Syntax (pg15.go) refuses it when the text is parsed.
		return nil, pgerr.New(pgerr.SyntaxError, "syntax error at or near \"RETURNING\"")
	}
	if w := ms.WithClause; w != nil {
		if w.Recursive {
			return nil, pgerr.New(pgerr.SyntaxError, "WITH RECURSIVE is not supported for MERGE statement")
		}
		pop, err := b.bindWith(w, &scope{})
		if err != nil {
			return nil, err
		}
		defer pop()
	}
	if err := checkWhenClauses(ms.MergeWhenClauses); err != nil {
		return nil, err
	}
	t, err := b.mergeTarget(ms.Relation)
	if err != nil {
		return nil, err
	}
	alias := ms.Relation.Relname
	if ms.Relation.Alias != nil {
		alias = ms.Relation.Alias.Aliasname
	}

	// The target's item: its columns, then its row key (hidden).
	cols := tableColumns(t)
	keyCol := len(cols)
	sc := &Scan{Table: t, Alias: alias, Cols: append(cols[:keyCol:keyCol], Column{Name: "?key?", T: types.Bytea}), Key: true}
	target := itemFrom(sc, alias, sc.Cols, t.Columns)
	target.cols[keyCol].hidden = true

	// The source's item.
	if rs := ms.SourceRelation.GetRangeSubselect(); rs != nil && rs.Alias == nil {
		return nil, pgerr.New(pgerr.SyntaxError, "subquery in FROM must have an alias").
			WithHint("For example, FROM (SELECT ...) [AS] foo.")
	}
	source, err := b.bindFromItem(ms.SourceRelation, &scope{})
	if err != nil {
		return nil, err
	}
	if source.lateral != nil || source.apply {
		return nil, pgerr.NotSupported("this MERGE source is not supported")
	}
	for _, c := range source.cols {
		if c.table == alias {
			return nil, pgerr.New("42712", "name %q specified more than once", alias).
				WithDetail("The name is used both as MERGE target table and data source.")
		}
	}

	// all sees the target and the source (ON, WHEN MATCHED); src the
	// source alone (WHEN NOT MATCHED), at the same positions.
	all, src := &scope{}, &scope{}
	all.cols = append(all.cols, target.cols...)
	for _, c := range source.cols {
		c.idx += target.width
		all.cols = append(all.cols, c)
		src.cols = append(src.cols, c)
	}
	all.width = target.width + source.width
	src.width = all.width

	on, err := b.bindExpr(ms.JoinCondition, all)
	if err != nil {
		return nil, err
	}
	if on, err = b.coerceBool(on, "argument of JOIN/ON"); err != nil {
		return nil, err
	}

	n := &Merge{Table: t}
	for _, w := range ms.MergeWhenClauses {
		wc := w.GetMergeWhenClause()
		if wc.MatchKind == pg.MergeMatchKind_MERGE_WHEN_MATCHED {
			a, err := b.bindMatched(t, wc, all)
			if err != nil {
				return nil, err
			}
			n.Matched = append(n.Matched, a)
			continue
		}
		a, err := b.bindNotMatched(t, wc, &sourceOnly{src: src, all: all, target: alias})
		if err != nil {
			return nil, err
		}
		n.NotMatched = append(n.NotMatched, a)
	}

	kind := InnerJoin
	if len(n.NotMatched) > 0 {
		kind = RightJoin // keeps the source rows no target row matches
	}
	join := joinItems(kind, target, source, splitAnd(on))
	chooseAccess(join.Left)
	chooseAccess(join.Right)
	n.Join = &TargetJoin{Source: join, KeyCol: keyCol, Where: on}
	n.Params = b.FinalParams()
	return n, nil
}

// checkWhenClauses refuses the forms PostgreSQL 15's grammar or analysis
// refuses: WHEN NOT MATCHED BY SOURCE (17) and a clause after an
// unconditional one of its kind, which could never run.
func checkWhenClauses(list []*pg.Node) error {
	terminal := map[bool]bool{} // by matched
	for _, w := range list {
		wc := w.GetMergeWhenClause()
		if wc == nil || wc.MatchKind == pg.MergeMatchKind_MERGE_WHEN_NOT_MATCHED_BY_SOURCE {
			return pgerr.New(pgerr.SyntaxError, "syntax error at or near \"BY\"")
		}
		matched := wc.MatchKind == pg.MergeMatchKind_MERGE_WHEN_MATCHED
		if terminal[matched] {
			return pgerr.New(pgerr.SyntaxError, "unreachable WHEN clause specified after unconditional WHEN clause")
		}
		if wc.Condition == nil {
			terminal[matched] = true
		}
	}
	return nil
}

// mergeTarget resolves MERGE's target: a table (PostgreSQL 15 refuses
// views and materialized views).
func (b *Binder) mergeTarget(rv *pg.RangeVar) (*catalog.Table, error) {
	refuse := func(what string) error {
		return pgerr.NotSupported("cannot execute MERGE on relation %q", rv.Relname).
			WithDetail("This operation is not supported for %s.", what)
	}
	if _, ok := b.Cat.Lookup(b.schemaOf(rv.Schemaname, rv.Relname), rv.Relname); !ok {
		if _, ok := b.lookupView(rv); ok {
			return nil, refuse("views")
		}
	}
	t, err := b.resolveTable(rv)
	if err != nil {
		return nil, err
	}
	if t.MatView != "" {
		return nil, refuse("materialized views")
	}
	if err := b.checkWritable(t); err != nil {
		return nil, err
	}
	return t, nil
}

// whenCond binds a WHEN clause's AND condition with bind (nil: none).
func (b *Binder) whenCond(wc *pg.MergeWhenClause, bind func(*pg.Node) (Expr, error)) (Expr, error) {
	if wc.Condition == nil {
		return nil, nil
	}
	e, err := bind(wc.Condition)
	if err != nil {
		return nil, err
	}
	return b.coerceBool(e, "argument of WHEN")
}

// sourceOnly is what a WHEN NOT MATCHED clause sees: the source's columns
// (src), not the target's (in all too, under the name target).
type sourceOnly struct {
	src, all *scope
	target   string
}

// bind binds n over the source's columns. A name only the target has
// fails as on PostgreSQL, saying that the target cannot be referenced
// there.
func (so *sourceOnly) bind(b *Binder, n *pg.Node) (Expr, error) {
	e, err := b.bindExpr(n, so.src)
	if err == nil {
		return e, nil
	}
	code := pgerr.Code(err)
	if code != pgerr.UndefinedTable && code != pgerr.UndefinedColumn {
		return nil, err
	}
	if _, err2 := b.bindExpr(n, so.all); err2 != nil {
		return nil, err
	}
	if code == pgerr.UndefinedTable {
		return nil, pgerr.New(pgerr.UndefinedTable, "invalid reference to FROM-clause entry for table %q", so.target).
			WithHint("There is an entry for table %q, but it cannot be referenced from this part of the query.", so.target)
	}
	return nil, pgerr.FromError(err).WithHint("There is a column of that name in table %q, but it cannot be referenced from this part of the query.", so.target)
}

// bindMatched binds a WHEN MATCHED clause over the target and the source.
func (b *Binder) bindMatched(t *catalog.Table, wc *pg.MergeWhenClause, all *scope) (MergeAction, error) {
	var a MergeAction
	var err error
	if a.Cond, err = b.whenCond(wc, func(n *pg.Node) (Expr, error) { return b.bindExpr(n, all) }); err != nil {
		return a, err
	}
	switch wc.CommandType {
	case pg.CmdType_CMD_NOTHING:
		a.Kind = MergeNothing
	case pg.CmdType_CMD_DELETE:
		a.Kind = MergeDelete
	case pg.CmdType_CMD_UPDATE:
		a.Kind = MergeUpdate
		if a.Set, err = b.bindSetList(t, wc.TargetList, all, tableColumn(t)); err != nil {
			return a, err
		}
	default:
		return a, pgerr.New(pgerr.SyntaxError, "syntax error at or near \"INSERT\"")
	}
	return a, nil
}

// bindNotMatched binds a WHEN NOT MATCHED clause over the source alone.
func (b *Binder) bindNotMatched(t *catalog.Table, wc *pg.MergeWhenClause, src *sourceOnly) (MergeAction, error) {
	var a MergeAction
	var err error
	if a.Cond, err = b.whenCond(wc, func(n *pg.Node) (Expr, error) { return src.bind(b, n) }); err != nil {
		return a, err
	}
	switch wc.CommandType {
	case pg.CmdType_CMD_NOTHING:
		a.Kind = MergeNothing
		return a, nil
	case pg.CmdType_CMD_INSERT:
	case pg.CmdType_CMD_UPDATE:
		return a, pgerr.New(pgerr.SyntaxError, "syntax error at or near \"UPDATE\"")
	default:
		return a, pgerr.New(pgerr.SyntaxError, "syntax error at or near \"DELETE\"")
	}
	a.Kind, a.Override = MergeInsert, overridingOf(wc.Override)
	if a.Defaults, err = b.bindDefaults(t); err != nil {
		return a, err
	}
	var elems []*arrayTarget
	if len(wc.TargetList) > 0 {
		if a.Target, elems, err = b.insertColumns(t, nil, wc.TargetList); err != nil {
			return a, err
		}
	} else {
		for i, c := range t.Columns {
			if !c.Dropped {
				a.Target = append(a.Target, i)
			}
		}
	}
	if wc.Values == nil {
		// INSERT DEFAULT VALUES
		a.Target = nil
		return a, nil
	}
	if len(wc.Values) > len(a.Target) {
		return a, pgerr.New(pgerr.SyntaxError, "INSERT has more expressions than target columns")
	}
	if len(wc.Values) < len(a.Target) {
		if len(wc.TargetList) > 0 {
			return a, pgerr.New(pgerr.SyntaxError, "INSERT has more target columns than expressions")
		}
		a.Target = a.Target[:len(wc.Values)]
	}
	for i, v := range wc.Values {
		col := t.Columns[a.Target[i]]
		if v.GetSetToDefault() != nil {
			if elems != nil && elems[i] != nil {
				return a, pgerr.NotSupported("DEFAULT in an INSERT with array element targets is not supported")
			}
			a.Values = append(a.Values, nil)
			continue
		}
		if col.Generated != "" {
			return a, generatedError(col.Name, false)
		}
		want := col.Type
		if elems != nil && elems[i] != nil {
			want = elems[i].valueType()
		}
		e, err := src.bind(b, v)
		if err != nil {
			return a, err
		}
		if e, err = b.assignCoerce(e, want, col.Name); err != nil {
			return a, err
		}
		a.Values = append(a.Values, e)
	}
	if elems != nil {
		a.Target, a.Values = assignElementValues(a.Target, a.Values, elems)
	}
	return a, nil
}

// assignElementValues is assignElements for one row of values: each array
// column given element targets is built from NULL by them in order.
func assignElementValues(target []int, values []Expr, elems []*arrayTarget) ([]int, []Expr) {
	var outT []int
	var outV []Expr
	at := map[int]int{} // column → index in outV
	for j, c := range target {
		k, ok := at[c]
		if !ok {
			k = len(outV)
			at[c] = k
			outT = append(outT, c)
			var base Expr
			if elems[j] != nil {
				base = &Const{V: types.Null, T: elems[j].ct}
			}
			outV = append(outV, base)
		}
		if elems[j] == nil {
			outV[k] = values[j]
			continue
		}
		outV[k] = elems[j].assign(outV[k], values[j])
	}
	return outT, outV
}
