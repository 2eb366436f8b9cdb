package vexec_test

import "testing"

// Window functions and array expansion run in the row executor above column
// scans: with omendb.engine = 'column' they must give the row path's results.
func TestWindowAndExpandOverColumnScans(t *testing.T) {
	srv, c := setup(t)
	compare(t, srv, c, []diffCase{
		{sql: "SELECT id, g, row_number() OVER (PARTITION BY g ORDER BY id) FROM t WHERE id < 200 ORDER BY id"},
		{sql: "SELECT g, sum(amt) OVER (PARTITION BY g ORDER BY id), rank() OVER (ORDER BY q) FROM t WHERE id < 300 ORDER BY id"},
		{sql: "SELECT id, lag(amt) OVER (ORDER BY id), lead(k, 2) OVER (ORDER BY id) FROM t WHERE id BETWEEN 10 AND 80 ORDER BY id"},
		{sql: "SELECT id, (information_schema._pg_expandarray(ARRAY[g, q])).x FROM t WHERE id < 20 ORDER BY id, 2"},
	})
}
