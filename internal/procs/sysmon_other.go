//go:build !linux

package procs

import (
	"errors"
	"time"
)

// CoarseSlack: see sysmon_linux.go.
const (
	CoarseSlack  = time.Millisecond
	defaultSlack = 50 * time.Microsecond
)

func sysmonThread() (int, error) {
	return 0, errors.New("procs: sysmon's timer slack is set on Linux only")
}

func setThreadSlack(int, time.Duration) error { return errors.ErrUnsupported }

func retime(int, time.Duration, time.Duration) error { return nil }
