package pgcdc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
)

// sessionParams make the source print values exactly as types.ParseText
// reads them (UTC timestamps, ISO dates, shortest-exact floats, hex bytea).
var sessionParams = map[string]string{
	"TimeZone": "UTC", "DateStyle": "ISO, MDY", "IntervalStyle": "postgres",
	"extra_float_digits": "3", "bytea_output": "hex", "application_name": "omendb_cdc",
}

func connConfig(conninfo string, replication bool) (*pgconn.Config, error) {
	cfg, err := pgconn.ParseConfig(conninfo)
	if err != nil {
		return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid CONNECTION string: %v", err)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 10*time.Second {
		cfg.ConnectTimeout = 10 * time.Second
	}
	for k, v := range sessionParams {
		cfg.RuntimeParams[k] = v
	}
	if replication {
		cfg.RuntimeParams["replication"] = "database"
	}
	return cfg, nil
}

func connectRepl(ctx context.Context, conninfo string) (*pgconn.PgConn, error) {
	cfg, err := connConfig(conninfo, true)
	if err != nil {
		return nil, err
	}
	c, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, sourceError("replication connection", err)
	}
	return c, nil
}

func connectSQL(ctx context.Context, conninfo string) (*pgx.Conn, error) {
	pc, err := pgx.ParseConfig(conninfo)
	if err != nil {
		return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid CONNECTION string: %v", err)
	}
	if pc.ConnectTimeout == 0 || pc.ConnectTimeout > 10*time.Second {
		pc.ConnectTimeout = 10 * time.Second
	}
	for k, v := range sessionParams {
		pc.RuntimeParams[k] = v
	}
	c, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, sourceError("connection", err)
	}
	return c, nil
}

// pgTable is a published table as described by the source at CREATE SOURCE.
type pgTable struct {
	pgSchema, pgName string
	def              *catalog.Table
	chunks           int
	chunkPages       int64
	estimate         int64
	// enumCols maps a column of an enum type, or of an array of one
	// (enumArrays), to the enum type's source OID.
	enumCols   map[int]uint32
	enumArrays map[int]bool
}

// rowsPerChunk bounds one snapshot chunk (one OmenDB transaction).
const rowsPerChunk = 20000

// describeSource checks the source and describes the published tables
// CREATE SOURCE replicates, and the enum types their columns use.
func describeSource(ctx context.Context, st *createStmt) ([]*pgTable, []*srcEnum, error) {
	c, err := connectSQL(ctx, st.Conn)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close(context.Background())
	tables, err := describeTables(ctx, c, st)
	if err != nil {
		return nil, nil, err
	}
	var enums []*srcEnum
	seen := map[uint32]bool{}
	for _, t := range tables {
		for _, oid := range t.enumCols {
			if seen[oid] {
				continue
			}
			seen[oid] = true
			e, err := readSourceEnum(ctx, c, oid)
			if err != nil {
				return nil, nil, err
			}
			enums = append(enums, e)
		}
	}
	return tables, enums, nil
}

func describeTables(ctx context.Context, c *pgx.Conn, st *createStmt) ([]*pgTable, error) {
	var walLevel string
	if err := c.QueryRow(ctx, "SHOW wal_level").Scan(&walLevel); err != nil {
		return nil, sourceError("reading wal_level", err)
	}
	if walLevel != "logical" {
		return nil, pgerr.New(pgerr.ObjectNotInPrerequisiteState, "source: wal_level is %q; CDC needs wal_level=logical on the source", walLevel).
			WithHint("ALTER SYSTEM SET wal_level = logical, then restart the source PostgreSQL")
	}
	var pubExists bool
	if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", st.Publication).Scan(&pubExists); err != nil {
		return nil, sourceError("reading publications", err)
	}
	if !pubExists {
		return nil, pgerr.New(pgerr.UndefinedObject, "source: publication %q does not exist", st.Publication).
			WithHint("CREATE PUBLICATION %s FOR TABLE … on the source", st.Publication)
	}
	rows, err := c.Query(ctx, "SELECT schemaname::text, tablename::text FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2", st.Publication)
	if err != nil {
		return nil, sourceError("reading publication tables", err)
	}
	var all [][2]string
	for rows.Next() {
		var s, n string
		if err := rows.Scan(&s, &n); err != nil {
			return nil, sourceError("reading publication tables", err)
		}
		all = append(all, [2]string{s, n})
	}
	if err := rows.Err(); err != nil {
		return nil, sourceError("reading publication tables", err)
	}
	var chosen [][2]string
	if len(st.Tables) == 0 {
		chosen = all
	} else {
		for _, want := range st.Tables {
			found := false
			for _, t := range all {
				if want == t[0]+"."+t[1] || (!strings.Contains(want, ".") && want == t[1]) {
					chosen = append(chosen, t)
					found = true
					break
				}
			}
			if !found {
				return nil, pgerr.New(pgerr.UndefinedTable, "source: table %q is not in publication %q", want, st.Publication)
			}
		}
	}
	if len(chosen) == 0 {
		return nil, pgerr.New(pgerr.ObjectNotInPrerequisiteState, "source: publication %q publishes no tables", st.Publication)
	}
	var out []*pgTable
	for _, t := range chosen {
		pt, err := describeTable(ctx, c, t[0], t[1])
		if err != nil {
			return nil, err
		}
		out = append(out, pt)
	}
	return out, nil
}

