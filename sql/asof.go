package sql

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Time travel: SET omendb.as_of = '<offset>' | '<timestamptz>' makes the
// session's statements read the state after the log record at that offset
// (a timestamp names the last record stored at or before it). The snapshot
// S is pinned in the row store like any other, so both stores read at S
// through the usual paths; the row store keeps versions for it inside the
// time-travel window (oltp.Store.SetTimeTravelWindow) and refuses points
// older than what it holds (oltp.ErrTooOld → 22023). A column store seeded
// from the row store at R (server/olap_seed.go) holds nothing below R:
// points below it are read through the row store (sql/vexec Runner.Run;
// 22023 when omendb.engine = column). Statements bind against
// the catalog as of S minus every table whose definition changed after S
// (created, dropped, renamed, columns changed): reading those fails with
// 0A000 instead of mixing the present schema with past rows. Writes fail
// with 25006 while as_of is set.

// asOfWait bounds how long a statement waits for the row store to apply an
// as_of offset that is durable in the log but not applied yet.
const asOfWait = 10 * time.Second

// offsetAtTimer maps a time to the log offset of the state as of that time
// (log.JetStream.OffsetAt).
type offsetAtTimer interface {
	OffsetAt(ctx context.Context, t time.Time) (log.Offset, error)
}

// rawReader reads the stored time of a log message (log.JetStream.ReadRaw).
type rawReader interface {
	ReadRaw(ctx context.Context, seq uint64) ([]byte, time.Time, error)
}

func invalidAsOf(value, why string) error {
	return pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter \"omendb.as_of\": %q", value).
		WithDetail("%s", why).
		WithHint("Give a log offset (a non-negative integer, e.g. from omendb_commit_offset()) or a timestamp with time zone; RESET omendb.as_of returns to the present.")
}

// resolveAsOf turns a setting value into the log offset to read at. It
// checks that the point exists (not past the log's end) and is still held
// in memory (not older than the row store's floor).
func (s *Session) resolveAsOf(value string) (log.Offset, error) {
	v := strings.TrimSpace(value)
	ctx, cancel := context.WithTimeout(context.Background(), asOfWait)
	defer cancel()
	var off log.Offset
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		off = log.Offset(n)
	} else if tv, terr := types.ParseText(types.TimestampTZ, v, s.loc); terr == nil && !tv.IsNull() {
		t := time.UnixMicro(tv.I)
		if t.After(time.Now()) {
			return 0, invalidAsOf(value, "The time is in the future.")
		}
		ot, ok := s.eng.Log.(offsetAtTimer)
		if !ok {
			return 0, pgerr.NotSupported("omendb.as_of with a timestamp needs a log that maps times to offsets; give an offset")
		}
		if off, err = ot.OffsetAt(ctx, t); err != nil {
			if errors.Is(err, log.ErrTrimmed) {
				return 0, s.tooOld(ctx, value, s.eng.Store.Oldest())
			}
			return 0, fmt.Errorf("omendb.as_of: finding the log offset at %s: %w", t.UTC().Format(time.RFC3339Nano), err)
		}
	} else {
		return 0, invalidAsOf(value, "It is neither a log offset nor a timestamp.")
	}
	if off > s.eng.Store.Applied() {
		last, err := s.eng.Log.Last(ctx)
		if err != nil {
			return 0, fmt.Errorf("omendb.as_of: reading the log's end: %w", err)
		}
		if off > last {
			return 0, invalidAsOf(value, fmt.Sprintf("Offset %d is beyond the end of the log (offset %d).", uint64(off), uint64(last)))
		}
	}
	if oldest := s.eng.Store.Oldest(); uint64(off) < oldest {
		return 0, s.tooOld(ctx, value, oldest)
	}
	return off, nil
}

// tooOld is the error for a point older than the oldest one held: it names
// the oldest reachable offset and its time, and where older points are.
func (s *Session) tooOld(ctx context.Context, value string, oldest uint64) error {
	at := ""
	if rr, ok := s.eng.Log.(rawReader); ok && oldest > 0 {
		if _, t, err := rr.ReadRaw(ctx, oldest); err == nil && !t.IsZero() {
			at = ", stored " + t.UTC().Format("2006-01-02 15:04:05.999999Z07")
		}
	}
	return pgerr.New(pgerr.InvalidParameterValue, "omendb.as_of %q is older than the oldest point this server holds: offset %d%s", value, oldest, at).
		WithDetail("The server keeps row versions for the time-travel window (%s, --time-travel-window) and none from before the checkpoint it started from.", s.eng.Store.TimeTravelWindow()).
		WithHint("Older points can be read from a backup: omendb restore --to-time (or --to-offset) builds a data directory as of that point.")
}

// asOfPoint returns the offset set by omendb.as_of, if any. A value set at
// connection start (options=-c omendb.as_of=…) is resolved on first use.
func (s *Session) asOfPoint() (log.Offset, bool, error) {
	v := s.settings["omendb.as_of"]
	if v == "" {
		return 0, false, nil
	}
	if v != s.asOfText {
		off, err := s.resolveAsOf(v)
		if err != nil {
			return 0, false, err
		}
		s.asOfText, s.asOfOff = v, off
	}
	return s.asOfOff, true, nil
}

// setAsOf validates and records SET omendb.as_of.
func (s *Session) setAsOf(value string) error {
	if value == "" {
		return nil
	}
	if s.txn != nil && !s.txn.writes.Empty() {
		return pgerr.New(pgerr.ActiveSQLTransaction, "omendb.as_of cannot be set in a transaction that has written")
	}
	off, err := s.resolveAsOf(value)
	if err != nil {
		return err
	}
	s.asOfText, s.asOfOff = value, off
	return nil
}

