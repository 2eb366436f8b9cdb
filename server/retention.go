package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/omendb/omendb/backup"
	"github.com/omendb/omendb/checkpoint"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/types"
)

// Log retention. The log is trimmed only below the oldest offset something
// still needs; the floor is the minimum of
//
//   - the oldest retained OLTP checkpoint (recovery may fall back to it when
//     the newest one is corrupt; with no checkpoint, nothing is trimmed);
//   - every holder registered with HoldLog (the column store registers
//     "olap": it replays from neededFrom() at start);
//   - every backup chain (BACKUP TO '/dir' [INCREMENTAL]) written within the
//     last max(PITR window, 24 h): its next incremental part copies the log
//     after the chain's end; a chain unused for longer is forgotten and its
//     next INCREMENTAL fails, asking for a full backup;
//   - the point-in-time window: OffsetAt(now − window), so every record
//     stored within the window stays in the log.
//
// A hold at offset F means "every record from F on is needed" (Read(F) must
// keep working; 0: the whole log); the log is trimmed below the lowest
// hold, the floor. The loop runs
// every Config.RetentionInterval once recovery is done; SHOW
// omendb.log_retention shows the first retained offset and each reason.
// Backup chains are remembered durably in <data>/log-retention.json
// (written atomically).

// DefaultPITRWindow is how long the log keeps records by default.
const DefaultPITRWindow = 24 * time.Hour

// DefaultRetentionInterval is how often the log is trimmed.
const DefaultRetentionInterval = time.Minute

// chainTTLMin is the shortest time a backup chain is held after its last
// part (with a shorter or no PITR window).
const chainTTLMin = 24 * time.Hour

// retentionFile is the durable record of backup chains in the data dir.
const retentionFile = "log-retention.json"

// LogHold is one reason to keep the log: every record from Offset on.
type LogHold struct {
	Name   string
	Offset log.Offset // the first offset needed (0: the whole log)
	Detail string
}

// RetentionStatus is the outcome of the latest retention pass.
type RetentionStatus struct {
	First   log.Offset // first retained offset
	Last    log.Offset // last record
	Floor   log.Offset // records below it may be trimmed (the lowest hold)
	Holds   []LogHold  // every reason, lowest offset first
	Trimmed time.Time  // when the log was last trimmed (zero: never by this process)
	Err     error      // the pass's error, if it failed
}

type chainState struct {
	To      uint64    `json:"to"`
	Written time.Time `json:"written"`
}

type retentionDoc struct {
	Version int                    `json:"version"`
	Backups map[string]*chainState `json:"backups"`
}

type retention struct {
	mu      sync.Mutex
	holders map[string]func() log.Offset
	chains  retentionDoc
	busy    map[string]uint64 // backups in progress: dir → the offset their copy starts after
	status  RetentionStatus
}

// HoldLog declares that name needs the log from the offset from returns on
// (every record at or after it; 0: the whole log). from is called at each retention pass; it must be cheap and safe from
// any goroutine). Registering a name again replaces its holder; a nil from
// removes it.
func (s *Server) HoldLog(name string, from func() log.Offset) {
	r := s.ret
	r.mu.Lock()
	defer r.mu.Unlock()
	if from == nil {
		delete(r.holders, name)
		return
	}
	r.holders[name] = from
}

// PITRWindow returns the effective point-in-time window (0: none).
func (s *Server) PITRWindow() time.Duration {
	switch w := s.cfg.PITRWindow; {
	case w < 0:
		return 0
	case w == 0:
		return DefaultPITRWindow
	default:
		return w
	}
}

func (s *Server) chainTTL() time.Duration { return max(s.PITRWindow(), chainTTLMin) }

var (
	retMu      sync.Mutex
	retServers = map[*log.JetStream]*Server{}
	retOnce    sync.Once
)

