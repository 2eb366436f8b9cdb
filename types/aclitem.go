package types

// aclitem is PostgreSQL's access-privilege item ("role=arwdDxt/grantor").
// OmenDB has one role and no GRANT, so catalogs show default privileges
// (NULL ACLs); the type exists so that clients selecting relacl, nspacl or
// datacl, or casting them to text, work. Its values are text (KindText)
// and its input accepts any text.
const (
	OIDAclItem      OID = 1033
	OIDAclItemArray OID = 1034
)

// AclItemArray is aclitem[], the type of the ACL columns.
var AclItemArray = Type{OID: OIDAclItemArray, Mod: -1}
