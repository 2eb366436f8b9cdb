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
// The controller also sets the timer slack of the runtime's monitor thread,
// sysmon (sysmon_linux.go). sysmon sleeps 20 µs at a time while it keeps
// finding Ps to take from system calls, and the log's fsync, every
// millisecond or so under load, is such a call: each wake-up is a context
// switch, and each P taken hands the fsync's goroutine to another thread
// when the call returns. With a 1 ms slack sysmon rarely catches an fsync
// in progress, backs off to its long sleeps, and the fsync's thread
// carries on with its P: pgbench TPC-B (8 clients, alternated runs) used
// 0.25–0.37 ms of server CPU per transaction instead of 0.36–0.48 and ran
// about a tenth faster on average. But while the Ps are saturated (at Max, half the
// sampled waits slow) a P stuck in an fsync is capacity lost, so there the
// slack goes back to Linux's 50 µs until the queueing eases. Threads that sysmon
// creates inherit its slack (Linux copies it into the child); each tick
// that finds the runtime's thread count changed gives them the default back
// (resetInherited), and stop does the same for sysmon and any left. Setting
// another thread's slack needs CAP_SYS_NICE; without it sysmon is left
// alone (Stats.SysmonErr says so).
//
// Saturated reports that state (Ps saturated at Max) to code that trades
// CPU for latency: the committer hands its P to the log's sender at once
// only while it is false (oltp/commit.go).
//
// Parallel query work does not wait for the controller: Parallel(n), used
// where the executor fans out over segments, raises GOMAXPROCS to Max at
// once and holds off the next probe.
//
// Invariants: GOMAXPROCS and sysmon's slack change only under mu; Start
// and stop are serialized by lifecycle. When the controller is not running
// (tests, tools, GOMAXPROCS set by the user) Max is the live GOMAXPROCS and
// Parallel never changes it. Stop restores Max and sysmon's default slack.
package procs
