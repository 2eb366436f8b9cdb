package sql

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Session is one client connection's SQL state. pgwire calls it from the
// connection's goroutine; only Cancel may be called concurrently.
type Session struct {
	eng *Engine
	pid int32
	// plDepth counts the PL/pgSQL function calls running (plfunc.go);
	// plStmts are their statements, prepared once (dovars.go, prepare).
	plDepth int
	plStmts map[plStmtKey]*plPrepared
	// tempSchema is the schema of the session's temporary tables ("" until
	// the first one, temp.go).
	tempSchema string
	settings   map[string]string
	// path is the search path, parsed from pathSetting for pathUser
	// (SearchPath).
	path                  []string
	pathSetting, pathUser string
	// notify is the session's LISTEN / NOTIFY state (notify.go).
	notify notifyState
	// notices are the NOTICEs and WARNINGs raised and not yet sent
	// (notice.go); the session's goroutine only.
	notices []*pgerr.Error
	// cursors are the session's SQL cursors by name (cursor.go).
	cursors map[string]*cursor
	// generated caches bound generation expressions per table definition
	// (generated.go).
	generated map[*catalog.Table][]boundGenerated
	// act is what pg_stat_activity shows of the session (activity.go),
	// guarded by mu.
	act activity
	// advLocks owns the session's advisory locks (advisory.go).
	advLocks oltp.TxnLocks
	// lxid numbers the session's transactions (pg_locks'
	// virtualtransaction); the session writes it, others read it.
	lxid atomic.Uint32
	// advUsed: the session has taken an advisory lock, so each of its
	// transactions' locks is linked to advLocks (LockTable.Link).
	advUsed bool
	// sqlPrepared are the statements of SQL PREPARE (prepare.go).
	sqlPrepared map[string]*sqlPrepared
	loc         *time.Location
	txn         *txnState // the open transaction, explicit or implicit
	failed      bool      // explicit transaction block in the failed state
	// lastCommit is the offset of this session's last commit.
	lastCommit log.Offset
	funcCtx    funcs.Context
	seqCurr    map[uint32]int64                // currval() per sequence
	params     map[string]string               // reported settings; nil after a change
	qcache     simpleCache                     // parsed SELECT templates (simplecache.go)
	checks     map[*catalog.Table][]boundCheck // CHECK constraints bound (check.go)
	pointRoot  plan.Node                       // the plan pointVal is pointRead of (isPointRead)
	pointVal   bool
	pointRes   pointResult   // autocommit point reads' result (pointget.go)
	pointCtx   exec.Ctx      // and their expressions' context
	updKey     []byte        // point updates' key buffer (pointwrite.go)
	updRow     []types.Value // and their stored row's

	// asOfOff is omendb.as_of resolved to an offset, valid while the
	// setting's text is asOfText (asof.go).
	asOfText string
	asOfOff  log.Offset
	// present: the running statement is SET/RESET/SHOW, which reads no
	// table and must work whatever omendb.as_of says (even a point no
	// longer held), so it does not move to the as_of point.
	present bool

	mu      sync.Mutex
	sctx    *stmtCtx // statements' context, reused until cancelled (session_ctx.go)
	running int      // statements begun and not ended (an open portal counts)
}

// txnState is an open transaction.
type txnState struct {
	snap     log.Offset
	writes   *oltp.Writes
	cat      *catalog.Catalog // the catalog with the transaction's own DDL applied
	explicit bool
	start    time.Time
	unpin    func()
	saves    []savepoint
	rowIDs   map[uint32]int64 // hidden row ids for tables created in this transaction
	readOnly bool
	// repeatable: REPEATABLE READ (one snapshot for the transaction; a row
	// changed after it is a serialization failure). Otherwise READ
	// COMMITTED: each statement takes a fresh snapshot and a writer that
	// finds a row changed re-reads it after waiting for its lock.
	repeatable bool
	// serializable: SERIALIZABLE — REPEATABLE READ whose reads are
	// recorded in the write set and validated at commit
	// (oltp/serializable.go).
	serializable bool
	locks        oltp.TxnLocks
	oldPins      []func() // snapshots of earlier statements (READ COMMITTED)
	// lockedBase records, per locked row, the committed version the
	// transaction re-read after waiting (table → key → offset).
	lockedBase map[uint32]map[string]uint64
	// pending indexes the write set's rows per secondary index for
	// lookups in large write sets (pendingindex.go).
	pending map[pendingIndexKey]*pendingIndex
	// asOf: the snapshot is omendb.as_of's point (time travel, read-only);
	// asOfChanged names the tables that changed after it (asof.go).
	asOf        bool
	asOfChanged map[string]string
	// fk: foreign-key checks owed and SET CONSTRAINTS modes (fk.go).
	fk fkState
	// queried: a query or DML statement ran in the transaction (its
	// snapshot has been read; LOCK TABLE re-takes it before that).
	queried bool
	// notifies and notifyOps are the NOTIFYs and LISTEN / UNLISTENs the
	// transaction raised, for its commit (notify.go).
	notifies  []pgwire.Notification
	notifyOps []notifyOp
	// xid is the transaction's id once assigned (0: none; stats.go), and
	// committed records a successful commit for pg_stat_database.
	xid       int64
	committed bool
}

type savepoint struct {
	name string
	sp   *oltp.Savepoint
	cat  *catalog.Catalog
	fk   int // foreign-key checks queued before it
}

