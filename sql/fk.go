package sql

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Foreign keys.
//
// A FOREIGN KEY constraint lives in the referencing (child) table's
// definition (catalog.ForeignKey); Catalog.ReferencedBy finds the keys
// that reference a (parent) table. Enforcement follows PostgreSQL's:
//
//   - A child row written (insert, or an update of its key columns) queues
//     a check that its parent exists. Checks run at the end of the
//     statement, or at COMMIT for a deferred constraint, against the
//     statement's snapshot and the transaction's own writes; a row deleted
//     or changed again meanwhile is skipped (its own write queued its own
//     check).
//   - A parent row deleted, or its referenced values updated, runs the
//     constraint's action at once: CASCADE deletes or updates the child
//     rows, SET NULL / SET DEFAULT update them, RESTRICT fails if any
//     exists; NO ACTION queues a check that no child references the old
//     values unless a parent row with them exists again by then.
//   - Concurrent transactions cannot see each other's rows, so the write
//     set names the parents it found (Writes.Reference) and those it
//     removed (Writes.Unreference): the committer fails the later of two
//     conflicting commits with 40001 (oltp/references.go).

// fkKind is what a queued foreign-key check verifies.
type fkKind uint8

const (
	fkChild  fkKind = iota // the child row at key references an existing parent row
	fkParent               // no child row references vals (NO ACTION)
)

// fkCheck is a foreign-key check owed by the transaction.
type fkCheck struct {
	kind  fkKind
	table uint32 // the child table (the constraint's owner)
	name  string // the constraint, found again at check time
	key   []byte // fkChild: the child row's primary key
	// fkParent: the removed values (RefColumns order, parent types) and
	// the parent row's key they were removed from.
	vals      []types.Value
	parentKey []byte
}

// fkState is a transaction's foreign-key bookkeeping.
type fkState struct {
	queue []fkCheck
	// SET CONSTRAINTS: all (nil: each constraint's default) and per name.
	all   *bool
	named map[string]bool
	depth int // nesting of referential actions (cascades)
}

// maxCascadeDepth bounds chains of referential actions (a self-referencing
// table with ON DELETE CASCADE deletes one level per step).
const maxCascadeDepth = 1000

// deferred reports whether fk's checks wait for COMMIT.
func (f *fkState) deferred(fk *catalog.ForeignKey) bool {
	if !fk.Deferrable {
		return false
	}
	if d, ok := f.named[fk.Name]; ok {
		return d
	}
	if f.all != nil {
		return *f.all
	}
	return fk.Deferred
}

// ---- DDL ----

