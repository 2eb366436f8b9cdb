// Package checkpoint keeps OLTP checkpoints on disk: each is a data file
// written by oltp.(*Store).WriteCheckpoint and a manifest naming its offset,
// size and CRC-32C, both written atomically (temporary file, fsync, rename,
// fsync of the directory), the manifest last. A checkpoint exists only once
// its manifest does. Load picks the newest checkpoint that verifies and is
// not ahead of the log; a corrupt or partial one is logged and skipped for an
// older one, and with none the caller replays the whole log (the log is the
// source of truth: losing every checkpoint never loses data).
//
// Layout of a checkpoint directory (docs/checkpoint-format.md):
//
//	ckpt-<offset, 20 digits>.data      the store's state (oltp format)
//	ckpt-<offset, 20 digits>.manifest  JSON + "crc32c <8 hex digits>\n"
//
// The column store's checkpoints (olap.go: WriteOLAP, LoadOLAP) follow the
// same rules in their own directory: one file per table and a manifest
// naming the offset and every file with its size and CRC-32C:
//
//	olap-<offset>-<table, 10 digits>.cols  Arrow IPC streams in frames
//	olap-<offset>.manifest                 JSON + "crc32c <8 hex digits>\n"
//
// Data files are written with direct I/O in 256 KiB requests, one at a
// time, where the file system allows it (sync_linux.go), else through the
// page cache with a chunked writeback: the log's fsyncs on the same disk
// never queue behind more than one such request, and the final fsync is
// short.
//
// Functions may be called from any goroutine, but at most one writer per
// directory at a time (the server's checkpointer).
package checkpoint

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
)

// ManifestVersion is the manifest format version.
const ManifestVersion = 1

// Keep is how many checkpoints Write leaves in a directory.
const Keep = 2

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt marks a checkpoint file that failed verification; it wraps
// pgerr.ErrCorrupt.
var ErrCorrupt = fmt.Errorf("checkpoint file corrupted: %w", pgerr.ErrCorrupt)

// Manifest describes one checkpoint.
type Manifest struct {
	Version int       `json:"version"`
	Offset  uint64    `json:"offset"`
	Created time.Time `json:"created"`
	Data    string    `json:"data"`   // data file name, relative to the directory
	Bytes   int64     `json:"bytes"`  // data file size
	CRC32C  uint32    `json:"crc32c"` // of the whole data file
	Rows    int64     `json:"rows"`
	// Tables maps table IDs (decimal) to row counts at Offset.
	Tables map[string]int64 `json:"tables"`
	// Took is how long writing took, in milliseconds.
	TookMS int64 `json:"took_ms"`
}

func name(off uint64, ext string) string { return fmt.Sprintf("ckpt-%020d.%s", off, ext) }

// Write writes a checkpoint of s into dir at s's applied offset and removes
// all but the newest Keep checkpoints. Writers of s are not stopped.
func Write(dir string, s *oltp.Store) (*Manifest, error) { return WritePaced(dir, s, 0) }

// DefaultPace is the pace of the server's periodic checkpoints: after each
// MiB written, a checkpoint pauses three times as long as it took to
// produce it, so it uses at most about a quarter of a core and of the disk
// while commits run (at 10M rows on two cores, pace 1 more than doubled
// commit p99 and pace 2 just did; docs/benchmarks.md).
const DefaultPace = 3.0

// WritePaced is Write with pacing: with pace > 0 the writer pauses, every
// MiB, pace times the time it took to produce that MiB (see DefaultPace).
func WritePaced(dir string, s *oltp.Store, pace float64) (*Manifest, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "ckpt-*.data.tmp")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	// Flushed to disk as it grows, so that the final fsync is short.
	cs := newChunkSyncer(tmp, pace)
	st, err := s.WriteCheckpoint(cs)
	if err == nil {
		err = cs.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: writing %s: %w", tmp.Name(), err)
	}
	m := &Manifest{Version: ManifestVersion, Offset: st.Offset, Created: time.Now().UTC(), Data: name(st.Offset, "data"),
		Bytes: st.Bytes, CRC32C: st.CRC, Rows: st.Rows, Tables: map[string]int64{}}
	for id, n := range st.Tables {
		m.Tables[fmt.Sprint(id)] = n
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, m.Data)); err != nil {
		return nil, err
	}
	m.TookMS = time.Since(start).Milliseconds()
	if err := WriteManifest(dir, m); err != nil {
		return nil, err
	}
	prune(dir, Keep)
	return m, nil
}

// EncodeManifest renders m: indented JSON, then a line "crc32c <hex>" with
// the CRC-32C of every byte before that line.
func EncodeManifest(m *Manifest) []byte { return encodeChecked(m) }

// encodeChecked renders v as indented JSON followed by its checksum line.
func encodeChecked(v any) []byte {
	b, _ := json.MarshalIndent(v, "", "  ")
	b = append(b, '\n')
	return fmt.Appendf(b, "crc32c %08x\n", crc32.Checksum(b, crcTable))
}

// DecodeManifest parses and verifies a manifest.
func DecodeManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := decodeChecked(b, &m); err != nil {
		return nil, err
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("%w: manifest version %d not understood (want %d)", ErrCorrupt, m.Version, ManifestVersion)
	}
	if m.Data != name(m.Offset, "data") {
		return nil, fmt.Errorf("%w: manifest names data file %q for offset %d", ErrCorrupt, m.Data, m.Offset)
	}
	return &m, nil
}

