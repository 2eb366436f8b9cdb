package procs

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// Tick is how often the controller samples the process.
	Tick = 20 * time.Millisecond

	// At k Ps a tick is hot when at least hotFrac of the goroutines that
	// became runnable in it waited slowWait or longer for a P (of at least
	// minWaits sampled waits) while the process used at least hotCores·k
	// cores: work queues for the Ps.
	slowWait = 50 * time.Microsecond
	hotFrac  = 0.18
	minWaits = 16
	hotCores = 0.3
	// A tick is hot, too, when the process used satCores·k cores or more:
	// a few goroutines that each run long (a bulk load's stages) queue for
	// the P without many short waits to sample.
	satCores = 0.92
	upTicks  = 2 // hot ticks in a row before doubling

	coldCores = 0.25 // at k > 1, below coldCores·k cores is cold
	coldRun   = 5    // cold ticks in a row before halving

	// sysmon's slack (sysmon_linux.go) is fine while, at Max Ps, sysHotFrac
	// of the waits are slow for sysHotTicks ticks in a row — the Ps are
	// saturated and one stuck in an fsync must be handed on promptly — and
	// coarse again after sysCoolTicks ticks below sysCoolFrac.
	sysHotFrac   = 0.5
	sysHotTicks  = 2
	sysCoolFrac  = 0.3
	sysCoolTicks = 5

	minProbeEvery = 250 * time.Millisecond
	maxProbeEvery = 8 * time.Second
	probeWindow   = 200 * time.Millisecond // a probe still standing after this succeeded
)

// sample is what the controller measured over one tick.
type sample struct {
	cores       float64 // process CPU time / wall time
	waits, slow uint64  // sampled scheduling waits, and those ≥ slowWait
}

func (s sample) hot(k int) bool {
	if s.cores >= satCores*float64(k) {
		return true
	}
	return s.waits >= minWaits && float64(s.slow) >= hotFrac*float64(s.waits) && s.cores >= hotCores*float64(k)
}

// policy decides the number of Ps from samples; it holds no clock of its
// own, so tests drive it with made-up time.
type policy struct {
	max, k     int
	hot, cold  int
	probeEvery time.Duration
	nextProbe  time.Time
	probedAt   time.Time // zero: no probe in its window
	stats      Stats
	since      time.Time // when k last changed

	// sysmon's slack: coarse unless the Ps are saturated.
	sysCoarse       bool
	sysHot, sysCool int
	sysSince        time.Time
}

// Stats counts what the controller did since Start.
type Stats struct {
	Ups, Downs   uint64 // changes of GOMAXPROCS, probes and boosts included
	Probes       uint64 // downs tried while not cold
	FailedProbes uint64 // probes undone because they turned hot
	Boosts       uint64 // raises by Parallel
	// AtOne is the time spent with one P, Total the time since Start.
	AtOne, Total time.Duration
	// SysmonCoarse is the time sysmon slept with CoarseSlack; SysmonErr
	// says why it never did (no CAP_SYS_NICE, say), "" when it could.
	SysmonCoarse time.Duration
	SysmonErr    string
}

func newPolicy(max int, now time.Time) *policy {
	return &policy{max: max, k: max, probeEvery: minProbeEvery, nextProbe: now.Add(minProbeEvery), since: now,
		sysCoarse: true, sysSince: now}
}

// step takes the last tick's sample and returns the new k.
func (p *policy) step(now time.Time, s sample) int {
	if !p.probedAt.IsZero() && now.Sub(p.probedAt) >= probeWindow {
		p.probedAt = time.Time{} // the probe stood: fewer Ps do
		p.probeEvery = minProbeEvery
	}
	if s.hot(p.k) {
		p.hot++
	} else {
		p.hot = 0
	}
	if p.k > 1 && s.cores < coldCores*float64(p.k) {
		p.cold++
	} else {
		p.cold = 0
	}
	p.stepSysmon(now, s)
	switch {
	case p.k < p.max && p.hot >= upTicks:
		if !p.probedAt.IsZero() { // the probe failed: wait longer next time
			p.probedAt = time.Time{}
			p.probeEvery = min(2*p.probeEvery, maxProbeEvery)
			p.stats.FailedProbes++
		}
		p.set(min(2*p.k, p.max), now)
	case p.k > 1 && p.cold >= coldRun:
		p.set(max(p.k/2, 1), now)
	case p.k > 1 && !now.Before(p.nextProbe):
		p.set(max(p.k/2, 1), now)
		p.probedAt = now
		p.stats.Probes++
	}
	return p.k
}

