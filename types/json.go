package types

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

// JSON values. json and jsonb are both KindJSON values holding text: json
// the input verbatim (validated), jsonb PostgreSQL's jsonb output of the
// input (normalised: objects' keys ordered by length then bytes, the last of
// duplicate keys kept, numbers as numeric_out prints them, ", " and ": "
// separators). Functions and operators parse that text into a JSON tree,
// work on it and print the result (jsonb) or copy source spans (json).

// JSONKind is the type of a JSON value. Its order is jsonb's sort order of
// the types: null < string < number < boolean < array < object.
type JSONKind uint8

// JSON value types.
const (
	JSONNull JSONKind = iota
	JSONString
	JSONNumber
	JSONBool
	JSONArray
	JSONObject
)

// String is json_typeof's name of the kind.
func (k JSONKind) String() string {
	switch k {
	case JSONString:
		return "string"
	case JSONNumber:
		return "number"
	case JSONBool:
		return "boolean"
	case JSONArray:
		return "array"
	case JSONObject:
		return "object"
	}
	return "null"
}

// JSONNode is a parsed JSON value. Trees are immutable once built: functions
// that change a value build new nodes and may share unchanged subtrees.
type JSONNode struct {
	Kind JSONKind
	Bool bool         // JSONBool
	Str  string       // JSONString: the decoded string
	Num  *apd.Decimal // JSONNumber (jsonb trees; nil in json trees, which keep Raw)
	Keys []string     // JSONObject
	Vals []*JSONNode  // JSONArray elements; JSONObject values (Vals[i] belongs to Keys[i])
	// Raw is the value's source text in a tree parsed by ParseJSONText
	// (json): what -> and friends return for the json type.
	Raw string
}

// JSON parse modes.
const (
	jsonValidate = iota // validate only (json input)
	jsonTreeB           // jsonb tree: numbers parsed, objects normalised
	jsonTreeText        // json tree: source spans kept, keys in order with duplicates
)

type jsonParser struct {
	s     string
	i     int
	mode  int
	depth int
}

func jsonSyntaxError(s string) error {
	return pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type json").
		WithDetail("The input string ended unexpectedly or contains an invalid token.")
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (*JSONNode, error) {
	p.ws()
	if p.i >= len(p.s) {
		return nil, jsonSyntaxError(p.s)
	}
	start := p.i
	n, err := p.value1()
	if err != nil {
		return nil, err
	}
	if p.mode == jsonTreeText {
		n.Raw = p.s[start:p.i]
	}
	return n, nil
}

func (p *jsonParser) value1() (*JSONNode, error) {
	build := p.mode != jsonValidate
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 6000 {
		return nil, pgerr.New(pgerr.ProgramLimitExceeded, "stack depth limit exceeded")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		var n *JSONNode
		if build {
			n = &JSONNode{Kind: JSONObject}
		}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, jsonSyntaxError(p.s)
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, jsonSyntaxError(p.s)
			}
			p.i++
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			if build {
				n.Keys = append(n.Keys, k)
				n.Vals = append(n.Vals, v)
			}
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				break
			}
			return nil, jsonSyntaxError(p.s)
		}
		if p.mode == jsonTreeB {
			n.normalizeObject()
		}
		return n, nil
	case c == '[':
		p.i++
		var n *JSONNode
		if build {
			n = &JSONNode{Kind: JSONArray}
		}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			if build {
				n.Vals = append(n.Vals, v)
			}
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				break
			}
			return nil, jsonSyntaxError(p.s)
		}
		return n, nil
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		if build {
			return &JSONNode{Kind: JSONString, Str: s}, nil
		}
		return nil, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		if c == '-' {
			p.i++
		}
		if p.i >= len(p.s) {
			return nil, jsonSyntaxError(p.s)
		}
		if p.s[p.i] == '0' {
			p.i++
		} else if p.s[p.i] >= '1' && p.s[p.i] <= '9' {
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
		} else {
			return nil, jsonSyntaxError(p.s)
		}
		if p.i < len(p.s) && p.s[p.i] == '.' {
			p.i++
			d := p.i
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
			if d == p.i {
				return nil, jsonSyntaxError(p.s)
			}
		}
		if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
			p.i++
			if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
				p.i++
			}
			d := p.i
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
			if d == p.i {
				return nil, jsonSyntaxError(p.s)
			}
		}
		if p.i < len(p.s) && isJSONIdentChar(p.s[p.i]) {
			return nil, jsonSyntaxError(p.s)
		}
		switch p.mode {
		case jsonTreeB:
			d, err := ParseNumeric(p.s[start:p.i])
			if err != nil {
				return nil, err
			}
			return &JSONNode{Kind: JSONNumber, Num: d}, nil
		case jsonTreeText:
			return &JSONNode{Kind: JSONNumber}, nil
		}
		return nil, nil
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.s)-p.i >= len(lit) && p.s[p.i:p.i+len(lit)] == lit &&
				(p.i+len(lit) == len(p.s) || !isJSONIdentChar(p.s[p.i+len(lit)])) {
				p.i += len(lit)
				if !build {
					return nil, nil
				}
				if lit == "null" {
					return &JSONNode{Kind: JSONNull}, nil
				}
				return &JSONNode{Kind: JSONBool, Bool: lit == "true"}, nil
			}
		}
		return nil, jsonSyntaxError(p.s)
	}
}

func isJSONIdentChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// str parses a JSON string at p.i (which is '"'), returning its decoded value
// when building.
func (p *jsonParser) str() (string, error) {
	build := p.mode != jsonValidate
	p.i++
	var out []byte
	start := p.i
	for {
		if p.i >= len(p.s) {
			return "", jsonSyntaxError(p.s)
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if !build {
				return "", nil
			}
			if out == nil {
				return p.s[start : p.i-1], nil
			}
			return string(out), nil
		case c < 0x20:
			return "", jsonSyntaxError(p.s)
		case c == '\\':
			if out == nil && build {
				out = append([]byte{}, p.s[start:p.i]...)
			}
			if p.i+1 >= len(p.s) {
				return "", jsonSyntaxError(p.s)
			}
			e := p.s[p.i+1]
			p.i += 2
			var b byte
			switch e {
			case '"', '\\', '/':
				b = e
			case 'b':
				b = '\b'
			case 'f':
				b = '\f'
			case 'n':
				b = '\n'
			case 'r':
				b = '\r'
			case 't':
				b = '\t'
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type json").
						WithDetail("\"\\u\" must be followed by four hexadecimal digits.")
				}
				if r >= 0xd800 && r <= 0xdbff {
					if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
						p.i += 2
						r2, ok := p.hex4()
						if !ok || r2 < 0xdc00 || r2 > 0xdfff {
							return "", pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type json").
								WithDetail("Unicode low surrogate must follow a high surrogate.")
						}
						r = (r-0xd800)<<10 + (r2 - 0xdc00) + 0x10000
					} else {
						return "", pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type json").
							WithDetail("Unicode low surrogate must follow a high surrogate.")
					}
				} else if r >= 0xdc00 && r <= 0xdfff {
					return "", pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type json").
						WithDetail("Unicode low surrogate must follow a high surrogate.")
				}
				if build {
					if r == 0 {
						return "", pgerr.New("22P05", "unsupported Unicode escape sequence").
							WithDetail("\\u0000 cannot be converted to text.")
					}
					out = utf8.AppendRune(out, rune(r))
				}
				continue
			default:
				return "", pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type json").
					WithDetail("Escape sequence \"\\%c\" is invalid.", e)
			}
			if build {
				out = append(out, b)
			}
		default:
			if out != nil {
				out = append(out, c)
			}
			p.i++
		}
	}
}

func (p *jsonParser) hex4() (int, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	r := 0
	for k := 0; k < 4; k++ {
		h, ok := unhex(p.s[p.i+k])
		if !ok {
			return 0, false
		}
		r = r<<4 | int(h)
	}
	p.i += 4
	return r, true
}

