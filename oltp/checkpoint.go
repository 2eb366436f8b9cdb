package oltp

// Checkpoints: the row store's state at one offset, streamed to a writer and
// loaded back into a fresh Store. The byte format is documented in
// docs/checkpoint-format.md; package checkpoint adds files, manifests and
// the choice of the newest valid checkpoint.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/internal/frame"
	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/oltp/index"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// Checkpoint format constants.
const (
	CheckpointMagic   = "OMNDBCKP" // 8 bytes at the start of a checkpoint data file
	CheckpointVersion = 2          // 1 is still read (no row-count hint in table frames)

	frameCatalog  = 1
	frameTable    = 2
	frameRows     = 3
	frameTableEnd = 4
	frameSeqs     = 5
	frameMeta     = 6
	frameEnd      = 0xFF

	ckptHeaderLen  = 28
	rowsFrameBytes = 256 << 10 // target payload of one rows frame
	maxFrameBytes  = 64 << 20  // a reader rejects larger frames as corrupt
)

var crcTable = frame.Castagnoli

// ErrCheckpointCorrupt marks a checkpoint that failed a checksum or format
// check. It wraps pgerr.ErrCorrupt.
var ErrCheckpointCorrupt = fmt.Errorf("checkpoint corrupted: %w", pgerr.ErrCorrupt)

// CheckpointStats describes one written or loaded checkpoint.
type CheckpointStats struct {
	Offset uint64           // the store's applied offset the checkpoint captures
	Rows   int64            // rows in all tables
	Tables map[uint32]int64 // rows per table ID
	Bytes  int64            // bytes written or read
	CRC    uint32           // CRC-32C of the whole data file
}

type tableSnap struct {
	t         *Table
	pk        index.Index
	nextRowID int64
	lastWrite uint64
	schemaAt  uint64
	rowsHint  int64 // live rows when the snapshot was taken (a capacity hint)
}

