package exec

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
)

// A key range alone (no equality prefix before it) may hold a few rows or
// most of a table. It counts as narrow — read through the row store's
// index rather than by a column scan in auto mode — when it holds at most
// narrowRows keys and at most 1/narrowShare of the table's rows: about
// where reading rows one by one from the row store stops being cheaper
// than scanning the table's columns on both cores.
const (
	narrowRows  = plan.FewRows
	narrowShare = 32
)

// KeyCounter is implemented by Readers that can size a key range without
// reading its rows.
type KeyCounter interface {
	// TableRows returns the number of rows of t (an estimate).
	TableRows(t *catalog.Table) int64
	// CountKeys counts the keys of t's primary key (ix nil) or of index ix
	// in [lo, hi) (nil bounds are open), stopping at limit; ok is false
	// when it cannot.
	CountKeys(t *catalog.Table, ix *catalog.Index, lo, hi []byte, limit int) (n int, ok bool)
}

// FirstRows returns how many rows at most a LIMIT reads from scan n in
// its key order (plan.Scan.FirstRows), evaluating a LIMIT of parameters
// (plan.Scan.FirstRowsLimit) with the statement's; 0 when unknown.
func FirstRows(c *Ctx, n *plan.Scan) int64 {
	if n.FirstRows > 0 || n.FirstRowsLimit == nil {
		return n.FirstRows
	}
	lim := n.FirstRowsLimit
	count, err := Eval(c, lim.Count, nil)
	if err != nil || count.IsNull() || count.I < 0 {
		return 0
	}
	var off int64
	if lim.Offset != nil {
		v, err := Eval(c, lim.Offset, nil)
		if err != nil || v.I < 0 {
			return 0
		}
		if !v.IsNull() {
			off = v.I
		}
	}
	if count.I+off <= 0 || count.I+off >= 1<<40 {
		return 0
	}
	return count.I + off
}

// FewFirstRows reports whether a LIMIT reads at most plan.FewRows rows
// from scan n (FirstRows): auto mode reads them through the row store.
func FewFirstRows(c *Ctx, n *plan.Scan) bool {
	r := FirstRows(c, n)
	return r > 0 && r <= plan.FewRows
}

// NarrowRange reports whether scan n's access path is a key range alone
// (Range without an equality prefix) that holds few rows: the keys in its
// bounds, counted on the reader's index, stop before min(narrowRows,
// table rows / narrowShare). A range no row can fall in (a NULL bound) is
// narrow; a reader that cannot count, or bounds that fail to evaluate,
// make it wide (the column store's scan then raises the same error).
func NarrowRange(c *Ctx, n *plan.Scan) bool {
	if n.Range == nil || n.KeyEquality() {
		return false
	}
	kc, ok := c.Reader.(KeyCounter)
	if !ok {
		return false
	}
	lo, hi, empty, err := ScanBounds(c, n)
	if err != nil {
		return false
	}
	if empty {
		return true
	}
	limit := int(min(narrowRows, kc.TableRows(n.Table)/narrowShare)) + 1
	count, ok := kc.CountKeys(n.Table, n.Index, lo, hi, limit)
	return ok && count < limit
}
