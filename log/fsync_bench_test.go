package log

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
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

// BenchmarkAppendVsDisk interleaves, in one loop on the same file system,
// a durable 300-byte Append (JetStream with SyncAlways), the same Append
// without fsync (Unsafe), and the two raw patterns of BenchmarkDiskSync
// with 300 bytes (bench commit's disk probe): so the disk's minute-to-minute
// drift hits all four alike. It reports each one's median in µs; ns/op is
// the sum of the four. durable − unsafe is what JetStream's store pays for
// durability, to be compared with the raw append+fsync.
func BenchmarkAppendVsDisk(b *testing.B) {
	const size = 300
	durable := openTest(b, Options{})
	unsafe := openTest(b, Options{Unsafe: true})
	r := sizedRecord(size)
	buf := make([]byte, size)
	dir := b.TempDir()
	grow, err := os.Create(filepath.Join(dir, "grow"))
	if err != nil {
		b.Fatal(err)
	}
	defer grow.Close()
	const fileSize = 16 << 20
	over, err := os.Create(filepath.Join(dir, "over"))
	if err != nil {
		b.Fatal(err)
	}
	defer over.Close()
	if _, err := over.Write(make([]byte, fileSize)); err != nil {
		b.Fatal(err)
	}
	if err := over.Sync(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var lat [4][]time.Duration
	var off int64
	for b.Loop() {
		t0 := time.Now()
		if _, err := durable.Append(ctx, r); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := unsafe.Append(ctx, r); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := grow.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := grow.Sync(); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		if off+size > fileSize {
			off = 0
		}
		if _, err := over.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
		off += size
		if err := syscall.Fdatasync(int(over.Fd())); err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		for i, d := range []time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3)} {
			lat[i] = append(lat[i], d)
		}
	}
	for i, name := range []string{"durable-append", "unsafe-append", "append+fsync", "overwrite+fdatasync"} {
		slices.Sort(lat[i])
		b.ReportMetric(float64(lat[i][len(lat[i])/2].Nanoseconds())/1e3, name+"-p50-µs")
	}
}
