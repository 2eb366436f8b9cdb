package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Window functions. The binder turns each `f(…) OVER (…)` of the select list
// and ORDER BY into a WindowCall of one Window node placed above the
// aggregation (if any) and HAVING, and below the projection; the call's
// value is the Window node's output column len(input)+i.

// windowingError is SQLSTATE 42P20 (windowing_error).
const windowingError = "42P20"

// FrameKind is the window frame of a call: three fixed frames from the
// partition's first row (computed with one running state), or any other
// frame (FrameBounded).
type FrameKind int

// Frames.
const (
	// FrameDefault is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW:
	// the partition up to the current row's last peer (the whole partition
	// without ORDER BY).
	FrameDefault FrameKind = iota
	// FrameRows is ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW.
	FrameRows
	// FrameAll is BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING.
	FrameAll
	// FrameBounded is any other frame: in Mode (ROWS, RANGE or GROUPS),
	// from Start to End, each UNBOUNDED, CURRENT ROW or an offset
	// PRECEDING / FOLLOWING, less the rows Exclude names.
	FrameBounded
)

// FrameMode is the unit of a FrameBounded frame's offsets: rows, the
// ORDER BY key's value, or peer groups.
type FrameMode int

// Frame modes.
const (
	FrameModeRows FrameMode = iota
	FrameModeRange
	FrameModeGroups
)

// FrameExclude is a frame's EXCLUDE clause.
type FrameExclude int

// Frame exclusions.
const (
	ExcludeNoOthers FrameExclude = iota
	ExcludeCurrentRow
	ExcludeGroup // the current row's peers, itself included
	ExcludeTies  // its peers, itself not
)

// FrameBound is one end of a FrameBounded frame: the partition's edge
// (Unbounded), the current row — in RANGE and GROUPS modes its peer group's
// edge — (Offset nil), or Offset rows, peer groups or key distance before
// (Preceding) or after it. Offset is an expression without variables
// (bigint for ROWS and GROUPS; for RANGE the type added to the key:
// interval for dates and times), evaluated once per partition.
//
// InFrame, for a RANGE offset bound, is a boolean over the two-value row
// (the current row's key, another row's key): true when the other key lies
// on the frame's side of the bound (at or after a start, at or before an
// end, in the ORDER BY direction).
type FrameBound struct {
	Unbounded bool
	Offset    Expr
	Preceding bool
	InFrame   Expr
}

// WindowCall is one window function call.
type WindowCall struct {
	Name string
	// Agg is set for aggregates used as window functions; nil for
	// row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag,
	// lead, first_value, last_value, nth_value.
	Agg       *funcs.Aggregate
	Args      []Expr
	Star      bool
	Filter    Expr
	Partition []Expr
	Order     []SortKey
	Frame     FrameKind
	// Mode, Start, End and Exclude describe a FrameBounded frame.
	Mode       FrameMode
	Start, End FrameBound
	Exclude    FrameExclude
	T          types.Type
}

// Window computes Calls over its input; output rows are the input row
// followed by one value per call.
type Window struct {
	Input Node
	Calls []WindowCall
	Cols  []Column
}

// Columns implements Node.
func (n *Window) Columns() []Column { return n.Cols }

// winCtx collects window calls while binding a select list.
type winCtx struct {
	allowed bool
	inAgg   bool // binding an aggregate's arguments
	calls   []WindowCall
	named   map[string]*pg.WindowDef
}

// pg_query frame option bits (PostgreSQL's FRAMEOPTION_*).
const (
	frameNonDefault           = 0x1
	frameRange                = 0x2
	frameRows                 = 0x4
	frameGroups               = 0x8
	frameBetween              = 0x10
	frameStartUnbounded       = 0x20
	frameEndUnbounded         = 0x100
	frameStartCurrent         = 0x200
	frameEndCurrent           = 0x400
	frameStartOffsetPreceding = 0x800
	frameEndOffsetPreceding   = 0x1000
	frameStartOffsetFollowing = 0x2000
	frameEndOffsetFollowing   = 0x4000
	frameExcludeCurrentRow    = 0x8000
	frameExcludeGroup         = 0x10000
	frameExcludeTies          = 0x20000
	frameExclude              = frameExcludeCurrentRow | frameExcludeGroup | frameExcludeTies
)

