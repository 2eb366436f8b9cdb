// Package server assembles a running OmenDB from its parts: the log, the
// row store and its materializer, the committer, the SQL engine, the pgwire
// listeners (TCP, and a Unix-domain socket with Config.SocketDir:
// socket.go) and the HTTP health endpoints. cmd/omendb's serve command, the
// benchmarks and the end-to-end tests all start OmenDB through it.
//
// Start order: open the log → start the materializer (replay) → start the
// committer → start listening. Queries are served only once replay has
// reached the log's end at start and the temporary tables of the previous
// process are dropped (/readyz turns 200 then); connections made earlier
// wait for it. Shutdown order is the reverse. Once ready, background
// loops checkpoint the row store (checkpoint.go) and trim the log below what
// checkpoints, backups, the column store and the PITR window still need
// (retention.go); startup refuses a newest checkpoint ahead of the log. The
// column store recovers after the row store is ready (olap.go): from its
// own checkpoint plus the log, or, when the log was trimmed below what it
// needs, seeded from the row store (olap_seed.go).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"sync"
	"time"

	"github.com/omendb/omendb/ingest/pgcdc"
	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/materializer"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/sql"
	_ "github.com/omendb/omendb/sql/pgcatalog"
	"github.com/omendb/omendb/sql/pgwire"
)

// Config is what an OmenDB server needs.
type Config struct {
	Data   string // data directory (embedded NATS stores the log under it)
	Listen string // pgwire address, e.g. 127.0.0.1:5433
	// SocketDir, when set, is a directory for pgwire's Unix-domain socket
	// too, DIR/.s.PGSQL.PORT with the TCP listener's port (socket.go).
	SocketDir   string
	HTTP        string // health endpoints address; "" disables
	NATSURL     string // external NATS instead of the embedded server
	Unsafe      bool   // no fsync per commit (loses acknowledged commits on power loss)
	IndexMethod string // default index structure: learned or btree
	Logger      *slog.Logger
	// CheckpointInterval: how often to checkpoint (0 = default; <0 = never).
	CheckpointInterval time.Duration
	// PITRWindow: how long the log keeps records (0 = DefaultPITRWindow;
	// <0 = none: keep only what checkpoints, backups and holders need).
	// RetentionInterval: how often the log is trimmed (0 = default; <0 =
	// never). See server/retention.go.
	PITRWindow, RetentionInterval time.Duration
	// DiskReserve: free bytes the log's disk keeps; appends that would
	// leave less fail with 53100 (log.Options.DiskReserve).
	DiskReserve int64
	// TimeTravelWindow: how long the row store keeps superseded versions so
	// that SET omendb.as_of can read points in it (0 = default
	// DefaultTimeTravelWindow; <0 = none). Older points: omendb restore.
	TimeTravelWindow time.Duration
	// AdaptiveProcs runs the process with as few Ps (GOMAXPROCS) as its
	// load needs (internal/procs); false leaves GOMAXPROCS alone.
	AdaptiveProcs bool
}

// Server is a running OmenDB.
type Server struct {
	cfg       Config
	Log       *log.JetStream
	Store     *oltp.Store
	Committer *oltp.Committer
	Engine    *sql.Engine
	Mat       *materializer.Materializer
	OLAP      *OLAP          // column store (server/olap.go)
	Sources   *pgcdc.Manager // CDC sources (ingest/pgcdc)
	wire      *pgwire.Server
	ln        net.Listener
	unixLn    net.Listener // SocketDir's socket; nil without one
	unixPath  string
	httpSrv   *http.Server
	httpLn    net.Listener
	logger    *slog.Logger

	ready   chan struct{}
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Once
	ckpt    *checkpointer
	ret     *retention
	procs   func() // stops the GOMAXPROCS controller; nil without one
}

