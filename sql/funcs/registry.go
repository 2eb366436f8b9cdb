package funcs

import (
	"sort"
	"strings"
	"time"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Volatility is PostgreSQL's provolatile: what a function's result may depend on.
type Volatility uint8

const (
	// Immutable functions depend only on their arguments; the planner may
	// fold calls whose arguments are constants.
	Immutable Volatility = iota
	// Stable functions return the same result within one statement for the
	// same arguments (now(), anything that reads the session TimeZone).
	Stable
	// Volatile functions may return a different result on every call
	// (random(), clock_timestamp()).
	Volatile
)

func (v Volatility) String() string {
	switch v {
	case Immutable:
		return "immutable"
	case Stable:
		return "stable"
	}
	return "volatile"
}

// Pseudo-type OIDs used in declared argument lists. They never appear as the
// type of a value.
const (
	// OIDAny is PostgreSQL's "any": the argument is passed as is, with its
	// own type (format, concat, concat_ws).
	OIDAny types.OID = 2276
)

// PostgreSQL's polymorphic pseudo-types, for Signature only.
const (
	OIDAnyArray   types.OID = 2277
	OIDAnyElement types.OID = 2283
)

// Any is the "any" pseudo-type.
var Any = types.Type{OID: OIDAny, Mod: -1}

// Context carries what functions may read besides their arguments. One
// Context belongs to one session; Eval may be called with it from the
// session's goroutine only.
type Context struct {
	// TxnTime is the start of the current transaction: now(),
	// current_timestamp, transaction_timestamp(), current_date.
	TxnTime time.Time
	// StmtTime is the start of the current statement: statement_timestamp().
	StmtTime time.Time
	// Loc is the session TimeZone; nil means UTC.
	Loc *time.Location
	// Rand is the session's random() generator, reseeded by setseed(). nil
	// uses a process-wide generator (and setseed() then reseeds that one).
	Rand *RandState
	// Clock returns the wall-clock time for clock_timestamp() and
	// timeofday(); nil means time.Now. Tests inject a fixed clock.
	Clock func() time.Time
	// Session gives functions that need session or catalog state
	// (pg_get_indexdef, format_type of a column, has_table_privilege …)
	// access to it; nil outside a session. Set by the SQL session.
	Session SessionState
}

// SessionState is what catalog-aware functions may read from the session.
// The concrete catalog type is hidden behind any so that this package does
// not depend on the catalog package: functions registered by
// sql/pgcatalog assert it to *catalog.Catalog.
type SessionState interface {
	Catalog() any
	Setting(name string) (string, bool)
}

func (c *Context) loc() *time.Location {
	if c == nil || c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

func (c *Context) clock() time.Time {
	if c != nil && c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

// Func is one scalar function overload.
type Func struct {
	Name string
	// Args are the declared argument types (Mod -1). A Func returned by
	// Resolve for a function declared with "any" arguments carries the
	// actual argument types instead.
	Args []types.Type
	// Variadic means the last argument repeats (one or more times).
	Variadic bool
	Ret      types.Type
	// Strict functions return NULL when any argument is NULL; the caller
	// must not call Eval then (Eval of a strict function may assume non-NULL
	// arguments).
	Strict     bool
	Volatility Volatility
	// Eval computes the result. args are already cast to Args (for a
	// variadic function, the last declared type repeats).
	Eval func(ctx *Context, args []types.Value) (types.Value, error)

	// bind, when set, specialises a function declared with "any" arguments
	// to the actual argument types at resolution time.
	bind func(argTypes []types.Type) func(ctx *Context, args []types.Value) (types.Value, error)
}

// Call evaluates f on args, applying strictness: a strict function returns
// NULL without calling Eval when any argument is NULL.
func (f *Func) Call(ctx *Context, args []types.Value) (types.Value, error) {
	if f.Strict {
		for _, a := range args {
			if a.IsNull() {
				return types.Null, nil
			}
		}
	}
	return f.Eval(ctx, args)
}

var (
	scalars    = map[string][]*Func{}
	aggregates = map[string][]*Aggregate{}
)

// Register adds a function defined outside this package (catalog-aware
// functions of sql/pgcatalog). It must be called from an init function.
func Register(f *Func) { register(f) }

func register(f *Func) {
	for i := range f.Args {
		f.Args[i].Mod = -1
	}
	f.Ret.Mod = -1
	scalars[f.Name] = append(scalars[f.Name], f)
}

// helpers for registration tables

func t(ts ...types.Type) []types.Type { return ts }

type evalFn = func(ctx *Context, args []types.Value) (types.Value, error)

func imm(name string, args []types.Type, ret types.Type, eval evalFn) *Func {
	f := &Func{Name: name, Args: args, Ret: ret, Strict: true, Volatility: Immutable, Eval: eval}
	register(f)
	return f
}

func stable(name string, args []types.Type, ret types.Type, eval evalFn) *Func {
	f := &Func{Name: name, Args: args, Ret: ret, Strict: true, Volatility: Stable, Eval: eval}
	register(f)
	return f
}

func volatile(name string, args []types.Type, ret types.Type, eval evalFn) *Func {
	f := &Func{Name: name, Args: args, Ret: ret, Strict: true, Volatility: Volatile, Eval: eval}
	register(f)
	return f
}

// alias registers every overload of name under alias too.
func alias(alias, name string) {
	for _, f := range scalars[name] {
		c := *f
		c.Name = alias
		c.Args = append([]types.Type(nil), f.Args...)
		scalars[alias] = append(scalars[alias], &c)
	}
}

// Exists reports whether a scalar function of that name exists.
func Exists(name string) bool { return len(scalars[name]) > 0 || polymorphic[name] != nil }

// IsAggregate reports whether an aggregate function of that name exists.
func IsAggregate(name string) bool { return len(aggregates[name]) > 0 }

// Names returns the names of every scalar function, sorted (for catalog
// emulation and tests).
func Names() []string {
	out := make([]string, 0, len(scalars))
	for n := range scalars {
		out = append(out, n)
	}
	for n := range polymorphic {
		if scalars[n] == nil {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Signature is one declared overload of a scalar function, as the catalog
// emulation shows it (pg_proc). Polymorphic arguments are PostgreSQL's
// anyarray (OIDAnyArray) and anyelement (OIDAnyElement).
type Signature struct {
	Args       []types.Type
	Ret        types.Type
	Variadic   bool
	Strict     bool
	Volatility Volatility
}

// Overloads returns the declared overloads of the scalar function name.
func Overloads(name string) []Signature {
	if sigs, ok := polymorphicSigs[name]; ok {
		return sigs
	}
	var out []Signature
	for _, f := range scalars[name] {
		out = append(out, Signature{Args: f.Args, Ret: f.Ret, Variadic: f.Variadic, Strict: f.Strict, Volatility: f.Volatility})
	}
	return out
}

// Resolve picks the overload of the scalar function name for arguments of
// argTypes, as PostgreSQL's func_select_candidate does, and returns it with
// the type each argument must be cast to before Eval. Arguments of unknown
// type (untyped literals) are returned as the declared type they resolved to
// (text for "any").
func Resolve(name string, argTypes []types.Type) (*Func, []types.Type, error) {
	if p, ok := polymorphic[name]; ok {
		return p(name, argTypes)
	}
	cands := scalars[name]
	sigs := make([]candidate, 0, len(cands))
	for i, f := range cands {
		if exp, ok := expand(f.Args, f.Variadic, len(argTypes)); ok {
			sigs = append(sigs, candidate{idx: i, args: exp})
		}
	}
	c, err := selectCandidate(name, argTypes, sigs)
	if err != nil {
		return nil, nil, err
	}
	f := cands[c.idx]
	casts := castTargets(argTypes, c.args)
	if f.bind != nil {
		b := *f
		b.Args = casts
		b.Eval = f.bind(casts)
		b.bind = nil
		f = &b
	}
	return f, casts, nil
}

func castTargets(argTypes, declared []types.Type) []types.Type {
	casts := make([]types.Type, len(argTypes))
	for i, d := range declared {
		switch {
		case d.OID == OIDAny && argTypes[i].OID == types.OIDUnknown:
			casts[i] = types.Text
		case d.OID == OIDAny:
			casts[i] = argTypes[i]
		default:
			casts[i] = d.WithoutMod()
		}
	}
	return casts
}

type candidate struct {
	idx  int
	args []types.Type
}

// expand returns the declared argument list expanded to n arguments (for a
// variadic function the last one repeats at least once).
func expand(args []types.Type, variadic bool, n int) ([]types.Type, bool) {
	if !variadic {
		return args, len(args) == n
	}
	if n < len(args) {
		return nil, false
	}
	out := make([]types.Type, n)
	copy(out, args)
	for i := len(args); i < n; i++ {
		out[i] = args[len(args)-1]
	}
	return out, true
}

// Choose picks among declared argument lists (a user-defined function's
// overloads) for arguments of types in, as Resolve picks a built-in
// overload, and returns the index of the chosen list; name is the
// function's name for the errors (42883, 42725).
func Choose(name string, in []types.Type, sigs [][]types.Type) (int, error) {
	cands := make([]candidate, len(sigs))
	for i, s := range sigs {
		cands[i] = candidate{idx: i, args: s}
	}
	c, err := selectCandidate(name, in, cands)
	return c.idx, err
}

// selectCandidate implements PostgreSQL's overload choice (func_get_detail →
// func_match_argtypes → func_select_candidate).
func selectCandidate(name string, in []types.Type, cands []candidate) (candidate, error) {
	notFound := func() error {
		return pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", signature(name, in)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	// 1. Exact match.
	for _, c := range cands {
		exact := true
		for i := range in {
			if in[i].OID != c.args[i].OID {
				exact = false
				break
			}
		}
		if exact {
			return c, nil
		}
	}
	// 2. Candidates reachable by implicit coercion.
	var ok []candidate
	for _, c := range cands {
		if canCoerceAll(in, c.args) {
			ok = append(ok, c)
		}
	}
	if len(ok) == 0 {
		return candidate{}, notFound()
	}
	if len(ok) == 1 {
		return ok[0], nil
	}
	ambiguous := func() error {
		return pgerr.New(pgerr.AmbiguousFunction, "function %s is not unique", signature(name, in)).
			WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
	}
	nunknown := 0
	for _, a := range in {
		if a.OID == types.OIDUnknown {
			nunknown++
		}
	}
	// 3. Most exact matches on known inputs.
	ok = keepBest(ok, func(c candidate) int {
		n := 0
		for i, a := range in {
			if a.OID != types.OIDUnknown && c.args[i].OID == a.OID {
				n++
			}
		}
		return n
	})
	if len(ok) == 1 {
		return ok[0], nil
	}
	// 4. Most preferred types (in the input's category) where a conversion is needed.
	ok = keepBest(ok, func(c candidate) int {
		n := 0
		for i, a := range in {
			if a.OID == types.OIDUnknown {
				continue
			}
			if c.args[i].OID == a.OID || (category(c.args[i].OID) == category(a.OID) && preferred(c.args[i].OID)) {
				n++
			}
		}
		return n
	})
	if len(ok) == 1 {
		return ok[0], nil
	}
	if nunknown == 0 {
		return candidate{}, ambiguous()
	}
	// 5. Resolve unknown inputs by category, preferring string.
	resolved := true
	slotCat := make([]byte, len(in))
	slotPref := make([]bool, len(in))
	for i, a := range in {
		if a.OID != types.OIDUnknown {
			continue
		}
		conflict := false
		for j, c := range ok {
			cat, pref := category(c.args[i].OID), preferred(c.args[i].OID)
			switch {
			case j == 0:
				slotCat[i], slotPref[i] = cat, pref
			case cat == slotCat[i]:
				slotPref[i] = slotPref[i] || pref
			case cat == 'S':
				slotCat[i], slotPref[i] = cat, pref
			default:
				conflict = true
			}
		}
		if conflict && slotCat[i] != 'S' {
			resolved = false
			break
		}
	}
	if resolved {
		var keep []candidate
		for _, c := range ok {
			good := true
			for i, a := range in {
				if a.OID != types.OIDUnknown {
					continue
				}
				if category(c.args[i].OID) != slotCat[i] || (slotPref[i] && !preferred(c.args[i].OID)) {
					good = false
					break
				}
			}
			if good {
				keep = append(keep, c)
			}
		}
		if len(keep) == 1 {
			return keep[0], nil
		}
		if len(keep) > 0 {
			ok = keep
		}
	}
	// 6. Last gasp: unknowns take the one known type.
	if nunknown < len(in) {
		known := types.OIDUnknown
		for _, a := range in {
			if a.OID == types.OIDUnknown {
				continue
			}
			if known == types.OIDUnknown {
				known = a.OID
			} else if known != a.OID {
				known = types.OIDUnknown
				break
			}
		}
		if known != types.OIDUnknown {
			as := make([]types.Type, len(in))
			for i := range as {
				as[i] = types.Type{OID: known, Mod: -1}
			}
			var hit []candidate
			for _, c := range ok {
				if canCoerceAll(as, c.args) {
					hit = append(hit, c)
				}
			}
			if len(hit) == 1 {
				return hit[0], nil
			}
		}
	}
	return candidate{}, ambiguous()
}

func keepBest(cs []candidate, score func(candidate) int) []candidate {
	best := -1
	var out []candidate
	for _, c := range cs {
		s := score(c)
		if s > best {
			best, out = s, out[:0:0]
		}
		if s == best {
			out = append(out, c)
		}
	}
	return out
}

func canCoerceAll(in, decl []types.Type) bool {
	for i := range in {
		if !canCoerce(in[i].OID, decl[i].OID) {
			return false
		}
	}
	return true
}

// CanImplicit reports whether a value of type from converts implicitly to
// to (PostgreSQL's castcontext 'i').
func CanImplicit(from, to types.Type) bool { return canCoerce(from.OID, to.OID) }

// canCoerce reports whether a value of type from converts implicitly to to.
func canCoerce(from, to types.OID) bool {
	if from == to || from == types.OIDUnknown || to == OIDAny {
		return true
	}
	return implicitCasts[from][to]
}

func set(oids ...types.OID) map[types.OID]bool {
	m := map[types.OID]bool{}
	for _, o := range oids {
		m[o] = true
	}
	return m
}

// implicitCasts lists PostgreSQL's implicit (castcontext 'i') casts between
// the types OmenDB knows.
var implicitCasts = map[types.OID]map[types.OID]bool{
	types.OIDInt2:      set(types.OIDInt4, types.OIDInt8, types.OIDFloat4, types.OIDFloat8, types.OIDNumeric, types.OIDOID, types.OIDRegclass, types.OIDRegtype, types.OIDRegproc, types.OIDRegprocedure, types.OIDRegnamespace),
	types.OIDInt4:      set(types.OIDInt8, types.OIDFloat4, types.OIDFloat8, types.OIDNumeric, types.OIDOID, types.OIDRegclass, types.OIDRegtype, types.OIDRegproc, types.OIDRegprocedure, types.OIDRegnamespace),
	types.OIDInt8:      set(types.OIDFloat4, types.OIDFloat8, types.OIDNumeric, types.OIDOID, types.OIDRegclass, types.OIDRegtype, types.OIDRegproc, types.OIDRegprocedure, types.OIDRegnamespace),
	types.OIDFloat4:    set(types.OIDFloat8),
	types.OIDNumeric:   set(types.OIDFloat4, types.OIDFloat8),
	types.OIDText:      set(types.OIDBPChar, types.OIDVarchar, types.OIDName, types.OIDRegclass),
	types.OIDVarchar:   set(types.OIDText, types.OIDBPChar, types.OIDName, types.OIDRegclass),
	types.OIDBPChar:    set(types.OIDText, types.OIDVarchar, types.OIDName),
	types.OIDName:      set(types.OIDText),
	types.OIDChar:      set(types.OIDText),
	types.OIDDate:      set(types.OIDTimestamp, types.OIDTimestampTZ),
	types.OIDTimestamp: set(types.OIDTimestampTZ),
	types.OIDTime:      set(types.OIDInterval),
	types.OIDOID:       set(types.OIDRegclass, types.OIDRegtype, types.OIDRegproc, types.OIDRegprocedure, types.OIDRegnamespace),
	// reg* → oid is binary coercible and implicit (pg_get_viewdef('v'::regclass)).
	types.OIDRegclass:     set(types.OIDOID),
	types.OIDRegtype:      set(types.OIDOID),
	types.OIDRegproc:      set(types.OIDOID),
	types.OIDRegprocedure: set(types.OIDOID),
	types.OIDRegnamespace: set(types.OIDOID),
	types.OIDCIDR:         set(types.OIDInet), // binary coercible
}

// category returns PostgreSQL's typcategory.
func category(o types.OID) byte {
	switch o {
	case types.OIDBool:
		return 'B'
	case types.OIDInt2, types.OIDInt4, types.OIDInt8, types.OIDFloat4, types.OIDFloat8, types.OIDNumeric,
		types.OIDOID, types.OIDRegclass, types.OIDRegtype, types.OIDRegproc, types.OIDRegprocedure, types.OIDRegnamespace:
		return 'N'
	case types.OIDText, types.OIDVarchar, types.OIDBPChar, types.OIDName:
		return 'S'
	case types.OIDDate, types.OIDTime, types.OIDTimestamp, types.OIDTimestampTZ:
		return 'D'
	case types.OIDInterval:
		return 'T'
	case types.OIDInet, types.OIDCIDR:
		return 'I'
	case types.OIDUnknown:
		return 'X'
	case OIDAny:
		return 'P'
	case types.OIDChar:
		return 'Z'
	case types.OIDTextArray, types.OIDInt4Array, types.OIDInt8Array, types.OIDOIDArray, types.OIDNameArray:
		return 'A'
	}
	return 'U'
}

// preferred reports PostgreSQL's typispreferred.
func preferred(o types.OID) bool {
	switch o {
	case types.OIDBool, types.OIDText, types.OIDFloat8, types.OIDOID, types.OIDTimestampTZ, types.OIDInterval, types.OIDInet:
		return true
	}
	return false
}

func signature(name string, in []types.Type) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('(')
	for i, a := range in {
		if i > 0 {
			b.WriteString(", ")
		}
		if a.Enum != nil {
			b.WriteString(types.TypeName(a)) // a user-defined type: its name
		} else {
			b.WriteString(typeName(a.OID))
		}
	}
	b.WriteByte(')')
	return b.String()
}

// typeName is PostgreSQL's format_type without a typmod.
func typeName(o types.OID) string {
	switch o {
	case types.OIDBool:
		return "boolean"
	case types.OIDBytea:
		return "bytea"
	case types.OIDChar:
		return `"char"`
	case types.OIDName:
		return "name"
	case types.OIDInt8:
		return "bigint"
	case types.OIDInt2:
		return "smallint"
	case types.OIDInt4:
		return "integer"
	case types.OIDText:
		return "text"
	case types.OIDOID:
		return "oid"
	case types.OIDJSON:
		return "json"
	case types.OIDFloat4:
		return "real"
	case types.OIDFloat8:
		return "double precision"
	case types.OIDBPChar:
		return "character"
	case types.OIDVarchar:
		return "character varying"
	case types.OIDDate:
		return "date"
	case types.OIDTime:
		return "time without time zone"
	case types.OIDTimestamp:
		return "timestamp without time zone"
	case types.OIDTimestampTZ:
		return "timestamp with time zone"
	case types.OIDInterval:
		return "interval"
	case types.OIDNumeric:
		return "numeric"
	case types.OIDUUID:
		return "uuid"
	case types.OIDInet:
		return "inet"
	case types.OIDCIDR:
		return "cidr"
	case types.OIDJSONB:
		return "jsonb"
	case types.OIDUnknown:
		return "unknown"
	case types.OIDRegclass:
		return "regclass"
	case types.OIDRegtype:
		return "regtype"
	case types.OIDRegproc:
		return "regproc"
	case types.OIDRegprocedure:
		return "regprocedure"
	case types.OIDRegnamespace:
		return "regnamespace"
	case types.OIDXid:
		return "xid"
	case types.OIDXid8:
		return "xid8"
	case types.OIDTextArray:
		return "text[]"
	case types.OIDInt4Array:
		return "integer[]"
	case types.OIDInt8Array:
		return "bigint[]"
	case types.OIDVoid:
		return "void"
	case types.OIDRecord:
		return "record"
	case OIDAny:
		return `"any"`
	}
	return "???"
}
