package sql

import (
	"context"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// User-defined enum types: CREATE TYPE … AS ENUM, ALTER TYPE … ADD VALUE /
// RENAME VALUE / RENAME TO, DROP TYPE. Each is one catalog change carrying
// the type's whole new definition (catalog.EnumType); labels keep their
// stored representations for good (types.Enum), so no statement here
// rewrites a row.

// maxLabelLen is NAMEDATALEN - 1: the longest enum label, in bytes.
const maxLabelLen = 63

// typeSchema returns the schema a type name (["mood"], ["s1", "mood"],
// ["db", "s1", "mood"]) names and its last part: an unqualified name's is
// the first schema of the search path that has a type of that name, or
// when create is set the schema new objects go to. A named schema must
// exist (3F000).
func (s *Session) typeSchema(names []string, create bool) (string, string, error) {
	if len(names) == 0 || len(names) > 3 {
		return "", "", pgerr.New(pgerr.SyntaxError, "improper qualified name (too many dotted names)")
	}
	name := names[len(names)-1]
	if len(names) == 1 {
		if create {
			schema, err := s.newObjectSchema("")
			return schema, name, err
		}
		return s.txn.cat.ResolveType(s.SearchPath(), name), name, nil
	}
	schema := names[len(names)-2]
	if !s.txn.cat.SchemaExists(schema) || strings.HasPrefix(schema, catalog.TempSchemaPrefix) {
		return "", "", noSchema(schema)
	}
	return schema, name, nil
}

// lookupEnum finds the enum type names name (42704 if there is none).
func (s *Session) lookupEnum(names []string) (*catalog.EnumType, error) {
	schema, name, err := s.typeSchema(names, false)
	if err != nil {
		return nil, err
	}
	e, ok := s.txn.cat.LookupEnumType(schema, name)
	if !ok {
		return nil, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", name)
	}
	return e, nil
}

// writableEnum refuses to change a read-only enum type (a CDC source's).
func writableEnum(e *catalog.EnumType) error {
	if e.ReadOnly != "" {
		return pgerr.New(pgerr.ReadOnlySQLTransaction, "type %q is read-only: %s", e.Name, e.ReadOnly)
	}
	return nil
}

// typeNameTaken reports whether a type (an enum type, or the row type of a
// relation, which PostgreSQL creates with every table and view) named name
// exists in schema.
func (s *Session) typeNameTaken(schema, name string) bool {
	if _, ok := s.txn.cat.LookupEnumType(schema, name); ok {
		return true
	}
	if _, ok := s.txn.cat.Lookup(schema, name); ok {
		return true
	}
	_, ok := s.txn.cat.LookupView(schema, name)
	return ok
}

func checkLabel(label string) error {
	if len(label) > maxLabelLen {
		return pgerr.New("42602", "invalid enum label %q", label).WithDetail("Labels must be %d bytes or less.", maxLabelLen)
	}
	return nil
}

func (s *Session) createEnum(cs *pg.CreateEnumStmt) (string, error) {
	schema, name, err := s.typeSchema(nodeNames(cs.TypeName), true)
	if err != nil {
		return "", err
	}
	if s.typeNameTaken(schema, name) {
		return "", pgerr.New(pgerr.DuplicateObject, "type %q already exists", name)
	}
	labels := nodeNames(cs.Vals)
	reps := types.EnumReps(len(labels))
	e := &catalog.EnumType{ID: s.eng.Store.NewID(), ArrayID: s.eng.Store.NewID(), Schema: schema, Name: name,
		Labels: make([]catalog.EnumLabel, len(labels))}
	seen := make(map[string]bool, len(labels))
	for i, l := range labels {
		if err := checkLabel(l); err != nil {
			return "", err
		}
		if seen[l] {
			// pg_enum's unique index (enumtypid, enumlabel).
			return "", pgerr.New(pgerr.UniqueViolation, `duplicate key value violates unique constraint "pg_enum_typid_label_index"`).
				WithDetail("Key (enumtypid, enumlabel)=(%d, %s) already exists.", e.ID, l)
		}
		seen[l] = true
		e.Labels[i] = catalog.EnumLabel{ID: s.eng.Store.NewID(), Label: l, Rep: reps[i], Sort: float32(i + 1)}
	}
	if err := s.ddl(&catalog.Change{Kind: catalog.CreateType, ID: e.ID, Enum: e}); err != nil {
		return "", err
	}
	return "CREATE TYPE", nil
}

// alterEnum runs ALTER TYPE … ADD VALUE and RENAME VALUE.
func (s *Session) alterEnum(as *pg.AlterEnumStmt) (string, error) {
	old, err := s.lookupEnum(nodeNames(as.TypeName))
	if err != nil {
		return "", err
	}
	if err := writableEnum(old); err != nil {
		return "", err
	}
	e := old.Clone()
	pos := func(label string) int {
		for i, l := range e.Labels {
			if l.Label == label {
				return i
			}
		}
		return -1
	}
	if as.OldVal != "" {
		// RENAME VALUE: the label changes, the representation stays.
		i := pos(as.OldVal)
		if i < 0 {
			return "", pgerr.New(pgerr.InvalidParameterValue, "%q is not an existing enum label", as.OldVal)
		}
		if as.OldVal == as.NewVal {
			return "ALTER TYPE", nil
		}
		if pos(as.NewVal) >= 0 {
			return "", pgerr.New(pgerr.DuplicateObject, "enum label %q already exists", as.NewVal)
		}
		if err := checkLabel(as.NewVal); err != nil {
			return "", err
		}
		if err := s.checkRenameRefs(e, as.OldVal); err != nil {
			return "", err
		}
		e.Labels[i].Label = as.NewVal
		if err := s.alterEnumDDL(e, 0); err != nil {
			return "", err
		}
		return "ALTER TYPE", s.renameInDefaults(e, as.OldVal, as.NewVal)
	}
	// ADD VALUE [IF NOT EXISTS] 'x' [BEFORE | AFTER 'y'].
	if err := checkLabel(as.NewVal); err != nil {
		return "", err
	}
	if pos(as.NewVal) >= 0 {
		if as.SkipIfNewValExists {
			s.notice(pgerr.DuplicateObject, "enum label %q already exists, skipping", as.NewVal)
			return "ALTER TYPE", nil
		}
		return "", pgerr.New(pgerr.DuplicateObject, "enum label %q already exists", as.NewVal)
	}
	at := len(e.Labels) // the new label's position
	if as.NewValNeighbor != "" {
		nb := pos(as.NewValNeighbor)
		if nb < 0 {
			return "", pgerr.New(pgerr.InvalidParameterValue, "%q is not an existing enum label", as.NewValNeighbor)
		}
		at = nb
		if as.NewValIsAfter {
			at = nb + 1
		}
	}
	lo, hi := "", ""
	if at > 0 {
		lo = e.Labels[at-1].Rep
	}
	if at < len(e.Labels) {
		hi = e.Labels[at].Rep
	}
	l := catalog.EnumLabel{ID: s.eng.Store.NewID(), Label: as.NewVal, Rep: types.EnumRepBetween(lo, hi)}
	e.Labels = append(e.Labels[:at], append([]catalog.EnumLabel{l}, e.Labels[at:]...)...)
	enumSortOrder(e.Labels, at, as.NewValNeighbor != "", as.NewValIsAfter)
	return "ALTER TYPE", s.alterEnumDDL(e, l.ID)
}

// enumSortOrder gives the label just inserted at position at its
// pg_enum.enumsortorder as PostgreSQL's AddEnumLabel computes it: one past
// the last when appended, one before (after) the neighbour at an end,
// else the float4 midpoint of the neighbours — and when that equals one of
// them, the existing labels are first renumbered 1…n (RenumberEnumType).
func enumSortOrder(ls []catalog.EnumLabel, at int, neighbor, after bool) {
	n := len(ls) - 1 // labels before the insertion
	switch {
	case n == 0:
		ls[at].Sort = 1
		return
	case !neighbor:
		ls[at].Sort = ls[at-1].Sort + 1
		return
	}
	nb, other := at+1, at-1 // BEFORE: the neighbour follows
	if after {
		nb, other = at-1, at+1
	}
	switch {
	case other < 0:
		ls[at].Sort = ls[nb].Sort - 1
		return
	case other > n:
		ls[at].Sort = ls[nb].Sort + 1
		return
	}
	mid := (ls[nb].Sort + ls[other].Sort) / 2
	if mid == ls[nb].Sort || mid == ls[other].Sort {
		k := float32(1)
		for i := range ls {
			if i != at {
				ls[i].Sort = k
				k++
			}
		}
		mid = (ls[nb].Sort + ls[other].Sort) / 2
	}
	ls[at].Sort = mid
}

// renameType runs ALTER TYPE … RENAME TO.
func (s *Session) renameType(rs *pg.RenameStmt) (string, error) {
	old, err := s.lookupEnum(nodeNames(rs.Object.GetList().GetItems()))
	if err != nil {
		if rs.MissingOk {
			return "ALTER TYPE", nil
		}
		return "", err
	}
	if err := writableEnum(old); err != nil {
		return "", err
	}
	if old.Name == rs.Newname {
		return "", pgerr.New(pgerr.DuplicateObject, "type %q already exists", rs.Newname)
	}
	if s.typeNameTaken(old.Schema, rs.Newname) {
		return "", pgerr.New(pgerr.DuplicateObject, "type %q already exists", rs.Newname)
	}
	e := old.Clone()
	e.Name = rs.Newname
	return "ALTER TYPE", s.alterEnumDDL(e, 0)
}

// commentType runs COMMENT ON TYPE (an enum type): obj_description(oid,
// 'pg_type') and psql's \dT show it.
func (s *Session) commentType(cs *pg.CommentStmt) (string, error) {
	tn := cs.Object.GetTypeName()
	if tn == nil {
		return "", pgerr.New(pgerr.SyntaxError, "improper type name")
	}
	old, err := s.lookupEnum(nodeNames(tn.Names))
	if err != nil {
		return "", err
	}
	e := old.Clone()
	e.Comment = cs.Comment
	return "COMMENT", s.alterEnumDDL(e, 0)
}

// alterEnumDDL logs e, the new definition of an enum type, in the
// transaction; the labels this transaction added (added, if not 0, and
// those it added before) stay unusable in it until it commits (55P04).
func (s *Session) alterEnumDDL(e *catalog.EnumType, added uint32) error {
	pending := map[uint32]bool{}
	if added != 0 {
		pending[added] = true
	}
	if cur, ok := s.txn.cat.EnumType(e.ID); ok {
		for _, l := range cur.Labels {
			if l.Uncommitted {
				pending[l.ID] = true
			}
		}
	}
	if err := s.ddl(&catalog.Change{Kind: catalog.AlterType, ID: e.ID, Enum: e}); err != nil {
		return err
	}
	cat, err := s.txn.cat.WithUncommitted(e.ID, pending)
	if err != nil {
		return err
	}
	s.txn.cat = cat
	return nil
}

// dropTypes runs DROP TYPE [IF EXISTS] name, … [CASCADE | RESTRICT].
// CASCADE first drops the columns of that type (as ALTER TABLE … DROP
// COLUMN … CASCADE does) and the views with a column of it.
func (s *Session) dropTypes(ctx context.Context, d *pg.DropStmt) (string, error) {
	cascade := d.Behavior == pg.DropBehavior_DROP_CASCADE
	for _, obj := range d.Objects {
		tn := obj.GetTypeName()
		if tn == nil {
			continue
		}
		names := nodeNames(tn.Names)
		e, err := s.lookupEnum(names)
		if err != nil {
			if d.MissingOk && pgerr.FromError(err).Code == pgerr.UndefinedObject {
				s.skipMissing("type", names[len(names)-1])
				continue
			}
			return "", err
		}
		if err := writableEnum(e); err != nil {
			return "", err
		}
		if cascade {
			if err := s.dropTypeUsers(ctx, e); err != nil {
				return "", err
			}
		}
		if err := s.ddl(&catalog.Change{Kind: catalog.DropType, ID: e.ID}); err != nil {
			return "", err
		}
	}
	return "DROP TYPE", nil
}

func (s *Session) dropTypeUsers(ctx context.Context, e *catalog.EnumType) error {
	usesType := func(c catalog.Column) bool {
		return !c.Dropped && c.Type.Enum != nil && uint32(c.Type.Enum.OID) == e.ID
	}
	for _, v := range s.txn.cat.Views() {
		for _, c := range v.Columns {
			if usesType(c) {
				if err := s.dropDependents(v.ID, true); err != nil {
					return err
				}
				if _, ok := s.txn.cat.View(v.ID); ok {
					if err := s.ddl(&catalog.Change{Kind: catalog.DropView, ID: v.ID}); err != nil {
						return err
					}
				}
				break
			}
		}
	}
	for _, t := range s.txn.cat.EnumUsers(e.ID) {
		if t.MatView != "" {
			// A materialized view goes whole, as a view does.
			if err := s.dropDependents(t.ID, true); err != nil {
				return err
			}
			if err := s.ddl(&catalog.Change{Kind: catalog.DropTable, ID: t.ID}); err != nil {
				return err
			}
			continue
		}
		// An index on such a column goes with it (a primary key's cannot:
		// OmenDB cannot drop a primary key yet).
		for i := len(t.Indexes) - 1; i >= 0; i-- {
			ix := t.Indexes[i]
			if ix.Primary || !slices.ContainsFunc(ix.Columns, func(c int) bool { return c >= 0 && usesType(t.Columns[c]) }) {
				continue
			}
			cur, _ := s.txn.cat.Table(t.ID)
			j := slices.IndexFunc(cur.Indexes, func(x catalog.Index) bool { return x.ID == ix.ID })
			if err := s.dropIndex(cur, j, "index"); err != nil {
				return err
			}
		}
		at := &pg.AlterTableStmt{Relation: &pg.RangeVar{Schemaname: t.Schema, Relname: t.Name, Inh: true}, Objtype: pg.ObjectType_OBJECT_TABLE}
		for _, c := range t.Columns {
			if usesType(c) {
				at.Cmds = append(at.Cmds, &pg.Node{Node: &pg.Node_AlterTableCmd{AlterTableCmd: &pg.AlterTableCmd{
					Subtype: pg.AlterTableType_AT_DropColumn, Name: c.Name, Behavior: pg.DropBehavior_DROP_CASCADE}}})
			}
		}
		if _, err := s.alterTable(ctx, at); err != nil {
			return err
		}
	}
	return nil
}

// renameInDefaults follows RENAME VALUE in the defaults of columns of the
// type that are the renamed label as a literal ('old' or 'old'::type):
// OmenDB keeps a default as SQL text where PostgreSQL keeps the value.
func (s *Session) renameInDefaults(e *catalog.EnumType, from, to string) error {
	lit := func(l string) string { return "'" + strings.ReplaceAll(l, "'", "''") + "'" }
	for _, t := range s.txn.cat.EnumUsers(e.ID) {
		var nt *catalog.Table
		for i, c := range t.Columns {
			if c.Dropped || !types.IsEnum(c.Type) || uint32(c.Type.OID) != e.ID {
				continue
			}
			if rest, ok := strings.CutPrefix(c.Default, lit(from)); ok && (rest == "" || strings.HasPrefix(rest, "::")) {
				if nt == nil {
					nt = t.Clone()
				}
				nt.Columns[i].Default = lit(to) + rest
			}
		}
		if nt != nil {
			if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkRenameRefs refuses RENAME VALUE of label from when stored SQL text
// may name it: OmenDB keeps view queries, CHECK and generation expressions
// and defaults as text, where PostgreSQL keeps parsed values that a rename
// follows. Any view, and any expression of a table with a column of the
// type, holding the literal 'from' refuses the rename (0A000) — also when
// the literal is in fact compared with a text column: loud, never wrong.
// Defaults of the type's own columns that are the literal are rewritten
// instead (renameInDefaults).
func (s *Session) checkRenameRefs(e *catalog.EnumType, from string) error {
	lit := "'" + strings.ReplaceAll(from, "'", "''") + "'"
	refuse := func(what string) error {
		return pgerr.NotSupported("cannot rename value %q of enum type %s: %s names it in stored SQL text", from, e.Name, what).
			WithHint("Drop or change it first, rename the value, then create it again.")
	}
	for _, v := range s.txn.cat.Views() {
		if strings.Contains(v.Query, lit) {
			return refuse("view " + v.Name)
		}
	}
	for _, t := range s.txn.cat.EnumUsers(e.ID) {
		if t.MatView != "" && strings.Contains(t.MatView, lit) {
			return refuse("materialized view " + t.Name)
		}
		for _, ch := range t.Checks {
			if strings.Contains(ch.Expr, lit) {
				return refuse("check constraint " + ch.Name + " of table " + t.Name)
			}
		}
		for _, c := range t.Columns {
			if c.Dropped {
				continue
			}
			if strings.Contains(c.Generated, lit) {
				return refuse("generated column " + c.Name + " of table " + t.Name)
			}
			own := types.IsEnum(c.Type) && uint32(c.Type.OID) == e.ID
			if rest, ok := strings.CutPrefix(c.Default, lit); own && ok && (rest == "" || strings.HasPrefix(rest, "::")) {
				continue // renameInDefaults rewrites it
			}
			if strings.Contains(c.Default, lit) {
				return refuse("the default of column " + c.Name + " of table " + t.Name)
			}
		}
	}
	return nil
}
