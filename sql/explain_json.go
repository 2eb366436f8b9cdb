package sql

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/types"
)

// EXPLAIN (FORMAT JSON): the text plan's tree as PostgreSQL's JSON plan
// shape — one array holding {"Plan": node, …}, each node with "Node Type",
// "Relation Name", "Alias", "Index Name" for scans, the "Actual …" figures
// of EXPLAIN ANALYZE and its children in "Plans" — so that tools that
// draw plans can read it. OmenDB's own details (the store a scan reads and
// why, vectorized operators' parameters) are kept whole in "Detail", and
// the store in "OmenDB Store".

// jsonPlanNode is one node of a JSON plan; fields in PostgreSQL's order.
type jsonPlanNode struct {
	fields []jsonField
	plans  []*jsonPlanNode
}

type jsonField struct {
	key string
	val any
}

var (
	reActual = regexp.MustCompile(` \(actual time=([0-9.]+)\.\.([0-9.]+) rows=([0-9]+) loops=([0-9]+)\)$`)
	reScan   = regexp.MustCompile(`^(Seq Scan|Index Scan|Index Only Scan|Column Scan|Vectorized Column Scan)( Backward)? (?:using (\S+) )?on (\S+)(?: ([^\s\[(]\S*))?(?: \[([^\]]*)\])?`)
)

// planToJSON turns EXPLAIN's text lines into its JSON form (the text of
// the single value EXPLAIN (FORMAT JSON) returns). A line starting with
// "->" (or the first) is a node, at its indentation; any other line is a
// "Key: value" property of the node above it. header ("Update on t") makes
// the root a ModifyTable node over the plan.
func planToJSON(lines []string, analyze bool, execMs float64, header string) string {
	type frame struct {
		depth int
		node  *jsonPlanNode
	}
	var root *jsonPlanNode
	var stack []frame
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		depth := len(l) - len(trimmed)
		if i > 0 && !strings.HasPrefix(trimmed, "->  ") {
			if len(stack) > 0 {
				n := stack[len(stack)-1].node
				k, v, ok := strings.Cut(trimmed, ": ")
				if !ok {
					k, v = "Detail", trimmed
				}
				n.fields = append(n.fields, jsonField{k, v})
			}
			continue
		}
		trimmed = strings.TrimPrefix(trimmed, "->  ")
		n := planLineNode(trimmed, analyze)
		for len(stack) > 0 && stack[len(stack)-1].depth >= depth {
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			root = n
		} else {
			p := stack[len(stack)-1].node
			p.plans = append(p.plans, n)
		}
		stack = append(stack, frame{depth, n})
	}
	if root == nil {
		root = &jsonPlanNode{fields: []jsonField{{"Node Type", "Result"}}}
	}
	if op, rel, ok := strings.Cut(header, " on "); ok {
		root = &jsonPlanNode{fields: []jsonField{{"Node Type", "ModifyTable"}, {"Operation", op},
			{"Relation Name", rel}, {"Alias", rel}}, plans: []*jsonPlanNode{root}}
	}
	var b strings.Builder
	b.WriteString("[\n  {\n    \"Plan\": ")
	writePlanNode(&b, root, 4)
	if analyze {
		b.WriteString(",\n    \"Execution Time\": " + strconv.FormatFloat(execMs, 'f', 3, 64))
	}
	b.WriteString("\n  }\n]")
	return b.String()
}

// planLineNode parses one line of the text plan.
func planLineNode(text string, analyze bool) *jsonPlanNode {
	n := &jsonPlanNode{}
	var actual []string
	if m := reActual.FindStringSubmatch(text); m != nil {
		actual = m[1:]
		text = text[:len(text)-len(m[0])]
	}
	nodeType := text
	if i := strings.IndexAny(text, "[("); i > 0 {
		nodeType = strings.TrimSpace(text[:i])
	}
	var rel, alias, index, store, direction string
	if m := reScan.FindStringSubmatch(text); m != nil {
		nodeType, index, rel, alias, store = m[1], m[3], m[4], m[5], m[6]
		if strings.HasPrefix(nodeType, "Index") {
			direction = "Forward"
			if m[2] != "" {
				direction = "Backward"
			}
		}
	} else if i := strings.Index(nodeType, " on "); i > 0 {
		rel = nodeType[i+4:]
		nodeType = nodeType[:i]
	}
	n.fields = append(n.fields, jsonField{"Node Type", nodeType})
	if direction != "" {
		n.fields = append(n.fields, jsonField{"Scan Direction", direction})
	}
	if rel != "" {
		n.fields = append(n.fields, jsonField{"Relation Name", rel})
		if alias == "" {
			alias = rel
		}
		n.fields = append(n.fields, jsonField{"Alias", alias})
	}
	if index != "" {
		n.fields = append(n.fields, jsonField{"Index Name", index})
	}
	if store != "" {
		n.fields = append(n.fields, jsonField{"OmenDB Store", store})
	}
	if text != nodeType {
		n.fields = append(n.fields, jsonField{"Detail", text})
	}
	if analyze {
		if actual != nil {
			st, _ := strconv.ParseFloat(actual[0], 64)
			tt, _ := strconv.ParseFloat(actual[1], 64)
			rows, _ := strconv.ParseInt(actual[2], 10, 64)
			loops, _ := strconv.ParseInt(actual[3], 10, 64)
			n.fields = append(n.fields, jsonField{"Actual Startup Time", st}, jsonField{"Actual Total Time", tt},
				jsonField{"Actual Rows", rows}, jsonField{"Actual Loops", loops})
		} else {
			n.fields = append(n.fields, jsonField{"Actual Loops", int64(0)})
		}
	}
	return n
}

func writePlanNode(b *strings.Builder, n *jsonPlanNode, indent int) {
	pad := strings.Repeat(" ", indent+2)
	b.WriteString("{\n")
	for i, f := range n.fields {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(pad)
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteString(": ")
		switch v := f.val.(type) {
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'f', 3, 64))
		default:
			j, _ := json.Marshal(v)
			b.Write(j)
		}
	}
	if len(n.plans) > 0 {
		b.WriteString(",\n" + pad + "\"Plans\": [\n")
		for i, c := range n.plans {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString(pad + "  ")
			writePlanNode(b, c, indent+4)
		}
		b.WriteString("\n" + pad + "]")
	}
	b.WriteString("\n" + strings.Repeat(" ", indent) + "}")
}

// explainJSONResult is EXPLAIN (FORMAT JSON)'s result: one json value.
func explainJSONResult(text string) *result {
	return &result{cols: []pgwire.Column{{Name: "QUERY PLAN", Type: types.JSON}},
		rows: [][]types.Value{{types.NewJSON(text)}}, tag: "EXPLAIN"}
}
