package sql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testserver"
)

// TestCopyPipeline drives COPY FROM through the parse pipeline (batches
// parsed on another goroutine while earlier ones are inserted): a large
// COPY loads exactly its rows with their defaults, and errors deep in the
// input come out in input order with their own line (which the pgwire
// decoder has moved past by then), loading nothing.
func TestCopyPipeline(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, `CREATE TABLE cp (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(10,2), d date, tag text DEFAULT 'dflt')`); err != nil {
		t.Fatal(err)
	}
	const n = 10_000
	input := func(header bool, edit func(i int, line string) string) string {
		var b strings.Builder
		if header {
			b.WriteString("id|name|amount|d\n")
		}
		for i := 1; i <= n; i++ {
			amount := fmt.Sprintf("%d.%02d", i/100, i%100)
			if i%10 == 0 {
				amount = `\N`
			}
			line := fmt.Sprintf("%d|name %d é|%s|2026-01-%02d", i, i, amount, 1+i%28)
			if edit != nil {
				line = edit(i, line)
			}
			b.WriteString(line + "\n")
		}
		return b.String()
	}
	copyIn := func(text, opts string) (int64, error) {
		tag, err := c.PgConn().CopyFrom(ctx, strings.NewReader(text), `COPY cp (id, name, amount, d) FROM STDIN WITH (DELIMITER '|'`+opts+`)`)
		return tag.RowsAffected(), err
	}
	wantErr := func(what string, err error, code, detail string) {
		t.Helper()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != code || !strings.Contains(pe.Detail, detail) {
			t.Fatalf("%s: got %v (detail %q), want SQLSTATE %s with detail %q", what, err, pe.Detail, code, detail)
		}
		var cnt int64
		if err := c.QueryRow(ctx, `SELECT count(*) FROM cp`).Scan(&cnt); err != nil || cnt != 0 {
			t.Fatalf("%s: %d rows kept after the failed COPY (%v)", what, cnt, err)
		}
	}
	// A NOT NULL violation at row 7,777, after the header: that row fails.
	_, err := copyIn(input(true, func(i int, l string) string {
		if i == 7777 {
			return strings.Replace(l, "|name 7777 é|", `|\N|`, 1)
		}
		return l
	}), ", HEADER")
	wantErr("not null", err, "23502", "Failing row contains (7777, null, 77.77,")
	// A duplicate key at row 3,000 comes before a bad number at row 3,001
	// (both in one batch) and one at row 5,000 (a later batch).
	_, err = copyIn(input(false, func(i int, l string) string {
		switch i {
		case 3000:
			return strings.Replace(l, "3000|", "2999|", 1)
		case 3001, 5000:
			return strings.Replace(l, "30.01|", "x|", 1)
		}
		return l
	}), "")
	wantErr("duplicate before bad number", err, "23505", "(id)=(2999)")
	// The bad number alone: its column is named.
	_, err = copyIn(input(false, func(i int, l string) string {
		if i == 3001 {
			return strings.Replace(l, "30.01|", "x|", 1)
		}
		return l
	}), "")
	wantErr("bad number", err, "22P02", "column amount")
	// A short row after full batches.
	_, err = copyIn(input(false, func(i int, l string) string {
		if i == 4100 {
			return "4100|only a name"
		}
		return l
	}), "")
	wantErr("short row", err, "22P04", "COPY line 4100")
	// The whole input: every row with its values and default.
	got, err := copyIn(input(true, nil), ", HEADER")
	if err != nil || got != n {
		t.Fatalf("COPY: %d rows, %v", got, err)
	}
	var cnt, nulls, dflt int64
	var sum, names string
	if err := c.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE amount IS NULL), count(*) FILTER (WHERE tag = 'dflt'), sum(amount)::text, min(name) || max(name) FROM cp`).Scan(&cnt, &nulls, &dflt, &sum, &names); err != nil {
		t.Fatal(err)
	}
	var want int64
	for i := int64(1); i <= n; i++ {
		if i%10 != 0 {
			want += i
		}
	}
	if cnt != n || nulls != n/10 || dflt != n || sum != fmt.Sprintf("%d.%02d", want/100, want%100) || names != "name 1 éname 9999 é" {
		t.Fatalf("after COPY: %d rows, %d NULL amounts, %d defaults, sum %s, names %q; want %d, %d, %d, %d.%02d", cnt, nulls, dflt, sum, names, n, n/10, n, want/100, want%100)
	}
	var d string
	if err := c.QueryRow(ctx, `SELECT d::text FROM cp WHERE id = 9999`).Scan(&d); err != nil || d != "2026-01-04" {
		t.Fatalf("row 9999's date: %q, %v", d, err)
	}
	// An error without detail of its own (here from a default) gets the
	// line of its row, though the decoder has read further: the default
	// divides by zero at row 2,501.
	for _, q := range []string{`CREATE SEQUENCE sq`, `CREATE TABLE cq (id bigint PRIMARY KEY, s bigint DEFAULT 1 / (nextval('sq') - 2501))`} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var ids strings.Builder
	for i := 1; i <= 4000; i++ {
		fmt.Fprintf(&ids, "%d\n", i)
	}
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader(ids.String()), `COPY cq (id) FROM STDIN`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22012" || pe.Detail != "COPY line 2501" {
		t.Fatalf("division by zero at row 2501: %v (%+v)", err, pe)
	}
	// Inside a transaction, rolled back: nothing stays.
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader(input(false, func(i int, l string) string { return strings.Replace(l, fmt.Sprint(i)+"|", fmt.Sprint(i+n)+"|", 1) })), `COPY cp (id, name, amount, d) FROM STDIN WITH (DELIMITER '|')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM cp`).Scan(&cnt); err != nil || cnt != 2*n {
		t.Fatalf("inside the transaction: %d rows, %v", cnt, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM cp`).Scan(&cnt); err != nil || cnt != n {
		t.Fatalf("after ROLLBACK: %d rows, %v", cnt, err)
	}
}

