package sql

import (
	"context"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgcatalog"
	"github.com/omendb/omendb/types"
)

// Triggers: CREATE [OR REPLACE] TRIGGER name BEFORE | AFTER INSERT | UPDATE
// | DELETE [OR …] ON table [FOR EACH ROW | STATEMENT] EXECUTE FUNCTION f(args),
// DROP TRIGGER and ALTER TABLE … ENABLE | DISABLE TRIGGER. A trigger is part
// of its table's definition (catalog.Table.Triggers, an alter_column
// change). Package exec fires them around the rows its INSERT, UPDATE and
// DELETE operators write (exec/trigger.go); each firing runs the PL/pgSQL
// function here (Session.Trigger) with NEW, OLD and the TG_ variables;
// MERGE and COPY FROM fire them through the same calls (exec/merge.go,
// copy.go). Foreign-key actions, which write the referencing rows
// directly, refuse tables with triggers (0A000) rather than skip them.
// Rows CDC applies from a PostgreSQL source do not fire them, as
// PostgreSQL's logical replication does not by default. UPDATE OF
// columns limit an UPDATE trigger to UPDATEs that set one of them; a WHEN
// condition is evaluated over NEW and OLD before the function runs.
// TRUNCATE and INSTEAD OF triggers, transition tables and constraint
// triggers fail with 0A000.

// createTrigger runs CREATE [OR REPLACE] TRIGGER.
func (s *Session) createTrigger(ct *pg.CreateTrigStmt) (string, error) {
	switch {
	case ct.Isconstraint:
		return "", pgerr.NotSupported("CREATE CONSTRAINT TRIGGER is not supported yet")
	case ct.Timing&pgTriggerInstead != 0:
		return "", pgerr.NotSupported("INSTEAD OF triggers are not supported yet")
	case ct.Events&pgTriggerTruncate != 0:
		return "", pgerr.NotSupported("TRUNCATE triggers are not supported yet")
	case len(ct.TransitionRels) > 0:
		return "", pgerr.NotSupported("transition tables (REFERENCING) are not supported yet")
	}
	schema, err := s.schemaOf(ct.Relation)
	if err != nil {
		return "", err
	}
	t, ok := s.txn.cat.Lookup(schema, ct.Relation.Relname)
	if !ok {
		if _, isView := s.txn.cat.LookupView(schema, ct.Relation.Relname); isView {
			return "", pgerr.New(pgerr.WrongObjectType, "%q is a view", ct.Relation.Relname).
				WithDetail("Views cannot have row-level BEFORE or AFTER triggers.")
		}
		return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", ct.Relation.Relname)
	}
	if t.MatView != "" {
		return "", pgerr.New(pgerr.WrongObjectType, "%q is a materialized view", t.Name).
			WithDetail("This operation is not supported for materialized views.")
	}
	if t.ReadOnly != "" {
		return "", pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", t.Name, t.ReadOnly)
	}
	f, err := s.triggerFunction(ct.Funcname)
	if err != nil {
		return "", err
	}
	tr := catalog.Trigger{Name: ct.Trigname, Function: f.ID, Before: ct.Timing&pgTriggerBefore != 0, Row: ct.Row}
	for bit, ev := range map[int32]int{pgTriggerInsert: catalog.TriggerInsert, pgTriggerDelete: catalog.TriggerDelete, pgTriggerUpdate: catalog.TriggerUpdate} {
		if ct.Events&bit != 0 {
			tr.Events |= ev
		}
	}
	for _, a := range ct.Args {
		tr.Args = append(tr.Args, a.GetString_().GetSval())
	}
	for _, c := range nodeNames(ct.Columns) {
		i := t.ColumnIndex(c)
		if i < 0 {
			return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", c, t.Name)
		}
		tr.Columns = append(tr.Columns, i)
	}
	if ct.WhenClause != nil {
		if tr.When, err = triggerWhen(ct, tr); err != nil {
			return "", err
		}
	}
	nt := t.Clone()
	i := slices.IndexFunc(nt.Triggers, func(x catalog.Trigger) bool { return x.Name == tr.Name })
	switch {
	case i >= 0 && !ct.Replace:
		return "", pgerr.New(pgerr.DuplicateObject, "trigger %q for relation %q already exists", tr.Name, t.Name)
	case i >= 0:
		tr.ID = nt.Triggers[i].ID
		nt.Triggers[i] = tr
	default:
		tr.ID = s.eng.Store.NewID()
		nt.Triggers = append(nt.Triggers, tr)
	}
	if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
		return "", err
	}
	return "CREATE TRIGGER", nil
}

