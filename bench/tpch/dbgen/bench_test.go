package dbgen

import (
	"fmt"
	"github.com/omendb/omendb/types"
	"testing"
)

// BenchmarkBuildPool times building the 300 MiB text pool (done once per
// process).
func BenchmarkBuildPool(b *testing.B) {
	for b.Loop() {
		buildPool()
	}
	b.SetBytes(poolSize)
}

// BenchmarkText times formatting each table at SF 0.1 on one goroutine,
// pool already built. Compare with dbgen in docs/benchmarks/tpch-gen.md.
func BenchmarkText(b *testing.B) {
	textPool()
	for _, t := range AllTables {
		b.Run(fmt.Sprintf("table=%s/sf=0.1", t), func(b *testing.B) {
			s, _ := newScaling(0.1)
			buf := make([]byte, 0, 64<<20)
			var n int64
			for b.Loop() {
				c := newCursor(t, s, 0, s.units(t))
				c.w.pool = textPool()
				n = 0
				for c.next < c.end {
					buf = c.appendText(buf[:0], 4<<20)
					n += int64(len(buf))
				}
			}
			b.SetBytes(n)
		})
	}
}

// BenchmarkGenerate times the typed row path (Sink) on lineitem at SF 0.01.
func BenchmarkGenerate(b *testing.B) {
	textPool()
	rows := 0
	for b.Loop() {
		rows = 0
		_ = Generate(LineItem, 0.01, 0, 1, SinkFunc(func(Table, []types.Value) error { rows++; return nil }))
	}
	b.ReportMetric(float64(rows), "rows/op")
}
