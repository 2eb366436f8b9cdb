package sql_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/sql"
)

// TestPointUpdatePlans checks which UPDATEs take the point-update path.
func TestPointUpdatePlans(t *testing.T) {
	checkPlanKind(t, pointSchema+`CREATE TABLE uq (id int PRIMARY KEY, u int UNIQUE, v int);
CREATE TABLE ex (id int PRIMARY KEY, e text, v int); CREATE UNIQUE INDEX ON ex (lower(e)) WHERE v > 0;`, "point update", sql.IsPointUpdate, []planCase{
		{"UPDATE acc SET abalance = abalance + $1 WHERE aid = $2", true},
		{"UPDATE acc SET abalance = 5, filler = 'x' WHERE aid = 3", true},
		{"UPDATE acc SET abalance = abalance + 1 WHERE aid = $1 AND bid > 2", true},
		{"UPDATE two SET v = v * 2 WHERE a = $1 AND b = $2", true},
		{"UPDATE uq SET v = v + 1 WHERE id = $1", true},
		{"UPDATE ex SET v = v + 1 WHERE id = $1", false},                         // an index on an expression any column may feed
		{"UPDATE acc SET aid = aid + 100 WHERE aid = $1", false},                 // changes the key
		{"UPDATE uq SET u = 1 WHERE id = $1", false},                             // a unique value
		{"UPDATE two SET v = 1 WHERE a = $1", false},                             // a key prefix
		{"UPDATE acc SET abalance = 1 WHERE bid = $1", false},                    // no key
		{"UPDATE acc SET abalance = abs($1) WHERE aid = $2", false},              // a function
		{"UPDATE acc SET abalance = 1 WHERE aid = $1 RETURNING abalance", false}, // RETURNING
	})
}

// TestPointInsertPlans checks which INSERTs take the point-insert path.
func TestPointInsertPlans(t *testing.T) {
	checkPlanKind(t, pointSchema+`CREATE TABLE hist (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
CREATE TABLE q (id int PRIMARY KEY, n text DEFAULT 'x', s serial);`, "point insert", sql.IsPointInsert, []planCase{
		{"INSERT INTO hist (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)", true},
		{"INSERT INTO acc VALUES ($1, $2, $3, $4)", true},
		{"INSERT INTO acc (aid, abalance) VALUES ($1, $2 * 2)", true},
		{"INSERT INTO q (id, n) VALUES ($1, DEFAULT)", true},
		{"INSERT INTO q (id) VALUES (7)", true},                                       // nextval default
		{"INSERT INTO acc VALUES (1, 2, 3, 'a'), (4, 5, 6, 'b')", false},              // two rows
		{"INSERT INTO acc SELECT $1::int, 1, 2, 'x'", false},                          // a query
		{"INSERT INTO acc VALUES ($1, 1, 2, 'x') ON CONFLICT DO NOTHING", false},      // ON CONFLICT
		{"INSERT INTO acc VALUES ($1, 1, 2, 'x') RETURNING aid", false},               // RETURNING
		{"INSERT INTO acc VALUES ((SELECT max(aid) + 1 FROM acc), 1, 2, 'x')", false}, // a subquery
	})
}

