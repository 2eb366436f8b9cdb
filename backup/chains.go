package backup

import (
	"sync"

	"github.com/omendb/omendb/log"
)

// Holder keeps the log a backup chain needs from being trimmed by log
// retention (the server implements it: server/retention.go).
type Holder interface {
	// HoldBackup keeps every record after from while a part of dir is
	// being written; the returned func releases the hold.
	HoldBackup(dir string, from uint64) (release func())
	// BackupDone records, durably, that dir's chain now ends at to: its
	// next incremental part needs the log after to.
	BackupDone(dir string, to uint64) error
}

var (
	holdersMu sync.Mutex
	holders   = map[*log.JetStream]Holder{}
)

// SetHolder registers the holder for backups of log l (nil removes it).
func SetHolder(l *log.JetStream, h Holder) {
	holdersMu.Lock()
	defer holdersMu.Unlock()
	if h == nil {
		delete(holders, l)
		return
	}
	holders[l] = h
}

func holderOf(l *log.JetStream) Holder {
	holdersMu.Lock()
	defer holdersMu.Unlock()
	return holders[l]
}
