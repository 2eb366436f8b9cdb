package pgcdc

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/types"
)

// relation handles a Relation message: it maps the relation to its OmenDB
// table and applies a schema change the source made (DDL is not replicated;
// the next Relation message shows its effect). ADD COLUMN, DROP COLUMN and
// RENAME COLUMN are applied; other changes turn the table's state to error.
func (st *streamer) relation(ctx context.Context, msg *pglogrepl.RelationMessage) error {
	r := &relation{cols: msg.Columns}
	st.rels[msg.RelationID] = r
	for _, t := range st.s.def.Tables {
		if t.Schema == msg.Namespace && t.Name == msg.RelationName {
			r.id = t.ID
		}
	}
	if r.id == 0 {
		return nil
	}
	def, ok := st.s.m.store.Catalog().Table(r.id)
	if !ok {
		r.id = 0
		return nil
	}
	if st.s.tableErr(r.id) == "" {
		st.newEnums, st.pendingMirror = st.newEnums[:0], nil
		changes, msgText := st.diff(ctx, msg, def)
		if msgText != "" {
			if err := st.tableError(ctx, r.id, msgText); err != nil {
				return err
			}
		} else if len(changes) > 0 {
			if err := st.waitIdle(ctx); err != nil {
				return err
			}
			var enums []SourceEnum
			err := st.s.m.commitWrites(ctx, func(uint64) (*oltp.Writes, error) {
				w := oltp.NewWrites()
				for _, ch := range changes {
					w.DDL(ch)
				}
				if len(st.newEnums) > 0 {
					// Mirrors made for added columns (enumColumn).
					nd := st.s.def.clone()
					nd.Enums = append(cloneEnums(st.s.enumList()), st.newEnums...)
					enums = nd.Enums
					w.SetMeta(metaDefPfx+nd.Name, nd.encode())
				}
				return w, nil
			})
			if err != nil {
				return fmt.Errorf("applying the source's schema change to %q: %w", def.Name, err)
			}
			if enums != nil {
				st.s.mu.Lock()
				st.s.enums = enums
				st.s.mu.Unlock()
			}
			def, _ = st.s.m.store.Catalog().Table(r.id)
			st.s.m.logger.Info("applied source schema change", "source", st.s.def.Name, "table", def.Name, "changes", len(changes))
		}
	}
	r.colIdx = make([]int, len(msg.Columns))
	for i, c := range msg.Columns {
		r.colIdx[i] = def.ColumnIndex(c.Name)
		if r.colIdx[i] < 0 && st.s.tableErr(r.id) == "" {
			if err := st.tableError(ctx, r.id, fmt.Sprintf("source column %q has no OmenDB column", c.Name)); err != nil {
				return err
			}
		}
	}
	if st.s.tableErr(r.id) != "" {
		for i := range r.colIdx {
			r.colIdx[i] = max(r.colIdx[i], 0)
		}
	}
	return nil
}

// diff compares a Relation message with the OmenDB table and returns the
// catalog changes that make them agree, or a reason they cannot.
func (st *streamer) diff(ctx context.Context, msg *pglogrepl.RelationMessage, def *catalog.Table) ([]*catalog.Change, string) {
	var live []int
	for i, c := range def.Columns {
		if !c.Dropped {
			live = append(live, i)
		}
	}
	type rc struct {
		name string
		t    types.Type
	}
	rel := make([]rc, len(msg.Columns))
	for i, c := range msg.Columns {
		rel[i] = rc{c.Name, st.mapType(c.DataType, c.TypeModifier)}
	}
	isKey := func(ci int) bool {
		if pk := def.PK(); pk != nil {
			for _, k := range pk.Columns {
				if k == ci {
					return true
				}
			}
		}
		return false
	}
	typeErr := func(ci int, t types.Type) string {
		return fmt.Sprintf("the type of column %q changed on the source from %s to %s; this change is not applied (DROP SOURCE and CREATE it again to re-copy)",
			def.Columns[ci].Name, types.TypeName(def.Columns[ci].Type), types.TypeName(t))
	}
	nt := def.Clone()
	var changes []*catalog.Change
	switch {
	case len(rel) >= len(live):
		for i, ci := range live {
			if !sameType(rel[i].t, def.Columns[ci].Type) {
				return nil, typeErr(ci, rel[i].t)
			}
			if rel[i].name != def.Columns[ci].Name {
				// Same position and type, new name: a rename.
				nt.Columns[ci].Name = rel[i].name
				changes = append(changes, &catalog.Change{Kind: catalog.RenameColumn, Table: nt.Clone()})
			}
		}
		for _, c := range rel[len(live):] {
			col := catalog.Column{Name: c.name, Type: c.t}
			missing, enumKind, enumOID, why := st.missingValue(ctx, msg.RelationID, c.name, def)
			if why != "" {
				return nil, why
			}
			if enumKind != 0 && !types.IsEnum(c.t) && !types.IsEnumArray(c.t) {
				// A column of an enum type not mirrored yet.
				mirror, created, why := st.enumColumn(ctx, enumOID, def.Name)
				if why != "" {
					return nil, why
				}
				if created {
					changes = append(changes, &catalog.Change{Kind: catalog.CreateType, ID: mirror.ID, Enum: mirror})
				}
				col.Type = mirror.ColumnType()
				if enumKind == enumArray {
					col.Type = mirror.ArrayColumnType()
				}
			}
			if missing != nil && types.IsEnumArray(col.Type) {
				return nil, fmt.Sprintf("column %q of an array of an enum type was added with a default; not applied", c.name)
			}
			if missing != nil && types.IsEnum(col.Type) {
				// Missing values of enum columns are kept as their
				// representation (catalog.MissingText).
				v, err := types.ParseText(col.Type, *missing, nil)
				if err != nil {
					return nil, fmt.Sprintf("the value %q of added column %q is not a label of its type yet; not applied", *missing, c.name)
				}
				rep := v.S
				missing = &rep
			}
			col.Missing = missing
			nt.Columns = append(nt.Columns, col)
			changes = append(changes, &catalog.Change{Kind: catalog.AddColumn, Table: nt.Clone()})
		}
	default:
		// Fewer columns: the source dropped some. The remaining ones must
		// appear in the same order with the same names and types.
		j := 0
		for _, ci := range live {
			if j < len(rel) && rel[j].name == def.Columns[ci].Name {
				if !sameType(rel[j].t, def.Columns[ci].Type) {
					return nil, typeErr(ci, rel[j].t)
				}
				j++
				continue
			}
			if isKey(ci) {
				return nil, fmt.Sprintf("key column %q was dropped or renamed on the source; not applied", def.Columns[ci].Name)
			}
			nt.Columns[ci].Dropped = true
			changes = append(changes, &catalog.Change{Kind: catalog.DropColumn, Table: nt.Clone()})
		}
		if j != len(rel) {
			return nil, fmt.Sprintf("columns of %q changed on the source in a way OmenDB cannot follow (source columns: %s)", def.Name, relNames(msg))
		}
	}
	return changes, ""
}

