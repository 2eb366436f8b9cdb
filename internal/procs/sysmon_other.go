//go:build !linux

package procs

import (
	"errors"
	"time"
)

// SysmonSlack: see sysmon_linux.go.
const (
	SysmonSlack  = time.Millisecond
	defaultSlack = 50 * time.Microsecond
)

func sysmonThread() (int, error) {
	return 0, errors.New("procs: sysmon's timer slack is set on Linux only")
}

func setThreadSlack(int, time.Duration) error { return errors.ErrUnsupported }

func resetInherited(int, time.Duration) error { return nil }
