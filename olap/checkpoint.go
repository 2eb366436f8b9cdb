package olap

// Checkpoints of the column store: per table, every segment (sealed Arrow
// columns with their zone maps and dictionaries, or the open segment's rows)
// with its insert/delete offsets and the keys of its live rows, as Arrow IPC
// streams in checksummed frames. The byte format is documented in
// docs/checkpoint-format.md ("OLAP checkpoints"); package checkpoint adds
// files, the manifest and the choice of the newest valid checkpoint.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/internal/frame"
	"github.com/omendb/omendb/internal/procs"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/oltp/keycode"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// OLAP checkpoint format constants.
const (
	CheckpointMagic   = "OMNDBOLP" // 8 bytes at the start of a table file
	CheckpointVersion = 1

	olapHeaderLen  = 32
	olapFrameTable = 1
	olapFrameSeg   = 2
	olapFrameEnd   = 0xFF
	olapMaxFrame   = 1 << 30
)

var crcTable = frame.Castagnoli

// ErrCheckpointCorrupt marks a column-store checkpoint file that failed a
// checksum or format check. It wraps pgerr.ErrCorrupt.
var ErrCheckpointCorrupt = fmt.Errorf("olap checkpoint corrupted: %w", pgerr.ErrCorrupt)

// TableCheckpoint describes one table file written or loaded.
type TableCheckpoint struct {
	Table    uint32
	Segments int
	Rows     int64 // row versions stored (live or not)
	Live     int64 // rows live at the checkpoint's offset
	Bytes    int64
	CRC      uint32 // CRC-32C of the whole file
}

// Capture is the column store's state at one offset, taken by Capture and
// written table by table with WriteTable while the materializer goes on.
// Release must be called once it is no longer needed (it holds references
// to Arrow columns).
type Capture struct {
	Offset uint64
	Oldest uint64 // the store's Oldest(): a seeded store has no history below it
	tables []*capTable
	mem    memory.Allocator

	// Scratch buffers of encodeSegment's key column, reused.
	keyData  []byte
	keyOffs  []int32
	keyValid []byte
}

type capTable struct {
	def    *catalog.Table
	live   int64
	segs   []capSeg
	hidden bool // keyed by hidden row ids: keys come from the map
	since  uint64
}

type capSeg struct {
	ins, del []uint64        // del: the segment's own array until Capture copies it
	rows     [][]types.Value // open segment
	cols     []Column        // sealed segment (Arr retained)
	sealed   bool
	keys     []string // hidden-key tables: key of each live row
}

// Capture takes the store's state at its applied offset S. It holds the
// apply lock (the materializer waits) only while it takes references to
// each segment's arrays: sealed columns are immutable, the open segment's
// rows and insert offsets are append-only, and the delete offsets are
// copied after the lock is released (an offset past S reads as 0: live at
// S). Tables without a primary key also copy their key map under the lock
// (hidden row ids cannot be recomputed from the rows).
func (s *Store) Capture() *Capture {
	c := s.captureLocked()
	c.copyDels()
	return c
}

// copyDels replaces each captured segment's delete offsets (the segment's
// own array) by a copy as of c.Offset, without the apply lock: records
// after it only end rows at offsets past it (stored atomically), and an
// offset past it means the row was live at c.Offset.
func (c *Capture) copyDels() {
	for _, t := range c.tables {
		for i := range t.segs {
			cs := &t.segs[i]
			del := make([]uint64, len(cs.del))
			for j := range del {
				if d := atomic.LoadUint64(&cs.del[j]); d <= c.Offset {
					del[j] = d
				}
			}
			cs.del = del
		}
	}
}