// decodeChecked verifies the checksum line of a manifest and parses the
// JSON before it into v.
func decodeChecked(b []byte, v any) error {
	i := bytes.LastIndex(b, []byte("\ncrc32c "))
	if i < 0 || len(b) != i+1+len("crc32c ")+8+1 || b[len(b)-1] != '\n' {
		return fmt.Errorf("%w: manifest has no checksum line", ErrCorrupt)
	}
	want, err := hex.DecodeString(string(b[i+8 : i+16]))
	if err != nil {
		return fmt.Errorf("%w: manifest checksum line: %v", ErrCorrupt, err)
	}
	got := crc32.Checksum(b[:i+1], crcTable)
	if uint32(want[0])<<24|uint32(want[1])<<16|uint32(want[2])<<8|uint32(want[3]) != got {
		return fmt.Errorf("%w: manifest checksum mismatch", ErrCorrupt)
	}
	if err := json.Unmarshal(b[:i+1], v); err != nil {
		return fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	return nil
}

// WriteManifest writes m as ckpt-<offset>.manifest atomically.
func WriteManifest(dir string, m *Manifest) error {
	return WriteFileAtomic(filepath.Join(dir, name(m.Offset, "manifest")), EncodeManifest(m))
}

// WriteFileAtomic writes data to path through a temporary file: write,
// fsync, rename, fsync the directory.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that renames in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// List returns the manifests in dir that decode and verify, newest first.
// Manifests that do not are reported through bad (may be nil).
func List(dir string, bad func(file string, err error)) ([]*Manifest, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Manifest
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "ckpt-") || !strings.HasSuffix(e.Name(), ".manifest") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			var m *Manifest
			if m, err = DecodeManifest(b); err == nil {
				if e.Name() != name(m.Offset, "manifest") {
					err = fmt.Errorf("%w: manifest for offset %d in file %s", ErrCorrupt, m.Offset, e.Name())
				} else {
					out = append(out, m)
					continue
				}
			}
		}
		if bad != nil {
			bad(e.Name(), err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Offset > out[j].Offset })
	return out, nil
}

// Open loads the checkpoint m describes from dir and verifies it against the
// manifest (size, CRC-32C, offset, row counts).
func Open(dir string, m *Manifest, indexMethod string) (*oltp.Store, error) {
	path := filepath.Join(dir, m.Data)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() != m.Bytes {
		return nil, fmt.Errorf("%w: %s is %d bytes, the manifest says %d", ErrCorrupt, path, fi.Size(), m.Bytes)
	}
	s, st, err := oltp.LoadCheckpointSize(f, m.Bytes, indexMethod)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if st.CRC != m.CRC32C || st.Offset != m.Offset || st.Rows != m.Rows {
		return nil, fmt.Errorf("%w: %s: crc %08x offset %d rows %d, the manifest says %08x %d %d",
			ErrCorrupt, path, st.CRC, st.Offset, st.Rows, m.CRC32C, m.Offset, m.Rows)
	}
	for id, n := range st.Tables {
		if m.Tables[fmt.Sprint(id)] != n {
			return nil, fmt.Errorf("%w: %s: table %d has %d rows, the manifest says %d", ErrCorrupt, path, id, n, m.Tables[fmt.Sprint(id)])
		}
	}
	return s, nil
}

// Load returns a store from the newest checkpoint in dir at or below
// maxOffset (the log's last offset: a checkpoint ahead of the log belongs to
// another log and is never used) that verifies, with its manifest; or nil,
// nil, nil when there is none. Every checkpoint skipped is logged with why.
func Load(dir string, maxOffset uint64, indexMethod string, logger *slog.Logger) (*oltp.Store, *Manifest, error) {
	if logger == nil {
		logger = slog.Default()
	}
	ms, err := List(dir, func(file string, err error) {
		logger.Error("checkpoint: skipping an unreadable manifest", "file", filepath.Join(dir, file), "err", err)
	})
	if err != nil {
		return nil, nil, err
	}
	for _, m := range ms {
		if m.Offset > maxOffset {
			logger.Error("checkpoint: skipping a checkpoint ahead of the log", "offset", m.Offset, "log_last", maxOffset)
			continue
		}
		start := time.Now()
		s, err := Open(dir, m, indexMethod)
		if err != nil {
			logger.Error("checkpoint: skipping a corrupt checkpoint", "file", filepath.Join(dir, m.Data), "offset", m.Offset, "err", err)
			continue
		}
		logger.Info("checkpoint loaded", "offset", m.Offset, "rows", m.Rows, "bytes", m.Bytes, "took", time.Since(start).Round(time.Millisecond))
		return s, m, nil
	}
	return nil, nil, nil
}

// prune removes all but the newest keep checkpoints and stale temporary
// files. Manifests go first so that a crash in between leaves no manifest
// naming a missing data file.
func prune(dir string, keep int) {
	ms, _ := List(dir, nil)
	live := map[string]bool{}
	for i, m := range ms {
		if i < keep {
			live[m.Data] = true
			live[name(m.Offset, "manifest")] = true
			continue
		}
		os.Remove(filepath.Join(dir, name(m.Offset, "manifest")))
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "ckpt-") && !live[n] && (strings.HasSuffix(n, ".data") || strings.HasSuffix(n, ".tmp") || strings.HasSuffix(n, ".manifest")) {
			// A manifest that did not verify is left for inspection.
			if strings.HasSuffix(n, ".manifest") {
				continue
			}
			os.Remove(filepath.Join(dir, n))
		}
	}
	_ = SyncDir(dir)
}
