package server

import (
	"context"
	"time"

	"github.com/omendb/omendb/materializer"
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/sql"
	"github.com/omendb/omendb/sql/vexec"
)

// OLAP is the column store side of a server: its store, the materializer
// that feeds it from the log, and the runner that serves column scans.
type OLAP struct {
	Store  *olap.Store
	Mat    *materializer.Materializer
	Runner *vexec.Runner
}

// startOLAP starts the column store's materializer (it replays the log from
// offset 0: the column store is rebuilt at every start) and installs the
// column runner. Both stop when ctx ends.
func startOLAP(s *Server, ctx context.Context) *OLAP {
	o := &OLAP{Store: olap.New(nil, 0)}
	o.Mat = materializer.New("olap", s.Log, o.Store, s.logger)
	o.Runner = &vexec.Runner{Store: o.Store, Healthy: func() bool { return o.Mat.Err() == nil }}
	vexec.Register(s.Store, o.Runner)
	sql.ColumnRunner = vexec.Dispatch
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		_ = o.Mat.Run(ctx, nil)
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
