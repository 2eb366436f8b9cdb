package sql

import (
	"fmt"
	"regexp"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// ALTER TABLE … ALTER COLUMN … [SET DATA] TYPE.
//
// OmenDB changes a column's type without rewriting the table when every
// stored value already is its own value of the new type: a row keeps its
// encoding (rows, keys and column segments encode by kind — every integer
// width alike, text and varchar alike), so the change is the catalog's
// alone. Each existing value is cast to the new type as an assignment
// would (so too-long strings fail with 22001 and out-of-range integers
// with 22003, as in PostgreSQL); a cast that changes a value — numeric
// rescaled, a float rounded, char padding, json normalized to jsonb — or a
// change of kind (integer to numeric, text to integer) would need the
// table rewritten, which is refused with 0A000. Migration tools' common
// changes pass: varchar(n) to varchar(m) or text, integer to bigint (and
// back when the values fit), numeric precision.

// alterColumnType changes column cmd.Name of nt (a clone of t) to the
// type of cmd.Def.
func (s *Session) alterColumnType(t, nt *catalog.Table, cmd *pg.AlterTableCmd) error {
	i := nt.ColumnIndex(cmd.Name)
	if i < 0 {
		return pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, nt.Name)
	}
	cd := cmd.Def.GetColumnDef()
	if cd == nil || cd.TypeName == nil {
		return pgerr.New(pgerr.SyntaxError, "ALTER COLUMN TYPE without a type")
	}
	if cd.CollClause != nil {
		return pgerr.NotSupported("COLLATE in ALTER COLUMN TYPE is not supported")
	}
	if u := cd.RawDefault; u != nil && !usingIsColumn(u, cmd.Name) {
		return pgerr.NotSupported("ALTER COLUMN TYPE … USING an expression is not supported yet")
	}
	to, err := typeOf(plan.NewBinder(s.txn.cat, s, s.loc, nil), cd.TypeName)
	if err != nil {
		return err
	}
	from := nt.Columns[i].Type
	if from == to {
		return nil
	}
	rewrite := func() error {
		return pgerr.NotSupported("changing column %q from %s to %s would rewrite the table, which is not supported yet",
			cmd.Name, types.TypeName(from), types.TypeName(to))
	}
	if types.KindOfType(from) != types.KindOfType(to) || !sameKeyEncoding(from.OID, to.OID) {
		return rewrite()
	}
	if nt.Columns[i].Generated != "" {
		return rewrite() // its values would be computed anew
	}
	if gens, err := s.generatedReading(t, i); err != nil {
		return err
	} else if len(gens) > 0 {
		return pgerr.NotSupported("cannot alter type of a column used by a generated column").
			WithDetail("Column %q is used by generated column %q.", cmd.Name, gens[0])
	}
	for k := range t.Indexes {
		ix := &t.Indexes[k]
		if ix.Plain() {
			continue
		}
		reads, err := s.indexReads(t, ix)
		if err != nil {
			return err
		}
		if slices.Contains(reads, i) {
			// Its keys would have to be computed anew (PostgreSQL rebuilds
			// the index).
			return pgerr.NotSupported("cannot alter type of a column used by an index expression or predicate").
				WithDetail("Column %q is used by index %q.", cmd.Name, ix.Name)
		}
	}
	for _, v := range s.txn.cat.Dependents(t.ID) {
		if viewReads(v, cmd.Name) {
			return pgerr.NotSupported("cannot alter type of a column used by a view or rule").
				WithDetail("rule _RETURN on view %s depends on column %q", v.Name, cmd.Name)
		}
	}
	// Every stored value must be its own value of the new type.
	var bad error
	check := func(v types.Value) bool {
		if v.IsNull() {
			return true
		}
		c, err := types.Cast(v, from, to, false, s.loc)
		if err != nil {
			bad = err
			return false
		}
		if c.K != v.K || c.I != v.I || c.I2 != v.I2 || c.S != v.S ||
			(v.N != nil) != (c.N != nil) || v.N != nil && v.N.Text('f') != c.N.Text('f') {
			bad = rewrite()
			return false
		}
		return true
	}
	if v, ok := t.Columns[i].MissingValue(); ok && !check(v) {
		// The value rows written before ADD COLUMN read.
		return bad
	}
	_ = s.reader().Scan(t, nil, nil, func(_ []byte, row []types.Value) bool {
		if i >= len(row) {
			return true
		}
		return check(row[i])
	})
	if bad != nil {
		return bad
	}
	nt.Columns[i].Type = to
	if nt.Columns[i].Default != "" {
		// The default must still be a value of the column.
		if _, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindDefault(nt, i); err != nil {
			return fmt.Errorf("default for column %q cannot be cast automatically to type %s: %w", cmd.Name, types.TypeName(to), err)
		}
	}
	return nil
}

// sameKeyEncoding reports whether values of the two types encode alike in
// keys (oltp/keycode): char(n) drops trailing spaces, json is not jsonb.
func sameKeyEncoding(a, b types.OID) bool {
	special := func(o types.OID) bool {
		return o == types.OIDBPChar || o == types.OIDJSON || o == types.OIDJSONB
	}
	if special(a) || special(b) {
		return a == b
	}
	return true
}

// usingIsColumn reports whether a USING expression is the column itself,
// perhaps cast (col or col::type): what ALTER TYPE does without USING.
func usingIsColumn(n *pg.Node, col string) bool {
	if tc := n.GetTypeCast(); tc != nil {
		n = tc.Arg
	}
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 {
		return false
	}
	s := cr.Fields[0].GetString_()
	return s != nil && s.Sval == col
}

// viewReads reports whether view v may read column col of a table it
// names: its query mentions the name or selects *.
func viewReads(v *catalog.View, col string) bool {
	re := regexp.MustCompile(`(^|[^A-Za-z0-9_$])("?)` + regexp.QuoteMeta(col) + `("?)($|[^A-Za-z0-9_$])|\*`)
	return re.MatchString(v.Query)
}
