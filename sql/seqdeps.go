package sql

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
)

// Column defaults depend on the sequences they name, as PostgreSQL records
// in pg_depend: DROP SEQUENCE refuses to drop one a default uses (2BP01)
// and with CASCADE removes those defaults; an identity column's sequence
// cannot be dropped at all. A serial column's own sequence is named by its
// default like any other.

// seqUser is a column whose default names a sequence.
type seqUser struct {
	table *catalog.Table
	col   int
}

// sequenceUsers returns the columns whose defaults name sequence id, or
// that own it.
func (s *Session) sequenceUsers(id uint32) []seqUser {
	var out []seqUser
	for _, t := range s.txn.cat.Tables() {
		for i, c := range t.Columns {
			if c.Dropped {
				continue
			}
			uses := c.Sequence == id
			if !uses && c.Default != "" {
				sequenceRefs(s.txn.cat, c.Default, catalogTablePath(t), func(_ *pg.String, _ bool, sq *catalog.Sequence) {
					uses = uses || sq.ID == id
				})
			}
			if uses {
				out = append(out, seqUser{t, i})
			}
		}
	}
	return out
}

// dropSequence drops sequence sq; the defaults naming it are dropped too
// with cascade, else they refuse the drop.
func (s *Session) dropSequence(sq *catalog.Sequence, cascade bool) error {
	users := s.sequenceUsers(sq.ID)
	var detail []string
	for _, u := range users {
		c := u.table.Columns[u.col]
		if c.Identity != "" && c.Sequence == sq.ID {
			return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop sequence %s because column %s of table %s requires it", sq.Name, c.Name, u.table.Name).
				WithHint("You can drop column %s of table %s instead.", c.Name, u.table.Name)
		}
		detail = append(detail, fmt.Sprintf("default value for column %s of table %s depends on sequence %s", c.Name, u.table.Name, sq.Name))
	}
	if len(users) > 0 && !cascade {
		return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop sequence %s because other objects depend on it", sq.Name).
			WithDetail("%s", strings.Join(detail, "\n")).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	for _, u := range users {
		cur, ok := s.txn.cat.Table(u.table.ID)
		if !ok {
			continue
		}
		nt := cur.Clone()
		nt.Columns[u.col].Default = ""
		if nt.Columns[u.col].Sequence == sq.ID {
			nt.Columns[u.col].Sequence = 0
		}
		if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
			return err
		}
	}
	return s.ddl(&catalog.Change{Kind: catalog.DropSequence, ID: sq.ID})
}
