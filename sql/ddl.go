package sql

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/funcs"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// ddl applies a catalog change inside the open transaction: to its private
// catalog now (so later statements see it) and to its write set (so commit
// logs it).
func (s *Session) ddl(ch *catalog.Change) error {
	cat, err := s.txn.cat.Apply(ch)
	if err != nil {
		return err
	}
	s.txn.cat = cat
	s.txn.writes.DDL(ch)
	return nil
}

// TempSchema implements plan.TempEnv: the session's temporary schema, ""
// until it creates a temporary table.
func (s *Session) TempSchema() string { return s.tempSchema }

func (s *Session) lookupTable(rv *pg.RangeVar) (*catalog.Table, error) {
	schema, err := s.schemaOf(rv)
	if err != nil {
		return nil, err
	}
	t, ok := s.txn.cat.Lookup(schema, rv.Relname)
	if !ok {
		return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", rv.Relname)
	}
	return t, nil
}

func (s *Session) createTable(cs *pg.CreateStmt) (string, error) {
	schema, err := s.createSchema(cs.Relation)
	if err != nil {
		return "", err
	}
	name := cs.Relation.Relname
	_, isView := s.txn.cat.LookupView(schema, name)
	if _, ok := s.txn.cat.Lookup(schema, name); ok || isView {
		if cs.IfNotExists {
			s.notice(pgerr.DuplicateTable, "relation %q already exists, skipping", name)
			return "CREATE TABLE", nil
		}
		return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", name)
	}
	if _, ok := s.txn.cat.LookupEnumType(schema, name); ok {
		// The table's row type would take the name (PostgreSQL's pg_type).
		return "", pgerr.New(pgerr.DuplicateObject, "type %q already exists", name).
			WithHint("A relation has an associated type of the same name, so you must use a name that doesn't conflict with any existing type.")
	}
	if len(cs.InhRelations) > 0 || cs.Partspec != nil || cs.Partbound != nil || cs.OfTypename != nil {
		return "", pgerr.NotSupported("inheritance and partitioning are not supported yet")
	}
	t := catalog.NewTable(s.eng.Store.NewID(), schema, name)
	if err := s.makeTemp(t, cs.Oncommit); err != nil {
		return "", err
	}
	var seqs []*catalog.Sequence
	var tableCons []*pg.Constraint
	for _, el := range cs.TableElts {
		switch x := el.Node.(type) {
		case *pg.Node_ColumnDef:
			col, cons, seq, err := s.columnDef(t, x.ColumnDef)
			if err != nil {
				return "", err
			}
			if t.ColumnIndex(col.Name) >= 0 {
				return "", pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", col.Name)
			}
			t.Columns = append(t.Columns, col)
			if seq != nil {
				seqs = append(seqs, seq)
			}
			for _, c := range cons {
				switch c.Contype {
				case pg.ConstrType_CONSTR_CHECK:
				case pg.ConstrType_CONSTR_FOREIGN:
					c.FkAttrs = []*pg.Node{pg.MakeStrNode(col.Name)}
				default:
					c.Keys = []*pg.Node{pg.MakeStrNode(col.Name)}
				}
				tableCons = append(tableCons, c)
			}
		case *pg.Node_Constraint:
			tableCons = append(tableCons, x.Constraint)
		default:
			return "", pgerr.NotSupported("table element %T is not supported yet", el.Node)
		}
	}
	if len(t.Columns) > 1600 {
		return "", pgerr.New(pgerr.TooManyColumns, "tables can have at most 1600 columns")
	}
	if err := s.validateGenerated(t); err != nil {
		return "", err
	}
	var fks []*pg.Constraint
	for _, c := range tableCons {
		switch c.Contype {
		case pg.ConstrType_CONSTR_CHECK:
			if err := s.addCheck(t, c); err != nil {
				return "", err
			}
			continue
		case pg.ConstrType_CONSTR_FOREIGN:
			fks = append(fks, c) // once the table's own keys exist
			continue
		}
		if err := s.addConstraint(t, c, true); err != nil {
			return "", err
		}
	}
	for _, c := range fks {
		fk, err := s.foreignKey(t, c, true)
		if err != nil {
			return "", err
		}
		t.ForeignKeys = append(t.ForeignKeys, fk)
	}
	for _, sq := range seqs {
		if err := s.ddl(&catalog.Change{Kind: catalog.CreateSequence, Sequence: sq}); err != nil {
			return "", err
		}
	}
	if err := s.ddl(&catalog.Change{Kind: catalog.CreateTable, Table: t}); err != nil {
		return "", err
	}
	return "CREATE TABLE", nil
}

// dropIndex drops index i of t (DROP INDEX, or DROP CONSTRAINT of a
// unique constraint: what names it). A foreign key that needs it keeps it
// (2BP01).
func (s *Session) dropIndex(t *catalog.Table, i int, what string) error {
	nt := t.Clone()
	ix := nt.Indexes[i]
	nt.Indexes = append(nt.Indexes[:i], nt.Indexes[i+1:]...)
	for _, r := range s.txn.cat.ReferencedBy(t.ID) {
		if referencedIndex(t, r.FK.RefColumns).ID == ix.ID && referencedIndex(nt, r.FK.RefColumns) == nil {
			return pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop %s %s because other objects depend on it", what, ix.Name).
				WithDetail("constraint %s on table %s depends on index %s", r.FK.Name, r.Table.Name, ix.Name).
				WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
		}
	}
	if nt.PrimaryKey > i {
		nt.PrimaryKey--
	}
	return s.ddl(&catalog.Change{Kind: catalog.DropIndex, ID: ix.ID, Table: nt})
}

