package pgcatalog

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// Dependencies, view rules and sequences in the catalogs.
//
// pg_depend holds the rows PostgreSQL 15 records between the objects
// OmenDB has (pg_dump orders its output by them: a view after the tables
// it reads, a serial column's default after its sequence, which it
// declares OWNED BY the column):
//   - a relation (table, view, sequence) on its schema ('n');
//   - an index on the columns it indexes and those its expressions and
//     predicate read ('a'), or, when it backs a
//     primary-key or unique constraint, on that constraint ('i'), which
//     depends on the columns ('a');
//   - a CHECK constraint on the columns its expression reads ('a' and 'n'),
//     on its table when it reads none ('a');
//   - a foreign key on its columns ('a'), the referenced columns and the
//     referenced unique index ('n');
//   - a column default on its column ('a') and on the sequences its
//     'name'::regclass literals name ('n');
//   - a serial column's sequence on the column ('a'), an identity column's
//     ('i');
//   - a view's (or materialized view's) _RETURN rule on the view ('i' and
//     'n') and on the relations it reads ('n'): on each table column the
//     view's query reads (refobjsubid = its attnum, from View.Cols), as
//     PostgreSQL records them, and on a relation as a whole (refobjsubid
//     0) when it reads no column of it by name (count(*)), reads a view,
//     is a materialized view, or predates View.Cols.
// Objects OmenDB does not have (row types, TOAST tables, RI triggers) have
// none; built-in objects are not listed (PostgreSQL's "pinned" ones have
// no rows either).
//
// pg_rewrite holds each view's and materialized view's _RETURN rule: its
// OID is ruleOID(view), pg_get_ruledef prints it.
//
// pg_sequence holds each sequence's parameters (catalog.Sequence).

// ruleOID is the OID of view id's _RETURN rule: above the object IDs and
// apart from the ranges of CHECK constraints (0x40000000) and defaults
// (0x80000000).
func ruleOID(view uint32) uint32 { return 0xC0000000 | (view - catalog.FirstUserID) }

// ruleView is the view whose _RETURN rule has OID oid, ok false if none.
func ruleView(cat *catalog.Catalog, oid uint32) (uint32, string, bool) {
	if oid&0xC0000000 != 0xC0000000 {
		return 0, "", false
	}
	id := oid&0x3FFFFFFF + catalog.FirstUserID
	if v, ok := cat.View(id); ok {
		return id, v.Query, true
	}
	if t, ok := cat.Table(id); ok && t.MatView != "" {
		return id, t.MatView, true
	}
	return 0, "", false
}