// foreignKey builds the FOREIGN KEY constraint c of t (t may be a table
// being created: a constraint naming it references itself).
func (s *Session) foreignKey(t *catalog.Table, c *pg.Constraint, creating bool) (catalog.ForeignKey, error) {
	var fk catalog.ForeignKey
	parent := t
	if c.Pktable == nil {
		return fk, pgerr.New(pgerr.SyntaxError, "FOREIGN KEY without a referenced table")
	}
	schema, err := s.schemaOf(c.Pktable)
	if err != nil {
		return fk, err
	}
	if c.Pktable.Schemaname == "" && c.Pktable.Relname == t.Name {
		schema = t.Schema // the table itself, temporary or not (it may not exist yet)
	}
	if schema != t.Schema || c.Pktable.Relname != t.Name {
		p, ok := s.txn.cat.Lookup(schema, c.Pktable.Relname)
		if !ok {
			if _, isView := s.txn.cat.LookupView(schema, c.Pktable.Relname); isView {
				return fk, pgerr.New(pgerr.WrongObjectType, "referenced relation %q is not a table", c.Pktable.Relname)
			}
			return fk, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", c.Pktable.Relname)
		}
		if p.MatView != "" {
			return fk, pgerr.New(pgerr.WrongObjectType, "referenced relation %q is not a table", p.Name)
		}
		parent = p
	}
	switch {
	case t.Temp && !parent.Temp:
		return fk, pgerr.New(pgerr.InvalidTableDefinition, "constraints on temporary tables may reference only temporary tables")
	case !t.Temp && parent.Temp:
		return fk, pgerr.New(pgerr.InvalidTableDefinition, "constraints on permanent tables may reference only permanent tables")
	}
	if fk.Columns, err = fkColumns(t, c.FkAttrs); err != nil {
		return fk, err
	}
	if len(c.PkAttrs) == 0 {
		pk := parent.PK()
		if pk == nil {
			return fk, pgerr.New(pgerr.UndefinedObject, "there is no primary key for referenced table %q", parent.Name)
		}
		fk.RefColumns = append([]int(nil), pk.Columns...)
	} else if fk.RefColumns, err = fkColumns(parent, c.PkAttrs); err != nil {
		return fk, err
	}
	if len(fk.Columns) != len(fk.RefColumns) {
		return fk, pgerr.New(pgerr.InvalidForeignKey, "number of referencing and referenced columns for foreign key disagree")
	}
	if referencedIndex(parent, fk.RefColumns) == nil {
		return fk, pgerr.New(pgerr.InvalidForeignKey, "there is no unique constraint matching given keys for referenced table %q", parent.Name)
	}
	fk.RefTable = parent.ID
	fk.ID = s.eng.Store.NewID()
	// The name first: the type error names the constraint.
	fk.Name = c.Conname
	if fk.Name == "" {
		var cols []string
		for _, i := range fk.Columns {
			cols = append(cols, t.Columns[i].Name)
		}
		base := t.Name + "_" + strings.Join(cols, "_") + "_fkey"
		fk.Name = base
		for i := 1; s.constraintTaken(t, fk.Name); i++ {
			fk.Name = fmt.Sprintf("%s%d", base, i)
		}
	} else if s.constraintTaken(t, fk.Name) {
		return fk, pgerr.New(pgerr.DuplicateObject, "constraint %q for relation %q already exists", fk.Name, t.Name)
	}
	for i := range fk.Columns {
		ct, pt := t.Columns[fk.Columns[i]].Type, parent.Columns[fk.RefColumns[i]].Type
		if err := fkTypesMatch(fk.Name, t.Columns[fk.Columns[i]].Name, parent.Columns[fk.RefColumns[i]].Name, ct, pt); err != nil {
			return fk, err
		}
	}
	switch c.FkMatchtype {
	case "", "s":
	case "f":
		fk.MatchFull = true
	default:
		return fk, pgerr.NotSupported("MATCH PARTIAL not yet implemented")
	}
	if len(c.FkDelSetCols) > 0 {
		return fk, pgerr.NotSupported("ON DELETE SET NULL / SET DEFAULT with a column list is not supported yet")
	}
	action := func(a string) (string, error) {
		switch a {
		case "", " ", catalog.NoAction:
			return "", nil
		case catalog.Restrict, catalog.Cascade, catalog.SetNull, catalog.SetDefault:
			return a, nil
		}
		return "", pgerr.NotSupported("referential action %q is not supported", a)
	}
	if fk.OnDelete, err = action(c.FkDelAction); err != nil {
		return fk, err
	}
	if fk.OnUpdate, err = action(c.FkUpdAction); err != nil {
		return fk, err
	}
	if c.Initdeferred && !c.Deferrable {
		// INITIALLY DEFERRED alone implies DEFERRABLE (PostgreSQL's grammar).
		c.Deferrable = true
	}
	fk.Deferrable, fk.Deferred = c.Deferrable, c.Initdeferred
	fk.NotValid = c.SkipValidation && !creating
	return fk, nil
}

// fkColumns returns the positions in t of the columns names lists.
func fkColumns(t *catalog.Table, names []*pg.Node) ([]int, error) {
	var out []int
	for _, n := range names {
		name := n.GetString_().GetSval()
		i := t.ColumnIndex(name)
		if i < 0 {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q referenced in foreign key constraint does not exist", name)
		}
		out = append(out, i)
	}
	return out, nil
}

