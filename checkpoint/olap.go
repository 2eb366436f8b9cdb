package checkpoint

// OLAP checkpoints: the column store's segments at one offset, one file per
// table (olap.(*Capture).WriteTable) and a manifest naming the offset and
// every file with its size and CRC-32C, in their own directory
// (<data>/checkpoints/olap). Same rules as the row store's: each file is
// written to a temporary name, fsynced and renamed, the manifest last, then
// the directory is fsynced; a checkpoint exists once its manifest does.

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/olap"
)

// OLAPManifestVersion is the OLAP manifest format version.
const OLAPManifestVersion = 1

// OLAPManifest describes one column-store checkpoint.
type OLAPManifest struct {
	Version int    `json:"version"`
	Kind    string `json:"kind"` // "olap"
	Offset  uint64 `json:"offset"`
	// Oldest is the oldest snapshot the checkpointed store read correctly
	// (olap.Store.Oldest): 0, or the offset a store seeded from the row
	// store was seeded at (it holds no history below it).
	Oldest  uint64     `json:"oldest,omitempty"`
	Created time.Time  `json:"created"`
	Files   []OLAPFile `json:"files"` // one per table, ascending table ID
	TookMS  int64      `json:"took_ms"`
}

// OLAPFile is one table's file in an OLAP checkpoint.
type OLAPFile struct {
	Table    uint32 `json:"table"`
	Name     string `json:"name"` // relative to the directory
	Bytes    int64  `json:"bytes"`
	CRC32C   uint32 `json:"crc32c"`
	Segments int    `json:"segments"`
	Rows     int64  `json:"rows"` // row versions stored
	Live     int64  `json:"live"` // rows live at Offset
}

func olapName(off uint64) string { return fmt.Sprintf("olap-%020d.manifest", off) }

func olapFileName(off uint64, table uint32) string {
	return fmt.Sprintf("olap-%020d-%010d.cols", off, table)
}

// WriteOLAP writes a checkpoint of the column store s into dir at s's
// applied offset and removes all but the newest Keep. The materializer is
// held only while olap.(*Store).Capture copies delete offsets. pace is as
// for WritePaced (0: as fast as possible).
func WriteOLAP(dir string, s *olap.Store, pace float64) (*OLAPManifest, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c := s.Capture()
	defer c.Release()
	m := &OLAPManifest{Version: OLAPManifestVersion, Kind: "olap", Offset: c.Offset, Oldest: c.Oldest, Files: []OLAPFile{}}
	for i, id := range c.Tables() {
		f, err := writeFileAtomic(dir, olapFileName(c.Offset, id), pace, func(w io.Writer) (olap.TableCheckpoint, error) {
			return c.WriteTable(i, w)
		})
		if err != nil {
			return nil, fmt.Errorf("olap checkpoint: table %d: %w", id, err)
		}
		m.Files = append(m.Files, f)
	}
	m.Created = time.Now().UTC()
	m.TookMS = time.Since(start).Milliseconds()
	if err := WriteFileAtomic(filepath.Join(dir, olapName(m.Offset)), encodeChecked(m)); err != nil {
		return nil, err
	}
	pruneOLAP(dir, Keep)
	return m, nil
}

// writeFileAtomic writes one table file: temporary file (written with
// direct I/O, or flushed to disk in chunks as it grows, so the final fsync
// is short; see chunkSyncer), fsync, rename. The
// directory is fsynced with the manifest.
func writeFileAtomic(dir, name string, pace float64, write func(io.Writer) (olap.TableCheckpoint, error)) (OLAPFile, error) {
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return OLAPFile{}, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	cs := newChunkSyncer(tmp, pace)
	st, err := write(cs)
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
		return OLAPFile{}, err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return OLAPFile{}, err
	}
	return OLAPFile{Table: st.Table, Name: name, Bytes: st.Bytes, CRC32C: st.CRC, Segments: st.Segments, Rows: st.Rows, Live: st.Live}, nil
}

// DecodeOLAPManifest parses and verifies an OLAP manifest.
func DecodeOLAPManifest(b []byte) (*OLAPManifest, error) {
	var m OLAPManifest
	if err := decodeChecked(b, &m); err != nil {
		return nil, err
	}
	if m.Version != OLAPManifestVersion || m.Kind != "olap" {
		return nil, fmt.Errorf("%w: OLAP manifest version %d kind %q not understood (want %d, olap)", ErrCorrupt, m.Version, m.Kind, OLAPManifestVersion)
	}
	for i, f := range m.Files {
		if f.Name != olapFileName(m.Offset, f.Table) || (i > 0 && f.Table <= m.Files[i-1].Table) {
			return nil, fmt.Errorf("%w: OLAP manifest names file %q for table %d at offset %d", ErrCorrupt, f.Name, f.Table, m.Offset)
		}
	}
	return &m, nil
}

