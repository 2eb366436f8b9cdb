package funcs

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Network address functions and operators (PostgreSQL's network.c). cidr
// arguments reach the inet overloads through the implicit cidr → inet
// cast; the operators are registered under their pg_operator oprcode
// names and bound by ResolveOperator.

var (
	inetT = types.Inet
	cidrT = types.CIDR
)

func inetOf(v types.Value) types.InetAddr { return types.InetOf(v) }

// bitsEqual reports whether the first n bits of a and b agree (bitncmp == 0).
func bitsEqual(a, b types.InetAddr, n int) bool {
	return a.Masked(n, false).Addr == b.Masked(n, false).Addr
}

// commonBits is bitncommon: how many leading bits of a and b agree, up to n.
func commonBits(a, b types.InetAddr, n int) int {
	for i := 0; i < n; i++ {
		if (a.Addr[i/8]^b.Addr[i/8])>>(7-i%8)&1 != 0 {
			return i
		}
	}
	return n
}

func invalidMask(bits int64) error {
	return pgerr.New(pgerr.InvalidParameterValue, "invalid mask length: %d", bits)
}

// setMasklen is set_masklen: -1 means the family's maximum.
func setMasklen(v types.Value, bits int64, cidr bool) (types.Value, error) {
	a := inetOf(v)
	if bits == -1 {
		bits = int64(a.MaxBits())
	}
	if bits < 0 || bits > int64(a.MaxBits()) {
		return types.Null, invalidMask(bits)
	}
	a.Bits = int(bits)
	if cidr {
		a = a.Masked(a.Bits, false)
	}
	return types.NewInet(a), nil
}

// inetAdd is internal_inetpl: the address plus n, carrying through the
// bytes; out of the family's range is 22003.
func inetAdd(v types.Value, n int64) (types.Value, error) {
	a := inetOf(v)
	carry := 0
	for i := a.Len() - 1; i >= 0; i-- {
		carry += int(a.Addr[i]) + int(n&0xff)
		a.Addr[i] = byte(carry)
		carry >>= 8
		n >>= 8 // arithmetic: a negative addend continues as 0xff bytes
	}
	if !(n == 0 && carry == 0 || n == -1 && carry == 1) {
		return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "result is out of range")
	}
	return types.NewInet(a), nil
}

// inetSub is inetmi: the difference of two addresses of one family as int8.
func inetSub(x, y types.Value) (types.Value, error) {
	a, b := inetOf(x), inetOf(y)
	if a.V6 != b.V6 {
		return types.Null, pgerr.New(pgerr.InvalidParameterValue, "cannot subtract inet values of different sizes")
	}
	var res int64
	carry, byteN := 1, 0
	for i := a.Len() - 1; i >= 0; i-- {
		carry += int(a.Addr[i]) + int(^b.Addr[i])
		lo := carry & 0xff
		if byteN < 8 {
			res |= int64(lo) << (8 * byteN)
		} else if res < 0 && lo != 0xff || res >= 0 && lo != 0 {
			return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "result is out of range")
		}
		carry >>= 8
		byteN++
	}
	if carry == 0 && byteN < 8 {
		res |= -1 << (8 * byteN)
	}
	return types.NewInt(res), nil
}

func inetBitwise(x, y types.Value, op string) (types.Value, error) {
	a, b := inetOf(x), inetOf(y)
	if a.V6 != b.V6 {
		return types.Null, pgerr.New(pgerr.InvalidParameterValue, "cannot %s inet values of different sizes", op)
	}
	for i := range a.Addr {
		if op == "AND" {
			a.Addr[i] &= b.Addr[i]
		} else {
			a.Addr[i] |= b.Addr[i]
		}
	}
	a.Bits = max(a.Bits, b.Bits)
	return types.NewInet(a), nil
}

func netText(b []byte) (types.Value, error) { return types.NewText(string(b)), nil }