func newSession(e *Engine, params map[string]string) *Session {
	s := &Session{eng: e, pid: e.nextPID.Add(1), settings: defaultSettings(e)}
	s.advLocks.PID = s.pid
	now := time.Now()
	s.act = activity{state: "idle", user: params["user"], backendStart: now, stateChange: now}
	for k, v := range params {
		switch k {
		case "application_name", "DateStyle", "TimeZone", "search_path", "client_encoding", "extra_float_digits", "IntervalStyle":
			s.settings[k] = v
		case "options":
			// -c name=value pairs.
			for _, f := range strings.Fields(v) {
				if kv := strings.TrimPrefix(f, "-c"); strings.Contains(kv, "=") {
					p := strings.SplitN(strings.TrimSpace(kv), "=", 2)
					if _, ok := s.settings[p[0]]; ok {
						s.settings[p[0]] = p[1]
					}
				}
			}
		}
	}
	s.applyTimeZone()
	s.act.app = s.settings["application_name"]
	if s.act.user == "" {
		s.act.user = s.settings["session_authorization"]
	}
	return s
}

func (s *Session) applyTimeZone() {
	s.params = nil
	loc, err := time.LoadLocation(s.settings["TimeZone"])
	if err != nil {
		loc = time.UTC
	}
	s.loc = loc
	s.funcCtx.Loc = loc
}

// Catalog implements plan.VirtualEnv: the catalog the session's statements
// see (the transaction's own DDL included).
func (s *Session) Catalog() *catalog.Catalog { return s.catalog() }

// IndexStats implements plan.VirtualEnv.
func (s *Session) IndexStats() []oltp.IndexStat { return s.eng.Store.IndexStats() }

// sessionState adapts a Session to funcs.SessionState.
type sessionState struct{ s *Session }

func (x sessionState) Catalog() any                       { return x.s.catalog() }
func (x sessionState) Setting(name string) (string, bool) { return x.s.Setting(name) }
func (x sessionState) TempSchema() string                 { return x.s.tempSchema }

// TableActivity and IndexActivity are the row store's counters
// (pg_stat_get_numscans and its kin).
func (x sessionState) TableActivity(id uint32) (*oltp.TableStats, int64, bool) {
	return x.s.TableActivity(id)
}

func (x sessionState) IndexActivity(table, ix uint32) *oltp.IndexUse {
	return x.s.IndexActivity(table, ix)
}

// CurrentQuery is the text of the statement the session is running
// (current_query(), pg_stat_activity.query).
func (x sessionState) CurrentQuery() string {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	return x.s.act.query
}

// RelationSize reports the row store's sizes of table id (pg_relation_size
// and its kin): its live rows' stored bytes, and its indexes' memory.
func (x sessionState) RelationSize(id uint32) (rows, primary, secondary int64, ok bool) {
	t := x.s.eng.Store.Table(id)
	if t == nil {
		return 0, 0, 0, false
	}
	primary, secondary = t.IndexBytes()
	return t.Bytes(), primary, secondary, true
}

// IndexSize reports the memory of index id of table tid.
func (x sessionState) IndexSize(tid, id uint32) (int64, bool) {
	t := x.s.eng.Store.Table(tid)
	if t == nil {
		return 0, false
	}
	return t.IndexBytesOf(id)
}

// Setting implements plan.Env.
func (s *Session) Setting(name string) (string, bool) {
	v, ok := s.settings[name]
	return v, ok
}

// TxStatus implements pgwire.Session.
func (s *Session) TxStatus() byte {
	switch {
	case s.failed:
		return 'E'
	case s.txn != nil && s.txn.explicit:
		return 'T'
	}
	return 'I'
}

// Params implements pgwire.Session: the settings reported to the client.
// pgwire calls it after every statement, so it returns the session's own
// map, rebuilt only when a setting changed.
func (s *Session) Params() map[string]string {
	if s.params == nil {
		s.params = make(map[string]string, len(reportedSettings))
		for _, k := range reportedSettings {
			s.params[k] = s.settings[k]
		}
	}
	return s.params
}

// Cancel implements pgwire.Session.
func (s *Session) Cancel() {
	s.mu.Lock()
	if s.running > 0 && s.sctx != nil {
		s.sctx.cancel(context.Canceled)
	}
	s.mu.Unlock()
}

// Close implements pgwire.Session.
func (s *Session) Close() {
	s.endTxn()
	s.unlistenAll()
	s.eng.Locks.UnlockAllAdvisory(&s.advLocks)
	s.dropTempTables()
	s.noteClose()
	s.mu.Lock()
	if s.sctx != nil {
		s.sctx.stop()
	}
	s.mu.Unlock()
	s.eng.forget(s)
}

// Prepare implements pgwire.Session.
func (s *Session) Prepare(ctx context.Context, sql string, paramTypes []types.OID) ([]pgwire.Statement, error) {
	if len(paramTypes) == 0 {
		// A SELECT seen before with other constants (simplecache.go); the
		// template was checked not to be an extension statement.
		if st, ok := s.prepareCached(sql); ok {
			return []pgwire.Statement{st}, nil
		}
	}
	if st, ok, err := parseExtension(sql); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return []pgwire.Statement{&statement{s: s, sql: sql, ext: st, declared: paramTypes}}, nil
	}
	raws, err := plan.Parse(sql)
	if err != nil {
		return nil, err
	}
	out := make([]pgwire.Statement, 0, len(raws))
	for _, r := range raws {
		text := sql
		if r.StmtLen > 0 || r.StmtLocation > 0 {
			end := int(r.StmtLocation + r.StmtLen)
			if r.StmtLen == 0 || end > len(sql) {
				end = len(sql)
			}
			text = strings.TrimSpace(sql[r.StmtLocation:end])
		}
		out = append(out, &statement{s: s, sql: text, raw: r.Stmt, declared: paramTypes})
	}
	return out, nil
}