// CreateTrigStmt's timing and event bits (PostgreSQL's TRIGGER_TYPE_*).
const (
	pgTriggerBefore   = 1 << 1
	pgTriggerInsert   = 1 << 2
	pgTriggerDelete   = 1 << 3
	pgTriggerUpdate   = 1 << 4
	pgTriggerTruncate = 1 << 5
	pgTriggerInstead  = 1 << 6
)

// triggerWhen checks a trigger's WHEN condition as PostgreSQL does — NEW
// and OLD only where the trigger's events have them, no column in a
// statement trigger's — and returns its SQL text.
func triggerWhen(ct *pg.CreateTrigStmt, tr catalog.Trigger) (string, error) {
	var failed error
	pgcatalog.WalkMessages(ct.WhenClause.ProtoReflect(), func(m protoreflect.Message) {
		cr, ok := m.Interface().(*pg.ColumnRef)
		if !ok || failed != nil || len(cr.Fields) == 0 {
			return
		}
		rel := strings.ToLower(cr.Fields[0].GetString_().GetSval())
		switch {
		case !tr.Row:
			failed = pgerr.New(pgerr.InvalidObjectDefinition, "statement trigger's WHEN condition cannot reference column values")
		case rel == "old" && tr.Events&catalog.TriggerInsert != 0:
			failed = pgerr.New(pgerr.InvalidObjectDefinition, "INSERT trigger's WHEN condition cannot reference OLD values")
		case rel == "new" && tr.Events&catalog.TriggerDelete != 0:
			failed = pgerr.New(pgerr.InvalidObjectDefinition, "DELETE trigger's WHEN condition cannot reference NEW values")
		case rel != "new" && rel != "old" || len(cr.Fields) != 2:
			failed = pgerr.New(pgerr.InvalidObjectDefinition, "trigger's WHEN condition may only reference NEW and OLD values")
		}
	})
	if failed != nil {
		return "", failed
	}
	text, err := deparseStmt(&pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: &pg.SelectStmt{
		TargetList: []*pg.Node{{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: ct.WhenClause}}}},
	}}})
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(text, "SELECT "), nil
}

// triggerFunction resolves EXECUTE FUNCTION name(): a function of no
// arguments returning trigger.
func (s *Session) triggerFunction(names []*pg.Node) (*catalog.Function, error) {
	ns := nodeNames(names)
	name := ns[len(ns)-1]
	var fs []*catalog.Function
	if len(ns) == 2 {
		fs = s.txn.cat.LookupFunctions(ns[0], name)
	} else {
		for _, sc := range s.SearchPath() {
			if fs = s.txn.cat.LookupFunctions(sc, name); len(fs) > 0 {
				break
			}
		}
	}
	for _, f := range fs {
		if len(f.Args) > 0 {
			continue
		}
		if f.Ret.OID != types.OIDTrigger {
			return nil, pgerr.New(pgerr.InvalidObjectDefinition, "function %s must return type trigger", name)
		}
		return f, nil
	}
	return nil, pgerr.New(pgerr.UndefinedFunction, "function %s() does not exist", strings.Join(ns, "."))
}

// dropTriggers runs DROP TRIGGER [IF EXISTS] name ON table.
func (s *Session) dropTriggers(d *pg.DropStmt) (string, error) {
	for _, obj := range d.Objects {
		names := nodeNames(obj.GetList().GetItems())
		if len(names) < 2 {
			return "", pgerr.New(pgerr.SyntaxError, "DROP TRIGGER needs a table")
		}
		name := names[len(names)-1]
		rv := &pg.RangeVar{Relname: names[len(names)-2]}
		if len(names) == 3 {
			rv.Schemaname = names[0]
		}
		schema, err := s.schemaOf(rv)
		if err != nil {
			return "", err
		}
		t, ok := s.txn.cat.Lookup(schema, rv.Relname)
		if !ok {
			if d.MissingOk {
				s.skipMissing("relation", rv.Relname)
				continue
			}
			return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", rv.Relname)
		}
		i := slices.IndexFunc(t.Triggers, func(x catalog.Trigger) bool { return x.Name == name })
		if i < 0 {
			if d.MissingOk {
				s.notice("", "trigger %q for relation %q does not exist, skipping", name, t.Name)
				continue
			}
			return "", pgerr.New(pgerr.UndefinedObject, "trigger %q for table %q does not exist", name, t.Name)
		}
		nt := t.Clone()
		nt.Triggers = slices.Delete(nt.Triggers, i, i+1)
		if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
			return "", err
		}
	}
	return "DROP TRIGGER", nil
}

