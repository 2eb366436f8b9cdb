package copyfmt

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/omendb/omendb/pgerr"
)

// decodeAll decodes input fed in chunks of size chunk (0: one chunk) and
// renders rows as strings: fields joined by "|", NULL as "<NULL>".
func decodeAll(t testing.TB, opts Options, cols []string, input string, chunk int) ([]string, error) {
	d := NewDecoder(opts, cols)
	var rows []string
	emit := func(f [][]byte) error {
		parts := make([]string, len(f))
		for i, x := range f {
			if x == nil {
				parts[i] = "<NULL>"
			} else {
				parts[i] = string(x)
			}
		}
		rows = append(rows, strings.Join(parts, "|"))
		return nil
	}
	b := []byte(input)
	if chunk <= 0 {
		chunk = len(b) + 1
	}
	for len(b) > 0 {
		n := min(chunk, len(b))
		// Feed a private copy and clobber it afterwards: the decoder must
		// not keep references into a chunk after Write returns.
		c := append([]byte(nil), b[:n]...)
		if err := d.Write(c, emit); err != nil {
			return rows, err
		}
		for i := range c {
			c[i] = '#'
		}
		b = b[n:]
	}
	return rows, d.Finish(emit)
}

func cols(n int) []string {
	c := make([]string, n)
	for i := range c {
		c[i] = fmt.Sprintf("c%d", i+1)
	}
	return c
}

