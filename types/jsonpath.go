package types

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

// The jsonpath type (SQL/JSON path language, PostgreSQL 15). A value is
// stored as its canonical text — what jsonpath_out prints — so equal paths
// print alike and the evaluator (sql/funcs/jsonpath.go) re-parses it. The
// binary format is jsonpath_send's: a version byte (1), then the text.

// OIDs of jsonpath and its array type.
const (
	OIDJSONPath      OID = 4072
	OIDJSONPathArray OID = 4073
)

// JSONPath is a parsed path: its mode and its expression.
type JSONPath struct {
	Strict bool
	Expr   *JPItem
}

// JPKind is the kind of one item of a path.
type JPKind uint8

// Path items.
const (
	JPRoot       JPKind = iota // $
	JPCurrent                  // @
	JPVar                      // $name (Str)
	JPLast                     // last (in an array subscript)
	JPNull                     // null
	JPBool                     // true / false (Bool)
	JPNumber                   // a numeric literal (Num)
	JPString                   // a string literal (Str)
	JPKey                      // .key (Str)
	JPAnyKey                   // .*
	JPAnyArray                 // [*]
	JPIndex                    // [subscripts] (Subs)
	JPAny                      // .** with levels First..Last
	JPFilter                   // ?(predicate) (Arg)
	JPMethod                   // .name() (Str: type, size, double, ceiling, floor, abs, keyvalue, datetime)
	JPBinary                   // Left Op Right: == != < <= > >= && || + - * / %
	JPUnary                    // Op Arg: + - !
	JPIsUnknown                // (Arg) is unknown
	JPExists                   // exists (Arg)
	JPLikeRegex                // Arg like_regex Str flag Flags
	JPStartsWith               // Left starts with Right
)

// JPLastLevel is an unbounded .** level ("last").
const JPLastLevel = math.MaxUint32

// JPItem is one item of a path; Next is the accessor applied to its
// results.
type JPItem struct {
	Kind        JPKind
	Op          string
	Str         string
	Flags       string
	Bool        bool
	Num         *apd.Decimal
	Left, Right *JPItem
	Arg         *JPItem
	Subs        []JPSub
	First, Last uint32
	Next        *JPItem
}

// JPSub is one array subscript: an index, or a range From to To.
type JPSub struct{ From, To *JPItem }

func jpSyntax(format string, args ...any) *pgerr.Error {
	return pgerr.New(pgerr.SyntaxError, format, args...)
}

// ParseJSONPath parses the text of a jsonpath.
func ParseJSONPath(s string) (*JSONPath, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, pgerr.New(pgerr.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8": 0x00`)
	}
	p := &jpParser{s: s}
	p.next()
	jp := &JSONPath{}
	if p.isWord("strict") {
		jp.Strict = true
		p.next()
	} else if p.isWord("lax") {
		p.next()
	}
	e, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != jtEOF {
		return nil, p.syntaxErr()
	}
	jp.Expr = e
	return jp, nil
}

// ParseJSONPathText is jsonpath_in: the canonical text of a path.
func ParseJSONPathText(s string) (Value, error) {
	jp, err := ParseJSONPath(s)
	if err != nil {
		return Null, err
	}
	return NewText(jp.String()), nil
}

type jtKind uint8

const (
	jtEOF jtKind = iota
	jtIdent
	jtString
	jtNumber
	jtVar
	jtOp
)

type jtok struct {
	kind jtKind
	text string // identifier, decoded string, number, variable name, operator
	pos  int
}

type jpParser struct {
	s   string
	i   int
	tok jtok
	err error
}

func (p *jpParser) syntaxErr() error {
	if p.err != nil {
		return p.err
	}
	if p.tok.kind == jtEOF {
		return jpSyntax("syntax error at end of jsonpath input")
	}
	near := p.s[p.tok.pos:p.i]
	return jpSyntax("syntax error at or near %q of jsonpath input", near)
}

func isJPIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isJPIdent(c byte) bool { return isJPIdentStart(c) || c >= '0' && c <= '9' }

