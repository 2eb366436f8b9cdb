package log

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults for Options.
const (
	DefaultStream = "OMENDB"
	// DefaultMaxPayload is the max_payload the embedded server is given.
	DefaultMaxPayload = 8 << 20
	// chunkHeadroom is left below the connection's max payload for NATS
	// headers (Nats-Expected-Last-Sequence) when MaxChunk is defaulted.
	chunkHeadroom = 1024
	// minChunk is the smallest MaxChunk accepted (a message must hold its
	// envelope, chunk header and at least a little data).
	minChunk = msgOverhead + chunkHeaderLen + 16
)

// Options configures Open.
type Options struct {
	// Dir is OmenDB's data directory; the embedded server stores JetStream
	// under Dir/nats. Required when URL is empty.
	Dir string
	// URL, if set, is an external NATS server (with JetStream) to use
	// instead of an embedded one, e.g. "nats://127.0.0.1:4222".
	URL string
	// Stream is the JetStream stream name; default "OMENDB".
	Stream string
	// Subject is the stream's one subject; default "omendb.wal.<Stream>".
	Subject string
	// Unsafe turns off the embedded server's fsync per message
	// (SyncAlways). Appends are then acknowledged before they reach stable
	// storage: a process crash loses nothing, but a power loss or kernel
	// crash can lose acknowledged commits (up to the 2-minute sync
	// interval). For benchmarks and tests only. Ignored with URL (the
	// external server's own configuration decides).
	Unsafe bool
	// MaxChunk is the largest message body Append publishes; larger
	// records are split into chunks. Default: the connection's max payload
	// minus 1 KiB for headers.
	MaxChunk int
	// NoChunkCompression turns off the compression of chunked records'
	// fragments (docs/format.md, flagS2): a record larger than MaxChunk —
	// a COPY, a CDC snapshot chunk — is then stored as it is encoded.
	// By default each part is compressed with S2 when that saves at least
	// an eighth of it: fewer bytes through the server, the page cache and
	// the disk for bulk loads; a one-message record is never compressed.
	NoChunkCompression bool
	// MaxPayload is the embedded server's max_payload; default 8 MiB.
	MaxPayload int
	// ReadBatch is how many messages a reader's ordered consumer pulls
	// ahead of its caller; default 1024.
	ReadBatch int
	// ReadBytes caps the bytes of one pull; default 32 MiB, never less
	// than twice the max payload (a message larger than the cap would
	// stall the consumer). Negative: no cap (with large records a reader
	// may then buffer ReadBatch × max payload).
	ReadBytes int
	// Logger receives operational messages; default slog.Default().
	Logger *slog.Logger
	// FirstSeq is the first sequence of a stream Open creates (default 1):
	// a restore of a backup taken from a trimmed log keeps its offsets.
	FirstSeq uint64
	// DiskReserve is the free space (bytes) the embedded server's
	// filesystem keeps: an append that would leave less fails with
	// ErrDiskFull (SQLSTATE 53100) without being sent (diskspace.go).
	// 0: DefaultDiskReserve, at most an eighth of the filesystem; negative:
	// no check. Ignored with URL.
	DiskReserve int64
}