// columnDef builds a column; constraints that become indexes are returned
// for the caller to add once all columns exist.
func (s *Session) columnDef(t *catalog.Table, cd *pg.ColumnDef) (catalog.Column, []*pg.Constraint, *catalog.Sequence, error) {
	col := catalog.Column{Name: cd.Colname}
	names := nodeNames(cd.TypeName.Names)
	var seq *catalog.Sequence
	serial := ""
	if len(names) == 1 {
		switch names[0] {
		case "serial", "serial4":
			serial = "int4"
		case "bigserial", "serial8":
			serial = "int8"
		case "smallserial", "serial2":
			serial = "int2"
		}
	}
	if serial != "" {
		col.Type, _ = types.ParseTypeName([]string{serial}, nil)
		col.NotNull = true
	} else {
		b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
		typ, err := typeOf(b, cd.TypeName)
		if err != nil {
			return col, nil, nil, err
		}
		col.Type = typ
		if types.IsArrayType(typ) {
			col.Dims = len(cd.TypeName.ArrayBounds)
		}
	}
	if cd.CollClause != nil {
		coll := nodeNames(cd.CollClause.Collname)
		if len(coll) > 0 && coll[len(coll)-1] != "C" && coll[len(coll)-1] != "default" && coll[len(coll)-1] != "POSIX" {
			return col, nil, nil, pgerr.NotSupported("collation %q is not supported; OmenDB compares text bytewise (C)", coll[len(coll)-1])
		}
	}
	var out []*pg.Constraint
	var lastFK *pg.Constraint // the FOREIGN KEY that DEFERRABLE etc. qualify
	identity := ""
	var identityOpts []*pg.Node
	for _, cn := range cd.Constraints {
		c := cn.GetConstraint()
		switch c.Contype {
		case pg.ConstrType_CONSTR_NOTNULL:
			col.NotNull = true
		case pg.ConstrType_CONSTR_NULL:
			col.NotNull = false
		case pg.ConstrType_CONSTR_DEFAULT:
			text, err := deparseExpr(c.RawExpr)
			if err != nil {
				return col, nil, nil, err
			}
			col.Default = text
		case pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE:
			out = append(out, c)
			if c.Contype == pg.ConstrType_CONSTR_PRIMARY {
				col.NotNull = true
			}
		case pg.ConstrType_CONSTR_IDENTITY:
			identityOpts = c.Options
			identity = c.GeneratedWhen
			if serial == "" && types.KindOfType(col.Type) != types.KindInt {
				return col, nil, nil, pgerr.New(pgerr.InvalidParameterValue, "identity column type must be smallint, integer, or bigint")
			}
			col.NotNull = true
		case pg.ConstrType_CONSTR_CHECK:
			out = append(out, c) // added once every column exists
		case pg.ConstrType_CONSTR_FOREIGN:
			out = append(out, c) // added once every column exists
			lastFK = c
		case pg.ConstrType_CONSTR_GENERATED:
			if err := generatedColumn(&col, c); err != nil {
				return col, nil, nil, err
			}
		case pg.ConstrType_CONSTR_ATTR_DEFERRABLE, pg.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE, pg.ConstrType_CONSTR_ATTR_DEFERRED, pg.ConstrType_CONSTR_ATTR_IMMEDIATE:
			// They qualify the constraint before them; OmenDB checks
			// unique and primary keys immediately either way.
			if lastFK != nil {
				switch c.Contype {
				case pg.ConstrType_CONSTR_ATTR_DEFERRABLE:
					lastFK.Deferrable = true
				case pg.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE:
					if lastFK.Initdeferred {
						return col, nil, nil, pgerr.New(pgerr.SyntaxError, "constraint declared INITIALLY DEFERRED must be DEFERRABLE")
					}
					lastFK.Deferrable = false
				case pg.ConstrType_CONSTR_ATTR_DEFERRED:
					lastFK.Initdeferred, lastFK.Deferrable = true, true
				case pg.ConstrType_CONSTR_ATTR_IMMEDIATE:
					lastFK.Initdeferred = false
				}
			}
		default:
			return col, nil, nil, pgerr.NotSupported("constraint %s is not supported yet", c.Contype)
		}
	}
	if serial != "" || identity != "" {
		// The sequence has the column's type (serial: integer), as in
		// PostgreSQL; an identity column's options are its sequence's.
		seq = &catalog.Sequence{ID: s.eng.Store.NewID(), Schema: t.Schema, Name: fmt.Sprintf("%s_%s_seq", t.Name, col.Name), Start: 1, Inc: 1, Type: col.Type.OID}
		if err := applySeqOptions(seq, identityOpts, true); err != nil {
			return col, nil, nil, err
		}
		col.Sequence = seq.ID
		seqName := types.QuoteIdent(seq.Name)
		if t.Schema != "public" && !strings.HasPrefix(t.Schema, catalog.TempSchemaPrefix) {
			// Found whatever the search path of the session inserting.
			seqName = types.QuoteIdent(t.Schema) + "." + seqName
		}
		col.Default = fmt.Sprintf("nextval('%s'::regclass)", strings.ReplaceAll(seqName, "'", "''"))
		col.Identity = identity
	}
	return col, out, seq, nil
}

