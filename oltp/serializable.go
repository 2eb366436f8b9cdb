package oltp

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
)

// SERIALIZABLE: snapshot isolation plus validation of what was read.
//
// A serializable transaction reads one snapshot (as REPEATABLE READ) and
// records what it read in its write set: the keys it looked up and the
// tables it scanned. At commit the committer fails it (40001) if any of
// them changed after the snapshot — a key written by a later or pending
// commit, a scanned table written at all — so it behaves as if it ran
// alone at its commit point (backward validation, as optimistic
// concurrency control does; PostgreSQL's SSI tracks the same dependencies
// with predicate locks and aborts fewer transactions). Writes are validated
// as for every transaction. A read-only serializable transaction needs no
// validation: its snapshot is the state after a prefix of the commit order,
// which every validated writer preserves.
//
// Scans are recorded per table, not per range: a scan conflicts with any
// concurrent write to its table. That is coarser than PostgreSQL (more
// retries under write contention on scanned tables), never weaker.

// readSet is what a serializable transaction read.
type readSet struct {
	keys   map[pendKey]struct{}
	tables map[uint32]struct{}
}

// ReadKey records that the transaction read the row with primary key key
// of table (found or not).
func (w *Writes) ReadKey(table uint32, key []byte) {
	if w.reads == nil {
		w.reads = &readSet{}
	}
	if _, ok := w.reads.tables[table]; ok {
		return // covered
	}
	if w.reads.keys == nil {
		w.reads.keys = map[pendKey]struct{}{}
	}
	w.reads.keys[pendKey{table, string(key)}] = struct{}{}
}

// ReadTable records that the transaction scanned table (any of its rows,
// or the absence of any, may have decided what it did).
func (w *Writes) ReadTable(table uint32) {
	if w.reads == nil {
		w.reads = &readSet{}
	}
	if w.reads.tables == nil {
		w.reads.tables = map[uint32]struct{}{}
	}
	w.reads.tables[table] = struct{}{}
}

// Reads reports how many keys and tables the transaction recorded as read.
func (w *Writes) Reads() (keys, tables int) {
	if w.reads == nil {
		return 0, 0
	}
	return len(w.reads.keys), len(w.reads.tables)
}

// readConflict is the error of a serializable transaction whose reads
// changed: PostgreSQL's wording for the same outcome.
func readConflict() error {
	return pgerr.New(pgerr.SerializationFailure, "could not serialize access due to read/write dependencies among transactions").
		WithHint("The transaction might succeed if retried.")
}

// checkReads fails w if something it read changed after snap: written by a
// commit after snap or by a pending one. c.mu is held.
func (c *Committer) checkReads(w *Writes, snap uint64) error {
	created := func(id uint32) bool {
		for _, ch := range w.ddl {
			if ch.Kind == catalog.CreateTable && ch.Table.ID == id {
				return true
			}
		}
		return false
	}
	for id := range w.reads.tables {
		t := c.store.Table(id)
		if t == nil && created(id) {
			continue
		}
		if t == nil || t.lastWrite.Load() > snap || t.schemaAt.Load() > snap || c.tableBusy(id) {
			return readConflict()
		}
	}
	for k := range w.reads.keys {
		if _, ok := w.reads.tables[k.table]; ok {
			continue
		}
		if _, ok := c.pendingSeq(k); ok {
			return readConflict()
		}
		t := c.store.Table(k.table)
		if t == nil {
			if created(k.table) {
				continue
			}
			return readConflict()
		}
		if t.lastWrite.Load() <= snap {
			continue // nothing of the table changed since
		}
		if v := t.latest([]byte(k.key)); v != nil {
			if end := v.End(); v.Begin > snap || (end != Live && end > snap) {
				return readConflict()
			}
		}
	}
	return nil
}
