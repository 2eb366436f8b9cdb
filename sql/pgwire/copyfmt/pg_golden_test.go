package copyfmt

import (
	"strconv"
	"strings"
	"testing"
)

// pgCopyValues are the rows of the table the golden outputs below were
// produced from, with PostgreSQL 15.18:
//
//	COPY (SELECT id, v FROM vals ORDER BY id) TO STDOUT WITH (…)
//
// (E'\b\f\v' in PostgreSQL is "\b\fv": \v is not an E-string escape.)
var pgCopyValues = []*string{
	sp("plain"), sp(""), nil, sp("a\tb"), sp("line1\nline2"), sp("cr\rx"), sp(`back\slash`), sp("\x01ctl"),
	sp("\b\fv"), sp(`\.`), sp("a,b"), sp(`say "hi"`), sp("NULL"), sp("é ü"), sp("pipe|x"), sp(`\N`),
	sp("quote's"), sp("tab\there, \"both\"\n"),
}

func sp(s string) *string { return &s }

var pgCopyGolden = []struct {
	name      string
	opts      Options
	oneColumn bool // only v; else id, v (named "id", "my,col" for HEADER)
	want      string
}{
	{"text", Options{}, false, "1\x09plain\x0a2\x09\x0a3\x09\\N\x0a4\x09a\\tb\x0a5\x09line1\\nline2\x0a6\x09cr\\rx\x0a7\x09back\\\\slash\x0a8\x09\x01ctl\x0a9\x09\\b\\fv\x0a10\x09\\\\.\x0a11\x09a,b\x0a12\x09say \"hi\"\x0a13\x09NULL\x0a14\x09\xc3\xa9 \xc3\xbc\x0a15\x09pipe|x\x0a16\x09\\\\N\x0a17\x09quote's\x0a18\x09tab\\there, \"both\"\\n\x0a"},
	{"text pipe null", Options{Delimiter: '|', Null: "NULL"}, false, "1|plain\x0a2|\x0a3|NULL\x0a4|a\\tb\x0a5|line1\\nline2\x0a6|cr\\rx\x0a7|back\\\\slash\x0a8|\x01ctl\x0a9|\\b\\fv\x0a10|\\\\.\x0a11|a,b\x0a12|say \"hi\"\x0a13|NULL\x0a14|\xc3\xa9 \xc3\xbc\x0a15|pipe\\|x\x0a16|\\\\N\x0a17|quote's\x0a18|tab\\there, \"both\"\\n\x0a"},
	{"text header", Options{Header: true}, false, "id\x09my,col\x0a1\x09plain\x0a2\x09\x0a3\x09\\N\x0a4\x09a\\tb\x0a5\x09line1\\nline2\x0a6\x09cr\\rx\x0a7\x09back\\\\slash\x0a8\x09\x01ctl\x0a9\x09\\b\\fv\x0a10\x09\\\\.\x0a11\x09a,b\x0a12\x09say \"hi\"\x0a13\x09NULL\x0a14\x09\xc3\xa9 \xc3\xbc\x0a15\x09pipe|x\x0a16\x09\\\\N\x0a17\x09quote's\x0a18\x09tab\\there, \"both\"\\n\x0a"},
	{"text one column", Options{}, true, "plain\x0a\x0a\\N\x0aa\\tb\x0aline1\\nline2\x0acr\\rx\x0aback\\\\slash\x0a\x01ctl\x0a\\b\\fv\x0a\\\\.\x0aa,b\x0asay \"hi\"\x0aNULL\x0a\xc3\xa9 \xc3\xbc\x0apipe|x\x0a\\\\N\x0aquote's\x0atab\\there, \"both\"\\n\x0a"},
	{"csv", Options{CSV: true}, false, "1,plain\x0a2,\"\"\x0a3,\x0a4,a\x09b\x0a5,\"line1\x0aline2\"\x0a6,\"cr\x0dx\"\x0a7,back\\slash\x0a8,\x01ctl\x0a9,\x08\x0cv\x0a10,\\.\x0a11,\"a,b\"\x0a12,\"say \"\"hi\"\"\"\x0a13,NULL\x0a14,\xc3\xa9 \xc3\xbc\x0a15,pipe|x\x0a16,\\N\x0a17,quote's\x0a18,\"tab\x09here, \"\"both\"\"\x0a\"\x0a"},
	{"csv header", Options{CSV: true, Header: true}, false, "id,\"my,col\"\x0a1,plain\x0a2,\"\"\x0a3,\x0a4,a\x09b\x0a5,\"line1\x0aline2\"\x0a6,\"cr\x0dx\"\x0a7,back\\slash\x0a8,\x01ctl\x0a9,\x08\x0cv\x0a10,\\.\x0a11,\"a,b\"\x0a12,\"say \"\"hi\"\"\"\x0a13,NULL\x0a14,\xc3\xa9 \xc3\xbc\x0a15,pipe|x\x0a16,\\N\x0a17,quote's\x0a18,\"tab\x09here, \"\"both\"\"\x0a\"\x0a"},
	{"csv quote escape null delimiter", Options{CSV: true, Quote: '\'', Escape: '\\', Null: "NULL", Delimiter: '|'}, false, "1|plain\x0a2|\x0a3|NULL\x0a4|a\x09b\x0a5|'line1\x0aline2'\x0a6|'cr\x0dx'\x0a7|back\\slash\x0a8|\x01ctl\x0a9|\x08\x0cv\x0a10|\\.\x0a11|a,b\x0a12|say \"hi\"\x0a13|'NULL'\x0a14|\xc3\xa9 \xc3\xbc\x0a15|'pipe|x'\x0a16|\\N\x0a17|'quote\\'s'\x0a18|'tab\x09here, \"both\"\x0a'\x0a"},
	{"csv one column", Options{CSV: true}, true, "plain\x0a\"\"\x0a\x0aa\x09b\x0a\"line1\x0aline2\"\x0a\"cr\x0dx\"\x0aback\\slash\x0a\x01ctl\x0a\x08\x0cv\x0a\"\\.\"\x0a\"a,b\"\x0a\"say \"\"hi\"\"\"\x0aNULL\x0a\xc3\xa9 \xc3\xbc\x0apipe|x\x0a\\N\x0aquote's\x0a\"tab\x09here, \"\"both\"\"\x0a\"\x0a"},
	{"csv tab", Options{CSV: true, Delimiter: '\t'}, false, "1\x09plain\x0a2\x09\"\"\x0a3\x09\x0a4\x09\"a\x09b\"\x0a5\x09\"line1\x0aline2\"\x0a6\x09\"cr\x0dx\"\x0a7\x09back\\slash\x0a8\x09\x01ctl\x0a9\x09\x08\x0cv\x0a10\x09\\.\x0a11\x09a,b\x0a12\x09\"say \"\"hi\"\"\"\x0a13\x09NULL\x0a14\x09\xc3\xa9 \xc3\xbc\x0a15\x09pipe|x\x0a16\x09\\N\x0a17\x09quote's\x0a18\x09\"tab\x09here, \"\"both\"\"\x0a\"\x0a"},
}