// stepSysmon decides sysmon's slack from the sample (before k changes).
func (p *policy) stepSysmon(now time.Time, s sample) {
	frac := 0.0
	if s.waits >= minWaits {
		frac = float64(s.slow) / float64(s.waits)
	}
	if p.k == p.max && frac >= sysHotFrac {
		p.sysHot++
	} else {
		p.sysHot = 0
	}
	if p.k < p.max || frac < sysCoolFrac {
		p.sysCool++
	} else {
		p.sysCool = 0
	}
	switch {
	case p.sysCoarse && p.sysHot >= sysHotTicks:
		p.accountSysmon(now)
		p.sysCoarse, p.sysHot = false, 0
	case !p.sysCoarse && p.sysCool >= sysCoolTicks:
		p.accountSysmon(now)
		p.sysCoarse, p.sysCool = true, 0
	}
}

// saturated: the Ps are saturated at Max (sysmon's slack is fine).
func (p *policy) saturated() bool { return !p.sysCoarse }

func (p *policy) sysmonSlack() time.Duration {
	if p.sysCoarse {
		return CoarseSlack
	}
	return defaultSlack
}

func (p *policy) accountSysmon(now time.Time) {
	if p.sysCoarse {
		p.stats.SysmonCoarse += now.Sub(p.sysSince)
	}
	p.sysSince = now
}

// boost raises k to max for parallel work and holds off the next probe.
func (p *policy) boost(now time.Time) int {
	p.probedAt = time.Time{}
	p.stats.Boosts++
	p.set(p.max, now)
	return p.k
}

func (p *policy) set(k int, now time.Time) {
	p.account(now)
	switch {
	case k > p.k:
		p.stats.Ups++
	case k < p.k:
		p.stats.Downs++
	}
	p.k, p.hot, p.cold = k, 0, 0
	p.nextProbe = now.Add(p.probeEvery)
}

// account adds the time since the last change to the stats.
func (p *policy) account(now time.Time) {
	d := now.Sub(p.since)
	p.stats.Total += d
	if p.k == 1 {
		p.stats.AtOne += d
	}
	p.since = now
}

var (
	// lifecycle serializes Start and stop, so a Start cannot slip in
	// while the last stop waits for the loop (which takes mu) to end.
	lifecycle sync.Mutex

	mu      sync.Mutex
	running int // Start calls not yet stopped
	pol     *policy
	quit    chan struct{}
	done    chan struct{}

	// isSaturated mirrors pol.saturated() for Saturated, without mu.
	isSaturated atomic.Bool

	sysmonTID     int           // 0: its slack is not ours to set
	sysmonErr     string        // why not
	sysmonApplied time.Duration // the slack last set
	threadsSeen   int           // the runtime's thread count at the last retime
)

// Max is the most Ps OmenDB uses: the GOMAXPROCS the controller started
// with, or the live GOMAXPROCS when it is not running. Size worker pools
// with it, not with runtime.GOMAXPROCS, which the controller lowers.
func Max() int {
	mu.Lock()
	defer mu.Unlock()
	return maxLocked()
}

func maxLocked() int {
	if pol != nil {
		return pol.max
	}
	return runtime.GOMAXPROCS(0)
}

// Saturated reports whether the Ps are saturated at Max: for the last
// ticks at least half of the sampled scheduling waits were slow (the state
// in which sysmon's slack is fine, sysmon_linux.go). Code that could trade
// CPU for latency — hand work on at once rather than let more of it gather
// — should not while this holds. False when the controller is not running.
// Cheap: one atomic load.
func Saturated() bool { return isSaturated.Load() }

// Parallel returns how many workers to start for n independent pieces of
// work — min(n, Max()), at least 1 — and, when that is more than one,
// raises GOMAXPROCS to Max now rather than a few ticks later.
func Parallel(n int) int {
	mu.Lock()
	defer mu.Unlock()
	w := max(min(n, maxLocked()), 1)
	if w > 1 && pol != nil && pol.k < pol.max {
		runtime.GOMAXPROCS(pol.boost(time.Now()))
	}
	return w
}

// Snapshot returns the controller's counts so far, and false when it is not
// running.
func Snapshot() (Stats, bool) {
	mu.Lock()
	defer mu.Unlock()
	if pol == nil {
		return Stats{}, false
	}
	now := time.Now()
	pol.account(now)
	st := pol.stats
	if sysmonTID != 0 {
		pol.accountSysmon(now)
		st.SysmonCoarse = pol.stats.SysmonCoarse
	} else {
		st.SysmonCoarse = 0
		st.SysmonErr = sysmonErr
	}
	return st, true
}

