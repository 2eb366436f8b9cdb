// Package procs adapts GOMAXPROCS to the load: one P while the server's
// work fits on one core, all of them once it does not.
//
// Why: a lightly loaded OmenDB passes each request through a chain of
// goroutines — the session, the committer, the embedded NATS server's
// reader, its stream and its writer, the client's reader — and with a
// second P idle, every hand-off in that chain wakes a sleeping thread on the
// other CPU (runtime.wakep), which then finds nothing to do and sleeps
// again. On a virtual machine a cross-CPU wake-up and the context switches
// around it cost tens of microseconds. Measured on the 2-vCPU machine of
// docs/benchmarks.md, one connection's durable commit took 0.35–0.79 ms at
// p50 and 232–352 µs of process CPU with GOMAXPROCS=1, against 0.70–1.14 ms
// and 604–613 µs with GOMAXPROCS=2 in alternated runs; at 64 connections
// one P is a fifth to two fifths slower. So the process runs with one P until it needs
// more.
//
// The controller (Start) samples the process's CPU time and the runtime's
// scheduling latencies every Tick:
//
//   - up: at k Ps, two hot ticks in a row double k (up to Max, the
//     GOMAXPROCS the process started with). A tick is hot when goroutines
//     queue for the Ps — 18 % or more of the runtime's sampled
//     scheduling waits (/sched/latencies) took 50 µs or longer while the
//     process used 0.3·k cores or more — or when the process used 0.92·k
//     cores or more (a few long-running goroutines, as in a bulk load);
//   - down: at k > 1, five ticks in a row below 0.25·k cores halve k; and
//     because the same work costs more CPU with spare Ps (the wake-ups
//     above), CPU alone cannot tell that fewer Ps would do, so the
//     controller also probes: every probe interval it halves k. A probe
//     that turns hot within probeWindow is undone and doubles the interval
//     (up to maxProbeEvery, so a load that needs every core loses at most
//     two ticks of half capacity every few seconds); one that stays cool
//     resets it.
//
// The controller also gives every thread of the process a 1 ms timer
// slack, CoarseSlack (sysmon_linux.go), where Linux's default is 50 µs.
// Two of the runtime's sleeps are its targets:
//
//   - sysmon, the runtime's monitor thread, sleeps 20 µs at a time while
//     it keeps finding Ps to take from system calls, and the log's fsync,
//     every millisecond or so under load, is such a call: each wake-up is
//     a context switch, and each P taken hands the fsync's goroutine to
//     another thread when the call returns. With the coarse slack sysmon
//     rarely catches an fsync in progress, backs off to its long sleeps,
//     and the fsync's thread carries on with its P.
//   - the runtime's other short sleeps, most likely among them the 3 µs
//     a thread out of work sleeps before it steals the goroutine in another
//     running P's runnext slot (runtime.runqgrab), in case that P is about
//     to run it: with 50 µs of slack the steal usually happens and the
//     goroutine one hand-off woke moves to the other CPU; with 1 ms the
//     P that woke it runs it first (the runtime's comment calls a 1 ms
//     timer "way too much for this optimization"). We measured the gain,
//     not which sleep gives it: strace perturbs the scheduling too much to
//     tell, and this VM has no tracepoints.
//
// pgbench TPC-B (8 clients, alternated runs) used 0.25–0.37 ms of server
// CPU per transaction with sysmon's slack coarse instead of 0.36–0.48. That
// gain came partly from the threads sysmon had started, which inherit its
// slack: with sysmon's alone coarse TPC-B lost 4 of 4 alternated runs
// (−9 % TPS), and with every thread's coarse on purpose it won 3 of 4
// against the inherited state. 1 ms beat 300 µs, 2 ms and 5 ms (with a
// longer slack statements slow down). New
// threads start with their creator's slack, so each tick that sees the
// runtime's thread count change gives the coarse slack to those with the
// default (retime).
//
// While the Ps are saturated (at Max, half the sampled waits slow) a P
// stuck in an fsync is capacity lost, so there sysmon's slack goes back to
// 50 µs until the queueing eases; the other threads keep theirs (64
// connections ran the same with it). Setting another thread's slack needs
// CAP_SYS_NICE; without it every thread is left alone (Stats.SysmonErr
// says so). Stop gives every thread the default back.
//
// A process takes the slack of the thread that forks it and keeps it
// across execve, so processes started from an OmenDB process would run
// with the coarse slack too. StartProcess starts one from a thread locked
// for the fork with the default; the benchmarks and tests start their
// peers (PostgreSQL, pgbench, dbgen) with it.
//
// Saturated reports that state (Ps saturated at Max) to code that trades
// CPU for latency: the committer hands its P to the log's sender at once
// only while it is false (oltp/commit.go).
//
// Parallel query work does not wait for the controller: Parallel(n), used
// where the executor fans out over segments, raises GOMAXPROCS to Max at
// once and holds off the next probe.
//
// Invariants: GOMAXPROCS and the threads' slack change only under mu; Start
// and stop are serialized by lifecycle. When the controller is not running
// (tests, tools, GOMAXPROCS set by the user) Max is the live GOMAXPROCS and
// Parallel never changes it. Stop restores Max and every thread's default slack.
package procs