// captureLocked is Capture's part under the apply lock: the delete offsets
// are left in the segments' arrays.
func (s *Store) captureLocked() *Capture {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.waitSeals() // only the last segment of a table may be open in a checkpoint
	c := &Capture{Offset: s.applied.Load(), Oldest: s.oldest.Load(), mem: s.mem}
	s.mu.RLock()
	ts := make([]*Table, 0, len(s.tables))
	for _, t := range s.tables {
		ts = append(ts, t)
	}
	s.mu.RUnlock()
	sortTables(ts)
	for _, t := range ts {
		t.mu.RLock()
		ct := &capTable{def: t.def, live: t.live.Load(), hidden: t.def.PK() == nil, since: t.since}
		idx := make(map[*Segment]int, len(t.segs))
		for i, seg := range t.segs {
			n := len(seg.Ins)
			cs := capSeg{ins: seg.Ins[:n:n], del: seg.Del[:n:n], sealed: seg.sealed}
			if seg.sealed {
				cs.cols = make([]Column, len(seg.cols))
				for j, col := range seg.cols {
					cs.cols[j] = *col
					if col.Arr != nil {
						col.Arr.Retain()
					}
				}
			} else {
				cs.rows = seg.rows[:n:n]
			}
			ct.segs = append(ct.segs, cs)
			idx[seg] = i
		}
		if ct.hidden {
			t.keys.each(func(r rowRef) rowRef {
				cs := &ct.segs[idx[r.seg]]
				if cs.keys == nil {
					cs.keys = make([]string, len(cs.ins))
				}
				cs.keys[r.i] = r.seg.keyString(int(r.i)) // arenas are append-only
				return r
			})
		}
		t.mu.RUnlock()
		c.tables = append(c.tables, ct)
	}
	return c
}

func sortTables(ts []*Table) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].ID < ts[j-1].ID; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// Tables returns the captured table IDs in ascending order.
func (c *Capture) Tables() []uint32 {
	out := make([]uint32, len(c.tables))
	for i, t := range c.tables {
		out[i] = t.def.ID
	}
	return out
}

// Release drops the capture's references to Arrow columns.
func (c *Capture) Release() {
	for _, t := range c.tables {
		for _, s := range t.segs {
			for _, col := range s.cols {
				if col.Arr != nil {
					col.Arr.Release()
				}
			}
		}
	}
	c.tables = nil
}

// tableJSON is the payload of a table frame.
type tableJSON struct {
	Def      *catalog.Table `json:"def"`
	Segments int            `json:"segments"`
	Live     int64          `json:"live"`
	// Since is the offset of the rewrite its segments start from
	// (Snapshot.Since; absent: 0, from the table's creation).
	Since uint64 `json:"since,omitempty"`
}

// WriteTable writes table i of the capture (in Tables order) to w. Calls
// must not overlap: they share the capture's scratch buffers.
func (c *Capture) WriteTable(i int, w io.Writer) (TableCheckpoint, error) {
	ct := c.tables[i]
	st := TableCheckpoint{Table: ct.def.ID, Segments: len(ct.segs), Live: ct.live}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := frame.NewWriter(bw)
	var hdr [olapHeaderLen]byte
	copy(hdr[:8], CheckpointMagic)
	binary.LittleEndian.PutUint32(hdr[8:], CheckpointVersion)
	binary.LittleEndian.PutUint32(hdr[12:], ct.def.ID)
	binary.LittleEndian.PutUint64(hdr[16:], c.Offset)
	binary.LittleEndian.PutUint32(hdr[24:], 0)
	binary.LittleEndian.PutUint32(hdr[28:], crc32.Checksum(hdr[:28], crcTable))
	if _, err := cw.Write(hdr[:]); err != nil {
		return st, err
	}
	tj, err := json.Marshal(tableJSON{Def: ct.def, Segments: len(ct.segs), Live: ct.live, Since: ct.since})
	if err != nil {
		return st, err
	}
	if err := frame.Write(cw, olapFrameTable, tj); err != nil {
		return st, err
	}
	var buf bytes.Buffer
	var pk *catalog.Index
	if !ct.hidden {
		pk = ct.def.PK()
	}
	var live int64
	for si := range ct.segs {
		buf.Reset()
		n, err := c.encodeSegment(&buf, ct, &ct.segs[si], pk)
		if err != nil {
			return st, fmt.Errorf("olap checkpoint: table %d segment %d: %w", ct.def.ID, si, err)
		}
		live += n
		if err := frame.Write(cw, olapFrameSeg, buf.Bytes()); err != nil {
			return st, err
		}
		runtime.Gosched() // on two cores, let the commit path run between segments
		st.Rows += int64(len(ct.segs[si].ins))
	}
	if live != ct.live {
		return st, fmt.Errorf("olap checkpoint: table %d has %d live rows, its counter says %d", ct.def.ID, live, ct.live)
	}
	var end [20]byte
	binary.LittleEndian.PutUint32(end[0:], uint32(len(ct.segs)))
	binary.LittleEndian.PutUint64(end[4:], uint64(st.Rows))
	binary.LittleEndian.PutUint64(end[12:], uint64(live))
	if err := frame.Write(cw, olapFrameEnd, end[:]); err != nil {
		return st, err
	}
	if err := bw.Flush(); err != nil {
		return st, err
	}
	st.Bytes, st.CRC = cw.Len(), cw.Sum32()
	return st, nil
}

