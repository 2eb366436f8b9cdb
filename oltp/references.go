package oltp

import (
	"github.com/omendb/omendb/catalog"
)

// Foreign keys across concurrent transactions.
//
// The session checks a foreign key against its snapshot (and its own
// writes): a referencing row finds its referenced row, a removed referenced
// row finds no referencing rows. What the snapshot cannot show is a commit
// after it. So a transaction's write set carries two lists the committer
// validates, as PostgreSQL's KEY SHARE row locks would serialize them:
//
//   - references: referenced rows (table, primary key) its rows point to,
//     each with the snapshot it was found at;
//   - removals: referenced rows it deleted or whose referenced values it
//     changed, each with the snapshot at which no row referenced them.
//
// A transaction fails with 40001 if a reference of it was removed by a
// commit after the reference's snapshot, or a removal of it was referenced
// by one. The committer keeps the keys of pending records (any of them is
// after every snapshot being validated) and, once applied, the offset of
// the newest commit that referenced or removed each key; entries older than
// the oldest snapshot any reader can hold are dropped (Store.Oldest).

// refKind tells a reference from a removal.
type refKind uint8

const (
	refUse  refKind = iota // a row references the key
	refGone                // the key's referenced values were removed
)

// Reference records that the transaction's rows reference the row with
// primary key key of table (found at snapshot base).
func (w *Writes) Reference(table uint32, key []byte, base uint64) {
	w.noteRef(refUse, table, key, base)
}

// Unreference records that the transaction removed the referenced values
// of the row with primary key key of table (unreferenced at snapshot base).
func (w *Writes) Unreference(table uint32, key []byte, base uint64) {
	w.noteRef(refGone, table, key, base)
}

func (w *Writes) noteRef(kind refKind, table uint32, key []byte, base uint64) {
	if w.refs[kind] == nil {
		w.refs[kind] = map[pendKey]uint64{}
	}
	k := pendKey{table, string(key)}
	if b, ok := w.refs[kind][k]; !ok || base < b {
		w.refs[kind][k] = base // the oldest snapshot is the strictest
	}
}

// References reports how many referenced rows the transaction references
// and removes (tests, statistics).
func (w *Writes) References() (uses, removals int) {
	return len(w.refs[refUse]), len(w.refs[refGone])
}

// refState is the committer's memory of references and removals.
type refState struct {
	// pend: keys of validated, not yet applied records, per kind; batch
	// lists them per batch sequence for forgetLocked.
	pend  [2]map[pendKey]int
	batch map[uint64][]refNote
	// at: per kind, the offset of the newest applied commit per key.
	at [2]map[pendKey]uint64
	// prune is the size of at at which the old entries are dropped next.
	prune int
}

type refNote struct {
	kind refKind
	key  pendKey
}

// checkRefs fails if a reference of w was removed, or a removal of w
// referenced, after the snapshot it was checked at. c.mu is held.
func (c *Committer) checkRefs(w *Writes) error {
	r := &c.refs
	for kind, m := range w.refs {
		other := refGone
		if refKind(kind) == refGone {
			other = refUse
		}
		for k, base := range m {
			if r.pend[other][k] > 0 || r.at[other][k] > base {
				if other == refGone {
					return serializationFailure("concurrent delete or update of a row referenced by a foreign key")
				}
				return serializationFailure("concurrent insert or update of a row referencing a deleted or updated key")
			}
		}
	}
	return nil
}

// addRefs makes w's references and removals pending in batch seq. c.mu is
// held.
func (c *Committer) addRefs(w *Writes, seq uint64) {
	r := &c.refs
	if r.batch == nil {
		r.batch = map[uint64][]refNote{}
	}
	for kind, m := range w.refs {
		if len(m) == 0 {
			continue
		}
		if r.pend[kind] == nil {
			r.pend[kind] = map[pendKey]int{}
		}
		for k := range m {
			r.pend[kind][k]++
			r.batch[seq] = append(r.batch[seq], refNote{refKind(kind), k})
		}
	}
}

// forgetRefs drops batch seq's pending entries; applied at off (0: the
// batch failed), they are remembered with that offset. c.mu is held.
func (c *Committer) forgetRefs(seq, off uint64) {
	r := &c.refs
	notes, ok := r.batch[seq]
	if !ok {
		return
	}
	delete(r.batch, seq)
	for _, n := range notes {
		if r.pend[n.kind][n.key]--; r.pend[n.kind][n.key] <= 0 {
			delete(r.pend[n.kind], n.key)
		}
		if off == 0 {
			continue
		}
		if r.at[n.kind] == nil {
			r.at[n.kind] = map[pendKey]uint64{}
		}
		r.at[n.kind][n.key] = off
	}
	if n := len(r.at[refUse]) + len(r.at[refGone]); n > max(r.prune, 4096) {
		oldest := c.store.Oldest()
		for kind := range r.at {
			for k, o := range r.at[kind] {
				if o <= oldest {
					delete(r.at[kind], k)
				}
			}
		}
		r.prune = 2 * (len(r.at[refUse]) + len(r.at[refGone]))
	}
}

// newReferences returns the tables def's foreign keys reference that old
// (the definition it replaces; nil for a new table) did not.
func newReferences(old, def *catalog.Table) []uint32 {
	var out []uint32
	for _, fk := range def.ForeignKeys {
		if fk.RefTable == def.ID {
			continue
		}
		known := false
		if old != nil {
			for _, o := range old.ForeignKeys {
				if o.RefTable == fk.RefTable {
					known = true
				}
			}
		}
		if !known {
			out = append(out, fk.RefTable)
		}
	}
	return out
}
