package plan

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// Printing index expressions and predicates as PostgreSQL prints them
// (pg_get_indexdef, psql's \d, a duplicate key's detail): PostgreSQL's
// ruleutils deparses its own parse tree, which holds the coercions its
// operator and function resolution inserted — `lower((email)::text)` for
// a varchar column, `(price > (0)::numeric)` — while OmenDB's bound tree
// holds its own. The bound expression is first turned into a tree shaped
// like PostgreSQL's (pgNode: operands coerced to the types PostgreSQL's
// operators and functions take), then printed by ruleutils' rules:
// parentheses around every operator unless pretty, pretty ones only where
// isSimpleNode says they are needed, implicit coercions shown inside
// operator and function arguments, constants labelled with their type
// unless an integer, a plain decimal or a boolean, CASE's keywords on
// lines of their own (ruleutils' PRETTYFLAG_INDENT, on for every caller).
// What it does not cover (the SQL-syntax functions such as EXTRACT) prints
// in a close but not identical form; the stored text is the fallback when
// the expression no longer binds. CHECK constraints print the same way
// (DeparseCheck).

// DeparseIndexElem returns key element i of ix, an expression, as
// pg_get_indexdef prints it inside the column list (pretty: as psql's \d
// does): parenthesised unless it looks like a function call.
func DeparseIndexElem(t *catalog.Table, ix *catalog.Index, i int, pretty bool) string {
	e, err := NewBinder(catalog.New(), nil, time.UTC, nil).BindIndexExprText(t, ix.Exprs[i], IndexExpression)
	if err != nil {
		return "(" + ix.Exprs[i] + ")"
	}
	p := &pgPrinter{t: t, pretty: pretty}
	n := p.conv(e)
	s := finish(p.rule(n, false))
	if looksLikeFunction(n) {
		return s
	}
	return "(" + s + ")"
}

// DeparseIndexExprBare returns key element i of ix, an expression, as
// pg_get_expr prints it from pg_index.indexprs: without the parentheses
// the column list adds.
func DeparseIndexExprBare(t *catalog.Table, ix *catalog.Index, i int, pretty bool) string {
	e, err := NewBinder(catalog.New(), nil, time.UTC, nil).BindIndexExprText(t, ix.Exprs[i], IndexExpression)
	if err != nil {
		return ix.Exprs[i]
	}
	p := &pgPrinter{t: t, pretty: pretty}
	return finish(p.rule(p.conv(e), false))
}

// DeparseIndexPredicate returns ix's predicate as pg_get_indexdef prints
// it after WHERE.
func DeparseIndexPredicate(t *catalog.Table, ix *catalog.Index, pretty bool) string {
	e, err := NewBinder(catalog.New(), nil, time.UTC, nil).BindIndexExprText(t, ix.Where, IndexPredicate)
	if err != nil {
		return "(" + ix.Where + ")"
	}
	p := &pgPrinter{t: t, pretty: pretty}
	return finish(p.rule(p.conv(e), false))
}

// DeparseCheck returns CHECK constraint expr of t as pg_get_constraintdef
// prints it inside CHECK (…): PostgreSQL's implicit coercions shown
// (total >= 0::numeric), wrapped in parentheses unless pretty. ok is false
// when the expression no longer binds (the caller prints the stored text).
// cat resolves the enum types and functions the expression names.
func DeparseCheck(cat *catalog.Catalog, t *catalog.Table, expr string, pretty bool) (string, bool) {
	e, err := NewBinder(cat, nil, time.UTC, nil).BindCheckText(t, expr)
	if err != nil {
		return "", false
	}
	p := &pgPrinter{t: t, pretty: pretty}
	return finish(p.rule(p.conv(e), false)), true
}

type pgKind int

const (
	pgVar pgKind = iota
	pgConst
	pgFunc     // name(args)
	pgCoerce   // (arg)::type
	pgOp       // binary or prefix operator
	pgBool     // AND / OR / NOT
	pgNullTest // IS [NOT] NULL
	pgBoolTest // IS [NOT] TRUE …
	pgArrayOp  // x op ANY/ALL (array)
	pgArray    // ARRAY[…]
	pgCoalesce
	pgMinMax
	pgNullIf
	pgCase
	pgSubscript
	pgDistinct // IS [NOT] DISTINCT FROM
)