// initRetention loads the backup chains and registers the server for BACKUP
// and SHOW omendb.log_retention.
func (s *Server) initRetention() {
	s.ret = &retention{holders: map[string]func() log.Offset{}, busy: map[string]uint64{},
		chains: retentionDoc{Version: 1, Backups: map[string]*chainState{}}}
	if s.cfg.Data != "" {
		b, err := os.ReadFile(filepath.Join(s.cfg.Data, retentionFile))
		switch {
		case err == nil:
			var d retentionDoc
			if err := json.Unmarshal(b, &d); err != nil || d.Version != 1 {
				s.logger.Error("log retention: ignoring an unreadable "+retentionFile+"; backup chains are not held until their next backup", "err", err)
			} else if d.Backups != nil {
				s.ret.chains = d
			}
		case !errors.Is(err, os.ErrNotExist):
			s.logger.Error("log retention: reading "+retentionFile, "err", err)
		}
	}
	retOnce.Do(registerRetentionSQL)
	retMu.Lock()
	retServers[s.Log] = s
	retMu.Unlock()
	backup.SetHolder(s.Log, (*backupHolder)(s))
}

func (s *Server) closeRetention() {
	if s.ret == nil || s.Log == nil {
		return
	}
	backup.SetHolder(s.Log, nil)
	retMu.Lock()
	delete(retServers, s.Log)
	retMu.Unlock()
}

func retentionInterval(cfg Config) time.Duration {
	if v := os.Getenv("OMENDB_RETENTION_INTERVAL"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	if cfg.RetentionInterval != 0 {
		return cfg.RetentionInterval
	}
	return DefaultRetentionInterval
}

// runRetention trims the log periodically once recovery is done.
func (s *Server) runRetention(ctx context.Context) {
	if s.ckpt == nil {
		return
	}
	s.periodic(ctx, retentionInterval(s.cfg), func() {
		if _, err := s.RetainLog(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("log retention failed", "err", err)
		}
	})
}

// holds computes every reason to keep the log, lowest offset first.
func (s *Server) holds(ctx context.Context, now time.Time) ([]LogHold, error) {
	var hs []LogHold
	if s.ckpt == nil {
		return []LogHold{{Name: "checkpoint", Detail: "no data directory: no checkpoints"}}, nil
	}
	ms, err := checkpoint.List(s.ckpt.dir, nil)
	if err != nil {
		return nil, fmt.Errorf("listing checkpoints: %w", err)
	}
	if len(ms) == 0 {
		hs = append(hs, LogHold{Name: "checkpoint", Detail: "no checkpoint yet: recovery replays the whole log"})
	} else {
		oldest := ms[len(ms)-1]
		hs = append(hs, LogHold{Name: "checkpoint", Offset: log.Offset(oldest.Offset) + 1,
			Detail: fmt.Sprintf("oldest of %d retained OLTP checkpoints", len(ms))})
	}
	r := s.ret
	r.mu.Lock()
	for name, from := range r.holders {
		hs = append(hs, LogHold{Name: "holder " + name, Offset: from(), Detail: "registered with HoldLog"})
	}
	ttl := s.chainTTL()
	for dir, c := range r.chains.Backups {
		if now.Sub(c.Written) > ttl {
			continue
		}
		hs = append(hs, LogHold{Name: "backup " + dir, Offset: log.Offset(c.To) + 1,
			Detail: fmt.Sprintf("backup chain ends here (last part %s); held until %s", c.Written.Format(time.RFC3339), c.Written.Add(ttl).Format(time.RFC3339))})
	}
	for dir, from := range r.busy {
		hs = append(hs, LogHold{Name: "backup " + dir, Offset: log.Offset(from) + 1, Detail: "backup in progress"})
	}
	r.mu.Unlock()
	if w := s.PITRWindow(); w > 0 {
		at := now.Add(-w)
		off, err := s.Log.OffsetAt(ctx, at)
		switch {
		case errors.Is(err, log.ErrTrimmed):
			// Nothing retained is older than the window.
			first, ferr := s.Log.FirstOffset(ctx)
			if ferr != nil {
				return nil, ferr
			}
			hs = append(hs, LogHold{Name: "pitr window", Offset: first, Detail: fmt.Sprintf("%s: every retained record is newer than %s", w, at.UTC().Format(time.RFC3339))})
		case err != nil:
			return nil, err
		default:
			hs = append(hs, LogHold{Name: "pitr window", Offset: off + 1, Detail: fmt.Sprintf("%s: records stored after %s", w, at.UTC().Format(time.RFC3339))})
		}
	}
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Offset < hs[j].Offset })
	return hs, nil
}

