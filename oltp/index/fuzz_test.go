package index

import (
	"slices"
	"testing"
)

// FuzzLearned interprets the input as a program of operations on a tiny-
// configured learned index (so merges, splits and in-place updates happen
// within a few dozen operations) and checks each answer against the model.
// Keys are short byte strings taken from the input: lengths vary, so both
// the fixed and the general key modes are reached.
func FuzzLearned(f *testing.F) {
	f.Add([]byte("\x00\x01a\x00\x02b\x01\x01a\x03\x00\x04\x01"))
	f.Add([]byte("\x00\x08abcdefgh\x00\x08abcdefgi\x02\x08abcdefgh\x03\x00"))
	f.Fuzz(func(t *testing.T, prog []byte) {
		o := LearnedOptions{Epsilon: 1, MaxChunk: 32, MinBuffer: 4, BufferDivisor: 2}
		l := NewLearnedOptions(o)
		kl := newKeyedLearned(o, 0) // the key-source mode, driven alike
		ref := &model{m: map[string]uint64{}}
		for i := 0; len(prog) >= 2; i++ {
			op, n := prog[0]%6, int(prog[1]%10)
			prog = prog[2:]
			n = min(n, len(prog))
			k := prog[:n]
			prog = prog[n:]
			switch op {
			case 0, 1:
				l.Put(k, uint64(i))
				kl.Put(k, uint64(i))
				ref.put(string(k), uint64(i))
			case 2:
				want := ref.del(string(k))
				if got := l.Delete(k); got != want {
					t.Fatalf("op %d Delete(%x) = %v, want %v", i, k, got, want)
				}
				if got := kl.Delete(k); got != want {
					t.Fatalf("op %d keyed Delete(%x) = %v, want %v", i, k, got, want)
				}
			case 3:
				h, ok := l.Get(k)
				wh, wok := ref.m[string(k)]
				if h != wh || ok != wok {
					t.Fatalf("op %d Get(%x) = %d,%v, want %d,%v", i, k, h, ok, wh, wok)
				}
				if h, ok = kl.Get(k); h != wh || ok != wok {
					t.Fatalf("op %d keyed Get(%x) = %d,%v, want %d,%v", i, k, h, ok, wh, wok)
				}
			case 4:
				for _, desc := range []bool{false, true} {
					gk, _ := indexScan(l, k, desc, 20)
					wk := ref.scan(k, desc, 20)
					if !slices.Equal(gk, wk) {
						t.Fatalf("op %d Scan(%x, desc=%v) = %x, want %x", i, k, desc, gk, wk)
					}
					if gk, _ = indexScan(kl, k, desc, 20); !slices.Equal(gk, wk) {
						t.Fatalf("op %d keyed Scan(%x, desc=%v) = %x, want %x", i, k, desc, gk, wk)
					}
				}
			case 5:
				l.Flush()
				kl.Flush()
			}
		}
		l.Flush()
		kl.Flush()
		if gk, _ := indexScan(l, nil, false, 1<<30); !slices.Equal(gk, ref.keys) {
			t.Fatalf("final scan %x, want %x", gk, ref.keys)
		}
		if gk, _ := indexScan(kl, nil, false, 1<<30); !slices.Equal(gk, ref.keys) {
			t.Fatalf("keyed final scan %x, want %x", gk, ref.keys)
		}
		if err := kl.st.Load().base.verify(); err != nil {
			t.Fatal(err)
		}
	})
}
