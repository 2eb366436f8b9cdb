package index

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/types"
)

// descEntry is a secondary-index entry as the row store makes one for an
// index on (ts DESC) of a table keyed by id: the DESC NULLS FIRST
// encoding of ts (NULL when null is set), then the primary key.
func descEntry(ts int64, null bool, id int64) []byte {
	v := types.NewInt(ts)
	if null {
		v = types.Null
	}
	k := keycode.AppendOrdered(nil, v, types.Int8, keycode.Desc|keycode.NullsFirst)
	return keycode.Append(k, types.NewInt(id), types.Int8)
}

// TestScanBackward reads every index implementation backward the way the
// row store pages through a descending range (Scan from the exclusive
// upper bound, skipping keys at or above it, resuming at the last key
// given) and from every kind of starting point: the index's end, a
// present key, a key between two present ones, one below the first and
// one above the last. The keys are DESC-encoded entries with NULLs and
// runs of equal index keys, so reading backward yields the column
// ascending with NULLs last. Each check runs with the entries in the
// immutable run only, with inserts and deletes in the buffer over it,
// and after a merge.
func TestScanBackward(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			ix := impl.new()
			ref := &model{m: map[string]uint64{}}
			var keys [][]byte
			for id := int64(0); id < 3000; id++ {
				keys = append(keys, descEntry(id/3, id%17 == 0, id)) // runs of 3 equal ts
			}
			slices.SortFunc(keys, bytes.Compare)
			handles := make([]uint64, len(keys))
			for i, k := range keys {
				handles[i] = uint64(i)
				ref.put(string(k), uint64(i))
			}
			if l, ok := ix.(Loader); ok {
				l.Load(keys, handles)
			} else {
				for i, k := range keys {
					ix.Put(k, handles[i])
				}
			}
			check := func(phase string) {
				t.Helper()
				n := len(ref.keys)
				// Every starting point: nil, each present key and the
				// keys just after and before it, and the extremes.
				froms := [][]byte{nil, {0x00}, {0xff, 0xff}}
				for i := 0; i < n; i += 97 {
					k := []byte(ref.keys[i])
					froms = append(froms, k, append(slices.Clone(k), 0), k[:len(k)-1])
				}
				for _, from := range froms {
					gk, gh := indexScan(ix, from, true, n+1)
					want := ref.scan(from, true, n+1)
					if !slices.Equal(gk, want) {
						t.Fatalf("%s: Scan(%x, desc) gave %d keys, want %d (first %x, want %x)", phase, from, len(gk), len(want), first(gk), first(want))
					}
					for i, k := range gk {
						if gh[i] != ref.m[k] {
							t.Fatalf("%s: key %x has handle %d, want %d", phase, k, gh[i], ref.m[k])
						}
					}
				}
				// Pages of 7, each resuming below the last key read.
				var got []string
				var hi []byte
				for page := 0; page <= n; page++ {
					count := 0
					var last []byte
					ix.Scan(hi, true, func(k []byte, _ uint64) bool {
						if hi != nil && bytes.Compare(k, hi) >= 0 {
							return true
						}
						got = append(got, string(k))
						last = append(last[:0], k...)
						count++
						return count < 7
					})
					if last == nil {
						break
					}
					hi = last
				}
				want := slices.Clone(ref.keys)
				slices.Reverse(want)
				if !slices.Equal(got, want) {
					t.Fatalf("%s: paged backward read gave %d keys, want %d", phase, len(got), len(want))
				}
				// Backward over DESC entries is ts ascending, NULLs last.
				prev := int64(math.MinInt64)
				sawNull := false
				for _, k := range got {
					if k[0] == keycode.TagNullFirst {
						sawNull = true
						continue
					}
					if sawNull {
						t.Fatalf("%s: a value after the NULLs", phase)
					}
					enc := []byte(k[1:9])
					var ts int64
					for _, b := range enc {
						ts = ts<<8 | int64(^b)
					}
					ts ^= -1 << 63
					if ts < prev {
						t.Fatalf("%s: ts %d after %d reading backward", phase, ts, prev)
					}
					prev = ts
				}
			}
			check("loaded")
			// Inserts between and beyond the loaded entries, deletes of
			// loaded ones and re-inserts: buffer entries and tombstones
			// over the run.
			for id := int64(3000); id < 3400; id++ {
				k := descEntry(id%1100-50, id%29 == 0, id)
				ix.Put(k, uint64(id))
				ref.put(string(k), uint64(id))
			}
			for i := 0; i < len(keys); i += 5 {
				if ix.Delete(keys[i]) != ref.del(string(keys[i])) {
					t.Fatalf("Delete(%x) disagrees with the model", keys[i])
				}
			}
			for i := 0; i < len(keys); i += 15 {
				ix.Put(keys[i], uint64(10_000+i))
				ref.put(string(keys[i]), uint64(10_000+i))
			}
			check("buffered")
			flush(ix)
			check("merged")
		})
	}
}

func first(ks []string) string {
	if len(ks) == 0 {
		return ""
	}
	return fmt.Sprintf("%x", ks[0])
}
