package olap

// Seeding: building the column store from a consistent snapshot of the row
// store instead of from the log. A column store recovers from its newest
// checkpoint plus the log after it, or from the whole log; when neither is
// possible (the log was trimmed below what the column store needs — a data
// directory restored from a backup of a trimmed log, or a lost OLAP
// checkpoint) or replaying the whole log would be slower, the server seeds
// it: every row visible in the row store at one offset R is appended as if
// inserted at R, and the materializer continues from R+1.
//
// History: a seeded store has no history below R (every seeded row carries
// Ins = R, whatever version of the row store wrote it). Oldest() returns R;
// readers at a snapshot below it must not use the store (package vexec reads
// the row store instead, or fails when the column engine is forced).
// Checkpoints record Oldest so that a store loaded from a checkpoint of a
// seeded store keeps refusing those snapshots.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/types"
)

// SeedStats describes one seeding.
type SeedStats struct {
	Offset   uint64 // R: the row store's offset the column store was seeded at
	Tables   int
	Rows     int64
	Attempts int // snapshots taken (a DDL applied during a scan restarts it)
	Took     time.Duration
}

// errSeedRetry: a DDL record was applied to the row store while it was
// being scanned (or its index returned a key twice); the snapshot is
// retaken.
var errSeedRetry = errors.New("olap: the row store changed shape during seeding")

// seedAttempts bounds how often seeding retakes its snapshot when DDL keeps
// landing during the scan.
const seedAttempts = 8

// Oldest returns the oldest snapshot the store reads correctly: 0 for a
// store built from the log's start (or loaded from a checkpoint of one), R
// for a store seeded at R (or loaded from a checkpoint of one).
func (s *Store) Oldest() uint64 { return s.oldest.Load() }

// TableIDs returns the IDs of the store's tables in ascending order.
func (s *Store) TableIDs() []uint32 {
	s.mu.RLock()
	ids := make([]uint32, 0, len(s.tables))
	for id := range s.tables {
		ids = append(ids, id)
	}
	s.mu.RUnlock()
	slices.Sort(ids)
	return ids
}

// SetOldest records, for a store being loaded from a checkpoint, the oldest
// snapshot the checkpointed store read correctly. Call it before Loaded.
func (s *Store) SetOldest(off uint64) { s.oldest.Store(off) }

// Seed fills s, an empty store that has applied nothing, from src: it pins
// src's newest applied offset R (so that no version visible at R is
// reclaimed while it reads), takes the catalog as of R, scans every table at
// R and appends each visible row as inserted at R. Full segments are sealed
// on all cores while the scan goes on. It then publishes Oldest = R and the
// applied offset R; the caller's materializer continues from R+1. src keeps
// applying records meanwhile; if a DDL record is applied during the scan the
// snapshot is retaken (a table dropped or re-keyed after R cannot be read at
// R any more). On error s is left empty at offset 0.
func (s *Store) Seed(ctx context.Context, src *oltp.Store) (SeedStats, error) {
	start := time.Now()
	var st SeedStats
	if a := s.applied.Load(); a != 0 {
		return st, fmt.Errorf("olap: seeding a store at offset %d", a)
	}
	for st.Attempts < seedAttempts {
		st.Attempts++
		tables, r, rows, err := s.seedOnce(ctx, src)
		if errors.Is(err, errSeedRetry) {
			continue
		}
		if err != nil {
			return st, err
		}
		s.mu.Lock()
		for _, t := range tables {
			s.tables[t.ID] = t
		}
		s.mu.Unlock()
		st.Offset, st.Tables, st.Rows, st.Took = r, len(tables), rows, time.Since(start)
		s.oldest.Store(r) // before the offset is published: readers check it after waiting
		s.Loaded(r)
		return st, nil
	}
	return st, fmt.Errorf("olap: seeding from the row store: its shape changed during each of %d scans (DDL)", seedAttempts)
}

// seedOnce builds the tables of src at its newest offset R without
// installing them.
func (s *Store) seedOnce(ctx context.Context, src *oltp.Store) (tables []*Table, r uint64, rows int64, err error) {
	r, unpin := src.PinLatest()
	defer unpin()
	cat, ok := src.CatalogAt(r)
	if !ok {
		return nil, 0, 0, errSeedRetry // the history moved past r between the two calls
	}
	defer func() {
		if err != nil {
			for _, t := range tables {
				t.releaseAll()
			}
			tables = nil
		}
	}()
	for _, def := range cat.Tables() {
		ot := src.Table(def.ID)
		if ot == nil {
			return tables, r, rows, errSeedRetry // dropped after r
		}
		t, err := s.seedTable(ctx, def, ot, r)
		if t != nil {
			tables = append(tables, t)
		}
		if err != nil {
			return tables, r, rows, err
		}
		rows += t.live.Load()
	}
	// Every table was read at r through the row store's current indexes; a
	// DDL applied since r (a re-key, a drop) may have changed what those
	// hold. The catalog is replaced by every DDL: unchanged means none.
	if src.Catalog() != cat {
		return tables, r, rows, errSeedRetry
	}
	return tables, r, rows, nil
}

// seedTable reads table def from ot at snapshot r into a new Table whose
// full segments are sealed by a pool of workers.
func (s *Store) seedTable(ctx context.Context, def *catalog.Table, ot *oltp.Table, r uint64) (*Table, error) {
	t := newTable(def)
	t.keys = newKeyIndex(max(int(ot.Count()), 0))
	workers := max(procs.Max()-1, 1) // the scan takes one core
	seal := make(chan *Segment, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seg := range seal {
				seg.seal(s.mem, def)
			}
		}()
	}
	var seg *Segment
	var err error
	n := 0
	ot.Scan(r, nil, nil, false, func(key []byte, row []types.Value) bool {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			err = ctx.Err()
			return false
		}
		if seg == nil || len(seg.Ins) == s.segmentRows {
			if seg != nil {
				seal <- seg
			}
			c := min(s.segmentRows, max(int(ot.Count())-n+1, 16)) // small tables stay small
			seg = &Segment{Ins: make([]uint64, 0, c), Del: make([]uint64, 0, c), rows: make([][]types.Value, 0, c),
				kend: make([]uint32, 0, c)}
			t.segs = append(t.segs, seg)
		}
		// oltp.Table.Scan: the row may be kept, never modified (as the
		// materializer keeps the rows of the records it applies).
		seg.Ins = append(seg.Ins, r)
		seg.Del = append(seg.Del, 0)
		seg.rows = append(seg.rows, row)
		seg.appendKey(key)
		if _, dup := t.keys.put(seg.key(len(seg.Ins)-1), rowRef{seg: seg, i: int32(len(seg.Ins) - 1)}); dup {
			err = errSeedRetry // the index returned a key twice under the scan
			return false
		}
		return true
	})
	close(seal)
	wg.Wait()
	for _, seg := range t.segs {
		seg.publish()
	}
	t.publishSegs()
	t.live.Store(int64(t.keys.len()))
	if err == errSeedRetry {
		return t, err
	}
	if err != nil {
		return t, fmt.Errorf("olap: seeding table %q: %w", def.Name, err)
	}
	return t, nil
}
