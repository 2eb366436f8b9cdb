// Package logictest runs SQL logic tests: files under testdata/ of
// statements and queries with their expected results. Every file runs
// against an in-process OmenDB and against a real PostgreSQL 15, and both
// must produce the recorded expectations — which were recorded from
// PostgreSQL (go test ./sql/logictest -rewrite regenerates them from it).
//
// File format (records separated by blank lines; '#' starts a comment):
//
//	statement ok
//	CREATE TABLE t (a int)
//
//	statement error 23505
//	INSERT INTO t VALUES (1)
//
//	query rowsort
//	SELECT a, b FROM t
//	----
//	1|x
//	2|NULL
//
// Query results are compared as the text the server sends (each value's
// PostgreSQL text output, '|'-separated, NULL for null). `rowsort` sorts the
// rows of queries without ORDER BY before comparing. `onlyomendb` marks a
// record PostgreSQL does not run (OmenDB-specific behaviour). `tag` ends a
// statement's line with the command tag it must return (statement ok tag
// MERGE 2; -rewrite records it from PostgreSQL where it is left empty).
package logictest

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

var rewrite = flag.Bool("rewrite", false, "rewrite expected results from PostgreSQL")

type record struct {
	line     int
	kind     string // "statement" or "query"
	errCode  string // statement error <code>
	rowsort  bool
	onlyOmen bool
	tag      *string // statement ok tag <command tag>: nil when not checked
	sql      string
	expected []string
	// comment is the '#' lines just before the record (kept by -rewrite).
	comment []string
}

func parseFile(path string) ([]*record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []*record
	var cur *record
	inResult := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	ln := 0
	var comment []string // '#' lines since the last record
	leading := true      // the file's leading comment block is writeFile's
	flush := func() {
		if cur != nil {
			cur.sql = strings.TrimSpace(cur.sql)
			recs = append(recs, cur)
		}
		cur, inResult = nil, false
	}
	for sc.Scan() {
		ln++
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "#"):
			if !leading {
				comment = append(comment, line)
			}
			continue
		case cur == nil && strings.TrimSpace(line) == "":
			leading = false
			if len(comment) > 0 && comment[len(comment)-1] != "" {
				comment = append(comment, "") // a comment set apart from the next record
			}
			continue
		case cur == nil:
			leading = false
			fields := strings.Fields(line)
			cur = &record{line: ln, kind: fields[0], comment: comment}
			comment = nil
			for i := 1; i < len(fields); i++ {
				switch fields[i] {
				case "ok":
				case "error":
					if i+1 < len(fields) {
						cur.errCode = fields[i+1]
						i++
					} else {
						cur.errCode = "any"
					}
				case "rowsort":
					cur.rowsort = true
				case "onlyomendb":
					cur.onlyOmen = true
				case "tag":
					tag := strings.Join(fields[i+1:], " ")
					cur.tag, i = &tag, len(fields)
				default:
					return nil, fmt.Errorf("%s:%d: unknown directive %q", path, ln, fields[i])
				}
			}
			if cur.kind != "statement" && cur.kind != "query" {
				return nil, fmt.Errorf("%s:%d: unknown record %q", path, ln, cur.kind)
			}
		case strings.TrimSpace(line) == "":
			flush()
		case cur.kind == "query" && line == "----":
			inResult = true
		case inResult:
			cur.expected = append(cur.expected, line)
		default:
			cur.sql += line + "\n"
		}
	}
	flush()
	return recs, sc.Err()
}

// outcome is what a server did with one record.
type outcome struct {
	code string // SQLSTATE of the error, "" on success
	msg  string
	tag  string // a statement's command tag
	rows []string
}

func run(ctx context.Context, conn *pgx.Conn, r *record) outcome {
	if r.kind == "statement" {
		ct, err := conn.Exec(ctx, r.sql, pgx.QueryExecModeSimpleProtocol)
		o := errOutcome(err)
		if err == nil {
			o.tag = ct.String()
		}
		return o
	}
	rows, err := conn.Query(ctx, r.sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return errOutcome(err)
	}
	var out []string
	for rows.Next() {
		raw := rows.RawValues()
		vals := make([]string, len(raw))
		for i, v := range raw {
			if v == nil {
				vals[i] = "NULL"
			} else {
				vals[i] = string(v)
			}
		}
		out = append(out, strings.Join(vals, "|"))
	}
	if err := rows.Err(); err != nil {
		return errOutcome(err)
	}
	if r.rowsort {
		sort.Strings(out)
	}
	return outcome{rows: out}
}

