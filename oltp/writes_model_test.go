package oltp

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/omendb/omendb/types"
)

// TestWritesModel checks a write set's lookups against a map model while
// keys arrive first in increasing order (kept out of the map, found by
// binary search) and then in any order, with deletes, savepoints, rollbacks
// and truncates in between: every key's pending state and the first-write
// order must be the model's.
func TestWritesModel(t *testing.T) {
	type state struct {
		v       int64
		deleted bool
	}
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, seed*7))
		w := NewWrites()
		const id = 1
		model := map[string]state{}
		var order []string
		key := func(k uint64) []byte { return binary.BigEndian.AppendUint64(nil, k) }
		var saved *Savepoint
		var savedModel map[string]state
		var savedOrder []string
		next := uint64(10)
		for step := 0; step < 3000; step++ {
			var k uint64
			switch {
			case step < 1000 || r.IntN(4) == 0: // ascending run
				next += 1 + uint64(r.IntN(3))
				k = next
			default:
				k = uint64(r.IntN(int(next) + 20))
			}
			kb := key(k)
			ks := string(kb)
			switch op := r.IntN(100); {
			case op < 80:
				v := int64(step)
				w.Put(id, kb, []types.Value{{K: types.KindInt, I: v}}, false)
				if _, ok := model[ks]; !ok {
					order = append(order, ks)
				}
				model[ks] = state{v: v}
			case op < 92:
				w.Delete(id, kb, false)
				if _, ok := model[ks]; !ok {
					order = append(order, ks)
				}
				model[ks] = state{deleted: true}
			case op < 96:
				saved = w.Save()
				savedModel = map[string]state{}
				for k, v := range model {
					savedModel[k] = v
				}
				savedOrder = append([]string(nil), order...)
			case op < 99:
				if saved != nil {
					w.Restore(saved)
					model, order = savedModel, savedOrder
					saved = nil
				}
			default:
				w.Truncate(id)
				model, order = map[string]state{}, nil
				saved = nil
			}
		}
		tw := w.Table(id)
		for k := uint64(0); k < next+30; k++ {
			ks := string(key(k))
			want, ok := model[ks]
			p, got := tw.get(ks)
			if got != ok {
				t.Fatalf("seed %d key %d: found %v, want %v", seed, k, got, ok)
			}
			if !ok {
				continue
			}
			if p.Deleted() != want.deleted || (!want.deleted && p.Values()[0].I != want.v) {
				t.Fatalf("seed %d key %d: pending %v, want %+v", seed, k, p.Values(), want)
			}
		}
		i := 0
		tw.Rows(func(p *PendingRow) bool {
			if i >= len(order) || string(p.Key) != order[i] {
				t.Fatalf("seed %d: row %d of the write order is %x", seed, i, p.Key)
			}
			i++
			return true
		})
		if i != len(order) {
			t.Fatalf("seed %d: %d rows in write order, want %d", seed, i, len(order))
		}
		if tw.asc == 0 && len(order) > 100 && seed == 1 {
			t.Logf("seed %d: no ascending prefix", seed)
		}
	}
}
