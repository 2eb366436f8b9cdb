package dbgen

import (
	"fmt"
	"math"
	"time"
)

// Table identifies one of the eight TPC-H tables.
type Table uint8

// The eight tables, in dbgen's generation order.
const (
	Part Table = iota
	PartSupp
	Supplier
	Customer
	Orders
	LineItem
	Nation
	Region
)

// AllTables lists every table in dbgen's order.
var AllTables = []Table{Part, PartSupp, Supplier, Customer, Orders, LineItem, Nation, Region}

var tableNames = [...]string{"part", "partsupp", "supplier", "customer", "orders", "lineitem", "nation", "region"}

// String returns the table's name as used in file names and SQL ("lineitem").
func (t Table) String() string {
	if int(t) < len(tableNames) {
		return tableNames[t]
	}
	return fmt.Sprintf("Table(%d)", int(t))
}

// ParseTable maps a table name ("lineitem") or dbgen's one-letter code
// (p, S, s, c, O, L, n, r) to a Table.
func ParseTable(name string) (Table, error) {
	for i, n := range tableNames {
		if n == name {
			return Table(i), nil
		}
	}
	switch name {
	case "p":
		return Part, nil
	case "S":
		return PartSupp, nil
	case "s":
		return Supplier, nil
	case "c":
		return Customer, nil
	case "O":
		return Orders, nil
	case "L":
		return LineItem, nil
	case "n":
		return Nation, nil
	case "r":
		return Region, nil
	}
	return 0, fmt.Errorf("tpch: unknown table %q", name)
}

// MaxSF is the largest scale factor supported: from SF 30000 dbgen switches
// o_custkey and l_partkey to a 64-bit generator that is not implemented here.
const MaxSF = 29999

// scaling holds the row counts dbgen derives from a scale factor.
type scaling struct {
	sf     float64
	scale  int64 // dbgen's integer "scale": 1 below SF 1
	part   int64
	supp   int64
	cust   int64
	orders int64
}

// newScaling mirrors dbgen's -s handling: below 1, scale stays 1 and each base
// row count becomes int(1000*SF)*base/1000 (at least 1); from 1 up, the SF
// must be a whole number and multiplies the base counts.
func newScaling(sf float64) (scaling, error) {
	if math.IsNaN(sf) || sf < 0.001 {
		return scaling{}, fmt.Errorf("tpch: scale factor %v too small (min 0.001; 0.01 and up are standard)", sf)
	}
	if sf > MaxSF {
		return scaling{}, fmt.Errorf("tpch: scale factor %v above %d is not supported", sf, MaxSF)
	}
	s := scaling{sf: sf, scale: 1, part: 200000, supp: 10000, cust: 150000, orders: 1500000}
	if sf < 1 {
		k := int64(1000 * sf)
		f := func(b int64) int64 { return max(k*b/1000, 1) }
		s.part, s.supp, s.cust, s.orders = f(s.part), f(s.supp), f(s.cust), f(s.orders)
		return s, nil
	}
	if sf != math.Trunc(sf) {
		return scaling{}, fmt.Errorf("tpch: scale factor %v: from 1 up dbgen uses whole numbers only", sf)
	}
	s.scale = int64(sf)
	s.part *= s.scale
	s.supp *= s.scale
	s.cust *= s.scale
	s.orders *= s.scale
	return s, nil
}

// Units returns how many generation units table t has at scale factor sf: its
// row count, except that partsupp counts parts (4 rows each) and lineitem
// counts orders (1 to 7 rows each). Chunks (part/parts) split units.
func Units(t Table, sf float64) (int64, error) {
	s, err := newScaling(sf)
	if err != nil {
		return 0, err
	}
	if t > Region {
		return 0, fmt.Errorf("tpch: unknown table %d", t)
	}
	return s.units(t), nil
}

func (s scaling) units(t Table) int64 {
	switch t {
	case Part, PartSupp:
		return s.part
	case Supplier:
		return s.supp
	case Customer:
		return s.cust
	case Orders, LineItem:
		return s.orders
	case Nation:
		return int64(len(dNations.members))
	case Region:
		return int64(len(dRegions.members))
	}
	return -1 // not a table; chunk rejects it
}

