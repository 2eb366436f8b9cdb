package server

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/checkpoint"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/materializer"
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql"
	"github.com/omendb/omendb/sql/vexec"
)

// OLAP is the column store side of a server: its store, the materializer
// that feeds it from the log, and the runner that serves column scans.
type OLAP struct {
	Store  *olap.Store
	Mat    *materializer.Materializer
	Runner *vexec.Runner

	ckptDir  string     // <data>/checkpoints/olap; "" without a data directory
	ckptMu   sync.Mutex // one OLAP checkpoint writer at a time
	ckptLast uint64     // offset of the newest OLAP checkpoint written or loaded (ckptMu)
	needed   atomic.Uint64
}

// OLAPCheckpointDir returns the directory where a server with data
// directory data keeps its column-store checkpoints.
func OLAPCheckpointDir(data string) string { return filepath.Join(CheckpointDir(data), "olap") }

// startOLAP installs the column runner and starts the column store's
// recovery and materializer. Recovery waits until the row store is ready
// (the row store gates sessions, so it gets both cores first; column
// statements meanwhile fall back to the row store, or wait when the column
// engine is forced), then loads the newest valid OLAP checkpoint and
// replays the log after it — or, without a usable one, seeds the store from
// the row store (olap_seed.go) or replays the whole log. /readyz does not
// wait for the column store. Both goroutines stop when ctx ends.
func startOLAP(s *Server, ctx context.Context) *OLAP {
	o := &OLAP{Store: olap.New(nil, 0)}
	// The column store is applied behind the row store, whose apply of a
	// bulk record (a COPY) is on its writer's way to the answer: it waits
	// while one runs rather than take half the CPU from it.
	o.Store.Yield = s.Store.WaitBulk
	if s.cfg.Data != "" {
		o.ckptDir = OLAPCheckpointDir(s.cfg.Data)
	}
	o.Mat = materializer.New("olap", s.Log, o.Store, s.logger)
	s.HoldLog("olap", o.neededFrom) // log retention keeps what a restart replays
	o.Runner = &vexec.Runner{Store: o.Store, Healthy: func() bool { return o.Mat.Err() == nil }}
	vexec.Register(s.Store, o.Runner)
	sql.ColumnRunner = vexec.Dispatch
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		var onReady func()
		select {
		case <-s.ready:
			if o.load(ctx, s) {
				onReady = func() { o.checkpointAfterSeed(ctx, s) }
			}
		case <-ctx.Done():
		}
		_ = o.Mat.Run(ctx, onReady)
	}()
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		vexec.Unregister(o.Runner)
	}()
	return o
}

// OLAPLag reports how far the column store is behind the row store: in offsets
// (the row store's applied offset minus the column store's) and in time
// since the column store's last applied record was stored in the log.
func (s *Server) OLAPLag() (offsets uint64, since time.Duration) {
	row, col := s.Store.Applied(), s.OLAP.Store.Applied()
	if row > col {
		offsets = uint64(row - col)
	}
	return offsets, s.OLAP.Mat.Lag()
}

// load fills the column store before the materializer follows the log:
// from the newest valid OLAP checkpoint not ahead of the log whose
// following records are all still in it (corrupt ones are logged and
// skipped); without one, by seeding it from the row store (olap_seed.go)
// when the log no longer holds every record from offset 1 (or, with
// OMENDB_OLAP_SEED_MIN, is long); otherwise the store stays empty and the
// materializer replays the whole log. It reports whether it seeded.
func (o *OLAP) load(ctx context.Context, s *Server) (seeded bool) {
	last, err := s.Log.Last(ctx)
	if err != nil {
		s.logger.Error("olap recovery: cannot read the log's end; replaying the whole log", "err", err)
		return false
	}
	first, err := s.Log.FirstOffset(ctx)
	if err != nil {
		s.logger.Error("olap recovery: cannot read the log's first offset; replaying the whole log", "err", err)
		return false
	}
	if o.ckptDir != "" {
		o.ckptMu.Lock()
		m, err := checkpoint.LoadOLAPFrom(o.ckptDir, uint64(first), uint64(last), o.Store, s.logger)
		if err != nil {
			s.logger.Error("olap checkpoint: listing checkpoints failed", "err", err)
		}
		if m != nil {
			o.ckptLast = m.Offset
			o.needed.Store(m.Offset)
		}
		o.ckptMu.Unlock()
		if m != nil {
			return false
		}
	}
	why := ""
	switch {
	case first > 1:
		why = fmt.Sprintf("the log was trimmed below offset %d and no OLAP checkpoint covers the gap", uint64(first))
	case seedLong && uint64(last) >= seedMinRecords:
		why = fmt.Sprintf("no OLAP checkpoint and %d records to replay (OMENDB_OLAP_SEED_MIN)", uint64(last))
	case seedLong && liveRows(s) >= seedMinRows:
		why = fmt.Sprintf("no OLAP checkpoint and %d rows to rebuild (OMENDB_OLAP_SEED_MIN)", liveRows(s))
	default:
		return false
	}
	return o.seed(ctx, s, why)
}

