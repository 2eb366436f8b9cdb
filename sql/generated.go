package sql

import (
	"context"
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Generated columns (GENERATED ALWAYS AS (expr) STORED).
//
// The expression text is kept in the column (catalog.Column.Generated) and
// bound per table definition (generatedOf, cached as CHECK constraints
// are). Every write path computes the columns on the row it is about to
// store — txnView's insert and update, so INSERT, UPDATE, ON CONFLICT,
// COPY and foreign-key actions alike — before NOT NULL, CHECK, unique and
// key checks see the row; the log then carries the computed values, so
// replay and the column store need nothing. Statements may give a
// generated column only DEFAULT (428C9, plan.BindInsert / bindSetList);
// COPY leaves generated columns out of its default column list. The
// point-write paths skip tables with generated columns.

// boundGenerated is a generated column ready to compute.
type boundGenerated struct {
	col int
	e   plan.Expr
}

// generatedOf returns t's generated columns bound (cached per definition).
func (s *Session) generatedOf(t *catalog.Table) ([]boundGenerated, error) {
	return perTable(&s.generated, t, func() ([]boundGenerated, error) {
		var out []boundGenerated
		for i, c := range t.Columns {
			if c.Generated == "" || c.Dropped {
				continue
			}
			e, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindGeneratedText(t, i)
			if err != nil {
				return nil, fmt.Errorf("generated column %q: %w", c.Name, err)
			}
			out = append(out, boundGenerated{col: i, e: e})
		}
		return out, nil
	})
}

// generate computes t's generated columns into row (extended to the
// table's width if it is shorter).
func (v *txnView) generate(t *catalog.Table, row []types.Value) ([]types.Value, error) {
	if !t.HasGenerated() {
		return row, nil
	}
	gs, err := v.s.generatedOf(t)
	if err != nil {
		return nil, err
	}
	for len(row) < len(t.Columns) {
		row = append(row, types.Null)
	}
	c := v.s.execCtx(context.Background(), nil)
	// Each expression reads the ordinary columns only, so the order of
	// computing does not matter.
	for _, g := range gs {
		val, err := exec.Eval(c, g.e, row)
		if err != nil {
			return nil, err
		}
		row[g.col] = val
	}
	return row, nil
}

// generatedColumn checks and stores a column's GENERATED ALWAYS AS (expr)
// STORED clause (the expression is bound once the table's columns are
// all known: validateGenerated).
func generatedColumn(col *catalog.Column, c *pg.Constraint) error {
	if c.GeneratedWhen != "a" {
		return pgerr.New(pgerr.SyntaxError, "for a generated column, GENERATED ALWAYS must be specified")
	}
	text, err := deparseExpr(c.RawExpr)
	if err != nil {
		return err
	}
	col.Generated = text
	return nil
}

// validateGenerated binds every generated column of t (a definition being
// created or changed) to report a bad expression now.
func (s *Session) validateGenerated(t *catalog.Table) error {
	for i, c := range t.Columns {
		if c.Generated == "" || c.Dropped {
			continue
		}
		if c.Default != "" {
			return pgerr.New(pgerr.SyntaxError, "both default and generation expression specified for column %q of table %q", c.Name, t.Name)
		}
		if c.Identity != "" {
			return pgerr.New(pgerr.SyntaxError, "both identity and generation expression specified for column %q of table %q", c.Name, t.Name)
		}
		if _, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindGeneratedText(t, i); err != nil {
			return err
		}
	}
	return nil
}

// generatedReading returns the generated columns of t whose expression
// reads column col.
func (s *Session) generatedReading(t *catalog.Table, col int) ([]string, error) {
	var out []string
	for i, c := range t.Columns {
		if c.Generated == "" || c.Dropped || i == col {
			continue
		}
		e, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindGeneratedText(t, i)
		if err != nil {
			return nil, err
		}
		reads := false
		plan.Walk(e, func(x plan.Expr) bool {
			if r, ok := x.(*plan.ColRef); ok && r.Idx == col {
				reads = true
			}
			return !reads
		})
		if reads {
			out = append(out, c.Name)
		}
	}
	return out, nil
}
