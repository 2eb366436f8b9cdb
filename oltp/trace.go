package oltp

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The stages of a commit, as CommitTrace times them (diagnostics: bench
// commit prints their medians). Each runs from the end of the previous one.
const (
	// StageQueue: from CommitWith until the committer validated the
	// transaction (the hand-off to the committer's goroutine, waiting for
	// it, validation).
	StageQueue = iota
	// StageSeal: validated until the record is handed to the log (waiting
	// for the append slot while the previous record is in flight, sealing).
	StageSeal
	// StagePublish: the log's StartAppend (encode, publish).
	StagePublish
	// StageDurable: published until the acknowledgement reached the
	// committer (JetStream stores and fsyncs, the ack travels back).
	StageDurable
	// StageApply: acknowledged until applied to the column and row stores.
	StageApply
	// StageWake: applied until the committing goroutine runs again.
	StageWake
	// NumStages is the number of stages.
	NumStages
)

// StageNames names the stages.
var StageNames = [NumStages]string{"queue+validate", "seal", "publish", "durable (log ack)", "apply", "wake session"}

// stamps are a traced commit's timestamps: its start and the end of each
// stage (ns since traceEpoch).
type stamps [NumStages + 1]int64

var traceEpoch = time.Now()

func stamp() int64 { return int64(time.Since(traceEpoch)) }

// CommitTrace collects the stage durations of the commits made while it is
// set (Committer.SetTrace). Safe for concurrent use.
type CommitTrace struct {
	mu     sync.Mutex
	stages [NumStages][]time.Duration
	total  []time.Duration
	n      int // commits traced
	// gaps are, for each record whose first transaction was already
	// waiting when the previous record was acknowledged, the time from
	// that acknowledgement to this record's send: the part of a group
	// commit cycle that is not the log's.
	gaps []time.Duration
	// lastAck is when the committer last received an acknowledgement.
	lastAck atomic.Int64
}

func (t *CommitTrace) addGap(d time.Duration) {
	t.mu.Lock()
	t.gaps = append(t.gaps, d)
	t.mu.Unlock()
}

// Gap returns the p-th percentile of the time from a record's
// acknowledgement to the next record's send, counting only records whose
// transactions were waiting by then (the committer's turnaround).
func (t *CommitTrace) Gap(p float64) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return pct(t.gaps, p)
}

// traceKeep bounds the commits a CommitTrace keeps: past it, each new
// commit replaces a random kept one (a uniform sample of all of them).
const traceKeep = 1 << 15

func (t *CommitTrace) add(s *stamps) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	i := len(t.total)
	if i >= traceKeep {
		if i = rand.IntN(t.n); i >= traceKeep {
			return
		}
	} else {
		if i == 0 {
			for j := range t.stages {
				t.stages[j] = make([]time.Duration, 0, traceKeep)
			}
			t.total = make([]time.Duration, 0, traceKeep)
		}
		for j := range t.stages {
			t.stages[j] = t.stages[j][:i+1]
		}
		t.total = t.total[:i+1]
	}
	for j := range NumStages {
		t.stages[j][i] = time.Duration(s[j+1] - s[j])
	}
	t.total[i] = time.Duration(s[NumStages] - s[0])
}

// Len returns the number of commits traced.
func (t *CommitTrace) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// Percentile returns the p-th percentile (0..1) of stage's durations, or of
// the whole commit with stage = NumStages.
func (t *CommitTrace) Percentile(stage int, p float64) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.total
	if stage < NumStages {
		d = t.stages[stage]
	}
	return pct(d, p)
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[int(p*float64(len(d)-1))]
}

// SetTrace makes the committer time the stages of the commits that start
// from now on into t (nil: stop). Tracing costs a few clock reads per
// commit.
func (c *Committer) SetTrace(t *CommitTrace) { c.trace.Store(t) }