func nodeNames(ns []*pg.Node) []string {
	var out []string
	for _, n := range ns {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}

func typeOf(b *plan.Binder, tn *pg.TypeName) (types.Type, error) {
	var mods []int32
	for _, m := range tn.Typmods {
		c := m.GetAConst()
		iv, ok := c.GetVal().(*pg.A_Const_Ival)
		if c == nil || !ok {
			return types.Type{}, pgerr.New(pgerr.SyntaxError, "type modifiers must be simple constants or identifiers")
		}
		mods = append(mods, iv.Ival.Ival)
	}
	t, err := b.ResolveType(nodeNames(tn.Names), mods)
	if err != nil || len(tn.ArrayBounds) == 0 {
		return t, err
	}
	// int[], int[3], int[][]: PostgreSQL records neither the bounds nor the
	// dimension count; every one is the array type of the element.
	at, ok := types.ArrayOf(t)
	if !ok {
		if types.IsArrayType(t) {
			return t, nil // _int4[] is _int4
		}
		return types.Type{}, pgerr.NotSupported("arrays of type %s are not supported", types.TypeName(t))
	}
	return at, nil
}

// deparseExpr turns an expression AST back into SQL text (stored defaults).
func deparseExpr(n *pg.Node) (string, error) {
	tree := &pg.ParseResult{Version: parseTreeVersion(), Stmts: []*pg.RawStmt{{Stmt: &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: &pg.SelectStmt{
		TargetList: []*pg.Node{{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: n}}}},
	}}}}}}
	text, err := pg.Deparse(tree)
	if err != nil {
		return "", pgerr.New(pgerr.SyntaxError, "cannot store default expression: %v", err)
	}
	return strings.TrimPrefix(text, "SELECT "), nil
}

