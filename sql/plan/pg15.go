package plan

import (
	"unicode/utf8"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/omendb/omendb/pgerr"
)

// pg_query v6 parses with PostgreSQL 17's grammar; OmenDB speaks
// PostgreSQL 15's. checkPG15Syntax refuses, as PostgreSQL 15's grammar
// does (42601 at the offending word), what the newer grammar added to
// statements OmenDB otherwise runs: MERGE … RETURNING and WHEN NOT
// MATCHED BY SOURCE | TARGET (PostgreSQL 17).
func checkPG15Syntax(sql string, stmts []*pg.RawStmt) error {
	if !containsMerge(sql) {
		return nil // the common case: no walk of the tree
	}
	suspect := false
	for _, st := range stmts {
		if AnyNode(st.Stmt, func(m proto.Message) bool {
			ms, ok := m.(*pg.MergeStmt)
			if !ok {
				return false
			}
			if len(ms.ReturningList) > 0 {
				return true
			}
			for _, w := range ms.MergeWhenClauses {
				if w.GetMergeWhenClause().GetMatchKind() != pg.MergeMatchKind_MERGE_WHEN_MATCHED {
					return true
				}
			}
			return false
		}) {
			suspect = true
			break
		}
	}
	if !suspect {
		return nil
	}
	// The AST does not tell WHEN NOT MATCHED from WHEN NOT MATCHED BY
	// TARGET, nor where RETURNING is: the tokens do.
	res, err := pg.Scan(sql)
	if err != nil {
		return nil // the parser accepted it; let binding decide
	}
	toks := res.Tokens
	is := func(i int, t pg.Token) bool { return i < len(toks) && toks[i].Token == t }
	fail := func(i int) error {
		word := sql[toks[i].Start:toks[i].End]
		pos := utf8.RuneCountInString(sql[:toks[i].Start]) + 1
		return pgerr.New(pgerr.SyntaxError, "syntax error at or near %q", word).WithPosition(int32(pos))
	}
	depth := 0
	var merges []int // paren depths of the MERGE statements being read
	for i, tk := range toks {
		switch tk.Token {
		case pg.Token_ASCII_40:
			depth++
		case pg.Token_ASCII_41:
			depth--
			for len(merges) > 0 && merges[len(merges)-1] > depth {
				merges = merges[:len(merges)-1]
			}
		case pg.Token_ASCII_59:
			merges, depth = nil, 0
		case pg.Token_MERGE:
			if is(i+1, pg.Token_INTO) {
				merges = append(merges, depth)
			}
		case pg.Token_RETURNING:
			if len(merges) > 0 && merges[len(merges)-1] == depth {
				return fail(i)
			}
		case pg.Token_WHEN:
			if len(merges) > 0 && is(i+1, pg.Token_NOT) && is(i+2, pg.Token_MATCHED) && is(i+3, pg.Token_BY) {
				return fail(i + 3)
			}
		}
	}
	return nil
}

// containsMerge reports whether sql holds the word MERGE in any case.
func containsMerge(sql string) bool {
	const w = "merge"
	for i := 0; i+len(w) <= len(sql); i++ {
		j := 0
		for j < len(w) && sql[i+j]|0x20 == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}