// fkTypesMatch checks that a referencing column of type ct can reference
// one of type pt: OmenDB compares keys by their encoding, so the two must
// be of one kind (integers of any width, text of any kind, …).
func fkTypesMatch(name, col, refCol string, ct, pt types.Type) error {
	ck, pk := types.KindOfType(ct), types.KindOfType(pt)
	if ck == pk && types.IsArrayType(ct) == types.IsArrayType(pt) {
		return nil
	}
	numeric := func(k types.Kind) bool {
		return k == types.KindInt || k == types.KindNumeric || k == types.KindFloat
	}
	temporal := func(k types.Kind) bool {
		return k == types.KindDate || k == types.KindTimestamp || k == types.KindTimestampTZ
	}
	if numeric(ck) && numeric(pk) || temporal(ck) && temporal(pk) {
		return pgerr.NotSupported("foreign key %q between columns of types %s and %s is not supported yet; use the same type", name, types.TypeName(ct), types.TypeName(pt))
	}
	return pgerr.New(pgerr.DatatypeMismatch, "foreign key constraint %q cannot be implemented", name).
		WithDetail("Key columns %q and %q are of incompatible types: %s and %s.", col, refCol, types.TypeName(ct), types.TypeName(pt))
}

// referencedIndex returns parent's primary key or unique index on exactly
// the columns cols (in any order), the primary key first; nil if none.
func referencedIndex(parent *catalog.Table, cols []int) *catalog.Index {
	var found *catalog.Index
	for i := range parent.Indexes {
		ix := &parent.Indexes[i]
		if !ix.Unique && !ix.Primary || !ix.Plain() || len(ix.Columns) != len(cols) {
			continue // a partial or expression index does not qualify (PostgreSQL's rule)
		}
		same := true
		for _, c := range cols {
			if !slices.Contains(ix.Columns, c) {
				same = false
			}
		}
		if same && (found == nil || ix.Primary) {
			found = ix
		}
	}
	return found
}

// validateForeignKey checks every row of t (at the statement's snapshot,
// with the transaction's own writes) against a new foreign key.
func (s *Session) validateForeignKey(ctx context.Context, t *catalog.Table, fk *catalog.ForeignKey) error {
	parent := t
	if fk.RefTable != t.ID {
		parent, _ = s.txn.cat.Table(fk.RefTable)
	}
	v := s.reader()
	var bad error
	n := 0
	err := v.Scan(t, nil, nil, func(_ []byte, row []types.Value) bool {
		if n++; n%1024 == 0 && ctx.Err() != nil {
			bad = ctx.Err()
			return false
		}
		vals, skip, err := fkValues(t, fk, row)
		if err != nil || skip {
			bad = err
			return err == nil
		}
		if _, ok := v.findReferenced(parent, fk, vals); !ok {
			bad = v.childViolation(t, fk, parent, vals)
			return false
		}
		return true
	})
	if bad != nil {
		return bad
	}
	return err
}

// dropReferencing removes the foreign keys of other tables that reference
// table id (DROP TABLE … CASCADE, or dropping tables that reference each
// other together: keep is the set being dropped). Without cascade a
// reference from a table outside keep is an error (2BP01).
func (s *Session) dropReferencing(id uint32, name string, cascade bool, keep map[uint32]bool) error {
	for {
		var ref *catalog.Reference
		for _, r := range s.txn.cat.ReferencedBy(id) {
			if r.Table.ID != id {
				r := r
				ref = &r
				break
			}
		}
		if ref == nil {
			return nil
		}
		if !cascade && !keep[ref.Table.ID] {
			return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop table %s because other objects depend on it", name).
				WithDetail("constraint %s on table %s depends on table %s", ref.FK.Name, ref.Table.Name, name).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
		nt := ref.Table.Clone()
		nt.ForeignKeys = slices.DeleteFunc(nt.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == ref.FK.Name })
		if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
			return err
		}
	}
}

