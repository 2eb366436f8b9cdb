package oltp

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// harness is a store with its committer over a real embedded JetStream log,
// with the materializer's role played by a goroutine applying the log.
type harness struct {
	t     *testing.T
	log   *log.JetStream
	store *Store
	c     *Committer
	table *catalog.Table
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	l, err := log.Open(ctx, log.Options{Dir: t.TempDir(), Unsafe: true})
	if err != nil {
		t.Fatal(err)
	}
	st := NewStore()
	st.IndexMethod = "learned"
	h := &harness{t: t, log: l, store: st}
	rctx, cancel := context.WithCancel(ctx)
	it, err := l.Read(rctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			e, err := it.Next(rctx)
			if err != nil {
				return
			}
			if err := st.Apply(e); err != nil {
				t.Errorf("apply: %v", err)
				return
			}
		}
	}()
	h.c = NewCommitter(l, st, nil)
	t.Cleanup(func() {
		h.c.Close()
		cancel()
		<-done
		it.Close()
		l.Close()
	})
	// One table: (k int primary key, v int).
	tbl := &catalog.Table{ID: st.NewID(), Schema: "public", Name: "kv", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "k", Type: types.Int4, NotNull: true}, {Name: "v", Type: types.Int4}}}
	tbl.Indexes = []catalog.Index{{ID: st.NewID(), Name: "kv_pkey", Columns: []int{0}, Unique: true, Primary: true}}
	w := NewWrites()
	w.DDL(&catalog.Change{Kind: catalog.CreateTable, Table: tbl})
	if _, err := h.c.Commit(ctx, w, st.Applied()); err != nil {
		t.Fatal(err)
	}
	h.table = tbl
	return h
}

func (h *harness) key(k int) []byte {
	return EncodeKey(h.table, h.table.PK(), []types.Value{types.NewInt(int64(k))})
}

func (h *harness) put(w *Writes, k, v int, inBase bool) {
	w.Put(h.table.ID, h.key(k), []types.Value{types.NewInt(int64(k)), types.NewInt(int64(v))}, inBase)
}

func (h *harness) get(k int, snap log.Offset) (int, bool) {
	row, ok := h.store.Table(h.table.ID).Get(h.key(k), uint64(snap))
	if !ok {
		return 0, false
	}
	return int(row[1].I), true
}

func TestSnapshotVisibility(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s0 := h.store.Applied()
	w := NewWrites()
	h.put(w, 1, 10, false)
	s1, err := h.c.Commit(ctx, w, s0)
	if err != nil {
		t.Fatal(err)
	}
	w = NewWrites()
	h.put(w, 1, 11, true)
	s2, err := h.c.Commit(ctx, w, s1)
	if err != nil {
		t.Fatal(err)
	}
	w = NewWrites()
	w.Delete(h.table.ID, h.key(1), true)
	s3, err := h.c.Commit(ctx, w, s2)
	if err != nil {
		t.Fatal(err)
	}
	// Commit returns only once the state shows the commit.
	if h.store.Applied() < s3 {
		t.Fatalf("applied %d < commit offset %d after Commit returned", h.store.Applied(), s3)
	}
	for _, c := range []struct {
		snap log.Offset
		v    int
		ok   bool
	}{{s0, 0, false}, {s1, 10, true}, {s2, 11, true}, {s3, 0, false}} {
		v, ok := h.get(1, c.snap)
		if ok != c.ok || v != c.v {
			t.Errorf("at offset %d: got (%d, %v), want (%d, %v)", c.snap, v, ok, c.v, c.ok)
		}
	}
	if n := h.store.Table(h.table.ID).Count(); n != 0 {
		t.Errorf("live row count %d, want 0", n)
	}
}

func TestWriteWriteConflict(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	w := NewWrites()
	h.put(w, 1, 1, false)
	base, err := h.c.Commit(ctx, w, h.store.Applied())
	if err != nil {
		t.Fatal(err)
	}
	// Two transactions from the same snapshot update the same key: the
	// first commit wins, the second fails with 40001.
	a, b := NewWrites(), NewWrites()
	h.put(a, 1, 2, true)
	h.put(b, 1, 3, true)
	if _, err := h.c.Commit(ctx, a, base); err != nil {
		t.Fatal(err)
	}
	_, err = h.c.Commit(ctx, b, base)
	if pgerr.Code(err) != pgerr.SerializationFailure {
		t.Fatalf("second writer: got %v, want 40001", err)
	}
	// Concurrent inserts of the same new key: the loser gets 23505.
	c1, c2 := NewWrites(), NewWrites()
	snap := h.store.Applied()
	h.put(c1, 7, 1, false)
	h.put(c2, 7, 2, false)
	if _, err := h.c.Commit(ctx, c1, snap); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Commit(ctx, c2, snap); pgerr.Code(err) != pgerr.UniqueViolation {
		t.Fatalf("second insert: got %v, want 23505", err)
	}
	if v, _ := h.get(1, h.store.Applied()); v != 2 {
		t.Fatalf("value %d, want the first committer's 2", v)
	}
}