// ListOLAP returns the OLAP manifests in dir that verify, newest first;
// the others are reported through bad (may be nil).
func ListOLAP(dir string, bad func(file string, err error)) ([]*OLAPManifest, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*OLAPManifest
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "olap-") || !strings.HasSuffix(e.Name(), ".manifest") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			var m *OLAPManifest
			if m, err = DecodeOLAPManifest(b); err == nil {
				if e.Name() == olapName(m.Offset) {
					out = append(out, m)
					continue
				}
				err = fmt.Errorf("%w: OLAP manifest for offset %d in file %s", ErrCorrupt, m.Offset, e.Name())
			}
		}
		if bad != nil {
			bad(e.Name(), err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Offset > out[j].Offset })
	return out, nil
}

// OpenOLAP loads the column-store checkpoint m describes from dir into s
// (an empty store that has applied nothing), tables in parallel, verifies
// every file against the manifest (size, CRC-32C, segment and row counts)
// and publishes the offset. On error s is emptied again (Close).
func OpenOLAP(dir string, m *OLAPManifest, s *olap.Store) error {
	errs := make([]error, len(m.Files))
	sem := make(chan struct{}, procs.Max())
	var wg sync.WaitGroup
	for i := range m.Files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = openOLAPFile(dir, m.Offset, &m.Files[i], s)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		s.Close()
		return err
	}
	s.SetOldest(m.Oldest)
	s.Loaded(m.Offset)
	return nil
}

func openOLAPFile(dir string, off uint64, f *OLAPFile, s *olap.Store) error {
	path := filepath.Join(dir, f.Name)
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != f.Bytes {
		return fmt.Errorf("%w: %s is %d bytes, the manifest says %d", ErrCorrupt, path, fi.Size(), f.Bytes)
	}
	st, err := s.LoadTable(io.LimitReader(fh, f.Bytes+1), off)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st.Table != f.Table || st.CRC != f.CRC32C || st.Bytes != f.Bytes || st.Segments != f.Segments || st.Rows != f.Rows || st.Live != f.Live {
		return fmt.Errorf("%w: %s: table %d crc %08x bytes %d segments %d rows %d live %d, the manifest says %d %08x %d %d %d %d",
			ErrCorrupt, path, st.Table, st.CRC, st.Bytes, st.Segments, st.Rows, st.Live, f.Table, f.CRC32C, f.Bytes, f.Segments, f.Rows, f.Live)
	}
	return nil
}

// LoadOLAP fills s (an empty column store) from the newest OLAP checkpoint
// in dir at or below maxOffset that verifies and returns its manifest; or
// nil when there is none (s stays empty and the caller replays the whole
// log). Every checkpoint skipped is logged at ERROR with why.
func LoadOLAP(dir string, maxOffset uint64, s *olap.Store, logger *slog.Logger) (*OLAPManifest, error) {
	return LoadOLAPFrom(dir, 0, maxOffset, s, logger)
}

// LoadOLAPFrom is LoadOLAP for a log whose first retained offset is first:
// a checkpoint at an offset C below first-1 is skipped (logged at WARN),
// since the records after C it needs were trimmed; so are all older ones.
func LoadOLAPFrom(dir string, first, maxOffset uint64, s *olap.Store, logger *slog.Logger) (*OLAPManifest, error) {
	if logger == nil {
		logger = slog.Default()
	}
	ms, err := ListOLAP(dir, func(file string, err error) {
		logger.Error("olap checkpoint: skipping an unreadable manifest", "file", filepath.Join(dir, file), "err", err)
	})
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Offset > maxOffset {
			logger.Error("olap checkpoint: skipping a checkpoint ahead of the log", "offset", m.Offset, "log_last", maxOffset)
			continue
		}
		if m.Offset+1 < first {
			logger.Warn("olap checkpoint: skipping a checkpoint whose following records were trimmed from the log", "offset", m.Offset, "log_first", first)
			continue
		}
		start := time.Now()
		if err := OpenOLAP(dir, m, s); err != nil {
			logger.Error("olap checkpoint: skipping a corrupt checkpoint", "dir", dir, "offset", m.Offset, "err", err)
			continue
		}
		logger.Info("olap checkpoint loaded", "offset", m.Offset, "tables", len(m.Files), "took", time.Since(start).Round(time.Millisecond))
		return m, nil
	}
	return nil, nil
}

// pruneOLAP removes all but the newest keep OLAP checkpoints and stale
// temporary files; manifests go first. A manifest that did not verify is
// left for inspection.
func pruneOLAP(dir string, keep int) {
	ms, _ := ListOLAP(dir, nil)
	live := map[string]bool{}
	for i, m := range ms {
		if i < keep {
			live[olapName(m.Offset)] = true
			for _, f := range m.Files {
				live[f.Name] = true
			}
			continue
		}
		os.Remove(filepath.Join(dir, olapName(m.Offset)))
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "olap-") && !live[n] && (strings.HasSuffix(n, ".cols") || strings.HasSuffix(n, ".tmp")) {
			os.Remove(filepath.Join(dir, n))
		}
	}
	_ = SyncDir(dir)
}
