package recovery

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// seedQueries read both tables through scans the column store serves.
var seedQueries = []string{
	`SELECT id, a, b, n FROM s1 ORDER BY id`,
	`SELECT a % 5, count(*), sum(n), min(b), max(b) FROM s1 GROUP BY a % 5 ORDER BY 1`,
	`SELECT count(*), sum(id) FROM s1 WHERE n > 3.5 AND b <> 'w2'`,
	`SELECT x, y FROM s2 ORDER BY x, y`,
	`SELECT count(*), count(DISTINCT x) FROM s2 WHERE y LIKE 'h1%'`,
}

// engineAnswers runs seedQueries with omendb.engine = engine (and as_of
// when asOf != "") on a fresh connection; it returns the answers or the
// SQLSTATE of the first error.
func engineAnswers(t *testing.T, ctx context.Context, p *proc, engine, asOf string) (string, string) {
	t.Helper()
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	qs := append([]string{`SET omendb.engine = '` + engine + `'`}, seedQueries...)
	if asOf != "" {
		qs = append([]string{`SET omendb.as_of = '` + asOf + `'`}, qs...)
	}
	var b strings.Builder
	for _, q := range qs {
		rows, err := c.Query(ctx, q)
		if err == nil {
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&b, vals...)
			}
			err = rows.Err()
		}
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return "", pe.Code
			}
			t.Fatalf("%s (engine %s): %v", q, engine, err)
		}
		if !strings.HasPrefix(q, "SET") {
			b.WriteString("--\n")
		}
	}
	return b.String(), ""
}

// TestRestoreTrimmedBackupColumnStore (issue #8): a real omendb with a
// short PITR window trims its log; a full backup taken after the trims
// holds a log that starts past offset 1, then an incremental part follows.
// The directory restored from it has no column-store checkpoint and no log
// to replay one from: the served column store is seeded from the row
// store. With omendb.engine = column every query answers as with the row
// engine (before and after new writes), a point below the seed is never
// answered wrong, and `omendb backup verify` checks the column store too.
func TestRestoreTrimmedBackupColumnStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	root := t.TempDir()
	bdir := filepath.Join(root, "backup")
	env := []string{"OMENDB_CHECKPOINT_INTERVAL=100ms", "OMENDB_RETENTION_INTERVAL=100ms"}
	p := testprocStart(t, filepath.Join(root, "src"), env, "--pitr-window", "0")
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	run := func(q string) {
		t.Helper()
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	run(`CREATE TABLE s1 (id bigint PRIMARY KEY, a int, b text, n numeric(8,2))`)
	run(`CREATE TABLE s2 (x int, y text)`)
	round := 0
	write := func() {
		t.Helper()
		lo, hi := round*200+1, round*200+200
		run(fmt.Sprintf(`INSERT INTO s1 SELECT g, g %% 17, 'w' || (g %% 4)::text, (g %% 900)::numeric / 100 FROM generate_series(%d, %d) g`, lo, hi))
		run(fmt.Sprintf(`UPDATE s1 SET a = a + 1000, b = 'u' WHERE id %% 13 = %d`, round%13))
		run(fmt.Sprintf(`DELETE FROM s1 WHERE id %% 19 = %d`, round%19))
		run(fmt.Sprintf(`INSERT INTO s2 SELECT g %% 30, 'h' || g::text FROM generate_series(%d, %d) g`, lo, lo+60))
		run(fmt.Sprintf(`DELETE FROM s2 WHERE x = %d`, round%30))
		round++
	}
	// Write until retention has trimmed the log.
	deadline := time.Now().Add(90 * time.Second)
	for {
		write()
		if r := retentionRows(t, ctx, c); r["first_offset"] > 1 {
			t.Logf("log trimmed: %v", r)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log was not trimmed within 90s: %v", retentionRows(t, ctx, c))
		}
		time.Sleep(150 * time.Millisecond)
	}
	var from, to int64
	if err := c.QueryRow(ctx, `BACKUP TO '`+bdir+`'`, pgx.QueryExecModeSimpleProtocol).Scan(new(string), &from, &to, new(int64), new(int64)); err != nil {
		t.Fatalf("BACKUP TO: %v", err)
	}
	if from == 0 {
		t.Fatalf("the full backup copies the log from offset 1: the source log was not trimmed")
	}
	write()
	write()
	if err := c.QueryRow(ctx, `BACKUP TO '`+bdir+`' INCREMENTAL`, pgx.QueryExecModeSimpleProtocol).Scan(new(string), new(int64), &to, new(int64), new(int64)); err != nil {
		t.Fatalf("BACKUP INCREMENTAL: %v", err)
	}
	want, code := engineAnswers(t, ctx, p, "row", "")
	if code != "" {
		t.Fatalf("source answers: %s", code)
	}
	c.Close(ctx)
	p.Kill()

	// Restore with the real binary, then serve the new directory.
	data := filepath.Join(root, "restored")
	out, err := exec.CommandContext(ctx, omendbBinary(t), "restore", "--from", bdir, "--data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("omendb restore: %v\n%s", err, out)
	}
	rp := testprocStart(t, data, []string{"OMENDB_CHECKPOINT_INTERVAL=1h"})
	// The column store recovers after /readyz: wait for its seeding.
	for deadline := time.Now().Add(60 * time.Second); !rp.LogHas("column store seeded from the row store"); {
		if time.Now().After(deadline) {
			t.Fatalf("the restored server did not seed its column store; log:\n%s", rp.LogText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, engine := range []string{"row", "column", "auto"} {
		got, code := engineAnswers(t, ctx, rp, engine, "")
		if code != "" || got != want {
			t.Fatalf("restored server, engine %s: SQLSTATE %q, answers\n%s\nwant (source, row engine)\n%s", engine, code, got, want)
		}
	}
	// Below the seed offset (the restored offset, where the row store's
	// own history starts too) no engine answers.
	for _, engine := range []string{"column", "auto"} {
		if got, code := engineAnswers(t, ctx, rp, engine, fmt.Sprint(to-1)); code != "22023" {
			t.Fatalf("as_of %d below the seed at %d, engine %s: SQLSTATE %q, answers\n%s", to-1, to, engine, code, got)
		}
	}
	// Writes after the seed reach the column store through the log.
	c2, err := pgx.Connect(ctx, rp.URL())
	if err != nil {
		t.Fatal(err)
	}
	c = c2
	defer c2.Close(ctx)
	write()
	row, code := engineAnswers(t, ctx, rp, "row", "")
	col, code2 := engineAnswers(t, ctx, rp, "column", "")
	if code != "" || code2 != "" || row != col {
		t.Fatalf("after writes on the restored server: row (%s)\n%s\ncolumn (%s)\n%s", code, row, code2, col)
	}
	if row == want {
		t.Fatalf("the writes after the restore changed nothing")
	}
	atSeed, code := engineAnswers(t, ctx, rp, "column", fmt.Sprint(to))
	if code != "" || atSeed != want {
		t.Fatalf("column engine as of the seed offset %d: SQLSTATE %q\n%s\nwant\n%s", to, code, atSeed, want)
	}

	// omendb backup verify checks the column store built from the restore.
	out, err = exec.CommandContext(ctx, omendbBinary(t), "backup", "verify", bdir).CombinedOutput()
	if err != nil {
		t.Fatalf("omendb backup verify: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "column store seeded from the row store") || !strings.Contains(string(out), "column store: ") {
		t.Fatalf("omendb backup verify did not check the column store:\n%s", out)
	}
	t.Logf("verify: %s", strings.TrimSpace(string(out)))
}