// setConstraints runs SET CONSTRAINTS: the named (or all) deferrable
// constraints are checked at COMMIT or at each statement's end; switching
// to IMMEDIATE runs their pending checks now.
func (s *Session) setConstraints(ctx context.Context, cs *pg.ConstraintsSetStmt) (string, error) {
	// Outside a transaction block PostgreSQL checks the names, warns and
	// changes nothing.
	inBlock := s.txn != nil && s.txn.explicit
	var f *fkState
	if inBlock {
		f = &s.txn.fk
	}
	if len(cs.Constraints) == 0 {
		if inBlock {
			d := cs.Deferred
			f.all, f.named = &d, nil
		}
	} else {
		for _, n := range cs.Constraints {
			rv := n.GetRangeVar()
			if rv == nil {
				continue
			}
			found, deferrable := false, true
			for _, t := range s.txn.cat.Tables() {
				for i := range t.ForeignKeys {
					if t.ForeignKeys[i].Name == rv.Relname {
						found = true
						deferrable = deferrable && t.ForeignKeys[i].Deferrable
					}
				}
			}
			if !found {
				return "", pgerr.New(pgerr.UndefinedObject, "constraint %q does not exist", rv.Relname)
			}
			if !deferrable {
				return "", pgerr.New(pgerr.WrongObjectType, "constraint %q is not deferrable", rv.Relname)
			}
			if !inBlock {
				continue
			}
			if f.named == nil {
				f.named = map[string]bool{}
			}
			f.named[rv.Relname] = cs.Deferred
		}
	}
	if inBlock && !cs.Deferred {
		if err := s.fkRun(ctx, false); err != nil {
			return "", err
		}
	}
	return "SET CONSTRAINTS", nil
}

// ---- checks ----

// fkValues returns fk's columns of child row row. skip: the row references
// nothing (MATCH SIMPLE: a NULL column; MATCH FULL: all NULL); MATCH FULL
// with some NULL is an error.
func fkValues(child *catalog.Table, fk *catalog.ForeignKey, row []types.Value) ([]types.Value, bool, error) {
	vals := make([]types.Value, len(fk.Columns))
	nulls := 0
	for i, c := range fk.Columns {
		vals[i] = oltp.ColValue(child, row, c)
		if vals[i].IsNull() {
			nulls++
		}
	}
	switch {
	case nulls == 0:
		return vals, false, nil
	case fk.MatchFull && nulls < len(vals):
		return nil, true, pgerr.New(pgerr.ForeignKeyViolation, "insert or update on table %q violates foreign key constraint %q", child.Name, fk.Name).
			WithDetail("MATCH FULL does not allow mixing of null and nonnull key values.")
	}
	return nil, true, nil
}

// findReferenced finds the parent row whose RefColumns equal vals (the
// referencing columns' values); it returns the row's primary key.
func (v *txnView) findReferenced(parent *catalog.Table, fk *catalog.ForeignKey, vals []types.Value) ([]byte, bool) {
	ix := referencedIndex(parent, fk.RefColumns)
	if ix == nil {
		return nil, false
	}
	prow := make([]types.Value, len(parent.Columns))
	for i := range prow {
		prow[i] = types.Null
	}
	for i, c := range fk.RefColumns {
		prow[c] = vals[i]
	}
	key, _, ok, _ := v.conflict(parent, ix, prow, nil) // a plain index: no expression to fail
	return key, ok
}

// referencing calls fn with every child row whose fk columns equal vals
// (the parent's referenced values): through an index of the child that
// leads with the columns, else by scanning the table.
func (v *txnView) referencing(child *catalog.Table, fk *catalog.ForeignKey, vals []types.Value, fn func(key []byte, row []types.Value) bool) error {
	want := make([]byte, 0, 16)
	for i, c := range fk.Columns {
		want = keycode.Append(want, vals[i], child.Columns[c].Type)
	}
	match := func(row []types.Value) bool {
		got := make([]byte, 0, len(want))
		for _, c := range fk.Columns {
			got = keycode.Append(got, oltp.ColValue(child, row, c), child.Columns[c].Type)
		}
		return bytes.Equal(got, want)
	}
	for i := range child.Indexes {
		ix := &child.Indexes[i]
		if len(ix.Columns) < len(fk.Columns) || !ix.Plain() {
			continue // a partial index misses rows; expressions are no columns
		}
		var prefix []byte
		lead := true
		for e, c := range ix.Columns[:len(fk.Columns)] {
			j := slices.Index(fk.Columns, c)
			if j < 0 {
				lead = false
				break
			}
			prefix = keycode.AppendOrdered(prefix, vals[j], child.KeyType(c), keycode.Order(ix.Order(e)))
		}
		if !lead {
			continue
		}
		if i == child.PrimaryKey {
			return v.Scan(child, prefix, oltp.PrefixEnd(prefix), func(key []byte, row []types.Value) bool {
				return !match(row) || fn(key, row)
			})
		}
		return v.IndexScan(child, ix, prefix, func(key []byte, row []types.Value) bool {
			return !match(row) || fn(key, row)
		})
	}
	return v.Scan(child, nil, nil, func(key []byte, row []types.Value) bool {
		return !match(row) || fn(key, row)
	})
}