// WriteCheckpoint writes the store's state at its current applied offset S to
// w without stopping writers: it pins S (so no version visible at S is
// reclaimed), takes the catalog, table set, metadata and counters consistent
// with S under the apply lock, then scans each table at snapshot S. Sequence
// positions are taken after the scan: they only grow, and a checkpointed
// value at or above the one at S is correct (sequences may have gaps).
func (s *Store) WriteCheckpoint(w io.Writer) (CheckpointStats, error) {
	s.applyMu.Lock()
	snap := s.applied.Load()
	cat := s.cat.Load()
	catAt := min(s.catAt.Load(), snap)
	var tabs []tableSnap
	s.mu.RLock()
	for _, def := range cat.Tables() {
		t := s.tables[def.ID]
		if t == nil {
			s.mu.RUnlock()
			s.applyMu.Unlock()
			return CheckpointStats{}, fmt.Errorf("checkpoint: table %d in the catalog has no row state", def.ID)
		}
		tabs = append(tabs, tableSnap{t: t, pk: t.pk, nextRowID: t.nextRowID.Load(),
			lastWrite: min(t.lastWrite.Load(), snap), schemaAt: min(t.schemaAt.Load(), snap), rowsHint: t.count.Load()})
	}
	s.mu.RUnlock()
	s.metaMu.Lock()
	meta := make(map[string][]byte, len(s.meta))
	for k, v := range s.meta {
		meta[k] = v
	}
	s.metaMu.Unlock()
	unpin := s.Pin(snap)
	s.applyMu.Unlock()
	defer unpin()

	cw := frame.NewWriter(bufio.NewWriterSize(w, 1<<20))
	st := CheckpointStats{Offset: snap, Tables: map[uint32]int64{}}
	var hdr [ckptHeaderLen]byte
	copy(hdr[:8], CheckpointMagic)
	binary.LittleEndian.PutUint32(hdr[8:], CheckpointVersion)
	binary.LittleEndian.PutUint64(hdr[12:], snap)
	binary.LittleEndian.PutUint32(hdr[20:], 0) // flags
	binary.LittleEndian.PutUint32(hdr[24:], crc32.Checksum(hdr[:24], crcTable))
	if _, err := cw.Write(hdr[:]); err != nil {
		return st, err
	}
	cj, err := json.Marshal(ckptCatalog{MaxID: cat.MaxID, CatAt: catAt, Tables: cat.Tables(), Sequences: cat.Sequences(), Views: cat.Views(), Enums: cat.EnumTypes(), Schemas: cat.Schemas(), Functions: cat.Functions()})
	if err != nil {
		return st, err
	}
	if err := frame.Write(cw, frameCatalog, cj); err != nil {
		return st, err
	}
	var buf []byte
	for _, ts := range tabs {
		buf = binary.LittleEndian.AppendUint32(buf[:0], ts.t.ID)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(ts.nextRowID))
		buf = binary.LittleEndian.AppendUint64(buf, ts.lastWrite)
		buf = binary.LittleEndian.AppendUint64(buf, ts.schemaAt)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(max(ts.rowsHint, 0)))
		if err := frame.Write(cw, frameTable, buf); err != nil {
			return st, err
		}
		var n int64
		var werr error
		rows := binary.LittleEndian.AppendUint32(nil, ts.t.ID)
		ts.pk.Scan(nil, false, func(_ []byte, h uint64) bool {
			c := ts.t.rows.get(h)
			if c == nil {
				return true
			}
			v := c.at(snap)
			if v == nil {
				return true
			}
			rows = binary.AppendUvarint(rows, uint64(len(c.key)))
			rows = append(rows, c.key...)
			rows = binary.AppendUvarint(rows, v.Begin)
			rows = binary.AppendUvarint(rows, uint64(len(v.row))) // stored encoded: written as is
			rows = append(rows, v.row...)
			n++
			if len(rows) >= rowsFrameBytes {
				if werr = frame.Write(cw, frameRows, rows); werr != nil {
					return false
				}
				rows = binary.LittleEndian.AppendUint32(rows[:0], ts.t.ID)
				// Let the commit path's goroutines run between frames: on
				// two cores a checkpoint must not hold a P for its whole scan.
				runtime.Gosched()
			}
			return true
		})
		if werr != nil {
			return st, werr
		}
		if len(rows) > 4 {
			if err := frame.Write(cw, frameRows, rows); err != nil {
				return st, err
			}
		}
		buf = binary.LittleEndian.AppendUint32(buf[:0], ts.t.ID)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(n))
		if err := frame.Write(cw, frameTableEnd, buf); err != nil {
			return st, err
		}
		st.Tables[ts.t.ID] = n
		st.Rows += n
	}
	// Sequences and metadata.
	s.seqMu.Lock()
	ids := make([]uint32, 0, len(s.seqs))
	for id := range s.seqs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	buf = binary.AppendUvarint(buf[:0], uint64(len(ids)))
	for _, id := range ids {
		buf = binary.LittleEndian.AppendUint32(buf, id)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(s.seqs[id]))
	}
	s.seqMu.Unlock()
	if err := frame.Write(cw, frameSeqs, buf); err != nil {
		return st, err
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	buf = binary.AppendUvarint(buf[:0], uint64(len(keys)))
	for _, k := range keys {
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
		buf = binary.AppendUvarint(buf, uint64(len(meta[k])))
		buf = append(buf, meta[k]...)
	}
	if err := frame.Write(cw, frameMeta, buf); err != nil {
		return st, err
	}
	buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(len(tabs)))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(st.Rows))
	if err := frame.Write(cw, frameEnd, buf); err != nil {
		return st, err
	}
	if err := cw.Underlying().(*bufio.Writer).Flush(); err != nil {
		return st, err
	}
	st.Bytes = cw.Len()
	st.CRC = cw.Sum32()
	return st, nil
}

// ckptCatalog is the JSON payload of the catalog frame.
type ckptCatalog struct {
	MaxID     uint32              `json:"max_id"`
	CatAt     uint64              `json:"cat_at"`
	Tables    []*catalog.Table    `json:"tables"`
	Sequences []*catalog.Sequence `json:"sequences"`
	Views     []*catalog.View     `json:"views,omitempty"` // in ID order: dependencies first
	// Enums are the enum types (before the tables and views that use them).
	Enums []*catalog.EnumType `json:"enums,omitempty"`
	// Schemas are the user schemas (loaded first).
	Schemas []*catalog.Schema `json:"schemas,omitempty"`
	// Functions are the user-defined functions (loaded before the views
	// that call them).
	Functions []*catalog.Function `json:"functions,omitempty"`
}

