package sql

import (
	"context"
	"fmt"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// utility executes statements that have no plan: DDL, SET/SHOW, COPY,
// EXPLAIN, maintenance commands.
func (s *Session) utility(ctx context.Context, st *statement, n *pg.Node, params []types.Value) (*result, error) {
	tag := func(t string, err error) (*result, error) {
		if err != nil {
			return nil, err
		}
		return &result{tag: t}, nil
	}
	ddlAllowed := func() error {
		if s.txn.readOnly {
			return pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot execute this statement in a read-only transaction")
		}
		if s.txn.asOf {
			return pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot execute this statement while omendb.as_of is set")
		}
		return nil
	}
	switch x := n.Node.(type) {
	case *pg.Node_CreateStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.createTable(x.CreateStmt))
	case *pg.Node_DropStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.dropStmt(ctx, x.DropStmt))
	case *pg.Node_IndexStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		if x.IndexStmt.Concurrent && s.txn.explicit {
			return nil, pgerr.New(pgerr.ActiveSQLTransaction, "CREATE INDEX CONCURRENTLY cannot run inside a transaction block")
		}
		return tag(s.createIndex(ctx, x.IndexStmt, st.sql))
	case *pg.Node_AlterTableStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.alterTable(ctx, x.AlterTableStmt))
	case *pg.Node_RenameStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.rename(x.RenameStmt))
	case *pg.Node_AlterObjectSchemaStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.alterSetSchema(x.AlterObjectSchemaStmt))
	case *pg.Node_TruncateStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.truncate(x.TruncateStmt))
	case *pg.Node_ConstraintsSetStmt:
		return tag(s.setConstraints(ctx, x.ConstraintsSetStmt))
	case *pg.Node_CreateEnumStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.createEnum(x.CreateEnumStmt))
	case *pg.Node_AlterEnumStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.alterEnum(x.AlterEnumStmt))
	case *pg.Node_CreateSeqStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.createSequence(x.CreateSeqStmt))
	case *pg.Node_CreateSchemaStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.createSchemaStmt(x.CreateSchemaStmt))
	case *pg.Node_CreateFunctionStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.createFunction(x.CreateFunctionStmt))
	case *pg.Node_CreateTrigStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.createTrigger(x.CreateTrigStmt))
	case *pg.Node_AlterFunctionStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.alterFunction(x.AlterFunctionStmt))
	case *pg.Node_AlterOwnerStmt:
		if x.AlterOwnerStmt.ObjectType != pg.ObjectType_OBJECT_FUNCTION {
			break
		}
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return tag(s.alterFunctionOwner(x.AlterOwnerStmt))
	case *pg.Node_CallStmt:
		return nil, pgerr.NotSupported("CALL is not supported yet: OmenDB has no procedures")
	case *pg.Node_VariableSetStmt:
		return s.set(x.VariableSetStmt)
	case *pg.Node_VariableShowStmt:
		name := x.VariableShowStmt.Name
		if name == "all" {
			return &result{cols: st.cols, rows: s.showAll(), tag: "SHOW"}, nil
		}
		canon, ok := s.canonicalSetting(name)
		if !ok {
			if name == "transaction isolation level" || name == "transaction_isolation" {
				canon = "transaction_isolation"
			} else {
				return nil, pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter %q", name)
			}
		}
		val := s.settings[canon]
		if canon == "transaction_isolation" && s.txn != nil {
			val = "read committed"
			if s.txn.serializable {
				val = "serializable"
			} else if s.txn.repeatable {
				val = "repeatable read"
			}
		}
		return &result{cols: st.cols, rows: [][]types.Value{{types.NewText(val)}}, tag: "SHOW"}, nil
	case *pg.Node_ExplainStmt:
		return s.explain(ctx, st, x.ExplainStmt, params)
	case *pg.Node_CopyStmt:
		return s.copyStmt(ctx, x.CopyStmt)
	case *pg.Node_VacuumStmt:
		// Old versions are reclaimed continuously and statistics are kept
		// incrementally: there is nothing for VACUUM or ANALYZE to do.
		if x.VacuumStmt.IsVacuumcmd {
			if s.txn.explicit {
				return nil, pgerr.New(pgerr.ActiveSQLTransaction, "VACUUM cannot run inside a transaction block")
			}
			return &result{tag: "VACUUM"}, nil
		}
		return &result{tag: "ANALYZE"}, nil
	case *pg.Node_CheckPointStmt:
		// As PostgreSQL's: an immediate checkpoint, so that a restart
		// replays nothing written before it.
		if c := s.eng.Checkpoints; c != nil {
			if err := c.CheckpointNow(); err != nil {
				return nil, pgerr.New("58000", "checkpoint failed: %v", err)
			}
		}
		return &result{tag: "CHECKPOINT"}, nil
	case *pg.Node_ReindexStmt:
		return s.reindex(x.ReindexStmt)
	case *pg.Node_ClusterStmt:
		return s.cluster(x.ClusterStmt)
	case *pg.Node_DiscardStmt:
		if s.txn.explicit {
			return nil, pgerr.New(pgerr.ActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
		}
		s.settings = defaultSettings(s.eng)
		s.applyTimeZone()
		s.sqlPrepared = nil
		return &result{tag: "DISCARD ALL"}, nil
	case *pg.Node_DeallocateStmt:
		return s.deallocateSQL(x.DeallocateStmt)
	case *pg.Node_PrepareStmt:
		return s.prepareSQL(x.PrepareStmt, st.sql)
	case *pg.Node_CreateTableAsStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return s.createTableAs(ctx, x.CreateTableAsStmt)
	case *pg.Node_RefreshMatViewStmt:
		if err := ddlAllowed(); err != nil {
			return nil, err
		}
		return s.refreshMatView(ctx, x.RefreshMatViewStmt)
	case *pg.Node_ViewStmt:
		tag, err := s.createView(x.ViewStmt)
		if err != nil {
			return nil, err
		}
		return &result{tag: tag}, nil
	case *pg.Node_CommentStmt:
		tag, err := s.comment(x.CommentStmt)
		if err != nil {
			return nil, err
		}
		return &result{tag: tag}, nil
	case *pg.Node_CreateExtensionStmt:
		return s.createExtension(x.CreateExtensionStmt)
	case *pg.Node_DoStmt:
		return s.doStmt(ctx, x.DoStmt)
	case *pg.Node_DeclareCursorStmt:
		return s.declareCursor(ctx, x.DeclareCursorStmt, st.sql)
	case *pg.Node_FetchStmt:
		return s.fetchCursor(x.FetchStmt)
	case *pg.Node_ClosePortalStmt:
		return s.closeCursor(x.ClosePortalStmt)
	case *pg.Node_ListenStmt, *pg.Node_UnlistenStmt, *pg.Node_NotifyStmt:
		return s.notifyNode(n)
	case *pg.Node_LockStmt:
		if !s.txn.explicit {
			return nil, pgerr.New(pgerr.NoActiveSQLTransaction, "LOCK TABLE can only be used in transaction blocks")
		}
		return tag(s.lockTables(ctx, x.LockStmt))
	}
	return nil, pgerr.NotSupported("statement %s is not supported yet", strings.TrimPrefix(fmt.Sprintf("%T", n.Node), "*pg_query.Node_"))
}

