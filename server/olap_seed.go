package server

import (
	"context"
	"os"
	"strconv"

	"github.com/omendb/omendb/checkpoint"
)

// Seeding the column store from the row store (olap/seed.go). The column
// store recovers from its checkpoint plus the log after it; when the log no
// longer holds those records (a data directory restored from a backup of a
// trimmed log, OLAP checkpoints lost while the log was trimmed), it is
// seeded instead: every row visible in the row store at its applied offset
// R, appended as inserted at R; the materializer continues from R+1. The
// column store then has no history below R: statements reading a snapshot
// below it (omendb.as_of, or a transaction that began before the seeding)
// are served by the row store, or fail when the column engine is forced
// (22023 under omendb.as_of, else 0A000; sql/vexec Runner.Run). Once the materializer has caught up, an
// OLAP checkpoint is written so that the next start does not seed again;
// until then the column store holds the log from R ("olap" hold).

// Without a usable OLAP checkpoint but with the whole log, the column
// store is rebuilt by replaying the log, which keeps its history for time
// travel: seeding was not faster in every measurement (docs/benchmarks.md,
// "Recovery": 1.57× faster at 1M rows, 0.57× at 10M on a loaded machine).
// OMENDB_OLAP_SEED_MIN=N (for measuring) makes the server seed instead when
// the log holds at least N records or the row store at least N live rows
// (0: always); unset, it never does (seedLong false).
var (
	seedLong       bool
	seedMinRecords uint64
	seedMinRows    int64
)

func init() {
	if v := os.Getenv("OMENDB_OLAP_SEED_MIN"); v != "" {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			seedLong, seedMinRecords, seedMinRows = true, n, int64(n)
		}
	}
}

// liveRows returns the number of live rows in the row store.
func liveRows(s *Server) int64 {
	var n int64
	for _, def := range s.Store.Catalog().Tables() {
		if t := s.Store.Table(def.ID); t != nil {
			n += t.Count()
		}
	}
	return n
}

// seed fills the column store from the row store (which is ready: load
// runs after it) and reports whether it did; on failure the store stays
// empty and the materializer replays the log (failing loudly, with the
// offset, if the log was trimmed).
func (o *OLAP) seed(ctx context.Context, s *Server, why string) bool {
	s.logger.Info("olap recovery: seeding the column store from the row store", "why", why, "row_store_offset", uint64(s.Store.Applied()))
	st, err := o.Store.Seed(ctx, s.Store)
	if err != nil {
		s.logger.Error("olap recovery: seeding from the row store failed; replaying the log instead", "err", err)
		return false
	}
	o.needed.Store(st.Offset) // the log from R on: the materializer continues from R+1
	s.logger.Info("olap recovery: column store seeded from the row store", "offset", st.Offset,
		"tables", st.Tables, "rows", st.Rows, "attempts", st.Attempts, "took", st.Took.Round(1e6))
	return true
}

// checkpointAfterSeed runs once the materializer has caught up after
// seeding: it writes an OLAP checkpoint in the background (paced) so that a
// restart loads it instead of seeding again, unless checkpoints are off.
func (o *OLAP) checkpointAfterSeed(ctx context.Context, s *Server) {
	if o.ckptDir == "" || checkpointInterval(s.cfg) <= 0 {
		return
	}
	s.wg.Add(1) // the OLAP goroutine is still running: the count is not 0
	go func() {
		defer s.wg.Done()
		if ctx.Err() != nil {
			return
		}
		if m, err := o.checkpoint(s, checkpoint.DefaultPace); err == nil && m != nil {
			s.logger.Info("olap recovery: checkpoint written after seeding", "offset", m.Offset)
		}
	}()
}
