package plan

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Column is an output column of a plan node.
type Column struct {
	Name     string
	T        types.Type
	TableOID uint32
	AttNum   int16
	// System marks a system column (tableoid of a catalog table): named
	// in expressions, but not part of * nor matched by NATURAL joins.
	System bool
}

// Node is a relational operator in a plan tree. The executor (package
// sql/exec) opens nodes into iterators.
type Node interface {
	Columns() []Column
}

// Scan reads a table at the statement's snapshot (with the transaction's own
// writes overlaid). It outputs the table's physical row: one value per column
// slot, dropped ones included (they read NULL and are hidden from scope).
type Scan struct {
	Table *catalog.Table
	Alias string
	Cols  []Column
	// Filter is evaluated on each row (pushed-down WHERE conjuncts).
	Filter Expr
	// Access path: with KeyEq set (one expression per primary-key column,
	// or a prefix of them), only rows with that primary key (prefix) are
	// read. With Index set, Index's leading columns equal IndexEq.
	KeyEq   []Expr
	Index   *catalog.Index
	IndexEq []Expr
	// IndexElems are Index's key elements bound over the scan's row (the
	// column, or the index's expression), for an index with expressions;
	// nil for a plain index (IndexElem builds the column references).
	IndexElems []Expr
	// Range, when set, bounds the key element right after the equality
	// prefix (KeyEq on the primary key when Index is nil, else IndexEq on
	// Index): only keys whose element lies within it are read. The
	// comparisons it came from stay in Filter.
	Range *KeyRange
	// Reverse reads the access path's keys in descending order: the
	// primary key's, or Index's (an ORDER BY its order serves backward,
	// order.go). Only the row executor honours it; a column scan's rows
	// come in no order.
	Reverse bool
	// Reason explains the access path choice for EXPLAIN.
	Reason string
	// FirstRows, when positive, is the most rows a LIMIT above reads from
	// the scan, in its key order, with nothing between dropping rows
	// (order.go): the row store reads just those in auto mode.
	FirstRows int64
	// FirstRowsLimit is such a LIMIT whose count or offset are not
	// constants but parameters (LIMIT $1): how many rows it reads is known
	// when the statement runs (exec.FirstRows).
	FirstRowsLimit *Limit
	// Key appends a column to each row: its encoded primary key (bytea;
	// the target of UPDATE … FROM and DELETE … USING, which write rows by
	// key).
	Key bool
}

// KeyRange bounds one key element: Lo (nil: unbounded) below, Hi above,
// each inclusive or exclusive. A bound that is NULL matches no row, and
// neither does a NULL element. A bound from a row comparison ((a, b) >
// ($1, $2) over key elements a, b) is a *RowExpr of values for this
// element and the next ones, ordering keys lexicographically as the
// comparison does.
type KeyRange struct {
	Lo, Hi         Expr
	LoIncl, HiIncl bool
}

// KeyEquality reports whether the scan's access path fixes a key prefix by
// equality (a range may follow): the selective paths the column runner
// leaves to the row store in auto mode. A path with a range alone stays
// there only when the range holds few rows (exec.NarrowRange, sized when
// the statement runs).
func (s *Scan) KeyEquality() bool { return len(s.KeyEq) > 0 || len(s.IndexEq) > 0 }

// FewRows is how many rows at most a scan reads through the row store,
// rather than by a column scan, in auto mode when the count is known: a
// LIMIT's rows (exec.FewFirstRows) or a narrow key range (exec.NarrowRange).
const FewRows = 8192

// ClearAccess drops the scan's access path: it reads the whole table
// under its filter.
func (s *Scan) ClearAccess(reason string) {
	s.KeyEq, s.Index, s.IndexEq, s.IndexElems, s.Range, s.Reverse = nil, nil, nil, nil, nil, false
	s.Reason = reason
}

// IndexElem returns key element i of the scan's index path as an
// expression over its row: IndexElem(i) = IndexEq[i] holds for every row
// the path reads.
func (s *Scan) IndexElem(i int) Expr {
	if i < len(s.IndexElems) {
		return s.IndexElems[i]
	}
	c := s.Index.Columns[i]
	return &ColRef{Idx: c, T: s.Table.Columns[c].Type, Name: s.Table.Columns[c].Name}
}

// Values produces literal rows.
type Values struct {
	Rows [][]Expr
	Cols []Column
}

