package pgcatalog

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Triggers (catalog.Table.Triggers) in pg_trigger and pg_get_triggerdef.

// pg_trigger.tgtype's bits beside the events' (catalog.Trigger*).
const (
	tgTypeRow    = 1 << 0
	tgTypeBefore = 1 << 1
)

// triggerRows are pg_trigger's rows.
func triggerRows(env plan.VirtualEnv) ([][]types.Value, error) {
	cat := env.Catalog()
	var rows [][]types.Value
	for _, t := range cat.Tables() {
		for _, tr := range t.Triggers {
			enabled := byte('O')
			if tr.Disabled {
				enabled = 'D'
			}
			rows = append(rows, []types.Value{
				vOID(tr.ID), vOID(t.ID), vOID(0), vText(tr.Name), vOID(tr.Function),
				vInt(int64(triggerType(tr))), vChar(enabled), vBool(false), vOID(0),
				vOID(0), vOID(0), vBool(false), vBool(false),
				vInt(int64(len(tr.Args))),
			})
		}
	}
	return rows, nil
}

// triggerType is tr's pg_trigger.tgtype.
func triggerType(tr catalog.Trigger) int {
	n := tr.Events
	if tr.Row {
		n |= tgTypeRow
	}
	if tr.Before {
		n |= tgTypeBefore
	}
	return n
}

// findTrigger finds the trigger with OID oid and its table.
func findTrigger(cat *catalog.Catalog, oid uint32) (*catalog.Table, catalog.Trigger, bool) {
	for _, t := range cat.Tables() {
		for _, tr := range t.Triggers {
			if tr.ID == oid {
				return t, tr, true
			}
		}
	}
	return nil, catalog.Trigger{}, false
}

// triggerDef is pg_get_triggerdef, as PostgreSQL 15's ruleutils prints it:
// the table qualified unless pretty and visible, the function qualified
// unless visible, the events in the order INSERT, DELETE, UPDATE.
func triggerDef(cat *catalog.Catalog, vis visibility, t *catalog.Table, tr catalog.Trigger, pretty bool) string {
	var sb strings.Builder
	sb.WriteString("CREATE TRIGGER " + quoteIdent(tr.Name) + " ")
	if tr.Before {
		sb.WriteString("BEFORE")
	} else {
		sb.WriteString("AFTER")
	}
	first := true
	for _, ev := range []struct {
		bit  int
		name string
	}{{catalog.TriggerInsert, "INSERT"}, {catalog.TriggerDelete, "DELETE"}, {catalog.TriggerUpdate, "UPDATE"}} {
		if tr.Events&ev.bit == 0 {
			continue
		}
		if first {
			sb.WriteString(" " + ev.name)
		} else {
			sb.WriteString(" OR " + ev.name)
		}
		first = false
		if ev.bit == catalog.TriggerUpdate && len(tr.Columns) > 0 {
			for i, c := range tr.Columns {
				if i == 0 {
					sb.WriteString(" OF ")
				} else {
					sb.WriteString(", ")
				}
				sb.WriteString(quoteIdent(t.Columns[c].Name))
			}
		}
	}
	rel := quoteIdent(t.Schema) + "." + quoteIdent(t.Name)
	if pretty {
		rel = vis.relName(cat, t.Schema, t.Name)
	}
	sb.WriteString(" ON " + rel + " ")
	if tr.Row {
		sb.WriteString("FOR EACH ROW ")
	} else {
		sb.WriteString("FOR EACH STATEMENT ")
	}
	if tr.When != "" {
		// PostgreSQL re-prints the condition from its tree; OmenDB prints
		// the stored text, parenthesized as ruleutils parenthesizes an
		// operator (pretty mode drops those parentheses).
		w := tr.When
		if !pretty && whenIsOperator(w) {
			w = "(" + w + ")"
		}
		sb.WriteString("WHEN (" + w + ") ")
	}
	fn := "???"
	if f, ok := cat.Function(tr.Function); ok {
		fn, _ = userFuncName(cat, vis, f.ID) // qualified unless visible
	}
	sb.WriteString("EXECUTE FUNCTION " + fn + "(")
	for i, a := range tr.Args {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("'" + strings.ReplaceAll(a, "'", "''") + "'")
	}
	sb.WriteString(")")
	return sb.String()
}

// whenIsOperator reports whether a WHEN condition's text is an operator
// expression at its top (a = b, a IS DISTINCT FROM b, NOT a …).
func whenIsOperator(text string) bool {
	res, err := pg.Parse("SELECT " + text)
	if err != nil || len(res.Stmts) != 1 {
		return false
	}
	tl := res.Stmts[0].Stmt.GetSelectStmt().GetTargetList()
	if len(tl) != 1 {
		return false
	}
	switch tl[0].GetResTarget().GetVal().Node.(type) {
	case *pg.Node_AExpr, *pg.Node_BoolExpr, *pg.Node_NullTest, *pg.Node_BooleanTest:
		return true
	}
	return false
}
