package oltp

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/omendb/omendb/bench/tpch/dbgen"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/types"
)

// loadBulk fills a store with n rows of tbl through the committer's path
// (Writes → ops → Apply, rows encoded in the commit blocks), in commits of
// batch rows, and returns it.
func loadBulk(tb testing.TB, tbl *catalog.Table, n, batch int, row func(i int) []types.Value) *Store {
	st := NewStore()
	st.IndexMethod = "learned"
	off := uint64(1)
	apply := func(ops []log.Op) {
		if err := st.Apply(log.Entry{Offset: log.Offset(off), Record: &log.Record{Txns: []log.Txn{{ID: off, Ops: ops}}}}); err != nil {
			tb.Fatal(err)
		}
		off++
	}
	apply([]log.Op{{Kind: log.OpDDL, Row: (&catalog.Change{Kind: catalog.CreateTable, Table: tbl}).Encode()}})
	for lo := 0; lo < n; lo += batch {
		w := NewWrites()
		for i := lo; i < min(lo+batch, n); i++ {
			r := row(i)
			w.Put(tbl.ID, EncodeKey(tbl, tbl.PK(), r), r, false)
		}
		ops, err := w.ops()
		if err != nil {
			tb.Fatal(err)
		}
		apply(ops)
	}
	return st
}

// BenchmarkPointRead is a primary-key lookup at the newest snapshot plus a
// read of every column: the read path of a point SELECT, decoding included.
func BenchmarkPointRead(b *testing.B) {
	const n = 200000
	st0 := NewStore()
	tbl := bulkTable(st0)
	st := loadBulk(b, tbl, n, 20000, func(i int) []types.Value { return bulkRow(tbl, int64(i)) })
	t := st.Table(tbl.ID)
	snap := uint64(st.Applied())
	keys := make([][]byte, 4096)
	rng := rand.New(rand.NewSource(1))
	for i := range keys {
		keys[i] = EncodeKey(tbl, tbl.PK(), []types.Value{types.NewInt(rng.Int63n(n))})
	}
	b.ReportAllocs()
	b.ResetTimer()
	sink := 0
	for i := 0; i < b.N; i++ {
		row, ok := t.Get(keys[i%len(keys)], snap)
		if !ok {
			b.Fatal("missing row")
		}
		for j := range row {
			sink += len(row[j].S) + int(row[j].I)
		}
	}
	if sink == 0 {
		b.Fatal("nothing read")
	}
}

