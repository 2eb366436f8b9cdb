package plan

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// RecursiveUnion is WITH RECURSIVE's CTE: Init's rows, then Step run again
// and again over the rows the previous round produced (WorkTable ID) until
// a round produces none. Without All, a row equal to one produced before
// is dropped (and does not feed the next round).
type RecursiveUnion struct {
	ID         int
	Init, Step Node
	All        bool
	Cols       []Column
}

// WorkTable is the recursive CTE's self-reference inside Step: the rows
// the previous round of RecursiveUnion ID produced.
type WorkTable struct {
	ID   int
	Name string
	Cols []Column
}

func (n *RecursiveUnion) Columns() []Column { return n.Cols }
func (n *WorkTable) Columns() []Column      { return n.Cols }

// bindRecursiveCTE binds a CTE of WITH RECURSIVE that refers to itself: it
// must be `non-recursive term UNION [ALL] recursive term`, as in
// PostgreSQL, and the recursive term's columns must have the types the
// non-recursive term gave them.
func (b *Binder) bindRecursiveCTE(cte *pg.CommonTableExpr, q *pg.SelectStmt, ctes map[string]*cteDef, s *scope) (*cteDef, error) {
	name := cte.Ctename
	if q.Op != pg.SetOperation_SETOP_UNION {
		return nil, pgerr.New("42P19", "recursive query %q does not have the form non-recursive-term UNION [ALL] recursive-term", name)
	}
	if len(q.SortClause) > 0 || q.LimitCount != nil || q.LimitOffset != nil || len(q.LockingClause) > 0 {
		return nil, pgerr.NotSupported("ORDER BY, LIMIT, OFFSET or FOR UPDATE in a recursive query is not supported")
	}
	if refersTo(q.Larg, name) {
		return nil, pgerr.New("42P19", "recursive reference to query %q must not appear within its non-recursive term", name)
	}
	is := &scope{parent: s.parent}
	init, err := b.bindSelect(q.Larg, is)
	if err != nil {
		return nil, err
	}
	// The non-recursive term fixes the columns' types; an untyped literal
	// becomes text, as PostgreSQL resolves it.
	cols := append([]Column(nil), init.Columns()...)
	proj := &Project{Input: init}
	for i, c := range cols {
		var e Expr = &ColRef{Idx: i, T: c.T, Name: c.Name}
		if isUnknown(c.T) {
			if e, err = b.coerce(e, types.Text, false); err != nil {
				return nil, err
			}
			cols[i].T = types.Text
		}
		proj.Exprs = append(proj.Exprs, e)
	}
	aliases := nodeName(cte.Aliascolnames)
	if len(aliases) > len(cols) {
		return nil, pgerr.New("42P10", "WITH query %q has %d columns available but %d columns specified", name, len(cols), len(aliases))
	}
	for i, a := range aliases {
		cols[i].Name = a
	}
	proj.Cols = cols
	b.nextID++
	id := b.nextID
	ctes[name] = &cteDef{node: &WorkTable{ID: id, Name: name, Cols: cols}, cols: cols, id: id}
	ss := &scope{parent: s.parent}
	step, err := b.bindSelect(q.Rarg, ss)
	if err != nil {
		return nil, err
	}
	if is.correlated || ss.correlated {
		s.correlated = true // reads the enclosing query's row
	}
	sc := step.Columns()
	if len(sc) != len(cols) {
		return nil, pgerr.New(pgerr.SyntaxError, "each UNION query must have the same number of columns")
	}
	sp := &Project{Input: step, Cols: cols}
	for i, c := range sc {
		var e Expr = &ColRef{Idx: i, T: c.T, Name: c.Name}
		if isUnknown(c.T) {
			if e, err = b.coerce(e, cols[i].T, false); err != nil {
				return nil, err
			}
		} else if c.T.OID != cols[i].T.OID {
			return nil, pgerr.New(pgerr.DatatypeMismatch, "recursive query %q column %d has type %s in non-recursive term but type %s overall",
				name, i+1, types.TypeName(cols[i].T), types.TypeName(c.T)).WithHint("Cast the output of the non-recursive term to the correct type.")
		}
		sp.Exprs = append(sp.Exprs, e)
	}
	ru := &RecursiveUnion{ID: id, Init: proj, Step: sp, All: q.All, Cols: cols}
	return &cteDef{node: &Materialize{Input: ru, ID: id}, cols: cols, id: id}, nil
}

// refersTo reports whether q mentions name as an unqualified table name
// anywhere (FROM items, subqueries, nested CTEs).
func refersTo(q *pg.SelectStmt, name string) bool {
	return q != nil && AnyNode(q, func(m proto.Message) bool {
		rv, ok := m.(*pg.RangeVar)
		return ok && rv.Schemaname == "" && rv.Relname == name
	})
}

// AnyNode reports whether pred holds for msg or any message inside it (a
// pg_query parse tree), stopping at the first that does.
func AnyNode(msg proto.Message, pred func(proto.Message) bool) bool {
	found := false
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if found = pred(m.Interface()); found {
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				l := v.List()
				for i := 0; i < l.Len() && !found; i++ {
					walk(l.Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return !found
		})
	}
	walk(msg.ProtoReflect())
	return found
}

// String names a WorkTable for EXPLAIN.
func (n *WorkTable) String() string { return fmt.Sprintf("WorkTable Scan on %s", n.Name) }
