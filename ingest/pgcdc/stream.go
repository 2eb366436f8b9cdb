package pgcdc

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/types"
)

const metaTableErrPfx = "source-table-error:" // + name:tableID → error text

// change is one decoded row change of a source transaction.
type change struct {
	kind   byte // 'I', 'U', 'D', 'T'
	table  uint32
	row    []types.Value // new row (I, U); key or old row (D)
	old    []types.Value // U: old key/row when sent
	toast  []bool        // U: columns whose value is unchanged TOAST ('u')
	trunc  []uint32
	subxid uint32
}

// txnBuf is one source transaction, complete once its commit arrives.
type txnBuf struct {
	end     uint64
	commit  time.Time
	sent    time.Time // when the walsender sent its first message (the source's clock)
	begin   time.Time // when its first message was received
	recv    time.Time // when its commit message was received
	changes []change
}

// relation is the source's description of a table (Relation message) and
// where its columns go in the OmenDB table.
type relation struct {
	id     uint32 // OmenDB table, 0 = not replicated
	colIdx []int
	cols   []*pglogrepl.RelationMessageColumn
}

type streamer struct {
	s        *source
	conn     *pgconn.PgConn
	rels     map[uint32]*relation
	cur      *txnBuf
	streams  map[uint32]*txnBuf
	inStream bool
	xid      uint32
	skipTo   uint64 // transactions ending at or below are already in the log
	idleAck  uint64
	inflight atomic.Int64
	applyCh  chan *txnBuf
	errc     chan error
	slab     []types.Value // rows of decoded changes are cut from it

	// A plain connection to the source for catalog reads (added columns,
	// enum labels), opened when first needed; the receiver's.
	srcSQL   *pgx.Conn
	lastPoll time.Time // the last enumPoll
	// Mirrors of enum types made for columns of a Relation message being
	// applied (enumColumn), committed with its schema change.
	newEnums      []SourceEnum
	pendingMirror map[uint32]*catalog.EnumType
}

// enumPoll is how often the mirrors of the source's enum types are checked
// while streaming: a label renamed on the source writes no row, so rows
// already in OmenDB show the new label within this interval.
const enumPoll = 5 * time.Second

// sourceSQL returns the receiver's plain connection to the source.
func (st *streamer) sourceSQL(ctx context.Context) (*pgx.Conn, error) {
	if st.srcSQL == nil {
		c, err := connectSQL(ctx, st.s.def.Conn)
		if err != nil {
			return nil, err
		}
		st.srcSQL = c
	}
	return st.srcSQL, nil
}

// closeSourceSQL closes it (after an error, or when streaming ends).
func (st *streamer) closeSourceSQL() {
	if st.srcSQL != nil {
		st.srcSQL.Close(context.Background())
		st.srcSQL = nil
	}
}

// followEnum brings the mirror of source enum type oid in step with the
// source (only = false: every mirror), committing after the transactions
// queued so far.
func (st *streamer) followEnum(ctx context.Context, oid uint32) error {
	c, err := st.sourceSQL(ctx)
	if err != nil {
		return err
	}
	_, err = st.s.syncEnums(ctx, c, oid, func() error { return st.waitIdle(ctx) })
	if err != nil {
		st.closeSourceSQL()
	}
	return err
}

