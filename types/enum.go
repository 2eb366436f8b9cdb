package types

import (
	"encoding/json"
	"fmt"

	"github.com/omendb/omendb/pgerr"
)

// User-defined enum types (CREATE TYPE … AS ENUM).
//
// A value of an enum type is a KindText Value whose S is the *representation*
// of its label, not the label itself: a short ASCII string chosen so that
// representations compare bytewise in the type's declared order. Compare,
// Hash, the row encoding, the order-preserving key encoding (oltp/keycode)
// and the column store's text columns therefore order, group and index enum
// values in declared order without knowing the type, and a representation
// never changes once given: ALTER TYPE … ADD VALUE … BEFORE/AFTER picks a new
// one between its neighbours' (EnumRepBetween), RENAME VALUE changes only
// the label. Only I/O needs the type's definition — the labels — which the
// Type carries (Type.Enum): ParseText / ParseBinary map a label to its
// representation, AppendText / AppendBinary map back, Cast between enum and
// string types goes through them. PostgreSQL sends an enum's label as its
// binary format too.
//
// The definition belongs to one catalog snapshot (package catalog builds it
// and puts it into every column type that names the enum). Encoded as JSON
// inside a column type, an *Enum is only a reference — its OID and its array
// type's OID (a "stub") — so that catalogs, log records and checkpoints do
// not repeat the labels, and the catalog replaces each stub by its full
// definition when it loads a table. A stub still says what the storage
// layers need to know: that the type is an enum (text values) or an array of
// one (array values).

// Enum is the definition of an enum type as one catalog snapshot has it.
// Immutable once built (NewEnum); a change builds a new one.
type Enum struct {
	OID      OID
	ArrayOID OID
	Schema   string
	Name     string
	// Labels are the type's values in declared (sort) order.
	Labels []EnumLabel

	stub    bool
	byLabel map[string]int
	byRep   map[string]int
}

// EnumLabel is one value of an enum type: a row of pg_enum.
type EnumLabel struct {
	// OID is pg_enum.oid, a catalog object ID.
	OID   uint32
	Label string
	// Rep is the stored representation (see above).
	Rep string
	// Sort is pg_enum.enumsortorder, computed as PostgreSQL does.
	Sort float32
	// Unsafe: added by the transaction whose catalog this is, and not
	// usable before it commits (PostgreSQL's check_safe_enum_use).
	Unsafe bool
}

// NewEnum returns the definition of an enum type whose labels are given in
// sort order.
func NewEnum(oid, arrayOID OID, schema, name string, labels []EnumLabel) *Enum {
	e := &Enum{OID: oid, ArrayOID: arrayOID, Schema: schema, Name: name, Labels: labels,
		byLabel: make(map[string]int, len(labels)), byRep: make(map[string]int, len(labels))}
	for i, l := range labels {
		e.byLabel[l.Label] = i
		e.byRep[l.Rep] = i
	}
	return e
}

// Stub reports whether e is only a reference decoded from JSON, without
// labels.
func (e *Enum) Stub() bool { return e.stub }

// Type returns the enum type.
func (e *Enum) Type() Type { return Type{OID: e.OID, Mod: -1, Enum: e} }

// ArrayType returns the type of arrays of the enum.
func (e *Enum) ArrayType() Type { return Type{OID: e.ArrayOID, Mod: -1, Enum: e} }

// Label returns the position in Labels of label, or -1.
func (e *Enum) Label(label string) int {
	if i, ok := e.byLabel[label]; ok {
		return i
	}
	return -1
}

// Value returns the value of label, failing as PostgreSQL's enum_in does.
func (e *Enum) Value(label string) (Value, error) {
	if e.stub {
		return Null, e.stubError()
	}
	i, ok := e.byLabel[label]
	if !ok {
		return Null, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input value for enum %s: %q", e.Name, label)
	}
	if err := e.CheckSafe(i); err != nil {
		return Null, err
	}
	return NewText(e.Labels[i].Rep), nil
}

// CheckSafe fails with 55P04 when label i was added by the current
// transaction (EnumLabel.Unsafe).
func (e *Enum) CheckSafe(i int) error {
	if !e.Labels[i].Unsafe {
		return nil
	}
	return pgerr.New("55P04", "unsafe use of new value %q of enum type %s", e.Labels[i].Label, e.Name).
		WithHint("New enum values must be committed before they can be used.")
}

// Position returns the position in Labels of the value v, or -1 for a
// representation the type does not have.
func (e *Enum) Position(v Value) int {
	if i, ok := e.byRep[v.S]; ok && v.K == KindText {
		return i
	}
	return -1
}

