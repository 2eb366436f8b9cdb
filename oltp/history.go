package oltp

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/catalog"
)

// Reading the past: readers pin the snapshots they read (Pin, PinLatest,
// PinAt) and Reclaim drops only versions that no pinned snapshot and no
// snapshot inside the time-travel window can see. The store keeps, for the
// window, a sparse ring of (offset, log time) samples to turn the window's
// start into an offset, and the catalog after each DDL so that a reader at
// an older snapshot can bind against the schema of that time.
//
// The floor is the oldest snapshot that still reads correctly: everything
// before it may have been reclaimed (or was never in memory: a store loaded
// from a checkpoint at offset C has no versions before C). It only grows.

// ErrTooOld is returned (wrapped in a *TooOldError) by PinAt for a snapshot
// older than the oldest one the store still holds.
var ErrTooOld = errors.New("snapshot older than the oldest point kept in memory")

// TooOldError names the snapshot asked for and the oldest one available.
type TooOldError struct {
	Snap, Oldest uint64
}

func (e *TooOldError) Error() string {
	return fmt.Sprintf("snapshot %d is older than the oldest point kept in memory (offset %d)", e.Snap, e.Oldest)
}

// Unwrap makes errors.Is(err, ErrTooOld) true.
func (e *TooOldError) Unwrap() error { return ErrTooOld }

// horizon tracks the snapshots readers hold so that versions no reader can
// see are reclaimed.
type horizon struct {
	mu    sync.Mutex
	held  map[uint64]int
	floor uint64 // oldest readable snapshot; every Reclaim so far used a horizon <= floor
}

// history is what the store keeps to read inside the time-travel window.
type history struct {
	window atomic.Int64 // nanoseconds; 0 keeps only what pinned readers need
	// clock is time.Now except in tests.
	clock func() time.Time
	// lastSample is the log time (unix ns) of the newest sample; written by
	// Apply only (under applyMu).
	lastSample int64
	// lastReclaim is the clock (unix ns) of the last Reclaim that computed
	// a horizon with a window.
	lastReclaim atomic.Int64

	mu      sync.Mutex
	samples []timeSample // ascending offsets and times
	cats    []catSample  // catalog after each DDL, ascending; cats[0] is the catalog at the floor (or the start)
}

type timeSample struct {
	off uint64
	t   int64 // unix ns
}

type catSample struct {
	off uint64
	cat *catalog.Catalog
}

// SetTimeTravelWindow makes Reclaim keep every version that ended less than
// d ago (by the log time of the record that ended it), so that snapshots
// inside the window stay readable. 0 (the default) keeps only what pinned
// readers need. Set it before records are applied.
func (s *Store) SetTimeTravelWindow(d time.Duration) { s.hist.window.Store(int64(max(d, 0))) }

// TimeTravelWindow returns the window set by SetTimeTravelWindow.
func (s *Store) TimeTravelWindow() time.Duration { return time.Duration(s.hist.window.Load()) }

func (s *Store) now() time.Time {
	if s.hist.clock != nil {
		return s.hist.clock()
	}
	return time.Now()
}

// noteApplied records that offset off (stored in the log at t) was applied.
// Called by Apply under applyMu; it samples at most once per window/1024 of
// log time, so the ring stays small and the common case is one comparison.
func (s *Store) noteApplied(off uint64, t time.Time) {
	w := s.hist.window.Load()
	if w == 0 {
		return
	}
	if t.IsZero() {
		t = s.now() // entries built without a log time (tests, tools)
	}
	ns := t.UnixNano()
	if s.hist.lastSample != 0 && ns-s.hist.lastSample < w/1024 {
		return
	}
	s.hist.lastSample = ns
	s.hist.mu.Lock()
	s.hist.samples = append(s.hist.samples, timeSample{off: off, t: ns})
	s.hist.mu.Unlock()
}

// noteCatalog records the catalog as of offset off (after a DDL). Called by
// applyDDL under applyMu.
func (s *Store) noteCatalog(off uint64, cat *catalog.Catalog) {
	s.hist.mu.Lock()
	s.hist.cats = append(s.hist.cats, catSample{off: off, cat: cat})
	s.hist.mu.Unlock()
}

// startHistoryAt makes off the oldest readable snapshot, with the current
// catalog as the catalog at off: a store loaded from a checkpoint at off
// holds no versions before it.
func (s *Store) startHistoryAt(off uint64) {
	s.horizon.mu.Lock()
	s.horizon.floor = max(s.horizon.floor, off)
	s.horizon.mu.Unlock()
	s.hist.mu.Lock()
	s.hist.cats = []catSample{{off: off, cat: s.cat.Load()}}
	s.hist.samples = nil
	s.hist.mu.Unlock()
}

// CatalogAt returns the catalog as of snapshot snap (the schema a reader at
// snap binds against); ok is false when snap is older than the history kept.
func (s *Store) CatalogAt(snap uint64) (*catalog.Catalog, bool) {
	cur := s.cat.Load()
	if s.catAt.Load() <= snap {
		return cur, true // no DDL after snap (cur was loaded first: it is not newer)
	}
	s.hist.mu.Lock()
	defer s.hist.mu.Unlock()
	cs := s.hist.cats
	i := sort.Search(len(cs), func(i int) bool { return cs[i].off > snap })
	if i == 0 {
		// No catalog at or before snap is kept: either snap is older than
		// the floor, or this store started empty and snap precedes its
		// first DDL (the kept catalogs always include one at or before the
		// floor otherwise).
		if snap >= s.Oldest() {
			return catalog.New(), true
		}
		return nil, false
	}
	return cs[i-1].cat, true
}

