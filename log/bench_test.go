package log

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkAppend measures one Append (encode + publish + PubAck) on an
// embedded server, with SyncAlways (fsync per message, the default) next to
// Unsafe (no fsync). Figures: per-op latency; b.SetBytes gives MB/s.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{200, 64 << 10} {
		for _, sync := range []string{"always", "unsafe"} {
			b.Run(fmt.Sprintf("size=%s/sync=%s", sizeName(size), sync), func(b *testing.B) {
				j := openTest(b, Options{Unsafe: sync == "unsafe"})
				r := sizedRecord(size)
				ctx := context.Background()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := j.Append(ctx, r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkAppendPipelined appends 4 KiB records (about a group of 25
// single-row commits) back to back with up to depth appends in flight
// (StartAppend; depth=1 is Append's pattern), with SyncAlways. ns/op is the
// time per record: whether sending the next record while the previous one
// is stored and synced overlaps anything on this disk.
func BenchmarkAppendPipelined(b *testing.B) {
	for _, depth := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			j := openTest(b, Options{})
			r := sizedRecord(4 << 10)
			ctx := context.Background()
			var q []Pending
			wait := func() {
				if _, err := q[0].Wait(); err != nil {
					b.Fatal(err)
				}
				q = q[1:]
			}
			for b.Loop() {
				if len(q) == depth {
					wait()
				}
				p, err := j.StartAppend(ctx, r)
				if err != nil {
					b.Fatal(err)
				}
				q = append(q, p)
			}
			for len(q) > 0 {
				wait()
			}
		})
	}
}

// BenchmarkAppendChunked appends a 4 MiB record in 256 KiB chunks (16
// publishes, each fsynced).
func BenchmarkAppendChunked(b *testing.B) {
	j := openTest(b, Options{MaxChunk: 256 << 10})
	r := sizedRecord(4 << 20)
	ctx := context.Background()
	b.SetBytes(4 << 20)
	for b.Loop() {
		if _, err := j.Append(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplay replays a log of small records (crash recovery) and
// reports records/s. Each iteration opens a new iterator and reads them all.
func BenchmarkReplay(b *testing.B) {
	for _, n := range []int{20_000} {
		for _, size := range []int{200, 4 << 10} {
			for _, buf := range []string{"msgs=1024", "msgs=1024+bytes=32MiB"} {
				b.Run(fmt.Sprintf("records=%d/size=%s/pull=%s", n, sizeName(size), buf), func(b *testing.B) {
					o := Options{Unsafe: true, ReadBatch: 1024}
					if buf == "msgs=1024" {
						o.ReadBytes = -1
					}
					j := openTest(b, o)
					fillAsync(b, j, n, size)
					ctx := context.Background()
					b.ReportAllocs()
					b.SetBytes(int64(n * size))
					start, cpu0 := time.Now(), cpuTime()
					for b.Loop() {
						it, err := j.Read(ctx, 0)
						if err != nil {
							b.Fatal(err)
						}
						for i := range n {
							e, err := it.Next(ctx)
							if err != nil {
								b.Fatal(err)
							}
							if e.Offset != Offset(i+1) {
								b.Fatalf("offset %d, want %d", e.Offset, i+1)
							}
						}
						it.Close()
					}
					b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "records/s")
					b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n*b.N), "cpu-ns/record")
					b.ReportMetric(0, "ns/op")
				})
			}
		}
	}
}

// fillAsync appends n records of about size bytes quickly: encoded like
// Append but published asynchronously (the benchmark measures reading).
func fillAsync(b *testing.B, j *JetStream, n, size int) {
	b.Helper()
	msg := appendRecordMessage(nil, sizedRecord(size))
	for i := range n {
		if _, err := j.js.PublishAsync(j.o.Subject, msg); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 || i == n-1 {
			select {
			case <-j.js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				b.Fatal("async publishes not acknowledged")
			}
		}
	}
	if last, err := j.Last(context.Background()); err != nil || last != Offset(n) {
		b.Fatalf("filled to %d (%v), want %d", last, err, n)
	}
	j.lastSeq = uint64(n)
}

// cpuTime is the process's user+system CPU time: with other processes
// competing for the cores, CPU per record is steadier than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAppendWithReaders appends small records one at a time (a
// one-connection commit's pattern) while readers tail the log, as the two
// materializers of a server do, without fsync: cpu-ns/append is the
// process's CPU per append, readers' included. tail=local is the embedded
// server's default (caught-up readers take the writer's acknowledged
// records, recent.go); tail=consumer delivers every record back over NATS.
func BenchmarkAppendWithReaders(b *testing.B) {
	for _, tail := range []string{"consumer", "local"} {
		b.Run("readers=2/tail="+tail, func(b *testing.B) {
			j := openTest(b, Options{Unsafe: true})
			j.noLocalTail = tail == "consumer"
			ctx := context.Background()
			r := sizedRecord(200)
			mustAppend(b, j, r)
			var wg sync.WaitGroup
			rctx, stop := context.WithCancel(ctx)
			for range 2 {
				it := mustRead(b, j, 2) // closed by the test's cleanup
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						if _, err := it.Next(rctx); err != nil {
							return
						}
					}
				}()
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := j.Append(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/append")
			stop()
			wg.Wait()
		})
	}
}