// Start begins adapting GOMAXPROCS; stop ends it and restores the
// GOMAXPROCS it found. Starts nest: servers in one process share one
// controller, and the last stop ends it.
func Start() (stop func()) {
	lifecycle.Lock()
	defer lifecycle.Unlock()
	if running == 0 { // only Start and release change running, under lifecycle
		// Found before mu is taken: the search spins for a few ms.
		tid, errMsg := 0, ""
		if t, err := sysmonThread(); err != nil {
			errMsg = err.Error()
		} else if err := setThreadSlack(t, CoarseSlack); err != nil {
			errMsg = err.Error()
		} else {
			tid = t
			_ = retime(tid, defaultSlack, CoarseSlack)
		}
		mu.Lock()
		pol = newPolicy(runtime.GOMAXPROCS(0), time.Now())
		sysmonTID, sysmonErr, sysmonApplied = tid, errMsg, CoarseSlack
		quit, done = make(chan struct{}), make(chan struct{})
		go loop(quit, done)
		mu.Unlock()
	}
	mu.Lock()
	running++
	mu.Unlock()
	var once sync.Once
	return func() { once.Do(release) }
}

func release() {
	lifecycle.Lock()
	defer lifecycle.Unlock()
	mu.Lock()
	running--
	if running > 0 {
		mu.Unlock()
		return
	}
	q, d := quit, done
	mu.Unlock()
	close(q)
	<-d
	mu.Lock()
	runtime.GOMAXPROCS(pol.max)
	if sysmonTID != 0 {
		_ = setThreadSlack(sysmonTID, defaultSlack)
		_ = retime(0, CoarseSlack, defaultSlack)
		sysmonTID, threadsSeen = 0, 0
	}
	pol = nil
	isSaturated.Store(false)
	mu.Unlock()
}

func loop(quit <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(Tick)
	defer t.Stop()
	m := newMeter()
	for {
		select {
		case <-quit:
			return
		case now := <-t.C:
			s, ok := m.read(now)
			if !ok {
				continue
			}
			mu.Lock()
			if k := pol.k; pol.step(now, s) != k {
				runtime.GOMAXPROCS(pol.k)
			}
			isSaturated.Store(pol.saturated())
			if want := pol.sysmonSlack(); sysmonTID != 0 && want != sysmonApplied {
				if setThreadSlack(sysmonTID, want) == nil {
					sysmonApplied = want
				}
			}
			if sysmonTID != 0 {
				// New threads start with their creator's slack: the
				// default if sysmon created them while it had it. Counting
				// them is a walk of the runtime's M list.
				if n, _ := runtime.ThreadCreateProfile(nil); n != threadsSeen {
					threadsSeen = n
					_ = retime(sysmonTID, defaultSlack, CoarseSlack)
				}
			}
			mu.Unlock()
		}
	}
}

// meter turns the process's cumulative CPU time and the runtime's
// scheduling-latency histogram into per-tick samples.
type meter struct {
	cpu     time.Duration
	at      time.Time
	metrics []metrics.Sample
	counts  []uint64 // the histogram's counts at the last read
}

func newMeter() *meter {
	m := &meter{metrics: []metrics.Sample{{Name: "/sched/latencies:seconds"}}}
	m.read(time.Now())
	return m
}

func (m *meter) read(now time.Time) (sample, bool) {
	cpu := cpuTime()
	metrics.Read(m.metrics)
	var s sample
	if m.metrics[0].Value.Kind() == metrics.KindFloat64Histogram {
		h := m.metrics[0].Value.Float64Histogram()
		if len(m.counts) == len(h.Counts) {
			for i, c := range h.Counts {
				d := c - m.counts[i]
				s.waits += d
				if h.Buckets[i] >= slowWait.Seconds() { // bucket i spans [Buckets[i], Buckets[i+1])
					s.slow += d
				}
			}
		}
		m.counts = append(m.counts[:0], h.Counts...)
	}
	wall := now.Sub(m.at)
	ok := !m.at.IsZero() && wall > 0
	if ok {
		s.cores = float64(cpu-m.cpu) / float64(wall)
	}
	m.cpu, m.at = cpu, now
	return s, ok
}

// cpuTime is the CPU time of every thread of the process, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