func corruptAt(pos int64, format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrCheckpointCorrupt, pos, fmt.Sprintf(format, args...))
}

// LoadCheckpoint builds a store from a checkpoint written by WriteCheckpoint,
// read from r to its end. The store reports Applied() == the checkpoint's
// offset; indexMethod is its default index structure. Primary indexes are
// bulk-loaded from the rows (in key order); secondary indexes are rebuilt
// from them. Any checksum or format failure returns an error wrapping
// ErrCheckpointCorrupt (or an I/O error); the partial store is discarded.
func LoadCheckpoint(r io.Reader, indexMethod string) (*Store, CheckpointStats, error) {
	if l, ok := r.(interface{ Len() int }); ok { // *bytes.Reader, *bytes.Buffer
		return LoadCheckpointSize(r, int64(l.Len()), indexMethod)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, CheckpointStats{}, fmt.Errorf("read checkpoint: %w", err)
	}
	return loadCheckpoint(data, indexMethod)
}

// LoadCheckpointSize is LoadCheckpoint for a checkpoint of known size (a
// file whose size the manifest states): it reads the size bytes with large
// sequential reads into one buffer advised for huge pages, which the loaded
// rows and keys then alias (so the buffer lives as long as the store's
// loaded rows). Bytes after size are corrupt.
func LoadCheckpointSize(r io.Reader, size int64, indexMethod string) (*Store, CheckpointStats, error) {
	if size < ckptHeaderLen || size > 1<<40 {
		return nil, CheckpointStats{}, corruptAt(0, "size %d out of range", size)
	}
	data := makeHuge[byte](int(size))
	const piece = 16 << 20
	for off := 0; off < len(data); {
		n, err := io.ReadFull(r, data[off:min(off+piece, len(data))])
		off += n
		if err != nil {
			return nil, CheckpointStats{}, corruptAt(int64(off), "truncated (%d of %d bytes): %v", off, size, err)
		}
	}
	var one [1]byte
	if n, _ := r.Read(one[:]); n != 0 {
		return nil, CheckpointStats{}, corruptAt(size, "data after the end frame")
	}
	return loadCheckpoint(data, indexMethod)
}

// nextFrame parses the frame at data[pos:] (package frame's layout) and
// verifies its checksum; the payload aliases data.
func nextFrame(data []byte, pos int) (kind byte, p []byte, next int, err error) {
	if len(data)-pos < frame.HeaderLen {
		return 0, nil, 0, corruptAt(int64(pos), "truncated frame header")
	}
	h := data[pos : pos+frame.HeaderLen]
	n := binary.LittleEndian.Uint32(h[1:])
	if n > maxFrameBytes {
		return 0, nil, 0, corruptAt(int64(pos), "frame length %d too large", n)
	}
	end := pos + frame.HeaderLen + int(n)
	if end > len(data) {
		return 0, nil, 0, corruptAt(int64(pos), "truncated frame (%d bytes)", n)
	}
	p = data[pos+frame.HeaderLen : end : end]
	if crc32.Update(crc32.Checksum(h[:5], crcTable), crcTable, p) != binary.LittleEndian.Uint32(h[5:]) {
		return 0, nil, 0, corruptAt(int64(pos), "frame checksum mismatch")
	}
	return h[0], p, end, nil
}

