package sql

import (
	"context"
	"errors"
	"regexp"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// ALTER TABLE … ALTER COLUMN … [SET DATA] TYPE … [USING expr].
//
// The ALTER COLUMN TYPE commands of one ALTER TABLE run together, as
// PostgreSQL's do: each column's new value is computed from the old row —
// its USING expression (which may read any column of the row) or the
// column itself, converted with the assignment cast (plan.BindAlterType:
// 42804 with PostgreSQL's hint when there is none) — and a failing row
// (22P02, 22003, 22001 …) fails the statement with nothing changed.
//
// Two outcomes:
//
//   - No rewrite, when every stored value already is its own value of the
//     new type and keeps its key encoding (rows, keys and column segments
//     encode by kind: every integer width alike, text and varchar alike),
//     no USING rewrites it, and no index expression, generated column or
//     index key is computed from it anew: varchar(n) to varchar(m) or
//     text, integer to bigint (and back when the values fit), numeric
//     precision. The change is the catalog's alone (alter_column).
//   - A rewrite otherwise: the table takes ACCESS EXCLUSIVE, and the
//     transaction writes a rewrite_table change with the new definition,
//     a truncate of the table and every row anew (generated columns
//     recomputed, NOT NULL and CHECK constraints checked — 23502, 23514
//     with PostgreSQL's rewrite messages — unique indexes checked among the
//     new rows: 23505 "could not create unique index"). The commit logs
//     them as one record (chunked when large, delivered whole), so replay
//     and checkpoints see the old definition with the old rows or the new
//     with the new, never a mix; the stores re-key the rows (a new key
//     encoding for a primary key column) and index them anew as they
//     apply the inserts, and the column store starts a new generation of
//     segments (olap.Table.SegmentsAt). Concurrent writers of the table
//     conflict with it at commit (40001), as with any definition change.
//
// Refused as PostgreSQL refuses them: a column a view reads or a generated
// column reads (0A000), USING on a generated column (42611), a column
// altered twice (0A000). Not built: a rewrite of a column in a foreign key
// (either side) fails with 0A000; COLLATE fails with 0A000.

// typeChange is one ALTER COLUMN TYPE command, bound.
type typeChange struct {
	col  int
	from types.Type
	to   types.Type
	conv plan.Expr // the new value from the old row; nil for a generated column (recomputed)
	// using: a USING expression other than the column itself.
	using bool
}

// alterColumnTypes runs the ALTER COLUMN TYPE commands cmds of one ALTER
// TABLE of t.
func (s *Session) alterColumnTypes(ctx context.Context, t *catalog.Table, cmds []*pg.AlterTableCmd) error {
	// ACCESS EXCLUSIVE, as PostgreSQL takes it: LOCK TABLE holders finish
	// first. A READ COMMITTED transaction that has written nothing then
	// reads what they committed (PostgreSQL's statement would, its
	// snapshot being taken after the lock); other writers of the table
	// conflict with the change at commit.
	timeout, _ := parseDurationSetting(s.settings["lock_timeout"])
	if err := s.eng.Locks.LockTableMode(ctx, &s.txn.locks, t.ID, oltp.AccessExclusive, false, timeout); err != nil {
		return err
	}
	if !s.txn.repeatable && s.txn.writes.Empty() {
		if err := s.refreshSnapshot(); err != nil {
			return err
		}
		var ok bool
		if t, ok = s.txn.cat.Table(t.ID); !ok {
			return pgerr.New(pgerr.UndefinedTable, "relation was dropped concurrently")
		}
	}
	nt := t.Clone()
	b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
	var changes []typeChange
	for _, cmd := range cmds {
		i := nt.ColumnIndex(cmd.Name)
		if i < 0 {
			return pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, nt.Name)
		}
		if slices.ContainsFunc(changes, func(c typeChange) bool { return c.col == i }) {
			return pgerr.NotSupported("cannot alter type of column %q twice", cmd.Name)
		}
		cd := cmd.Def.GetColumnDef()
		if cd == nil || cd.TypeName == nil {
			return pgerr.New(pgerr.SyntaxError, "ALTER COLUMN TYPE without a type")
		}
		if cd.CollClause != nil {
			return pgerr.NotSupported("COLLATE in ALTER COLUMN TYPE is not supported")
		}
		to, err := typeOf(b, cd.TypeName)
		if err != nil {
			return err
		}
		ch := typeChange{col: i, from: t.Columns[i].Type, to: to}
		using := cd.RawDefault
		if using != nil && usingIsColumn(using, cmd.Name) && using.GetTypeCast() == nil {
			using = nil // USING col: the column itself
		}
		if t.Columns[i].Generated != "" {
			if cd.RawDefault != nil {
				return pgerr.New("42611", "cannot specify USING when altering type of generated column").
					WithDetail("Column %q is a generated column.", cmd.Name)
			}
		} else {
			if ch.conv, err = b.BindAlterType(t, i, using, to); err != nil {
				return err
			}
			ch.using = using != nil && !usingIsColumn(using, cmd.Name)
		}
		if t.Columns[i].Identity != "" && to.OID != types.OIDInt2 && to.OID != types.OIDInt4 && to.OID != types.OIDInt8 {
			return pgerr.New(pgerr.InvalidParameterValue, "identity column type must be smallint, integer, or bigint")
		}
		if err := s.typeChangeAllowed(t, i); err != nil {
			return err
		}
		nt.Columns[i].Type = to
		changes = append(changes, ch)
	}
	if err := s.checkNewDefinition(nt, changes); err != nil {
		return err
	}
	if !s.needsRewrite(t, changes) {
		same, err := s.valuesKept(t, changes)
		if err != nil {
			return err
		}
		if same {
			if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
				return err
			}
			return s.retypeIdentitySequences(nt, changes)
		}
	}
	for _, ch := range changes {
		if err := s.foreignKeyRewrite(t, ch.col); err != nil {
			return err
		}
		// Every row is written at full width: none reads a missing value.
		nt.Columns[ch.col].Missing = nil
	}
	if err := s.rewriteTable(ctx, t, nt, changes); err != nil {
		return err
	}
	return s.retypeIdentitySequences(nt, changes)
}