// One produces a single row with no columns (SELECT without FROM).
type One struct{}

// Filter keeps rows for which Cond is true.
type Filter struct {
	Input Node
	Cond  Expr
}

// Project computes Exprs over each input row.
type Project struct {
	Input Node
	Exprs []Expr
	Cols  []Column
}

// JoinKind is the kind of a join.
type JoinKind int

// Join kinds.
const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	SemiJoin
	AntiJoin
)

var joinNames = [...]string{"Inner", "Left", "Right", "Full", "Semi", "Anti"}

func (k JoinKind) String() string { return joinNames[k] }

// Join joins Left and Right; output rows are left columns then right columns
// (semi and anti joins output left columns only). With LeftKeys/RightKeys
// set the executor hashes the right side on RightKeys and probes with
// LeftKeys; Cond is then the residual condition. Otherwise it is a nested
// loop over Cond.
type Join struct {
	Kind                JoinKind
	Left, Right         Node
	LeftKeys, RightKeys []Expr
	Cond                Expr
	Cols                []Column
}

// AggCall is one aggregate computed by an Aggregate node.
type AggCall struct {
	Agg      *funcs.Aggregate
	Args     []Expr
	Distinct bool
	Star     bool
	Filter   Expr
	Name     string
	// Order is the ORDER BY inside the call (string_agg(x, ',' ORDER BY
	// y), array_agg(x ORDER BY y)): rows are stepped in that order.
	Order []SortKey
}

// Aggregate groups its input by GroupBy and computes Aggs per group. Output
// rows are the group values followed by the aggregate results. With no
// GroupBy it produces exactly one row, even for empty input.
type Aggregate struct {
	Input   Node
	GroupBy []Expr
	Aggs    []AggCall
	Cols    []Column
}

// SortKey is one ORDER BY key.
type SortKey struct {
	E          Expr
	Desc       bool
	NullsFirst bool
}

// Sort orders its input.
type Sort struct {
	Input Node
	Keys  []SortKey
	// Presorted marks an input that already yields rows in Keys' order
	// (a scan in primary-key order, order.go): the row executor passes
	// them on unsorted.
	Presorted bool
}

// Limit skips Offset rows and returns at most Count (nil = all).
type Limit struct {
	Input         Node
	Count, Offset Expr
}

// Distinct removes duplicate rows (comparing the first N columns; N = all
// when 0). With On set (SELECT DISTINCT ON) it keeps the first row of each
// run of rows equal in the On columns: its input (a Sort) brings each
// group's rows together, the wanted one first.
type Distinct struct {
	Input Node
	N     int
	On    []int
}

// SetOp is UNION / INTERSECT / EXCEPT [ALL].
type SetOp struct {
	Op          string // "union", "intersect", "except"
	All         bool
	Left, Right Node
	Cols        []Column
}

// FuncScan is a set-returning function in FROM (generate_series, unnest,
// generate_subscripts, _pg_expandarray). With Ordinality its last column is
// the row's number, from 1 (WITH ORDINALITY).
type FuncScan struct {
	Name       string
	Args       []Expr
	Cols       []Column
	Ordinality bool
	// Table, when set, computes the rows (a registered TableFunc).
	Table *TableFunc
	// User, when set, is a user-defined function's call (Args are its
	// arguments): its body's rows (userfunc.go).
	User *UserCall
}

// Materialize runs a CTE once and replays its rows to every reference —
// once per statement, or, when the CTE reads the row of an enclosing query
// (Correlated: a CTE inside a correlated subquery), each time it is read.
// ModifyingCTE is a data-modifying statement in a WITH clause (INSERT,
// UPDATE or DELETE, bound as Stmt). The statement holding it runs it first;
// its RETURNING rows are the rows of the Materialize with the same ID,
// which the executor is given before the statement runs. Executing the
// node itself is an error.
type ModifyingCTE struct {
	ID   int
	Cols []Column
	// Insert, Update or Delete: the one that is set.
	Insert *Insert
	Update *Update
	Delete *Delete
}

func (n *ModifyingCTE) Columns() []Column { return n.Cols }

type Materialize struct {
	Input      Node
	ID         int
	Correlated bool
}

// Columns implementations.