// Start opens the log, starts replay and begins listening. It returns once
// the listeners are bound; Ready reports when recovery is done.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{cfg: cfg, logger: logger, ready: make(chan struct{})}
	recovered := make(chan struct{}) // the materializer reached the log's end
	l, err := log.Open(ctx, log.Options{Dir: cfg.Data, URL: cfg.NATSURL, Unsafe: cfg.Unsafe, Logger: logger, DiskReserve: cfg.DiskReserve})
	if err != nil {
		return nil, fmt.Errorf("opening the log: %w", err)
	}
	s.Log = l
	s.initRetention()
	if err := s.checkLogCoversCheckpoints(ctx); err != nil {
		s.closeRetention()
		l.Close()
		return nil, fmt.Errorf("recovery: %w", err)
	}
	s.Store = s.openStore(ctx, l) // newest valid checkpoint, or empty
	s.Store.SetTimeTravelWindow(timeTravelWindow(cfg))
	s.Mat = materializer.New("oltp", l, s.Store, logger)
	s.Mat.AfterEach(func() { s.Store.Reclaim() })
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.Mat.Run(runCtx, func() { close(recovered) })
	}()
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.runCheckpoints(runCtx) }()
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.runRetention(runCtx) }()
	s.OLAP = startOLAP(s, runCtx)
	s.Committer = oltp.NewCommitter(l, s.Store, logger)
	// The committer hands its durable records to the column store's
	// materializer (no wait for the log to deliver them back).
	s.Committer.OnDurable = s.OLAP.Mat.Direct
	s.Engine = sql.NewEngine(s.Store, s.Committer, l, logger)
	s.Sources = pgcdc.NewManager(s.Engine, logger)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-recovered:
		case <-runCtx.Done():
			return
		}
		// Before any session runs (connections wait for ready): the
		// temporary tables in the catalog are those of sessions that
		// ended with the previous process.
		if err := s.Engine.DropOrphanTempTables(); err != nil {
			logger.Warn("dropping temporary tables left from before the restart", "err", err)
		}
		close(s.ready)
		s.Sources.Start() // sources resume once recovery is done
	}()
	s.wire = pgwire.NewServer(pgwire.Config{}, &gate{eng: s.Engine, s: s}, logger)
	s.Engine.Backends = s.wire // pg_terminate_backend
	s.Engine.Checkpoints = sqlCheckpoints{s}
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		s.Close()
		return nil, fmt.Errorf("listening for pgwire on %s: %w", cfg.Listen, err)
	}
	s.Engine.SetServerSettings(s.serverSettings()) // the port is known now
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.wire.Serve(s.ln); err != nil && !errors.Is(err, net.ErrClosed) {
			logger.Error("pgwire server stopped", "err", err)
		}
	}()
	if cfg.SocketDir != "" {
		port := s.ln.Addr().(*net.TCPAddr).Port
		if s.unixLn, s.unixPath, err = listenUnix(cfg.SocketDir, port); err != nil {
			s.Close()
			return nil, fmt.Errorf("listening for pgwire on a Unix socket in %s: %w", cfg.SocketDir, err)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.wire.Serve(s.unixLn); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, pgwire.ErrServerClosed) {
				logger.Error("pgwire server stopped on its Unix socket", "err", err)
			}
		}()
	}
	if cfg.HTTP != "" {
		if err := s.startHTTP(); err != nil {
			s.Close()
			return nil, err
		}
	}
	if cfg.AdaptiveProcs {
		s.procs = procs.Start()
		if st, _ := procs.Snapshot(); st.SysmonErr != "" {
			logger.Debug("sysmon keeps the default timer slack", "err", st.SysmonErr)
		}
	}
	logger.Info("omendb listening", "pgwire", s.ln.Addr().String(), "socket", s.unixPath, "http", cfg.HTTP, "data", cfg.Data, "nats", cfg.NATSURL)
	return s, nil
}

// DefaultTimeTravelWindow is how far back SET omendb.as_of reads by default.
const DefaultTimeTravelWindow = time.Hour

