package log

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/omendb/omendb/pgerr"
)

// mountTmpfs mounts a tmpfs of size bytes (the tests run as root) and
// unmounts it when the test ends.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mounting a %d-byte tmpfs on %s (the disk-full tests need root): %v: %s", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a ballast file until at most leave bytes are free.
func fillDisk(t *testing.T, dir string, leave uint64) string {
	t.Helper()
	path := filepath.Join(dir, "ballast")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		free, _, err := fsSpace(dir)
		if err != nil {
			t.Fatal(err)
		}
		if free <= leave {
			return path
		}
		n := min(uint64(len(buf)), free-leave)
		if _, err := f.Write(buf[:n]); err != nil {
			if leave == 0 {
				return path // ENOSPC: full
			}
			t.Fatal(err)
		}
	}
}

func TestAppendRefusedBelowDiskReserve(t *testing.T) {
	ctx := testCtx(t)
	dir := mountTmpfs(t, 32<<20)
	j := openTest(t, Options{Dir: dir, DiskReserve: 4 << 20})
	var offs []Offset
	for i := range 5 {
		offs = append(offs, mustAppend(t, j, txnRecord(uint64(i), "before")))
	}
	ballast := fillDisk(t, dir, 2<<20) // below the reserve, far from ENOSPC
	for range 3 {
		_, err := j.Append(ctx, txnRecord(100, "refused"))
		if !errors.Is(err, ErrDiskFull) || pgerr.Code(err) != pgerr.DiskFull {
			t.Fatalf("append on a full disk: %v (code %s), want ErrDiskFull / 53100", err, pgerr.Code(err))
		}
	}
	if _, err := j.AppendRaw(ctx, []byte("x")); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("raw append on a full disk: %v", err)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	// Nothing was sent: the writer continues right after the last record.
	if off := mustAppend(t, j, txnRecord(6, "after")); off != offs[len(offs)-1]+1 {
		t.Fatalf("append after freeing space at %d, want %d", off, offs[len(offs)-1]+1)
	}
}

// TestAppendRecoversFromRealENOSPC disables the reserve so that JetStream's
// file store itself meets ENOSPC (as when something else fills the disk):
// the append fails with 53100 (after JetStream's publish timeout: the store
// does not answer), and once space is freed the log reloads JetStream and
// appends continue, every acknowledged record intact, and a reader that
// was tailing the log meanwhile still gets them.
func TestAppendRecoversFromRealENOSPC(t *testing.T) {
	dir := mountTmpfs(t, 32<<20)
	j := openTest(t, Options{Dir: dir, DiskReserve: -1})
	var acked []Offset
	for i := range 5 {
		acked = append(acked, mustAppend(t, j, txnRecord(uint64(i), "before")))
	}
	tail := mustRead(t, j, 1)
	for range acked {
		next(t, tail)
	}
	ballast := fillDisk(t, dir, 0)
	var failed int
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		off, err := j.Append(ctx, bigRecord(uint64(i), 200<<10))
		cancel()
		if err != nil {
			if pgerr.Code(err) != pgerr.DiskFull {
				t.Fatalf("append on a full disk: %v (code %s), want 53100", err, pgerr.Code(err))
			}
			failed++
			break
		}
		acked = append(acked, off) // the store had room left in a block
	}
	if failed == 0 {
		t.Fatal("no append failed on a full disk")
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	off, err := j.Append(testCtx(t), txnRecord(50, "after"))
	if err != nil {
		t.Fatalf("append after freeing space: %v", err)
	}
	acked = append(acked, off)
	for {
		if e := next(t, tail); e.Offset == off {
			break
		}
	}
	got := readOffsets(t, j, 1, off)
	seen := map[Offset]bool{}
	for _, o := range got {
		seen[o] = true
	}
	for _, o := range acked {
		if !seen[o] {
			t.Fatalf("acknowledged record %d lost; read %v", o, got)
		}
	}
}

// BenchmarkAppendSpaceCheck measures what the free-space guard costs an
// Append (small records, no fsync, so the check is not hidden behind one):
// reserve=on (the default, statfs cached) next to reserve=off.
func BenchmarkAppendSpaceCheck(b *testing.B) {
	for _, reserve := range []string{"on", "off"} {
		b.Run("reserve="+reserve, func(b *testing.B) {
			o := Options{Unsafe: true}
			if reserve == "off" {
				o.DiskReserve = -1
			}
			j := openTest(b, o)
			r := sizedRecord(200)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := j.Append(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
