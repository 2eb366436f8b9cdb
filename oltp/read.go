package oltp

import (
	"bytes"

	"github.com/omendb/omendb/types"
)

// Get returns the row with primary key key visible at snap. The row is
// decoded for this call (its strings alias the stored bytes); the caller
// may keep it but must not modify it.
func (t *Table) Get(key []byte, snap uint64) ([]types.Value, bool) {
	h, ok := t.pk.Get(key)
	if !ok {
		return nil, false
	}
	c := t.rows.get(h)
	if c == nil {
		return nil, false
	}
	v := c.at(snap)
	if v == nil {
		return nil, false
	}
	return decodeStored(v.row, nil), true
}

// GetInto is Get decoding the row into dst's storage (allocating only when
// dst is too short): a caller that reads one row at a time reuses one
// slice. Strings still alias the stored bytes and stay valid; the values in
// dst are overwritten by the caller's next GetInto. A row stored before
// ADD COLUMN is shorter than the table (ColValue reads past its end).
func (t *Table) GetInto(key []byte, snap uint64, dst []types.Value) ([]types.Value, bool) {
	h, ok := t.pk.Get(key)
	if !ok {
		return dst[:0], false
	}
	c := t.rows.get(h)
	if c == nil {
		return dst[:0], false
	}
	v := c.at(snap)
	if v == nil {
		return dst[:0], false
	}
	return decodeStored(v.row, dst), true
}

// PinApplied is PinLatest for a reader that releases the snapshot with
// Unpin rather than a returned function, so pinning allocates nothing (a
// point read pins, reads and unpins within one call).
func (s *Store) PinApplied() uint64 {
	h := &s.horizon
	h.mu.Lock()
	snap := s.applied.Load()
	h.pinLocked(snap)
	h.mu.Unlock()
	return snap
}

// Unpin releases a snapshot pinned by PinApplied.
func (s *Store) Unpin(snap uint64) { s.horizon.unpin(snap) }

// Latest describes the newest version of key, whatever a snapshot sees: the
// offset it was written at, whether it is live, and its row (decoded for
// this call). A session re-reads a row it waited to lock with it; the
// committer validates write sets with latest, which does not decode.
func (t *Table) Latest(key []byte) (begin, end uint64, row []types.Value, ok bool) {
	v := t.latest(key)
	if v == nil {
		return 0, 0, nil, false
	}
	return v.Begin, v.end.Load(), decodeStored(v.row, nil), true
}

// Visible reports whether a row with primary key key is visible at snap:
// Get without decoding the row (an existence check: a write's "in the
// base" flag).
func (t *Table) Visible(key []byte, snap uint64) bool {
	h, ok := t.pk.Get(key)
	if !ok {
		return false
	}
	c := t.rows.get(h)
	return c != nil && c.at(snap) != nil
}

// LatestOffsets is Latest without decoding the row: a session that locked
// a row decodes it only when it changed after its snapshot.
func (t *Table) LatestOffsets(key []byte) (begin, end uint64, ok bool) {
	v := t.latest(key)
	if v == nil {
		return 0, 0, false
	}
	return v.Begin, v.end.Load(), true
}

// latest returns the newest version of key, or nil (Latest without
// decoding the row: the committer needs only the offsets).
func (t *Table) latest(key []byte) *Version {
	h, found := t.pk.Get(key)
	if !found {
		return nil
	}
	c := t.rows.get(h)
	if c == nil {
		return nil
	}
	return c.head.Load()
}

// Scan calls fn for each row visible at snap with primary key in [lo, hi)
// (nil bounds are open), in key order (descending when desc). fn returns
// false to stop. Rows are decoded for this scan (strings alias the stored
// bytes, values come from shared blocks); fn may keep them but must not
// modify them.
func (t *Table) Scan(snap uint64, lo, hi []byte, desc bool, fn func(key []byte, row []types.Value) bool) {
	t.scan(snap, lo, hi, desc, false, fn)
}

// ScanReuse is Scan for consumers that keep no row past fn's return (a
// filter feeding an aggregate, a count, a copy into another format): every
// row is decoded into the same values and numerics, which the next row
// overwrites, so a scan allocates nothing per row. Strings still alias the
// stored bytes and stay valid; the row slice and its numerics do not — except
// the row fn stops the scan on (returns false), which nothing overwrites.
func (t *Table) ScanReuse(snap uint64, lo, hi []byte, desc bool, fn func(key []byte, row []types.Value) bool) {
	t.scan(snap, lo, hi, desc, true, fn)
}

