package plan

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/types"
)

// JSON operators and set-returning functions.
//
// ->, ->>, #>, #>> (json and jsonb), and @>, <@, ?, ?|, ?&, ||, -, #-
// (jsonb) are resolved by funcs.ResolveOperator among the functions
// PostgreSQL implements them with; an operand's unknown literal takes the
// overload's type (doc -> 'k' reads 'k' as text, doc - '{a,b}' … as text,
// which PostgreSQL prefers too). || and - stay string concatenation and
// arithmetic unless an operand is jsonb, and @> / <@ array containment
// unless one is jsonb. jsonpath (@?, @@) is not supported.
//
// Set-returning JSON functions in a select list (json_array_elements,
// jsonb_object_keys, …) are arrays read by the Expand node, as unnest is
// (srf.go); the (key, value) records of json_each are not supported yet.
//
// A whole-row reference (t or t.*, naming a FROM item rather than a column)
// is a row value only as an argument of row_to_json, to_json(b),
// json(b)_agg, json(b)_object_agg and json(b)_build_*: it is bound as
// funcs.RowJSON over the item's columns (each column bound by its
// qualified name, so GROUP BY and correlation rules apply), the row
// rendered as row_to_json renders it, which those functions take as a
// composite. Elsewhere t still names no column (42703).

func isJSONType(t types.Type) bool { return t.OID == types.OIDJSON || t.OID == types.OIDJSONB }

// jsonOperator binds op between l and r when it is a JSON operator; ok is
// false when op over these operand types is something else.
func (b *Binder) jsonOperator(op string, l, r Expr) (e Expr, ok bool, err error) {
	lt, rt := l.Type(), r.Type()
	lb, rb := lt.OID == types.OIDJSONB, rt.OID == types.OIDJSONB
	switch op {
	case "->", "->>", "#>", "#>>", "?", "?|", "?&", "#-":
	case "||":
		if !(lb && (rb || isUnknown(rt)) || rb && isUnknown(lt)) {
			return nil, false, nil
		}
	case "-":
		if !lb {
			return nil, false, nil
		}
	case "@>", "<@":
		if !lb && !rb && lt.OID != types.OIDJSON && rt.OID != types.OIDJSON {
			return nil, false, nil
		}
	case "@?", "@@":
		if !lb && !(isUnknown(lt) && (rt.OID == types.OIDJSONPath || isUnknown(rt))) {
			return nil, false, nil
		}
	default:
		return nil, false, nil
	}
	e, err = b.operatorCall(op, l, r)
	return e, true, err
}

// jsonComparison refuses =, <, … between json values: json has no
// comparison operators (jsonb has).
func jsonComparison(op string, lt, rt types.Type) error {
	if lt.OID == types.OIDJSON || rt.OID == types.OIDJSON {
		return pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", types.TypeName(lt), op, types.TypeName(rt)).
			WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
	}
	return nil
}

// bindJSONSRF binds a set-returning JSON function call of a select list.
func (b *Binder) bindJSONSRF(name string, fc *pg.FuncCall, s *scope) (Expr, error) {
	if s.srf == nil {
		return nil, pgerr.NotSupported("set-returning function %s is supported only in a select list", name)
	}
	args, err := b.srfArgs(fc, s)
	if err != nil {
		return nil, err
	}
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	f, casts, et, err := funcs.ResolveJSONSetFunc(name, ts)
	if err != nil {
		return nil, err
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], casts[i], false); err != nil {
			return nil, err
		}
	}
	return s.srf.add(&Func{F: f, Args: args}, false, et), nil
}

// rowJSONFunc is the internal function a whole-row argument is rewritten
// to: _omendb_row_json('t' [, pretty]).
const rowJSONFunc = "_omendb_row_json"

// wholeRowFuncs take a whole-row reference as an argument.
var wholeRowFuncs = map[string]bool{
	"row_to_json": true, "to_json": true, "to_jsonb": true, "json_agg": true, "jsonb_agg": true,
	"json_object_agg": true, "jsonb_object_agg": true, "json_build_object": true, "jsonb_build_object": true,
	"json_build_array": true, "jsonb_build_array": true,
}