// pgNode is an expression shaped as PostgreSQL's parse tree would be.
type pgNode struct {
	kind pgKind
	typ  types.Type
	text string // column name, constant's printed form, function or operator name, test
	args []*pgNode
	// implicit: a coercion PostgreSQL inserted (shown only inside operator
	// and function arguments). lit: a constant written as an untyped
	// literal, which PostgreSQL folds into the type it is coerced to. num:
	// a constant written as a number (int4, int8 or numeric literal), which
	// is coerced with a cast instead. any: the ANY of an array operator (else
	// ALL).
	implicit, lit, num, any bool
	cases                   []*pgNode // pgCase: WHEN cond, THEN result pairs, then ELSE
}

type pgPrinter struct {
	t      *catalog.Table
	pretty bool
	// indent is ruleutils' indentLevel: CASE's keywords start lines this
	// far in.
	indent int
}

// finish removes the spaces before each line break outside quotes, as
// appendContextKeyword does (removeStringInfoSpaces): "a =\nCASE".
func finish(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\n':
			out := strings.TrimRight(b.String(), " ")
			b.Reset()
			b.WriteString(out)
		}
		b.WriteByte(c)
	}
	return b.String()
}

func stripImplicit(e Expr) Expr {
	for {
		c, ok := e.(*Cast)
		if !ok || c.Explicit {
			return e
		}
		e = c.E
	}
}