// TestCopyEncodedRows covers COPY of every column, whose rows the parser
// also encodes for the log (the commit does not encode them again): the
// stored rows read back equal to the input from both stores, after an
// UPDATE of copied rows in the same transaction (the row it logs is the
// updated one, not the copied encoding), and again after a restart that
// rebuilds the stores from what was logged and checkpointed.
func TestCopyEncodedRows(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.WithDataDir(dir))
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, `CREATE TABLE ce (id bigint, k int, amount numeric(12,2), name text, d date, PRIMARY KEY (id, k))`); err != nil {
		t.Fatal(err)
	}
	const n = 5000
	var b strings.Builder
	for i := 1; i <= n; i++ {
		amount := fmt.Sprintf("%d.%02d", i*7, i%100)
		if i%9 == 0 {
			amount = `\N`
		}
		fmt.Fprintf(&b, "%d|%d|%s|name %d|2026-02-%02d\n", i/4, i%4, amount, i, 1+i%28)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tag, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader(b.String()), `COPY ce FROM STDIN WITH (DELIMITER '|')`); err != nil || tag.RowsAffected() != n {
		t.Fatalf("COPY: %v, %v", tag, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE ce SET name = 'updated', amount = amount + 1 WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	const q = `SELECT count(*), sum(amount)::text, count(*) FILTER (WHERE name = 'updated'), max(d)::text, sum(id * 10 + k) FROM ce`
	check := func(what string, c interface {
		QueryRow(context.Context, string, ...any) pgx.Row
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	}) {
		t.Helper()
		var want int64
		wantSum := int64(0) // in cents
		for i := int64(1); i <= n; i++ {
			want += (i/4)*10 + i%4
			if i%9 != 0 {
				wantSum += i*7*100 + i%100
				if i/4 == 7 {
					wantSum += 100
				}
			}
		}
		for _, engine := range []string{"row", "column"} {
			if _, err := c.Exec(ctx, `SET omendb.engine = '`+engine+`'`); err != nil {
				t.Fatal(err)
			}
			var cnt, upd, keys int64
			var sum, maxD string
			if err := c.QueryRow(ctx, q).Scan(&cnt, &sum, &upd, &maxD, &keys); err != nil {
				t.Fatalf("%s, %s: %v", what, engine, err)
			}
			if cnt != n || sum != fmt.Sprintf("%d.%02d", wantSum/100, wantSum%100) || upd != 4 || maxD != "2026-02-28" || keys != want {
				t.Fatalf("%s, %s engine: %d rows, sum %s, %d updated, max date %s, key sum %d; want %d, %d.%02d, 4, 2026-02-28, %d",
					what, engine, cnt, sum, upd, maxD, keys, n, wantSum/100, wantSum%100, want)
			}
		}
	}
	check("after COPY", c)
	c.Close(ctx)
	srv.Close()
	srv = testserver.Start(t, testserver.WithDataDir(dir))
	c = testserver.Connect(t, srv)
	check("after restart", c)
}

// TestCopyRowsKeptEncoded: a COPY's rows are kept in the write set encoded
// only (oltp.Writes.PutEncoded); every read of them in the transaction
// decodes them — scans, point reads, reads by a unique column, UPDATE and
// DELETE — and a rolled-back COPY leaves nothing.
func TestCopyRowsKeptEncoded(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, `CREATE TABLE ck (id int PRIMARY KEY, u int UNIQUE, name text, amount numeric(10,2))`); err != nil {
		t.Fatal(err)
	}
	const n = 3000
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d|%d|name %d|%d.%02d\n", i, 100000+i, i, i, i%100)
	}
	copyIn := func(tx pgx.Tx, text string) (int64, error) {
		tag, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader(text), `COPY ck FROM STDIN WITH (DELIMITER '|')`)
		return tag.RowsAffected(), err
	}
	// Rolled back: nothing stays.
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := copyIn(tx, b.String()); err != nil || got != n {
		t.Fatalf("COPY: %d, %v", got, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var cnt int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM ck`).Scan(&cnt); err != nil || cnt != 0 {
		t.Fatalf("after ROLLBACK: %d rows, %v", cnt, err)
	}

	tx, err = c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := copyIn(tx, b.String()); err != nil || got != n {
		t.Fatalf("COPY: %d, %v", got, err)
	}
	var name, sum string
	if err := tx.QueryRow(ctx, `SELECT name FROM ck WHERE id = 17`).Scan(&name); err != nil || name != "name 17" {
		t.Fatalf("point read of a copied row: %q, %v", name, err)
	}
	if err := tx.QueryRow(ctx, `SELECT name FROM ck WHERE u = 100033`).Scan(&name); err != nil || name != "name 33" {
		t.Fatalf("read of a copied row by its unique column: %q, %v", name, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE ck SET name = 'changed' WHERE u = 100044`); err != nil {
		t.Fatal(err)
	}
	if tag, err := tx.Exec(ctx, `DELETE FROM ck WHERE id % 10 = 0`); err != nil || tag.RowsAffected() != n/10 {
		t.Fatalf("DELETE of copied rows: %v, %v", tag, err)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*), sum(amount)::text FROM ck`).Scan(&cnt, &sum); err != nil {
		t.Fatal(err)
	}
	wantSum := int64(0) // cents
	for i := int64(1); i <= n; i++ {
		if i%10 != 0 {
			wantSum += i*100 + i%100
		}
	}
	want := fmt.Sprintf("%d.%02d", wantSum/100, wantSum%100)
	if cnt != n-n/10 || sum != want {
		t.Fatalf("in the transaction: %d rows, sum %s; want %d, %s", cnt, sum, n-n/10, want)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, engine := range []string{"row", "column"} {
		if _, err := c.Exec(ctx, `SET omendb.engine = '`+engine+`'`); err != nil {
			t.Fatal(err)
		}
		var changed int64
		if err := c.QueryRow(ctx, `SELECT count(*), sum(amount)::text, count(*) FILTER (WHERE name = 'changed') FROM ck`).Scan(&cnt, &sum, &changed); err != nil {
			t.Fatal(err)
		}
		if cnt != n-n/10 || sum != want || changed != 1 {
			t.Fatalf("%s engine after COMMIT: %d rows, sum %s, %d changed; want %d, %s, 1", engine, cnt, sum, changed, n-n/10, want)
		}
	}
}
