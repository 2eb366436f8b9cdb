package sql_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/internal/testserver"
	"github.com/omendb/omendb/sql"
	"github.com/omendb/omendb/sql/pgwire"
)

const pointSchema = `
CREATE TABLE acc (aid int PRIMARY KEY, bid int, abalance int, filler char(20));
INSERT INTO acc SELECT g, g % 7, g * 10, 'f' || g FROM generate_series(1, 50) g;
CREATE TABLE two (a int, b text, v int, PRIMARY KEY (a, b));
INSERT INTO two VALUES (1, 'x', 10), (1, 'y', 11), (2, 'x', 20);
ALTER TABLE acc ADD COLUMN extra int DEFAULT 7;
INSERT INTO acc VALUES (51, 1, 510, 'new', 8);
`

// TestPointReadPlans checks which statements take the point-read path.
func TestPointReadPlans(t *testing.T) {
	checkPlanKind(t, pointSchema, "point read", sql.IsPointRead, []planCase{
		{"SELECT abalance FROM acc WHERE aid = $1", true},
		{"SELECT * FROM acc WHERE aid = $1", true},
		{"SELECT abalance, aid, extra FROM acc WHERE aid = 3", true},
		{"SELECT abalance FROM acc WHERE aid = $1 AND bid > 2", true},
		{"SELECT v FROM two WHERE a = $1 AND b = $2", true},
		{"SELECT abalance FROM acc WHERE aid = $1 + 1", true},
		{"SELECT v FROM two WHERE a = $1", false},                       // a key prefix: a range
		{"SELECT abalance + 1 FROM acc WHERE aid = $1", false},          // computes
		{"SELECT count(*) FROM acc WHERE aid = $1", false},              // aggregates
		{"SELECT abalance FROM acc WHERE aid = $1 LIMIT 1", false},      // a Limit node
		{"SELECT abalance FROM acc WHERE aid = abs($1)", false},         // a function
		{"SELECT abalance FROM acc WHERE bid = $1", false},              // no key
		{"SELECT abalance FROM acc WHERE aid = $1 ORDER BY bid", false}, // a Sort node
	})
}

// planCase is a statement and whether it must take a point plan.
type planCase struct {
	sql   string
	point bool
}

// checkPlanKind prepares each case's statement on a fresh server with
// schema and demands that is (sql.IsPointRead, sql.IsPointUpdate) says
// what the case does.
func checkPlanKind(t *testing.T, schema, kind string, is func(pgwire.Statement) bool, cases []planCase) {
	t.Helper()
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, schema); err != nil {
		t.Fatal(err)
	}
	sess, err := srv.Engine.NewSession(ctx, map[string]string{"user": "omendb", "database": "omendb"})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for _, q := range cases {
		stmts, err := sess.Prepare(ctx, q.sql, nil)
		if err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
		if _, _, err := stmts[0].Describe(ctx); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
		if got := is(stmts[0]); got != q.point {
			t.Errorf("%s: %s %v, want %v", q.sql, kind, got, q.point)
		}
	}
}