// referenced reports whether some child row references vals.
func (v *txnView) referenced(child *catalog.Table, fk *catalog.ForeignKey, vals []types.Value) (bool, error) {
	found := false
	err := v.referencing(child, fk, vals, func([]byte, []types.Value) bool {
		found = true
		return false
	})
	return found, err
}

func (v *txnView) keyText(t *catalog.Table, cols []int, vals []types.Value) string {
	var names, texts []string
	for i, c := range cols {
		names = append(names, t.Columns[c].Name)
		if vals[i].IsNull() {
			texts = append(texts, "null")
		} else {
			texts = append(texts, types.TextString(vals[i], t.Columns[c].Type, v.s.loc))
		}
	}
	return fmt.Sprintf("(%s)=(%s)", strings.Join(names, ", "), strings.Join(texts, ", "))
}

// childViolation is the error for a child row referencing no parent row.
func (v *txnView) childViolation(child *catalog.Table, fk *catalog.ForeignKey, parent *catalog.Table, vals []types.Value) error {
	return pgerr.New(pgerr.ForeignKeyViolation, "insert or update on table %q violates foreign key constraint %q", child.Name, fk.Name).
		WithDetail("Key %s is not present in table %q.", v.keyText(child, fk.Columns, vals), parent.Name)
}

// parentViolation is the error for removing values child rows reference.
func (v *txnView) parentViolation(child *catalog.Table, fk *catalog.ForeignKey, parent *catalog.Table, vals []types.Value) error {
	return pgerr.New(pgerr.ForeignKeyViolation, "update or delete on table %q violates foreign key constraint %q on table %q", parent.Name, fk.Name, child.Name).
		WithDetail("Key %s is still referenced from table %q.", v.keyText(parent, fk.RefColumns, vals), child.Name)
}

// ---- hooks on the write paths ----

// fkWritten is called after a row of t is written (inserted: old nil;
// updated; key is the row's key after the write): each foreign key whose
// columns the write set or changed queues a check of the row.
func (v *txnView) fkWritten(t *catalog.Table, key []byte, old, row []types.Value) {
	for i := range t.ForeignKeys {
		fk := &t.ForeignKeys[i]
		if old != nil && sameColumns(t, fk.Columns, old, row) {
			continue
		}
		skip := true
		for _, c := range fk.Columns {
			if !oltp.ColValue(t, row, c).IsNull() {
				skip = false
			}
		}
		if skip {
			continue // all NULL: references nothing under either MATCH
		}
		v.t.fk.queue = append(v.t.fk.queue, fkCheck{kind: fkChild, table: t.ID, name: fk.Name, key: append([]byte(nil), key...)})
	}
}

// sameColumns reports whether a and b (rows of t) agree on cols (NULL
// agreeing with NULL): an update that leaves them has nothing to check.
func sameColumns(t *catalog.Table, cols []int, a, b []types.Value) bool {
	for _, c := range cols {
		av, bv := oltp.ColValue(t, a, c), oltp.ColValue(t, b, c)
		if av.IsNull() || bv.IsNull() {
			if av.IsNull() != bv.IsNull() {
				return false
			}
			continue
		}
		if types.CompareTyped(av, bv, t.Columns[c].Type) != 0 {
			return false
		}
	}
	return true
}