// TestConcurrentIncrements runs many concurrent read-modify-write
// transactions with retries on 40001 and checks that no update is lost,
// while checking group commit actually grouped transactions.
func TestConcurrentIncrements(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	w := NewWrites()
	for k := 0; k < 4; k++ {
		h.put(w, k, 0, false)
	}
	if _, err := h.c.Commit(ctx, w, h.store.Applied()); err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 40
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	var wg sync.WaitGroup
	var mu sync.Mutex
	expected := map[int]int{}
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed + int64(g)))
			for i := 0; i < each; i++ {
				k := rng.Intn(4)
				for {
					snap := h.store.Applied()
					unpin := h.store.Pin(uint64(snap))
					v, _ := h.get(k, snap)
					w := NewWrites()
					h.put(w, k, v+1, true)
					_, err := h.c.Commit(ctx, w, snap)
					unpin()
					if err == nil {
						mu.Lock()
						expected[k]++
						mu.Unlock()
						break
					}
					if !IsConflict(err) {
						t.Errorf("commit: %v", err)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	for k := 0; k < 4; k++ {
		if v, _ := h.get(k, h.store.Applied()); v != expected[k] {
			t.Errorf("key %d = %d, want %d (lost update)", k, v, expected[k])
		}
	}
	st := h.c.Stats()
	t.Logf("%d transactions in %d records, %d conflicts", st.Txns.Load(), st.Records.Load(), st.Conflicts.Load())
	if st.Records.Load() >= st.Txns.Load() {
		t.Errorf("group commit never grouped: %d records for %d transactions", st.Records.Load(), st.Txns.Load())
	}
}

// TestModelRandom applies random batches of writes and checks every key at
// every snapshot taken along the way against a model, then checks that
// Reclaim keeps pinned snapshots intact.
func TestModelRandom(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	type snapshot struct {
		off   log.Offset
		model map[int]int
		unpin func()
	}
	model := map[int]int{}
	var snaps []snapshot
	for i := 0; i < 60; i++ {
		w := NewWrites()
		next := map[int]int{}
		for k, v := range model {
			next[k] = v
		}
		for j := 0; j < 1+rng.Intn(20); j++ {
			k := rng.Intn(50)
			_, inBase := model[k]
			if rng.Intn(4) == 0 {
				if _, ok := next[k]; ok {
					w.Delete(h.table.ID, h.key(k), inBase)
					delete(next, k)
				}
				continue
			}
			v := rng.Intn(1000)
			h.put(w, k, v, inBase)
			next[k] = v
		}
		off, err := h.c.Commit(ctx, w, h.store.Applied())
		if err != nil {
			t.Fatalf("seed %d: commit: %v", seed, err)
		}
		if off == 0 {
			continue
		}
		model = next
		if rng.Intn(3) == 0 {
			snaps = append(snaps, snapshot{off: off, model: next, unpin: h.store.Pin(uint64(off))})
		}
	}
	h.store.Reclaim()
	for _, s := range snaps {
		for k := 0; k < 50; k++ {
			v, ok := h.get(k, s.off)
			mv, mok := s.model[k]
			if ok != mok || v != mv {
				t.Fatalf("seed %d: at offset %d key %d: got (%d,%v) want (%d,%v)", seed, s.off, k, v, ok, mv, mok)
			}
		}
	}
	// Scans agree with the model at the newest offset, in key order.
	var got []string
	h.store.Table(h.table.ID).Scan(uint64(h.store.Applied()), nil, nil, false, func(_ []byte, row []types.Value) bool {
		got = append(got, fmt.Sprintf("%d=%d", row[0].I, row[1].I))
		return true
	})
	var keys []int
	for k := range model {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var want []string
	for _, k := range keys {
		want = append(want, fmt.Sprintf("%d=%d", k, model[k]))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("seed %d: scan\n got %v\nwant %v", seed, got, want)
	}
	for _, s := range snaps {
		s.unpin()
	}
	if n := h.store.Reclaim(); n == 0 {
		t.Errorf("Reclaim freed nothing after all snapshots were released")
	}
}
