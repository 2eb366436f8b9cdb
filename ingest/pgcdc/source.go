package pgcdc

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/types"
)

// source runs one CREATE SOURCE: the snapshot copy, then streaming. Its
// goroutines: run (the supervisor, retrying with backoff), the copy workers
// during the snapshot, and during streaming a receiver (reads the slot,
// acknowledges) and an applier (commits).
type source struct {
	m      *Manager
	def    *Definition
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	state    string
	lastErr  string
	tables   map[uint32]*tableState
	walEnd   atomic.Uint64
	acked    atomic.Uint64 // end LSN of the last durable source transaction
	lastTime atomic.Int64  // source commit time (µs) of the last applied transaction
	behind   atomic.Bool   // received transactions not yet durable
	txns     atomic.Int64
	rowsCopy atomic.Int64
}

type tableState struct {
	st      SourceTable
	state   string
	lastErr string
	copied  atomic.Int64
	done    int
}

func newSource(m *Manager, def *Definition) *source {
	s := &source{m: m, def: def, state: "starting", tables: map[uint32]*tableState{}, done: make(chan struct{})}
	for _, t := range def.Tables {
		ts := &tableState{st: t, state: "snapshotting"}
		for c := 0; c < t.Chunks; c++ {
			if len(m.store.Meta(chunkKey(def.Name, t.ID, c))) > 0 {
				ts.done++
			}
		}
		if e := m.store.Meta(fmt.Sprintf("%s%s:%d", metaTableErrPfx, def.Name, t.ID)); len(e) > 0 {
			ts.state, ts.lastErr = "error", string(e)
		}
		s.tables[t.ID] = ts
	}
	s.acked.Store(decodeLSN(m.store.Meta(metaLSNPfx + def.Name)))
	return s
}

func (s *source) stop() {
	s.cancel()
	<-s.done
}

func (s *source) setState(st, errText string) {
	s.mu.Lock()
	s.state, s.lastErr = st, errText
	s.mu.Unlock()
}

func (s *source) setTableError(id uint32, msg string) {
	s.mu.Lock()
	if ts := s.tables[id]; ts != nil {
		ts.state, ts.lastErr = "error", msg
	}
	s.mu.Unlock()
	s.m.logger.Error("source table error", "source", s.def.Name, "table", id, "err", msg)
}

func (s *source) tableErr(id uint32) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ts := s.tables[id]; ts != nil && ts.state == "error" {
		return ts.lastErr
	}
	return ""
}

func (s *source) status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Name: s.def.Name, State: s.state, LastError: s.lastErr, ConfirmedLSN: s.acked.Load(),
		WALEnd: s.walEnd.Load(), TxnsApplied: s.txns.Load()}
	if w := st.WALEnd; w > st.ConfirmedLSN && s.behind.Load() {
		st.LagBytes = int64(w - st.ConfirmedLSN)
	}
	if s.behind.Load() {
		if t := s.lastTime.Load(); t > 0 {
			st.LagMillis = max(0, (time.Now().UnixMicro()-t)/1000)
		}
	}
	for _, t := range s.def.Tables {
		ts := s.tables[t.ID]
		st.RowsCopied += ts.copied.Load()
		st.RowsTotal += t.Estimate
		st.Tables = append(st.Tables, TableStatus{Source: s.def.Name, Schema: t.Schema, Name: t.Name, State: ts.state,
			LastError: ts.lastErr, RowsCopied: ts.copied.Load(), Estimate: t.Estimate, ChunksDone: ts.done, ChunksTodo: t.Chunks - ts.done})
	}
	return st
}

// run is the supervisor: snapshot (if unfinished), then stream; on an error
// it records it on the status and retries with backoff until stopped.
func (s *source) run(ctx context.Context, snap *exported) {
	defer close(s.done)
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		err := s.snapshot(ctx, snap)
		if snap != nil {
			snap.conn.Close(context.Background())
			snap = nil
		}
		if err == nil {
			s.mu.Lock()
			for _, ts := range s.tables {
				if ts.state == "snapshotting" || ts.state == "starting" {
					ts.state = "streaming"
				}
			}
			s.mu.Unlock()
			s.setState("streaming", "")
			began := time.Now()
			err = s.stream(ctx)
			if time.Since(began) > 30*time.Second {
				backoff = 200 * time.Millisecond
			}
		}
		if ctx.Err() != nil {
			return
		}
		s.m.logger.Warn("source failed; retrying", "source", s.def.Name, "err", err, "in", backoff)
		s.mu.Lock()
		s.state, s.lastErr = "error", err.Error()
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}

type chunkJob struct {
	t     SourceTable
	chunk int
	// fresh: read at the slot's exported snapshot, so no row of the chunk
	// can be in OmenDB yet (no lookups needed); otherwise rows are upserts.
	fresh bool
}

