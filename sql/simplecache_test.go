package sql

import (
	"strings"
	"testing"

	"github.com/omendb/omendb/sql/plan"
)

func TestLiftLiterals(t *testing.T) {
	for _, c := range []struct {
		in, tmpl, kinds string
		ok              bool
	}{
		{"SELECT abalance FROM pgbench_accounts WHERE aid = 4242;", "SELECT abalance FROM pgbench_accounts WHERE aid = $1;", "4", true},
		{"SELECT a FROM t WHERE b = 5000000000 AND c IN (1, 2)", "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)", "844", true},
		{"SELECT a FROM t WHERE b = 99999999999999999999", "SELECT a FROM t WHERE b = 99999999999999999999", "", true},
		{"SELECT a FROM t1 WHERE x = -5 AND y = + 6 AND z=7", "SELECT a FROM t1 WHERE x = $1 AND y = + 6 AND z=$2", "44", true},
		{"UPDATE a SET b = b + -1234, c = c - 5 WHERE k = 7;", "UPDATE a SET b = b + $1, c = c - $2 WHERE k = $3;", "444", true},
		{"SELECT a FROM t WHERE x = 1e-5 AND y = 2.5E-3 AND z = (-8) AND w = f(x) - 9 AND v = -2147483648", "SELECT a FROM t WHERE x = 1e-5 AND y = 2.5E-3 AND z = ($1) AND w = f(x) - $2 AND v = $3", "444", true},
		{"SELECT a FROM t WHERE x = -5000000000 AND y BETWEEN -3 AND 3", "SELECT a FROM t WHERE x = $1 AND y BETWEEN -$2 AND $3", "844", true}, // -$2: a prefix operator, refused by safeParams
		{"SELECT 'it''s 5', \"col 6\" FROM t WHERE x = 1.5 OR y = 1e3 OR z = 8", "SELECT 'it''s 5', \"col 6\" FROM t WHERE x = 1.5 OR y = 1e3 OR z = $1", "4", true},
		{"SELECT a FROM t WHERE b = 1 -- 2\n AND c = 3", "SELECT a FROM t WHERE b = $1 -- 2\n AND c = $2", "44", true},
		{"SELECT t.2x FROM t WHERE b = 1::int8", "SELECT t.2x FROM t WHERE b = $1::int8", "4", true},
		{"SELECT a FROM t WHERE b = $1", "", "", false},
		{"SELECT a FROM t WHERE b = E'\\n'", "", "", false},
		{"SELECT a /* 1 */ FROM t", "", "", false},
		{"SELECT 'unterminated", "", "", false},
	} {
		tmpl, vals, key, ok := liftLiterals(c.in)
		if ok != c.ok {
			t.Errorf("%q: ok = %v", c.in, ok)
			continue
		}
		if !ok {
			continue
		}
		if tmpl != c.tmpl || !strings.HasSuffix(key, "\x00"+c.kinds) || len(vals) != len(c.kinds) {
			t.Errorf("%q:\n got %q key %q (%d values)\nwant %q kinds %q", c.in, tmpl, key, len(vals), c.tmpl, c.kinds)
		}
	}
}

func TestSafeTemplateParams(t *testing.T) {
	for _, c := range []struct {
		sql  string
		n    int
		safe bool
	}{
		{"SELECT a FROM t WHERE b = $1", 1, true},
		{"SELECT a FROM t WHERE b + $1 > $2 * c AND d IN ($3, $4) AND e BETWEEN $5 AND $6", 6, true},
		{"SELECT a FROM t WHERE b NOT IN ($1) AND c <> $2", 2, true},
		{"SELECT $1", 0, false},
		{"SELECT a FROM t LIMIT $1", 0, false},
		{"SELECT a FROM t ORDER BY $1", 0, false},
		{"SELECT a FROM t WHERE b = $1::int8", 0, false},
		{"SELECT a FROM t WHERE f(b, $1)", 0, false},
		{"SELECT a FROM t WHERE b = -$1", 1, false},
		{"SELECT a FROM t WHERE $1 = ANY(b)", 0, false},
		{"SELECT a FROM t WHERE b LIKE $1", 0, false},
		{"SELECT a FROM t WHERE b = (SELECT max(c) FROM u WHERE d = $1)", 1, true},
		{"SELECT a FROM t WHERE b BETWEEN $1 AND $2", 2, true},
		{"SELECT a FROM t WHERE b = (SELECT c FROM u LIMIT $1)", 0, false},
		{"SELECT a FROM t WHERE b = $1 / $2", 0, false},
		{"SELECT a FROM t WHERE $1 = $2", 0, false},
		{"SELECT $1 / $2 FROM t", 0, false},
		{"SELECT a FROM t WHERE $1 BETWEEN b AND c", 1, true},
		{"SELECT a FROM t WHERE $1 BETWEEN $2 AND c", 0, false},
		{"SELECT a FROM t WHERE now() > $1", 0, false},
		{"SELECT a + $1 FROM t WHERE lower(b) = $2", 2, true},
	} {
		raws, err := plan.Parse(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		n, safe := 0, true
		safeParams(raws[0].Stmt.ProtoReflect(), &n, &safe)
		if safe != c.safe || (safe && n != c.n) {
			t.Errorf("%s: safe %v n %d, want %v %d", c.sql, safe, n, c.safe, c.n)
		}
	}
}
