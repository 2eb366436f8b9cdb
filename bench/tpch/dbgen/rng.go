package dbgen

// The random number generator is dbgen's: Park & Miller's "minimum standard"
// multiplicative LCG, seed' = seed*16807 mod (2^31-1), one independent stream
// per column (48 streams, numbered and seeded as in dbgen's rnd.h). A draw in
// [lo, hi] is lo + trunc(seed'/ (2^31-1) * (hi-lo+1)) computed in float64,
// the same operations in the same order as dbgen's UnifInt.

const (
	rngMul = 16807
	rngMod = 2147483647
	dM     = 2147483647.0
)

// next advances a stream's seed by one step: s·16807 mod (2^31−1), reduced
// the Mersenne way (for x = hi·2^31 + lo, x ≡ hi + lo), which is cheaper
// than a division by a constant. s is in [1, 2^31−2], so x < 2^46 and one
// conditional subtraction suffices.
func next(s int64) int64 {
	x := s * rngMul
	r := x&rngMod + x>>31
	if r >= rngMod {
		r -= rngMod
	}
	return r
}

// unif advances *s and returns a value uniformly distributed in [lo, hi].
func unif(s *int64, lo, hi int64) int64 {
	*s = next(*s)
	return lo + int64(float64(*s)/dM*float64(hi-lo+1))
}

// unifMaxLong is UnifInt(0, MAX_LONG): dbgen computes the range in 32-bit
// arithmetic, where 2^31-1 - 0 + 1 wraps to -2^31, so the draw is negative.
// a_rnd relies on the resulting bit pattern.
func unifMaxLong(s *int64) int64 {
	*s = next(*s)
	return int64(float64(*s) / dM * -2147483648.0)
}

// powMod returns 16807^n mod (2^31-1).
func powMod(n int64) int64 {
	r, m := int64(1), int64(rngMul)
	for n > 0 {
		if n&1 != 0 {
			r = r * m % rngMod
		}
		n >>= 1
		m = m * m % rngMod
	}
	return r
}

// skip returns the seed after n steps from s (dbgen's NthElement).
func skip(s, n int64) int64 { return s * powMod(n) % rngMod }

// Stream numbers, as in dbgen's dss.h/shared.h.
const (
	sPMfg       = 0
	sPBrnd      = 1
	sPType      = 2
	sPSize      = 3
	sPCntr      = 4
	sText       = 5 // text pool pregeneration
	sPCmnt      = 6
	sPSQty      = 7
	sPSScst     = 8
	sPSCmnt     = 9
	sOClrk      = 11
	sOCmnt      = 12
	sOOdate     = 13
	sLQty       = 14
	sLDcnt      = 15
	sLTax       = 16
	sLShip      = 17
	sLSmode     = 18
	sLPkey      = 19
	sLSkey      = 20
	sLSdte      = 21
	sLCdte      = 22
	sLRdte      = 23
	sLRflg      = 24
	sLCmnt      = 25
	sCAddr      = 26
	sCNtrg      = 27
	sCPhne      = 28
	sCAbal      = 29
	sCMseg      = 30
	sCCmnt      = 31
	sSAddr      = 32
	sSNtrg      = 33
	sSPhne      = 34
	sSAbal      = 35
	sSCmnt      = 36
	sPName      = 37
	sOPrio      = 38
	sOCkey      = 40
	sNCmnt      = 41
	sRCmnt      = 42
	sOLcnt      = 43
	sBBBJunk    = 44
	sBBBType    = 45
	sBBBComment = 46
	sBBBOffset  = 47
	numStreams  = 48
)

// seedInit is each stream's initial seed; seedBoundary is how many draws
// one row consumes from it. dbgen advances every stream of a table to its
// boundary at the end of each row (row_stop), so row i (1-based) of a table
// always starts stream s at seedInit[s] advanced (i-1)*seedBoundary[s] steps.
// That is what makes any row range generable on its own.
var seedInit = [numStreams]int64{
	1, 46831694, 1841581359, 1193163244, 727633698, 933588178, 804159733,
	1671059989, 1051288424, 1961692154, 1227283347, 1171034773, 276090261,
	1066728069, 209208115, 554590007, 721958466, 1371272478, 675466456,
	1808217256, 2095021727, 1769349045, 904914315, 373135028, 717419739,
	1095462486, 881155353, 1489529863, 1521138112, 298370230, 1140279430,
	1335826707, 706178559, 110356601, 884434366, 962338209, 1341315363,
	709314158, 591449447, 431918286, 851767375, 606179079, 1500869201,
	1434868289, 263032577, 753643799, 202794285, 715851524,
}

var seedBoundary = [numStreams]int64{
	1, 1, 1, 1, 1, 1, 2, // part
	4, 4, 8, // partsupp
	1, 1, 2, 1, // orders
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 14, // lineitem
	9, 1, 3, 1, 1, 2, // customer
	9, 1, 3, 1, 2, // supplier
	92, 1, 1, 1, 2, 2, 1, // p_name, o_prio, hvar, o_ckey, n_cmnt, r_cmnt, o_lcnt
	1, 1, 1, 1, // BBB
}

// stream is one column's generator state: start is the seed at the start of
// the current row, cur the running seed within the row, step the multiplier
// that moves start to the next row (16807^boundary mod 2^31-1).
type stream struct {
	start, cur, step int64
}

// init positions the stream at the start of row (1-based).
func (st *stream) init(s int, row int64) {
	st.step = powMod(seedBoundary[s])
	st.start = skip(seedInit[s], (row-1)*seedBoundary[s])
	st.cur = st.start
}

// nextRow moves the stream to the start of the following row.
func (st *stream) nextRow() {
	st.start = st.start * st.step % rngMod
	st.cur = st.start
}
