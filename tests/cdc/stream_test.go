package cdc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/omendb/omendb/internal/testpg"
	"github.com/omendb/omendb/internal/testserver"
)

const typesDDL = `CREATE TABLE all_types (
	id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, n numeric(12,3), nn numeric, r real, d double precision,
	t text, vc varchar(10), c char(5), b boolean, dt date, ts timestamp, tstz timestamptz, by bytea, u uuid,
	j json, jb jsonb, tm time, iv interval, other inet, big text)`

const typesRows = `INSERT INTO all_types VALUES
	(1, -32768, 2147483647, -9223372036854775808, 123456789.123, 1e-20, 1.5, 0.1, 'hello', 'varchar', 'ab', true,
	 '2024-02-29', '2024-01-02 03:04:05.678901', '2024-01-02 03:04:05+05', '\xdeadbeef', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
	 '{"a": [1, 2]}', '{"b": 1, "a": null}', '12:34:56.5', '1 year 2 mons 3 days 04:05:06', '10.0.0.1/8', repeat('x', 5000)),
	(2, NULL, NULL, NULL, NULL, 'NaN', 'Infinity', '-0', '', NULL, NULL, false, 'infinity', '-infinity', NULL, '\x', NULL,
	 'null', '[]', NULL, NULL, NULL, NULL),
	(3, 0, 0, 0, -0.001, 123456789012345678901234567890.123456789, 3.4028235e38, 1.7976931348623157e308, 'é ü 🙂', 'x''y', 'abcde', NULL,
	 '0001-01-01 BC', '1999-12-31 23:59:59.999999', '2000-01-01 00:00:00+00', NULL, '00000000-0000-0000-0000-000000000000',
	 '"s"', '{"k": {"z": [true, false]}}', '00:00', '-1 days', NULL, md5('a'))`

