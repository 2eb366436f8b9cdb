package plan

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/pgerr"
)

// Data-modifying statements in WITH.
//
// WITH moved AS (DELETE FROM a … RETURNING *) INSERT INTO b SELECT * FROM
// moved: the DELETE runs once, before the INSERT, and its RETURNING rows
// are what the INSERT reads as moved. On PostgreSQL every part of the
// statement reads the same snapshot, so the main statement does not see
// the rows the WITH query changed. OmenDB's statements read their
// transaction's own writes, so a statement whose other parts read a table
// a data-modifying WITH query writes is refused (0A000) rather than
// answered from the changed table.

// bindModifyingCTE binds an INSERT, UPDATE or DELETE in the top WITH
// clause.
func (b *Binder) bindModifyingCTE(cte *pg.CommonTableExpr) (*cteDef, error) {
	m := &ModifyingCTE{}
	var err error
	switch q := cte.Ctequery.Node.(type) {
	case *pg.Node_InsertStmt:
		if m.Insert, err = b.bindInsert(q.InsertStmt); err == nil {
			m.Cols = m.Insert.RetCols
		}
	case *pg.Node_UpdateStmt:
		if m.Update, err = b.bindUpdate(q.UpdateStmt); err == nil {
			m.Cols = m.Update.RetCols
		}
	case *pg.Node_DeleteStmt:
		if m.Delete, err = b.bindDelete(q.DeleteStmt); err == nil {
			m.Cols = m.Delete.RetCols
		}
	case *pg.Node_MergeStmt:
		return nil, pgerr.NotSupported("MERGE not supported in WITH query")
	default:
		return nil, pgerr.NotSupported("WITH query %q of this kind is not supported", cte.Ctename)
	}
	if err != nil {
		return nil, err
	}
	b.nextID++
	m.ID = b.nextID
	cols := append([]Column(nil), m.Cols...)
	for i, a := range nodeName(cte.Aliascolnames) {
		if i < len(cols) {
			cols[i].Name = a
		}
	}
	b.modifying = append(b.modifying, m)
	return &cteDef{node: &Materialize{Input: m, ID: m.ID}, cols: cols, id: m.ID}, nil
}

// Target returns the table the statement writes.
func (m *ModifyingCTE) Target() uint32 {
	switch {
	case m.Insert != nil:
		return m.Insert.Table.ID
	case m.Update != nil:
		return m.Update.Scan.Table.ID
	}
	return m.Delete.Scan.Table.ID
}

// enterTop starts binding a top-level statement whose WITH clause is with
// (the one that may hold data-modifying queries). It reports false when a
// statement is already being bound: this one is part of it.
func (b *Binder) enterTop(with *pg.WithClause) bool {
	if b.topWith != nil || b.modifying != nil {
		return false
	}
	b.topWith = with
	return true
}

// topModifying returns the top statement's data-modifying WITH queries,
// once checked (modifyingChecked).
func (b *Binder) topModifying() ([]*ModifyingCTE, error) {
	if err := b.modifyingChecked(); err != nil {
		return nil, err
	}
	return b.modifying, nil
}

// modifyingChecked refuses a statement in which a table written by a
// data-modifying WITH query is read by name anywhere but as that query's
// own target: it would see the writes (see above).
func (b *Binder) modifyingChecked() error {
	if len(b.modifying) == 0 {
		return nil
	}
	targets := map[uint32]int{}
	for _, m := range b.modifying {
		targets[m.Target()]++
	}
	for id, n := range targets {
		if b.refCount[id] > n {
			name := ""
			if t, ok := b.Cat.Table(id); ok {
				name = t.Name
			}
			return pgerr.NotSupported("a statement that reads table %q, which a data-modifying WITH query writes, is not supported yet", name)
		}
	}
	return nil
}