func TestDecodeText(t *testing.T) {
	cases := []struct {
		name  string
		opts  Options
		ncols int
		in    string
		want  []string
	}{
		{"plain", Options{}, 3, "1\tabc\t\\N\n2\t\tx\n", []string{"1|abc|<NULL>", "2||x"}},
		{"escapes", Options{}, 1, `a\tb\nc\\d\be\ff\rg\vh` + "\n", []string{"a\tb\nc\\d\be\ff\rg\vh"}},
		{"octal and hex", Options{}, 1, `\101\0610\x41\x4g\xZ\7` + "\n", []string{"A10A\x04gxZ\x07"}},
		{"escaped delimiter and other", Options{}, 2, "a\\\tb\t\\q\\\\.x\n", []string{"a\tb|q\\.x"}},
		{"end marker after data", Options{}, 2, "1\ta\n2\tb\\.\n3\tc\n", []string{"1|a", "2|b"}},
		{"backslash newline is data", Options{}, 1, "a\\\nb\n", []string{"a\nb"}},
		{"crlf", Options{}, 2, "1\ta\r\n2\tb\r\n", []string{"1|a", "2|b"}},
		{"no final newline", Options{}, 2, "1\ta\n2\tb", []string{"1|a", "2|b"}},
		{"end marker", Options{}, 1, "x\n\\.\ngarbage\tmore\n", []string{"x"}},
		{"end marker crlf", Options{}, 1, "x\r\n\\.\r\n", []string{"x"}},
		{"header", Options{Header: true}, 1, "name\nv\n", []string{"v"}},
		{"delimiter and null", Options{Delimiter: '|', Null: "NULL"}, 3, "1|NULL|\\N\n", []string{"1|<NULL>|N"}},
		{"null compares raw text", Options{}, 1, "\\\\N\n", []string{"\\N"}},
		{"empty null", Options{Null: "", NullSet: true}, 2, "\t\\N\n", []string{"<NULL>|N"}},
		{"trailing delimiter", Options{Delimiter: '|', TrailingDelimiter: true}, 3, "1|a|b|\n2|c||\n", []string{"1|a|b", "2|c|"}},
		{"empty field not null", Options{}, 2, "\t\n", []string{"|"}},
		{"one column empty line", Options{}, 1, "\n", []string{""}},
	}
	for _, tc := range cases {
		for _, chunk := range []int{0, 1, 2, 3, 7} {
			got, err := decodeAll(t, tc.opts, cols(tc.ncols), tc.in, chunk)
			if err != nil {
				t.Fatalf("%s (chunk %d): %v", tc.name, chunk, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("%s (chunk %d): got %q want %q", tc.name, chunk, got, tc.want)
			}
		}
	}
}

func TestDecodeCSV(t *testing.T) {
	cases := []struct {
		name  string
		opts  Options
		ncols int
		in    string
		want  []string
	}{
		{"plain", Options{CSV: true}, 3, "1,abc,\n2,,x\n", []string{"1|abc|<NULL>", "2|<NULL>|x"}},
		{"quoted", Options{CSV: true}, 3, `"a,b","say ""hi""",""` + "\n", []string{`a,b|say "hi"|`}},
		{"quoted newline", Options{CSV: true}, 2, "\"line1\nline2\",x\r\ny,\"\r\n\"\n", []string{"line1\nline2|x", "y|\r\n"}},
		{"mid-field quotes", Options{CSV: true}, 1, `ab"c,d"e` + "\n", []string{"abc,de"}},
		{"escape", Options{CSV: true, Escape: '\\'}, 2, `"a\"b\\c\d",2` + "\n", []string{`a"b\c\d|2`}},
		{"escape at chunk end", Options{CSV: true, Escape: '\\'}, 1, "\"x\\\"\ny\"\n", []string{"x\"\ny"}},
		{"null string", Options{CSV: true, Null: "NA"}, 3, "NA,\"NA\",\n", []string{"<NULL>|NA|"}},
		{"header", Options{CSV: true, Header: true}, 2, "a,b\n1,2\n", []string{"1|2"}},
		{"delimiter", Options{CSV: true, Delimiter: ';'}, 2, "1;\"a;b\"\n", []string{"1|a;b"}},
		{"quote char", Options{CSV: true, Quote: '\''}, 2, "'a,b',''''\n", []string{"a,b|'"}},
		{"end marker", Options{CSV: true}, 1, "x\n\\.\nmore\n", []string{"x"}},
		{"quoted end marker is data", Options{CSV: true}, 1, "\"\\.\"\n", []string{`\.`}},
		{"trailing delimiter", Options{CSV: true, Delimiter: '|', TrailingDelimiter: true}, 2, "1|x|\n", []string{"1|x"}},
		{"crlf", Options{CSV: true}, 2, "1,a\r\n2,b\r\n", []string{"1|a", "2|b"}},
	}
	for _, tc := range cases {
		for _, chunk := range []int{0, 1, 2, 5} {
			got, err := decodeAll(t, tc.opts, cols(tc.ncols), tc.in, chunk)
			if err != nil {
				t.Fatalf("%s (chunk %d): %v", tc.name, chunk, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("%s (chunk %d): got %q want %q", tc.name, chunk, got, tc.want)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		opts  Options
		ncols int
		in    string
		msg   string
		line  string
	}{
		{Options{}, 2, "1\t2\n3\n", `missing data for column "c2"`, "COPY line 2"},
		{Options{}, 2, "1\t2\n3\t4\n5\t6\t7\n", "extra data after last expected column", "COPY line 3"},
		{Options{CSV: true}, 1, "a\n\"unterminated\n", "unterminated CSV quoted field", "COPY line 2"},
		{Options{}, 2, "1\t2\na\\qb\t\\.x\n", "end-of-copy marker corrupt", "COPY line 2"},
		{Options{CSV: true, Header: true}, 2, "h1,h2\n1\n", `missing data for column "c2"`, "COPY line 2"},
	}
	for _, tc := range cases {
		_, err := decodeAll(t, tc.opts, cols(tc.ncols), tc.in, 0)
		e, ok := err.(*pgerr.Error)
		if !ok || e.Code != pgerr.BadCopyFileFormat || e.Message != tc.msg || e.Detail != tc.line {
			t.Fatalf("%q: got %#v, want 22P04 %q %q", tc.in, err, tc.msg, tc.line)
		}
	}
}

func TestEncodeExact(t *testing.T) {
	// Expected bytes are PostgreSQL 16's COPY TO output for the same values.
	fields := [][]byte{[]byte("a\tb\\c\nd\re\bf\fg\vh"), nil, []byte("x\x01y"), []byte(""), []byte(`\.`)}
	text := string(NewEncoder(Options{}, 5).AppendFields(nil, fields))
	if want := "a\\tb\\\\c\\nd\\re\\bf\\fg\\vh\t\\N\tx\x01y\t\t\\\\.\n"; text != want {
		t.Fatalf("text: got %q want %q", text, want)
	}
	pipe := string(NewEncoder(Options{Delimiter: '|', Null: ""}, 2).AppendFields(nil, [][]byte{[]byte("a|b"), nil}))
	if want := "a\\|b|\\N\n"; pipe != want { // Null "" means the default \N
		t.Fatalf("pipe: got %q want %q", pipe, want)
	}
	ctl := string(NewEncoder(Options{Delimiter: '\x01'}, 2).AppendFields(nil, [][]byte{[]byte("a\x01b"), []byte("c")}))
	if want := "a\\\x01b\x01c\n"; ctl != want {
		t.Fatalf("control delimiter: got %q want %q", ctl, want)
	}
	csv := string(NewEncoder(Options{CSV: true}, 6).AppendFields(nil, [][]byte{
		[]byte("plain"), []byte("a,b"), []byte(`say "hi"`), []byte(""), nil, []byte("l1\nl2\r"),
	}))
	if want := "plain,\"a,b\",\"say \"\"hi\"\"\",\"\",,\"l1\nl2\r\"\n"; csv != want {
		t.Fatalf("csv: got %q want %q", csv, want)
	}
	one := string(NewEncoder(Options{CSV: true}, 1).AppendFields(nil, [][]byte{[]byte(`\.`)}))
	if want := "\"\\.\"\n"; one != want {
		t.Fatalf("csv lone end marker: got %q want %q", one, want)
	}
	esc := string(NewEncoder(Options{CSV: true, Escape: '\\', Null: "NULL"}, 3).AppendFields(nil, [][]byte{
		[]byte(`a"b\c`), []byte(`back\slash`), []byte("NULL"),
	}))
	if want := `"a\"b\\c",back\slash,"NULL"` + "\n"; esc != want {
		t.Fatalf("csv escape: got %q want %q", esc, want)
	}
	hdr := string(NewEncoder(Options{CSV: true}, 2).AppendHeader(nil, []string{"id", "a,b"}))
	if want := "id,\"a,b\"\n"; hdr != want {
		t.Fatalf("csv header: got %q want %q", hdr, want)
	}
}

// TestRoundTrip encodes random rows and decodes them back, in every format,
// split into random chunks.
func TestRoundTrip(t *testing.T) {
	seed := rand.Int63()
	rng := rand.New(rand.NewSource(seed))
	alphabet := []byte("ab,|\t\n\r\\\".'N\x01 é")
	optsList := []Options{
		{}, {Delimiter: '|'}, {CSV: true}, {CSV: true, Delimiter: '|', Null: "NULL"},
		{CSV: true, Escape: '\\'}, {CSV: true, Quote: '\''}, {Header: true}, {CSV: true, Header: true},
	}
	for _, opts := range optsList {
		for iter := 0; iter < 200; iter++ {
			ncols := 1 + rng.Intn(4)
			enc := NewEncoder(opts, ncols)
			var in []byte
			if opts.Header {
				in = enc.AppendHeader(in, cols(ncols))
			}
			var want []string
			for r := 0; r < 1+rng.Intn(5); r++ {
				row := make([][]byte, ncols)
				parts := make([]string, ncols)
				for i := range row {
					if rng.Intn(6) == 0 {
						parts[i] = "<NULL>"
						continue
					}
					f := []byte{}
					for n := rng.Intn(6); n > 0; n-- {
						f = append(f, alphabet[rng.Intn(len(alphabet))])
					}
					row[i] = f
					parts[i] = string(f)
				}
				want = append(want, strings.Join(parts, "|"))
				in = enc.AppendFields(in, row)
			}
			got, err := decodeAll(t, opts, cols(ncols), string(in), 1+rng.Intn(8))
			if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("seed %d opts %+v input %q: got %q, %v; want %q", seed, opts, in, got, err, want)
			}
		}
	}
}

func TestBinaryDecode(t *testing.T) {
	var in []byte
	in = AppendBinaryHeader(in)
	tuple := func(fields ...[]byte) {
		in = append(in, 0, byte(len(fields)))
		for _, f := range fields {
			if f == nil {
				in = append(in, 0xff, 0xff, 0xff, 0xff)
				continue
			}
			in = append(in, 0, 0, 0, byte(len(f)))
			in = append(in, f...)
		}
	}
	tuple([]byte{0, 0, 0, 7}, []byte("seven"))
	tuple(nil, []byte{})
	in = AppendBinaryTrailer(in)
	for chunk := 0; chunk < 6; chunk++ {
		got, err := decodeAll(t, Options{Binary: true}, cols(2), string(in), chunk)
		if err != nil || fmt.Sprint(got) != fmt.Sprint([]string{"\x00\x00\x00\x07|seven", "<NULL>|"}) {
			t.Fatalf("chunk %d: %q %v", chunk, got, err)
		}
	}
	if _, err := decodeAll(t, Options{Binary: true}, cols(2), string(in[:len(in)-5]), 0); pgerr.Code(err) != pgerr.BadCopyFileFormat {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := decodeAll(t, Options{Binary: true}, cols(3), string(in), 0); err == nil || !strings.Contains(err.Error(), "row field count is 2, expected 3") {
		t.Fatalf("field count: %v", err)
	}
	if _, err := decodeAll(t, Options{Binary: true}, cols(1), "PGCOPX\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00", 0); err == nil {
		t.Fatal("bad signature accepted")
	}
}

// TestDecodeNoAllocs checks the steady state of COPY FROM allocates nothing
// per row.
func TestDecodeNoAllocs(t *testing.T) {
	line := []byte("12345\tsome text\t\\N\t3.25\tescaped\\tvalue\n")
	chunk := bytes.Repeat(line, 100)
	d := NewDecoder(Options{}, cols(5))
	emit := func([][]byte) error { return nil }
	_ = d.Write(chunk, emit)
	allocs := testing.AllocsPerRun(50, func() {
		if err := d.Write(chunk[:len(chunk)-7], emit); err != nil {
			t.Fatal(err)
		}
		if err := d.Write(chunk[len(chunk)-7:], emit); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("%.1f allocations per 100 rows", allocs)
	}
}

func BenchmarkDecodeText(b *testing.B) {
	line := []byte("12345\tsome text value\t\\N\t3.25\t2024-01-01\n")
	chunk := bytes.Repeat(line, 1000)
	d := NewDecoder(Options{}, cols(5))
	emit := func([][]byte) error { return nil }
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Write(chunk, emit); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeCSV(b *testing.B) {
	line := []byte("12345,some text value,,3.25,\"quoted, with comma\"\n")
	chunk := bytes.Repeat(line, 1000)
	d := NewDecoder(Options{CSV: true}, cols(5))
	emit := func([][]byte) error { return nil }
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Write(chunk, emit); err != nil {
			b.Fatal(err)
		}
	}
}