// Dates: dbgen numbers days from STARTDATE (1992-01-01) and prints them from
// a table of TOTDATE strings.
const (
	totDate    = 2557
	epochDay92 = 8035 // days from 1970-01-01 to 1992-01-01
	// order dates are drawn in [0, totDate-(121+30)-1]
	orderDateMax = totDate - (121 + 30) - 1
)

var (
	dateText    [totDate][10]byte
	currentDate int64 // day index of CURRENTDATE, 1995-06-17
)

func init() {
	base := time.Date(1992, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range dateText {
		copy(dateText[i][:], base.AddDate(0, 0, i).Format("2006-01-02"))
	}
	currentDate = int64(time.Date(1995, 6, 17, 0, 0, 0, 0, time.UTC).Sub(base).Hours() / 24)
}

const alphaNum = "0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ,"

// vstr is a_rnd: a length in [lo, hi], then one draw per five characters,
// six bits per character.
func vstr(st *stream, lo, hi int64, buf []byte) []byte {
	n := unif(&st.cur, lo, hi)
	var c int64
	for i := int64(0); i < n; i++ {
		if i%5 == 0 {
			c = unifMaxLong(&st.cur)
		}
		buf[i] = alphaNum[c&0o77]
		c >>= 6
	}
	return buf[:n]
}

// lengths of variable strings: (int)(avg*0.4) .. (int)(avg*1.6), as dbgen
// computes them in double precision.
func bounds(avg int) (int, int) {
	lo, hi := 0.4, 1.6
	a := float64(avg)
	return int(a * lo), int(a * hi)
}

var (
	addrLo, addrHi           = bounds(25)
	pCmntLo, pCmntHi         = bounds(14)
	psCmntLo, psCmntHi       = bounds(124)
	sCmntLo, sCmntHi         = bounds(63)
	cCmntLo, cCmntHi         = bounds(73)
	oCmntLo, oCmntHi         = bounds(49)
	lCmntLo, lCmntHi         = bounds(27)
	nCmntLo, nCmntHi         = bounds(72)
	rCmntLo, rCmntHi         = bounds(72)
	nationCount        int64 = 25
)

// phone is gen_phone: country code 10+nation, then three draws on one stream.
func phone(st *stream, nation int64, dst *[15]byte) {
	a := unif(&st.cur, 100, 999)
	e := unif(&st.cur, 100, 999)
	n := unif(&st.cur, 1000, 9999)
	cc := 10 + nation%90
	dst[0], dst[1], dst[2] = byte('0'+cc/10), byte('0'+cc%10), '-'
	dst[3], dst[4], dst[5], dst[6] = byte('0'+a/100), byte('0'+a/10%10), byte('0'+a%10), '-'
	dst[7], dst[8], dst[9], dst[10] = byte('0'+e/100), byte('0'+e/10%10), byte('0'+e%10), '-'
	dst[11], dst[12], dst[13], dst[14] = byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10)
}

// ---- customer ----

type customerRow struct {
	key     int64
	addrBuf [48]byte
	address []byte
	nation  int64
	phone   [15]byte
	acctbal int64 // cents
	segment string
	comment textRef
}

type customerGen struct {
	addr, ntrg, phne, abal, mseg, cmnt stream
}

func newCustomerGen(row int64) *customerGen {
	g := &customerGen{}
	g.addr.init(sCAddr, row)
	g.ntrg.init(sCNtrg, row)
	g.phne.init(sCPhne, row)
	g.abal.init(sCAbal, row)
	g.mseg.init(sCMseg, row)
	g.cmnt.init(sCCmnt, row)
	return g
}

func (g *customerGen) row(key int64, r *customerRow) {
	r.key = key
	r.address = vstr(&g.addr, int64(addrLo), int64(addrHi), r.addrBuf[:])
	r.nation = unif(&g.ntrg.cur, 0, nationCount-1)
	phone(&g.phne, r.nation, &r.phone)
	r.acctbal = unif(&g.abal.cur, -99999, 999999)
	r.segment = pick(&g.mseg.cur, dSegment)
	r.comment = text(&g.cmnt, cCmntLo, cCmntHi)
	g.addr.nextRow()
	g.ntrg.nextRow()
	g.phne.nextRow()
	g.abal.nextRow()
	g.mseg.nextRow()
	g.cmnt.nextRow()
}

