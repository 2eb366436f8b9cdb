package log

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkDiskSync isolates the disk cost under one durable commit, to
// compare the two write patterns side by side on the same disk:
//
//   - append+fsync: what the embedded JetStream file store does with
//     SyncAlways — write the message at the end of a growing block file,
//     then fsync(2). Growing the file changes its size, so the sync must
//     also commit file-system metadata (on ext4, a journal commit).
//   - prealloc+fdatasync: what PostgreSQL does with its WAL — segments are
//     created at full size up front, commits overwrite them in place and
//     fdatasync(2), which then writes only the data block.
//
// The difference between the two is the part of OmenDB's one-connection
// commit latency that no OmenDB code path can remove while JetStream's file
// store is the WAL (docs/benchmarks.md, "Durable single-row commits").
// Figures: ns/op is one write + sync of an 8 KiB page.
func BenchmarkDiskSync(b *testing.B) {
	const page = 8 << 10
	const fileSize = 64 << 20
	buf := make([]byte, page)
	for _, mode := range []string{"append+fsync", "prealloc+fdatasync"} {
		b.Run(mode, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "sync"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if mode == "prealloc+fdatasync" {
				if _, err := f.Write(make([]byte, fileSize)); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			var off int64
			for b.Loop() {
				if off+page > fileSize {
					if mode == "append+fsync" { // keep growing a fresh file
						if err := f.Truncate(0); err != nil {
							b.Fatal(err)
						}
					}
					off = 0
				}
				if _, err := f.WriteAt(buf, off); err != nil {
					b.Fatal(err)
				}
				off += page
				if mode == "append+fsync" {
					err = f.Sync()
				} else {
					err = syscall.Fdatasync(int(f.Fd()))
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