func (s *source) stream(ctx context.Context) error {
	conn, err := connectRepl(ctx, s.def.Conn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	start := s.acked.Load()
	err = pglogrepl.StartReplication(ctx, conn, s.def.Slot, pglogrepl.LSN(start), pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '2'", fmt.Sprintf("publication_names '%s'", quoteLit(s.def.Publication)), "streaming 'true'"}})
	if err != nil {
		return sourceError("starting replication from slot "+s.def.Slot, err)
	}
	st := &streamer{s: s, conn: conn, rels: map[uint32]*relation{}, streams: map[uint32]*txnBuf{}, skipTo: start,
		applyCh: make(chan *txnBuf, 4096), errc: make(chan error, 1), lastPoll: time.Now()}
	actx, cancel := context.WithCancel(ctx)
	appDone := make(chan struct{})
	go func() {
		defer close(appDone)
		st.applier(actx)
	}()
	err = st.receive(ctx)
	cancel()
	<-appDone
	st.closeSourceSQL()
	return err
}

func quoteLit(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(out)
}

const statusInterval = time.Second

func (st *streamer) flushPos() uint64 { return max(st.s.acked.Load(), st.idleAck) }

func (st *streamer) sendStatus(ctx context.Context) error {
	p := pglogrepl.LSN(st.flushPos())
	err := pglogrepl.SendStandbyStatusUpdate(ctx, st.conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: p, WALFlushPosition: p, WALApplyPosition: p})
	if err != nil {
		return sourceError("acknowledging", err)
	}
	return nil
}

func (st *streamer) receive(ctx context.Context) error {
	// The wait for the next message is bounded by the connection's read
	// deadline (the next status update), not by a context per message: a
	// deadline context and pgconn's watch of it cost a timer and several
	// allocations per message — half the receive loop's CPU in profiles,
	// which put the receiver near saturation at 10k rows/s on a busy
	// machine, so any hiccup left a backlog that drained slowly (the lag
	// p99 stalls). Cancellation sets the deadline to now.
	nc := st.conn.Conn()
	stop := context.AfterFunc(ctx, func() { _ = nc.SetReadDeadline(time.Now()) })
	defer stop()
	defer func() { _ = nc.SetReadDeadline(time.Time{}) }()
	next := time.Now().Add(statusInterval)
	var deadline time.Time
	for {
		select {
		case err := <-st.errc:
			return err
		default:
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !time.Now().Before(next) {
			if err := st.sendStatus(ctx); err != nil {
				return err
			}
			next = time.Now().Add(statusInterval)
			if len(st.s.enumList()) > 0 && time.Since(st.lastPoll) >= enumPoll && st.cur == nil && !st.inStream {
				st.lastPoll = time.Now()
				if err := st.followEnum(ctx, 0); err != nil {
					// A rename shows later; a new label also syncs when a
					// row brings it.
					st.s.m.logger.Warn("checking the source's enum types", "source", st.s.def.Name, "err", err)
				}
			}
		}
		if !deadline.Equal(next) {
			if err := nc.SetReadDeadline(next); err != nil {
				return sourceError("receiving", err)
			}
			deadline = next
			if ctx.Err() != nil { // cancelled while the deadline was set
				return ctx.Err()
			}
		}
		raw, err := st.conn.ReceiveMessage(context.Background())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if pgconn.Timeout(err) {
				continue
			}
			return sourceError("receiving", err)
		}
		switch msg := raw.(type) {
		case *pgproto3.ErrorResponse:
			return sourceError("replication", pgconn.ErrorResponseToPgError(msg))
		case *pgproto3.CopyData:
			if len(msg.Data) == 0 {
				continue
			}
			switch msg.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(msg.Data[1:])
				if err != nil {
					return err
				}
				st.s.walEnd.Store(uint64(ka.ServerWALEnd))
				if st.cur == nil && st.inflight.Load() == 0 && !st.inStream && len(st.streams) == 0 {
					// Nothing received is waiting for the log: everything up
					// to the server's WAL end is either in the log or not
					// ours, so the slot may advance (an idle source must not
					// retain WAL).
					st.idleAck = max(st.idleAck, uint64(ka.ServerWALEnd))
				}
				if ka.ReplyRequested {
					next = time.Time{}
				}
			case pglogrepl.XLogDataByteID:
				xld, err := pglogrepl.ParseXLogData(msg.Data[1:])
				if err != nil {
					return err
				}
				st.s.walEnd.Store(max(st.s.walEnd.Load(), uint64(xld.ServerWALEnd)))
				if err := st.handle(ctx, xld.WALData, xld.ServerTime); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unexpected message %T from the source", raw)
		}
	}
}

func (st *streamer) target(xid uint32) *txnBuf {
	if st.inStream {
		return st.streams[st.xid]
	}
	return st.cur
}

func (st *streamer) push(ctx context.Context, t *txnBuf) error {
	if t.end <= st.skipTo {
		return nil // already in the log (exactly-once after a restart)
	}
	st.inflight.Add(1)
	st.s.behind.Store(true)
	select {
	case st.applyCh <- t:
		return nil
	case err := <-st.errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// handle decodes one pgoutput message; sent is when the walsender sent it.
func (st *streamer) handle(ctx context.Context, data []byte, sent time.Time) error {
	m, err := pglogrepl.ParseV2(data, st.inStream)
	if err != nil {
		return fmt.Errorf("decoding pgoutput message: %w", err)
	}
	switch msg := m.(type) {
	case *pglogrepl.RelationMessageV2:
		return st.relation(ctx, &msg.RelationMessage)
	case *pglogrepl.TypeMessageV2:
		// Sent before the first Relation message that uses a
		// non-built-in type, in each replication session.
		if se, _, ok := st.s.enumOf(msg.DataType); ok {
			return st.followEnum(ctx, se.OID)
		}
	case *pglogrepl.BeginMessage:
		st.cur = &txnBuf{begin: time.Now(), sent: sent}
	case *pglogrepl.CommitMessage:
		t := st.cur
		st.cur = nil
		if t == nil {
			return errors.New("commit without begin")
		}
		t.end, t.commit, t.recv = uint64(msg.TransactionEndLSN), msg.CommitTime, time.Now()
		return st.push(ctx, t)
	case *pglogrepl.StreamStartMessageV2:
		st.inStream, st.xid = true, msg.Xid
		if st.streams[msg.Xid] == nil {
			st.streams[msg.Xid] = &txnBuf{begin: time.Now(), sent: sent}
		}
	case *pglogrepl.StreamStopMessageV2:
		st.inStream = false
	case *pglogrepl.StreamCommitMessageV2:
		t := st.streams[msg.Xid]
		delete(st.streams, msg.Xid)
		if t == nil {
			t = &txnBuf{}
		}
		t.end, t.commit, t.recv = uint64(msg.TransactionEndLSN), msg.CommitTime, time.Now()
		return st.push(ctx, t)
	case *pglogrepl.StreamAbortMessageV2:
		if msg.SubXid == msg.Xid {
			delete(st.streams, msg.Xid)
		} else if t := st.streams[msg.Xid]; t != nil {
			kept := t.changes[:0]
			for _, c := range t.changes {
				if c.subxid != msg.SubXid {
					kept = append(kept, c)
				}
			}
			t.changes = kept
		}
	case *pglogrepl.InsertMessageV2:
		return st.rowChange(ctx, 'I', msg.Xid, msg.RelationID, msg.Tuple, nil)
	case *pglogrepl.UpdateMessageV2:
		return st.rowChange(ctx, 'U', msg.Xid, msg.RelationID, msg.NewTuple, msg.OldTuple)
	case *pglogrepl.DeleteMessageV2:
		return st.rowChange(ctx, 'D', msg.Xid, msg.RelationID, msg.OldTuple, nil)
	case *pglogrepl.TruncateMessageV2:
		t := st.target(msg.Xid)
		if t == nil {
			return errors.New("truncate outside a transaction")
		}
		c := change{kind: 'T', subxid: msg.Xid}
		for _, rid := range msg.RelationIDs {
			if r := st.rels[rid]; r != nil && r.id != 0 {
				c.trunc = append(c.trunc, r.id)
			}
		}
		t.changes = append(t.changes, c)
	}
	return nil
}

func (st *streamer) rowChange(ctx context.Context, kind byte, xid, relID uint32, tup, old *pglogrepl.TupleData) error {
	t := st.target(xid)
	if t == nil {
		return errors.New("row change outside a transaction")
	}
	r := st.rels[relID]
	if r == nil {
		return fmt.Errorf("row change for relation %d before its Relation message", relID)
	}
	if r.id == 0 || st.s.tableErr(r.id) != "" {
		return nil
	}
	def, ok := st.s.m.store.Catalog().Table(r.id)
	if !ok {
		return nil
	}
	c := change{kind: kind, table: r.id, subxid: xid}
	var err error
	for attempt := 0; ; attempt++ {
		c.row, c.toast, err = st.decode(r, def, tup)
		if err == nil && old != nil {
			c.old, _, err = st.decode(r, def, old)
		}
		var le *labelError
		if attempt > 0 || !errors.As(err, &le) {
			break
		}
		// A label the mirror does not have yet: added or renamed on the
		// source since. Follow the source's type, then decode again.
		se, _, ok := st.s.enumOf(le.oid)
		if !ok {
			break
		}
		if err := st.followEnum(ctx, se.OID); err != nil {
			return err
		}
		if def, ok = st.s.m.store.Catalog().Table(r.id); !ok {
			return nil
		}
	}
	if err != nil {
		return st.tableError(ctx, r.id, err.Error())
	}
	t.changes = append(t.changes, c)
	return nil
}

func (st *streamer) decode(r *relation, def *catalog.Table, tup *pglogrepl.TupleData) ([]types.Value, []bool, error) {
	if tup == nil {
		return nil, nil, nil
	}
	// Rows are cut from a slab (one allocation per rowSlab rows).
	const rowSlab = 256
	n := len(def.Columns)
	if len(st.slab) < n {
		st.slab = make([]types.Value, rowSlab*n)
	}
	row := st.slab[:n:n]
	st.slab = st.slab[n:]
	var toast []bool
	for i, col := range tup.Columns {
		if i >= len(r.colIdx) {
			return nil, nil, fmt.Errorf("tuple has %d columns, relation %d", len(tup.Columns), len(r.colIdx))
		}
		ci := r.colIdx[i]
		switch col.DataType {
		case 'n':
		case 'u':
			if toast == nil {
				toast = make([]bool, len(def.Columns))
			}
			toast[ci] = true
		case 't':
			v, err := types.ParseText(def.Columns[ci].Type, textOf(def.Columns[ci].Type.OID, col.Data), nil)
			if err != nil {
				label := unknownLabel(def.Columns[ci].Type, err)
				err = fmt.Errorf("column %q: value %q: %v", def.Columns[ci].Name, col.Data, err)
				if label {
					return nil, nil, &labelError{oid: r.cols[i].DataType, err: err}
				}
				return nil, nil, err
			}
			row[ci] = v
		default:
			return nil, nil, fmt.Errorf("column %q: unexpected tuple format %q", def.Columns[ci].Name, col.DataType)
		}
	}
	return row, toast, nil
}

// labelError is a value that is not a label of its column's mirror enum
// type (yet).
type labelError struct {
	oid uint32 // the source's type of the column: the enum or its array
	err error
}

func (e *labelError) Error() string { return e.err.Error() }

// textOf returns a value's text for types.ParseText: aliasing the message
// buffer (which the next receive reuses) for types whose parsed value
// keeps nothing of the text — numbers, booleans, dates and timestamps —
// and a copy for the others.
func textOf(oid types.OID, b []byte) string {
	switch oid {
	case types.OIDInt2, types.OIDInt4, types.OIDInt8, types.OIDFloat4, types.OIDFloat8, types.OIDNumeric,
		types.OIDBool, types.OIDDate, types.OIDTimestamp, types.OIDTimestampTZ:
		if len(b) > 0 {
			return unsafe.String(&b[0], len(b))
		}
	}
	return string(b)
}

// tableError turns one table's state to error; the others keep going. The
// error is committed to the log so that it survives a restart.
func (st *streamer) tableError(ctx context.Context, id uint32, msg string) error {
	st.s.setTableError(id, msg)
	return st.s.m.commitWrites(ctx, func(uint64) (*oltp.Writes, error) {
		w := oltp.NewWrites()
		w.SetMeta(fmt.Sprintf("%s%s:%d", metaTableErrPfx, st.s.def.Name, id), []byte(msg))
		return w, nil
	})
}

// waitIdle waits until every queued transaction is durable.
func (st *streamer) waitIdle(ctx context.Context) error {
	for st.inflight.Load() > 0 {
		select {
		case err := <-st.errc:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// slowApply is the source-commit-to-visible time above which a source
// transaction is logged (level debug: during a catch-up, or with a source
// clock ahead of ours, every transaction is "slow") with where it spent
// its time.
const slowApply = 50 * time.Millisecond

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// maxCoalesce bounds the rows of source transactions committed together.
const maxCoalesce = 20000

// applier commits queued source transactions in order. While a commit is
// in flight the next transactions queue up and are committed together as
// one OmenDB transaction (their combined effect; the LSN marker is the last
// one's end), so throughput is not bounded by one fsync per source
// transaction.
func (st *streamer) applier(ctx context.Context) {
	for {
		var batch []*txnBuf
		select {
		case t := <-st.applyCh:
			batch = append(batch, t)
		case <-ctx.Done():
			return
		}
		rows := len(batch[0].changes)
	drain:
		for rows < maxCoalesce {
			select {
			case t := <-st.applyCh:
				batch = append(batch, t)
				rows += len(t.changes)
			default:
				break drain
			}
		}
		began := time.Now()
		built, sealed, err := st.apply(ctx, batch)
		if err != nil {
			select {
			case st.errc <- err:
			default:
			}
			return
		}
		last := batch[len(batch)-1]
		now := time.Now()
		for _, t := range batch {
			var sent time.Duration
			if !t.sent.IsZero() {
				sent = t.sent.Sub(t.commit)
			}
			st.s.timings.add(TxnTiming{Committed: t.commit, Rows: len(t.changes), Batch: len(batch),
				SourceToFirst: t.begin.Sub(t.commit), Sent: sent, Receive: t.recv.Sub(t.begin), Queued: began.Sub(t.recv),
				Build: built.Sub(began), Validate: sealed.Sub(built), Append: now.Sub(sealed), Total: now.Sub(t.commit)})
		}
		if now.Sub(batch[0].commit) > slowApply {
			// Where a slow source transaction spent its time: source
			// commit → its first message received (the walsender), first
			// → commit message received (receiving and decoding its
			// changes), received → commit began (queued behind earlier
			// commits), building the write set, the commit.
			st.s.m.logger.Debug("slow source transaction", "source", st.s.def.Name, "txns", len(batch), "rows", rows,
				"source_to_begin_ms", ms(batch[0].begin.Sub(batch[0].commit)), "receive_ms", ms(batch[0].recv.Sub(batch[0].begin)), "queued_ms", ms(began.Sub(batch[0].recv)),
				"build_ms", ms(built.Sub(began)), "validate_ms", ms(sealed.Sub(built)), "append_apply_ms", ms(now.Sub(sealed)))
		}
		st.s.acked.Store(last.end)
		st.s.lastTime.Store(last.commit.UnixMicro())
		st.s.txns.Add(int64(len(batch)))
		if st.inflight.Add(-int64(len(batch))) == 0 {
			st.s.behind.Store(false)
		}
	}
}

// apply commits batch; it returns when the write set was last built (the
// commit began then) and when the committer sealed it (its append began).
func (st *streamer) apply(ctx context.Context, batch []*txnBuf) (built, sealed time.Time, err error) {
	s := st.s
	var tableErrs map[uint32]string
	err = s.m.commitWritesTimed(ctx, func(snap uint64) (*oltp.Writes, error) {
		defer func() { built = time.Now() }()
		w := oltp.NewWrites()
		w.Split() // one log transaction per source transaction, in one record
		tableErrs = nil
		for bi, t := range batch {
			if bi > 0 {
				w.Split()
			}
			for i := range t.changes {
				c := &t.changes[i]
				if c.kind == 'T' {
					for _, id := range c.trunc {
						if s.m.store.Table(id) != nil && t.end > s.from[id] {
							w.Truncate(id)
						}
					}
					continue
				}
				if tableErrs[c.table] != "" || s.tableErr(c.table) != "" || t.end <= s.from[c.table] {
					continue // in error, or already in rows copied at a later snapshot
				}
				if msg := applyChange(s.m.store, w, snap, c); msg != "" {
					if tableErrs == nil {
						tableErrs = map[uint32]string{}
					}
					tableErrs[c.table] = msg
				}
			}
			w.SetMeta(metaLSNPfx+s.def.Name, encodeLSN(t.end))
		}
		for id, msg := range tableErrs {
			w.SetMeta(fmt.Sprintf("%s%s:%d", metaTableErrPfx, s.def.Name, id), []byte(msg))
		}
		return w, nil
	}, &sealed)
	for id, msg := range tableErrs {
		s.setTableError(id, msg)
	}
	if sealed.Before(built) { // not sealed: the commit failed
		sealed = built
	}
	return built, sealed, err
}

// applyChange adds one row change to w; it returns a message when the
// change cannot be applied faithfully (the table's state turns to error).
func applyChange(store *oltp.Store, w *oltp.Writes, snap uint64, c *change) string {
	t := store.Table(c.table)
	if t == nil {
		return ""
	}
	def := t.Def()
	present := func(key []byte) ([]types.Value, bool) {
		if tw := w.Table(c.table); tw != nil {
			if p, ok := tw.Lookup(key); ok {
				return p.Values(), !p.Deleted()
			}
			if tw.Truncated {
				return nil, false
			}
		}
		return t.Get(key, snap)
	}
	inBase := func(key []byte) bool { _, ok := t.Get(key, snap); return ok }
	row := c.row
	if pk := def.PK(); pk != nil {
		switch c.kind {
		case 'I', 'U':
			key := oltp.EncodeKey(def, pk, row)
			oldKey := key
			if c.old != nil {
				oldKey = oltp.EncodeKey(def, pk, c.old)
			}
			if c.toast != nil {
				base, ok := present(oldKey)
				if !ok {
					return fmt.Sprintf("an update sent unchanged TOASTed values for a row OmenDB does not have (table %q)", def.Name)
				}
				row = fillToast(row, c.toast, base)
			}
			if string(oldKey) != string(key) {
				w.Delete(c.table, oldKey, inBase(oldKey))
			}
			w.Put(c.table, key, row, inBase(key))
		case 'D':
			if row == nil {
				return fmt.Sprintf("a delete without key columns (table %q): set REPLICA IDENTITY on the source", def.Name)
			}
			key := oltp.EncodeKey(def, pk, row)
			w.Delete(c.table, key, inBase(key))
		}
		return ""
	}
	// No key: rows are found by their full old value (REPLICA IDENTITY FULL).
	switch c.kind {
	case 'I':
		w.Put(c.table, oltp.RowIDKey(t.NewRowID()), row, false)
	case 'U', 'D':
		old := c.old
		if c.kind == 'D' {
			old = c.row
		}
		if old == nil {
			return fmt.Sprintf("table %q has no primary key and REPLICA IDENTITY is not FULL: updates and deletes cannot be matched", def.Name)
		}
		key, base, ok := findRow(t, w, snap, c.table, old)
		if !ok {
			return fmt.Sprintf("a row to %s was not found in table %q", map[byte]string{'U': "update", 'D': "delete"}[c.kind], def.Name)
		}
		if c.kind == 'D' {
			w.Delete(c.table, key, inBase(key))
			return ""
		}
		if c.toast != nil {
			row = fillToast(row, c.toast, base)
		}
		w.Put(c.table, key, row, inBase(key))
	}
	return ""
}

func fillToast(row []types.Value, toast []bool, base []types.Value) []types.Value {
	out := append([]types.Value(nil), row...)
	for i, u := range toast {
		if u && i < len(base) {
			out[i] = base[i]
		}
	}
	return out
}

func rowsMatch(row, old []types.Value) bool {
	for i := range old {
		var v types.Value
		if i < len(row) {
			v = row[i]
		}
		if v.IsNull() != old[i].IsNull() {
			return false
		}
		if !v.IsNull() && types.Compare(v, old[i]) != 0 {
			return false
		}
	}
	return true
}

// findRow finds a row equal to old, first among the batch's pending rows,
// then in the table (a scan: tables without a key are slow to update).
func findRow(t *oltp.Table, w *oltp.Writes, snap uint64, id uint32, old []types.Value) ([]byte, []types.Value, bool) {
	tw := w.Table(id)
	var key []byte
	var base []types.Value
	tw.Rows(func(p *oltp.PendingRow) bool {
		if row := p.Values(); row != nil && rowsMatch(row, old) {
			key, base = p.Key, row
			return false
		}
		return true
	})
	if key != nil {
		return key, base, true
	}
	if tw != nil && tw.Truncated {
		return nil, nil, false
	}
	// A full scan per change of a keyless table: decode into one reused
	// row; the match ends the scan, so its row stays as decoded.
	t.ScanReuse(snap, nil, nil, false, func(k []byte, row []types.Value) bool {
		if _, pending := tw.Lookup(k); pending {
			return true
		}
		if rowsMatch(row, old) {
			key, base = append([]byte(nil), k...), row
			return false
		}
		return true
	})
	return key, base, key != nil
}
