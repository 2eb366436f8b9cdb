package log

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Pipelined appends: the writer publishes a message and returns; the
// PubAck comes back on the writer's own reply subscription (acks). So a
// record can be sent while its predecessor's store and fsync are in
// flight: JetStream processes one connection's messages in order, and each
// message still carries the expected last sequence — the sequence its
// predecessor will get — so the log's single-writer fence holds and a
// record is never stored unless every record sent before it was.
//
// State: the starter goroutine (Append, StartAppend, Recover, Resync) owns
// lastSeq — the sequence the next publish expects, counting the appends in
// flight — and the fenced/stale/suspect flags. inflight and broken are
// shared with the goroutine that waits (Pending.Wait) under pmu; recvMu
// makes one goroutine at a time receive acks (whoever waits resolves the
// acks in front of its own, in order).

// maxInFlight bounds the appends in flight (the ack channel holds that many
// acks, so none is dropped as a slow consumer).
const maxInFlight = 256

// pendingAppend is one published message awaiting its PubAck.
type pendingAppend struct {
	j        *JetStream
	token    uint64 // the reply subject's last token
	expect   uint64 // the sequence it must be stored at
	recent   Offset // registered in j.recent (0: not)
	deadline time.Time
	done     <-chan struct{} // the caller's context
	settle   bool            // the record's last message: settle j.recent
	sendErr  error           // the publish itself failed

	// Set once resolved, under j.recvMu.
	resolved bool
	off      Offset
	err      error
}

// appendFailure is the first failure of an append since the last recovery.
type appendFailure struct {
	err     error
	last    uint64 // the stream's last sequence the failed message expected
	fenced  bool   // another writer: refuse until Resync
	suspect bool   // a store write error on a full disk: reload JetStream
}

// jsErrWrongLastMsgID is JetStream's error code for a failed
// Nats-Expected-Last-Msg-Id (JSStreamWrongLastMsgIDErr).
const jsErrWrongLastMsgID jetstream.ErrorCode = 10070

// errPipelineBroken refuses an append sent after one that failed, until the
// writer recovers.
var errPipelineBroken = errors.New("log: an earlier append failed")

// Wait returns the record's offset once JetStream acknowledged it (stored
// and, with SyncAlways, fsynced), or the error that ended the append: a
// failure of an earlier append in flight fails the later ones (their
// expected last sequence no longer holds). The outcome of a failed append
// is unknown unless the error wraps ErrFenced. Waits must be called in
// StartAppend order, from one goroutine at a time.
func (p *pendingAppend) Wait() (Offset, error) {
	j := p.j
	j.recvMu.Lock()
	defer j.recvMu.Unlock()
	for !p.resolved {
		j.receiveOne()
	}
	return p.off, p.err
}

// StartAppend publishes r (which must fit one message, else it is appended
// synchronously after the appends in flight) and returns without waiting
// for JetStream's acknowledgement; Wait returns the offset. The record is
// stored after every record started before it, or not at all. After a
// failed append (reported by a Wait) StartAppend refuses until Recover.
// Same goroutine as Append.
func (j *JetStream) StartAppend(ctx context.Context, r *Record) (Pending, error) {
	if err := j.ready(ctx); err != nil {
		return nil, err
	}
	if err := j.pipelineOK(); err != nil {
		return nil, err
	}
	if n := msgOverhead + recordBodySize(r); n > j.maxChunk {
		// Chunked, encoded straight into its chunk messages
		// (chunkstream.go). Chunks go two at a time, after the appends in
		// flight settled (a chunk's failure is classified knowing theirs).
		if err := j.checkSpace(n); err != nil {
			return nil, err
		}
		expect := j.recent.putSum(Offset(j.lastSeq+uint64(j.parts(n))), j.lastSeq+1, r, n-msgOverhead,
			func() uint32 { return recordBodyCRC(r) })
		j.drain()
		err := j.pipelineOK()
		var off Offset
		if err == nil {
			off, err = j.appendChunkedRecord(ctx, r, n-msgOverhead)
		}
		j.recent.settle(expect, off, err)
		if err != nil {
			return nil, err
		}
		return &pendingAppend{j: j, resolved: true, off: off}, nil
	}
	j.buf = appendRecordMessage(j.buf[:0], r)
	if err := j.checkSpace(len(j.buf)); err != nil {
		return nil, err
	}
	expect := j.recent.put(Offset(j.lastSeq+1), j.lastSeq+1, r, j.buf[headerLen:len(j.buf)-trailerLen])
	return j.send(ctx, j.buf, expect, true), nil
}

// pipelineOK refuses to send after a failed append until Recover. Same
// goroutine as Append.
func (j *JetStream) pipelineOK() error {
	j.pmu.Lock()
	broken, n := j.broken, len(j.inflight)
	j.pmu.Unlock()
	switch {
	case broken != nil:
		return fmt.Errorf("%w (not recovered yet): %w", errPipelineBroken, broken.err)
	case j.halted != nil:
		return fmt.Errorf("%w (not recovered yet): %w", errPipelineBroken, j.halted)
	case n >= maxInFlight:
		return fmt.Errorf("log: %d appends in flight", n)
	}
	return nil
}

