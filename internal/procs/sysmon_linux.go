package procs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sysNanosleep is nanosleep's number as /proc/PID/task/TID/syscall prints it.
var sysNanosleep = strconv.Itoa(syscall.SYS_NANOSLEEP)

// SysmonSlack is the timer slack CoarsenSysmon gives the runtime's sysmon
// thread.
const SysmonSlack = time.Millisecond

// CoarsenSysmon lets the Go runtime's monitor thread (sysmon) sleep in
// steps of about SysmonSlack instead of Linux's default 50 µs timer slack.
//
// Why: sysmon sleeps 20 µs at a time while it keeps finding Ps to take
// from system calls, and the log's fsync, every millisecond or so under
// load, is such a call. Each of its wake-ups is a context switch, and each
// P it takes hands the fsync's goroutine to another thread when the call
// returns; on a VM both are costly. With a coarse slack sysmon rarely
// catches an fsync in progress, backs off to its long sleeps, and the
// thread that did the fsync carries on with its P. Measured on the 2-vCPU
// machine of docs/benchmarks.md (pgbench TPC-B, 8 clients, alternated
// runs): 0.26–0.28 ms of server CPU per transaction instead of 0.37–0.44,
// and about a fifth more transactions per second. Long-running goroutines
// are still preempted (10 ms, a millisecond later at worst).
//
// Linux lets a thread set another thread's slack only with CAP_SYS_NICE;
// without it CoarsenSysmon changes nothing and returns an error wrapping
// os.ErrPermission.
func CoarsenSysmon() error {
	tid, err := sysmonThread()
	if err != nil {
		return err
	}
	path := fmt.Sprintf("/proc/%d/timerslack_ns", tid)
	if err := os.WriteFile(path, []byte(strconv.FormatInt(int64(SysmonSlack), 10)), 0); err != nil {
		return fmt.Errorf("procs: setting sysmon's timer slack: %w", err)
	}
	return nil
}

// sysmonThread finds sysmon: the thread of this process that is asleep in
// nanosleep(2) (runtime.usleep) in most of a few looks a millisecond
// apart. Other threads block in futex or epoll_wait and call nanosleep
// only for microseconds.
func sysmonThread() (int, error) {
	seen := map[int]int{}
	const looks = 8
	for range looks {
		ents, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return 0, fmt.Errorf("procs: finding sysmon: %w", err)
		}
		for _, e := range ents {
			b, err := os.ReadFile("/proc/self/task/" + e.Name() + "/syscall")
			if err != nil {
				continue
			}
			if nr, _, _ := strings.Cut(strings.TrimSpace(string(b)), " "); nr == sysNanosleep {
				tid, _ := strconv.Atoi(e.Name())
				seen[tid]++
			}
		}
		time.Sleep(time.Millisecond)
	}
	best, n := 0, 0
	for tid, c := range seen {
		if c > n {
			best, n = tid, c
		}
	}
	if n < looks/2 {
		return 0, errors.New("procs: finding sysmon: no thread sleeps in nanosleep")
	}
	return best, nil
}