// snapshot copies every unfinished chunk. With snap (a fresh slot) the copy
// reads the exported snapshot; after a restart the snapshot is gone, so the
// remaining chunks are read at a newer snapshot and written as upserts —
// streaming from the consistent point then replays the changes in between,
// which converges to the source's state (see doc.go).
func (s *source) snapshot(ctx context.Context, snap *exported) error {
	var jobs []chunkJob
	for _, t := range s.def.Tables {
		for c := 0; c < t.Chunks; c++ {
			if len(s.m.store.Meta(chunkKey(s.def.Name, t.ID, c))) == 0 {
				jobs = append(jobs, chunkJob{t: t, chunk: c, fresh: snap != nil})
			}
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	s.setState("snapshotting", "")
	ch := make(chan chunkJob)
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	workers := 2
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := connectSQL(cctx, s.def.Conn)
			if err != nil {
				errc <- err
				cancel()
				return
			}
			defer c.Close(context.Background())
			if _, err := c.Exec(cctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
				errc <- sourceError("snapshot transaction", err)
				cancel()
				return
			}
			if snap != nil {
				if _, err := c.Exec(cctx, fmt.Sprintf("SET TRANSACTION SNAPSHOT '%s'", snap.name)); err != nil {
					errc <- sourceError("importing the snapshot", err)
					cancel()
					return
				}
			}
			// Each worker reads and parses its next chunk while the previous
			// one commits: one commit in flight per worker.
			var inflight chan error
			wait := func() error {
				if inflight == nil {
					return nil
				}
				err := <-inflight
				inflight = nil
				return err
			}
			fail := func(err error) {
				errc <- err
				cancel()
				for range ch {
				}
			}
			for j := range ch {
				commit, err := s.readChunk(cctx, c, j)
				if err == nil {
					err = wait()
				}
				if err != nil {
					_ = wait()
					fail(err)
					return
				}
				inflight = make(chan error, 1)
				go func(done chan<- error) { done <- commit() }(inflight)
			}
			if err := wait(); err != nil {
				fail(err)
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-cctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	return ctx.Err()
}

// readChunk reads and parses chunk j and returns the function that commits
// it (with its chunk marker) and counts it as done.
func (s *source) readChunk(ctx context.Context, c *pgx.Conn, j chunkJob) (func() error, error) {
	def, ok := s.m.store.Catalog().Table(j.t.ID)
	if !ok {
		return nil, fmt.Errorf("table %s.%s is gone from OmenDB", j.t.Schema, j.t.Name)
	}
	var cols []int
	var names string
	for i, col := range def.Columns {
		if col.Dropped {
			continue
		}
		if names != "" {
			names += ", "
		}
		names += pgx.Identifier{col.Name}.Sanitize()
		cols = append(cols, i)
	}
	lo := int64(j.chunk) * j.t.ChunkPages
	q := fmt.Sprintf("SELECT %s FROM %s WHERE ctid >= '(%d,0)'", names, pgx.Identifier{j.t.Schema, j.t.Name}.Sanitize(), lo)
	if j.chunk < j.t.Chunks-1 {
		q += fmt.Sprintf(" AND ctid < '(%d,0)'", lo+j.t.ChunkPages)
	}
	rr := c.PgConn().ExecParams(ctx, q, nil, nil, nil, []int16{0})
	var rows [][]types.Value
	for rr.NextRow() {
		vals := rr.Values()
		row := make([]types.Value, len(def.Columns))
		for k, ci := range cols {
			if vals[k] == nil {
				continue
			}
			v, err := types.ParseText(def.Columns[ci].Type, string(vals[k]), nil)
			if err != nil {
				rr.Close()
				return nil, fmt.Errorf("table %s column %s: %w", def.Name, def.Columns[ci].Name, err)
			}
			row[ci] = v
		}
		rows = append(rows, row)
	}
	if _, err := rr.Close(); err != nil {
		return nil, sourceError("copying "+def.Name, err)
	}
	return func() error { return s.commitChunk(ctx, def, j, rows) }, nil
}

// commitChunk commits one chunk's rows with its marker.
func (s *source) commitChunk(ctx context.Context, def *catalog.Table, j chunkJob, rows [][]types.Value) error {
	t := s.m.store.Table(def.ID)
	err := s.m.commitWrites(ctx, func(snap uint64) (*oltp.Writes, error) {
		w := oltp.NewWrites()
		w.Reserve(def.ID, len(rows))
		for _, row := range rows {
			var key []byte
			inBase := false
			if pk := def.PK(); pk != nil {
				key = oltp.EncodeKey(def, pk, row)
				if !j.fresh {
					_, inBase = t.Get(key, snap)
				}
			} else {
				key = oltp.RowIDKey(t.NewRowID())
			}
			w.Put(def.ID, key, row, inBase)
		}
		w.SetMeta(chunkKey(s.def.Name, def.ID, j.chunk), []byte{1})
		return w, nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	ts := s.tables[def.ID]
	ts.done++
	s.mu.Unlock()
	ts.copied.Add(int64(len(rows)))
	s.rowsCopy.Add(int64(len(rows)))
	return nil
}

// keyOf returns the OmenDB key of row in def (nil for tables without a key).
func keyOf(def *catalog.Table, row []types.Value) []byte {
	if pk := def.PK(); pk != nil {
		return oltp.EncodeKey(def, pk, row)
	}
	return nil
}

var _ = pglogrepl.LSN(0)
