package types

import (
	"strconv"
	"strings"

	"github.com/omendb/omendb/pgerr"
)

// Network addresses: inet and cidr (PostgreSQL's network.c).
//
// A KindInet value's S is an order-preserving form of (family, bits,
// address), so that comparing S bytewise is PostgreSQL's network_cmp
// (family, then the network part over the shorter mask, then the mask
// length, then the whole address):
//
//	IPv4: 0x02, network (4 bytes: the address with host bits zeroed), bits, address (4 bytes)  10 bytes
//	IPv6: 0x03, network (16 bytes), bits, address (16 bytes)                                   34 bytes
//
// Why bytewise order is network_cmp: of two networks masked to their own
// lengths m ≤ n, the first m bits compare as network_cmp's prefix; if they
// are equal, the shorter network has zeros after bit m, so it sorts first
// either by a set bit of the longer one or, with none, by the bits byte.
// inet and cidr share the form; the Type says which (cidr values have no host
// bits set), as in PostgreSQL, where is_cidr is not stored either.

// Address families as PostgreSQL numbers them (PGSQL_AF_INET, _INET6), in
// binary I/O and as the first byte of S.
const (
	inetFamily4 = 2
	inetFamily6 = 3
)

// InetAddr is a decoded network address.
type InetAddr struct {
	V6   bool
	Bits int      // mask length: 0..32 (IPv4) or 0..128 (IPv6)
	Addr [16]byte // the address; IPv4 uses Addr[:4]
}

// Len is the address length in bytes: 4 or 16.
func (a InetAddr) Len() int {
	if a.V6 {
		return 16
	}
	return 4
}

// MaxBits is 32 or 128.
func (a InetAddr) MaxBits() int { return a.Len() * 8 }

// Family is 4 or 6, as family() returns it.
func (a InetAddr) Family() int {
	if a.V6 {
		return 6
	}
	return 4
}

// Masked returns a with every bit after the first bits zeroed (set when ones).
func (a InetAddr) Masked(bits int, ones bool) InetAddr {
	for i := 0; i < a.Len(); i++ {
		var keep byte // bits of byte i inside the mask
		switch {
		case bits >= (i+1)*8:
			keep = 0xff
		case bits > i*8:
			keep = byte(0xff << (8 - (bits - i*8)))
		}
		if ones {
			a.Addr[i] |= ^keep
		} else {
			a.Addr[i] &= keep
		}
	}
	return a
}

// Invert returns a with every address bit flipped (the mask length kept).
func (a InetAddr) Invert() InetAddr {
	for i := 0; i < a.Len(); i++ {
		a.Addr[i] = ^a.Addr[i]
	}
	return a
}

// NewInet returns the KindInet value of a.
func NewInet(a InetAddr) Value {
	n := a.Len()
	b := make([]byte, 0, 2+2*n)
	fam := byte(inetFamily4)
	if a.V6 {
		fam = inetFamily6
	}
	net := a.Masked(a.Bits, false)
	b = append(b, fam)
	b = append(b, net.Addr[:n]...)
	b = append(b, byte(a.Bits))
	b = append(b, a.Addr[:n]...)
	return Value{K: KindInet, S: string(b)}
}

// InetOf decodes a KindInet value (as NewInet built it).
func InetOf(v Value) InetAddr {
	var a InetAddr
	s := v.S
	if len(s) == 34 {
		a.V6 = true
	} else if len(s) != 10 {
		return a
	}
	n := a.Len()
	a.Bits = int(s[1+n])
	copy(a.Addr[:n], s[2+n:])
	return a
}

// inetLen returns the length of the well-formed KindInet S that b starts
// with (10 or 34), or 0 if it does not start with one.
func inetLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	n := 4
	switch b[0] {
	case inetFamily4:
	case inetFamily6:
		n = 16
	default:
		return 0
	}
	if len(b) < 2+2*n {
		return 0
	}
	bits := int(b[1+n])
	if bits > 8*n {
		return 0
	}
	for i := 0; i < n; i++ {
		keep := byte(0)
		switch {
		case bits >= (i+1)*8:
			keep = 0xff
		case bits > i*8:
			keep = byte(0xff << (8 - (bits - i*8)))
		}
		if b[1+i] != b[2+n+i]&keep {
			return 0
		}
	}
	return 2 + 2*n
}

