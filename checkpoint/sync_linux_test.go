package checkpoint

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestChunkSyncerWritesExactBytes writes pieces of random sizes (a total
// that is not a multiple of the direct I/O block) through a chunkSyncer,
// with direct I/O where the file system allows it and through the page
// cache, and reads back exactly what was written.
func TestChunkSyncerWritesExactBytes(t *testing.T) {
	for _, mode := range []string{"direct", "buffered"} {
		t.Run(mode, func(t *testing.T) {
			seed := rand.Uint64()
			r := rand.New(rand.NewPCG(seed, 1))
			path := filepath.Join(t.TempDir(), "f")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c := newChunkSyncer(f, 0)
			if mode == "buffered" && c.direct {
				if err := setDirect(c.fd, false); err != nil {
					t.Fatal(err)
				}
				c.direct = false
			}
			if mode == "direct" && !c.direct {
				t.Skip("the temporary directory's file system refuses O_DIRECT")
			}
			var want bytes.Buffer
			for want.Len() < 3*directChunk+5*syncChunk {
				p := make([]byte, r.IntN(3*directChunk/2))
				for i := range p {
					p[i] = byte(r.Uint32())
				}
				if n, err := c.Write(p); err != nil || n != len(p) {
					t.Fatalf("seed %d: Write: %d of %d bytes, %v", seed, n, len(p), err)
				}
				want.Write(p)
			}
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			if mode == "direct" && c.direct {
				t.Fatal("Flush left O_DIRECT on")
			}
			if c.off != int64(want.Len()) {
				t.Fatalf("seed %d: %d bytes written, want %d", seed, c.off, want.Len())
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("seed %d: file differs from what was written (%d vs %d bytes)", seed, len(got), want.Len())
			}
		})
	}
}

// TestChunkSyncerFallsBack checks the fallback for file systems that
// refuse direct writes: a chunkSyncer whose first direct write fails with
// EINVAL (here: a misaligned buffer) writes through the page cache
// instead, and nothing is lost.
func TestChunkSyncerFallsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := newChunkSyncer(f, 0)
	if !c.direct {
		t.Skip("the temporary directory's file system refuses O_DIRECT")
	}
	b := make([]byte, directChunk+directAlign+1)
	c.buf = b[1 : 1+directChunk] // misaligned: the kernel rejects it with EINVAL
	want := bytes.Repeat([]byte("0123456789abcdef"), directChunk/16*3+7)
	if n, err := c.Write(want); err != nil || n != len(want) {
		t.Fatalf("Write: %d of %d bytes, %v", n, len(want), err)
	}
	if c.direct {
		t.Fatal("still in direct mode after EINVAL")
	}
	if fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(c.fd), syscall.F_GETFL, 0); e != 0 || fl&syscall.O_DIRECT != 0 {
		t.Fatalf("O_DIRECT still set on the file (flags %#x, %v)", fl, e)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file differs from what was written (%d vs %d bytes)", len(got), len(want))
	}
}
