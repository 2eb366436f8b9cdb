package olap

import (
	"testing"
)

// TestKeyCollisions runs the model-based tests with a key hash that puts
// every key in one of four buckets, so that almost every key's hash is
// taken by another live key: the index must still find, replace and
// delete exactly the right rows (collisions go to keyIndex.more), through
// updates, deletes, truncates, compaction, checkpoints and seeding.
func TestKeyCollisions(t *testing.T) {
	saved := keyHash
	keyHash = func(key []byte) uint64 {
		if len(key) == 0 {
			return 0
		}
		return uint64(key[len(key)-1] & 3)
	}
	defer func() { keyHash = saved }()
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{{"visibility", TestVisibilityModel}, {"checkpoint", TestCheckpointRoundTrip}, {"seed", TestSeedMatchesReplay}} {
		t.Run(tc.name, tc.fn)
	}
}

// TestKeyIndex checks the index against a map, with colliding hashes.
func TestKeyIndex(t *testing.T) {
	saved := keyHash
	keyHash = func(key []byte) uint64 { return uint64(len(key) % 3) }
	defer func() { keyHash = saved }()
	seg := &Segment{}
	x := newKeyIndex(0)
	model := map[string]int32{}
	keys := []string{"a", "bb", "ccc", "dd", "e", "ffff", "", "a2"}
	for step := 0; step < 2000; step++ {
		k := keys[(step*7+step/3)%len(keys)]
		switch step % 5 {
		case 0, 1, 2: // put
			seg.appendKey([]byte(k))
			i := int32(len(seg.kend) - 1)
			old, had := x.put([]byte(k), rowRef{seg: seg, i: i})
			if mi, ok := model[k]; ok != had || (had && old.i != mi) {
				t.Fatalf("step %d: put %q replaced (%v, %d), model (%v, %d)", step, k, had, old.i, ok, mi)
			}
			model[k] = i
		case 3: // delete
			old, had := x.del([]byte(k))
			if mi, ok := model[k]; ok != had || (had && old.i != mi) {
				t.Fatalf("step %d: del %q removed (%v, %d), model (%v, %d)", step, k, had, old.i, ok, mi)
			}
			delete(model, k)
		case 4:
			for _, k := range keys {
				r, ok := x.get([]byte(k))
				if mi, mok := model[k]; ok != mok || (ok && r.i != mi) {
					t.Fatalf("step %d: get %q = (%v, %d), model (%v, %d)", step, k, ok, r.i, mok, mi)
				}
			}
		}
		if x.len() != len(model) {
			t.Fatalf("step %d: %d keys, model %d", step, x.len(), len(model))
		}
	}
}

// TestAsyncSeal runs the model-based tests with tiny segments sealed by the
// sealer goroutine (as full-size segments are) instead of inline: scans see
// segments turn from open to sealed at any moment, checkpoints wait for
// pending seals, and Close waits for them too (the checked allocators find
// leaks). Run it with -race.
func TestAsyncSeal(t *testing.T) {
	defer func(n int) { asyncSealMin = n }(asyncSealMin)
	asyncSealMin = 1
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{{"visibility", TestVisibilityModel}, {"checkpoint", TestCheckpointRoundTrip}} {
		t.Run(tc.name, tc.fn)
	}
}