// next reads the next token.
func (p *jpParser) next() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r\f", p.s[p.i]) >= 0 {
		p.i++
	}
	start := p.i
	p.tok = jtok{pos: start}
	if p.i >= len(p.s) {
		p.tok.kind = jtEOF
		return
	}
	c := p.s[p.i]
	switch {
	case c == '"':
		str, ok := p.quoted()
		if !ok {
			p.tok.kind = jtEOF
			if p.err == nil {
				p.err = jpSyntax("unexpected end of quoted string at or near %q of jsonpath input", p.s[start:])
			}
			return
		}
		p.tok.kind, p.tok.text = jtString, str
	case c == '$':
		p.i++
		switch {
		case p.i < len(p.s) && p.s[p.i] == '"':
			str, ok := p.quoted()
			if !ok {
				p.err = jpSyntax("unexpected end of quoted string at or near %q of jsonpath input", p.s[start:])
				p.tok.kind = jtEOF
				return
			}
			p.tok.kind, p.tok.text = jtVar, str
		case p.i < len(p.s) && isJPIdent(p.s[p.i]):
			j := p.i
			for p.i < len(p.s) && isJPIdent(p.s[p.i]) {
				p.i++
			}
			p.tok.kind, p.tok.text = jtVar, p.s[j:p.i]
		default:
			p.tok.kind, p.tok.text = jtOp, "$"
		}
	case c >= '0' && c <= '9' || c == '.' && p.i+1 < len(p.s) && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9' && !p.afterAccessor():
		j := p.i
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.' && p.i+1 < len(p.s) && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9') {
			p.i++
		}
		if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
			k := p.i + 1
			if k < len(p.s) && (p.s[k] == '+' || p.s[k] == '-') {
				k++
			}
			if k < len(p.s) && p.s[k] >= '0' && p.s[k] <= '9' {
				p.i = k
				for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
					p.i++
				}
			}
		}
		if p.i < len(p.s) && isJPIdentStart(p.s[p.i]) {
			p.err = jpSyntax("trailing junk after numeric literal at or near %q of jsonpath input", p.s[j:p.i+1])
			p.tok.kind = jtEOF
			return
		}
		p.tok.kind, p.tok.text = jtNumber, p.s[j:p.i]
	case isJPIdentStart(c):
		j := p.i
		for p.i < len(p.s) && isJPIdent(p.s[p.i]) {
			p.i++
		}
		p.tok.kind, p.tok.text = jtIdent, p.s[j:p.i]
	default:
		for _, op := range []string{"**", "==", "!=", "<>", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "(", ")", "[", "]", "{", "}", ".", ",", "?", "@"} {
			if strings.HasPrefix(p.s[p.i:], op) {
				p.i += len(op)
				p.tok.kind, p.tok.text = jtOp, op
				return
			}
		}
		p.i++
		p.tok.kind, p.tok.text = jtOp, string(c)
	}
}

// afterAccessor: a '.' right after an item is an accessor, not a number.
func (p *jpParser) afterAccessor() bool {
	j := p.i - 1
	for j >= 0 && p.s[j] == ' ' {
		j--
	}
	if j < 0 {
		return false
	}
	c := p.s[j]
	return c == '$' || c == '@' || c == ']' || c == ')' || c == '"' || isJPIdent(c)
}

// quoted reads a double-quoted string with JSON-like escapes at p.i.
func (p *jpParser) quoted() (string, bool) {
	var b strings.Builder
	p.i++ // opening quote
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), true
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", false
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'v':
				b.WriteByte('\v')
			case 'x':
				if p.i+2 > len(p.s) {
					return "", false
				}
				n, err := strconv.ParseUint(p.s[p.i:p.i+2], 16, 8)
				if err != nil {
					p.err = jpSyntax("invalid hexadecimal character sequence of jsonpath input")
					return "", false
				}
				b.WriteRune(rune(n))
				p.i += 2
			case 'u':
				r, ok := p.unicodeEscape()
				if !ok {
					return "", false
				}
				b.WriteRune(r)
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", false
}