// hasHostBits reports whether a has bits set to the right of its mask.
func (a InetAddr) hasHostBits() bool { return a.Masked(a.Bits, false) != a }

// ParseInet is inet_in (cidr false) and cidr_in (cidr true).
func ParseInet(s string, cidr bool) (Value, error) {
	name := "inet"
	if cidr {
		name = "cidr"
	}
	var a InetAddr
	ok := strings.IndexByte(s, 0) < 0
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			a.V6 = true
			break
		}
	}
	switch {
	case !ok:
	case a.V6:
		ok = parseIPv6(s, &a)
	case cidr:
		ok = parseCIDR4(s, &a)
	default:
		ok = parseInet4(s, &a)
	}
	if !ok || a.Bits > a.MaxBits() {
		return Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", name, s)
	}
	if cidr && a.hasHostBits() {
		return Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid cidr value: \"%s\"", s).
			WithDetail("Value has bits set to right of mask.")
	}
	return NewInet(a), nil
}

// at is s[p], or 0 past its end (C's terminating NUL).
func at(s string, p int) byte {
	if p < len(s) {
		return s[p]
	}
	return 0
}

// parseSlashBits reads the digits of a /bits at s[p:] (c = s[p-1] is the
// first digit) to the end of s; false if anything follows them.
func parseSlashBits(s string, p int, c byte) (int, bool) {
	bits := 0
	for {
		if bits < 1000 {
			bits = bits*10 + int(c-'0')
		}
		c = at(s, p)
		p++
		if !isDigit(c) {
			break
		}
	}
	return bits, c == 0
}

// parseInet4 is inet_net_pton_ipv4: one to four decimal octets, then an
// optional /bits; without one all four octets are needed (bits 32), and the
// mask may not cover more octets than were given.
func parseInet4(s string, a *InetAddr) bool {
	n := 0
	c, p := at(s, 0), 1
	for isDigit(c) {
		v, c2, p2, ok := decOctet(s, c, p)
		if !ok || n == 4 {
			return false
		}
		c, p = c2, p2
		a.Addr[n] = v
		n++
		if c == 0 || c == '/' {
			break
		}
		if c != '.' {
			return false
		}
		c, p = at(s, p), p+1
	}
	bits := -1
	if c == '/' && isDigit(at(s, p)) && n > 0 {
		var ok bool
		if bits, ok = parseSlashBits(s, p+1, at(s, p)); !ok || bits > 32 {
			return false
		}
		c = 0
	}
	if c != 0 {
		return false
	}
	if bits == -1 {
		if n != 4 {
			return false
		}
		bits = 32
	}
	if n == 0 || bits/8 > n {
		return false
	}
	a.Bits = bits
	return true
}

// decOctet reads a decimal octet (0–255) whose first digit, c, was read
// from s with p the position after it; it returns the octet, the character
// after its digits and the position after that character.
func decOctet(s string, c byte, p int) (byte, byte, int, bool) {
	v := 0
	for isDigit(c) {
		v = v*10 + int(c-'0')
		if v > 255 {
			return 0, c, p, false
		}
		c, p = at(s, p), p+1
	}
	return byte(v), c, p, true
}

