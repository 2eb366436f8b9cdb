package types

// Values of the reg* types (regclass, regnamespace, regproc) are OIDs
// (KindInt, I) that may carry in S the name their output function prints:
// the binder resolves it from the catalog when it builds the value
// ('t'::regclass, oid::regclass), since the output functions here cannot
// look the catalog up. Without a name the OID prints as a number, as
// PostgreSQL prints an OID that names nothing. Comparison, hashing and the
// binary form use the OID only; the row encoding keeps only the OID.

// NewRegName returns a reg* value with the name it prints.
func NewRegName(oid uint32, name string) Value { return Value{K: KindInt, I: int64(oid), S: name} }