// drain waits until no append is in flight.
func (j *JetStream) drain() {
	j.recvMu.Lock()
	defer j.recvMu.Unlock()
	for {
		j.pmu.Lock()
		n := len(j.inflight)
		j.pmu.Unlock()
		if n == 0 {
			return
		}
		j.receiveOne()
	}
}

// Recover waits for the appends in flight and, if one failed since the last
// recovery, makes the writer usable again the way a failed Append does: the
// next append re-reads the stream's last sequence (or, after ErrFenced,
// refuses until Resync). It returns the failure it recovered from, if any
// (nil otherwise). Same goroutine as Append.
func (j *JetStream) Recover(ctx context.Context) error {
	j.drain()
	j.halted = nil
	j.pmu.Lock()
	f := j.broken
	j.broken = nil
	j.pmu.Unlock()
	if f == nil {
		return nil
	}
	j.lastSeq = f.last // what this writer knows is stored
	if f.fenced {
		j.fenced = f.err
	} else {
		j.stale = true
		j.suspect = j.suspect || f.suspect
	}
	return f.err
}

// send publishes one message expecting the stream's last sequence to be
// j.lastSeq, and advances j.lastSeq as if it will be stored. A message that
// could not be published fails when its turn to be waited for comes, and
// nothing more is sent until Recover.
func (j *JetStream) send(ctx context.Context, data []byte, recent Offset, last bool) *pendingAppend {
	j.token++
	p := &pendingAppend{j: j, token: j.token, expect: j.lastSeq + 1, recent: recent, done: ctx.Done(), settle: last}
	if d, ok := ctx.Deadline(); ok {
		p.deadline = d
	} else {
		p.deadline = time.Now().Add(publishTimeout)
	}
	j.seqBuf = strconv.AppendUint(j.seqBuf[:0], j.lastSeq, 10)
	j.hdr[jetstream.ExpectedLastSeqHeader] = []string{string(j.seqBuf)}
	// The message's id, and its predecessor's while that one is in flight:
	// a last sequence that merely matches (a foreign message took the
	// place of a predecessor that was refused) does not let it in.
	id := j.idPrefix + strconv.FormatUint(p.token, 10)
	j.hdr[jetstream.MsgIDHeader] = []string{id}
	j.pmu.Lock()
	if len(j.inflight) > 0 {
		j.hdr[jetstream.ExpectedLastMsgIDHeader] = []string{j.lastID}
	} else {
		delete(j.hdr, jetstream.ExpectedLastMsgIDHeader)
	}
	// Queued before the publish: its ack may arrive at once.
	j.inflight = append(j.inflight, p)
	j.pmu.Unlock()
	j.lastID = id
	j.msg.Reply = j.inbox + strconv.FormatUint(p.token, 10)
	j.msg.Data = data
	err := j.nc.PublishMsg(&j.msg) // copies data into the connection's buffer
	j.msg.Data = nil
	if err != nil {
		p.sendErr = fmt.Errorf("log: publish: %w", err)
		j.halted = p.sendErr
		return p
	}
	j.lastSeq++
	return p
}

// receiveOne receives one ack (or the head's timeout) and resolves the head
// of the queue. j.recvMu is held.
func (j *JetStream) receiveOne() {
	j.pmu.Lock()
	if len(j.inflight) == 0 {
		j.pmu.Unlock()
		return
	}
	head := j.inflight[0]
	j.pmu.Unlock()
	if head.sendErr != nil {
		j.resolve(head, 0, head.sendErr, false, true)
		return
	}
	var m *nats.Msg
	select {
	case m = <-j.acks:
	default:
		// One timer for every wait (j.recvMu is held): no allocation per
		// append.
		if j.ackTimer == nil {
			j.ackTimer = time.NewTimer(time.Until(head.deadline))
		} else {
			j.ackTimer.Reset(time.Until(head.deadline))
		}
		select {
		case m = <-j.acks:
		case <-j.ackTimer.C:
		case <-head.done:
		case <-j.closing:
		}
		j.ackTimer.Stop()
	}
	if m == nil {
		err := fmt.Errorf("log: publish: %w", context.DeadlineExceeded)
		select {
		case <-head.done:
			err = fmt.Errorf("log: publish: %w", context.Canceled)
		case <-j.closing:
			err = fmt.Errorf("log: publish: %w", nats.ErrConnectionClosed)
		default:
		}
		j.resolve(head, 0, err, false, true)
		return
	}
	tok, err := strconv.ParseUint(m.Subject[strings.LastIndexByte(m.Subject, '.')+1:], 10, 64)
	switch {
	case err != nil:
		return // not ours
	case tok < head.token:
		return // the late ack of an append that timed out
	case tok > head.token:
		// The head's ack never came (cannot happen on one connection);
		// its outcome is unknown.
		j.resolve(head, 0, errors.New("log: publish: acknowledgement lost"), false, true)
		j.receiveLate(m)
		return
	}
	j.resolveAck(head, m)
}