// loadCheckpoint loads a checkpoint held whole in data, which the loaded
// keys and rows alias from then on: nothing may write to it again.
func loadCheckpoint(data []byte, indexMethod string) (*Store, CheckpointStats, error) {
	var st CheckpointStats
	// The whole-file CRC-32C (the manifest's) is computed on another core
	// while the frames are parsed.
	crcDone := make(chan uint32, 1)
	go func() { crcDone <- crc32.Checksum(data, crcTable) }()
	defer func() {
		select {
		case <-crcDone:
		default:
		}
	}()
	if len(data) < ckptHeaderLen {
		return nil, st, corruptAt(0, "truncated header (%d bytes)", len(data))
	}
	hdr := data[:ckptHeaderLen]
	if string(hdr[:8]) != CheckpointMagic {
		return nil, st, corruptAt(0, "bad magic %q", hdr[:8])
	}
	if crc32.Checksum(hdr[:24], crcTable) != binary.LittleEndian.Uint32(hdr[24:]) {
		return nil, st, corruptAt(0, "header checksum mismatch")
	}
	version := binary.LittleEndian.Uint32(hdr[8:])
	if version != 1 && version != CheckpointVersion {
		return nil, st, fmt.Errorf("checkpoint format version %d not understood (want 1 or %d): %w", version, CheckpointVersion, ErrCheckpointCorrupt)
	}
	tableFrameLen := 28
	if version >= 2 {
		tableFrameLen = 36
	}
	snap := binary.LittleEndian.Uint64(hdr[12:])
	st.Offset = snap
	st.Tables = map[uint32]int64{}
	s := NewStore()
	s.IndexMethod = indexMethod

	pos := ckptHeaderLen
	kind, p, pos, err := nextFrame(data, pos)
	if err != nil {
		return nil, st, err
	}
	if kind != frameCatalog {
		return nil, st, corruptAt(ckptHeaderLen, "first frame is kind %d, want the catalog", kind)
	}
	var cc ckptCatalog
	if err := json.Unmarshal(p, &cc); err != nil {
		return nil, st, corruptAt(ckptHeaderLen, "catalog: %v", err)
	}
	cat := catalog.New()
	for _, sc := range cc.Schemas {
		if cat, err = cat.Apply(&catalog.Change{Kind: catalog.CreateSchema, Schema: sc}); err != nil {
			return nil, st, corruptAt(ckptHeaderLen, "catalog schema %d: %v", sc.ID, err)
		}
	}
	for _, e := range cc.Enums {
		if cat, err = cat.Apply(&catalog.Change{Kind: catalog.CreateType, ID: e.ID, Enum: e}); err != nil {
			return nil, st, corruptAt(ckptHeaderLen, "catalog type %d: %v", e.ID, err)
		}
	}
	for _, sq := range cc.Sequences {
		if cat, err = cat.Apply(&catalog.Change{Kind: catalog.CreateSequence, Sequence: sq}); err != nil {
			return nil, st, corruptAt(ckptHeaderLen, "catalog sequence %d: %v", sq.ID, err)
		}
	}
	// Tables come in name order, and foreign keys may reference tables
	// after them (or each other): every table first without its keys,
	// then the keys, each checked against the whole set.
	for _, td := range cc.Tables {
		bare := td
		if len(td.ForeignKeys) > 0 {
			bare = td.Clone()
			bare.ForeignKeys = nil
		}
		if cat, err = cat.Apply(&catalog.Change{Kind: catalog.CreateTable, Table: bare}); err != nil {
			return nil, st, corruptAt(ckptHeaderLen, "catalog table %d: %v", td.ID, err)
		}
	}
	for _, td := range cc.Tables {
		if len(td.ForeignKeys) == 0 {
			continue
		}
		if cat, err = cat.Apply(&catalog.Change{Kind: catalog.AlterColumn, Table: td}); err != nil {
			return nil, st, corruptAt(ckptHeaderLen, "catalog table %d: %v", td.ID, err)
		}
	}
	for _, f := range cc.Functions {
		if cat, err = cat.Apply(&catalog.Change{Kind: catalog.CreateFunction, ID: f.ID, Function: f}); err != nil {
			return nil, st, corruptAt(ckptHeaderLen, "catalog function %d: %v", f.ID, err)
		}
	}
	for _, v := range cc.Views {
		if cat, err = cat.Apply(&catalog.Change{Kind: catalog.CreateView, View: v}); err != nil {
			return nil, st, corruptAt(ckptHeaderLen, "catalog view %d: %v", v.ID, err)
		}
	}
	cat.MaxID = max(cat.MaxID, cc.MaxID)

	// Rows frames are parsed and checked on all cores (rowDecoder) while this
	// goroutine checksums the next frames; parsed chunks are joined to their
	// table in file order as soon as they are done (join), the rest at the
	// table-end frame.
	dec := newRowDecoder(snap)
	defer dec.close()
	var cur *Table
	var arena *rowArena
	var pending []*rowChunk
	var keys [][]byte
	var hs []uint64
	var tables int
	join := func(ch *rowChunk) error {
		<-ch.done
		if ch.err != nil {
			return ch.err
		}
		if len(keys) > 0 && len(ch.rows) > 0 && bytes.Compare(keys[len(keys)-1], ch.rows[0].c.key) >= 0 {
			return corruptAt(ch.pos, "row keys out of order in table %d", cur.ID)
		}
		for i := range ch.rows {
			hs = append(hs, cur.rows.add(&ch.rows[i].c))
			keys = append(keys, ch.rows[i].c.key)
		}
		ch.rows = nil
		return nil
	}
	for {
		fpos := pos
		kind, p, pos, err = nextFrame(data, pos)
		if err != nil {
			return nil, st, err
		}
		switch kind {
		case frameTable:
			if cur != nil || len(p) != tableFrameLen {
				return nil, st, corruptAt(int64(fpos), "unexpected table frame")
			}
			id := binary.LittleEndian.Uint32(p)
			def, ok := cat.Table(id)
			if !ok {
				return nil, st, corruptAt(int64(fpos), "table %d not in the catalog", id)
			}
			if cur, err = s.newLoadedTable(def); err != nil {
				return nil, st, err
			}
			cur.nextRowID.Store(int64(binary.LittleEndian.Uint64(p[4:])))
			cur.lastWrite.Store(binary.LittleEndian.Uint64(p[12:]))
			cur.schemaAt.Store(binary.LittleEndian.Uint64(p[20:]))
			hint := 0
			if len(p) >= 36 {
				// A hint only, not verified: bounded by what the rest of
				// the file can hold (a row takes at least 4 bytes).
				hint = int(min(binary.LittleEndian.Uint64(p[28:]), uint64(len(data)-pos)/4))
			}
			arena = newRowArena(hint)
			cur.rows.reserve(hint)
			keys, hs, pending = makeHuge[[]byte](hint)[:0], makeHuge[uint64](hint)[:0], pending[:0]
		case frameRows:
			if cur == nil || len(p) < 4 || binary.LittleEndian.Uint32(p) != cur.ID {
				return nil, st, corruptAt(int64(fpos), "rows frame outside its table")
			}
			pending = append(pending, dec.submit(cur.ID, arena, int64(fpos), p[4:]))
			for len(pending) > 0 && pending[0].finished() {
				if err := join(pending[0]); err != nil {
					return nil, st, err
				}
				pending = pending[1:]
			}
		case frameTableEnd:
			if cur == nil || len(p) != 12 || binary.LittleEndian.Uint32(p) != cur.ID {
				return nil, st, corruptAt(int64(fpos), "unexpected table end frame")
			}
			for _, ch := range pending {
				if err := join(ch); err != nil {
					return nil, st, err
				}
			}
			pending = pending[:0]
			if n := binary.LittleEndian.Uint64(p[4:]); n != uint64(len(keys)) {
				return nil, st, corruptAt(int64(fpos), "table %d: %d rows, the table end says %d", cur.ID, len(keys), n)
			}
			cur.finishLoad(keys, hs)
			s.tables[cur.ID] = cur
			st.Tables[cur.ID] = int64(len(keys))
			st.Rows += int64(len(keys))
			tables++
			cur, arena, keys, hs = nil, nil, nil, nil
		case frameSeqs:
			n, k := binary.Uvarint(p)
			if k <= 0 || uint64(len(p)-k) != n*12 {
				return nil, st, corruptAt(int64(fpos), "bad sequences frame")
			}
			for d := p[k:]; len(d) > 0; d = d[12:] {
				s.seqs[binary.LittleEndian.Uint32(d)] = int64(binary.LittleEndian.Uint64(d[4:]))
			}
		case frameMeta:
			n, k := binary.Uvarint(p)
			if k <= 0 {
				return nil, st, corruptAt(int64(fpos), "bad meta frame")
			}
			d := p[k:]
			for i := uint64(0); i < n; i++ {
				key, rest, ok := uvarBytes(d)
				if !ok {
					return nil, st, corruptAt(int64(fpos), "bad meta key")
				}
				val, rest2, ok := uvarBytes(rest)
				if !ok {
					return nil, st, corruptAt(int64(fpos), "bad meta value")
				}
				s.meta[string(key)] = val
				d = rest2
			}
		case frameEnd:
			if cur != nil || len(p) != 16 {
				return nil, st, corruptAt(int64(fpos), "unexpected end frame")
			}
			if nt, nr := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:]); nt != uint64(tables) || nr != uint64(st.Rows) ||
				tables != len(cc.Tables) {
				return nil, st, corruptAt(int64(fpos), "end frame says %d tables/%d rows, read %d/%d (catalog %d tables)", nt, nr, tables, st.Rows, len(cc.Tables))
			}
			if pos != len(data) {
				return nil, st, corruptAt(int64(pos), "data after the end frame")
			}
			st.Bytes = int64(pos)
			st.CRC = <-crcDone
			s.cat.Store(cat)
			s.catAt.Store(cc.CatAt)
			s.ids.Store(cat.MaxID)
			s.applied.Store(snap)
			s.startHistoryAt(snap) // no versions before the checkpoint
			return s, st, nil
		default:
			return nil, st, corruptAt(int64(fpos), "unknown frame kind %d", kind)
		}
	}
}

