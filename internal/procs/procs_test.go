package procs

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	idle    = sample{cores: 0.02, waits: 2}
	light   = sample{cores: 0.6, waits: 120, slow: 10}   // one connection's chain of hand-offs
	queued1 = sample{cores: 0.95, waits: 150, slow: 120} // work waits for the one P
	busy2   = sample{cores: 1.3, waits: 150, slow: 40}   // two Ps, not saturated
)

// run feeds n ticks of s and returns the last k.
func run(p *policy, now *time.Time, n int, s sample) int {
	k := p.k
	for range n {
		*now = now.Add(Tick)
		k = p.step(*now, s)
	}
	return k
}

func TestPolicyIdleDropsToOne(t *testing.T) {
	now := time.Unix(0, 0)
	p := newPolicy(4, now)
	if k := run(p, &now, coldRun, idle); k != 2 {
		t.Fatalf("after %d cold ticks at 4 Ps: k=%d, want 2", coldRun, k)
	}
	if k := run(p, &now, coldRun, idle); k != 1 {
		t.Fatalf("after %d more cold ticks: k=%d, want 1", coldRun, k)
	}
	if k := run(p, &now, 500, idle); k != 1 {
		t.Fatalf("idle at one P moved to k=%d", k)
	}
}

func TestPolicyQueueingRaises(t *testing.T) {
	now := time.Unix(0, 0)
	p := newPolicy(2, now)
	run(p, &now, coldRun, idle)
	if k := run(p, &now, 1, queued1); k != 1 {
		t.Fatalf("one hot tick raised k to %d; want %d in a row", k, upTicks)
	}
	if k := run(p, &now, 1, queued1); k != 2 {
		t.Fatalf("after %d hot ticks k=%d, want 2", upTicks, k)
	}
	// A light load's waits are mostly short: it never counts as hot.
	p = newPolicy(2, now)
	run(p, &now, coldRun, idle)
	if k := run(p, &now, 1000, light); k != 1 {
		t.Fatalf("a light load raised k to %d", k)
	}
	// A few long-running goroutines keep the one P busy: hot without
	// many waits.
	p = newPolicy(2, now)
	run(p, &now, coldRun, idle)
	if k := run(p, &now, upTicks, sample{cores: 0.97, waits: 3, slow: 3}); k != 2 {
		t.Fatalf("a saturated P did not raise k: %d", k)
	}
	p = newPolicy(2, now)
	run(p, &now, coldRun, idle)
	// Long waits without CPU use (say, a stop-the-world) are not queueing.
	if k := run(p, &now, 10, sample{cores: 0.1, waits: 100, slow: 90}); k != 1 {
		t.Fatalf("waits at 0.1 cores raised k to %d", k)
	}
}

// A load that is not cold but fits on one P moves to one P by a probe, and
// stays there.
func TestPolicyProbeStands(t *testing.T) {
	now := time.Unix(0, 0)
	p := newPolicy(2, now)
	k := run(p, &now, int(minProbeEvery/Tick)+1, light)
	if k != 1 {
		t.Fatalf("no probe after %v: k=%d", minProbeEvery, k)
	}
	if k := run(p, &now, 1000, light); k != 1 {
		t.Fatalf("the probe did not stand: k=%d", k)
	}
	if p.stats.Probes != 1 || p.stats.FailedProbes != 0 {
		t.Fatalf("stats %+v", p.stats)
	}
}

// A load that needs both Ps fails each probe within two ticks, and the
// probes back off to one per maxProbeEvery.
func TestPolicyFailedProbesBackOff(t *testing.T) {
	now := time.Unix(0, 0)
	p := newPolicy(2, now)
	var atOne int
	ticks := int(time.Minute / Tick)
	for range ticks {
		now = now.Add(Tick)
		s := busy2
		if p.k == 1 {
			s = queued1
			atOne++
		}
		p.step(now, s)
	}
	if p.probeEvery != maxProbeEvery {
		t.Fatalf("probe interval %v after a minute of failed probes, want %v", p.probeEvery, maxProbeEvery)
	}
	if p.stats.FailedProbes != p.stats.Probes || p.stats.Probes < 5 {
		t.Fatalf("stats %+v", p.stats)
	}
	// 250 ms, 500 ms, … 8 s, then every 8 s: two ticks at one P each time.
	if frac := float64(atOne) / float64(ticks); frac > 0.05 {
		t.Fatalf("%.1f%% of a busy minute at one P", 100*frac)
	}
}

// A probe that stands resets the interval.
func TestPolicyProbeSuccessResets(t *testing.T) {
	now := time.Unix(0, 0)
	p := newPolicy(2, now)
	for p.probeEvery < 2*time.Second {
		s := busy2
		if p.k == 1 {
			s = queued1
		}
		run(p, &now, 1, s)
	}
	for p.k == 2 { // wait for the next probe
		run(p, &now, 1, busy2)
	}
	run(p, &now, int(probeWindow/Tick)+1, light)
	if p.k != 1 || p.probeEvery != minProbeEvery {
		t.Fatalf("k=%d probeEvery=%v after a probe stood", p.k, p.probeEvery)
	}
}

