package sql

import (
	"context"
	"strings"
	"sync"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/types"
)

// Extension is a family of OmenDB-specific statements (CREATE SOURCE,
// BACKUP …) handled by the package that owns the capability. The extension
// grammar in front of the PostgreSQL parser recognises a statement by its
// leading keywords and hands the whole text to Exec.
type Extension struct {
	// Name is shown in errors ("CREATE SOURCE").
	Name string
	// Keywords are the leading words, upper case ("CREATE", "SOURCE").
	Keywords []string
	// Columns are the statement's result columns when they are fixed;
	// Describe (extended protocol) reports them. nil: no rows, or rows
	// whose shape depends on the statement (then use the simple protocol).
	Columns []pgwire.Column
	// Exec runs the statement outside any transaction block. Columns and
	// Rows may be empty; Tag is the CommandComplete tag.
	Exec func(ctx context.Context, e *Engine, sql string) (*ExtResult, error)
}

// ExtResult is what an extension statement returns.
type ExtResult struct {
	Columns []pgwire.Column
	Rows    [][]types.Value
	Tag     string
}

var (
	extMu      sync.RWMutex
	extensions []Extension
)

// RegisterExtension adds an extension; call it from an init function or
// before serving.
func RegisterExtension(x Extension) {
	extMu.Lock()
	defer extMu.Unlock()
	extensions = append(extensions, x)
}

// builtinExtensions are statement openings reserved for capabilities not
// built yet: they fail with 0A000 rather than a confusing syntax error.
var builtinExtensions = []Extension{
	{Name: "CREATE SOURCE (PostgreSQL CDC)", Keywords: []string{"CREATE", "SOURCE"}},
	{Name: "DROP SOURCE", Keywords: []string{"DROP", "SOURCE"}},
	{Name: "SHOW SOURCES", Keywords: []string{"SHOW", "SOURCES"}},
	{Name: "BACKUP", Keywords: []string{"BACKUP"}},
}

// extStmt is a recognised extension statement.
type extStmt struct {
	x   Extension
	sql string
}

func matchExt(words []string, x Extension) bool {
	if len(words) < len(x.Keywords) {
		return false
	}
	for i, w := range x.Keywords {
		if strings.TrimRight(words[i], ";") != w {
			return false
		}
	}
	return true
}

// parseExtension recognises extension statements; ok is false for ordinary
// SQL, which goes to the PostgreSQL parser.
func parseExtension(sql string) (*extStmt, bool, error) {
	words := strings.Fields(strings.ToUpper(StripComments(sql)))
	extMu.RLock()
	defer extMu.RUnlock()
	for _, x := range extensions {
		if matchExt(words, x) {
			return &extStmt{x: x, sql: sql}, true, nil
		}
	}
	for _, x := range builtinExtensions {
		if matchExt(words, x) {
			return &extStmt{x: x, sql: sql}, true, nil
		}
	}
	return nil, false, nil
}

// execExt runs an extension statement.
func (s *Session) execExt(ctx context.Context, st *extStmt) (*result, error) {
	if st.x.Exec == nil {
		return nil, pgerr.NotSupported("%s is not supported yet", st.x.Name)
	}
	if s.txn != nil && s.txn.explicit {
		return nil, pgerr.New(pgerr.ActiveSQLTransaction, "%s cannot run inside a transaction block", st.x.Name)
	}
	r, err := st.x.Exec(ctx, s.eng, st.sql)
	if err != nil {
		return nil, err
	}
	return &result{cols: r.Columns, rows: r.Rows, tag: r.Tag}, nil
}

// StripComments removes leading SQL comments and white space (extension
// statements are recognised by their first words).
func StripComments(s string) string {
	for {
		s = strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return ""
			}
			s = s[i+2:]
		default:
			return s
		}
	}
}
