package oltp

import (
	"sync"
	"sync/atomic"
)

// Activity statistics (pg_stat_user_tables, pg_stat_user_indexes,
// pg_stat_database): counters of what this process did to each table since
// it started (or since ResetStats). Apply counts the row operations it
// applies — one atomic add per operation, on the table's own counters —
// whoever applies them: the committer, and the materializer replaying the
// log after the checkpoint at start, so the replayed operations count too.
// Scans are counted by their readers (package sql) when they end. Nothing
// is persisted: the counters start from zero at every start, as
// PostgreSQL's do after a crash.

// TableStats are one table's counters.
type TableStats struct {
	// Inserted, Updated and Deleted count the row operations applied (an
	// UPDATE that changes the primary key is a delete and an insert).
	Inserted, Updated, Deleted atomic.Int64
	// SeqScans counts whole-table scans and SeqRead the rows they read.
	// Scans through an index are counted per index (IndexUse), as
	// PostgreSQL's views sum them per table.
	SeqScans, SeqRead atomic.Int64
}

// IndexUse counts the scans of one index (the primary key's included) and
// the rows they returned.
type IndexUse struct {
	Scans, Read atomic.Int64
}

// tableStats is kept apart from Table's hot fields: readers add to the scan
// counters while the applier writes the rest.
type tableStats struct {
	TableStats
	indexes sync.Map // index id → *IndexUse
}

// Stats returns the table's counters.
func (t *Table) Stats() *TableStats { return &t.stats.TableStats }

// IndexUse returns the counters of the table's index id (its primary
// key's included), made on first use.
func (t *Table) IndexUse(id uint32) *IndexUse {
	if u, ok := t.stats.indexes.Load(id); ok {
		return u.(*IndexUse)
	}
	u, _ := t.stats.indexes.LoadOrStore(id, &IndexUse{})
	return u.(*IndexUse)
}

// ResetStats sets every table's and index's counters to zero
// (pg_stat_reset).
func (s *Store) ResetStats() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, t := range s.tables {
		st := &t.stats
		for _, c := range []*atomic.Int64{&st.Inserted, &st.Updated, &st.Deleted, &st.SeqScans, &st.SeqRead} {
			c.Store(0)
		}
		st.indexes.Range(func(_, v any) bool {
			u := v.(*IndexUse)
			u.Scans.Store(0)
			u.Read.Store(0)
			return true
		})
	}
}