// JetStream is the Log on a NATS JetStream stream. See the package doc for
// which goroutines may call what.
type JetStream struct {
	o      Options
	logger *slog.Logger
	ns     *server.Server // nil with an external server
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream // read-only use after Open (GetMsg)

	maxChunk int
	// zmsg is the writer's buffer for a chunk message compressed for
	// sending (chunkWriter.send); owned by the goroutine calling Append.
	zmsg []byte

	// Writer state, owned by the goroutine calling Append.
	lastSeq uint64 // the stream's last sequence once the appends in flight are stored
	fenced  error  // set by ErrFenced: Append refuses until Resync
	stale   bool   // an append failed: re-read the stream's last sequence
	suspect bool   // an append failed on a full disk: reload JetStream (diskspace.go)
	// fullSeen is when an append was last refused for lack of space (Unix
	// ns); spaceAt/spaceLeft cache the last free-space check (diskspace.go).
	fullSeen  atomic.Int64
	spaceAt   time.Time
	spaceLeft int64
	group     uint64 // id of the next chunk group
	buf       []byte
	msg       nats.Msg
	hdr       nats.Header
	seqBuf    []byte
	halted    error // a publish could not be sent: refuse until Recover

	// Pipelined appends (pipeline.go): acks arrive on inbox+token.
	inbox    string
	acks     chan *nats.Msg
	ackSub   *nats.Subscription
	token    uint64 // the last token sent (writer goroutine)
	idPrefix string // this writer's message ids: idPrefix+token
	lastID   string // the id of the last message sent
	recvMu   sync.Mutex
	ackTimer *time.Timer // a wait's deadline (under recvMu)
	pmu      sync.Mutex
	inflight []*pendingAppend // sent, in order, not yet resolved
	closing  chan struct{}    // closed by Close: waits for acks end
	// apiMu: readers' JetStream API calls (read-locked) never overlap a
	// reload of JetStream after a full disk (diskspace.go).
	apiMu  sync.RWMutex
	broken *appendFailure // the first failure since the last Recover

	lastMu    sync.Mutex
	lastCheck uint64 // stream last sequence Last last examined
	lastRes   Offset // and what it found

	// recent keeps appended records for this process's readers (recent.go).
	recent recent
	// noLocalTail makes readers opened from now on always read through a
	// consumer (benchmarks compare the two).
	noLocalTail bool
}

var _ Pipelined = (*JetStream)(nil)