// TestEncodeMatchesPostgres checks COPY TO output byte for byte against
// PostgreSQL's for the same values and options.
func TestEncodeMatchesPostgres(t *testing.T) {
	for _, tc := range pgCopyGolden {
		ncols := 2
		if tc.oneColumn {
			ncols = 1
		}
		e := NewEncoder(tc.opts, ncols)
		var out []byte
		if tc.opts.Header {
			out = e.AppendHeader(out, []string{"id", "my,col"})
		}
		for i, v := range pgCopyValues {
			var fields [][]byte
			if !tc.oneColumn {
				fields = append(fields, []byte(strconv.Itoa(i+1)))
			}
			if v == nil {
				fields = append(fields, nil)
			} else {
				fields = append(fields, []byte(*v))
			}
			out = e.AppendFields(out, fields)
		}
		if string(out) != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, out, tc.want)
		}
		// And PostgreSQL's output decodes back to the values.
		names := []string{"id", "v"}
		if tc.oneColumn {
			names = names[1:]
		}
		rows, err := decodeAll(t, tc.opts, names, tc.want, 3)
		if err != nil || len(rows) != len(pgCopyValues) {
			t.Fatalf("%s: decoding PostgreSQL's output: %d rows, %v", tc.name, len(rows), err)
		}
		for i, v := range pgCopyValues {
			want := "<NULL>"
			// Text format cannot tell a value spelled like the NULL marker
			// (here "NULL" with NULL 'NULL') from NULL; PostgreSQL reads it
			// back as NULL too.
			nul := tc.opts.WithDefaults().Null
			if v != nil && (tc.opts.CSV || *v != nul || strings.Contains(nul, `\`)) {
				want = *v
			}
			if !tc.oneColumn {
				want = strconv.Itoa(i+1) + "|" + want
			}
			if rows[i] != want {
				t.Errorf("%s row %d: decoded %q want %q", tc.name, i+1, rows[i], want)
			}
		}
	}
}