func (p *jpParser) unicodeEscape() (rune, bool) {
	hex := func() (rune, bool) {
		if p.i < len(p.s) && p.s[p.i] == '{' {
			end := strings.IndexByte(p.s[p.i:], '}')
			if end < 2 || end > 7 {
				return 0, false
			}
			n, err := strconv.ParseUint(p.s[p.i+1:p.i+end], 16, 32)
			if err != nil {
				return 0, false
			}
			p.i += end + 1
			return rune(n), true
		}
		if p.i+4 > len(p.s) {
			return 0, false
		}
		n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 16)
		if err != nil {
			return 0, false
		}
		p.i += 4
		return rune(n), true
	}
	r, ok := hex()
	if !ok {
		p.err = jpSyntax("invalid Unicode escape sequence of jsonpath input")
		return 0, false
	}
	if r >= 0xD800 && r <= 0xDBFF && strings.HasPrefix(p.s[p.i:], `\u`) {
		p.i += 2
		lo, ok := hex()
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			p.err = jpSyntax("invalid Unicode surrogate pair of jsonpath input")
			return 0, false
		}
		r = (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
	}
	if r == 0 {
		p.err = pgerr.New("22P05", "unsupported Unicode escape sequence").WithDetail(`\u0000 cannot be converted to text.`)
		return 0, false
	}
	if !utf8.ValidRune(r) {
		p.err = jpSyntax("invalid Unicode escape sequence of jsonpath input")
		return 0, false
	}
	return r, true
}

func (p *jpParser) isOp(op string) bool { return p.tok.kind == jtOp && p.tok.text == op }

func (p *jpParser) isWord(w string) bool { return p.tok.kind == jtIdent && p.tok.text == w }

func (p *jpParser) expect(op string) error {
	if !p.isOp(op) {
		return p.syntaxErr()
	}
	p.next()
	return nil
}

func (p *jpParser) orExpr() (*JPItem, error) {
	l, err := p.andExpr()
	for err == nil && p.isOp("||") {
		p.next()
		var r *JPItem
		if r, err = p.andExpr(); err == nil {
			l = &JPItem{Kind: JPBinary, Op: "||", Left: l, Right: r}
		}
	}
	return l, err
}

func (p *jpParser) andExpr() (*JPItem, error) {
	l, err := p.notExpr()
	for err == nil && p.isOp("&&") {
		p.next()
		var r *JPItem
		if r, err = p.notExpr(); err == nil {
			l = &JPItem{Kind: JPBinary, Op: "&&", Left: l, Right: r}
		}
	}
	return l, err
}

func (p *jpParser) notExpr() (*JPItem, error) {
	if p.isOp("!") {
		p.next()
		if !p.isOp("(") && !p.isWord("exists") {
			return nil, p.syntaxErr()
		}
		a, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &JPItem{Kind: JPUnary, Op: "!", Arg: a}, nil
	}
	return p.cmpExpr()
}

var jpCmpOps = map[string]string{"==": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *jpParser) cmpExpr() (*JPItem, error) {
	if p.isWord("exists") {
		save := *p
		p.next()
		if p.isOp("(") {
			p.next()
			a, err := p.orExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return &JPItem{Kind: JPExists, Arg: a}, nil
		}
		*p = save
	}
	l, err := p.addExpr()
	if err != nil {
		return nil, err
	}
	switch {
	case p.tok.kind == jtOp && jpCmpOps[p.tok.text] != "":
		op := jpCmpOps[p.tok.text]
		p.next()
		r, err := p.addExpr()
		if err != nil {
			return nil, err
		}
		return &JPItem{Kind: JPBinary, Op: op, Left: l, Right: r}, nil
	case p.isWord("like_regex"):
		p.next()
		if p.tok.kind != jtString {
			return nil, p.syntaxErr()
		}
		it := &JPItem{Kind: JPLikeRegex, Arg: l, Str: p.tok.text}
		p.next()
		if p.isWord("flag") {
			p.next()
			if p.tok.kind != jtString {
				return nil, p.syntaxErr()
			}
			for _, f := range p.tok.text {
				switch f {
				case 'i', 's', 'm', 'x', 'q':
					if !strings.ContainsRune(it.Flags, f) {
						it.Flags += string(f)
					}
				default:
					return nil, jpSyntax("invalid input syntax for type jsonpath").WithDetail("Unrecognized flag character %q in LIKE_REGEX predicate.", string(f))
				}
			}
			p.next()
		}
		return it, nil
	case p.isWord("starts"):
		p.next()
		if !p.isWord("with") {
			return nil, p.syntaxErr()
		}
		p.next()
		var r *JPItem
		switch p.tok.kind {
		case jtString:
			r = &JPItem{Kind: JPString, Str: p.tok.text}
		case jtVar:
			r = &JPItem{Kind: JPVar, Str: p.tok.text}
		default:
			return nil, p.syntaxErr()
		}
		p.next()
		return &JPItem{Kind: JPStartsWith, Left: l, Right: r}, nil
	}
	return l, nil
}