func timeTravelWindow(cfg Config) time.Duration {
	switch {
	case cfg.TimeTravelWindow < 0:
		return 0
	case cfg.TimeTravelWindow == 0:
		return DefaultTimeTravelWindow
	}
	return cfg.TimeTravelWindow
}

// Addr returns the pgwire listener's address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// SocketPath returns the pgwire Unix-domain socket's path ("" without
// Config.SocketDir).
func (s *Server) SocketPath() string { return s.unixPath }

// HTTPAddr returns the health listener's address ("" if disabled).
func (s *Server) HTTPAddr() string {
	if s.httpLn == nil {
		return ""
	}
	return s.httpLn.Addr().String()
}

// Ready is closed when recovery is done and queries are served.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// WaitReady waits for recovery, failing if the materializer stops first.
func (s *Server) WaitReady(ctx context.Context) error {
	select {
	case <-s.ready:
		return nil
	case <-s.Mat.Done():
		if err := s.Mat.Err(); err != nil {
			return fmt.Errorf("recovery failed: %w", err)
		}
		return errors.New("recovery stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) startHTTP() error {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.ready:
			if err := s.Mat.Err(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "materializer stopped: %v\n", err)
				return
			}
			w.WriteHeader(http.StatusOK)
			fmt.Fprintf(w, "ready at offset %d\n", s.Store.Applied())
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			if err := s.Mat.Err(); err != nil {
				fmt.Fprintf(w, "recovery failed: %v\n", err)
				return
			}
			fmt.Fprintf(w, "recovering: offset %d\n", s.Store.Applied())
		}
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", s.cfg.HTTP)
	if err != nil {
		return fmt.Errorf("listening for HTTP on %s: %w", s.cfg.HTTP, err)
	}
	s.httpLn = ln
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.httpSrv.Serve(ln)
	}()
	return nil
}

// Close shuts down: stop accepting, end sessions, stop the committer and
// materializer, close the log.
func (s *Server) Close() error {
	var err error
	s.closeMu.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if s.wire != nil && s.ln != nil {
			_ = s.wire.Shutdown(ctx)
		}
		if s.unixLn != nil {
			_ = s.unixLn.Close() // removes the socket file, also if Serve never ran
		}
		if s.httpSrv != nil {
			_ = s.httpSrv.Shutdown(ctx)
		}
		if s.Sources != nil {
			s.Sources.Close()
		}
		if s.Committer != nil {
			s.Committer.Close()
		}
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		s.finalCheckpoint()
		s.closeRetention()
		if s.Log != nil {
			err = s.Log.Close()
		}
		if s.procs != nil {
			s.procs()
		}
	})
	return err
}

// gate holds new sessions until recovery is done.
type gate struct {
	eng *sql.Engine
	s   *Server
}

func (g *gate) NewSession(ctx context.Context, params map[string]string) (pgwire.Session, error) {
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := g.s.WaitReady(wctx); err != nil {
		return nil, errNotReady(err)
	}
	return g.eng.NewSession(ctx, params)
}

// serverSettings are the read-only settings sessions SHOW
// (sql.ServerSettingNames): where the server keeps its data and listens,
// whether it syncs, its collation (byte order of UTF-8, as C.UTF-8).
func (s *Server) serverSettings() map[string]string {
	dir, _ := filepath.Abs(s.cfg.Data)
	host, port, _ := net.SplitHostPort(s.cfg.Listen)
	if s.ln != nil {
		_, port, _ = net.SplitHostPort(s.ln.Addr().String())
	}
	fsync := "on"
	if s.cfg.Unsafe {
		fsync = "off"
	}
	return map[string]string{"data_directory": dir, "port": port, "listen_addresses": host, "ssl": "off",
		"fsync": fsync, "lc_collate": "C.UTF-8", "lc_ctype": "C.UTF-8", "in_hot_standby": "off", "cluster_name": ""}
}
