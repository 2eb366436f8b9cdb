package copyfmt

import (
	"fmt"
	"testing"
)

// FuzzDecoder decodes arbitrary input with options chosen by the fuzzer and
// checks that feeding it in one chunk or in small chunks gives the same
// rows and the same error: chunk boundaries must never matter.
func FuzzDecoder(f *testing.F) {
	seeds := []string{
		"1\tabc\t\\N\n2\t\tx\n",
		"a\\tb\\nc\\\\d\\101\\x41\n\\.\n",
		"\"a,b\",\"say \"\"hi\"\"\",\n\"line1\nline2\",x\r\n",
		"1|a|b|\n2|c||\n",
		"\"unterminated\n",
		"PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x01a\xff\xff\xff\xff\xff\xff",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i), uint8(3), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode, chunk, ncols uint8) {
		opts := Options{
			CSV:               mode&1 != 0,
			Header:            mode&2 != 0,
			TrailingDelimiter: mode&4 != 0,
			Binary:            mode&32 != 0 && mode&3 == 0,
		}
		if mode&8 != 0 {
			opts.Delimiter = '|'
		}
		if mode&16 != 0 && opts.CSV {
			opts.Escape = '\\'
		}
		n := int(ncols % 5)
		whole, errWhole := decodeAll(t, opts, cols(n), string(data), 0)
		split, errSplit := decodeAll(t, opts, cols(n), string(data), 1+int(chunk%7))
		if fmt.Sprint(whole) != fmt.Sprint(split) || fmt.Sprint(errWhole) != fmt.Sprint(errSplit) {
			t.Fatalf("opts %+v: whole %q %v, split %q %v", opts, whole, errWhole, split, errSplit)
		}
	})
}
