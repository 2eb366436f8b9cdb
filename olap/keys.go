package olap

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"unsafe"

	"github.com/omendb/omendb/oltp/keycode"
)

// keyIndex maps the key of each live row of a table to the row's position
// (rowRef), so that an update or delete can end the row's previous version.
//
// It is keyed by a 64-bit hash of the key, not by the key: a map with
// integer keys grows and probes several times faster than one with string
// keys and needs no allocation per key, which made the string map most of
// the column store's bulk-apply cost (CDC snapshots, COPY). The keys
// themselves live in their segment (Segment.key, one byte arena per
// segment), and every hit is checked against the stored key. A key whose
// hash another live key already has goes to the small map more, which
// lookups consult first while it is not empty.
//
// A key that is one tagged 8-byte value (keycode: an integer, date,
// timestamp or float primary key — TagValue and the 8-byte payload) goes
// to ints instead, keyed by its payload: that is the key itself, so a hit
// needs no check against the segment's arena. An update by such a key
// (pgbench's accounts) thus touches the map and the old row's delete
// offset only, not the old segment's key arena (cache misses on a large
// table). Guarded by the table's mutex.
type keyIndex struct {
	ints map[uint64]rowRef // keys that are one tagged 8-byte value, by payload
	m    map[uint64]rowRef // other keys, by hash
	more map[string]rowRef // live keys whose hash is taken in m (rare)
	hint int               // size for whichever of ints and m is made first
}

var keySeed = maphash.MakeSeed()

// keyHash hashes a key (a variable so that tests can force collisions).
var keyHash = func(key []byte) uint64 { return maphash.Bytes(keySeed, key) }

// exactKeys enables ints (a variable so that tests can send every key
// through the hashed maps).
var exactKeys = true

// intKey returns the payload of a key that is one tagged 8-byte value.
func intKey(key []byte) (uint64, bool) {
	if len(key) == 9 && key[0] == keycode.TagValue && exactKeys {
		return binary.BigEndian.Uint64(key[1:]), true
	}
	return 0, false
}

// newKeyIndex returns an empty index sized for n keys.
func newKeyIndex(n int) keyIndex { return keyIndex{hint: n} }

func (x *keyIndex) len() int { return len(x.ints) + len(x.m) + len(x.more) }

// get returns the position of key's live row.
func (x *keyIndex) get(key []byte) (rowRef, bool) {
	if k, ok := intKey(key); ok {
		r, ok := x.ints[k]
		return r, ok
	}
	if len(x.more) > 0 {
		if r, ok := x.more[string(key)]; ok {
			return r, true
		}
	}
	if r, ok := x.m[keyHash(key)]; ok && bytes.Equal(r.key(), key) {
		return r, true
	}
	return rowRef{}, false
}

// put makes r the position of key's live row (r's segment must already
// hold key at r.i) and returns the position it replaced, if any.
func (x *keyIndex) put(key []byte, r rowRef) (old rowRef, had bool) {
	if k, ok := intKey(key); ok {
		if x.ints == nil {
			x.ints, x.hint = make(map[uint64]rowRef, x.hint), 0
		}
		old, had = x.ints[k]
		x.ints[k] = r
		return old, had
	}
	if x.m == nil {
		x.m, x.hint = make(map[uint64]rowRef, x.hint), 0
	}
	if len(x.more) > 0 {
		if old, ok := x.more[string(key)]; ok {
			x.more[string(key)] = r
			return old, true
		}
	}
	h := keyHash(key)
	old, ok := x.m[h]
	switch {
	case !ok:
		x.m[h] = r
		return rowRef{}, false
	case bytes.Equal(old.key(), key):
		x.m[h] = r
		return old, true
	}
	if x.more == nil {
		x.more = map[string]rowRef{}
	}
	x.more[string(key)] = r
	return rowRef{}, false
}

// del removes key and returns the position it had.
func (x *keyIndex) del(key []byte) (rowRef, bool) {
	if k, ok := intKey(key); ok {
		r, ok := x.ints[k]
		if ok {
			delete(x.ints, k)
		}
		return r, ok
	}
	if len(x.more) > 0 {
		if r, ok := x.more[string(key)]; ok {
			delete(x.more, string(key))
			return r, true
		}
	}
	h := keyHash(key)
	if r, ok := x.m[h]; ok && bytes.Equal(r.key(), key) {
		delete(x.m, h)
		return r, true
	}
	return rowRef{}, false
}

// each calls fn for every live row's position; fn returns the position to
// keep (Compact moves rows).
func (x *keyIndex) each(fn func(r rowRef) rowRef) {
	for k, r := range x.ints {
		if nr := fn(r); nr != r {
			x.ints[k] = nr
		}
	}
	for h, r := range x.m {
		if nr := fn(r); nr != r {
			x.m[h] = nr
		}
	}
	for k, r := range x.more {
		if nr := fn(r); nr != r {
			x.more[k] = nr
		}
	}
}

// key returns the key of the row at r (aliasing its segment's arena).
func (r rowRef) key() []byte { return r.seg.key(int(r.i)) }

// key returns row i's key. The arena is append-only: the bytes of an
// appended key never change (a re-key builds new arenas), so callers may
// alias them.
func (s *Segment) key(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.kend[i-1]
	}
	return s.kbuf[start:s.kend[i]:s.kend[i]]
}

// appendKey stores the key of the segment's next row (an empty key for a
// row that has none: a deleted row loaded from a checkpoint).
func (s *Segment) appendKey(key []byte) {
	s.kbuf = append(s.kbuf, key...)
	s.kend = append(s.kend, uint32(len(s.kbuf)))
}

// keyString returns row i's key as a string aliasing the arena.
func (s *Segment) keyString(i int) string {
	k := s.key(i)
	if len(k) == 0 {
		return ""
	}
	return unsafe.String(&k[0], len(k))
}
