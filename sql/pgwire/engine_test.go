package pgwire

import (
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// testEngine is a small but honest Engine for this package's tests. Its
// "SQL" (statements separated by ';', case-insensitive):
//
//	select N                 one int4 row
//	select $1, $2 …          echoes its parameters (declared types, else text)
//	select "a", "b" from "t" describes table t (a int4, b text); no rows
//	rows N                   N rows (i int8, s text)
//	ts                       one timestamptz row: the epoch
//	error CODE               fails at Execute with that SQLSTATE (with detail, hint)
//	fatal                    fails with severity FATAL
//	syntax …                 Prepare fails: 42601 at position 1
//	describefail             Describe fails with 42P01
//	block                    blocks until Session.Cancel (then 57014)
//	panic                    panics in Execute
//	insert                   "INSERT 0 1"
//	set NAME VALUE           changes a parameter (ParameterStatus)
//	begin / commit           transaction status
//	copy t from stdin …      COPY FROM into t (a, b) collecting rows; options:
//	                         csv, header, binary, trailing, delimiter 'x', null 'x'
//	copy t to stdout …       COPY TO of engine.out (a int4, b text)
type testEngine struct {
	mu       sync.Mutex
	copied   []string // rows received by COPY FROM, fields joined by "|", NULL as <NULL>
	aborts   int
	out      [][]types.Value
	inserts  atomic.Int64
	sessions atomic.Int64  // open sessions
	started  chan struct{} // a "block" statement signals here when it starts
	// safe turns "block" and "panic" into immediate errors (fuzzing).
	safe bool
}

func newTestEngine() *testEngine {
	return &testEngine{started: make(chan struct{}, 16)}
}

func (e *testEngine) NewSession(ctx context.Context, params map[string]string) (Session, error) {
	if params["database"] == "nodb" {
		return nil, pgerr.New("3D000", "database %q does not exist", "nodb")
	}
	e.sessions.Add(1)
	return &testSession{eng: e, tx: 'I', params: map[string]string{
		"server_version":              "16.0 (OmenDB test)",
		"server_encoding":             "UTF8",
		"client_encoding":             "UTF8",
		"DateStyle":                   "ISO, MDY",
		"integer_datetimes":           "on",
		"standard_conforming_strings": "on",
		"TimeZone":                    "UTC",
		"application_name":            params["application_name"],
	}}, nil
}

func (e *testEngine) setOut(rows [][]types.Value) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.out = rows
}

func (e *testEngine) resetCopied() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.copied = nil
}

func (e *testEngine) abortCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.aborts
}

func (e *testEngine) copiedRows() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.copied...)
}

type testSession struct {
	eng    *testEngine
	tx     byte
	params map[string]string

	mu      sync.Mutex
	running chan struct{} // closed by Cancel
	closed  bool
}

func (s *testSession) Prepare(ctx context.Context, sql string, paramTypes []types.OID) ([]Statement, error) {
	var out []Statement
	for _, part := range strings.Split(sql, ";") {
		part = strings.TrimSpace(part)
		if part == "" || strings.HasPrefix(part, "--") {
			continue
		}
		if strings.HasPrefix(strings.ToLower(part), "syntax") {
			return nil, pgerr.New(pgerr.SyntaxError, "syntax error at or near %q", part).WithPosition(1)
		}
		out = append(out, &testStmt{s: s, sql: part, lower: strings.ToLower(part), declared: paramTypes})
	}
	return out, nil
}

func (s *testSession) TxStatus() byte { return s.tx }

// Params returns the session's own map, as engine.go recommends.
func (s *testSession) Params() map[string]string { return s.params }

func (s *testSession) Cancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running != nil {
		close(s.running)
		s.running = nil
	}
}

func (s *testSession) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.eng.sessions.Add(-1)
	}
}

type testStmt struct {
	s        *testSession
	sql      string
	lower    string
	declared []types.OID
}

func (t *testStmt) SQL() string { return t.sql }

var (
	paramRE   = regexp.MustCompile(`\$(\d+)`)
	quotedRE  = regexp.MustCompile(`"([^"]+)"`)
	delimRE   = regexp.MustCompile(`delimiter '(.)'`)
	nullRE    = regexp.MustCompile(`null '([^']*)'`)
	tableCols = []Column{
		{Name: "a", Type: types.Int4, TableOID: 16384, AttNum: 1},
		{Name: "b", Type: types.Text, TableOID: 16384, AttNum: 2},
	}
)