// beginStatement opens the implicit transaction if none is open, and
// returns the statement's context (cancellable by Cancel) and, with a
// statement_timeout, the timer's stop function; the caller ends the
// statement with endStatement(stop).
func (s *Session) beginStatement(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if s.txn == nil {
		if err := s.startTxn(false); err != nil {
			return nil, nil, err
		}
		s.funcCtx.StmtTime = s.txn.start // the implicit transaction's first statement
	} else if err := s.refreshSnapshot(); err != nil {
		return nil, nil, err
	} else {
		s.funcCtx.StmtTime = time.Now()
	}
	s.mu.Lock()
	sc := s.statementContext(ctx)
	s.running++
	s.mu.Unlock()
	ctx = sc
	var stop context.CancelFunc
	if v := s.settings["statement_timeout"]; v != "" && v != "0" {
		if d, err := parseDurationSetting(v); err == nil && d > 0 {
			ctx, stop = context.WithTimeout(ctx, d)
		}
	}
	return ctx, stop, nil
}

// endStatement ends a statement begun by beginStatement.
func (s *Session) endStatement(stop context.CancelFunc) {
	s.mu.Lock()
	s.running--
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
}

func (s *Session) startTxn(explicit bool) error {
	st := s.eng.Store
	if err := s.waitMinOffset(); err != nil {
		return err
	}
	t := &txnState{writes: oltp.NewWrites(), explicit: explicit}
	t.locks.PID = s.pid
	s.lxid.Add(1)
	t.setIsolation(s.settings["default_transaction_isolation"])
	off, asOf, err := s.asOfPoint()
	if err != nil && !s.present {
		return err
	}
	if s.present {
		asOf = false
	}
	if asOf {
		if t.unpin, t.cat, t.asOfChanged, err = s.pinAsOf(off); err != nil {
			return err
		}
		t.snap, t.asOf = off, true
	} else {
		var snap uint64
		snap, t.unpin = st.PinLatest()
		t.snap, t.cat = log.Offset(snap), st.Catalog()
	}
	now := time.Now()
	t.start = now
	t.writes.Base = uint64(t.snap)
	s.txn = t
	if s.advUsed {
		// One session in deadlock detection: its transaction's locks
		// and its advisory locks (advisory.go).
		s.eng.Locks.Link(&t.locks, &s.advLocks)
	}
	s.funcCtx.TxnTime = now
	return nil
}

// refreshSnapshot gives a READ COMMITTED transaction's next statement the
// newest committed state (its own writes stay overlaid).
func (s *Session) refreshSnapshot() error {
	t := s.txn
	if t == nil || s.present {
		return nil
	}
	st := s.eng.Store
	off, asOf, err := s.asOfPoint()
	if err != nil {
		return err
	}
	if asOf {
		// Time travel: every statement reads at the as_of point, also in
		// an explicit transaction and after SET omendb.as_of inside one.
		if t.asOf && t.snap == off {
			return nil
		}
		unpin, cat, changed, err := s.pinAsOf(off)
		if err != nil {
			return err
		}
		t.oldPins = append(t.oldPins, t.unpin)
		t.snap, t.unpin, t.cat, t.asOfChanged, t.asOf = off, unpin, cat, changed, true
		t.writes.Base = uint64(off)
		return nil
	}
	if t.repeatable && !t.asOf {
		return nil
	}
	if err := s.waitMinOffset(); err != nil {
		return err
	}
	if !t.asOf && st.Applied() == t.snap {
		return nil
	}
	// Earlier snapshots stay pinned until the transaction ends: a portal
	// opened by an earlier statement may still be reading at one.
	t.oldPins = append(t.oldPins, t.unpin)
	snap, unpin := st.PinLatest()
	t.snap, t.unpin = log.Offset(snap), unpin
	t.writes.Base = snap
	// Statements see the newest catalog too, plus the transaction's DDL
	// (none after time travel: writes were refused).
	if t.asOf || !t.writes.HasDDL() {
		t.cat = st.Catalog()
	}
	t.asOf, t.asOfChanged = false, nil
	return nil
}

func (s *Session) minOffset() log.Offset {
	str := s.settings["omendb.min_offset"]
	if str == "" || str == "0" {
		return 0 // the usual case: no token, nothing to parse
	}
	v, _ := strconv.ParseUint(strings.TrimSpace(str), 10, 64) // validated by SET
	return log.Offset(v)
}

// waitMinOffset waits (bounded) until the row store applied
// omendb.min_offset, this session's read-your-writes token; it fails rather
// than read a snapshot without the writes the token stands for.
func (s *Session) waitMinOffset() error {
	st := s.eng.Store
	min := s.minOffset()
	if min <= st.Applied() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.WaitApplied(ctx, min); err != nil {
		return pgerr.New(pgerr.ObjectNotInPrerequisiteState, "omendb.min_offset %d was not applied within 10s (applied %d)", uint64(min), uint64(st.Applied()))
	}
	return nil
}

// endTxn discards the open transaction.
func (s *Session) endTxn() {
	if s.txn != nil {
		if len(s.cursors) > 0 {
			s.endCursors(s.lxid.Load(), s.txn.committed)
		}
		s.eng.stats.countXact(s.txn.committed)
		s.txn.unpin()
		for _, u := range s.txn.oldPins {
			u()
		}
		s.eng.Locks.ReleaseAll(&s.txn.locks)
		s.eng.Locks.ReleaseAdvisoryXact(&s.advLocks)
		s.txn = nil
	}
	s.failed = false
}