func TestPolicyBoost(t *testing.T) {
	now := time.Unix(0, 0)
	p := newPolicy(4, now)
	run(p, &now, 4*coldRun, idle)
	if p.k != 1 {
		t.Fatalf("k=%d", p.k)
	}
	if k := p.boost(now); k != 4 {
		t.Fatalf("boost: k=%d, want 4", k)
	}
	// The next probe waits a whole interval after the boost.
	if k := run(p, &now, int(minProbeEvery/Tick)-1, busy2); k != 4 {
		t.Fatalf("probed %v after a boost: k=%d", minProbeEvery-Tick, k)
	}
}

// The controller against the real runtime: idle, the process drops to one
// P; goroutines queueing for it raise it back; Parallel raises it at once;
// stop restores the GOMAXPROCS it found.
func TestControllerAdapts(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	stop := Start()
	defer stop()
	if Max() != 2 {
		t.Fatalf("Max()=%d, want 2", Max())
	}
	waitFor(t, "one P while idle", func() bool { return runtime.GOMAXPROCS(0) == 1 })

	// Many short goroutines, each doing a little work: with one P they
	// queue.
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var inner sync.WaitGroup
		for {
			select {
			case <-quit:
				inner.Wait()
				return
			default:
			}
			for range 64 {
				inner.Add(1)
				go func() { defer inner.Done(); spin(20 * time.Microsecond) }()
			}
			inner.Wait()
		}
	}()
	waitFor(t, "two Ps under queueing", func() bool { return runtime.GOMAXPROCS(0) == 2 })
	close(quit)
	wg.Wait()
	waitFor(t, "one P again when idle", func() bool { return runtime.GOMAXPROCS(0) == 1 })

	if w := Parallel(8); w != 2 || runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("Parallel(8) = %d with GOMAXPROCS %d, want 2 and 2", w, runtime.GOMAXPROCS(0))
	}
	if w := Parallel(1); w != 1 {
		t.Fatalf("Parallel(1) = %d", w)
	}
	st, ok := Snapshot()
	if !ok || st.Ups < 2 || st.Downs < 2 || st.Boosts != 1 || st.AtOne <= 0 || st.Total < st.AtOne {
		t.Fatalf("stats %+v (running %v)", st, ok)
	}
	runtime.GOMAXPROCS(2)
	stop()
	if _, ok := Snapshot(); ok {
		t.Fatal("Snapshot after stop reports a running controller")
	}
	if runtime.GOMAXPROCS(0) != 2 {
		t.Fatalf("stop left GOMAXPROCS %d, want 2", runtime.GOMAXPROCS(0))
	}
}

// Without a controller nothing changes GOMAXPROCS.
func TestNoControllerLeavesGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	if Max() != 3 {
		t.Fatalf("Max %d, want 3", Max())
	}
	if w := Parallel(2); w != 2 || runtime.GOMAXPROCS(0) != 3 {
		t.Fatalf("Parallel(2) = %d, GOMAXPROCS %d", w, runtime.GOMAXPROCS(0))
	}
}

// Nested starts share one controller; the last stop ends it.
func TestStartsNest(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	stop1, stop2 := Start(), Start()
	stop1()
	stop1() // idempotent
	if _, ok := Snapshot(); !ok {
		t.Fatal("the first stop of two ended the controller")
	}
	stop2()
	if _, ok := Snapshot(); ok {
		t.Fatal("the last stop left the controller running")
	}
}

