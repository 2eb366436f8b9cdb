package pgcdc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/types"
)

// Manager runs the sources of one OmenDB server. Its methods may be called
// from any goroutine; mu guards the sources map (never held while talking
// to a source or committing).
type Manager struct {
	eng    *sql.Engine
	store  *oltp.Store
	commit *oltp.Committer
	logger *slog.Logger

	// ddlMu serialises catalog-changing commits of CREATE/DROP SOURCE and
	// the sources list.
	ddlMu   sync.Mutex
	mu      sync.Mutex
	sources map[string]*source
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

var (
	regOnce  sync.Once
	mgrMu    sync.Mutex
	managers = map[*sql.Engine]*Manager{}
	lastMgr  *Manager
)

// NewManager returns a manager for the engine's store and committer and
// registers the CREATE SOURCE / DROP SOURCE / SHOW SOURCES statements.
func NewManager(eng *sql.Engine, logger *slog.Logger) *Manager {
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{eng: eng, store: eng.Store, commit: eng.Committer, logger: logger.With("component", "pgcdc"),
		sources: map[string]*source{}, ctx: ctx, cancel: cancel}
	mgrMu.Lock()
	managers[eng] = m
	lastMgr = m
	mgrMu.Unlock()
	regOnce.Do(register)
	return m
}

func managerOf(e *sql.Engine) (*Manager, error) {
	mgrMu.Lock()
	defer mgrMu.Unlock()
	m := managers[e]
	if m == nil {
		return nil, pgerr.NotSupported("sources are not enabled on this server")
	}
	return m, nil
}

func register() {
	sql.RegisterExtension(sql.Extension{Name: "CREATE SOURCE", Keywords: []string{"CREATE", "SOURCE"},
		Exec: func(ctx context.Context, e *sql.Engine, text string) (*sql.ExtResult, error) {
			m, err := managerOf(e)
			if err != nil {
				return nil, err
			}
			st, err := parseCreate(text)
			if err != nil {
				return nil, err
			}
			if err := m.Create(ctx, st); err != nil {
				return nil, err
			}
			return &sql.ExtResult{Tag: "CREATE SOURCE"}, nil
		}})
	sql.RegisterExtension(sql.Extension{Name: "DROP SOURCE", Keywords: []string{"DROP", "SOURCE"},
		Exec: func(ctx context.Context, e *sql.Engine, text string) (*sql.ExtResult, error) {
			m, err := managerOf(e)
			if err != nil {
				return nil, err
			}
			mm := reDrop.FindStringSubmatch(sql.StripComments(text))
			if mm == nil {
				return nil, pgerr.New(pgerr.SyntaxError, "syntax error in DROP SOURCE").WithHint("DROP SOURCE [IF EXISTS] name")
			}
			if err := m.Drop(ctx, ident(mm[2]), mm[1] != ""); err != nil {
				return nil, err
			}
			return &sql.ExtResult{Tag: "DROP SOURCE"}, nil
		}})
	sql.RegisterExtension(sql.Extension{Name: "SHOW SOURCES", Keywords: []string{"SHOW", "SOURCES"},
		Exec: func(ctx context.Context, e *sql.Engine, text string) (*sql.ExtResult, error) {
			m, err := managerOf(e)
			if err != nil {
				return nil, err
			}
			cols, rows := m.sourceRows()
			return &sql.ExtResult{Columns: cols, Rows: rows, Tag: fmt.Sprintf("SHOW %d", len(rows))}, nil
		}})
	sql.RegisterExtension(sql.Extension{Name: "SHOW SOURCE TABLES", Keywords: []string{"SHOW", "SOURCE", "TABLES"},
		Exec: func(ctx context.Context, e *sql.Engine, text string) (*sql.ExtResult, error) {
			m, err := managerOf(e)
			if err != nil {
				return nil, err
			}
			cols, rows := m.tableRows()
			return &sql.ExtResult{Columns: cols, Rows: rows, Tag: fmt.Sprintf("SHOW %d", len(rows))}, nil
		}})
	registerViews()
}

// Start resumes every source defined in the log. Call it once recovery is
// done (the store reflects the whole log).
func (m *Manager) Start() {
	for _, name := range m.names() {
		b := m.store.Meta(metaDefPfx + name)
		if len(b) == 0 {
			continue
		}
		def, err := decodeDefinition(b)
		if err != nil {
			m.logger.Error("source definition unreadable", "source", name, "err", err)
			continue
		}
		m.launch(def, nil)
	}
}

// Close stops all sources (their slots stay; they resume on the next start).
func (m *Manager) Close() {
	m.cancel()
	m.wg.Wait()
	mgrMu.Lock()
	delete(managers, m.eng)
	if lastMgr == m {
		lastMgr = nil
	}
	mgrMu.Unlock()
}

func (m *Manager) names() []string {
	var names []string
	if b := m.store.Meta(metaSources); len(b) > 0 {
		_ = json.Unmarshal(b, &names)
	}
	return names
}

func (m *Manager) launch(def *Definition, snap *exported) *source {
	s := newSource(m, def)
	ctx, cancel := context.WithCancel(m.ctx)
	s.cancel = cancel
	m.mu.Lock()
	m.sources[def.Name] = s
	m.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer cancel()
		s.run(ctx, snap)
	}()
	return s
}

