package plan

import (
	"strconv"
	"testing"

	"github.com/omendb/omendb/types"
)

// TABLESAMPLE … REPEATABLE keeps the share of rows it is asked for, for
// every seed, over keys as alike as consecutive integers (a weak hash
// missed 30 % by up to 3,400 rows in 100,000; the standard deviation is
// 145). The hash is deterministic, so this never flakes.
func TestRepeatableSampleShare(t *testing.T) {
	const keys, frac = 100000, 0.3
	for seed := 1; seed <= 8; seed++ {
		n := 0
		for k := 1; k <= keys; k++ {
			v, err := sampleKeep.Eval(nil, []types.Value{types.NewFloat(float64(seed)), types.NewFloat(frac), types.NewText(strconv.Itoa(k))})
			if err != nil {
				t.Fatal(err)
			}
			if v.Bool() {
				n++
			}
		}
		if n < 29300 || n > 30700 { // ±4.8 standard deviations
			t.Errorf("seed %d kept %d of %d rows, want about %d", seed, n, keys, int(frac*keys))
		}
	}
}
