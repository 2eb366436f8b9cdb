package plan

import (
	"fmt"
	"strings"
)

// Explain renders a plan tree as EXPLAIN's text lines; extra appends
// per-node detail (EXPLAIN ANALYZE's actual rows and time) and store names
// the store a scan reads ("row store: …" / "column store: …").
func Explain(n Node, extra func(Node) string, store func(*Scan) string) []string {
	var lines []string
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		indent := strings.Repeat("  ", depth)
		prefix := ""
		if depth > 0 {
			prefix = "->  "
		}
		line := indent + prefix + describe(n, store) + extra(n)
		lines = append(lines, line)
		for _, c := range children(n) {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return lines
}

func describe(n Node, storeOf func(*Scan) string) string {
	switch x := n.(type) {
	case *Scan:
		s := ""
		store := storeOf(x)
		switch {
		case strings.HasPrefix(store, "column store"):
			s = fmt.Sprintf("Seq Scan on %s", x.Table.Name) // its path unused
		case x.Index == nil && (len(x.KeyEq) > 0 || x.Range != nil || x.Reverse):
			s = fmt.Sprintf("%s using %s on %s", indexScanName(x), x.Table.PK().Name, x.Table.Name)
		case x.Index != nil:
			s = fmt.Sprintf("%s using %s on %s", indexScanName(x), x.Index.Name, x.Table.Name)
		default:
			s = fmt.Sprintf("Seq Scan on %s", x.Table.Name)
		}
		if x.Alias != "" && x.Alias != x.Table.Name {
			s += " " + x.Alias
		}
		s += " [" + store + "]"
		if x.Filter != nil {
			s += " (filtered)"
		}
		return s
	case *Values:
		return fmt.Sprintf("Values Scan (%d rows)", len(x.Rows))
	case *One:
		return "Result"
	case *Filter:
		return "Filter"
	case *Project:
		return "Project"
	case *Join:
		if len(x.LeftKeys) > 0 {
			return fmt.Sprintf("Hash %s Join (%d keys)", x.Kind, len(x.LeftKeys))
		}
		return fmt.Sprintf("Nested Loop %s Join", x.Kind)
	case *Aggregate:
		if len(x.GroupBy) > 0 {
			return fmt.Sprintf("HashAggregate (%d keys, %d aggregates)", len(x.GroupBy), len(x.Aggs))
		}
		return fmt.Sprintf("Aggregate (%d aggregates)", len(x.Aggs))
	case *Sort:
		if x.Presorted {
			return fmt.Sprintf("Sort (%d keys, presorted: %s)", len(x.Keys), PresortedBy(x))
		}
		return fmt.Sprintf("Sort (%d keys)", len(x.Keys))
	case *Window:
		return fmt.Sprintf("WindowAgg (%d functions)", len(x.Calls))
	case *Expand:
		if x.Outer {
			return "ProjectSet (_pg_expandarray, left join)"
		}
		return "ProjectSet (_pg_expandarray)"
	case *Limit:
		return "Limit"
	case *Distinct:
		if len(x.On) > 0 {
			return "Unique (DISTINCT ON)"
		}
		return "HashDistinct"
	case *SetOp:
		all := ""
		if x.All {
			all = " All"
		}
		return strings.ToUpper(x.Op[:1]) + x.Op[1:] + all
	case *FuncScan:
		return "Function Scan on " + x.Name
	case *Materialize:
		return fmt.Sprintf("CTE Scan (cte %d)", x.ID)
	case *LockRows:
		return "LockRows"
	case *Apply:
		if x.Kind == LeftJoin {
			return "Nested Loop Left Join (LATERAL)"
		}
		return "Nested Loop (LATERAL)"
	case *RecursiveUnion:
		if x.All {
			return "Recursive Union All"
		}
		return "Recursive Union"
	case *WorkTable:
		return x.String()
	case *VirtualScan:
		return fmt.Sprintf("Virtual Scan on %s.%s", x.Table.Schema, x.Table.Name)
	}
	return fmt.Sprintf("%T", n)
}

// indexScanName is PostgreSQL's name of an index scan in its direction.
func indexScanName(x *Scan) string {
	if x.Reverse {
		return "Index Scan Backward"
	}
	return "Index Scan"
}

func children(n Node) []Node {
	switch x := n.(type) {
	case *Filter:
		return []Node{x.Input}
	case *Project:
		return []Node{x.Input}
	case *Join:
		return []Node{x.Left, x.Right}
	case *Aggregate:
		return []Node{x.Input}
	case *Sort:
		return []Node{x.Input}
	case *Window:
		return []Node{x.Input}
	case *Expand:
		return []Node{x.Input}
	case *Limit:
		return []Node{x.Input}
	case *Distinct:
		return []Node{x.Input}
	case *SetOp:
		return []Node{x.Left, x.Right}
	case *Materialize:
		return []Node{x.Input}
	case *RecursiveUnion:
		return []Node{x.Init, x.Step}
	case *LockRows:
		return []Node{x.Input}
	case *Apply:
		return []Node{x.Left, x.Right}
	}
	return nil
}

// Describe is EXPLAIN's one-line description of n, without its inputs;
// Children are its inputs. The column engine (sql/vexec) uses them to
// print the plan it ran.
func Describe(n Node, store func(*Scan) string) string { return describe(n, store) }

// Children returns n's inputs in EXPLAIN's order.
func Children(n Node) []Node { return children(n) }

// RowOnly returns why the row executor must run all of root (a node the
// column runner does not take: it hands such a plan back whole), or "".
func RowOnly(root Node) string {
	why := ""
	var walk func(n Node)
	walk = func(n Node) {
		if n == nil || why != "" {
			return
		}
		switch n.(type) {
		case *LockRows:
			why = "SELECT … FOR UPDATE locks rows"
		case *Apply:
			why = "LATERAL runs in the row executor"
		case *RecursiveUnion, *WorkTable:
			why = "WITH RECURSIVE runs in the row executor"
		}
		for _, c := range children(n) {
			walk(c)
		}
	}
	walk(root)
	return why
}