// ---- supplier ----

type supplierRow struct {
	key     int64
	addrBuf [48]byte
	address []byte
	nation  int64
	phone   [15]byte
	acctbal int64
	comment textRef
	bbb     bbbPatch
}

// bbbPatch is a Better Business Bureau comment to overlay on a supplier
// comment: "Customer " at off, then "Complaints" or "Recommends" noise bytes
// later. kind 0 means no patch.
type bbbPatch struct {
	kind       uint8 // 0 none, 1 Complaints, 2 Recommends
	off, noise int32
}

func (p bbbPatch) apply(c []byte) {
	if p.kind == 0 {
		return
	}
	copy(c[p.off:], bbbBase)
	w := bbbComplain
	if p.kind == 2 {
		w = bbbCommend
	}
	copy(c[int32(len(bbbBase))+p.off+p.noise:], w)
}

type supplierGen struct {
	addr, ntrg, phne, abal, cmnt         stream
	bbbComment, bbbType, bbbJunk, bbbOff stream
}

func newSupplierGen(row int64) *supplierGen {
	g := &supplierGen{}
	g.addr.init(sSAddr, row)
	g.ntrg.init(sSNtrg, row)
	g.phne.init(sSPhne, row)
	g.abal.init(sSAbal, row)
	g.cmnt.init(sSCmnt, row)
	g.bbbComment.init(sBBBComment, row)
	g.bbbType.init(sBBBType, row)
	g.bbbJunk.init(sBBBJunk, row)
	g.bbbOff.init(sBBBOffset, row)
	return g
}

const (
	bbbBase     = "Customer "
	bbbComplain = "Complaints"
	bbbCommend  = "Recommends"
	bbbLen      = 19 // len(base)+len(type)
)

func (g *supplierGen) row(key int64, r *supplierRow) {
	r.key = key
	r.address = vstr(&g.addr, int64(addrLo), int64(addrHi), r.addrBuf[:])
	r.nation = unif(&g.ntrg.cur, 0, nationCount-1)
	phone(&g.phne, r.nation, &r.phone)
	r.acctbal = unif(&g.abal.cur, -99999, 999999)
	c := text(&g.cmnt, sCmntLo, sCmntHi)
	clen := int64(c.n)
	// Better Business Bureau comments: drawn for every row, applied to
	// about 10 in 10000.
	bad := unif(&g.bbbComment.cur, 1, 10000)
	typ := unif(&g.bbbType.cur, 0, 100)
	noise := unif(&g.bbbJunk.cur, 0, clen-bbbLen)
	off := unif(&g.bbbOff.cur, 0, clen-(bbbLen+noise))
	r.bbb = bbbPatch{}
	if bad <= 10 {
		r.bbb = bbbPatch{kind: 2, off: int32(off), noise: int32(noise)}
		if typ < 50 {
			r.bbb.kind = 1
		}
	}
	r.comment = c
	g.addr.nextRow()
	g.ntrg.nextRow()
	g.phne.nextRow()
	g.abal.nextRow()
	g.cmnt.nextRow()
	g.bbbComment.nextRow()
	g.bbbType.nextRow()
	g.bbbJunk.nextRow()
	g.bbbOff.nextRow()
}

// ---- part and partsupp ----

type partSuppRow struct {
	suppkey int64
	qty     int64
	cost    int64 // cents
	comment textRef
}

type partRow struct {
	key       int64
	nameBuf   [64]byte
	name      []byte
	mfgr      int64
	brand     int64
	typ       string
	size      int64
	container string
	price     int64 // cents
	comment   textRef
	ps        [4]partSuppRow
}

type partGen struct {
	name, mfg, brnd, typ, size, cntr, cmnt stream
	psQty, psCost, psCmnt                  stream
	suppCount                              int64
}