// enableTriggers applies ALTER TABLE … ENABLE | DISABLE TRIGGER name | ALL
// | USER to nt.
func enableTriggers(nt *catalog.Table, cmd *pg.AlterTableCmd) error {
	disable := cmd.Subtype == pg.AlterTableType_AT_DisableTrig || cmd.Subtype == pg.AlterTableType_AT_DisableTrigAll ||
		cmd.Subtype == pg.AlterTableType_AT_DisableTrigUser
	if cmd.Subtype == pg.AlterTableType_AT_EnableTrig || cmd.Subtype == pg.AlterTableType_AT_DisableTrig {
		i := slices.IndexFunc(nt.Triggers, func(x catalog.Trigger) bool { return x.Name == cmd.Name })
		if i < 0 {
			return pgerr.New(pgerr.UndefinedObject, "trigger %q for table %q does not exist", cmd.Name, nt.Name)
		}
		nt.Triggers[i].Disabled = disable
		return nil
	}
	for i := range nt.Triggers {
		nt.Triggers[i].Disabled = disable
	}
	return nil
}

// triggersUsing names the triggers that call function id ("t_name on
// table"), for DROP FUNCTION's dependency check.
func triggersUsing(cat *catalog.Catalog, id uint32) []string {
	var out []string
	for _, t := range cat.Tables() {
		for _, tr := range t.Triggers {
			if tr.Function == id {
				out = append(out, "trigger "+tr.Name+" on table "+t.Name)
			}
		}
	}
	return out
}

// dropTriggersUsing drops the triggers that call function id (DROP
// FUNCTION … CASCADE).
func (s *Session) dropTriggersUsing(id uint32) error {
	for _, t := range s.txn.cat.Tables() {
		if !slices.ContainsFunc(t.Triggers, func(x catalog.Trigger) bool { return x.Function == id }) {
			continue
		}
		nt := t.Clone()
		nt.Triggers = slices.DeleteFunc(nt.Triggers, func(x catalog.Trigger) bool { return x.Function == id })
		if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
			return err
		}
	}
	return nil
}

// plTrigger is what a trigger function runs for.
type plTrigger struct {
	t   *catalog.Table
	row []types.Value // what RETURN gave (nil: NULL)
	// cols maps the NEW and OLD records' fields to the table's columns
	// (dropped ones have none).
	cols []int
}