// TestPointReadsMatchTransaction runs point reads in autocommit and inside
// a transaction block (both the point-read path) and, with
// omendb.point_plans = off, through the general executor, and demands the
// same rows.
func TestPointReadsMatchTransaction(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, pointSchema); err != nil {
		t.Fatal(err)
	}
	type q struct {
		sql  string
		args []any
	}
	qs := []q{
		{"SELECT abalance FROM acc WHERE aid = $1", []any{5}},
		{"SELECT abalance FROM acc WHERE aid = $1", []any{500}},     // no such row
		{"SELECT abalance FROM acc WHERE aid = $1", []any{nil}},     // NULL key
		{"SELECT * FROM acc WHERE aid = $1", []any{9}},              // extra: the default of a later column
		{"SELECT extra, filler FROM acc WHERE aid = $1", []any{51}}, // stored with it
		{"SELECT abalance FROM acc WHERE aid = $1 AND bid > 2", []any{3}},
		{"SELECT abalance FROM acc WHERE aid = $1 AND bid > 2", []any{7}}, // filtered out
		{"SELECT abalance FROM acc WHERE aid = $1 AND extra = 7", []any{4}},
		{"SELECT v FROM two WHERE a = $1 AND b = $2", []any{1, "y"}},
		{"SELECT v, b FROM two WHERE b = $2 AND a = $1", []any{2, "x"}},
		{"SELECT abalance FROM acc WHERE aid = $1 + 1", []any{41}},
		{"SELECT abalance FROM acc WHERE aid = 12", nil},
	}
	read := func(tx bool, x q, mode pgx.QueryExecMode) [][]any {
		t.Helper()
		if tx {
			if _, err := c.Exec(ctx, "BEGIN"); err != nil {
				t.Fatal(err)
			}
			defer c.Exec(ctx, "ROLLBACK")
		}
		rows, err := c.Query(ctx, x.sql, append([]any{mode}, x.args...)...)
		if err != nil {
			t.Fatalf("%s %v: %v", x.sql, x.args, err)
		}
		var out [][]any
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s %v: %v", x.sql, x.args, err)
		}
		if tag := rows.CommandTag().String(); tag != "SELECT "+strconv.Itoa(len(out)) {
			t.Errorf("%s %v: tag %q for %d rows", x.sql, x.args, tag, len(out))
		}
		return out
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec} {
		for _, x := range qs {
			for round := 0; round < 2; round++ { // the second execution runs the cached plan
				auto, block := read(false, x, mode), read(true, x, mode)
				if fmt.Sprint(auto) != fmt.Sprint(block) {
					t.Errorf("%s %v (mode %v): autocommit %s, in a transaction %s", x.sql, x.args, mode, fmt.Sprint(auto), fmt.Sprint(block))
				}
				// The general executor (no point plans) gives the same rows.
				if _, err := c.Exec(ctx, "SET omendb.point_plans = off"); err != nil {
					t.Fatal(err)
				}
				general := read(true, x, mode)
				if _, err := c.Exec(ctx, "RESET omendb.point_plans"); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(auto) != fmt.Sprint(general) {
					t.Errorf("%s %v (mode %v): point read %s, executor %s", x.sql, x.args, mode, fmt.Sprint(auto), fmt.Sprint(general))
				}
			}
		}
	}
	// Spot-check the answers themselves.
	var bal, extra int
	if err := c.QueryRow(ctx, "SELECT abalance, extra FROM acc WHERE aid = $1", 9).Scan(&bal, &extra); err != nil || bal != 90 || extra != 7 {
		t.Fatalf("aid 9: %d %d %v, want 90 7", bal, extra, err)
	}
	// A committed update is seen by the next point read; a dropped table
	// is an error, not a stale row.
	if _, err := c.Exec(ctx, "UPDATE acc SET abalance = -1 WHERE aid = 9"); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SELECT abalance FROM acc WHERE aid = $1", 9).Scan(&bal); err != nil || bal != -1 {
		t.Fatalf("aid 9 after update: %d %v", bal, err)
	}
	if _, err := c.Exec(ctx, "DROP TABLE two"); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SELECT v FROM two WHERE a = $1 AND b = $2", 1, "y").Scan(&bal); err == nil {
		t.Fatal("point read of a dropped table succeeded")
	}
}

// TestPointReadSuspendedPortal keeps one point read's portal suspended (a
// row limit) while another runs before the first is resumed: the two
// results must not share state.
func TestPointReadSuspendedPortal(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c := testserver.Connect(t, srv)
	if _, err := c.Exec(ctx, pointSchema); err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "omendb", "database": "omendb"}})
	fe.Send(&pgproto3.Parse{Name: "s", Query: "SELECT abalance FROM acc WHERE aid = $1"})
	for i, p := range []string{"p1", "p2"} {
		fe.Send(&pgproto3.Bind{DestinationPortal: p, PreparedStatement: "s", Parameters: [][]byte{[]byte(strconv.Itoa(i + 3))}})
	}
	fe.Send(&pgproto3.Execute{Portal: "p1", MaxRows: 1})
	fe.Send(&pgproto3.Execute{Portal: "p2"})
	fe.Send(&pgproto3.Execute{Portal: "p1"})
	fe.Send(&pgproto3.Sync{})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for ready := 0; ready < 2; {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.ReadyForQuery:
			ready++
		case *pgproto3.DataRow:
			got = append(got, "row "+string(m.Values[0]))
		case *pgproto3.PortalSuspended:
			got = append(got, "suspended")
		case *pgproto3.CommandComplete:
			got = append(got, string(m.CommandTag))
		case *pgproto3.ErrorResponse:
			t.Fatalf("%s: %s", m.Code, m.Message)
		}
	}
	want := "[row 30 suspended row 40 SELECT 1 SELECT 0]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}
