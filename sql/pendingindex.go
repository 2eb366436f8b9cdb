package sql

import (
	"bytes"

	"github.com/tidwall/btree"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
)

// A transaction's own rows are in its write set, not in the row store's
// indexes, so an index lookup (a unique check of each row an INSERT writes,
// a point read by a secondary key) must also find the matching pending
// rows. Reading every pending row for each lookup made a bulk INSERT into
// a table with a secondary unique index quadratic (4,000 rows: 1.4 s). For
// write sets of more than pendingIndexMin rows of a table, the transaction
// keeps an index of its pending rows per secondary index (pendingIndex):
// entries ordered by index key then primary key, extended with the rows
// added since its last use, rebuilt when a row's values were replaced in
// place or the table truncated (oltp.TableWrites.Rewrites), and dropped
// with the write set it indexes (a savepoint's restore makes a new one).

// pendingIndexMin is the write-set size from which lookups use an index.
const pendingIndexMin = 64

type pendingEntry struct {
	key []byte // the row's index key (oltp.IndexKey)
	p   *oltp.PendingRow
}

func pendingLess(a, b pendingEntry) bool {
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c < 0
	}
	if a.p == nil || b.p == nil {
		return a.p == nil && b.p != nil // a probe sorts before the entries of its key
	}
	return bytes.Compare(a.p.Key, b.p.Key) < 0
}

// pendingIndex indexes the pending rows of one table in one index.
type pendingIndex struct {
	tw       *oltp.TableWrites
	n        int    // rows of tw indexed (write order)
	rewrites uint64 // tw.Rewrites() when they were
	tree     *btree.BTreeG[pendingEntry]
}

type pendingIndexKey struct{ table, index uint32 }

// pendingRows calls fn for the transaction's pending rows of table t
// (tw) that ix holds under a key beginning with prefix, through the
// transaction's pending index when the write set is large, else by reading
// every pending row. Deleted rows are skipped.
func (v *txnView) pendingRows(t *catalog.Table, ix *catalog.Index, tw *oltp.TableWrites, prefix []byte, fn func(key []byte, p *oltp.PendingRow) bool) {
	if tw.Len() < pendingIndexMin {
		tw.Rows(func(p *oltp.PendingRow) bool {
			if p.Deleted() {
				return true
			}
			if indexHolds(t, ix, fill(t, p.Values()), prefix) {
				return fn(p.Key, p)
			}
			return true
		})
		return
	}
	pi := v.pendingIndex(t, ix, tw)
	pi.tree.Ascend(pendingEntry{key: prefix}, func(e pendingEntry) bool {
		if !bytes.HasPrefix(e.key, prefix) {
			return false
		}
		if e.p.Deleted() {
			return true
		}
		return fn(e.p.Key, e.p)
	})
}

// pendingIndex returns the transaction's index of tw's rows in ix, brought
// up to date.
func (v *txnView) pendingIndex(t *catalog.Table, ix *catalog.Index, tw *oltp.TableWrites) *pendingIndex {
	k := pendingIndexKey{t.ID, ix.ID}
	if v.t.pending == nil {
		v.t.pending = map[pendingIndexKey]*pendingIndex{}
	}
	pi := v.t.pending[k]
	if pi == nil || pi.tw != tw || pi.rewrites != tw.Rewrites() || pi.n > tw.Len() {
		pi = &pendingIndex{tw: tw, rewrites: tw.Rewrites(), tree: btree.NewBTreeGOptions(pendingLess, btree.Options{NoLocks: true})}
		v.t.pending[k] = pi
	}
	tw.RowsFrom(pi.n, func(p *oltp.PendingRow) bool {
		if !p.Deleted() {
			if key, in, _, err := oltp.IndexKey(t, ix, fill(t, p.Values())); err == nil && in {
				pi.tree.Set(pendingEntry{key: key, p: p})
			}
		}
		return true
	})
	pi.n = tw.Len()
	return pi
}
