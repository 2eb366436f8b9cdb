package log

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Retention: the stream keeps every record until the server trims it
// (server/retention.go decides how far: below the oldest offset a
// checkpoint, a backup chain, a registered holder or the point-in-time
// window still needs). Trimming is a JetStream purge up to a sequence, so
// the stream stays dense above its first sequence: every sequence from
// FirstOffset to the last one is a message. A reader never skips trimmed
// records silently; asking for them fails with a *TrimmedError.

// ErrTrimmed matches every *TrimmedError: records the caller asked for were
// removed by log retention.
var ErrTrimmed = errors.New("log: records were trimmed by log retention")

// TrimmedError says that a read (or OffsetAt) needed records below the
// first retained offset.
type TrimmedError struct {
	From  Offset // the first offset the caller needed
	First Offset // the log's first retained offset (stream sequence)
}

func (e *TrimmedError) Error() string {
	return fmt.Sprintf("log: offset %d is no longer retained: the log was trimmed and now starts at offset %d", e.From, e.First)
}

// Is makes errors.Is(err, ErrTrimmed) true.
func (e *TrimmedError) Is(target error) bool { return target == ErrTrimmed }

// state returns the stream's current first and last sequence.
func (j *JetStream) state(ctx context.Context) (first, last uint64, err error) {
	s, err := j.js.Stream(ctx, j.o.Stream)
	if err != nil {
		return 0, 0, fmt.Errorf("log: stream info: %w", err)
	}
	st := s.CachedInfo().State
	return st.FirstSeq, st.LastSeq, nil
}

// FirstOffset returns the first retained offset: the lowest stream sequence
// still stored, so Read(from) with from >= FirstOffset succeeds (1 on a log
// never trimmed; on a log trimmed of everything, the sequence the next
// message will get). Records below it were trimmed. Safe from any goroutine.
func (j *JetStream) FirstOffset(ctx context.Context) (Offset, error) {
	first, _, err := j.state(ctx)
	if err != nil {
		return 0, err
	}
	return Offset(max(first, 1)), nil
}

// checkRetained fails with a *TrimmedError when records from from on are
// no longer all stored.
func (j *JetStream) checkRetained(ctx context.Context, from uint64) error {
	first, _, err := j.state(ctx)
	if err != nil {
		return err
	}
	if from < first {
		return &TrimmedError{From: Offset(from), First: Offset(first)}
	}
	return nil
}

// Trim removes every message with a sequence <= through, so that the log
// starts right after through. It keeps whole records: if through+1 falls
// inside a chunked record, that record is kept entirely; and it never
// removes the last complete record (the stream must keep its last sequence
// across restarts). It returns the new first offset. Trimming below the
// current first offset does nothing.
//
// Callers must make sure nothing still needs the trimmed records (the
// server's retention loop computes that floor); a reader that asks for them
// afterwards gets a *TrimmedError. Safe from any goroutine; at most one Trim
// at a time.
func (j *JetStream) Trim(ctx context.Context, through Offset) (Offset, error) {
	s, err := j.js.Stream(ctx, j.o.Stream)
	if err != nil {
		return 0, fmt.Errorf("log: trim: stream info: %w", err)
	}
	info := s.CachedInfo()
	if info.Config.DenyPurge {
		return 0, fmt.Errorf("log: trim: stream %s denies purges (deny_purge); log retention cannot trim it", j.o.Stream)
	}
	first := max(info.State.FirstSeq, 1)
	last, err := j.Last(ctx)
	if err != nil {
		return 0, fmt.Errorf("log: trim: %w", err)
	}
	if last == 0 {
		return Offset(first), nil
	}
	keep := min(uint64(through), uint64(last)-1) + 1 // the first sequence to keep
	// Never cut a chunked record: back up to its first part.
	if keep > first {
		m, err := j.getMsg(ctx, keep)
		if err != nil {
			return 0, fmt.Errorf("log: trim: %w", err)
		}
		if m != nil {
			msg, err := decodeMessage(m.Data, Offset(keep))
			if err != nil {
				return 0, fmt.Errorf("log: trim: %w", err)
			}
			if msg.kind != msgRecord && msg.part > 0 && uint64(msg.part) < keep {
				keep -= uint64(msg.part)
			}
		}
	}
	if keep <= first {
		return Offset(first), nil
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSequence(keep)); err != nil {
		return 0, fmt.Errorf("log: trim below offset %d: %w", keep, err)
	}
	j.logger.Info("log trimmed", "first_offset", keep, "removed", keep-first)
	return Offset(keep), nil
}

// OffsetAt returns the offset of the last record whose stored time (the time
// JetStream stored its final message — a chunked record counts at its final
// chunk) is at or before t: the log position of the database's state as of
// t. It returns 0 if no record was stored by t and the log was never
// trimmed (the state before the first record), and a *TrimmedError
// (errors.Is ErrTrimmed) if t is before the first retained record of a
// trimmed log, since that state can no longer be read from the log.
//
// It binary-searches stream sequences by message timestamp (O(log n)
// message lookups), so it assumes stored times do not decrease along the
// stream, which holds for one JetStream server whose clock does not step
// back. Safe from any goroutine.
func (j *JetStream) OffsetAt(ctx context.Context, t time.Time) (Offset, error) {
	first, last, err := j.state(ctx)
	if err != nil {
		return 0, err
	}
	first = max(first, 1)
	if last < first { // empty stream
		if first > 1 {
			return 0, &TrimmedError{From: 0, First: Offset(first)}
		}
		return 0, nil
	}
	// The number of sequences in [first, last] stored at or before t.
	var searchErr error
	n := sort.Search(int(last-first+1), func(i int) bool {
		if searchErr != nil {
			return true
		}
		m, err := j.getMsg(ctx, first+uint64(i))
		if err != nil {
			searchErr = err
			return true
		}
		if m == nil { // deleted under us (trimmed): treat as "before t"
			return false
		}
		return m.Time.After(t)
	})
	if searchErr != nil {
		return 0, fmt.Errorf("log: offset at %s: %w", t.Format(time.RFC3339Nano), searchErr)
	}
	if n == 0 {
		if first > 1 {
			return 0, &TrimmedError{From: 0, First: Offset(first)}
		}
		return 0, nil
	}
	off, err := j.recordAtOrBefore(ctx, first+uint64(n)-1, first)
	if err != nil {
		return 0, fmt.Errorf("log: offset at %s: %w", t.Format(time.RFC3339Nano), err)
	}
	if off == 0 && first > 1 {
		return 0, &TrimmedError{From: 0, First: Offset(first)}
	}
	return off, nil
}
