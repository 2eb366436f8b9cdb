package olap

import (
	"math/rand/v2"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/types"
)

// TestKeyCollisions runs the model-based tests with a key hash that puts
// every key in one of four buckets, so that almost every key's hash is
// taken by another live key: the index must still find, replace and
// delete exactly the right rows (collisions go to keyIndex.more), through
// updates, deletes, truncates, compaction, checkpoints and seeding.
func TestKeyCollisions(t *testing.T) {
	defer func(e bool) { exactKeys = e }(exactKeys)
	exactKeys = false // integer keys too go through the hashed maps
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
	// Hashed keys (colliding) and exact ones (one tagged 8-byte value,
	// keyIndex.ints), among them an 8- and a 10-byte key with the same
	// bytes around the exact one and one with another tag.
	exact := "\x10\x80\x00\x00\x00\x00\x00\x00\x07"
	keys := []string{"a", "bb", "ccc", "dd", "e", "ffff", "", "a2",
		exact, "\x10\x80\x00\x00\x00\x00\x00\x00\x08", exact[:8], exact + "\x00", "\xf0\x80\x00\x00\x00\x00\x00\x00\x07"}
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
	if len(x.ints) == 0 || len(x.m) == 0 {
		t.Fatalf("the exact map holds %d keys and the hashed one %d: both should be used", len(x.ints), len(x.m))
	}
	n := 0
	x.each(func(r rowRef) rowRef { n++; return r })
	if n != len(model) {
		t.Fatalf("each visited %d rows, model %d", n, len(model))
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

// BenchmarkApplyUpdate applies one-row updates by random integer key to a
// table of 1M rows (pgbench_accounts at scale 10, 3 columns here), as the
// committer hands a TPC-B transaction's update to the column store: the
// key index's lookup and the old version's end are the cost.
func BenchmarkApplyUpdate(b *testing.B) {
	def := &catalog.Table{ID: 9, Name: "accounts", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "aid", Type: types.Int4}, {Name: "bid", Type: types.Int4}, {Name: "abalance", Type: types.Int4}},
		Indexes: []catalog.Index{{ID: 10, Name: "accounts_pkey", Columns: []int{0}, Unique: true, Primary: true}}}
	const rows, per = 1_000_000, 20_000
	st := New(nil, 0)
	defer st.Close()
	if err := st.Apply(log.Entry{Offset: 1, Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def})}}}}}); err != nil {
		b.Fatal(err)
	}
	row := func(aid, bal int64) []types.Value {
		return []types.Value{{K: types.KindInt, I: aid}, {K: types.KindInt, I: (aid-1)/100_000 + 1}, {K: types.KindInt, I: bal}}
	}
	off := uint64(2)
	for r := 0; r < rows/per; r++ {
		ops := make([]log.Op, per)
		for i := range ops {
			aid := int64(r*per + i + 1)
			ops[i] = log.Op{Kind: log.OpInsert, Table: def.ID, Key: keycode.Append(nil, types.Value{K: types.KindInt, I: aid}, types.Int4), Vals: row(aid, 0)}
		}
		if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{Ops: ops}}}}); err != nil {
			b.Fatal(err)
		}
		off++
	}
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]log.Record, 4096)
	for i := range recs {
		aid := rng.Int64N(rows) + 1
		recs[i] = log.Record{Txns: []log.Txn{{Ops: []log.Op{{Kind: log.OpUpdate, Table: def.ID,
			Key: keycode.Append(nil, types.Value{K: types.KindInt, I: aid}, types.Int4), Vals: row(aid, int64(i))}}}}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &recs[i%len(recs)]}); err != nil {
			b.Fatal(err)
		}
		off++
	}
}
