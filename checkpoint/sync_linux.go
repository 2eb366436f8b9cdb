package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// directChunk is the size of each write of a checkpoint data file opened
// for direct I/O: one device request, the only one the checkpoint has in
// flight, so that a log fsync queued behind it waits about a millisecond
// (docs/checkpoint-format.md, "Writing").
const directChunk = 256 << 10

// directAlign is the alignment of direct I/O buffers, offsets and lengths
// (the largest logical block size of common devices).
const directAlign = 4096

// syncChunk is how many bytes a buffered checkpoint file (no direct I/O
// on its file system) accumulates before its writeback is started.
const syncChunk = 1 << 20

// paceChunk is how many bytes are written between pauses of a paced writer.
const paceChunk = 1 << 20

// chunkSyncer writes a checkpoint data file without flooding the disk the
// log's fsyncs use. Measured on this project's machines (bench recovery,
// its trace of the log's fsync calls), a checkpoint written through the
// page cache and flushed in 4 MiB sync_file_range chunks put one 4 MiB
// request (about 11 ms at 350 MB/s) and often a second one in front of
// many commit fsyncs, and commit p99 grew 3-5x. So it writes with O_DIRECT,
// directChunk bytes at a time from an aligned buffer: no dirty page cache,
// one request in flight, no page cache copy. The tail that is not a whole
// aligned block is written without O_DIRECT by Flush, and the caller's
// fsync makes it durable with the file's metadata.
//
// Where the file system refuses O_DIRECT (tmpfs, some FUSE) it falls back
// to buffered writes flushed every syncChunk bytes with sync_file_range,
// waiting for the previous chunk, so that dirty pages never pile up.
//
// With pace > 0 it also pauses every paceChunk bytes for pace times the
// time spent since the last pause (producing and writing the data): pace 1
// leaves the checkpoint at most half of a core and half of the disk time,
// so that commits running meanwhile keep their latency.
type chunkSyncer struct {
	f      *os.File
	fd     int
	off    int64 // bytes written to the file
	direct bool  // O_DIRECT is on: whole chunks of buf are written
	buf    []byte
	n      int // bytes in buf

	synced   int64 // buffered: writeback started up to here
	waited   int64 // buffered: writeback finished up to here
	disabled bool  // buffered: sync_file_range unsupported

	pace      float64
	paced     int64 // bytes accepted at the last pause
	accepted  int64
	resumedAt time.Time
}

func newChunkSyncer(f *os.File, pace float64) *chunkSyncer {
	c := &chunkSyncer{f: f, fd: int(f.Fd()), pace: pace, resumedAt: time.Now()}
	if setDirect(c.fd, true) == nil {
		c.direct = true
		b := make([]byte, directChunk+directAlign)
		skip := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))%directAlign)) % directAlign
		c.buf = b[skip : skip+directChunk : skip+directChunk]
	}
	return c
}

// setDirect turns O_DIRECT on or off for fd.
func setDirect(fd int, on bool) error {
	fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if e != 0 {
		return e
	}
	if on {
		fl |= syscall.O_DIRECT
	} else {
		fl &^= syscall.O_DIRECT
	}
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFL, fl); e != 0 {
		return e
	}
	return nil
}

func (c *chunkSyncer) Write(p []byte) (int, error) {
	var n int
	var err error
	if c.direct {
		n, err = c.writeDirect(p)
	} else {
		n, err = c.writeBuffered(p)
	}
	c.accepted += int64(n)
	if err == nil && c.pace > 0 && c.accepted-c.paced >= paceChunk {
		time.Sleep(time.Duration(float64(time.Since(c.resumedAt)) * c.pace))
		c.paced, c.resumedAt = c.accepted, time.Now()
	}
	return n, err
}

// writeDirect copies p into the aligned buffer and writes each full one.
func (c *chunkSyncer) writeDirect(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		k := copy(c.buf[c.n:], p[done:])
		c.n += k
		done += k
		if c.n < len(c.buf) {
			break
		}
		if err := c.flushDirect(); err != nil {
			return done, err
		}
		if !c.direct { // fell back: the rest goes through the page cache
			n, err := c.writeBuffered(p[done:])
			return done + n, err
		}
	}
	return done, nil
}

// flushDirect writes the full buffer with O_DIRECT. If the file system
// rejects the first such write, direct I/O is turned off and the buffer
// written through the page cache.
func (c *chunkSyncer) flushDirect() error {
	n, err := c.f.Write(c.buf)
	c.off += int64(n)
	if err != nil && n == 0 && c.off == 0 && errors.Is(err, syscall.EINVAL) {
		if err := setDirect(c.fd, false); err != nil {
			return fmt.Errorf("checkpoint: turning direct I/O off: %w", err)
		}
		c.direct = false
		_, err = c.writeBuffered(c.buf)
		c.n = 0
		return err
	}
	if err == nil {
		c.n = 0
	}
	return err
}

// writeBuffered writes p through the page cache and keeps the file's
// writeback at most syncChunk behind.
func (c *chunkSyncer) writeBuffered(p []byte) (int, error) {
	n, err := c.f.Write(p)
	c.off += int64(n)
	if err == nil && !c.disabled && c.off-c.synced >= syncChunk {
		if c.synced > c.waited { // wait for the previous chunk
			_ = syscall.SyncFileRange(c.fd, c.waited, c.synced-c.waited, 1|2|4) // WAIT_BEFORE|WRITE|WAIT_AFTER
			c.waited = c.synced
		}
		if e := syscall.SyncFileRange(c.fd, c.synced, c.off-c.synced, 2); e != nil { // WRITE
			c.disabled = true // not supported here: the final fsync does it all
		}
		c.synced = c.off
	}
	return n, err
}

// Flush writes what is buffered (the tail that is not a whole chunk)
// without O_DIRECT. The caller fsyncs the file afterwards.
func (c *chunkSyncer) Flush() error {
	if !c.direct || c.n == 0 {
		return nil
	}
	if err := setDirect(c.fd, false); err != nil {
		return fmt.Errorf("checkpoint: turning direct I/O off: %w", err)
	}
	c.direct = false
	n, err := c.f.Write(c.buf[:c.n])
	c.off += int64(n)
	c.n = 0
	return err
}
