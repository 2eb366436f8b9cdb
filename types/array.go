package types

import (
	"encoding/binary"
	"hash/maphash"
	"strconv"
	"strings"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// Arrays have lower bound 1 in every dimension (PostgreSQL's common case;
// anything else fails with 0A000 on input; a text literal may state the
// bounds, '[1:3]={1,2,3}'). A KindArray value holds its
// top level in S, encoded as a row (EncodeRow: version byte, count,
// values), and the top level's length in I: the elements of a
// one-dimensional array, the sub-arrays of a multidimensional one
// (array_md.go). The element type is the array type's element (ElemOID of
// the Type that travels with the value). int2vector and oidvector are
// arrays of int2 and oid whose text form is space-separated.

// The array type OIDs beyond those in value.go, with their element types.
const (
	OIDBoolArray        OID = 1000
	OIDByteaArray       OID = 1001
	OIDCharArray        OID = 1002
	OIDInt2Array        OID = 1005
	OIDRegprocArray     OID = 1008
	OIDRegprocedureArr  OID = 2207
	OIDBPCharArray      OID = 1014
	OIDVarcharArray     OID = 1015
	OIDFloat4Array      OID = 1021
	OIDFloat8Array      OID = 1022
	OIDTimestampArray   OID = 1115
	OIDDateArray        OID = 1182
	OIDTimeArray        OID = 1183
	OIDTimestampTZArray OID = 1185
	OIDIntervalArray    OID = 1187
	OIDNumericArray     OID = 1231
	OIDJSONArray        OID = 199
	OIDRegclassArray    OID = 2210
	OIDRegtypeArray     OID = 2211
	OIDUUIDArray        OID = 2951
	OIDInetArray        OID = 1041
	OIDCIDRArray        OID = 651
	OIDJSONBArray       OID = 3807
	OIDRegnamespaceArr  OID = 4090
)

// arrayElems maps an array type to its element type; elemArrays the reverse
// (int2vector and oidvector map to their elements but are not the array
// type of int2/oid).
var (
	arrayElems = map[OID]OID{
		OIDBoolArray: OIDBool, OIDByteaArray: OIDBytea, OIDCharArray: OIDChar, OIDNameArray: OIDName,
		OIDInt2Array: OIDInt2, OIDInt4Array: OIDInt4, OIDRegprocArray: OIDRegproc, OIDRegprocedureArr: OIDRegprocedure, OIDTextArray: OIDText,
		OIDOIDArray: OIDOID, OIDBPCharArray: OIDBPChar, OIDVarcharArray: OIDVarchar, OIDInt8Array: OIDInt8,
		OIDFloat4Array: OIDFloat4, OIDFloat8Array: OIDFloat8, OIDTimestampArray: OIDTimestamp,
		OIDDateArray: OIDDate, OIDTimeArray: OIDTime, OIDTimestampTZArray: OIDTimestampTZ,
		OIDIntervalArray: OIDInterval, OIDNumericArray: OIDNumeric, OIDJSONArray: OIDJSON,
		OIDRegclassArray: OIDRegclass, OIDRegtypeArray: OIDRegtype, OIDUUIDArray: OIDUUID,
		OIDInetArray: OIDInet, OIDCIDRArray: OIDCIDR,
		OIDJSONBArray: OIDJSONB, OIDRegnamespaceArr: OIDRegnamespace, OIDJSONPathArray: OIDJSONPath,
		OIDInt2Vector: OIDInt2, OIDOIDVector: OIDOID, OIDAclItemArray: OIDAclItem,
	}
	elemArrays = func() map[OID]OID {
		m := make(map[OID]OID, len(arrayElems))
		for a, e := range arrayElems {
			if a != OIDInt2Vector && a != OIDOIDVector {
				m[e] = a
			}
		}
		return m
	}()
)

// IsArray reports whether o is an array type (int2vector and oidvector
// included).
func IsArray(o OID) bool { _, ok := arrayElems[o]; return ok }

// ElemType returns the element type of array type t (keeping t's typmod,
// which for arrays is the element's: varchar(10)[] has typmod 14).
func ElemType(t Type) Type {
	if IsEnumArray(t) {
		return t.Enum.Type()
	}
	return Type{OID: arrayElems[t.OID], Mod: t.Mod}
}

// IsArrayType reports whether t is an array type: IsArray of its OID, or
// the array type of an enum (whose OID only the type's definition knows).
func IsArrayType(t Type) bool { return IsEnumArray(t) || IsArray(t.OID) }

// KindOfType is KindOf for a type that may be an enum or an array of one.
func KindOfType(t Type) Kind {
	if t.Enum != nil {
		if t.OID == t.Enum.ArrayOID {
			return KindArray
		}
		return KindText
	}
	return KindOf(t.OID)
}

// ArrayOf returns the array type whose elements are of type e, and false
// when there is none.
func ArrayOf(e Type) (Type, bool) {
	if IsEnum(e) {
		return e.Enum.ArrayType(), true
	}
	a, ok := elemArrays[e.OID]
	return Type{OID: a, Mod: e.Mod}, ok
}

// ArrayOID returns the OID of the array type of element type o, or 0.
func ArrayOID(o OID) OID { return elemArrays[o] }

// NewArray returns an array of elems (which it does not keep).
func NewArray(elems []Value) Value {
	return Value{K: KindArray, I: int64(len(elems)), S: string(EncodeRow(nil, elems))}
}

// ArrayLen returns the length of the first dimension of a KindArray value
// (the element count of a one-dimensional array; 0 for the empty array).
func (v Value) ArrayLen() int { return int(v.I) }

// ArrayElems decodes the elements of a KindArray value into dst[:0]; those
// of a multidimensional array in row-major order, as unnest and = ANY see
// them.
func ArrayElems(v Value, dst []Value) ([]Value, error) {
	if v.K != KindArray {
		return dst[:0], pgerr.New(pgerr.InternalError, "value of kind %d is not an array", v.K)
	}
	top, err := DecodeRow([]byte(v.S), dst)
	if err != nil || len(top) == 0 || top[0].K != KindArray {
		return top, err
	}
	return flattenInto(nil, v), nil
}

// arrayElemsOrNil decodes the top level for output paths where the value
// was built by NewArray (decoding cannot fail).
func arrayElemsOrNil(v Value) []Value { return arrayTop(v) }

func isVector(o OID) bool { return o == OIDInt2Vector || o == OIDOIDVector }

// appendArrayText is array_out (and int2vectorout / oidvectorout).
func appendArrayText(buf []byte, v Value, t Type, loc *time.Location) []byte {
	if t.OID == OIDRecord {
		return appendRecordText(buf, v, t, loc)
	}
	et := ElemType(t)
	elems := arrayElemsOrNil(v)
	if isVector(t.OID) {
		for i, e := range elems {
			if i > 0 {
				buf = append(buf, ' ')
			}
			buf = AppendText(buf, e, et, loc)
		}
		return buf
	}
	buf = append(buf, '{')
	for i, e := range elems {
		if i > 0 {
			buf = append(buf, ',')
		}
		if e.K == KindArray {
			buf = appendArrayText(buf, e, t, loc) // a sub-array
			continue
		}
		if e.IsNull() {
			buf = append(buf, "NULL"...)
			continue
		}
		s := AppendText(nil, e, et, loc)
		if !arrayNeedsQuote(s) {
			buf = append(buf, s...)
			continue
		}
		buf = append(buf, '"')
		for _, c := range s {
			if c == '"' || c == '\\' {
				buf = append(buf, '\\')
			}
			buf = append(buf, c)
		}
		buf = append(buf, '"')
	}
	return append(buf, '}')
}

// arrayNeedsQuote is array_out's rule: empty strings, "NULL" in any case,
// and strings holding braces, quotes, backslashes, the delimiter or
// whitespace are double-quoted.
func arrayNeedsQuote(s []byte) bool {
	if len(s) == 0 || strings.EqualFold(string(s), "NULL") {
		return true
	}
	for _, c := range s {
		switch c {
		case '{', '}', '"', '\\', ',', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}

func malformedArray(s, detail string) error {
	return pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: \"%s\"", s).WithDetail("%s", detail)
}

// parseArrayText is array_in (int2vectorin / oidvectorin for the vector
// types): nested braces give a multidimensional array whose sub-arrays must
// have matching dimensions.
func parseArrayText(t Type, s string, loc *time.Location) (Value, error) {
	et := ElemType(t)
	if isVector(t.OID) {
		var elems []Value
		for _, f := range strings.Fields(s) {
			e, err := ParseText(et, f, loc)
			if err != nil {
				return Null, err
			}
			elems = append(elems, e)
		}
		return NewArray(elems), nil
	}
	p := strings.TrimLeft(s, " \t\n\r\v\f")
	var lower, upper []int64 // explicit dimensions: [lo:hi]…=
	for strings.HasPrefix(p, "[") {
		lo, hi, rest, err := readArrayDim(s, p[1:])
		if err != nil {
			return Null, err
		}
		lower, upper = append(lower, lo), append(upper, hi)
		p = strings.TrimLeft(rest, " \t\n\r\v\f")
	}
	if len(lower) > 0 {
		if !strings.HasPrefix(p, "=") {
			return Null, malformedArray(s, `Missing "=" after array dimensions.`)
		}
		p = strings.TrimLeft(p[1:], " \t\n\r\v\f")
	}
	if !strings.HasPrefix(p, "{") {
		return Null, malformedArray(s, `Array value must start with "{" or dimension information.`)
	}
	ap := arrayParser{src: s, p: p, et: et, loc: loc}
	v, dims, err := ap.level(0)
	if err != nil {
		return Null, err
	}
	if rest := strings.TrimLeft(ap.p, " \t\n\r\v\f"); rest != "" {
		return Null, malformedArray(s, "Junk after closing right brace.")
	}
	if len(lower) > 0 {
		if len(dims) != len(lower) {
			return Null, malformedArray(s, "Specified array dimensions do not match array contents.")
		}
		for i := range dims {
			if upper[i]-lower[i]+1 != int64(dims[i]) {
				return Null, malformedArray(s, "Specified array dimensions do not match array contents.")
			}
		}
		for _, lo := range lower {
			if lo != 1 {
				return Null, pgerr.NotSupported("arrays with a lower bound other than 1 are not supported")
			}
		}
	}
	return v, nil
}

// readArrayDim reads one "lo:hi]" or "hi]" of an array literal's
// dimensions (after its '['), as PostgreSQL's ReadArrayDimensions.
func readArrayDim(src, p string) (lo, hi int64, rest string, err error) {
	num := func(p string) (int64, string, bool) {
		p = strings.TrimLeft(p, " \t\n\r\v\f")
		i := 0
		if i < len(p) && (p[i] == '-' || p[i] == '+') {
			i++
		}
		j := i
		for j < len(p) && p[j] >= '0' && p[j] <= '9' {
			j++
		}
		if j == i {
			return 0, p, false
		}
		n, err := strconv.ParseInt(p[:j], 10, 32)
		if err != nil {
			return 0, p, false
		}
		return n, strings.TrimLeft(p[j:], " \t\n\r\v\f"), true
	}
	missing := malformedArray(src, "Missing array dimension value.")
	hi, p, ok := num(p)
	if !ok {
		return 0, 0, "", missing
	}
	lo = 1
	if strings.HasPrefix(p, ":") {
		lo = hi
		if hi, p, ok = num(p[1:]); !ok {
			return 0, 0, "", missing
		}
	}
	if !strings.HasPrefix(p, "]") {
		return 0, 0, "", malformedArray(src, `Missing "]" after array dimensions.`)
	}
	if hi < lo {
		return 0, 0, "", pgerr.New(codeArraySubscriptError, "upper bound cannot be less than lower bound")
	}
	return lo, hi, p[1:], nil
}

type arrayParser struct {
	src string // the whole literal, for messages
	p   string // what is left
	et  Type
	loc *time.Location
}

func (ap *arrayParser) skipSpace() { ap.p = strings.TrimLeft(ap.p, " \t\n\r\v\f") }

// level parses one brace level starting at '{' and returns it with its
// dimensions (nil when it holds nothing).
func (ap *arrayParser) level(depth int) (Value, []int, error) {
	if depth >= maxDim {
		return Null, nil, pgerr.New(pgerr.ProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (%d)", depth+1, maxDim)
	}
	ap.p = ap.p[1:] // '{'
	ap.skipSpace()
	if ap.p == "" {
		return Null, nil, malformedArray(ap.src, "Unexpected end of input.")
	}
	if ap.p[0] == '}' {
		if depth > 0 {
			return Null, nil, malformedArray(ap.src, `Unexpected "}" character.`) // {{}}
		}
		ap.p = ap.p[1:]
		return NewArray(nil), nil, nil
	}
	if ap.p[0] == '{' {
		// A level of sub-arrays.
		var subs []Value
		var dims []int
		for {
			ap.skipSpace()
			if ap.p == "" {
				return Null, nil, malformedArray(ap.src, "Unexpected end of input.")
			}
			if ap.p[0] != '{' {
				return Null, nil, malformedArray(ap.src, "Unexpected array element.")
			}
			sub, d, err := ap.level(depth + 1)
			if err != nil {
				return Null, nil, err
			}
			if len(subs) > 0 && !sameDims(d, dims) {
				return Null, nil, malformedArray(ap.src, "Multidimensional arrays must have sub-arrays with matching dimensions.")
			}
			subs, dims = append(subs, sub), d
			ap.skipSpace()
			if ap.p == "" {
				return Null, nil, malformedArray(ap.src, "Unexpected end of input.")
			}
			switch ap.p[0] {
			case ',':
				ap.p = ap.p[1:]
				continue
			case '}':
				ap.p = ap.p[1:]
			default:
				return Null, nil, malformedArray(ap.src, "Unexpected array element.")
			}
			break
		}
		return NewArray(subs), append([]int{len(subs)}, dims...), nil
	}
	var elems []Value
	for {
		ap.skipSpace()
		if ap.p == "" {
			return Null, nil, malformedArray(ap.src, "Unexpected end of input.")
		}
		switch ap.p[0] {
		case '{':
			return Null, nil, malformedArray(ap.src, `Unexpected "{" character.`)
		case ',':
			return Null, nil, malformedArray(ap.src, `Unexpected "," character.`)
		case '}':
			return Null, nil, malformedArray(ap.src, `Unexpected "}" character.`)
		}
		e, err := ap.element()
		if err != nil {
			return Null, nil, err
		}
		elems = append(elems, e)
		ap.skipSpace()
		if ap.p == "" {
			return Null, nil, malformedArray(ap.src, "Unexpected end of input.")
		}
		switch ap.p[0] {
		case ',':
			ap.p = ap.p[1:]
		case '}':
			ap.p = ap.p[1:]
			return NewArray(elems), []int{len(elems)}, nil
		default:
			return Null, nil, malformedArray(ap.src, `Unexpected array element.`)
		}
	}
}

// element parses one element (quoted or not) up to the delimiter or brace
// that ends it.
func (ap *arrayParser) element() (Value, error) {
	p, s := ap.p, ap.src
	var raw []byte
	quoted := false
	hadQuote := false
	i := 0
	for ; i < len(p); i++ {
		c := p[i]
		if c == '\\' {
			if i+1 >= len(p) {
				return Null, malformedArray(s, "Unexpected end of input.")
			}
			i++
			raw = append(raw, p[i])
			continue
		}
		if c == '"' {
			// A quote may open an element and close it; nothing but
			// whitespace may follow the closing one.
			if !quoted && (hadQuote || len(raw) > 0) {
				return Null, malformedArray(s, "Incorrectly quoted array element.")
			}
			quoted = !quoted
			hadQuote = true
			continue
		}
		if hadQuote && !quoted && !isSpace(c) && c != ',' && c != '}' {
			return Null, malformedArray(s, "Incorrectly quoted array element.")
		}
		if !quoted && (c == ',' || c == '}') {
			break
		}
		if !quoted && c == '{' {
			return Null, malformedArray(s, `Unexpected "{" character.`)
		}
		raw = append(raw, c)
	}
	if quoted {
		return Null, malformedArray(s, "Unexpected end of input.")
	}
	ap.p = p[i:]
	str := string(raw)
	if !hadQuote {
		str = strings.TrimRight(str, " \t\n\r\v\f")
	}
	if !hadQuote && strings.EqualFold(str, "NULL") {
		return Null, nil
	}
	return ParseText(ap.et, str, ap.loc)
}

// appendArrayBinary is array_send: ndim, has-null flag, element OID, then
// per dimension its length and lower bound, then each element as a length
// (-1 for NULL) and its binary form.
func appendArrayBinary(buf []byte, v Value, t Type) ([]byte, error) {
	et := ElemType(t)
	elems, _ := ArrayElems(v, nil)
	dims := ArrayDims(v)
	lbound := uint32(1)
	if isVector(t.OID) {
		lbound = 0 // int2vector/oidvector are zero-based, even when empty
		dims = []int{len(elems)}
	}
	hasNull := uint32(0)
	for _, e := range elems {
		if e.IsNull() {
			hasNull = 1
		}
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(dims)))
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, uint32(et.OID))
	for _, d := range dims {
		buf = binary.BigEndian.AppendUint32(buf, uint32(d))
		buf = binary.BigEndian.AppendUint32(buf, lbound)
	}
	for _, e := range elems {
		if e.IsNull() {
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		if buf, err = AppendBinary(buf, e, et); err != nil {
			return buf, err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}

// parseArrayBinary is array_recv.
func parseArrayBinary(t Type, b []byte) (Value, error) {
	et := ElemType(t)
	u32 := func() (uint32, error) {
		if len(b) < 4 {
			return 0, badBinary("insufficient data left in message")
		}
		x := binary.BigEndian.Uint32(b)
		b = b[4:]
		return x, nil
	}
	ndim, err := u32()
	if err != nil {
		return Null, err
	}
	flags, err := u32()
	if err != nil {
		return Null, err
	}
	eo, err := u32()
	if err != nil {
		return Null, err
	}
	if flags > 1 {
		return Null, badBinary("invalid array flags")
	}
	if OID(eo) != et.OID {
		return Null, pgerr.New(pgerr.DatatypeMismatch, "binary data has array element type %d (%s) instead of expected %d (%s)",
			eo, TypeName(Type{OID: OID(eo), Mod: -1}), et.OID, TypeName(Type{OID: et.OID, Mod: -1}))
	}
	if ndim == 0 {
		if len(b) != 0 {
			return Null, badBinary("incorrect binary data format")
		}
		return NewArray(nil), nil
	}
	if ndim > maxDim {
		return Null, pgerr.New(pgerr.ProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (%d)", ndim, maxDim)
	}
	if ndim > 1 && isVector(t.OID) {
		return Null, badBinary("invalid number of dimensions")
	}
	dims := make([]int, ndim)
	n := uint64(1)
	for d := range dims {
		l, err := u32()
		if err != nil {
			return Null, err
		}
		lb, err := u32()
		if err != nil {
			return Null, err
		}
		if lb != 1 && !(lb == 0 && isVector(t.OID)) {
			return Null, pgerr.NotSupported("arrays with a lower bound other than 1 are not supported")
		}
		dims[d] = int(l)
		if n *= uint64(l); n > 1<<27 {
			return Null, pgerr.New(pgerr.ProgramLimitExceeded, "array size exceeds the maximum allowed (134217727)")
		}
	}
	if n*4 > uint64(len(b)) {
		return Null, badBinary("insufficient data left in message")
	}
	elems := make([]Value, 0, n)
	for i := uint64(0); i < n; i++ {
		l, err := u32()
		if err != nil {
			return Null, err
		}
		if l == 0xffffffff {
			elems = append(elems, Null)
			continue
		}
		if uint64(l) > uint64(len(b)) {
			return Null, badBinary("insufficient data left in message")
		}
		e, err := ParseBinary(et, b[:l])
		if err != nil {
			return Null, err
		}
		b = b[l:]
		elems = append(elems, e)
	}
	if len(b) != 0 {
		return Null, badBinary("incorrect binary data format")
	}
	return NewArrayDims(elems, dims), nil
}

// compareArrays is array_cmp: element by element in row-major order (NULL
// elements sort after all others), then the array with fewer elements
// first, then fewer dimensions, then dimension by dimension.
func compareArrays(a, b Value) int {
	ea, _ := ArrayElems(a, nil)
	eb, _ := ArrayElems(b, nil)
	for i := 0; i < len(ea) && i < len(eb); i++ {
		if c := Compare(ea[i], eb[i]); c != 0 {
			return c
		}
	}
	if c := cmpInt(int64(len(ea)), int64(len(eb))); c != 0 {
		return c
	}
	da, db := ArrayDims(a), ArrayDims(b)
	if c := cmpInt(int64(len(da)), int64(len(db))); c != 0 {
		return c
	}
	for i := range da {
		if c := cmpInt(int64(da[i]), int64(db[i])); c != 0 {
			return c
		}
	}
	return 0
}

func hashArray(v Value) uint64 {
	var buf [8]byte
	h := uint64(0x51ed270b27ea7d4d)
	elems, _ := ArrayElems(v, nil)
	for _, e := range elems {
		binary.LittleEndian.PutUint64(buf[:], h^Hash(e))
		h = maphash.Bytes(hashSeed, buf[:])
	}
	return h
}

// castArray converts an array elementwise (int2vector → int2[], int2[] →
// int4[], name[] → text[] …), keeping its dimensions.
func castArray(v Value, from, to Type, explicit bool, loc *time.Location) (Value, error) {
	ef, et := ElemType(from), ElemType(to)
	if v.K != KindArray {
		return Null, pgerr.New(pgerr.InternalError, "value of kind %d is not an array", v.K)
	}
	return mapLeaves(v, func(e Value) (Value, error) {
		if e.IsNull() {
			return e, nil
		}
		return Cast(e, ef, et, explicit, loc)
	})
}

// Records. A record value is a KindArray value of its fields. Its type is
// record (OID 2249) with the fields' types in Rec (ROW(…) constructors),
// or — the (x, n) records of information_schema._pg_expandarray — with
// the element type of x in the typmod.

// Record is the field list of an anonymous record type.
type Record struct {
	Fields []Type
}

// RecordOf returns the record type of fields fs (which it keeps).
func RecordOf(fs []Type) Type {
	return Type{OID: OIDRecord, Mod: -1, Rec: &Record{Fields: fs}}
}

func recordFieldTypes(t Type) []Type {
	if t.Rec != nil {
		return t.Rec.Fields
	}
	return []Type{{OID: OID(t.Mod), Mod: -1}, Int4}
}

// appendRecordText is record_out: (f1,f2), fields quoted when empty or
// holding quotes, backslashes, parentheses, commas or whitespace; NULL
// fields are empty.
func appendRecordText(buf []byte, v Value, t Type, loc *time.Location) []byte {
	fts := recordFieldTypes(t)
	buf = append(buf, '(')
	for i, f := range arrayElemsOrNil(v) {
		if i > 0 {
			buf = append(buf, ',')
		}
		if f.IsNull() || i >= len(fts) {
			continue
		}
		s := AppendText(nil, f, fts[i], loc)
		quote := len(s) == 0
		for _, c := range s {
			switch c {
			case '"', '\\', '(', ')', ',', ' ', '\t', '\n', '\r', '\v', '\f':
				quote = true
			}
		}
		if !quote {
			buf = append(buf, s...)
			continue
		}
		buf = append(buf, '"')
		for _, c := range s {
			if c == '"' || c == '\\' {
				buf = append(buf, c)
			}
			buf = append(buf, c)
		}
		buf = append(buf, '"')
	}
	return append(buf, ')')
}

// appendRecordBinary is record_send: the field count, then per field its
// type OID, length (-1 for NULL) and binary form.
func appendRecordBinary(buf []byte, v Value, t Type) ([]byte, error) {
	fts := recordFieldTypes(t)
	fs := arrayElemsOrNil(v)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(fs)))
	for i, f := range fs {
		ft := Int4
		if i < len(fts) {
			ft = fts[i]
		}
		buf = binary.BigEndian.AppendUint32(buf, uint32(ft.OID))
		if f.IsNull() {
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		if buf, err = AppendBinary(buf, f, ft); err != nil {
			return buf, err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}
