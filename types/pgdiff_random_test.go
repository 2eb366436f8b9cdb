package types

import (
	"math"
	"math/rand"
	"strconv"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/jackc/pgx/v5"
)

// diffRandom compares randomly generated values (fixed seed, printed on
// failure) with PostgreSQL: float output, numeric arithmetic, interval output
// and timestamp extract/date_trunc. Run by TestDiffPostgres.
func diffRandom(t *testing.T, c *pgx.Conn) {
	const seed = 1127
	r := rand.New(rand.NewSource(seed))
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	if res := pgQuery(t, c, "SELECT set_config('TimeZone', 'America/New_York', false)"); res.code != "" {
		t.Fatal(res)
	}

	// Its own source, so that the other subtests' values stay the same.
	t.Run("inet", func(t *testing.T) { diffInetRandom(t, c, rand.New(rand.NewSource(seed))) })

	t.Run("float", func(t *testing.T) {
		for i := 0; i < 400; i++ {
			var f float64
			switch i % 4 {
			case 0:
				f = math.Float64frombits(r.Uint64())
			case 1:
				f = r.NormFloat64() * math.Pow(10, float64(r.Intn(40)-20))
			case 2:
				// large magnitudes, where halfway points can be short decimals
				f = float64(r.Int63n(1<<24)) * math.Pow(2, float64(r.Intn(60)))
			default:
				f = float64(r.Int63n(1e9)) / math.Pow(10, float64(r.Intn(12)))
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				continue
			}
			for _, typ := range []Type{Float8, Float4} {
				bits := 64
				if typ.OID == OIDFloat4 {
					bits = 32
				}
				lit := strconv.FormatFloat(f, 'g', -1, bits)
				want := pgQuery(t, c, "SELECT "+sqlQuote(lit)+"::"+TypeName(typ))
				v, err := ParseText(typ, lit, nil)
				if got := ours(v, err, typ, nil); got != want {
					t.Errorf("seed %d: %s::%s: got %v, PostgreSQL %v", seed, lit, TypeName(typ), got, want)
				}
			}
		}
	})

	randNumeric := func() string {
		d := apd.New(r.Int63n(2e12)-1e12, -int32(r.Intn(8)))
		if r.Intn(5) == 0 {
			d = apd.New(r.Int63n(100)-50, int32(r.Intn(6)))
		}
		return d.Text('f')
	}
	t.Run("numeric", func(t *testing.T) {
		for i := 0; i < 150; i++ {
			a, b := randNumeric(), randNumeric()
			op := []string{"+", "-", "*", "/", "%"}[i%5]
			want := pgQuery(t, c, "SELECT "+sqlQuote(a)+"::numeric "+op+" "+sqlQuote(b)+"::numeric")
			av, _ := ParseText(Numeric, a, nil)
			bv, _ := ParseText(Numeric, b, nil)
			v, err := BinaryOp(op, av, Numeric, bv, Numeric)
			if got := ours(v, err, Numeric, nil); got != want {
				t.Errorf("seed %d: %s %s %s: got %v, PostgreSQL %v", seed, a, op, b, got, want)
			}
		}
	})

	t.Run("interval", func(t *testing.T) {
		for i := 0; i < 150; i++ {
			iv := NewInterval(int32(r.Intn(400)-200), int32(r.Intn(100)-50), r.Int63n(4e11)-2e11)
			if i%4 == 0 {
				iv = NewInterval(0, 0, r.Int63n(2e6)-1e6)
			}
			text := TextString(iv, Interval, nil)
			want := pgQuery(t, c, "SELECT "+sqlQuote(text)+"::interval")
			if want.text != text {
				t.Errorf("seed %d: interval %+v prints %q, PostgreSQL reads and prints %v", seed, iv, text, want)
			}
			back, err := ParseText(Interval, text, nil)
			if err != nil || back != iv {
				t.Errorf("seed %d: %q parses to %+v, %v; want %+v", seed, text, back, err, iv)
			}
			// justify-free arithmetic: interval * float
			f := float64(r.Intn(700)-350) / 100
			want = pgQuery(t, c, "SELECT "+sqlQuote(text)+"::interval * "+strconv.FormatFloat(f, 'g', -1, 64)+"::float8")
			v, err := BinaryOp("*", iv, Interval, NewFloat(f), Float8)
			if got := ours(v, err, Interval, nil); got != want {
				t.Errorf("seed %d: %q * %v: got %v, PostgreSQL %v", seed, text, f, got, want)
			}
		}
	})

	t.Run("timestamp", func(t *testing.T) {
		lo := time.Date(1890, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
		hi := time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
		fields := []string{"epoch", "julian", "week", "isoyear", "doy", "dow", "second", "hour", "day", "century", "timezone"}
		for i := 0; i < 60; i++ {
			us := lo + r.Int63n(hi-lo)
			if i%3 == 0 {
				us -= us % usPerSec
			}
			for _, typ := range []Type{Timestamp, TimestampTZ} {
				v := Value{K: KindOf(typ.OID), I: us}
				text := TextString(v, typ, ny)
				lit := sqlQuote(text) + "::" + TypeName(typ)
				want := pgQuery(t, c, "SELECT "+lit)
				if want.text != text {
					t.Errorf("seed %d: %s: PostgreSQL prints %v", seed, lit, want)
				}
				f := fields[i%len(fields)]
				want = pgQuery(t, c, "SELECT extract("+f+" from "+lit+")")
				res, err := Extract(f, v, typ, ny)
				if got := ours(res, err, Numeric, ny); got != want {
					t.Errorf("seed %d: extract(%s from %s): got %v, PostgreSQL %v", seed, f, lit, got, want)
				}
				unit := []string{"week", "month", "day", "hour", "quarter", "year"}[i%6]
				want = pgQuery(t, c, "SELECT date_trunc('"+unit+"', "+lit+")")
				res, err = DateTrunc(unit, v, typ, ny)
				if got := ours(res, err, typ, ny); got != want {
					t.Errorf("seed %d: date_trunc(%s, %s): got %v, PostgreSQL %v", seed, unit, lit, got, want)
				}
				iv := NewInterval(int32(r.Intn(30)-15), int32(r.Intn(60)-30), r.Int63n(2*usPerDay)-usPerDay)
				ivText := TextString(iv, Interval, nil)
				want = pgQuery(t, c, "SELECT "+lit+" + "+sqlQuote(ivText)+"::interval")
				res, err = BinaryOpLoc("+", v, typ, iv, Interval, ny)
				if got := ours(res, err, typ, ny); got != want {
					t.Errorf("seed %d: %s + %s: got %v, PostgreSQL %v", seed, lit, ivText, got, want)
				}
			}
		}
	})
}

// diffInetRandom compares inet and cidr input, output, abbrev and binary
// send of random literals: IPv6 words with runs of zeros and embedded
// IPv4, abbreviated and hex cidr input, and random strings from the
// characters addresses are made of.
func diffInetRandom(t *testing.T, c *pgx.Conn, r *rand.Rand) {
	word := func() string {
		return []string{"0", "0", "0", "1", "ffff", "a", "FF00", "8000", "00ab", "12345"}[r.Intn(10)]
	}
	octet := func() string {
		return []string{"0", "1", "10", "128", "192", "224", "255", "256", "01", "240"}[r.Intn(10)]
	}
	var lits []string
	for i := 0; i < 600; i++ {
		var s string
		switch i % 5 {
		case 0: // IPv6, full or with ::
			n := 8
			if r.Intn(2) == 0 {
				n = r.Intn(8)
			}
			ws := make([]string, n)
			for j := range ws {
				ws[j] = word()
			}
			if n < 8 {
				k := r.Intn(n + 1)
				ws = append(ws[:k], append([]string{""}, ws[k:]...)...)
				if k == 0 || k == len(ws)-1 {
					ws = append([]string{""}, ws...)
				}
			}
			for j, w := range ws {
				if j > 0 {
					s += ":"
				}
				s += w
			}
		case 1: // IPv6 ending in IPv4
			s = []string{"::", "::ffff:", "::1:", "1:2:3:4:5:6:", "::ffff:0:"}[r.Intn(5)] + octet() + "." + octet() + "." + octet() + "." + octet()
		case 2, 3: // IPv4, maybe abbreviated
			n := 1 + r.Intn(4)
			for j := 0; j < n; j++ {
				if j > 0 {
					s += "."
				}
				s += octet()
			}
		default: // noise
			const alpha = "0123456789abcdefx:./"
			n := 1 + r.Intn(12)
			for j := 0; j < n; j++ {
				s += string(alpha[r.Intn(len(alpha))])
			}
		}
		if r.Intn(3) == 0 {
			s += "/" + strconv.Itoa([]int{0, 1, 4, 8, 15, 16, 24, 31, 32, 33, 64, 96, 100, 120, 127, 128, 129}[r.Intn(17)])
		}
		lits = append(lits, s)
	}
	for _, lit := range lits {
		for _, typ := range []Type{Inet, CIDR} {
			name := TypeName(typ)
			want := pgQuery(t, c, "SELECT "+sqlQuote(lit)+"::"+name)
			v, err := ParseText(typ, lit, nil)
			if got := ours(v, err, typ, nil); got != want {
				t.Errorf("%s::%s: got %v, PostgreSQL %v", sqlQuote(lit), name, got, want)
				continue
			}
			if err != nil {
				continue
			}
			fn := "abbrev"
			if typ.OID == OIDInet {
				fn = "host"
			}
			want = pgQuery(t, c, "SELECT "+fn+"("+sqlQuote(lit)+"::"+name+")")
			var got string
			if typ.OID == OIDCIDR {
				got = string(AppendCIDRAbbrev(nil, v))
			} else {
				got = string(AppendInetHost(nil, v))
			}
			if got != want.text {
				t.Errorf("%s(%s::%s): got %q, PostgreSQL %v", fn, sqlQuote(lit), name, got, want)
			}
			wb, ok := pgQueryBinary(t, c, "SELECT "+sqlQuote(lit)+"::"+name)
			gb, err := AppendBinary(nil, v, typ)
			if !ok || err != nil || string(gb) != string(wb) {
				t.Errorf("%s::%s binary: got %x %v, PostgreSQL %x", sqlQuote(lit), name, gb, err, wb)
			}
		}
	}
}