func newPartGen(row int64, s scaling) *partGen {
	g := &partGen{suppCount: s.supp}
	g.name.init(sPName, row)
	g.mfg.init(sPMfg, row)
	g.brnd.init(sPBrnd, row)
	g.typ.init(sPType, row)
	g.size.init(sPSize, row)
	g.cntr.init(sPCntr, row)
	g.cmnt.init(sPCmnt, row)
	g.psQty.init(sPSQty, row)
	g.psCost.init(sPSScst, row)
	g.psCmnt.init(sPSCmnt, row)
	return g
}

// retailPrice is rpb_routine, in cents.
func retailPrice(p int64) int64 {
	return 90000 + (p/10)%20001 + (p%1000)*100
}

// partSupp is PART_SUPP_BRIDGE: the supplier of part p's i-th supply.
func partSupp(p, i, suppCount int64) int64 {
	return (p+i*(suppCount/4+(p-1)/suppCount))%suppCount + 1
}

func (g *partGen) row(key int64, r *partRow) {
	r.key = key
	// agg_str: the first five members of a permutation of the 92 colors.
	// Positions 0..4 are final after the first five swaps, so the remaining
	// 87 draws of the row (which only move later positions) are skipped.
	var perm [128]uint8
	nc := int64(len(dColors.members))
	for i := range nc {
		perm[i] = uint8(i)
	}
	n := 0
	for i := int64(0); i < 5; i++ {
		src := unif(&g.name.cur, i, nc-1)
		perm[i], perm[src] = perm[src], perm[i]
		if i > 0 {
			r.nameBuf[n] = ' '
			n++
		}
		n += copy(r.nameBuf[n:], dColors.members[perm[i]].text)
	}
	r.name = r.nameBuf[:n]
	r.mfgr = unif(&g.mfg.cur, 1, 5)
	r.brand = r.mfgr*10 + unif(&g.brnd.cur, 1, 5)
	r.typ = pick(&g.typ.cur, dTypes)
	r.size = unif(&g.size.cur, 1, 50)
	r.container = pick(&g.cntr.cur, dContainers)
	r.price = retailPrice(key)
	r.comment = text(&g.cmnt, pCmntLo, pCmntHi)
	for i := range r.ps {
		ps := &r.ps[i]
		ps.suppkey = partSupp(key, int64(i), g.suppCount)
		ps.qty = unif(&g.psQty.cur, 1, 9999)
		ps.cost = unif(&g.psCost.cur, 100, 100000)
		ps.comment = text(&g.psCmnt, psCmntLo, psCmntHi)
	}
	g.name.nextRow()
	g.mfg.nextRow()
	g.brnd.nextRow()
	g.typ.nextRow()
	g.size.nextRow()
	g.cntr.nextRow()
	g.cmnt.nextRow()
	g.psQty.nextRow()
	g.psCost.nextRow()
	g.psCmnt.nextRow()
}

// ---- orders and lineitem ----

type lineRow struct {
	partkey, suppkey, number, qty int64
	price, discount, tax          int64 // cents, percent, percent
	returnFlag, status            byte
	shipDate, commitDate, rcptDat int64 // day index from 1992-01-01
	instruct, mode                string
	comment                       textRef
}

type orderRow struct {
	key      int64
	custkey  int64
	status   byte
	total    int64 // cents
	date     int64 // day index
	priority string
	clerk    int64
	comment  textRef
	nlines   int
	lines    [7]lineRow
}

type orderGen struct {
	ckey, odate, prio, clrk, cmnt, lcnt                             stream
	qty, dcnt, tax, ship, smode, pkey, skey, sdte, cdte, rdte, rflg stream
	lcmnt                                                           stream
	custMax, partMax, suppCount, clerkMax                           int64
	ordersOnly                                                      bool // skip line fields orders does not print
	all                                                             [18]*stream
}

