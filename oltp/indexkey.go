package oltp

import (
	"fmt"
	"sync"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Index keys.
//
// A plain index's key is its columns' values, encoded in keycode order,
// each element in its declared order (catalog.Index.Options: DESC, NULLS
// FIRST; keycode.AppendOrdered), so that the index keeps one ascending
// byte order whatever its columns' orders. An index may also have expression elements and a predicate
// (catalog.Index.Exprs and Where: CREATE INDEX … (lower(email)) WHERE
// active): its key holds the expressions' values, and only rows for which
// the predicate is true have an entry. Binding and evaluating expressions
// is package sql's business, which this package must not import, so sql
// registers an IndexCompiler (RegisterIndexCompiler, at its init) and
// IndexKey compiles each (table definition, index) pair once: catalog
// tables are immutable, so a definition's compiled indexes never go stale.
// Every writer and reader of an index computes keys through IndexKey (the
// row store keeps the compiled form on its secondary indexes, refreshed
// with each definition), so the session's checks, the committer's unique
// validation, apply, replay and checkpoint load agree on every key.
//
// Expressions are immutable (CREATE INDEX refuses others), evaluated
// without a session (UTC, default settings): the same row gives the same
// key on every path. An expression that fails on a row (division by zero)
// fails the statement writing it, before commit; applying a record never
// meets a failing one except through a broken invariant, which breaks
// that index (secIndex.broken: readers scan the table instead, unique
// checks through it fail with XX002) rather than stop the log's apply,
// replay or a checkpoint's load.

// IndexExprs evaluates one index's expressions and predicate over rows of
// one table definition (rows as wide as the definition, missing values
// filled in). Implementations are safe for concurrent use.
type IndexExprs interface {
	// Elem returns the value of key element i, an expression.
	Elem(i int, row []types.Value) (types.Value, error)
	// ElemType returns the type of key element i, an expression (its
	// values are encoded as this type).
	ElemType(i int) types.Type
	// Holds reports whether row belongs in the index: true unless the
	// index has a predicate that is false or NULL for it.
	Holds(row []types.Value) (bool, error)
}

// IndexCompiler binds the expressions and predicate of index ix of table
// definition def.
type IndexCompiler func(def *catalog.Table, ix *catalog.Index) (IndexExprs, error)

var (
	compilerMu sync.RWMutex
	compiler   IndexCompiler
)

// RegisterIndexCompiler installs the compiler of index expressions
// (package sql does, at init).
func RegisterIndexCompiler(c IndexCompiler) {
	compilerMu.Lock()
	compiler = c
	compilerMu.Unlock()
}

// compiledIndex is one index of one table definition ready to key rows.
// It keeps no reference to the definition.
type compiledIndex struct {
	cols   []int           // the key elements: column positions, -1 for expressions
	types  []types.Type    // each element's key type (catalog.Table.KeyType, the expression's)
	orders []keycode.Order // each element's order (catalog.Index.Options)
	ex     IndexExprs      // nil for a plain index
	// missing is each column's value for rows written before it was added
	// (ColValue), to widen short rows before expressions read them.
	missing []types.Value
}

// compiledCache caches compiled indexes per definition; it is emptied
// past maxCompiledDefs definitions (recompiling is cheap, and definitions
// change only with DDL).
var compiledCache struct {
	sync.RWMutex
	m map[*catalog.Table]map[uint32]*compiledIndex
}

const maxCompiledDefs = 256

// compileIndex returns ix of def compiled (cached).
func compileIndex(def *catalog.Table, ix *catalog.Index) (*compiledIndex, error) {
	compiledCache.RLock()
	ci := compiledCache.m[def][ix.ID]
	compiledCache.RUnlock()
	if ci != nil {
		return ci, nil
	}
	ci = &compiledIndex{cols: ix.Columns, types: make([]types.Type, len(ix.Columns)), orders: ElementOrders(ix)}
	for i, c := range ix.Columns {
		if c >= 0 {
			ci.types[i] = def.KeyType(c)
		}
	}
	if !ix.Plain() {
		compilerMu.RLock()
		comp := compiler
		compilerMu.RUnlock()
		if comp == nil {
			return nil, pgerr.NotSupported("index %q has expressions or a predicate, which this program cannot evaluate", ix.Name)
		}
		ex, err := comp(def, ix)
		if err != nil {
			return nil, fmt.Errorf("index %q: %w", ix.Name, err)
		}
		ci.ex = ex
		for i, c := range ix.Columns {
			if c < 0 {
				ci.types[i] = ex.ElemType(i)
			}
		}
		ci.missing = make([]types.Value, len(def.Columns))
		for i := range def.Columns {
			ci.missing[i] = ColValue(def, nil, i)
		}
	}
	compiledCache.Lock()
	if compiledCache.m == nil || len(compiledCache.m) >= maxCompiledDefs {
		compiledCache.m = map[*catalog.Table]map[uint32]*compiledIndex{}
	}
	if compiledCache.m[def] == nil {
		compiledCache.m[def] = map[uint32]*compiledIndex{}
	}
	compiledCache.m[def][ix.ID] = ci
	compiledCache.Unlock()
	return ci, nil
}

// widen returns row as wide as the definition the index was compiled
// for, reading missing values for columns added after it was written.
func (ci *compiledIndex) widen(row []types.Value) []types.Value {
	if len(row) >= len(ci.missing) {
		return row
	}
	out := make([]types.Value, len(ci.missing))
	copy(out, row)
	copy(out[len(row):], ci.missing[len(row):])
	return out
}

// key appends the index's key for row to dst. in is false when row does
// not belong in the index (a partial index's predicate is not true: no
// key is appended); null reports a NULL element (unique indexes never
// compare those).
func (ci *compiledIndex) key(dst []byte, def *catalog.Table, row []types.Value) (key []byte, in, null bool, err error) {
	if ci.ex == nil {
		for i, c := range ci.cols {
			v := ColValue(def, row, c)
			null = null || v.IsNull()
			dst = keycode.AppendOrdered(dst, v, ci.types[i], ci.orders[i])
		}
		return dst, true, null, nil
	}
	row = ci.widen(row)
	ok, err := ci.ex.Holds(row)
	if err != nil || !ok {
		return dst, false, false, err
	}
	for i, c := range ci.cols {
		var v types.Value
		if c >= 0 {
			v = row[c]
		} else if v, err = ci.ex.Elem(i, row); err != nil {
			return dst, false, false, err
		}
		null = null || v.IsNull()
		dst = keycode.AppendOrdered(dst, v, ci.types[i], ci.orders[i])
	}
	return dst, true, null, nil
}

// IndexKey returns the key of index ix of table definition def for row:
// its key elements' values (columns and expressions) in keycode order.
// in is false when row does not belong in the index (a partial index whose
// predicate is not true for it); null reports a NULL element. err is an
// expression's failure on the row (or an index that cannot be compiled).
func IndexKey(def *catalog.Table, ix *catalog.Index, row []types.Value) (key []byte, in, null bool, err error) {
	if ix.Plain() {
		for i, c := range ix.Columns {
			v := ColValue(def, row, c)
			null = null || v.IsNull()
			key = keycode.AppendOrdered(key, v, def.KeyType(c), keycode.Order(ix.Order(i)))
		}
		return key, true, null, nil
	}
	ci, err := compileIndex(def, ix)
	if err != nil {
		return nil, false, false, err
	}
	return ci.key(nil, def, row)
}

// ElementOrders returns the order of each of ix's key elements
// (catalog.Index.Options as keycode orders).
func ElementOrders(ix *catalog.Index) []keycode.Order {
	out := make([]keycode.Order, len(ix.Columns))
	for i := range out {
		out[i] = keycode.Order(ix.Order(i))
	}
	return out
}

// IndexKeyTypes returns the types of ix's key elements (the encoding of
// each: the column's type or the expression's).
func IndexKeyTypes(def *catalog.Table, ix *catalog.Index) ([]types.Type, error) {
	ci, err := compileIndex(def, ix)
	if err != nil {
		return nil, err
	}
	return ci.types, nil
}

// IndexValues returns the values of ix's key elements for row (a
// duplicate key's error detail shows them), with their types.
func IndexValues(def *catalog.Table, ix *catalog.Index, row []types.Value) ([]types.Value, []types.Type, error) {
	ci, err := compileIndex(def, ix)
	if err != nil {
		return nil, nil, err
	}
	out := make([]types.Value, len(ci.cols))
	if ci.ex != nil {
		row = ci.widen(row)
	}
	for i, c := range ci.cols {
		if c >= 0 {
			out[i] = ColValue(def, row, c)
		} else if out[i], err = ci.ex.Elem(i, row); err != nil {
			return nil, nil, err
		}
	}
	return out, ci.types, nil
}