// loadedRow is a loaded key's chain together with its one version: a
// table's loaded rows are cut from one arena of them (rowArena).
type loadedRow struct {
	c chain
	v Version
}

// rowArena is one table's loaded rows, allocated in one piece from the
// table frame's rows hint and advised for huge pages: a checkpoint load is
// bound by first writes to fresh memory, and one fault per 2 MiB instead of
// per 4 KiB halves it. Decoders take runs of it (take); a chunk that does
// not fit (a wrong hint, a version 1 file) gets an allocation of its own.
// The arena stays alive while any of its chains does, i.e. as long as the
// table (chains are never removed); a version of it that is superseded and
// reclaimed keeps its 48 bytes until then.
type rowArena struct {
	rows []loadedRow
	next atomic.Int64
}

func newRowArena(hint int) *rowArena {
	return &rowArena{rows: makeHuge[loadedRow](hint)}
}

// take returns n rows, from the arena when they fit.
func (a *rowArena) take(n int) []loadedRow {
	if a != nil {
		if end := a.next.Add(int64(n)); end <= int64(len(a.rows)) {
			return a.rows[end-int64(n) : end : end]
		}
	}
	return make([]loadedRow, n)
}

// hugeAllocBytes is the size from which makeHuge advises huge pages.
const hugeAllocBytes = 4 << 20

