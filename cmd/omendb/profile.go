package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	rtrace "runtime/trace"
	"sync"
)

// startCPUProfile starts a CPU profile written to path (the benches'
// --cpuprofile) and returns the function that stops it and closes the file.
// With an empty path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// startExecTrace starts a Go execution trace written to path (the benches'
// --trace): goroutine wake-ups, system calls and scheduling, which a CPU
// profile does not show. The returned function stops it and closes the
// file; it may be called more than once.
func startExecTrace(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("execution trace: %w", err)
	}
	if err := rtrace.Start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("execution trace: %w", err)
	}
	var once sync.Once
	return func() { once.Do(func() { rtrace.Stop(); f.Close() }) }, nil
}