func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			st, _ := Snapshot()
			t.Fatalf("no %s within 10 s (GOMAXPROCS %d, stats %+v)", what, runtime.GOMAXPROCS(0), st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Start gives every thread the coarse slack — sysmon, found as the one
// thread asleep in nanosleep, among them — and the threads the runtime
// starts later get it within a few ticks; without CAP_SYS_NICE it leaves
// every thread alone and says why. Stop restores the default everywhere.
func TestThreadSlack(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	stop := Start()
	defer stop()
	st, _ := Snapshot()
	if st.SysmonErr != "" {
		if c := threadsWithSlack(t, int(CoarseSlack)); len(c) != 0 {
			t.Fatalf("refused (%s), yet threads %v have the slack", st.SysmonErr, c)
		}
		if !strings.Contains(st.SysmonErr, "permission") {
			t.Fatalf("unexpected refusal: %s", st.SysmonErr)
		}
		return
	}
	// A thread started during Start's scan by one it had not reached yet
	// is found at the next tick.
	waitFor(t, "coarse slack on every thread", func() bool {
		_, other := slackCounts(t, 0)
		return other == 0
	})
	tid, err := sysmonThread()
	if err != nil || tid == syscall.Gettid() || tid == os.Getpid() {
		t.Fatalf("sysmonThread() = %d, %v: not sysmon", tid, err)
	}
	// Blocking system calls make sysmon start new threads, with the
	// default slack while sysmon has it (here: set by hand).
	if err := setThreadSlack(tid, defaultSlack); err != nil {
		t.Fatal(err)
	}
	threads, _ := runtime.ThreadCreateProfile(nil)
	blockInSyscalls(32, 20*time.Millisecond)
	grown, _ := runtime.ThreadCreateProfile(nil)
	t.Logf("%d threads, %d after the system calls", threads, grown)
	waitFor(t, "coarse slack on every thread but sysmon", func() bool {
		_, other := slackCounts(t, tid)
		return other == 0
	})
	if err := setThreadSlack(tid, CoarseSlack); err != nil {
		t.Fatal(err)
	}
	blockInSyscalls(32, 20*time.Millisecond) // threads the last tick may not see
	stop()
	if c := threadsWithSlack(t, int(CoarseSlack)); len(c) != 0 {
		t.Fatalf("after stop threads %v keep the slack", c)
	}
}

// Saturated Ps (most waits slow at Max) make sysmon's slack fine again;
// calm makes it coarse.
func TestPolicySysmonSlack(t *testing.T) {
	now := time.Unix(0, 0)
	p := newPolicy(2, now)
	if p.sysmonSlack() != CoarseSlack {
		t.Fatal("not coarse at start")
	}
	saturated := sample{cores: 1.3, waits: 200, slow: 150}
	run(p, &now, sysHotTicks, saturated)
	if p.k != 2 || p.sysmonSlack() != defaultSlack || !p.saturated() {
		t.Fatalf("k=%d slack %v saturated %v after %d saturated ticks", p.k, p.sysmonSlack(), p.saturated(), sysHotTicks)
	}
	run(p, &now, sysCoolTicks, busy2) // 40/150 slow: not saturated
	if p.sysmonSlack() != CoarseSlack || p.saturated() {
		t.Fatalf("slack %v saturated %v after %d calm ticks", p.sysmonSlack(), p.saturated(), sysCoolTicks)
	}
}

// blockInSyscalls has n goroutines sleep d in nanosleep(2), a blocking
// system call whose Ps sysmon takes and hands to other threads.
func blockInSyscalls(n int, d time.Duration) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := syscall.NsecToTimespec(int64(d))
			_ = syscall.Nanosleep(&ts, nil)
		}()
	}
	wg.Wait()
}

// slackCounts counts, in one look at this process's threads other than
// skip, those with the coarse slack and those with another.
func slackCounts(t *testing.T, skip int) (coarse, other int) {
	t.Helper()
	for _, tid := range threadsWithSlack(t, -1) {
		if tid == skip {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/timerslack_ns")
		if err != nil {
			continue // the thread exited
		}
		if strings.TrimSpace(string(b)) == strconv.Itoa(int(CoarseSlack)) {
			coarse++
		} else {
			other++
		}
	}
	return coarse, other
}

// threadsWithSlack lists this process's threads whose slack is ns (any
// slack for -1).
func threadsWithSlack(t *testing.T, ns int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var tids []int
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/timerslack_ns")
		if err != nil {
			continue // the thread exited
		}
		if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n == ns || ns == -1 {
			tid, _ := strconv.Atoi(e.Name())
			tids = append(tids, tid)
		}
	}
	return tids
}

// Query workers call Parallel and Max, and servers start and stop, while the controller changes
// GOMAXPROCS (run under the race detector by make test-race).
func TestConcurrentCallers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	stop := Start()
	defer stop()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				if w := Parallel(i % 4); w < 1 || w > 2 {
					t.Errorf("Parallel(%d) = %d", i%4, w)
					return
				}
				if m := Max(); m != 2 {
					t.Errorf("Max() = %d", m)
					return
				}
				if c := runtime.GOMAXPROCS(0); c < 1 || c > 2 {
					t.Errorf("GOMAXPROCS %d", c)
					return
				}
				Snapshot()
				if i%500 == 0 { // a second server starting and stopping
					Start()()
				}
			}
		}()
	}
	wg.Wait()
}

// A process inherits the timer slack of the thread that started it, so
// with every thread coarse exec.Cmd.Start passes CoarseSlack on, and
// StartProcess does not.
func TestStartProcessDefaultSlack(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	stop := Start()
	defer stop()
	childSlack := func(start func(*exec.Cmd) error) string {
		t.Helper()
		cmd := exec.Command("cat", "/proc/self/timerslack_ns")
		var out strings.Builder
		cmd.Stdout = &out
		if err := start(cmd); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	if st, _ := Snapshot(); st.SysmonErr == "" {
		waitFor(t, "coarse slack on every thread", func() bool {
			_, other := slackCounts(t, 0)
			return other == 0
		})
		if got := childSlack((*exec.Cmd).Start); got != strconv.Itoa(int(CoarseSlack)) {
			t.Fatalf("a child started by Cmd.Start has slack %s ns; want %d inherited", got, CoarseSlack)
		}
	}
	if got := childSlack(StartProcess); got != strconv.Itoa(int(defaultSlack)) {
		t.Fatalf("a child started by StartProcess has slack %s ns, want %d", got, defaultSlack)
	}
	if _, other := slackCounts(t, 0); other != 0 {
		if st, _ := Snapshot(); st.SysmonErr == "" {
			t.Fatalf("%d threads lost the coarse slack after StartProcess", other)
		}
	}
}
