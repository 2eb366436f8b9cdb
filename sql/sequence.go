package sql

import (
	"strconv"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Sequence options (CREATE SEQUENCE, and the sequence options of an
// identity column): AS, INCREMENT, MINVALUE, MAXVALUE, START, CACHE,
// CYCLE, checked as PostgreSQL's init_params checks them. nextval honours
// the bounds and CYCLE (catalog.Sequence.Next); CACHE is kept but OmenDB
// hands out one value at a time. OWNED BY a column is not supported
// (0A000): a sequence belongs to a column only as that column's serial or
// identity sequence.

// applySeqOptions sets sq's options from opts; sq.Type is the sequence's
// type before them (an identity column's type).
func applySeqOptions(sq *catalog.Sequence, opts []*pg.Node, identity bool) error {
	var start *int64
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "as":
			tn := d.Arg.GetTypeName()
			t, ok := seqType(tn)
			if !ok {
				return pgerr.New(pgerr.InvalidParameterValue, "sequence type must be smallint, integer, or bigint")
			}
			sq.Type = t
		case "increment":
			v, err := seqInt(d)
			if err != nil {
				return err
			}
			if v == 0 {
				return pgerr.New(pgerr.InvalidParameterValue, "INCREMENT must not be zero")
			}
			sq.Inc = v
		case "minvalue", "maxvalue":
			if d.Arg == nil { // NO MINVALUE / NO MAXVALUE
				continue
			}
			v, err := seqInt(d)
			if err != nil {
				return err
			}
			if d.Defname == "minvalue" {
				sq.MinValue = &v
			} else {
				sq.MaxValue = &v
			}
		case "start":
			v, err := seqInt(d)
			if err != nil {
				return err
			}
			start = &v
		case "cache":
			v, err := seqInt(d)
			if err != nil {
				return err
			}
			if v <= 0 {
				return pgerr.New(pgerr.InvalidParameterValue, "CACHE (%d) must be greater than zero", v)
			}
			sq.Cache = v
		case "cycle":
			sq.Cycle = d.Arg == nil || d.Arg.GetBoolean() == nil || d.Arg.GetBoolean().Boolval
		case "owned_by":
			if names := nodeNames(d.Arg.GetList().GetItems()); len(names) == 1 && names[0] == "none" {
				continue
			}
			return pgerr.NotSupported("sequence option OWNED BY is not supported yet")
		case "sequence_name":
			if identity {
				return pgerr.NotSupported("SEQUENCE NAME of an identity column is not supported yet")
			}
			return pgerr.NotSupported("sequence option %s is not supported yet", d.Defname)
		default:
			return pgerr.NotSupported("sequence option %s is not supported yet", d.Defname)
		}
	}
	tlo, thi := catalog.TypeRange(sq.DataType())
	lo, hi := sq.Bounds()
	name := types.TypeName(types.Type{OID: sq.DataType(), Mod: -1})
	if sq.MaxValue != nil && (hi < tlo || hi > thi) {
		return pgerr.New(pgerr.InvalidParameterValue, "MAXVALUE (%d) is out of range for sequence data type %s", hi, name)
	}
	if sq.MinValue != nil && (lo < tlo || lo > thi) {
		return pgerr.New(pgerr.InvalidParameterValue, "MINVALUE (%d) is out of range for sequence data type %s", lo, name)
	}
	if lo >= hi {
		return pgerr.New(pgerr.InvalidParameterValue, "MINVALUE (%d) must be less than MAXVALUE (%d)", lo, hi)
	}
	if start != nil {
		sq.Start = *start
	} else if sq.Inc > 0 {
		sq.Start = lo
	} else {
		sq.Start = hi
	}
	if sq.Start < lo {
		return pgerr.New(pgerr.InvalidParameterValue, "START value (%d) cannot be less than MINVALUE (%d)", sq.Start, lo)
	}
	if sq.Start > hi {
		return pgerr.New(pgerr.InvalidParameterValue, "START value (%d) cannot be greater than MAXVALUE (%d)", sq.Start, hi)
	}
	return nil
}

// seqType is the sequence data type a type name names.
func seqType(tn *pg.TypeName) (types.OID, bool) {
	if tn == nil {
		return 0, false
	}
	names := nodeNames(tn.Names)
	if len(names) == 0 || len(tn.ArrayBounds) > 0 {
		return 0, false
	}
	switch names[len(names)-1] {
	case "int2", "smallint":
		return types.OIDInt2, true
	case "int4", "integer", "int":
		return types.OIDInt4, true
	case "int8", "bigint":
		return types.OIDInt8, true
	}
	return 0, false
}

// seqInt is a sequence option's integer value (large ones parse as
// floats in the grammar).
func seqInt(d *pg.DefElem) (int64, error) {
	if d.Arg == nil {
		return 0, pgerr.New(pgerr.SyntaxError, "%s requires a numeric value", d.Defname)
	}
	if i := d.Arg.GetInteger(); i != nil {
		return int64(i.Ival), nil
	}
	if f := d.Arg.GetFloat(); f != nil {
		v, err := strconv.ParseInt(f.Fval, 10, 64)
		if err != nil {
			return 0, pgerr.New(pgerr.InvalidParameterValue, "invalid value for %s: %q", d.Defname, f.Fval)
		}
		return v, nil
	}
	if c := d.Arg.GetAConst(); c != nil {
		if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
			return int64(iv.Ival.Ival), nil
		}
	}
	return 0, pgerr.New(pgerr.SyntaxError, "%s requires a numeric value", d.Defname)
}

// SequencePosition implements plan.SequenceReader: the last value sequence
// id handed out (or was set to), false if none.
func (s *Session) SequencePosition(id uint32) (int64, bool) { return s.eng.Store.CurrVal(id) }
