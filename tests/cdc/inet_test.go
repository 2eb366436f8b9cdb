package cdc

import (
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testpg"
)

// TestNetColumns: inet and cidr columns (and inet[]) of a source created now
// replicate as inet and cidr, snapshot and stream alike: they print, order
// (PostgreSQL's network_cmp, families mixed), compare and contain as on the
// source, and a cidr can be the key.
func TestNetColumns(t *testing.T) {
	pg := testpg.Start(t)
	src := connect(t, pg.ConnString())
	run(t, src, `CREATE TABLE hosts (id int PRIMARY KEY, addr inet, net cidr, seen inet[])`,
		`INSERT INTO hosts VALUES (1, '192.168.1.5/24', '192.168.1.0/24', '{10.0.0.1,::1/64}'),
			(2, '10.1.2.3', '10.1', '{}'), (3, '::ffff:1.2.3.4', '::ffff:1.2.3.0/120', NULL),
			(4, '2001:db8::1/64', '2001:db8::/32', '{NULL,0.0.0.0/0}'), (5, NULL, NULL, NULL),
			(6, '0.0.0.0/0', '0.0.0.0/0', '{::/0}'), (7, '::/0', '::/0', NULL)`,
		`CREATE TABLE nets (n cidr PRIMARY KEY, label text)`,
		`INSERT INTO nets VALUES ('10.0.0.0/8', 'a'), ('10.0.0.0/16', 'b'), ('::/0', 'c')`,
		`CREATE PUBLICATION pub FOR TABLE hosts, nets`)
	p := startServe(t, t.TempDir())
	dst := connect(t, p.URL())
	run(t, dst, "CREATE SOURCE pg1 FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub'")

	all := "SELECT id, addr, net, seen, pg_typeof(addr)::text, pg_typeof(net)::text, pg_typeof(seen)::text FROM hosts ORDER BY id"
	ordered := "SELECT id, addr, net FROM hosts ORDER BY addr, net DESC, id"
	inside := "SELECT id, addr << '10.0.0.0/8', net >>= '192.168.1.7', addr && '::/0', host(addr), masklen(net), seen[2] FROM hosts ORDER BY id"
	keyed := "SELECT n, label FROM nets ORDER BY n"
	waitSame(t, src, dst, all, 30*time.Second)
	waitSame(t, src, dst, ordered, 5*time.Second)
	waitSame(t, src, dst, inside, 5*time.Second)
	waitSame(t, src, dst, keyed, 5*time.Second)

	run(t, src, `INSERT INTO hosts VALUES (8, '10.0.0.5/8', '10.0.0.0/16', '{255.255.255.255}')`,
		`UPDATE hosts SET addr = addr + 1, seen = array_append(seen, '::ffff:10.0.0.1') WHERE id = 2`,
		`DELETE FROM hosts WHERE id = 3`,
		`INSERT INTO nets VALUES ('10.0.0.0/24', 'd'), ('0.0.0.0/0', 'e')`, `UPDATE nets SET n = '11.0.0.0/8' WHERE label = 'a'`)
	waitSame(t, src, dst, all, 30*time.Second)
	waitSame(t, src, dst, ordered, 5*time.Second)
	waitSame(t, src, dst, inside, 5*time.Second)
	waitSame(t, src, dst, keyed, 5*time.Second)
	waitSame(t, src, dst, "SELECT label FROM nets WHERE n = '10.0.0.0/16'", 5*time.Second)
}
