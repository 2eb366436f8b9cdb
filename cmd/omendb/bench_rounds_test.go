package main

import (
	"strings"
	"testing"
)

// Each round's OmenDB figure is compared with PostgreSQL's of the same
// round (not another round's), and the median is of the rounds' ratios.
func TestCommitRatiosByRound(t *testing.T) {
	rs := []commitResult{
		{System: "omendb", Conns: 64, Round: 1, PerSec: 16000, P50Ms: 4},
		{System: "postgres", Conns: 64, Round: 1, PerSec: 8000, P50Ms: 8},
		{System: "omendb", Conns: 64, Round: 2, PerSec: 9000, P50Ms: 6},
		{System: "postgres", Conns: 64, Round: 2, PerSec: 6000, P50Ms: 6},
		{System: "omendb", Conns: 64, Round: 3, PerSec: 15000, P50Ms: 4},
		{System: "postgres", Conns: 64, Round: 3, PerSec: 6000, P50Ms: 5},
	}
	got := commitRatios(rs, 3)
	want := []string{
		"64 conns, omendb (round 1): throughput 2.00x, p50 latency 0.50x",
		"64 conns, omendb (round 2): throughput 1.50x, p50 latency 1.00x",
		"64 conns, omendb (round 3): throughput 2.50x, p50 latency 0.80x",
		"64 conns, omendb, median of 3 rounds: throughput 2.00x, p50 latency 0.80x",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if one := commitRatios(rs[:2], 1); len(one) != 1 || one[0] != "64 conns, omendb: throughput 2.00x, p50 latency 0.50x" {
		t.Fatalf("one round: %q", one)
	}
}

func TestPgbenchRoundSummary(t *testing.T) {
	rs := []pgbenchResult{
		{System: "omendb", Script: "tpcb-like", Mode: "prepared", Round: 1, TPS: 3600},
		{System: "postgres", Script: "tpcb-like", Mode: "prepared", Round: 1, TPS: 2000},
		{System: "omendb", Script: "tpcb-like", Mode: "prepared", Round: 2, TPS: 3000},
		{System: "postgres", Script: "tpcb-like", Mode: "prepared", Round: 2, TPS: 1500},
	}
	got := pgbenchRoundSummary(rs)
	want := "tpcb-like -M prepared, omendb / postgres by round: 1.80x, 2.00x; median 1.90x"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if q, ok := pgbenchPeer(rs, rs[2]); !ok || q.Round != 2 {
		t.Fatalf("peer of round 2: %+v %v", q, ok)
	}
	if _, ok := pgbenchPeer(rs, rs[1]); ok {
		t.Fatal("PostgreSQL has no peer")
	}
}