// boundFrame binds a FrameBounded frame of call (its Order bound
// already): the mode, the bounds with their offsets, the exclusion.
func (b *Binder) boundFrame(def *pg.WindowDef, s *scope, call *WindowCall) error {
	opts := def.FrameOptions
	mode := "ROWS"
	switch {
	case opts&frameRange != 0:
		call.Mode, mode = FrameModeRange, "RANGE"
	case opts&frameGroups != 0:
		call.Mode, mode = FrameModeGroups, "GROUPS"
	}
	switch {
	case opts&frameExcludeCurrentRow != 0:
		call.Exclude = ExcludeCurrentRow
	case opts&frameExcludeGroup != 0:
		call.Exclude = ExcludeGroup
	case opts&frameExcludeTies != 0:
		call.Exclude = ExcludeTies
	}
	offsets := opts&(frameStartOffsetPreceding|frameStartOffsetFollowing|frameEndOffsetPreceding|frameEndOffsetFollowing) != 0
	if call.Mode == FrameModeRange && offsets && len(call.Order) != 1 {
		return pgerr.New(windowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
	}
	offset := func(n *pg.Node) (Expr, error) {
		e, err := b.bindExpr(n, &scope{parent: s.parent})
		if err != nil {
			if pgerr.Code(err) == pgerr.UndefinedColumn {
				return nil, pgerr.New("42P10", "argument of %s must not contain variables", mode)
			}
			return nil, err
		}
		if call.Mode != FrameModeRange {
			return b.coerce(e, types.Int8, false)
		}
		kt := call.Order[0].E.Type()
		var want types.Type
		switch kt.OID {
		case types.OIDInt2, types.OIDInt4, types.OIDInt8:
			want = types.Int8
		case types.OIDFloat4, types.OIDFloat8:
			want = types.Float8
		case types.OIDNumeric:
			want = types.Numeric
		case types.OIDDate, types.OIDTimestamp, types.OIDTimestampTZ, types.OIDTime, types.OIDInterval:
			want = types.Interval
		default:
			return nil, pgerr.NotSupported("RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", types.TypeName(kt))
		}
		c, err := b.coerce(e, want, false)
		if err != nil {
			return nil, pgerr.NotSupported("RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s and offset type %s", types.TypeName(kt), types.TypeName(e.Type()))
		}
		return c, nil
	}
	// inFrame binds a RANGE offset bound's test: the bound's key is the
	// current key minus or plus the offset (plus when it lies after the
	// current row in ORDER BY direction).
	inFrame := func(fb *FrameBound, start bool) error {
		kt := call.Order[0].E.Type()
		cur, other := &ColRef{Idx: 0, T: kt}, &ColRef{Idx: 1, T: kt}
		desc := call.Order[0].Desc
		op := "+"
		if fb.Preceding != desc {
			op = "-"
		}
		bound, err := b.binaryOp(op, cur, fb.Offset, -1)
		if err != nil {
			return err
		}
		cmp := ">="
		if start == desc {
			cmp = "<="
		}
		fb.InFrame, err = b.comparison(cmp, other, bound, -1)
		return err
	}
	var err error
	bindBound := func(fb *FrameBound, unbounded, current, preceding, following int32, n *pg.Node, start bool) error {
		switch {
		case opts&unbounded != 0:
			fb.Unbounded = true
		case opts&current != 0:
		case opts&(preceding|following) != 0:
			fb.Preceding = opts&preceding != 0
			if fb.Offset, err = offset(n); err != nil {
				return err
			}
			if call.Mode == FrameModeRange {
				return inFrame(fb, start)
			}
		}
		return nil
	}
	if err := bindBound(&call.Start, frameStartUnbounded, frameStartCurrent, frameStartOffsetPreceding, frameStartOffsetFollowing, def.StartOffset, true); err != nil {
		return err
	}
	return bindBound(&call.End, frameEndUnbounded, frameEndCurrent, frameEndOffsetPreceding, frameEndOffsetFollowing, def.EndOffset, false)
}

// frameKind picks the fixed frames computed with one running state; every
// other frame is FrameBounded.
func frameKind(opts int32) FrameKind {
	if opts&frameExclude != 0 {
		return FrameBounded
	}
	switch opts &^ (frameNonDefault | frameBetween) {
	case frameRange | frameStartUnbounded | frameEndCurrent, frameGroups | frameStartUnbounded | frameEndCurrent:
		return FrameDefault
	case frameRows | frameStartUnbounded | frameEndCurrent:
		return FrameRows
	case frameRange | frameStartUnbounded | frameEndUnbounded, frameRows | frameStartUnbounded | frameEndUnbounded, frameGroups | frameStartUnbounded | frameEndUnbounded:
		return FrameAll
	}
	return FrameBounded
}

// hasWindow reports whether a select list or ORDER BY calls a window
// function (outside subqueries).
func hasWindow(nodes ...[]*pg.Node) bool {
	for _, ns := range nodes {
		for _, n := range ns {
			if containsCall(n, func(f *pg.FuncCall) bool { return f.Over != nil }) {
				return true
			}
		}
	}
	return false
}

// windowDef resolves OVER w / OVER (w …) against the WINDOW clause.
func (w *winCtx) windowDef(over *pg.WindowDef) (*pg.WindowDef, error) {
	if over.Name != "" {
		d, ok := w.named[over.Name]
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedObject, "window %q does not exist", over.Name)
		}
		return d, nil
	}
	if over.Refname == "" {
		return over, nil
	}
	base, ok := w.named[over.Refname]
	if !ok {
		return nil, pgerr.New(pgerr.UndefinedObject, "window %q does not exist", over.Refname)
	}
	if len(over.PartitionClause) > 0 {
		return nil, pgerr.New(windowingError, "cannot override PARTITION BY clause of window %q", over.Refname)
	}
	if len(base.OrderClause) > 0 && len(over.OrderClause) > 0 {
		return nil, pgerr.New(windowingError, "cannot override ORDER BY clause of window %q", over.Refname)
	}
	if base.FrameOptions&frameNonDefault != 0 {
		return nil, pgerr.New(windowingError, "cannot copy window %q because it has a frame clause", over.Refname)
	}
	d := &pg.WindowDef{PartitionClause: base.PartitionClause, OrderClause: base.OrderClause, FrameOptions: over.FrameOptions,
		StartOffset: over.StartOffset, EndOffset: over.EndOffset}
	if len(over.OrderClause) > 0 {
		d.OrderClause = over.OrderClause
	}
	return d, nil
}