// makeHuge returns make([]T, n), advised for transparent huge pages when it
// is at least hugeAllocBytes (see adviseHuge): the large arrays a
// checkpoint load fills right away.
func makeHuge[T any](n int) []T {
	s := make([]T, n)
	var z T
	if sz := uintptr(n) * unsafe.Sizeof(z); sz >= hugeAllocBytes {
		adviseHuge(unsafe.Pointer(unsafe.SliceData(s)), sz)
	}
	return s
}

// rowChunk is one rows frame handed to the decoder: its rows become
// chains (each with one version) in key order.
type rowChunk struct {
	table uint32
	arena *rowArena
	pos   int64  // frame position, for errors
	p     []byte // payload after the table ID
	rows  []loadedRow
	err   error
	done  chan struct{}
}

// rowDecoder decodes rows frames on GOMAXPROCS goroutines.
type rowDecoder struct {
	snap uint64
	jobs chan *rowChunk
	wg   sync.WaitGroup
}

func newRowDecoder(snap uint64) *rowDecoder {
	n := procs.Max()
	d := &rowDecoder{snap: snap, jobs: make(chan *rowChunk, 2*n)}
	for i := 0; i < n; i++ {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for ch := range d.jobs {
				d.decode(ch)
				close(ch.done)
			}
		}()
	}
	return d
}

// finished reports whether the chunk has been decoded.
func (ch *rowChunk) finished() bool {
	select {
	case <-ch.done:
		return true
	default:
		return false
	}
}

func (d *rowDecoder) submit(table uint32, arena *rowArena, pos int64, p []byte) *rowChunk {
	ch := &rowChunk{table: table, arena: arena, pos: pos, p: p, done: make(chan struct{})}
	d.jobs <- ch
	return ch
}

// close stops the workers once queued chunks are done.
func (d *rowDecoder) close() {
	close(d.jobs)
	d.wg.Wait()
}

