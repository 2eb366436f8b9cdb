package log

import (
	"math"
	"math/rand/v2"
	"testing"
)

// recordBodySize must be the exact length of the encoding (Append sizes its
// buffer with it).
func TestRecordBodySizeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	recs := []*Record{{}, allOpsRecord(), bigRecord(9, 1<<20)}
	for i := 0; i < 200; i++ {
		r := &Record{}
		for n := rng.IntN(4); n > 0; n-- {
			times := []int64{0, -1, 1, math.MinInt64, math.MaxInt64, rng.Int64() - rng.Int64()}
			txn := Txn{ID: rng.Uint64() >> rng.IntN(64), CommitTime: times[rng.IntN(len(times))]}
			for k := rng.IntN(200); k > 0; k-- {
				txn.Ops = append(txn.Ops, Op{Kind: OpInsert, Table: rng.Uint32() >> rng.IntN(32),
					Key: make([]byte, rng.IntN(300)), Row: make([]byte, rng.IntN(20000))})
			}
			r.Txns = append(r.Txns, txn)
		}
		recs = append(recs, r)
	}
	for i, r := range recs {
		if got, want := recordBodySize(r), len(appendRecordBody(nil, r)); got != want {
			t.Fatalf("record %d: recordBodySize %d, encoding has %d bytes", i, got, want)
		}
	}
}
