package funcs

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// operators are binary operators bound through the registry (the JSON
// operators): each overload is the function PostgreSQL's pg_operator
// names as oprcode, registered under that name too.
var operators = map[string][]*Func{}

func regOp(op string, f *Func) { operators[op] = append(operators[op], f) }

// HasOperator reports whether some overload of binary operator op is
// resolved by ResolveOperator.
func HasOperator(op string) bool { return len(operators[op]) > 0 }

// ResolveOperator picks the overload of binary operator op for operands of
// types l and r as PostgreSQL's oper_select_candidate does (an unknown
// operand is first taken to be of the other's type for an exact match,
// then func_select_candidate's rules), returning it with the types the
// operands must be cast to. Errors are 42883 "operator does not exist" and
// 42725 "operator is not unique".
func ResolveOperator(op string, l, r types.Type) (*Func, []types.Type, error) {
	cands := operators[op]
	in := []types.Type{l, r}
	notExist := func() error {
		return pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", typeName(l.OID), op, typeName(r.OID)).
			WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
	}
	if l.OID == types.OIDUnknown != (r.OID == types.OIDUnknown) {
		known := l
		if known.OID == types.OIDUnknown {
			known = r
		}
		for _, f := range cands {
			if f.Args[0].OID == known.OID && f.Args[1].OID == known.OID {
				return f, castTargets(in, f.Args), nil
			}
		}
	}
	sigs := make([]candidate, len(cands))
	for i, f := range cands {
		sigs[i] = candidate{idx: i, args: f.Args}
	}
	c, err := selectCandidate(op, in, sigs)
	if err != nil {
		if pgerr.Code(err) == pgerr.AmbiguousFunction {
			return nil, nil, pgerr.New(pgerr.AmbiguousFunction, "operator is not unique: %s %s %s", typeName(l.OID), op, typeName(r.OID)).
				WithHint("Could not choose a best candidate operator. You might need to add explicit type casts.")
		}
		return nil, nil, notExist()
	}
	f := cands[c.idx]
	return f, castTargets(in, f.Args), nil
}

// OperatorOf returns the binary operator f implements ("->>" for
// jsonb_object_field_text), or "" if f is no operator's function: catalog
// functions print such calls as operators, as PostgreSQL does.
func OperatorOf(f *Func) string {
	for op, fs := range operators {
		for _, g := range fs {
			if g.Name == f.Name && len(g.Args) == len(f.Args) {
				same := true
				for i := range g.Args {
					same = same && g.Args[i].OID == f.Args[i].OID
				}
				if same {
					return op
				}
			}
		}
	}
	return ""
}