// Open connects to (or starts) JetStream and creates or reuses the stream.
func Open(ctx context.Context, o Options) (*JetStream, error) {
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.Subject == "" {
		o.Subject = "omendb.wal." + o.Stream
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	j := &JetStream{o: o, logger: o.Logger.With("component", "log", "stream", o.Stream), closing: make(chan struct{})}

	var err error
	if o.URL == "" {
		if o.Dir == "" {
			return nil, errors.New("log: Options.Dir is required for the embedded server")
		}
		// The log guards free space itself (diskspace.go): nats's own
		// limit (75% of the space free at start) must not refuse first.
		var maxStore int64
		if err := os.MkdirAll(filepath.Join(o.Dir, "nats"), 0o755); err != nil {
			return nil, fmt.Errorf("log: %w", err)
		}
		if _, total, err := fsSpace(filepath.Join(o.Dir, "nats")); err == nil && total > 0 {
			maxStore = int64(total)
		}
		j.ns, err = server.NewServer(&server.Options{
			ServerName:        "omendb-embedded",
			DontListen:        true,
			JetStream:         true,
			StoreDir:          filepath.Join(o.Dir, "nats"),
			SyncAlways:        !o.Unsafe,
			MaxPayload:        int32(o.MaxPayload),
			JetStreamMaxStore: maxStore,
			NoLog:             true,
			NoSigs:            true,
			// The only client is this process's own in-process
			// connection: its readers bound what is in flight (ReadBatch,
			// ReadBytes), and a read loop slowed by a long GC must not get
			// it closed as a slow consumer, which fails every append
			// (nats's defaults: 64 MiB pending, a 10 s write deadline;
			// two readers' pulls of 32 MiB reach the first).
			MaxPending:    embeddedMaxPending,
			WriteDeadline: embeddedWriteDeadline,
		})
		if err != nil {
			return nil, fmt.Errorf("log: configure embedded NATS server: %w", err)
		}
		j.ns.Start()
		if !j.ns.ReadyForConnections(30 * time.Second) {
			j.ns.Shutdown()
			return nil, errors.New("log: embedded NATS server did not start within 30s")
		}
		j.nc, err = nats.Connect("", nats.InProcessServer(j.ns), nats.Name("omendb"),
			nats.ErrorHandler(j.asyncError), nats.DisconnectErrHandler(j.disconnected))
	} else {
		j.nc, err = nats.Connect(o.URL, nats.Name("omendb"), nats.MaxReconnects(-1))
	}
	if err != nil {
		j.shutdownServer()
		return nil, fmt.Errorf("log: connect to NATS: %w", err)
	}
	if err := j.setup(ctx); err != nil {
		j.Close()
		return nil, err
	}
	return j, nil
}

// Limits of the embedded server's in-process connection.
const (
	embeddedMaxPending    = 1 << 30
	embeddedWriteDeadline = 5 * time.Minute
)

// asyncError logs an asynchronous NATS error (nats.go would print it to
// stderr).
func (j *JetStream) asyncError(_ *nats.Conn, sub *nats.Subscription, err error) {
	if sub != nil {
		j.logger.Warn("NATS subscription error", "subject", sub.Subject, "err", err)
		return
	}
	j.logger.Warn("NATS error", "err", err)
}

// disconnected logs the loss of the connection to NATS and, for the
// embedded server, the reason the server gave for closing it.
func (j *JetStream) disconnected(_ *nats.Conn, err error) {
	select {
	case <-j.closing:
		return
	default:
	}
	reason := ""
	if j.ns != nil {
		if cz, zerr := j.ns.Connz(&server.ConnzOptions{State: server.ConnClosed, Limit: 4}); zerr == nil {
			for _, ci := range cz.Conns {
				reason += fmt.Sprintf("[cid %d: %s] ", ci.Cid, ci.Reason)
			}
		}
	}
	j.logger.Error("connection to NATS lost", "err", err, "server closed", reason)
}

// publishTimeout bounds a publish whose context has no deadline.
const publishTimeout = 30 * time.Second

func (j *JetStream) setup(ctx context.Context) error {
	var err error
	// A durable publish of a large chunk on a busy disk can outlast nats's
	// 5 s API default; a commit waits for its ack as long as the caller's
	// context allows, and at most publishTimeout otherwise.
	j.js, err = jetstream.New(j.nc, jetstream.WithDefaultTimeout(publishTimeout))
	if err != nil {
		return fmt.Errorf("log: JetStream context: %w", err)
	}
	j.stream, err = j.js.Stream(ctx, j.o.Stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		j.stream, err = j.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        j.o.Stream,
			Description: "OmenDB write-ahead log (format: docs/format.md)",
			Subjects:    []string{j.o.Subject},
			Storage:     jetstream.FileStorage,
			Replicas:    1,
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardNew,
			MaxMsgs:     -1,
			MaxBytes:    -1,
			MaxAge:      0,
			MaxMsgSize:  -1,
			DenyDelete:  true,
			AllowDirect: true,
			FirstSeq:    j.o.FirstSeq,
		})
		if err != nil {
			return fmt.Errorf("log: create stream %s: %w", j.o.Stream, err)
		}
		j.logger.Info("created stream", "subject", j.o.Subject)
	case err != nil:
		return fmt.Errorf("log: look up stream %s: %w", j.o.Stream, err)
	}
	info := j.stream.CachedInfo()
	if len(info.Config.Subjects) != 1 || info.Config.Subjects[0] != j.o.Subject {
		return fmt.Errorf("log: stream %s has subjects %v, want exactly [%s]", j.o.Stream, info.Config.Subjects, j.o.Subject)
	}
	j.lastSeq = info.State.LastSeq
	j.recent.observe(j.lastSeq)

	mp := int(j.nc.MaxPayload())
	j.maxChunk = j.o.MaxChunk
	if j.maxChunk <= 0 {
		j.maxChunk = mp - chunkHeadroom
	}
	if j.maxChunk < minChunk || j.maxChunk > mp-chunkHeadroom/2 {
		return fmt.Errorf("log: MaxChunk %d out of range [%d, %d] for max payload %d", j.maxChunk, minChunk, mp-chunkHeadroom/2, mp)
	}
	if j.o.ReadBatch <= 0 {
		j.o.ReadBatch = 1024
	}
	if j.o.ReadBytes == 0 {
		j.o.ReadBytes = 32 << 20
	}
	if j.o.ReadBytes > 0 {
		j.o.ReadBytes = max(j.o.ReadBytes, 2*mp)
	}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	j.group = binary.LittleEndian.Uint64(seed[:])
	j.hdr = nats.Header{}
	j.msg = nats.Msg{Subject: j.o.Subject, Header: j.hdr}
	j.inbox = j.nc.NewInbox() + "."
	j.idPrefix = fmt.Sprintf("omendb-%x-", seed)
	j.acks = make(chan *nats.Msg, maxInFlight)
	if j.ackSub, err = j.nc.ChanSubscribe(j.inbox+"*", j.acks); err != nil {
		return fmt.Errorf("log: subscribe to acknowledgements: %w", err)
	}
	return nil
}

