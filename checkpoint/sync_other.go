//go:build !linux

package checkpoint

import (
	"os"
	"time"
)

// paceChunk is how many bytes are written between pauses of a paced writer.
const paceChunk = 1 << 20

// chunkSyncer paces writes as on Linux (without sync_file_range: the final
// fsync writes everything).
type chunkSyncer struct {
	f         *os.File
	pace      float64
	off       int64
	paced     int64
	resumedAt time.Time
}

func newChunkSyncer(f *os.File, pace float64) *chunkSyncer {
	return &chunkSyncer{f: f, pace: pace, resumedAt: time.Now()}
}

func (c *chunkSyncer) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	c.off += int64(n)
	if c.pace > 0 && c.off-c.paced >= paceChunk {
		time.Sleep(time.Duration(float64(time.Since(c.resumedAt)) * c.pace))
		c.paced, c.resumedAt = c.off, time.Now()
	}
	return n, err
}

// Flush is a no-op: writes are not buffered here.
func (c *chunkSyncer) Flush() error { return nil }
