package vexec

import (
	"math/rand/v2"
	"testing"

	"github.com/omendb/omendb/sql/funcs"
)

// TestLikeSeqMatchesLikeMatcher checks the '%a%b%' fast path against the
// general LIKE matcher on random strings over a small alphabet.
func TestLikeSeqMatchesLikeMatcher(t *testing.T) {
	pats := []string{"%a%", "%ab%ba%", "%special%requests%", "%a%%b%", `%a\%%`, `%\_%`, "%é%b%", "%aa%aa%"}
	for _, p := range []string{"a%", "%a", "%a_%", "%", "%%", `%a\%`, "a%b%"} {
		if _, ok := likeSeq(p, '\\'); ok {
			t.Errorf("likeSeq(%q) accepted", p)
		}
	}
	r := rand.New(rand.NewPCG(7, 7))
	alpha := []rune("ab%_é")
	for _, p := range pats {
		seq, ok := likeSeq(p, '\\')
		if !ok {
			t.Fatalf("likeSeq(%q) rejected", p)
		}
		m, err := funcs.CompileLike(p, '\\', false)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3000; i++ {
			n := r.IntN(12)
			s := make([]rune, n)
			for k := range s {
				s[k] = alpha[r.IntN(len(alpha))]
			}
			if got, want := matchSeq(seq, string(s)), m.Match(string(s)); got != want {
				t.Fatalf("%q LIKE %q: fast path %v, matcher %v", string(s), p, got, want)
			}
		}
	}
}
