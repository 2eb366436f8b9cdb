// Package backup implements online backups of a running OmenDB (BACKUP TO
// '/dir' [INCREMENTAL]), restore into a new data directory at any offset or
// time the backup covers, and verification. The formats are documented in
// docs/checkpoint-format.md.
//
// A backup directory holds a chain of parts, each consistent at one offset:
//
//	backup.manifest           JSON + "crc32c <hex>\n": the parts, in order
//	checkpoint-<S>/           a full part's checkpoint at S (package checkpoint)
//	log-<from>-<to>.seg       the raw log messages of records in (from, to]
//
// A full part copies the whole retained log up to S (so point-in-time
// restores reach back to offset 0 if the log was never trimmed) plus a
// checkpoint at S; an incremental part copies only the records after the
// previous part. While a part is written, and afterwards for its chain, the
// server holds the log it needs from log retention (chains.go); an
// incremental part whose log was trimmed fails, asking for a full backup. Restore re-publishes the messages
// byte for byte into a new stream — the offsets stay the same — loads the
// newest checkpoint at or before the target, replays up to the target and
// writes a checkpoint there, so the new server starts without replay (its
// column store is seeded from the row store when the restored log starts
// past offset 1). Verify restores into a temporary directory and checks
// checksums and row counts in both stores.
package backup

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/omendb/omendb/checkpoint"
	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/olap"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql"
	"github.com/omendb/omendb/sql/pgwire"
	"github.com/omendb/omendb/types"
)

// Format constants.
const (
	ManifestName    = "backup.manifest"
	ManifestVersion = 1
	SegMagic        = "OMNDBSEG"
	SegVersion      = 1
	segHeaderLen    = 32
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt marks a backup file that failed verification.
var ErrCorrupt = fmt.Errorf("backup corrupted: %w", pgerr.ErrCorrupt)

// Manifest lists a backup directory's parts.
type Manifest struct {
	Version int    `json:"version"`
	Parts   []Part `json:"parts"`
}

// Part is one full or incremental backup.
type Part struct {
	Kind      string    `json:"kind"` // "full" or "incremental"
	Created   time.Time `json:"created"`
	From      uint64    `json:"from"` // records with From < offset <= To
	To        uint64    `json:"to"`
	Log       string    `json:"log"`
	LogBytes  int64     `json:"log_bytes"`
	LogCRC32C uint32    `json:"log_crc32c"`
	Records   int64     `json:"records"`
	// Checkpoint is the directory of a full part's checkpoint (at To).
	Checkpoint string `json:"checkpoint,omitempty"`
	// Rows and Tables (ID → rows) are the row counts at To.
	Rows   int64            `json:"rows"`
	Tables map[string]int64 `json:"tables"`
}

func encodeManifest(m *Manifest) []byte {
	b, _ := json.MarshalIndent(m, "", "  ")
	b = append(b, '\n')
	return fmt.Appendf(b, "crc32c %08x\n", crc32.Checksum(b, crcTable))
}

// ReadManifest reads and verifies dir's manifest; (nil, nil) if there is none.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	i := strings.LastIndex(string(b), "\ncrc32c ")
	if i < 0 || len(b) != i+17 {
		return nil, fmt.Errorf("%w: %s has no checksum line", ErrCorrupt, ManifestName)
	}
	var want uint32
	if _, err := fmt.Sscanf(string(b[i+8:i+16]), "%08x", &want); err != nil || crc32.Checksum(b[:i+1], crcTable) != want {
		return nil, fmt.Errorf("%w: %s checksum mismatch", ErrCorrupt, ManifestName)
	}
	var m Manifest
	if err := json.Unmarshal(b[:i+1], &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, ManifestName, err)
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("%w: %s version %d not understood", ErrCorrupt, ManifestName, m.Version)
	}
	return &m, nil
}