func TestSnapshotAndStreaming(t *testing.T) {
	pg := testpg.Start(t, testpg.WithConfig("logical_decoding_work_mem = 64kB"))
	src := connect(t, pg.ConnString())
	run(t, src, typesDDL, typesRows,
		`CREATE TABLE nokey (a int, b text)`, `ALTER TABLE nokey REPLICA IDENTITY FULL`,
		`INSERT INTO nokey VALUES (1, 'one'), (1, 'one'), (2, NULL)`,
		`CREATE TABLE multi (k1 int, k2 text, v bigint, PRIMARY KEY (k1, k2))`,
		`INSERT INTO multi SELECT g % 100, 'k' || (g / 100), g FROM generate_series(1, 50000) g`,
		`CREATE TABLE unpublished (x int)`,
		`CREATE PUBLICATION pub FOR TABLE all_types, nokey, multi`)
	omen := testserver.Start(t)
	dst := connect(t, testserver.ConnString(omen))
	run(t, dst, "CREATE SOURCE pg1 FROM POSTGRES CONNECTION "+lit(pg.ConnString())+" PUBLICATION 'pub'")

	qTypes := "SELECT * FROM all_types ORDER BY id"
	qNokey := "SELECT a, b FROM nokey ORDER BY a, b"
	qMulti := "SELECT k1, k2, v FROM multi ORDER BY k1, k2"
	waitSame(t, src, dst, qTypes, 30*time.Second)
	waitSame(t, src, dst, qNokey, 30*time.Second)
	waitSame(t, src, dst, qMulti, 60*time.Second)

	// Read-only for clients.
	_, err := dst.Exec(context.Background(), "INSERT INTO multi VALUES (1, 'x', 1)")
	if sqlState(err) != "25006" || !strings.Contains(err.Error(), "replicated from source pg1") {
		t.Fatalf("write to a replicated table: got %v, want 25006 naming the source", err)
	}

	// Streaming: inserts, updates (with unchanged TOAST, key changes),
	// deletes, truncates, a large streamed transaction with an aborted
	// subtransaction.
	run(t, src,
		`INSERT INTO all_types (id, t, big) VALUES (4, 'four', repeat('y', 9000))`,
		`UPDATE all_types SET i4 = 42 WHERE id = 1`, // big is TOASTed and unchanged: 'u'
		`UPDATE all_types SET id = 10 WHERE id = 2`,
		`DELETE FROM all_types WHERE id = 3`,
		`UPDATE nokey SET b = 'uno' WHERE a = 1 AND b = 'one' AND ctid = (SELECT min(ctid) FROM nokey WHERE a = 1)`,
		`DELETE FROM nokey WHERE a = 2`,
		`INSERT INTO nokey VALUES (3, 'three')`,
		`TRUNCATE multi`,
		`INSERT INTO multi VALUES (1, 'a', 1), (2, 'b', 2)`,
		`BEGIN`,
		`INSERT INTO multi SELECT g, 'big', g FROM generate_series(1, 20000) g`,
		`SAVEPOINT s1`,
		`INSERT INTO multi SELECT g, 'aborted', g FROM generate_series(1, 5000) g`,
		`ROLLBACK TO SAVEPOINT s1`,
		`UPDATE multi SET v = -v WHERE k2 = 'big' AND k1 % 7 = 0`,
		`COMMIT`,
		`INSERT INTO all_types (id, n) VALUES (5, 99.5)`)
	waitSame(t, src, dst, qTypes, 30*time.Second)
	waitSame(t, src, dst, qNokey, 30*time.Second)
	waitSame(t, src, dst, qMulti, 60*time.Second)

	// Schema changes: ADD COLUMN with a default (existing rows read it),
	// RENAME COLUMN, DROP COLUMN; a type change turns only that table to error.
	run(t, src, `ALTER TABLE multi ADD COLUMN extra int DEFAULT 7`, `INSERT INTO multi VALUES (3, 'c', 3, 8)`)
	waitSame(t, src, dst, "SELECT k1, k2, v, extra FROM multi ORDER BY k1, k2", 30*time.Second)
	run(t, src, `ALTER TABLE all_types RENAME COLUMN vc TO vc2`, `UPDATE all_types SET vc2 = 'renamed' WHERE id = 1`,
		`ALTER TABLE all_types DROP COLUMN other`, `UPDATE all_types SET vc2 = 'dropped' WHERE id = 4`)
	waitSame(t, src, dst, qTypes, 30*time.Second)
	run(t, src, `ALTER TABLE nokey ALTER COLUMN a TYPE bigint`, `INSERT INTO nokey VALUES (4, 'four')`,
		`INSERT INTO multi VALUES (4, 'd', 4, 4)`)
	waitSame(t, src, dst, "SELECT k1, k2, v, extra FROM multi ORDER BY k1, k2", 30*time.Second)
	waitFor(t, "nokey in error", 10*time.Second, func() (bool, string) {
		rows, err := textRows(dst, "SHOW SOURCE TABLES")
		if err != nil {
			return false, err.Error()
		}
		for _, r := range rows {
			if strings.Contains(r, "| nokey | error |") && strings.Contains(r, "type of column") {
				return true, ""
			}
		}
		return false, strings.Join(rows, "\n")
	})

	// Status: streaming, no lag once caught up.
	rows, err := textRows(dst, "SHOW SOURCES")
	if err != nil || len(rows) != 1 || !strings.HasPrefix(rows[0], "pg1 | streaming |") {
		t.Fatalf("SHOW SOURCES: %v %q", err, rows)
	}
	t.Logf("SHOW SOURCES: %s", rows[0])

	// An idle source's slot keeps advancing: WAL that carries nothing for
	// the publication is acknowledged through keepalives.
	run(t, src, `INSERT INTO unpublished SELECT generate_series(1, 1000)`)
	var want string
	if err := src.QueryRow(context.Background(), "SELECT pg_current_wal_lsn()::text").Scan(&want); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "slot to pass "+want, 30*time.Second, func() (bool, string) {
		var ok bool
		var got string
		err := src.QueryRow(context.Background(), `SELECT confirmed_flush_lsn >= $1::pg_lsn, confirmed_flush_lsn::text
			FROM pg_replication_slots WHERE slot_name = 'omendb_pg1'`, want).Scan(&ok, &got)
		if err != nil {
			return false, err.Error()
		}
		return ok, got
	})

	// DROP SOURCE drops the slot and the tables.
	run(t, dst, "DROP SOURCE pg1")
	var n int
	if err := src.QueryRow(context.Background(), "SELECT count(*) FROM pg_replication_slots").Scan(&n); err != nil || n != 0 {
		t.Fatalf("slots after DROP SOURCE: %d, %v", n, err)
	}
	if _, err := textRows(dst, "SELECT * FROM multi"); err == nil {
		t.Fatalf("multi still exists after DROP SOURCE")
	}
}