func (t *Table) scan(snap uint64, lo, hi []byte, desc, reuse bool, fn func(key []byte, row []types.Value) bool) {
	var slab rowSlab
	from := lo
	if desc {
		from = hi
	}
	t.pk.Scan(from, desc, func(k []byte, h uint64) bool {
		if desc {
			if hi != nil && bytes.Compare(k, hi) >= 0 {
				return true
			}
			if lo != nil && bytes.Compare(k, lo) < 0 {
				return false
			}
		} else if hi != nil && bytes.Compare(k, hi) >= 0 {
			return false
		}
		c := t.rows.get(h)
		if c == nil {
			return true
		}
		if v := c.at(snap); v != nil {
			if reuse {
				slab.Reset()
			}
			return fn(c.key, slab.decode(v.row))
		}
		return true
	})
}

// IndexScan scans secondary index ix (by ID) over index keys in [lo, hi)
// at snap, calling fn with each visible row whose current index key still
// matches the entry (entries of superseded versions are skipped, and so
// are visible versions a partial index does not hold). It reports false
// when the table has no such index, or it is broken (secIndex.broken).
func (t *Table) IndexScan(ixID uint32, snap uint64, lo, hi []byte, desc bool, fn func(pk []byte, row []types.Value) bool) bool {
	return t.indexScan(ixID, snap, lo, hi, desc, func(_, pk []byte, row []types.Value) bool { return fn(pk, row) })
}

// IndexRange is IndexScan that also gives fn each row's index entry
// (index key ‖ primary key; valid during the call only), in entry order,
// descending when desc. Entries are unique and ordered, so a reader
// reading a range in batches resumes just after the last entry it was
// given: ascending with lo = the entry followed by a 0x00 byte, descending
// with hi = the entry (hi is exclusive).
func (t *Table) IndexRange(ixID uint32, snap uint64, lo, hi []byte, desc bool, fn func(entry, pk []byte, row []types.Value) bool) bool {
	return t.indexScan(ixID, snap, lo, hi, desc, fn)
}

func (t *Table) indexScan(ixID uint32, snap uint64, lo, hi []byte, desc bool, fn func(entry, pk []byte, row []types.Value) bool) bool {
	var si *secIndex
	for _, s := range *t.sec.Load() {
		if s.def.ID == ixID {
			si = &s
			break
		}
	}
	if si == nil || si.broken != nil {
		return false // a broken index misses rows: the caller scans
	}
	def := t.def.Load()
	from := lo
	if desc {
		from = hi
	}
	seen := map[uint64]struct{}{}
	var slab rowSlab
	si.idx.Scan(from, desc, func(k []byte, h uint64) bool {
		if desc {
			if hi != nil && bytes.Compare(k, hi) >= 0 {
				return true // the scan starts at the last key <= hi
			}
			if lo != nil && bytes.Compare(k, lo) < 0 {
				return false
			}
		} else if hi != nil && bytes.Compare(k, hi) >= 0 {
			return false
		}
		c := t.rows.get(h)
		if c == nil {
			return true
		}
		v := c.at(snap)
		if v == nil {
			return true
		}
		row := slab.decode(v.row)
		if ek, in, err := si.entry(def, row, c.key); err != nil || !in || !bytes.Equal(ek, k) {
			// An entry of an older or newer version (the visible one has
			// another key, or is not in a partial index). The visible
			// version's key was computed when it was stored: it does not
			// fail now.
			return true
		}
		if _, dup := seen[h]; dup {
			return true
		}
		seen[h] = struct{}{}
		return fn(k, c.key, row)
	})
	return true
}

// CountKeys counts the entries of the primary key (ixID 0) or of
// secondary index ixID with keys in [lo, hi) (nil bounds are open),
// stopping at limit. It counts index entries, not rows visible at some
// snapshot (deleted rows and superseded index entries not yet reclaimed
// count too): an estimate of a range's size for choosing an access path,
// read without decoding a row. ok is false when the table has no such
// index or it is broken.
func (t *Table) CountKeys(ixID uint32, lo, hi []byte, limit int) (n int, ok bool) {
	idx := t.pk
	if ixID != 0 {
		idx = nil
		for _, s := range *t.sec.Load() {
			if s.def.ID == ixID && s.broken == nil {
				idx = s.idx
			}
		}
		if idx == nil {
			return 0, false
		}
	}
	if limit <= 0 {
		return 0, true
	}
	idx.Scan(lo, false, func(k []byte, _ uint64) bool {
		if hi != nil && bytes.Compare(k, hi) >= 0 {
			return false
		}
		n++
		return n < limit
	})
	return n, true
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	e := append([]byte(nil), p...)
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] != 0xff {
			e[i]++
			return e[:i+1]
		}
	}
	return nil
}

// PrefixEnd is prefixEnd for callers building index ranges.
func PrefixEnd(p []byte) []byte { return prefixEnd(p) }