// conv turns a bound expression into PostgreSQL's shape.
func (p *pgPrinter) conv(e Expr) *pgNode {
	e = stripImplicit(e)
	switch x := e.(type) {
	case *ColRef:
		name := "?"
		if x.Idx < len(p.t.Columns) {
			name = funcs.QuoteIdent(p.t.Columns[x.Idx].Name)
		}
		return &pgNode{kind: pgVar, typ: x.T, text: name}
	case *Const:
		return constNode(x.V, x.T)
	case *Cast:
		return &pgNode{kind: pgCoerce, typ: x.T, args: []*pgNode{p.conv(x.E)}}
	case *Func:
		if op := funcs.OperatorOf(x.F); op != "" && len(x.Args) == 2 {
			return &pgNode{kind: pgOp, typ: x.Type(), text: op, args: []*pgNode{p.arg(x.Args[0], x.F.Args[0]), p.arg(x.Args[1], x.F.Args[1])}}
		}
		n := &pgNode{kind: pgFunc, typ: x.Type(), text: x.F.Name}
		for i, a := range x.Args {
			want := a.Type()
			if len(x.F.Args) > 0 {
				want = x.F.Args[min(i, len(x.F.Args)-1)]
			}
			n.args = append(n.args, p.arg(a, want))
		}
		return n
	case *BinOp:
		l, r := p.operands(x.Op, x.L, x.R)
		return &pgNode{kind: pgOp, typ: x.T, text: x.Op, args: []*pgNode{l, r}}
	case *Neg:
		return &pgNode{kind: pgOp, typ: x.Type(), text: "-", args: []*pgNode{p.conv(x.E)}}
	case *Cmp:
		l, r := p.operands(x.Op, x.L, x.R)
		if x.Distinct {
			n := &pgNode{kind: pgDistinct, typ: types.Bool, args: []*pgNode{l, r}}
			if x.Op == "=" {
				return &pgNode{kind: pgBool, typ: types.Bool, text: "NOT", args: []*pgNode{n}}
			}
			return n
		}
		return &pgNode{kind: pgOp, typ: types.Bool, text: x.Op, args: []*pgNode{l, r}}
	case *Logic:
		n := &pgNode{kind: pgBool, typ: types.Bool, text: strings.ToUpper(x.Op)}
		for _, a := range x.Args {
			n.args = append(n.args, p.conv(a))
		}
		return n
	case *IsNull:
		test := "IS NULL"
		if x.Not {
			test = "IS NOT NULL"
		}
		return &pgNode{kind: pgNullTest, typ: types.Bool, text: test, args: []*pgNode{p.conv(x.E)}}
	case *BoolTest:
		test := "IS " + strings.ToUpper(x.What)
		if x.Not {
			test = "IS NOT " + strings.ToUpper(x.What)
		}
		return &pgNode{kind: pgBoolTest, typ: types.Bool, text: test, args: []*pgNode{p.conv(x.E)}}
	case *Like:
		return p.matchOp("~~", x.CI, x.Not, x.E, x.Pattern)
	case *Regex:
		return p.matchOp("~", x.CI, x.Not, x.E, x.Pattern)
	case *InList:
		op := "="
		if x.Not {
			op = "<>"
		}
		if len(x.List) == 1 {
			l, r := p.operands(op, x.E, x.List[0])
			return &pgNode{kind: pgOp, typ: types.Bool, text: op, args: []*pgNode{l, r}}
		}
		l := p.conv(x.E)
		arr := &pgNode{kind: pgArray}
		for _, it := range x.List {
			_, r := p.operands(op, x.E, it)
			arr.args = append(arr.args, r)
		}
		l, _ = p.operands(op, x.E, x.List[0])
		return &pgNode{kind: pgArrayOp, typ: types.Bool, text: op, any: !x.Not, args: []*pgNode{l, arr}}
	case *AnyArray:
		arr := p.conv(x.Arr)
		if c, ok := stripImplicit(x.Arr).(*Const); ok && !c.V.IsNull() && types.IsArray(c.T.OID) {
			// A folded ARRAY[…] of constants: PostgreSQL keeps the
			// constructor.
			if els, err := types.ArrayElems(c.V, nil); err == nil {
				arr = &pgNode{kind: pgArray, typ: c.T}
				for _, el := range els {
					arr.args = append(arr.args, constNode(el, types.ElemType(c.T)))
				}
			}
		}
		return &pgNode{kind: pgArrayOp, typ: types.Bool, text: x.Op, any: !x.All, args: []*pgNode{p.conv(x.E), arr}}
	case *ArrayExpr:
		n := &pgNode{kind: pgArray, typ: x.T}
		for _, el := range x.Elems {
			n.args = append(n.args, p.conv(el))
		}
		return n
	case *Coalesce:
		return p.listNode(pgCoalesce, "COALESCE", x.T, x.Args)
	case *MinMax:
		name := "LEAST"
		if x.Greatest {
			name = "GREATEST"
		}
		return p.listNode(pgMinMax, name, x.T, x.Args)
	case *NullIf:
		return p.listNode(pgNullIf, "NULLIF", x.Type(), []Expr{x.A, x.B})
	case *RowExpr:
		return p.rowNode(x.Elems)
	case *RowCmp:
		return &pgNode{kind: pgOp, typ: types.Bool, text: x.Op, args: []*pgNode{p.rowNode(x.L), p.rowNode(x.R)}}
	case *Subscript:
		return &pgNode{kind: pgSubscript, typ: x.T, args: []*pgNode{p.conv(x.Arr), p.conv(x.Idx)}}
	case *Case:
		n := &pgNode{kind: pgCase, typ: x.T}
		if x.Operand != nil {
			n.args = []*pgNode{p.conv(x.Operand)}
		}
		for _, w := range x.Whens {
			cond := p.conv(w.Cond)
			if x.Operand != nil && cond.kind == pgOp && len(cond.args) == 2 {
				// CASE x WHEN v: the comparison's value alone, as
				// ruleutils prints a CaseTestExpr = v.
				cond = cond.args[1]
			}
			n.cases = append(n.cases, cond, p.arg(w.Result, x.T))
		}
		if x.Else != nil {
			n.cases = append(n.cases, p.arg(x.Else, x.T))
		}
		return n
	}
	return &pgNode{kind: pgVar, typ: e.Type(), text: "?"}
}

func (p *pgPrinter) listNode(kind pgKind, name string, t types.Type, args []Expr) *pgNode {
	n := &pgNode{kind: kind, typ: t, text: name}
	for _, a := range args {
		n.args = append(n.args, p.arg(a, t))
	}
	return n
}

// arg converts e, an argument that PostgreSQL coerces to want.
func (p *pgPrinter) arg(e Expr, want types.Type) *pgNode {
	return coerceTo(p.conv(e), want)
}

// operands converts the operands of operator op, coerced to the types the
// operator PostgreSQL would pick takes.
func (p *pgPrinter) operands(op string, l, r Expr) (*pgNode, *pgNode) {
	ln, rn := p.conv(l), p.conv(r)
	wl, wr := opInputs(op, ln, rn)
	return coerceTo(ln, wl), coerceTo(rn, wr)
}