// decode fills ch.rows: a first pass counts the rows (so that they are
// one run of the table's arena), the second checks them (types.CheckRow).
// Keys and rows stay where they are, in the checkpoint's buffer (never
// written again): loading allocates nothing per row or value.
func (d *rowDecoder) decode(ch *rowChunk) {
	n := 0
	for b := ch.p; len(b) > 0; n++ {
		_, rest, ok := uvarBytes(b)
		if !ok {
			ch.err = corruptAt(ch.pos, "bad row key")
			return
		}
		_, k := binary.Uvarint(rest)
		if k <= 0 {
			ch.err = corruptAt(ch.pos, "bad row offset")
			return
		}
		if _, b, ok = uvarBytes(rest[k:]); !ok {
			ch.err = corruptAt(ch.pos, "bad row length")
			return
		}
	}
	ch.rows = ch.arena.take(n)
	b := ch.p
	for i := 0; i < n; i++ {
		key, rest, _ := uvarBytes(b)
		begin, k := binary.Uvarint(rest)
		rb, rest2, _ := uvarBytes(rest[k:])
		b = rest2
		if begin > d.snap {
			ch.err = corruptAt(ch.pos, "row written at %d after the checkpoint offset %d", begin, d.snap)
			return
		}
		if i > 0 && bytes.Compare(ch.rows[i-1].c.key, key) >= 0 {
			ch.err = corruptAt(ch.pos, "row keys out of order in table %d", ch.table)
			return
		}
		if err := types.CheckRow(rb); err != nil {
			ch.err = corruptAt(ch.pos, "row of table %d: %v", ch.table, err)
			return
		}
		r := &ch.rows[i]
		r.v.Begin, r.v.row = begin, rb[:len(rb):len(rb)]
		r.v.end.Store(Live)
		r.c.key = key[:len(key):len(key)]
		r.c.head.Store(&r.v)
	}
	ch.p = nil
}

func uvarBytes(d []byte) (val, rest []byte, ok bool) {
	n, k := binary.Uvarint(d)
	if k <= 0 || uint64(len(d)-k) < n {
		return nil, nil, false
	}
	return d[k : k+int(n)], d[k+int(n):], true
}

// newLoadedTable creates an empty table for def, like CREATE TABLE does.
func (s *Store) newLoadedTable(def *catalog.Table) (*Table, error) {
	t := &Table{ID: def.ID}
	t.def.Store(def)
	pkMethod := ""
	if pk := def.PK(); pk != nil {
		pkMethod = pk.Method
	}
	var err error
	if t.pk, err = s.newPKIndex(t, pkMethod); err != nil {
		return nil, err
	}
	secs, err := s.secIndexes(def, nil)
	if err != nil {
		return nil, err
	}
	t.sec.Store(&secs)
	return t, nil
}

// finishLoad fills the primary index (keys ascending) and rebuilds the
// secondary indexes of a table loaded from a checkpoint.
func (t *Table) finishLoad(keys [][]byte, hs []uint64) {
	bulkLoad(t.pk, keys, hs)
	t.findLargestKey() // writers may skip lookups beyond it at once
	t.count.Store(int64(len(keys)))
	var size int64
	for i, h := range hs {
		size += int64(len(keys[i]) + len(t.rows.get(h).head.Load().row))
	}
	t.bytes.Store(size)
	def := t.def.Load()
	for _, si := range *t.sec.Load() {
		type ent struct {
			k []byte
			h uint64
		}
		ents := make([]ent, 0, len(keys))
		for _, h := range hs {
			c := t.rows.get(h)
			t.scratch = decodeStored(c.head.Load().row, t.scratch)
			k, in, err := si.entry(def, t.scratch, c.key)
			if err != nil {
				// A broken invariant (secIndex.broken): the index stops
				// answering, the table loads.
				t.breakIndex(si.def.ID, err)
				break
			}
			if in {
				ents = append(ents, ent{k, h})
			}
		}
		slices.SortFunc(ents, func(a, b ent) int { return bytes.Compare(a.k, b.k) })
		sk := make([][]byte, len(ents))
		sh := make([]uint64, len(ents))
		for i, e := range ents {
			sk[i], sh[i] = e.k, e.h
		}
		bulkLoad(si.idx, sk, sh)
	}
}

func bulkLoad(idx index.Index, keys [][]byte, hs []uint64) {
	if l, ok := idx.(index.Loader); ok {
		l.Load(keys, hs)
		return
	}
	for i, k := range keys {
		idx.Put(k, hs[i])
	}
}

// IsCheckpointCorrupt reports whether err marks a corrupt checkpoint.
func IsCheckpointCorrupt(err error) bool { return errors.Is(err, ErrCheckpointCorrupt) }