// bindWindowCall binds name(…) OVER (…) into a WindowRef.
func (b *Binder) bindWindowCall(name string, fc *pg.FuncCall, s *scope) (Expr, error) {
	w := s.win
	if w != nil && w.inAgg {
		return nil, pgerr.New(pgerr.GroupingError, "aggregate function calls cannot contain window function calls")
	}
	if w == nil || !w.allowed {
		if w != nil {
			return nil, pgerr.New(windowingError, "window function calls cannot be nested")
		}
		return nil, pgerr.New(windowingError, "window functions are not allowed here")
	}
	def, err := w.windowDef(fc.Over)
	if err != nil {
		return nil, err
	}
	if fc.AggDistinct {
		return nil, pgerr.NotSupported("DISTINCT is not implemented for window functions")
	}
	if len(fc.AggOrder) > 0 || fc.AggWithinGroup {
		return nil, pgerr.NotSupported("ORDER BY in a window function's arguments is not supported")
	}
	w.allowed = false
	defer func() { w.allowed = true }()
	call := WindowCall{Name: name, Star: fc.AggStar, Frame: frameKind(def.FrameOptions)}
	if call.Args, err = b.bindExprs(fc.Args, s); err != nil {
		return nil, err
	}
	for _, p := range def.PartitionClause {
		e, err := b.bindExpr(p, s)
		if err != nil {
			return nil, err
		}
		if err := needEquality(e.Type()); err != nil {
			return nil, err
		}
		call.Partition = append(call.Partition, e)
	}
	order, err := b.bindSortKeys(def.OrderClause, s)
	if err != nil {
		return nil, err
	}
	call.Order = order
	if def.FrameOptions&frameGroups != 0 && len(order) == 0 {
		return nil, pgerr.New(windowingError, "GROUPS mode requires an ORDER BY clause")
	}
	if call.Frame == FrameBounded {
		if err := b.boundFrame(def, s, &call); err != nil {
			return nil, err
		}
	}
	if fc.AggFilter != nil {
		if call.Agg == nil && !funcs.IsAggregate(name) {
			return nil, pgerr.NotSupported("FILTER is not implemented for non-aggregate window functions")
		}
		f, err := b.bindExpr(fc.AggFilter, s)
		if err != nil {
			return nil, err
		}
		if call.Filter, err = b.coerceBool(f, "argument of FILTER"); err != nil {
			return nil, err
		}
	}
	if err := b.typeWindowCall(&call); err != nil {
		return nil, err
	}
	w.calls = append(w.calls, call)
	return &WindowRef{Idx: len(w.calls) - 1, T: call.T}, nil
}

