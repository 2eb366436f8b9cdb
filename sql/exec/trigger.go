package exec

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Triggers (CREATE TRIGGER): the DML operators call these around each row
// they write and around the statement. BEFORE ROW triggers run as the row
// is about to be written and may change it or skip it (their function
// returns NULL); AFTER ROW triggers are queued and run when the statement's
// rows are all written, in order, as PostgreSQL runs them; statement
// triggers run once before and once after. Each trigger function runs
// through the session (Session.Trigger), in the statement's transaction.

// triggerOps names the events for TG_OP.
var triggerOps = map[int]string{catalog.TriggerInsert: "INSERT", catalog.TriggerUpdate: "UPDATE", catalog.TriggerDelete: "DELETE"}

// BeforeRow runs t's BEFORE ROW triggers for event: each sees the row the
// previous one returned. It returns the row to write, or nil to skip it.
// old is the row updated or deleted, row the new one (nil for DELETE, where
// the triggers' result only decides whether the row goes).
func BeforeRow(c *Ctx, t *catalog.Table, event int, set []int, old, row []types.Value) ([]types.Value, error) {
	trs := t.TriggersFor(true, true, event, set)
	if len(trs) == 0 {
		if row == nil {
			return old, nil
		}
		return row, nil
	}
	for _, tr := range trs {
		got, err := callTrigger(c, t, tr, triggerOps[event], old, row)
		if err != nil || got == nil {
			return nil, err
		}
		if event != catalog.TriggerDelete {
			row = got
		}
	}
	if row == nil {
		return old, nil
	}
	return row, nil
}

// AfterRows queues a statement's AFTER ROW trigger events.
type AfterRows struct {
	events []afterEvent
}

type afterEvent struct {
	t        *catalog.Table
	event    int
	set      []int
	old, new []types.Value
}

// Add queues event on a written row if t has AFTER ROW triggers for it.
func (q *AfterRows) Add(t *catalog.Table, event int, set []int, old, row []types.Value) {
	if len(t.TriggersFor(false, true, event, set)) == 0 {
		return
	}
	cp := func(r []types.Value) []types.Value {
		if r == nil {
			return nil
		}
		return append([]types.Value(nil), r...)
	}
	q.events = append(q.events, afterEvent{t: t, event: event, set: set, old: cp(old), new: cp(row)})
}

// Fire runs the queued events' AFTER ROW triggers, in the order the rows
// were written.
func (q *AfterRows) Fire(c *Ctx) error {
	for _, e := range q.events {
		for _, tr := range e.t.TriggersFor(false, true, e.event, e.set) {
			if _, err := callTrigger(c, e.t, tr, triggerOps[e.event], e.old, e.new); err != nil {
				return err
			}
		}
	}
	q.events = nil
	return nil
}

// StatementTriggers runs t's BEFORE (or AFTER) STATEMENT triggers for
// event (set: an UPDATE's SET columns).
func StatementTriggers(c *Ctx, t *catalog.Table, before bool, event int, set []int) error {
	for _, tr := range t.TriggersFor(before, false, event, set) {
		if _, err := callTrigger(c, t, tr, triggerOps[event], nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// callTrigger runs one trigger through the session.
func callTrigger(c *Ctx, t *catalog.Table, tr catalog.Trigger, op string, old, row []types.Value) ([]types.Value, error) {
	if c.Session == nil {
		return nil, pgerr.NotSupported("trigger %q on table %q cannot fire here", tr.Name, t.Name)
	}
	return c.Session.Trigger(c.Context, t, tr, op, old, row)
}