// RetainLog runs one retention pass: it computes the floor and trims the
// log below it. The status is what SHOW omendb.log_retention shows.
func (s *Server) RetainLog(ctx context.Context) (RetentionStatus, error) {
	st, err := s.retainLog(ctx)
	st.Err = err
	s.ret.mu.Lock()
	if st.Trimmed.IsZero() {
		st.Trimmed = s.ret.status.Trimmed
	}
	s.ret.status = st
	s.ret.mu.Unlock()
	return st, err
}

func (s *Server) retainLog(ctx context.Context) (RetentionStatus, error) {
	var st RetentionStatus
	now := time.Now()
	hs, err := s.holds(ctx, now)
	if err != nil {
		return st, fmt.Errorf("log retention: %w", err)
	}
	st.Holds = hs
	if st.Last, err = s.Log.Last(ctx); err != nil {
		return st, fmt.Errorf("log retention: %w", err)
	}
	if st.First, err = s.Log.FirstOffset(ctx); err != nil {
		return st, fmt.Errorf("log retention: %w", err)
	}
	st.Floor = hs[0].Offset
	if s.ckpt == nil || st.Floor <= st.First {
		return st, nil
	}
	before := st.First
	if st.First, err = s.Log.Trim(ctx, st.Floor-1); err != nil {
		return st, fmt.Errorf("log retention: %w", err)
	}
	if st.First > before {
		st.Trimmed = now
		s.logger.Info("log retention: trimmed the log", "removed_below", uint64(st.First), "first_offset", uint64(st.First),
			"messages", uint64(st.First-before), "floor", uint64(st.Floor), "held_by", hs[0].Name, "last", uint64(st.Last))
	}
	return st, nil
}

// backupHolder is the server as backup.Holder: it holds the log a backup in
// progress copies and remembers where each chain ends.
type backupHolder Server

func (h *backupHolder) HoldBackup(dir string, from uint64) func() {
	r := (*Server)(h).ret
	r.mu.Lock()
	r.busy[dir] = from
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(r.busy, dir)
		r.mu.Unlock()
	}
}

func (h *backupHolder) BackupDone(dir string, to uint64) error {
	s := (*Server)(h)
	r := s.ret
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chains.Backups[dir] = &chainState{To: to, Written: time.Now().UTC()}
	// Forget chains that are no longer held.
	for d, c := range r.chains.Backups {
		if time.Since(c.Written) > s.chainTTL() {
			delete(r.chains.Backups, d)
		}
	}
	if s.cfg.Data == "" {
		return nil
	}
	b, _ := json.MarshalIndent(&r.chains, "", "  ")
	if err := checkpoint.WriteFileAtomic(filepath.Join(s.cfg.Data, retentionFile), append(b, '\n')); err != nil {
		return fmt.Errorf("recording the backup chain of %s for log retention: %w", dir, err)
	}
	return nil
}

var retentionColumns = []pgwire.Column{{Name: "name", Type: types.Text}, {Name: "log_offset", Type: types.Int8}, {Name: "detail", Type: types.Text}}