// commit commits the open transaction.
func (s *Session) commit(ctx context.Context) error {
	t := s.txn
	if t == nil {
		return nil
	}
	defer s.endTxn()
	if t.writes.Empty() {
		t.committed = true
		s.notifyCommitted(t)
		return nil
	}
	if t.asOf {
		return pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot commit writes while omendb.as_of is set")
	}
	if s.tempSchema != "" {
		if err := s.onCommitTemp(); err != nil {
			return err
		}
	}
	if len(t.fk.queue) > 0 {
		// Deferred foreign-key checks, against the newest state.
		if err := s.refreshSnapshot(); err != nil {
			return err
		}
		if err := s.fkRun(ctx, true); err != nil {
			return err
		}
	}
	off, err := s.eng.Committer.CommitWith(ctx, t.writes, t.snap, oltp.CommitOptions{After: t.locks.After(), Placed: s.placedFunc(t)})
	if err != nil {
		return err
	}
	s.lastCommit = off
	t.committed = true
	s.notifyCommitted(t)
	return nil
}

// catalog returns the catalog statements bind against.
func (s *Session) catalog() *catalog.Catalog {
	if s.txn != nil {
		return s.txn.cat
	}
	if cat, _, _, ok := s.asOfView(); ok {
		return cat // Describe under omendb.as_of
	}
	return s.eng.Store.Catalog()
}

// statement is one parsed statement.
type statement struct {
	s        *Session
	sql      string
	raw      *pg.Node
	ext      *extStmt
	declared []types.OID

	// cached analysis for Describe/Execute of prepared statements, made
	// against cat under the search_path setting path
	cat    *catalog.Catalog
	path   string
	bound  any
	params []types.Type
	cols   []pgwire.Column
	point  *pointPlan // bound as a point read (pointget.go), else nil
	// pointUpd: bound as a point update (pointwrite.go), else nil.
	pointUpd *pointUpdate
	// pointIns: bound as a point insert (pointinsert.go), else nil.
	pointIns *pointInsert
}

func (st *statement) SQL() string { return st.sql }

// Describe implements pgwire.Statement.
func (st *statement) Describe(ctx context.Context) (params []types.Type, cols []pgwire.Column, err error) {
	defer func() {
		if r := recover(); r != nil {
			st.s.eng.Logger.Error("panic describing statement", "panic", r, "sql", st.sql, "stack", string(debug.Stack()))
			params, cols, err = nil, nil, pgerr.New(pgerr.InternalError, "internal error: %v", r)
		}
	}()
	if st.ext != nil {
		return nil, st.ext.x.Columns, nil
	}
	if es, ok := st.raw.Node.(*pg.Node_ExecuteStmt); ok {
		// The prepared statement's columns (nil if it is not there: the
		// error comes with Execute).
		if p, ok := st.s.sqlPrepared[es.ExecuteStmt.Name]; ok {
			if err := p.st.bind(); err != nil {
				return nil, nil, err
			}
			return nil, p.st.cols, nil
		}
		return nil, nil, nil
	}
	if err := st.bind(); err != nil {
		return nil, nil, err
	}
	return st.params, st.cols, nil
}

// bind analyses the statement against the session's current catalog and
// search path, reusing the previous analysis while neither changed.
func (st *statement) bind() error {
	if st.ext != nil {
		return nil // extension statements are analysed when executed
	}
	cat, path := st.s.catalog(), st.s.settings["search_path"]
	if st.cat == cat && st.path == path && st.bound != nil {
		return nil
	}
	b := plan.NewBinder(cat, st.s, st.s.loc, st.declared)
	var err error
	st.bound, st.params, st.cols, err = bindStatement(b, st.raw)
	if err != nil {
		st.bound, st.point, st.pointUpd, st.pointIns = nil, nil, nil, nil
		return st.s.asOfBindError(err)
	}
	st.cat, st.path = cat, path
	st.point, st.pointUpd, st.pointIns = pointPlanOf(st.bound), pointUpdateOf(st.bound), pointInsertOf(st.bound)
	return nil
}

