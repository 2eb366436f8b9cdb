package sql

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
)

// renameInChecks rewrites t's CHECK constraints, generation expressions
// and triggers' WHEN conditions after column old of t was renamed to new: each stored
// expression names its columns, so a reference to old is renamed
// (PostgreSQL keeps column numbers; OmenDB keeps text). Without it the
// expression would fail to bind and every later write of the table fail
// with 42703.
func renameInChecks(t *catalog.Table, old, new string) error {
	for i, c := range t.Columns {
		if c.Generated == "" {
			continue
		}
		text, err := renamedExpr(c.Generated, t.Name, old, new)
		if err != nil {
			return err
		}
		t.Columns[i].Generated = text
	}
	for i, ch := range t.Checks {
		text, err := renamedExpr(ch.Expr, t.Name, old, new)
		if err != nil {
			return fmt.Errorf("check constraint %q: %w", ch.Name, err)
		}
		t.Checks[i].Expr = text
	}
	// Triggers' WHEN conditions name the column as NEW.col and OLD.col.
	for i, tr := range t.Triggers {
		if tr.When == "" {
			continue
		}
		text := tr.When
		for _, rec := range []string{"new", "old"} {
			var err error
			if text, err = renamedExpr(text, rec, old, new); err != nil {
				return fmt.Errorf("trigger %q: %w", tr.Name, err)
			}
		}
		t.Triggers[i].When = text
	}
	return nil
}

// renameColumnRefs renames every reference to column old (bare, or
// qualified by table) in the expression tree m to new; it reports whether
// it renamed any. It walks the protobuf messages generically, so every
// node kind that can hold a column reference is covered.
func renameColumnRefs(m protoreflect.Message, table, old, new string) bool {
	changed := false
	if cr, ok := m.Interface().(*pg.ColumnRef); ok {
		n := len(cr.Fields)
		if n > 0 {
			if s := cr.Fields[n-1].GetString_(); s != nil && s.Sval == old {
				q := cr.Fields[:n-1]
				if len(q) == 0 || q[len(q)-1].GetString_() != nil && q[len(q)-1].GetString_().Sval == table {
					s.Sval = new
					changed = true
				}
			}
		}
		return changed
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				if renameColumnRefs(l.Get(i).Message(), table, old, new) {
					changed = true
				}
			}
		case fd.Message() != nil && !fd.IsMap():
			if renameColumnRefs(v.Message(), table, old, new) {
				changed = true
			}
		}
		return true
	})
	return changed
}

// renamedExpr is the expression text with references to column old of
// table renamed to new.
func renamedExpr(text, table, old, new string) (string, error) {
	stmts, err := pg.Parse("SELECT " + text)
	if err != nil || len(stmts.Stmts) != 1 {
		return "", pgerr.New(pgerr.DataCorrupted, "stored expression %q does not parse: %v", text, err)
	}
	e := stmts.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val
	if !renameColumnRefs(e.ProtoReflect(), table, old, new) {
		return text, nil
	}
	return deparseExpr(e)
}