func (s *Session) set(vs *pg.VariableSetStmt) (*result, error) {
	switch vs.Kind {
	case pg.VariableSetKind_VAR_SET_VALUE:
		v, err := settingValue(vs.Args)
		if err != nil {
			return nil, err
		}
		if err := s.setSetting(vs.Name, v); err != nil {
			return nil, err
		}
	case pg.VariableSetKind_VAR_SET_DEFAULT, pg.VariableSetKind_VAR_RESET:
		canon, ok := s.canonicalSetting(vs.Name)
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter %q", vs.Name)
		}
		s.settings[canon] = defaultSettings(s.eng)[canon]
		s.applyTimeZone()
		if vs.Kind == pg.VariableSetKind_VAR_RESET {
			return &result{tag: "RESET"}, nil
		}
	case pg.VariableSetKind_VAR_RESET_ALL:
		s.settings = defaultSettings(s.eng)
		s.applyTimeZone()
		return &result{tag: "RESET"}, nil
	case pg.VariableSetKind_VAR_SET_MULTI:
		if strings.EqualFold(vs.Name, "TRANSACTION SNAPSHOT") {
			// OmenDB exports no snapshots (pg_export_snapshot is 0A000),
			// so none can be imported.
			return nil, pgerr.NotSupported("SET TRANSACTION SNAPSHOT is not supported: OmenDB does not export snapshots")
		}
		// SET TRANSACTION / SET SESSION CHARACTERISTICS
		if s.txn != nil && txnReadOnly(vs.Args) {
			s.txn.readOnly = true
		}
		if iso, ok := txnIsolation(vs.Args); ok && s.txn != nil {
			if vs.Name == "TRANSACTION" || vs.Name == "transaction" {
				s.txn.setIsolation(iso)
			} else {
				s.settings["default_transaction_isolation"] = iso
			}
		}
	default:
		return nil, pgerr.NotSupported("this form of SET is not supported yet")
	}
	return &result{tag: "SET"}, nil
}