// MaxChunk returns the largest message body Append publishes.
func (j *JetStream) MaxChunk() int { return j.maxChunk }

// Append durably appends r and returns its offset. One goroutine at a time.
//
// After an error the outcome of the append is unknown: the record (or some
// of its chunks) may be stored. The next Append first re-reads the stream's
// last sequence and continues after it; Last tells whether the failed record
// made it. An error wrapping ErrFenced means another writer appended to the
// stream: then every later Append fails with ErrFenced until Resync.
func (j *JetStream) Append(ctx context.Context, r *Record) (Offset, error) {
	p, err := j.StartAppend(ctx, r)
	if err != nil {
		return 0, err
	}
	off, err := p.Wait()
	if err != nil {
		j.Recover(ctx)
	}
	return off, err
}

// parts returns how many messages Append publishes for a record whose
// single-message encoding is n bytes long (as appendChunkedRecord splits it).
func (j *JetStream) parts(n int) int {
	if n <= j.maxChunk {
		return 1
	}
	per := j.maxChunk - msgOverhead - chunkHeaderLen
	body := n - msgOverhead
	return (body + per - 1) / per
}

// ready checks that the writer may append, refreshing its last sequence
// after a failed append.
func (j *JetStream) ready(ctx context.Context) error {
	if j.fenced != nil {
		return fmt.Errorf("log: append refused until Resync: %w", j.fenced)
	}
	if err := ctx.Err(); err != nil { // nothing sent: the writer stays usable
		return fmt.Errorf("log: append: %w", err)
	}
	if j.suspect {
		if err := j.recoverStore(ctx); err != nil {
			return err
		}
		j.suspect = false
	}
	if j.stale {
		s, err := j.js.Stream(ctx, j.o.Stream)
		if err != nil {
			return fmt.Errorf("log: append: re-read the stream after a failed append: %w", err)
		}
		j.lastSeq = s.CachedInfo().State.LastSeq
		j.recent.observe(j.lastSeq)
		j.stale = false
	}
	return nil
}

// publish stores one message, expecting the stream's last sequence to be
// j.lastSeq, and waits for it. No append may be in flight.
func (j *JetStream) publish(ctx context.Context, data []byte) (Offset, error) {
	off, err := j.send(ctx, data, 0, false).Wait()
	if err != nil {
		j.Recover(ctx)
	}
	return off, err
}

// Resync makes a fenced writer usable again by adopting the stream's current
// last sequence: a deliberate take-over, for when this process is known to
// be the sole writer again (the usual answer to ErrFenced is to stop
// writing). It returns Last. Same goroutine as Append.
func (j *JetStream) Resync(ctx context.Context) (Offset, error) {
	j.drain()
	s, err := j.js.Stream(ctx, j.o.Stream)
	if err != nil {
		return 0, fmt.Errorf("log: resync: %w", err)
	}
	j.pmu.Lock()
	j.broken = nil
	j.pmu.Unlock()
	j.lastSeq = s.CachedInfo().State.LastSeq
	j.recent.observe(j.lastSeq)
	j.fenced, j.stale, j.halted = nil, false, nil
	return j.Last(ctx)
}

// AppendRaw publishes data as one message, bypassing the record format but
// not the writer's fencing. It exists for tests and tools (e.g. to prove
// that readers detect corruption); OmenDB itself never calls it.
func (j *JetStream) AppendRaw(ctx context.Context, data []byte) (Offset, error) {
	if err := j.ready(ctx); err != nil {
		return 0, err
	}
	if err := j.checkSpace(len(data)); err != nil {
		return 0, err
	}
	off, err := j.publish(ctx, data)
	if err == nil {
		j.recent.observe(uint64(off)) // local readers read it from the stream
	}
	return off, err
}