// fkRemoved is called before a row of parent table t is deleted (row nil)
// or updated to row: for each foreign key referencing t whose referenced
// values change, the key's action runs (CASCADE, SET NULL, SET DEFAULT,
// RESTRICT) or its check is queued (NO ACTION).
func (v *txnView) fkRemoved(t *catalog.Table, key []byte, old, row []types.Value) error {
	refs := v.t.cat.ReferencedBy(t.ID)
	if len(refs) == 0 || old == nil {
		return nil
	}
	if v.t.fk.depth >= maxCascadeDepth {
		return pgerr.New(pgerr.StatementTooComplex, "stack depth limit exceeded").
			WithDetail("Referential actions nest more than %d levels deep.", maxCascadeDepth)
	}
	v.t.fk.depth++
	defer func() { v.t.fk.depth-- }()
	noted := false
	for _, r := range refs {
		fk, child := r.FK, r.Table
		if row != nil && sameColumns(t, fk.RefColumns, old, row) {
			continue
		}
		vals := make([]types.Value, len(fk.RefColumns))
		null := false
		for i, c := range fk.RefColumns {
			vals[i] = oltp.ColValue(t, old, c)
			null = null || vals[i].IsNull()
		}
		if null {
			continue // no child row can reference a NULL
		}
		if !noted {
			v.t.writes.Unreference(t.ID, key, v.snap())
			noted = true
		}
		action := fk.DeleteAction()
		if row != nil {
			action = fk.UpdateAction()
		}
		switch action {
		case catalog.NoAction:
			v.t.fk.queue = append(v.t.fk.queue, fkCheck{kind: fkParent, table: child.ID, name: fk.Name, vals: vals, parentKey: append([]byte(nil), key...)})
		case catalog.Restrict:
			found, err := v.referenced(child, fk, vals)
			if err != nil {
				return err
			}
			if found {
				return v.parentViolation(child, fk, t, vals)
			}
		default:
			if err := v.fkAct(action, child, fk, t, vals, row); err != nil {
				return err
			}
		}
	}
	return nil
}

// fkAct runs a CASCADE, SET NULL or SET DEFAULT action on the child rows
// referencing vals; row is the parent's new row (nil: it was deleted).
func (v *txnView) fkAct(action string, child *catalog.Table, fk *catalog.ForeignKey, parent *catalog.Table, vals, row []types.Value) error {
	type hit struct {
		key []byte
		row []types.Value
	}
	var hits []hit
	if err := v.referencing(child, fk, vals, func(key []byte, r []types.Value) bool {
		hits = append(hits, hit{append([]byte(nil), key...), append([]types.Value(nil), r...)})
		return true
	}); err != nil {
		return err
	}
	if len(hits) == 0 {
		return nil
	}
	if err := child.Refuse(); err != nil {
		return err
	}
	event := catalog.TriggerUpdate // SET NULL, SET DEFAULT, ON UPDATE CASCADE update the rows
	if action == catalog.Cascade && row == nil {
		event = catalog.TriggerDelete // ON DELETE CASCADE deletes them
	}
	if child.HasTriggers(event) {
		// PostgreSQL fires the child's triggers for the rows its action
		// changes; OmenDB writes them directly, so it refuses instead.
		return pgerr.NotSupported("foreign key %q: the %s of rows of table %q by its ON DELETE / ON UPDATE action fires triggers, which is not supported yet",
			fk.Name, map[int]string{catalog.TriggerUpdate: "update", catalog.TriggerDelete: "deletion"}[event], child.Name)
	}
	var defaults []types.Value
	if action == catalog.SetDefault {
		for _, c := range fk.Columns {
			b := plan.NewBinder(v.t.cat, v.s, v.s.loc, nil)
			e, err := b.BindDefault(child, c)
			if err != nil {
				return err
			}
			d, err := exec.Eval(v.s.execCtx(context.Background(), nil), e, nil)
			if err != nil {
				return err
			}
			defaults = append(defaults, d)
		}
	}
	for _, h := range hits {
		if action == catalog.SetDefault {
			// The default may equal the removed values: the row is then
			// "updated" to what it had, and still must find a parent
			// (PostgreSQL's RI_FKey_setdefault re-checks the same way).
			v.t.fk.queue = append(v.t.fk.queue, fkCheck{kind: fkChild, table: child.ID, name: fk.Name, key: h.key})
		}
		if action == catalog.Cascade && row == nil {
			if err := v.Delete(child, h.key); err != nil {
				return err
			}
			continue
		}
		nr := fill(child, h.row)
		nr = append([]types.Value(nil), nr...)
		for i, c := range fk.Columns {
			switch action {
			case catalog.Cascade:
				nr[c] = oltp.ColValue(parent, row, fk.RefColumns[i])
			case catalog.SetNull:
				nr[c] = types.Null
			case catalog.SetDefault:
				nr[c] = defaults[i]
			}
		}
		if _, err := v.Update(child, h.key, h.row, nr); err != nil {
			return err
		}
	}
	return nil
}

