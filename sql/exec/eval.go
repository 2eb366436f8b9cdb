package exec

import (
	"time"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

func init() {
	plan.FoldConst = func(e plan.Expr, loc *time.Location) (types.Value, error) {
		c := &Ctx{Loc: loc, Funcs: &funcs.Context{Loc: loc}}
		return Eval(c, e, nil)
	}
}

var (
	vTrue  = types.NewBool(true)
	vFalse = types.NewBool(false)
)

// Eval evaluates e over row. It never panics on data: type errors were
// caught at bind time and runtime errors (overflow, division by zero, bad
// casts) come back as *pgerr.Error.
func Eval(c *Ctx, e plan.Expr, row []types.Value) (types.Value, error) {
	switch x := e.(type) {
	case *plan.Const:
		return x.V, nil
	case *plan.ColRef:
		if x.Idx < len(row) {
			return row[x.Idx], nil
		}
		return types.Null, nil
	case *plan.OuterRef:
		if d := len(c.outer) - x.Depth; d >= 0 && x.Idx < len(c.outer[d]) {
			return c.outer[d][x.Idx], nil
		}
		return types.Null, pgerr.New(pgerr.InternalError, "outer reference out of range")
	case *plan.Param:
		if x.N-1 < len(c.Params) {
			return c.Params[x.N-1], nil
		}
		return types.Null, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", x.N)
	case *plan.Cast:
		v, err := Eval(c, x.E, row)
		if err != nil || v.IsNull() {
			return types.Null, err
		}
		return types.Cast(v, x.From, x.T, x.Explicit, c.Loc)
	case *plan.BinOp:
		l, r, err := evalPair(c, x.L, x.R, row)
		if err != nil {
			return types.Null, err
		}
		if l.IsNull() || r.IsNull() {
			return types.Null, nil
		}
		if x.Op == "||" {
			lt := types.AppendText(nil, l, x.L.Type(), c.Loc)
			return types.NewText(string(types.AppendText(lt, r, x.R.Type(), c.Loc))), nil
		}
		return types.BinaryOpLoc(x.Op, l, x.L.Type(), r, x.R.Type(), c.Loc)
	case *plan.Neg:
		v, err := Eval(c, x.E, row)
		if err != nil || v.IsNull() {
			return types.Null, err
		}
		return types.Negate(v, x.E.Type())
	case *plan.Cmp:
		l, r, err := evalPair(c, x.L, x.R, row)
		if err != nil {
			return types.Null, err
		}
		if l.IsNull() || r.IsNull() {
			if !x.Distinct {
				return types.Null, nil
			}
			same := l.IsNull() && r.IsNull()
			return types.NewBool(same == (x.Op == "=")), nil
		}
		return types.NewBool(CmpResult(x.Op, compare(l, r, x.L.Type()))), nil
	case *plan.Logic:
		return evalLogic(c, x, row)
	case *plan.IsNull:
		v, err := Eval(c, x.E, row)
		if err != nil {
			return types.Null, err
		}
		return types.NewBool(v.IsNull() != x.Not), nil
	case *plan.BoolTest:
		v, err := Eval(c, x.E, row)
		if err != nil {
			return types.Null, err
		}
		var r bool
		switch x.What {
		case "true":
			r = !v.IsNull() && v.Bool()
		case "false":
			r = !v.IsNull() && !v.Bool()
		default:
			r = v.IsNull()
		}
		return types.NewBool(r != x.Not), nil
	case *plan.Func:
		args := make([]types.Value, len(x.Args))
		for i, a := range x.Args {
			v, err := Eval(c, a, row)
			if err != nil {
				return types.Null, err
			}
			if v.IsNull() && x.F.Strict {
				return types.Null, nil
			}
			args[i] = v
		}
		return x.F.Eval(c.Funcs, args)
	case *plan.Case:
		for _, w := range x.Whens {
			v, err := Eval(c, w.Cond, row)
			if err != nil {
				return types.Null, err
			}
			if !v.IsNull() && v.Bool() {
				return Eval(c, w.Result, row)
			}
		}
		if x.Else != nil {
			return Eval(c, x.Else, row)
		}
		return types.Null, nil
	case *plan.Like:
		v, err := Eval(c, x.E, row)
		if err != nil || v.IsNull() {
			return types.Null, err
		}
		m := x.M
		if m == nil {
			p, err := Eval(c, x.Pattern, row)
			if err != nil || p.IsNull() {
				return types.Null, err
			}
			if m, err = funcs.CompileLike(p.S, x.Escape, x.CI); err != nil {
				return types.Null, err
			}
		}
		return types.NewBool(m.Match(v.S) != x.Not), nil
	case *plan.Regex:
		v, err := Eval(c, x.E, row)
		if err != nil || v.IsNull() {
			return types.Null, err
		}
		re := x.Re
		if re == nil {
			p, err := Eval(c, x.Pattern, row)
			if err != nil || p.IsNull() {
				return types.Null, err
			}
			if re, err = funcs.CompileRegex(p.S, x.CI); err != nil {
				return types.Null, err
			}
		}
		return types.NewBool(re.MatchString(v.S) != x.Not), nil
	case *plan.InList:
		v, err := Eval(c, x.E, row)
		if err != nil || v.IsNull() {
			return types.Null, err
		}
		sawNull := false
		for _, it := range x.List {
			iv, err := Eval(c, it, row)
			if err != nil {
				return types.Null, err
			}
			if iv.IsNull() {
				sawNull = true
				continue
			}
			if compare(v, iv, x.E.Type()) == 0 {
				return types.NewBool(!x.Not), nil
			}
		}
		if sawNull {
			return types.Null, nil
		}
		return types.NewBool(x.Not), nil
	case *plan.Coalesce:
		for _, a := range x.Args {
			v, err := Eval(c, a, row)
			if err != nil {
				return types.Null, err
			}
			if !v.IsNull() {
				return v, nil
			}
		}
		return types.Null, nil
	case *plan.NullIf:
		a, b, err := evalPair(c, x.A, x.B, row)
		if err != nil {
			return types.Null, err
		}
		if !a.IsNull() && !b.IsNull() && compare(a, b, x.A.Type()) == 0 {
			return types.Null, nil
		}
		return a, nil
	case *plan.MinMax:
		var best types.Value
		for _, a := range x.Args {
			v, err := Eval(c, a, row)
			if err != nil {
				return types.Null, err
			}
			if v.IsNull() {
				continue
			}
			if best.IsNull() {
				best = v
				continue
			}
			cmp := compare(v, best, x.T)
			if (x.Greatest && cmp > 0) || (!x.Greatest && cmp < 0) {
				best = v
			}
		}
		return best, nil
	case *plan.Subquery:
		return evalSubquery(c, x, row)
	case *plan.AggRef:
		return types.Null, pgerr.New(pgerr.InternalError, "aggregate reference outside aggregation")
	case *plan.WindowRef:
		return types.Null, pgerr.New(pgerr.InternalError, "window function reference outside a window")
	case *plan.ArrayExpr:
		elems, err := evalAll(c, x.Elems, row, nil)
		if err != nil {
			return types.Null, err
		}
		return types.NewArray(elems), nil
	case *plan.Subscript:
		a, i, err := evalPair(c, x.Arr, x.Idx, row)
		if err != nil || a.IsNull() || i.IsNull() {
			return types.Null, err
		}
		k := i.I
		if o := x.Arr.Type().OID; o == types.OIDInt2Vector || o == types.OIDOIDVector {
			k++ // int2vector and oidvector subscripts start at 0
		}
		if k < 1 || k > int64(a.ArrayLen()) {
			return types.Null, nil
		}
		elems, err := types.ArrayElems(a, nil)
		if err != nil {
			return types.Null, err
		}
		return elems[k-1], nil
	case *plan.AnyArray:
		return evalAnyArray(c, x, row)
	case *plan.RowExpr:
		fields, err := evalAll(c, x.Elems, row, nil)
		if err != nil {
			return types.Null, err
		}
		return types.NewArray(fields), nil
	case *plan.RowCmp:
		// The first pair that is not equal decides, one with a NULL
		// leaves the answer NULL (and later pairs unevaluated).
		for i := range x.L {
			l, r, err := evalPair(c, x.L[i], x.R[i], row)
			if err != nil {
				return types.Null, err
			}
			if l.IsNull() || r.IsNull() {
				return types.Null, nil
			}
			if d := compare(l, r, x.L[i].Type()); d != 0 {
				return types.NewBool(CmpResult(x.Op, d)), nil
			}
		}
		return types.NewBool(CmpResult(x.Op, 0)), nil
	case *plan.FieldSelect:
		v, err := Eval(c, x.E, row)
		if err != nil || v.IsNull() {
			return types.Null, err
		}
		fields, err := types.ArrayElems(v, nil)
		if err != nil {
			return types.Null, err
		}
		if x.Idx >= len(fields) {
			return types.Null, pgerr.New(pgerr.InternalError, "record has no field %d", x.Idx+1)
		}
		return fields[x.Idx], nil
	case *plan.SeqFunc:
		if c.Session == nil {
			return types.Null, pgerr.NotSupported("sequence functions are not available here")
		}
		args, err := evalAll(c, x.Args, row, nil)
		if err != nil {
			return types.Null, err
		}
		return c.Session.SeqFunc(x.Op, x.SeqID, args)
	case *plan.UserCall:
		return evalUserCall(c, x, row)
	case *plan.SessionFunc:
		if c.Session == nil {
			return types.Null, pgerr.NotSupported("%s() is not available here", x.Name)
		}
		args, err := evalAll(c, x.Args, row, nil)
		if err != nil {
			return types.Null, err
		}
		return c.Session.SessionFunc(c.Context, x.Name, args)
	}
	return types.Null, pgerr.New(pgerr.InternalError, "cannot evaluate %T", e)
}

// evalPair evaluates the two operands of a binary expression.
func evalPair(c *Ctx, a, b plan.Expr, row []types.Value) (types.Value, types.Value, error) {
	l, err := Eval(c, a, row)
	if err != nil {
		return types.Null, types.Null, err
	}
	r, err := Eval(c, b, row)
	if err != nil {
		return types.Null, types.Null, err
	}
	return l, r, nil
}

// compare orders two non-null values of type t.
func compare(a, b types.Value, t types.Type) int {
	if t.OID == types.OIDBPChar {
		return types.CompareTyped(a, b, t)
	}
	return types.Compare(a, b)
}

// CmpResult reports whether a three-way comparison result c satisfies the
// comparison operator op (=, <>, <, <=, >, >=). The vectorized evaluator
// uses it too.
func CmpResult(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

func evalLogic(c *Ctx, x *plan.Logic, row []types.Value) (types.Value, error) {
	switch x.Op {
	case "not":
		v, err := Eval(c, x.Args[0], row)
		if err != nil || v.IsNull() {
			return types.Null, err
		}
		return types.NewBool(!v.Bool()), nil
	case "and":
		sawNull := false
		for _, a := range x.Args {
			v, err := Eval(c, a, row)
			if err != nil {
				return types.Null, err
			}
			if v.IsNull() {
				sawNull = true
			} else if !v.Bool() {
				return vFalse, nil
			}
		}
		if sawNull {
			return types.Null, nil
		}
		return vTrue, nil
	default:
		sawNull := false
		for _, a := range x.Args {
			v, err := Eval(c, a, row)
			if err != nil {
				return types.Null, err
			}
			if v.IsNull() {
				sawNull = true
			} else if v.Bool() {
				return vTrue, nil
			}
		}
		if sawNull {
			return types.Null, nil
		}
		return vFalse, nil
	}
}

// isTrue reports whether a predicate's value passes a filter.
func isTrue(v types.Value) bool { return !v.IsNull() && v.Bool() }

func evalSubquery(c *Ctx, x *plan.Subquery, row []types.Value) (types.Value, error) {
	var rows [][]types.Value
	cached := false
	if !x.Correlated {
		rows, cached = c.subCache[x] // an empty result is cached too
	}
	if !cached {
		c.outer = append(c.outer, row)
		var err error
		limit := -1
		switch x.Kind {
		case plan.SubExists:
			limit = 1
		case plan.SubScalar, plan.SubRowCmp, plan.SubRow:
			limit = 2
		}
		rows, err = collect(c, x.Plan, limit)
		c.outer = c.outer[:len(c.outer)-1]
		if err != nil {
			return types.Null, err
		}
		if !x.Correlated {
			if c.subCache == nil {
				c.subCache = map[*plan.Subquery][][]types.Value{}
			}
			c.subCache[x] = rows
		}
	}
	switch x.Kind {
	case plan.SubScalar:
		if len(rows) > 1 {
			return types.Null, pgerr.New(pgerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
		}
		if len(rows) == 0 {
			return types.Null, nil
		}
		return rows[0][0], nil
	case plan.SubExists:
		return types.NewBool(len(rows) > 0), nil
	case plan.SubArray:
		elems := make([]types.Value, len(rows))
		for i, r := range rows {
			elems[i] = r[0]
		}
		return types.NewArray(elems), nil
	case plan.SubRow:
		if len(rows) > 1 {
			return types.Null, pgerr.New(pgerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
		}
		if len(rows) == 0 {
			return types.Null, nil // every field NULL
		}
		return types.NewArray(rows[0]), nil
	}
	if re, ok := x.E.(*plan.RowExpr); ok {
		return evalRowSubquery(c, x, re, rows, row)
	}
	v, err := Eval(c, x.E, row)
	if err != nil {
		return types.Null, err
	}
	if v.IsNull() {
		if len(rows) == 0 {
			return types.NewBool(x.Kind == plan.SubAll), nil
		}
		return types.Null, nil
	}
	op := x.Op
	if x.Kind == plan.SubIn {
		op = "="
	}
	sawNull := false
	t := x.E.Type()
	for _, r := range rows {
		if r[0].IsNull() {
			sawNull = true
			continue
		}
		ok := CmpResult(op, compare(v, r[0], t))
		if x.Kind == plan.SubAll && !ok {
			return vFalse, nil
		}
		if x.Kind != plan.SubAll && ok {
			return vTrue, nil
		}
	}
	if sawNull {
		return types.Null, nil
	}
	return types.NewBool(x.Kind == plan.SubAll), nil
}

// evalAnyArray is E op ANY (array) / E op ALL (array): true (false for ALL)
// as soon as one element decides it; NULL when undecided and an element or
// E is NULL; false (true for ALL) for an empty array.
func evalAnyArray(c *Ctx, x *plan.AnyArray, row []types.Value) (types.Value, error) {
	v, a, err := evalPair(c, x.E, x.Arr, row)
	if err != nil || a.IsNull() {
		return types.Null, err
	}
	if a.ArrayLen() == 0 {
		return types.NewBool(x.All), nil
	}
	if v.IsNull() {
		return types.Null, nil
	}
	elems, err := types.ArrayElems(a, nil)
	if err != nil {
		return types.Null, err
	}
	sawNull := false
	t := x.E.Type()
	for _, e := range elems {
		if e.IsNull() {
			sawNull = true
			continue
		}
		ok := CmpResult(x.Op, compare(v, e, t))
		if x.All && !ok {
			return vFalse, nil
		}
		if !x.All && ok {
			return vTrue, nil
		}
	}
	if sawNull {
		return types.Null, nil
	}
	return types.NewBool(x.All), nil
}

// rowCompare is (l) op (r) over rows of one length, three-valued as
// PostgreSQL compares rows: = is the AND of the pairs' =, <> the OR of
// their <>, and < <= > >= are decided by the first pair that is not
// equal (NULL when it holds a NULL).
func rowCompare(op string, l, r []types.Value, ts []plan.Expr) types.Value {
	sawNull := false
	for i := range l {
		if l[i].IsNull() || r[i].IsNull() {
			if op != "=" && op != "<>" {
				return types.Null
			}
			sawNull = true
			continue
		}
		d := compare(l[i], r[i], ts[i].Type())
		switch {
		case op == "=" && d != 0:
			return vFalse
		case op == "<>" && d != 0:
			return vTrue
		case op != "=" && op != "<>" && d != 0:
			return types.NewBool(CmpResult(op, d))
		}
	}
	if sawNull {
		return types.Null
	}
	return types.NewBool(CmpResult(op, 0))
}

// evalRowSubquery compares the row re with the subquery's rows: IN / op
// ANY is true when one comparison is, op ALL false when one is, either
// NULL when undecided and a comparison was NULL; op (SELECT …) compares
// with its one row (NULL without one).
func evalRowSubquery(c *Ctx, x *plan.Subquery, re *plan.RowExpr, rows [][]types.Value, row []types.Value) (types.Value, error) {
	if x.Kind == plan.SubRowCmp && len(rows) > 1 {
		return types.Null, pgerr.New(pgerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
	}
	if x.Kind == plan.SubRowCmp && len(rows) == 0 {
		return types.Null, nil
	}
	l, err := evalAll(c, re.Elems, row, nil)
	if err != nil {
		return types.Null, err
	}
	op := x.Op
	if x.Kind == plan.SubIn {
		op = "="
	}
	if x.Kind == plan.SubRowCmp {
		return rowCompare(op, l, rows[0], re.Elems), nil
	}
	all := x.Kind == plan.SubAll
	sawNull := false
	for _, r := range rows {
		v := rowCompare(op, l, r, re.Elems)
		switch {
		case v.IsNull():
			sawNull = true
		case v.Bool() != all:
			return v, nil
		}
	}
	if sawNull {
		return types.Null, nil
	}
	return types.NewBool(all), nil
}