func init() {
	imm("text", t(inetT), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return netText(types.AppendInetShow(nil, a[0]))
	})
	imm("host", t(inetT), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return netText(types.AppendInetHost(nil, a[0]))
	})
	imm("abbrev", t(inetT), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return netText(types.AppendInet(nil, a[0], false))
	})
	imm("abbrev", t(cidrT), text, func(_ *Context, a []types.Value) (types.Value, error) {
		return netText(types.AppendCIDRAbbrev(nil, a[0]))
	})
	imm("masklen", t(inetT), int4, func(_ *Context, a []types.Value) (types.Value, error) {
		return types.NewInt(int64(inetOf(a[0]).Bits)), nil
	})
	imm("family", t(inetT), int4, func(_ *Context, a []types.Value) (types.Value, error) {
		return types.NewInt(int64(inetOf(a[0]).Family())), nil
	})
	imm("set_masklen", t(inetT, int4), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		return setMasklen(a[0], a[1].I, false)
	})
	imm("set_masklen", t(cidrT, int4), cidrT, func(_ *Context, a []types.Value) (types.Value, error) {
		return setMasklen(a[0], a[1].I, true)
	})
	imm("netmask", t(inetT), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		x := inetOf(a[0])
		var m types.InetAddr
		m.V6, m.Bits = x.V6, x.MaxBits()
		return types.NewInet(m.Masked(x.Bits, true).Invert()), nil
	})
	imm("hostmask", t(inetT), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		x := inetOf(a[0])
		var m types.InetAddr
		m.V6, m.Bits = x.V6, x.MaxBits()
		return types.NewInet(m.Masked(x.Bits, true)), nil
	})
	imm("cidr", t(inetT), cidrT, func(_ *Context, a []types.Value) (types.Value, error) {
		x := inetOf(a[0])
		return types.NewInet(x.Masked(x.Bits, false)), nil
	})
	imm("network", t(inetT), cidrT, func(_ *Context, a []types.Value) (types.Value, error) {
		x := inetOf(a[0])
		return types.NewInet(x.Masked(x.Bits, false)), nil
	})
	imm("broadcast", t(inetT), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		x := inetOf(a[0])
		return types.NewInet(x.Masked(x.Bits, true)), nil
	})
	imm("inet_same_family", t(inetT, inetT), boolT, func(_ *Context, a []types.Value) (types.Value, error) {
		return types.NewBool(inetOf(a[0]).V6 == inetOf(a[1]).V6), nil
	})
	imm("inet_merge", t(inetT, inetT), cidrT, func(_ *Context, a []types.Value) (types.Value, error) {
		x, y := inetOf(a[0]), inetOf(a[1])
		if x.V6 != y.V6 {
			return types.Null, pgerr.New(pgerr.InvalidParameterValue, "cannot merge addresses from different families")
		}
		x.Bits = commonBits(x, y, min(x.Bits, y.Bits))
		return types.NewInet(x.Masked(x.Bits, false)), nil
	})

	// Containment: a << b when a is a strictly smaller network inside b.
	contains := func(name, op string, sub func(a, b types.InetAddr) bool) {
		regOp(op, imm(name, t(inetT, inetT), boolT, func(_ *Context, a []types.Value) (types.Value, error) {
			x, y := inetOf(a[0]), inetOf(a[1])
			return types.NewBool(x.V6 == y.V6 && sub(x, y)), nil
		}))
	}
	contains("network_sub", "<<", func(a, b types.InetAddr) bool { return a.Bits > b.Bits && bitsEqual(a, b, b.Bits) })
	contains("network_subeq", "<<=", func(a, b types.InetAddr) bool { return a.Bits >= b.Bits && bitsEqual(a, b, b.Bits) })
	contains("network_sup", ">>", func(a, b types.InetAddr) bool { return a.Bits < b.Bits && bitsEqual(a, b, a.Bits) })
	contains("network_supeq", ">>=", func(a, b types.InetAddr) bool { return a.Bits <= b.Bits && bitsEqual(a, b, a.Bits) })
	contains("network_overlap", "&&", func(a, b types.InetAddr) bool { return bitsEqual(a, b, min(a.Bits, b.Bits)) })

	regOp("&", imm("inetand", t(inetT, inetT), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		return inetBitwise(a[0], a[1], "AND")
	}))
	regOp("|", imm("inetor", t(inetT, inetT), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		return inetBitwise(a[0], a[1], "OR")
	}))
	regOp("+", imm("inetpl", t(inetT, int8), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		return inetAdd(a[0], a[1].I)
	}))
	regOp("+", imm("int8pl_inet", t(int8, inetT), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		return inetAdd(a[1], a[0].I)
	}))
	regOp("-", imm("inetmi_int8", t(inetT, int8), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		return inetAdd(a[0], -a[1].I) // as in PostgreSQL, -minimum wraps to itself
	}))
	regOp("-", imm("inetmi", t(inetT, inetT), int8, func(_ *Context, a []types.Value) (types.Value, error) {
		return inetSub(a[0], a[1])
	}))
	// ~ (prefix) is inetnot, bound by the planner.
	imm("inetnot", t(inetT), inetT, func(_ *Context, a []types.Value) (types.Value, error) {
		return types.NewInet(inetOf(a[0]).Invert()), nil
	})
}
