package dbgen

import "testing"

// TestNextMatchesModulo checks the Mersenne reduction against the plain
// modulo on the first million values of a stream and on the edges.
func TestNextMatchesModulo(t *testing.T) {
	for _, s := range []int64{1, 2, rngMod - 1, rngMod - 2, 127773, 1 << 30} {
		if got, want := next(s), s*rngMul%rngMod; got != want {
			t.Fatalf("next(%d) = %d, want %d", s, got, want)
		}
	}
	s := int64(1)
	for range 1000000 {
		want := s * rngMul % rngMod
		s = next(s)
		if s != want {
			t.Fatalf("next diverged: %d, want %d", s, want)
		}
	}
}

// TestSkip checks the jump-ahead used to start chunks against stepping.
func TestSkip(t *testing.T) {
	s := seedInit[sLCmnt]
	for i := int64(0); i < 5000; i++ {
		if got := skip(seedInit[sLCmnt], i); got != s {
			t.Fatalf("skip(%d) = %d, stepping gives %d", i, got, s)
		}
		s = next(s)
	}
}
