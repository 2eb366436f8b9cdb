package dbgen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/omendb/omendb/bench/tpch/refdata"
)

// sharedDir locates the reference data (package refdata); a missing
// directory fails the test: the reference data is required.
func sharedDir(t testing.TB) string {
	t.Helper()
	d, err := refdata.Dir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type refEntry struct {
	md5   string
	lines int64
}

// readRef parses a dbgen-2.14-sfX.md5 file: "md5  name.tbl" lines, then
// "wc -l" lines "count name.tbl".
func readRef(t testing.TB, path string) map[Table]refEntry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reference file: %v", err)
	}
	ref := map[Table]refEntry{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || !strings.HasSuffix(f[1], ".tbl") {
			continue
		}
		tbl, err := ParseTable(strings.TrimSuffix(f[1], ".tbl"))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		e := ref[tbl]
		if len(f[0]) == 32 {
			e.md5 = f[0]
		} else if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			e.lines = n
		}
		ref[tbl] = e
	}
	for _, tbl := range AllTables {
		if e := ref[tbl]; e.md5 == "" || e.lines == 0 {
			t.Fatalf("%s: no md5 or line count for %s", path, tbl)
		}
	}
	return ref
}

// sumText generates table tbl in parts, GOMAXPROCS parts at a time, and
// returns the md5, line count and size of the parts concatenated in order.
func sumText(t testing.TB, tbl Table, sf float64, parts int) (string, int64, int64) {
	t.Helper()
	h := md5.New()
	var lines, size int64
	par := runtime.GOMAXPROCS(0)
	for first := 0; first < parts; first += par {
		n := min(par, parts-first)
		out := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i], errs[i] = AppendText(nil, tbl, sf, first+i, parts)
			}()
		}
		wg.Wait()
		for i, b := range out {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			h.Write(b)
			lines += int64(bytes.Count(b, []byte{'\n'}))
			size += int64(len(b))
		}
	}
	return hex.EncodeToString(h.Sum(nil)), lines, size
}

// firstDiff reports the first line where got differs from the gzipped
// reference file, for debugging.
func firstDiff(t testing.TB, ref string, got []byte) string {
	f, err := os.Open(ref)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return err.Error()
	}
	sc := bufio.NewScanner(z)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	gl := bytes.Split(got, []byte{'\n'})
	for i := 0; sc.Scan(); i++ {
		if i >= len(gl) || !bytes.Equal(gl[i], sc.Bytes()) {
			var g []byte
			if i < len(gl) {
				g = gl[i]
			}
			return fmt.Sprintf("line %d:\n want %s\n got  %s", i+1, sc.Text(), g)
		}
	}
	return "reference ends early"
}

func checkSF(t *testing.T, sf float64, refName string, parts int) {
	dir := sharedDir(t)
	ref := readRef(t, filepath.Join(dir, refName))
	for _, tbl := range AllTables {
		t.Run(tbl.String(), func(t *testing.T) {
			sum, lines, _ := sumText(t, tbl, sf, parts)
			want := ref[tbl]
			if lines != want.lines {
				t.Errorf("%s: %d lines, dbgen wrote %d", tbl, lines, want.lines)
			}
			if sum != want.md5 {
				msg := ""
				if sf == 0.01 {
					b, _ := AppendText(nil, tbl, sf, 0, 1)
					msg = firstDiff(t, filepath.Join(dir, "dbgen-sf0.01", tbl.String()+".tbl.gz"), b)
				}
				t.Errorf("%s: md5 %s, dbgen's is %s %s", tbl, sum, want.md5, msg)
			}
		})
	}
}

// TestSF001 checks all eight tables at SF 0.01 against dbgen 2.14's md5 sums
// and line counts.
func TestSF001(t *testing.T) { checkSF(t, 0.01, "dbgen-2.14-sf001.md5", 1) }

// TestChunksConcatenate checks that generating a table in parts (as dbgen's
// -C/-S children do) and concatenating gives the same bytes as one pass.
func TestChunksConcatenate(t *testing.T) {
	for _, tbl := range AllTables {
		whole, err := AppendText(nil, tbl, 0.01, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, parts := range []int{2, 3, 7} {
			var got []byte
			for p := range parts {
				got, err = AppendText(got, tbl, 0.01, p, parts)
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, whole) {
				t.Errorf("%s in %d parts differs from one pass", tbl, parts)
			}
		}
	}
}

// TestSF01 checks SF 0.1 (about 100 MB of text, a few seconds), generated
// in 4 parts to exercise chunking at scale.
func TestSF01(t *testing.T) { checkSF(t, 0.1, "dbgen-2.14-sf01.md5", 4) }

// TestSF1 checks SF 1 (about 1 GB of text, 16 parts); it runs only with
// OMENDB_VERIFY=1 (the verify target):
//
//	OMENDB_VERIFY=1 go test -run TestSF1 -timeout 20m ./bench/tpch/dbgen
func TestSF1(t *testing.T) {
	if os.Getenv("OMENDB_VERIFY") == "" {
		t.Skip("set OMENDB_VERIFY=1 to check SF 1 against dbgen's md5 sums")
	}
	checkSF(t, 1, "dbgen-2.14-sf1.md5", 16)
}