func dependRows(env plan.VirtualEnv) ([][]types.Value, error) {
	cat := env.Catalog()
	var rows [][]types.Value
	dep := func(class, obj uint32, sub int, refclass, ref uint32, refsub int, kind byte) {
		rows = append(rows, []types.Value{vOID(class), vOID(obj), vInt(int64(sub)), vOID(refclass), vOID(ref), vInt(int64(refsub)), vChar(kind)})
	}
	onCols := func(class, obj uint32, t *catalog.Table, cols []int, kind byte) {
		for _, c := range cols {
			if c >= 0 {
				dep(class, obj, 0, oidPgClass, t.ID, c+1, kind)
			}
		}
	}
	rule := func(id uint32, query string, cols []catalog.ColumnDep) {
		r := ruleOID(id)
		dep(oidPgRewrite, r, 0, oidPgClass, id, 0, 'i')
		dep(oidPgRewrite, r, 0, oidPgClass, id, 0, 'n')
		for _, ref := range queryRelations(cat, query) {
			if ref == id {
				continue
			}
			byCol := false
			for _, c := range cols {
				if c.Table == ref {
					dep(oidPgRewrite, r, 0, oidPgClass, ref, c.Col+1, 'n')
					byCol = true
				}
			}
			if !byCol {
				dep(oidPgRewrite, r, 0, oidPgClass, ref, 0, 'n')
			}
		}
	}
	vis := visibility{public: true}
	for _, t := range cat.Tables() {
		dep(oidPgClass, t.ID, 0, oidPgNamespace, nspOID(cat, t.Schema), 0, 'n')
		if t.MatView != "" {
			rule(t.ID, t.MatView, nil)
		}
		for i := range t.Indexes {
			ix := &t.Indexes[i]
			if _, con := constraintType(ix); con {
				dep(oidPgClass, ix.ID, 0, oidPgConstraint, ix.ID, 0, 'i')
				onCols(oidPgConstraint, ix.ID, t, ix.Columns, 'a')
			} else {
				onCols(oidPgClass, ix.ID, t, indexColumns(t, ix), 'a')
			}
		}
		for i := range t.Checks {
			cols := checkColumns(t, &t.Checks[i])
			if len(cols) == 0 {
				dep(oidPgConstraint, checkOID(t.ID, i), 0, oidPgClass, t.ID, 0, 'a')
			}
			onCols(oidPgConstraint, checkOID(t.ID, i), t, cols, 'a')
			onCols(oidPgConstraint, checkOID(t.ID, i), t, cols, 'n')
		}
		for i := range t.ForeignKeys {
			fk := &t.ForeignKeys[i]
			onCols(oidPgConstraint, fk.ID, t, fk.Columns, 'a')
			if parent, ok := cat.Table(fk.RefTable); ok {
				onCols(oidPgConstraint, fk.ID, parent, fk.RefColumns, 'n')
			}
			if ix := refIndex(cat, fk); ix != nil {
				dep(oidPgConstraint, fk.ID, 0, oidPgClass, ix.ID, 0, 'n')
			}
		}
		for i, c := range t.Columns {
			if c.Dropped {
				continue
			}
			if hasAttrdef(c) {
				ad := attrdefOID(t.ID, i+1)
				dep(oidPgAttrdef, ad, 0, oidPgClass, t.ID, i+1, 'a')
				for _, sq := range vis.regclassSequences(cat, attrdefExpr(c)) {
					dep(oidPgAttrdef, ad, 0, oidPgClass, sq, 0, 'n')
				}
			}
			if c.Sequence != 0 {
				if _, ok := cat.Sequence(c.Sequence); ok {
					kind := byte('a')
					if c.Identity != "" {
						kind = 'i'
					}
					dep(oidPgClass, c.Sequence, 0, oidPgClass, t.ID, i+1, kind)
				}
			}
		}
	}
	for _, sq := range cat.Sequences() {
		dep(oidPgClass, sq.ID, 0, oidPgNamespace, nspOID(cat, sq.Schema), 0, 'n')
	}
	for _, v := range cat.Views() {
		dep(oidPgClass, v.ID, 0, oidPgNamespace, nspOID(cat, v.Schema), 0, 'n')
		rule(v.ID, v.Query, v.Cols)
	}
	// The plpgsql extension's members (psql's \dx+, pg_dump skips them)
	// and its schema, as in PostgreSQL 15's template.
	dep(oidPgExtension, oidExtPlpgsql, 0, oidPgNamespace, oidPgCatalog, 0, 'n')
	for _, f := range []uint32{13560, 13561, 13562} {
		dep(oidPgProc, f, 0, oidPgExtension, oidExtPlpgsql, 0, 'e')
	}
	dep(oidPgLanguage, oidLangPlpgsql, 0, oidPgExtension, oidExtPlpgsql, 0, 'e')
	return rows, nil
}

func rewriteRows(env plan.VirtualEnv) ([][]types.Value, error) {
	cat := env.Catalog()
	var rows [][]types.Value
	add := func(id uint32) {
		rows = append(rows, []types.Value{vOID(ruleOID(id)), vText("_RETURN"), vOID(id), vChar('1'), vChar('O'), vBool(true)})
	}
	for _, t := range cat.Tables() {
		if t.MatView != "" {
			add(t.ID)
		}
	}
	for _, v := range cat.Views() {
		add(v.ID)
	}
	return rows, nil
}

func init() {
	define("pg_catalog", "pg_sequence", oidPgSequence, []col{
		{"seqrelid", tOID}, {"seqtypid", tOID}, {"seqstart", tInt8}, {"seqincrement", tInt8}, {"seqmax", tInt8},
		{"seqmin", tInt8}, {"seqcache", tInt8}, {"seqcycle", tBool},
	}, func(env plan.VirtualEnv) ([][]types.Value, error) {
		var rows [][]types.Value
		for _, sq := range env.Catalog().Sequences() {
			lo, hi := sq.Bounds()
			rows = append(rows, []types.Value{vOID(sq.ID), vOID(uint32(sq.DataType())), vInt(sq.Start), vInt(sq.Inc),
				vInt(hi), vInt(lo), vInt(sq.CacheSize()), vBool(sq.Cycle)})
		}
		return rows, nil
	})
}

// hasAttrdef reports whether column c has a pg_attrdef row: a default or a
// generation expression. An identity column has neither in PostgreSQL
// (attidentity says where its values come from); OmenDB keeps its
// nextval() as the default internally.
func hasAttrdef(c catalog.Column) bool {
	return c.Generated != "" || c.Default != "" && c.Identity == ""
}