// jsonKeyLess is jsonb's key order: shorter keys first, then bytewise.
func jsonKeyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// normalizeObject sorts keys as jsonb does (length, then bytes) and keeps the
// last of duplicate keys.
func (n *JSONNode) normalizeObject() {
	sorted := true
	for i := 1; i < len(n.Keys); i++ {
		if !jsonKeyLess(n.Keys[i-1], n.Keys[i]) {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	idx := make([]int, len(n.Keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return jsonKeyLess(n.Keys[idx[a]], n.Keys[idx[b]]) })
	keys := make([]string, 0, len(idx))
	vals := make([]*JSONNode, 0, len(idx))
	for _, i := range idx {
		if len(keys) > 0 && keys[len(keys)-1] == n.Keys[i] {
			vals[len(vals)-1] = n.Vals[i] // stable sort: later duplicate wins
			continue
		}
		keys = append(keys, n.Keys[i])
		vals = append(vals, n.Vals[i])
	}
	n.Keys, n.Vals = keys, vals
}

// NewJSONObject returns a jsonb object of keys and vals (normalised: the
// last of duplicate keys wins).
func NewJSONObject(keys []string, vals []*JSONNode) *JSONNode {
	n := &JSONNode{Kind: JSONObject, Keys: keys, Vals: vals}
	n.normalizeObject()
	return n
}

// Normalize returns the jsonb form of a tree parsed by ParseJSONText:
// objects normalised, numbers parsed, source spans dropped.
func (n *JSONNode) Normalize() (*JSONNode, error) {
	switch n.Kind {
	case JSONNumber:
		if n.Num != nil {
			return &JSONNode{Kind: JSONNumber, Num: n.Num}, nil
		}
		d, err := ParseNumeric(n.Raw)
		if err != nil {
			return nil, err
		}
		return &JSONNode{Kind: JSONNumber, Num: d}, nil
	case JSONArray, JSONObject:
		out := &JSONNode{Kind: n.Kind, Keys: n.Keys, Vals: make([]*JSONNode, len(n.Vals))}
		for i, v := range n.Vals {
			c, err := v.Normalize()
			if err != nil {
				return nil, err
			}
			out.Vals[i] = c
		}
		if n.Kind == JSONObject {
			out.Keys = append([]string(nil), n.Keys...)
			out.normalizeObject()
		}
		return out, nil
	}
	c := *n
	c.Raw = ""
	return &c, nil
}

// AppendJSONB appends the jsonb text of n (jsonb_out).
func (n *JSONNode) AppendJSONB(buf []byte) []byte {
	switch n.Kind {
	case JSONObject:
		buf = append(buf, '{')
		for i, k := range n.Keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = AppendJSONString(buf, k)
			buf = append(buf, ": "...)
			buf = n.Vals[i].AppendJSONB(buf)
		}
		return append(buf, '}')
	case JSONArray:
		buf = append(buf, '[')
		for i, v := range n.Vals {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = v.AppendJSONB(buf)
		}
		return append(buf, ']')
	case JSONString:
		return AppendJSONString(buf, n.Str)
	case JSONNumber:
		if n.Num == nil {
			return append(buf, n.Raw...)
		}
		return appendNumeric(buf, n.Num)
	case JSONBool:
		if n.Bool {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	}
	return append(buf, "null"...)
}

// JSONBText returns the jsonb text of n.
func (n *JSONNode) JSONBText() string { return string(n.AppendJSONB(nil)) }

// AppendJSONString appends s as a JSON string literal (PostgreSQL's
// escape_json).
func AppendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '"':
			buf = append(buf, '\\', '"')
		case '\\':
			buf = append(buf, '\\', '\\')
		default:
			if c < 0x20 {
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			} else {
				buf = append(buf, c)
			}
		}
	}
	return append(buf, '"')
}

func parseJSON(s string, mode int) (*JSONNode, error) {
	if err := checkText(s); err != nil {
		return nil, err
	}
	p := &jsonParser{s: s, mode: mode}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, jsonSyntaxError(s)
	}
	return n, nil
}

// ParseJSONB parses JSON text into a jsonb tree (normalised objects,
// numbers as numeric). Errors are jsonb input's (22P02, 22P05, 54001).
func ParseJSONB(s string) (*JSONNode, error) { return parseJSON(s, jsonTreeB) }

// ParseJSONText parses json text into a tree that keeps the source: keys
// in order with duplicates, and every value's text in Raw (numbers are not
// parsed: Num is nil).
func ParseJSONText(s string) (*JSONNode, error) { return parseJSON(s, jsonTreeText) }

// validateJSON checks json input (kept verbatim).
func validateJSON(s string) error {
	_, err := parseJSON(s, jsonValidate)
	return err
}

