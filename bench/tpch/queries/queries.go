package queries

import (
	"embed"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/omendb/omendb/bench/tpch/dbgen"
)

// NumQueries is the number of TPC-H queries.
const NumQueries = 22

//go:embed sql/*.sql
var files embed.FS

var templates = func() [NumQueries + 1]string {
	var t [NumQueries + 1]string
	for n := 1; n <= NumQueries; n++ {
		b, err := files.ReadFile(fmt.Sprintf("sql/q%d.sql", n))
		if err != nil {
			panic(err)
		}
		t[n] = string(b)
	}
	return t
}()

// Template returns query n's text (1 ≤ n ≤ 22) with its substitution
// parameters as :1 … :10, as in the TPC's qgen templates, and a leading
// comment naming them.
func Template(n int) string {
	checkN(n)
	return templates[n]
}

// Params is one set of substitution parameters for query Query: Values[i]
// replaces :i+1 in the template.
type Params struct {
	Query  int
	Values []string
}

// SQL renders the query for a database at scale factor sf (Q11's FRACTION
// is 0.0001/SF; no other parameter depends on the scale). The template's
// comment lines are dropped.
func (p Params) SQL(sf float64) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(templates[p.Query], "\n") {
		if !strings.HasPrefix(line, "--") {
			b.WriteString(line)
		}
	}
	s := b.String()
	for i := len(p.Values); i >= 1; i-- { // :10 before :1
		v := p.Values[i-1]
		if p.Query == 11 && i == 2 {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil && sf > 0 {
				v = strconv.FormatFloat(f/sf, 'f', 10, 64)
			}
		}
		s = strings.ReplaceAll(s, ":"+strconv.Itoa(i), v)
	}
	return s
}

func checkN(n int) {
	if n < 1 || n > NumQueries {
		panic(fmt.Sprintf("tpch/queries: no query %d", n))
	}
}

// validation holds the specification's validation parameters (clause 2.4,
// the values that produce the published answer set at SF 1).
var validation = [NumQueries + 1][]string{
	1:  {"90"},
	2:  {"15", "BRASS", "EUROPE"},
	3:  {"BUILDING", "1995-03-15"},
	4:  {"1993-07-01"},
	5:  {"ASIA", "1994-01-01"},
	6:  {"1994-01-01", "0.06", "24"},
	7:  {"FRANCE", "GERMANY"},
	8:  {"BRAZIL", "AMERICA", "ECONOMY ANODIZED STEEL"},
	9:  {"green"},
	10: {"1993-10-01"},
	11: {"GERMANY", "0.0001"},
	12: {"MAIL", "SHIP", "1994-01-01"},
	13: {"special", "requests"},
	14: {"1995-09-01"},
	15: {"1996-01-01"},
	16: {"Brand#45", "MEDIUM POLISHED", "49", "14", "23", "45", "19", "3", "36", "9"},
	17: {"Brand#23", "MED BOX"},
	18: {"300"},
	19: {"Brand#12", "Brand#23", "Brand#34", "1", "10", "20"},
	20: {"forest", "1994-01-01", "CANADA"},
	21: {"SAUDI ARABIA"},
	22: {"13", "31", "23", "29", "30", "18", "17"},
}

// Validation returns query n's validation parameters.
func Validation(n int) Params {
	checkN(n)
	return Params{Query: n, Values: append([]string(nil), validation[n]...)}
}

// lists drawn from: the same distributions dbgen generates the data from.
var (
	nations, _        = dbgen.Dist("nations") // weights: cumulative = region key
	_, nationRegion   = dbgen.Dist("nations")
	regions, _        = dbgen.Dist("regions")
	segments, _       = dbgen.Dist("msegmnt")
	shipModes, _      = dbgen.Dist("smode")
	partTypes, _      = dbgen.Dist("p_types")
	colors, _         = dbgen.Dist("colors")
	containers, _     = dbgen.Dist("p_cntr")
	q13Words1, _      = dbgen.Dist("q13a")
	q13Words2, _      = dbgen.Dist("q13b")
	typeLastSyllables = []string{"TIN", "NICKEL", "BRASS", "STEEL", "COPPER"}
	firstOfMonth      = func(m int) string { return fmt.Sprintf("%04d-%02d-01", 1993+m/12, m%12+1) }
	firstOfYear       = func(y int) string { return fmt.Sprintf("%04d-01-01", y) }
	brand             = func(r *rand.Rand) string { return fmt.Sprintf("Brand#%d%d", 1+r.IntN(5), 1+r.IntN(5)) }
	between           = func(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }
	pick              = func(r *rand.Rand, l []string) string { return l[r.IntN(len(l))] }
	queryStreamPrimeX = uint64(0x9e3779b97f4a7c15)
	queryStreamPrimeY = uint64(0xbf58476d1ce4e5b9)
	distsOK           = len(nations) == 25 && len(regions) == 5 && len(partTypes) == 150 && len(colors) == 92
)

