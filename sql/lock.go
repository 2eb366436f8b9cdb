package sql

import (
	"context"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
)

// lockTables runs LOCK TABLE: the tables' locks in the statement's mode
// (oltp.LockTableMode), held until the transaction ends. Lockers of a
// table wait for each other as on PostgreSQL; plain reads and writes take
// no table locks (oltp/tablelocks.go). A REPEATABLE READ or SERIALIZABLE
// transaction that has read nothing yet takes its snapshot again once it
// holds the locks — PostgreSQL's is taken by its first query, after them —
// so it sees what the previous holder committed.
func (s *Session) lockTables(ctx context.Context, ls *pg.LockStmt) (string, error) {
	timeout, _ := parseDurationSetting(s.settings["lock_timeout"])
	for _, n := range ls.Relations {
		rv := n.GetRangeVar()
		if rv == nil {
			continue
		}
		schema, err := s.schemaOf(rv)
		if err != nil {
			return "", err
		}
		t, ok := s.txn.cat.Lookup(schema, rv.Relname)
		if !ok {
			if _, isView := s.txn.cat.LookupView(schema, rv.Relname); isView {
				return "", pgerr.NotSupported("LOCK TABLE on a view is not supported yet")
			}
			return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", rv.Relname)
		}
		if err := s.eng.Locks.LockTableMode(ctx, &s.txn.locks, t.ID, int(ls.Mode), ls.Nowait, timeout); err != nil {
			if pe, ok := err.(*pgerr.Error); ok && pe.Code == pgerr.LockNotAvailable && ls.Nowait {
				pe.Message = "could not obtain lock on relation \"" + t.Name + "\""
			}
			return "", err
		}
	}
	t := s.txn
	if t.repeatable && !t.queried && t.writes.Empty() && !t.asOf {
		snap, unpin := s.eng.Store.PinLatest()
		t.oldPins = append(t.oldPins, t.unpin)
		t.snap, t.unpin, t.cat = log.Offset(snap), unpin, s.eng.Store.Catalog()
		t.writes.Base = snap
	}
	return "LOCK TABLE", nil
}
