package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// regexp_split_to_table(string, pattern [, flags]) is the set of
// regexp_split_to_array's elements: in a select list it expands that array
// (srf.go), in FROM it is an unnest of it under its own name.

// splitArray binds regexp_split_to_array over the arguments of a
// regexp_split_to_table call.
func (b *Binder) splitArray(args []Expr) (Expr, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function regexp_split_to_table with %d arguments does not exist", len(args))
	}
	return b.callFunc("regexp_split_to_array", args)
}

// bindRegexpSplit binds regexp_split_to_table in a select list.
func (b *Binder) bindRegexpSplit(fc *pg.FuncCall, s *scope) (Expr, error) {
	if s.srf == nil {
		return nil, pgerr.NotSupported("set-returning function regexp_split_to_table is supported only in FROM and in a select list")
	}
	args, err := b.srfArgs(fc, s)
	if err != nil {
		return nil, err
	}
	arr, err := b.splitArray(args)
	if err != nil {
		return nil, err
	}
	return s.srf.add(arr, false, types.Text), nil
}

// regexpSplitScan binds regexp_split_to_table in FROM.
func (b *Binder) regexpSplitScan(args []Expr, alias *pg.Alias, ordinality bool) (*fromItem, error) {
	arr, err := b.splitArray(args)
	if err != nil {
		return nil, err
	}
	fs := &FuncScan{Name: "regexp_split_to_table", Args: []Expr{arr}, Cols: []Column{{Name: "regexp_split_to_table", T: types.Text}}}
	item := funcScanItem(fs, alias, ordinality)
	fs.Name = "unnest" // executed as the unnest of the array
	return item, nil
}