// postPredicate parses "is unknown" after a delimited predicate.
func (p *jpParser) postPredicate(it *JPItem) (*JPItem, error) {
	if p.isWord("is") {
		p.next()
		if !p.isWord("unknown") {
			return nil, p.syntaxErr()
		}
		p.next()
		return &JPItem{Kind: JPIsUnknown, Arg: it}, nil
	}
	return it, nil
}

func (p *jpParser) addExpr() (*JPItem, error) {
	l, err := p.mulExpr()
	for err == nil && (p.isOp("+") || p.isOp("-")) {
		op := p.tok.text
		p.next()
		var r *JPItem
		if r, err = p.mulExpr(); err == nil {
			l = &JPItem{Kind: JPBinary, Op: op, Left: l, Right: r}
		}
	}
	return l, err
}

func (p *jpParser) mulExpr() (*JPItem, error) {
	l, err := p.unaryExpr()
	for err == nil && (p.isOp("*") || p.isOp("/") || p.isOp("%")) {
		op := p.tok.text
		p.next()
		var r *JPItem
		if r, err = p.unaryExpr(); err == nil {
			l = &JPItem{Kind: JPBinary, Op: op, Left: l, Right: r}
		}
	}
	return l, err
}

func (p *jpParser) unaryExpr() (*JPItem, error) {
	if p.isOp("+") || p.isOp("-") {
		op := p.tok.text
		p.next()
		a, err := p.unaryExpr()
		if err != nil {
			return nil, err
		}
		if a.Kind == JPNumber && a.Next == nil {
			// A signed numeric literal is a literal (makeItemUnary).
			if op == "-" {
				n := new(apd.Decimal).Neg(a.Num)
				a.Num = n
			}
			return a, nil
		}
		return &JPItem{Kind: JPUnary, Op: op, Arg: a}, nil
	}
	return p.accessorExpr()
}

func (p *jpParser) accessorExpr() (*JPItem, error) {
	var head *JPItem
	switch {
	case p.isOp("("):
		p.next()
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if isPredicate(e) {
			if e, err = p.postPredicate(e); err != nil {
				return nil, err
			}
		}
		// Accessors after a parenthesized expression apply to its
		// results: they continue its chain.
		head = e
	case p.isOp("$"):
		head = &JPItem{Kind: JPRoot}
		p.next()
	case p.isOp("@"):
		head = &JPItem{Kind: JPCurrent}
		p.next()
	case p.tok.kind == jtVar:
		head = &JPItem{Kind: JPVar, Str: p.tok.text}
		p.next()
	case p.tok.kind == jtString:
		head = &JPItem{Kind: JPString, Str: p.tok.text}
		p.next()
	case p.tok.kind == jtNumber:
		d, err := ParseNumeric(p.tok.text)
		if err != nil {
			return nil, p.syntaxErr()
		}
		head = &JPItem{Kind: JPNumber, Num: d}
		p.next()
	case p.isWord("true") || p.isWord("false"):
		head = &JPItem{Kind: JPBool, Bool: p.tok.text == "true"}
		p.next()
	case p.isWord("null"):
		head = &JPItem{Kind: JPNull}
		p.next()
	case p.isWord("last"):
		head = &JPItem{Kind: JPLast}
		p.next()
	default:
		return nil, p.syntaxErr()
	}
	tail := head
	for tail.Next != nil {
		tail = tail.Next
	}
	for p.isAccessorStart() {
		acc, err := p.accessor()
		if err != nil {
			return nil, err
		}
		tail.Next = acc
		tail = acc
	}
	return head, nil
}