func (b *Binder) typeWindowCall(call *WindowCall) error {
	args := call.Args
	nargs := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi || call.Star {
			ts := make([]string, len(args))
			for i, a := range args {
				ts[i] = types.TypeName(a.Type())
			}
			return pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", call.Name, joinComma(ts)).
				WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
		}
		return nil
	}
	var err error
	switch call.Name {
	case "row_number", "rank", "dense_rank":
		call.T = types.Int8
		return nargs(0, 0)
	case "percent_rank", "cume_dist":
		call.T = types.Float8
		return nargs(0, 0)
	case "ntile":
		if err := nargs(1, 1); err != nil {
			return err
		}
		call.T = types.Int4
		args[0], err = b.coerce(args[0], types.Int4, false)
		return err
	case "lag", "lead", "first_value", "last_value", "nth_value":
		hi := 1
		switch call.Name {
		case "lag", "lead":
			hi = 3
		case "nth_value":
			hi = 2
		}
		lo := 1
		if call.Name == "nth_value" {
			lo = 2
		}
		if err := nargs(lo, hi); err != nil {
			return err
		}
		if isUnknown(args[0].Type()) {
			if args[0], err = b.coerce(args[0], types.Text, false); err != nil {
				return err
			}
		}
		call.T = args[0].Type()
		if len(args) > 1 {
			if args[1], err = b.coerce(args[1], types.Int4, false); err != nil {
				return err
			}
		}
		if len(args) > 2 {
			t, err := unify([]types.Type{call.T, args[2].Type()}, call.Name)
			if err != nil {
				return err
			}
			if t.OID != call.T.OID {
				return pgerr.New(pgerr.UndefinedFunction, "function %s(%s, integer, %s) does not exist", call.Name,
					types.TypeName(call.T), types.TypeName(args[2].Type()))
			}
			if args[2], err = b.coerce(args[2], call.T, false); err != nil {
				return err
			}
		}
		return nil
	}
	if !funcs.IsAggregate(call.Name) {
		if funcs.Exists(call.Name) {
			return pgerr.New(pgerr.WrongObjectType, "OVER specified, but %s is not a window function nor an aggregate function", call.Name)
		}
		return pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", call.Name)
	}
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	agg, casts, err := funcs.ResolveAggregate(call.Name, ts, call.Star)
	if err != nil {
		return err
	}
	for i := range args {
		if i < len(casts) && casts[i].OID != 0 && casts[i].OID != funcs.OIDAny {
			if args[i], err = b.coerce(args[i], casts[i], false); err != nil {
				return err
			}
		}
	}
	call.Agg, call.T = agg, agg.Ret
	return nil
}

// placeWindow puts a Window node with calls above input and rewrites the
// WindowRefs of exprs into its output columns.
func placeWindow(input Node, calls []WindowCall, exprs ...[]Expr) Node {
	in := input.Columns()
	cols := append([]Column(nil), in...)
	for _, c := range calls {
		cols = append(cols, Column{Name: c.Name, T: c.T})
	}
	base := len(in)
	for _, es := range exprs {
		for i := range es {
			es[i] = Transform(es[i], func(x Expr) (Expr, bool) {
				if r, ok := x.(*WindowRef); ok {
					return &ColRef{Idx: base + r.Idx, T: r.T}, true
				}
				return x, false
			})
		}
	}
	return &Window{Input: input, Calls: calls, Cols: cols}
}
