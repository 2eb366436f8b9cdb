package sql

import (
	"context"
	"fmt"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// addCheck adds CHECK constraint c to t (not yet in the catalog): its
// expression is bound to validate it and stored as text under its name —
// given, or PostgreSQL's default: table_column_check when it reads one
// column, else table_check, numbered when taken.
func (s *Session) addCheck(t *catalog.Table, c *pg.Constraint) error {
	if c.IsNoInherit {
		return pgerr.NotSupported("NO INHERIT is not supported")
	}
	b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
	_, cols, err := b.BindCheck(t, c.RawExpr)
	if err != nil {
		return err
	}
	text, err := deparseExpr(c.RawExpr)
	if err != nil {
		return err
	}
	name := c.Conname
	if name == "" {
		// PostgreSQL names it after the column it reads if it reads one.
		base := t.Name + "_check"
		if len(cols) == 1 {
			base = t.Name + "_" + t.Columns[cols[0]].Name + "_check"
		}
		name = base
		for i := 1; s.constraintTaken(t, name); i++ {
			name = fmt.Sprintf("%s%d", base, i)
		}
	} else if s.constraintTaken(t, name) {
		return pgerr.New(pgerr.DuplicateObject, "constraint %q for relation %q already exists", name, t.Name)
	}
	t.Checks = append(t.Checks, catalog.Check{Name: name, Expr: text})
	return nil
}

func (s *Session) constraintTaken(t *catalog.Table, name string) bool {
	return slices.ContainsFunc(t.Checks, func(c catalog.Check) bool { return c.Name == name }) ||
		slices.ContainsFunc(t.Indexes, func(ix catalog.Index) bool { return ix.Name == name }) ||
		slices.ContainsFunc(t.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == name })
}

// checkReads reports whether CHECK constraint ch of t reads column col.
func (s *Session) checkReads(t *catalog.Table, ch catalog.Check, col int) (bool, error) {
	e, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindCheckText(t, ch.Expr)
	if err != nil {
		return false, err
	}
	reads := false
	plan.Walk(e, func(x plan.Expr) bool {
		if c, ok := x.(*plan.ColRef); ok && c.Idx == col {
			reads = true
		}
		return !reads
	})
	return reads, nil
}

// boundCheck is a CHECK constraint ready to evaluate.
type boundCheck struct {
	name string
	e    plan.Expr
}

// checksOf returns t's CHECK constraints bound (cached per definition:
// catalog tables are immutable).
func (s *Session) checksOf(t *catalog.Table) ([]boundCheck, error) {
	return perTable(&s.checks, t, func() ([]boundCheck, error) {
		var out []boundCheck
		for _, c := range t.Checks {
			b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
			e, err := b.BindCheckText(t, c.Expr)
			if err != nil {
				return nil, fmt.Errorf("check constraint %q: %w", c.Name, err)
			}
			out = append(out, boundCheck{name: c.Name, e: e})
		}
		return out, nil
	})
}

// perTable returns what build makes of table definition t, cached in *m
// (catalog tables are immutable, so a definition's binding never goes
// stale; the cache is emptied past 64 definitions).
func perTable[T any](m *map[*catalog.Table]T, t *catalog.Table, build func() (T, error)) (T, error) {
	if v, ok := (*m)[t]; ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	if *m == nil || len(*m) > 64 {
		*m = map[*catalog.Table]T{}
	}
	(*m)[t] = v
	return v, nil
}

// checkRow evaluates t's CHECK constraints on a row about to be written:
// false fails with 23514, true and NULL pass.
func (v *txnView) checkRow(t *catalog.Table, row []types.Value) error {
	if len(t.Checks) == 0 {
		return nil
	}
	bc, err := v.s.checksOf(t)
	if err != nil {
		return err
	}
	c := v.s.execCtx(context.Background(), nil)
	for len(row) < len(t.Columns) {
		row = append(row[:len(row):len(row)], types.Null)
	}
	for _, ch := range bc {
		val, err := exec.Eval(c, ch.e, row)
		if err != nil {
			return err
		}
		if !val.IsNull() && !val.Bool() {
			return pgerr.New(pgerr.CheckViolation, "new row for relation %q violates check constraint %q", t.Name, ch.name).
				WithDetail("Failing row contains %s.", rowText(t, row, v.s))
		}
	}
	return nil
}

// validateCheck checks every row t has (at the statement's snapshot, with
// the transaction's own writes) against a new CHECK constraint.
func (s *Session) validateCheck(ctx context.Context, t *catalog.Table, ch catalog.Check) error {
	b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
	e, err := b.BindCheckText(t, ch.Expr)
	if err != nil {
		return err
	}
	c := s.execCtx(ctx, nil)
	var bad error
	err = s.reader().Scan(t, nil, nil, func(_ []byte, row []types.Value) bool {
		for len(row) < len(t.Columns) {
			row = append(row[:len(row):len(row)], types.Null)
		}
		v, err := exec.Eval(c, e, row)
		if err != nil {
			bad = err
			return false
		}
		if !v.IsNull() && !v.Bool() {
			bad = pgerr.New(pgerr.CheckViolation, "check constraint %q of relation %q is violated by some row", ch.Name, t.Name)
			return false
		}
		return true
	})
	if bad != nil {
		return bad
	}
	return err
}
