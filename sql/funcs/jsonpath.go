package funcs

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// SQL/JSON path evaluation (PostgreSQL 15's jsonpath_exec.c semantics):
// jsonb_path_exists, jsonb_path_match, jsonb_path_query (set-returning),
// jsonb_path_query_array, jsonb_path_query_first and the operators @? and
// @@. A path is evaluated over a jsonb tree to a sequence of items. In lax
// mode (the default) arrays are unwrapped where an accessor expects an
// object or a scalar, and structural errors yield nothing; in strict mode
// they are errors. Predicates are three-valued (true, false, unknown); a
// comparison is existential over its operands' sequences. The silent
// argument (and @? / @@) turns evaluation errors into NULL. .datetime()
// and .keyvalue() are not supported yet (0A000).

type jpResult uint8

const (
	jpFalse jpResult = iota
	jpTrue
	jpUnknown
)

// jpError is an evaluation error that silent mode suppresses.
type jpError struct{ err *pgerr.Error }

func (e *jpError) Error() string { return e.err.Error() }

func jpErr(code, format string, args ...any) error {
	return &jpError{err: pgerr.New(code, format, args...)}
}

type jpExec struct {
	strict  bool
	root    *types.JSONNode
	vars    *types.JSONNode
	current []*types.JSONNode // @ of the enclosing filters
	last    int               // size-1 of the innermost subscripted array; -1 outside
	// fatal is an error inside a predicate that is not an evaluation
	// error (an undefined variable): it ends the evaluation.
	fatal error
}

// predErr turns an error met while evaluating a predicate into unknown,
// keeping the ones unknown must not hide (fatal).
func (x *jpExec) predErr(err error) jpResult {
	if _, ok := err.(*jpError); !ok && x.fatal == nil {
		x.fatal = err
	}
	return jpUnknown
}

var jpCache sync.Map // canonical text → *types.JSONPath

func parsedPath(v types.Value) (*types.JSONPath, error) {
	if p, ok := jpCache.Load(v.S); ok {
		return p.(*types.JSONPath), nil
	}
	p, err := types.ParseJSONPath(v.S)
	if err != nil {
		return nil, err
	}
	jpCache.Store(v.S, p)
	return p, nil
}