// encodeSegment appends a segment payload to buf: sealed u8, rows u32,
// length u32 of the offsets stream, the offsets stream (ins, del, key) and
// the data stream (columns, or the open segment's encoded rows). It
// returns the number of live rows (keys written).
func (c *Capture) encodeSegment(buf *bytes.Buffer, ct *capTable, cs *capSeg, pk *catalog.Index) (int64, error) {
	n := len(cs.ins)
	var head [5]byte
	if cs.sealed {
		head[0] = 1
	}
	binary.LittleEndian.PutUint32(head[1:], uint32(n))
	buf.Write(head[:])
	// Offsets stream. The insert and delete offsets are written from the
	// captured slices as they are (no copy); the keys are built in the
	// capture's scratch buffers, reused from segment to segment: a
	// checkpoint allocates little per segment, and nothing per row.
	ins := uint64Array(cs.ins[:n])
	del := uint64Array(cs.del[:n])
	c.keyData, c.keyOffs = c.keyData[:0], append(c.keyOffs[:0], 0)
	if nb := (n + 7) / 8; cap(c.keyValid) < nb {
		c.keyValid = make([]byte, nb)
	} else {
		c.keyValid = c.keyValid[:nb]
		clear(c.keyValid)
	}
	var live int64
	for i := 0; i < n; i++ {
		if cs.del[i] != 0 { // deleted: a null key
			c.keyOffs = append(c.keyOffs, int32(len(c.keyData)))
			continue
		}
		live++
		if pk == nil {
			if cs.keys == nil || cs.keys[i] == "" {
				ins.Release()
				del.Release()
				return 0, fmt.Errorf("live row %d has no key", i)
			}
			c.keyData = append(c.keyData, cs.keys[i]...)
		} else { // oltp.EncodeKey of the row, without materialising it
			for _, col := range pk.Columns {
				c.keyData = keycode.Append(c.keyData, cs.value(ct.def, i, col), ct.def.KeyType(col))
			}
		}
		if len(c.keyData) > math.MaxInt32 {
			ins.Release()
			del.Release()
			return 0, fmt.Errorf("segment keys exceed %d bytes", math.MaxInt32)
		}
		c.keyOffs = append(c.keyOffs, int32(len(c.keyData)))
		bitutil.SetBit(c.keyValid, i)
	}
	keyData := array.NewData(arrow.BinaryTypes.Binary, n, []*memory.Buffer{
		memory.NewBufferBytes(c.keyValid), memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(c.keyOffs)),
		memory.NewBufferBytes(c.keyData)}, nil, n-int(live), 0)
	keys := array.NewBinaryData(keyData)
	keyData.Release()
	offSchema := arrow.NewSchema([]arrow.Field{
		{Name: "ins", Type: arrow.PrimitiveTypes.Uint64},
		{Name: "del", Type: arrow.PrimitiveTypes.Uint64},
		{Name: "key", Type: arrow.BinaryTypes.Binary, Nullable: true},
	}, nil)
	lenAt := buf.Len()
	buf.Write(make([]byte, 4))
	err := writeStream(buf, c.mem, offSchema, []arrow.Array{ins, del, keys}, n)
	ins.Release()
	del.Release()
	keys.Release()
	if err != nil {
		return 0, err
	}
	binary.LittleEndian.PutUint32(buf.Bytes()[lenAt:], uint32(buf.Len()-lenAt-4))
	// Data stream.
	if !cs.sealed {
		rb := array.NewBinaryBuilder(c.mem, arrow.BinaryTypes.Binary)
		var enc []byte
		for _, r := range cs.rows {
			enc = types.EncodeRow(enc[:0], r)
			rb.Append(enc)
		}
		rows := rb.NewArray()
		rb.Release()
		defer rows.Release()
		sch := arrow.NewSchema([]arrow.Field{{Name: "row", Type: arrow.BinaryTypes.Binary}}, nil)
		return live, writeStream(buf, c.mem, sch, []arrow.Array{rows}, n)
	}
	fields := make([]arrow.Field, len(cs.cols))
	arrs := make([]arrow.Array, len(cs.cols))
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	for j := range cs.cols {
		col := &cs.cols[j]
		md := map[string]string{"kind": strconv.Itoa(int(col.Kind)), "exp": strconv.Itoa(int(col.Exp)),
			"zone_nulls": strconv.Itoa(col.Zone.Nulls)}
		if col.Zone.Ordered {
			md["zone_minmax"] = hex.EncodeToString(types.EncodeRow(nil, []types.Value{col.Zone.Min, col.Zone.Max}))
		}
		if col.Arr != nil {
			col.Arr.Retain()
			arrs[j] = col.Arr
		} else {
			md["boxed"] = "1"
			bb := array.NewBinaryBuilder(c.mem, arrow.BinaryTypes.Binary)
			var enc []byte
			for _, v := range col.Boxed {
				enc = types.EncodeRow(enc[:0], []types.Value{v})
				bb.Append(enc)
			}
			arrs[j] = bb.NewArray()
			bb.Release()
		}
		fields[j] = arrow.Field{Name: "c" + strconv.Itoa(j), Type: arrs[j].DataType(), Nullable: true,
			Metadata: arrow.MetadataFrom(md)}
	}
	return live, writeStream(buf, c.mem, arrow.NewSchema(fields, nil), arrs, n)
}