// matchOp prints a pattern match as PostgreSQL's operator: base (~~ for
// LIKE, ~ for regular expressions), * for case-insensitive, ! for NOT.
func (p *pgPrinter) matchOp(base string, ci, not bool, e, pattern Expr) *pgNode {
	op := base
	if ci {
		op += "*"
	}
	if not {
		op = "!" + op
	}
	l, r := p.operands(base, e, pattern)
	return &pgNode{kind: pgOp, typ: types.Bool, text: op, args: []*pgNode{l, r}}
}

// pgNumRank orders the numeric types by PostgreSQL's implicit casts
// (numRank, without oid: an oid is not a number to the printer).
func pgNumRank(t types.Type) int {
	if t.OID == types.OIDOID {
		return 0
	}
	return numRank(t.OID)
}

// opInputs returns the types PostgreSQL's operator op takes for operands
// l and r: integers of any width compare and add across widths (int48lt,
// int24pl …) but % takes one type, integers meet numerics as numeric and
// anything meets a float as double precision; strings meet as text
// (varchar has no operators of its own) unless both are character(n).
func opInputs(op string, l, r *pgNode) (types.Type, types.Type) {
	lt, rt := l.typ, r.typ
	if lr, rr := pgNumRank(lt), pgNumRank(rt); lr > 0 && rr > 0 {
		switch {
		case lr <= 3 && rr <= 3:
			if op == "%" || op == "&" || op == "|" || op == "#" {
				if lr > rr {
					return lt, lt
				}
				return rt, rt
			}
			return lt, rt
		case lr >= 5 && rr >= 5:
			return lt, rt // float4 and float8 operators exist both ways
		case lr == 5:
			return lt, types.Float8 // float48pl …: the other side as double precision
		case rr == 5:
			return types.Float8, rt
		case lr >= 5 || rr >= 5:
			return types.Float8, types.Float8
		}
		return types.Numeric, types.Numeric
	}
	str := func(t types.Type) bool { return types.KindOf(t.OID) == types.KindText && !types.IsArray(t.OID) }
	if str(lt) && str(rt) {
		bp := func(n *pgNode) bool { return n.typ.OID == types.OIDBPChar || n.kind == pgConst && n.lit }
		if op != "||" && (lt.OID == types.OIDBPChar || rt.OID == types.OIDBPChar) && bp(l) && bp(r) {
			return types.Type{OID: types.OIDBPChar, Mod: -1}, types.Type{OID: types.OIDBPChar, Mod: -1}
		}
		return types.Text, types.Text
	}
	return lt, rt
}

// coerceTo is n as PostgreSQL coerces it to want: an untyped literal takes
// the type, anything else of another type gets an implicit coercion.
func coerceTo(n *pgNode, want types.Type) *pgNode {
	if want.OID == 0 || want.OID == types.OIDUnknown || n.typ.OID == want.OID {
		return n
	}
	if n.kind == pgConst && n.lit {
		c := *n
		c.typ = types.Type{OID: want.OID, Mod: -1}
		return &c
	}
	return &pgNode{kind: pgCoerce, typ: types.Type{OID: want.OID, Mod: -1}, implicit: true, args: []*pgNode{n}}
}

// constNode converts a constant. Numbers print as the literal PostgreSQL
// read (an integer within int4's range, else int8; a decimal as numeric)
// coerced to their type; others as a literal of their type.
func constNode(v types.Value, t types.Type) *pgNode {
	if v.IsNull() {
		return &pgNode{kind: pgConst, typ: t, text: "NULL", lit: true}
	}
	switch t.OID {
	case types.OIDBool:
		return &pgNode{kind: pgConst, typ: t, text: map[bool]string{true: "true", false: "false"}[v.Bool()]}
	case types.OIDInt2, types.OIDInt4, types.OIDInt8, types.OIDNumeric, types.OIDFloat4, types.OIDFloat8:
		s := types.TextString(v, t, time.UTC)
		lt := types.Numeric
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			lt = types.Int8
			if i >= math.MinInt32 && i <= math.MaxInt32 {
				lt = types.Int4
			}
		}
		n := &pgNode{kind: pgConst, typ: lt, text: s, num: true}
		return coerceTo(n, t)
	}
	return &pgNode{kind: pgConst, typ: t, text: quoteLiteral(types.TextString(v, t, time.UTC)), lit: true}
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// formatType is format_type_with_typemod for a label.
func formatType(t types.Type) string {
	switch {
	case t.OID == types.OIDBPChar && t.Mod < 0:
		return "bpchar"
	case types.IsArray(t.OID):
		return formatType(types.ElemType(t)) + "[]"
	}
	return types.TypeName(t)
}

