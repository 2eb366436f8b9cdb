//go:build !linux

package procs

import "errors"

// SysmonSlack: see sysmon_linux.go.
const SysmonSlack = 0

// CoarsenSysmon is Linux-only.
func CoarsenSysmon() error { return errors.New("procs: sysmon's timer slack is set on Linux only") }