// Backup writes a part into dir from a running server's store and log: a
// full part (dir must hold no backup yet) or an incremental one (dir must
// hold one). It is online: writers are not stopped; the part is consistent
// at the store's applied offset when it starts.
func Backup(ctx context.Context, dir string, st *oltp.Store, l *log.JetStream, incremental bool) (*Part, error) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case incremental && m == nil:
		return nil, pgerr.New(pgerr.ObjectNotInPrerequisiteState, "no backup in %s to make an incremental backup on", dir)
	case !incremental && m != nil:
		return nil, pgerr.New(pgerr.ObjectNotInPrerequisiteState, "%s already holds a backup; use BACKUP TO '%s' INCREMENTAL", dir, dir)
	case m == nil:
		m = &Manifest{Version: ManifestVersion}
	}
	p := Part{Kind: "full", Created: time.Now().UTC(), Tables: map[string]int64{}}
	// Log retention must not trim what this part copies (chains.go): hold
	// the log while it is written, then check that it is all still there.
	h := holderOf(l)
	if incremental {
		p.From = m.Parts[len(m.Parts)-1].To
	}
	if h != nil {
		release := h.HoldBackup(dir, p.From)
		defer release()
	}
	first, err := l.FirstOffset(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case incremental && uint64(first) > p.From+1:
		return nil, pgerr.New(pgerr.ObjectNotInPrerequisiteState,
			"cannot make an incremental backup in %s: it needs the log after offset %d, which log retention has trimmed (the log now starts at offset %d)", dir, p.From, first).
			WithHint("Take a full backup into a new directory: BACKUP TO '/new/dir'.")
	case !incremental:
		// A full part copies the whole retained log.
		p.From = uint64(first) - 1
	}
	var stats oltp.CheckpointStats
	if incremental {
		p.Kind = "incremental"
		if stats, err = st.WriteCheckpoint(io.Discard); err != nil {
			return nil, err
		}
	} else {
		cm, err := checkpoint.Write(filepath.Join(dir, "checkpoint"), st)
		if err != nil {
			return nil, err
		}
		p.Checkpoint = "checkpoint"
		stats = oltp.CheckpointStats{Offset: cm.Offset, Rows: cm.Rows}
		p.Rows = cm.Rows
		p.Tables = cm.Tables
	}
	p.To = stats.Offset
	if incremental {
		p.Rows = stats.Rows
		for id, n := range stats.Tables {
			p.Tables[fmt.Sprint(id)] = n
		}
	}
	if p.To < p.From {
		return nil, fmt.Errorf("backup: the log (at %d) is behind the previous backup (at %d): a different database?", p.To, p.From)
	}
	p.Log = fmt.Sprintf("log-%020d-%020d.seg", p.From, p.To)
	if err := writeSegment(ctx, filepath.Join(dir, p.Log), l, &p); err != nil {
		return nil, err
	}
	m.Parts = append(m.Parts, p)
	if err := checkpoint.WriteFileAtomic(filepath.Join(dir, ManifestName), encodeManifest(m)); err != nil {
		return nil, err
	}
	if h != nil {
		if err := h.BackupDone(dir, p.To); err != nil {
			return nil, fmt.Errorf("backup written to %s, but %w", dir, err)
		}
	}
	return &p, nil
}

