package exec

import (
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
)

// ScanCounter is implemented by Readers that count scans for the
// statistics views (pg_stat_user_tables, pg_stat_user_indexes).
type ScanCounter interface {
	// Scanned records one scan of t that returned rows rows: through
	// index ix, or a whole-table scan when ix is nil.
	Scanned(t *catalog.Table, ix *catalog.Index, rows int)
}

// CountScan records a finished scan n of the row executor that read rows
// rows with c's Reader, if it counts scans: a scan that fixes a
// primary-key prefix or range is a scan of the primary key's index, one
// with an index path a scan of that index, any other a whole-table scan.
func CountScan(c *Ctx, n *plan.Scan, rows int) {
	ix := n.Index
	if ix == nil && (len(n.KeyEq) > 0 || n.Range != nil || n.Reverse) {
		ix = n.Table.PK()
	}
	countScan(c, n.Table, ix, rows)
}

// CountSeqScan records a whole-table scan of t that read rows rows (the
// column store's scans, key ranges or not).
func CountSeqScan(c *Ctx, t *catalog.Table, rows int) { countScan(c, t, nil, rows) }

func countScan(c *Ctx, t *catalog.Table, ix *catalog.Index, rows int) {
	if sc, ok := c.Reader.(ScanCounter); ok {
		sc.Scanned(t, ix, rows)
	}
}
