package funcs

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata expectations from a real PostgreSQL")

// scalarCase is one line of testdata/scalar.txt.
type scalarCase struct {
	line int
	call string // the text before " =>"
	name string
	args []caseArg
	want string
	zone string // session TimeZone ("@zone Name" lines switch it)
}

type caseArg struct {
	typ  types.Type // Unknown for a quoted literal
	lit  string
	null bool
}

var typeByName = map[string]types.Type{
	"text": types.Text, "int2": types.Int2, "int4": types.Int4, "int8": types.Int8,
	"float4": types.Float4, "float8": types.Float8, "numeric": types.Numeric, "bool": types.Bool,
	"bytea": types.Bytea, "date": types.Date, "timestamp": types.Timestamp,
	"timestamptz": types.TimestampTZ, "interval": types.Interval, "varchar": types.Varchar,
	"bpchar": types.BPChar, "uuid": types.UUID,
}

var sqlTypeName = map[types.OID]string{}

func init() {
	for n, t := range typeByName {
		sqlTypeName[t.OID] = n
	}
}

func parseCall(t *testing.T, line int, call string) scalarCase {
	c := scalarCase{line: line, call: call}
	open := strings.IndexByte(call, '(')
	closeIdx := strings.LastIndexByte(call, ')')
	if open < 0 || closeIdx < open {
		t.Fatalf("line %d: bad call %q", line, call)
	}
	c.name = call[:open]
	inner := call[open+1 : closeIdx]
	if inner == "" {
		return c
	}
	for _, a := range strings.Split(inner, "; ") {
		a = strings.ReplaceAll(a, "<NL>", "\n")
		switch {
		case strings.HasPrefix(a, "'") && strings.HasSuffix(a, "'"):
			c.args = append(c.args, caseArg{typ: types.Unknown, lit: a[1 : len(a)-1]})
		case strings.HasPrefix(a, "null:"):
			typ, ok := typeByName[a[5:]]
			if !ok {
				t.Fatalf("line %d: unknown type in %q", line, a)
			}
			c.args = append(c.args, caseArg{typ: typ, null: true})
		default:
			i := strings.IndexByte(a, ':')
			if i < 0 {
				t.Fatalf("line %d: bad argument %q", line, a)
			}
			typ, ok := typeByName[a[:i]]
			if !ok {
				t.Fatalf("line %d: unknown type in %q", line, a)
			}
			c.args = append(c.args, caseArg{typ: typ, lit: a[i+1:]})
		}
	}
	return c
}

func loadCases(t *testing.T, path string) ([]scalarCase, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []scalarCase
	var lines []string
	sc := bufio.NewScanner(f)
	n := 0
	zone := "UTC"
	for sc.Scan() {
		n++
		l := sc.Text()
		lines = append(lines, l)
		if z, ok := strings.CutPrefix(l, "@zone "); ok {
			zone = z
			continue
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.Index(l, " =>")
		if i < 0 {
			t.Fatalf("line %d: missing =>", n)
		}
		c := parseCall(t, n, l[:i])
		c.want = strings.TrimPrefix(l[i+3:], " ")
		c.zone = zone
		cases = append(cases, c)
	}
	return cases, lines
}

// testCtx is the context every case runs with: UTC, fixed clock.
func testCtx() *Context {
	tm := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	return &Context{TxnTime: tm, StmtTime: tm, Loc: time.UTC, Rand: NewRandState(),
		Clock: func() time.Time { return tm }}
}

func caseCtx(c scalarCase) *Context {
	ctx := testCtx()
	if c.zone != "" && c.zone != "UTC" {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			panic(err)
		}
		ctx.Loc = loc
	}
	return ctx
}

// errString renders an error as the testdata does.
func errString(err error) string {
	e := pgerr.FromError(err)
	return fmt.Sprintf("ERROR %s: %s", e.Code, e.Message)
}

// evalCase resolves and evaluates c with this package, returning its text
// output and result type name.
func evalCase(c scalarCase) (string, string) {
	in := make([]types.Type, len(c.args))
	for i, a := range c.args {
		in[i] = a.typ
	}
	f, casts, err := Resolve(c.name, in)
	if err != nil {
		return errString(err), ""
	}
	ctx := caseCtx(c)
	vals := make([]types.Value, len(c.args))
	for i, a := range c.args {
		if a.null {
			continue
		}
		if a.typ == types.Unknown {
			vals[i], err = types.ParseText(casts[i], a.lit, ctx.Loc)
		} else {
			vals[i], err = types.ParseText(a.typ, a.lit, ctx.Loc)
			if err == nil && a.typ.OID != casts[i].OID {
				var cv types.Value
				cv, err = types.Cast(vals[i], a.typ, casts[i], false, ctx.Loc)
				var pe *pgerr.Error
				if errors.As(err, &pe) && pe.Code == pgerr.FeatureNotSupported {
					// Cast not implemented yet: re-read the literal as the target type.
					cv, err = types.ParseText(casts[i], a.lit, ctx.Loc)
				}
				vals[i] = cv
			}
		}
		if err != nil {
			return "bad test argument: " + err.Error(), ""
		}
	}
	v, err := f.Call(ctx, vals)
	if err != nil {
		return errString(err), typeName(f.Ret.OID)
	}
	if f.Ret.OID == types.OIDVoid {
		return "", "void"
	}
	if v.IsNull() {
		return "NULL", typeName(f.Ret.OID)
	}
	return string(types.AppendText(nil, v, f.Ret, ctx.Loc)), typeName(f.Ret.OID)
}

func TestScalar(t *testing.T) {
	cases, _ := loadCases(t, "testdata/scalar.txt")
	for _, c := range cases {
		got, _ := evalCase(c)
		if got != c.want {
			t.Errorf("line %d: %s\n got: %q\nwant: %q", c.line, c.call, got, c.want)
		}
	}
}