func (t *testStmt) Describe(ctx context.Context) ([]types.Type, []Column, error) {
	l := t.lower
	switch {
	case strings.HasPrefix(l, "describefail"):
		return nil, nil, pgerr.New(pgerr.UndefinedTable, `relation "nope" does not exist`)
	case strings.HasPrefix(l, "select") && strings.Contains(l, " from "):
		var cols []Column
		for _, m := range quotedRE.FindAllStringSubmatch(t.sql, -1) {
			for _, c := range tableCols {
				if c.Name == m[1] {
					cols = append(cols, c)
				}
			}
		}
		return nil, cols, nil
	case strings.HasPrefix(l, "select"):
		n := 0
		for _, m := range paramRE.FindAllStringSubmatch(l, -1) {
			k, _ := strconv.Atoi(m[1])
			n = max(n, k)
		}
		if n == 0 {
			return nil, []Column{{Name: "?column?", Type: types.Int4}}, nil
		}
		params := make([]types.Type, n)
		cols := make([]Column, n)
		for i := range params {
			params[i] = types.Text
			if i < len(t.declared) && t.declared[i] != 0 {
				params[i] = types.Type{OID: t.declared[i], Mod: -1}
			}
			cols[i] = Column{Name: fmt.Sprintf("p%d", i+1), Type: params[i]}
		}
		return params, cols, nil
	case strings.HasPrefix(l, "rows"):
		return nil, []Column{{Name: "i", Type: types.Int8}, {Name: "s", Type: types.Text}}, nil
	case l == "ts":
		return nil, []Column{{Name: "ts", Type: types.TimestampTZ}}, nil
	}
	return nil, nil, nil
}

func (t *testStmt) Execute(ctx context.Context, params []types.Value) (Result, error) {
	s, l := t.s, t.lower
	f := append(strings.Fields(l), "", "") // f[1] always exists
	_, cols, err := t.Describe(ctx)
	if err != nil {
		return nil, err
	}
	r := &testResult{cols: cols}
	switch {
	case f[0] == "select" && strings.Contains(l, " from "):
		r.tag = "SELECT 0"
	case f[0] == "select" && len(params) > 0:
		r.rows = [][]types.Value{params}
		r.tag = "SELECT 1"
	case f[0] == "select":
		n, err := strconv.ParseInt(f[1], 10, 32)
		if err != nil {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", f[1])
		}
		r.rows = [][]types.Value{{types.NewInt(n)}}
		r.tag = "SELECT 1"
	case f[0] == "rows":
		n, _ := strconv.Atoi(f[1])
		if n > 100000 {
			return nil, pgerr.New(pgerr.ProgramLimitExceeded, "test engine: too many rows")
		}
		for i := 0; i < n; i++ {
			r.rows = append(r.rows, []types.Value{types.NewInt(int64(i)), types.NewText(fmt.Sprintf("row %d", i))})
		}
		r.tag = fmt.Sprintf("SELECT %d", n)
	case f[0] == "ts":
		r.rows = [][]types.Value{{types.NewTimestampTZ(0)}}
		r.tag = "SELECT 1"
	case f[0] == "error" && len(f[1]) == 5:
		return nil, pgerr.New(f[1], "test error %s", f[1]).WithDetail("some detail").WithHint("some hint")
	case f[0] == "fatal":
		e := pgerr.New(pgerr.AdminShutdown, "fatal test error")
		e.Severity = "FATAL"
		return nil, e
	case f[0] == "panic" && !s.eng.safe:
		panic("test panic")
	case f[0] == "block" && !s.eng.safe:
		ch := make(chan struct{})
		s.mu.Lock()
		s.running = ch
		s.mu.Unlock()
		s.eng.started <- struct{}{}
		select {
		case <-ch:
		case <-ctx.Done():
		}
		s.mu.Lock()
		s.running = nil
		s.mu.Unlock()
		return nil, pgerr.New(pgerr.QueryCanceled, "canceling statement due to user request")
	case f[0] == "insert":
		s.eng.inserts.Add(1)
		r.tag = "INSERT 0 1"
	case f[0] == "set" && len(strings.Fields(t.sql)) == 3:
		name := strings.Fields(t.sql)[1]
		if strings.EqualFold(name, "timezone") {
			name = "TimeZone"
		}
		// Session.Params: a returned map is never modified; copy on write.
		m := make(map[string]string, len(s.params)+1)
		for k, v := range s.params {
			m[k] = v
		}
		m[name] = strings.Fields(t.sql)[2]
		s.params = m
		r.tag = "SET"
	case f[0] == "begin":
		s.tx, r.tag = 'T', "BEGIN"
	case f[0] == "commit":
		s.tx, r.tag = 'I', "COMMIT"
	case f[0] == "copy":
		r.copy = t.copyDriver(l)
		if !r.copy.in {
			s.eng.mu.Lock()
			r.rows = s.eng.out
			s.eng.mu.Unlock()
		}
	default:
		return nil, pgerr.NotSupported("test engine does not know %q", t.sql)
	}
	return r, nil
}