// bindJSONFunc binds the JSON functions the registry cannot: set-returning
// ones, and calls with whole-row arguments. ok is false for other calls.
func (b *Binder) bindJSONFunc(name string, fc *pg.FuncCall, s *scope) (e Expr, ok bool, err error) {
	switch {
	case name == rowJSONFunc && fc.Location == -1: // only as bindJSONFunc writes it
		e, err = b.bindRowJSON(fc, s)
		return e, true, err
	case funcs.IsJSONSetFunc(name):
		e, err = b.bindJSONSRF(name, fc, s)
		return e, true, err
	case !wholeRowFuncs[name] || fc.Over != nil:
		return nil, false, nil
	}
	var args []*pg.Node
	for i, a := range fc.Args {
		table, whole := wholeRowRef(a, s)
		if !whole {
			continue
		}
		if args == nil {
			args = append([]*pg.Node(nil), fc.Args...)
		}
		rargs := []*pg.Node{pg.MakeAConstStrNode(table, -1)}
		if name == "row_to_json" && i == 0 && len(fc.Args) == 2 {
			rargs = append(rargs, fc.Args[1]) // pretty
		}
		args[i] = pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode(rowJSONFunc)}, rargs, -1)
	}
	if args == nil {
		if name == "row_to_json" {
			ts := make([]string, len(fc.Args))
			for i, a := range fc.Args {
				e, err := b.bindExpr(a, s)
				if err != nil {
					return nil, true, err
				}
				if e.Type().OID == types.OIDRecord {
					return nil, true, pgerr.NotSupported("row_to_json is supported only over a row of a FROM item (row_to_json(t))")
				}
				ts[i] = types.TypeName(e.Type())
			}
			return nil, true, pgerr.New(pgerr.UndefinedFunction, "function row_to_json(%s) does not exist", joinComma(ts)).
				WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
		}
		return nil, false, nil
	}
	if name == "row_to_json" {
		if len(args) > 2 {
			return nil, true, pgerr.New(pgerr.UndefinedFunction, "function row_to_json with %d arguments does not exist", len(args))
		}
		// row_to_json(t [, pretty]) is the row itself, as json.
		e, err := b.bindExpr(args[0], s)
		if err != nil {
			return nil, true, err
		}
		if f, ok := e.(*Func); ok {
			f.F = &funcs.Func{Name: f.F.Name, Args: f.F.Args, Ret: types.JSON, Volatility: f.F.Volatility, Eval: f.F.Eval}
		}
		return e, true, nil
	}
	c := proto.Clone(fc).(*pg.FuncCall)
	c.Args = args
	e, err = b.bindFuncCall(c, s)
	return e, true, err
}

// wholeRowRef reports whether n is a whole-row reference: t.* or a bare t
// that names a FROM item (of this query or an enclosing one) and no column.
func wholeRowRef(n *pg.Node, s *scope) (string, bool) {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 || len(cr.Fields) > 2 {
		return "", false
	}
	name := cr.Fields[0].GetString_()
	if name == nil {
		return "", false
	}
	if len(cr.Fields) == 2 {
		if cr.Fields[1].GetAStar() == nil {
			return "", false
		}
	} else {
		for cur := s; cur != nil; cur = cur.parent {
			for _, c := range cur.cols {
				if !c.hidden && c.name == name.Sval {
					return "", false // a column of that name wins
				}
			}
		}
	}
	for cur := s; cur != nil; cur = cur.parent {
		for _, c := range cur.cols {
			if !c.hidden && c.table == name.Sval {
				return name.Sval, true
			}
		}
	}
	return "", false
}