// value returns column c of row i of a captured segment as def sees it.
func (cs *capSeg) value(def *catalog.Table, i, c int) types.Value {
	switch {
	case !cs.sealed:
		return oltp.ColValue(def, cs.rows[i], c)
	case c < len(cs.cols):
		return cs.cols[c].Value(i)
	}
	return colValue(def, nil, c)
}

// uint64Array returns an Arrow array over v without copying it.
func uint64Array(v []uint64) *array.Uint64 {
	d := array.NewData(arrow.PrimitiveTypes.Uint64, len(v), []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Uint64Traits.CastToBytes(v))}, nil, 0, 0)
	defer d.Release()
	return array.NewUint64Data(d)
}

func writeStream(w io.Writer, mem memory.Allocator, sch *arrow.Schema, cols []arrow.Array, n int) error {
	rec := array.NewRecordBatch(sch, cols, int64(n))
	defer rec.Release()
	iw := ipc.NewWriter(w, ipc.WithSchema(sch), ipc.WithAllocator(mem))
	if err := iw.Write(rec); err != nil {
		iw.Close()
		return err
	}
	return iw.Close()
}

// Loaded publishes off as the applied offset of a store filled by LoadTable
// from a checkpoint at off, and wakes readers waiting for it. Until then
// the store reports offset 0, so no reader sees the partly loaded tables.
func (s *Store) Loaded(off uint64) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.applied.Store(off)
	s.waitMu.Lock()
	close(s.waitCh)
	s.waitCh = make(chan struct{})
	s.waitMu.Unlock()
}

func corruptAt(pos int64, format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrCheckpointCorrupt, pos, fmt.Sprintf(format, args...))
}

// decoded is one segment decoded from a frame, with its live rows' keys.
type decoded struct {
	seg  *Segment
	keys []string // key of row i when it is live (Del 0); substrings of one string per segment
	live int64
	err  error
}