// parseCIDR4 is inet_cidr_pton_ipv4: a 0x hex string or one to four decimal
// octets, then an optional /bits; without one the width is the classful
// one (A /8, B /16, C /24, D /8, E /32) widened to the octets given,
// and a bare 224 is 224.0.0.0/4.
func parseCIDR4(s string, a *InetAddr) bool {
	n := 0 // bytes written
	c, p := at(s, 0), 1
	switch {
	case c == '0' && (at(s, p) == 'x' || at(s, p) == 'X') && isHex(at(s, p+1)):
		p++
		dirty, v := 0, byte(0)
		for {
			c, p = at(s, p), p+1
			if !isHex(c) {
				break
			}
			v = v<<4 | hexVal(c)
			if dirty++; dirty == 2 {
				if n == 4 {
					return false
				}
				a.Addr[n] = v
				n++
				dirty, v = 0, 0
			}
		}
		if dirty != 0 {
			if n == 4 {
				return false
			}
			a.Addr[n] = v << 4
			n++
		}
	case isDigit(c):
		for {
			v, c2, p2, ok := decOctet(s, c, p)
			if !ok || n == 4 {
				return false
			}
			c, p = c2, p2
			a.Addr[n] = v
			n++
			if c == 0 || c == '/' {
				break
			}
			if c != '.' {
				return false
			}
			if c, p = at(s, p), p+1; !isDigit(c) {
				return false
			}
		}
	default:
		return false
	}
	bits := -1
	if c == '/' && isDigit(at(s, p)) && n > 0 {
		var ok bool
		if bits, ok = parseSlashBits(s, p+1, at(s, p)); !ok || bits > 32 {
			return false
		}
		c = 0
	}
	if c != 0 || n == 0 {
		return false
	}
	if bits == -1 {
		switch first := a.Addr[0]; {
		case first >= 240:
			bits = 32
		case first >= 224:
			bits = 8
		case first >= 192:
			bits = 24
		case first >= 128:
			bits = 16
		default:
			bits = 8
		}
		if bits < n*8 {
			bits = n * 8
		}
		if bits == 8 && a.Addr[0] == 224 {
			bits = 4 // a bare class D network
		}
	}
	a.Bits = bits
	return true
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexVal(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// parseV6Bits is getbits: 0..128 without leading zeros, to the end of s.
func parseV6Bits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || i > 0 && v == 0 {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
		if v > 128 {
			return 0, false
		}
	}
	return v, true
}

// parseV6Quad is getv4: up to four dotted decimal octets (no leading
// zeros) into dst, then an optional /bits.
func parseV6Quad(s string, dst []byte, bits *int) bool {
	n, v, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if digits > 0 && v == 0 {
				return false
			}
			digits++
			v = v*10 + int(c-'0')
			if v > 255 {
				return false
			}
		case c == '.' || c == '/':
			if n > 3 {
				return false
			}
			dst[n] = byte(v)
			n++
			if c == '/' {
				b, ok := parseV6Bits(s[i+1:])
				*bits = b
				return ok
			}
			v, digits = 0, 0
		default:
			return false
		}
	}
	if digits == 0 || n > 3 {
		return false
	}
	dst[n] = byte(v)
	return true
}

// parseIPv6 is inet_cidr_pton_ipv6 (inet and cidr alike): groups of up to
// four hex digits, one :: run, an optional trailing dotted IPv4 part, then
// an optional /bits (default 128).
func parseIPv6(s string, a *InetAddr) bool {
	a.V6 = true
	var tmp [16]byte
	tp, colonp := 0, -1
	i := 0
	if i < len(s) && s[i] == ':' {
		i++
		if i >= len(s) || s[i] != ':' {
			return false
		}
	}
	curtok := i
	sawDigit, val, digits, bits := false, 0, 0, -1
loop:
	for i < len(s) {
		c := s[i]
		i++
		switch {
		case isHex(c):
			val = val<<4 | int(hexVal(c))
			digits++
			if digits > 4 {
				return false
			}
			sawDigit = true
		case c == ':':
			curtok = i
			if !sawDigit {
				if colonp >= 0 {
					return false
				}
				colonp = tp
				continue
			}
			if i == len(s) || tp+2 > 16 {
				return false
			}
			tmp[tp], tmp[tp+1] = byte(val>>8), byte(val)
			tp += 2
			sawDigit, digits, val = false, 0, 0
		case c == '.' && tp+4 <= 16 && parseV6Quad(s[curtok:], tmp[tp:tp+4], &bits):
			tp += 4
			sawDigit = false
			break loop
		case c == '/':
			b, ok := parseV6Bits(s[i:])
			if !ok {
				return false
			}
			bits = b
			break loop
		default:
			return false
		}
	}
	if sawDigit {
		if tp+2 > 16 {
			return false
		}
		tmp[tp], tmp[tp+1] = byte(val>>8), byte(val)
		tp += 2
	}
	if bits == -1 {
		bits = 128
	}
	if colonp >= 0 {
		if tp == 16 {
			return false
		}
		n := tp - colonp
		for k := 1; k <= n; k++ {
			tmp[16-k] = tmp[colonp+n-k]
			tmp[colonp+n-k] = 0
		}
		tp = 16
	}
	if tp != 16 {
		return false
	}
	a.Addr = tmp
	a.Bits = bits
	return true
}

