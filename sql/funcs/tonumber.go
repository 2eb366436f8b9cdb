package funcs

import (
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Numeric template patterns of to_char and to_number (PostgreSQL's
// formatting.c "NUM" keywords), with the C locale's symbols: '.' decimal
// point, ',' group separator, '-'/'+' signs and ' ' as currency symbol.

type numNode struct {
	key string // upper-cased keyword, or "" for a literal
	low bool   // keyword written in lower case (rn, th)
	lit string
}

type numDesc struct {
	pre, post   int
	zeroStart   int
	zeroEnd     int
	preLsignNum int
	multi       int
	lsign       int // 0 none, 1 pre, 2 post
	zero        bool
	decimal     bool
	fill        bool
	bracket     bool
	minus, plus bool
	minusPost   bool
	plusPost    bool
	roman       bool
	eeee        bool
	multiFlag   bool
	lsignFlag   bool
}

var numKeywords = []string{"EEEE", "FM", "MI", "PL", "PR", "RN", "SG", "SP", "TH", ",", ".", "0", "9", "B", "C", "D", "G", "L", "S", "V"}

func numErr(format string, args ...any) *pgerr.Error {
	return pgerr.New(pgerr.SyntaxError, format, args...)
}

func parseNum(f string) ([]numNode, *numDesc, error) {
	var nodes []numNode
	d := &numDesc{}
	for i := 0; i < len(f); {
		switch {
		case f[i] == '"':
			var lit strings.Builder
			for i++; i < len(f) && f[i] != '"'; i++ {
				if f[i] == '\\' && i+1 < len(f) {
					i++
				}
				lit.WriteByte(f[i])
			}
			i++
			nodes = append(nodes, numNode{lit: lit.String()})
			continue
		case f[i] == '\\' && i+1 < len(f) && f[i+1] == '"':
			nodes = append(nodes, numNode{lit: `"`})
			i += 2
			continue
		}
		key := ""
		low := false
		for _, k := range numKeywords {
			if len(f)-i >= len(k) && strings.EqualFold(f[i:i+len(k)], k) {
				// Lower-case forms exist for every letter keyword.
				key = k
				low = f[i:i+len(k)] != k
				break
			}
		}
		if key == "" {
			nodes = append(nodes, numNode{lit: f[i : i+1]})
			i++
			continue
		}
		i += len(key)
		nodes = append(nodes, numNode{key: key, low: low})
		switch key {
		case "9":
			if d.bracket {
				return nil, nil, numErr(`"9" must be ahead of "PR"`)
			}
			switch {
			case d.multiFlag:
				d.multi++
			case d.decimal:
				d.post++
			default:
				d.pre++
			}
		case "0":
			if d.bracket {
				return nil, nil, numErr(`"0" must be ahead of "PR"`)
			}
			if !d.zero && !d.decimal {
				d.zero = true
				d.zeroStart = d.pre + 1
			}
			if !d.decimal {
				d.pre++
			} else {
				d.post++
			}
			d.zeroEnd = d.pre + d.post
		case "D", ".":
			if d.decimal {
				return nil, nil, numErr("multiple decimal points")
			}
			if d.multiFlag {
				return nil, nil, numErr(`cannot use "V" and decimal point together`)
			}
			d.decimal = true
		case "FM":
			d.fill = true
		case "S":
			if d.lsignFlag {
				return nil, nil, numErr(`cannot use "S" twice`)
			}
			if d.plus || d.minus || d.bracket {
				return nil, nil, numErr(`cannot use "S" and "PL"/"MI"/"SG"/"PR" together`)
			}
			if !d.decimal {
				d.lsign, d.preLsignNum, d.lsignFlag = 1, d.pre, true
			} else if d.lsign == 0 {
				d.lsign, d.lsignFlag = 2, true
			}
		case "MI":
			if d.lsignFlag {
				return nil, nil, numErr(`cannot use "S" and "MI" together`)
			}
			d.minus = true
			d.minusPost = d.decimal
		case "PL":
			if d.lsignFlag {
				return nil, nil, numErr(`cannot use "S" and "PL" together`)
			}
			d.plus = true
			d.plusPost = d.decimal
		case "SG":
			if d.lsignFlag {
				return nil, nil, numErr(`cannot use "S" and "SG" together`)
			}
			d.minus, d.plus = true, true
		case "PR":
			if d.lsignFlag || d.plus || d.minus {
				return nil, nil, numErr(`cannot use "PR" and "S"/"PL"/"MI"/"SG" together`)
			}
			d.bracket = true
		case "RN":
			d.roman = true
		case "V":
			if d.decimal {
				return nil, nil, numErr(`cannot use "V" and decimal point together`)
			}
			d.multiFlag = true
		case "EEEE":
			if d.eeee {
				return nil, nil, numErr(`cannot use "EEEE" twice`)
			}
			if d.bracket || d.minus || d.plus || d.roman || d.lsignFlag || d.multiFlag {
				return nil, nil, numErr(`"EEEE" is incompatible with other formats`).WithDetail(`"EEEE" may only be used together with digit and decimal point patterns.`)
			}
			d.eeee = true
		}
	}
	if d.eeee && (d.bracket || d.minus || d.plus || d.roman || d.lsignFlag || d.multiFlag) {
		return nil, nil, numErr(`"EEEE" is incompatible with other formats`).WithDetail(`"EEEE" may only be used together with digit and decimal point patterns.`)
	}
	return nodes, d, nil
}

// numProc is the state of PostgreSQL's NUM_processor in to_char mode.
type numProc struct {
	d            *numDesc
	sign         byte
	signWrote    bool
	number       string
	np           int // index into number
	lastRelevant int // index of the last relevant digit, -1 if none
	numCount     int
	numCurr      int
	numIn        bool
	outPreSpaces int
	out          strings.Builder
}

func (p *numProc) cur() byte {
	if p.np < len(p.number) {
		return p.number[p.np]
	}
	return 0
}

func (p *numProc) predecSpace() bool {
	return !p.d.zero && p.np == 0 && len(p.number) > 0 && p.number[0] == '0' && p.d.post != 0
}

func (p *numProc) lastIsDot() bool {
	return p.lastRelevant >= 0 && p.number[p.lastRelevant] == '.'
}

func (p *numProc) numpart(key string) {
	d := p.d
	p.numIn = false
	if !p.signWrote &&
		(p.numCurr >= p.outPreSpaces || (d.zero && d.zeroStart == p.numCurr)) &&
		(!p.predecSpace() || p.lastIsDot()) {
		switch {
		case d.lsignFlag:
			if d.lsign == 1 {
				p.out.WriteByte(map[bool]byte{true: '-', false: '+'}[p.sign == '-'])
				p.signWrote = true
			}
		case d.bracket:
			if p.sign == '+' {
				p.out.WriteByte(' ')
			} else {
				p.out.WriteByte('<')
			}
			p.signWrote = true
		case p.sign == '+':
			if !d.fill {
				p.out.WriteByte(' ')
			}
			p.signWrote = true
		case p.sign == '-':
			p.out.WriteByte('-')
			p.signWrote = true
		}
	}
	switch {
	case p.numCurr < p.outPreSpaces && (d.zeroStart > p.numCurr || !d.zero):
		if !d.fill {
			p.out.WriteByte(' ')
		}
	case d.zero && p.numCurr < p.outPreSpaces && d.zeroStart <= p.numCurr:
		p.out.WriteByte('0')
		p.numIn = true
	default:
		if p.cur() == '.' {
			if !p.lastIsDot() || d.fill {
				p.out.WriteByte('.')
			}
		} else {
			switch {
			case p.lastRelevant >= 0 && p.np > p.lastRelevant && key != "0":
			case p.predecSpace():
				if !d.fill {
					p.out.WriteByte(' ')
				} else if p.lastIsDot() {
					p.out.WriteByte('0')
				}
			default:
				if c := p.cur(); c != 0 {
					p.out.WriteByte(c)
				}
				p.numIn = true
			}
		}
		if p.np < len(p.number) {
			p.np++
		}
	}
	end := p.numCount
	if p.outPreSpaces > 0 {
		end++
	}
	if d.decimal {
		end++
	}
	if p.lastRelevant >= 0 && p.lastRelevant == p.np {
		end = p.numCurr
	}
	if p.numCurr+1 == end {
		if p.signWrote && d.bracket {
			if p.sign == '+' {
				p.out.WriteByte(' ')
			} else {
				p.out.WriteByte('>')
			}
		} else if d.lsignFlag && d.lsign == 2 {
			p.out.WriteByte(map[bool]byte{true: '-', false: '+'}[p.sign == '-'])
		}
	}
	p.numCurr++
}

// numToChar runs the template over a digit string number (no sign, with
// '.' if it has a fraction) as PostgreSQL's NUM_processor.
func numToChar(nodes []numNode, d *numDesc, number string, outPreSpaces int, sign byte) string {
	p := &numProc{d: d, number: number, outPreSpaces: outPreSpaces, sign: sign, lastRelevant: -1}
	if d.zeroStart > 0 {
		d.zeroStart--
	}
	if d.eeee {
		return number
	}
	if d.plus || d.minus {
		p.signWrote = !(d.plus && !d.minus)
	} else {
		if sign != '-' && d.fill {
			d.bracket = false
		}
		p.signWrote = sign == '+' && d.fill && !d.lsignFlag
		if d.lsign == 1 && d.pre == d.preLsignNum {
			d.lsign = 2
		}
	}
	p.numCount = d.post + d.pre - 1
	if d.fill && d.decimal {
		if dot := strings.IndexByte(number, '.'); dot >= 0 {
			p.lastRelevant = dot
			for i := dot + 1; i < len(number); i++ {
				if number[i] != '0' {
					p.lastRelevant = i
				}
			}
			if d.zeroEnd > outPreSpaces {
				lz := min(len(number)-1, d.zeroEnd-outPreSpaces)
				if p.lastRelevant < lz {
					p.lastRelevant = lz
				}
			}
		}
	}
	if !p.signWrote && outPreSpaces == 0 {
		p.numCount++
	}
	for _, n := range nodes {
		if n.key == "" {
			p.out.WriteString(n.lit)
			continue
		}
		switch n.key {
		case "9", "0", ".", "D":
			p.numpart(n.key)
		case ",", "G":
			switch {
			case p.numIn:
				p.out.WriteByte(',')
			case !d.fill:
				p.out.WriteByte(' ')
			}
		case "L":
			p.out.WriteByte(' ')
		case "RN":
			r := number
			if n.low {
				r = strings.ToLower(r)
			}
			if d.fill {
				p.out.WriteString(r)
			} else {
				p.out.WriteString(strings.Repeat(" ", max(15-len(r), 0)) + r)
			}
		case "TH":
			if d.roman || (len(number) > 0 && number[0] == '#') || sign == '-' || d.decimal {
				continue
			}
			th := numTH(number, !n.low)
			p.out.WriteString(th[len(number):])
		case "MI":
			switch {
			case sign == '-':
				p.out.WriteByte('-')
			case !d.fill:
				p.out.WriteByte(' ')
			}
		case "PL":
			switch {
			case sign == '+':
				p.out.WriteByte('+')
			case !d.fill:
				p.out.WriteByte(' ')
			}
		case "SG":
			p.out.WriteByte(sign)
		}
	}
	return p.out.String()
}

func hashes(d *numDesc) string {
	s := []byte(strings.Repeat("#", d.pre+d.post+1))
	s[d.pre] = '.'
	return string(s)
}

func toRoman(n int64) string {
	if n < 1 || n > 3999 {
		return strings.Repeat("#", 15)
	}
	vals := []int64{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}

// finishNum computes out_pre_spaces or the '#' overflow for digit string s.
func finishNum(d *numDesc, s string) (string, int) {
	pre := len(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		pre = i
	}
	switch {
	case pre < d.pre:
		return s, d.pre - pre
	case pre > d.pre:
		return hashes(d), 0
	}
	return s, 0
}

func numericToChar(v *apd.Decimal, format string) (string, error) {
	nodes, d, err := parseNum(format)
	if err != nil {
		return "", err
	}
	if d.roman {
		r := roundTo(v, 0, apd.RoundHalfUp)
		i, err := r.Int64()
		if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
			return "", pgerr.New(pgerr.NumericValueOutOfRange, "integer out of range")
		}
		return numToChar(nodes, d, toRoman(i), 0, '+'), nil
	}
	if d.eeee {
		if v.Form != apd.Finite {
			s := []byte(strings.Repeat("#", d.pre+d.post+6))
			s[0], s[d.pre+1] = ' ', '.'
			return string(s), nil
		}
		s := sciString(v, d.post)
		if s[0] != '-' {
			s = " " + s
		}
		return s, nil
	}
	if v.Form != apd.Finite {
		// As PostgreSQL, the text "NaN"/"Infinity" goes through the template.
		s, sign := "NaN", byte('+')
		if v.Form == apd.Infinite {
			s = "Infinity"
			if v.Negative {
				sign = '-'
			}
		}
		s, ops := finishNum(d, s)
		return numToChar(nodes, d, s, ops, sign), nil
	}
	val := v
	if d.multiFlag {
		m := newDec()
		_, _ = exact.Mul(m, v, apd.New(1, int32(d.multi)))
		val = fixScale(m)
		d.pre += d.multi
	}
	x := roundTo(val, int32(d.post), apd.RoundHalfUp)
	s := x.Text('f')
	sign := byte('+')
	if strings.HasPrefix(s, "-") {
		sign, s = '-', s[1:]
	}
	s, ops := finishNum(d, s)
	return numToChar(nodes, d, s, ops, sign), nil
}

// sciString is numeric_out_sci: d.ddde±XX with post fraction digits.
func sciString(v *apd.Decimal, post int) string {
	if v.IsZero() {
		s := "0"
		if post > 0 {
			s += "." + strings.Repeat("0", post)
		}
		return s + "e+00"
	}
	nd := int(v.NumDigits())
	exp := nd - 1 + int(v.Exponent)
	m := newDec().Set(v)
	m.Exponent -= int32(exp)
	r := roundTo(m, int32(post), apd.RoundHalfUp)
	if a := newDec().Abs(r); a.Cmp(decInt(10)) >= 0 {
		exp++
		m.Exponent--
		r = roundTo(m, int32(post), apd.RoundHalfUp)
	}
	e := strconv.Itoa(abs(exp))
	if len(e) < 2 {
		e = "0" + e
	}
	sign := "+"
	if exp < 0 {
		sign = "-"
	}
	return r.Text('f') + "e" + sign + e
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func intToChar(v int64, format string) (string, error) {
	nodes, d, err := parseNum(format)
	if err != nil {
		return "", err
	}
	if d.roman {
		return numToChar(nodes, d, toRoman(v), 0, '+'), nil
	}
	if d.eeee {
		return numericToChar(decInt(v), format)
	}
	if d.multiFlag {
		v *= int64(math.Pow(10, float64(d.multi)))
		d.pre += d.multi
	}
	s := strconv.FormatInt(v, 10)
	sign := byte('+')
	if strings.HasPrefix(s, "-") {
		sign, s = '-', s[1:]
	}
	if d.post > 0 {
		s += "." + strings.Repeat("0", d.post)
	}
	s, ops := finishNum(d, s)
	return numToChar(nodes, d, s, ops, sign), nil
}

func floatToChar(v float64, format string, digits int, f4 bool) (string, error) {
	nodes, d, err := parseNum(format)
	if err != nil {
		return "", err
	}
	if d.roman {
		return numToChar(nodes, d, toRoman(int64(math.RoundToEven(v))), 0, '+'), nil
	}
	if d.eeee {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			s := []byte(strings.Repeat("#", d.pre+d.post+6))
			s[0], s[d.pre+1] = ' ', '.'
			return string(s), nil
		}
		s := strconv.FormatFloat(v, 'e', d.post, 64)
		if s[0] != '-' {
			s = " " + s
		}
		return s, nil
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return numToChar(nodes, d, hashes(d), 0, '+'), nil
	}
	val := v
	if d.multiFlag {
		m := math.Pow(10, float64(d.multi))
		val = v * m
		if f4 {
			val = float64(float32(v) * float32(m))
		}
		d.pre += d.multi
	}
	bits := 64
	if f4 {
		bits = 32
	}
	whole := strconv.FormatFloat(math.Abs(val), 'f', 0, bits)
	if f4 {
		whole = strconv.FormatFloat(float64(float32(math.Abs(val))), 'f', 0, 64)
	}
	pl := len(whole)
	if pl >= digits {
		d.post = 0
	} else if pl+d.post > digits {
		d.post = digits - pl
	}
	s := strconv.FormatFloat(val, 'f', d.post, 64)
	sign := byte('+')
	if strings.HasPrefix(s, "-") {
		sign, s = '-', s[1:]
	}
	s, ops := finishNum(d, s)
	return numToChar(nodes, d, s, ops, sign), nil
}

func init() {
	emptyNull := func(fn func(a []types.Value) (string, error)) evalFn {
		return func(_ *Context, a []types.Value) (types.Value, error) {
			if a[1].S == "" {
				return types.Null, nil
			}
			s, err := fn(a)
			if err != nil {
				return types.Null, err
			}
			return txt(s)
		}
	}
	imm("to_char", t(numeric, text), text, emptyNull(func(a []types.Value) (string, error) { return numericToChar(a[0].N, a[1].S) }))
	imm("to_char", t(int4, text), text, emptyNull(func(a []types.Value) (string, error) { return intToChar(a[0].I, a[1].S) }))
	imm("to_char", t(int8, text), text, emptyNull(func(a []types.Value) (string, error) { return intToChar(a[0].I, a[1].S) }))
	imm("to_char", t(float8, text), text, emptyNull(func(a []types.Value) (string, error) { return floatToChar(a[0].Float(), a[1].S, 15, false) }))
	imm("to_char", t(float4, text), text, emptyNull(func(a []types.Value) (string, error) { return floatToChar(a[0].Float(), a[1].S, 6, true) }))
}

// toNumber is to_number(text, text): PostgreSQL's NUM_processor in input
// mode. The result's scale is the number of fraction digits read.
func toNumber(in, format string) (types.Value, error) {
	nodes, d, err := parseNum(format)
	if err != nil {
		return types.Null, err
	}
	if d.roman {
		return types.Null, pgerr.NotSupported(`"RN" not supported for input`)
	}
	if d.eeee {
		return types.Null, pgerr.NotSupported(`"EEEE" not supported for input`)
	}
	sign := byte(' ')
	var num []byte
	readPre, readPost, readDec := 0, 0, false
	p := 0
	over := func() bool { return p >= len(in) }
	numpart := func(key string) {
		if over() {
			return
		}
		if in[p] == ' ' {
			p++
		}
		if over() {
			return
		}
		if sign == ' ' && (key == "9" || key == "0") && readPre+readPost == 0 {
			if d.lsignFlag && d.lsign == 1 {
				switch in[p] {
				case '-':
					p++
					sign = '-'
				case '+':
					p++
					sign = '+'
				}
			} else if in[p] == '-' || (d.bracket && in[p] == '<') {
				sign = '-'
				p++
			} else if in[p] == '+' {
				sign = '+'
				p++
			}
		}
		if over() {
			return
		}
		isread := false
		c := in[p]
		switch {
		case c >= '0' && c <= '9':
			if readDec && readPost == d.post {
				return
			}
			num = append(num, c)
			if readDec {
				readPost++
			} else {
				readPre++
			}
			isread = true
		case d.decimal && !readDec && c == '.':
			num = append(num, '.')
			readDec = true
			isread = true
		}
		if over() {
			return
		}
		if sign == ' ' && readPre+readPost > 0 {
			if d.lsignFlag && isread && p+1 < len(in) && !(in[p+1] >= '0' && in[p+1] <= '9') {
				switch in[p+1] {
				case '-':
					p++
					sign = '-'
				case '+':
					p++
					sign = '+'
				}
			} else if !isread && !d.lsignFlag && (d.plus || d.minus) {
				if in[p] == '-' || in[p] == '+' {
					sign = in[p]
				}
			}
		}
	}
	for _, n := range nodes {
		if over() {
			break
		}
		if n.key == "" {
			_, w := utf8DecodeRune(in[p:])
			p += w
			continue
		}
		switch n.key {
		case "9", "0", ".", "D":
			numpart(n.key)
		case ",", "G":
			if d.fill {
				continue
			}
		case "L":
			// Consumes one input character, whatever it is.
		case "MI":
			if in[p] == '-' {
				sign = '-'
			}
		case "PL":
			if in[p] == '+' {
				sign = '+'
			}
		case "SG":
			if in[p] == '-' || in[p] == '+' {
				sign = in[p]
			}
		case "FM", "S", "PR", "V", "TH", "B", "C", "SP":
			continue
		}
		p++
	}
	if len(num) > 0 && num[len(num)-1] == '.' {
		num = num[:len(num)-1]
	}
	s := string(num)
	if s == "" {
		return types.Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type numeric: \" \"")
	}
	r := newDec()
	if _, _, err := r.SetString(s); err != nil {
		return types.Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", s)
	}
	if sign == '-' {
		r.Negative = !r.IsZero()
	}
	r = roundTo(r, int32(readPost), apd.RoundHalfUp)
	// numeric(pre+multi+post, post): the integer digits must fit.
	prec := d.pre + d.multi + readPost
	if int(r.NumDigits())-int(dscale(r)) > prec-readPost && !r.IsZero() {
		return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "numeric field overflow").
			WithDetail("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", prec, readPost, prec-readPost)
	}
	if d.multiFlag {
		// As PostgreSQL: result * power(10, -multi), with power's scale.
		x, err := numPower(decInt(10), decInt(-int64(d.multi)))
		if err != nil {
			return types.Null, err
		}
		q := newDec()
		_, _ = exact.Mul(q, r, x)
		r = q
	}
	return types.NewNumeric(r), nil
}

func utf8DecodeRune(s string) (rune, int) {
	if s == "" {
		return 0, 0
	}
	r := []rune(s[:min(len(s), 4)])
	return r[0], len(string(r[0]))
}

func init() {
	imm("to_number", t(text, text), numeric, func(_ *Context, a []types.Value) (types.Value, error) {
		return toNumber(a[0].S, a[1].S)
	})
}