// LoadTable reads one table file written by WriteTable for a checkpoint at
// offset snap and adds the table to s, which must not have applied any
// record yet; once every table is loaded, Loaded(snap) publishes the offset
// (on failure, Close empties the store for a full replay). Segments are
// decoded on all cores; different tables may be loaded concurrently. Any
// checksum or format failure returns an error wrapping
// ErrCheckpointCorrupt, and the table is not added.
func (s *Store) LoadTable(r io.Reader, snap uint64) (TableCheckpoint, error) {
	var st TableCheckpoint
	cr := frame.NewReader(bufio.NewReaderSize(r, 1<<20))
	var hdr [olapHeaderLen]byte
	if _, err := io.ReadFull(cr, hdr[:]); err != nil {
		return st, corruptAt(0, "truncated header: %v", err)
	}
	if string(hdr[:8]) != CheckpointMagic {
		return st, corruptAt(0, "bad magic %q", hdr[:8])
	}
	if crc32.Checksum(hdr[:28], crcTable) != binary.LittleEndian.Uint32(hdr[28:]) {
		return st, corruptAt(0, "header checksum mismatch")
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != CheckpointVersion {
		return st, fmt.Errorf("olap checkpoint format version %d not understood (want %d): %w", v, CheckpointVersion, ErrCheckpointCorrupt)
	}
	if a := s.applied.Load(); a != 0 {
		return st, fmt.Errorf("olap: loading a checkpoint into a store at offset %d", a)
	}
	if off := binary.LittleEndian.Uint64(hdr[16:]); off != snap {
		return st, corruptAt(16, "table file at offset %d, the checkpoint is at %d", off, snap)
	}
	st.Table = binary.LittleEndian.Uint32(hdr[12:])
	kind, p, err := cr.Next(olapMaxFrame, corruptAt)
	if err != nil {
		return st, err
	}
	var tj tableJSON
	if kind != olapFrameTable {
		return st, corruptAt(olapHeaderLen, "first frame is kind %d, want the table", kind)
	}
	if err := json.Unmarshal(p, &tj); err != nil || tj.Def == nil || tj.Def.ID != st.Table {
		return st, corruptAt(olapHeaderLen, "table frame: %v", err)
	}
	t := newTable(tj.Def)
	t.since = tj.Since
	t.publishSegs()

	// Frames are read (and checksummed) in order here; workers decode them.
	workers := procs.Max()
	type job struct {
		i   int
		pos int64
		p   []byte
	}
	jobs := make(chan job, workers)
	var results []*decoded
	var resMu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				d := s.decodeSegment(tj.Def, j.p, snap)
				if d.err != nil {
					d.err = corruptAt(j.pos, "table %d segment %d: %v", st.Table, j.i, d.err)
				}
				resMu.Lock()
				results[j.i] = d
				resMu.Unlock()
			}
		}()
	}
	release := func() {
		close(jobs)
		wg.Wait()
		for _, d := range results {
			if d != nil && d.seg != nil {
				d.seg.release()
			}
		}
	}
	var endErr error
	for done := false; !done; {
		pos := cr.Pos()
		kind, p, err := cr.Next(olapMaxFrame, corruptAt)
		if err != nil {
			release()
			return st, err
		}
		switch kind {
		case olapFrameSeg:
			resMu.Lock()
			i := len(results)
			results = append(results, nil)
			resMu.Unlock()
			jobs <- job{i: i, pos: pos, p: p}
		case olapFrameEnd:
			if len(p) != 20 {
				endErr = corruptAt(pos, "bad end frame")
			} else if ns := binary.LittleEndian.Uint32(p); int(ns) != len(results) || ns != uint32(tj.Segments) {
				endErr = corruptAt(pos, "end frame says %d segments, read %d (table frame %d)", ns, len(results), tj.Segments)
			} else {
				st.Rows = int64(binary.LittleEndian.Uint64(p[4:]))
				st.Live = int64(binary.LittleEndian.Uint64(p[12:]))
			}
			done = true
		default:
			release()
			return st, corruptAt(pos, "unknown frame kind %d", kind)
		}
	}
	st.Bytes, st.CRC = cr.Pos(), cr.Sum32()
	var one [1]byte
	if n, _ := cr.Read(one[:]); n != 0 && endErr == nil {
		endErr = corruptAt(cr.Pos()-1, "data after the end frame")
	}
	close(jobs)
	wg.Wait()
	fail := func(err error) (TableCheckpoint, error) {
		for _, d := range results {
			if d.seg != nil {
				d.seg.release()
			}
		}
		return st, err
	}
	if endErr != nil {
		return fail(endErr)
	}
	var rows, live int64
	for _, d := range results {
		if d.err != nil {
			return fail(d.err)
		}
		rows += int64(len(d.seg.Ins))
		live += d.live
	}
	if rows != st.Rows || live != st.Live || live != tj.Live {
		return fail(corruptAt(st.Bytes, "table %d: read %d rows/%d live, the file says %d/%d", st.Table, rows, live, st.Rows, st.Live))
	}
	for i, d := range results {
		if !d.seg.sealed && i != len(results)-1 {
			return fail(corruptAt(st.Bytes, "table %d: open segment %d is not the last", st.Table, i))
		}
	}
	t.keys = newKeyIndex(int(live))
	for _, d := range results {
		n := 0
		for _, k := range d.keys {
			n += len(k)
		}
		d.seg.kbuf, d.seg.kend = make([]byte, 0, n), make([]uint32, 0, len(d.keys))
		for i, k := range d.keys {
			d.seg.kbuf = append(d.seg.kbuf, k...) // deleted rows: no key
			d.seg.kend = append(d.seg.kend, uint32(len(d.seg.kbuf)))
			if d.seg.Del[i] == 0 {
				if _, dup := t.keys.put(d.seg.key(i), rowRef{seg: d.seg, i: int32(i)}); dup {
					return fail(corruptAt(st.Bytes, "table %d: key %x live twice", st.Table, k))
				}
			}
		}
		t.segs = append(t.segs, d.seg)
	}
	for _, seg := range t.segs {
		seg.publish()
	}
	t.publishSegs()
	t.live.Store(live)
	st.Segments = len(t.segs)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables[t.ID] != nil {
		return fail(fmt.Errorf("%w: table %d loaded twice", ErrCheckpointCorrupt, t.ID))
	}
	s.tables[t.ID] = t
	return st, nil
}

