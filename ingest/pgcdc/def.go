package pgcdc

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql"
	"github.com/omendb/omendb/types"
)

// Meta keys written through the log (OpMeta). The store keeps the newest
// value per key; an empty value means "absent".
const (
	metaSources  = "sources"       // JSON list of source names
	metaDefPfx   = "source:"       // + name → Definition JSON
	metaLSNPfx   = "source-lsn:"   // + name → 8-byte big-endian LSN: end of the last applied source transaction
	metaChunkPfx = "source-chunk:" // + name:tableID:chunk → "1" once the snapshot chunk is committed
	// + name:tableID → 8-byte LSN: the table was (re)copied at a snapshot
	// consistent at this LSN, so streamed transactions ending at or below
	// it are already in its rows (tables without a key resumed after a
	// crash, see source.restartKeyless).
	metaTableFromPfx = "source-table-from:"
)

func tableFromKey(src string, table uint32) string {
	return fmt.Sprintf("%s%s:%d", metaTableFromPfx, src, table)
}

func chunkKey(src string, table uint32, chunk int) string {
	return fmt.Sprintf("%s%s:%d:%d", metaChunkPfx, src, table, chunk)
}

// Definition is a source as stored in the log.
type Definition struct {
	Name        string `json:"name"`
	Conn        string `json:"conn"`
	Publication string `json:"publication"`
	Slot        string `json:"slot"`
	// ConsistentLSN is the slot's consistent point: the snapshot shows the
	// source exactly as of this LSN.
	ConsistentLSN uint64        `json:"consistent_lsn"`
	Tables        []SourceTable `json:"tables"`
	// Enums are the mirrors of the source's enum types (enums.go),
	// rewritten with the definition whenever a mirror follows its type.
	Enums []SourceEnum `json:"enums,omitempty"`
	// TypeMap is how source types map to OmenDB types (mapType):
	// typeMapText for sources created before arrays kept their types,
	// typeMapArrays for those created before inet and cidr kept theirs.
	TypeMap int `json:"type_map,omitempty"`
	// Schemas are the schemas CREATE SOURCE created for its tables and
	// enum mirrors (sourceSchemas): DROP SOURCE drops those it leaves
	// empty. Sources created before had none made (their schemas exist
	// only while something lives in them).
	Schemas []uint32 `json:"schemas,omitempty"`
}

// Type maps (Definition.TypeMap).
const (
	// typeMapText stores arrays as text; arrays of enums are refused.
	typeMapText = 0
	// typeMapArrays keeps arrays of native types and of enums as arrays.
	typeMapArrays = 1
	// typeMapNet keeps inet and cidr (and their arrays) as inet and cidr;
	// before, they were text.
	typeMapNet = 2
	// typeMapCurrent is the map of sources created now.
	typeMapCurrent = typeMapNet
)

// SourceTable maps a published table to its OmenDB table.
type SourceTable struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	ID     uint32 `json:"id"` // OmenDB table ID
	// Chunks of ChunkPages heap pages each (the last chunk is open-ended);
	// each chunk is copied in one OmenDB transaction.
	Chunks     int   `json:"chunks"`
	ChunkPages int64 `json:"chunk_pages"`
	Estimate   int64 `json:"estimate"` // reltuples at creation
}

func encodeLSN(l uint64) []byte { return binary.BigEndian.AppendUint64(nil, l) }

func decodeLSN(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func (d *Definition) encode() []byte { b, _ := json.Marshal(d); return b }

func decodeDefinition(b []byte) (*Definition, error) {
	var d Definition
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("source definition: %v: %w", err, pgerr.ErrCorrupt)
	}
	return &d, nil
}

// createStmt is a parsed CREATE SOURCE.
type createStmt struct {
	Name, Conn, Publication string
	Tables                  []string // "" schema means public
}

var (
	reCreate = regexp.MustCompile(`(?is)^\s*CREATE\s+SOURCE\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)\s+FROM\s+POSTGRES(?:QL)?\s+CONNECTION\s+'((?:[^']|'')*)'\s+PUBLICATION\s+'((?:[^']|'')*)'(?:\s+FOR\s+TABLES\s*\(([^)]*)\))?\s*;?\s*$`)
	reDrop   = regexp.MustCompile(`(?is)^\s*DROP\s+SOURCE\s+(IF\s+EXISTS\s+)?("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)\s*;?\s*$`)
)

func ident(s string) string {
	if strings.HasPrefix(s, `"`) {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return catalog.NormalizeName(s)
}

func parseCreate(sqlText string) (*createStmt, error) {
	m := reCreate.FindStringSubmatch(sql.StripComments(sqlText))
	if m == nil {
		return nil, pgerr.New(pgerr.SyntaxError, "syntax error in CREATE SOURCE").
			WithHint("CREATE SOURCE name FROM POSTGRES CONNECTION 'conninfo' PUBLICATION 'pub' [FOR TABLES (t1, ...)]")
	}
	st := &createStmt{Name: ident(m[1]), Conn: strings.ReplaceAll(m[2], "''", "'"), Publication: strings.ReplaceAll(m[3], "''", "'")}
	if m[4] != "" {
		for _, t := range strings.Split(m[4], ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				return nil, pgerr.New(pgerr.SyntaxError, "empty table name in FOR TABLES")
			}
			parts := strings.SplitN(t, ".", 2)
			for i := range parts {
				parts[i] = ident(strings.TrimSpace(parts[i]))
			}
			st.Tables = append(st.Tables, strings.Join(parts, "."))
		}
	}
	if st.Publication == "" {
		return nil, pgerr.New(pgerr.SyntaxError, "PUBLICATION must not be empty")
	}
	return st, nil
}

// mapType maps a source column type to the OmenDB type its values are
// stored as under type map version (Definition.TypeMap). Types OmenDB has
// natively keep their OID and typmod (the typmod encodings are
// PostgreSQL's), and so do arrays of them with typeMapArrays; every other
// type is deliberately stored as text, exactly as the source prints it
// (native=false). Enum types are mapped by their mirrors (enums.go).
func mapType(oid uint32, mod int32, version int) (t types.Type, native bool) {
	if version >= typeMapArrays && types.IsArray(types.OID(oid)) &&
		types.OID(oid) != types.OIDInt2Vector && types.OID(oid) != types.OIDOIDVector {
		elem := types.ElemType(types.Type{OID: types.OID(oid), Mod: mod})
		if et, native := mapType(uint32(elem.OID), mod, version); native && et.OID == elem.OID {
			return types.Type{OID: types.OID(oid), Mod: mod}, true
		}
		return types.Text, false
	}
	switch types.OID(oid) {
	case types.OIDBool, types.OIDInt2, types.OIDInt4, types.OIDInt8, types.OIDFloat4, types.OIDFloat8,
		types.OIDNumeric, types.OIDText, types.OIDVarchar, types.OIDBPChar, types.OIDBytea, types.OIDDate,
		types.OIDTimestamp, types.OIDTimestampTZ, types.OIDUUID, types.OIDJSON, types.OIDJSONB,
		types.OIDTime, types.OIDInterval:
		return types.Type{OID: types.OID(oid), Mod: mod}, true
	case types.OIDInet, types.OIDCIDR:
		if version >= typeMapNet {
			return types.Type{OID: types.OID(oid), Mod: mod}, true
		}
	case types.OIDName, types.OIDChar:
		return types.Text, true
	}
	return types.Text, false
}
