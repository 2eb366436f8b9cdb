package dbgen

//go:generate go run ./internal/gendists -in ../../../../shared/tpch/dists.dss -out dists_gen.go

// rawMember and rawDist are the shapes of the generated tables in
// dists_gen.go: one entry per line of dists.dss, weights cumulative.
type rawMember struct {
	text   string
	weight int64
}

type rawDist struct {
	name    string
	members []rawMember
}

// dist is a distribution ready for picking: pick(j) for j in [1, max] returns
// the first member whose cumulative weight is >= j, exactly like dbgen's
// pick_str, but through a lookup table instead of a linear scan.
type dist struct {
	name    string
	members []rawMember
	max     int64
	lookup  []uint16 // lookup[j] = member index for draw j (1-based)
}

func newDist(r rawDist) *dist {
	d := &dist{name: r.name, members: r.members}
	if len(r.members) == 0 {
		return d
	}
	d.max = r.members[len(r.members)-1].weight
	if d.max > 0 && d.max < 1<<20 {
		d.lookup = make([]uint16, d.max+1)
		i := 0
		for j := int64(1); j <= d.max; j++ {
			for r.members[i].weight < j {
				i++
			}
			d.lookup[j] = uint16(i)
		}
	}
	return d
}

// index maps a draw j in [1, max] to a member index.
func (d *dist) index(j int64) int {
	if d.lookup != nil {
		return int(d.lookup[j])
	}
	i := 0
	for d.members[i].weight < j {
		i++
	}
	return i
}

// Dist returns the members of the named dists.dss distribution (for
// example "nations", "p_types", "colors") with their cumulative weights, as
// parallel slices. It returns nil slices for an unknown name. The query
// parameter generator uses it to draw from the same lists as qgen.
func Dist(name string) (texts []string, cumWeights []int64) {
	d := dists[name]
	if d == nil {
		return nil, nil
	}
	for _, m := range d.members {
		texts = append(texts, m.text)
		cumWeights = append(cumWeights, m.weight)
	}
	return texts, cumWeights
}

var dists = func() map[string]*dist {
	m := make(map[string]*dist, len(distSource))
	for _, r := range distSource {
		if _, dup := m[r.name]; !dup { // read_dist uses the first match
			m[r.name] = newDist(r)
		}
	}
	return m
}()

var (
	dNations      = dists["nations"]
	dRegions      = dists["regions"]
	dPriority     = dists["o_oprio"]
	dInstruct     = dists["instruct"]
	dShipMode     = dists["smode"]
	dReturnFlag   = dists["rflag"]
	dSegment      = dists["msegmnt"]
	dColors       = dists["colors"]
	dTypes        = dists["p_types"]
	dContainers   = dists["p_cntr"]
	dNouns        = dists["nouns"]
	dVerbs        = dists["verbs"]
	dAdjectives   = dists["adjectives"]
	dAdverbs      = dists["adverbs"]
	dAuxiliaries  = dists["auxillaries"]
	dTerminators  = dists["terminators"]
	dArticles     = dists["articles"]
	dPrepositions = dists["prepositions"]
	dGrammar      = dists["grammar"]
	dNP           = dists["np"]
	dVP           = dists["vp"]
)