func errOutcome(err error) outcome {
	if err == nil {
		return outcome{}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return outcome{code: pe.Code, msg: pe.Message}
	}
	return outcome{code: "client", msg: err.Error()}
}

func check(r *record, o outcome) error {
	if r.kind == "statement" || o.code != "" {
		switch {
		case r.errCode == "" && o.code != "":
			return fmt.Errorf("unexpected error %s: %s", o.code, o.msg)
		case r.errCode != "" && o.code == "":
			return fmt.Errorf("expected error %s, got success", r.errCode)
		case r.errCode != "" && r.errCode != "any" && r.errCode != o.code:
			return fmt.Errorf("expected error %s, got %s: %s", r.errCode, o.code, o.msg)
		case r.tag != nil && o.code == "" && *r.tag != o.tag:
			return fmt.Errorf("expected command tag %q, got %q", *r.tag, o.tag)
		}
		return nil
	}
	if strings.Join(o.rows, "\n") != strings.Join(r.expected, "\n") {
		return fmt.Errorf("results differ\n--- expected\n%s\n--- got\n%s", strings.Join(r.expected, "\n"), strings.Join(o.rows, "\n"))
	}
	return nil
}

func writeFile(path string, recs []*record) error {
	var sb strings.Builder
	// Keep the file's leading comment block.
	if data, err := os.ReadFile(path); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(l, "#") {
				break
			}
			sb.WriteString(l + "\n")
		}
		sb.WriteString("\n")
	}
	for _, r := range recs {
		for _, c := range r.comment {
			sb.WriteString(c + "\n")
		}
		sb.WriteString(r.kind)
		if r.kind == "statement" {
			if r.errCode != "" {
				sb.WriteString(" error " + r.errCode)
			} else {
				sb.WriteString(" ok")
			}
		} else {
			if r.errCode != "" {
				sb.WriteString(" error " + r.errCode)
			}
			if r.rowsort {
				sb.WriteString(" rowsort")
			}
		}
		if r.onlyOmen {
			sb.WriteString(" onlyomendb")
		}
		if r.tag != nil {
			sb.WriteString(" tag " + *r.tag)
		}
		sb.WriteString("\n" + r.sql + "\n")
		if r.kind == "query" && r.errCode == "" {
			sb.WriteString("----\n")
			for _, e := range r.expected {
				sb.WriteString(e + "\n")
			}
		}
		sb.WriteString("\n")
	}
	return os.WriteFile(path, []byte(strings.TrimRight(sb.String(), "\n")+"\n"), 0o644)
}

func TestLogic(t *testing.T) {
	files, err := filepath.Glob("testdata/*.slt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no logic test files: %v", err)
	}
	pg := testpg.Start(t, testpg.WithNoFsync())
	admin := pg.Conn()
	for _, path := range files {
		path := path
		name := strings.TrimSuffix(filepath.Base(path), ".slt")
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			recs, err := parseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db := "lt_" + strings.ReplaceAll(name, "-", "_")
			if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
				t.Fatal(err)
			}
			if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
				t.Fatal(err)
			}
			pgc, err := pgx.Connect(ctx, strings.Replace(pg.ConnString(), "/"+pg.Database()+"?", "/"+db+"?", 1))
			if err != nil {
				t.Fatal(err)
			}
			defer pgc.Close(ctx)
			srv := testserver.Start(t)
			oc, err := pgx.Connect(ctx, testserver.ConnString(srv))
			if err != nil {
				t.Fatal(err)
			}
			defer oc.Close(ctx)
			changed := false
			for _, r := range recs {
				if !r.onlyOmen {
					po := run(ctx, pgc, r)
					if *rewrite {
						if r.kind == "query" && po.code == "" {
							r.expected, changed = po.rows, true
						}
						if r.kind == "statement" && po.code != "" && r.errCode == "" {
							r.errCode, changed = po.code, true
						}
						if r.tag != nil && *r.tag == "" && po.code == "" {
							r.tag, changed = &po.tag, true
						}
					}
					if err := check(r, po); err != nil {
						t.Errorf("%s:%d (PostgreSQL): %v\n%s", path, r.line, err, r.sql)
					}
				}
				if err := check(r, run(ctx, oc, r)); err != nil {
					t.Errorf("%s:%d (OmenDB): %v\n%s", path, r.line, err, r.sql)
				}
			}
			if *rewrite && changed {
				if err := writeFile(path, recs); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