// SeqFunc implements exec.Session: nextval, currval, setval.
func (s *Session) SeqFunc(op string, seqID uint32, args []types.Value) (types.Value, error) {
	sq, ok := s.catalog().Sequence(seqID)
	if !ok {
		return types.Null, pgerr.New(pgerr.UndefinedTable, "sequence %d does not exist", seqID)
	}
	st := s.eng.Store
	if (op == "nextval" || op == "setval") && s.txn != nil && s.txn.asOf {
		return types.Null, pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot execute %s() while omendb.as_of is set", op)
	}
	switch op {
	case "nextval":
		v, ok := st.NextVal(sq)
		if !ok {
			lo, hi := sq.Bounds()
			if sq.Inc > 0 {
				return types.Null, pgerr.New("2200H", "nextval: reached maximum value of sequence %q (%d)", sq.Name, hi)
			}
			return types.Null, pgerr.New("2200H", "nextval: reached minimum value of sequence %q (%d)", sq.Name, lo)
		}
		s.txn.writes.UseSequence(seqID, v)
		if s.seqCurr == nil {
			s.seqCurr = map[uint32]int64{}
		}
		s.seqCurr[seqID] = v
		return types.NewInt(v), nil
	case "currval":
		v, ok := s.seqCurr[seqID]
		if !ok {
			return types.Null, pgerr.New(pgerr.ObjectNotInPrerequisiteState, "currval of sequence %q is not yet defined in this session", sq.Name)
		}
		return types.NewInt(v), nil
	case "setval":
		if len(args) == 0 || args[0].IsNull() || len(args) > 1 && args[1].IsNull() {
			return types.Null, nil
		}
		// is_called false (pg_dump's setval(seq, 1, false)): the next
		// nextval returns the value itself.
		isCalled := len(args) < 2 || args[1].Bool()
		last := args[0].I
		if lo, hi := sq.Bounds(); last < lo || last > hi {
			return types.Null, pgerr.New(pgerr.NumericValueOutOfRange, "setval: value %d is out of bounds for sequence %q (%d..%d)", last, sq.Name, lo, hi)
		}
		if !isCalled {
			last -= sq.Inc
		}
		st.SetVal(seqID, last, false)
		s.txn.writes.UseSequence(seqID, last)
		if isCalled {
			// currval follows, as PostgreSQL's do_setval sets it.
			if s.seqCurr == nil {
				s.seqCurr = map[uint32]int64{}
			}
			s.seqCurr[seqID] = last
		}
		return args[0], nil
	}
	return types.Null, pgerr.NotSupported("%s", op)
}

