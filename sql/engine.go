package sql

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/sql/pgwire"
)

// Version is the server version reported to clients.
var Version = "0.1.0-dev"

// Engine is OmenDB's SQL engine: it serves sessions over the row store and
// commits their transactions through the committer.
type Engine struct {
	Store     *oltp.Store
	Committer *oltp.Committer
	// Locks holds row write locks (READ COMMITTED writers wait on them).
	Locks  *oltp.LockTable
	Log    log.Log
	Logger *slog.Logger
	// Database is the database name clients connect to.
	Database string
	// EarlyLockRelease (default on): a committing READ COMMITTED
	// transaction releases its row locks once the committer has sealed it
	// into a batch, before the record is durable (oltp.Batch). Off: locks
	// are held until the commit is applied. Set before serving.
	EarlyLockRelease bool

	nextPID  atomic.Int32
	mu       sync.Mutex
	sessions map[int32]*Session
	// Backends, when set (by the server that serves the engine over
	// pgwire), ends connections for pg_terminate_backend.
	Backends Backends
	// Checkpoints, when set (by the server that owns the checkpoint
	// directory), writes a checkpoint for the CHECKPOINT command and
	// reports the checkpoint counters (pg_stat_bgwriter).
	Checkpoints Checkpointer
	// serverSettings are the server's own, read-only settings (SHOW port,
	// data_directory …; ServerSettingNames): SetServerSettings. Atomic:
	// the server's recovery may open a session (DropOrphanTempTables)
	// while the server is still starting to listen.
	serverSettings atomic.Pointer[map[string]string]
	// listen is who LISTENs to which channel (notify.go).
	listen listeners
	// stats are the database-wide counters (stats.go).
	stats engineStats
}

// SetServerSettings gives sessions opened from now on the server's
// read-only settings (ServerSettingNames).
func (e *Engine) SetServerSettings(m map[string]string) { e.serverSettings.Store(&m) }

// Checkpointer is the server's checkpointing, as SQL sees it.
type Checkpointer interface {
	// CheckpointNow writes a checkpoint at once (CHECKPOINT).
	CheckpointNow() error
	// CheckpointStats returns the checkpoints written on schedule and on
	// request since the server started, and the time spent writing them.
	CheckpointStats() (timed, requested int64, writeTime time.Duration)
}

// NewEngine returns an engine over a store and committer.
func NewEngine(st *oltp.Store, c *oltp.Committer, l log.Log, logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.Default()
	}
	e := &Engine{Store: st, Committer: c, Locks: oltp.NewLockTable(), Log: l, Logger: logger, Database: "omendb", sessions: map[int32]*Session{},
		EarlyLockRelease: true}
	e.nextPID.Store(1000)
	return e
}

// NewSession implements pgwire.Engine.
func (e *Engine) NewSession(ctx context.Context, params map[string]string) (pgwire.Session, error) {
	s := newSession(e, params)
	e.stats.sessions.Add(1) // a client's (pg_stat_database.sessions)
	e.mu.Lock()
	e.sessions[s.pid] = s
	e.mu.Unlock()
	return s, nil
}

func (e *Engine) forget(s *Session) {
	e.mu.Lock()
	delete(e.sessions, s.pid)
	e.mu.Unlock()
}

// Sessions returns the number of open sessions.
func (e *Engine) Sessions() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.sessions)
}
