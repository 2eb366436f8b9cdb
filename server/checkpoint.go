package server

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/omendb/omendb/backup" // registers BACKUP TO
	"github.com/omendb/omendb/checkpoint"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
)

// DefaultCheckpointInterval is how often the server checkpoints the row
// store when the log has advanced. OMENDB_CHECKPOINT_INTERVAL (a Go
// duration; "0" or negative disables) overrides Config.CheckpointInterval.
const DefaultCheckpointInterval = 5 * time.Minute

// checkpointer owns the server's checkpoint directory (<data>/checkpoints).
// One goroutine writes at a time (mu): the periodic loop, the final
// checkpoint at Close, and BACKUP.
type checkpointer struct {
	dir  string
	mu   sync.Mutex
	last uint64 // offset of the newest checkpoint written or loaded
	// timed and requested count the checkpoints written on schedule and
	// for CHECKPOINT or BACKUP; writeNS is the time spent writing them
	// (pg_stat_bgwriter).
	timed, requested, writeNS atomic.Int64
}

// CheckpointDir returns the directory where a server with data directory
// data keeps its checkpoints.
func CheckpointDir(data string) string { return filepath.Join(data, "checkpoints") }

func checkpointInterval(cfg Config) time.Duration {
	if v := os.Getenv("OMENDB_CHECKPOINT_INTERVAL"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	if cfg.CheckpointInterval != 0 {
		return cfg.CheckpointInterval
	}
	return DefaultCheckpointInterval
}

// openStore returns the row store to recover into: the newest valid
// checkpoint not ahead of the log, or an empty store (full replay).
func (s *Server) openStore(ctx context.Context, l log.Log) *oltp.Store {
	if s.cfg.Data == "" {
		st := oltp.NewStore()
		st.IndexMethod = s.cfg.IndexMethod
		return st
	}
	s.ckpt = &checkpointer{dir: CheckpointDir(s.cfg.Data)}
	// Nothing else runs yet (the column store recovers after the row store
	// is ready), and loading allocates almost only what the store keeps: the
	// collector would repeatedly mark a heap that only grows. It is off for
	// the load (a GOMEMLIMIT still bounds the heap) and back on after.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	last, err := l.Last(ctx)
	if err != nil {
		s.logger.Error("checkpoint: cannot read the log's end; replaying the whole log", "err", err)
	} else if st, m, err := checkpoint.Load(s.ckpt.dir, uint64(last), s.cfg.IndexMethod, s.logger); err != nil {
		s.logger.Error("checkpoint: listing checkpoints failed; replaying the whole log", "err", err)
	} else if st != nil {
		s.ckpt.last = m.Offset
		return st
	}
	st := oltp.NewStore()
	st.IndexMethod = s.cfg.IndexMethod
	return st
}

// Checkpoint writes a checkpoint of the row store now (if it advanced since
// the last one) and returns its manifest, or nil when there was nothing new.
// It is paced (checkpoint.DefaultPace) so that commits meanwhile keep their
// latency.
func (s *Server) Checkpoint() (*checkpoint.Manifest, error) {
	return s.checkpoint(checkpoint.DefaultPace)
}

func (s *Server) checkpoint(pace float64) (*checkpoint.Manifest, error) {
	if s.ckpt == nil {
		return nil, nil
	}
	s.ckpt.mu.Lock()
	defer s.ckpt.mu.Unlock()
	if uint64(s.Store.Applied()) <= s.ckpt.last {
		return nil, nil
	}
	if err := s.checkpointSpace(); err != nil { // retention.go
		s.logger.Warn("checkpoint skipped", "err", err)
		return nil, err
	}
	m, err := checkpoint.WritePaced(s.ckpt.dir, s.Store, pace)
	if err != nil {
		s.logger.Error("checkpoint failed", "err", err)
		return nil, err
	}
	s.ckpt.last = m.Offset
	s.ckpt.writeNS.Add(m.TookMS * int64(time.Millisecond))
	s.logger.Info("checkpoint written", "offset", m.Offset, "rows", m.Rows, "bytes", m.Bytes, "took_ms", m.TookMS)
	return m, nil
}

// runCheckpoints checkpoints periodically once recovery is done.
func (s *Server) runCheckpoints(ctx context.Context) {
	if s.ckpt == nil {
		return
	}
	s.periodic(ctx, checkpointInterval(s.cfg), func() {
		if m, _ := s.Checkpoint(); m != nil {
			s.ckpt.timed.Add(1)
		}
		_, _ = s.CheckpointOLAP()
	})
}

// periodic calls fn every interval, starting one interval after recovery is
// done, until ctx ends. A non-positive interval disables it.
func (s *Server) periodic(ctx context.Context, every time.Duration, fn func()) {
	if every <= 0 {
		return
	}
	select {
	case <-s.ready:
	case <-ctx.Done():
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// finalCheckpoint runs at Close, after the committer and both materializers
// have stopped, so that the next start replays nothing.
func (s *Server) finalCheckpoint() {
	if s.ckpt == nil || checkpointInterval(s.cfg) <= 0 || s.Mat == nil || !s.Mat.Ready() || s.Mat.Err() != nil {
		return
	}
	// Nothing else runs: as fast as possible.
	_, _ = s.checkpoint(0)
	if s.OLAP != nil {
		_, _ = s.OLAP.checkpoint(s, 0)
	}
}

// sqlCheckpoints is the server's checkpointing as the SQL engine sees it
// (sql.Checkpointer): CHECKPOINT and pg_stat_bgwriter.
type sqlCheckpoints struct{ s *Server }

// CheckpointNow writes the row store's and the column store's
// checkpoints at once (unpaced), as PostgreSQL's CHECKPOINT does.
func (c sqlCheckpoints) CheckpointNow() error {
	s := c.s
	if s.ckpt == nil {
		return nil
	}
	if _, err := s.checkpoint(0); err != nil {
		return err
	}
	s.ckpt.requested.Add(1)
	if s.OLAP != nil {
		if _, err := s.OLAP.checkpoint(s, 0); err != nil {
			return err
		}
	}
	return nil
}

// CheckpointStats implements sql.Checkpointer.
func (c sqlCheckpoints) CheckpointStats() (timed, requested int64, writeTime time.Duration) {
	if c.s.ckpt == nil {
		return 0, 0, 0
	}
	k := c.s.ckpt
	return k.timed.Load(), k.requested.Load(), time.Duration(k.writeNS.Load())
}