// normalizeJSONB parses jsonb input and returns PostgreSQL's jsonb text output.
func normalizeJSONB(s string) (string, error) {
	n, err := parseJSON(s, jsonTreeB)
	if err != nil {
		return "", err
	}
	return string(n.AppendJSONB(make([]byte, 0, len(s)+8))), nil
}

// Lookup returns the value of key in object n (nil if n is no object or has
// no such key; the last one for a json object with duplicate keys).
func (n *JSONNode) Lookup(key string) *JSONNode {
	if n.Kind != JSONObject {
		return nil
	}
	var found *JSONNode
	for i, k := range n.Keys {
		if k == key {
			found = n.Vals[i]
		}
	}
	return found
}

// CompareJSONB orders two jsonb values as PostgreSQL's
// compareJsonbContainers: by type (null < string < number < boolean <
// array < object), arrays by length then elements, objects by pair count
// then keys (bytewise) and values in stored order. A top-level scalar is a
// one-element "raw scalar" array: it sorts after the empty array and before
// other arrays of one element.
func CompareJSONB(a, b *JSONNode) int {
	aobj, bobj := a.Kind == JSONObject, b.Kind == JSONObject
	if aobj || bobj {
		if aobj && bobj {
			return compareJSONValue(a, b)
		}
		if aobj {
			return 1
		}
		return -1
	}
	// Both are arrays or raw scalars (pseudo-arrays of one element).
	ea, eb := rawElems(a), rawElems(b)
	res := 0
	ar, br := a.Kind != JSONArray, b.Kind != JSONArray
	if ar != br {
		res = 1
		if ar {
			res = -1
		}
	}
	if len(ea) != len(eb) {
		res = cmpInt(int64(len(ea)), int64(len(eb)))
	}
	if res != 0 {
		return res
	}
	for i := range ea {
		if c := compareJSONValue(ea[i], eb[i]); c != 0 {
			return c
		}
	}
	return 0
}

func rawElems(n *JSONNode) []*JSONNode {
	if n.Kind == JSONArray {
		return n.Vals
	}
	return []*JSONNode{n}
}

func compareJSONValue(a, b *JSONNode) int {
	if a.Kind != b.Kind {
		return cmpInt(int64(a.Kind), int64(b.Kind))
	}
	switch a.Kind {
	case JSONNull:
		return 0
	case JSONString:
		return cmpStr(a.Str, b.Str)
	case JSONNumber:
		return cmpNumeric(a.Num, b.Num)
	case JSONBool:
		switch {
		case a.Bool == b.Bool:
			return 0
		case a.Bool:
			return 1
		}
		return -1
	case JSONArray:
		if len(a.Vals) != len(b.Vals) {
			return cmpInt(int64(len(a.Vals)), int64(len(b.Vals)))
		}
		for i := range a.Vals {
			if c := compareJSONValue(a.Vals[i], b.Vals[i]); c != 0 {
				return c
			}
		}
		return 0
	}
	if len(a.Keys) != len(b.Keys) {
		return cmpInt(int64(len(a.Keys)), int64(len(b.Keys)))
	}
	for i := range a.Keys {
		if c := cmpStr(a.Keys[i], b.Keys[i]); c != 0 {
			return c
		}
		if c := compareJSONValue(a.Vals[i], b.Vals[i]); c != 0 {
			return c
		}
	}
	return 0
}

// EqualJSONB reports whether two jsonb values are equal (jsonb =).
func EqualJSONB(a, b *JSONNode) bool { return CompareJSONB(a, b) == 0 }

// compareJSONText compares two jsonb texts as jsonb values; text that does
// not parse (never stored as jsonb) compares bytewise.
func compareJSONText(a, b string) int {
	if a == b {
		return 0
	}
	x, err1 := ParseJSONB(a)
	y, err2 := ParseJSONB(b)
	if err1 != nil || err2 != nil {
		return cmpStr(a, b)
	}
	return CompareJSONB(x, y)
}

// jsonHashText is the text Hash uses for a jsonb value: equal values (whose
// numbers may differ in trailing fractional zeros: 1.0 = 1) give equal
// text.
func jsonHashText(s string) string {
	if !strings.Contains(s, ".") {
		return s // no number with a fraction: the text is canonical
	}
	n, err := ParseJSONB(s)
	if err != nil {
		return s
	}
	return string(n.appendCanonical(nil))
}

