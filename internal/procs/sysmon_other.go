//go:build !linux

package procs

import (
	"errors"
	"os/exec"
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

// StartProcess starts cmd (the slack it avoids is Linux's).
func StartProcess(cmd *exec.Cmd) error { return cmd.Start() }