// TestPointPlansMatchExecutor runs one seeded random workload of
// transactions — point updates and point reads by key (own writes, NULL and
// missing keys, filters, NOT NULL violations, overflow), point inserts
// (duplicate keys of the primary key and of a unique index, NULLs,
// defaults, in transactions and in autocommit), deletes,
// savepoints, commits and rollbacks — twice on fresh tables of the same
// content: with point plans and with omendb.point_plans = off (the general
// executor). Every statement's outcome (rows, tag or SQLSTATE) and the
// final tables must be equal.
func TestPointPlansMatchExecutor(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	for _, tab := range []string{"p_on", "p_off"} {
		if _, err := c.Exec(ctx, fmt.Sprintf(`CREATE TABLE %[1]s (id int PRIMARY KEY, g int, bal int NOT NULL, note text DEFAULT 'dflt');
INSERT INTO %[1]s SELECT i, i %% 3, i * 10, 'n' || i FROM generate_series(1, 20) i;
CREATE TABLE %[1]sh (k int UNIQUE, v int NOT NULL DEFAULT 5, w text);
CREATE UNIQUE INDEX ON %[1]sh (upper(w)) WHERE v > 3`, tab)); err != nil {
			t.Fatal(err)
		}
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	run := func(tab, plans string) []string {
		rng := rand.New(rand.NewSource(seed))
		if _, err := c.Exec(ctx, "SET omendb.point_plans = "+plans); err != nil {
			t.Fatal(err)
		}
		defer c.Exec(ctx, "RESET omendb.point_plans")
		var log []string
		do := func(q string, args ...any) {
			q = strings.ReplaceAll(q, "{T}", tab)
			rows, err := c.Query(ctx, q, args...)
			var out []string
			if err == nil {
				for rows.Next() {
					v, _ := rows.Values()
					out = append(out, fmt.Sprint(v))
				}
				rows.Close()
				err = rows.Err()
			}
			var pe *pgconn.PgError
			switch {
			case errors.As(err, &pe):
				log = append(log, fmt.Sprintf("%s %v: error %s", q, args, pe.Code))
			case err != nil:
				t.Fatalf("%s %v: %v", q, args, err)
			default:
				log = append(log, fmt.Sprintf("%s %v: %s %v", q, args, rows.CommandTag(), out))
			}
		}
		key := func() any {
			if rng.Intn(15) == 0 {
				return nil
			}
			return rng.Intn(25) + 1 // some missing
		}
		small := func() any { // NULL sometimes
			if rng.Intn(6) == 0 {
				return nil
			}
			return rng.Intn(9)
		}
		insert := func() {
			switch rng.Intn(5) {
			case 0:
				do("INSERT INTO {T} VALUES ($1, $2, $3, $4)", key(), rng.Intn(3), small(), fmt.Sprint("i", rng.Intn(99)))
			case 1:
				do("INSERT INTO {T} (id, bal) VALUES ($1, $2 * 10)", key(), small()) // note's default
			case 2:
				do("INSERT INTO {T} (id, g, bal, note) VALUES ($1, 1, DEFAULT, 'd')", key()) // 23502
			case 3:
				do("INSERT INTO {T}h (k, v, w) VALUES ($1, $2, 'w' || $3)", key(), small(), fmt.Sprint(rng.Intn(9)))
			case 4:
				do("INSERT INTO {T}h (k) VALUES ($1)", key()) // v's default
			}
		}
		for txn := 0; txn < 60; txn++ {
			if rng.Intn(3) == 0 {
				insert() // autocommit
			}
			do("BEGIN")
			saved := false
			for n := rng.Intn(8) + 1; n > 0; n-- {
				switch rng.Intn(11) {
				case 0, 1, 2:
					do("UPDATE {T} SET bal = bal + $1 WHERE id = $2", rng.Intn(200)-100, key())
				case 3:
					do("UPDATE {T} SET bal = bal + $1, note = $2 WHERE id = $3 AND g = $4", rng.Intn(9), fmt.Sprint("u", txn), key(), rng.Intn(3))
				case 4:
					do("UPDATE {T} SET bal = NULL WHERE id = $1", key()) // 23502
				case 5:
					do("UPDATE {T} SET bal = bal + 2147483000 WHERE id = $1", key()) // 22003 on most rows
				case 6, 7:
					do("SELECT bal, note FROM {T} WHERE id = $1", key())
				case 8:
					do("DELETE FROM {T} WHERE id = $1", key())
				case 9:
					if rng.Intn(3) == 0 {
						do("INSERT INTO {T} VALUES ($1, 1, 7, 'ins') ON CONFLICT (id) DO NOTHING", key())
					} else {
						insert()
					}
				case 10:
					if !saved {
						do("SAVEPOINT s")
						saved = true
					} else {
						do("ROLLBACK TO SAVEPOINT s")
					}
				}
			}
			if rng.Intn(4) == 0 {
				do("ROLLBACK")
			} else {
				do("COMMIT")
			}
		}
		do("SELECT id, g, bal, note FROM {T} ORDER BY id")
		do("SELECT k, v, w FROM {T}h ORDER BY k, v, w")
		return log
	}
	on, off := run("p_on", "on"), run("p_off", "off")
	if len(on) != len(off) {
		t.Fatalf("%d outcomes with point plans, %d without", len(on), len(off))
	}
	diffs := 0
	for i := range on {
		a := strings.ReplaceAll(on[i], "p_on", "{T}")
		b := strings.ReplaceAll(off[i], "p_off", "{T}")
		if a != b {
			t.Errorf("statement %d:\n  point plans: %s\n  executor:    %s", i, a, b)
			if diffs++; diffs > 10 {
				t.FailNow()
			}
		}
	}
	for _, want := range []string{"UPDATE 1", "INSERT 0 1", "error 23505", "error 23502"} {
		found := false
		for _, l := range on {
			found = found || strings.Contains(l, want)
		}
		if !found {
			t.Fatalf("no statement had %q: the workload tests too little: %q", want, on[:10])
		}
	}
}

// TestPointUpdateReadCommitted: a point update that waits for another
// transaction's lock on its row re-reads the newest committed version and
// re-checks its WHERE on it (PostgreSQL's READ COMMITTED), a point read in
// the same transaction then sees its own write, and under REPEATABLE READ
// the same update fails with 40001.
func TestPointUpdateReadCommitted(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c1, c2 := testserver.Connect(t, srv), testserver.Connect(t, srv)
	if _, err := c1.Exec(ctx, `CREATE TABLE rc (id int PRIMARY KEY, bal int); INSERT INTO rc VALUES (1, 100), (2, 200)`); err != nil {
		t.Fatal(err)
	}
	exec := func(c *pgx.Conn, q string, args ...any) string {
		t.Helper()
		tag, err := c.Exec(ctx, q, args...)
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return pe.Code
			}
			t.Fatalf("%s: %v", q, err)
		}
		return tag.String()
	}
	bal := func(c *pgx.Conn, id int) int {
		t.Helper()
		var b int
		if err := c.QueryRow(ctx, "SELECT bal FROM rc WHERE id = $1", id).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	// blocked runs q on c2 while c1 holds the row, then commits c1.
	blocked := func(q string, args ...any) string {
		t.Helper()
		st := srv.Engine.Locks.Stats()
		l0, w0 := st.Locks.Load(), st.Waits.Load()
		done := make(chan string, 1)
		go func() {
			tag, err := c2.Exec(ctx, q, args...)
			var pe *pgconn.PgError
			switch {
			case errors.As(err, &pe):
				done <- pe.Code
			case err != nil:
				done <- err.Error()
			default:
				done <- tag.String()
			}
		}()
		// The update asks for c1's row lock (and then waits: until c1
		// commits, no answer).
		for st.Locks.Load() == l0 {
			select {
			case r := <-done:
				t.Fatalf("%s did not wait for the row lock: %s", q, r)
			case <-time.After(5 * time.Millisecond):
			}
		}
		select {
		case r := <-done:
			t.Fatalf("%s did not wait for the row lock: %s", q, r)
		case <-time.After(50 * time.Millisecond):
		}
		if got := exec(c1, "COMMIT"); got != "COMMIT" {
			t.Fatalf("COMMIT: %s", got)
		}
		r := <-done
		if st.Waits.Load() == w0 {
			t.Fatalf("%s: no lock wait counted", q)
		}
		return r
	}
	// Increment after increment: both apply.
	exec(c1, "BEGIN")
	exec(c1, "UPDATE rc SET bal = bal + $1 WHERE id = $2", 5, 1)
	exec(c2, "BEGIN")
	if got := blocked("UPDATE rc SET bal = bal + $1 WHERE id = $2", 7, 1); got != "UPDATE 1" {
		t.Fatalf("second increment: %s", got)
	}
	if b := bal(c2, 1); b != 112 {
		t.Fatalf("own write after the re-read: %d, want 112", b)
	}
	exec(c2, "COMMIT")
	if b := bal(c1, 1); b != 112 {
		t.Fatalf("committed: %d, want 112", b)
	}

	// The WHERE no longer holds on the re-read row: UPDATE 0.
	exec(c1, "BEGIN")
	exec(c1, "UPDATE rc SET bal = bal + 1 WHERE id = $1", 2)
	exec(c2, "BEGIN")
	if got := blocked("UPDATE rc SET bal = 0 WHERE id = $1 AND bal = $2", 2, 200); got != "UPDATE 0" {
		t.Fatalf("re-checked WHERE: %s", got)
	}
	exec(c2, "COMMIT")
	if b := bal(c1, 2); b != 201 {
		t.Fatalf("row 2: %d, want 201", b)
	}

	// REPEATABLE READ: a serialization failure.
	exec(c2, "BEGIN ISOLATION LEVEL REPEATABLE READ")
	if b := bal(c2, 2); b != 201 { // takes the snapshot
		t.Fatalf("row 2: %d, want 201", b)
	}
	exec(c1, "BEGIN")
	exec(c1, "UPDATE rc SET bal = bal + 1 WHERE id = $1", 2)
	if got := blocked("UPDATE rc SET bal = bal + 1 WHERE id = $1", 2); got != "40001" {
		t.Fatalf("repeatable read: %s, want 40001", got)
	}
	exec(c2, "ROLLBACK")
	if b := bal(c1, 2); b != 202 {
		t.Fatalf("row 2: %d, want 202", b)
	}
}