// constText prints a constant as get_const_expr does.
func constText(n *pgNode) string {
	if n.text == "NULL" && n.lit {
		return "NULL::" + formatType(n.typ)
	}
	switch n.typ.OID {
	case types.OIDBool:
		return n.text
	case types.OIDInt4:
		if !strings.HasPrefix(n.text, "-") {
			return n.text
		}
		return quoteLiteral(n.text) + "::integer"
	case types.OIDNumeric:
		if n.num && n.text != "" && n.text[0] >= '0' && n.text[0] <= '9' && strings.ContainsAny(n.text, ".eE") {
			return n.text
		}
		if !n.num || n.text == "" || n.text[0] == '-' || !strings.ContainsAny(n.text, ".eE") {
			return quoteLiteral(n.text) + "::numeric"
		}
	}
	text := n.text
	if n.num {
		text = quoteLiteral(text)
	}
	return text + "::" + formatType(n.typ)
}

// looksLikeFunction is ruleutils' looks_like_function: an index element
// printed without parentheses of its own.
func looksLikeFunction(n *pgNode) bool {
	switch n.kind {
	case pgFunc, pgCoalesce, pgMinMax, pgNullIf:
		return true
	}
	return false
}

// simpleOp reports the precedence class of an arithmetic operator: 1 for
// + and -, 2 for * / %, 0 for others.
func simpleOp(n *pgNode) int {
	if n.kind != pgOp || len(n.args) != 2 {
		return 0
	}
	switch n.text {
	case "+", "-":
		return 1
	case "*", "/", "%":
		return 2
	}
	return 0
}

// simple is ruleutils' isSimpleNode: whether n needs no parentheses of
// its own under parent in pretty output.
func simple(n, parent *pgNode) bool {
	switch n.kind {
	case pgVar, pgConst, pgFunc, pgCoalesce, pgMinMax, pgNullIf, pgArray, pgSubscript, pgCase:
		return true
	case pgCoerce:
		if n.args[0].kind == pgConst || pgNumRank(n.typ) > 0 && pgNumRank(n.args[0].typ) > 0 {
			return true // a cast function: function-like
		}
		return simple(n.args[0], n)
	case pgOp, pgNullTest, pgBoolTest, pgDistinct:
		if n.kind == pgOp && parent != nil && parent.kind == pgOp {
			op, pop := simpleOp(n), simpleOp(parent)
			if op == 0 || pop == 0 {
				return false
			}
			if op > pop {
				return true
			}
			if op < pop {
				return false
			}
			return parent.args[0] == n
		}
		if parent == nil {
			return false
		}
		switch parent.kind {
		case pgFunc:
			return true
		case pgBool, pgSubscript, pgArray, pgCoalesce, pgMinMax, pgNullIf, pgCase:
			return true
		}
		return false
	case pgBool:
		if parent == nil {
			return false
		}
		switch parent.kind {
		case pgBool:
			switch n.text {
			case "NOT", "AND":
				return parent.text == "AND" || parent.text == "OR"
			case "OR":
				return parent.text == "OR"
			}
			return false
		case pgFunc, pgSubscript, pgArray, pgCoalesce, pgMinMax, pgNullIf, pgCase:
			return true
		}
	}
	return false
}

// paren is get_rule_expr_paren: n, parenthesised in pretty output when it
// is not simple under parent.
func (p *pgPrinter) paren(n *pgNode, showImplicit bool, parent *pgNode) string {
	s := p.rule(n, showImplicit)
	if p.pretty && !simple(n, parent) {
		return "(" + s + ")"
	}
	return s
}

func (p *pgPrinter) open() string {
	if p.pretty {
		return ""
	}
	return "("
}

