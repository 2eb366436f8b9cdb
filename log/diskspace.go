package log

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omendb/omendb/pgerr"
)

// Disk space. nats-server does not survive a full disk gracefully: a write
// that fails with ENOSPC sets a sticky write error on the stream's file
// store (every later publish fails, without a reply, until the store is
// reloaded), and its own limit (by default 75% of the space free when it
// started) refuses every publish once the log outgrows it. So with the
// embedded server the log guards the disk itself: before each append it
// checks the free space of Dir/nats (statfs) and refuses the append with
// ErrDiskFull (SQLSTATE 53100) while it would leave less than the reserve
// (Options.DiskReserve), so nats never meets ENOSPC while OmenDB alone
// fills the disk; nats's own limit is raised to the filesystem's size.
// Nothing is sent for a refused append, so the writer stays usable and
// appends succeed again as soon as space is freed. Errors that still come
// back from JetStream for lack of space (insufficient resources on an
// external server, a real ENOSPC when something else filled the disk) are
// reported the same way. After a publish that may have met a store write
// error the next append, once space is back, reloads JetStream
// (recoverStore) so the sticky error is cleared.

// ErrDiskFull: an append was refused or failed because the log's disk is
// (nearly) full. It is wrapped in a *pgerr.Error with SQLSTATE 53100.
var ErrDiskFull = errors.New("log: no space left on device")

// DefaultDiskReserve is the free space the embedded store keeps by default
// (at most an eighth of the filesystem's size).
const DefaultDiskReserve = 64 << 20

// fullMemory is how long after the disk was last seen full a publish that
// got no answer is blamed on a store write error from that time.
const fullMemory = 10 * time.Minute

// JetStream API error codes (nats-server's errors.json) for lack of space.
const (
	jsErrInsufficientResources = 10023
	jsErrStoreFailed           = 10077
)

// storeDir is the embedded server's JetStream directory.
func (j *JetStream) storeDir() string { return j.o.Dir + "/nats" }

// fsSpace returns the free (for unprivileged users) and total bytes of the
// filesystem holding dir.
func fsSpace(dir string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// diskReserve resolves Options.DiskReserve for a filesystem of total bytes.
func diskReserve(o Options, total uint64) uint64 {
	switch {
	case o.DiskReserve < 0:
		return 0
	case o.DiskReserve > 0:
		return uint64(o.DiskReserve)
	}
	return min(DefaultDiskReserve, total/8)
}

// FreeSpace reports the free bytes of the embedded store's filesystem and
// the reserve appends keep (0, 0 with an external server).
func (j *JetStream) FreeSpace() (free, reserve uint64, err error) {
	if j.ns == nil {
		return 0, 0, nil
	}
	free, total, err := fsSpace(j.storeDir())
	if err != nil {
		return 0, 0, fmt.Errorf("log: statfs %s: %w", j.storeDir(), err)
	}
	return free, diskReserve(j.o, total), nil
}

// Space checks are cached: statfs costs microseconds, so while plenty of
// space is left above the reserve (spaceSlack) it is re-read at most every
// spaceCheckEvery; close to the reserve, before every append.
const (
	spaceCheckEvery = 50 * time.Millisecond
	spaceSlack      = 32 << 20
)

// checkSpace refuses an append of n bytes that would leave less than the
// reserve free. Nothing has been sent when it fails. Same goroutine as
// Append.
func (j *JetStream) checkSpace(n int) error {
	if j.ns == nil || j.o.DiskReserve < 0 {
		return nil
	}
	now := time.Now()
	if now.Sub(j.spaceAt) < spaceCheckEvery && j.spaceLeft-int64(n) > spaceSlack {
		j.spaceLeft -= int64(n)
		return nil
	}
	free, reserve, err := j.FreeSpace()
	if err != nil {
		return nil // cannot tell: let the store decide
	}
	j.spaceAt, j.spaceLeft = now, int64(free)-int64(reserve)-int64(n)
	if free < reserve+uint64(n) {
		j.fullSeen.Store(now.UnixNano())
		return diskFull(j.storeDir(), fmt.Errorf("%w: %d bytes free, %d kept in reserve, append of %d bytes refused", ErrDiskFull, free, reserve, n))
	}
	return nil
}

// diskFull wraps err as SQLSTATE 53100 in PostgreSQL's words.
func diskFull(dir string, err error) error {
	return pgerr.Wrap(pgerr.DiskFull, err, fmt.Sprintf("could not extend file %q: No space left on device", dir)).
		WithDetail("%v", err).
		WithHint("Free disk space (or let log retention trim the log); writes resume once space is available.")
}

// spaceError classifies a failed publish: an error caused by lack of space
// becomes ErrDiskFull (53100). suspect reports that the store may have met
// a write error that sticks until it is reloaded.
func (j *JetStream) spaceError(err error) (out error, suspect bool) {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrInsufficientResources {
		return diskFull(j.storeDir(), fmt.Errorf("%w: JetStream has insufficient resources: %w", ErrDiskFull, err)), false
	}
	if j.ns == nil {
		return err, false
	}
	noSpace := errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left") ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrStoreFailed)
	if !noSpace {
		// A store write error gets no reply: the publish times out. Blame
		// the disk only if it is (nearly) full now.
		// The disk may also have filled (and been freed) between appends,
		// failing one of the store's own writes meanwhile.
		free, _, serr := fsSpace(j.storeDir())
		noSpace = serr == nil && free < uint64(j.maxChunk)+(1<<20) ||
			j.fullSeen.Load() != 0 && time.Since(time.Unix(0, j.fullSeen.Load())) < fullMemory
	}
	if !noSpace {
		return err, false
	}
	return diskFull(j.storeDir(), fmt.Errorf("%w: publish failed: %w", ErrDiskFull, err)), true
}

// recoverStore reloads the embedded server's JetStream (disable, enable:
// the streams are recovered from disk) to clear a sticky store write error
// after the disk was full. Readers' ordered consumers are recreated by the
// client. Same goroutine as Append.
func (j *JetStream) recoverStore(ctx context.Context) error {
	if j.ns == nil {
		return nil
	}
	if err := j.checkSpace(0); err != nil {
		return err // still full: try again at the next append
	}
	cfg := j.ns.JetStreamConfig()
	if cfg == nil {
		return errors.New("log: JetStream is not enabled on the embedded server")
	}
	// JetStreamConfig's StoreDir already ends in "jetstream", which
	// EnableJetStream appends again: hand it the directory Open gave.
	cfg.StoreDir = j.storeDir()
	j.logger.Warn("reloading JetStream after a failed write on a full disk")
	// Readers' JetStream API calls wait (apiMu): nats-server's
	// EnableJetStream races with API requests it is dispatching.
	j.apiMu.Lock()
	err := j.ns.DisableJetStream()
	if err == nil {
		if err = j.ns.EnableJetStream(cfg); err != nil {
			err = fmt.Errorf("log: re-enable JetStream after a full disk: %w", err)
		}
	} else {
		err = fmt.Errorf("log: disable JetStream to recover from a full disk: %w", err)
	}
	j.apiMu.Unlock()
	if err != nil {
		return err
	}
	s, err := j.js.Stream(ctx, j.o.Stream)
	if err != nil {
		return fmt.Errorf("log: stream after reloading JetStream: %w", err)
	}
	j.lastSeq = s.CachedInfo().State.LastSeq
	j.stale = false
	return nil
}
