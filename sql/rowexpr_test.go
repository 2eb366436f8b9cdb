package sql_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/sql"
)

// TestRowParams runs row comparisons with parameters inside the rows
// through the extended protocol: the parameters' inferred types, keyset
// pages, and a record column sent in binary (record_send).
func TestRowParams(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, `CREATE TABLE kp (a int, b text, id int PRIMARY KEY);
		INSERT INTO kp SELECT g % 4, 'n' || (g % 3), g FROM generate_series(1, 20) g`); err != nil {
		t.Fatal(err)
	}
	const page = "SELECT a, id FROM kp WHERE (a, id) > ($1, $2) ORDER BY a, id LIMIT $3"
	sd, err := c.Prepare(ctx, "page", page)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sd.ParamOIDs); got != "[23 23 20]" {
		t.Errorf("parameter types %s, want [23 23 20] (int4, int4, int8)", got)
	}
	// Walk every page of 3 and compare with the whole order.
	var all []string
	rows, err := c.Query(ctx, "SELECT a, id FROM kp ORDER BY a, id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a, id int
		if err := rows.Scan(&a, &id); err != nil {
			t.Fatal(err)
		}
		all = append(all, fmt.Sprint(a, id))
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	var paged []string
	a, id := -1, 0
	for pages := 0; pages < 20; pages++ {
		rows, err := c.Query(ctx, "page", a, id, 3)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(&a, &id); err != nil {
				t.Fatal(err)
			}
			paged = append(paged, fmt.Sprint(a, id))
			n++
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		if n == 0 {
			break
		}
	}
	if fmt.Sprint(paged) != fmt.Sprint(all) {
		t.Errorf("keyset pages\n%v\nwant\n%v", paged, all)
	}

	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM kp WHERE (a, b) IN (($1, $2), ($3, $4))", 1, "n1", 2, "n2").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 { // ids 1, 13 and 2, 14
		t.Errorf("IN over parameter rows: %d rows, want 4", n)
	}

	// A record column: OID 2249, decoded by pgx from record_send.
	rows, err = c.Query(ctx, "SELECT (a, b, NULL::int) FROM kp WHERE id = $1", 5)
	if err != nil {
		t.Fatal(err)
	}
	if oid := rows.FieldDescriptions()[0].DataTypeOID; oid != 2249 {
		t.Errorf("record column OID %d, want 2249", oid)
	}
	if !rows.Next() {
		t.Fatal("no row", rows.Err())
	}
	vals, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if got := fmt.Sprint(vals); got != "[[1 n2 <nil>]]" {
		t.Errorf("record %s, want [[1 n2 <nil>]]", got)
	}
}

// TestRowKeyPointRead: a composite primary key compared as a row is a
// point read, as its column-by-column form is.
func TestRowKeyPointRead(t *testing.T) {
	checkPlanKind(t, pointSchema, "point read", sql.IsPointRead, []planCase{
		{"SELECT v FROM two WHERE (a, b) = ($1, $2)", true},
		{"SELECT v FROM two WHERE (b, a) = ($1, $2)", true},
		{"SELECT v FROM two WHERE (a, b) > ($1, $2)", false},
	})
}