// Oldest returns the oldest snapshot the store can still read correctly.
func (s *Store) Oldest() uint64 {
	s.horizon.mu.Lock()
	defer s.horizon.mu.Unlock()
	return s.horizon.floor
}

// Pin registers a reader at snap; call the returned function when done. The
// caller must know snap is readable (the applied offset, or a snapshot it
// already pins); PinAt checks.
func (s *Store) Pin(snap uint64) func() {
	h := &s.horizon
	h.mu.Lock()
	h.pinLocked(snap)
	h.mu.Unlock()
	return func() { h.unpin(snap) }
}

// PinLatest pins the newest applied offset and returns it: reading the
// offset and pinning it are one step, so a concurrent Reclaim cannot pass it.
func (s *Store) PinLatest() (uint64, func()) {
	h := &s.horizon
	h.mu.Lock()
	snap := s.applied.Load()
	h.pinLocked(snap)
	h.mu.Unlock()
	return snap, func() { h.unpin(snap) }
}

// PinAt pins snap, an offset at or below the applied offset, for a reader of
// the past. It fails with a *TooOldError when versions visible at snap may
// have been reclaimed.
func (s *Store) PinAt(snap uint64) (func(), error) {
	h := &s.horizon
	h.mu.Lock()
	if snap < h.floor {
		floor := h.floor
		h.mu.Unlock()
		return nil, &TooOldError{Snap: snap, Oldest: floor}
	}
	h.pinLocked(snap)
	h.mu.Unlock()
	return func() { h.unpin(snap) }, nil
}

func (h *horizon) pinLocked(snap uint64) {
	if h.held == nil {
		h.held = map[uint64]int{}
	}
	h.held[snap]++
}

func (h *horizon) unpin(snap uint64) {
	h.mu.Lock()
	if h.held[snap]--; h.held[snap] <= 0 {
		delete(h.held, snap)
	}
	h.mu.Unlock()
}

// windowHorizon returns the newest sampled offset stored at least the window
// ago (versions that ended after it are kept), Live when there is no window,
// and 0 when no sample is old enough.
func (s *Store) windowHorizon() uint64 {
	w := s.hist.window.Load()
	if w == 0 {
		return Live
	}
	cutoff := s.now().UnixNano() - w
	s.hist.mu.Lock()
	defer s.hist.mu.Unlock()
	ss := s.hist.samples
	i := sort.Search(len(ss), func(i int) bool { return ss[i].t > cutoff })
	if i == 0 {
		return 0
	}
	return ss[i-1].off
}

// advance computes the reclaim horizon — the oldest of the applied offset,
// every pinned snapshot and the window's start — and raises the floor to it.
// ok is false when the floor did not move (there is nothing new to reclaim:
// every version that began at or before the old floor was handled then).
func (s *Store) advance() (prev, hz uint64, ok bool) {
	if w := s.hist.window.Load(); w > 0 {
		// With a window the horizon creeps forward with the clock: walking
		// the tables once per 1/256 of the window frees memory soon enough.
		now := s.now().UnixNano()
		if now-s.hist.lastReclaim.Load() < w/256 {
			return 0, 0, false
		}
		s.hist.lastReclaim.Store(now)
	}
	wh := s.windowHorizon()
	h := &s.horizon
	h.mu.Lock()
	hz = min(s.applied.Load(), wh)
	for snap := range h.held {
		hz = min(hz, snap)
	}
	if hz <= h.floor {
		h.mu.Unlock()
		return 0, 0, false
	}
	prev, h.floor = h.floor, hz
	h.mu.Unlock()
	// History before the floor is no longer needed: keep the newest sample
	// and catalog at or before it.
	s.hist.mu.Lock()
	ss := s.hist.samples
	if i := sort.Search(len(ss), func(i int) bool { return ss[i].off > hz }); i > 1 {
		s.hist.samples = append(ss[:0:0], ss[i-1:]...)
	}
	cs := s.hist.cats
	if i := sort.Search(len(cs), func(i int) bool { return cs[i].off > hz }); i > 1 {
		s.hist.cats = append(cs[:0:0], cs[i-1:]...)
	}
	s.hist.mu.Unlock()
	return prev, hz, true
}

// Reclaim drops versions no reader can see: in each chain, versions older
// than the newest one that began at or before the horizon (the oldest of the
// applied offset, the pinned snapshots and the start of the time-travel
// window). Only the materializer calls it (it is a writer). It is cheap
// when there is nothing new to drop: it walks only tables written after the
// previous horizon, only when the horizon moved (with a window, at most once
// per 1/256 of it). It returns the versions dropped.
func (s *Store) Reclaim() int {
	prev, hz, ok := s.advance()
	if !ok {
		return 0
	}
	s.mu.RLock()
	tables := make([]*Table, 0, len(s.tables))
	for _, t := range s.tables {
		// A table last written at or before the previous horizon has no
		// version that ended after it: the previous walk handled them all.
		if t.lastWrite.Load() > prev {
			tables = append(tables, t)
		}
	}
	s.mu.RUnlock()
	n := 0
	for _, t := range tables {
		t.forEachChain(func(_ uint64, c *chain) {
			for v := c.head.Load(); v != nil; v = v.prev.Load() {
				if v.Begin <= hz {
					for p := v.prev.Load(); p != nil; p = p.prev.Load() {
						n++
					}
					v.prev.Store(nil)
					return
				}
			}
		})
	}
	s.reclaimed.Add(int64(n))
	return n
}