func describeTable(ctx context.Context, c *pgx.Conn, schema, name string) (*pgTable, error) {
	qn := pgx.Identifier{schema, name}.Sanitize()
	var relid uint32
	var replIdent string
	var pages, reltuples float64
	err := c.QueryRow(ctx, `SELECT c.oid, c.relreplident::text, pg_relation_size(c.oid) / current_setting('block_size')::int, c.reltuples
		FROM pg_class c WHERE c.oid = $1::regclass`, qn).Scan(&relid, &replIdent, &pages, &reltuples)
	if err != nil {
		return nil, sourceError("describing "+qn, err)
	}
	t := catalog.NewTable(0, schema, name)
	pt := &pgTable{pgSchema: schema, pgName: name, def: t}
	rows, err := c.Query(ctx, `SELECT attname::text, atttypid, atttypmod, attnotnull, `+enumKindSQL+`, `+enumOIDSQL+`, format_type(atttypid, atttypmod)
		FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, relid)
	if err != nil {
		return nil, sourceError("describing "+qn, err)
	}
	for rows.Next() {
		var col string
		var oid uint32
		var mod int32
		var notNull bool
		var enumKind int
		var enumOID uint32
		var typName string
		if err := rows.Scan(&col, &oid, &mod, &notNull, &enumKind, &enumOID, &typName); err != nil {
			return nil, sourceError("describing "+qn, err)
		}
		if enumKind != 0 {
			// The mirror type is made by CREATE SOURCE (newMirror).
			if pt.enumCols == nil {
				pt.enumCols, pt.enumArrays = map[int]uint32{}, map[int]bool{}
			}
			pt.enumCols[len(t.Columns)] = enumOID
			pt.enumArrays[len(t.Columns)] = enumKind == enumArray
		}
		typ, _ := mapType(oid, mod, typeMapCurrent)
		t.Columns = append(t.Columns, catalog.Column{Name: col, Type: typ, NotNull: notNull})
	}
	if err := rows.Err(); err != nil {
		return nil, sourceError("describing "+qn, err)
	}
	// The key: the primary key, or the replica identity index.
	var keyCols []string
	var keyName string
	q := `SELECT i.indexrelid::regclass::text, array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)
		FROM pg_index i WHERE i.indrelid = $1 AND `
	if replIdent == "i" {
		q += "i.indisreplident"
	} else {
		q += "i.indisprimary"
	}
	err = c.QueryRow(ctx, q, relid).Scan(&keyName, &keyCols)
	if err != nil && err != pgx.ErrNoRows {
		return nil, sourceError("describing the key of "+qn, err)
	}
	if len(keyCols) > 0 && replIdent != "f" && replIdent != "n" {
		ix := catalog.Index{Name: name + "_pkey", Unique: true, Primary: true}
		for _, k := range keyCols {
			i := t.ColumnIndex(k)
			if i < 0 {
				return nil, pgerr.New(pgerr.InternalError, "source: key column %q of %s not found", k, qn)
			}
			ix.Columns = append(ix.Columns, i)
			t.Columns[i].NotNull = true
		}
		t.Indexes = append(t.Indexes, ix)
		t.PrimaryKey = 0
	}
	pt.estimate = int64(reltuples)
	if pt.estimate < 0 {
		pt.estimate = 0
	}
	np := int64(pages)
	perPage := 1.0
	if np > 0 && reltuples > 0 {
		perPage = reltuples / float64(np)
	}
	pt.chunkPages = int64(float64(rowsPerChunk) / perPage)
	if pt.chunkPages < 1 {
		pt.chunkPages = 1
	}
	pt.chunks = int((np + pt.chunkPages - 1) / pt.chunkPages)
	if pt.chunks < 1 {
		pt.chunks = 1
	}
	return pt, nil
}

// exported is a freshly created slot whose snapshot is held open by conn
// until the copy using it is done.
type exported struct {
	conn *pgconn.PgConn
	lsn  pglogrepl.LSN
	name string
}

func createSlot(ctx context.Context, conninfo, slot string) (*exported, error) {
	c, err := connectRepl(ctx, conninfo)
	if err != nil {
		return nil, err
	}
	res, err := pglogrepl.CreateReplicationSlot(ctx, c, slot, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{SnapshotAction: "EXPORT_SNAPSHOT", Mode: pglogrepl.LogicalReplication})
	if err != nil {
		c.Close(context.Background())
		return nil, sourceError(fmt.Sprintf("creating replication slot %q", slot), err)
	}
	lsn, err := pglogrepl.ParseLSN(res.ConsistentPoint)
	if err != nil {
		c.Close(context.Background())
		dropSlot(ctx, conninfo, slot)
		return nil, pgerr.New("08P01", "source: bad consistent point %q", res.ConsistentPoint)
	}
	return &exported{conn: c, lsn: lsn, name: res.SnapshotName}, nil
}

// exportResumeSnapshot creates a temporary logical slot (dropped when its
// connection closes) only for its exported snapshot and consistent point:
// the snapshot shows the source exactly as of that LSN, so a table copied
// at it and then fed only the transactions ending after that LSN is exact.
func exportResumeSnapshot(ctx context.Context, conninfo, slot string) (*exported, error) {
	c, err := connectRepl(ctx, conninfo)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%s_r%d", slot, time.Now().UnixNano()%1e9)
	if len(name) > 63 {
		name = name[len(name)-63:]
	}
	res, err := pglogrepl.CreateReplicationSlot(ctx, c, name, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Temporary: true, SnapshotAction: "EXPORT_SNAPSHOT", Mode: pglogrepl.LogicalReplication})
	if err != nil {
		c.Close(context.Background())
		return nil, sourceError(fmt.Sprintf("creating temporary replication slot %q", name), err)
	}
	lsn, err := pglogrepl.ParseLSN(res.ConsistentPoint)
	if err != nil {
		c.Close(context.Background())
		return nil, pgerr.New("08P01", "source: bad consistent point %q", res.ConsistentPoint)
	}
	return &exported{conn: c, lsn: lsn, name: res.SnapshotName}, nil
}

func dropSlot(ctx context.Context, conninfo, slot string) error {
	c, err := connectRepl(ctx, conninfo)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	// The walsender of a stopped source may take a moment to go away.
	var last error
	for i := 0; i < 50; i++ {
		last = pglogrepl.DropReplicationSlot(ctx, c, slot, pglogrepl.DropReplicationSlotOptions{Wait: true})
		if last == nil {
			return nil
		}
		if pe, ok := last.(*pgconn.PgError); ok && pe.Code == "42704" {
			return nil
		}
		select {
		case <-ctx.Done():
			return last
		case <-time.After(100 * time.Millisecond):
		}
	}
	return last
}

// enumKindSQL is, for a pg_attribute row, enumScalar when its type is an
// enum, enumArray when it is an array of one (both replicated through a
// mirror of the enum type, enums.go; arrays only under typeMapArrays: as
// text, labels would go stale on ALTER TYPE … RENAME VALUE and order as
// text), else 0; enumOIDSQL is the enum type's OID (or 0).
const (
	enumKindSQL = `COALESCE((SELECT CASE WHEN t.typtype = 'e' THEN 1 WHEN e.typtype = 'e' THEN 2 ELSE 0 END
	FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem WHERE t.oid = atttypid), 0)`
	enumOIDSQL = `COALESCE((SELECT CASE WHEN t.typtype = 'e' THEN t.oid WHEN e.typtype = 'e' THEN e.oid ELSE 0 END
	FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem WHERE t.oid = atttypid), 0)`
)

const (
	enumScalar = 1
	enumArray  = 2
)

// enumArrayError refuses a column of an array of an enum type in a source
// created before arrays kept their types (typeMapText).
func enumArrayError(table, col, typName string) error {
	return pgerr.NotSupported("source: column %q of %s has the type %s, an array of an enum type, which this source does not replicate", col, table, typName).
		WithDetail("The source was created before OmenDB replicated arrays as arrays; copied as text, its values would not follow ALTER TYPE … RENAME VALUE on the source.").
		WithHint("DROP SOURCE and CREATE it again to replicate the column.")
}
