package pgcdc

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Enum columns. Each enum type a replicated column uses gets a mirror in
// OmenDB: an enum type of the same schema and name, read-only, whose labels
// follow the source's. A value is stored as its label's representation
// (types.Enum), so it sorts in the declared order and a rename is a
// catalog change that touches no row. The source's labels are identified
// by their pg_enum OIDs, which a rename keeps: SourceEnum.Labels maps them
// to the mirror's label IDs, so ALTER TYPE … RENAME VALUE on the source
// renames the mirror's label and ADD VALUE [BEFORE | AFTER] inserts one at
// the same place (its representation between its neighbours').
//
// The mirror is brought in step (syncEnums) before a snapshot copies rows,
// when the stream announces the type (a Type message, sent before the
// first Relation message that uses it in each replication session), when
// a streamed value carries a label the mirror does not have yet (an added
// or renamed label, before the row is applied), and every enumPoll while
// streaming — a rename on the source writes no row, so it reaches OmenDB's
// existing rows within that interval. Arrays of enums are not replicated.

// SourceEnum maps an enum type of the source to its mirror.
type SourceEnum struct {
	OID      uint32 `json:"oid"`                 // the source's pg_type.oid
	ArrayOID uint32 `json:"array_oid,omitempty"` // and its array type's
	Schema   string `json:"schema"`
	Name     string `json:"name"`
	ID       uint32 `json:"id"` // the mirror's type ID
	// Labels maps the source's pg_enum.oid of each label to the mirror's
	// label ID.
	Labels map[uint32]uint32 `json:"labels"`
}

// srcLabel is one row of the source's pg_enum.
type srcLabel struct {
	oid   uint32
	label string
	sort  float32
}

// srcEnum is an enum type as the source has it now.
type srcEnum struct {
	oid, array   uint32
	schema, name string
	labels       []srcLabel
}

// readSourceEnum reads enum type oid's name and labels from the source.
func readSourceEnum(ctx context.Context, c *pgx.Conn, oid uint32) (*srcEnum, error) {
	e := &srcEnum{oid: oid}
	err := c.QueryRow(ctx, `SELECT n.nspname::text, t.typname::text, t.typarray FROM pg_type t
		JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1 AND t.typtype = 'e'`, oid).Scan(&e.schema, &e.name, &e.array)
	if err != nil {
		return nil, sourceError(fmt.Sprintf("reading enum type %d", oid), err)
	}
	rows, err := c.Query(ctx, `SELECT oid, enumlabel::text, enumsortorder FROM pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder`, oid)
	if err != nil {
		return nil, sourceError("reading the labels of enum type "+e.name, err)
	}
	for rows.Next() {
		var l srcLabel
		if err := rows.Scan(&l.oid, &l.label, &l.sort); err != nil {
			return nil, sourceError("reading the labels of enum type "+e.name, err)
		}
		e.labels = append(e.labels, l)
	}
	if err := rows.Err(); err != nil {
		return nil, sourceError("reading the labels of enum type "+e.name, err)
	}
	return e, nil
}

// newMirror builds the mirror of src: new IDs from newID, representations
// spread over the label count, the source's sort orders.
func newMirror(src *srcEnum, source string, newID func() uint32) (*catalog.EnumType, SourceEnum) {
	m := &catalog.EnumType{ID: newID(), ArrayID: newID(), Schema: src.schema, Name: src.name,
		ReadOnly: "replicated from source " + source}
	se := SourceEnum{OID: src.oid, ArrayOID: src.array, Schema: src.schema, Name: src.name, ID: m.ID, Labels: map[uint32]uint32{}}
	reps := types.EnumReps(len(src.labels))
	for i, l := range src.labels {
		id := newID()
		m.Labels = append(m.Labels, catalog.EnumLabel{ID: id, Label: l.label, Rep: reps[i], Sort: l.sort})
		se.Labels[l.oid] = id
	}
	return m, se
}

// syncMirror returns cur brought in step with src (nil when it already
// is) and the label map that goes with it. Labels keep their IDs and
// representations; a label new on the source gets a representation
// between those of its neighbours in the source's order.
func syncMirror(cur *catalog.EnumType, se SourceEnum, src *srcEnum, newID func() uint32) (*catalog.EnumType, map[uint32]uint32, error) {
	byID := make(map[uint32]int, len(cur.Labels))
	for i, l := range cur.Labels {
		byID[l.ID] = i
	}
	labels := make([]catalog.EnumLabel, len(src.labels))
	known := make([]bool, len(src.labels))
	ids := make(map[uint32]uint32, len(src.labels))
	changed := len(src.labels) != len(cur.Labels)
	for i, l := range src.labels {
		if id, ok := se.Labels[l.oid]; ok {
			if j, ok := byID[id]; ok {
				labels[i], known[i] = cur.Labels[j], true
				if labels[i].Label != l.label || labels[i].Sort != l.sort {
					labels[i].Label, labels[i].Sort, changed = l.label, l.sort, true
				}
				ids[l.oid] = id
				continue
			}
		}
		labels[i] = catalog.EnumLabel{ID: newID(), Label: l.label, Sort: l.sort}
		ids[l.oid] = labels[i].ID
		changed = true
	}
	if len(ids) != len(src.labels) || len(cur.Labels) > len(src.labels) {
		return nil, nil, fmt.Errorf("enum type %s.%s lost labels on the source; DROP SOURCE and CREATE it again", src.schema, src.name)
	}
	if !changed {
		return nil, ids, nil
	}
	// Representations: known labels keep theirs (they must still be in
	// order: PostgreSQL never reorders labels), new ones go between.
	last := ""
	for i := range labels {
		if known[i] {
			if labels[i].Rep <= last {
				return nil, nil, fmt.Errorf("enum type %s.%s changed its labels' order on the source; DROP SOURCE and CREATE it again", src.schema, src.name)
			}
			last = labels[i].Rep
			continue
		}
		hi := ""
		for j := i + 1; j < len(labels); j++ {
			if known[j] {
				hi = labels[j].Rep
				break
			}
		}
		labels[i].Rep = types.EnumRepBetween(last, hi)
		last = labels[i].Rep
	}
	n := cur.Clone()
	n.Labels = labels
	return n, ids, nil
}

