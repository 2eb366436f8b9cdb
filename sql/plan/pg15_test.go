package plan

import (
	"testing"

	"github.com/omendb/omendb/pgerr"
)

// TestPG15Syntax: Parse refuses what PostgreSQL 15's grammar refuses in
// MERGE — RETURNING and WHEN NOT MATCHED BY — at the offending word, and
// nothing else.
func TestPG15Syntax(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		near string // "" = parses
		pos  int32
	}{
		{sql: `MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.a)`},
		{sql: `merge into t using s on t.a = s.a when matched then delete`},
		{sql: `MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE RETURNING *`, near: "RETURNING", pos: 60},
		{sql: `MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED BY TARGET THEN DO NOTHING`, near: "BY", pos: 52},
		{sql: `merge into t using s on t.a = s.a when not matched by source then delete`, near: "by", pos: 52},
		{sql: `EXPLAIN MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE RETURNING t.a`, near: "RETURNING", pos: 68},
		{sql: `SELECT 1; MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE RETURNING 1`, near: "RETURNING", pos: 70},
		// RETURNING of a data-modifying query inside the source is not
		// MERGE's; nor is one in a later statement.
		{sql: `MERGE INTO t USING (WITH d AS (DELETE FROM u RETURNING a) SELECT a FROM d) s ON t.a = s.a WHEN NOT MATCHED THEN DO NOTHING`},
		{sql: `MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED THEN DO NOTHING; DELETE FROM u RETURNING a`},
		// Statements without MERGE are not looked at.
		{sql: `SELECT merged FROM merges WHERE NOT matched`},
	} {
		_, err := Parse(tc.sql)
		switch {
		case tc.near == "" && err != nil:
			t.Errorf("%s: %v", tc.sql, err)
		case tc.near != "" && err == nil:
			t.Errorf("%s: parsed, want a syntax error at %q", tc.sql, tc.near)
		case tc.near != "":
			pe := pgerr.FromError(err)
			if pe.Code != pgerr.SyntaxError || pe.Message != `syntax error at or near "`+tc.near+`"` || pe.Position != tc.pos {
				t.Errorf("%s: %s %q at %d, want 42601 near %q at %d", tc.sql, pe.Code, pe.Message, pe.Position, tc.near, tc.pos)
			}
		}
	}
}