// bindRowJSON binds _omendb_row_json('t' [, pretty]): funcs.RowJSON over
// the columns of FROM item t.
func (b *Binder) bindRowJSON(fc *pg.FuncCall, s *scope) (Expr, error) {
	table := fc.Args[0].GetAConst().GetSval().GetSval()
	var cols []scopeCol
	for cur := s; cur != nil && cols == nil; cur = cur.parent {
		for _, c := range cur.cols {
			if !c.hidden && c.table == table {
				cols = append(cols, c)
			}
		}
	}
	var pretty Expr = &Const{V: types.NewBool(false), T: types.Bool}
	if len(fc.Args) == 2 {
		p, err := b.bindExpr(fc.Args[1], s)
		if err != nil {
			return nil, err
		}
		if pretty, err = b.coerce(p, types.Bool, false); err != nil {
			return nil, err
		}
	}
	args := []Expr{pretty}
	names := make([]string, len(cols))
	ts := make([]types.Type, len(cols))
	seen := map[string]bool{}
	for i, c := range cols {
		if seen[c.name] {
			return nil, pgerr.NotSupported("a row with two columns named %q in a JSON function is not supported yet", c.name)
		}
		seen[c.name] = true
		e, err := b.bindExpr(pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(table), pg.MakeStrNode(c.name)}, -1), s)
		if err != nil {
			return nil, err
		}
		if isUnknown(e.Type()) {
			if e, err = b.coerce(e, types.Text, false); err != nil {
				return nil, err
			}
		}
		args = append(args, e)
		names[i], ts[i] = c.name, e.Type()
	}
	return &Func{F: funcs.RowJSON(names, ts), Args: args}, nil
}

// bindJSONFromFunc binds a set-returning JSON function in FROM, for
// bindRangeFunction (bind_from.go): json(b)_array_elements(_text) and
// json(b)_object_keys are unnest over their row array (one column,
// "value" or the function's name; over earlier FROM items an Expand as
// lateral unnest is); json(b)_each(_text) is _pg_expandarray over the keys
// with each row's value picked from the values array by its position
// (key, value), not over earlier FROM items yet.
func (b *Binder) bindJSONFromFunc(name string, fc *pg.FuncCall, alias *pg.Alias, ordinality bool, parent *scope) (*fromItem, error) {
	argScope := &scope{}
	if parent != nil {
		argScope.parent = parent.parent
	}
	bindArgs := func(s *scope) ([]Expr, error) { return b.bindExprs(fc.Args, s) }
	lateral := false
	args, err := bindArgs(argScope)
	if err != nil {
		code := pgerr.Code(err)
		if parent == nil || (code != pgerr.UndefinedColumn && code != pgerr.UndefinedTable) {
			return nil, err
		}
		if args, err = bindArgs(parent); err != nil {
			return nil, err
		}
		lateral = true
	} else if argScope.correlated && parent != nil {
		parent.correlated = true
	}
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	aliasName := name
	var colNames []string
	if alias != nil {
		aliasName = alias.Aliasname
		colNames = nodeName(alias.Colnames)
	}
	rename := func(cols []Column) {
		for i, cn := range colNames {
			if i < len(cols) {
				cols[i].Name = cn
			}
		}
	}
	if !funcs.IsJSONSetFunc(name) {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", name)
	}
	if funcs.IsJSONEachFunc(name) {
		keysF, valsF, casts, vt, err := funcs.JSONEachArrays(name, ts)
		if err != nil {
			return nil, err
		}
		if lateral {
			return nil, pgerr.NotSupported("%s over other FROM items (LATERAL) is not supported yet", name)
		}
		if args[0], err = b.coerce(args[0], casts[0], false); err != nil {
			return nil, err
		}
		volatile := false
		Walk(args[0], func(x Expr) bool {
			if f, ok := x.(*Func); ok && f.F.Volatility == funcs.Volatile {
				volatile = true
			}
			_, sub := x.(*Subquery)
			volatile = volatile || sub
			return true
		})
		if volatile {
			return nil, pgerr.NotSupported("%s of a volatile argument in FROM is not supported yet", name)
		}
		keys := &Func{F: keysF, Args: args}
		vals := &Func{F: valsF, Args: args}
		fs := &FuncScan{Name: "_pg_expandarray", Args: []Expr{keys}, Cols: []Column{{Name: "x", T: types.Text}, {Name: "n", T: types.Int4}}}
		pos := &ColRef{Idx: 1, T: types.Int4}
		p := &Project{Input: fs,
			Exprs: []Expr{&ColRef{Idx: 0, T: types.Text}, &Func{F: funcs.ElemAt(vals.Type()), Args: []Expr{vals, pos}}},
			Cols:  []Column{{Name: "key", T: types.Text}, {Name: "value", T: vt}}}
		if ordinality {
			p.Exprs = append(p.Exprs, &Cast{E: pos, T: types.Int8, From: types.Int4})
			p.Cols = append(p.Cols, Column{Name: "ordinality", T: types.Int8})
		}
		rename(p.Cols)
		return itemFrom(p, aliasName, p.Cols, nil), nil
	}
	f, casts, et, err := funcs.ResolveJSONSetFunc(name, ts)
	if err != nil {
		return nil, err
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], casts[i], false); err != nil {
			return nil, err
		}
	}
	arr := &Func{F: f, Args: args}
	// json(b)_object_keys returns a plain text: an alias names its column
	// too; the others' column is their OUT parameter "value".
	colName := "value"
	if strings.HasSuffix(name, "_object_keys") {
		colName = name
		if alias != nil {
			colName = alias.Aliasname
		}
	}
	if lateral {
		nName, nType := "........n", types.Int4
		if ordinality {
			nName, nType = "ordinality", types.Int8
		}
		cols := []Column{{Name: "........record", T: expandRecord(et)}, {Name: colName, T: et}, {Name: nName, T: nType}}
		for i, cn := range colNames {
			if i == 0 {
				cols[1].Name = cn
			} else if i == 1 && ordinality {
				cols[2].Name = cn
			}
		}
		it := itemFrom(nil, aliasName, cols, nil)
		it.lateral = &lateralFn{arr: arr, cols: cols}
		addScalarRef(it, aliasName, 1, et)
		return it, nil
	}
	fs := &FuncScan{Name: "unnest", Args: []Expr{arr}, Cols: []Column{{Name: colName, T: et}}, Ordinality: ordinality}
	if ordinality {
		fs.Cols = append(fs.Cols, Column{Name: "ordinality", T: types.Int8})
	}
	rename(fs.Cols)
	it := itemFrom(fs, aliasName, fs.Cols, nil)
	addScalarRef(it, aliasName, 0, et)
	return it, nil
}