// decodeSegment decodes one segment frame's payload.
func (s *Store) decodeSegment(def *catalog.Table, p []byte, snap uint64) (d *decoded) {
	d = &decoded{}
	defer func() {
		if r := recover(); r != nil { // a malformed Arrow message the checksum did not catch
			d.err = fmt.Errorf("decoding: %v", r)
		}
	}()
	if len(p) < 9 {
		d.err = errors.New("short segment frame")
		return d
	}
	sealed, n, ol := p[0] == 1, int(binary.LittleEndian.Uint32(p[1:])), binary.LittleEndian.Uint32(p[5:])
	if p[0] > 1 || uint64(ol) > uint64(len(p)-9) {
		d.err = errors.New("bad segment header")
		return d
	}
	seg := &Segment{sealed: sealed}
	// Offsets stream: copied into Go slices, then released.
	err := readStream(p[9:9+ol], s.mem, func(rec arrow.RecordBatch) error {
		if rec.NumCols() != 3 || int(rec.NumRows()) != n {
			return fmt.Errorf("offsets batch has %d columns, %d rows; want 3, %d", rec.NumCols(), rec.NumRows(), n)
		}
		ins, ok1 := rec.Column(0).(*array.Uint64)
		del, ok2 := rec.Column(1).(*array.Uint64)
		keys, ok3 := rec.Column(2).(*array.Binary)
		if !ok1 || !ok2 || !ok3 || ins.NullN() != 0 || del.NullN() != 0 {
			return errors.New("offsets batch has the wrong types")
		}
		seg.Ins = append(make([]uint64, 0, n), ins.Uint64Values()...)
		seg.Del = append(make([]uint64, 0, n), del.Uint64Values()...)
		d.keys = make([]string, n)
		if n == 0 { // a segment emptied by compaction
			return nil
		}
		blob := string(keys.ValueBytes()) // one allocation for all the segment's keys
		offs := keys.ValueOffsets()
		base := offs[0]
		for i := 0; i < n; i++ {
			if seg.Ins[i] == 0 || seg.Ins[i] > snap || seg.Del[i] > snap || (seg.Del[i] != 0 && seg.Del[i] < seg.Ins[i]) {
				return fmt.Errorf("row %d has offsets %d..%d outside the checkpoint's %d", i, seg.Ins[i], seg.Del[i], snap)
			}
			if seg.Del[i] != 0 {
				seg.deleted++
				if keys.IsValid(i) {
					return fmt.Errorf("deleted row %d has a key", i)
				}
				continue
			}
			if keys.IsNull(i) {
				return fmt.Errorf("live row %d has no key", i)
			}
			d.keys[i] = blob[offs[i]-base : offs[i+1]-base]
			d.live++
		}
		return nil
	})
	if err != nil {
		d.err = err
		return d
	}
	data := p[9+ol:]
	if !sealed {
		err = readStream(data, s.mem, func(rec arrow.RecordBatch) error {
			rows, ok := rec.Column(0).(*array.Binary)
			if rec.NumCols() != 1 || !ok || int(rec.NumRows()) != n || rows.NullN() != 0 {
				return errors.New("open segment batch has the wrong shape")
			}
			seg.rows = make([][]types.Value, n)
			for i := range seg.rows {
				r, err := types.DecodeRow(rows.Value(i), nil)
				if err != nil {
					return fmt.Errorf("row %d: %w", i, err)
				}
				seg.rows[i] = r
			}
			return nil
		})
		d.seg, d.err = seg, err
		return d
	}
	err = readStream(data, s.mem, func(rec arrow.RecordBatch) error {
		if int(rec.NumRows()) != n || int(rec.NumCols()) > len(def.Columns) {
			return fmt.Errorf("column batch has %d rows and %d columns", rec.NumRows(), rec.NumCols())
		}
		for j := 0; j < int(rec.NumCols()); j++ {
			col, err := decodeColumn(rec.Schema().Field(j), rec.Column(j))
			if err != nil {
				return fmt.Errorf("column %d: %w", j, err)
			}
			seg.cols = append(seg.cols, col)
		}
		return nil
	})
	d.seg, d.err = seg, err
	return d
}