// registerRetentionSQL registers SHOW omendb.log_retention: the first
// retained and last offsets, the floor and every reason to keep the log.
func registerRetentionSQL() {
	sql.RegisterExtension(sql.Extension{
		Name:     "SHOW omendb.log_retention",
		Keywords: []string{"SHOW", "OMENDB.LOG_RETENTION"},
		Columns:  retentionColumns,
		Exec: func(ctx context.Context, e *sql.Engine, text string) (*sql.ExtResult, error) {
			jl, _ := e.Log.(*log.JetStream)
			retMu.Lock()
			s := retServers[jl]
			retMu.Unlock()
			if s == nil {
				return nil, pgerr.NotSupported("SHOW omendb.log_retention needs a server with the JetStream log")
			}
			first, err := s.Log.FirstOffset(ctx)
			if err != nil {
				return nil, err
			}
			last, err := s.Log.Last(ctx)
			if err != nil {
				return nil, err
			}
			hs, err := s.holds(ctx, time.Now())
			if err != nil {
				return nil, err
			}
			s.ret.mu.Lock()
			prev := s.ret.status
			s.ret.mu.Unlock()
			row := func(name string, off log.Offset, detail string) []types.Value {
				return []types.Value{types.NewText(name), types.NewInt(int64(off)), types.NewText(detail)}
			}
			trimmed := "never trimmed by this process"
			if !prev.Trimmed.IsZero() {
				trimmed = "last trimmed " + prev.Trimmed.UTC().Format(time.RFC3339)
			}
			if prev.Err != nil {
				trimmed += "; last pass failed: " + prev.Err.Error()
			}
			rows := [][]types.Value{
				row("first_offset", first, "first retained record offset; older ones are trimmed ("+trimmed+")"),
				row("last_offset", last, "last record"),
				row("floor", hs[0].Offset, "the log may be trimmed below this offset (held by "+hs[0].Name+")"),
			}
			for _, h := range hs {
				rows = append(rows, row(h.Name, h.Offset, h.Detail))
			}
			return &sql.ExtResult{Columns: retentionColumns, Rows: rows, Tag: "SHOW"}, nil
		},
	})
}

// checkpointSpace refuses a checkpoint that would eat into the log's disk
// reserve (log.Options.DiskReserve): the log needs the space more, and a
// checkpoint can wait. It estimates the checkpoint's size by the newest
// one's, plus a quarter. A checkpoint that still meets a full disk fails
// cleanly (checkpoint.Write removes its temporary file; no manifest is
// written), and the server carries on.
func (s *Server) checkpointSpace() error {
	free, reserve, err := s.Log.FreeSpace()
	if err != nil || reserve == 0 {
		return nil
	}
	var est uint64
	if ms, err := checkpoint.List(s.ckpt.dir, nil); err == nil && len(ms) > 0 {
		est = uint64(ms[0].Bytes) + uint64(ms[0].Bytes)/4
	}
	if free < reserve+est {
		return pgerr.New(pgerr.DiskFull, "could not write a checkpoint: %d bytes free, the log keeps %d in reserve and the checkpoint needs about %d", free, reserve, est)
	}
	return nil
}

// checkLogCoversCheckpoints refuses to start when the newest valid OLTP
// checkpoint is ahead of the log's last record: the log lost records it had
// acknowledged (a torn or truncated tail that nats dropped on recovery, or
// a log from another database). Falling back to an older checkpoint would
// silently lose the records in between, so startup stops and says which
// offsets are missing.
func (s *Server) checkLogCoversCheckpoints(ctx context.Context) error {
	if s.cfg.Data == "" {
		return nil
	}
	dir := CheckpointDir(s.cfg.Data)
	ms, err := checkpoint.List(dir, nil)
	if err != nil || len(ms) == 0 {
		return nil // openStore reports unreadable checkpoints
	}
	last, err := s.Log.Last(ctx)
	if err != nil {
		return fmt.Errorf("reading the log's end: %w", err)
	}
	if m := ms[0]; m.Offset > uint64(last) {
		return pgerr.New(pgerr.DataCorrupted,
			"the newest checkpoint (%s, offset %d) is ahead of the log, which ends at offset %d: records %d to %d are missing from the log (a truncated log tail, or a log that belongs to another database); refusing to start rather than lose them",
			filepath.Join(dir, m.Data), m.Offset, last, last+1, m.Offset).
			WithHint("Restore from a backup, or, to accept the loss, move the checkpoints above offset %d out of %s and start again.", last, dir)
	}
	return nil
}
