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

// regexp_matches(string, pattern [, flags]) is a set of text arrays: one
// row for the first match, or with flag g for every match (regexp_match's
// array of each). It is bound as the two-dimensional array of those rows
// (funcs: _omendb_regexp_matches), expanded by rows (Expand.Rows).

// matchesArray binds the rows array of a regexp_matches call.
func (b *Binder) matchesArray(args []Expr) (Expr, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function regexp_matches with %d arguments does not exist", len(args))
	}
	return b.callFunc("_omendb_regexp_matches", args)
}

// bindRegexpMatches binds regexp_matches in a select list.
func (b *Binder) bindRegexpMatches(fc *pg.FuncCall, s *scope) (Expr, error) {
	if s.srf == nil {
		return nil, pgerr.NotSupported("set-returning function regexp_matches is supported only in FROM and in a select list")
	}
	args, err := b.srfArgs(fc, s)
	if err != nil {
		return nil, err
	}
	arr, err := b.matchesArray(args)
	if err != nil {
		return nil, err
	}
	return s.srf.addRows(arr, types.Type{OID: types.OIDTextArray, Mod: -1}), nil
}

// regexpMatchesScan binds regexp_matches in FROM.
func (b *Binder) regexpMatchesScan(args []Expr, alias *pg.Alias, ordinality bool) (*fromItem, error) {
	arr, err := b.matchesArray(args)
	if err != nil {
		return nil, err
	}
	fs := &FuncScan{Name: "regexp_matches", Args: []Expr{arr}, Cols: []Column{{Name: "regexp_matches", T: types.Type{OID: types.OIDTextArray, Mod: -1}}}}
	return funcScanItem(fs, alias, ordinality), nil
}