// commitWrites commits w, retrying serialization failures (the source is
// the only writer of its tables, so they should not happen).
func (m *Manager) commitWrites(ctx context.Context, build func(snap uint64) (*oltp.Writes, error)) error {
	return m.commitWritesTimed(ctx, build, nil)
}

// commitWritesTimed is commitWrites that, with sealed, sets it to when the
// committer had validated the write set and sealed it into a batch (its
// log append began).
func (m *Manager) commitWritesTimed(ctx context.Context, build func(snap uint64) (*oltp.Writes, error), sealed *time.Time) error {
	var opts oltp.CommitOptions
	if sealed != nil {
		opts.Placed = func(*oltp.Batch) { *sealed = time.Now() }
	}
	for attempt := 0; ; attempt++ {
		snap := m.store.Applied()
		w, err := build(uint64(snap))
		if err != nil {
			return err
		}
		_, err = m.commit.CommitWith(ctx, w, snap, opts)
		if err == nil || !oltp.IsConflict(err) || attempt >= 20 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
}

// Create runs CREATE SOURCE: it checks the source, creates the slot with an
// exported snapshot, commits the definition and the tables, and starts
// copying. Errors about the source are returned to the client.
func (m *Manager) Create(ctx context.Context, st *createStmt) error {
	m.ddlMu.Lock()
	defer m.ddlMu.Unlock()
	if len(m.store.Meta(metaDefPfx+st.Name)) > 0 {
		return pgerr.New(pgerr.DuplicateObject, "source %q already exists", st.Name)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tables, enums, err := describeSource(cctx, st)
	if err != nil {
		return err
	}
	cat := m.store.Catalog()
	for _, t := range tables {
		if _, ok := cat.Lookup(t.def.Schema, t.def.Name); ok {
			return pgerr.New(pgerr.DuplicateTable, "relation %q already exists in OmenDB; the source's table of that name cannot be created", t.def.Schema+"."+t.def.Name)
		}
	}
	for _, e := range enums {
		_, isType := cat.LookupEnumType(e.schema, e.name)
		_, isTable := cat.Lookup(e.schema, e.name)
		_, isView := cat.LookupView(e.schema, e.name)
		if isType || isTable || isView {
			return pgerr.New(pgerr.DuplicateObject, "type %q already exists in OmenDB; the source's enum type of that name cannot be created", e.schema+"."+e.name)
		}
	}
	def := &Definition{Name: st.Name, Conn: st.Conn, Publication: st.Publication, Slot: slotName(st.Name), TypeMap: typeMapCurrent}
	snap, err := createSlot(cctx, st.Conn, def.Slot)
	if err != nil {
		return err
	}
	def.ConsistentLSN = uint64(snap.lsn)
	// Mirrors of the enum types, and the columns that use them.
	var mirrors []*catalog.EnumType
	byOID := map[uint32]*catalog.EnumType{}
	for _, e := range enums {
		mt, se := newMirror(e, st.Name, m.store.NewID)
		mirrors = append(mirrors, mt)
		byOID[e.oid] = mt
		def.Enums = append(def.Enums, se)
	}
	for _, t := range tables {
		for ci, oid := range t.enumCols {
			if t.enumArrays[ci] {
				t.def.Columns[ci].Type = byOID[oid].ArrayColumnType()
			} else {
				t.def.Columns[ci].Type = byOID[oid].ColumnType()
			}
		}
	}
	ok := false
	defer func() {
		if !ok {
			snap.conn.Close(context.Background())
			dropSlot(context.Background(), st.Conn, def.Slot)
		}
	}()
	for _, t := range tables {
		t.def.ID = m.store.NewID()
		for i := range t.def.Indexes {
			t.def.Indexes[i].ID = m.store.NewID()
		}
		t.def.ReadOnly = "replicated from source " + st.Name
		def.Tables = append(def.Tables, SourceTable{Schema: t.pgSchema, Name: t.pgName, ID: t.def.ID,
			Chunks: t.chunks, ChunkPages: t.chunkPages, Estimate: t.estimate})
	}
	var inSchemas []string
	for _, e := range mirrors {
		inSchemas = append(inSchemas, e.Schema)
	}
	for _, t := range tables {
		inSchemas = append(inSchemas, t.def.Schema)
	}
	schemas := sourceSchemas(m.store.Catalog(), inSchemas, m.store.NewID)
	for _, sc := range schemas {
		def.Schemas = append(def.Schemas, sc.ID)
	}
	names := append(m.names(), st.Name)
	nb, _ := json.Marshal(names)
	err = m.commitWrites(ctx, func(uint64) (*oltp.Writes, error) {
		w := oltp.NewWrites()
		for _, sc := range schemas {
			w.DDL(&catalog.Change{Kind: catalog.CreateSchema, ID: sc.ID, Schema: sc})
		}
		for _, e := range mirrors {
			w.DDL(&catalog.Change{Kind: catalog.CreateType, ID: e.ID, Enum: e})
		}
		for _, t := range tables {
			w.DDL(&catalog.Change{Kind: catalog.CreateTable, Table: t.def})
		}
		w.SetMeta(metaDefPfx+st.Name, def.encode())
		w.SetMeta(metaLSNPfx+st.Name, encodeLSN(def.ConsistentLSN))
		w.SetMeta(metaSources, nb)
		return w, nil
	})
	if err != nil {
		return err
	}
	ok = true
	m.launch(def, snap)
	return nil
}

// Drop runs DROP SOURCE: stop replicating, drop the slot, drop the tables.
func (m *Manager) Drop(ctx context.Context, name string, ifExists bool) error {
	m.ddlMu.Lock()
	defer m.ddlMu.Unlock()
	b := m.store.Meta(metaDefPfx + name)
	if len(b) == 0 {
		if ifExists {
			return nil
		}
		return pgerr.New(pgerr.UndefinedObject, "source %q does not exist", name)
	}
	def, err := decodeDefinition(b)
	if err != nil {
		return err
	}
	m.mu.Lock()
	s := m.sources[name]
	delete(m.sources, name)
	m.mu.Unlock()
	if s != nil {
		s.stop()
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	slotErr := dropSlot(dctx, def.Conn, def.Slot)
	cancel()
	var names []string
	for _, n := range m.names() {
		if n != name {
			names = append(names, n)
		}
	}
	nb, _ := json.Marshal(names)
	err = m.commitWrites(ctx, func(uint64) (*oltp.Writes, error) {
		w := oltp.NewWrites()
		cat := m.store.Catalog()
		dropped := map[uint32]bool{} // tables and enum types
		for _, t := range def.Tables {
			if _, ok := cat.Table(t.ID); ok {
				w.DDL(&catalog.Change{Kind: catalog.DropTable, ID: t.ID})
				dropped[t.ID] = true
			}
		}
		// The enum mirrors go with the tables, unless an OmenDB table of
		// its own still uses one (then it stays, no longer read-only).
		for _, se := range def.Enums {
			e, ok := cat.EnumType(se.ID)
			if !ok {
				continue
			}
			used := false
			for _, u := range cat.EnumUsers(se.ID) {
				used = used || !dropped[u.ID]
			}
			for _, v := range cat.Views() {
				for _, c := range v.Columns {
					used = used || c.Type.Enum != nil && uint32(c.Type.Enum.OID) == se.ID
				}
			}
			if used {
				e = e.Clone()
				e.ReadOnly = ""
				w.DDL(&catalog.Change{Kind: catalog.AlterType, ID: e.ID, Enum: e})
			} else {
				w.DDL(&catalog.Change{Kind: catalog.DropType, ID: se.ID})
				dropped[se.ID] = true
			}
		}
		for _, id := range def.Schemas {
			if sc, ok := schemaByID(cat, id); ok && !schemaHoldsOthers(cat, sc.Name, dropped) {
				w.DDL(&catalog.Change{Kind: catalog.DropSchema, ID: id})
			}
		}
		w.SetMeta(metaDefPfx+name, nil)
		w.SetMeta(metaLSNPfx+name, nil)
		w.SetMeta(metaSources, nb)
		return w, nil
	})
	if err != nil {
		return err
	}
	if slotErr != nil {
		m.logger.Warn("dropping the replication slot failed; drop it on the source by hand", "source", name, "slot", def.Slot, "err", slotErr)
	}
	return nil
}

func slotName(src string) string {
	var b strings.Builder
	b.WriteString("omendb_")
	for _, r := range strings.ToLower(src) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// Status is a snapshot of one source's state for status views.
type Status struct {
	Name, State, LastError  string
	ConfirmedLSN, WALEnd    uint64
	LagBytes                int64
	LagMillis               int64
	RowsCopied, RowsTotal   int64
	Tables                  []TableStatus
	TxnsApplied, RowsStream int64
}

// TableStatus is one replicated table's state.
type TableStatus struct {
	Source, Schema, Name   string
	State, LastError       string
	RowsCopied, Estimate   int64
	ChunksDone, ChunksTodo int
}

// Statuses returns every running source's status, by name.
func (m *Manager) Statuses() []Status {
	m.mu.Lock()
	srcs := make([]*source, 0, len(m.sources))
	for _, s := range m.sources {
		srcs = append(srcs, s)
	}
	m.mu.Unlock()
	out := make([]Status, 0, len(srcs))
	for _, s := range srcs {
		out = append(out, s.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Status returns one source's status.
func (m *Manager) Status(name string) (Status, bool) {
	m.mu.Lock()
	s := m.sources[name]
	m.mu.Unlock()
	if s == nil {
		return Status{}, false
	}
	return s.status(), true
}

var sourceCols = []pgwire.Column{
	{Name: "name", Type: types.Text}, {Name: "state", Type: types.Text},
	{Name: "rows_copied", Type: types.Int8}, {Name: "rows_estimated", Type: types.Int8},
	{Name: "confirmed_lsn", Type: types.Text}, {Name: "lag_bytes", Type: types.Int8},
	{Name: "lag_ms", Type: types.Int8}, {Name: "txns_applied", Type: types.Int8},
	{Name: "last_error", Type: types.Text},
}

var tableCols = []pgwire.Column{
	{Name: "source", Type: types.Text}, {Name: "schema", Type: types.Text}, {Name: "name", Type: types.Text},
	{Name: "state", Type: types.Text}, {Name: "rows_copied", Type: types.Int8},
	{Name: "rows_estimated", Type: types.Int8}, {Name: "chunks_done", Type: types.Int8},
	{Name: "chunks_total", Type: types.Int8}, {Name: "last_error", Type: types.Text},
}

func textOrNull(s string) types.Value {
	if s == "" {
		return types.Null
	}
	return types.NewText(s)
}

func lsnText(l uint64) string { return fmt.Sprintf("%X/%X", uint32(l>>32), uint32(l)) }

func (m *Manager) sourceRows() ([]pgwire.Column, [][]types.Value) {
	var rows [][]types.Value
	for _, st := range m.Statuses() {
		rows = append(rows, []types.Value{types.NewText(st.Name), types.NewText(st.State),
			types.NewInt(st.RowsCopied), types.NewInt(st.RowsTotal), types.NewText(lsnText(st.ConfirmedLSN)),
			types.NewInt(st.LagBytes), types.NewInt(st.LagMillis), types.NewInt(st.TxnsApplied), textOrNull(st.LastError)})
	}
	return sourceCols, rows
}

func (m *Manager) tableRows() ([]pgwire.Column, [][]types.Value) {
	var rows [][]types.Value
	for _, st := range m.Statuses() {
		for _, t := range st.Tables {
			rows = append(rows, []types.Value{types.NewText(t.Source), types.NewText(t.Schema), types.NewText(t.Name),
				types.NewText(t.State), types.NewInt(t.RowsCopied), types.NewInt(t.Estimate),
				types.NewInt(int64(t.ChunksDone)), types.NewInt(int64(t.ChunksDone + t.ChunksTodo)), textOrNull(t.LastError)})
		}
	}
	return tableCols, rows
}

// sourceError turns a connection or protocol error from the source into a
// client-facing error with a SQLSTATE.
func sourceError(what string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		code := pe.Code
		switch {
		case code == "28P01" || code == "28000":
			code = "28000"
		case strings.HasPrefix(code, "42"), strings.HasPrefix(code, "55"), strings.HasPrefix(code, "53"), code == "3D000":
		default:
			code = "08006"
		}
		return pgerr.New(code, "source: %s: %s", what, pe.Message)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.Is(err, context.DeadlineExceeded) {
		return pgerr.New("08001", "source: %s: could not connect: %v", what, err)
	}
	if e, ok := err.(*pgerr.Error); ok {
		return e
	}
	return pgerr.New("08006", "source: %s: %v", what, err)
}