// enumOf returns the mirror mapping of the source's enum type oid, or of
// the enum whose array type oid is (array = true).
func (s *source) enumOf(oid uint32) (se SourceEnum, array, ok bool) {
	for _, e := range s.enumList() {
		if e.OID == oid {
			return e, false, true
		}
		if e.ArrayOID == oid && oid != 0 {
			return e, true, true
		}
	}
	return SourceEnum{}, false, false
}

// syncEnums brings the mirrors of the source's enum types (only the one of
// source type only, if not 0) in step with the source. When one is behind
// it calls before (which waits until no commit of the caller is in
// flight), then commits the changes with the source's definition in one
// transaction. It reports whether it changed anything.
func (s *source) syncEnums(ctx context.Context, c *pgx.Conn, only uint32, before func() error) (bool, error) {
	cur := s.enumList()
	var srcs []*srcEnum
	for _, se := range cur {
		if only != 0 && se.OID != only {
			continue
		}
		e, err := readSourceEnum(ctx, c, se.OID)
		if err != nil {
			return false, err
		}
		srcs = append(srcs, e)
	}
	// plan returns the changes against the catalog now and the new
	// mappings (nil: nothing to do).
	plan := func() ([]*catalog.Change, []SourceEnum, error) {
		cat := s.m.store.Catalog()
		var chs []*catalog.Change
		next := cloneEnums(cur)
		for _, src := range srcs {
			k := slices.IndexFunc(next, func(e SourceEnum) bool { return e.OID == src.oid })
			mt, ok := cat.EnumType(next[k].ID)
			if !ok {
				return nil, nil, pgerr.New(pgerr.UndefinedObject, "the mirror of enum type %s.%s is gone from OmenDB", src.schema, src.name)
			}
			n, ids, err := syncMirror(mt, next[k], src, s.m.store.NewID)
			if err != nil {
				return nil, nil, err
			}
			if n != nil {
				next[k].Labels = ids
				chs = append(chs, &catalog.Change{Kind: catalog.AlterType, ID: n.ID, Enum: n})
			}
		}
		if len(chs) == 0 {
			return nil, nil, nil
		}
		return chs, next, nil
	}
	chs, _, err := plan()
	if err != nil || len(chs) == 0 {
		return false, err
	}
	if before != nil {
		if err := before(); err != nil {
			return false, err
		}
	}
	var next []SourceEnum
	err = s.m.commitWrites(ctx, func(uint64) (*oltp.Writes, error) {
		var chs []*catalog.Change
		var err error
		if chs, next, err = plan(); err != nil {
			return nil, err
		}
		w := oltp.NewWrites()
		for _, ch := range chs {
			w.DDL(ch)
		}
		if next != nil {
			nd := s.def.clone()
			nd.Enums = next
			w.SetMeta(metaDefPfx+nd.Name, nd.encode())
		}
		return w, nil
	})
	if err != nil {
		return false, fmt.Errorf("following the source's enum types: %w", err)
	}
	if next != nil {
		s.mu.Lock()
		s.enums = next
		s.mu.Unlock()
		s.m.logger.Info("applied source enum type change", "source", s.def.Name)
	}
	return next != nil, nil
}

// enumList returns the source's enum mappings now (read-only).
func (s *source) enumList() []SourceEnum {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enums
}

// clone returns a copy of d (its enum mappings shared; see cloneEnums).
func (d *Definition) clone() *Definition {
	n := *d
	n.Tables = slices.Clone(d.Tables)
	return &n
}

// cloneEnums returns a copy of es that may be changed.
func cloneEnums(es []SourceEnum) []SourceEnum {
	n := make([]SourceEnum, len(es))
	for i, e := range es {
		n[i] = e
		n[i].Labels = make(map[uint32]uint32, len(e.Labels))
		for k, v := range e.Labels {
			n[i].Labels[k] = v
		}
	}
	return n
}

// unknownLabel reports whether err is a value's failure to parse as a
// label of its enum type, or as an array of them (a label the mirror does
// not have yet).
func unknownLabel(t types.Type, err error) bool {
	return err != nil && (types.IsEnum(t) || types.IsEnumArray(t)) && pgerr.FromError(err).Code == pgerr.InvalidTextRepresentation
}