// retypeIdentitySequences gives the sequence of each identity column
// among changes the column's new type, as PostgreSQL does (its bounds
// that were the old type's defaults become the new type's).
func (s *Session) retypeIdentitySequences(nt *catalog.Table, changes []typeChange) error {
	for _, ch := range changes {
		c := nt.Columns[ch.col]
		if c.Identity == "" || c.Sequence == 0 {
			continue
		}
		sq, ok := s.txn.cat.Sequence(c.Sequence)
		if !ok || sq.Type == ch.to.OID || sq.Type == 0 && ch.to.OID == types.OIDInt8 {
			continue
		}
		nsq := *sq
		nsq.Type = ch.to.OID
		if err := s.ddl(&catalog.Change{Kind: catalog.CreateSequence, Sequence: &nsq}); err != nil {
			return err
		}
	}
	return nil
}

// typeChangeAllowed refuses a type change of column col of t that
// PostgreSQL refuses: one a view or a generated column reads.
func (s *Session) typeChangeAllowed(t *catalog.Table, col int) error {
	name := t.Columns[col].Name
	if gens, err := s.generatedReading(t, col); err != nil {
		return err
	} else if len(gens) > 0 {
		return pgerr.NotSupported("cannot alter type of a column used by a generated column").
			WithDetail("Column %q is used by generated column %q.", name, gens[0])
	}
	for _, v := range s.txn.cat.Dependents(t.ID) {
		if viewReads(v, name) {
			return pgerr.NotSupported("cannot alter type of a column used by a view or rule").
				WithDetail("rule _RETURN on view %s depends on column %q", v.Name, name)
		}
	}
	return nil
}

