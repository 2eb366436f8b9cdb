package funcs

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/omendb/omendb/internal/testpg"
)

// pgSession is a connection to a throwaway PostgreSQL 15 set up like the
// sessions the test context describes (UTC, ISO dates).
type pgSession struct {
	t    *testing.T
	conn *pgconn.PgConn
}

// shared is the one PostgreSQL server the package's differential tests
// use, started by the first of them and stopped in TestMain.
var shared struct {
	once sync.Once
	srv  *testpg.Server
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "testpg close:", err)
		}
	}
	os.Exit(code)
}

func startPG(t *testing.T) *pgSession {
	t.Helper()
	if testing.Short() {
		t.Skip("differential test against PostgreSQL skipped in -short mode")
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.srv, shared.err = testpg.StartServer(ctx, testpg.Options{NoFsync: true})
	})
	if shared.err != nil {
		t.Fatalf("testpg: cannot start PostgreSQL: %v", shared.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, shared.srv.ConnString())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	s := &pgSession{t: t, conn: c.PgConn()}
	if _, err := s.query("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	return s
}

// query runs one statement and returns the first column of the first row
// in text format ("NULL" for NULL), or "ERROR code: message".
func (s *pgSession) query(sql string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return fmt.Sprintf("ERROR %s: %s", pe.Code, pe.Message), nil
		}
		return "", err
	}
	if len(res) == 0 || len(res[0].Rows) == 0 {
		return "", nil
	}
	v := res[0].Rows[0][0]
	if v == nil {
		return "NULL", nil
	}
	return string(v), nil
}

func sqlLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqlCall renders a case as SQL.
func sqlCall(c scalarCase) string {
	var b strings.Builder
	if c.name == "position" || c.name == "extract" {
		b.WriteString("pg_catalog.") // keywords with their own syntax
	}
	b.WriteString(c.name)
	b.WriteByte('(')
	for i, a := range c.args {
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case a.null:
			b.WriteString("NULL::" + sqlTypeName[a.typ.OID])
		case sqlTypeName[a.typ.OID] != "":
			b.WriteString(sqlLiteral(a.lit) + "::" + sqlTypeName[a.typ.OID])
		default:
			b.WriteString(sqlLiteral(a.lit))
		}
	}
	b.WriteByte(')')
	return b.String()
}

// TestScalarPG runs every case of testdata/scalar.txt through PostgreSQL 15
// and demands the same text output, the same error SQLSTATE and message,
// and the same result type as this package.
func TestScalarPG(t *testing.T) {
	s := startPG(t)
	cases, lines := loadCases(t, "testdata/scalar.txt")
	zone := "UTC"
	for _, c := range cases {
		if c.zone != zone {
			if _, err := s.query("SET TimeZone = " + sqlLiteral(c.zone)); err != nil {
				t.Fatal(err)
			}
			zone = c.zone
		}
		call := sqlCall(c)
		pgOut, err := s.query("SELECT " + call)
		if err != nil {
			t.Fatalf("line %d: %s: %v", c.line, call, err)
		}
		if *rewrite {
			l := lines[c.line-1]
			lines[c.line-1] = l[:strings.Index(l, " =>")] + " => " + strings.ReplaceAll(pgOut, "\n", "<NL>")
			continue
		}
		pgOut = strings.ReplaceAll(pgOut, "\n", "<NL>")
		if pgOut != c.want {
			t.Errorf("line %d: %s: PostgreSQL says %q, testdata %q", c.line, call, pgOut, c.want)
		}
		got, typ := evalCase(c)
		got = strings.ReplaceAll(got, "\n", "<NL>")
		if got != pgOut {
			t.Errorf("line %d: %s\n  omendb: %q\npostgres: %q", c.line, call, got, pgOut)
			continue
		}
		if strings.HasPrefix(pgOut, "ERROR") {
			continue
		}
		pgType, err := s.query("SELECT pg_typeof(" + call + ")::text")
		if err != nil {
			t.Fatal(err)
		}
		if pgType != typ {
			t.Errorf("line %d: %s: result type %s, PostgreSQL %s", c.line, call, typ, pgType)
		}
	}
	if *rewrite {
		if err := os.WriteFile("testdata/scalar.txt", []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