func (p *pgPrinter) close() string {
	if p.pretty {
		return ""
	}
	return ")"
}

// rule is get_rule_expr.
func (p *pgPrinter) rule(n *pgNode, showImplicit bool) string {
	switch n.kind {
	case pgVar:
		return n.text
	case pgConst:
		return constText(n)
	case pgCoerce:
		arg := n.args[0]
		if n.implicit && !showImplicit {
			return p.paren(arg, false, n)
		}
		if arg.kind == pgConst && arg.typ.OID == n.typ.OID && !arg.num {
			return arg.text + "::" + formatType(n.typ)
		}
		return p.open() + p.paren(arg, false, n) + p.close() + "::" + formatType(n.typ)
	case pgFunc:
		var args []string
		for _, a := range n.args {
			args = append(args, p.rule(a, true))
		}
		return n.text + "(" + strings.Join(args, ", ") + ")"
	case pgCoalesce, pgMinMax, pgNullIf:
		var args []string
		for _, a := range n.args {
			args = append(args, p.rule(a, true))
		}
		return n.text + "(" + strings.Join(args, ", ") + ")"
	case pgOp:
		if len(n.args) == 1 {
			return p.open() + n.text + " " + p.paren(n.args[0], true, n) + p.close()
		}
		return p.open() + p.paren(n.args[0], true, n) + " " + n.text + " " + p.paren(n.args[1], true, n) + p.close()
	case pgDistinct:
		return p.open() + p.paren(n.args[0], true, n) + " IS DISTINCT FROM " + p.paren(n.args[1], true, n) + p.close()
	case pgBool:
		if n.text == "NOT" {
			return p.open() + "NOT " + p.paren(n.args[0], false, n) + p.close()
		}
		var args []string
		for _, a := range n.args {
			args = append(args, p.paren(a, false, n))
		}
		return p.open() + strings.Join(args, " "+n.text+" ") + p.close()
	case pgNullTest, pgBoolTest:
		return p.open() + p.paren(n.args[0], true, n) + " " + n.text + p.close()
	case pgArrayOp:
		q := "ALL"
		if n.any {
			q = "ANY"
		}
		return p.open() + p.paren(n.args[0], true, n) + " " + n.text + " " + q + " (" + p.paren(n.args[1], true, n) + ")" + p.close()
	case pgArray:
		var els []string
		for _, a := range n.args {
			els = append(els, p.rule(a, true))
		}
		return "ARRAY[" + strings.Join(els, ", ") + "]"
	case pgSubscript:
		arr := p.rule(n.args[0], true)
		if n.args[0].kind != pgVar {
			arr = "(" + arr + ")"
		}
		return arr + "[" + p.rule(n.args[1], true) + "]"
	case pgCase:
		// ruleutils' appendContextKeyword with PRETTYFLAG_INDENT (on for
		// every deparse here): each keyword on a line of its own, WHEN and
		// ELSE indented 4 past CASE; an absent ELSE prints as NULL.
		var b strings.Builder
		b.WriteString("\n" + strings.Repeat(" ", p.indent) + "CASE")
		p.indent += 4
		if len(n.args) > 0 {
			b.WriteString(" " + p.rule(n.args[0], true))
		}
		i := 0
		for ; i+1 < len(n.cases); i += 2 {
			b.WriteString("\n" + strings.Repeat(" ", p.indent) + "WHEN " + p.rule(n.cases[i], false) + " THEN " + p.rule(n.cases[i+1], true))
		}
		els := "NULL::" + formatType(n.typ)
		if i < len(n.cases) {
			els = p.rule(n.cases[i], true)
		}
		b.WriteString("\n" + strings.Repeat(" ", p.indent) + "ELSE " + els)
		p.indent -= 4
		b.WriteString("\n" + strings.Repeat(" ", p.indent) + "END")
		return b.String()
	}
	return n.text
}

// rowNode is ROW(e1, e2, …), printed as a call.
func (p *pgPrinter) rowNode(es []Expr) *pgNode {
	n := &pgNode{kind: pgFunc, typ: types.Type{OID: types.OIDRecord, Mod: -1}, text: "ROW"}
	for _, e := range es {
		n.args = append(n.args, p.conv(e))
	}
	return n
}