func relNames(msg *pglogrepl.RelationMessage) string {
	var n []string
	for _, c := range msg.Columns {
		n = append(n, c.Name)
	}
	return strings.Join(n, ", ")
}

// missingValue asks the source which value existing rows read for an added
// column (attmissingval): ADD COLUMN … DEFAULT writes no WAL for them. It
// also says whether the column's type is an enum or an array of one
// (enumKindSQL), and that enum type's OID.
func (st *streamer) missingValue(ctx context.Context, relid uint32, col string, def *catalog.Table) (*string, int, uint32, string) {
	c, err := st.sourceSQL(ctx)
	if err != nil {
		return nil, 0, 0, fmt.Sprintf("cannot read the definition of added column %q from the source: %v", col, err)
	}
	var hasMissing, hasDef bool
	var enumKind int
	var enumOID uint32
	var val *string
	var typName string
	err = c.QueryRow(ctx, `SELECT atthasmissing, atthasdef, (attmissingval::text::text[])[1], `+enumKindSQL+`, `+enumOIDSQL+`, format_type(atttypid, atttypmod)
		FROM pg_attribute WHERE attrelid = $1 AND attname = $2`, relid, col).Scan(&hasMissing, &hasDef, &val, &enumKind, &enumOID, &typName)
	if err != nil {
		st.closeSourceSQL()
		return nil, 0, 0, fmt.Sprintf("cannot read the definition of added column %q from the source: %v", col, err)
	}
	if enumKind == enumArray && st.s.def.TypeMap < typeMapArrays {
		return nil, 0, 0, enumArrayError(def.Name, col, typName).Error()
	}
	if hasMissing {
		return val, enumKind, enumOID, ""
	}
	if hasDef {
		if t := st.s.m.store.Table(def.ID); t != nil && t.Count() > 0 {
			return nil, 0, 0, fmt.Sprintf("column %q was added with a volatile default, which rewrote the source table without replicating its values; not applied", col)
		}
	}
	return nil, enumKind, enumOID, ""
}

// enumColumn returns the mirror of source enum type oid, which a column
// added to table uses: the mirror it has, or a new one (created), whose
// mapping it queues (newEnums) for the commit of the schema change.
func (st *streamer) enumColumn(ctx context.Context, oid uint32, table string) (*catalog.EnumType, bool, string) {
	if se, _, ok := st.s.enumOf(oid); ok {
		if e, ok := st.s.m.store.Catalog().EnumType(se.ID); ok {
			return e, false, ""
		}
	}
	if e := st.pendingMirror[oid]; e != nil {
		return e, false, ""
	}
	c, err := st.sourceSQL(ctx)
	if err != nil {
		return nil, false, fmt.Sprintf("cannot read an enum type of %q from the source: %v", table, err)
	}
	src, err := readSourceEnum(ctx, c, oid)
	if err != nil {
		st.closeSourceSQL()
		return nil, false, fmt.Sprintf("cannot read an enum type of %q from the source: %v", table, err)
	}
	cat := st.s.m.store.Catalog()
	_, isType := cat.LookupEnumType(src.schema, src.name)
	_, isTable := cat.Lookup(src.schema, src.name)
	_, isView := cat.LookupView(src.schema, src.name)
	if isType || isTable || isView {
		return nil, false, fmt.Sprintf("type %q already exists in OmenDB; the source's enum type of that name cannot be created", src.schema+"."+src.name)
	}
	mirror, se := newMirror(src, st.s.def.Name, st.s.m.store.NewID)
	st.newEnums = append(st.newEnums, se)
	if st.pendingMirror == nil {
		st.pendingMirror = map[uint32]*catalog.EnumType{}
	}
	st.pendingMirror[oid] = mirror
	return mirror, true, ""
}

// mapType is mapType under the source's type map, with the source's enum
// types (and their arrays) mapped to their mirrors.
func (st *streamer) mapType(oid uint32, mod int32) types.Type {
	if se, array, ok := st.s.enumOf(oid); ok {
		if e, ok := st.s.m.store.Catalog().EnumType(se.ID); ok {
			if array {
				return e.ArrayColumnType()
			}
			return e.ColumnType()
		}
	}
	t, _ := mapType(oid, mod, st.s.def.TypeMap)
	return t
}

// sameType compares column types by OID and typmod (an enum's definition
// is a pointer that differs between catalog snapshots).
func sameType(a, b types.Type) bool { return a.OID == b.OID && a.Mod == b.Mod }