func decodeColumn(f arrow.Field, arr arrow.Array) (*Column, error) {
	md := func(k string) string {
		if i := f.Metadata.FindKey(k); i >= 0 {
			return f.Metadata.Values()[i]
		}
		return ""
	}
	kind, err1 := strconv.Atoi(md("kind"))
	exp, err2 := strconv.Atoi(md("exp"))
	nulls, err3 := strconv.Atoi(md("zone_nulls"))
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("metadata: %v", err)
	}
	col := &Column{Kind: types.Kind(kind), Exp: int32(exp), Zone: Zone{Nulls: nulls, Min: types.Null, Max: types.Null}}
	if mm := md("zone_minmax"); mm != "" {
		b, err := hex.DecodeString(mm)
		if err != nil {
			return nil, fmt.Errorf("zone map: %v", err)
		}
		v, err := types.DecodeRow(b, nil)
		if err != nil || len(v) != 2 {
			return nil, fmt.Errorf("zone map: %v", err)
		}
		col.Zone.Ordered, col.Zone.Min, col.Zone.Max = true, v[0], v[1]
	}
	if md("boxed") == "1" {
		b, ok := arr.(*array.Binary)
		if !ok {
			return nil, errors.New("boxed column is not binary")
		}
		col.Boxed = make([]types.Value, b.Len())
		for i := range col.Boxed {
			v, err := types.DecodeRow(b.Value(i), nil)
			if err != nil || len(v) != 1 {
				return nil, fmt.Errorf("boxed value %d: %v", i, err)
			}
			col.Boxed[i] = v[0]
		}
		return col, nil
	}
	switch a := arr.(type) {
	case *array.Int64, *array.Float64, *array.String, *array.Binary:
	case *array.Dictionary:
		if _, ok := a.Dictionary().(*array.String); !ok {
			return nil, errors.New("dictionary of a type other than string")
		}
	default:
		return nil, fmt.Errorf("unexpected array type %s", arr.DataType())
	}
	arr.Retain()
	col.Arr = arr
	return col, nil
}

// readStream reads an Arrow IPC stream holding exactly one record batch and
// calls fn with it; fn must Retain what it keeps.
func readStream(b []byte, mem memory.Allocator, fn func(arrow.RecordBatch) error) error {
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(mem))
	if err != nil {
		return fmt.Errorf("arrow stream: %v", err)
	}
	defer r.Release()
	if !r.Next() {
		if r.Err() != nil {
			return fmt.Errorf("arrow stream: %v", r.Err())
		}
		return errors.New("arrow stream has no record batch")
	}
	if err := fn(r.RecordBatch()); err != nil {
		return err
	}
	if r.Next() {
		return errors.New("arrow stream has more than one record batch")
	}
	if r.Err() != nil {
		return fmt.Errorf("arrow stream: %v", r.Err())
	}
	return nil
}
