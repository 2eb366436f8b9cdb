package catalog

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Function is a user-defined function: CREATE FUNCTION … LANGUAGE sql. Its
// body is SQL text, parsed and bound by package sql/plan wherever the
// function is called (against the catalog of that statement), never here.
//
// Functions are overloaded by their input argument types: (Schema, Name,
// ArgOIDs) is unique. ID is the function's object ID and pg_proc OID.
type Function struct {
	ID     uint32 `json:"id"`
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Owner  string `json:"owner,omitempty"`
	// Args are the input parameters in order (PostgreSQL's IN arguments).
	Args []FuncArg `json:"args,omitempty"`
	// Out are the result columns of RETURNS TABLE (Table) or the OUT
	// parameters; empty for a function returning Ret alone.
	Out   []FuncArg `json:"out,omitempty"`
	Table bool      `json:"table,omitempty"`
	// Modes are the declared parameters' modes in order, as pg_proc's
	// proargmodes spells them: i (IN), o (OUT), b (INOUT), t (TABLE); ""
	// when every parameter is IN. An INOUT parameter is in Args and Out.
	Modes string `json:"modes,omitempty"`
	// Ret is the result type: with more than one Out column, record.
	// RetSet is RETURNS SETOF / RETURNS TABLE: the function returns every
	// row of its last statement, not the first.
	Ret    types.Type `json:"ret"`
	RetSet bool       `json:"ret_set,omitempty"`
	// Body is the function's source: the AS string as written (prosrc),
	// or, when Atomic, its SQL-standard body (BEGIN ATOMIC … END or
	// RETURN expr) deparsed, one statement per line ending in ";".
	Body   string `json:"body"`
	Atomic bool   `json:"atomic,omitempty"`
	// Return marks an Atomic body written as RETURN expr: Body is then
	// "SELECT expr".
	Return bool `json:"return,omitempty"`
	// Volatility is provolatile: "i" immutable, "s" stable, "v" (or "")
	// volatile. Strict functions return NULL for a NULL argument without
	// running.
	Volatility string `json:"volatility,omitempty"`
	Strict     bool   `json:"strict,omitempty"`
	// Comment is COMMENT ON FUNCTION's text ("" = none).
	Comment string `json:"comment,omitempty"`
	// Language is the body's language: "" for sql, or "plpgsql" (the
	// body is then run by package sql's PL/pgSQL interpreter, plfunc.go).
	Language string `json:"language,omitempty"`
}

// PL reports whether f is written in PL/pgSQL.
func (f *Function) PL() bool { return f.Language == "plpgsql" }

// FuncArg is one parameter of a function.
type FuncArg struct {
	Name string     `json:"name,omitempty"`
	Type types.Type `json:"type"`
	// Default is the DEFAULT expression's SQL text ("" = none).
	Default string `json:"default,omitempty"`
}

// ArgOIDs are the input argument types' OIDs, the function's identity
// among its overloads.
func (f *Function) ArgOIDs() []types.OID {
	out := make([]types.OID, len(f.Args))
	for i, a := range f.Args {
		out[i] = a.Type.OID
	}
	return out
}

// Param is one declared parameter, in declaration order (Params).
type Param struct {
	FuncArg
	Mode byte // 'i', 'o', 'b' or 't'
}

// Params returns the declared parameters in order, from Args, Out and
// Modes.
func (f *Function) Params() []Param {
	if f.Modes == "" {
		out := make([]Param, len(f.Args))
		for i, a := range f.Args {
			out[i] = Param{a, 'i'}
		}
		return out
	}
	var out []Param
	in, o := 0, 0
	for i := 0; i < len(f.Modes); i++ {
		switch m := f.Modes[i]; m {
		case 'i':
			if in < len(f.Args) {
				out = append(out, Param{f.Args[in], m})
			}
			in++
		case 'b':
			if in < len(f.Args) {
				out = append(out, Param{f.Args[in], m})
			}
			in++
			o++
		default:
			if o < len(f.Out) {
				out = append(out, Param{f.Out[o], m})
			}
			o++
		}
	}
	return out
}

