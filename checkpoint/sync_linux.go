package checkpoint

import (
	"os"
	"syscall"
	"time"
)

// syncChunk is how many bytes a checkpoint file accumulates before its
// writeback is started.
const syncChunk = 4 << 20

// paceChunk is how many bytes are written between pauses of a paced writer.
const paceChunk = 1 << 20

// chunkSyncer writes to f and, every syncChunk bytes, starts writeback of
// the chunk just written (sync_file_range WRITE) and waits for the previous
// chunk's (WAIT_BEFORE|WRITE|WAIT_AFTER on it). Dirty pages never pile up,
// so the final fsync is short and does not stall the log's fsyncs on the
// same disk behind hundreds of megabytes of checkpoint data.
//
// With pace > 0 it also pauses every paceChunk bytes for pace times the
// time spent since the last pause (producing and writing the data): pace 1
// leaves the checkpoint at most half of a core and half of the disk time,
// so that commits running meanwhile keep their latency.
type chunkSyncer struct {
	f        *os.File
	off      int64 // bytes written
	synced   int64 // writeback started up to here
	waited   int64 // writeback finished up to here
	disabled bool

	pace      float64
	paced     int64 // bytes written at the last pause
	resumedAt time.Time
}

func newChunkSyncer(f *os.File, pace float64) *chunkSyncer {
	return &chunkSyncer{f: f, pace: pace, resumedAt: time.Now()}
}

func (c *chunkSyncer) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	c.off += int64(n)
	if err == nil && !c.disabled && c.off-c.synced >= syncChunk {
		fd := int(c.f.Fd())
		if c.synced > c.waited { // wait for the previous chunk
			_ = syscall.SyncFileRange(fd, c.waited, c.synced-c.waited, 1|2|4) // WAIT_BEFORE|WRITE|WAIT_AFTER
			c.waited = c.synced
		}
		if e := syscall.SyncFileRange(fd, c.synced, c.off-c.synced, 2); e != nil { // WRITE
			c.disabled = true // not supported here: the final fsync does it all
		}
		c.synced = c.off
	}
	if c.pace > 0 && c.off-c.paced >= paceChunk {
		time.Sleep(time.Duration(float64(time.Since(c.resumedAt)) * c.pace))
		c.paced, c.resumedAt = c.off, time.Now()
	}
	return n, err
}