// writeSegment copies the log's records in (p.From, p.To] into path.
//
// Segment layout: header (magic "OMNDBSEG", version u32, from u64, to u64,
// CRC-32C u32 of the 28 bytes before it), then one frame per record:
// length u32 | CRC-32C u32 of the payload | payload = offset u64, stored
// time (unix ns) i64, message count u32, then per message length u32 and
// bytes. Messages are every stream sequence after the previous record up to
// the record's offset. Integers are little-endian.
func writeSegment(ctx context.Context, path string, l *log.JetStream, p *Part) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := crc32.New(crcTable)
	w := bufio.NewWriterSize(io.MultiWriter(tmp, h), 1<<20)
	var hdr [segHeaderLen]byte
	copy(hdr[:], SegMagic)
	binary.LittleEndian.PutUint32(hdr[8:], SegVersion)
	binary.LittleEndian.PutUint64(hdr[12:], p.From)
	binary.LittleEndian.PutUint64(hdr[20:], p.To)
	binary.LittleEndian.PutUint32(hdr[28:], crc32.Checksum(hdr[:28], crcTable))
	n, _ := w.Write(hdr[:])
	total := int64(n)
	if p.To > p.From {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		it, err := l.Read(rctx, log.Offset(p.From+1))
		if err != nil {
			return err
		}
		defer it.Close()
		prev := p.From
		var payload []byte
		for prev < p.To {
			e, err := it.Next(rctx)
			if err != nil {
				return fmt.Errorf("backup: reading the log after %d: %w", prev, err)
			}
			if uint64(e.Offset) > p.To {
				return fmt.Errorf("backup: the log has no record at offset %d", p.To)
			}
			payload = binary.LittleEndian.AppendUint64(payload[:0], uint64(e.Offset))
			payload = binary.LittleEndian.AppendUint64(payload, uint64(e.Time.UnixNano()))
			payload = binary.LittleEndian.AppendUint32(payload, uint32(uint64(e.Offset)-prev))
			for seq := prev + 1; seq <= uint64(e.Offset); seq++ {
				data, _, err := l.ReadRaw(rctx, seq)
				if err != nil {
					return err
				}
				if data == nil {
					return fmt.Errorf("backup: log message %d is missing", seq)
				}
				payload = binary.LittleEndian.AppendUint32(payload, uint32(len(data)))
				payload = append(payload, data...)
			}
			var fh [8]byte
			binary.LittleEndian.PutUint32(fh[:], uint32(len(payload)))
			binary.LittleEndian.PutUint32(fh[4:], crc32.Checksum(payload, crcTable))
			w.Write(fh[:])
			if _, err := w.Write(payload); err != nil {
				return err
			}
			total += int64(8 + len(payload))
			p.Records++
			prev = uint64(e.Offset)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	p.LogBytes, p.LogCRC32C = total, h.Sum32()
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return checkpoint.SyncDir(filepath.Dir(path))
}

// segRecord is one record read back from a segment.
type segRecord struct {
	Offset uint64
	Time   time.Time
	Msgs   [][]byte
}

// readSegment reads and verifies a part's segment, calling fn per record.
func readSegment(dir string, p *Part, fn func(r segRecord) error) error {
	path := filepath.Join(dir, p.Log)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return err
	} else if fi.Size() != p.LogBytes {
		return fmt.Errorf("%w: %s is %d bytes, the manifest says %d", ErrCorrupt, path, fi.Size(), p.LogBytes)
	}
	h := crc32.New(crcTable)
	r := bufio.NewReaderSize(io.TeeReader(f, h), 1<<20)
	var hdr [segHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return fmt.Errorf("%w: %s: header: %v", ErrCorrupt, path, err)
	}
	if string(hdr[:8]) != SegMagic || binary.LittleEndian.Uint32(hdr[8:]) != SegVersion ||
		crc32.Checksum(hdr[:28], crcTable) != binary.LittleEndian.Uint32(hdr[28:]) ||
		binary.LittleEndian.Uint64(hdr[12:]) != p.From || binary.LittleEndian.Uint64(hdr[20:]) != p.To {
		return fmt.Errorf("%w: %s: bad header", ErrCorrupt, path)
	}
	pos := int64(segHeaderLen)
	prev := p.From
	var recs int64
	for {
		var fh [8]byte
		if _, err := io.ReadFull(r, fh[:]); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("%w: %s at byte %d: truncated frame", ErrCorrupt, path, pos)
		}
		n := binary.LittleEndian.Uint32(fh[:])
		if int64(n) > p.LogBytes {
			return fmt.Errorf("%w: %s at byte %d: frame length %d", ErrCorrupt, path, pos, n)
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil || crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(fh[4:]) {
			return fmt.Errorf("%w: %s at byte %d: frame checksum mismatch", ErrCorrupt, path, pos)
		}
		bad := func(what string) error { return fmt.Errorf("%w: %s at byte %d: %s", ErrCorrupt, path, pos, what) }
		if n < 20 {
			return bad("short frame")
		}
		rec := segRecord{Offset: binary.LittleEndian.Uint64(payload), Time: time.Unix(0, int64(binary.LittleEndian.Uint64(payload[8:])))}
		cnt := binary.LittleEndian.Uint32(payload[16:])
		if rec.Offset <= prev || rec.Offset > p.To || uint64(cnt) != rec.Offset-prev {
			return bad(fmt.Sprintf("record offset %d with %d messages after %d", rec.Offset, cnt, prev))
		}
		d := payload[20:]
		for i := uint32(0); i < cnt; i++ {
			if len(d) < 4 || uint64(len(d)-4) < uint64(binary.LittleEndian.Uint32(d)) {
				return bad("truncated message")
			}
			k := binary.LittleEndian.Uint32(d)
			rec.Msgs = append(rec.Msgs, d[4:4+k])
			d = d[4+k:]
		}
		if len(d) != 0 {
			return bad("trailing bytes in a frame")
		}
		if err := fn(rec); err != nil {
			return err
		}
		prev = rec.Offset
		recs++
		pos += int64(8 + n)
	}
	if prev != p.To || recs != p.Records {
		return fmt.Errorf("%w: %s ends at offset %d after %d records, the manifest says %d and %d", ErrCorrupt, path, prev, recs, p.To, p.Records)
	}
	if h.Sum32() != p.LogCRC32C {
		return fmt.Errorf("%w: %s checksum mismatch", ErrCorrupt, path)
	}
	return nil
}