// Defaults is the number of trailing arguments with a DEFAULT.
func (f *Function) Defaults() int {
	n := 0
	for i := len(f.Args) - 1; i >= 0 && f.Args[i].Default != ""; i-- {
		n++
	}
	return n
}

// Vol returns Volatility with "" read as "v".
func (f *Function) Vol() string {
	if f.Volatility == "" {
		return "v"
	}
	return f.Volatility
}

// Clone returns a copy of f that may be modified.
func (f *Function) Clone() *Function {
	n := *f
	n.Args = append([]FuncArg(nil), f.Args...)
	n.Out = append([]FuncArg(nil), f.Out...)
	return &n
}

// Function returns the function with ID id.
func (c *Catalog) Function(id uint32) (*Function, bool) { f, ok := c.funcs[id]; return f, ok }

// LookupFunctions returns the overloads of schema.name, ordered by ID.
func (c *Catalog) LookupFunctions(schema, name string) []*Function {
	var out []*Function
	for _, id := range c.funcName[key(schema, name)] {
		out = append(out, c.funcs[id])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Functions returns all functions ordered by ID.
func (c *Catalog) Functions() []*Function {
	out := make([]*Function, 0, len(c.funcs))
	for _, f := range c.funcs {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// FunctionDependents returns the views that call function id, by ID.
func (c *Catalog) FunctionDependents(id uint32) []*View {
	var out []*View
	for _, v := range c.views {
		for _, d := range v.Funcs {
			if d == id {
				out = append(out, v)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Signature is name(argtypes) as PostgreSQL's messages print a function.
func (f *Function) Signature() string {
	ts := make([]string, len(f.Args))
	for i, a := range f.Args {
		ts[i] = types.TypeName(a.Type)
	}
	return f.Name + "(" + strings.Join(ts, ", ") + ")"
}

// applyFunction applies create_function and drop_function to n (a clone).
// create_function with an existing ID replaces that function (CREATE OR
// REPLACE, ALTER FUNCTION … RENAME TO / OWNER TO).
func (n *Catalog) applyFunction(ch *Change) error {
	switch ch.Kind {
	case CreateFunction:
		f := ch.Function
		if f == nil || f.ID == 0 || f.Name == "" || f.Schema == "" {
			return fmt.Errorf("create_function without a function: %w", pgerr.ErrCorrupt)
		}
		oids := f.ArgOIDs()
		for _, other := range n.LookupFunctions(f.Schema, f.Name) {
			if other.ID != f.ID && slices.Equal(other.ArgOIDs(), oids) {
				return pgerr.New(pgerr.DuplicateFunction, "function %s already exists with same argument types", f.Signature())
			}
		}
		if old, ok := n.funcs[f.ID]; ok {
			n.unnameFunction(old)
		}
		f = f.Clone()
		n.funcs[f.ID] = f
		k := key(f.Schema, f.Name)
		n.funcName[k] = append(append([]uint32(nil), n.funcName[k]...), f.ID)
		n.noteID(f.ID)
	case DropFunction:
		f, ok := n.funcs[ch.ID]
		if !ok {
			return pgerr.New(pgerr.UndefinedFunction, "function with OID %d does not exist", ch.ID)
		}
		if deps := n.FunctionDependents(f.ID); len(deps) > 0 {
			return dependentsError("function", f.Signature(), deps)
		}
		n.unnameFunction(f)
		delete(n.funcs, f.ID)
	}
	return nil
}

// unnameFunction removes f from the name index.
func (n *Catalog) unnameFunction(f *Function) {
	k := key(f.Schema, f.Name)
	var ids []uint32
	for _, id := range n.funcName[k] {
		if id != f.ID {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		delete(n.funcName, k)
	} else {
		n.funcName[k] = ids
	}
}
