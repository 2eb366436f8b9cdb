package olap

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/types"
)

// TestConcurrentScans is differential: while one goroutine applies a random
// log (inserts, updates, deletes, truncates; through TryApply, as the
// committer does, or Apply) to a row store and then to a column store with
// small segments sealed by the sealer goroutine, scanners read the column
// store without any lock at snapshots up to its applied offset — often the
// newest, so that they read the open segment while it grows — and every
// scan must return exactly the row store's rows at the same offset. Run it
// with -race: scans and appends share the open segment's arrays.
func TestConcurrentScans(t *testing.T) {
	saved := asyncSealMin
	asyncSealMin = 1 // tiny segments go to the sealer goroutine too
	defer func() { asyncSealMin = saved }()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewSource(seed))
	row := oltp.NewStore()
	col := New(nil, 64)
	defer col.Close()
	def := testTable()
	pk := def.PK()

	var off uint64
	apply := func(ops ...log.Op) {
		t.Helper()
		off++
		e := log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{ID: off, Ops: ops}}}}
		if err := row.Apply(e); err != nil {
			t.Fatal(err)
		}
		if r.Intn(2) == 0 {
			if ok, err := col.TryApply(e); err != nil {
				t.Fatal(err)
			} else if ok {
				return
			}
		}
		if err := col.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	apply(ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def}))

	// rowsAt returns the table's rows at snap in each store, one line each,
	// sorted.
	colRows := func(snap uint64) []string {
		tb := col.Table(def.ID)
		sn := tb.Segments()
		var out []string
		for _, seg := range sn.Segs {
			sel, n := tb.Visible(seg, snap, nil)
			if n > seg.Len() {
				out = append(out, fmt.Sprintf("segment read %d rows, has %d", n, seg.Len()))
			}
			for _, i := range sel {
				out = append(out, rowString(seg.Row(sn.Def, int(i))))
			}
		}
		slices.Sort(out)
		return out
	}
	rowRows := func(snap uint64) []string {
		var out []string
		row.Table(def.ID).Scan(snap, nil, nil, false, func(_ []byte, vals []types.Value) bool {
			out = append(out, rowString(vals))
			return true
		})
		slices.Sort(out)
		return out
	}

	var done atomic.Bool
	var scans atomic.Int64
	var failMu sync.Mutex
	var failure string
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rr := rand.New(rand.NewSource(seed + int64(w) + 1))
			for !done.Load() {
				hi := uint64(col.Applied())
				snap := hi
				if rr.Intn(2) == 0 {
					snap = 1 + uint64(rr.Int63n(int64(hi)))
				}
				got := colRows(snap)
				want := rowRows(snap)
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					failMu.Lock()
					if failure == "" {
						failure = fmt.Sprintf("scan at %d (applied %d when it started): column store %d rows, row store %d\ncolumn: %v\nrow:    %v", snap, hi, len(got), len(want), got, want)
					}
					failMu.Unlock()
					done.Store(true)
				}
				scans.Add(1)
			}
		}(w)
	}

	live := map[int][]types.Value{}
	const records = 2000
	for i := 0; i < records && !done.Load(); i++ {
		var ops []log.Op
		for n := 1 + r.Intn(6); n > 0; n-- {
			switch x := r.Intn(200); {
			case x < 1:
				ops = append(ops, log.Op{Kind: log.OpTruncate, Table: def.ID})
				live = map[int][]types.Value{}
			default:
				k := r.Intn(300)
				if vals, ok := live[k]; ok && r.Intn(3) == 0 {
					ops = append(ops, log.Op{Kind: log.OpDelete, Table: def.ID, Key: oltp.EncodeKey(def, pk, vals)})
					delete(live, k)
					continue
				}
				vals := randRow(r, k)
				kind := log.OpInsert
				if _, ok := live[k]; ok {
					kind = log.OpUpdate
				}
				live[k] = vals
				ops = append(ops, log.Op{Kind: kind, Table: def.ID, Key: oltp.EncodeKey(def, pk, vals), Row: types.EncodeRow(nil, vals)})
			}
		}
		apply(ops...)
		if i%50 == 49 {
			// Let the scanners in: each stretch of 50 records overlaps at
			// least one scan.
			for s := scans.Load(); scans.Load() == s && !done.Load(); {
				runtime.Gosched()
			}
		}
	}
	for s := scans.Load(); scans.Load() < s+4 && !done.Load(); {
		runtime.Gosched()
	}
	done.Store(true)
	wg.Wait()
	if failure != "" {
		t.Fatal(failure)
	}
	col.waitSeals()
	tb := col.Table(def.ID)
	sealed := 0
	for _, seg := range tb.Segments().Segs {
		if seg.Sealed() {
			sealed++
		}
	}
	if sealed < 10 {
		t.Fatalf("only %d segments sealed: the test did not exercise sealing", sealed)
	}
	t.Logf("%d scans, %d records, %d segments sealed", scans.Load(), off, sealed)
}

// TestWaitApplied has readers wait for every offset while records are
// applied one at a time: publish replaces its channel only when a reader
// took it, and no reader may miss the offset it waits for (a missed wake
// hangs the test). Run it with -race.
func TestWaitApplied(t *testing.T) {
	def := &catalog.Table{ID: 9, Name: "w", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "id", Type: types.Int8}},
		Indexes: []catalog.Index{{ID: 10, Name: "w_pkey", Columns: []int{0}, Unique: true, Primary: true}}}
	st := New(nil, 0)
	defer st.Close()
	if err := st.Apply(log.Entry{Offset: 1, Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{ddl(&catalog.Change{Kind: catalog.CreateTable, Table: def})}}}}}); err != nil {
		t.Fatal(err)
	}
	const last = 2000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for off := 2 + w; off <= last; off += 1 + w {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				err := st.WaitApplied(ctx, log.Offset(off))
				cancel()
				if err != nil {
					t.Errorf("waiting for offset %d: %v", off, err)
					return
				}
				if got := st.Applied(); got < log.Offset(off) {
					t.Errorf("woken for offset %d at %d", off, got)
					return
				}
			}
		}()
	}
	for off := 2; off <= last; off++ {
		v := types.Value{K: types.KindInt, I: int64(off)}
		op := log.Op{Kind: log.OpInsert, Table: def.ID, Key: keycode.Append(nil, v, types.Int8), Vals: []types.Value{v}}
		if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{Ops: []log.Op{op}}}}}); err != nil {
			t.Fatal(err)
		}
		switch {
		case off == last-1:
			time.Sleep(20 * time.Millisecond) // the readers wait for the last offset
		case off%7 == 0:
			runtime.Gosched()
		}
	}
	wg.Wait()
}
