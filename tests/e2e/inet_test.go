package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testserver"
)

// TestInetBinary: pgx sends and reads inet, cidr and inet[] in binary
// (inet_send/inet_recv: family, bits, is_cidr, length, address) and text,
// from both stores, and the values survive a restart that replays the log
// (the column store loading its checkpoint).
func TestInetBinary(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	c := testserver.Connect(t, srv)
	ctx := context.Background()
	if _, err := c.Exec(ctx, `CREATE TABLE hosts (id int PRIMARY KEY, addr inet, net cidr, seen inet[])`); err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		addr, net netip.Prefix
		seen      []netip.Prefix
	}{
		{netip.MustParsePrefix("192.168.1.5/24"), netip.MustParsePrefix("192.168.1.0/24"),
			[]netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("::1/64")}},
		{netip.MustParsePrefix("2001:db8::1/128"), netip.MustParsePrefix("2001:db8::/32"), []netip.Prefix{}},
		{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0"), nil},
	}
	for i, r := range rows {
		mode := pgx.QueryExecModeCacheStatement // binary parameters
		if i == 2 {
			mode = pgx.QueryExecModeSimpleProtocol
		}
		if _, err := c.Exec(ctx, `INSERT INTO hosts VALUES ($1, $2, $3, $4)`, mode, i+1, r.addr, r.net, r.seen); err != nil {
			t.Fatalf("insert %d: %v", i+1, err)
		}
	}
	check := func(c *pgx.Conn) {
		t.Helper()
		for k, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
			engine := "row"
			if k == 2 {
				engine = "column" // the column store, loaded from its checkpoint after the restart
			}
			if _, err := c.Exec(ctx, "SET omendb.engine = '"+engine+"'"); err != nil {
				t.Fatal(err)
			}
			res, err := c.Query(ctx, `SELECT addr, net, seen FROM hosts ORDER BY id`, mode)
			if err != nil {
				t.Fatal(err)
			}
			i := 0
			for res.Next() {
				var addr, net netip.Prefix
				var seen []netip.Prefix
				if err := res.Scan(&addr, &net, &seen); err != nil {
					t.Fatalf("scan (%v): %v", mode, err)
				}
				w := rows[i]
				if addr != w.addr || net != w.net || len(seen) != len(w.seen) {
					t.Errorf("row %d (%v): %v %v %v, want %v %v %v", i+1, mode, addr, net, seen, w.addr, w.net, w.seen)
				}
				for k := range seen {
					if k < len(w.seen) && seen[k] != w.seen[k] {
						t.Errorf("row %d (%v): seen %v, want %v", i+1, mode, seen, w.seen)
					}
				}
				i++
			}
			if err := res.Err(); err != nil || i != len(rows) {
				t.Fatalf("(%v): %d rows, %v", mode, i, err)
			}
		}
		if _, err := c.Exec(ctx, "RESET omendb.engine"); err != nil {
			t.Fatal(err)
		}
		// The bytes of inet_send and cidr_send.
		r := c.PgConn().ExecParams(ctx, `SELECT addr, net FROM hosts WHERE id = 1`, nil, nil, nil, []int16{1}).Read()
		if r.Err != nil || len(r.Rows) != 1 {
			t.Fatalf("binary read: %v", r.Err)
		}
		if want := []byte{2, 24, 0, 4, 192, 168, 1, 5}; !bytes.Equal(r.Rows[0][0], want) {
			t.Errorf("inet binary %v, want %v", r.Rows[0][0], want)
		}
		if want := []byte{2, 24, 1, 4, 192, 168, 1, 0}; !bytes.Equal(r.Rows[0][1], want) {
			t.Errorf("cidr binary %v, want %v", r.Rows[0][1], want)
		}
	}
	check(c)
	// A cidr parameter with host bits set is refused as cidr_recv does.
	_, err := c.Exec(ctx, `INSERT INTO hosts (id, net) VALUES ($1, $2)`, 9, netip.MustParsePrefix("10.1.2.3/8"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22P03" {
		t.Errorf("cidr with host bits: %v, want 22P03", err)
	}

	// A cidr primary key read by its whole key (a point read) and by
	// containment, with binary parameters.
	if _, err := c.Exec(ctx, `CREATE TABLE nets (n cidr PRIMARY KEY, label text)`); err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"10.0.0.0/8", "10.0.0.0/16", "::/0", "10.1.0.0/16"} {
		if _, err := c.Exec(ctx, `INSERT INTO nets VALUES ($1, $2)`, netip.MustParsePrefix(n), string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	var label string
	if err := c.QueryRow(ctx, `SELECT label FROM nets WHERE n = $1`, netip.MustParsePrefix("10.0.0.0/16")).Scan(&label); err != nil || label != "b" {
		t.Errorf("point read: %q %v, want b", label, err)
	}
	if err := c.QueryRow(ctx, `SELECT string_agg(label, ',' ORDER BY n) FROM nets WHERE n >> $1`, netip.MustParsePrefix("10.0.3.4/32")).Scan(&label); err != nil || label != "a,b" {
		t.Errorf("containment: %q %v, want a,b", label, err)
	}

	srv.Close()
	srv = testserver.Start(t, testserver.WithDataDir(dir), noCheckpoints)
	check(testserver.Connect(t, srv))
}
