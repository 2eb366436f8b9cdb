package plan

import (
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
)

// Apply is a join with a LATERAL subquery: Right is run once for each row
// of Left, reading it as its outer row (OuterRef depth 1), and each of its
// rows is appended to that left row. Cond (over the joined row; nil:
// none) keeps the pairs that pass; a LeftJoin keeps a left row no pair
// passed for, with NULLs on the right.
type Apply struct {
	Kind        JoinKind
	Left, Right Node
	Cond        Expr
	Cols        []Column
}

func (n *Apply) Columns() []Column { return n.Cols }

// bindLateralSubquery binds FROM … LATERAL (SELECT …): the subquery sees
// the columns of the FROM items before it (parent) as its outer row.
func (b *Binder) bindLateralSubquery(rs *pg.RangeSubselect, parent *scope) (*fromItem, error) {
	sel := rs.Subquery.GetSelectStmt()
	if sel == nil {
		return nil, pgerr.NotSupported("this LATERAL subquery is not supported")
	}
	if rs.Alias == nil {
		return nil, pgerr.New(pgerr.SyntaxError, "subquery in FROM must have an alias")
	}
	left := &scope{parent: parent.parent, cols: slices.Clone(parent.cols), width: parent.width}
	n, err := b.bindSelect(sel, &scope{parent: left})
	if err != nil {
		return nil, err
	}
	if left.correlated {
		parent.correlated = true // it also reads the enclosing query's row
	}
	it := itemFrom(n, rs.Alias.Aliasname, renameCols(n.Columns(), rs.Alias), nil)
	it.apply = true
	return it, nil
}

// placeApply joins a LATERAL subquery to the FROM items before it (cross
// joined, in order: the layout its outer row was bound against).
func placeApply(items []*fromItem, sub *fromItem, s *scope) *fromItem {
	cur := crossJoin(items)
	ap := &Apply{Kind: InnerJoin, Left: cur, Right: sub.node, Cols: append(append([]Column(nil), cur.Columns()...), sub.node.Columns()...)}
	return mergeLateral(items, ap, sub.cols, sub.width, s)
}
