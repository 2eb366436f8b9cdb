package plan

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
)

// Transform rebuilds e bottom-up: fn is called on each expression before its
// children; when it returns done, its result replaces the expression and the
// children are not visited. Expressions are never mutated in place.
func Transform(e Expr, fn func(Expr) (Expr, bool)) Expr {
	if e == nil {
		return nil
	}
	if out, done := fn(e); done {
		return out
	}
	tr := func(x Expr) Expr { return Transform(x, fn) }
	trs := func(xs []Expr) []Expr {
		out := make([]Expr, len(xs))
		for i, x := range xs {
			out[i] = tr(x)
		}
		return out
	}
	switch x := e.(type) {
	case *Cast:
		c := *x
		c.E = tr(x.E)
		return &c
	case *BinOp:
		c := *x
		c.L, c.R = tr(x.L), tr(x.R)
		return &c
	case *Neg:
		return &Neg{E: tr(x.E)}
	case *Cmp:
		c := *x
		c.L, c.R = tr(x.L), tr(x.R)
		return &c
	case *Logic:
		return &Logic{Op: x.Op, Args: trs(x.Args)}
	case *IsNull:
		return &IsNull{E: tr(x.E), Not: x.Not}
	case *BoolTest:
		c := *x
		c.E = tr(x.E)
		return &c
	case *Func:
		return &Func{F: x.F, Args: trs(x.Args)}
	case *Case:
		c := &Case{Operand: tr(x.Operand), Else: tr(x.Else), T: x.T}
		for _, w := range x.Whens {
			c.Whens = append(c.Whens, When{Cond: tr(w.Cond), Result: tr(w.Result)})
		}
		return c
	case *Like:
		c := *x
		c.E, c.Pattern = tr(x.E), tr(x.Pattern)
		return &c
	case *Regex:
		c := *x
		c.E, c.Pattern = tr(x.E), tr(x.Pattern)
		return &c
	case *InList:
		return &InList{E: tr(x.E), List: trs(x.List), Not: x.Not}
	case *Coalesce:
		return &Coalesce{Args: trs(x.Args), T: x.T}
	case *NullIf:
		return &NullIf{A: tr(x.A), B: tr(x.B)}
	case *MinMax:
		return &MinMax{Args: trs(x.Args), Greatest: x.Greatest, T: x.T}
	case *Subquery:
		c := *x
		c.E = tr(x.E)
		return &c
	case *SeqFunc:
		c := *x
		c.Args = trs(x.Args)
		return &c
	case *SessionFunc:
		c := *x
		c.Args = trs(x.Args)
		return &c
	case *UserCall:
		c := *x
		c.Args = trs(x.Args)
		return &c
	case *ArrayExpr:
		return &ArrayExpr{Elems: trs(x.Elems), T: x.T}
	case *AnyArray:
		c := *x
		c.E, c.Arr = tr(x.E), tr(x.Arr)
		return &c
	case *Subscript:
		return &Subscript{Arr: tr(x.Arr), Idx: tr(x.Idx), T: x.T}
	case *FieldSelect:
		return &FieldSelect{E: tr(x.E), Idx: x.Idx, T: x.T}
	case *RowExpr:
		return &RowExpr{Elems: trs(x.Elems), T: x.T}
	case *RowCmp:
		return &RowCmp{Op: x.Op, L: trs(x.L), R: trs(x.R)}
	}
	return e
}

// ExprKey returns a string that is equal for structurally equal expressions
// (used to match GROUP BY and ORDER BY expressions and to share aggregates).
func ExprKey(e Expr) string {
	var sb strings.Builder
	writeKey(&sb, e)
	return sb.String()
}

func writeKey(sb *strings.Builder, e Expr) {
	if e == nil {
		sb.WriteString("nil")
		return
	}
	switch x := e.(type) {
	case *Const:
		fmt.Fprintf(sb, "const(%d:%d:%d:%d:%q:%v)", x.T.OID, x.V.K, x.V.I, x.V.I2, x.V.S, x.V.N)
		return
	case *ColRef:
		fmt.Fprintf(sb, "col(%d)", x.Idx)
		return
	case *OuterRef:
		fmt.Fprintf(sb, "outer(%d,%d)", x.Depth, x.Idx)
		return
	case *Param:
		fmt.Fprintf(sb, "$%d", x.N)
		return
	case *AggRef:
		fmt.Fprintf(sb, "agg(%d)", x.Idx)
		return
	case *GroupingRef:
		fmt.Fprintf(sb, "grouping(%d)", x.Idx)
		return
	case *WindowRef:
		fmt.Fprintf(sb, "window(%d)", x.Idx)
		return
	case *AnyArray:
		fmt.Fprintf(sb, "any%s%v(", x.Op, x.All)
	case *FieldSelect:
		fmt.Fprintf(sb, "field%d(", x.Idx)
	case *Subquery:
		fmt.Fprintf(sb, "subquery(%p)", x.Plan)
		return
	case *Func:
		fmt.Fprintf(sb, "%s(", x.F.Name)
	case *UserCall:
		fmt.Fprintf(sb, "userfunc%d(", x.Fn.ID)
	case *Cast:
		fmt.Fprintf(sb, "cast:%d:%d(", x.T.OID, x.T.Mod)
	case *BinOp:
		fmt.Fprintf(sb, "%s(", x.Op)
	case *Cmp:
		fmt.Fprintf(sb, "cmp%s%v(", x.Op, x.Distinct)
	case *Logic:
		fmt.Fprintf(sb, "%s(", x.Op)
	case *Like:
		fmt.Fprintf(sb, "like%v%v%d(", x.CI, x.Not, x.Escape)
	case *RowCmp:
		fmt.Fprintf(sb, "rowcmp%s%d(", x.Op, len(x.L))
	default:
		fmt.Fprintf(sb, "%T(", e)
	}
	first := true
	Walk(e, func(c Expr) bool {
		if c == e {
			return true
		}
		if !first {
			sb.WriteString(",")
		}
		first = false
		writeKey(sb, c)
		return false
	})
	sb.WriteString(")")
}

// systemTable resolves pg_catalog, information_schema and OmenDB system
// relations through SystemTables. A user table named like a system table is
// found first when the name is unqualified, as with search_path = public.
func (b *Binder) systemTable(rv *pg.RangeVar) (Node, bool, error) {
	schema := rv.Schemaname
	if schema == "" || schema == "public" || schema == "pg_temp" {
		if _, ok := b.Cat.Lookup(b.schemaOf(schema, rv.Relname), rv.Relname); ok {
			return nil, false, nil
		}
		if schema == "public" {
			return nil, false, nil
		}
	}
	if vt, ok := omendbTables[rv.Relname]; ok && (schema == "" || schema == "pg_catalog") {
		return &VirtualScan{Table: vt, Cols: vt.Cols}, true, nil
	}
	if SystemTables != nil {
		if vt, ok := SystemTables(schema, rv.Relname); ok {
			return &VirtualScan{Table: vt, Cols: vt.Cols}, true, nil
		}
	}
	switch schema {
	case "pg_catalog", "information_schema":
		return nil, true, pgerr.NotSupported("system catalog %s.%s is not supported yet", schema, rv.Relname)
	}
	return nil, false, nil
}