// runPath evaluates path over target with vars (a jsonb object or nil):
// its items, or an error (a *jpError when silent mode may suppress it).
func runPath(target, path types.Value, vars *types.Value) ([]*types.JSONNode, error) {
	jp, err := parsedPath(path)
	if err != nil {
		return nil, err
	}
	root, err := parseB(target)
	if err != nil {
		return nil, err
	}
	x := &jpExec{strict: jp.Strict, root: root, last: -1}
	if vars != nil {
		if x.vars, err = parseB(*vars); err != nil {
			return nil, err
		}
		if x.vars.Kind != types.JSONObject {
			return nil, pgerr.New(pgerr.InvalidParameterValue, `"vars" argument is not an object`).
				WithDetail("Jsonpath parameters should be encoded as key-value pairs of \"vars\" object.")
		}
	}
	var out []*types.JSONNode
	if err := x.exec(jp.Expr, root, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// silenced returns err unless silent is set and err is an evaluation
// error (then nil, meaning NULL).
func silenced(err error, silent bool) error {
	if _, ok := err.(*jpError); ok {
		if silent {
			return nil
		}
		return err.(*jpError).err
	}
	return err
}

// exec applies it (and its chain) to jb, appending the results to out.
func (x *jpExec) exec(it *types.JPItem, jb *types.JSONNode, out *[]*types.JSONNode) error {
	return x.execOpt(it, jb, out, !x.strict)
}

// execOpt is exec; unwrap says whether an array jb is unwrapped for
// accessors that expect an object or a scalar (lax mode, but not for the
// elements of an array being unwrapped: one level only).
func (x *jpExec) execOpt(it *types.JPItem, jb *types.JSONNode, out *[]*types.JSONNode, unwrap bool) error {
	emit := func(n *types.JSONNode) error {
		if it.Next == nil {
			*out = append(*out, n)
			return nil
		}
		return x.exec(it.Next, n, out)
	}
	switch it.Kind {
	case types.JPRoot:
		return emit(x.root)
	case types.JPCurrent:
		if len(x.current) == 0 {
			return emit(jb)
		}
		return emit(x.current[len(x.current)-1])
	case types.JPVar:
		if x.vars != nil {
			for i, k := range x.vars.Keys {
				if k == it.Str {
					return emit(x.vars.Vals[i])
				}
			}
		}
		return pgerr.New(pgerr.UndefinedObject, "could not find jsonpath variable %q", it.Str)
	case types.JPLast:
		if x.last < -1 || x.last == -1 && !x.inSubscript() {
			return pgerr.New(pgerr.InternalError, "evaluating jsonpath LAST outside of array subscript")
		}
		return emit(jpNumber(apd.New(int64(x.last), 0)))
	case types.JPNull:
		return emit(&types.JSONNode{Kind: types.JSONNull})
	case types.JPBool:
		return emit(&types.JSONNode{Kind: types.JSONBool, Bool: it.Bool})
	case types.JPNumber:
		return emit(jpNumber(it.Num))
	case types.JPString:
		return emit(&types.JSONNode{Kind: types.JSONString, Str: it.Str})
	case types.JPKey:
		switch {
		case jb.Kind == types.JSONObject:
			for i, k := range jb.Keys {
				if k == it.Str {
					return emit(jb.Vals[i])
				}
			}
			if x.strict {
				return jpErr("2203A", "JSON object does not contain key %q", it.Str)
			}
			return nil
		case unwrap && jb.Kind == types.JSONArray:
			return x.eachElem(it, jb, out)
		case x.strict:
			return jpErr("2203A", "jsonpath member accessor can only be applied to an object")
		}
		return nil
	case types.JPAnyKey:
		switch {
		case jb.Kind == types.JSONObject:
			for _, v := range jb.Vals {
				if err := emit(v); err != nil {
					return err
				}
			}
			return nil
		case unwrap && jb.Kind == types.JSONArray:
			return x.eachElem(it, jb, out)
		case x.strict:
			return jpErr("2203C", "jsonpath wildcard member accessor can only be applied to an object")
		}
		return nil
	case types.JPAnyArray:
		switch {
		case jb.Kind == types.JSONArray:
			for _, v := range jb.Vals {
				if err := emit(v); err != nil {
					return err
				}
			}
			return nil
		case !x.strict:
			return emit(jb)
		}
		return jpErr("22039", "jsonpath wildcard array accessor can only be applied to an array")
	case types.JPIndex:
		elems := jb.Vals
		if jb.Kind != types.JSONArray {
			if x.strict {
				return jpErr("22039", "jsonpath array accessor can only be applied to an array")
			}
			elems = []*types.JSONNode{jb}
		}
		saved := x.last
		x.last = len(elems) - 1
		defer func() { x.last = saved }()
		for _, s := range it.Subs {
			from, err := x.subscript(s.From, jb)
			if err != nil {
				return err
			}
			to := from
			if s.To != nil {
				if to, err = x.subscript(s.To, jb); err != nil {
					return err
				}
			}
			if !x.strict {
				from = max(from, 0)
				to = min(to, len(elems)-1)
			} else if from < 0 || from > to || to >= len(elems) {
				return jpErr("22033", "jsonpath array subscript is out of bounds")
			}
			for i := from; i <= to; i++ {
				if err := emit(elems[i]); err != nil {
					return err
				}
			}
		}
		return nil
	case types.JPAny:
		if it.First == 0 {
			if err := emit(jb); err != nil {
				return err
			}
		}
		return x.anyLevels(it, jb, 1, emit)
	case types.JPFilter:
		if unwrap && jb.Kind == types.JSONArray {
			return x.eachElem(it, jb, out)
		}
		x.current = append(x.current, jb)
		r := x.predicate(it.Arg, jb)
		x.current = x.current[:len(x.current)-1]
		if x.fatal != nil {
			return x.fatal
		}
		if r == jpTrue {
			return emit(jb)
		}
		return nil
	case types.JPMethod:
		return x.method(it, jb, out, emit, unwrap)
	case types.JPBinary:
		switch it.Op {
		case "+", "-", "*", "/", "%":
			return x.arith(it, jb, emit)
		}
		return x.emitPredicate(it, jb, emit)
	case types.JPUnary:
		if it.Op == "!" {
			return x.emitPredicate(it, jb, emit)
		}
		var seq []*types.JSONNode
		if err := x.execUnwrapped(it.Arg, jb, &seq); err != nil {
			return err
		}
		for _, n := range seq {
			if n.Kind != types.JSONNumber {
				return jpErr("22036", "operand of unary jsonpath operator %s is not a numeric value", it.Op)
			}
			if it.Op == "-" {
				n = jpNumber(new(apd.Decimal).Neg(n.Num))
			}
			if err := emit(n); err != nil {
				return err
			}
		}
		return nil
	case types.JPIsUnknown, types.JPExists, types.JPLikeRegex, types.JPStartsWith:
		return x.emitPredicate(it, jb, emit)
	}
	return pgerr.NotSupported("this jsonpath item is not supported yet")
}

func (x *jpExec) inSubscript() bool { return x.last >= 0 }

// emitPredicate emits a predicate's value as a jsonb boolean (null for
// unknown).
func (x *jpExec) emitPredicate(it *types.JPItem, jb *types.JSONNode, emit func(*types.JSONNode) error) error {
	r := x.predicate(it, jb)
	if x.fatal != nil {
		return x.fatal
	}
	return emit(jpBool(r))
}

// eachElem applies it to each element of array jb (lax unwrapping, one
// level).
func (x *jpExec) eachElem(it *types.JPItem, jb *types.JSONNode, out *[]*types.JSONNode) error {
	for _, v := range jb.Vals {
		if err := x.execOpt(it, v, out, false); err != nil {
			return err
		}
	}
	return nil
}

// execUnwrapped evaluates it over jb and, in lax mode, unwraps arrays in
// the result (the operands of comparisons and arithmetic).
func (x *jpExec) execUnwrapped(it *types.JPItem, jb *types.JSONNode, out *[]*types.JSONNode) error {
	if x.strict {
		return x.exec(it, jb, out)
	}
	var seq []*types.JSONNode
	if err := x.exec(it, jb, &seq); err != nil {
		return err
	}
	for _, n := range seq {
		if n.Kind == types.JSONArray {
			*out = append(*out, n.Vals...)
		} else {
			*out = append(*out, n)
		}
	}
	return nil
}

func (x *jpExec) anyLevels(it *types.JPItem, jb *types.JSONNode, level uint32, emit func(*types.JSONNode) error) error {
	if jb.Kind != types.JSONArray && jb.Kind != types.JSONObject {
		return nil
	}
	for _, v := range jb.Vals {
		if level >= it.First && level <= it.Last {
			if err := emit(v); err != nil {
				return err
			}
		}
		if level < it.Last {
			if err := x.anyLevels(it, v, level+1, emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// subscript evaluates one array subscript to an index.
func (x *jpExec) subscript(it *types.JPItem, jb *types.JSONNode) (int, error) {
	var seq []*types.JSONNode
	if err := x.exec(it, jb, &seq); err != nil {
		return 0, err
	}
	if len(seq) != 1 || seq[0].Kind != types.JSONNumber {
		return 0, jpErr("22033", "jsonpath array subscript is not a single numeric value")
	}
	// Truncation toward zero, as numeric_int4 of trunc.
	var tr apd.Decimal
	trunc := numCtx
	trunc.Rounding = apd.RoundDown
	if _, err := trunc.Quantize(&tr, seq[0].Num, 0); err != nil {
		return 0, jpErr("22033", "jsonpath array subscript is out of integer range")
	}
	i, err := tr.Int64()
	if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		return 0, jpErr("22033", "jsonpath array subscript is out of integer range")
	}
	return int(i), nil
}

func (x *jpExec) arith(it *types.JPItem, jb *types.JSONNode, emit func(*types.JSONNode) error) error {
	var l, r []*types.JSONNode
	if err := x.execUnwrapped(it.Left, jb, &l); err != nil {
		return err
	}
	if err := x.execUnwrapped(it.Right, jb, &r); err != nil {
		return err
	}
	if len(l) != 1 || l[0].Kind != types.JSONNumber {
		return jpErr("22038", "left operand of jsonpath operator %s is not a single numeric value", it.Op)
	}
	if len(r) != 1 || r[0].Kind != types.JSONNumber {
		return jpErr("22038", "right operand of jsonpath operator %s is not a single numeric value", it.Op)
	}
	a, b := l[0].Num, r[0].Num
	res := new(apd.Decimal)
	var err error
	switch it.Op {
	case "+":
		_, err = numCtx.Add(res, a, b)
	case "-":
		_, err = numCtx.Sub(res, a, b)
	case "*":
		_, err = numCtx.Mul(res, a, b)
	case "/", "%":
		if b.IsZero() {
			return jpErr("22012", "division by zero")
		}
		if it.Op == "/" {
			res, err = jpDivide(a, b)
		} else {
			_, err = numCtx.Rem(res, a, b)
		}
	}
	if err != nil {
		return jpErr("22003", "value out of range for type numeric")
	}
	return emit(jpNumber(res))
}

// numCtx is wide enough for jsonb numbers.
var numCtx = apd.Context{Precision: 1000, MaxExponent: 100000, MinExponent: -100000, Rounding: apd.RoundHalfUp}

// jpDivide divides as numeric division does: the quotient's scale is at
// least 16 significant digits, and at least the operands' scales
// (select_div_scale), trailing zeros kept.
func jpDivide(a, b *apd.Decimal) (*apd.Decimal, error) {
	return numDiv(a, b, divScale(a, b))
}

func (x *jpExec) method(it *types.JPItem, jb *types.JSONNode, out *[]*types.JSONNode, emit func(*types.JSONNode) error, unwrap bool) error {
	name := it.Str
	switch name {
	case "type":
		return emit(&types.JSONNode{Kind: types.JSONString, Str: jb.Kind.String()})
	case "size":
		if jb.Kind == types.JSONArray {
			return emit(jpNumber(apd.New(int64(len(jb.Vals)), 0)))
		}
		if x.strict {
			return jpErr("22039", "jsonpath item method .size() can only be applied to an array")
		}
		return emit(jpNumber(apd.New(1, 0)))
	case "keyvalue", "datetime":
		return pgerr.NotSupported("jsonpath item method .%s() is not supported yet", name)
	}
	if unwrap && jb.Kind == types.JSONArray {
		for _, v := range jb.Vals {
			if err := x.method(it, v, out, emit, false); err != nil {
				return err
			}
		}
		return nil
	}
	switch name {
	case "double":
		var f float64
		switch jb.Kind {
		case types.JSONNumber:
			// A number only has to fit a double; it stays as it is.
			if f, err := jb.Num.Float64(); err != nil || math.IsInf(f, 0) {
				return jpErr("22003", "numeric argument of jsonpath item method .double() is out of range for type double precision")
			}
			return emit(jb)
		case types.JSONString:
			v, err := strconv.ParseFloat(strings.TrimSpace(jb.Str), 64)
			if err != nil && !strings.Contains(err.Error(), "range") {
				return jpErr("22036", "string argument of jsonpath item method .double() is not a valid representation of a double precision number")
			}
			if math.IsInf(v, 0) || math.IsNaN(v) || err != nil {
				return jpErr("22036", "string argument of jsonpath item method .double() is not a valid representation of a double precision number")
			}
			f = v
		default:
			return jpErr("22036", "jsonpath item method .double() can only be applied to a string or numeric value")
		}
		d, _, err := apd.NewFromString(strconv.FormatFloat(f, 'g', -1, 64))
		if err != nil {
			return jpErr("22003", "value out of range for type numeric")
		}
		return emit(jpNumber(d))
	case "abs", "floor", "ceiling":
		if jb.Kind != types.JSONNumber {
			return jpErr("22036", "jsonpath item method .%s() can only be applied to a numeric value", name)
		}
		res := new(apd.Decimal)
		var err error
		switch name {
		case "abs":
			_, err = numCtx.Abs(res, jb.Num)
		case "floor":
			_, err = numCtx.Floor(res, jb.Num)
		case "ceiling":
			_, err = numCtx.Ceil(res, jb.Num)
		}
		if err != nil {
			return jpErr("22003", "value out of range for type numeric")
		}
		if name != "abs" {
			// floor/ceil of numeric have scale 0.
			if _, err := numCtx.Quantize(res, res, 0); err != nil {
				return jpErr("22003", "value out of range for type numeric")
			}
			if res.IsZero() {
				res.Negative = false
			}
		}
		return emit(jpNumber(res))
	}
	return pgerr.NotSupported("jsonpath item method .%s() is not supported yet", name)
}

// predicate evaluates a predicate over jb (with @ = the filter's item).
func (x *jpExec) predicate(it *types.JPItem, jb *types.JSONNode) jpResult {
	switch it.Kind {
	case types.JPBinary:
		switch it.Op {
		case "&&":
			l := x.predicate(it.Left, jb)
			if l == jpFalse {
				return jpFalse
			}
			r := x.predicate(it.Right, jb)
			if r == jpTrue {
				return l
			}
			return r
		case "||":
			l := x.predicate(it.Left, jb)
			if l == jpTrue {
				return jpTrue
			}
			r := x.predicate(it.Right, jb)
			if r == jpFalse {
				return l
			}
			return r
		case "==", "!=", "<", "<=", ">", ">=":
			return x.pairs(it.Left, it.Right, jb, true, func(a, b *types.JSONNode) jpResult { return jpCompare(it.Op, a, b) })
		}
	case types.JPUnary:
		if it.Op == "!" {
			switch x.predicate(it.Arg, jb) {
			case jpTrue:
				return jpFalse
			case jpFalse:
				return jpTrue
			}
			return jpUnknown
		}
	case types.JPIsUnknown:
		if x.predicate(it.Arg, jb) == jpUnknown {
			return jpTrue
		}
		return jpFalse
	case types.JPExists:
		var seq []*types.JSONNode
		if err := x.exec(it.Arg, jb, &seq); err != nil {
			return x.predErr(err)
		}
		if len(seq) > 0 {
			return jpTrue
		}
		return jpFalse
	case types.JPLikeRegex:
		re, err := jpRegex(it.Str, it.Flags)
		if err != nil {
			return jpUnknown
		}
		return x.pairs(it.Arg, nil, jb, true, func(a, _ *types.JSONNode) jpResult {
			if a.Kind != types.JSONString {
				return jpUnknown
			}
			if re.MatchString(a.Str) {
				return jpTrue
			}
			return jpFalse
		})
	case types.JPStartsWith:
		return x.pairs(it.Left, it.Right, jb, false, func(a, b *types.JSONNode) jpResult {
			if a.Kind != types.JSONString || b.Kind != types.JSONString {
				return jpUnknown
			}
			if strings.HasPrefix(a.Str, b.Str) {
				return jpTrue
			}
			return jpFalse
		})
	}
	// A non-predicate expression used as a predicate: its single boolean.
	var seq []*types.JSONNode
	if err := x.exec(it, jb, &seq); err != nil {
		return x.predErr(err)
	}
	if len(seq) != 1 {
		return jpUnknown
	}
	switch seq[0].Kind {
	case types.JSONBool:
		if seq[0].Bool {
			return jpTrue
		}
		return jpFalse
	}
	return jpUnknown
}

// pairs is executePredicate: the result over every pair of the operands'
// items (right may be nil), existential in lax mode.
func (x *jpExec) pairs(left, right *types.JPItem, jb *types.JSONNode, unwrapRight bool, f func(a, b *types.JSONNode) jpResult) jpResult {
	var ls, rs []*types.JSONNode
	if err := x.execUnwrapped(left, jb, &ls); err != nil {
		return x.predErr(err)
	}
	if right != nil {
		var err error
		if unwrapRight {
			err = x.execUnwrapped(right, jb, &rs)
		} else {
			err = x.exec(right, jb, &rs)
		}
		if err != nil {
			return x.predErr(err)
		}
	}
	found, hasErr := false, false
	for _, l := range ls {
		if right == nil {
			rs = []*types.JSONNode{nil}
		}
		for _, r := range rs {
			switch f(l, r) {
			case jpUnknown:
				if x.strict {
					return jpUnknown
				}
				hasErr = true
			case jpTrue:
				if !x.strict {
					return jpTrue
				}
				found = true
			}
		}
	}
	switch {
	case found:
		return jpTrue
	case hasErr:
		return jpUnknown
	}
	return jpFalse
}

func jpCompare(op string, a, b *types.JSONNode) jpResult {
	if a.Kind != b.Kind {
		if a.Kind == types.JSONNull || b.Kind == types.JSONNull {
			if op == "!=" {
				return jpTrue
			}
			return jpFalse
		}
		return jpUnknown
	}
	var c int
	switch a.Kind {
	case types.JSONNull:
		c = 0
	case types.JSONBool:
		switch {
		case a.Bool == b.Bool:
			c = 0
		case a.Bool:
			c = 1
		default:
			c = -1
		}
	case types.JSONNumber:
		c = a.Num.Cmp(b.Num)
	case types.JSONString:
		c = strings.Compare(a.Str, b.Str)
	default:
		return jpUnknown
	}
	var ok bool
	switch op {
	case "==":
		ok = c == 0
	case "!=":
		ok = c != 0
	case "<":
		ok = c < 0
	case "<=":
		ok = c <= 0
	case ">":
		ok = c > 0
	case ">=":
		ok = c >= 0
	}
	if ok {
		return jpTrue
	}
	return jpFalse
}

// jpRegex compiles a like_regex pattern with its XQuery flags: i (case
// insensitive), s (. matches newline), m (multi-line), x (ignore
// whitespace: not supported), q (the pattern is a literal string).
func jpRegex(pattern, flags string) (*regexp.Regexp, error) {
	f := ""
	if strings.Contains(flags, "q") {
		pattern = regexp.QuoteMeta(pattern)
	}
	if strings.Contains(flags, "i") {
		f += "i"
	}
	if strings.Contains(flags, "s") {
		f += "s"
	}
	if strings.Contains(flags, "m") {
		f += "m"
	}
	if strings.Contains(flags, "x") {
		return nil, pgerr.NotSupported("XQuery \"x\" flag (expanded regular expressions) is not implemented")
	}
	return compileCached(f, translateARE(pattern))
}

func jpNumber(d *apd.Decimal) *types.JSONNode { return &types.JSONNode{Kind: types.JSONNumber, Num: d} }

func jpBool(r jpResult) *types.JSONNode {
	if r == jpUnknown {
		return &types.JSONNode{Kind: types.JSONNull}
	}
	return &types.JSONNode{Kind: types.JSONBool, Bool: r == jpTrue}
}

var jsonpathT = types.Type{OID: types.OIDJSONPath, Mod: -1}

// pathSignatures are the argument lists of the jsonb_path_* functions:
// (target, path [, vars [, silent]]).
func pathSignatures() [][]types.Type {
	return [][]types.Type{t(jsonbT, jsonpathT), t(jsonbT, jsonpathT, jsonbT), t(jsonbT, jsonpathT, jsonbT, boolT)}
}

// callPath evaluates a jsonb_path_* call: the path's items, or suppressed
// when silent turned an evaluation error into no result.
func callPath(a []types.Value) (items []*types.JSONNode, silent, suppressed bool, err error) {
	var vars *types.Value
	if len(a) >= 3 {
		vars = &a[2]
	}
	silent = len(a) == 4 && a[3].Bool()
	items, err = runPath(a[0], a[1], vars)
	if err != nil {
		if err = silenced(err, silent); err == nil {
			suppressed = true
		}
	}
	return items, silent, suppressed, err
}

func init() {
	// A suppressed error is NULL for exists and match (nullOnError), no
	// items for the others.
	withArgs := func(name string, ret types.Type, nullOnError bool, f func(items []*types.JSONNode, silent bool) (types.Value, error)) {
		for _, args := range pathSignatures() {
			imm(name, args, ret, func(_ *Context, a []types.Value) (types.Value, error) {
				items, silent, suppressed, err := callPath(a)
				if err != nil || suppressed && nullOnError {
					return types.Null, err
				}
				return f(items, silent)
			})
		}
	}
	exists := func(items []*types.JSONNode, _ bool) (types.Value, error) {
		return types.NewBool(len(items) > 0), nil
	}
	match := func(items []*types.JSONNode, silent bool) (types.Value, error) {
		if len(items) == 1 {
			switch items[0].Kind {
			case types.JSONBool:
				return types.NewBool(items[0].Bool), nil
			case types.JSONNull:
				return types.Null, nil
			}
		}
		if silent {
			return types.Null, nil
		}
		return types.Null, pgerr.New("22038", "single boolean result is expected")
	}
	withArgs("jsonb_path_exists", boolT, true, exists)
	withArgs("jsonb_path_match", boolT, true, match)
	withArgs("jsonb_path_query_array", jsonbT, false, func(items []*types.JSONNode, _ bool) (types.Value, error) {
		return jsonbVal(&types.JSONNode{Kind: types.JSONArray, Vals: items}), nil
	})
	withArgs("jsonb_path_query_first", jsonbT, false, func(items []*types.JSONNode, _ bool) (types.Value, error) {
		if len(items) == 0 {
			return types.Null, nil
		}
		return jsonbVal(items[0]), nil
	})
	// @? and @@ are the silent forms.
	silentOp := func(op, name string, f func(items []*types.JSONNode, silent bool) (types.Value, error)) {
		regOp(op, imm(name, t(jsonbT, jsonpathT), boolT, func(_ *Context, a []types.Value) (types.Value, error) {
			items, err := runPath(a[0], a[1], nil)
			if err != nil {
				return types.Null, silenced(err, true)
			}
			return f(items, true)
		}))
	}
	silentOp("@?", "jsonb_path_exists_opr", exists)
	silentOp("@@", "jsonb_path_match_opr", match)
	// jsonb_path_query is set-returning: its rows' array (json_srf.go).
	arrT, _ := types.ArrayOf(jsonbT)
	for _, args := range pathSignatures() {
		jsonSetFuncs["jsonb_path_query"] = append(jsonSetFuncs["jsonb_path_query"], &Func{Name: "jsonb_path_query", Args: args, Ret: arrT,
			Strict: true, Volatility: Immutable, Eval: func(_ *Context, a []types.Value) (types.Value, error) {
				items, _, _, err := callPath(a)
				if err != nil {
					return types.Null, err
				}
				vals := make([]types.Value, len(items))
				for i, n := range items {
					vals[i] = jsonbVal(n)
				}
				return types.NewArray(vals), nil
			}})
	}
}