// checkNewDefinition binds what the new definition computes from the
// changed columns — defaults (42804 when one cannot be converted), CHECK
// constraints, generation expressions, index expressions and predicates —
// as PostgreSQL re-creates them after the change.
func (s *Session) checkNewDefinition(nt *catalog.Table, changes []typeChange) error {
	for _, ch := range changes {
		c := nt.Columns[ch.col]
		if c.Default == "" {
			continue
		}
		// PostgreSQL keeps the default's expression without the implicit
		// conversion to the column's type (an untyped literal became a
		// constant of the old type) and converts it to the new type by
		// the assignment cast, or not at all.
		src, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).DefaultSourceType(nt, ch.col)
		if err != nil {
			return err
		}
		if plan.IsUnknown(src) {
			src = ch.from
		}
		if src.OID != ch.to.OID && !types.CanCast(src, ch.to, false) {
			return errDefaultCast(c.Name, ch.to)
		}
		if _, err := plan.NewBinder(s.txn.cat, s, s.loc, nil).BindDefault(nt, ch.col); err != nil {
			var pe *pgerr.Error
			if errors.As(err, &pe) && (pe.Code == pgerr.DatatypeMismatch || pe.Code == "42846") {
				return errDefaultCast(c.Name, ch.to)
			}
			return err
		}
	}
	if _, err := s.checksOf(nt); err != nil {
		return err
	}
	if _, err := s.generatedOf(nt); err != nil {
		return err
	}
	for k := range nt.Indexes {
		if !nt.Indexes[k].Plain() {
			if _, err := s.indexReads(nt, &nt.Indexes[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

func errDefaultCast(col string, to types.Type) error {
	return pgerr.New(pgerr.DatatypeMismatch, "default for column %q cannot be cast automatically to type %s", col, types.TypeName(to))
}

// needsRewrite reports whether changes must rewrite t whatever its values:
// a USING expression, a generated column, a change of kind or of key
// encoding, a column an index expression or predicate reads.
func (s *Session) needsRewrite(t *catalog.Table, changes []typeChange) bool {
	for _, ch := range changes {
		if ch.using || ch.conv == nil || types.KindOfType(ch.from) != types.KindOfType(ch.to) || !sameKeyEncoding(ch.from.OID, ch.to.OID) {
			return true
		}
		for k := range t.Indexes {
			ix := &t.Indexes[k]
			if ix.Plain() {
				continue
			}
			reads, err := s.indexReads(t, ix)
			if err != nil || slices.Contains(reads, ch.col) {
				return true
			}
		}
	}
	return false
}

// valuesKept reports whether every stored value of the changed columns is
// already its own value of the new type (no rewrite needed), converting
// each as the rewrite would: a value the new type rejects fails here. It
// stops at the first value that changes: the rewrite converts them all.
func (s *Session) valuesKept(t *catalog.Table, changes []typeChange) (bool, error) {
	ec := s.execCtx(context.Background(), nil)
	same := true
	var bad error
	keep := func(row []types.Value) bool {
		for _, ch := range changes {
			v := oltp.ColValue(t, row, ch.col)
			c, err := exec.Eval(ec, ch.conv, row)
			if err != nil {
				bad = err
				return false
			}
			if !sameValue(v, c) {
				same = false // the rewrite converts (and checks) every row
				return false
			}
		}
		return true
	}
	// The value rows written before ADD COLUMN read.
	missing := make([]types.Value, len(t.Columns))
	for i := range missing {
		missing[i] = oltp.ColValue(t, nil, i)
	}
	if !keep(missing) {
		return false, bad // bad nil: a changed value
	}
	if err := s.reader().Scan(t, nil, nil, func(_ []byte, row []types.Value) bool {
		return keep(row)
	}); err != nil {
		return false, err
	}
	return same && bad == nil, bad
}

// sameValue reports whether a and b are the same stored value.
func sameValue(a, b types.Value) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() == b.IsNull()
	}
	return a.K == b.K && a.I == b.I && a.I2 == b.I2 && a.S == b.S &&
		(a.N != nil) == (b.N != nil) && (a.N == nil || a.N.Text('f') == b.N.Text('f'))
}

// foreignKeyRewrite refuses to rewrite column col of t while a foreign
// key uses it, on either side (not built: PostgreSQL re-checks the
// constraint with the new type).
func (s *Session) foreignKeyRewrite(t *catalog.Table, col int) error {
	for _, fk := range t.ForeignKeys {
		if slices.Contains(fk.Columns, col) {
			return pgerr.NotSupported("changing the type of column %q, used by foreign key constraint %q, in a way that rewrites the table is not supported yet", t.Columns[col].Name, fk.Name)
		}
	}
	for _, r := range s.txn.cat.ReferencedBy(t.ID) {
		if slices.Contains(r.FK.RefColumns, col) {
			return pgerr.NotSupported("changing the type of column %q, referenced by foreign key constraint %q of table %q, in a way that rewrites the table is not supported yet", t.Columns[col].Name, r.FK.Name, r.Table.Name)
		}
	}
	return nil
}

// rewriteTable writes every row of t anew under nt: computes each row's new values from its old ones
// (changes), checks them against nt's constraints and unique indexes, and
// records the rewrite_table change, a truncate and the rows in the
// transaction's write set. Nothing is written unless every row converts.
func (s *Session) rewriteTable(ctx context.Context, t, nt *catalog.Table, changes []typeChange) error {
	ec := s.execCtx(ctx, nil)
	w := s.writer()
	checks, err := s.checksOf(nt)
	if err != nil {
		return err
	}
	// The unique indexes whose keys may change, each with the keys seen.
	type uniq struct {
		ix   *catalog.Index
		seen map[string]struct{}
	}
	var uniqs []uniq
	changed := func(ix *catalog.Index) bool {
		reads, err := s.indexReads(nt, ix)
		if err != nil {
			return true
		}
		for _, c := range reads {
			if nt.Columns[c].Generated != "" || slices.ContainsFunc(changes, func(ch typeChange) bool { return ch.col == c }) {
				return true
			}
		}
		return false
	}
	for k := range nt.Indexes {
		if ix := &nt.Indexes[k]; (ix.Unique || ix.Primary) && changed(ix) {
			uniqs = append(uniqs, uniq{ix: ix, seen: map[string]struct{}{}})
		}
	}
	pk := nt.PK()
	type rewritten struct {
		key []byte
		enc []byte
	}
	var out []rewritten
	if st := w.storeTable(t); st != nil {
		out = make([]rewritten, 0, st.Count())
	}
	var buf []byte
	var fail error
	n := 0
	rewrite := func(oldKey []byte, old []types.Value) error {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		row := make([]types.Value, len(nt.Columns))
		copy(row, old)
		for _, ch := range changes {
			if ch.conv == nil {
				continue // generated: computed below
			}
			v, err := exec.Eval(ec, ch.conv, old)
			if err != nil {
				return err
			}
			row[ch.col] = v
		}
		row, err := w.generate(nt, row)
		if err != nil {
			return err
		}
		for i, c := range nt.Columns {
			if !c.Dropped && c.NotNull && row[i].IsNull() {
				return pgerr.New(pgerr.NotNullViolation, "column %q of relation %q contains null values", c.Name, nt.Name)
			}
		}
		for _, bc := range checks {
			v, err := exec.Eval(ec, bc.e, row)
			if err != nil {
				return err
			}
			if !v.IsNull() && !v.Bool() {
				return pgerr.New(pgerr.CheckViolation, "check constraint %q of relation %q is violated by some row", bc.name, nt.Name)
			}
		}
		for _, u := range uniqs {
			k, in, null, err := oltp.IndexKey(nt, u.ix, row)
			if err != nil {
				return err
			}
			if !in || null {
				continue
			}
			if _, dup := u.seen[string(k)]; dup {
				return pgerr.New(pgerr.UniqueViolation, "could not create unique index %q", u.ix.Name).
					WithDetail("Key %s is duplicated.", keyText(nt, u.ix, row, s))
			}
			u.seen[string(k)] = struct{}{}
		}
		for k := range nt.Indexes {
			// Keys of the other indexes on expressions, computed as the
			// stores will (an expression failing on a row fails here).
			if ix := &nt.Indexes[k]; !ix.Plain() && !ix.Unique && !ix.Primary {
				if _, _, _, err := oltp.IndexKey(nt, ix, row); err != nil {
					return err
				}
			}
		}
		var key []byte
		if pk != nil {
			key = oltp.EncodeKey(nt, pk, row)
		} else {
			key = append([]byte(nil), oldKey...) // a hidden row id stays the row's
		}
		start := len(buf)
		if cap(buf)-len(buf) < 256 {
			buf = make([]byte, 0, 256<<10)
			start = 0
		}
		buf = types.EncodeRow(buf, row)
		out = append(out, rewritten{key: key, enc: buf[start:len(buf):len(buf)]})
		return nil
	}
	if err := s.reader().Scan(t, nil, nil, func(key []byte, row []types.Value) bool {
		fail = rewrite(key, row)
		return fail == nil
	}); err != nil {
		return err
	}
	if fail != nil {
		return fail
	}
	if err := s.ddl(&catalog.Change{Kind: catalog.RewriteTable, Table: nt}); err != nil {
		return err
	}
	s.txn.writes.Truncate(t.ID)
	for _, r := range out {
		s.txn.writes.PutEncoded(t.ID, r.key, nil, r.enc, false)
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
// perhaps cast (col or col::type).
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