// pinAsOf pins snapshot off for the open transaction's next statements,
// waiting (bounded) until the row store applied it, and returns the catalog
// to bind against and the tables that changed after off.
func (s *Session) pinAsOf(off log.Offset) (unpin func(), cat *catalog.Catalog, changed map[string]string, err error) {
	st := s.eng.Store
	if st.Applied() < off {
		ctx, cancel := context.WithTimeout(context.Background(), asOfWait)
		err := st.WaitApplied(ctx, off)
		cancel()
		if err != nil {
			return nil, nil, nil, pgerr.New(pgerr.ObjectNotInPrerequisiteState, "omendb.as_of offset %d is not applied yet (applied %d) after %s", uint64(off), uint64(st.Applied()), asOfWait)
		}
	}
	unpin, err = st.PinAt(uint64(off))
	if err != nil {
		var tooOld *oltp.TooOldError
		if errors.As(err, &tooOld) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return nil, nil, nil, s.tooOld(ctx, s.settings["omendb.as_of"], tooOld.Oldest)
		}
		return nil, nil, nil, err
	}
	cat, changed = asOfCatalog(st, uint64(off))
	if cat == nil {
		unpin()
		return nil, nil, nil, pgerr.New(pgerr.InvalidParameterValue, "the catalog as of offset %d is no longer held", uint64(off))
	}
	return unpin, cat, changed, nil
}

// asOfCatalog returns the catalog statements at snap bind against: the
// catalog as of snap without the tables whose definition differs now (or
// that no longer exist), and for each name that cannot be read at snap why.
func asOfCatalog(st *oltp.Store, snap uint64) (*catalog.Catalog, map[string]string) {
	cur := st.Catalog()
	at, ok := st.CatalogAt(snap)
	if !ok {
		return nil, nil
	}
	if at == cur {
		return cur, nil
	}
	changed := map[string]string{}
	bind := at
	for _, t := range at.Tables() {
		now, ok := cur.Table(t.ID)
		why := ""
		switch {
		case !ok:
			why = "dropped"
		case now.Name != t.Name || now.Schema != t.Schema:
			why = "renamed"
		case !sameShape(t, now):
			why = "altered"
		}
		if why == "" {
			continue
		}
		changed[t.Name] = why
		bind = withoutRelation(bind, t.ID)
	}
	for _, t := range cur.Tables() {
		if _, ok := at.Table(t.ID); !ok {
			if _, taken := changed[t.Name]; !taken {
				changed[t.Name] = "created"
			}
		}
	}
	return bind, changed
}

// withoutRelation returns cat without table or view id and the views that
// read it (they would read it as it is not at that time).
func withoutRelation(cat *catalog.Catalog, id uint32) *catalog.Catalog {
	for _, v := range cat.Dependents(id) {
		cat = withoutRelation(cat, v.ID)
	}
	kind := catalog.DropTable
	if _, ok := cat.View(id); ok {
		kind = catalog.DropView
	}
	if b, err := cat.Apply(&catalog.Change{Kind: kind, ID: id}); err == nil {
		return b
	}
	return cat
}

// sameShape reports whether rows stored under definition a read the same
// under b: same columns (name, type, dropped, missing value) and primary key.
// Index and constraint changes do not matter to readers.
func sameShape(a, b *catalog.Table) bool {
	if len(a.Columns) != len(b.Columns) || a.PrimaryKey != b.PrimaryKey {
		return false
	}
	for i := range a.Columns {
		x, y := &a.Columns[i], &b.Columns[i]
		if x.Name != y.Name || x.Type.OID != y.Type.OID || x.Type.Mod != y.Type.Mod || x.Dropped != y.Dropped || (x.Missing == nil) != (y.Missing == nil) ||
			(x.Missing != nil && *x.Missing != *y.Missing) {
			return false
		}
	}
	if pa, pb := a.PK(), b.PK(); (pa == nil) != (pb == nil) || (pa != nil && fmt.Sprint(pa.Columns) != fmt.Sprint(pb.Columns)) {
		return false
	}
	return true
}

// asOfBindError turns "relation does not exist" for a table that changed
// after the as_of point into a clear 0A000.
func (s *Session) asOfBindError(err error) error {
	var pe *pgerr.Error
	if err == nil || !errors.As(err, &pe) || pe.Code != pgerr.UndefinedTable {
		return err
	}
	_, changed, snap, ok := s.asOfView()
	if !ok {
		return err
	}
	for name, why := range changed {
		if strings.Contains(pe.Message, "\""+name+"\"") || strings.Contains(pe.Message, "."+name+"\"") {
			return pgerr.NotSupported("table %q was %s after the as_of point (offset %d); reading it at that point is not supported", name, why, uint64(snap)).
				WithHint("Choose a point after the change, or restore a backup to that point (omendb restore --to-offset).")
		}
	}
	return err
}

// asOfView returns the catalog statements bind against under omendb.as_of,
// the tables changed after the point, and the point: the open
// transaction's, or (for Describe before any statement started one) the
// setting's. ok is false when as_of is not set (or cannot be resolved).
func (s *Session) asOfView() (cat *catalog.Catalog, changed map[string]string, snap log.Offset, ok bool) {
	if s.txn != nil {
		if !s.txn.asOf {
			return nil, nil, 0, false
		}
		return s.txn.cat, s.txn.asOfChanged, s.txn.snap, true
	}
	off, set, err := s.asOfPoint()
	if err != nil || !set {
		return nil, nil, 0, false
	}
	cat, changed = asOfCatalog(s.eng.Store, uint64(off))
	if cat == nil {
		return nil, nil, 0, false
	}
	return cat, changed, off, true
}