// LabelOf returns the label of the value v (its representation when the
// definition lacks it, which only a stub or a bug can cause).
func (e *Enum) LabelOf(v Value) string {
	if i := e.Position(v); i >= 0 {
		return e.Labels[i].Label
	}
	return v.S
}

func (e *Enum) stubError() error {
	return pgerr.New(pgerr.InternalError, "enum type %d is not loaded", e.OID)
}

// IsEnum reports whether t is an enum type (not an array of one).
func IsEnum(t Type) bool { return t.Enum != nil && t.OID == t.Enum.OID }

// IsEnumArray reports whether t is the array type of an enum.
func IsEnumArray(t Type) bool { return t.Enum != nil && t.OID == t.Enum.ArrayOID }

// enumRef is the JSON form of an *Enum inside a Type.
type enumRef struct {
	OID   OID `json:"oid"`
	Array OID `json:"array"`
}

// MarshalJSON writes only the reference: the labels live in the catalog.
func (e *Enum) MarshalJSON() ([]byte, error) {
	return json.Marshal(enumRef{OID: e.OID, Array: e.ArrayOID})
}

// UnmarshalJSON reads a reference into a stub.
func (e *Enum) UnmarshalJSON(b []byte) error {
	var r enumRef
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	if r.OID == 0 || r.Array == 0 {
		return fmt.Errorf("enum type reference %s: missing OIDs", b)
	}
	*e = Enum{OID: r.OID, ArrayOID: r.Array, stub: true}
	return nil
}

// firstUserOID is the first OID of user-defined objects (catalog.
// FirstUserID): no built-in type has one.
const firstUserOID = 16384

// unloadedType is the error for parsing a value of a user-defined type
// whose definition the Type lacks: never guess (a label taken for a
// representation would be stored wrong).
func unloadedType(o OID) error {
	return pgerr.New(pgerr.UndefinedObject, "type with OID %d does not exist", o)
}

func parseEnumText(t Type, s string) (Value, error) {
	return t.Enum.Value(s)
}

// Representations. They are strings over enumDigits (bytewise ascending),
// never empty and never ending in the lowest digit, so that between any two
// there is always another.
const enumDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func enumDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 36
	}
	return 0
}

// EnumRepBetween returns a representation strictly between lo and hi ("" for
// lo is below everything, "" for hi above everything). lo < hi must hold
// for representations this package made.
func EnumRepBetween(lo, hi string) string {
	if hi == "" {
		return enumRepAfter(lo)
	}
	// Share the common prefix.
	n := 0
	for n < len(hi) {
		c := byte('0')
		if n < len(lo) {
			c = lo[n]
		}
		if c != hi[n] {
			break
		}
		n++
	}
	if n > 0 {
		rest := ""
		if n < len(lo) {
			rest = lo[n:]
		}
		return hi[:n] + EnumRepBetween(rest, hi[n:])
	}
	dl := 0
	if lo != "" {
		dl = enumDigit(lo[0])
	}
	dh := enumDigit(hi[0])
	if dh-dl > 1 {
		return string(enumDigits[(dl+dh)/2])
	}
	// Consecutive first digits: hi's first digit alone is above lo when hi
	// goes on (hi > hi[:1] > lo), else continue after lo's first digit.
	if len(hi) > 1 {
		return hi[:1]
	}
	rest := ""
	if len(lo) > 1 {
		rest = lo[1:]
	}
	return string(enumDigits[dl]) + enumRepAfter(rest)
}

// enumRepAfter returns a short representation above r: the next digit when
// there is one, which keeps appended values one or two bytes long.
func enumRepAfter(r string) string {
	if r == "" {
		return "1"
	}
	if d := enumDigit(r[0]); d < len(enumDigits)-1 {
		return string(enumDigits[d+1])
	}
	return r[:1] + enumRepAfter(r[1:])
}

// EnumReps returns n ascending representations for the labels of a new
// enum type, all of one width.
func EnumReps(n int) []string {
	w, room := 1, len(enumDigits)-1
	for room < n {
		w++
		room *= len(enumDigits)
	}
	out := make([]string, 0, n)
	buf := make([]byte, w)
	for k := 1; len(out) < n; k++ {
		x := k
		for i := w - 1; i >= 0; i-- {
			buf[i] = enumDigits[x%len(enumDigits)]
			x /= len(enumDigits)
		}
		if buf[w-1] == enumDigits[0] {
			continue
		}
		out = append(out, string(buf))
	}
	return out
}