// addConstraint adds a PRIMARY KEY or UNIQUE constraint (an index) to t.
// creating is true inside CREATE TABLE (no rows to check).
func (s *Session) addConstraint(t *catalog.Table, c *pg.Constraint, creating bool) error {
	switch c.Contype {
	case pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE:
	default:
		return pgerr.NotSupported("constraint %s is not supported yet", c.Contype)
	}
	primary := c.Contype == pg.ConstrType_CONSTR_PRIMARY
	if primary && t.PK() != nil {
		return pgerr.New(pgerr.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", t.Name)
	}
	ix := catalog.Index{ID: s.eng.Store.NewID(), Unique: true, Primary: primary, Method: s.settings["omendb.index_method"]}
	if c.AccessMethod == "btree" && c.Indexname == "" {
		// USING INDEX TABLESPACE etc. are irrelevant; the method stays default.
	}
	var colNames []string
	for _, k := range c.Keys {
		name := k.GetString_().GetSval()
		i := t.ColumnIndex(name)
		if i < 0 {
			return pgerr.New(pgerr.UndefinedColumn, "column %q named in key does not exist", name)
		}
		if types.IsArrayType(t.Columns[i].Type) {
			return pgerr.NotSupported("index keys on array columns are not supported yet")
		}
		ix.Columns = append(ix.Columns, i)
		colNames = append(colNames, name)
		if primary {
			t.Columns[i].NotNull = true
		}
	}
	ix.Name = c.Conname
	if ix.Name == "" {
		if primary {
			ix.Name = t.Name + "_pkey"
		} else {
			ix.Name = t.Name + "_" + strings.Join(colNames, "_") + "_key"
		}
	}
	if _, _, ok := s.txn.cat.LookupIndex(t.Schema, ix.Name); ok {
		return pgerr.New(pgerr.DuplicateTable, "relation %q already exists", ix.Name)
	}
	for _, other := range t.Indexes {
		if other.Name == ix.Name {
			return pgerr.New(pgerr.DuplicateTable, "relation %q already exists", ix.Name)
		}
	}
	t.Indexes = append(t.Indexes, ix)
	if primary {
		t.PrimaryKey = len(t.Indexes) - 1
	}
	return nil
}

// objectRangeVar is a DROP object's (qualified) name as a RangeVar, nil
// for an empty one.
func objectRangeVar(obj *pg.Node) *pg.RangeVar {
	names := nodeNames(obj.GetList().GetItems())
	if len(names) == 0 {
		return nil
	}
	rv := &pg.RangeVar{Relname: names[len(names)-1]}
	if len(names) > 1 {
		rv.Schemaname = names[len(names)-2]
	}
	return rv
}

func (s *Session) dropStmt(ctx context.Context, d *pg.DropStmt) (string, error) {
	var tag string
	switch d.RemoveType {
	case pg.ObjectType_OBJECT_TABLE:
		tag = "DROP TABLE"
	case pg.ObjectType_OBJECT_INDEX:
		tag = "DROP INDEX"
	case pg.ObjectType_OBJECT_SEQUENCE:
		tag = "DROP SEQUENCE"
	case pg.ObjectType_OBJECT_VIEW:
		tag = "DROP VIEW"
	case pg.ObjectType_OBJECT_MATVIEW:
		tag = "DROP MATERIALIZED VIEW"
	case pg.ObjectType_OBJECT_SCHEMA:
		return s.dropSchemas(ctx, d)
	case pg.ObjectType_OBJECT_TYPE:
		return s.dropTypes(ctx, d)
	case pg.ObjectType_OBJECT_FUNCTION, pg.ObjectType_OBJECT_PROCEDURE, pg.ObjectType_OBJECT_ROUTINE:
		return s.dropFunctions(d)
	case pg.ObjectType_OBJECT_TRIGGER:
		return s.dropTriggers(d)
	default:
		return "", pgerr.NotSupported("DROP %s is not supported yet", d.RemoveType)
	}
	// The tables the statement drops: foreign keys among them go with
	// them (DROP TABLE parent, child).
	dropping := map[uint32]bool{}
	if d.RemoveType == pg.ObjectType_OBJECT_TABLE {
		for _, obj := range d.Objects {
			rv := objectRangeVar(obj)
			if rv == nil {
				continue
			}
			if schema, err := s.schemaOf(rv); err == nil {
				if t, ok := s.txn.cat.Lookup(schema, rv.Relname); ok {
					dropping[t.ID] = true
				}
			}
		}
	}
	for _, obj := range d.Objects {
		rv := objectRangeVar(obj)
		if rv == nil {
			continue
		}
		schema, err := s.schemaOf(rv)
		if err != nil {
			if d.MissingOk {
				s.skipMissing("schema", rv.Schemaname)
				continue
			}
			return "", err
		}
		cascade := d.Behavior == pg.DropBehavior_DROP_CASCADE
		switch d.RemoveType {
		case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_MATVIEW:
			t, ok := s.txn.cat.Lookup(schema, rv.Relname)
			if ok && (t.MatView != "") != (d.RemoveType == pg.ObjectType_OBJECT_MATVIEW) {
				if t.MatView != "" {
					return "", pgerr.New(pgerr.WrongObjectType, "%q is not a table", rv.Relname).WithHint("Use DROP MATERIALIZED VIEW to remove a materialized view.")
				}
				return "", pgerr.New(pgerr.WrongObjectType, "%q is not a materialized view", rv.Relname).WithHint("Use DROP TABLE to remove a table.")
			}
			if !ok {
				if _, isView := s.txn.cat.LookupView(schema, rv.Relname); isView {
					return "", pgerr.New(pgerr.WrongObjectType, "%q is not a table", rv.Relname).WithHint("Use DROP VIEW to remove a view.")
				}
				if d.MissingOk {
					s.skipMissing(map[bool]string{true: "materialized view", false: "table"}[d.RemoveType == pg.ObjectType_OBJECT_MATVIEW], rv.Relname)
					continue
				}
				return "", pgerr.New(pgerr.UndefinedTable, "table %q does not exist", rv.Relname)
			}
			if t.ReadOnly != "" {
				return "", pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", t.Name, t.ReadOnly)
			}
			if err := s.dropDependents(t.ID, cascade); err != nil {
				return "", err
			}
			if err := s.dropReferencing(t.ID, t.Name, cascade, dropping); err != nil {
				return "", err
			}
			if err := s.ddl(&catalog.Change{Kind: catalog.DropTable, ID: t.ID}); err != nil {
				return "", err
			}
		case pg.ObjectType_OBJECT_VIEW:
			v, ok := s.txn.cat.LookupView(schema, rv.Relname)
			if !ok {
				if _, isTable := s.txn.cat.Lookup(schema, rv.Relname); isTable {
					return "", pgerr.New(pgerr.WrongObjectType, "%q is not a view", rv.Relname).WithHint("Use DROP TABLE to remove a table.")
				}
				if d.MissingOk {
					s.skipMissing("view", rv.Relname)
					continue
				}
				return "", pgerr.New(pgerr.UndefinedTable, "view %q does not exist", rv.Relname)
			}
			if err := s.dropDependents(v.ID, cascade); err != nil {
				return "", err
			}
			if err := s.ddl(&catalog.Change{Kind: catalog.DropView, ID: v.ID}); err != nil {
				return "", err
			}
		case pg.ObjectType_OBJECT_INDEX:
			t, i, ok := s.txn.cat.LookupIndex(schema, rv.Relname)
			if !ok {
				if d.MissingOk {
					s.skipMissing("index", rv.Relname)
					continue
				}
				return "", pgerr.New(pgerr.UndefinedObject, "index %q does not exist", rv.Relname)
			}
			if ix := &t.Indexes[i]; ix.Primary || ix.Constraint() && strings.HasSuffix(ix.Name, "_key") {
				return "", pgerr.New("2BP01", "cannot drop index %s because constraint %s on table %s requires it", rv.Relname, rv.Relname, t.Name)
			}
			if err := s.dropIndex(t, i, "index"); err != nil {
				return "", err
			}
		case pg.ObjectType_OBJECT_SEQUENCE:
			sq, ok := s.txn.cat.LookupSequence(schema, rv.Relname)
			if !ok {
				if d.MissingOk {
					s.skipMissing("sequence", rv.Relname)
					continue
				}
				return "", pgerr.New(pgerr.UndefinedTable, "sequence %q does not exist", rv.Relname)
			}
			if err := s.dropSequence(sq, d.Behavior == pg.DropBehavior_DROP_CASCADE); err != nil {
				return "", err
			}
		}
	}
	return tag, nil
}

// usingRe finds an explicit USING clause: pg_query reports "btree" as the
// access method when none is written, which is not a request for a B-tree.
var usingRe = regexp.MustCompile(`(?i)\busing\s+"?([a-z_]+)"?\s*\(`)

func (s *Session) alterTable(ctx context.Context, at *pg.AlterTableStmt) (string, error) {
	if at.Objtype != pg.ObjectType_OBJECT_TABLE {
		return "", pgerr.NotSupported("ALTER %s is not supported yet", at.Objtype)
	}
	t, err := s.lookupTable(at.Relation)
	if err != nil {
		if at.MissingOk {
			s.skipMissing("relation", at.Relation.Relname)
			return "ALTER TABLE", nil
		}
		return "", err
	}
	if t.ReadOnly != "" {
		return "", pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", t.Name, t.ReadOnly)
	}
	typesDone := false
	for _, cn := range at.Cmds {
		cmd := cn.GetAlterTableCmd()
		t, _ = s.txn.cat.Table(t.ID)
		nt := t.Clone()
		switch cmd.Subtype {
		case pg.AlterTableType_AT_AddColumn:
			cd := cmd.Def.GetColumnDef()
			if nt.ColumnIndex(cd.Colname) >= 0 {
				if cmd.MissingOk {
					s.notice(pgerr.DuplicateColumn, "column %q of relation %q already exists, skipping", cd.Colname, nt.Name)
					continue
				}
				return "", pgerr.New(pgerr.DuplicateColumn, "column %q of relation %q already exists", cd.Colname, nt.Name)
			}
			col, cons, seq, err := s.columnDef(nt, cd)
			if err != nil {
				return "", err
			}
			// fill: the default differs row by row (serial, identity, a
			// volatile expression), so the existing rows get it evaluated
			// one by one in this transaction, as PostgreSQL rewrites the
			// table; otherwise they read it as the column's missing value.
			fill := seq != nil
			if seq != nil {
				if err := s.ddl(&catalog.Change{Kind: catalog.CreateSequence, Sequence: seq}); err != nil {
					return "", err
				}
			}
			if col.Generated != "" {
				if s.hasRows(t) {
					return "", pgerr.NotSupported("adding a generated column to a table with rows is not supported yet")
				}
				probe := nt.Clone()
				probe.Columns = append(probe.Columns, col)
				if err := s.validateGenerated(probe); err != nil {
					return "", err
				}
			}
			if col.Default != "" && !fill {
				v, volatile, err := s.evalDefault(nt, col)
				if err != nil {
					return "", err
				}
				fill = volatile
				if !v.IsNull() && !volatile {
					text := catalog.MissingText(v, col.Type)
					col.Missing = &text
				}
			}
			fill = fill && s.hasRows(t)
			if fill && len(cons) > 0 {
				return "", pgerr.NotSupported("adding a column with constraints and a default computed row by row (serial, identity, a volatile expression) to a table with rows is not supported yet")
			}
			if col.NotNull && col.Missing == nil && !fill && s.hasRows(t) {
				return "", pgerr.New(pgerr.NotNullViolation, "column %q of relation %q contains null values", col.Name, nt.Name)
			}
			nt.Columns = append(nt.Columns, col)
			for _, c := range cons {
				switch c.Contype {
				case pg.ConstrType_CONSTR_FOREIGN:
					c.FkAttrs = []*pg.Node{pg.MakeStrNode(col.Name)}
					fk, err := s.foreignKey(nt, c, false)
					if err != nil {
						return "", err
					}
					if col.Missing != nil && !fk.NotValid {
						// Existing rows read the default: it must exist.
						if err := s.validateForeignKey(ctx, nt, &fk); err != nil {
							return "", err
						}
					}
					nt.ForeignKeys = append(nt.ForeignKeys, fk)
					continue
				case pg.ConstrType_CONSTR_CHECK:
					if err := s.addCheck(nt, c); err != nil {
						return "", err
					}
					if !c.SkipValidation && col.Missing != nil {
						if err := s.validateCheck(ctx, nt, nt.Checks[len(nt.Checks)-1]); err != nil {
							return "", err
						}
					}
					continue
				}
				c.Keys = []*pg.Node{pg.MakeStrNode(col.Name)}
				if err := s.addConstraint(nt, c, false); err != nil {
					return "", err
				}
			}
			if err := s.ddl(&catalog.Change{Kind: catalog.AddColumn, Table: nt}); err != nil {
				return "", err
			}
			if fill {
				if err := s.fillColumn(ctx, nt, len(nt.Columns)-1); err != nil {
					return "", err
				}
			}
		case pg.AlterTableType_AT_DropColumn:
			i := nt.ColumnIndex(cmd.Name)
			if i < 0 {
				if cmd.MissingOk {
					s.notice("", "column %q of relation %q does not exist, skipping", cmd.Name, nt.Name)
					continue
				}
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, nt.Name)
			}
			for _, r := range s.txn.cat.ReferencedBy(t.ID) {
				if slices.Contains(r.FK.RefColumns, i) && r.Table.ID != t.ID {
					return "", pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop column %s of table %s because other objects depend on it", cmd.Name, nt.Name).
						WithDetail("constraint %s on table %s depends on column %s of table %s", r.FK.Name, r.Table.Name, cmd.Name, nt.Name).
						WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
				}
			}
			// An index on the column, or whose expressions or predicate
			// read it, goes with it (as in PostgreSQL); the primary key's
			// cannot yet.
			if err := s.dropIndexesReading(t, nt, i); err != nil {
				return "", err
			}
			// A trigger on the column (UPDATE OF, WHEN) depends on it:
			// refused, or dropped too with CASCADE.
			for _, tr := range nt.Triggers {
				if !triggerReads(tr, i, cmd.Name) {
					continue
				}
				if cmd.Behavior != pg.DropBehavior_DROP_CASCADE {
					return "", pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop column %s of table %s because other objects depend on it", cmd.Name, nt.Name).
						WithDetail("trigger %s on table %s depends on column %s of table %s", tr.Name, nt.Name, cmd.Name, nt.Name).
						WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
				}
			}
			nt.Triggers = slices.DeleteFunc(nt.Triggers, func(tr catalog.Trigger) bool { return triggerReads(tr, i, cmd.Name) })
			// A foreign key of the table on the column goes with it, and
			// so does a CHECK constraint that reads it (as in PostgreSQL).
			nt.ForeignKeys = slices.DeleteFunc(nt.ForeignKeys, func(fk catalog.ForeignKey) bool {
				return slices.Contains(fk.Columns, i) || fk.RefTable == nt.ID && slices.Contains(fk.RefColumns, i)
			})
			var keep []catalog.Check
			for _, ch := range nt.Checks {
				if reads, err := s.checkReads(t, ch, i); err != nil {
					return "", err
				} else if !reads {
					keep = append(keep, ch)
				}
			}
			nt.Checks = keep
			// A generated column reading it depends on it: refused, or
			// dropped too with CASCADE.
			gens, err := s.generatedReading(t, i)
			if err != nil {
				return "", err
			}
			for _, g := range gens {
				if cmd.Behavior != pg.DropBehavior_DROP_CASCADE {
					return "", pgerr.New(pgerr.DependentObjectsStillExist, "cannot drop column %s of table %s because other objects depend on it", cmd.Name, nt.Name).
						WithDetail("column %s of table %s depends on column %s of table %s", g, nt.Name, cmd.Name, nt.Name).
						WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
				}
				gi := nt.ColumnIndex(g)
				if err := s.dropIndexesReading(t, nt, gi); err != nil {
					return "", err
				}
				nt.Columns[gi].Dropped, nt.Columns[gi].NotNull, nt.Columns[gi].Generated = true, false, ""
			}
			nt.Columns[i].Dropped = true
			nt.Columns[i].NotNull = false
			nt.Columns[i].Default = ""
			nt.Columns[i].Generated = ""
			// A view that reads the column is refused, or dropped too with
			// CASCADE; the others keep working without it.
			if err := s.dropColumnViews(nt, i, cmd.Behavior == pg.DropBehavior_DROP_CASCADE); err != nil {
				return "", err
			}
			if err := s.ddl(&catalog.Change{Kind: catalog.DropColumn, Table: nt}); err != nil {
				return "", err
			}
		case pg.AlterTableType_AT_AddConstraint:
			c := cmd.Def.GetConstraint()
			if c.Contype == pg.ConstrType_CONSTR_FOREIGN {
				fk, err := s.foreignKey(nt, c, false)
				if err != nil {
					return "", err
				}
				if !fk.NotValid {
					if err := s.validateForeignKey(ctx, nt, &fk); err != nil {
						return "", err
					}
				}
				nt.ForeignKeys = append(nt.ForeignKeys, fk)
				if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
					return "", err
				}
				continue
			}
			if c.Contype == pg.ConstrType_CONSTR_CHECK {
				if err := s.addCheck(nt, c); err != nil {
					return "", err
				}
				if !c.SkipValidation {
					if err := s.validateCheck(ctx, nt, nt.Checks[len(nt.Checks)-1]); err != nil {
						return "", err
					}
				}
				if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
					return "", err
				}
				continue
			}
			if err := s.addConstraint(nt, c, false); err != nil {
				return "", err
			}
			ix := &nt.Indexes[len(nt.Indexes)-1]
			if err := s.checkIndexExisting(t, ix); err != nil {
				return "", err
			}
			kind := catalog.CreateIndex
			if ix.Primary {
				kind = catalog.SetPrimaryKey
				if s.hasRowsNull(t, ix.Columns) {
					return "", pgerr.New(pgerr.NotNullViolation, "column %q of relation %q contains null values", nt.Columns[ix.Columns[0]].Name, nt.Name)
				}
				if s.hasRows(t) && (s.txn.writes.Table(t.ID) != nil) {
					return "", pgerr.NotSupported("ADD PRIMARY KEY on a table with rows written in the same transaction is not supported yet; commit first")
				}
			}
			if err := s.ddl(&catalog.Change{Kind: kind, Table: nt, Index: len(nt.Indexes) - 1}); err != nil {
				return "", err
			}
		case pg.AlterTableType_AT_DropConstraint:
			if j := slices.IndexFunc(nt.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == cmd.Name }); j >= 0 {
				nt.ForeignKeys = slices.Delete(nt.ForeignKeys, j, j+1)
				if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
					return "", err
				}
				continue
			}
			i := slices.IndexFunc(nt.Checks, func(c catalog.Check) bool { return c.Name == cmd.Name })
			if i < 0 {
				if j := slices.IndexFunc(nt.Indexes, func(ix catalog.Index) bool { return ix.Name == cmd.Name && ix.Constraint() }); j >= 0 {
					if nt.Indexes[j].Primary {
						return "", pgerr.NotSupported("dropping a primary key is not supported yet")
					}
					// A unique constraint goes with its index.
					if err := s.dropIndex(t, j, "constraint"); err != nil {
						return "", err
					}
					continue
				}
				if cmd.MissingOk {
					s.notice("", "constraint %q of relation %q does not exist, skipping", cmd.Name, nt.Name)
					continue
				}
				return "", pgerr.New(pgerr.UndefinedObject, "constraint %q of relation %q does not exist", cmd.Name, nt.Name)
			}
			nt.Checks = slices.Delete(nt.Checks, i, i+1)
			if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
				return "", err
			}
		case pg.AlterTableType_AT_ValidateConstraint:
			j := slices.IndexFunc(nt.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == cmd.Name })
			if j < 0 {
				if slices.ContainsFunc(nt.Checks, func(c catalog.Check) bool { return c.Name == cmd.Name }) {
					continue // CHECK constraints are validated when added (NOT VALID is not kept)
				}
				return "", pgerr.New(pgerr.UndefinedObject, "constraint %q of relation %q does not exist", cmd.Name, nt.Name)
			}
			if !nt.ForeignKeys[j].NotValid {
				continue
			}
			if err := s.validateForeignKey(ctx, nt, &nt.ForeignKeys[j]); err != nil {
				return "", err
			}
			nt.ForeignKeys[j].NotValid = false
			if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
				return "", err
			}
		case pg.AlterTableType_AT_ColumnDefault:
			i := nt.ColumnIndex(cmd.Name)
			if i < 0 {
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, nt.Name)
			}
			if cmd.Def == nil {
				nt.Columns[i].Default = ""
			} else {
				text, err := deparseExpr(cmd.Def)
				if err != nil {
					return "", err
				}
				nt.Columns[i].Default = text
			}
			if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
				return "", err
			}
		case pg.AlterTableType_AT_SetStatistics, pg.AlterTableType_AT_SetStorage, pg.AlterTableType_AT_SetCompression,
			pg.AlterTableType_AT_SetRelOptions, pg.AlterTableType_AT_ResetRelOptions,
			pg.AlterTableType_AT_ClusterOn, pg.AlterTableType_AT_DropCluster:
			// Tuning of PostgreSQL's heap storage and planner statistics,
			// which OmenDB does not have: accepted, and no answer depends
			// on them (pg_dump and migration tools emit them).
			if cmd.Name != "" && nt.ColumnIndex(cmd.Name) < 0 && cmd.Subtype != pg.AlterTableType_AT_ClusterOn {
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, nt.Name)
			}
		case pg.AlterTableType_AT_AlterColumnType:
			// Every ALTER COLUMN TYPE of the statement runs at the first,
			// together (altertype.go).
			if typesDone {
				continue
			}
			typesDone = true
			var cmds []*pg.AlterTableCmd
			for _, cn := range at.Cmds {
				if c := cn.GetAlterTableCmd(); c.Subtype == pg.AlterTableType_AT_AlterColumnType {
					cmds = append(cmds, c)
				}
			}
			if err := s.alterColumnTypes(ctx, t, cmds); err != nil {
				return "", err
			}
		case pg.AlterTableType_AT_SetNotNull, pg.AlterTableType_AT_DropNotNull:
			i := nt.ColumnIndex(cmd.Name)
			if i < 0 {
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, nt.Name)
			}
			set := cmd.Subtype == pg.AlterTableType_AT_SetNotNull
			if set && s.hasRowsNull(t, []int{i}) {
				return "", pgerr.New(pgerr.NotNullViolation, "column %q of relation %q contains null values", cmd.Name, nt.Name)
			}
			if !set {
				if pk := nt.PK(); pk != nil {
					for _, c := range pk.Columns {
						if c == i {
							return "", pgerr.New(pgerr.InvalidTableDefinition, "column %q is in a primary key", cmd.Name)
						}
					}
				}
			}
			nt.Columns[i].NotNull = set
			if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
				return "", err
			}
		case pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_DisableTrig, pg.AlterTableType_AT_EnableTrigAll,
			pg.AlterTableType_AT_DisableTrigAll, pg.AlterTableType_AT_EnableTrigUser, pg.AlterTableType_AT_DisableTrigUser:
			if err := enableTriggers(nt, cmd); err != nil {
				return "", err
			}
			if err := s.ddl(&catalog.Change{Kind: catalog.AlterColumn, Table: nt}); err != nil {
				return "", err
			}
		default:
			return "", pgerr.NotSupported("ALTER TABLE %s is not supported yet", cmd.Subtype)
		}
	}
	return "ALTER TABLE", nil
}