// InjectRaw opens the log described by o (whose server must not be running
// elsewhere on the same Dir), appends data as one raw message, and closes
// it. For crash and corruption tests and tools only: the next reader past
// the returned offset fails with ErrCorrupt (or ErrUnknownFormat).
func InjectRaw(ctx context.Context, o Options, data []byte) (Offset, error) {
	j, err := Open(ctx, o)
	if err != nil {
		return 0, err
	}
	off, err := j.AppendRaw(ctx, data)
	if cerr := j.Close(); err == nil {
		err = cerr
	}
	return off, err
}

// getMsg fetches the message at seq. It returns (nil, nil) if there is none.
func (j *JetStream) getMsg(ctx context.Context, seq uint64) (*jetstream.RawStreamMsg, error) {
	m, err := j.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("log: get message %d: %w", seq, err)
	}
	return m, nil
}

// Last returns the offset of the last complete record (0 if none). A chunk
// group that is incomplete at the tail (a writer died mid-append, or is
// appending right now) is skipped. Safe from any goroutine.
func (j *JetStream) Last(ctx context.Context) (Offset, error) {
	s, err := j.js.Stream(ctx, j.o.Stream)
	if err != nil {
		return 0, fmt.Errorf("log: stream info: %w", err)
	}
	st := s.CachedInfo().State
	j.recent.observe(st.LastSeq)
	j.lastMu.Lock()
	if st.LastSeq == j.lastCheck && st.LastSeq != 0 {
		res := j.lastRes
		j.lastMu.Unlock()
		return res, nil
	}
	j.lastMu.Unlock()

	res, err := j.recordAtOrBefore(ctx, st.LastSeq, max(st.FirstSeq, 1))
	if err != nil {
		return 0, err
	}
	j.lastMu.Lock()
	j.lastCheck, j.lastRes = st.LastSeq, res
	j.lastMu.Unlock()
	return res, nil
}

// recordAtOrBefore returns the offset of the last complete record whose
// final message is at a sequence in [first, seq] (0 if none), skipping
// chunk groups that are incomplete within that range.
func (j *JetStream) recordAtOrBefore(ctx context.Context, seq, first uint64) (Offset, error) {
	res := Offset(0)
	for seq >= first && seq > 0 {
		m, err := j.getMsg(ctx, seq)
		if err != nil {
			return 0, err
		}
		if m == nil { // deleted: look further back
			seq--
			continue
		}
		msg, err := decodeMessage(m.Data, Offset(seq))
		if err != nil {
			return 0, err
		}
		if msg.kind == msgRecord {
			res = Offset(seq)
			break
		}
		if uint64(msg.part) >= seq {
			return 0, corruptf(Offset(seq), "chunk part %d cannot start before sequence 1", msg.part)
		}
		start := seq - uint64(msg.part)
		if msg.kind == msgFinal {
			ok := msg.part == 0
			if !ok {
				fm, err := j.getMsg(ctx, start)
				if err != nil {
					return 0, err
				}
				if fm != nil {
					f, err := decodeMessage(fm.Data, Offset(start))
					if err != nil {
						return 0, err
					}
					ok = f.kind == msgChunk && f.part == 0 && f.group == msg.group
				}
			}
			if ok {
				res = Offset(seq)
				break
			}
			seq--
			continue
		}
		seq = start - 1 // an incomplete group: skip all of it
	}
	return res, nil
}

// Close closes the connection and stops an embedded server, waiting for it
// to flush and shut down. Iterators should be closed first; ones still open
// return errors afterwards.
func (j *JetStream) Close() error {
	select {
	case <-j.closing:
	default:
		close(j.closing)
	}
	if j.ackSub != nil {
		_ = j.ackSub.Unsubscribe()
	}
	if j.nc != nil {
		j.nc.Close()
	}
	j.shutdownServer()
	return nil
}

func (j *JetStream) shutdownServer() {
	if j.ns != nil {
		j.ns.Shutdown()
		j.ns.WaitForShutdown()
		j.ns = nil
	}
}