// Target says where a restore stops: at an offset, at a time (the last
// record stored at or before it), or (both zero) at the backup's end.
type Target struct {
	Offset uint64
	Time   time.Time
}

// Result describes a restore.
type Result struct {
	Offset     uint64 // the restored data directory's offset
	Checkpoint uint64 // offset of the backup checkpoint used (0: none)
	Records    int64  // log records copied
	Replayed   int64  // records replayed on top of the checkpoint
	Rows       int64
	Tables     map[uint32]int64
	// Columns (Verify only): live rows per table in the column store built
	// from the restored directory.
	Columns map[uint32]int64
}

// Restore builds data (which must not exist or be empty) from the backup in
// from, at target. progress (may be nil) receives human-readable lines.
func Restore(ctx context.Context, from, data string, target Target, progress func(string)) (*Result, error) {
	res, _, err := restore(ctx, from, data, target, progress)
	return res, err
}

// restore is Restore that also returns the restored row store.
func restore(ctx context.Context, from, data string, target Target, progress func(string)) (*Result, *oltp.Store, error) {
	if progress == nil {
		progress = func(string) {}
	}
	m, err := ReadManifest(from)
	if err != nil {
		return nil, nil, err
	}
	if m == nil || len(m.Parts) == 0 {
		return nil, nil, fmt.Errorf("restore: no backup in %s", from)
	}
	if ents, err := os.ReadDir(data); err == nil && len(ents) > 0 {
		return nil, nil, fmt.Errorf("restore: %s is not empty", data)
	}
	for i := 1; i < len(m.Parts); i++ {
		if m.Parts[i].From != m.Parts[i-1].To {
			return nil, nil, fmt.Errorf("%w: part %d starts at %d, part %d ends at %d", ErrCorrupt, i, m.Parts[i].From, i-1, m.Parts[i-1].To)
		}
	}
	// Resolve the target to a record offset.
	end := m.Parts[len(m.Parts)-1].To
	stop := end
	if target.Offset != 0 || !target.Time.IsZero() {
		found, best := false, uint64(0)
		for i := range m.Parts {
			err := readSegment(from, &m.Parts[i], func(r segRecord) error {
				switch {
				case target.Offset != 0 && r.Offset == target.Offset:
					found, best = true, r.Offset
				case !target.Time.IsZero() && !r.Time.After(target.Time):
					found, best = true, r.Offset
				}
				return nil
			})
			if err != nil {
				return nil, nil, err
			}
		}
		if base := m.Parts[0].From; base > 0 && found && best < m.Parts[0].To {
			return nil, nil, fmt.Errorf("restore: offset %d is before this backup's first checkpoint (offset %d): the source log had been trimmed below offset %d when the full backup was taken, so no state before %d can be rebuilt; restore to offset %d or later",
				best, m.Parts[0].To, base+1, m.Parts[0].To, m.Parts[0].To)
		}
		if !found {
			if base := m.Parts[0].From; base > 0 {
				return nil, nil, fmt.Errorf("restore: the target is before this backup's log, which starts after offset %d (older records had been trimmed from the source log when the full backup was taken); restore to offset %d or later",
					base, m.Parts[0].To)
			}
			if target.Offset != 0 {
				return nil, nil, fmt.Errorf("restore: offset %d is not a record offset in this backup (it covers up to %d)", target.Offset, end)
			}
			return nil, nil, fmt.Errorf("restore: no record in this backup at or before %s", target.Time.Format(time.RFC3339Nano))
		}
		stop = best
	}
	progress(fmt.Sprintf("restoring to offset %d (backup covers up to %d)", stop, end))
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, nil, err
	}
	// A backup of a trimmed log starts after Parts[0].From: the new stream
	// starts there too, so offsets stay the same.
	l, err := log.Open(ctx, log.Options{Dir: data, Unsafe: true, FirstSeq: m.Parts[0].From + 1})
	if err != nil {
		return nil, nil, err
	}
	closed := false
	defer func() {
		if !closed {
			l.Close()
		}
	}()
	res := &Result{Offset: stop}
	errStop := errors.New("stop")
	last := time.Now()
	for i := range m.Parts {
		p := &m.Parts[i]
		if p.From >= stop {
			break
		}
		err := readSegment(from, p, func(r segRecord) error {
			if r.Offset > stop {
				return errStop
			}
			first := r.Offset - uint64(len(r.Msgs)) + 1
			for k, msg := range r.Msgs {
				off, err := l.AppendRaw(ctx, msg)
				if err != nil {
					return err
				}
				if uint64(off) != first+uint64(k) {
					return fmt.Errorf("restore: message landed at offset %d, want %d (is %s really empty?)", off, first+uint64(k), data)
				}
			}
			res.Records++
			if time.Since(last) > time.Second {
				last = time.Now()
				progress(fmt.Sprintf("copied the log up to offset %d of %d", r.Offset, stop))
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return nil, nil, err
		}
	}
	progress(fmt.Sprintf("copied %d records; building the row store", res.Records))
	// The newest backup checkpoint at or before the target.
	var st *oltp.Store
	for i := len(m.Parts) - 1; i >= 0 && st == nil; i-- {
		p := &m.Parts[i]
		if p.Checkpoint == "" || p.To > stop {
			continue
		}
		cdir := filepath.Join(from, p.Checkpoint)
		cms, err := checkpoint.List(cdir, nil)
		if err != nil {
			return nil, nil, err
		}
		for _, cm := range cms {
			if cm.Offset != p.To {
				continue
			}
			if st, err = checkpoint.Open(cdir, cm, ""); err != nil {
				return nil, nil, err
			}
			res.Checkpoint = cm.Offset
		}
		if st == nil {
			return nil, nil, fmt.Errorf("%w: the checkpoint of part %d (offset %d) is missing", ErrCorrupt, i, p.To)
		}
	}
	if st == nil {
		st = oltp.NewStore()
	}
	if uint64(st.Applied()) < stop {
		rctx, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		it, err := l.Read(rctx, st.Applied()+1)
		if err != nil {
			return nil, nil, err
		}
		for uint64(st.Applied()) < stop {
			e, err := it.Next(rctx)
			if err != nil {
				it.Close()
				return nil, nil, fmt.Errorf("restore: replaying after offset %d: %w", st.Applied(), err)
			}
			if err := st.Apply(e); err != nil {
				it.Close()
				return nil, nil, err
			}
			res.Replayed++
			if res.Replayed%1024 == 0 {
				st.Reclaim()
			}
			if time.Since(last) > time.Second {
				last = time.Now()
				progress(fmt.Sprintf("replayed up to offset %d of %d", e.Offset, stop))
			}
		}
		it.Close()
	}
	cm, err := checkpoint.Write(filepath.Join(data, "checkpoints"), st)
	if err != nil {
		return nil, nil, err
	}
	res.Rows = cm.Rows
	res.Tables = map[uint32]int64{}
	for id, n := range cm.Tables {
		var k uint32
		fmt.Sscan(id, &k)
		res.Tables[k] = n
	}
	closed = true
	if err := l.Close(); err != nil {
		return nil, nil, err
	}
	progress(fmt.Sprintf("restored %s at offset %d: %d rows (checkpoint %d + %d records replayed)", data, stop, res.Rows, res.Checkpoint, res.Replayed))
	return res, st, nil
}

// Verify restores the backup in dir into a temporary directory, replays it
// to its end and checks every checksum and the row counts the manifest
// recorded. It then builds the column store the restored directory's server
// would build — seeded from the restored row store (a backup of a trimmed
// log leaves nothing to replay it from) and, when the backup's log starts at
// offset 1, also by replaying the whole log — and checks that each holds
// the manifest's row count for every table. It returns the restore result.
func Verify(ctx context.Context, dir string, progress func(string)) (*Result, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if m == nil || len(m.Parts) == 0 {
		return nil, fmt.Errorf("verify: no backup in %s", dir)
	}
	tmp, err := os.MkdirTemp("", "omendb-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	data := filepath.Join(tmp, "data")
	res, st, err := restore(ctx, dir, data, Target{}, progress)
	if err != nil {
		return nil, err
	}
	p := m.Parts[len(m.Parts)-1]
	if err := verifyColumns(ctx, st, data, m.Parts[0].From == 0, res, p, progress); err != nil {
		return res, err
	}
	if res.Rows != p.Rows {
		return res, fmt.Errorf("%w: restored %d rows, the manifest says %d at offset %d", ErrCorrupt, res.Rows, p.Rows, p.To)
	}
	for id, n := range p.Tables {
		var k uint32
		fmt.Sscan(id, &k)
		if res.Tables[k] != n {
			return res, fmt.Errorf("%w: table %s restored with %d rows, the manifest says %d", ErrCorrupt, id, res.Tables[k], n)
		}
	}
	if len(res.Tables) != len(p.Tables) {
		return res, fmt.Errorf("%w: restored %d tables, the manifest says %d", ErrCorrupt, len(res.Tables), len(p.Tables))
	}
	return res, nil
}

// verifyColumns builds the column store of a restored data directory from
// its row store st (seeding) and, with fromStart, from its log (replay), and
// checks each table's live rows in both against the manifest's counts.
func verifyColumns(ctx context.Context, st *oltp.Store, data string, fromStart bool, res *Result, p Part, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	check := func(how string, cs *olap.Store) error {
		ids := cs.TableIDs()
		if len(ids) != len(p.Tables) {
			return fmt.Errorf("%w: the column store %s holds %d tables, the manifest says %d", ErrCorrupt, how, len(ids), len(p.Tables))
		}
		res.Columns = map[uint32]int64{}
		for _, id := range ids {
			n := cs.Table(id).Live()
			res.Columns[id] = n
			if want, ok := p.Tables[fmt.Sprint(id)]; !ok || n != want {
				return fmt.Errorf("%w: table %d has %d rows in the column store %s, the manifest says %d", ErrCorrupt, id, n, how, want)
			}
		}
		return nil
	}
	seeded := olap.New(nil, 0)
	defer seeded.Close()
	ss, err := seeded.Seed(ctx, st)
	if err != nil {
		return fmt.Errorf("verify: seeding the column store from the restored row store: %w", err)
	}
	if err := check(fmt.Sprintf("seeded from the row store at offset %d", ss.Offset), seeded); err != nil {
		return err
	}
	progress(fmt.Sprintf("column store seeded from the row store: %d rows in %d tables, as the manifest says", ss.Rows, ss.Tables))
	if !fromStart {
		return nil
	}
	l, err := log.Open(ctx, log.Options{Dir: data, Unsafe: true})
	if err != nil {
		return err
	}
	defer l.Close()
	replayed := olap.New(nil, 0)
	defer replayed.Close()
	if res.Offset > 0 {
		rctx, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		it, err := l.Read(rctx, 1)
		if err != nil {
			return err
		}
		defer it.Close()
		for uint64(replayed.Applied()) < res.Offset {
			e, err := it.Next(rctx)
			if err != nil {
				return fmt.Errorf("verify: replaying the log into the column store after offset %d: %w", replayed.Applied(), err)
			}
			if err := replayed.Apply(e); err != nil {
				return fmt.Errorf("verify: replaying the log into the column store: %w", err)
			}
		}
	}
	if err := check(fmt.Sprintf("replayed from the log to offset %d", res.Offset), replayed); err != nil {
		return err
	}
	progress("column store replayed from the whole log: every table's row count as the manifest says")
	return nil
}

var backupRE = regexp.MustCompile(`(?is)^\s*BACKUP\s+TO\s+'((?:[^']|'')*)'\s*(INCREMENTAL)?\s*;?\s*$`)

// backupColumns are BACKUP TO's result columns.
var backupColumns = []pgwire.Column{{Name: "kind", Type: types.Text}, {Name: "from_offset", Type: types.Int8},
	{Name: "to_offset", Type: types.Int8}, {Name: "records", Type: types.Int8}, {Name: "rows", Type: types.Int8}}

func init() {
	sql.RegisterExtension(sql.Extension{
		Name:     "BACKUP",
		Keywords: []string{"BACKUP"},
		Columns:  backupColumns,
		Exec: func(ctx context.Context, e *sql.Engine, text string) (*sql.ExtResult, error) {
			mt := backupRE.FindStringSubmatch(text)
			if mt == nil {
				return nil, pgerr.New(pgerr.SyntaxError, "syntax: BACKUP TO '/dir' [INCREMENTAL]")
			}
			jl, ok := e.Log.(*log.JetStream)
			if !ok {
				return nil, pgerr.NotSupported("BACKUP needs the JetStream log")
			}
			dir := strings.ReplaceAll(mt[1], "''", "'")
			p, err := Backup(ctx, dir, e.Store, jl, mt[2] != "")
			if err != nil {
				return nil, err
			}
			return &sql.ExtResult{
				Columns: backupColumns,
				Rows: [][]types.Value{{types.NewText(p.Kind), types.NewInt(int64(p.From)), types.NewInt(int64(p.To)),
					types.NewInt(p.Records), types.NewInt(p.Rows)}},
				Tag: "BACKUP",
			}, nil
		},
	})
}