// bindStatement binds statements that have plans; utility statements are
// bound to themselves and describe their columns where they return rows.
func bindStatement(b *plan.Binder, raw *pg.Node) (any, []types.Type, []pgwire.Column, error) {
	params := func(ts []types.Type) []types.Type { return ts }
	switch x := raw.Node.(type) {
	case *pg.Node_SelectStmt:
		if into := x.SelectStmt.IntoClause; into != nil {
			// SELECT … INTO t is CREATE TABLE t AS SELECT ….
			sel := proto.Clone(x.SelectStmt).(*pg.SelectStmt)
			sel.IntoClause = nil
			return &pg.Node{Node: &pg.Node_CreateTableAsStmt{CreateTableAsStmt: &pg.CreateTableAsStmt{
				Query: &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: sel}}, Into: into,
				Objtype: pg.ObjectType_OBJECT_TABLE, IsSelectInto: true}}}, nil, nil, nil
		}
		q, err := b.BindQuery(x.SelectStmt)
		if err != nil {
			return nil, nil, nil, err
		}
		return q, params(q.Params), wireColumns(q.Root.Columns()), nil
	case *pg.Node_InsertStmt:
		n, err := b.BindInsert(x.InsertStmt)
		if err != nil {
			return nil, nil, nil, err
		}
		return n, params(n.Params), wireColumns(n.RetCols), nil
	case *pg.Node_UpdateStmt:
		n, err := b.BindUpdate(x.UpdateStmt)
		if err != nil {
			return nil, nil, nil, err
		}
		return n, params(n.Params), wireColumns(n.RetCols), nil
	case *pg.Node_DeleteStmt:
		n, err := b.BindDelete(x.DeleteStmt)
		if err != nil {
			return nil, nil, nil, err
		}
		return n, params(n.Params), wireColumns(n.RetCols), nil
	case *pg.Node_MergeStmt:
		n, err := b.BindMerge(x.MergeStmt)
		if err != nil {
			return nil, nil, nil, err
		}
		return n, params(n.Params), nil, nil
	case *pg.Node_VariableShowStmt:
		name := x.VariableShowStmt.Name
		if name == "all" {
			return raw, nil, []pgwire.Column{{Name: "name", Type: types.Text}, {Name: "setting", Type: types.Text}, {Name: "description", Type: types.Text}}, nil
		}
		return raw, nil, []pgwire.Column{{Name: name, Type: types.Text}}, nil
	case *pg.Node_ExplainStmt:
		t := types.Text
		for _, o := range x.ExplainStmt.Options {
			if d := o.GetDefElem(); d != nil && d.Defname == "format" {
				if sv := d.Arg.GetString_(); sv != nil && strings.EqualFold(sv.Sval, "json") {
					t = types.JSON
				}
			}
		}
		return raw, nil, []pgwire.Column{{Name: "QUERY PLAN", Type: t}}, nil
	}
	return raw, params(b.FinalParams()), nil, nil
}

func wireColumns(cols []plan.Column) []pgwire.Column {
	if cols == nil {
		return nil
	}
	out := make([]pgwire.Column, len(cols))
	for i, c := range cols {
		out[i] = pgwire.Column{Name: c.Name, Type: c.T, TableOID: c.TableOID, AttNum: c.AttNum}
	}
	return out
}