// attrdefExpr is pg_attrdef.adbin of column c: the default as pg_get_expr
// prints it, or the generation expression (psql frames it: generated
// always as (…) stored).
func attrdefExpr(c catalog.Column) string {
	if c.Generated != "" {
		return c.Generated
	}
	return defaultExpr(c)
}

// queryRelations are the user tables and views a stored view query reads
// (its unqualified relation names resolve in public, CTE names aside).
func queryRelations(cat *catalog.Catalog, query string) []uint32 {
	tree, err := pg.Parse(query)
	if err != nil || len(tree.Stmts) != 1 {
		return nil
	}
	root := tree.Stmts[0].Stmt.ProtoReflect()
	ctes := map[string]bool{}
	collectCTENames(root, ctes)
	var out []uint32
	seen := map[uint32]bool{}
	walkMessages(root, func(m protoreflect.Message) {
		rv, ok := m.Interface().(*pg.RangeVar)
		if !ok || rv.Schemaname == "" && ctes[rv.Relname] {
			return
		}
		schema := cat.ResolveSchema("", rv.Schemaname, rv.Relname)
		id := uint32(0)
		if t, ok := cat.Lookup(schema, rv.Relname); ok {
			id = t.ID
		} else if v, ok := cat.LookupView(schema, rv.Relname); ok {
			id = v.ID
		}
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	})
	return out
}

// regclassSequences are the sequences expr's 'name'::regclass literals
// name (a default's nextval).
func (v visibility) regclassSequences(cat *catalog.Catalog, expr string) []uint32 {
	if !strings.Contains(expr, "::regclass") {
		return nil
	}
	tree, err := pg.Parse("SELECT " + expr)
	if err != nil || len(tree.Stmts) != 1 {
		return nil
	}
	var out []uint32
	walkMessages(tree.Stmts[0].Stmt.ProtoReflect(), func(m protoreflect.Message) {
		lit, ok := regclassLiteral(m)
		if !ok {
			return
		}
		if schema, name, ok := v.resolveRel(cat, lit.Sval); ok {
			if sq, ok := cat.LookupSequence(schema, name); ok {
				out = append(out, sq.ID)
			}
		}
	})
	return out
}

// relChecks is pg_class.relchecks: a table's number of CHECK constraints
// (pg_dump and psql read them only when it is not 0).
func relChecks(r relation) int {
	if r.table != nil && r.index == nil {
		return len(r.table.Checks)
	}
	return 0
}

// builtinComments are the comments (pg_description) of the built-in
// objects OmenDB lists, as PostgreSQL 15's template has them: the
// pg_catalog and public schemas (pg_dump writes an empty COMMENT ON SCHEMA
// public for a public schema without its standard comment), the languages
// the plpgsql extension and the access methods (psql's \dL, \dx and \dA+
// print them).
var builtinComments = []struct {
	class, oid uint32
	text       string
}{
	{oidPgNamespace, oidPgCatalog, "system catalog schema"},
	{oidPgNamespace, oidPublic, "standard public schema"},
	{oidPgLanguage, 12, "built-in functions"},
	{oidPgLanguage, 13, "dynamically-loaded C functions"},
	{oidPgLanguage, oidLangSQL, "SQL-language functions"},
	{oidPgLanguage, oidLangPlpgsql, "PL/pgSQL procedural language"},
	{oidPgExtension, oidExtPlpgsql, "PL/pgSQL procedural language"},
	{oidPgAm, oidHeapAM, "heap table access method"},
	{oidPgAm, oidBtreeAM, "b-tree index access method"},
	{oidPgAm, oidHashAM, "hash index access method"},
}

// builtinComment is the comment of built-in object oid of catalog class,
// "" if it has none.
func builtinComment(class, oid uint32) string {
	for _, c := range builtinComments {
		if c.class == class && c.oid == oid {
			return c.text
		}
	}
	return ""
}

// indexColumns are the columns index ix depends on: its key columns, then
// those its expressions and predicate read that are not key columns.
func indexColumns(t *catalog.Table, ix *catalog.Index) []int {
	seen := map[int]bool{}
	var out []int
	add := func(cols []int) {
		for _, c := range cols {
			if c >= 0 && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	add(ix.Columns)
	for _, e := range append(append([]string(nil), ix.Exprs...), ix.Where) {
		if e != "" {
			add(checkColumns(t, &catalog.Check{Expr: e}))
		}
	}
	return out
}