func (n *Scan) Columns() []Column        { return n.Cols }
func (n *Values) Columns() []Column      { return n.Cols }
func (n *One) Columns() []Column         { return nil }
func (n *Filter) Columns() []Column      { return n.Input.Columns() }
func (n *Project) Columns() []Column     { return n.Cols }
func (n *Join) Columns() []Column        { return n.Cols }
func (n *Aggregate) Columns() []Column   { return n.Cols }
func (n *Sort) Columns() []Column        { return n.Input.Columns() }
func (n *Limit) Columns() []Column       { return n.Input.Columns() }
func (n *Distinct) Columns() []Column    { return n.Input.Columns() }
func (n *SetOp) Columns() []Column       { return n.Cols }
func (n *FuncScan) Columns() []Column    { return n.Cols }
func (n *Materialize) Columns() []Column { return n.Input.Columns() }

// Query is a bound statement that returns rows (SELECT, VALUES).
type Query struct {
	Root   Node
	Params []types.Type
	// Modifying are the statement's data-modifying WITH queries, run in
	// order before it (each once, referenced or not).
	Modifying []*ModifyingCTE
	// Locking: the query locks the rows it returns (SELECT … FOR UPDATE).
	// It runs in the row executor, in a transaction that may write.
	Locking bool
}

// SetClause is one `col = expr` of UPDATE or ON CONFLICT DO UPDATE.
type SetClause struct {
	Col int
	E   Expr
}

// OnConflict is INSERT … ON CONFLICT.
type OnConflict struct {
	// Arbiters are the unique indexes whose conflict triggers the action
	// (none: any unique index, DO NOTHING only): the one ON CONSTRAINT
	// names, or every one the conflict target infers (PostgreSQL's
	// infer_arbiter_indexes).
	Arbiters []*catalog.Index
	Nothing  bool
	// Set and Where are evaluated over the existing row followed by the
	// proposed row (EXCLUDED).
	Set   []SetClause
	Where Expr
}

// Overriding is INSERT's OVERRIDING clause: what values given for identity
// columns do.
type Overriding int

const (
	// OverridingNone: a value for a GENERATED ALWAYS identity column is
	// refused (428C9), one for a BY DEFAULT column is used.
	OverridingNone Overriding = iota
	// OverridingSystem (OVERRIDING SYSTEM VALUE): values are used.
	OverridingSystem
	// OverridingUser (OVERRIDING USER VALUE): values are ignored, the
	// columns take their defaults.
	OverridingUser
)

// Insert inserts the rows of Source.
type Insert struct {
	Modifying []*ModifyingCTE // as Query.Modifying
	Table     *catalog.Table
	// Source produces rows of the columns in Target (positions in the
	// table); other columns take their defaults.
	Source     Node
	Target     []int
	Defaults   []Expr // per column slot; nil = NULL
	Override   Overriding
	OnConflict *OnConflict
	Returning  []Expr // over the inserted row
	RetCols    []Column
	Params     []types.Type
	// ViewChecks, when the statement names a view WITH CHECK OPTION, are
	// the conditions each inserted row must pass (over the table's row).
	ViewChecks []ViewCheck
}

// Update updates rows of Scan.Table that pass Scan's filter.
type Update struct {
	Modifying []*ModifyingCTE // as Query.Modifying
	Scan      *Scan
	Set       []SetClause // over the old row
	Returning []Expr      // over the new row
	RetCols   []Column
	Params    []types.Type
	// Join, for UPDATE … FROM, is where the rows come from; Scan is then
	// its target scan, and Set and Returning are over Join's rows.
	Join *TargetJoin
	// ViewChecks: as Insert's, for each updated row.
	ViewChecks []ViewCheck
}

// Delete deletes rows of Scan.Table that pass Scan's filter.
type Delete struct {
	Modifying []*ModifyingCTE // as Query.Modifying
	Scan      *Scan
	Returning []Expr
	RetCols   []Column
	Params    []types.Type
	// Join, for DELETE … USING, is where the rows come from (see Update).
	Join *TargetJoin
}

// TargetJoin is UPDATE … FROM's and DELETE … USING's source: the target
// table joined with the other FROM items under the statement's WHERE. Each
// row of Source is the target's columns, its primary key (KeyCol, bytea;
// Scan.Key) and then the other items' columns. A target row that joins
// several rows is written once, with the first.
type TargetJoin struct {
	Source Node
	KeyCol int
	// Where is the whole WHERE over Source's row layout (nil: none): a
	// target row a concurrent transaction changed is locked, replaced by
	// its newest version and checked again with the same joined row.
	Where Expr
}