// evalDefault evaluates col's default once for the rows t already has, or
// reports that it is volatile (a value per row: fillColumn).
func (s *Session) evalDefault(t *catalog.Table, col catalog.Column) (types.Value, bool, error) {
	tmp := t.Clone()
	tmp.Columns = append(tmp.Columns, col)
	b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
	e, err := b.BindDefault(tmp, len(tmp.Columns)-1)
	if err != nil {
		return types.Null, false, err
	}
	var volatile bool
	plan.Walk(e, func(x plan.Expr) bool {
		switch f := x.(type) {
		case *plan.SeqFunc, *plan.Subquery:
			volatile = true
		case *plan.Func:
			if f.F.Volatility == funcs.Volatile {
				volatile = true
			}
		}
		return !volatile
	})
	if volatile {
		return types.Null, true, nil
	}
	v, err := plan.FoldConst(e, s.loc)
	return v, false, err
}

// fillColumn gives every existing row of t its own value of column c's
// default (serial and identity columns, volatile defaults), in key order,
// as writes of the session's transaction: the rows and the new column
// commit together. A concurrent write to the table fails one of the two
// at commit (a definition change conflicts with rows written since its
// snapshot).
func (s *Session) fillColumn(ctx context.Context, t *catalog.Table, c int) error {
	b := plan.NewBinder(s.txn.cat, s, s.loc, nil)
	e, err := b.BindDefault(t, c)
	if err != nil {
		return err
	}
	type kr struct {
		key []byte
		row []types.Value
	}
	var rows []kr
	if err := s.reader().Scan(t, nil, nil, func(key []byte, row []types.Value) bool {
		rows = append(rows, kr{append([]byte(nil), key...), append([]types.Value(nil), row...)})
		return true
	}); err != nil {
		return err
	}
	ec := s.execCtx(ctx, nil)
	w := s.writer()
	for _, r := range rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		row := r.row
		for len(row) < len(t.Columns) {
			row = append(row, oltp.ColValue(t, row, len(row)))
		}
		v, err := exec.Eval(ec, e, row)
		if err != nil {
			return err
		}
		row[c] = v
		if _, err := w.Update(t, r.key, r.row, row); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) hasRows(t *catalog.Table) bool {
	found := false
	_ = s.reader().Scan(t, nil, nil, func([]byte, []types.Value) bool { found = true; return false })
	return found
}

