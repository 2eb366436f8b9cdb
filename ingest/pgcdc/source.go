package pgcdc

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/oltp/keycode"
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
	// from maps a table copied at a later snapshot than the slot's
	// consistent point to that snapshot's LSN: streamed transactions ending
	// at or below it are skipped for that table. Written by run before
	// streaming starts, read by the applier.
	from map[uint32]uint64
	// timings of the last streamed transactions (Manager.Timings).
	timings timingRing
	// enums are the mirrors of the source's enum types as they are now
	// (def.Enums is as the source was loaded or created); under mu.
	enums []SourceEnum
}

type tableState struct {
	st      SourceTable
	state   string
	lastErr string
	copied  atomic.Int64
	done    int
}

func newSource(m *Manager, def *Definition) *source {
	s := &source{m: m, def: def, state: "starting", tables: map[uint32]*tableState{}, done: make(chan struct{}),
		from: map[uint32]uint64{}, enums: def.Enums}
	for _, t := range def.Tables {
		ts := &tableState{st: t, state: "snapshotting"}
		if l := decodeLSN(m.store.Meta(tableFromKey(def.Name, t.ID))); l > 0 {
			s.from[t.ID] = l
		}
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

// commitsPerWorker bounds the chunk commits in flight per snapshot worker
// (each holds its chunk's rows, about rowsPerChunk of them, in memory). 2
// was no faster than 1 on the loaded 2-core machine (45k vs 55k rows/s,
// 1M rows, 2026-11-27 15:49 UTC, load 12–13).
const commitsPerWorker = 1

type chunkJob struct {
	t     SourceTable
	chunk int
	// fresh: read at the slot's exported snapshot, so no row of the chunk
	// can be in OmenDB yet (no lookups needed); otherwise rows are upserts.
	fresh bool
}

// snapshot copies every unfinished chunk. With snap (a fresh slot) the copy
// reads the exported snapshot; after a restart the snapshot is gone, so the
// remaining chunks of keyed tables are read at a newer snapshot and written
// as upserts — streaming from the consistent point then replays the changes
// in between, which converges to the source's state — and tables without a
// key start over at a new exported snapshot (restartKeyless; see doc.go).
func (s *source) snapshot(ctx context.Context, snap *exported) error {
	restarted := map[uint32]bool{}
	if snap == nil {
		exp, ids, err := s.restartKeyless(ctx)
		if err != nil {
			return err
		}
		if exp != nil {
			defer exp.conn.Close(context.Background())
			snap = exp
			for _, id := range ids {
				restarted[id] = true
			}
		}
	}
	var jobs []chunkJob
	for _, t := range s.def.Tables {
		for c := 0; c < t.Chunks; c++ {
			if len(s.m.store.Meta(chunkKey(s.def.Name, t.ID, c))) == 0 {
				jobs = append(jobs, chunkJob{t: t, chunk: c, fresh: (snap != nil && len(restarted) == 0) || restarted[t.ID]})
			}
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	if len(s.enumList()) > 0 {
		// Labels added on the source since CREATE SOURCE read them may be
		// in the rows to copy (pg_enum now is a superset of the
		// snapshot's).
		c, err := connectSQL(ctx, s.def.Conn)
		if err != nil {
			return err
		}
		_, err = s.syncEnums(ctx, c, 0, nil)
		c.Close(context.Background())
		if err != nil {
			return err
		}
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
			// Each worker reads and parses its next chunk while its previous
			// ones commit, up to commitsPerWorker commits in flight: a chunk
			// commit waits mostly for the log's fsync, and commits in flight
			// together share one record and one fsync (group commit).
			var inflight []chan error
			wait := func(keep int) error {
				var first error
				for len(inflight) > keep {
					if err := <-inflight[0]; err != nil && first == nil {
						first = err
					}
					inflight = inflight[1:]
				}
				return first
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
					err = wait(commitsPerWorker - 1)
				}
				if err != nil {
					_ = wait(0)
					fail(err)
					return
				}
				done := make(chan error, 1)
				inflight = append(inflight, done)
				go func() { done <- commit() }()
			}
			if err := wait(0); err != nil {
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

// restartKeyless makes a resumed snapshot exact for tables without a key.
// Their unfinished chunks cannot be read at the slot's exported snapshot
// (it died with the crashed process), and streaming from the slot's
// consistent point would replay changes a newer read already shows: an
// insert twice, a delete or update of a row that is gone. Rows without a
// key cannot be told apart, so such a table starts over: a temporary slot
// exports a new snapshot consistent at LSN L; one transaction truncates
// the table, clears its chunk markers and records L (source-table-from);
// every chunk is copied again at that snapshot, each chunk atomically with
// its marker; streaming skips the table's changes in transactions ending
// at or below L. A crash during the new copy repeats this, which is
// idempotent. It returns the exported snapshot (nil when no table needs
// it; the caller closes its connection when the copy is done) and the
// restarted tables.
func (s *source) restartKeyless(ctx context.Context) (*exported, []uint32, error) {
	var ids []uint32
	for _, t := range s.def.Tables {
		def, ok := s.m.store.Catalog().Table(t.ID)
		if !ok || def.PK() != nil || s.tableErr(t.ID) != "" {
			continue
		}
		for c := 0; c < t.Chunks; c++ {
			if len(s.m.store.Meta(chunkKey(s.def.Name, t.ID, c))) == 0 {
				ids = append(ids, t.ID)
				break
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	exp, err := exportResumeSnapshot(ctx, s.def.Conn, s.def.Slot)
	if err != nil {
		return nil, nil, err
	}
	err = s.m.commitWrites(ctx, func(uint64) (*oltp.Writes, error) {
		w := oltp.NewWrites()
		for _, id := range ids {
			w.Truncate(id)
			for _, t := range s.def.Tables {
				if t.ID != id {
					continue
				}
				for c := 0; c < t.Chunks; c++ {
					if len(s.m.store.Meta(chunkKey(s.def.Name, id, c))) > 0 {
						w.SetMeta(chunkKey(s.def.Name, id, c), nil)
					}
				}
			}
			w.SetMeta(tableFromKey(s.def.Name, id), encodeLSN(uint64(exp.lsn)))
		}
		return w, nil
	})
	if err != nil {
		exp.conn.Close(context.Background())
		return nil, nil, err
	}
	s.mu.Lock()
	for _, id := range ids {
		s.from[id] = uint64(exp.lsn)
		ts := s.tables[id]
		s.rowsCopy.Add(-ts.copied.Load())
		ts.copied.Store(0)
		ts.done = 0
	}
	s.mu.Unlock()
	s.m.logger.Info("copying tables without a key again at a new snapshot", "source", s.def.Name, "tables", ids, "lsn", exp.lsn)
	return exp, ids, nil
}

// readChunk reads and parses chunk j and returns the function that commits
// it (with its chunk marker) and counts it as done.
func (s *source) readChunk(ctx context.Context, c *pgx.Conn, j chunkJob) (func() error, error) {
	def, ok := s.m.store.Catalog().Table(j.t.ID)
	if !ok {
		return nil, fmt.Errorf("table %s.%s is gone from OmenDB", j.t.Schema, j.t.Name)
	}
	// Values come in binary (PostgreSQL's *send functions: no text
	// formatting on the source, no text parsing here — timestamps and
	// numbers were most of the parse cost); columns OmenDB stores as text
	// are cast to text on the source so that types OmenDB does not have
	// (inet, arrays, enums, …) arrive as the source prints them.
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
		if col.Type.OID == types.OIDText || types.IsEnumArray(col.Type) {
			// Arrays of enums too: their binary form names the source's
			// element type OID, not the mirror's (rowDecoder parses text).
			names += "::text"
		}
		cols = append(cols, i)
	}
	lo := int64(j.chunk) * j.t.ChunkPages
	q := fmt.Sprintf("SELECT %s FROM %s WHERE ctid >= '(%d,0)'", names, pgx.Identifier{j.t.Schema, j.t.Name}.Sanitize(), lo)
	if j.chunk < j.t.Chunks-1 {
		q += fmt.Sprintf(" AND ctid < '(%d,0)'", lo+j.t.ChunkPages)
	}
	rr := c.PgConn().ExecParams(ctx, q, nil, nil, nil, []int16{1})
	dec := newRowDecoder(def, cols)
	rows := make([][]types.Value, 0, rowsPerChunk+rowsPerChunk/8)
	for rr.NextRow() {
		row, err := dec.decode(rr.Values())
		if err != nil {
			rr.Close()
			return nil, err
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
		pk := def.PK()
		var key []byte // reused: Put copies the key
		for _, row := range rows {
			inBase := false
			if pk != nil {
				key = key[:0]
				for _, c := range pk.Columns {
					key = keycode.Append(key, oltp.ColValue(def, row, c), def.KeyType(c))
				}
				if !j.fresh {
					_, inBase = t.Get(key, snap)
				}
			} else {
				key = binary.BigEndian.AppendUint64(key[:0], uint64(t.NewRowID())) // oltp.RowIDKey
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
