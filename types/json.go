package types

import (
	"sort"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
)

// jsonNode is a parsed JSON value (jsonb input).
type jsonNode struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 't' true, 'f' false, 'z' null
	str  string
	num  *apd.Decimal
	keys []string
	vals []*jsonNode
}

type jsonParser struct {
	s     string
	i     int
	build bool // build a tree (jsonb) rather than only validate (json)
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

func (p *jsonParser) value() (*jsonNode, error) {
	p.ws()
	if p.i >= len(p.s) {
		return nil, jsonSyntaxError(p.s)
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 6000 {
		return nil, pgerr.New(pgerr.ProgramLimitExceeded, "stack depth limit exceeded")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		var n *jsonNode
		if p.build {
			n = &jsonNode{kind: 'o'}
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
			if p.build {
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, v)
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
		if p.build {
			n.normalizeObject()
		}
		return n, nil
	case c == '[':
		p.i++
		var n *jsonNode
		if p.build {
			n = &jsonNode{kind: 'a'}
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
			if p.build {
				n.vals = append(n.vals, v)
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
		if p.build {
			return &jsonNode{kind: 's', str: s}, nil
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
		if p.build {
			d, err := ParseNumeric(p.s[start:p.i])
			if err != nil {
				return nil, err
			}
			return &jsonNode{kind: 'n', num: d}, nil
		}
		return nil, nil
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.s)-p.i >= len(lit) && p.s[p.i:p.i+len(lit)] == lit &&
				(p.i+len(lit) == len(p.s) || !isJSONIdentChar(p.s[p.i+len(lit)])) {
				p.i += len(lit)
				if p.build {
					k := lit[0]
					if k == 'n' {
						k = 'z'
					}
					return &jsonNode{kind: k}, nil
				}
				return nil, nil
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
			if !p.build {
				return "", nil
			}
			if out == nil {
				return p.s[start : p.i-1], nil
			}
			return string(out), nil
		case c < 0x20:
			return "", jsonSyntaxError(p.s)
		case c == '\\':
			if out == nil && p.build {
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
				if p.build {
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
			if p.build {
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

// normalizeObject sorts keys as jsonb does (length, then bytes) and keeps the
// last of duplicate keys.
func (n *jsonNode) normalizeObject() {
	idx := make([]int, len(n.keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := n.keys[idx[a]], n.keys[idx[b]]
		if len(ka) != len(kb) {
			return len(ka) < len(kb)
		}
		return ka < kb
	})
	keys := make([]string, 0, len(idx))
	vals := make([]*jsonNode, 0, len(idx))
	for _, i := range idx {
		if len(keys) > 0 && keys[len(keys)-1] == n.keys[i] {
			vals[len(vals)-1] = n.vals[i] // stable sort: later duplicate wins
			continue
		}
		keys = append(keys, n.keys[i])
		vals = append(vals, n.vals[i])
	}
	n.keys, n.vals = keys, vals
}

func (n *jsonNode) appendTo(buf []byte) []byte {
	switch n.kind {
	case 'o':
		buf = append(buf, '{')
		for i, k := range n.keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendJSONString(buf, k)
			buf = append(buf, ": "...)
			buf = n.vals[i].appendTo(buf)
		}
		return append(buf, '}')
	case 'a':
		buf = append(buf, '[')
		for i, v := range n.vals {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = v.appendTo(buf)
		}
		return append(buf, ']')
	case 's':
		return appendJSONString(buf, n.str)
	case 'n':
		return appendNumeric(buf, n.num)
	case 't':
		return append(buf, "true"...)
	case 'f':
		return append(buf, "false"...)
	}
	return append(buf, "null"...)
}

// appendJSONString is PostgreSQL's escape_json.
func appendJSONString(buf []byte, s string) []byte {
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

func parseJSON(s string, build bool) (*jsonNode, error) {
	if err := checkText(s); err != nil {
		return nil, err
	}
	p := &jsonParser{s: s, build: build}
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

// validateJSON checks json input (kept verbatim).
func validateJSON(s string) error {
	_, err := parseJSON(s, false)
	return err
}

// normalizeJSONB parses jsonb input and returns PostgreSQL's jsonb text output.
func normalizeJSONB(s string) (string, error) {
	n, err := parseJSON(s, true)
	if err != nil {
		return "", err
	}
	return string(n.appendTo(make([]byte, 0, len(s)+8))), nil
}