// SessionFunc implements exec.Session.
func (s *Session) SessionFunc(ctx context.Context, name string, args []types.Value) (types.Value, error) {
	if strings.HasPrefix(name, "pg_advisory_") || strings.HasPrefix(name, "pg_try_advisory_") {
		return s.advisory(ctx, name, args)
	}
	if name == "pg_cancel_backend" || name == "pg_terminate_backend" {
		return s.backendSignal(ctx, name, args)
	}
	if name == "pg_notify" {
		return s.pgNotify(args)
	}
	if strings.HasPrefix(name, "pg_sleep") && len(args) == 1 {
		return s.sleep(ctx, name, args[0])
	}
	if v, ok, err := s.statsFunc(ctx, name, args); ok {
		return v, err
	}
	switch name {
	case "omendb_commit_offset":
		return types.NewInt(int64(s.lastCommit)), nil
	case "omendb_offset":
		if s.txn != nil {
			return types.NewInt(int64(s.txn.snap)), nil
		}
		return types.NewInt(int64(s.eng.Store.Applied())), nil
	case "current_setting":
		if len(args) == 0 || args[0].IsNull() {
			return types.Null, nil
		}
		canon, ok := s.canonicalSetting(args[0].S)
		if !ok {
			if len(args) > 1 && args[1].K == types.KindBool && args[1].Bool() {
				return types.Null, nil
			}
			return types.Null, pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter %q", args[0].S)
		}
		return types.NewText(s.settings[canon]), nil
	case "set_config":
		if len(args) < 2 || args[0].IsNull() {
			return types.Null, nil
		}
		if err := s.setSetting(args[0].S, args[1].S); err != nil {
			return types.Null, err
		}
		return types.NewText(args[1].S), nil
	case "pg_backend_pid":
		return types.NewInt(int64(s.pid)), nil
	case "current_database":
		return types.NewText(s.eng.Database), nil
	case "current_schema":
		// The first schema of the search path that exists, NULL if none.
		if sc := s.catalog().CreationSchema(s.SearchPath()); sc != "" {
			return types.NewText(sc), nil
		}
		return types.Null, nil
	case "current_user", "session_user":
		return types.NewText(s.settings["session_authorization"]), nil
	case "version":
		return types.NewText(fmt.Sprintf("PostgreSQL %s (OmenDB %s) on x86_64-pc-linux-gnu, compiled by Go", pgVersion, Version)), nil
	case "pg_is_in_recovery":
		return types.NewBool(false), nil
	}
	return types.Null, pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", name)
}

