package exec

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// maxCallDepth bounds user-defined functions calling each other at run
// time (recursion): past it a call fails with 54001, as PostgreSQL's
// max_stack_depth does, instead of exhausting the goroutine's stack.
const maxCallDepth = 1000

// evalUserCall is a user-defined function's call in an expression: its
// first row's value (NULL without one), or the row as a record.
func evalUserCall(c *Ctx, x *plan.UserCall, row []types.Value) (types.Value, error) {
	args, err := evalAll(c, x.Args, row, nil)
	if err != nil {
		return types.Null, err
	}
	if x.Body.Strict && anyNull(args) {
		return types.Null, nil
	}
	if x.Set {
		rows, err := runBody(c, x.Body, args, -1)
		if err != nil {
			return types.Null, err
		}
		elems := make([]types.Value, len(rows))
		for i, r := range rows {
			elems[i] = r[0]
		}
		return types.NewArray(elems), nil
	}
	rows, err := runBody(c, x.Body, args, 1)
	if err != nil || len(rows) == 0 {
		return types.Null, err
	}
	if x.Body.Record {
		return types.NewArray(rows[0]), nil
	}
	return rows[0][0], nil
}

// userFuncRows is a user-defined function's call in FROM: every row of a
// set-returning function (none for a NULL argument of a strict one), one
// row otherwise (NULLs when the body returned none).
func userFuncRows(c *Ctx, x *plan.UserCall, row []types.Value) ([][]types.Value, error) {
	args, err := evalAll(c, x.Args, row, nil)
	if err != nil {
		return nil, err
	}
	width := len(x.Body.Plan.Columns())
	if x.Body.Strict && anyNull(args) {
		if x.Body.RetSet {
			return nil, nil
		}
		return [][]types.Value{make([]types.Value, width)}, nil
	}
	limit := 1
	if x.Body.RetSet {
		limit = -1
	}
	rows, err := runBody(c, x.Body, args, limit)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 && !x.Body.RetSet {
		null := make([]types.Value, width)
		for i := range null {
			null[i] = types.Null
		}
		rows = append(rows, null)
	}
	return rows, nil
}

// runBody runs a function body with args as its parameters: the
// statements before the last for their effects, then the last's rows (up
// to limit; -1 for all). The arguments are the enclosing row the body's
// parameter references read (plan.UserCall).
func runBody(c *Ctx, body *plan.FuncBody, args []types.Value, limit int) ([][]types.Value, error) {
	if c.calls >= maxCallDepth {
		return nil, pgerr.New(pgerr.StatementTooComplex, "stack depth limit exceeded").
			WithHint("Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), after ensuring the platform's stack depth limit is adequate.")
	}
	if err := c.cancelled(); err != nil {
		return nil, err
	}
	c.calls++
	c.outer = append(c.outer, args)
	defer func() {
		c.outer = c.outer[:len(c.outer)-1]
		c.calls--
	}()
	if body.PL != nil {
		if c.Session == nil {
			return nil, pgerr.NotSupported("PL/pgSQL function %s cannot be called here", body.PL.Name)
		}
		rows, err := c.Session.CallPL(c.Context, body.PL, args)
		if err != nil {
			return nil, err
		}
		if limit >= 0 && len(rows) > limit {
			rows = rows[:limit]
		}
		return rows, nil
	}
	for _, p := range body.Pre {
		if _, err := collect(c, p, -1); err != nil {
			return nil, err
		}
	}
	return collect(c, body.Plan, limit)
}

func anyNull(vs []types.Value) bool {
	for _, v := range vs {
		if v.IsNull() {
			return true
		}
	}
	return false
}
