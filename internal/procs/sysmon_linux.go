package procs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sysNanosleep is nanosleep's number as /proc/PID/task/TID/syscall prints it.
var sysNanosleep = strconv.Itoa(syscall.SYS_NANOSLEEP)

// CoarseSlack is the timer slack the controller gives every thread of the
// process while it runs, except sysmon while the Ps are saturated.
const CoarseSlack = time.Millisecond

// defaultSlack is Linux's timer slack for normal threads.
const defaultSlack = 50 * time.Microsecond

// setThreadSlack sets a thread's timer slack. Linux allows it for another
// thread only with CAP_SYS_NICE; without, the error wraps
// os.ErrPermission.
func setThreadSlack(tid int, d time.Duration) error {
	path := fmt.Sprintf("/proc/%d/timerslack_ns", tid)
	if err := os.WriteFile(path, []byte(strconv.FormatInt(int64(d), 10)), 0); err != nil {
		return fmt.Errorf("procs: setting a thread's timer slack: %w", err)
	}
	return nil
}

// retime sets the slack of every thread of this process, other than skip,
// whose slack is from, to to. A thread's slack is its own — a new thread
// starts with its creator's — so the threads the runtime starts later are
// found by calling this again (the controller does when the runtime's
// thread count changes). Threads with a slack of their own (neither from
// nor to) are left alone.
func retime(skip int, from, to time.Duration) error {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("procs: listing threads: %w", err)
	}
	want := strconv.FormatInt(int64(from), 10)
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil || tid == skip {
			continue
		}
		// Per thread, though not under task/.
		b, err := os.ReadFile("/proc/" + e.Name() + "/timerslack_ns")
		if err != nil || strings.TrimSpace(string(b)) != want {
			continue // exited, or not from
		}
		_ = setThreadSlack(tid, to) // a thread that exits meanwhile needs none
	}
	return nil
}

// sysmonThread finds sysmon: the thread of this process that is asleep in
// nanosleep(2) (runtime.usleep) in most of a few looks a millisecond apart
// while this goroutine keeps a P busy. Other threads block in futex or
// epoll_wait and call nanosleep only for microseconds.
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
		// Spin rather than sleep: with every P idle sysmon parks on a
		// futex instead of sleeping in nanosleep.
		for end := time.Now().Add(time.Millisecond); time.Now().Before(end); {
		}
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

// Linux's prctl(2) options for the calling thread's timer slack.
const (
	prSetTimerslack = 29
	prGetTimerslack = 30
)

// StartProcess starts cmd, as cmd.Start does, from a thread with Linux's
// default timer slack. A new process takes the slack of the thread that
// forked it and keeps it across execve, so a process started from one of
// ours would run with CoarseSlack; the peers the benchmarks start
// (PostgreSQL, pgbench, dbgen) must run as they would on their own.
func StartProcess(cmd *exec.Cmd) error {
	runtime.LockOSThread() // the fork is made by this thread
	defer runtime.UnlockOSThread()
	mu.Lock() // no tick's retime gives this thread the coarse slack meanwhile
	defer mu.Unlock()
	old, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prGetTimerslack, 0, 0)
	if errno != 0 {
		return cmd.Start()
	}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerslack, uintptr(defaultSlack), 0); errno != 0 {
		return cmd.Start()
	}
	defer syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerslack, old, 0)
	return cmd.Start()
}
