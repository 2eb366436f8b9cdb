package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

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
		if lb {
			return nil, true, pgerr.NotSupported("jsonpath operator %s is not supported yet", op)
		}
		return nil, false, nil
	default:
		return nil, false, nil
	}
	f, casts, err := funcs.ResolveOperator(op, lt, rt)
	if err != nil {
		return nil, true, err
	}
	if l, err = b.coerce(l, casts[0], false); err != nil {
		return nil, true, err
	}
	if r, err = b.coerce(r, casts[1], false); err != nil {
		return nil, true, err
	}
	e, err = b.fold(&Func{F: f, Args: []Expr{l, r}})
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