// receiveLate resolves the new head with m if it is its ack (after a lost
// one); otherwise m is dropped and the head waits on.
func (j *JetStream) receiveLate(m *nats.Msg) {
	j.pmu.Lock()
	var head *pendingAppend
	if len(j.inflight) > 0 {
		head = j.inflight[0]
	}
	j.pmu.Unlock()
	if head != nil && m.Subject == j.inbox+strconv.FormatUint(head.token, 10) {
		j.resolveAck(head, m)
	}
}

// pubAck is JetStream's reply to a publish.
type pubAck struct {
	Error    *jetstream.APIError `json:"error,omitempty"`
	Sequence uint64              `json:"seq"`
}

// ackSequence reads the sequence of a successful PubAck such as
// {"stream":"OMENDB","seq":42} without encoding/json (every commit waits
// for one). ok is false for anything else — an error, a malformed or
// unexpected body — which the caller then decodes in full.
func ackSequence(data []byte) (seq uint64, ok bool) {
	// One flat, valid object (a '{' in a string also declines) whose only
	// "seq" key follows '{' or ',' — a '"' there cannot be inside a
	// string — and that has no "error".
	if len(data) < 2 || data[0] != '{' || bytes.Count(data, []byte("{")) != 1 ||
		bytes.Contains(data, []byte(`"error"`)) || !json.Valid(data) {
		return 0, false
	}
	i := bytes.Index(data, []byte(`"seq":`))
	if i < 1 || (data[i-1] != '{' && data[i-1] != ',') || bytes.Index(data[i+1:], []byte(`"seq":`)) >= 0 {
		return 0, false
	}
	digits := 0
	for _, c := range data[i+len(`"seq":`):] {
		if c < '0' || c > '9' {
			if c != ',' && c != '}' {
				return 0, false
			}
			break
		}
		if digits++; digits > 19 {
			return 0, false
		}
		seq = seq*10 + uint64(c-'0')
	}
	return seq, digits > 0
}

// resolveAck resolves p with its ack m. j.recvMu is held.
func (j *JetStream) resolveAck(p *pendingAppend, m *nats.Msg) {
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		j.resolve(p, 0, fmt.Errorf("log: publish: %w", nats.ErrNoResponders), false, false)
		return
	}
	var ack pubAck
	if seq, ok := ackSequence(m.Data); ok {
		ack.Sequence = seq
	} else if err := json.Unmarshal(m.Data, &ack); err != nil {
		j.resolve(p, 0, fmt.Errorf("log: publish: bad acknowledgement %q: %w", m.Data, err), false, true)
		return
	}
	if ack.Error != nil {
		if ack.Error.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			ack.Error.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant ||
			ack.Error.ErrorCode == jsErrWrongLastMsgID {
			j.resolve(p, 0, fmt.Errorf("%w (expected last sequence %d): %w", ErrFenced, p.expect-1, ack.Error), true, false)
			return
		}
		j.resolve(p, 0, fmt.Errorf("log: publish: %w", ack.Error), false, true)
		return
	}
	if ack.Sequence != p.expect {
		// Cannot happen with the expected-last-sequence check; refuse to
		// continue rather than hand out a wrong offset.
		j.resolve(p, 0, fmt.Errorf("%w: acknowledged sequence %d, expected %d", ErrFenced, ack.Sequence, p.expect), true, false)
		return
	}
	j.resolve(p, Offset(ack.Sequence), nil, false, false)
}

// resolve records p's outcome and removes it from the queue (it is the
// head, or was never sent). fenced: the stream refused the expected last
// sequence; classify: the error may stem from a full disk. A failure after
// an earlier one in the same run of appends is reported as caused by it:
// its wrong last sequence is the predecessor's missing record, not another
// writer. j.recvMu is held.
func (j *JetStream) resolve(p *pendingAppend, off Offset, err error, fenced, classify bool) {
	j.pmu.Lock()
	switch prior := j.broken; {
	case prior != nil:
		// Its expected last sequence assumed the failed record: if it is
		// stored, its outcome is as unknown as its predecessor's.
		off = 0
		if err != nil {
			err = fmt.Errorf("%w: %w (and then: %v)", errPipelineBroken, prior.err, err)
		} else {
			err = fmt.Errorf("%w: %w", errPipelineBroken, prior.err)
		}
	case err != nil:
		suspect := false
		if classify {
			err, suspect = j.spaceError(err)
		}
		j.broken = &appendFailure{err: err, last: p.expect - 1, fenced: fenced, suspect: suspect}
	}
	for i, q := range j.inflight {
		if q == p {
			j.inflight = append(j.inflight[:i], j.inflight[i+1:]...)
			break
		}
	}
	j.pmu.Unlock()
	p.resolved, p.off, p.err = true, off, err
	switch {
	case p.settle:
		j.recent.settle(p.recent, off, err)
	case err != nil:
		// A chunk's or a raw message's: the local readers re-read the
		// stream (a chunked record's success settles after its last).
		j.recent.failed()
	}
}