// Trigger runs trigger tr of table t (exec.Session): the function's NEW and
// OLD records hold row and old, TG_OP is op. It returns the row the
// function returned, nil for NULL.
func (s *Session) Trigger(ctx context.Context, t *catalog.Table, tr catalog.Trigger, op string, old, row []types.Value) ([]types.Value, error) {
	f, ok := s.txn.cat.Function(tr.Function)
	if !ok {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function of trigger %q does not exist", tr.Name)
	}
	p, end, err := s.enterPL(f)
	if err != nil {
		return nil, err
	}
	defer end()
	pt := &plTrigger{t: t}
	var names []string
	var typs []types.Type
	for i, c := range t.Columns {
		if !c.Dropped {
			pt.cols = append(pt.cols, i)
			names, typs = append(names, strings.ToLower(c.Name)), append(typs, c.Type)
		}
	}
	var r *plRun
	record := func(name string, vals []types.Value) {
		i := r.varIndex(name)
		if i < 0 || !r.vars[i].rec {
			return
		}
		v := r.vars[i]
		// OLD in an INSERT trigger, NEW in a DELETE one and both in a
		// statement trigger are NULL rows of the table's type: their
		// fields read NULL, and RETURNing one skips the row.
		v.recNull = vals == nil
		v.recCols, v.recTypes = names, typs
		v.recVals = make([]types.Value, len(pt.cols))
		for j, c := range pt.cols {
			v.recVals[j] = types.Null
			if c < len(vals) {
				v.recVals[j] = vals[c]
			}
		}
	}
	if tr.When != "" {
		// The WHEN condition, over NEW and OLD: a row that does not make
		// it true passes as if the trigger were not there.
		r = &plRun{s: s, vars: []*plVar{{name: "new", rec: true}, {name: "old", rec: true}}}
		record("new", row)
		record("old", old)
		ok, err := r.cond(ctx, tr.When)
		if err != nil {
			return nil, err
		}
		if !ok {
			if row == nil {
				return old, nil
			}
			return row, nil
		}
	}
	r = &plRun{s: s, fn: f, trig: pt, memo: &p.memo}
	for _, d := range p.datums {
		if err := r.declare(d); err != nil {
			return nil, err
		}
	}
	record("new", row)
	record("old", old)
	when, level := "AFTER", "STATEMENT"
	if tr.Before {
		when = "BEFORE"
	}
	if tr.Row {
		level = "ROW"
	}
	argv := make([]types.Value, len(tr.Args))
	for i, a := range tr.Args {
		argv[i] = types.NewText(a)
	}
	if err := r.initVars(ctx); err != nil {
		return nil, err
	}
	textArr, _ := types.ArrayOf(types.Text)
	for _, v := range []*plVar{
		{name: "tg_name", typ: types.Name, val: types.NewText(tr.Name)},
		{name: "tg_when", typ: types.Text, val: types.NewText(when)},
		{name: "tg_level", typ: types.Text, val: types.NewText(level)},
		{name: "tg_op", typ: types.Text, val: types.NewText(op)},
		{name: "tg_relid", typ: types.OIDType, val: types.NewInt(int64(t.ID))},
		{name: "tg_relname", typ: types.Name, val: types.NewText(t.Name)},
		{name: "tg_table_name", typ: types.Name, val: types.NewText(t.Name)},
		{name: "tg_table_schema", typ: types.Name, val: types.NewText(t.Schema)},
		{name: "tg_nargs", typ: types.Int4, val: types.NewInt(int64(len(tr.Args)))},
		{name: "tg_argv", typ: textArr, val: types.NewArray(argv)},
	} {
		v.typName = types.TypeName(v.typ)
		v.isConst = true
		r.vars = append(r.vars, v)
	}
	err = r.stmt(ctx, p.action)
	switch {
	case isJump(err):
		return nil, pgerr.New(pgerr.SyntaxError, "EXIT cannot be used outside a loop, unless it has a label")
	case err != nil && err != errPLReturn:
		return nil, err
	case !r.returned:
		return nil, pgerr.New("2F005", "control reached end of trigger procedure without RETURN")
	}
	return pt.row, nil
}

// returnRow is RETURN in a trigger function: NEW, OLD or NULL.
func (r *plRun) returnRow(expr string) error {
	pt := r.trig
	r.returned = true
	name := strings.ToLower(strings.TrimSpace(expr))
	if name == "null" {
		pt.row = nil
		return errPLReturn
	}
	i := r.varIndex(name)
	if i < 0 || !r.vars[i].rec {
		return pgerr.NotSupported("RETURN of an expression other than NEW, OLD, a record or NULL in trigger functions is not supported yet")
	}
	v := r.vars[i]
	if v.recVals == nil || v.recNull {
		pt.row = nil // a NULL record (OLD in an INSERT trigger)
		return errPLReturn
	}
	if len(v.recCols) != len(pt.cols) {
		return pgerr.New(pgerr.DatatypeMismatch, "returned row structure does not match the structure of the triggering table")
	}
	row := make([]types.Value, len(pt.t.Columns))
	for j := range row {
		row[j] = types.Null
	}
	for j, c := range pt.cols {
		row[c] = v.recVals[j]
	}
	pt.row = row
	return errPLReturn
}

// triggerReads reports whether tr depends on column i (named name): its
// UPDATE OF list or its WHEN condition names it.
func triggerReads(tr catalog.Trigger, i int, name string) bool {
	if slices.Contains(tr.Columns, i) {
		return true
	}
	if tr.When == "" {
		return false
	}
	res, err := pg.Parse("SELECT " + tr.When)
	if err != nil {
		return true // unreadable: treat as dependent
	}
	reads := false
	pgcatalog.WalkMessages(res.ProtoReflect(), func(m protoreflect.Message) {
		if cr, ok := m.Interface().(*pg.ColumnRef); ok && len(cr.Fields) == 2 &&
			strings.EqualFold(cr.Fields[1].GetString_().GetSval(), name) {
			reads = true
		}
	})
	return reads
}