// Execute implements pgwire.Statement. A panic while executing becomes an
// internal error (XX000) and the transaction state is cleaned up as for any
// error.
func (st *statement) Execute(ctx context.Context, params []types.Value) (res pgwire.Result, err error) {
	s := st.s
	implicitAtStart := s.txn == nil
	s.noteStart(st.sql)
	defer s.noteEnd()
	defer func() {
		if r := recover(); r != nil {
			s.eng.Logger.Error("panic executing statement", "panic", r, "sql", st.sql, "stack", string(debug.Stack()))
			res, err = nil, pgerr.New(pgerr.InternalError, "internal error: %v", r)
			if implicitAtStart {
				s.endTxn()
			} else if s.txn != nil {
				s.failed = true
			}
		}
	}()
	if st.ext != nil {
		if s.failed {
			return nil, pgerr.New(pgerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
		}
		return s.execExt(ctx, st.ext)
	}
	if ts, ok := st.raw.Node.(*pg.Node_TransactionStmt); ok {
		return s.execTransaction(ctx, ts.TransactionStmt)
	}
	if s.failed {
		return nil, pgerr.New(pgerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if es, ok := st.raw.Node.(*pg.Node_ExecuteStmt); ok {
		return s.executeSQL(ctx, es.ExecuteStmt)
	}
	if res, ok, err := s.execPoint(ctx, st, params); ok {
		return res, err
	}
	implicit := s.txn == nil
	for attempt := 0; ; attempt++ {
		res, err := s.execOnce(ctx, st, params)
		if err == nil {
			if implicit && res.lazy == nil && res.copy == nil {
				// Autocommit: commit now (a row-returning query commits
				// when its result is closed).
				if err = s.commit(ctx); err != nil {
					res.Close()
					if implicit && oltp.IsConflict(err) && attempt < autocommitRetries && st.retryable() {
						s.awaitProgress(ctx)
						continue
					}
					return nil, err
				}
			}
			if implicit && res.lazy != nil {
				res.commitOnClose = s // no closure: one allocation less per query
			}
			return res, nil
		}
		if implicit {
			s.endTxn()
		} else if s.txn != nil {
			s.failed = true
		}
		return nil, err
	}
}

// autocommitRetries bounds how often a single autocommit statement is
// re-executed on a fresh snapshot after a write-write conflict: a lone
// statement behaves as under PostgreSQL's READ COMMITTED, where the loser of
// a row conflict re-reads the row instead of failing.
const autocommitRetries = 16

// awaitProgress waits (briefly) until the row store applies one more
// record before a conflicting autocommit statement is re-run: the commit it
// lost to may still be pending, and a snapshot without it would lose again.
func (s *Session) awaitProgress(ctx context.Context) {
	st := s.eng.Store
	ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_ = st.WaitApplied(ctx, st.Applied()+1)
}

// retryable reports whether re-running the statement is invisible to the
// client: plain DML without sequence calls.
func (st *statement) retryable() bool {
	switch st.raw.Node.(type) {
	case *pg.Node_UpdateStmt, *pg.Node_DeleteStmt, *pg.Node_InsertStmt, *pg.Node_MergeStmt:
		return !strings.Contains(strings.ToLower(st.sql), "nextval")
	}
	return false
}

func (s *Session) execOnce(ctx context.Context, st *statement, params []types.Value) (*result, error) {
	switch st.raw.Node.(type) {
	case *pg.Node_VariableSetStmt, *pg.Node_VariableShowStmt:
		s.present = true
		defer func() { s.present = false }()
	}
	ctx, stop, err := s.beginStatement(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.bind(); err != nil {
		s.endStatement(stop)
		return nil, err
	}
	res, err := s.run(ctx, st, params)
	if err == nil && s.txn != nil && len(s.txn.fk.queue) > 0 && res.copy == nil {
		// The statement's foreign-key checks (a deferred constraint's wait
		// for COMMIT).
		if err = s.fkRun(ctx, false); err != nil {
			res.Close()
			res = nil
		}
	}
	if res == nil || res.lazy == nil {
		s.endStatement(stop)
	} else {
		res.stmtOf, res.stop = s, stop
	}
	return res, err
}

func (s *Session) execCtx(ctx context.Context, params []types.Value) *exec.Ctx {
	s.funcCtx.Session = sessionState{s}
	return &exec.Ctx{Context: ctx, Params: params, Loc: s.loc, Funcs: &s.funcCtx, Reader: s.reader(), Session: s, Env: s}
}

// run executes a bound statement inside the open transaction.
func (s *Session) run(ctx context.Context, st *statement, params []types.Value) (*result, error) {
	if _, utility := st.bound.(*pg.Node); !utility {
		s.txn.queried = true
	}
	if mods := modifyingOf(st.bound); len(mods) > 0 {
		return s.runWithModifying(ctx, st, params, mods)
	}
	switch b := st.bound.(type) {
	case *plan.Query:
		c := s.execCtx(ctx, params)
		if b.Locking {
			// SELECT … FOR UPDATE: row locks, taken in the row executor.
			if s.txn.readOnly {
				return nil, pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot execute SELECT FOR UPDATE in a read-only transaction")
			}
			if s.settings["omendb.as_of"] != "" {
				return nil, pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot lock rows while omendb.as_of is set")
			}
			it, err := exec.Open(c, b.Root)
			if err != nil {
				return nil, err
			}
			return &result{cols: st.cols, lazy: it, tagFmt: "SELECT %d"}, nil
		}
		if it, ok, err := s.runColumnar(ctx, b.Root, c); ok || err != nil {
			if err != nil {
				return nil, err
			}
			return &result{cols: st.cols, lazy: it, tagFmt: "SELECT %d"}, nil
		}
		it, err := exec.Open(c, b.Root)
		if err != nil {
			return nil, err
		}
		return &result{cols: st.cols, lazy: it, tagFmt: "SELECT %d"}, nil
	case *plan.Insert:
		if err := s.checkWrite(); err != nil {
			return nil, err
		}
		if st.pointIns != nil && s.settings["omendb.point_plans"] != "off" {
			return s.runPointInsert(ctx, st, params)
		}
		r, err := exec.Insert(s.execCtx(ctx, params), s.writer(), b)
		if err != nil {
			return nil, err
		}
		return &result{cols: st.cols, rows: r.Rows, tag: dmlTag("INSERT 0 ", r.Count)}, nil
	case *plan.Update:
		if err := s.checkWrite(); err != nil {
			return nil, err
		}
		if st.pointUpd != nil && s.settings["omendb.point_plans"] != "off" {
			return s.runPointUpdate(ctx, st, params)
		}
		r, err := exec.Update(s.execCtx(ctx, params), s.writer(), b)
		if err != nil {
			return nil, err
		}
		return &result{cols: st.cols, rows: r.Rows, tag: dmlTag("UPDATE ", r.Count)}, nil
	case *plan.Delete:
		if err := s.checkWrite(); err != nil {
			return nil, err
		}
		r, err := exec.Delete(s.execCtx(ctx, params), s.writer(), b)
		if err != nil {
			return nil, err
		}
		return &result{cols: st.cols, rows: r.Rows, tag: dmlTag("DELETE ", r.Count)}, nil
	case *plan.Merge:
		if err := s.checkWrite(); err != nil {
			return nil, err
		}
		r, err := exec.Merge(s.execCtx(ctx, params), s.writer(), b)
		if err != nil {
			return nil, err
		}
		return &result{tag: dmlTag("MERGE ", r.Count)}, nil
	case *pg.Node:
		return s.utility(ctx, st, b, params)
	}
	return nil, pgerr.New(pgerr.InternalError, "unexpected bound statement %T", st.bound)
}

// modifyingOf returns the data-modifying WITH queries of a bound statement.
func modifyingOf(bound any) []*plan.ModifyingCTE {
	switch b := bound.(type) {
	case *plan.Query:
		return b.Modifying
	case *plan.Insert:
		return b.Modifying
	case *plan.Update:
		return b.Modifying
	case *plan.Delete:
		return b.Modifying
	case *plan.Merge:
		return b.Modifying
	}
	return nil
}

// runWithModifying runs a statement with data-modifying WITH queries:
// they first, then the statement in the row executor, with their RETURNING
// rows as its CTEs' rows.
func (s *Session) runWithModifying(ctx context.Context, st *statement, params []types.Value, mods []*plan.ModifyingCTE) (*result, error) {
	if err := s.checkWrite(); err != nil {
		return nil, err
	}
	c := s.execCtx(ctx, params)
	w := s.writer()
	if err := exec.RunModifying(c, w, mods); err != nil {
		return nil, err
	}
	switch b := st.bound.(type) {
	case *plan.Query:
		if b.Locking {
			return nil, pgerr.NotSupported("SELECT … FOR UPDATE with data-modifying WITH queries is not supported yet")
		}
		rows, err := exec.Collect(c, b.Root)
		if err != nil {
			return nil, err
		}
		return &result{cols: st.cols, rows: rows, tag: dmlTag("SELECT ", int64(len(rows)))}, nil
	case *plan.Insert:
		r, err := exec.Insert(c, w, b)
		if err != nil {
			return nil, err
		}
		return &result{cols: st.cols, rows: r.Rows, tag: dmlTag("INSERT 0 ", r.Count)}, nil
	case *plan.Update:
		r, err := exec.Update(c, w, b)
		if err != nil {
			return nil, err
		}
		return &result{cols: st.cols, rows: r.Rows, tag: dmlTag("UPDATE ", r.Count)}, nil
	case *plan.Delete:
		r, err := exec.Delete(c, w, b)
		if err != nil {
			return nil, err
		}
		return &result{cols: st.cols, rows: r.Rows, tag: dmlTag("DELETE ", r.Count)}, nil
	case *plan.Merge:
		r, err := exec.Merge(c, w, b)
		if err != nil {
			return nil, err
		}
		return &result{tag: dmlTag("MERGE ", r.Count)}, nil
	}
	return nil, pgerr.New(pgerr.InternalError, "unexpected bound statement %T", st.bound)
}

// dmlTag is a DML statement's command tag: verb and row count, the
// one-row tags without formatting.
func dmlTag(verb string, n int64) string {
	switch {
	case n == 1 && verb == "INSERT 0 ":
		return "INSERT 0 1"
	case n == 1 && verb == "UPDATE ":
		return "UPDATE 1"
	case n == 1 && verb == "DELETE ":
		return "DELETE 1"
	}
	return verb + strconv.FormatInt(n, 10)
}

// ColumnRunner runs a query on the column store at snapshot snap. It
// returns ok=false for plans it cannot run, which the row executor then
// runs; results must be identical either way. Set by package olap's wiring
// in the server; nil means no column store.
var ColumnRunner func(ctx context.Context, root plan.Node, snap log.Offset, c *exec.Ctx) (it exec.Iter, ok bool, err error)

// runColumnar offers a query to the column store. Transactions with their
// own uncommitted writes read through the row store (which overlays them).
// omendb.engine = row disables the column path; = column requires it.
func (s *Session) runColumnar(ctx context.Context, root plan.Node, c *exec.Ctx) (exec.Iter, bool, error) {
	mode := s.settings["omendb.engine"]
	// SERIALIZABLE transactions read through the row store, which records
	// what they read.
	if ColumnRunner == nil || mode == "row" || !s.txn.writes.Empty() || s.txn.locks.After() != nil || s.txn.serializable || (mode != "column" && s.isPointRead(root)) {
		if mode == "column" {
			return nil, false, pgerr.NotSupported("the column store cannot run this query (omendb.engine = column)")
		}
		return nil, false, nil
	}
	it, ok, err := ColumnRunner(ctx, root, s.txn.snap, c)
	if err == nil && !ok && mode == "column" {
		return nil, false, pgerr.NotSupported("the column store cannot run this query (omendb.engine = column)")
	}
	return it, ok, err
}

// isPointRead is pointRead remembered for the last plan asked about (a
// prepared statement runs the same plan again and again; holding it keeps
// its address from being reused by another plan).
func (s *Session) isPointRead(root plan.Node) bool {
	if s.pointRoot != root {
		s.pointRoot, s.pointVal = root, pointRead(root)
	}
	return s.pointVal
}

// pointRead reports whether root reads one row by its whole primary key
// and computes nothing but its columns (SELECT a, b FROM t WHERE pk = $1):
// the column runner would decline it after copying the plan, so it is not
// offered (pgbench -S runs nothing else).
func pointRead(root plan.Node) bool {
	if p, ok := root.(*plan.Project); ok {
		for _, e := range p.Exprs {
			if _, ok := e.(*plan.ColRef); !ok {
				return false
			}
		}
		root = p.Input
	}
	sc, ok := root.(*plan.Scan)
	if !ok || sc.Index != nil || len(sc.KeyEq) == 0 || len(sc.KeyEq) != len(sc.Table.PK().Columns) {
		return false
	}
	simple := true
	check := func(e plan.Expr) bool {
		switch e.(type) {
		case *plan.Param, *plan.Const, *plan.ColRef, *plan.Cmp, *plan.Logic, *plan.Cast, *plan.BinOp, *plan.Neg, *plan.IsNull:
		default:
			simple = false // a subquery or function: let the column runner look
		}
		return simple
	}
	for _, e := range sc.KeyEq {
		plan.Walk(e, check)
	}
	plan.Walk(sc.Filter, check)
	return simple
}

func (s *Session) checkWrite() error {
	if s.txn != nil && s.txn.readOnly {
		return pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot execute this statement in a read-only transaction")
	}
	if s.settings["omendb.as_of"] != "" {
		return pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot write while omendb.as_of is set")
	}
	return nil
}

func (s *Session) execTransaction(ctx context.Context, ts *pg.TransactionStmt) (pgwire.Result, error) {
	switch ts.Kind {
	case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
		if s.txn != nil && s.txn.explicit {
			// PostgreSQL warns and stays in the transaction.
			s.raise("WARNING", "25001", "there is already a transaction in progress")
			return &result{tag: "BEGIN"}, nil
		}
		if err := s.startTxn(true); err != nil {
			return nil, err
		}
		s.txn.readOnly = txnReadOnly(ts.Options)
		if iso, ok := txnIsolation(ts.Options); ok {
			s.txn.setIsolation(iso)
		}
		return &result{tag: "BEGIN"}, nil
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT:
		if s.failed {
			s.endTxn()
			return &result{tag: "ROLLBACK"}, nil
		}
		if s.txn == nil || !s.txn.explicit {
			s.endTxn()
			s.raise("WARNING", "25P01", "there is no transaction in progress")
			return &result{tag: "COMMIT"}, nil
		}
		if err := s.commit(ctx); err != nil {
			return nil, err
		}
		return &result{tag: "COMMIT"}, nil
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		if s.txn == nil || !s.txn.explicit {
			s.raise("WARNING", "25P01", "there is no transaction in progress")
		}
		s.endTxn()
		return &result{tag: "ROLLBACK"}, nil
	case pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		if s.txn == nil || !s.txn.explicit {
			return nil, pgerr.New(pgerr.NoActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks")
		}
		if s.failed {
			return nil, pgerr.New(pgerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
		}
		s.txn.saves = append(s.txn.saves, savepoint{name: ts.SavepointName, sp: s.txn.writes.Save(), cat: s.txn.cat, fk: len(s.txn.fk.queue)})
		return &result{tag: "SAVEPOINT"}, nil
	case pg.TransactionStmtKind_TRANS_STMT_RELEASE, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		if s.txn == nil || !s.txn.explicit {
			return nil, pgerr.New(pgerr.NoActiveSQLTransaction, "%s can only be used in transaction blocks", map[bool]string{true: "RELEASE SAVEPOINT", false: "ROLLBACK TO SAVEPOINT"}[ts.Kind == pg.TransactionStmtKind_TRANS_STMT_RELEASE])
		}
		i := len(s.txn.saves) - 1
		for ; i >= 0 && s.txn.saves[i].name != ts.SavepointName; i-- {
		}
		if i < 0 {
			s.failed = true
			return nil, pgerr.New(pgerr.InvalidSavepointSpecification, "savepoint %q does not exist", ts.SavepointName)
		}
		if ts.Kind == pg.TransactionStmtKind_TRANS_STMT_RELEASE {
			if s.failed {
				return nil, pgerr.New(pgerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
			}
			s.txn.saves = s.txn.saves[:i]
			return &result{tag: "RELEASE"}, nil
		}
		sp := s.txn.saves[i]
		s.txn.writes.Restore(sp.sp)
		s.txn.cat = sp.cat
		s.txn.fk.queue = s.txn.fk.queue[:min(sp.fk, len(s.txn.fk.queue))]
		s.txn.saves = s.txn.saves[:i+1]
		s.txn.saves[i].sp = s.txn.writes.Save()
		s.failed = false
		return &result{tag: "ROLLBACK"}, nil
	}
	return nil, pgerr.NotSupported("two-phase commit is not supported")
}

// setIsolation sets the transaction's isolation level ("read committed",
// "repeatable read" or "serializable").
func (t *txnState) setIsolation(iso string) {
	t.serializable = iso == "serializable"
	t.repeatable = iso == "repeatable read" || t.serializable
}

// txnIsolation returns the isolation level named in BEGIN / SET
// TRANSACTION options, normalised ("read committed", "repeatable read",
// "serializable").
func txnIsolation(opts []*pg.Node) (string, bool) {
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil || d.Defname != "transaction_isolation" {
			continue
		}
		if c := d.Arg.GetAConst(); c != nil {
			if sv, ok := c.Val.(*pg.A_Const_Sval); ok {
				switch strings.ToLower(sv.Sval.Sval) {
				case "repeatable read":
					return "repeatable read", true
				case "serializable":
					return "serializable", true
				case "read committed", "read uncommitted":
					return "read committed", true
				}
			}
		}
	}
	return "", false
}

func txnReadOnly(opts []*pg.Node) bool {
	for _, o := range opts {
		if d := o.GetDefElem(); d != nil && d.Defname == "transaction_read_only" {
			if c := d.Arg.GetAConst(); c != nil {
				if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
					return iv.Ival.Ival != 0
				}
			}
		}
	}
	return false
}

// result implements pgwire.Result.
type result struct {
	cols    []pgwire.Column
	rows    [][]types.Value
	i       int
	lazy    exec.Iter
	n       int64
	tag     string
	tagFmt  string
	copy    pgwire.Copy
	stmtOf  *Session           // ends the statement at Close (endStatement)
	stop    context.CancelFunc // its statement_timeout timer
	onClose func() error
	// commitOnClose: an autocommit query's session, committed by Close.
	commitOnClose *Session
	closed        bool
}

func (r *result) Columns() []pgwire.Column { return r.cols }

func (r *result) Next(ctx context.Context) ([]types.Value, error) {
	if r.lazy != nil {
		row, err := r.lazy.Next()
		if row != nil {
			r.n++
		}
		return row, err
	}
	if r.i >= len(r.rows) {
		return nil, nil
	}
	r.i++
	return r.rows[r.i-1], nil
}

func (r *result) Tag() string {
	switch r.tagFmt {
	case "":
		return r.tag
	case "SELECT %d":
		if r.n == 1 {
			return "SELECT 1" // a point read
		}
		return "SELECT " + strconv.FormatInt(r.n, 10) // once per query: no fmt
	}
	return fmt.Sprintf(r.tagFmt, r.n)
}

func (r *result) Copy() pgwire.Copy { return r.copy }

func (r *result) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.lazy != nil {
		r.lazy.Close()
	}
	if r.stmtOf != nil {
		r.stmtOf.endStatement(r.stop)
	}
	if r.commitOnClose != nil {
		return r.commitOnClose.commit(context.Background())
	}
	if r.onClose != nil {
		return r.onClose()
	}
	return nil
}

func parseDurationSetting(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if d, err := time.ParseDuration(v); err == nil {
		return d, nil
	}
	var ms int64
	if _, err := fmt.Sscanf(v, "%d", &ms); err != nil {
		return 0, err
	}
	return time.Duration(ms) * time.Millisecond, nil
}