// AppendInet appends inet_out (cidr false) or cidr_out (cidr true): the
// address with /bits, which inet leaves out when it is the maximum.
func AppendInet(buf []byte, v Value, cidr bool) []byte {
	a := InetOf(v)
	buf = appendInetAddr(buf, a)
	if a.Bits != a.MaxBits() || cidr {
		buf = append(buf, '/')
		buf = strconv.AppendInt(buf, int64(a.Bits), 10)
	}
	return buf
}

// AppendInetShow appends text(inet): the address and always /bits.
func AppendInetShow(buf []byte, v Value) []byte { return AppendInet(buf, v, true) }

// AppendInetHost appends host(inet): the address alone.
func AppendInetHost(buf []byte, v Value) []byte { return appendInetAddr(buf, InetOf(v)) }

// appendInetAddr is inet_net_ntop's address without /bits: four decimal
// octets; or IPv6 words in hex, the first longest run of two or more zero
// words as ::, and the last 32 bits dotted for ::a.b.c.d and ::ffff:a.b.c.d.
func appendInetAddr(buf []byte, a InetAddr) []byte {
	if !a.V6 {
		for i := 0; i < 4; i++ {
			if i > 0 {
				buf = append(buf, '.')
			}
			buf = strconv.AppendInt(buf, int64(a.Addr[i]), 10)
		}
		return buf
	}
	var w [8]int
	for i := range w {
		w[i] = int(a.Addr[2*i])<<8 | int(a.Addr[2*i+1])
	}
	best, bestLen, cur, curLen := -1, 0, -1, 0
	for i := 0; i <= 8; i++ {
		if i < 8 && w[i] == 0 {
			if cur < 0 {
				cur, curLen = i, 0
			}
			curLen++
			continue
		}
		if cur >= 0 && (best < 0 || curLen > bestLen) {
			best, bestLen = cur, curLen
		}
		cur = -1
	}
	if bestLen < 2 {
		best = -1
	}
	for i := 0; i < 8; i++ {
		if best >= 0 && i >= best && i < best+bestLen {
			if i == best {
				buf = append(buf, ':')
			}
			continue
		}
		if i != 0 {
			buf = append(buf, ':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || bestLen == 5 && w[5] == 0xffff) {
			for k := 12; k < 16; k++ {
				if k > 12 {
					buf = append(buf, '.')
				}
				buf = strconv.AppendInt(buf, int64(a.Addr[k]), 10)
			}
			return buf
		}
		buf = strconv.AppendInt(buf, int64(w[i]), 16)
	}
	if best >= 0 && best+bestLen == 8 {
		buf = append(buf, ':')
	}
	return buf
}

// AppendCIDRAbbrev appends abbrev(cidr) (inet_cidr_ntop): IPv4 with only
// the octets the mask covers, IPv6 with only the words it covers.
func AppendCIDRAbbrev(buf []byte, v Value) []byte {
	a := InetOf(v)
	bits := a.Bits
	if !a.V6 {
		if bits == 0 {
			buf = append(buf, '0')
		}
		whole := bits / 8
		for i := 0; i < whole; i++ {
			buf = strconv.AppendInt(buf, int64(a.Addr[i]), 10)
			if i < whole-1 {
				buf = append(buf, '.')
			}
		}
		if b := bits % 8; b > 0 {
			if whole > 0 {
				buf = append(buf, '.')
			}
			m := byte(0xff << (8 - b))
			buf = strconv.AppendInt(buf, int64(a.Addr[whole]&m), 10)
		}
		buf = append(buf, '/')
		return strconv.AppendInt(buf, int64(bits), 10)
	}
	if bits == 0 {
		buf = append(buf, ':', ':')
		buf = append(buf, '/')
		return strconv.AppendInt(buf, 0, 10)
	}
	s := a.Masked(bits, false).Addr
	words := (bits + 15) / 16
	if words == 1 {
		words = 2
	}
	// The longest run of zero words, found as inet_cidr_ntop does (a run
	// only ends, and resets, where it beats the best one so far).
	zs, zl, tzs, tzl := 0, 0, 0, 0
	for i := 0; i < words; i++ {
		if s[2*i]|s[2*i+1] == 0 {
			if tzl == 0 {
				tzs = i
			}
			tzl++
		} else if tzl != 0 && zl < tzl {
			zs, zl, tzl = tzs, tzl, 0
		}
	}
	if tzl != 0 && zl < tzl {
		zs, zl = tzs, tzl
	}
	ipv4 := zl != words && zs == 0 && (zl == 6 || zl == 5 && s[10] == 0xff && s[11] == 0xff ||
		zl == 7 && s[14] != 0 && s[15] != 1)
	start := len(buf)
	for p := 0; p < words; p++ {
		if zl != 0 && p >= zs && p < zs+zl {
			if p == zs {
				buf = append(buf, ':')
			}
			if p == words-1 {
				buf = append(buf, ':')
			}
			continue
		}
		if ipv4 && p > 5 {
			if p == 6 {
				buf = append(buf, ':')
			} else {
				buf = append(buf, '.')
			}
			buf = strconv.AppendInt(buf, int64(s[2*p]), 10)
			if p != 7 || bits > 120 {
				buf = append(buf, '.')
				buf = strconv.AppendInt(buf, int64(s[2*p+1]), 10)
			}
			continue
		}
		if len(buf) != start {
			buf = append(buf, ':')
		}
		buf = strconv.AppendInt(buf, int64(s[2*p])<<8|int64(s[2*p+1]), 16)
	}
	buf = append(buf, '/')
	return strconv.AppendInt(buf, int64(bits), 10)
}

// appendInetBinary is inet_send/cidr_send: family (2 or 3), bits, is_cidr,
// address length (4 or 16), the address bytes.
func appendInetBinary(buf []byte, v Value, cidr bool) []byte {
	a := InetOf(v)
	fam := byte(inetFamily4)
	if a.V6 {
		fam = inetFamily6
	}
	isCIDR := byte(0)
	if cidr {
		isCIDR = 1
	}
	buf = append(buf, fam, byte(a.Bits), isCIDR, byte(a.Len()))
	return append(buf, a.Addr[:a.Len()]...)
}

// parseInetBinary is inet_recv/cidr_recv (the is_cidr byte is ignored).
func parseInetBinary(b []byte, cidr bool) (Value, error) {
	name := "inet"
	if cidr {
		name = "cidr"
	}
	if len(b) < 4 {
		return Null, badBinary("insufficient data left in message")
	}
	var a InetAddr
	switch b[0] {
	case inetFamily4:
	case inetFamily6:
		a.V6 = true
	default:
		return Null, badBinary("invalid address family in external \"%s\" value", name)
	}
	if int(b[1]) > a.MaxBits() {
		return Null, badBinary("invalid bits in external \"%s\" value", name)
	}
	a.Bits = int(b[1])
	if int(b[3]) != a.Len() {
		return Null, badBinary("invalid length in external \"%s\" value", name)
	}
	if len(b) < 4+a.Len() {
		return Null, badBinary("insufficient data left in message")
	}
	if len(b) > 4+a.Len() {
		return Null, badBinary("incorrect binary data format")
	}
	copy(a.Addr[:], b[4:])
	if cidr && a.hasHostBits() {
		return Null, pgerr.New(pgerr.InvalidBinaryRepresentation, "invalid external \"cidr\" value").WithDetail("Value has bits set to right of mask.")
	}
	return NewInet(a), nil
}