// appendCanonical is AppendJSONB with numbers reduced (no trailing
// fractional zeros).
func (n *JSONNode) appendCanonical(buf []byte) []byte {
	switch n.Kind {
	case JSONObject:
		buf = append(buf, '{')
		for i, k := range n.Keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = AppendJSONString(buf, k)
			buf = append(buf, ": "...)
			buf = n.Vals[i].appendCanonical(buf)
		}
		return append(buf, '}')
	case JSONArray:
		buf = append(buf, '[')
		for i, v := range n.Vals {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = v.appendCanonical(buf)
		}
		return append(buf, ']')
	case JSONNumber:
		var d apd.Decimal
		d.Reduce(n.Num)
		return appendNumeric(buf, &d)
	}
	return n.AppendJSONB(buf)
}

// AppendJSONBKey appends an order-preserving, self-delimiting binary key
// of jsonb text s: bytes.Compare of two keys agrees with CompareJSONB, and
// equal jsonb values (1.0 and 1) have equal keys. For index and hash keys
// (package oltp/keycode); text that does not parse is appended as is.
func AppendJSONBKey(buf []byte, s string) []byte {
	n, err := ParseJSONB(s)
	if err != nil {
		return append(buf, s...)
	}
	if n.Kind == JSONObject {
		return n.appendKey(buf)
	}
	// Arrays and raw scalars: count first, then raw scalar before array.
	es := rawElems(n)
	buf = append(buf, 0x10)
	buf = appendKeyCount(buf, len(es))
	if n.Kind == JSONArray {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	for _, e := range es {
		buf = e.appendKey(buf)
	}
	return buf
}

func appendKeyCount(buf []byte, n int) []byte {
	return append(buf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// appendKeyString appends s with 0x00 escaped as 0x00 0xFF and the
// terminator 0x00 0x01 (shorter strings first, bytewise otherwise).
func appendKeyString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			buf = append(buf, 0, 0xFF)
		} else {
			buf = append(buf, s[i])
		}
	}
	return append(buf, 0, 1)
}

func (n *JSONNode) appendKey(buf []byte) []byte {
	switch n.Kind {
	case JSONNull:
		return append(buf, 0x01)
	case JSONString:
		return appendKeyString(append(buf, 0x02), n.Str)
	case JSONNumber:
		return appendKeyNumber(append(buf, 0x03), n.Num)
	case JSONBool:
		if n.Bool {
			return append(buf, 0x04, 1)
		}
		return append(buf, 0x04, 0)
	case JSONArray:
		buf = appendKeyCount(append(buf, 0x10), len(n.Vals))
		for _, v := range n.Vals {
			buf = v.appendKey(buf)
		}
		return buf
	}
	buf = appendKeyCount(append(buf, 0x11), len(n.Keys))
	for i, k := range n.Keys {
		buf = appendKeyString(buf, k)
		buf = n.Vals[i].appendKey(buf)
	}
	return buf
}

// appendKeyNumber encodes a finite decimal: a sign class, then for a
// non-zero magnitude its adjusted exponent and significant digits (each
// digit+1, ended by 0), all inverted for negative numbers.
func appendKeyNumber(buf []byte, d *apd.Decimal) []byte {
	var r apd.Decimal
	r.Reduce(d)
	if r.Coeff.Sign() == 0 {
		return append(buf, 0x02)
	}
	digits := r.Coeff.Append(nil, 10)
	adj := int64(r.Exponent) + int64(len(digits)) // position of the leading digit
	start := len(buf) + 1
	if r.Negative {
		buf = append(buf, 0x01)
	} else {
		buf = append(buf, 0x03)
	}
	e := uint64(adj) ^ (1 << 63)
	for sh := 56; sh >= 0; sh -= 8 {
		buf = append(buf, byte(e>>uint(sh)))
	}
	for _, c := range digits {
		buf = append(buf, c-'0'+1)
	}
	buf = append(buf, 0)
	if r.Negative {
		for i := start; i < len(buf); i++ {
			buf[i] = ^buf[i]
		}
	}
	return buf
}