func (s *Session) hasRowsNull(t *catalog.Table, cols []int) bool {
	found := false
	_ = s.reader().Scan(t, nil, nil, func(_ []byte, row []types.Value) bool {
		for _, c := range cols {
			if c >= len(row) || row[c].IsNull() {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

func (s *Session) rename(rs *pg.RenameStmt) (string, error) {
	switch rs.RenameType {
	case pg.ObjectType_OBJECT_TYPE:
		return s.renameType(rs)
	case pg.ObjectType_OBJECT_FUNCTION:
		return s.renameFunction(rs)
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW,
		pg.ObjectType_OBJECT_INDEX, pg.ObjectType_OBJECT_SEQUENCE:
		return s.renameRelation(rs)
	case pg.ObjectType_OBJECT_TABCONSTRAINT:
		return s.renameConstraint(rs)
	case pg.ObjectType_OBJECT_SCHEMA:
		return s.renameSchema(rs)
	case pg.ObjectType_OBJECT_COLUMN:
	default:
		return "", pgerr.NotSupported("ALTER … RENAME of %s is not supported yet", rs.RenameType)
	}
	r, err := s.lookupRelation(rs.Relation)
	if err != nil {
		if rs.MissingOk && pgerr.Code(err) == pgerr.UndefinedTable {
			s.skipMissing("relation", rs.Relation.Relname)
			return "ALTER TABLE", nil
		}
		return "", err
	}
	if r.view != nil {
		return s.renameViewColumn(r.view, rs)
	}
	if r.table == nil || r.index >= 0 {
		return "", pgerr.New(pgerr.WrongObjectType, "%q is not a table, view, materialized view, composite type, index, or foreign table", r.name())
	}
	t := r.table
	if t.ReadOnly != "" {
		return "", pgerr.New(pgerr.ReadOnlySQLTransaction, "table %q is read-only: %s", t.Name, t.ReadOnly)
	}
	nt := t.Clone()
	i := nt.ColumnIndex(rs.Subname)
	if i < 0 {
		return "", pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", rs.Subname)
	}
	if nt.ColumnIndex(rs.Newname) >= 0 {
		return "", pgerr.New(pgerr.DuplicateColumn, "column %q of relation %q already exists", rs.Newname, nt.Name)
	}
	nt.Columns[i].Name = rs.Newname
	if err := renameInChecks(nt, rs.Subname, rs.Newname); err != nil {
		return "", err
	}
	if err := renameInIndexes(nt, rs.Subname, rs.Newname); err != nil {
		return "", err
	}
	before := s.txn.cat
	if err := s.ddl(&catalog.Change{Kind: catalog.RenameColumn, Table: nt}); err != nil {
		return "", err
	}
	if err := s.retargetColumn(before, t, rs.Subname, rs.Newname); err != nil {
		return "", err
	}
	return "ALTER TABLE", nil
}

func (s *Session) truncate(ts *pg.TruncateStmt) (string, error) {
	var tables []*catalog.Table
	named := map[uint32]bool{}
	for _, r := range ts.Relations {
		t, err := s.lookupTable(r.GetRangeVar())
		if err != nil {
			return "", err
		}
		if err := t.Refuse(); err != nil {
			return "", err
		}
		if !named[t.ID] {
			named[t.ID] = true
			tables = append(tables, t)
		}
	}
	// A table referenced by a foreign key is truncated only with the
	// tables referencing it (CASCADE adds them).
	for i := 0; i < len(tables); i++ {
		for _, r := range s.txn.cat.ReferencedBy(tables[i].ID) {
			if named[r.Table.ID] {
				continue
			}
			if ts.Behavior != pg.DropBehavior_DROP_CASCADE {
				return "", pgerr.NotSupported("cannot truncate a table referenced in a foreign key constraint").
					WithDetail("Table %q references %q.", r.Table.Name, tables[i].Name).
					WithHint("Truncate table %q at the same time, or use TRUNCATE ... CASCADE.", r.Table.Name)
			}
			if err := r.Table.Refuse(); err != nil {
				return "", err
			}
			named[r.Table.ID] = true
			tables = append(tables, r.Table)
		}
	}
	for _, t := range tables {
		s.txn.writes.Truncate(t.ID)
	}
	return "TRUNCATE TABLE", nil
}

func (s *Session) createSequence(cs *pg.CreateSeqStmt) (string, error) {
	schema, err := s.createSchema(cs.Sequence)
	if err != nil {
		return "", err
	}
	if _, ok := s.txn.cat.LookupSequence(schema, cs.Sequence.Relname); ok {
		if cs.IfNotExists {
			s.notice(pgerr.DuplicateTable, "relation %q already exists, skipping", cs.Sequence.Relname)
			return "CREATE SEQUENCE", nil
		}
		return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", cs.Sequence.Relname)
	}
	sq := &catalog.Sequence{ID: s.eng.Store.NewID(), Schema: schema, Name: cs.Sequence.Relname, Start: 1, Inc: 1, Type: types.OIDInt8}
	if err := applySeqOptions(sq, cs.Options, false); err != nil {
		return "", err
	}
	if err := s.ddl(&catalog.Change{Kind: catalog.CreateSequence, Sequence: sq}); err != nil {
		return "", err
	}
	return "CREATE SEQUENCE", nil
}