func (t *testStmt) copyDriver(l string) *testCopy {
	has := func(w string) bool {
		for _, x := range strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '(' || r == ')' || r == ',' || r == ';' }) {
			if x == w {
				return true
			}
		}
		return false
	}
	o := CopyOptions{
		CSV:               has("csv"),
		Header:            has("header"),
		Binary:            has("binary"),
		TrailingDelimiter: has("trailing"),
		Columns:           tableCols,
	}
	if m := delimRE.FindStringSubmatch(t.sql); m != nil {
		o.Delimiter = m[1][0]
	}
	if m := nullRE.FindStringSubmatch(t.sql); m != nil {
		o.Null = m[1]
	} else if !o.CSV {
		o.Null = `\N` // the engine fills PostgreSQL's default
	}
	return &testCopy{eng: t.s.eng, in: strings.Contains(l, "from stdin"), opts: o, countOnly: has("count")}
}

type testResult struct {
	cols   []Column
	rows   [][]types.Value
	i      int
	tag    string
	copy   *testCopy
	buf    []types.Value
	closed bool
}

func (r *testResult) Columns() []Column { return r.cols }

func (r *testResult) Next(ctx context.Context) ([]types.Value, error) {
	if r.closed {
		return nil, fmt.Errorf("Next after Close")
	}
	if r.i >= len(r.rows) {
		return nil, nil
	}
	// Reuse one slice, as the interface allows.
	r.buf = append(r.buf[:0], r.rows[r.i]...)
	r.i++
	return r.buf, nil
}

func (r *testResult) Tag() string {
	if r.copy != nil {
		if r.copy.in {
			return r.copy.tag
		}
		return fmt.Sprintf("COPY %d", len(r.rows))
	}
	return r.tag
}

func (r *testResult) Copy() Copy {
	if r.copy == nil {
		return nil
	}
	return r.copy
}

func (r *testResult) Close() error { r.closed = true; return nil }

type testCopy struct {
	eng       *testEngine
	countOnly bool // Row only counts (benchmarks)
	n         int
	in        bool
	opts      CopyOptions
	rows      []string
	tag       string
}

func (c *testCopy) In() bool             { return c.in }
func (c *testCopy) Options() CopyOptions { return c.opts }
func (c *testCopy) Row(ctx context.Context, fields [][]byte) error {
	if c.countOnly {
		c.n++
		return nil
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		switch {
		case f == nil:
			parts[i] = "<NULL>"
		case c.opts.Binary && c.opts.Columns[i].Type.OID == types.OIDInt4:
			if len(f) != 4 {
				return pgerr.New(pgerr.InvalidBinaryRepresentation, "incorrect binary data format")
			}
			parts[i] = strconv.Itoa(int(int32(binary.BigEndian.Uint32(f))))
		default:
			if string(f) == "bad" {
				return pgerr.New(pgerr.InvalidTextRepresentation, `invalid input syntax for type integer: "bad"`)
			}
			parts[i] = string(f)
		}
	}
	c.rows = append(c.rows, strings.Join(parts, "|"))
	return nil
}

func (c *testCopy) Done(ctx context.Context) (string, error) {
	c.eng.mu.Lock()
	c.eng.copied = append(c.eng.copied, c.rows...)
	c.eng.mu.Unlock()
	c.tag = fmt.Sprintf("COPY %d", len(c.rows)+c.n)
	return c.tag, nil
}

func (c *testCopy) Abort() {
	c.eng.mu.Lock()
	c.eng.aborts++
	c.eng.mu.Unlock()
	c.rows = nil
}