func isPredicate(e *JPItem) bool {
	switch e.Kind {
	case JPExists, JPLikeRegex, JPStartsWith, JPIsUnknown:
		return true
	case JPUnary:
		return e.Op == "!"
	case JPBinary:
		_, cmp := jpCmpOps[e.Op]
		return cmp || e.Op == "&&" || e.Op == "||"
	}
	return false
}

func (p *jpParser) isAccessorStart() bool {
	return p.isOp(".") || p.isOp("[") || p.isOp("?") || p.isOp("**")
}

var jpMethods = map[string]bool{"type": true, "size": true, "double": true, "ceiling": true, "floor": true, "abs": true, "keyvalue": true, "datetime": true}

func (p *jpParser) accessor() (*JPItem, error) {
	switch {
	case p.isOp("?"):
		p.next()
		if err := p.expect("("); err != nil {
			return nil, err
		}
		pred, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return &JPItem{Kind: JPFilter, Arg: pred}, nil
	case p.isOp("["):
		p.next()
		if p.isOp("*") {
			p.next()
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			return &JPItem{Kind: JPAnyArray}, nil
		}
		it := &JPItem{Kind: JPIndex}
		for {
			from, err := p.orExpr()
			if err != nil {
				return nil, err
			}
			sub := JPSub{From: from}
			if p.isWord("to") {
				p.next()
				if sub.To, err = p.orExpr(); err != nil {
					return nil, err
				}
			}
			it.Subs = append(it.Subs, sub)
			if p.isOp(",") {
				p.next()
				continue
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			return it, nil
		}
	}
	// "." or "**" (a "**" right after an item: .** without the dot is
	// not valid; PostgreSQL requires the dot).
	if p.isOp("**") {
		return nil, p.syntaxErr()
	}
	p.next() // "."
	switch {
	case p.isOp("*"):
		p.next()
		return &JPItem{Kind: JPAnyKey}, nil
	case p.isOp("**"):
		p.next()
		it := &JPItem{Kind: JPAny, First: 0, Last: JPLastLevel}
		if p.isOp("{") {
			p.next()
			lvl := func() (uint32, error) {
				if p.isWord("last") {
					p.next()
					return JPLastLevel, nil
				}
				if p.tok.kind != jtNumber {
					return 0, p.syntaxErr()
				}
				n, err := strconv.ParseUint(p.tok.text, 10, 31)
				if err != nil {
					return 0, p.syntaxErr()
				}
				p.next()
				return uint32(n), nil
			}
			var err error
			if it.First, err = lvl(); err != nil {
				return nil, err
			}
			it.Last = it.First
			if p.isWord("to") {
				p.next()
				if it.Last, err = lvl(); err != nil {
					return nil, err
				}
			}
			if err := p.expect("}"); err != nil {
				return nil, err
			}
		}
		return it, nil
	case p.tok.kind == jtString:
		it := &JPItem{Kind: JPKey, Str: p.tok.text}
		p.next()
		return it, nil
	case p.tok.kind == jtIdent:
		name := p.tok.text
		p.next()
		if p.isOp("(") && jpMethods[name] {
			p.next()
			it := &JPItem{Kind: JPMethod, Str: name}
			if name == "datetime" && p.tok.kind == jtString {
				it.Arg = &JPItem{Kind: JPString, Str: p.tok.text}
				p.next()
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return it, nil
		}
		return &JPItem{Kind: JPKey, Str: name}, nil
	case p.tok.kind == jtVar:
		// .$x is not a key
		return nil, p.syntaxErr()
	}
	return nil, p.syntaxErr()
}

// String prints the path as jsonpath_out does.
func (jp *JSONPath) String() string {
	var b strings.Builder
	if jp.Strict {
		b.WriteString("strict ")
	}
	jpPrint(&b, jp.Expr, false, true)
	return b.String()
}

func jpPriority(it *JPItem) int {
	switch it.Kind {
	case JPBinary:
		switch it.Op {
		case "||":
			return 0
		case "&&":
			return 1
		case "+", "-":
			return 3
		case "*", "/", "%":
			return 4
		}
		return 2
	case JPStartsWith:
		return 2
	case JPUnary:
		if it.Op != "!" {
			return 5
		}
	}
	return 6
}

func jpPrint(b *strings.Builder, it *JPItem, inKey, brackets bool) {
	switch it.Kind {
	case JPBinary:
		if brackets {
			b.WriteByte('(')
		}
		jpPrint(b, it.Left, false, jpPriority(it.Left) <= jpPriority(it))
		b.WriteString(" " + it.Op + " ")
		jpPrint(b, it.Right, false, jpPriority(it.Right) <= jpPriority(it))
		if brackets {
			b.WriteByte(')')
		}
	case JPStartsWith:
		if brackets {
			b.WriteByte('(')
		}
		jpPrint(b, it.Left, false, jpPriority(it.Left) <= jpPriority(it))
		b.WriteString(" starts with ")
		jpPrint(b, it.Right, false, jpPriority(it.Right) <= jpPriority(it))
		if brackets {
			b.WriteByte(')')
		}
	case JPLikeRegex:
		if brackets {
			b.WriteByte('(')
		}
		jpPrint(b, it.Arg, false, jpPriority(it.Arg) <= jpPriority(it))
		b.WriteString(" like_regex ")
		b.Write(AppendJSONString(nil, it.Str))
		if it.Flags != "" {
			b.WriteString(` flag "`)
			for _, f := range "ismxq" {
				if strings.ContainsRune(it.Flags, f) {
					b.WriteRune(f)
				}
			}
			b.WriteByte('"')
		}
		if brackets {
			b.WriteByte(')')
		}
	case JPUnary:
		if it.Op == "!" {
			b.WriteString("!(")
			jpPrint(b, it.Arg, false, false)
			b.WriteByte(')')
			break
		}
		if brackets {
			b.WriteByte('(')
		}
		b.WriteString(it.Op)
		jpPrint(b, it.Arg, false, jpPriority(it.Arg) <= jpPriority(it))
		if brackets {
			b.WriteByte(')')
		}
	case JPIsUnknown:
		b.WriteByte('(')
		jpPrint(b, it.Arg, false, false)
		b.WriteString(") is unknown")
	case JPExists:
		b.WriteString("exists (")
		jpPrint(b, it.Arg, false, false)
		b.WriteByte(')')
	case JPFilter:
		b.WriteString("?(")
		jpPrint(b, it.Arg, false, false)
		b.WriteByte(')')
	case JPRoot:
		b.WriteByte('$')
	case JPCurrent:
		b.WriteByte('@')
	case JPVar:
		b.WriteByte('$')
		b.Write(AppendJSONString(nil, it.Str))
	case JPLast:
		b.WriteString("last")
	case JPNull:
		b.WriteString("null")
	case JPBool:
		if it.Bool {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case JPNumber:
		b.WriteString(numericText(it.Num))
	case JPString:
		b.Write(AppendJSONString(nil, it.Str))
	case JPKey:
		if inKey {
			b.WriteByte('.')
		}
		b.Write(AppendJSONString(nil, it.Str))
	case JPAnyKey:
		if inKey {
			b.WriteByte('.')
		}
		b.WriteByte('*')
	case JPAnyArray:
		b.WriteString("[*]")
	case JPIndex:
		b.WriteByte('[')
		for i, s := range it.Subs {
			if i > 0 {
				b.WriteByte(',')
			}
			jpPrint(b, s.From, false, false)
			if s.To != nil {
				b.WriteString(" to ")
				jpPrint(b, s.To, false, false)
			}
		}
		b.WriteByte(']')
	case JPAny:
		if inKey {
			b.WriteByte('.')
		}
		lv := func(n uint32) string {
			if n == JPLastLevel {
				return "last"
			}
			return strconv.FormatUint(uint64(n), 10)
		}
		switch {
		case it.First == 0 && it.Last == JPLastLevel:
			b.WriteString("**")
		case it.First == it.Last:
			b.WriteString("**{" + lv(it.First) + "}")
		default:
			b.WriteString("**{" + lv(it.First) + " to " + lv(it.Last) + "}")
		}
	case JPMethod:
		b.WriteString("." + it.Str + "(")
		if it.Arg != nil {
			jpPrint(b, it.Arg, false, false)
		}
		b.WriteByte(')')
	}
	if it.Next != nil {
		jpPrint(b, it.Next, true, true)
	}
}

// numericText prints d as numeric_out does.
func numericText(d *apd.Decimal) string { return string(appendNumeric(nil, d)) }