func (s *Session) explain(ctx context.Context, st *statement, ex *pg.ExplainStmt, params []types.Value) (*result, error) {
	analyze, asJSON := false, false
	for _, o := range ex.Options {
		d := o.GetDefElem()
		switch d.Defname {
		case "analyze":
			analyze = d.Arg == nil || isOn(fmt.Sprint(d.Arg))
		case "verbose", "costs", "buffers", "timing", "summary", "settings", "wal":
		case "format":
			f := ""
			if sv := d.Arg.GetString_(); sv != nil {
				f = strings.ToLower(sv.Sval)
			}
			switch f {
			case "text":
			case "json":
				asJSON = true
			case "xml", "yaml":
				return nil, pgerr.NotSupported("EXPLAIN (FORMAT %s) is not supported yet; FORMAT JSON and TEXT are", strings.ToUpper(f))
			default:
				return nil, pgerr.New(pgerr.InvalidParameterValue, "unrecognized value for EXPLAIN option \"format\": \"%s\"", f)
			}
		}
	}
	started := time.Now()
	header := ""
	finish := func(lines []string) *result {
		if asJSON {
			return explainJSONResult(planToJSON(lines, analyze, float64(time.Since(started).Microseconds())/1000, header))
		}
		if header != "" {
			for i := range lines {
				lines[i] = "  " + lines[i]
			}
			lines = append([]string{header}, lines...)
		}
		return explainResult(lines)
	}
	b := plan.NewBinder(s.catalog(), s, s.loc, nil)
	bound, _, _, err := bindStatement(b, ex.Query)
	if err != nil {
		return nil, s.asOfBindError(err)
	}
	var root plan.Node
	switch x := bound.(type) {
	case *plan.Query:
		root = x.Root
	case *plan.Insert:
		header, root = "Insert on "+x.Table.Name, x.Source
	case *plan.Update:
		header, root = "Update on "+x.Scan.Table.Name, plan.Node(x.Scan)
		if x.Join != nil {
			root = x.Join.Source
		}
	case *plan.Delete:
		header, root = "Delete on "+x.Scan.Table.Name, plan.Node(x.Scan)
		if x.Join != nil {
			root = x.Join.Source
		}
	case *plan.Merge:
		header, root = "Merge on "+x.Table.Name, x.Join.Source
	default:
		return nil, pgerr.NotSupported("EXPLAIN of this statement is not supported")
	}
	var stats map[plan.Node]*exec.NodeStats
	if analyze {
		if _, ok := bound.(*plan.Query); !ok {
			return nil, pgerr.NotSupported("EXPLAIN ANALYZE of data-modifying statements is not supported yet")
		}
		c := s.execCtx(ctx, params)
		c.Stats = map[plan.Node]*exec.NodeStats{}
		// The column engine runs the statement as a query would, and
		// prints the plan it ran (vectorized operators included).
		it, ok, err := s.runColumnar(ctx, root, c)
		if err != nil {
			return nil, err
		}
		if ok {
			lines, err := drainAnalyzed(it)
			if err != nil {
				return nil, err
			}
			if lines != nil {
				return finish(lines), nil
			}
		} else if _, err := exec.Collect(c, root); err != nil {
			return nil, err
		}
		stats = c.Stats
	}
	_, isQuery := bound.(*plan.Query)
	rowOnly := plan.RowOnly(root)
	lines := plan.Explain(root, func(n plan.Node) string {
		if st := stats[n]; st != nil && st.Loops > 0 {
			l := st.Loops
			return fmt.Sprintf(" (actual time=%.3f..%.3f rows=%d loops=%d)", float64((st.First/time.Duration(l)).Microseconds())/1000,
				float64((st.Time/time.Duration(l)).Microseconds())/1000, st.Rows/l, l)
		}
		return ""
	}, func(sc *plan.Scan) string {
		if rowOnly != "" {
			return "row store: " + rowOnly + "; " + sc.Reason
		}
		return s.storeFor(s.execCtx(ctx, params), sc, isQuery)
	})
	return finish(lines), nil
}

func explainResult(lines []string) *result {
	rows := make([][]types.Value, len(lines))
	for i, l := range lines {
		rows[i] = []types.Value{types.NewText(l)}
	}
	return &result{cols: []pgwire.Column{{Name: "QUERY PLAN", Type: types.Text}}, rows: rows, tag: "EXPLAIN"}
}

// drainAnalyzed reads a column-engine iterator to the end and returns the
// plan lines it reports (nil if it reports none).
func drainAnalyzed(it exec.Iter) ([]string, error) {
	defer it.Close()
	for {
		r, err := it.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
	}
	if a, ok := it.(interface{ Analyzed() []string }); ok {
		return a.Analyzed(), nil
	}
	return nil, nil
}

// storeFor names the store a scan reads and why, by the rule the session
// and the column runner apply: read-only queries of a transaction without
// its own writes go to the column store, except scans whose key path has an
// equality prefix (plan.Scan.KeyEquality), that a LIMIT reads the first few
// rows of (exec.FewFirstRows) or whose path is a range that holds few rows
// (exec.NarrowRange, sized on the row store's index), which stay on the
// row store.
func (s *Session) storeFor(c *exec.Ctx, sc *plan.Scan, query bool) string {
	mode := s.settings["omendb.engine"]
	switch {
	case !query:
		return "row store: data-modifying statement; " + sc.Reason
	case ColumnRunner == nil || mode == "row":
		return "row store: omendb.engine = " + mode + "; " + sc.Reason
	case s.txn != nil && !s.txn.writes.Empty():
		return "row store: the transaction has its own uncommitted writes; " + sc.Reason
	case sc.KeyEquality() && mode != "column":
		return "row store: " + sc.Reason
	case mode != "column" && exec.FewFirstRows(c, sc):
		return fmt.Sprintf("row store: %s; the first %d rows for the LIMIT", sc.Reason, exec.FirstRows(c, sc))
	case mode != "column" && exec.NarrowRange(c, sc):
		return "row store: " + sc.Reason + " (few rows)"
	}
	return "column store: scan with zone-map pruning at the statement's offset"
}
