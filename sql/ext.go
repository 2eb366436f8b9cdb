package sql

import (
	"strings"

	"github.com/omendb/omendb/pgerr"
)

// extStmt is an OmenDB-specific statement recognised by the extension
// grammar that runs in front of the PostgreSQL parser.
type extStmt struct {
	kind string
	err  error
}

// extKeywords are the statement openings the extension grammar owns. Each
// belongs to a later piece of work; until it lands the statement fails with
// 0A000 instead of a confusing PostgreSQL syntax error.
var extKeywords = []struct {
	words []string
	what  string
}{
	{[]string{"CREATE", "SOURCE"}, "CREATE SOURCE (PostgreSQL CDC)"},
	{[]string{"DROP", "SOURCE"}, "DROP SOURCE"},
	{[]string{"SHOW", "SOURCES"}, "SHOW SOURCES"},
	{[]string{"BACKUP"}, "BACKUP"},
}

// parseExtension recognises extension statements. ok is false for ordinary
// SQL, which goes to the PostgreSQL parser.
func parseExtension(sql string) (*extStmt, bool, error) {
	words := strings.Fields(strings.ToUpper(strings.TrimSpace(stripComments(sql))))
	for _, k := range extKeywords {
		if len(words) < len(k.words) {
			continue
		}
		match := true
		for i, w := range k.words {
			if strings.TrimRight(words[i], ";") != w {
				match = false
				break
			}
		}
		if match {
			return &extStmt{kind: k.what, err: pgerr.NotSupported("%s is not supported yet", k.what)}, true, nil
		}
	}
	return nil, false, nil
}

// stripComments removes leading SQL comments.
func stripComments(s string) string {
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
