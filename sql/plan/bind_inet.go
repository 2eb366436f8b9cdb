package plan

import (
	"github.com/omendb/omendb/types"
)

// Network address operators.
//
// << <<= >> >>= && (containment, overlap), & | (bitwise AND/OR), + and -
// (address plus or minus an integer, difference of addresses) over inet
// and cidr are resolved by funcs.ResolveOperator among the functions
// PostgreSQL implements them with (network_sub, inetand, inetpl, …); cidr
// operands reach them through the implicit cidr → inet cast and an unknown
// literal opposite an address reads as inet. Prefix ~ is inetnot. The
// comparison operators are the ordinary ones: types.Compare orders
// KindInet values as PostgreSQL's network_cmp.

func isInetType(t types.Type) bool { return t.OID == types.OIDInet || t.OID == types.OIDCIDR }

// inetOperator binds op between l and r when an operand is an address and op
// is a network operator; ok is false otherwise.
func (b *Binder) inetOperator(op string, l, r Expr) (e Expr, ok bool, err error) {
	lt, rt := l.Type(), r.Type()
	switch op {
	case "<<", "<<=", ">>", ">>=", "&&", "&", "|", "+", "-":
	default:
		return nil, false, nil
	}
	if !isInetType(lt) && !isInetType(rt) {
		return nil, false, nil
	}
	e, err = b.operatorCall(op, l, r)
	return e, true, err
}
