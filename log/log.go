package log

import (
	"context"
	"errors"
	"time"

	"github.com/omendb/omendb/types"
)

// Offset is a position in the log: the JetStream stream sequence of the
// message that completes a record. Offsets grow strictly but are not dense
// (a record split into chunks uses several sequences; its offset is the last).
// Offset 0 means "before the first record".
type Offset uint64

// OpKind says what one operation of a transaction does.
type OpKind uint8

// Operation kinds. New kinds may be added; readers reject kinds they do not
// know with ErrUnknownFormat rather than skipping them.
const (
	OpInsert   OpKind = 1 // Row is the new row; Key its primary key
	OpUpdate   OpKind = 2 // Row is the complete new row; Key the (old) primary key
	OpDelete   OpKind = 3 // Key is the primary key of the deleted row; Row empty
	OpTruncate OpKind = 4 // Table is emptied; Key and Row empty
	OpDDL      OpKind = 5 // Row is a catalog change, encoded by package catalog; Table 0
	OpMeta     OpKind = 6 // Row is opaque metadata (e.g. a CDC source's LSN), Key names it
)

// Op is one operation of a transaction. Key and Row are opaque to the log.
type Op struct {
	Kind  OpKind
	Table uint32
	Key   []byte
	Row   []byte
	// Vals is Row decoded (types.DecodeRow), when the writer in this process
	// still has it: the committer hands its durable records to the stores
	// with it so they do not decode what it just encoded. It is never
	// written to the log (records read back have nil) and, like Row, must
	// not be modified.
	Vals []types.Value
}

// Txn is one committed transaction: all its operations apply atomically at
// the offset of the record that carries it.
type Txn struct {
	ID         uint64 // unique per process run; for tracing only
	CommitTime int64  // commit wall-clock time, µs since the Unix epoch
	Ops        []Op
}

// Record is the unit appended to the log: a group of transactions that were
// committed together (group commit). A record is applied entirely or not at
// all, however large it is.
type Record struct {
	Txns []Txn
}

// Entry is a record read back from the log. The Record belongs to the
// caller; its Key and Row slices share buffers the log never reuses.
type Entry struct {
	Offset Offset
	Time   time.Time // time JetStream stored the (last) message
	Record *Record
}

// Log is the durable, ordered log that is OmenDB's WAL.
//
// Append may be called by one goroutine at a time (OmenDB's committer); it
// returns only once the record is durable (acknowledged by JetStream, which
// fsyncs with SyncAlways). Readers may run concurrently with Append and with
// each other.
type Log interface {
	// Append durably appends r and returns its offset. A record larger than
	// the maximum message size is split into chunks that readers reassemble;
	// a reader never sees part of a record.
	Append(ctx context.Context, r *Record) (Offset, error)
	// Read returns an iterator over records with offset >= from, in order.
	// After the last record it waits for new ones (tailing) until ctx ends.
	Read(ctx context.Context, from Offset) (Iterator, error)
	// Last returns the offset of the last complete record (0 if none).
	Last(ctx context.Context) (Offset, error)
	// Close releases the log (and stops an embedded server).
	Close() error
}

// Pipelined is a Log that can have several appends in flight: a record is
// sent while its predecessors are being stored and synced. Records are
// stored in the order they were started, and a record is never stored
// unless every record started before it is (each message carries the
// expected last sequence its predecessor will leave).
//
// StartAppend and Recover are called by the goroutine that would call
// Append; the Pendings' Waits in StartAppend order, by one goroutine at a
// time (it may be another one). Append must not be called while appends are
// in flight.
type Pipelined interface {
	Log
	// StartAppend sends r and returns without waiting for it to be durable.
	// After a failed append (reported by Wait, or a failed StartAppend),
	// it refuses until Recover.
	StartAppend(ctx context.Context, r *Record) (Pending, error)
	// Recover waits for the appends in flight, then makes the writer usable
	// again after a failed one, as a failed Append would have (the next
	// append re-reads where the log ends). It returns the failure it
	// recovered from, nil if there was none.
	Recover(ctx context.Context) error
}

// Pending is an append in flight.
type Pending interface {
	// Wait returns the record's offset once it is durable, or the error
	// that ended the append. Once one append failed, every append in flight
	// after it fails too (it may have been stored: its outcome is unknown,
	// like that of any failed append not wrapping ErrFenced).
	Wait() (Offset, error)
}

// Iterator reads records in offset order.
type Iterator interface {
	// Next returns the next record. With a context that has no deadline it
	// blocks until a record arrives; it returns ctx.Err() when ctx ends.
	Next(ctx context.Context) (Entry, error)
	Close() error
}

// Errors returned by the log.
var (
	// ErrCorrupt: a message failed its checksum or could not be decoded.
	// Wrapped with the offset; it also wraps pgerr.ErrCorrupt.
	ErrCorrupt = errors.New("log record corrupted")
	// ErrUnknownFormat: a record has a format version or op kind this
	// build does not understand. Wrapped with the offset.
	ErrUnknownFormat = errors.New("log record has an unknown format version")
	// ErrFenced: another writer appended to the stream since this one's last
	// append (optimistic concurrency on the expected last sequence failed).
	ErrFenced = errors.New("log: another writer appended to the stream")
)