func newOrderGen(row int64, s scaling) *orderGen {
	g := &orderGen{custMax: s.cust, partMax: s.part, suppCount: s.supp, clerkMax: max(s.scale*1000, 1000)}
	for _, x := range []struct {
		st *stream
		id int
	}{
		{&g.ckey, sOCkey}, {&g.odate, sOOdate}, {&g.prio, sOPrio}, {&g.clrk, sOClrk},
		{&g.cmnt, sOCmnt}, {&g.lcnt, sOLcnt}, {&g.qty, sLQty}, {&g.dcnt, sLDcnt},
		{&g.tax, sLTax}, {&g.ship, sLShip}, {&g.smode, sLSmode}, {&g.pkey, sLPkey},
		{&g.skey, sLSkey}, {&g.sdte, sLSdte}, {&g.cdte, sLCdte}, {&g.rdte, sLRdte},
		{&g.rflg, sLRflg}, {&g.lcmnt, sLCmnt},
	} {
		x.st.init(x.id, row)
	}
	g.all = [18]*stream{&g.ckey, &g.odate, &g.prio, &g.clrk, &g.cmnt, &g.lcnt,
		&g.qty, &g.dcnt, &g.tax, &g.ship, &g.smode, &g.pkey, &g.skey, &g.sdte, &g.cdte,
		&g.rdte, &g.rflg, &g.lcmnt}
	return g
}

// orderKey is mk_sparse: only the first 8 of every 32 keys are used.
func orderKey(i int64) int64 {
	return (i>>3)<<5 | i&7
}

func (g *orderGen) row(index int64, o *orderRow) {
	o.key = orderKey(index)
	c := unif(&g.ckey.cur, 1, g.custMax)
	// every third customer places no orders
	delta := int64(1)
	for c%3 == 0 {
		c += delta
		c = min(c, g.custMax)
		delta = -delta
	}
	o.custkey = c
	o.date = unif(&g.odate.cur, 0, orderDateMax)
	o.priority = pick(&g.prio.cur, dPriority)
	o.clerk = unif(&g.clrk.cur, 1, g.clerkMax)
	o.comment = text(&g.cmnt, oCmntLo, oCmntHi)
	o.nlines = int(unif(&g.lcnt.cur, 1, 7))
	var total int64
	shipped := 0
	for i := 0; i < o.nlines; i++ {
		l := &o.lines[i]
		l.number = int64(i + 1)
		l.qty = unif(&g.qty.cur, 1, 50)
		l.discount = unif(&g.dcnt.cur, 0, 10)
		l.tax = unif(&g.tax.cur, 0, 8)
		if !g.ordersOnly {
			l.instruct = pick(&g.ship.cur, dInstruct)
			l.mode = pick(&g.smode.cur, dShipMode)
			l.comment = text(&g.lcmnt, lCmntLo, lCmntHi)
		}
		l.partkey = unif(&g.pkey.cur, 1, g.partMax)
		l.price = retailPrice(l.partkey) * l.qty
		total += l.price * (100 - l.discount) / 100 * (100 + l.tax) / 100
		l.shipDate = o.date + unif(&g.sdte.cur, 1, 121)
		if !g.ordersOnly {
			l.suppkey = partSupp(l.partkey, unif(&g.skey.cur, 0, 3), g.suppCount)
			l.commitDate = o.date + unif(&g.cdte.cur, 30, 90)
			l.rcptDat = l.shipDate + unif(&g.rdte.cur, 1, 30)
			if l.rcptDat <= currentDate {
				l.returnFlag = pick(&g.rflg.cur, dReturnFlag)[0]
			} else {
				l.returnFlag = 'N'
			}
		}
		if l.shipDate <= currentDate {
			shipped++
			l.status = 'F'
		} else {
			l.status = 'O'
		}
	}
	o.total = total
	switch shipped {
	case o.nlines:
		o.status = 'F'
	case 0:
		o.status = 'O'
	default:
		o.status = 'P'
	}
	for _, st := range g.all {
		st.nextRow()
	}
}

// ---- nation and region ----

type codeRow struct {
	key     int64
	name    string
	region  int64
	comment textRef
}

func nationRow(g *stream, i int64, r *codeRow) {
	m := dNations.members[i]
	r.key, r.name, r.region = i, m.text, m.weight
	r.comment = text(g, nCmntLo, nCmntHi)
	g.nextRow()
}

func regionRow(g *stream, i int64, r *codeRow) {
	r.key, r.name, r.region = i, dRegions.members[i].text, 0
	r.comment = text(g, rCmntLo, rCmntHi)
	g.nextRow()
}
