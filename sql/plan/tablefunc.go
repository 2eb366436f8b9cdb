package plan

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// TableFunc is a set-returning function of fixed result columns that FROM
// may call (pg_get_keywords(), pg_options_to_table(text[]) …), registered
// by the package that computes its rows (sql/pgcatalog). Its arguments are
// coerced to Args; a NULL argument gives no rows (strict).
type TableFunc struct {
	Args []types.Type
	Cols []Column
	Rows func(args []types.Value) ([][]types.Value, error)
}

// tableFuncs are the registered table functions by name.
var tableFuncs = map[string]*TableFunc{}

// RegisterTableFunc registers a table function; it is called from init
// functions only.
func RegisterTableFunc(name string, f *TableFunc) { tableFuncs[name] = f }

// bindTableFunc binds a registered table function in FROM.
func (b *Binder) bindTableFunc(name string, f *TableFunc, args []Expr) (*FuncScan, error) {
	if len(args) != len(f.Args) {
		ts := make([]string, len(args))
		for i, a := range args {
			ts[i] = types.TypeName(a.Type())
		}
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", name, joinComma(ts)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	for i := range args {
		var err error
		if c, ok := args[i].(*Const); ok && f.Args[i].OID == types.OIDRegclass && c.V.K == types.KindText && isUnknown(c.T) {
			// A relation named by a literal: pg_partition_tree('t').
			if args[i], err = b.regclass(c.V.S); err != nil {
				return nil, err
			}
			continue
		}
		if args[i], err = b.coerce(args[i], f.Args[i], false); err != nil {
			return nil, err
		}
	}
	return &FuncScan{Name: name, Args: args, Cols: append([]Column(nil), f.Cols...), Table: f}, nil
}
