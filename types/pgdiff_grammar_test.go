package types

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// diffInputGrammar feeds PostgreSQL and ParseText random inputs built from
// the accepted grammars (and near misses) and demands the same output or the
// same SQLSTATE. Run by TestDiffPostgres.
func diffInputGrammar(t *testing.T, c *pgx.Conn) {
	const seed = 271
	r := rand.New(rand.NewSource(seed))
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	if res := pgQuery(t, c, "SELECT set_config('TimeZone', 'America/New_York', false)"); res.code != "" {
		t.Fatal(res)
	}
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	num := func(lo, hi int) int { return lo + r.Intn(hi-lo+1) }
	gens := map[string]func() string{
		"numeric": func() string {
			s := pick("", "-", "+", " ") + fmt.Sprint(r.Int63n(1e12))
			if r.Intn(2) == 0 {
				s += "." + fmt.Sprint(r.Int63n(1e6))
			}
			if r.Intn(4) == 0 {
				s += pick("e", "E") + pick("", "-", "+") + fmt.Sprint(num(0, 30))
			}
			return s + pick("", " ", "x")
		},
		"date": func() string {
			y, m, d := num(1, 2100), num(0, 13), num(0, 32)
			switch r.Intn(5) {
			case 0:
				return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
			case 1:
				return fmt.Sprintf("%d/%d/%d", m, d, y)
			case 2:
				return fmt.Sprintf("%s %d %d", pick("Jan", "February", "mar", "Sept", "Dec"), d, y)
			case 3:
				return fmt.Sprintf("%d %s %04d%s", d, pick("Jan", "apr", "June"), y, pick("", " BC", " AD"))
			default:
				return fmt.Sprintf("%04d%02d%02d", y, m, d)
			}
		},
		"timestamp": func() string {
			return fmt.Sprintf("%04d-%02d-%02d%s%02d:%02d%s%s", num(1900, 2100), num(1, 12), num(1, 28), pick(" ", "T"),
				num(0, 24), num(0, 59), pick("", fmt.Sprintf(":%02d", num(0, 60)), fmt.Sprintf(":%02d.%d", num(0, 59), r.Intn(10000000))),
				pick("", "Z", "+05:30", "-08", " UTC", " PST", " Europe/Paris", "+0100"))
		},
		"timestamptz": func() string {
			return fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d%s", num(1800, 2100), num(1, 12), num(1, 28), num(0, 23), num(0, 59), num(0, 59),
				pick("", "", "Z", "+05:30", "-08", " UTC", " America/Los_Angeles", "+01:00:30"))
		},
		"interval": func() string {
			var parts []string
			for _, u := range []string{"year", "mon", "week", "day", "hour", "minute", "second", "millisecond"} {
				if r.Intn(3) == 0 {
					v := fmt.Sprint(num(-50, 50))
					if r.Intn(4) == 0 {
						v += ".5"
					}
					parts = append(parts, v+" "+u+pick("", "s"))
				}
			}
			if r.Intn(3) == 0 {
				parts = append(parts, fmt.Sprintf("%s%d:%02d:%02d", pick("", "-", "+"), num(0, 30), num(0, 59), num(0, 59)))
			}
			if r.Intn(5) == 0 {
				parts = append(parts, "ago")
			}
			if len(parts) == 0 {
				return fmt.Sprintf("P%dY%dM%dDT%dH%dM%dS", num(0, 5), num(0, 11), num(0, 30), num(0, 23), num(0, 59), num(0, 59))
			}
			return strings.Join(parts, " ")
		},
		"float8": func() string {
			return fmt.Sprintf("%s%d.%de%s%d", pick("", "-"), r.Int63n(1e9), r.Int63n(1e9), pick("", "-", "+"), num(0, 320))
		},
	}
	for name, gen := range gens {
		typ := parseSQLType(t, name)
		for i := 0; i < 150; i++ {
			in := gen()
			want := pgQuery(t, c, "SELECT "+sqlQuote(in)+"::"+name)
			v, err := ParseText(typ, in, ny)
			if got := ours(v, err, typ, ny); got != want {
				t.Errorf("seed %d: %s::%s: got %v, PostgreSQL %v", seed, sqlQuote(in), name, got, want)
			}
		}
	}
}