// currentRow returns the row of t at key that a write replacing it
// replaces: the transaction's own version, else the newest committed one
// (the writer holds the row's lock or validates against it at commit).
func (v *txnView) currentRow(t *catalog.Table, key []byte) []types.Value {
	if p, ok := v.t.writes.Table(t.ID).Lookup(key); ok {
		if p.Deleted() {
			return nil
		}
		return fill(t, p.Values())
	}
	if prow, _, ok := v.s.eng.Locks.Pending(t.ID, key); ok {
		if prow == nil {
			return nil
		}
		return fill(t, prow)
	}
	if row, ok := v.lookup(t, key); ok {
		return row
	}
	if st := v.storeTable(t); st != nil {
		if _, end, row, ok := st.Latest(key); ok && end == oltp.Live {
			return fill(t, row)
		}
	}
	return nil
}

// ---- running the queue ----

// fkRun runs the queued checks: at a statement's end those of immediate
// constraints (all: false), at COMMIT all of them. Checks of deferred
// constraints stay queued.
func (s *Session) fkRun(ctx context.Context, all bool) error {
	t := s.txn
	if t == nil || len(t.fk.queue) == 0 {
		return nil
	}
	v := s.writer()
	kept := t.fk.queue[:0]
	queue := t.fk.queue
	t.fk.queue = nil
	var firstErr error
	for i, c := range queue {
		if firstErr != nil {
			break
		}
		if i%1024 == 1023 && ctx.Err() != nil {
			firstErr = ctx.Err()
			break
		}
		child, ok := t.cat.Table(c.table)
		if !ok {
			continue
		}
		fi := slices.IndexFunc(child.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == c.name })
		if fi < 0 {
			continue // dropped since
		}
		fk := &child.ForeignKeys[fi]
		if !all && t.fk.deferred(fk) {
			kept = append(kept, c)
			continue
		}
		parent, ok := t.cat.Table(fk.RefTable)
		if !ok {
			continue
		}
		switch c.kind {
		case fkChild:
			row, ok := v.lookup(child, c.key)
			if !ok {
				continue // deleted since
			}
			vals, skip, err := fkValues(child, fk, row)
			if err != nil {
				firstErr = err
				continue
			}
			if skip {
				continue
			}
			pkey, found := v.findReferenced(parent, fk, vals)
			if !found {
				firstErr = v.childViolation(child, fk, parent, vals)
				continue
			}
			if _, own := t.writes.Table(parent.ID).Lookup(pkey); !own {
				// Found in the snapshot: a concurrent removal must fail
				// one of the two commits. (A row this transaction wrote
				// conflicts with any concurrent write of it anyway.)
				t.writes.Reference(parent.ID, pkey, v.snap())
			}
		case fkParent:
			if _, again := v.findReferenced(parent, fk, c.vals); again {
				continue // a row with the values exists again
			}
			found, err := v.referenced(child, fk, c.vals)
			if err != nil {
				firstErr = err
				continue
			}
			if found {
				firstErr = v.parentViolation(child, fk, parent, c.vals)
			}
		}
	}
	if firstErr != nil {
		t.fk.queue = nil
		return firstErr
	}
	// Keep the deferred checks, and any queued while these ran (none
	// today: checks do not write).
	t.fk.queue = append(kept, t.fk.queue...)
	return nil
}
