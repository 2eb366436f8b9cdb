package plan

import (
	"regexp"

	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Expr is a bound, typed scalar expression. Column references are resolved
// to positions in the input row of the operator that evaluates them.
type Expr interface {
	Type() types.Type
}

// Const is a constant.
type Const struct {
	V types.Value
	T types.Type
}

// ColRef reads column Idx of the current input row.
type ColRef struct {
	Idx  int
	T    types.Type
	Name string
}

// OuterRef reads column Idx of an enclosing query's current row, Depth levels
// out (1 = the immediately enclosing query). Correlated subqueries use it.
type OuterRef struct {
	Depth int
	Idx   int
	T     types.Type
}

// Param is the statement parameter $N (1-based).
type Param struct {
	N int
	T types.Type
}

// Cast converts E to T.
type Cast struct {
	E        Expr
	T        types.Type
	Explicit bool
	From     types.Type
}

// BinOp is arithmetic (+ - * / %) via types.BinaryOp, or text concatenation
// (||).
type BinOp struct {
	Op   string
	L, R Expr
	T    types.Type
}

// Neg is unary minus.
type Neg struct {
	E Expr
}

// Cmp compares L and R with Op (=, <>, <, <=, >, >=); both sides have been
// cast to comparable types. Distinct makes it IS [NOT] DISTINCT FROM (NULL-safe).
type Cmp struct {
	Op       string
	L, R     Expr
	Distinct bool
}

// Logic is AND / OR over Args (three-valued), or NOT over Args[0].
type Logic struct {
	Op   string // "and", "or", "not"
	Args []Expr
}

// IsNull tests E IS [NOT] NULL.
type IsNull struct {
	E   Expr
	Not bool
}

// BoolTest is IS [NOT] TRUE/FALSE/UNKNOWN.
type BoolTest struct {
	E    Expr
	What string // "true", "false", "unknown"
	Not  bool
}

// Func calls a scalar function.
type Func struct {
	F    *funcs.Func
	Args []Expr
}

// Case is CASE [Operand] WHEN … THEN … ELSE … END.
type Case struct {
	// Operand is the simple form's operand (nil for the searched form),
	// kept for printing it (deparse.go): each When's Cond already compares
	// it with the WHEN value, and evaluation reads only the Conds.
	Operand Expr
	Whens   []When
	Else    Expr // nil = NULL
	T       types.Type
}

// When is one WHEN branch.
type When struct {
	Cond, Result Expr
}

// Like is [NOT] LIKE/ILIKE; M is compiled at bind time for constant patterns.
type Like struct {
	E, Pattern Expr
	Escape     rune
	CI, Not    bool
	M          *funcs.LikeMatcher
}

// Regex is ~ ~* !~ !~*.
type Regex struct {
	E, Pattern Expr
	CI, Not    bool
	Re         *regexp.Regexp
}

// InList is E [NOT] IN (List…).
type InList struct {
	E    Expr
	List []Expr
	Not  bool
}

// Coalesce returns the first non-null argument.
type Coalesce struct {
	Args []Expr
	T    types.Type
}

// NullIf is NULLIF(A, B).
type NullIf struct {
	A, B Expr
}

// MinMax is GREATEST / LEAST.
type MinMax struct {
	Args     []Expr
	Greatest bool
	T        types.Type
}

// RowExpr is ROW(e1, e2, …) or (e1, e2, …) used as a value: a record
// (a KindArray value of its fields, types.NewRecord) of type T, whose
// Rec lists the fields' types.
type RowExpr struct {
	Elems []Expr
	T     types.Type
}

// RowCmp is (l1, l2, …) op (r1, r2, …) for op < <= > >= (PostgreSQL's
// RowCompareExpr): pairs are compared in order, and the first that is not
// equal decides — NULL when either of its values is NULL; all equal is
// true for <= and >=. Each pair has been cast to comparable types. Row =
// and <> are bound as the AND / OR of the pairs' comparisons instead.
type RowCmp struct {
	Op   string
	L, R []Expr
}

// SubqueryKind says how a subquery's result is used.
type SubqueryKind int

// Subquery kinds.
const (
	SubScalar SubqueryKind = iota // (SELECT x): one value or NULL; >1 row → 21000
	SubExists                     // EXISTS (SELECT …)
	SubIn                         // E IN (SELECT …) / E = ANY (SELECT …)
	SubAll                        // E op ALL (SELECT …)
	SubAny                        // E op ANY (SELECT …) other than =
	SubArray                      // ARRAY(SELECT …): the first column's values as an array
	SubRowCmp                     // (a, b) op (SELECT x, y): at most one row → 21000; none is NULL
	SubRow                        // UPDATE … SET (a, b) = (SELECT x, y): the row as a record, NULLs without one
)

// Subquery evaluates Plan (possibly correlated through OuterRefs) per use.
type Subquery struct {
	Kind SubqueryKind
	Plan Node
	E    Expr   // left operand for IN / ANY / ALL / SubRowCmp: a *RowExpr when the subquery has several columns
	Op   string // comparison for ANY / ALL
	Not  bool
	T    types.Type
	// Correlated is false when the subquery references no outer row, so
	// its result can be computed once per execution.
	Correlated bool
}

// AggRef reads aggregate Idx of the current group (only inside the
// projection over an Aggregate node; the binder rewrites calls into these).
type AggRef struct {
	Idx int
	T   types.Type
}

// GroupingRef is GROUPING(…) of the query's Idx-th such call, above an
// aggregation: an int4 bit mask, one bit per argument (the last is bit 0),
// set where the argument is not grouped in the row's grouping set. The
// aggregation's rewrite turns it into a column of the aggregate's output.
type GroupingRef struct {
	Idx int
}

func (g *GroupingRef) Type() types.Type { return types.Int4 }

// SeqFunc is nextval/currval/setval on a sequence.
type SeqFunc struct {
	Op    string // "nextval", "currval", "setval"
	SeqID uint32
	Name  string
	Args  []Expr // setval's value (and is_called)
}

// SessionFunc is a function answered by the session (current_setting,
// omendb_commit_offset, pg_backend_pid, …).
type SessionFunc struct {
	Name string
	Args []Expr
	T    types.Type
}

// ArrayExpr is ARRAY[e1, e2, …]; every element has been cast to T's
// element type.
type ArrayExpr struct {
	Elems []Expr
	T     types.Type
}

// AnyArray is E op ANY (Arr) or, with All, E op ALL (Arr) over an array
// value; E has been cast to Arr's element type.
type AnyArray struct {
	E, Arr Expr
	Op     string
	All    bool
}

// Subscript is Arr[Idx]: 1-based; NULL when out of range or either is NULL.
type Subscript struct {
	Arr, Idx Expr
	T        types.Type
}

// WindowRef reads window function Idx of the current row (only in the
// projection over a Window node; the binder rewrites calls into these).
type WindowRef struct {
	Idx int
	T   types.Type
}

// Type implementations.

func (e *Const) Type() types.Type       { return e.T }
func (e *ColRef) Type() types.Type      { return e.T }
func (e *OuterRef) Type() types.Type    { return e.T }
func (e *Param) Type() types.Type       { return e.T }
func (e *Cast) Type() types.Type        { return e.T }
func (e *BinOp) Type() types.Type       { return e.T }
func (e *Neg) Type() types.Type         { return e.E.Type() }
func (e *Cmp) Type() types.Type         { return types.Bool }
func (e *Logic) Type() types.Type       { return types.Bool }
func (e *IsNull) Type() types.Type      { return types.Bool }
func (e *BoolTest) Type() types.Type    { return types.Bool }
func (e *Func) Type() types.Type        { return e.F.Ret }
func (e *Case) Type() types.Type        { return e.T }
func (e *Like) Type() types.Type        { return types.Bool }
func (e *Regex) Type() types.Type       { return types.Bool }
func (e *InList) Type() types.Type      { return types.Bool }
func (e *Coalesce) Type() types.Type    { return e.T }
func (e *NullIf) Type() types.Type      { return e.A.Type() }
func (e *MinMax) Type() types.Type      { return e.T }
func (e *Subquery) Type() types.Type    { return e.T }
func (e *AggRef) Type() types.Type      { return e.T }
func (e *SeqFunc) Type() types.Type     { return types.Int8 }
func (e *SessionFunc) Type() types.Type { return e.T }
func (e *ArrayExpr) Type() types.Type   { return e.T }
func (e *AnyArray) Type() types.Type    { return types.Bool }
func (e *Subscript) Type() types.Type   { return e.T }
func (e *WindowRef) Type() types.Type   { return e.T }
func (e *RowExpr) Type() types.Type     { return e.T }
func (e *RowCmp) Type() types.Type      { return types.Bool }

// Walk calls fn for e and every expression below it (not into subquery
// plans); fn returns false to skip an expression's children.
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch x := e.(type) {
	case *Cast:
		Walk(x.E, fn)
	case *BinOp:
		Walk(x.L, fn)
		Walk(x.R, fn)
	case *Neg:
		Walk(x.E, fn)
	case *Cmp:
		Walk(x.L, fn)
		Walk(x.R, fn)
	case *Logic:
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *IsNull:
		Walk(x.E, fn)
	case *BoolTest:
		Walk(x.E, fn)
	case *Func:
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *Case:
		Walk(x.Operand, fn)
		for _, w := range x.Whens {
			Walk(w.Cond, fn)
			Walk(w.Result, fn)
		}
		Walk(x.Else, fn)
	case *Like:
		Walk(x.E, fn)
		Walk(x.Pattern, fn)
	case *Regex:
		Walk(x.E, fn)
		Walk(x.Pattern, fn)
	case *InList:
		Walk(x.E, fn)
		for _, a := range x.List {
			Walk(a, fn)
		}
	case *Coalesce:
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *NullIf:
		Walk(x.A, fn)
		Walk(x.B, fn)
	case *MinMax:
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *Subquery:
		Walk(x.E, fn)
	case *SeqFunc:
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *SessionFunc:
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *UserCall:
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *ArrayExpr:
		for _, a := range x.Elems {
			Walk(a, fn)
		}
	case *AnyArray:
		Walk(x.E, fn)
		Walk(x.Arr, fn)
	case *Subscript:
		Walk(x.Arr, fn)
		Walk(x.Idx, fn)
	case *FieldSelect:
		Walk(x.E, fn)
	case *RowExpr:
		for _, a := range x.Elems {
			Walk(a, fn)
		}
	case *RowCmp:
		for i := range x.L {
			Walk(x.L[i], fn)
			Walk(x.R[i], fn)
		}
	}
}