// BenchmarkScanRead scans a whole table and reads its columns: rows
// decoded into slabs the consumer may keep (Scan), or into one reused row
// (ScanReuse).
func BenchmarkScanRead(b *testing.B) {
	const n = 200000
	st0 := NewStore()
	tbl := bulkTable(st0)
	st := loadBulk(b, tbl, n, 20000, func(i int) []types.Value { return bulkRow(tbl, int64(i)) })
	t := st.Table(tbl.ID)
	snap := uint64(st.Applied())
	for _, mode := range []string{"slab", "reuse"} {
		scan := t.Scan
		if mode == "reuse" {
			scan = t.ScanReuse
		}
		b.Run("rows="+strconv.Itoa(n)+"/mode="+mode, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				rows, sum := 0, int64(0)
				scan(snap, nil, nil, false, func(_ []byte, row []types.Value) bool {
					rows += len(row[3].S)
					sum += int64(row[2].N.Coeff.Sign()) + row[1].I
					return true
				})
				if rows == 0 || sum == 0 {
					b.Fatal("nothing scanned")
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// tpchTable is TPC-H table t as a catalog table, primary key as in
// dbgen.DDL.
func tpchTable(t dbgen.Table, id uint32) *catalog.Table {
	tbl := &catalog.Table{ID: id, Schema: "public", Name: t.String()}
	byName := map[string]int{}
	for i, c := range dbgen.Columns(t) {
		tbl.Columns = append(tbl.Columns, catalog.Column{Name: c.Name, Type: c.Type, NotNull: true})
		byName[c.Name] = i
	}
	ddl := dbgen.DDL(t)
	pk := ddl[strings.Index(ddl, "PRIMARY KEY (")+len("PRIMARY KEY (") : len(ddl)-2]
	ix := catalog.Index{ID: id + 1, Name: t.String() + "_pkey", Unique: true, Primary: true}
	for _, name := range strings.Split(pk, ", ") {
		ix.Columns = append(ix.Columns, byName[name])
	}
	tbl.Indexes = []catalog.Index{ix}
	return tbl
}

// BenchmarkRowStoreHeap loads the eight TPC-H tables at SF 0.1 (866,602
// rows, in COPY-sized commits of at most 100,000 rows) and reports the live
// heap the row store keeps: rows kept in the commit blocks they were
// encoded into, or copied into one allocation each. Run with -benchtime=1x.
func BenchmarkRowStoreHeap(b *testing.B) {
	type gen struct {
		def  *catalog.Table
		rows [][]types.Value
	}
	var tables []gen
	total := 0
	for i, t := range dbgen.AllTables {
		g := gen{def: tpchTable(t, catalog.FirstUserID+uint32(2*i))}
		if err := dbgen.Generate(t, 0.1, 0, 1, dbgen.SinkFunc(func(_ dbgen.Table, vals []types.Value) error {
			g.rows = append(g.rows, append([]types.Value(nil), vals...))
			return nil
		})); err != nil {
			b.Fatal(err)
		}
		total += len(g.rows)
		tables = append(tables, g)
	}
	for _, copyRows := range []bool{false, true} {
		b.Run(fmt.Sprintf("tpch=sf0.1/copy=%v", copyRows), func(b *testing.B) {
			defer func(old bool) { copyStoredRows = old }(copyStoredRows)
			copyStoredRows = copyRows
			for i := 0; i < b.N; i++ {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				// The generated rows stand for a COPY's parsed rows:
				// cloned per load, strings and numerics included, so
				// that what the store keeps of them is counted.
				var stores []*Store
				for _, g := range tables {
					stores = append(stores, loadBulk(b, g.def, len(g.rows), 100000, func(i int) []types.Value { return deepClone(g.rows[i]) }))
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(total), "heap-B/row")
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
				runtime.KeepAlive(stores)
			}
		})
	}
}

func deepClone(row []types.Value) []types.Value {
	out := make([]types.Value, len(row))
	for i, v := range row {
		if v.S != "" {
			v.S = strings.Clone(v.S)
		}
		if v.N != nil {
			v.N = new(apd.Decimal).Set(v.N)
		}
		out[i] = v
	}
	return out
}

// BenchmarkCheckpointLoad loads a checkpoint of `omendb bench recovery`'s
// table (id bigint primary key, a int, b text) from memory: the row
// store's part of the ready time after a restart.
func BenchmarkCheckpointLoad(b *testing.B) {
	const n = 1000000
	st0 := NewStore()
	tbl := &catalog.Table{ID: st0.NewID(), Schema: "public", Name: "bench_rec", PrimaryKey: 0,
		Columns: []catalog.Column{{Name: "id", Type: types.Int8, NotNull: true}, {Name: "a", Type: types.Int4}, {Name: "b", Type: types.Text}}}
	tbl.Indexes = []catalog.Index{{ID: st0.NewID(), Name: "bench_rec_pkey", Columns: []int{0}, Unique: true, Primary: true}}
	st := loadBulk(b, tbl, n, 50000, func(i int) []types.Value {
		return []types.Value{types.NewInt(int64(i)), types.NewInt(int64(i % 1000)), types.NewText(fmt.Sprintf("row %d", i))}
	})
	var buf bytes.Buffer
	if _, err := st.WriteCheckpoint(&buf); err != nil {
		b.Fatal(err)
	}
	st = nil
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		loaded, cs, err := LoadCheckpoint(bytes.NewReader(buf.Bytes()), "learned")
		if err != nil || cs.Rows != n {
			b.Fatalf("%d rows, %v", cs.Rows, err)
		}
		runtime.KeepAlive(loaded)
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCheckpointLoadFile loads the checkpoint data file named by
// OMENDB_BENCH_CKPT as a server's restart does (LoadCheckpointSize, the
// collector off) and reports the minor page faults per load. With
// OMENDB_BENCH_CKPT_ROWS=n set it first writes that file: n rows of `omendb
// bench recovery`'s table. Run it with -benchtime 1x in a fresh process
// (go test -c, then one run per load): what it measures is mostly first
// writes to fresh memory, which a second load in the same process reuses.
func BenchmarkCheckpointLoadFile(b *testing.B) {
	path := os.Getenv("OMENDB_BENCH_CKPT")
	if path == "" {
		b.Skip("OMENDB_BENCH_CKPT names no checkpoint file")
	}
	if n, _ := strconv.Atoi(os.Getenv("OMENDB_BENCH_CKPT_ROWS")); n > 0 {
		st0 := NewStore()
		tbl := &catalog.Table{ID: st0.NewID(), Schema: "public", Name: "bench_rec", PrimaryKey: 0,
			Columns: []catalog.Column{{Name: "id", Type: types.Int8, NotNull: true}, {Name: "a", Type: types.Int4}, {Name: "b", Type: types.Text}}}
		tbl.Indexes = []catalog.Index{{ID: st0.NewID(), Name: "bench_rec_pkey", Columns: []int{0}, Unique: true, Primary: true}}
		st := loadBulk(b, tbl, n, 50000, func(i int) []types.Value {
			return []types.Value{types.NewInt(int64(i + 1)), types.NewInt(int64((i + 1) % 1000)), types.NewText(fmt.Sprintf("row %d", i+1))}
		})
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.WriteCheckpoint(f); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		st = nil
		runtime.GC()
		debug.FreeOSMemory()
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var faults int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		fi, err := f.Stat()
		if err != nil {
			b.Fatal(err)
		}
		f0 := minorFaults()
		loaded, cs, err := LoadCheckpointSize(f, fi.Size(), "learned")
		faults += minorFaults() - f0
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(cs.Bytes)
		b.ReportMetric(float64(cs.Rows), "rows")
		runtime.KeepAlive(loaded)
	}
	b.ReportMetric(float64(faults)/float64(b.N), "minflt/op")
}