// Random returns substitution parameters for query n drawn with the given
// seed, following the specification's rules for each parameter (clause
// 2.4.n.3, what the TPC's qgen does). The same (n, seed) always gives the
// same parameters; the stream for each query is independent of the others.
func Random(n int, seed uint64) Params {
	checkN(n)
	if !distsOK {
		panic("tpch/queries: dbgen distributions missing")
	}
	r := rand.New(rand.NewPCG(seed^queryStreamPrimeX, uint64(n)*queryStreamPrimeY))
	var v []string
	switch n {
	case 1: // DELTA in [60, 120]
		v = []string{strconv.Itoa(between(r, 60, 120))}
	case 2: // SIZE in [1, 50], TYPE a last syllable, REGION
		v = []string{strconv.Itoa(between(r, 1, 50)), pick(r, typeLastSyllables), pick(r, regions)}
	case 3: // SEGMENT, DATE a day in [1995-03-01, 1995-03-31]
		v = []string{pick(r, segments), fmt.Sprintf("1995-03-%02d", between(r, 1, 31))}
	case 4: // DATE first of a month, 1993-01 … 1997-10
		v = []string{firstOfMonth(between(r, 0, 57))}
	case 5: // REGION, DATE 1 January 1993 … 1997
		v = []string{pick(r, regions), firstOfYear(between(r, 1993, 1997))}
	case 6: // DATE 1 January 1993 … 1997, DISCOUNT 0.02 … 0.09, QUANTITY 24 or 25
		v = []string{firstOfYear(between(r, 1993, 1997)), fmt.Sprintf("0.%02d", between(r, 2, 9)), strconv.Itoa(between(r, 24, 25))}
	case 7: // two different nations
		p := r.Perm(len(nations))
		v = []string{nations[p[0]], nations[p[1]]}
	case 8: // NATION, REGION its region, TYPE any of the 150
		i := r.IntN(len(nations))
		v = []string{nations[i], regions[nationRegion[i]], pick(r, partTypes)}
	case 9: // COLOR
		v = []string{pick(r, colors)}
	case 10: // DATE first of a month, 1993-02 … 1995-01
		v = []string{firstOfMonth(between(r, 1, 24))}
	case 11: // NATION, FRACTION 0.0001 (divided by SF when rendered)
		v = []string{pick(r, nations), "0.0001"}
	case 12: // two different ship modes, DATE 1 January 1993 … 1997
		p := r.Perm(len(shipModes))
		v = []string{shipModes[p[0]], shipModes[p[1]], firstOfYear(between(r, 1993, 1997))}
	case 13: // WORD1, WORD2
		v = []string{pick(r, q13Words1), pick(r, q13Words2)}
	case 14: // DATE first of a month, 1993-01 … 1997-12
		v = []string{firstOfMonth(between(r, 0, 59))}
	case 15: // DATE first of a month, 1993-01 … 1997-10
		v = []string{firstOfMonth(between(r, 0, 57))}
	case 16: // BRAND, TYPE's first two syllables, 8 different sizes in [1, 50]
		t := pick(r, partTypes)
		v = []string{brand(r), t[:strings.LastIndexByte(t, ' ')]}
		for _, s := range r.Perm(50)[:8] {
			v = append(v, strconv.Itoa(s+1))
		}
	case 17: // BRAND, CONTAINER
		v = []string{brand(r), pick(r, containers)}
	case 18: // QUANTITY in [312, 315]
		v = []string{strconv.Itoa(between(r, 312, 315))}
	case 19: // BRAND1..3, QUANTITY1 in [1,10], QUANTITY2 in [10,20], QUANTITY3 in [20,30]
		v = []string{brand(r), brand(r), brand(r),
			strconv.Itoa(between(r, 1, 10)), strconv.Itoa(between(r, 10, 20)), strconv.Itoa(between(r, 20, 30))}
	case 20: // COLOR, DATE 1 January 1993 … 1997, NATION
		v = []string{pick(r, colors), firstOfYear(between(r, 1993, 1997)), pick(r, nations)}
	case 21: // NATION
		v = []string{pick(r, nations)}
	case 22: // 7 different country codes (nation key + 10)
		for _, i := range r.Perm(len(nations))[:7] {
			v = append(v, strconv.Itoa(i+10))
		}
	}
	return Params{Query: n, Values: v}
}