// neededFrom returns H such that the column store needs every log record
// after H (the retention holder's contract): the oldest kept OLAP
// checkpoint's offset (so that falling back from a corrupt newest
// checkpoint to the older one still finds its records), or 0 (the whole
// log) before there is a checkpoint to start from.
func (o *OLAP) neededFrom() log.Offset { return log.Offset(o.needed.Load()) }

// checkpoint writes an OLAP checkpoint if the column store has recovered
// and advanced since the last one.
func (o *OLAP) checkpoint(s *Server, pace float64) (*checkpoint.OLAPManifest, error) {
	if o.ckptDir == "" || !o.Mat.Ready() || o.Mat.Err() != nil {
		return nil, nil
	}
	o.ckptMu.Lock()
	defer o.ckptMu.Unlock()
	if uint64(o.Store.Applied()) <= o.ckptLast {
		return nil, nil
	}
	if err := o.space(s); err != nil {
		s.logger.Warn("olap checkpoint skipped", "err", err)
		return nil, err
	}
	m, err := checkpoint.WriteOLAP(o.ckptDir, o.Store, pace)
	if err != nil {
		s.logger.Error("olap checkpoint failed", "err", err)
		return nil, err
	}
	o.ckptLast = m.Offset
	if ms, err := checkpoint.ListOLAP(o.ckptDir, nil); err == nil && len(ms) > 0 {
		// A kept checkpoint older than a seeded store's oldest point was
		// written before the log was trimmed under it: falling back to it
		// cannot work, so it holds nothing.
		o.needed.Store(max(ms[len(ms)-1].Offset, o.Store.Oldest()))
	}
	var rows int64
	for _, f := range m.Files {
		rows += f.Live
	}
	s.logger.Info("olap checkpoint written", "offset", m.Offset, "tables", len(m.Files), "rows", rows, "took_ms", m.TookMS)
	return m, nil
}

// CheckpointOLAP writes a checkpoint of the column store now (if it has
// recovered and advanced since the last one), paced like Checkpoint, and
// returns its manifest, or nil when there was nothing to do.
func (s *Server) CheckpointOLAP() (*checkpoint.OLAPManifest, error) {
	if s.OLAP == nil {
		return nil, nil
	}
	return s.OLAP.checkpoint(s, checkpoint.DefaultPace)
}

// space refuses an OLAP checkpoint that would eat into the log's disk
// reserve, estimating its size by the newest one's plus a quarter (as
// checkpointSpace does for the row store).
func (o *OLAP) space(s *Server) error {
	free, reserve, err := s.Log.FreeSpace()
	if err != nil || reserve == 0 {
		return nil
	}
	var est uint64
	if ms, err := checkpoint.ListOLAP(o.ckptDir, nil); err == nil && len(ms) > 0 {
		for _, f := range ms[0].Files {
			est += uint64(f.Bytes)
		}
		est += est / 4
	}
	if free < reserve+est {
		return pgerr.New(pgerr.DiskFull, "could not write an OLAP checkpoint: %d bytes free, the log keeps %d in reserve and the checkpoint needs about %d", free, reserve, est)
	}
	return nil
}
