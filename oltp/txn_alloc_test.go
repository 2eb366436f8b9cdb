package oltp

import (
	"runtime"
	"testing"

	"github.com/omendb/omendb/types"
)

// A one-row write set must not allocate a bulk-sized encode block: at tens
// of thousands of commits per second a 256 KiB block per commit spent a fifth
// of the CPU zeroing memory (and held a block per retained row).
func TestSmallWriteSetEncodesCompactly(t *testing.T) {
	row := []types.Value{types.NewInt(7), types.NewInt(42), types.NewText("a hundred bytes or so of payload text ........................................")}
	build := func(rows int) *Writes {
		w := NewWrites()
		for i := range rows {
			w.Put(1, BE64(uint64(i)), row, false)
		}
		return w
	}
	perCall := func(rows int) uint64 {
		w := build(rows)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		const calls = 200
		for range calls {
			if _, err := w.ops(); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / calls
	}
	if got := perCall(1); got > 4<<10 {
		t.Errorf("encoding a one-row write set allocated %d bytes per call, want < 4 KiB", got)
	}
	// A bulk write set still encodes into large shared blocks: far fewer
	// bytes than a block per row.
	if got := perCall(5000); got > 5000*2*200 {
		t.Errorf("encoding 5000 rows allocated %d bytes per call", got)
	}
}