// scalarRefName marks the hidden scope column through which the alias of
// a FROM function returning one scalar (jsonb_array_elements(x) AS e)
// names its value: e->>'k' reads the column "value", as PostgreSQL's
// whole-row reference to a scalar function does (scalarItemRef).
const scalarRefName = "........scalar"

func addScalarRef(it *fromItem, alias string, idx int, t types.Type) {
	it.cols = append(it.cols, scopeCol{table: alias, name: scalarRefName, t: t, idx: idx, hidden: true})
}

// scalarItemRef resolves a bare name that is no column but the alias of a
// FROM function returning one scalar (addScalarRef) to that value.
func scalarItemRef(s *scope, name string) (Expr, bool) {
	depth := 0
	for cur := s; cur != nil; cur = cur.parent {
		for _, c := range cur.cols {
			if c.name != scalarRefName || c.table != name {
				continue
			}
			if depth == 0 {
				return &ColRef{Idx: c.idx, T: c.t, Name: "value"}, true
			}
			for x, d := s, 0; d < depth; x, d = x.parent, d+1 {
				x.correlated = true
			}
			return &OuterRef{Depth: depth, Idx: c.idx, T: c.t}, true
		}
		depth++
	}
	return nil, false
}

// operatorCall binds l op r as a call of the operator's function for the
// operands' types (funcs.ResolveOperator), each operand coerced to the
// type the chosen function takes.
func (b *Binder) operatorCall(op string, l, r Expr) (Expr, error) {
	f, casts, err := funcs.ResolveOperator(op, l.Type(), r.Type())
	if err != nil {
		return nil, err
	}
	if l, err = b.coerce(l, casts[0], false); err != nil {
		return nil, err
	}
	if r, err = b.coerce(r, casts[1], false); err != nil {
		return nil, err
	}
	return b.fold(&Func{F: f, Args: []Expr{l, r}})
}
